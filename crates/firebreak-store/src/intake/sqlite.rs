//! SQLite intake: a thread of its own carries out the intake plan (see
//! `plan`) for the alert batches, on a connection of its own, through
//! `rusqlite`.
//!
//! SQLite takes one writer at a time, so intake is as fast as this one
//! thread. Through sqlx, every statement was a message to the driver's
//! worker thread and back, with its arguments converted on the way, and a
//! thousand alerts took a few multi-row statements built and parsed afresh;
//! here the statements are prepared once and each row is bound and stepped
//! where it is, with nothing to wait for between them. The writer's work is
//! the plan's, alert for alert: the same rows, the same audit entry per
//! batch, the same answers as PostgreSQL's (see `postgres`).
//!
//! Group commit: the batches that arrived while a transaction ran are stored
//! by the next one together (should one fail, they are stored again each in
//! a transaction of its own, so that it alone gets its error), and answered
//! once that transaction is committed and the log that holds it is on disk,
//! never before. The flush to disk is a thread's of its own (`Syncer`), so that
//! the writer goes on with the next transaction meanwhile.
//!
//! The writer takes its turn from the store's pool of one writing
//! connection, which it holds, unused, while its transaction runs: the
//! store's other writes queue behind intake in that pool, in turn, instead
//! of racing it for SQLite's lock.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use firebreak_domain::audit::AuditKey;
use firebreak_domain::clock::to_millis;
use firebreak_types::Alert;
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use super::plan::{Collapsed, FastMap, Rules, assign_stories, hourly_counts, key_of, story_totals};
use super::story_memory::{StoredAlert, StoryMemory, entity_hash, keys_blob, stored_keys};
use super::{COUNTS_UPSERT, STORY_UPSERT, audit_entry};
use crate::audit::{ENTRY_INSERT, HEAD_NEXT, HEAD_SET, HEAD_START, next_entry};
use crate::idempotency::{Idempotency, Intake};
use crate::rows::{ALERT_COLS, N_COLS, STORY_COL, Val, alert_row, sighting_term};
use crate::{Grouping, Result, StoreError, WriteCtx};

/// What the writer stores of a batch. The sender keeps a share of it until
/// answered, so that it is freed on the sender's task, not on the writer's
/// thread, where every moment counts.
pub(crate) struct Prepared {
    alerts: Vec<Alert>,
    /// Each alert's row, its story left empty, and its sightings' terms.
    rows: Vec<([Val; N_COLS], String)>,
    /// The organisation's grouping rules, when it groups alerts.
    rules: Option<Rules>,
    /// Each alert's grouping entities, hashed as the story memory keeps them.
    entities: Vec<Vec<u64>>,
    /// Those hashes once each, sorted.
    all_entities: Vec<u64>,
}

/// A batch of alerts waiting for the writer, and where its answer goes.
pub(crate) struct Batch {
    ctx: WriteCtx,
    org: Uuid,
    work: Arc<Prepared>,
    /// The request's idempotency key, when it gave one.
    once: Option<Idempotency>,
    done: tokio::sync::oneshot::Sender<Result<Intake>>,
}

impl Batch {
    /// A batch with its rows and terms made ready by the sender's task, so
    /// that the writer's thread, intake's bottleneck, only stores them; and
    /// the sender's share of it, to hold until answered.
    pub(crate) fn new(
        ctx: WriteCtx,
        org: Uuid,
        alerts: Vec<Alert>,
        grouping: Option<Grouping>,
        once: Option<Idempotency>,
        done: tokio::sync::oneshot::Sender<Result<Intake>>,
    ) -> (Batch, Arc<Prepared>) {
        let entities: Vec<Vec<u64>> = grouping
            .as_ref()
            .map(|g| g.entities.iter().map(|es| es.iter().map(|e| entity_hash(e)).collect()).collect())
            .unwrap_or_default();
        let rows = alerts
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let keys = entities.get(i).map_or(Val::Null, |hs| Val::Blob(keys_blob(hs)));
                let terms: Vec<String> =
                    a.observables.iter().map(|o| sighting_term(&format!("{}:{}", o.kind, o.value))).collect();
                (alert_row(a, None, keys), terms.join(" "))
            })
            .collect();
        let mut all_entities: Vec<u64> = entities.iter().flatten().copied().collect();
        all_entities.sort_unstable();
        all_entities.dedup();
        let rules = grouping.map(|g| Rules { window_ms: g.window_ms, stop_words: g.stop_words });
        let work = Arc::new(Prepared { alerts, rows, rules, entities, all_entities });
        (Batch { ctx, org, work: work.clone(), once, done }, work)
    }
}

