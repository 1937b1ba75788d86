//! Alert intake: one alert or a bulk batch (a JSON array or NDJSON), each
//! item checked on its own, the good ones stored in one transaction, every
//! item answered by its index: created, duplicate or rejected (with the
//! field and the reason). An alert is acknowledged only once committed.

use firebreak_domain::formats::{self, Format, Mapped};
use firebreak_domain::grouping::Grouper;
use firebreak_domain::intake::BulkError;
use firebreak_domain::permission::Action;
use firebreak_domain::validate::markdown;
use firebreak_store::Grouping;
use firebreak_store::ItemQuery;
use firebreak_types::{
    Alert, AlertComment, AlertGroup, AlertGroupDetail, AlertGroupQuery, AlertObservable, AlertQuery, AlertState,
    AssignAlert, BulkItem, BulkResult, BulkStatus, Case, CloseAlert, CreateCase, ErrorCode, EscalateAlert, GroupEntity,
    GroupingSettings, NewAlertComment, Observable, Page, SourceRef, TimelineEntry,
};
use uuid::Uuid;

use crate::App;
use crate::auth::Caller;
use crate::error::{AppError, AppResult};

pub use firebreak_domain::intake::{Item, MAX_BULK_ITEMS, MAX_RAW_BYTES, MAX_RAW_DEPTH, Rejection};

/// Maps each item of an adapter's format onto the native alert; what is not
/// an alert of the format is skipped, what cannot be mapped is rejected with
/// the format's field at fault.
pub fn adapt(
    format: Format,
    items: Vec<Result<serde_json::Value, Rejection>>,
) -> Vec<Result<Item<'static>, Rejection>> {
    items
        .into_iter()
        .map(|item| {
            item.and_then(|v| match formats::map(format, v) {
                Ok(Mapped::Alert(a)) => Ok(Item::Json(a)),
                Ok(Mapped::Skip(reason)) => Err(Rejection { field: None, reason, skipped: true }),
                Err(e) => Err(firebreak_domain::intake::reject(e.field, e.reason)),
            })
        })
        .collect()
}

/// Parses one item into a stored alert, or says why not.
pub fn prepare(item: Item<'_>, org: Uuid, now: time::OffsetDateTime) -> Result<Alert, Rejection> {
    firebreak_domain::intake::prepare(item, Uuid::now_v7(), org, now)
}

