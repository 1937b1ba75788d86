use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use firebreak_domain::permission::Action;
use firebreak_types::ErrorBody;
use futures::Stream;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::BroadcastStream;

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::state::AppState;

/// Server-sent events of what changes in the acting organisation. Each event
/// is named by its kind (such as `user.created`) with `{kind, object_id}` as
/// data. Browsers reconnect by themselves.
#[utoipa::path(get, path = "/api/v1/live", tag = "live",
    responses((status = 200, content_type = "text/event-stream", description = "An endless event stream"), (status = 401, body = ErrorBody)))]
pub async fn stream(
    State(s): State<AppState>,
    caller: Caller,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    caller.require(Action::LiveSubscribe)?;
    let org = caller.org_id();
    let events = BroadcastStream::new(s.live.subscribe()).filter_map(move |msg| {
        let e = msg.ok().filter(|e| e.org == org)?;
        let data = serde_json::to_string(&e).ok()?;
        Some(Ok(Event::default().event(e.kind.clone()).data(data)))
    });
    let hello = tokio_stream::once(Ok(Event::default().event("ready").data("{}")));
    Ok(Sse::new(hello.chain(events)).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