/// The most alerts one transaction takes from waiting batches.
const GROUP_ALERTS: usize = 8_000;

/// Opens the writer's connection to the database file at `path`, set as
/// the pool's writer is (see `sql::sqlite_pragmas`), but for when the log
/// is flushed to disk: by [`Syncer`] if it could open the log (`synced`),
/// else by SQLite at each commit.
fn open(path: &Path, synced: bool) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; \
         PRAGMA busy_timeout = 10000; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -65536; \
         PRAGMA wal_autocheckpoint = 16000;",
    )?;
    // NORMAL: SQLite still syncs the log before each checkpoint and the
    // database after it; only the sync at commit is the syncer's.
    conn.execute_batch(if synced { "PRAGMA synchronous = NORMAL" } else { "PRAGMA synchronous = FULL" })?;
    conn.set_prepared_statement_cache_capacity(32);
    Ok(conn)
}

/// Answers waiting for the write-ahead log to reach the disk.
type Answers = Vec<(tokio::sync::oneshot::Sender<Result<Intake>>, Result<Intake>)>;

/// Flushes the write-ahead log to disk and only then answers the batches
/// committed to it, on a thread of its own: while it waits for the disk
/// (a third of the writer's time when the writer waited itself), the writer
/// stores the next batches. One flush answers every transaction committed
/// before it began, as SQLite's own sync at commit would have, so nothing
/// is acknowledged before it would survive a power cut.
struct Syncer {
    wal: PathBuf,
    file: std::fs::File,
}

impl Syncer {
    /// The syncer of the log beside the database at `path`, if it is there
    /// to open (it is while a connection is open in WAL mode).
    fn open(path: &Path) -> Option<Syncer> {
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        let wal = PathBuf::from(wal);
        let file = std::fs::File::open(&wal).ok()?;
        Some(Syncer { wal, file })
    }

    /// Flushes the log. Should the file have been replaced (the log is
    /// removed when the last connection closes), the new one is opened
    /// first: a flush of the old would say nothing of the new.
    fn sync(&mut self) -> std::io::Result<()> {
        use std::os::unix::fs::MetadataExt;
        let now = std::fs::metadata(&self.wal)?;
        let held = self.file.metadata()?;
        if (now.dev(), now.ino()) != (held.dev(), held.ino()) {
            self.file = std::fs::File::open(&self.wal)?;
        }
        self.file.sync_data()
    }

    /// Runs until the writer is gone: each round takes every answer waiting,
    /// flushes once, then answers them.
    fn run(mut self, waiting: std::sync::mpsc::Receiver<Answers>) {
        while let Ok(mut answers) = waiting.recv() {
            while let Ok(more) = waiting.try_recv() {
                answers.extend(more);
            }
            let synced = self.sync();
            for (done, answer) in answers {
                let answer = match (&synced, answer) {
                    (Err(e), Ok(_)) => Err(unavailable(&format!("the batch could not be flushed to disk: {e}"))),
                    (_, answer) => answer,
                };
                // A sender that gave up waiting is no longer listening.
                let _ = done.send(answer);
            }
        }
    }
}