/// The organisation's inventory, indexed for matching alerts: host and
/// account names, host addresses, and IP ranges.
pub struct AssetMatcher {
    by_name: std::collections::HashMap<(&'static str, String), (Uuid, i64)>,
    by_ip: std::collections::HashMap<std::net::IpAddr, (Uuid, i64)>,
    ranges: Vec<(std::net::IpAddr, u8, Uuid, i64)>,
}

fn criticality_bump(c: firebreak_types::Criticality) -> i64 {
    match c {
        firebreak_types::Criticality::Critical => 2,
        firebreak_types::Criticality::High => 1,
        _ => 0,
    }
}

fn in_range(ip: std::net::IpAddr, net: std::net::IpAddr, len: u8) -> bool {
    match (ip, net) {
        (std::net::IpAddr::V4(a), std::net::IpAddr::V4(n)) => {
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - u32::from(len.min(32))) };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (std::net::IpAddr::V6(a), std::net::IpAddr::V6(n)) => {
            let mask = if len == 0 { 0 } else { u128::MAX << (128 - u32::from(len.min(128))) };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

impl AssetMatcher {
    pub async fn load(state: &App, org: Uuid) -> AppResult<AssetMatcher> {
        use firebreak_types::AssetKind;
        let assets: Vec<firebreak_types::Asset> =
            crate::items::list(state, org, &crate::items::query::<firebreak_types::Asset>()).await?;
        let mut m = AssetMatcher {
            by_name: std::collections::HashMap::new(),
            by_ip: std::collections::HashMap::new(),
            ranges: Vec::new(),
        };
        for a in assets {
            let v = (a.id, criticality_bump(a.criticality));
            match a.kind {
                AssetKind::Host => {
                    m.by_name.insert(("hostname", a.name.to_lowercase()), v);
                    if let Some(ip) = a.address.as_deref().and_then(|s| s.parse().ok()) {
                        m.by_ip.insert(ip, v);
                    }
                }
                AssetKind::UserAccount => {
                    m.by_name.insert(("user_account", a.name.to_lowercase()), v);
                }
                AssetKind::IpRange => {
                    if let Some((ip, len)) = a.address.as_deref().and_then(|s| s.split_once('/'))
                        && let (Ok(ip), Ok(len)) = (ip.parse(), len.parse())
                    {
                        m.ranges.push((ip, len, a.id, v.1));
                    }
                }
                AssetKind::Application | AssetKind::Service => {}
            }
        }
        // Narrowest range first: the most specific asset wins.
        m.ranges.sort_by_key(|r| std::cmp::Reverse(r.1));
        Ok(m)
    }

    /// Sets the alert's assets and raises its triage rank by their criticality.
    pub fn apply(&self, alert: &mut Alert) {
        let mut bump = 0;
        for o in &alert.observables {
            let hit = match o.kind.as_str() {
                "hostname" | "user_account" => {
                    let name = if o.kind == "hostname" {
                        o.value.split('.').next().unwrap_or(&o.value).to_lowercase()
                    } else {
                        o.value.rsplit('\\').next().unwrap_or(&o.value).to_lowercase()
                    };
                    let kind: &'static str = if o.kind == "hostname" { "hostname" } else { "user_account" };
                    self.by_name
                        .get(&(kind, name))
                        .or_else(|| self.by_name.get(&(kind, o.value.to_lowercase())))
                        .copied()
                }
                "ip" => o.value.parse::<std::net::IpAddr>().ok().and_then(|ip| {
                    self.by_ip.get(&ip).copied().or_else(|| {
                        self.ranges.iter().find(|(n, l, _, _)| in_range(ip, *n, *l)).map(|(_, _, id, b)| (*id, *b))
                    })
                }),
                _ => None,
            };
            if let Some((id, b)) = hit {
                if !alert.assets.contains(&id) {
                    alert.assets.push(id);
                }
                bump = bump.max(b);
            }
        }
        alert.triage_rank = (alert.severity as i64 + 1 + bump).min(6);
    }
}

/// The items of a bulk body as they were written (see
/// [`firebreak_domain::intake::split_texts`]).
pub fn split_texts(body: &[u8]) -> Result<Vec<&str>, AppError> {
    firebreak_domain::intake::split_texts(body).map_err(bulk_error)
}

fn bulk_error(e: BulkError) -> AppError {
    let code = match e {
        BulkError::Empty => return AppError::field(ErrorCode::MissingField, "body", e.to_string()),
        BulkError::NotUtf8(_) | BulkError::NotArray(_) => ErrorCode::MalformedJson,
        BulkError::TooMany(_) => ErrorCode::PayloadTooLarge,
    };
    AppError::new(code, e.to_string())
}

/// Refuses a body sent as JSON that is not a JSON array: NDJSON comes as
/// `application/x-ndjson` (or without a JSON type), so that a lone object or
/// stray bytes are not taken for a batch.
pub fn check_bulk_type(content_type: Option<&str>, body: &[u8]) -> Result<(), AppError> {
    let json = content_type.is_some_and(|ct| ct.starts_with("application/json"));
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if json && first.is_some_and(|b| *b != b'[') {
        return Err(AppError::field(
            ErrorCode::InvalidField,
            "body",
            "body must be a JSON array with Content-Type application/json; send NDJSON as application/x-ndjson",
        ));
    }
    Ok(())
}

/// A bulk body's native alerts, each read on its own when it is prepared.
pub fn split_alerts(body: &[u8]) -> Result<Vec<Result<Item<'_>, Rejection>>, AppError> {
    Ok(split_texts(body)?.into_iter().map(|t| Ok(Item::Text(t))).collect())
}

/// A bulk body's items read as JSON. An item that is not JSON is its own
/// rejection; the others go on.
pub fn split_bulk(body: &[u8]) -> Result<Vec<Result<serde_json::Value, Rejection>>, AppError> {
    firebreak_domain::intake::split_bulk(body).map_err(bulk_error)
}

/// Checks every item, stores the good ones in one transaction, and answers
/// each by its index.
pub async fn ingest(state: &App, caller: &Caller, items: Vec<Result<Item<'_>, Rejection>>) -> AppResult<BulkResult> {
    caller.require(Action::AlertIngest)?;
    ingest_as(state, &caller.ctx(state), caller.org_id(), items).await
}

/// [`ingest`] for a caller already allowed to (the command line's ingest).
pub async fn ingest_as(
    state: &App,
    ctx: &firebreak_store::WriteCtx,
    org: Uuid,
    items: Vec<Result<Item<'_>, Rejection>>,
) -> AppResult<BulkResult> {
    match ingest_keyed(state, ctx, org, items, None).await? {
        Answer::Fresh(result) => Ok(result),
        Answer::Kept(_) => Err(AppError::internal()),
    }
}

/// How long an idempotency key is kept: a retried batch is answered from it
/// within this time of the first.
pub const IDEMPOTENCY_WINDOW: time::Duration = time::Duration::hours(24);

/// The header that names a bulk request's idempotency key.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

/// A bulk request's idempotency key and the hash of its body.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    pub key: String,
    pub body_hash: String,
}

impl IdempotencyKey {
    /// The key of a request, if it sent one: 1 to 255 visible ASCII
    /// characters.
    pub fn from_header(value: Option<&[u8]>, body: &[u8]) -> AppResult<Option<IdempotencyKey>> {
        let Some(value) = value else { return Ok(None) };
        let key = std::str::from_utf8(value)
            .ok()
            .map(str::trim)
            .filter(|k| !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic() || b == b' '));
        let Some(key) = key else {
            let why = "Idempotency-Key must be 1 to 255 visible ASCII characters";
            return Err(AppError::field(ErrorCode::InvalidField, IDEMPOTENCY_HEADER, why));
        };
        use sha2::Digest;
        Ok(Some(IdempotencyKey { key: key.to_owned(), body_hash: hex::encode(sha2::Sha256::digest(body)) }))
    }
}

