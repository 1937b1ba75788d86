//! Hunting inside a case: an evidence file (EVTX, JSON, NDJSON) read in the
//! background by the organisation's enabled rules; each hit lands on the
//! case timeline with its ATT&CK technique and the event, and the job shows
//! how far it has come.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use firebreak_domain::permission::Action;
use firebreak_store::{ItemQuery, WriteCtx};
use firebreak_types::{HuntJob, HuntStatus, SourceRef, TimelineEntry};
use uuid::Uuid;

use crate::App;
use crate::auth::Caller;
use crate::error::{AppError, AppResult};
use crate::items::{self, Index, Kind};

impl Kind for HuntJob {
    const KIND: &'static str = "hunt_job";
    const NOUN: &'static str = "hunt";
    fn id(&self) -> Uuid {
        self.id
    }
    fn index(&self) -> Index {
        Index {
            case_id: Some(self.case_id),
            parent_id: Some(self.evidence_id),
            status: Some(self.status.as_str().to_owned()),
            at: Some(self.started_at),
            ..Index::default()
        }
    }
}

/// Events read by the hunts running on this node, by job.
#[derive(Default)]
pub struct Progress(std::sync::Mutex<HashMap<Uuid, Arc<AtomicU64>>>);

impl Progress {
    fn start(&self, id: Uuid) -> Arc<AtomicU64> {
        let n = Arc::new(AtomicU64::new(0));
        if let Ok(mut m) = self.0.lock() {
            m.insert(id, n.clone());
        }
        n
    }
    fn read(&self, id: Uuid) -> Option<u64> {
        self.0.lock().ok()?.get(&id).map(|n| n.load(Ordering::Relaxed))
    }
    fn end(&self, id: Uuid) {
        if let Ok(mut m) = self.0.lock() {
            m.remove(&id);
        }
    }
}

/// Hits written to the timeline per hunt; the rest are counted.
const MAX_ENTRIES: usize = 1000;

/// Starts hunting an evidence file of a case; answers at once with the job.
pub async fn start(state: &App, caller: &Caller, case_id: Uuid, evidence_id: Uuid) -> AppResult<HuntJob> {
    // Also checks the case is the caller's to see, and still worked on.
    crate::cases::writable(state, caller, case_id).await?;
    let (_, evidence) = crate::evidence::load(state, caller, case_id, evidence_id).await?;
    let org = caller.org_id();
    let (detector, _) = crate::detection::compiled(state, org).await?;
    if detector.rules().is_empty() {
        return Err(AppError::field(
            firebreak_types::ErrorCode::InvalidState,
            "rules",
            "no rule is enabled in this organisation: enable rules under Detection first",
        ));
    }
    let ctx = caller.ctx(state);
    let job = HuntJob {
        id: Uuid::now_v7(),
        case_id,
        evidence_id,
        filename: evidence.filename.clone(),
        status: HuntStatus::Running,
        events: 0,
        hits: 0,
        skipped: 0,
        warnings: Vec::new(),
        error: None,
        started_by: caller.name().to_owned(),
        started_at: ctx.now,
        finished_at: None,
    };
    let job = items::create(state, &ctx, org, job).await?;
    state.live.publish(org, "case.updated", case_id);
    let path = crate::files::path_of(state, org, evidence_id);
    let counter = state.hunts.start(job.id);
    let (state2, job2) = (state.clone(), job.clone());
    tokio::spawn(async move {
        let name = job2.filename.clone();
        let read = tokio::task::spawn_blocking(move || {
            // Only the hits that go on the timeline are kept; the rest are counted.
            let (mut hits, mut found) = (Vec::new(), 0u64);
            let stats = firebreak_detect::hunt::hunt_file(
                &detector,
                &path,
                false,
                |h| {
                    found += 1;
                    if hits.len() < MAX_ENTRIES {
                        hits.push(h);
                    }
                },
                |n| {
                    counter.fetch_add(n, Ordering::Relaxed);
                },
            );
            (stats.map(|s| (s, found)), hits)
        })
        .await;
        let mut done = job2.clone();
        let ctx = WriteCtx { actor: ctx.actor, now: state2.clock.now() };
        match read {
            Ok((Ok((stats, found)), hits)) => {
                done.status = HuntStatus::Done;
                done.events = stats.events;
                done.skipped = stats.skipped;
                done.warnings = stats.warnings;
                done.hits = found;
                let attack = firebreak_domain::attack::attack();
                let entries: Vec<TimelineEntry> = hits
                    .iter()
                    .map(|h| {
                        let technique = h.techniques.first().cloned();
                        let tactic = technique
                            .as_deref()
                            .and_then(|t| attack.technique(t))
                            .and_then(|t| attack.tactic_of(t))
                            .map(|t| t.id.to_owned());
                        let mut event = h.event.to_string();
                        if event.len() > 600 {
                            let cut = (0..=600).rev().find(|i| event.is_char_boundary(*i)).unwrap_or(0);
                            event.truncate(cut);
                            event.push('…');
                        }
                        TimelineEntry {
                            id: Uuid::now_v7(),
                            case_id,
                            at: time::OffsetDateTime::parse(&h.time, &time::format_description::well_known::Rfc3339)
                                .unwrap_or(ctx.now),
                            description: format!(
                                "{} ({}) on {} — {name} record {}: {event}",
                                h.rule_title, h.level, h.computer, h.record
                            ),
                            tactic,
                            technique,
                            asset: (!h.computer.is_empty()).then(|| h.computer.clone()),
                            source: Some(SourceRef { kind: "evidence".into(), id: Some(job2.evidence_id) }),
                            automatic: true,
                            author: format!("hunt by {}", job2.started_by),
                        }
                    })
                    .collect();
                for chunk in entries.chunks(200) {
                    if let Err(e) = items::create_all(&state2, &ctx, org, chunk.to_vec()).await {
                        done.status = HuntStatus::Failed;
                        done.error = Some(e.body().message.clone());
                        break;
                    }
                }
            }
            Ok((Err(e), _)) => {
                done.status = HuntStatus::Failed;
                done.error = Some(e);
            }
            Err(_) => {
                done.status = HuntStatus::Failed;
                done.error = Some("the hunt stopped unexpectedly".into());
            }
        }
        done.finished_at = Some(ctx.now);
        if let Ok(Some(item)) = state2.store.get_item(org, HuntJob::KIND, done.id).await
            && let Err(e) = items::save(&state2, &ctx, &item, done).await
        {
            tracing::error!(error = ?e.body().message, "a finished hunt could not be recorded");
        }
        state2.hunts.end(job2.id);
        state2.live.publish(org, "case.updated", case_id);
    });
    Ok(job)
}

/// The hunts of a case, newest first, with the live count of running ones.
pub async fn list(state: &App, caller: &Caller, case_id: Uuid) -> AppResult<Vec<HuntJob>> {
    caller.require(Action::CaseRead)?;
    crate::cases::get_case(state, caller, case_id).await?;
    let q = ItemQuery { case_id: Some(case_id), newest_first: true, ..items::query::<HuntJob>() };
    let mut jobs: Vec<HuntJob> = items::list(state, caller.org_id(), &q).await?;
    for j in jobs.iter_mut().filter(|j| j.status == HuntStatus::Running) {
        if let Some(n) = state.hunts.read(j.id) {
            j.events = n;
        }
    }
    Ok(jobs)
}
