//! Case events: one call tells everyone who should hear of a change — the
//! live channel, the people to notify in the app, and the organisation's
//! webhooks (queued as deliveries, sent by the delivery job). A case change
//! and what it tells are written in one transaction (`commit`); the
//! deliveries are the outbox the delivery job drains after it commits.

use firebreak_store::{CaseWrite, Item, WriteCtx};
use firebreak_types::{Case, Delivery, DeliveryStatus, Notification, Role, SourceRef, TimelineEntry, WebhookFormat};
use serde_json::json;
use time::OffsetDateTime;
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

/// Publishes, notifies and queues webhook deliveries for `event`, the
/// notifications and deliveries in one transaction.
pub async fn emit(state: &App, ctx: &WriteCtx, event: CaseEvent<'_>) -> AppResult<()> {
    let hooks = listeners(state, event.case.org_id).await?;
    let org_name = hive_org_name(state, event.case.org_id, &hooks).await?;
    let effects = effects(&event, &hooks, &org_name, ctx.now)?;
    if !effects.is_empty() {
        state.store.create_items(ctx, effects).await?;
    }
    announce(state, event.name, event.case, !event.notify.is_empty(), hooks.iter().any(|h| listens(h, event.name)));
    Ok(())
}

/// The organisation's enabled webhooks, read before a change so that its
/// deliveries are written in the change's transaction.
pub async fn listeners(state: &App, org: Uuid) -> AppResult<Vec<StoredWebhook>> {
    let q = firebreak_store::ItemQuery { statuses: vec!["enabled".into()], ..items::query::<StoredWebhook>() };
    items::list(state, org, &q).await
}

/// The organisation's name, which TheHive's notifications carry; read only
/// when one of `hooks` sends them.
async fn hive_org_name(state: &App, org: Uuid, hooks: &[StoredWebhook]) -> AppResult<String> {
    if !hooks.iter().any(|h| h.webhook.format == WebhookFormat::Thehive) {
        return Ok(String::new());
    }
    Ok(state.store.get_org(org).await?.map(|o| o.name).unwrap_or_default())
}

fn listens(hook: &StoredWebhook, event: &str) -> bool {
    hook.webhook.events.is_empty() || hook.webhook.events.iter().any(|e| e == event)
}

/// Queues a delivery of `alert.created` for each alert just stored (not a
/// repeat) to each webhook that names that event, after the batch committed:
/// the alerts are stored whatever becomes of their notifications, and a
/// failure to queue them is logged, not answered.
pub async fn alerts_created(state: &App, ctx: &WriteCtx, org: Uuid, stored: &[(Uuid, bool)]) {
    if let Err(e) = queue_alerts_created(state, ctx, org, stored).await {
        tracing::error!(error = %e, "could not queue the webhook deliveries of new alerts");
    }
}

async fn queue_alerts_created(state: &App, ctx: &WriteCtx, org: Uuid, stored: &[(Uuid, bool)]) -> AppResult<()> {
    const EVENT: &str = "alert.created";
    let hooks: Vec<StoredWebhook> =
        listeners(state, org).await?.into_iter().filter(|h| h.webhook.events.iter().any(|e| e == EVENT)).collect();
    if hooks.is_empty() {
        return Ok(());
    }
    let org_name = hive_org_name(state, org, &hooks).await?;
    let now = ctx.now;
    let mut out = Vec::new();
    for (id, _) in stored.iter().filter(|(_, created)| *created) {
        let Some(alert) = state.store.get_alert(org, *id).await? else { continue };
        for h in &hooks {
            let payload = match h.webhook.format {
                WebhookFormat::Firebreak => json!({
                    "event": EVENT,
                    "at": now.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
                    "org_id": org,
                    "text": format!("New alert: {}", alert.title),
                    "alert": {
                        "id": alert.id, "title": alert.title, "severity": alert.severity, "source": alert.source,
                        "source_ref": alert.source_ref, "type": alert.kind, "tlp": alert.tlp,
                    },
                }),
                WebhookFormat::Thehive => crate::thehive::alert_notification(&alert, &org_name, now),
            };
            let delivery = Delivery {
                id: Uuid::now_v7(),
                webhook_id: h.webhook.id,
                event: EVENT.to_owned(),
                payload,
                status: DeliveryStatus::Pending,
                attempts: 0,
                last_status_code: None,
                last_error: None,
                next_attempt_at: Some(now),
                delivered_at: None,
                created_at: now,
            };
            out.push(items::to_item(org, &delivery, now)?);
        }
    }
    if !out.is_empty() {
        state.store.create_items(ctx, out).await?;
        state.jobs.notify_one();
    }
    Ok(())
}

