//! Alert intake: one alert or a bulk batch (a JSON array or NDJSON), each
//! item checked on its own, the good ones stored in one transaction, every
//! item answered by its index: created, duplicate or rejected (with the
//! field and the reason). An alert is acknowledged only once committed.

use std::collections::BTreeSet;

use firebreak_domain::observable::{ObservableKind, normalise};
use firebreak_domain::permission::Action;
use firebreak_domain::validate::{Title, markdown, tags};
use firebreak_types::{
    Alert, AlertObservable, AlertQuery, AlertState, BulkItem, BulkResult, ErrorCode, NewAlert, Page,
};
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Largest raw event kept with an alert, in bytes of JSON.
pub const MAX_RAW_BYTES: usize = 256 * 1024;
/// Most items in one bulk request.
pub const MAX_BULK_ITEMS: usize = 10_000;

/// A rejected item: the field at fault and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    pub field: Option<String>,
    pub reason: String,
}

fn reject(field: impl Into<String>, reason: impl Into<String>) -> Rejection {
    Rejection { field: Some(field.into()), reason: reason.into() }
}

/// Parses one item (already valid JSON) into a stored alert, or says why not.
pub fn prepare(value: serde_json::Value, org: Uuid, now: time::OffsetDateTime) -> Result<Alert, Rejection> {
    let new: NewAlert = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let msg = e.inner().to_string();
        let field = if path == "." { msg.split('`').nth(1).map(str::to_owned) } else { Some(path) };
        Rejection { field, reason: msg }
    })?;
    let text = |field: &str, v: &str, max: usize| -> Result<String, Rejection> {
        let v = v.trim();
        if v.is_empty() {
            return Err(reject(field, format!("{field} must not be empty")));
        }
        if v.len() > max {
            return Err(reject(field, format!("{field} is at most {max} bytes")));
        }
        Ok(v.to_owned())
    };
    let source = text("source", &new.source, 200)?;
    let source_ref = text("source_ref", &new.source_ref, 500)?;
    let title =
        Title::parse("title", &new.title).map_err(|e| reject(e.field, format!("title must be {}", e.expected)))?;
    let description = markdown("description", &new.description)
        .map_err(|e| reject(e.field, format!("description must be {}", e.expected)))?;
    let tags = tags("tags", &new.tags).map_err(|e| reject(e.field, format!("tags must be {}", e.expected)))?;
    if !new.custom_fields.is_object() {
        return Err(reject("custom_fields", "custom_fields must be a JSON object"));
    }
    let raw_len = new.raw.to_string().len();
    if raw_len > MAX_RAW_BYTES {
        return Err(reject("raw", format!("raw is at most {MAX_RAW_BYTES} bytes of JSON (this has {raw_len})")));
    }
    let mut seen = BTreeSet::new();
    let mut observables = Vec::with_capacity(new.observables.len());
    for (i, o) in new.observables.iter().enumerate() {
        let kind: ObservableKind =
            o.kind.trim().to_lowercase().parse().map_err(|_| {
                reject(format!("observables[{i}].type"), format!("unknown observable type {:?}", o.kind))
            })?;
        let n = normalise(kind, &o.value)
            .map_err(|e| reject(format!("observables[{i}].value"), format!("value must be {}", e.expected)))?;
        if seen.insert((kind.as_str(), n.value.clone())) {
            observables.push(AlertObservable { kind: kind.as_str().to_owned(), value: n.value });
        }
    }
    Ok(Alert {
        id: Uuid::now_v7(),
        org_id: org,
        source,
        source_ref,
        kind: new.kind.trim().to_owned(),
        title: title.into_inner(),
        description,
        severity: new.severity,
        event_time: new.event_time.unwrap_or(now),
        tags,
        tlp: new.tlp,
        pap: new.pap,
        observables,
        custom_fields: new.custom_fields,
        raw: new.raw,
        state: AlertState::New,
        occurrences: 1,
        first_seen: now,
        last_seen: now,
    })
}

/// The items of a bulk body: a JSON array, or NDJSON (one object a line).
/// A line that is not JSON is its own rejection; the others go on.
pub fn split_bulk(body: &[u8]) -> Result<Vec<Result<serde_json::Value, Rejection>>, ApiError> {
    let text = std::str::from_utf8(body).map_err(|e| {
        ApiError::new(ErrorCode::MalformedJson, format!("the body is not UTF-8 (at byte {})", e.valid_up_to()))
    })?;
    let trimmed = text.trim_start();
    let items: Vec<Result<serde_json::Value, Rejection>> = if trimmed.starts_with('[') {
        let values: Vec<serde_json::Value> = serde_json::from_str(trimmed)
            .map_err(|e| ApiError::new(ErrorCode::MalformedJson, format!("the body is not a JSON array: {e}")))?;
        values.into_iter().map(Ok).collect()
    } else {
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l)
                    .map_err(|e| Rejection { field: None, reason: format!("not JSON: {e}") })
            })
            .collect()
    };
    if items.len() > MAX_BULK_ITEMS {
        return Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("at most {MAX_BULK_ITEMS} alerts per request (this has {})", items.len()),
        ));
    }
    Ok(items)
}

/// Checks every item, stores the good ones in one transaction, and answers
/// each by its index.
pub async fn ingest(
    state: &AppState,
    caller: &Caller,
    items: Vec<Result<serde_json::Value, Rejection>>,
) -> ApiResult<BulkResult> {
    caller.require(Action::AlertIngest)?;
    let now = firebreak_domain::clock::from_millis(firebreak_domain::clock::to_millis(state.clock.now()));
    let org = caller.org_id();
    let mut answers: Vec<BulkItem> = Vec::with_capacity(items.len());
    let mut good: Vec<Alert> = Vec::new();
    let mut good_index: Vec<usize> = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        match item.and_then(|v| prepare(v, org, now)) {
            Ok(alert) => {
                good_index.push(index);
                good.push(alert);
                answers.push(BulkItem { index, status: String::new(), id: None, field: None, reason: None });
            }
            Err(r) => answers.push(BulkItem {
                index,
                status: "rejected".into(),
                id: None,
                field: r.field,
                reason: Some(r.reason),
            }),
        }
    }
    if !good.is_empty() {
        let stored = state.store.ingest_alerts(&caller.ctx(state), org, &good).await?;
        for (index, (id, created)) in good_index.into_iter().zip(stored) {
            answers[index].id = Some(id);
            answers[index].status = if created { "created" } else { "duplicate" }.into();
        }
        state.live.publish(org, "alert.created", "batch");
    }
    let count = |s: &str| answers.iter().filter(|a| a.status == s).count();
    Ok(BulkResult {
        created: count("created"),
        duplicates: count("duplicate"),
        rejected: count("rejected"),
        items: answers,
    })
}

pub async fn get_alert(state: &AppState, caller: &Caller, id: Uuid) -> ApiResult<Alert> {
    caller.require(Action::AlertRead)?;
    state.store.get_alert(caller.org_id(), id).await?.ok_or_else(|| ApiError::not_found("alert"))
}

pub async fn list_alerts(state: &AppState, caller: &Caller, q: &AlertQuery) -> ApiResult<Page<Alert>> {
    caller.require(Action::AlertRead)?;
    Ok(state.store.list_alerts(caller.org_id(), q).await?)
}

pub async fn repeats(state: &AppState, caller: &Caller, id: Uuid) -> ApiResult<Vec<time::OffsetDateTime>> {
    get_alert(state, caller, id).await?;
    Ok(state.store.alert_repeats(caller.org_id(), id).await?)
}
