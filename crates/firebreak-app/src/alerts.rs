//! The alert queue and what analysts do with an alert: read it and its
//! repeats, take, close (one or many), assign, comment, see its sightings
//! and assets, and escalate it into a case. The domain decides what each
//! action makes of the alert (`firebreak_domain::triage`).

use firebreak_domain::permission::Action;
use firebreak_domain::triage::{self, TriageError};
use firebreak_domain::validate::markdown;
use firebreak_store::ItemQuery;
use firebreak_types::{
    AddAlertObservables, Alert, AlertComment, AlertObservable, AlertQuery, AlertState, AmendAlert, AssignAlert, Case,
    CloseAlert, CreateCase, ErrorCode, EscalateAlert, NewAlertComment, Observable, Page, SourceRef, TimelineEntry,
};
use uuid::Uuid;

use crate::App;
use crate::auth::Caller;
use crate::error::{AppError, AppResult};
pub async fn get_alert(state: &App, caller: &Caller, id: Uuid) -> AppResult<Alert> {
    caller.require(Action::AlertRead)?;
    state.store.get_alert(caller.org_id(), id).await?.ok_or_else(|| AppError::not_found("alert"))
}

pub async fn list_alerts(state: &App, caller: &Caller, q: &AlertQuery) -> AppResult<Page<Alert>> {
    caller.require(Action::AlertRead)?;
    Ok(state.store.list_alerts(caller.org_id(), q).await?)
}

pub async fn repeats(state: &App, caller: &Caller, id: Uuid) -> AppResult<Vec<time::OffsetDateTime>> {
    get_alert(state, caller, id).await?;
    Ok(state.store.alert_repeats(caller.org_id(), id).await?)
}

/// A refused triage action as an API error naming the field.
fn refused(e: TriageError) -> AppError {
    let code = match e {
        TriageError::NotOpen(_) => ErrorCode::InvalidState,
        TriageError::NeedsReason => ErrorCode::InvalidField,
    };
    AppError::field(code, e.field(), e.to_string())
}

/// Stores a triage action decided at `now` (the request's one time).
async fn triage(
    state: &App,
    caller: &Caller,
    now: time::OffsetDateTime,
    before: &Alert,
    after: Alert,
    action: &str,
) -> AppResult<Alert> {
    triage_at(state, &firebreak_store::WriteCtx { actor: caller.actor(), now }, before, after, action).await
}

async fn triage_at(
    state: &App,
    ctx: &firebreak_store::WriteCtx,
    before: &Alert,
    after: Alert,
    action: &str,
) -> AppResult<Alert> {
    let a = state.store.triage_alert(ctx, before, &after, action).await?;
    state.live.publish(a.org_id, "alert.updated", a.id);
    Ok(a)
}

/// Takes the alert into triage: the caller owns it, and the first take is
/// its acknowledge time.
pub async fn take(state: &App, caller: &Caller, id: Uuid) -> AppResult<Alert> {
    caller.require(Action::AlertTriage)?;
    let before = get_alert(state, caller, id).await?;
    let taker = match &caller.principal {
        crate::auth::Principal::User(u) => Some(u.id),
        crate::auth::Principal::ApiKey(_) => None,
    };
    let now = state.clock.now();
    let after = triage::take(&before, taker, now).map_err(refused)?;
    triage(state, caller, now, &before, after, "take").await
}

pub async fn close(state: &App, caller: &Caller, id: Uuid, req: CloseAlert) -> AppResult<Alert> {
    caller.require(Action::AlertTriage)?;
    let reason = req.reason.trim().to_owned();
    if reason.is_empty() {
        return Err(AppError::field(ErrorCode::InvalidField, "reason", "reason is required to close an alert"));
    }
    let before = get_alert(state, caller, id).await?;
    let now = state.clock.now();
    let after = triage::close(&before, req.disposition, &reason, now).map_err(refused)?;
    triage(state, caller, now, &before, after, "close").await
}

