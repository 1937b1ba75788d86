//! Detection: an organisation's Sigma rule library (imported, checked,
//! versioned, wrapped as use cases) and the matching of events against its
//! enabled rules, whose matches become alerts through the intake path.

use std::collections::HashMap;
use std::sync::Arc;

use firebreak_detect::event::{flatten, source_of};
use firebreak_detect::{Detector, Library, RuleKind};
use firebreak_domain::permission::Action;
pub use firebreak_store::RuleOutcome;
use firebreak_store::{ItemQuery, WriteCtx};
use firebreak_types::{
    Coverage, CoverageCell, CoverageQuery, CoverageTactic, ErrorCode, EventBulkResult, EventRejection, EventSettings,
    EventSighting, EventSightingQuery, ExceptionKind, ExceptionMatch, ExceptionPreview, NewRuleException, NewRuleTest,
    NewThreatProfile, Page, PreviewAlert, QualityQuery, Rule, RuleException, RuleFile, RuleImport, RuleImportReport,
    RulePatch, RuleProblem, RuleQuality, RuleQuery, RuleRevision, RuleTest, RuleTestResult, ThreatProfile,
    UseCaseStatus,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::App;
use crate::auth::Caller;
use crate::error::{AppError, AppResult};
use crate::intake::{self, Rejection};
use crate::items::{self, Index, Kind};

impl Kind for Rule {
    const KIND: &'static str = "rule";
    const NOUN: &'static str = "rule";
    fn id(&self) -> Uuid {
        self.id
    }
    fn index(&self) -> Index {
        Index {
            key: Some(self.sigma_id.clone()),
            status: Some(if self.enabled { "enabled" } else { "disabled" }.to_owned()),
            at: Some(self.updated_at),
            ..Index::default()
        }
    }
}

impl Kind for RuleRevision {
    const KIND: &'static str = "rule_revision";
    const NOUN: &'static str = "rule revision";
    fn id(&self) -> Uuid {
        self.id
    }
    fn index(&self) -> Index {
        Index { parent_id: Some(self.rule_id), at: Some(self.at), ..Index::default() }
    }
}

impl Kind for RuleException {
    const KIND: &'static str = "rule_exception";
    const NOUN: &'static str = "exception";
    fn id(&self) -> Uuid {
        self.id
    }
    fn index(&self) -> Index {
        Index { parent_id: Some(self.rule_id), at: Some(self.created_at), due_at: self.expires_at, ..Index::default() }
    }
}

/// Correlation state, shared by the requests of one organisation.
pub type SharedCorrelator = Arc<std::sync::Mutex<firebreak_detect::correlate::Correlator>>;

/// A compiled rule set, its correlations, and when the first of its
/// exceptions expires.
#[derive(Clone)]
struct Compiled {
    detector: Arc<Detector>,
    correlator: Option<SharedCorrelator>,
    until: Option<time::OffsetDateTime>,
}

/// Compiled rules per organisation, dropped when its library changes or an
/// exception expires. Correlation windows live here too, so they start
/// afresh when the library changes, and each node keeps its own.
#[derive(Default)]
pub struct Detectors {
    compiled: std::sync::Mutex<HashMap<Uuid, Compiled>>,
    /// When each organisation's old event sightings were last pruned.
    pruned: std::sync::Mutex<HashMap<Uuid, time::OffsetDateTime>>,
}

impl Detectors {
    fn get(&self, org: Uuid, now: time::OffsetDateTime) -> Option<Compiled> {
        self.compiled.lock().ok().and_then(|m| m.get(&org).cloned()).filter(|c| c.until.is_none_or(|u| now < u))
    }
    fn put(&self, org: Uuid, c: Compiled) {
        if let Ok(mut m) = self.compiled.lock() {
            m.insert(org, c);
        }
    }
    fn forget(&self, org: Uuid) {
        if let Ok(mut m) = self.compiled.lock() {
            m.remove(&org);
        }
    }
    /// Whether the organisation's old event sightings are due to be pruned
    /// (at most once an hour per node); marks them pruned.
    fn prune_due(&self, org: Uuid, now: time::OffsetDateTime) -> bool {
        let Ok(mut m) = self.pruned.lock() else { return false };
        match m.get(&org) {
            Some(last) if now - *last < time::Duration::hours(1) => false,
            _ => {
                m.insert(org, now);
                true
            }
        }
    }
}

const EVENT_SETTINGS: &str = "events";

/// The index key of an observable, normalised as alerts and cases store it.
fn sighting_key(kind: &str, value: &str) -> Option<String> {
    let kind: firebreak_domain::observable::ObservableKind = kind.trim().to_lowercase().parse().ok()?;
    let n = firebreak_domain::observable::normalise(kind, value).ok()?;
    Some(items::observable_key(kind.as_str(), &n.value))
}

pub async fn event_settings(state: &App, org: Uuid) -> AppResult<EventSettings> {
    items::setting_or(state, org, EVENT_SETTINGS, EventSettings::default).await
}

pub async fn get_event_settings(state: &App, caller: &Caller) -> AppResult<EventSettings> {
    caller.require(Action::RuleRead)?;
    event_settings(state, caller.org_id()).await
}

pub async fn set_event_settings(state: &App, caller: &Caller, new: EventSettings) -> AppResult<EventSettings> {
    caller.require(Action::OrgSettings)?;
    if !(1..=3660).contains(&new.retention_days) {
        return Err(AppError::field(ErrorCode::InvalidField, "retention_days", "from 1 to 3660 days"));
    }
    items::put_setting(state, &caller.ctx(state), caller.org_id(), EVENT_SETTINGS, &new).await?;
    Ok(new)
}

/// The hosts whose events saw an observable, most recent first: an index
/// look-up however many events are kept.
pub async fn event_sightings(state: &App, caller: &Caller, q: &EventSightingQuery) -> AppResult<Vec<EventSighting>> {
    caller.require(Action::AlertRead)?;
    let settings = event_settings(state, caller.org_id()).await?;
    let days = q.days.unwrap_or(settings.retention_days);
    if !(1..=3660).contains(&days) {
        return Err(AppError::field(ErrorCode::InvalidField, "days", "from 1 to 3660"));
    }
    let key = sighting_key(&q.kind, &q.value)
        .ok_or_else(|| AppError::field(ErrorCode::InvalidField, "value", format!("not a valid {} value", q.kind)))?;
    let since = state.clock.now() - time::Duration::days(days.into());
    Ok(state
        .store
        .event_sightings(caller.org_id(), &key, since)
        .await?
        .into_iter()
        .map(|(host, n, first, last)| EventSighting {
            host,
            events: n.max(0) as u64,
            first_seen: first,
            last_seen: last,
        })
        .collect())
}

async fn all_rules(state: &App, org: Uuid) -> AppResult<Vec<(firebreak_store::Item, Rule)>> {
    let items = state.store.list_items(org, &items::query::<Rule>()).await?;
    items
        .into_iter()
        .map(|i| {
            let r = items::from_item::<Rule>(&i)?;
            Ok((i, r))
        })
        .collect()
}

fn rule_from(c: &firebreak_detect::CheckedRule, now: time::OffsetDateTime, enable: bool) -> Rule {
    let m = &c.meta;
    Rule {
        id: Uuid::now_v7(),
        sigma_id: m.id.clone(),
        kind: c.kind().as_str().to_owned(),
        title: m.title.clone(),
        status: m.status.clone(),
        level: m.level.clone(),
        description: m.description.clone(),
        author: m.author.clone(),
        tags: m.tags.clone(),
        techniques: m.techniques.clone(),
        product: m.product.clone(),
        category: m.category.clone(),
        service: m.service.clone(),
        falsepositives: m.falsepositives.clone(),
        references: m.references.clone(),
        yaml: c.yaml.clone(),
        file: c.file.clone(),
        purpose: String::new(),
        owner: String::new(),
        use_case: UseCaseStatus::Draft,
        enabled: enable,
        revision: 1,
        updated_at: now,
    }
}

/// Imports rule files into `org`'s library: new rules are created, changed
/// ones updated (their earlier text kept as a revision), the same ones left;
/// the files that cannot be used are reported by file, line and reason.
pub async fn import_as(
    state: &App,
    ctx: &WriteCtx,
    org: Uuid,
    files: &[RuleFile],
    enable: bool,
) -> AppResult<RuleImportReport> {
    // A file nested deeper than any rule is refused as a whole before a
    // parser sees it: parsing it would hold a worker for seconds or more.
    let max = firebreak_detect::nesting::MAX_DEPTH;
    for (i, f) in files.iter().enumerate() {
        if let Some((line, depth)) = firebreak_detect::nesting::too_deep(&f.content, max) {
            return Err(AppError::field(
                firebreak_types::ErrorCode::InvalidField,
                format!("files[{i}].content"),
                format!("{} line {line}: nested {depth} levels deep; rules may nest at most {max} levels", f.name),
            ));
        }
    }
    let mut lib = Library::default();
    for f in files {
        lib.add_file(&f.name, &f.content);
    }
    let mut report = RuleImportReport {
        rejected: lib
            .problems
            .iter()
            .map(|p| RuleProblem { file: p.file.clone(), line: p.line, reason: p.reason.clone() })
            .collect(),
        ..RuleImportReport::default()
    };
    let existing: HashMap<String, (firebreak_store::Item, Rule)> =
        all_rules(state, org).await?.into_iter().map(|(i, r)| (r.sigma_id.clone(), (i, r))).collect();
    let who = ctx.actor.name().to_owned();
    let mut new_rules = Vec::new();
    let mut revisions = Vec::new();
    for c in &lib.rules {
        match existing.get(&c.meta.id) {
            Some((_, old)) if old.yaml == c.yaml => report.unchanged += 1,
            Some((item, old)) => {
                let fresh = rule_from(c, ctx.now, old.enabled);
                let updated = Rule {
                    id: old.id,
                    purpose: old.purpose.clone(),
                    owner: old.owner.clone(),
                    use_case: old.use_case,
                    revision: old.revision + 1,
                    ..fresh
                };
                revisions.push(RuleRevision {
                    id: Uuid::now_v7(),
                    rule_id: old.id,
                    revision: updated.revision,
                    yaml: updated.yaml.clone(),
                    changed_by: who.clone(),
                    at: ctx.now,
                });
                items::save(state, ctx, item, updated).await?;
                report.updated += 1;
            }
            None => {
                let r = rule_from(c, ctx.now, enable);
                revisions.push(RuleRevision {
                    id: Uuid::now_v7(),
                    rule_id: r.id,
                    revision: 1,
                    yaml: r.yaml.clone(),
                    changed_by: who.clone(),
                    at: ctx.now,
                });
                new_rules.push(r);
            }
        }
    }
    report.created = new_rules.len();
    // One transaction per kind, in slices that keep each statement small.
    for chunk in new_rules.chunks(500) {
        items::create_all(state, ctx, org, chunk.to_vec()).await?;
    }
    for chunk in revisions.chunks(500) {
        items::create_all(state, ctx, org, chunk.to_vec()).await?;
    }
    state.detectors.forget(org);
    crate::metrics::record_coverage(state, ctx, org).await?;
    Ok(report)
}

pub async fn import(state: &App, caller: &Caller, body: RuleImport) -> AppResult<RuleImportReport> {
    caller.require(Action::RuleManage)?;
    if body.files.is_empty() {
        return Err(AppError::field(firebreak_types::ErrorCode::InvalidField, "files", "no rule file was sent"));
    }
    import_as(state, &caller.ctx(state), caller.org_id(), &body.files, body.enable).await
}

/// What `POST /rules/_import/zip` takes besides the archive.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ZipImportParams {
    /// Enable the new rules at once (default: false, they start as drafts).
    #[serde(default)]
    pub enable: bool,
    /// The archive's file name, as an upload form sends it; rejected
    /// entries are named inside it (`rules.zip/windows/x.yml`).
    pub filename: Option<String>,
}

