//! Case events: one call tells everyone who should hear of a change — the
//! live channel, the people to notify in the app, and the organisation's
//! webhooks (queued as deliveries, sent by the delivery job).

use firebreak_store::WriteCtx;
use firebreak_types::{Case, Delivery, DeliveryStatus, Notification, Role};
use serde_json::json;
use uuid::Uuid;

use crate::App;
use crate::error::AppResult;
use crate::items::{self, StoredWebhook};

/// What happened to which case, and who should be told in the app.
pub struct CaseEvent<'a> {
    /// `case.created`, `case.escalated`, … (see `firebreak_types::CASE_EVENTS`).
    pub name: &'a str,
    pub case: &'a Case,
    /// One line for people: "Case #12 escalated to L2: …".
    pub text: String,
    /// Event-specific details for webhooks.
    pub data: serde_json::Value,
    pub notify: Vec<Uuid>,
}

/// The JSON a webhook receives.
pub fn payload(event: &CaseEvent<'_>, at: time::OffsetDateTime) -> serde_json::Value {
    let c = event.case;
    json!({
        "event": event.name,
        "at": at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
        "org_id": c.org_id,
        "text": event.text,
        "case": {
            "id": c.id, "number": c.number, "title": c.title, "state": c.state, "priority": c.priority,
            "severity": c.severity, "tier": c.tier, "assignee_id": c.assignee_id, "tlp": c.tlp,
        },
        "data": event.data,
    })
}

/// Publishes, notifies and queues webhook deliveries for `event`.
pub async fn emit(state: &App, ctx: &WriteCtx, event: CaseEvent<'_>) -> AppResult<()> {
    let org = event.case.org_id;
    state.live.publish(org, event.name, event.case.id);
    let notes: Vec<Notification> = event
        .notify
        .iter()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|user| Notification {
            id: Uuid::now_v7(),
            user_id: *user,
            event: event.name.to_owned(),
            case_id: Some(event.case.id),
            text: event.text.clone(),
            read: false,
            at: ctx.now,
        })
        .collect();
    if !notes.is_empty() {
        items::create_all(state, ctx, org, notes).await?;
        state.live.publish(org, "notification.created", event.case.id);
    }
    let hooks: Vec<StoredWebhook> = items::list(
        state,
        org,
        &firebreak_store::ItemQuery { statuses: vec!["enabled".into()], ..items::query::<StoredWebhook>() },
    )
    .await?;
    let body = payload(&event, ctx.now);
    let deliveries: Vec<Delivery> = hooks
        .iter()
        .filter(|h| h.webhook.events.is_empty() || h.webhook.events.iter().any(|e| e == event.name))
        .map(|h| Delivery {
            id: Uuid::now_v7(),
            webhook_id: h.webhook.id,
            event: event.name.to_owned(),
            payload: body.clone(),
            status: DeliveryStatus::Pending,
            attempts: 0,
            last_status_code: None,
            last_error: None,
            next_attempt_at: Some(ctx.now),
            delivered_at: None,
            created_at: ctx.now,
        })
        .collect();
    if !deliveries.is_empty() {
        items::create_all(state, ctx, org, deliveries).await?;
        state.jobs.notify_one();
    }
    Ok(())
}

/// Enabled users of `org` with one of `roles`.
pub async fn users_with_roles(state: &App, org: Uuid, roles: &[Role]) -> AppResult<Vec<Uuid>> {
    let params = firebreak_types::ListParams { limit: Some(1000), ..Default::default() };
    let users = state.store.list_users(org, &params).await?;
    Ok(users.items.into_iter().filter(|u| !u.disabled && roles.contains(&u.role)).map(|u| u.id).collect())
}

/// Who hears of a case's news: its assignee, or else the incident managers.
pub async fn case_owners(state: &App, case: &Case) -> AppResult<Vec<Uuid>> {
    match case.assignee_id {
        Some(a) => Ok(vec![a]),
        None => users_with_roles(state, case.org_id, &[Role::IncidentManager]).await,
    }
}