/// A bulk request's answer: made now, or kept from the first request sent
/// with its idempotency key (status and body as they were).
#[derive(Debug)]
pub enum Answer {
    Fresh(BulkResult),
    Kept(firebreak_store::KeptAnswer),
}

/// [`ingest`] with an idempotency key, when the request sent one: a key
/// already used by the caller in the organisation answers as it did then,
/// storing nothing; with another body it is refused.
pub async fn ingest_once(
    state: &App,
    caller: &Caller,
    items: Vec<Result<Item<'_>, Rejection>>,
    key: Option<IdempotencyKey>,
) -> AppResult<Answer> {
    caller.require(Action::AlertIngest)?;
    let ctx = caller.ctx(state);
    let Some(key) = key else {
        return Ok(Answer::Fresh(ingest_as(state, &ctx, caller.org_id(), items).await?));
    };
    let who = match &ctx.actor {
        firebreak_store::Actor::User { id, .. } => format!("user:{id}"),
        firebreak_store::Actor::ApiKey { id, .. } => format!("api_key:{id}"),
        other => other.kind().as_str().to_owned(),
    };
    let since_ms = firebreak_domain::clock::to_millis(ctx.now - IDEMPOTENCY_WINDOW);
    let kept = state.store.kept_answer(caller.org_id(), &who, &key.key, since_ms).await?;
    let answer = match kept {
        Some(kept) => Answer::Kept(kept),
        None => ingest_keyed(state, &ctx, caller.org_id(), items, Some((who, since_ms, &key))).await?,
    };
    match answer {
        Answer::Kept(kept) if kept.body_hash != key.body_hash => Err(AppError::field(
            ErrorCode::IdempotencyKeyReused,
            IDEMPOTENCY_HEADER,
            "this Idempotency-Key was used with another body; send a new key for a new batch",
        )),
        answer => Ok(answer),
    }
}