/// Imports the rule files (`.yml`, `.yaml`) of a zip archive, such as a
/// release of a rule repository. Entries that cannot be read are reported
/// beside the rules that cannot be used; the rest are imported.
pub async fn import_zip(
    state: &App,
    caller: &Caller,
    params: ZipImportParams,
    archive: bytes::Bytes,
) -> AppResult<RuleImportReport> {
    caller.require(Action::RuleManage)?;
    // Inflating is CPU work: off the async workers.
    let (files, unreadable) = tokio::task::spawn_blocking(move || firebreak_detect::rules::zip_rule_files(&archive))
        .await
        .map_err(|_| AppError::internal())?
        .map_err(|e| AppError::field(firebreak_types::ErrorCode::InvalidField, "body", e))?;
    if files.is_empty() && unreadable.is_empty() {
        return Err(AppError::field(
            firebreak_types::ErrorCode::InvalidField,
            "body",
            "the archive holds no .yml or .yaml file",
        ));
    }
    let files: Vec<RuleFile> = files.into_iter().map(|(name, content)| RuleFile { name, content }).collect();
    let mut report = if files.is_empty() {
        RuleImportReport::default()
    } else {
        import_as(state, &caller.ctx(state), caller.org_id(), &files, params.enable).await?
    };
    report.rejected.extend(unreadable.into_iter().map(|p| RuleProblem {
        file: p.file,
        line: p.line,
        reason: p.reason,
    }));
    if let Some(archive) = params.filename.as_deref().filter(|f| !f.is_empty()) {
        for p in &mut report.rejected {
            p.file = format!("{archive}/{}", p.file);
        }
    }
    Ok(report)
}