/// Escalates into a new case (from a template when given) or into an open
/// case: its observables go with it and the case's timeline says so.
pub async fn escalate(state: &App, caller: &Caller, id: Uuid, req: EscalateAlert) -> AppResult<Case> {
    caller.require(Action::AlertTriage)?;
    caller.require(Action::CaseWrite)?;
    let now = crate::cases::request_time(state);
    let before = get_alert(state, caller, id).await?;
    triage::check_open(&before).map_err(refused)?;
    let case = match req.case_id {
        Some(case_id) => {
            let c = crate::cases::load(state, caller, case_id).await.map_err(|_| {
                AppError::field(ErrorCode::NotFound, "case_id", "case_id must be a case of this organisation")
            })?;
            if !c.state.is_active() {
                return Err(AppError::field(ErrorCode::InvalidField, "case_id", "case_id must be an open case"));
            }
            c
        }
        None => {
            let (impact, urgency) = triage::case_levels([&before]);
            let create = CreateCase {
                title: before.title.clone(),
                description: before.description.clone(),
                severity: Some(before.severity),
                impact: req.impact.unwrap_or(impact),
                urgency: req.urgency.unwrap_or(urgency),
                category: None,
                tlp: before.tlp,
                pap: before.pap,
                tags: before.tags.clone(),
                assignee_id: None,
                tier: firebreak_types::Tier::L1,
                custom_fields: serde_json::Value::Object(serde_json::Map::new()),
                template_id: req.template_id,
            };
            crate::cases::create_case_at(state, caller, create, now).await?
        }
    };
    let ctx = firebreak_store::WriteCtx { actor: caller.actor(), now };
    // The alert's observables join the case (those it does not have yet).
    let existing: Vec<Observable> = crate::items::of_case(state, caller.org_id(), case.id).await?;
    let new: Vec<Observable> = before
        .observables
        .iter()
        .filter(|o| !existing.iter().any(|e| e.kind == o.kind && e.value == o.value))
        .map(|o| Observable {
            id: Uuid::now_v7(),
            case_id: case.id,
            kind: o.kind.clone(),
            value: o.value.clone(),
            ip_class: o
                .value
                .parse::<std::net::IpAddr>()
                .ok()
                .map(|ip| firebreak_domain::observable::classify(ip).as_str().to_owned()),
            tlp: before.tlp,
            ioc: false,
            tags: Vec::new(),
            description: format!("From alert {} ({})", before.source_ref, before.source),
            created_at: now,
        })
        .collect();
    if !new.is_empty() {
        crate::items::create_all(state, &ctx, caller.org_id(), new).await?;
    }
    // The files attached to the alert become the case's evidence.
    crate::alert_attachments::into_case(state, caller, &ctx, &before, case.id).await?;
    let entry = TimelineEntry {
        id: Uuid::now_v7(),
        case_id: case.id,
        at: before.event_time,
        description: format!("Alert from {}: {}", before.source, before.title),
        tactic: None,
        technique: None,
        asset: None,
        source: Some(SourceRef { kind: "alert".into(), id: Some(before.id) }),
        automatic: true,
        author: caller.name().to_owned(),
    };
    crate::items::create(state, &ctx, caller.org_id(), entry).await?;
    let after = triage::escalate(&before, case.id, now).map_err(refused)?;
    triage_at(state, &ctx, &before, after, "escalate").await?;
    // The case was detected by its earliest alert, and raised from the first one's source.
    let current = crate::cases::load(state, caller, case.id).await?;
    let mut dated = current.clone();
    dated.detected_at = Some(current.detected_at.map_or(before.event_time, |d| d.min(before.event_time)));
    if req.case_id.is_none() {
        dated.source = Some(before.source.clone());
    }
    if dated != current {
        dated.updated_at = now;
        state.store.update_case(&ctx, &current, &dated).await?;
    }
    state.live.publish(caller.org_id(), "case.updated", case.id);
    crate::cases::get_case(state, caller, case.id).await
}

/// A case's alerts: those escalated or merged into it, and the most recent
/// others seen with its observables.
#[derive(Debug, Clone, Default)]
pub struct CaseAlerts {
    /// Escalated or merged into the case, newest first (at most 200).
    pub own: Vec<Alert>,
    /// How many were escalated or merged into it in all.
    pub own_total: u64,
    /// Outside the case, carrying one of its observables, newest first (at
    /// most [`crate::observables::ALERTS_SEEN`]).
    pub related: Vec<Alert>,
}