/// The answer of every item: the rejections as they were found, the stored
/// ones as the store answered them.
fn finish(mut answers: Vec<BulkItem>, good_index: &[usize], stored: &[(Uuid, bool)]) -> BulkResult {
    for (index, (id, created)) in good_index.iter().zip(stored) {
        if let Some(a) = answers.get_mut(*index) {
            a.id = Some(*id);
            a.status = if *created { BulkStatus::Created } else { BulkStatus::Duplicate };
        }
    }
    let count = |s: BulkStatus| answers.iter().filter(|a| a.status == s).count();
    BulkResult {
        created: count(BulkStatus::Created),
        duplicates: count(BulkStatus::Duplicate),
        rejected: count(BulkStatus::Rejected),
        skipped: count(BulkStatus::Skipped),
        items: answers,
    }
}

async fn ingest_keyed(
    state: &App,
    ctx: &firebreak_store::WriteCtx,
    org: Uuid,
    items: Vec<Result<Item<'_>, Rejection>>,
    once: Option<(String, i64, &IdempotencyKey)>,
) -> AppResult<Answer> {
    let now = firebreak_domain::clock::from_millis(firebreak_domain::clock::to_millis(ctx.now));
    let mut answers: Vec<BulkItem> = Vec::with_capacity(items.len());
    let mut good: Vec<Alert> = Vec::new();
    let mut good_index: Vec<usize> = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        match item.and_then(|v| prepare(v, org, now)) {
            Ok(alert) => {
                good_index.push(index);
                good.push(alert);
                // Created or duplicate: `finish` says which once the store has answered.
                answers.push(BulkItem { index, status: BulkStatus::Created, id: None, field: None, reason: None });
            }
            Err(r) => answers.push(BulkItem {
                index,
                status: if r.skipped { BulkStatus::Skipped } else { BulkStatus::Rejected },
                id: None,
                field: r.field,
                reason: Some(r.reason),
            }),
        }
    }
    // A batch that stores nothing keeps no key: sent again, it is answered
    // the same anyway.
    if good.is_empty() {
        return Ok(Answer::Fresh(finish(answers, &good_index, &[])));
    }
    let matcher = AssetMatcher::load(state, org).await?;
    for a in &mut good {
        matcher.apply(a);
    }
    let grouping = grouping_settings(state, org).await?;
    let grouping = Grouper::new(&grouping).map(|g| Grouping {
        window_ms: g.window_ms,
        entities: good.iter().map(|a| g.entities(&a.observables)).collect(),
    });
    let stored = match once {
        None => state.store.ingest_alerts(ctx, org, good, grouping).await?,
        Some((caller, since_ms, key)) => {
            let (template, index) = (answers.clone(), good_index.clone());
            let once = firebreak_store::Idempotency {
                key: key.key.clone(),
                caller,
                body_hash: key.body_hash.clone(),
                now_ms: firebreak_domain::clock::to_millis(ctx.now),
                since_ms,
                answer: std::sync::Arc::new(move |stored: &[(Uuid, bool)]| {
                    let body = serde_json::to_string(&finish(template.clone(), &index, stored)).unwrap_or_default();
                    (200, body)
                }),
            };
            match state.store.ingest_alerts_once(ctx, org, good, grouping, once).await? {
                firebreak_store::Intake::Stored(stored) => stored,
                firebreak_store::Intake::Kept(kept) => return Ok(Answer::Kept(kept)),
            }
        }
    };
    state.live.publish(org, "alert.created", "batch");
    Ok(Answer::Fresh(finish(answers, &good_index, &stored)))
}

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

// ---------------------------------------------------------------------------
// Triage

fn open_state(a: &Alert) -> AppResult<()> {
    if matches!(a.state, AlertState::New | AlertState::InTriage) {
        Ok(())
    } else {
        Err(AppError::field(
            ErrorCode::InvalidState,
            "state",
            format!("the alert is already {}", a.state.as_str().replace('_', " ")),
        ))
    }
}

async fn triage(state: &App, caller: &Caller, before: &Alert, after: Alert, action: &str) -> AppResult<Alert> {
    let a = state.store.triage_alert(&caller.ctx(state), before, &after, action).await?;
    state.live.publish(caller.org_id(), "alert.updated", a.id);
    Ok(a)
}