fn contains_ci(hay: &str, needle: &str) -> bool {
    hay.to_lowercase().contains(needle)
}

fn fits(r: &Rule, q: &RuleQuery) -> bool {
    let eq = |v: &Option<String>, have: &str| v.as_ref().is_none_or(|v| v.eq_ignore_ascii_case(have));
    let text = q.q.as_ref().map(|s| s.to_lowercase());
    let attack = q.attack.as_ref().map(|s| s.to_lowercase());
    text.as_ref().is_none_or(|t| {
        contains_ci(&r.title, t) || contains_ci(&r.description, t) || r.sigma_id.eq_ignore_ascii_case(t)
    }) && eq(&q.status, &r.status)
        && eq(&q.level, &r.level)
        && eq(&q.product, &r.product)
        && eq(&q.category, &r.category)
        && eq(&q.service, &r.service)
        && q.enabled.is_none_or(|e| e == r.enabled)
        && q.use_case.is_none_or(|u| u == r.use_case)
        && attack.as_ref().is_none_or(|a| {
            r.techniques.iter().any(|t| {
                let t = t.to_lowercase();
                t == *a || t.starts_with(&format!("{a}."))
            }) || r
                .tags
                .iter()
                .any(|t| t.strip_prefix("attack.").is_some_and(|x| x.replace('_', "-") == a.replace('_', "-")))
        })
}

/// A page size of 1 to 500, as the document says, rather than one silently changed.
fn page_size(limit: Option<u32>, default: u32) -> AppResult<u32> {
    match limit.unwrap_or(default) {
        n @ 1..=500 => Ok(n),
        n => Err(AppError::field(ErrorCode::InvalidQuery, "limit", format!("limit must be 1 to 500 (got {n})"))),
    }
}

pub async fn list(state: &App, caller: &Caller, q: &RuleQuery) -> AppResult<Page<Rule>> {
    caller.require(Action::RuleRead)?;
    let limit = page_size(q.limit, 50)?;
    let offset = q.offset.unwrap_or(0);
    if offset > i64::MAX as u64 {
        return Err(AppError::field(ErrorCode::InvalidQuery, "offset", "offset must be a smaller number"));
    }
    let all = matching(state, caller.org_id(), q).await?;
    let total = all.len() as u64;
    let items = all.into_iter().skip(offset as usize).take(limit as usize).collect();
    Ok(Page { items, limit, offset, total: Some(total) })
}

/// Every rule matching `q` (its paging aside), by title, for a caller
/// already allowed to read them.
pub async fn matching(state: &App, org: Uuid, q: &RuleQuery) -> AppResult<Vec<Rule>> {
    let mut rules: Vec<Rule> =
        all_rules(state, org).await?.into_iter().map(|(_, r)| r).filter(|r| fits(r, q)).collect();
    rules.sort_by_key(|r| r.title.to_lowercase());
    Ok(rules)
}

pub async fn get(state: &App, caller: &Caller, id: Uuid) -> AppResult<Rule> {
    caller.require(Action::RuleRead)?;
    Ok(items::load::<Rule>(state, caller.org_id(), id).await?.1)
}

pub async fn revisions(state: &App, caller: &Caller, id: Uuid) -> AppResult<Vec<RuleRevision>> {
    caller.require(Action::RuleRead)?;
    items::load::<Rule>(state, caller.org_id(), id).await?;
    let q = ItemQuery { parent_id: Some(id), newest_first: true, ..items::query::<RuleRevision>() };
    items::list(state, caller.org_id(), &q).await
}

pub async fn patch(state: &App, caller: &Caller, id: Uuid, p: RulePatch) -> AppResult<Rule> {
    caller.require(Action::RuleManage)?;
    let ctx = caller.ctx(state);
    let (item, mut rule) = items::load::<Rule>(state, caller.org_id(), id).await?;
    if let Some(e) = p.enabled {
        rule.enabled = e;
    }
    if let Some(u) = p.use_case {
        rule.use_case = u;
        if u == UseCaseStatus::Retired {
            rule.enabled = false;
        }
    }
    if let Some(v) = p.purpose {
        rule.purpose = v;
    }
    if let Some(v) = p.owner {
        rule.owner = v;
    }
    rule.updated_at = ctx.now;
    let rule = items::save(state, &ctx, &item, rule).await?;
    state.detectors.forget(caller.org_id());
    crate::metrics::record_coverage(state, &ctx, caller.org_id()).await?;
    Ok(rule)
}

