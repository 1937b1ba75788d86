//! Alert intake: one alert or a bulk batch (a JSON array or NDJSON), each
//! item checked on its own, the good ones stored in one transaction, every
//! item answered by its index: created, duplicate or rejected (with the
//! field and the reason). An alert is acknowledged only once committed.

use firebreak_domain::formats::{self, Format, Mapped};
use firebreak_domain::grouping::Grouper;
use firebreak_domain::intake::BulkError;
use firebreak_domain::permission::Action;
use firebreak_domain::triage::{self};
use firebreak_store::Grouping;
use firebreak_types::{Alert, BulkItem, BulkResult, BulkStatus, ErrorCode, SentAlert};
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
                Ok(Mapped::Alert(a)) => Ok(Item::Mapped(a)),
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

/// The organisation's inventory, indexed for matching alerts (the matching
/// itself is the domain's: [`triage::AssetMatcher`]).
pub(crate) async fn asset_matcher(state: &App, org: Uuid) -> AppResult<triage::AssetMatcher> {
    let assets: Vec<firebreak_types::Asset> =
        crate::items::list(state, org, &crate::items::query::<firebreak_types::Asset>()).await?;
    Ok(triage::AssetMatcher::new(&assets))
}

/// The items of a bulk body as they were written (see
/// [`firebreak_domain::intake::split_texts`]).
pub fn split_texts(body: &[u8]) -> Result<Vec<&str>, AppError> {
    firebreak_domain::intake::split_texts(body).map_err(bulk_error)
}

/// A body that cannot be split, named as the field at fault.
fn bulk_error(e: BulkError) -> AppError {
    let code = match e {
        BulkError::Empty => ErrorCode::MissingField,
        BulkError::NotUtf8(_) | BulkError::NotArray(_) | BulkError::NotJson(_) => ErrorCode::MalformedJson,
        BulkError::TooMany(_) => return AppError::new(ErrorCode::PayloadTooLarge, e.to_string()),
    };
    AppError::field(code, "body", e.to_string())
}

/// Refuses a body sent as JSON that starts as neither an array nor an
/// object, so that stray bytes are not taken for a batch. A JSON object (one
/// alert, pretty-printed or not) is a batch of one; NDJSON may come as
/// `application/x-ndjson` or as JSON lines.
pub fn check_bulk_type(content_type: Option<&str>, body: &[u8]) -> Result<(), AppError> {
    let json = content_type.is_some_and(|ct| ct.starts_with("application/json"));
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if json && first.is_some_and(|b| *b != b'[' && *b != b'{') {
        return Err(AppError::field(
            ErrorCode::InvalidField,
            "body",
            "body must be a JSON array or object with Content-Type application/json; send NDJSON as application/x-ndjson",
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

/// One alert sent on its own: stored as any batch's item, and answered with
/// the stored alert (for a repeat, the alert it repeats). The sender sees
/// its own alert whether or not it may read the queue; what it cannot store
/// is refused naming the field.
pub async fn ingest_one(state: &App, caller: &Caller, item: Item<'_>) -> AppResult<SentAlert> {
    let result = ingest(state, caller, vec![Ok(item)]).await?;
    let item = result.items.into_iter().next().ok_or_else(AppError::internal)?;
    let id = match (item.status, item.id) {
        (BulkStatus::Created | BulkStatus::Duplicate, Some(id)) => id,
        _ => {
            return Err(AppError::field(
                ErrorCode::InvalidField,
                item.field.unwrap_or_default(),
                item.reason.unwrap_or_default(),
            ));
        }
    };
    let alert = state.store.get_alert(caller.org_id(), id).await?.ok_or_else(AppError::internal)?;
    Ok(SentAlert { status: item.status, alert })
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
    let matcher = asset_matcher(state, org).await?;
    for a in &mut good {
        matcher.apply(a);
    }
    let grouping = crate::stories::grouping_settings(state, org).await?;
    let grouping = Grouper::new(&grouping).map(|g| Grouping {
        window_ms: g.window_ms,
        entities: good.iter().map(|a| g.entities(&a.observables)).collect(),
        stop_words: g.stop_words,
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
    crate::events::alerts_created(state, ctx, org, &stored).await;
    Ok(Answer::Fresh(finish(answers, &good_index, &stored)))
}