/// Takes the alert into triage: the caller owns it, and the first take is
/// its acknowledge time.
pub async fn take(state: &App, caller: &Caller, id: Uuid) -> AppResult<Alert> {
    caller.require(Action::AlertTriage)?;
    let before = get_alert(state, caller, id).await?;
    open_state(&before)?;
    let mut after = before.clone();
    after.state = AlertState::InTriage;
    after.assignee_id = match &caller.principal {
        crate::auth::Principal::User(u) => Some(u.id),
        crate::auth::Principal::ApiKey(_) => before.assignee_id,
    };
    after.acknowledged_at = before.acknowledged_at.or_else(|| Some(state.clock.now()));
    triage(state, caller, &before, after, "take").await
}

pub async fn close(state: &App, caller: &Caller, id: Uuid, req: CloseAlert) -> AppResult<Alert> {
    caller.require(Action::AlertTriage)?;
    let reason = req.reason.trim().to_owned();
    if reason.is_empty() {
        return Err(AppError::field(ErrorCode::InvalidField, "reason", "reason is required to close an alert"));
    }
    let before = get_alert(state, caller, id).await?;
    open_state(&before)?;
    let now = state.clock.now();
    let mut after = before.clone();
    after.state = AlertState::Closed;
    after.disposition = Some(req.disposition);
    after.disposition_reason = Some(reason);
    after.acknowledged_at = before.acknowledged_at.or(Some(now));
    after.closed_at = Some(now);
    triage(state, caller, &before, after, "close").await
}

/// Escalates into a new case (from a template when given) or into an open
/// case: its observables go with it and the case's timeline says so.
pub async fn escalate(state: &App, caller: &Caller, id: Uuid, req: EscalateAlert) -> AppResult<Case> {
    caller.require(Action::AlertTriage)?;
    caller.require(Action::CaseWrite)?;
    let before = get_alert(state, caller, id).await?;
    open_state(&before)?;
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
            let create = CreateCase {
                title: before.title.clone(),
                description: before.description.clone(),
                severity: Some(before.severity),
                impact: firebreak_types::Level::Medium,
                urgency: firebreak_types::Level::Medium,
                category: None,
                tlp: before.tlp,
                pap: before.pap,
                tags: before.tags.clone(),
                assignee_id: None,
                tier: firebreak_types::Tier::L1,
                custom_fields: serde_json::Value::Object(serde_json::Map::new()),
                template_id: req.template_id,
            };
            crate::cases::create_case(state, caller, create).await?
        }
    };
    let ctx = caller.ctx(state);
    // The alert's observables join the case (those it does not have yet).
    let existing: Vec<Observable> = crate::items::of_case(state, caller.org_id(), case.id).await?;
    let now = ctx.now;
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
    let mut after = before.clone();
    after.state = AlertState::Escalated;
    after.case_id = Some(case.id);
    after.acknowledged_at = before.acknowledged_at.or(Some(now));
    after.closed_at = Some(now);
    triage(state, caller, &before, after, "escalate").await?;
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
    let mut cases = crate::work::sightings_of(state, caller.org_id(), &probes).await?;
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
                if n < 1000 || ids.len() >= MAX_BULK_ITEMS {
                    break;
                }
                offset += 1000;
            }
        }
        ids.truncate(MAX_BULK_ITEMS);
    }
    let closed = state.store.close_alerts(&caller.ctx(state), caller.org_id(), &ids, req.disposition, &reason).await?;
    state.live.publish(caller.org_id(), "alert.updated", "bulk");
    Ok(firebreak_types::BulkCloseResult { closed: closed.len(), skipped: ids.len() - closed.len() })
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
    open_state(&before)?;
    let mut after = before.clone();
    after.assignee_id = req.assignee_id;
    triage(state, caller, &before, after, "assign").await
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
    get_alert(state, caller, id).await?;
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
    let c = crate::items::create(state, &ctx, caller.org_id(), comment).await?;
    state.live.publish(caller.org_id(), "alert.updated", id);
    Ok(c)
}

// ---------------------------------------------------------------------------
// Stories

const GROUPING: &str = "alert_grouping";