/// `observables` are the case's, as [`crate::observables::list_observables`]
/// gave them: the alerts seen with them are those they name, newest first
/// (alert ids are ordered by time), so no index is read twice.
pub async fn case_alerts(
    state: &App,
    caller: &Caller,
    case_id: Uuid,
    observables: &[firebreak_types::ObservableWithSightings],
) -> AppResult<CaseAlerts> {
    crate::cases::load(state, caller, case_id).await?;
    if !caller.may(Action::AlertRead) {
        return Ok(CaseAlerts::default());
    }
    let q = AlertQuery { case_id: Some(case_id), limit: Some(200), total: Some(true), ..AlertQuery::default() };
    let page = state.store.list_alerts(caller.org_id(), &q).await?;
    let mut ids: Vec<Uuid> = observables.iter().flat_map(|o| o.alerts.iter().copied()).collect();
    ids.sort_unstable_by(|a, b| b.cmp(a));
    ids.dedup();
    ids.truncate(crate::observables::ALERTS_SEEN as usize);
    let mut related = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(a) = state.store.get_alert(caller.org_id(), id).await?
            && a.case_id != Some(case_id)
        {
            related.push(a);
        }
    }
    Ok(CaseAlerts { own_total: page.total.unwrap_or(page.items.len() as u64), own: page.items, related })
}

/// Where an alert's observables were seen: other alerts and cases.
pub async fn alert_sightings(
    state: &App,
    caller: &Caller,
    alert: &Alert,
) -> AppResult<Vec<(AlertObservable, Vec<Uuid>, Vec<firebreak_types::Sighting>)>> {
    let probes: Vec<Observable> = alert
        .observables
        .iter()
        .map(|o| Observable {
            id: Uuid::now_v7(),
            case_id: Uuid::nil(),
            kind: o.kind.clone(),
            value: o.value.clone(),
            ip_class: None,
            tlp: alert.tlp,
            ioc: false,
            tags: Vec::new(),
            description: String::new(),
            created_at: alert.first_seen,
        })
        .collect();
    let mut cases = crate::observables::sightings_of(state, caller.org_id(), &probes).await?;
    let mut out = Vec::new();
    for (o, probe) in alert.observables.iter().zip(&probes) {
        let key = crate::items::observable_key(&o.kind, &o.value);
        let others: Vec<Uuid> = state
            .store
            .alerts_with_observable(caller.org_id(), &key, 20)
            .await?
            .into_iter()
            .map(|(id, _)| id)
            .filter(|id| *id != alert.id)
            .collect();
        out.push((o.clone(), others, cases.remove(&probe.id).unwrap_or_default()));
    }
    Ok(out)
}

/// The assets an alert touches, with their owners and contacts.
pub async fn alert_assets(
    state: &App,
    caller: &Caller,
    id: Uuid,
) -> AppResult<Vec<firebreak_types::AssetWithContacts>> {
    let alert = get_alert(state, caller, id).await?;
    let mut out = Vec::new();
    for a in &alert.assets {
        if let Ok(x) = crate::assets::get_asset(state, caller, *a).await {
            out.push(x);
        }
    }
    Ok(out)
}

/// Closes many alerts in one action: those listed, or every open one that
/// matches the filter (say, 500 false positives of one rule, one reason).
pub async fn bulk_close(
    state: &App,
    caller: &Caller,
    req: firebreak_types::BulkClose,
) -> AppResult<firebreak_types::BulkCloseResult> {
    caller.require(Action::AlertTriage)?;
    let reason = req.reason.trim().to_owned();
    if reason.is_empty() {
        return Err(AppError::field(ErrorCode::InvalidField, "reason", "reason is required to close alerts"));
    }
    let filtered = req.source.is_some() || req.rule.is_some() || req.q.is_some() || req.severity.is_some();
    if req.ids.is_empty() != filtered {
        return Err(AppError::field(
            ErrorCode::InvalidField,
            "ids",
            "give either ids or a filter (source, rule, q, severity)",
        ));
    }
    let mut ids = req.ids.clone();
    if filtered {
        for st in [AlertState::New, AlertState::InTriage] {
            let mut offset = 0;
            loop {
                let q = AlertQuery {
                    state: Some(st),
                    source: req.source.clone(),
                    rule: req.rule.clone(),
                    q: req.q.clone(),
                    severity: req.severity,
                    limit: Some(1000),
                    offset: Some(offset),
                    sort: Some("first_seen".into()),
                    ..AlertQuery::default()
                };
                let page = state.store.list_alerts(caller.org_id(), &q).await?;
                let n = page.items.len();
                ids.extend(page.items.into_iter().map(|a| a.id));
                if n < 1000 || ids.len() >= firebreak_domain::intake::MAX_BULK_ITEMS {
                    break;
                }
                offset += 1000;
            }
        }
        ids.truncate(firebreak_domain::intake::MAX_BULK_ITEMS);
    }
    let closed = state.store.close_alerts(&caller.ctx(state), caller.org_id(), &ids, req.disposition, &reason).await?;
    state.live.publish(caller.org_id(), "alert.updated", "bulk");
    Ok(firebreak_types::BulkCloseResult { closed: closed.len(), skipped: ids.len() - closed.len() })
}