/// The organisation's enabled rules and correlations, compiled (built once,
/// kept until the library changes or an exception expires).
pub(crate) async fn compiled(state: &App, org: Uuid) -> AppResult<(Arc<Detector>, Option<SharedCorrelator>)> {
    let now = state.clock.now();
    if let Some(c) = state.detectors.get(org, now) {
        return Ok((c.detector, c.correlator));
    }
    let rules = all_rules(state, org).await?;
    // The live exceptions of enabled rules, as Sigma filters.
    let on: std::collections::HashSet<Uuid> = rules.iter().filter(|(_, r)| r.enabled).map(|(_, r)| r.id).collect();
    let exceptions: Vec<RuleException> = items::list(state, org, &items::query::<RuleException>()).await?;
    let live: Vec<&RuleException> = exceptions.iter().filter(|e| on.contains(&e.rule_id) && e.live(now)).collect();
    let until = live.iter().filter_map(|e| e.expires_at).min();
    let filters = filters_of(live);
    let mut lib = Library::default();
    for (_, r) in rules.iter().filter(|(_, r)| r.enabled || r.kind == RuleKind::Filter.as_str()) {
        lib.add_file(&r.file, &r.yaml);
    }
    // A multi-document file brings all of its documents: keep only the
    // enabled detection rules and the filters.
    let enabled: std::collections::HashSet<&str> =
        rules.iter().filter(|(_, r)| r.enabled).map(|(_, r)| r.sigma_id.as_str()).collect();
    lib.rules.retain(|c| c.kind() == RuleKind::Filter || enabled.contains(c.meta.id.as_str()));
    // Correlations need the rules they name, enabled or not.
    let mut whole = Library::default();
    if rules.iter().any(|(_, r)| r.enabled && r.kind == RuleKind::Correlation.as_str()) {
        for (_, r) in &rules {
            whole.add_file(&r.file, &r.yaml);
        }
    }
    let settings = state.settings.clone();
    let (d, correlator, problems) = tokio::task::spawn_blocking(move || {
        let (d, mut problems) = Detector::with_pipelines(&lib.rules, &filters, &settings.sigma_pipelines);
        let (c, more) = firebreak_detect::correlate::Correlator::with_pipelines(
            &lib.rules,
            &whole.rules,
            &settings.sigma_pipelines,
        );
        problems.extend(more);
        (d, c, problems)
    })
    .await
    .map_err(|_| AppError::internal())?;
    for p in problems {
        tracing::warn!(%org, problem = %p, "a stored rule or exception does not apply");
    }
    let compiled =
        Compiled { detector: Arc::new(d), correlator: correlator.map(|c| Arc::new(std::sync::Mutex::new(c))), until };
    state.detectors.put(org, compiled.clone());
    Ok((compiled.detector, compiled.correlator))
}

/// Severity of a Sigma level (`informational` and unknown levels are low).
fn severity(level: &str) -> firebreak_types::Severity {
    firebreak_domain::formats::severity_word(level).unwrap_or(firebreak_types::Severity::Low)
}

/// Observables from the usual Windows and ECS fields of a flattened event.
fn observables(ev: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    let mut add = |kind: &str, v: Option<&Value>| {
        if let Some(s) = v.and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty() && *s != "-") {
            out.push(json!({"type": kind, "value": s}));
        }
    };
    add("hostname", ev.get("Computer").or_else(|| ev.get("host.name")));
    for f in ["User", "TargetUserName", "SubjectUserName", "user.name"] {
        add("user_account", ev.get(f));
    }
    for f in ["IpAddress", "SourceIp", "DestinationIp", "source.ip", "destination.ip"] {
        add("ip", ev.get(f));
    }
    add("domain", ev.get("QueryName"));
    if let Some(h) = ev.get("Hashes").and_then(Value::as_str) {
        for part in h.split(',') {
            match part.split_once('=') {
                Some(("SHA256", v)) => out.push(json!({"type": "sha256", "value": v.to_lowercase()})),
                Some(("SHA1", v)) => out.push(json!({"type": "sha1", "value": v.to_lowercase()})),
                Some(("MD5", v)) => out.push(json!({"type": "md5", "value": v.to_lowercase()})),
                _ => {}
            }
        }
    }
    out
}

/// The alert of a correlation firing: the events behind it are its raw
/// event, and the same events firing again are the same alert.
fn correlation_alert(f: &firebreak_detect::correlate::Firing) -> Value {
    let group: Vec<String> = f.group.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let digest = hex::encode(Sha256::digest(serde_json::to_string(&f.events).unwrap_or_default().as_bytes()));
    let mut obs = Vec::new();
    for e in &f.events {
        obs.extend(observables(e));
    }
    obs.sort_by_key(|o| o.to_string());
    obs.dedup();
    json!({
        "source": "sigma",
        "source_ref": format!("{}:{}", f.rule_id, &digest[..32]),
        "type": "sigma-correlation",
        "rule": f.rule_id,
        "title": if group.is_empty() { f.title.clone() } else { format!("{} ({})", f.title, group.join(", ")) },
        "description": format!("{} {} within {} s ({}).", f.value, f.kind.replace('_', " "), f.window_secs, group.join(", ")),
        "severity": severity(&f.level),
        "tags": f.tags,
        "observables": obs,
        "raw": {"correlation": f.kind, "group": group, "value": f.value, "window_secs": f.window_secs, "events": f.events},
    })
}