/// What `event` leaves in the store, dated `now`: a notification for each
/// person to tell, and a delivery for each of `hooks` that listens to it
/// (`org_name`: the organisation's, for TheHive's notifications).
pub fn effects(
    event: &CaseEvent<'_>,
    hooks: &[StoredWebhook],
    org_name: &str,
    now: OffsetDateTime,
) -> AppResult<Vec<Item>> {
    let org = event.case.org_id;
    let mut out = Vec::new();
    for user in event.notify.iter().collect::<std::collections::BTreeSet<_>>() {
        let note = Notification {
            id: Uuid::now_v7(),
            user_id: *user,
            event: event.name.to_owned(),
            case_id: Some(event.case.id),
            text: event.text.clone(),
            read: false,
            at: now,
        };
        out.push(items::to_item(org, &note, now)?);
    }
    let body = payload(event, now);
    let mut hive = None;
    for h in hooks.iter().filter(|h| listens(h, event.name)) {
        let payload = match h.webhook.format {
            WebhookFormat::Firebreak => body.clone(),
            WebhookFormat::Thehive => {
                hive.get_or_insert_with(|| crate::thehive::case_notification(event, org_name, now)).clone()
            }
        };
        let delivery = Delivery {
            id: Uuid::now_v7(),
            webhook_id: h.webhook.id,
            event: event.name.to_owned(),
            payload,
            status: DeliveryStatus::Pending,
            attempts: 0,
            last_status_code: None,
            last_error: None,
            next_attempt_at: Some(now),
            delivered_at: None,
            created_at: now,
        };
        out.push(items::to_item(org, &delivery, now)?);
    }
    Ok(out)
}

/// After a change committed: tells the live channel of the event (and of
/// new notifications), and wakes the delivery job for new deliveries.
fn announce(state: &App, name: &str, case: &Case, notified: bool, delivered: bool) {
    state.live.publish(case.org_id, name, case.id);
    if notified {
        state.live.publish(case.org_id, "notification.created", case.id);
    }
    if delivered {
        state.jobs.notify_one();
    }
}

/// A change of a case and what it tells, written as one unit.
pub struct CaseChange<'a> {
    pub write: CaseWrite<'a>,
    /// What the live channel hears: `case.transitioned`, … (`case.updated`
    /// for a change nobody is notified of).
    pub name: &'static str,
    /// The timeline's line (also the notifications' and webhooks' text),
    /// from the case as stored: a new case's number is known only then.
    pub text: &'a (dyn Fn(&Case) -> String + Send + Sync),
    /// Where the timeline entry comes from.
    pub source: SourceRef,
    /// Who is notified in the app and what webhooks are told beside the
    /// case; `None` for a change only the timeline and the live channel hear of.
    pub event: Option<(Vec<Uuid>, serde_json::Value)>,
    /// Other items the change makes (a template's tasks).
    pub also: Vec<Item>,
}

/// Writes a case change with its history, audit entries, timeline entry,
/// notifications and webhook deliveries in one transaction (all or none, all
/// dated `ctx.now`), then tells the live channel and wakes the delivery job.
pub async fn commit(state: &App, ctx: &WriteCtx, change: CaseChange<'_>) -> AppResult<Case> {
    let org = match &change.write {
        CaseWrite::Create(c) => c.org_id,
        CaseWrite::Update { before, .. } | CaseWrite::Transition { before, .. } => before.org_id,
    };
    let hooks = match change.event {
        Some(_) => listeners(state, org).await?,
        None => Vec::new(),
    };
    let org_name = hive_org_name(state, org, &hooks).await?;
    let make = |case: &Case| -> firebreak_store::Result<Vec<Item>> {
        let text = (change.text)(case);
        let mut out = change.also.clone();
        out.push(timeline_entry(ctx, case, text.clone(), change.source.clone()).map_err(|_| unwritable())?);
        if let Some((notify, data)) = &change.event {
            let event = CaseEvent { name: change.name, case, text, data: data.clone(), notify: notify.clone() };
            out.extend(effects(&event, &hooks, &org_name, ctx.now).map_err(|_| unwritable())?);
        }
        Ok(out)
    };
    let case = state.store.change_case(ctx, change.write, &make).await?;
    let notified = change.event.as_ref().is_some_and(|(notify, _)| !notify.is_empty());
    let delivered = change.event.is_some() && hooks.iter().any(|h| listens(h, change.name));
    announce(state, change.name, &case, notified, delivered);
    Ok(case)
}

/// Serialising a typed item only fails on a value out of JSON's reach (a
/// date past year 9999); the change is then refused whole.
fn unwritable() -> firebreak_store::StoreError {
    firebreak_store::StoreError::Corrupt("an effect of the case change does not serialise".into())
}

/// The entry Firebreak adds itself for a change (a state change, an
/// escalation, a response action), dated at it.
pub(crate) fn automatic_entry(ctx: &WriteCtx, case: &Case, description: String, source: SourceRef) -> TimelineEntry {
    TimelineEntry {
        id: Uuid::now_v7(),
        case_id: case.id,
        at: ctx.now,
        description,
        tactic: None,
        technique: None,
        asset: None,
        source: Some(source),
        automatic: true,
        author: ctx.actor.name().to_owned(),
    }
}

/// The automatic timeline entry of a change, as an item.
fn timeline_entry(ctx: &WriteCtx, case: &Case, description: String, source: SourceRef) -> AppResult<Item> {
    items::to_item(case.org_id, &automatic_entry(ctx, case, description, source), ctx.now)
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
