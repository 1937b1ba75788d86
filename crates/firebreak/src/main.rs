//! The `firebreak` command: the server and its offline tasks.

mod config;
mod hunt;
mod ingest;

/// mimalloc: the hunt and the intake allocate and free many small values
/// per event from every thread, where it is markedly faster than the
/// system allocator. It also stands in for the C library's `malloc`
/// (the `override` feature), so that SQLite's allocations, on the alert
/// writer's thread, take no allocator lock either.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use firebreak_app::bootstrap::{Bootstrap, ensure_root};
use firebreak_app::clock::SystemClock;
use firebreak_app::{App, AppSettings};
use firebreak_domain::clock::Clock;
use firebreak_server::{AppState, ServerSettings};
use firebreak_store::{OpenOptions, SqlStore, Store};
use tracing_subscriber::EnvFilter;

use crate::config::{Config, ConfigFlags, DEFAULT_FILE, LogFormat};

/// Firebreak: security incident response, from alert to lessons learned.
#[derive(Parser)]
#[command(name = "firebreak", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

const CONFIG_HELP: &str = "Configuration layers, lowest first: built-in defaults, the TOML file, \
FIREBREAK_<KEY> environment variables (for example FIREBREAK_LISTEN, FIREBREAK_DATABASE_URL, \
FIREBREAK_ADMIN_PASSWORD), then these flags. Unknown keys in the file are an error.";