/// Matches events against the organisation's enabled rules; each match is
/// sent through alert intake (deduplicated by rule and event, so a re-sent
/// event raises no second alert).
pub async fn match_events(
    state: &App,
    caller: &Caller,
    items: Vec<Result<Value, Rejection>>,
) -> AppResult<EventBulkResult> {
    caller.require(Action::AlertIngest)?;
    let org = caller.org_id();
    let (detector, correlator) = compiled(state, org).await?;
    let now = state.clock.now();
    let mut sightings: Vec<(String, String, i64)> = Vec::new();
    let mut result = EventBulkResult { events: items.len(), ..EventBulkResult::default() };
    let mut alerts = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        let raw = match item {
            Ok(v) if v.is_object() => v,
            Ok(_) => {
                result.rejected.push(EventRejection { index, reason: "not a JSON object".into() });
                continue;
            }
            Err(r) => {
                result.rejected.push(EventRejection { index, reason: r.reason });
                continue;
            }
        };
        let ev = flatten(raw);
        let (time_s, host) = firebreak_detect::hunt::time_and_host(&ev);
        let event_time = time::OffsetDateTime::parse(&time_s, &time::format_description::well_known::Rfc3339).ok();
        let at = firebreak_domain::clock::to_millis(event_time.unwrap_or(now));
        let seen = observables(&ev);
        for o in &seen {
            if let Some(key) = sighting_key(o["type"].as_str().unwrap_or(""), o["value"].as_str().unwrap_or("")) {
                sightings.push((key, host.clone(), at));
            }
        }
        if let Some(c) = &correlator {
            let firings = c.lock().map(|mut c| c.feed(&ev)).unwrap_or_default();
            for f in firings {
                result.matches += 1;
                alerts.push(Ok(correlation_alert(&f).into()));
            }
        }
        let src = source_of(&ev);
        let found = detector.matches(&ev, &src);
        if found.is_empty() {
            continue;
        }
        let digest = hex::encode(Sha256::digest(ev.to_string().as_bytes()));
        for i in found {
            let r = &detector.rules()[i];
            result.matches += 1;
            let mut alert = json!({
                "source": "sigma",
                "source_ref": format!("{}:{}", r.id, &digest[..32]),
                "type": "sigma",
                "rule": r.id,
                "title": if host.is_empty() { r.title.clone() } else { format!("{} on {host}", r.title) },
                "severity": severity(&r.level),
                "tags": r.tags,
                "observables": seen,
                "raw": ev,
            });
            if let Some(t) = event_time {
                alert["event_time"] = json!(t.format(&time::format_description::well_known::Rfc3339).ok());
            }
            alerts.push(Ok(alert.into()));
        }
    }
    state.store.record_event_sightings(org, &sightings).await?;
    if state.detectors.prune_due(org, now) {
        let keep = event_settings(state, org).await?.retention_days;
        state.store.prune_event_sightings(org, now - time::Duration::days(keep.into())).await?;
    }
    if !alerts.is_empty() {
        let answer = intake::ingest_as(state, &caller.ctx(state), org, alerts).await?;
        result.alerts_created = answer.created;
        result.alerts_repeated = answer.duplicates;
    }
    Ok(result)
}

/// Reading stored exception filters back.
mod rsigma_filter {
    pub use firebreak_detect::rsigma_parser::FilterRule;

    pub fn parse(yaml: &str) -> Option<FilterRule> {
        firebreak_detect::rsigma_parser::parse_sigma_yaml(yaml).ok()?.filters.into_iter().next()
    }
}

trait Live {
    /// Whether the exception still applies at `now`.
    fn live(&self, now: time::OffsetDateTime) -> bool;
}

impl Live for RuleException {
    fn live(&self, now: time::OffsetDateTime) -> bool {
        self.expires_at.is_none_or(|t| now < t)
    }
}

/// Exceptions as the Sigma filters the matcher applies.
fn filters_of<'a>(exceptions: impl IntoIterator<Item = &'a RuleException>) -> Vec<rsigma_filter::FilterRule> {
    exceptions.into_iter().filter_map(|e| rsigma_filter::parse(&e.sigma)).collect()
}

/// A stored rule as the matcher reads it on its own: its document and the
/// filter documents written beside it in the same file.
fn checked_alone(rule: &Rule) -> Vec<firebreak_detect::CheckedRule> {
    let mut lib = Library::default();
    lib.add_file(&rule.file, &rule.yaml);
    lib.rules.retain(|c| c.meta.id == rule.sigma_id || c.kind() == RuleKind::Filter);
    lib.rules
}

/// Checks a new exception and writes its Sigma filter; nothing is stored.
fn build_exception(
    caller: &Caller,
    now: time::OffsetDateTime,
    rule: &Rule,
    new: NewRuleException,
) -> AppResult<RuleException> {
    let bad = |field: &str, why: &str| AppError::field(ErrorCode::InvalidField, field, why);
    if rule.kind != RuleKind::Detection.as_str() {
        return Err(bad("rule", "exceptions apply to detection rules"));
    }
    if !firebreak_detect::tuning::valid_field(new.field.trim()) {
        return Err(bad("field", "an event field name: letters, digits, `_`, `.`, `-`"));
    }
    if new.values.is_empty() || new.values.iter().any(|v| v.is_empty()) {
        return Err(bad("values", "one or more values, none empty"));
    }
    if new.reason.trim().is_empty() {
        return Err(bad("reason", "say why the rule should not fire here"));
    }
    if new.expires_at.is_some_and(|t| t <= now) {
        return Err(bad("expires_at", "a time in the future"));
    }
    let id = Uuid::now_v7();
    let (id_s, date) = (id.to_string(), now.date().to_string());
    let sigma = firebreak_detect::tuning::filter_yaml(&firebreak_detect::tuning::Exception {
        id: &id_s,
        rule: &rule.sigma_id,
        product: &rule.product,
        category: &rule.category,
        service: &rule.service,
        field: new.field.trim(),
        modifier: match new.matching {
            ExceptionMatch::Equals => None,
            ExceptionMatch::Contains => Some("contains"),
            ExceptionMatch::Startswith => Some("startswith"),
            ExceptionMatch::Endswith => Some("endswith"),
        },
        values: &new.values,
        exclude: new.kind == ExceptionKind::Exclude,
        reason: new.reason.trim(),
        author: caller.name(),
        date: &date,
    });
    if rsigma_filter::parse(&sigma).is_none() {
        return Err(bad("values", "these values do not make a valid Sigma filter"));
    }
    Ok(RuleException {
        id,
        rule_id: rule.id,
        kind: new.kind,
        field: new.field.trim().to_owned(),
        matching: new.matching,
        values: new.values,
        reason: new.reason.trim().to_owned(),
        author: caller.name().to_owned(),
        created_at: now,
        expires_at: new.expires_at,
        sigma,
    })
}

/// Adds a tuning exception to a detection rule, as a Sigma filter.
pub async fn add_exception(
    state: &App,
    caller: &Caller,
    rule_id: Uuid,
    new: NewRuleException,
) -> AppResult<RuleException> {
    caller.require(Action::RuleManage)?;
    let ctx = caller.ctx(state);
    let org = caller.org_id();
    let (_, rule) = items::load::<Rule>(state, org, rule_id).await?;
    let exception = build_exception(caller, ctx.now, &rule, new)?;
    let exception = items::create(state, &ctx, org, exception).await?;
    state.detectors.forget(org);
    Ok(exception)
}