/// The organisation's grouping settings (the documented defaults until it
/// sets its own).
pub async fn grouping_settings(state: &App, org: Uuid) -> AppResult<GroupingSettings> {
    crate::items::setting_or(state, org, GROUPING, firebreak_domain::grouping::default_settings).await
}

pub async fn get_grouping(state: &App, caller: &Caller) -> AppResult<GroupingSettings> {
    caller.require(Action::AlertRead)?;
    grouping_settings(state, caller.org_id()).await
}

pub async fn set_grouping(state: &App, caller: &Caller, new: GroupingSettings) -> AppResult<GroupingSettings> {
    caller.require(Action::OrgSettings)?;
    firebreak_domain::grouping::check_settings(&new)?;
    crate::items::put_setting(state, &caller.ctx(state), caller.org_id(), GROUPING, &new).await?;
    Ok(new)
}

pub async fn list_groups(state: &App, caller: &Caller, q: &AlertGroupQuery) -> AppResult<Page<AlertGroup>> {
    caller.require(Action::AlertRead)?;
    Ok(state.store.list_alert_groups(caller.org_id(), q).await?)
}

/// Most alerts shown on a story's timeline.
const STORY_ALERTS: u32 = 500;

/// A story and its alerts, oldest first.
async fn group_alerts(state: &App, caller: &Caller, id: Uuid) -> AppResult<(AlertGroup, Vec<Alert>)> {
    caller.require(Action::AlertRead)?;
    let org = caller.org_id();
    let group = state.store.get_alert_group(org, id).await?.ok_or_else(|| AppError::not_found("alert group"))?;
    let q = AlertQuery {
        group_id: Some(id),
        sort: Some("event_time".into()),
        limit: Some(STORY_ALERTS),
        ..AlertQuery::default()
    };
    Ok((group, state.store.list_alerts(org, &q).await?.items))
}

/// A story: its alerts oldest first (its timeline) and the entities they
/// share, most common first.
pub async fn get_group(state: &App, caller: &Caller, id: Uuid) -> AppResult<AlertGroupDetail> {
    let org = caller.org_id();
    let (group, alerts) = group_alerts(state, caller, id).await?;
    let settings = grouping_settings(state, org).await?;
    let grouper = Grouper::new(&GroupingSettings { enabled: true, ..settings });
    let mut counts: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for a in &alerts {
        for e in grouper.as_ref().map(|g| g.entities(&a.observables)).unwrap_or_default() {
            *counts.entry(e).or_default() += 1;
        }
    }
    let mut entities: Vec<GroupEntity> = counts
        .into_iter()
        .filter_map(|(k, n)| {
            k.split_once(':').map(|(kind, value)| GroupEntity { kind: kind.into(), value: value.into(), alerts: n })
        })
        .collect();
    entities.sort_by(|a, b| b.alerts.cmp(&a.alerts).then_with(|| (&a.kind, &a.value).cmp(&(&b.kind, &b.value))));
    Ok(AlertGroupDetail { group, entities, alerts })
}

/// Escalates a story into one case: a new case from its most severe open
/// alert (or the open case given), into which every other open alert of the
/// story is merged with its observables and a timeline entry.
pub async fn escalate_group(state: &App, caller: &Caller, id: Uuid, req: EscalateAlert) -> AppResult<Case> {
    caller.require(Action::AlertTriage)?;
    caller.require(Action::CaseWrite)?;
    let (_, alerts) = group_alerts(state, caller, id).await?;
    let mut open: Vec<&Alert> =
        alerts.iter().filter(|a| matches!(a.state, AlertState::New | AlertState::InTriage)).collect();
    if open.is_empty() {
        return Err(AppError::field(ErrorCode::InvalidState, "state", "the story has no open alerts left"));
    }
    // The most severe alert names the case; ties go to the earliest.
    open.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.event_time.cmp(&b.event_time)));
    let lead = open[0];
    let case = escalate(state, caller, lead.id, req.clone()).await?;
    for a in &open[1..] {
        escalate(state, caller, a.id, EscalateAlert { template_id: None, case_id: Some(case.id) }).await?;
    }
    state.store.set_group_case(&caller.ctx(state), caller.org_id(), id, case.id).await?;
    crate::cases::get_case(state, caller, case.id).await
}