/// Starts the writer on the database file at `path`; `turn` is the store's
/// pool of one writing connection. Batches sent go in; the writer stops
/// when every sender is gone.
pub(crate) fn spawn(
    path: &Path,
    turn: sqlx::AnyPool,
    key: AuditKey,
) -> Result<tokio::sync::mpsc::UnboundedSender<Batch>> {
    let syncer = Syncer::open(path);
    let conn = open(path, syncer.is_some())?;
    let runtime = tokio::runtime::Handle::current();
    let (send, mut batches) = tokio::sync::mpsc::unbounded_channel::<Batch>();
    let to_sync = match syncer {
        Some(syncer) => {
            let (to_sync, waiting) = std::sync::mpsc::channel::<Answers>();
            std::thread::Builder::new()
                .name("alert-syncer".into())
                .spawn(move || syncer.run(waiting))
                .map_err(|e| unavailable(&format!("the alert writer could not start: {e}")))?;
            Some(to_sync)
        }
        None => None,
    };
    std::thread::Builder::new()
        .name("alert-writer".into())
        .spawn(move || {
            let mut stories = StoryMemory::default();
            while let Some(first) = batches.blocking_recv() {
                let mut group = vec![first];
                let mut alerts = group[0].work.alerts.len();
                while alerts < GROUP_ALERTS {
                    let Ok(next) = batches.try_recv() else { break };
                    alerts += next.work.alerts.len();
                    group.push(next);
                }
                // Within the runtime: the turn goes back to its pool by a task.
                let answers = runtime.block_on(async {
                    match turn.acquire().await {
                        Ok(_turn) => store_group(&conn, &key, &group, &mut stories),
                        Err(e) => {
                            let reason = format!("the writer could not take its turn: {e}");
                            group.iter().map(|_| Err(unavailable(&reason))).collect()
                        }
                    }
                });
                let answers: Answers = group
                    .into_iter()
                    .zip(answers)
                    .map(|(batch, answer)| {
                        let Batch { work, done, .. } = batch;
                        drop(work);
                        (done, answer)
                    })
                    .collect();
                match &to_sync {
                    Some(to_sync) => {
                        if let Err(unsent) = to_sync.send(answers) {
                            // The syncer is gone: nothing said the log is on disk.
                            for (done, _) in unsent.0 {
                                let _ = done.send(Err(unavailable("the log could not be flushed to disk")));
                            }
                        }
                    }
                    None => {
                        for (done, answer) in answers {
                            let _ = done.send(answer);
                        }
                    }
                }
            }
        })
        .map_err(|e| unavailable(&format!("the alert writer could not start: {e}")))?;
    Ok(send)
}

/// An error that tells the sender nothing was stored and to try again.
fn unavailable(reason: &str) -> StoreError {
    StoreError::Unavailable(reason.to_owned())
}

/// Stores `group` in one transaction; one answer per batch.
///
/// No savepoint guards each batch: SQLite copies every page a savepoint's
/// statements first change, a tenth of the writer's work, to protect
/// against a failure that hardly ever comes. Should a batch fail, the whole
/// transaction is rolled back and the batches are stored again, each in a
/// transaction of its own, so that only the one that failed gets its error.
fn store_group(conn: &Connection, key: &AuditKey, group: &[Batch], stories: &mut StoryMemory) -> Vec<Result<Intake>> {
    match in_one(conn, key, group, stories) {
        Ok(answers) => answers.into_iter().map(Ok).collect(),
        Err(Failure::Batch(e)) if group.len() == 1 => vec![Err(e)],
        Err(Failure::Batch(_)) => group
            .iter()
            .map(|b| match in_one(conn, key, std::slice::from_ref(b), stories) {
                Ok(mut answers) => answers.pop().ok_or(StoreError::NotFound),
                Err(Failure::Batch(e)) => Err(e),
                Err(Failure::Transaction(e)) => Err(not_committed(&e)),
            })
            .collect(),
        // The database could not take the transaction (a full disk, say):
        // every batch in it is answered so, none acknowledged.
        Err(Failure::Transaction(e)) => group.iter().map(|_| Err(not_committed(&e))).collect(),
    }
}

/// Why a transaction stored nothing.
enum Failure {
    /// A batch could not be stored.
    Batch(StoreError),
    /// The transaction could not begin or commit.
    Transaction(rusqlite::Error),
}

fn not_committed(e: &rusqlite::Error) -> StoreError {
    unavailable(&format!("the batch was not committed: {e}"))
}

/// Stores `batches` in one transaction, all or none; should none be
/// stored, the stories are as they were.
fn in_one(
    conn: &Connection,
    key: &AuditKey,
    batches: &[Batch],
    stories: &mut StoryMemory,
) -> std::result::Result<Vec<Intake>, Failure> {
    let start = stories.mark();
    let stored = (|| {
        conn.execute_batch("BEGIN IMMEDIATE").map_err(Failure::Transaction)?;
        // The sightings and story members of the whole transaction go in
        // last, together, as one segment of each full-text index.
        let mut terms = Terms::default();
        let mut answers = Vec::with_capacity(batches.len());
        for b in batches {
            answers.push(ingest(conn, key, b, stories, &mut terms).map_err(Failure::Batch)?);
        }
        {
            let mut sight = conn
                .prepare_cached("INSERT INTO alert_sightings (rowid, keys) VALUES (?1, ?2)")
                .map_err(Failure::Transaction)?;
            for (rowid, keys) in &terms.sightings {
                sight.execute(params![rowid, keys]).map_err(Failure::Transaction)?;
            }
            let mut member = conn
                .prepare_cached("INSERT INTO alert_stories (rowid, story) VALUES (?1, ?2)")
                .map_err(Failure::Transaction)?;
            for (rowid, story) in &terms.stories {
                member.execute(params![rowid, story]).map_err(Failure::Transaction)?;
            }
        }
        conn.execute_batch("COMMIT").map_err(Failure::Transaction)?;
        Ok(answers)
    })();
    match stored {
        Ok(answers) => {
            stories.committed();
            Ok(answers)
        }
        Err(failure) => {
            if !conn.is_autocommit() {
                let _ = conn.execute_batch("ROLLBACK");
            }
            stories.undo_to(start);
            Err(failure)
        }
    }
}