/// How many of the rule's recent alerts an exception would have
/// suppressed, before it is added.
pub async fn preview_exception(
    state: &App,
    caller: &Caller,
    rule_id: Uuid,
    new: NewRuleException,
) -> AppResult<ExceptionPreview> {
    caller.require(Action::RuleRead)?;
    let org = caller.org_id();
    let (_, rule) = items::load::<Rule>(state, org, rule_id).await?;
    let exception = build_exception(caller, state.clock.now(), &rule, new)?;
    let q = firebreak_types::AlertQuery {
        rule: Some(rule.sigma_id.clone()),
        limit: Some(500),
        ..firebreak_types::AlertQuery::default()
    };
    let alerts = state.store.list_alerts(org, &q).await?.items;
    let filter = rsigma_filter::parse(&exception.sigma).ok_or_else(AppError::internal)?;
    let sigma = exception.sigma.clone();
    let settings = state.settings.clone();
    let (checked, suppressed) = tokio::task::spawn_blocking(move || {
        let alone = checked_alone(&rule);
        let (plain, _) = Detector::with_pipelines(&alone, &[], &settings.sigma_pipelines);
        let (tuned, _) = Detector::with_pipelines(&alone, &[filter], &settings.sigma_pipelines);
        let fires = |d: &Detector, ev: &Value| !d.matches(ev, &source_of(ev)).is_empty();
        let suppressed: Vec<PreviewAlert> = alerts
            .iter()
            .filter(|a| {
                let raw = a.raw.to_value();
                fires(&plain, &raw) && !fires(&tuned, &raw)
            })
            .map(|a| PreviewAlert { id: a.id, title: a.title.clone() })
            .collect();
        (alerts.len() as u64, suppressed)
    })
    .await
    .map_err(|_| AppError::internal())?;
    Ok(ExceptionPreview {
        alerts_checked: checked,
        suppressed: suppressed.len() as u64,
        examples: suppressed.into_iter().take(20).collect(),
        sigma,
    })
}

pub async fn exceptions(state: &App, caller: &Caller, rule_id: Uuid) -> AppResult<Vec<RuleException>> {
    caller.require(Action::RuleRead)?;
    items::load::<Rule>(state, caller.org_id(), rule_id).await?;
    let q = ItemQuery { parent_id: Some(rule_id), ..items::query::<RuleException>() };
    items::list(state, caller.org_id(), &q).await
}

pub async fn delete_exception(state: &App, caller: &Caller, rule_id: Uuid, id: Uuid) -> AppResult<()> {
    caller.require(Action::RuleManage)?;
    let (_, e) = items::load::<RuleException>(state, caller.org_id(), id).await?;
    if e.rule_id != rule_id {
        return Err(AppError::not_found(RuleException::NOUN));
    }
    items::delete::<RuleException>(state, &caller.ctx(state), caller.org_id(), id).await?;
    state.detectors.forget(caller.org_id());
    Ok(())
}

/// A rule's quality from what became of its alerts over `days`: the
/// false-positive rate is false positives / (true + false positives).
/// A rule's outcomes (alerts and how they were closed) per day since `since`.
pub async fn rule_days(
    state: &App,
    caller: &Caller,
    sigma_id: &str,
    since: time::OffsetDateTime,
) -> AppResult<Vec<(i64, firebreak_store::RuleOutcome)>> {
    caller.require(Action::RuleRead)?;
    Ok(state.store.rule_days(caller.org_id(), sigma_id, since).await?)
}

pub fn quality_of(o: firebreak_store::RuleOutcome, title: String, days: u32) -> RuleQuality {
    let judged = o.false_positives + o.true_positives;
    RuleQuality {
        title,
        rule: o.rule,
        alerts: o.alerts.max(0) as u64,
        hits: o.hits.max(0) as u64,
        hits_per_day: o.hits.max(0) as f64 / f64::from(days),
        false_positives: o.false_positives.max(0) as u64,
        true_positives: o.true_positives.max(0) as u64,
        false_positive_rate: (judged > 0).then(|| o.false_positives as f64 / judged as f64),
    }
}

/// The rules that raised alerts in the period, noisiest first: most hits,
/// then the highest false-positive rate.
pub async fn quality(state: &App, caller: &Caller, q: &QualityQuery) -> AppResult<Vec<RuleQuality>> {
    caller.require(Action::RuleRead)?;
    let days = q.days.unwrap_or(30);
    if !(1..=366).contains(&days) {
        return Err(AppError::field(ErrorCode::InvalidField, "days", "from 1 to 366"));
    }
    let since = state.clock.now() - time::Duration::days(days.into());
    let outcomes = state.store.rule_outcomes(caller.org_id(), since).await?;
    let titles: HashMap<String, String> =
        all_rules(state, caller.org_id()).await?.into_iter().map(|(_, r)| (r.sigma_id, r.title)).collect();
    let mut out: Vec<RuleQuality> = outcomes
        .into_iter()
        .map(|o| {
            let title = titles.get(&o.rule).cloned().unwrap_or_else(|| o.rule.clone());
            quality_of(o, title, days)
        })
        .collect();
    out.sort_by(|a, b| {
        b.hits.cmp(&a.hits).then(b.false_positive_rate.unwrap_or(0.0).total_cmp(&a.false_positive_rate.unwrap_or(0.0)))
    });
    out.truncate(page_size(q.limit, 20)? as usize);
    Ok(out)
}

impl Kind for ThreatProfile {
    const KIND: &'static str = "threat_profile";
    const NOUN: &'static str = "threat profile";
    fn id(&self) -> Uuid {
        self.id
    }
    fn index(&self) -> Index {
        Index { key: Some(self.name.to_lowercase()), at: Some(self.created_at), ..Index::default() }
    }
}

