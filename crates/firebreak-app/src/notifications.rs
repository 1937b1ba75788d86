//! Each user's notifications.

use firebreak_domain::permission::Action;
use firebreak_store::ItemQuery;
use firebreak_types::Notification;
use uuid::Uuid;

use crate::App;
use crate::auth::Caller;
use crate::error::{AppError, AppResult};
use crate::items::{self};

pub async fn my_notifications(state: &App, caller: &Caller, unread_only: bool) -> AppResult<Vec<Notification>> {
    caller.require(Action::NotificationRead)?;
    let q = ItemQuery {
        assignee_id: Some(caller.id()),
        statuses: if unread_only { vec!["unread".into()] } else { Vec::new() },
        newest_first: true,
        limit: Some(200),
        ..items::query::<Notification>()
    };
    items::list(state, caller.org_id(), &q).await
}

pub async fn unread_count(state: &App, caller: &Caller) -> AppResult<u64> {
    let q =
        ItemQuery { assignee_id: Some(caller.id()), statuses: vec!["unread".into()], ..items::query::<Notification>() };
    Ok(state.store.count_items(caller.org_id(), &q).await?)
}

pub async fn mark_read(state: &App, caller: &Caller, id: Uuid) -> AppResult<Notification> {
    caller.require(Action::NotificationRead)?;
    let (item, mut n) = items::load::<Notification>(state, caller.org_id(), id).await?;
    if n.user_id != caller.id() {
        return Err(AppError::not_found("notification"));
    }
    n.read = true;
    items::save(state, &caller.ctx(state), &item, n).await
}