#[derive(Subcommand)]
enum Command {
    /// Start the server (creates the data folder and the first admin on first start)
    #[command(after_help = CONFIG_HELP)]
    Serve(ConfigFlags),
    /// Work with the audit log
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Import and export the asset inventory
    Assets {
        #[command(subcommand)]
        command: AssetsCommand,
    },
    /// Ingest alert files (ECS, OCSF, Wazuh alerts.json, Suricata EVE, or
    /// native NDJSON) into the database; a re-run creates no duplicates and
    /// resumes where the last run stopped
    #[command(after_help = CONFIG_HELP)]
    Ingest {
        /// native, ecs, ocsf, wazuh or suricata
        #[arg(long, short)]
        format: String,
        /// The organisation, by name or id [default: the first organisation]
        #[arg(long)]
        org: Option<String>,
        /// Read every file from its start, not from where the last run stopped
        #[arg(long)]
        from_start: bool,
        /// NDJSON (one event a line) or JSON array files
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
        #[command(flatten)]
        config: ConfigFlags,
    },
    /// Run Sigma rules over Windows EVTX files and JSON/NDJSON logs, offline.
    /// Exit status: 0 nothing matched, 1 something matched, 2 a file, the
    /// rules or a pipeline could not be read
    Hunt {
        /// A rule file or a folder of rules (repeatable)
        #[arg(long, short, required = true)]
        rules: Vec<std::path::PathBuf>,
        /// How hits are written to standard output
        #[arg(long, short, value_enum, default_value = "table")]
        output: hunt::Output,
        /// A Sigma processing pipeline file (field mapping) applied to the rules first (repeatable)
        #[arg(long = "pipeline", value_name = "FILE")]
        pipelines: Vec<std::path::PathBuf>,
        /// EVTX, JSON or NDJSON files, or folders of them
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
    },
    /// Work with Sigma rules
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Produce the management report of a period (a month, a quarter) as
    /// HTML for print, PDF (through headless Chromium) or CSV
    #[command(after_help = CONFIG_HELP)]
    Report {
        /// The period's first day, YYYY-MM-DD (UTC)
        #[arg(long)]
        from: String,
        /// The period's last day, included, YYYY-MM-DD (UTC)
        #[arg(long)]
        to: String,
        /// The organisation, by name or id [default: the first organisation]
        #[arg(long)]
        org: Option<String>,
        #[arg(long, short, value_enum, default_value = "html")]
        format: ReportFormat,
        /// The file to write [default: standard output; for PDF, firebreak-report-FROM-TO.pdf]
        #[arg(long, short)]
        output: Option<std::path::PathBuf>,
        #[command(flatten)]
        config: ConfigFlags,
    },
    /// Print the OpenAPI document of the API
    Openapi,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ReportFormat {
    Html,
    Pdf,
    Csv,
}

// Parsed once per run: the size of a variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum RulesCommand {
    /// Run the rule tests stored in an organisation's library and report
    /// pass or fail per rule (exit 1 when one fails)
    #[command(after_help = CONFIG_HELP)]
    Test {
        /// The organisation, by name or id [default: the first organisation]
        #[arg(long)]
        org: Option<String>,
        #[command(flatten)]
        config: ConfigFlags,
    },
    /// Import SigmaHQ's regression samples (regression_data/…/info.yml and
    /// their EVTX files) as tests of the library's rules
    #[command(after_help = CONFIG_HELP)]
    ImportTests {
        /// The organisation, by name or id [default: the first organisation]
        #[arg(long)]
        org: Option<String>,
        /// A SigmaHQ checkout (the folder that holds regression_data)
        sigma: std::path::PathBuf,
        #[command(flatten)]
        config: ConfigFlags,
    },
    /// Import Sigma rules from files, folders or zip archives into an organisation's
    /// library: new rules are created, changed ones updated (their earlier
    /// text kept), the same ones left; rules that cannot be used are
    /// reported by file, line and reason (exit 2)
    #[command(after_help = CONFIG_HELP)]
    Import {
        /// The organisation, by name or id [default: the first organisation]
        #[arg(long)]
        org: Option<String>,
        /// Enable the new rules at once (by default they start disabled)
        #[arg(long)]
        enable: bool,
        #[arg(required = true)]
        paths: Vec<std::path::PathBuf>,
        #[command(flatten)]
        config: ConfigFlags,
    },
    /// Parse and compile every rule under the given files or folders and
    /// report those that cannot be used, by file, line and reason (exit 2)
    Check {
        #[arg(required = true)]
        paths: Vec<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
enum AssetsCommand {
    /// Import assets from a CSV file (header: kind,name,address,owner,business_unit,criticality,location,contacts,tags,description);
    /// existing assets of the same kind and name are updated; bad lines are reported by number. `contacts`
    /// holds e-mail addresses separated by `;`, bare or as `Name <address>`; one not known yet is made a contact
    #[command(after_help = CONFIG_HELP)]
    Import {
        /// The organisation, by name or id [default: the first organisation]
        #[arg(long)]
        org: Option<String>,
        /// The CSV file
        file: std::path::PathBuf,
        #[command(flatten)]
        config: ConfigFlags,
    },
    /// Write the inventory as CSV (to standard output, or a file)
    #[command(after_help = CONFIG_HELP)]
    Export {
        /// The organisation, by name or id [default: the first organisation]
        #[arg(long)]
        org: Option<String>,
        /// Write here instead of standard output
        #[arg(long, short)]
        output: Option<std::path::PathBuf>,
        #[command(flatten)]
        config: ConfigFlags,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check every organisation's hash chain, its signed head and the signed
    /// checkpoints, and report what does not verify (exit 2)
    #[command(after_help = CONFIG_HELP)]
    Verify(ConfigFlags),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let env: Vec<(String, String)> = std::env::vars().collect();
    match cli.command {
        Command::Serve(flags) => {
            let config = Config::load(&flags, &env)?;
            init_logging(&config)?;
            serve(config).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit { command: AuditCommand::Verify(flags) } => {
            let config = Config::load(&flags, &env)?;
            audit_verify(config).await
        }
        Command::Assets { command: AssetsCommand::Import { org, file, config } } => {
            let config = Config::load(&config, &env)?;
            assets_import(config, org, &file).await
        }
        Command::Assets { command: AssetsCommand::Export { org, output, config } } => {
            let config = Config::load(&config, &env)?;
            assets_export(config, org, output.as_deref()).await
        }
        Command::Ingest { format, org, from_start, files, config } => {
            let format: firebreak_domain::formats::Format = format.parse().map_err(|e: String| anyhow::anyhow!(e))?;
            let config = Config::load(&config, &env)?;
            let (state, store) = offline_state(&config).await?;
            let org = pick_org(&state, &store, org).await?;
            let checkpoints = prepare_data_dir(&config.data_dir)?.join("ingest-checkpoints.json");
            let totals = ingest::run(&state, org, format, &files, &checkpoints, from_start).await;
            store.close().await;
            Ok(ingest::exit_code(&totals?))
        }
        // Status 1 means "found something": a hunt that cannot start is 2.
        Command::Hunt { rules, output, pipelines, files } => Ok(hunt::hunt(&rules, &pipelines, &files, output)
            .unwrap_or_else(|e| {
                eprintln!("error: {e:#}");
                ExitCode::from(2)
            })),
        Command::Report { from, to, org, format, output, config } => {
            let config = Config::load(&config, &env)?;
            report(config, &from, &to, org, format, output).await
        }
        Command::Rules { command: RulesCommand::Check { paths } } => hunt::check(&paths),
        Command::Rules { command: RulesCommand::Test { org, config } } => {
            let config = Config::load(&config, &env)?;
            let (state, store) = offline_state(&config).await?;
            let org = pick_org(&state, &store, org).await?;
            let results = firebreak_app::detection::run_tests_as(&state, org, None)
                .await
                .map_err(|e| anyhow::anyhow!(e.body().message));
            store.close().await;
            Ok(hunt::print_tests(&results?))
        }
        Command::Rules { command: RulesCommand::ImportTests { org, sigma, config } } => {
            let config = Config::load(&config, &env)?;
            let (state, store) = offline_state(&config).await?;
            let org = pick_org(&state, &store, org).await?;
            let done = hunt::import_regression(&state, org, &sigma).await;
            store.close().await;
            done
        }
        Command::Rules { command: RulesCommand::Import { org, enable, paths, config } } => {
            let config = Config::load(&config, &env)?;
            let (files, unreadable) = hunt::read_rule_files(&paths)?;
            let (state, store) = offline_state(&config).await?;
            let org = pick_org(&state, &store, org).await?;
            let ctx = firebreak_store::WriteCtx { actor: firebreak_store::Actor::System, now: state.now() };
            let report = firebreak_app::detection::import_as(&state, &ctx, org, &files, enable)
                .await
                .map_err(|e| anyhow::anyhow!(e.body().message));
            store.close().await;
            let mut report = report?;
            report.rejected.extend(unreadable);
            Ok(hunt::print_import(&report))
        }
        Command::Openapi => {
            let doc = serde_json::to_string_pretty(&firebreak_server::api::openapi())?;
            let mut out = std::io::stdout().lock();
            writeln!(out, "{doc}")?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn init_logging(config: &Config) -> anyhow::Result<()> {
    let filter =
        EnvFilter::try_new(format!("{},sqlx=warn", config.log)).context("the `log` setting is not a valid filter")?;
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match config.log_format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
    Ok(())
}

/// Creates the data folder with its commented configuration file.
fn prepare_data_dir(dir: &Path) -> anyhow::Result<std::path::PathBuf> {
    std::fs::create_dir_all(dir.join("files"))
        .with_context(|| format!("creating the data folder {}", dir.display()))?;
    let conf = dir.join("firebreak.toml");
    if !conf.exists() {
        std::fs::write(&conf, DEFAULT_FILE).with_context(|| format!("writing {}", conf.display()))?;
    }
    dir.canonicalize().with_context(|| format!("resolving {}", dir.display()))
}

/// The data folder of a server that has run, for the commands that work on
/// its data: a missing one is an error naming where it was looked for, not a
/// new empty folder whose empty database would look like a real answer.
fn existing_data_dir(dir: &Path) -> anyhow::Result<std::path::PathBuf> {
    if !dir.is_dir() {
        let shown = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
        anyhow::bail!(
            "no data folder at {}: run this where the server was started, or name the server's folder with \
             --data-dir (the server prints it when it starts)",
            shown.display()
        );
    }
    prepare_data_dir(dir)
}

/// Opens the store: `serve` makes the data folder on its first start; every
/// other command needs the folder a server made.
async fn open_store(config: &Config, create: bool) -> anyhow::Result<(SqlStore, std::path::PathBuf)> {
    let data_dir = if create { prepare_data_dir(&config.data_dir)? } else { existing_data_dir(&config.data_dir)? };
    let url = config.database_url(&data_dir);
    let opts = OpenOptions {
        max_connections: config.db_max_connections,
        audit_key: config.audit_key(&data_dir)?,
        ..OpenOptions::default()
    };
    let store = SqlStore::open(&url, &opts).await.with_context(|| {
        if config.is_postgres() {
            "opening the PostgreSQL database".to_owned()
        } else {
            format!("opening the database in {}", data_dir.display())
        }
    })?;
    Ok((store, data_dir))
}

async fn serve(config: Config) -> anyhow::Result<()> {
    tracing::info!(?config, "starting");
    let (store, data_dir) = open_store(&config, true).await?;
    let clock = Arc::new(SystemClock);
    let admin_password = config.admin_password()?;
    let boot = ensure_root(&store, admin_password.as_deref(), clock.now()).await?;
    let root_org = match &boot {
        Bootstrap::Existing { root_org } | Bootstrap::Created { root_org, .. } => *root_org,
    };
    let settings = ServerSettings {
        max_body_bytes: config.max_body_bytes,
        session_ttl: Duration::from_secs(config.session_ttl_hours.saturating_mul(3600)),
        secure_cookies: config.cookies_secure(),
        trusted_proxies: config.trusted_proxies.clone(),
    };
    let app_settings = AppSettings {
        login_free_attempts: config.login_free_attempts,
        files_dir: data_dir.join("files"),
        sigma_pipelines: firebreak_detect::pipeline::load(&config.sigma_pipelines)
            .map_err(|e| anyhow::anyhow!("sigma_pipelines: {e}"))?,
        audit_checkpoints: data_dir.join(firebreak_app::checkpoints::FILE_NAME),
        audit_checkpoint_every: time::Duration::minutes(
            i64::try_from(config.audit_checkpoint_minutes.max(1)).unwrap_or(i64::MAX),
        ),
        max_file_bytes: config.max_file_bytes,
        max_org_storage_bytes: config.max_org_storage_bytes,
    };
    let store = Arc::new(store);
    let state = AppState::new(App::new(store.clone(), clock, app_settings, root_org), settings);
    firebreak_app::checkpoints::anchor_unsigned_heads(&state)
        .await
        .map_err(|e| anyhow::anyhow!("signing the audit chain heads: {}", e.body().message))?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, database = store.backend().name(), data_dir = %data_dir.display(), "listening");
    {
        // The URL and the one-time password go to the terminal, never to the log.
        let mut out = std::io::stdout().lock();
        writeln!(out, "Firebreak is running at http://{addr}/")?;
        writeln!(out, "Data folder: {} (other commands run from here, or take --data-dir)", data_dir.display())?;
        match &boot {
            Bootstrap::Created { generated_password: Some(pw), .. } => {
                writeln!(out, "First start: sign in as `admin` with this one-time password (it is not shown again):")?;
                writeln!(out, "    {pw}")?;
            }
            Bootstrap::Created { generated_password: None, .. } => {
                writeln!(out, "First start: sign in as `admin` with the password you configured.")?;
            }
            Bootstrap::Existing { .. } => {}
        }
        out.flush()?;
    }
    // Background jobs (SLA sweep, webhook deliveries) until shutdown.
    let (stop_jobs, stop_rx) = tokio::sync::watch::channel(false);
    let jobs = tokio::spawn(firebreak_app::jobs::run(
        state.app.clone(),
        Duration::from_secs(config.jobs_interval_secs.max(1)),
        stop_rx,
    ));
    firebreak_server::serve(listener, state.clone(), shutdown_signal()).await?;
    let _ = stop_jobs.send(true);
    let _ = jobs.await;
    // The last checkpoint records the chains as this node leaves them.
    if let Err(e) = firebreak_app::checkpoints::write(&state).await {
        tracing::warn!(error = ?e.body().message, "the audit checkpoint at shutdown failed");
    }
    tracing::info!("in-flight requests finished; closing the database");
    store.close().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}

async fn report(
    config: Config,
    from: &str,
    to: &str,
    org: Option<String>,
    format: ReportFormat,
    output: Option<std::path::PathBuf>,
) -> anyhow::Result<ExitCode> {
    let day = |s: &str, what: &str| {
        time::Date::parse(s.trim(), time::macros::format_description!("[year]-[month]-[day]"))
            .with_context(|| format!("--{what} must be a day written YYYY-MM-DD, not {s:?}"))
    };
    let (first, last) = (day(from, "from")?, day(to, "to")?);
    anyhow::ensure!(first <= last, "--from ({first}) must not be after --to ({last})");
    let start = first.midnight().assume_utc();
    let end = (last + time::Duration::days(1)).midnight().assume_utc();
    let (state, store) = offline_state(&config).await?;
    let org = pick_org(&state, &store, org).await?;
    let built = firebreak_server::report::build(&state, org, start, end).await;
    store.close().await;
    let report = built.map_err(|e| anyhow::anyhow!(e.body().message))?;
    let write = |bytes: &[u8], output: Option<&Path>| -> anyhow::Result<()> {
        match output {
            Some(path) => std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display())),
            None => Ok(std::io::stdout().lock().write_all(bytes)?),
        }
    };
    match format {
        ReportFormat::Html => write(firebreak_server::report::html(&report).as_bytes(), output.as_deref())?,
        ReportFormat::Csv => write(firebreak_server::report::csv(&report).as_bytes(), output.as_deref())?,
        ReportFormat::Pdf => {
            let path = output.unwrap_or_else(|| format!("firebreak-report-{first}-{last}.pdf").into());
            firebreak_server::report::pdf(&firebreak_server::report::html(&report), &path)
                .map_err(|e| anyhow::anyhow!(e))?;
            eprintln!("wrote {}", path.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn audit_verify(config: Config) -> anyhow::Result<ExitCode> {
    let (store, data_dir) = open_store(&config, false).await?;
    let checkpoints = data_dir.join(firebreak_app::checkpoints::FILE_NAME);
    let result = firebreak_app::service::verify_chains(&store, &checkpoints, None).await;
    store.close().await;
    let result = result?;
    let mut out = std::io::stdout().lock();
    let compared = match result.last_checkpoint_at {
        Some(at) => format!("{} signed checkpoints, the last of {at}", result.checkpoints),
        None => "no signed checkpoint yet".to_owned(),
    };
    if result.ok {
        writeln!(out, "audit log intact: {} entries verified, heads signed; compared with {compared}", result.checked)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(out, "audit log BROKEN:")?;
    for p in &result.problems {
        let org = p.org_id.map(|o| format!(" in organisation {o}")).unwrap_or_default();
        let at = match (p.kind, p.seq) {
            (firebreak_types::AuditProblemKind::CheckpointInvalid, _) | (_, None) => String::new(),
            (_, Some(seq)) => format!(" at entry {seq}"),
        };
        let kind = match p.kind {
            firebreak_types::AuditProblemKind::HeadNotAnchored => "not anchored".to_owned(),
            other => other.as_str().replace('_', " "),
        };
        writeln!(out, "  {kind}{org}{at}: {}", p.reason)?;
    }
    writeln!(out, "({} entries verified; compared with {compared})", result.checked)?;
    Ok(ExitCode::from(2))
}

/// The application for offline commands: the store, the system clock, the root organisation.
async fn offline_state(config: &Config) -> anyhow::Result<(App, Arc<SqlStore>)> {
    let (store, data_dir) = open_store(config, false).await?;
    let root = store.root_org().await?.context("the database has no organisation yet; start the server once")?;
    let settings = AppSettings {
        files_dir: data_dir.join("files"),
        audit_checkpoints: data_dir.join(firebreak_app::checkpoints::FILE_NAME),
        ..AppSettings::default()
    };
    let store = Arc::new(store);
    Ok((App::new(store.clone(), Arc::new(SystemClock), settings, root), store))
}

/// The organisation named (by name or id), or the root one.
async fn pick_org(app: &App, store: &SqlStore, org: Option<String>) -> anyhow::Result<uuid::Uuid> {
    let Some(wanted) = org else { return Ok(app.root_org()) };
    for id in store.audit_orgs().await? {
        if let Some(o) = store.get_org(id).await?
            && (o.name.eq_ignore_ascii_case(wanted.trim()) || o.id.to_string() == wanted.trim())
        {
            return Ok(o.id);
        }
    }
    anyhow::bail!("no organisation named {wanted:?}")
}

async fn assets_import(config: Config, org: Option<String>, file: &Path) -> anyhow::Result<ExitCode> {
    let data = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let (state, store) = offline_state(&config).await?;
    let org = pick_org(&state, &store, org).await?;
    let bar = indicatif::ProgressBar::new(data.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} importing [{bar:40}] {bytes}/{total_bytes} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let ctx = firebreak_store::WriteCtx { actor: firebreak_store::Actor::System, now: state.now() };
    let report = firebreak_app::assets::import_csv(&state, &ctx, org, &data, |pos| bar.set_position(pos)).await;
    bar.finish_and_clear();
    store.close().await;
    let report = report.map_err(|e| anyhow::anyhow!(e.body().message))?;
    let mut out = std::io::stdout().lock();
    for line in &report.lines {
        writeln!(out, "line {}: {}", line.line, line.reason.as_deref().unwrap_or(&line.outcome))?;
    }
    writeln!(out, "{} created, {} updated, {} rejected", report.created, report.updated, report.rejected)?;
    if report.contacts_created > 0 {
        writeln!(out, "{} contacts made from the file", report.contacts_created)?;
    }
    Ok(if report.rejected == 0 { ExitCode::SUCCESS } else { ExitCode::from(2) })
}

async fn assets_export(config: Config, org: Option<String>, output: Option<&Path>) -> anyhow::Result<ExitCode> {
    let (state, store) = offline_state(&config).await?;
    let org = pick_org(&state, &store, org).await?;
    let csv = firebreak_app::assets::export_csv(&state, org).await;
    store.close().await;
    let csv = csv.map_err(|e| anyhow::anyhow!(e.body().message))?;
    match output {
        Some(path) => std::fs::write(path, csv).with_context(|| format!("writing {}", path.display()))?,
        None => std::io::stdout().lock().write_all(csv.as_bytes())?,
    }
    Ok(ExitCode::SUCCESS)
}