/// Creates a threat profile, by hand or from an ATT&CK group.
pub async fn create_profile(state: &App, caller: &Caller, new: NewThreatProfile) -> AppResult<ThreatProfile> {
    caller.require(Action::RuleManage)?;
    let bad = |field: &str, why: String| AppError::field(ErrorCode::InvalidField, field, why);
    let attack = firebreak_domain::attack::attack();
    if new.name.trim().is_empty() {
        return Err(bad("name", "name must not be empty".into()));
    }
    let mut techniques = Vec::new();
    for (i, t) in new.techniques.iter().enumerate() {
        let known = attack.technique(t.trim()).ok_or_else(|| {
            bad(
                &format!("techniques[{i}]"),
                format!("`{t}` is not an ATT&CK Enterprise technique id (T1059, T1059.001)"),
            )
        })?;
        techniques.push(known.id.to_owned());
    }
    let group = match new.group.as_deref().map(str::trim).filter(|g| !g.is_empty()) {
        None => None,
        Some(g) => {
            let found =
                attack
                    .groups
                    .iter()
                    .find(|x| x.id.eq_ignore_ascii_case(g) || x.name.eq_ignore_ascii_case(g))
                    .ok_or_else(|| bad("group", format!("`{g}` is not an ATT&CK group id or name (G0016, APT29)")))?;
            techniques.extend(found.techniques.iter().map(|t| (*t).to_owned()));
            Some(found.id.to_owned())
        }
    };
    techniques.sort();
    techniques.dedup();
    if techniques.is_empty() {
        return Err(bad("techniques", "at least one technique, or a group".into()));
    }
    let ctx = caller.ctx(state);
    let profile = ThreatProfile {
        id: Uuid::now_v7(),
        name: new.name.trim().to_owned(),
        description: new.description,
        group,
        techniques,
        created_at: ctx.now,
    };
    items::create(state, &ctx, caller.org_id(), profile).await
}

pub async fn profiles(state: &App, caller: &Caller) -> AppResult<Vec<ThreatProfile>> {
    caller.require(Action::RuleRead)?;
    items::list(state, caller.org_id(), &items::query::<ThreatProfile>()).await
}

pub async fn get_profile(state: &App, caller: &Caller, id: Uuid) -> AppResult<ThreatProfile> {
    caller.require(Action::RuleRead)?;
    Ok(items::load::<ThreatProfile>(state, caller.org_id(), id).await?.1)
}

pub async fn delete_profile(state: &App, caller: &Caller, id: Uuid) -> AppResult<()> {
    caller.require(Action::RuleManage)?;
    items::delete::<ThreatProfile>(state, &caller.ctx(state), caller.org_id(), id).await
}

/// The parent technique of an id (`T1059.001` → `T1059`).
fn parent(id: &str) -> &str {
    id.split('.').next().unwrap_or(id)
}

/// How a technique is covered: enabled detection rules, those of them in
/// production, and those with at least one test.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TechniqueCover {
    pub rules: u32,
    pub production: u32,
    pub tested: u32,
}

/// Per ATT&CK technique (sub-techniques count for their parent): the enabled
/// detection rules that cover it, in production, and tested.
pub(crate) async fn technique_counts(state: &App, org: Uuid) -> AppResult<HashMap<String, TechniqueCover>> {
    let tests: Vec<RuleTest> = items::list(state, org, &items::query::<RuleTest>()).await?;
    let tested: std::collections::HashSet<Uuid> = tests.iter().map(|t| t.rule_id).collect();
    let mut counts: HashMap<String, TechniqueCover> = HashMap::new();
    for (_, r) in all_rules(state, org).await? {
        if !r.enabled || r.kind != RuleKind::Detection.as_str() {
            continue;
        }
        let mut parents: Vec<&str> = r.techniques.iter().map(|t| parent(t)).collect();
        parents.sort_unstable();
        parents.dedup();
        for t in parents {
            let c = counts.entry(t.to_owned()).or_default();
            c.rules += 1;
            c.production += u32::from(r.use_case == UseCaseStatus::Production);
            c.tested += u32::from(tested.contains(&r.id));
        }
    }
    Ok(counts)
}

/// Every threat profile's techniques that need work: those no enabled rule
/// covers, and those covered only by untested rules. (profile, technique,
/// name, status) with status `uncovered` or `untested`.
pub async fn profile_backlog(state: &App, caller: &Caller) -> AppResult<Vec<(String, String, String, &'static str)>> {
    caller.require(Action::RuleRead)?;
    profile_backlog_of(state, caller.org_id()).await
}

/// As [`profile_backlog`], for an organisation.
pub async fn profile_backlog_of(state: &App, org: Uuid) -> AppResult<Vec<(String, String, String, &'static str)>> {
    let profiles: Vec<ThreatProfile> = items::list(state, org, &items::query::<ThreatProfile>()).await?;
    if profiles.is_empty() {
        return Ok(Vec::new());
    }
    let counts = technique_counts(state, org).await?;
    let attack = firebreak_domain::attack::attack();
    let mut out = Vec::new();
    for p in &profiles {
        let mut wanted: Vec<&str> = p.techniques.iter().map(|t| parent(t)).collect();
        wanted.sort_unstable();
        wanted.dedup();
        for t in wanted {
            let status = match counts.get(t) {
                None => "uncovered",
                Some(c) if c.tested == 0 => "untested",
                Some(_) => continue,
            };
            let name = attack.techniques.iter().find(|x| x.id == t).map_or("", |x| x.name);
            out.push((p.name.clone(), t.to_owned(), name.to_owned(), status));
        }
    }
    Ok(out)
}

