use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use firebreak_domain::permission::Action;
use firebreak_types::ErrorBody;
use futures::Stream;
use time::OffsetDateTime;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, watch};
use uuid::Uuid;

use crate::auth::{Caller, Grant};
use crate::error::ApiResult;
use crate::state::AppState;
use firebreak_app::live::LiveEvent;

/// How long a stream trusts its last credential check before it sends an
/// event. Revocations on this node wake streams at once; this bounds how long
/// one made by another node on the same database goes unnoticed.
const RECHECK_AFTER: time::Duration = time::Duration::seconds(5);

/// Server-sent events of what changes in the acting organisation. Each event
/// is named by its kind (such as `user.created`) with `{kind, object_id}` as
/// data. Browsers reconnect by themselves. The stream ends when the
/// credential that opened it is revoked (key revoked or expired, user
/// disabled or deleted, session ended, password changed).
#[utoipa::path(get, path = "/api/v1/live", tag = "live",
    responses((status = 200, content_type = "text/event-stream", description = "An endless event stream, until the credential that opened it is revoked"), (status = 401, body = ErrorBody)))]
pub async fn stream(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    caller.require(Action::LiveSubscribe)?;
    let watch = Watch {
        events: s.live().subscribe(),
        revocations: s.live().revocations(),
        grant: Grant::new(&caller, &headers),
        // Checked before the first event: a revocation between the request's
        // authentication and the subscription above would go unseen.
        checked_at: None,
        org: caller.org_id(),
        state: s,
    };
    let events = futures::stream::unfold(watch, |mut w| async move { w.next().await.map(|e| (Ok(e), w)) });
    let hello = futures::stream::once(async { Ok(Event::default().event("ready").data("{}")) });
    Ok(Sse::new(futures::StreamExt::chain(hello, events))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// One subscriber's view of the hub, and what authorised it.
struct Watch {
    events: broadcast::Receiver<LiveEvent>,
    revocations: watch::Receiver<u64>,
    grant: Grant,
    checked_at: Option<OffsetDateTime>,
    org: Uuid,
    state: AppState,
}

impl Watch {
    /// The next event of the organisation; `None` ends the stream.
    async fn next(&mut self) -> Option<Event> {
        loop {
            tokio::select! {
                msg = self.events.recv() => {
                    let e = match msg {
                        Ok(e) if e.org == self.org => e,
                        Ok(_) | Err(RecvError::Lagged(_)) => continue,
                        Err(RecvError::Closed) => return None,
                    };
                    let now = self.state.now();
                    let stale = self.checked_at.is_none_or(|t| now - t >= RECHECK_AFTER);
                    if (stale || self.revocations.has_changed().unwrap_or(true)) && !self.check().await {
                        return None;
                    }
                    let Ok(data) = serde_json::to_string(&e) else { continue };
                    return Some(Event::default().event(e.kind.clone()).data(data));
                }
                changed = self.revocations.changed() => {
                    if changed.is_err() || !self.check().await {
                        return None;
                    }
                }
            }
        }
    }

    async fn check(&mut self) -> bool {
        self.revocations.borrow_and_update();
        self.checked_at = Some(self.state.now());
        self.grant.holds(&self.state).await
    }
}