/// What a transaction's new alerts add to the full-text indexes, by row id:
/// their sightings' terms (made by the sender) and their story's.
#[derive(Default)]
struct Terms<'b> {
    sightings: Vec<(i64, &'b str)>,
    stories: Vec<(i64, String)>,
}

/// Carries out the plan of one batch within the open transaction (see
/// [`crate::AlertStore::ingest_alerts`]).
fn ingest<'b>(
    conn: &Connection,
    key: &AuditKey,
    b: &'b Batch,
    stories: &mut StoryMemory,
    terms: &mut Terms<'b>,
) -> Result<Intake> {
    let (org, alerts, rules) = (b.org, &b.work.alerts, b.work.rules);
    let org_text = org.to_string();
    // A key kept already, by an earlier transaction or this one: nothing
    // is stored again.
    if let Some(once) = &b.once
        && let Some(kept) = crate::idempotency::sqlite::kept(conn, &org_text, once)?
    {
        return Ok(Intake::Kept(kept));
    }
    let batch = Collapsed::new(alerts);

    // Which keys are stored already: the unique constraint's index answers,
    // and no one else writes meanwhile.
    let mut find =
        conn.prepare_cached("SELECT rowid, id FROM alerts WHERE org_id = ?1 AND source = ?2 AND source_ref = ?3")?;
    let mut stored: FastMap<(&str, &str), (i64, Uuid)> = FastMap::default();
    for a in &batch.candidates {
        let row = find
            .query_row(params![org_text, a.source, a.source_ref], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
            .optional()?;
        if let Some((rowid, id)) = row {
            let id = Uuid::parse_str(&id).map_err(|e| StoreError::Corrupt(format!("alert id {id:?}: {e}")))?;
            stored.insert(key_of(a), (rowid, id));
        }
    }
    let new = batch.new_alerts(|k| stored.contains_key(&k));

    // Stories, for the new alerts, from the writer's memory.
    let (in_story, changed, org_alerts) = match rules {
        Some(rules) => {
            if !stories.is_loaded(org) {
                let since = to_millis(b.ctx.now).saturating_sub(rules.window_ms.saturating_mul(2));
                stories.fill(org, rules, story_rows(conn, &org_text, since)?);
            }
            stories.set_window(org, rules.window_ms);
            let (current, org_alerts) = stories.current(org, &b.work.all_entities);
            let (in_story, changed, org_alerts) =
                assign_stories(&batch, &new, &b.work.entities, rules, current, org_alerts);
            (in_story, changed, Some(org_alerts))
        }
        None => (vec![None; new.len()], Vec::new(), None),
    };

    // The new alerts and their sightings. No one else writes: every one
    // planned is created.
    let cols: Vec<String> = (1..=N_COLS).map(|i| format!("?{i}")).collect();
    let mut insert =
        conn.prepare_cached(&format!("INSERT INTO alerts ({ALERT_COLS}, group_keys) VALUES ({})", cols.join(", ")))?;
    // Every alert of the batch's keys, by rowid and id: stored before, or now.
    let mut ids: FastMap<(&str, &str), (i64, Uuid)> =
        FastMap::with_capacity_and_hasher(batch.candidates.len(), Default::default());
    for (a, story) in new.iter().zip(&in_story) {
        // A new alert is its key's first occurrence in the batch.
        let at = batch.first_of(a).ok_or(StoreError::NotFound)?;
        let (row, sighted) = b.work.rows.get(at).ok_or(StoreError::NotFound)?;
        let story = story.map_or(Val::Null, |g| Val::Text(g.to_string()));
        let values = row.iter().enumerate().map(|(i, v)| if i == STORY_COL { &story } else { v });
        insert.execute(rusqlite::params_from_iter(values))?;
        let rowid = conn.last_insert_rowid();
        if !sighted.is_empty() {
            terms.sightings.push((rowid, sighted));
        }
        if let Val::Text(g) = &story {
            terms.stories.push((rowid, sighting_term(g)));
        }
        ids.insert(key_of(a), (rowid, a.id));
    }
    let now = to_millis(b.ctx.now);
    if let Some(org_alerts) = org_alerts {
        let members: Vec<(&Alert, Uuid)> = new.iter().zip(&in_story).filter_map(|(a, g)| g.map(|g| (*a, g))).collect();
        let mut upsert = conn.prepare_cached(&format!(
            "INSERT INTO alert_groups (id, org_id, title, severity_rank, alert_count, first_event, last_event, \
             created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) {STORY_UPSERT}"
        ))?;
        for (id, (title, count, rank, first_at, last_at)) in story_totals(&members) {
            upsert.execute(params![id.to_string(), org_text, title, rank, count, first_at, last_at, now])?;
        }
        for (h, state) in &changed {
            stories.set(org, *h, *state);
        }
        stories.set_alerts(org, org_alerts);
    }
    let mut count = conn.prepare_cached(&format!(
        "INSERT INTO alert_counts (org_id, hour, source, rule, severity, alerts) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
         {COUNTS_UPSERT}"
    ))?;
    for ((hour, source, rule, severity), n) in hourly_counts(new.iter().copied()) {
        count.execute(params![org_text, hour, source, rule, severity, n])?;
    }

    // Repeats: of alerts stored before, and of new ones within the batch.
    let created = |a: &Alert| !stored.contains_key(&key_of(a));
    let mut bump = conn.prepare_cached(
        "UPDATE alerts SET occurrences = occurrences + ?1, last_seen = MAX(last_seen, ?2) WHERE rowid = ?3",
    )?;
    let mut repeat = conn.prepare_cached("INSERT INTO alert_repeats (alert_id, seen_at) VALUES (?1, ?2)")?;
    for (key, (n, last)) in batch.repeats(created) {
        let (rowid, id) = stored.get(&key).or_else(|| ids.get(&key)).copied().ok_or(StoreError::NotFound)?;
        bump.execute(params![n, last, rowid])?;
        for _ in 0..n {
            repeat.execute(params![id.to_string(), last])?;
        }
        ids.insert(key, (rowid, id));
    }

    let new_ids: Vec<Uuid> = new.iter().map(|a| a.id).collect();
    let details = batch.audit_details(&new_ids);
    append(conn, key, &b.ctx, org, &audit_entry(&Uuid::now_v7().to_string(), &details))?;
    let out = batch.answers(|a| ids.get(&key_of(a)).map(|(_, id)| *id), created);
    if let Some(once) = &b.once {
        crate::idempotency::sqlite::keep(conn, &org_text, once, &out)?;
    }
    Ok(Intake::Stored(out))
}

/// The alerts of `org` first seen since `since` that intake grouped, in the
/// order they were stored: (story, if any, event time, entity hashes).
/// Repeats join no story, so an alert's first arrival is what the memory
/// knew of it.
fn story_rows(conn: &Connection, org: &str, since: i64) -> Result<Vec<StoredAlert>> {
    let mut q = conn.prepare(
        "SELECT group_id, event_time, group_keys FROM alerts \
         WHERE org_id = ?1 AND first_seen >= ?2 AND group_keys IS NOT NULL \
         ORDER BY rowid",
    )?;
    let rows = q.query_map(params![org, since], |r| {
        Ok((r.get::<_, Option<String>>(0)?, r.get(1)?, stored_keys(r.get_ref(2)?)))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (group, at, keys) = row?;
        let group = group
            .map(|g| Uuid::parse_str(&g).map_err(|e| StoreError::Corrupt(format!("group id {g:?}: {e}"))))
            .transpose()?;
        out.push((group, at, keys));
    }
    Ok(out)
}

/// The batch's audit entry, as `audit::append` writes it, its head signed:
/// one MAC per batch, none per alert.
fn append(conn: &Connection, key: &AuditKey, ctx: &WriteCtx, org: Uuid, entry: &crate::audit::Entry) -> Result<()> {
    let head = conn
        .prepare_cached(HEAD_NEXT)?
        .query_row(params![org.to_string()], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
        .optional()?;
    let next = next_entry(key, ctx, org, head, entry);
    if next.starts {
        conn.prepare_cached(HEAD_START)?.execute(rusqlite::params_from_iter(next.start_values()))?;
    }
    conn.prepare_cached(ENTRY_INSERT)?.execute(rusqlite::params_from_iter(next.entry_values()))?;
    conn.prepare_cached(HEAD_SET)?.execute(rusqlite::params_from_iter(next.head_values()))?;
    Ok(())
}