pub async fn coverage(state: &App, caller: &Caller, q: &CoverageQuery) -> AppResult<Coverage> {
    caller.require(Action::RuleRead)?;
    let profile = match q.profile {
        Some(id) => Some(items::load::<ThreatProfile>(state, caller.org_id(), id).await?.1),
        None => None,
    };
    let counts = technique_counts(state, caller.org_id()).await?;
    let wanted: std::collections::HashSet<String> =
        profile.iter().flat_map(|p| p.techniques.iter().map(|t| parent(t).to_owned())).collect();
    let attack = firebreak_domain::attack::attack();
    let parents: Vec<&firebreak_domain::attack::Technique> =
        attack.techniques.iter().filter(|t| !t.id.contains('.')).collect();
    let tactics = attack
        .tactics
        .iter()
        .map(|tac| CoverageTactic {
            id: tac.id.to_owned(),
            shortname: tac.shortname.to_owned(),
            name: tac.name.to_owned(),
            techniques: parents
                .iter()
                .filter(|t| t.tactics.contains(&tac.shortname))
                .map(|t| {
                    let c = counts.get(t.id).copied().unwrap_or_default();
                    CoverageCell {
                        id: t.id.to_owned(),
                        name: t.name.to_owned(),
                        rules: c.rules,
                        production: c.production,
                        tested: c.tested,
                        in_profile: wanted.contains(t.id),
                    }
                })
                .collect(),
        })
        .collect();
    let covered = parents.iter().filter(|t| counts.contains_key(t.id)).count();
    let mut uncovered: Vec<String> = wanted.iter().filter(|t| !counts.contains_key(*t)).cloned().collect();
    uncovered.sort();
    Ok(Coverage {
        tactics,
        covered,
        total: parents.len(),
        profile,
        uncovered,
        attribution: firebreak_domain::attack::ATTRIBUTION.to_owned(),
    })
}

impl Kind for RuleTest {
    const KIND: &'static str = "rule_test";
    const NOUN: &'static str = "rule test";
    fn id(&self) -> Uuid {
        self.id
    }
    fn index(&self) -> Index {
        Index {
            parent_id: Some(self.rule_id),
            key: Some(self.name.clone()),
            at: Some(self.created_at),
            ..Index::default()
        }
    }
}

/// Adds sample events to a rule with how many it must match.
pub async fn add_test_as(
    state: &App,
    ctx: &WriteCtx,
    org: Uuid,
    rule_id: Uuid,
    new: NewRuleTest,
) -> AppResult<RuleTest> {
    let bad = |field: &str, why: &str| AppError::field(ErrorCode::InvalidField, field, why);
    items::load::<Rule>(state, org, rule_id).await?;
    if new.name.trim().is_empty() {
        return Err(bad("name", "a name"));
    }
    if new.events.is_empty() {
        return Err(bad("events", "one or more events"));
    }
    if let Some(i) = new.events.iter().position(|e| !e.is_object()) {
        return Err(bad(&format!("events[{i}]"), "an event is a JSON object"));
    }
    if new.expected_matches > new.events.len() as u64 {
        return Err(bad("expected_matches", "at most the number of events"));
    }
    let test = RuleTest {
        id: Uuid::now_v7(),
        rule_id,
        name: new.name.trim().to_owned(),
        events: new.events,
        expected_matches: new.expected_matches,
        at_least: new.at_least,
        author: ctx.actor.name().to_owned(),
        created_at: ctx.now,
    };
    items::create(state, ctx, org, test).await
}

pub async fn add_test(state: &App, caller: &Caller, rule_id: Uuid, new: NewRuleTest) -> AppResult<RuleTest> {
    caller.require(Action::RuleManage)?;
    add_test_as(state, &caller.ctx(state), caller.org_id(), rule_id, new).await
}

pub async fn tests(state: &App, caller: &Caller, rule_id: Uuid) -> AppResult<Vec<RuleTest>> {
    caller.require(Action::RuleRead)?;
    tests_as(state, caller.org_id(), rule_id).await
}

/// A rule's tests, for a caller already allowed to read them.
pub async fn tests_as(state: &App, org: Uuid, rule_id: Uuid) -> AppResult<Vec<RuleTest>> {
    items::load::<Rule>(state, org, rule_id).await?;
    let q = ItemQuery { parent_id: Some(rule_id), ..items::query::<RuleTest>() };
    items::list(state, org, &q).await
}

/// Runs the tests of one rule (or of every rule): each rule as tuned by its
/// live exceptions, whether or not it is enabled.
pub async fn run_tests_as(state: &App, org: Uuid, rule_id: Option<Uuid>) -> AppResult<Vec<RuleTestResult>> {
    let now = state.clock.now();
    let mut q = items::query::<RuleTest>();
    q.parent_id = rule_id;
    let all_tests: Vec<RuleTest> = items::list(state, org, &q).await?;
    let rules: HashMap<Uuid, Rule> = all_rules(state, org).await?.into_iter().map(|(_, r)| (r.id, r)).collect();
    let exceptions: Vec<RuleException> = items::list(state, org, &items::query::<RuleException>()).await?;
    let mut by_rule: HashMap<Uuid, Vec<RuleTest>> = HashMap::new();
    for t in all_tests {
        by_rule.entry(t.rule_id).or_default().push(t);
    }
    let mut work = Vec::new();
    for (rid, tests) in by_rule {
        let Some(rule) = rules.get(&rid).cloned() else { continue };
        let filters = filters_of(exceptions.iter().filter(|e| e.rule_id == rid && e.live(now)));
        work.push((rule, tests, filters));
    }
    let settings = state.settings.clone();
    let mut results = tokio::task::spawn_blocking(move || {
        let mut out = Vec::new();
        for (rule, tests, filters) in work {
            let (detector, _) = Detector::with_pipelines(&checked_alone(&rule), &filters, &settings.sigma_pipelines);
            for t in tests {
                let matches = t
                    .events
                    .iter()
                    .filter(|e| {
                        let ev = flatten((*e).clone());
                        !detector.matches(&ev, &source_of(&ev)).is_empty()
                    })
                    .count() as u64;
                out.push(RuleTestResult {
                    rule_id: rule.id,
                    sigma_id: rule.sigma_id.clone(),
                    title: rule.title.clone(),
                    test_id: t.id,
                    name: t.name,
                    expected_matches: t.expected_matches,
                    at_least: t.at_least,
                    matches,
                    passed: if t.at_least { matches >= t.expected_matches } else { matches == t.expected_matches },
                });
            }
        }
        out
    })
    .await
    .map_err(|_| AppError::internal())?;
    results.sort_by(|a, b| (&a.title, &a.name).cmp(&(&b.title, &b.name)));
    Ok(results)
}

pub async fn run_tests(state: &App, caller: &Caller, rule_id: Option<Uuid>) -> AppResult<Vec<RuleTestResult>> {
    caller.require(Action::RuleRead)?;
    if let Some(id) = rule_id {
        items::load::<Rule>(state, caller.org_id(), id).await?;
    }
    run_tests_as(state, caller.org_id(), rule_id).await
}