/// At most this many alerts in one take, assignment or escalation.
const MAX_SELECTED: usize = 1000;

fn selection(ids: &[Uuid]) -> AppResult<Vec<Uuid>> {
    if ids.is_empty() || ids.len() > MAX_SELECTED {
        return Err(AppError::field(
            ErrorCode::InvalidField,
            "ids",
            format!("ids must list 1 to {MAX_SELECTED} alerts"),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    Ok(ids.iter().copied().filter(|id| seen.insert(*id)).collect())
}

/// Whether a per-alert refusal means "skip it" in a bulk action: an alert
/// gone, or no longer open. Anything else (permissions, the store) stops.
fn skippable(e: &AppError) -> bool {
    matches!(e.code, ErrorCode::NotFound | ErrorCode::InvalidState | ErrorCode::Conflict)
}

/// Takes each listed alert, as [`take`] does one; those not open are skipped.
pub async fn bulk_take(
    state: &App,
    caller: &Caller,
    req: firebreak_types::BulkTake,
) -> AppResult<firebreak_types::BulkTriageResult> {
    caller.require(Action::AlertTriage)?;
    let ids = selection(&req.ids)?;
    let mut done = 0;
    for id in &ids {
        match take(state, caller, *id).await {
            Ok(_) => done += 1,
            Err(e) if skippable(&e) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(firebreak_types::BulkTriageResult { done, skipped: ids.len() - done })
}

/// Gives each listed alert to one analyst (or to nobody), as [`assign`]
/// does one; those not open are skipped.
pub async fn bulk_assign(
    state: &App,
    caller: &Caller,
    req: firebreak_types::BulkAssign,
) -> AppResult<firebreak_types::BulkTriageResult> {
    caller.require(Action::AlertTriage)?;
    let ids = selection(&req.ids)?;
    if let Some(u) = req.assignee_id {
        crate::service::enabled_user(state, caller.org_id(), "assignee_id", u).await?;
    }
    let mut done = 0;
    for id in &ids {
        match assign(state, caller, *id, AssignAlert { assignee_id: req.assignee_id }).await {
            Ok(_) => done += 1,
            Err(e) if skippable(&e) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(firebreak_types::BulkTriageResult { done, skipped: ids.len() - done })
}

/// Escalates the listed alerts into one case: a new one named after the
/// most severe (the earliest of those), its impact and urgency from all of
/// them, or the open case given. Every listed alert must be open.
pub async fn bulk_escalate(state: &App, caller: &Caller, req: firebreak_types::BulkEscalate) -> AppResult<Case> {
    caller.require(Action::AlertTriage)?;
    caller.require(Action::CaseWrite)?;
    let ids = selection(&req.ids)?;
    let mut open = Vec::with_capacity(ids.len());
    for id in &ids {
        let a = get_alert(state, caller, *id).await.map_err(|_| {
            AppError::field(ErrorCode::NotFound, "ids", format!("alert {id} is not one of this organisation"))
        })?;
        triage::check_open(&a)
            .map_err(|_| AppError::field(ErrorCode::InvalidState, "ids", format!("alert {id} is no longer open")))?;
        open.push(a);
    }
    let into = EscalateAlert { template_id: req.template_id, case_id: req.case_id, ..EscalateAlert::default() };
    let case = escalate_together(state, caller, open.iter().collect(), into).await?;
    crate::cases::get_case(state, caller, case.id).await
}

/// Escalates open alerts as one: into the open case `req.case_id`, or into a
/// new case named by the most severe alert (ties to the earliest), whose
/// impact and urgency follow all of them (the most severe alert, the most
/// critical asset any touches) unless `req` gives them; every other alert is
/// merged into that case.
pub(crate) async fn escalate_together(
    state: &App,
    caller: &Caller,
    mut open: Vec<&Alert>,
    req: EscalateAlert,
) -> AppResult<Case> {
    open.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.event_time.cmp(&b.event_time)));
    let Some((lead, rest)) = open.split_first() else { return Err(AppError::internal()) };
    let (impact, urgency) = triage::case_levels(open.iter().copied());
    let first = EscalateAlert { impact: req.impact.or(Some(impact)), urgency: req.urgency.or(Some(urgency)), ..req };
    let case = escalate(state, caller, lead.id, first).await?;
    for a in rest {
        escalate(state, caller, a.id, EscalateAlert { case_id: Some(case.id), ..EscalateAlert::default() }).await?;
    }
    Ok(case)
}

// ---------------------------------------------------------------------------
// Amendment

/// Changes what the alert says (title, description, severity, tags, TLP,
/// PAP, custom fields), each checked as intake checks it; the severity sets
/// the triage rank again, its asset bonus kept. The event as the sender sent
/// it stays, and a repeat is still counted on the alert. A request that
/// changes nothing writes nothing.
pub async fn amend(state: &App, caller: &Caller, id: Uuid, req: AmendAlert) -> AppResult<Alert> {
    caller.require(Action::AlertTriage)?;
    let before = get_alert(state, caller, id).await?;
    let mut after = before.clone();
    if let Some(t) = &req.title {
        after.title = firebreak_domain::validate::Title::parse("title", t)?.into_inner();
    }
    if let Some(d) = &req.description {
        after.description = markdown("description", d)?;
    }
    if let Some(t) = &req.tags {
        after.tags = firebreak_domain::validate::tags("tags", t)?;
    }
    if let Some(s) = req.severity {
        let bump = before.triage_rank - triage::triage_rank(before.severity, 0);
        after.severity = s;
        after.triage_rank = triage::triage_rank(s, bump);
    }
    if let Some(t) = req.tlp {
        after.tlp = t;
    }
    if let Some(p) = req.pap {
        after.pap = p;
    }
    if let Some(f) = req.custom_fields {
        if !f.is_object() {
            return Err(AppError::field(
                ErrorCode::InvalidField,
                "custom_fields",
                "custom_fields must be a JSON object",
            ));
        }
        after.custom_fields = f;
    }
    if after == before {
        return Ok(before);
    }
    let a = state.store.amend_alert(&caller.ctx(state), &before, &after).await?;
    state.live.publish(a.org_id, "alert.updated", a.id);
    Ok(a)
}

// ---------------------------------------------------------------------------
// Observables added after intake

/// Adds observables to an open alert (new or in triage), each read and
/// normalised as intake reads them; those the alert already has are left
/// out, so its list stays one of each. Returns the alert and those added (a
/// request adding nothing new writes nothing). The observables added go
/// into the alert sightings index intake writes, so the alerts and cases
/// that share one find the alert. A closed or escalated alert is a record
/// of its triage: add to its case instead.
///
/// The alert's assets and story, matched at intake, are not matched again.
/// Joining a story late is not safe from here: each entity's current story
/// and its stop-word count are intake's, kept by its writer (SQLite's in
/// the writer's memory, rebuilt by replaying alerts in the order they were
/// stored; PostgreSQL's in `group_entities` rows that intake locks). A join
/// written beside a batch in flight would let that batch put the next
/// alert carrying the value in another story, and the memory, rebuilt,
/// would replay the join as if made at intake. It belongs in the writer,
/// as a job of its own.
pub async fn add_observables(
    state: &App,
    caller: &Caller,
    id: Uuid,
    req: AddAlertObservables,
) -> AppResult<(Alert, Vec<AlertObservable>)> {
    caller.require(Action::AlertTriage)?;
    let before = get_alert(state, caller, id).await?;
    if matches!(before.state, AlertState::Closed | AlertState::Escalated) {
        let state_name = if before.state == AlertState::Closed { "closed" } else { "escalated" };
        return Err(AppError::new(
            ErrorCode::InvalidState,
            format!("the alert is {state_name}: observables are added to an open alert, or to its case"),
        ));
    }
    let added = firebreak_domain::intake::more_observables(&before.observables, &req.observables)
        .map_err(|r| AppError::field(ErrorCode::InvalidField, r.field.unwrap_or_default(), r.reason))?;
    if added.is_empty() {
        return Ok((before, added));
    }
    let ctx = caller.ctx(state);
    let a = state.store.add_alert_observables(&ctx, &before, &added).await?;
    observables_added(state, &ctx, &a, &added).await;
    state.live.publish(a.org_id, "alert.updated", a.id);
    Ok((a, added))
}

/// Queues `observable.created` for observables added to an alert, after the
/// alert's change committed (as intake queues `alert.created`): a failure to
/// queue them is logged, not answered.
async fn observables_added(state: &App, ctx: &firebreak_store::WriteCtx, a: &Alert, added: &[AlertObservable]) {
    let mut told = Vec::new();
    for o in added {
        let Some(i) = a.observables.iter().position(|x| x.kind == o.kind && x.value == o.value) else { continue };
        let hive = |_: &crate::thehive::Names| crate::thehive::shape::alert_observable(a, i);
        let event = crate::events::ItemEvent {
            name: "observable.created",
            root: crate::events::Root::Alert(a),
            object_type: "Observable",
            object_id: format!("{}-{i}", a.id),
            object: crate::events::as_json(o),
            hive: &hive,
            before: None,
        };
        match crate::events::item_deliveries(state, &event, ctx.now).await {
            Ok(d) => told.extend(d),
            Err(e) => tracing::error!(error = %e, "could not make the webhook deliveries of an alert's observables"),
        }
    }
    if told.is_empty() {
        return;
    }
    match state.store.create_items(ctx, told).await {
        Ok(_) => crate::events::delivered(state, true),
        Err(e) => tracing::error!(error = %e, "could not queue the webhook deliveries of an alert's observables"),
    }
}

// ---------------------------------------------------------------------------
// Assignment and comments

/// Gives the alert to an analyst (or to nobody); its state does not change.
pub async fn assign(state: &App, caller: &Caller, id: Uuid, req: AssignAlert) -> AppResult<Alert> {
    caller.require(Action::AlertTriage)?;
    if let Some(u) = req.assignee_id {
        crate::service::enabled_user(state, caller.org_id(), "assignee_id", u).await?;
    }
    let before = get_alert(state, caller, id).await?;
    let after = triage::assign(&before, req.assignee_id).map_err(refused)?;
    triage(state, caller, state.clock.now(), &before, after, "assign").await
}

pub async fn comments(state: &App, caller: &Caller, id: Uuid) -> AppResult<Vec<AlertComment>> {
    get_alert(state, caller, id).await?;
    let q = ItemQuery { parent_id: Some(id), ..crate::items::query::<AlertComment>() };
    crate::items::list(state, caller.org_id(), &q).await
}

pub async fn add_comment(state: &App, caller: &Caller, id: Uuid, req: NewAlertComment) -> AppResult<AlertComment> {
    caller.require(Action::AlertTriage)?;
    let body = markdown("body", &req.body)?;
    if body.trim().is_empty() {
        return Err(AppError::field(ErrorCode::InvalidField, "body", "body must not be empty"));
    }
    let alert = get_alert(state, caller, id).await?;
    let ctx = caller.ctx(state);
    let comment = AlertComment {
        id: Uuid::now_v7(),
        alert_id: id,
        author_id: match &caller.principal {
            crate::auth::Principal::User(u) => Some(u.id),
            crate::auth::Principal::ApiKey(_) => None,
        },
        author: caller.name().to_owned(),
        body,
        created_at: ctx.now,
    };
    let hive = |_: &crate::thehive::Names| crate::thehive::shape::alert_comment(&comment);
    let event = crate::events::ItemEvent {
        name: "comment.created",
        root: crate::events::Root::Alert(&alert),
        object_type: "Comment",
        object_id: comment.id.to_string(),
        object: crate::events::as_json(&comment),
        hive: &hive,
        before: None,
    };
    let told = crate::events::item_deliveries(state, &event, ctx.now).await?;
    let sent = !told.is_empty();
    let c = crate::items::create_with(state, &ctx, caller.org_id(), comment.clone(), told).await?;
    crate::events::delivered(state, sent);
    state.live.publish(caller.org_id(), "alert.updated", id);
    Ok(c)
}
