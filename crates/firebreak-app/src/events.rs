//! Case events: one call tells everyone who should hear of a change — the
//! live channel, the people to notify in the app, and the organisation's
//! webhooks (queued as deliveries, sent by the delivery job). A case change
//! and what it tells are written in one transaction (`commit`); the
//! deliveries are the outbox the delivery job drains after it commits.

use std::sync::Arc;

use firebreak_store::{CaseWrite, Item, WriteCtx};
use firebreak_types::{Case, Delivery, DeliveryStatus, Notification, Role, SourceRef, TimelineEntry, WebhookFormat};
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::App;
use crate::error::AppResult;
use crate::items::{self, StoredWebhook};
use crate::thehive::{HiveOrg, Names};

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
    let hive = hive_org(state, event.case.org_id, &hooks).await?;
    let effects = effects(&event, &hooks, &hive, ctx.now)?;
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

/// The organisation's name and its users' logins, which TheHive's
/// notifications carry; read only when one of `hooks` sends them.
async fn hive_org(state: &App, org: Uuid, hooks: &[StoredWebhook]) -> AppResult<HiveOrg> {
    if !hooks.iter().any(|h| h.webhook.format == WebhookFormat::Thehive) {
        return Ok(HiveOrg::default());
    }
    let name = state.store.get_org(org).await?.map(|o| o.name).unwrap_or_default();
    Ok(HiveOrg { name, names: Names::of_org(state, org).await? })
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

/// How long a node trusts its list of an organisation's `alert.created`
/// webhooks. A change on this node clears it at once; nodes share no
/// invalidation channel yet, so another node's change is seen within this.
pub const ALERT_HOOKS_TTL: time::Duration = time::Duration::seconds(10);

/// A list of webhooks and when it was read.
type KeptHooks = (OffsetDateTime, Arc<Vec<StoredWebhook>>);

/// Each organisation's enabled webhooks that want `alert.created`, so that
/// intake does not ask the store for them on every batch.
#[derive(Default)]
pub struct AlertHooks {
    by_org: std::sync::Mutex<std::collections::HashMap<Uuid, KeptHooks>>,
}

impl AlertHooks {
    fn get(&self, org: Uuid, now: OffsetDateTime) -> Option<Arc<Vec<StoredWebhook>>> {
        let m = self.by_org.lock().ok()?;
        m.get(&org).filter(|(at, _)| now - *at < ALERT_HOOKS_TTL && now >= *at).map(|(_, h)| h.clone())
    }

    fn put(&self, org: Uuid, now: OffsetDateTime, hooks: Arc<Vec<StoredWebhook>>) {
        if let Ok(mut m) = self.by_org.lock() {
            m.insert(org, (now, hooks));
        }
    }

    /// Forgets `org`'s list (one of its webhooks was made, changed or removed).
    pub fn forget(&self, org: Uuid) {
        if let Ok(mut m) = self.by_org.lock() {
            m.remove(&org);
        }
    }
}

/// The enabled webhooks of `org` that want `alert.created`: from this
/// node's cache when fresh, else from the store (once per batch at most).
async fn alert_listeners(state: &App, org: Uuid, now: OffsetDateTime) -> AppResult<Arc<Vec<StoredWebhook>>> {
    if let Some(hooks) = state.alert_hooks.get(org, now) {
        return Ok(hooks);
    }
    let hooks: Vec<StoredWebhook> = listeners(state, org)
        .await?
        .into_iter()
        .filter(|h| h.webhook.events.iter().any(|e| e == "alert.created"))
        .collect();
    let hooks = Arc::new(hooks);
    state.alert_hooks.put(org, now, hooks.clone());
    Ok(hooks)
}

async fn queue_alerts_created(state: &App, ctx: &WriteCtx, org: Uuid, stored: &[(Uuid, bool)]) -> AppResult<()> {
    const EVENT: &str = "alert.created";
    if !stored.iter().any(|(_, created)| *created) {
        return Ok(());
    }
    let hooks = alert_listeners(state, org, ctx.now).await?;
    if hooks.is_empty() {
        return Ok(());
    }
    let hive = hive_org(state, org, &hooks).await?;
    let now = ctx.now;
    let mut out = Vec::new();
    for (id, _) in stored.iter().filter(|(_, created)| *created) {
        let Some(alert) = state.store.get_alert(org, *id).await? else { continue };
        for h in hooks.iter() {
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
                WebhookFormat::Thehive => crate::thehive::alert_notification(&alert, &hive, now),
            };
            out.push(delivery(org, h, EVENT, payload, now)?);
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
/// (`hive`: the organisation as TheHive's notifications name it).
pub fn effects(
    event: &CaseEvent<'_>,
    hooks: &[StoredWebhook],
    hive: &HiveOrg,
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
    let mut hive_body = None;
    for h in hooks.iter().filter(|h| listens(h, event.name)) {
        let payload = match h.webhook.format {
            WebhookFormat::Firebreak => body.clone(),
            WebhookFormat::Thehive => {
                hive_body.get_or_insert_with(|| crate::thehive::case_notification(event, hive, now)).clone()
            }
        };
        out.push(delivery(org, h, event.name, payload, now)?);
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
    let hive = hive_org(state, org, &hooks).await?;
    let make = |case: &Case| -> firebreak_store::Result<Vec<Item>> {
        let text = (change.text)(case);
        let mut out = change.also.clone();
        out.push(timeline_entry(ctx, case, text.clone(), change.source.clone()).map_err(|_| unwritable())?);
        if let Some((notify, data)) = &change.event {
            let event = CaseEvent { name: change.name, case, text, data: data.clone(), notify: notify.clone() };
            out.extend(effects(&event, &hooks, &hive, ctx.now).map_err(|_| unwritable())?);
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

/// What a change of a thing a case or an alert holds is told under.
pub enum Root<'a> {
    Case(&'a Case),
    Alert(&'a firebreak_types::Alert),
}

impl Root<'_> {
    fn org_id(&self) -> Uuid {
        match self {
            Root::Case(c) => c.org_id,
            Root::Alert(a) => a.org_id,
        }
    }

    fn id(&self) -> Uuid {
        match self {
            Root::Case(c) => c.id,
            Root::Alert(a) => a.id,
        }
    }

    /// The root as Firebreak's body names it.
    fn firebreak(&self) -> (&'static str, serde_json::Value) {
        match self {
            Root::Case(c) => ("case", json!({ "id": c.id, "number": c.number, "title": c.title, "state": c.state })),
            Root::Alert(a) => ("alert", json!({ "id": a.id, "title": a.title, "source": a.source, "state": a.state })),
        }
    }

    fn hive(&self, names: &Names) -> serde_json::Value {
        match self {
            Root::Case(c) => crate::thehive::shape::case(c, names),
            Root::Alert(a) => crate::thehive::shape::alert(a, names),
        }
    }
}

/// An entity in TheHive 5's shape, given the organisation's logins.
pub type HiveShape<'a> = dyn Fn(&Names) -> serde_json::Value + Send + Sync + 'a;

/// A change of a task, a task's log, an observable, a comment or a
/// procedure (see `firebreak_types::ITEM_EVENTS`), told to the webhooks that
/// name its event, and to every webhook in TheHive's format that names no
/// event (TheHive notifies of everything).
pub struct ItemEvent<'a> {
    /// `task.created`, `observable.deleted`, …
    pub name: &'static str,
    pub root: Root<'a>,
    /// What TheHive calls it: `Task`, `Log`, `Observable`, `Comment`, `Procedure`.
    pub object_type: &'static str,
    pub object_id: String,
    /// The object as Firebreak's API answers it.
    pub object: serde_json::Value,
    /// The object in TheHive 5's shape (from the shape the facade answers with).
    pub hive: &'a HiveShape<'a>,
    /// For an update: the object before, as Firebreak's API and as TheHive
    /// shape it; the notification's details are the fields that changed.
    pub before: Option<(serde_json::Value, &'a HiveShape<'a>)>,
}

/// The fields of `after` whose value differs in `before` (TheHive's
/// `details` of an update).
fn changed_fields(before: &serde_json::Value, after: &serde_json::Value) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    if let (Some(b), Some(a)) = (before.as_object(), after.as_object()) {
        for (k, v) in a {
            if b.get(k) != Some(v) && !k.starts_with('_') {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    serde_json::Value::Object(out)
}

/// A value as Firebreak's API answers it, for a webhook's body.
pub fn as_json<T: serde::Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or_default()
}

fn listens_item(hook: &StoredWebhook, event: &str) -> bool {
    hook.webhook.events.iter().any(|e| e == event)
        || (hook.webhook.events.is_empty() && hook.webhook.format == WebhookFormat::Thehive)
}

/// The deliveries of `event`, dated `now`, to be written in the change's
/// transaction (the outbox); empty when no webhook listens.
pub async fn item_deliveries(state: &App, event: &ItemEvent<'_>, now: OffsetDateTime) -> AppResult<Vec<Item>> {
    let org = event.root.org_id();
    let hooks: Vec<StoredWebhook> =
        listeners(state, org).await?.into_iter().filter(|h| listens_item(h, event.name)).collect();
    if hooks.is_empty() {
        return Ok(Vec::new());
    }
    let hive = hive_org(state, org, &hooks).await?;
    let mut hive_body = None;
    let mut out = Vec::with_capacity(hooks.len());
    for h in &hooks {
        let payload = match h.webhook.format {
            WebhookFormat::Firebreak => {
                let (root_name, root) = event.root.firebreak();
                let mut body = json!({
                    "event": event.name,
                    "at": now.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
                    "org_id": org,
                    "object": event.object,
                });
                body[root_name] = root;
                if let Some((before, _)) = &event.before {
                    body["changed"] = changed_fields(before, &event.object);
                }
                body
            }
            WebhookFormat::Thehive => hive_body.get_or_insert_with(|| item_notification(event, &hive, now)).clone(),
        };
        out.push(delivery(org, h, event.name, payload, now)?);
    }
    Ok(out)
}

fn item_notification(event: &ItemEvent<'_>, hive: &HiveOrg, now: OffsetDateTime) -> serde_json::Value {
    use crate::thehive::Operation;
    let operation = match event.name.rsplit('.').next() {
        Some("created") => Operation::Creation,
        Some("deleted") => Operation::Delete,
        _ => Operation::Update,
    };
    let object = if operation == Operation::Delete { serde_json::Value::Null } else { (event.hive)(&hive.names) };
    let details = match (&event.before, operation) {
        (_, Operation::Creation) => object.clone(),
        (Some((_, before)), _) => changed_fields(&before(&hive.names), &object),
        (None, _) => json!({}),
    };
    let notice = crate::thehive::Notice {
        operation,
        object_type: event.object_type,
        object_id: event.object_id.clone(),
        root_id: event.root.id(),
        org_id: event.root.org_id(),
        object,
        context: event.root.hive(&hive.names),
        details,
    };
    crate::thehive::notification(&notice, &hive.name, now)
}

/// A pending delivery of `payload` to `hook`, due at once.
fn delivery(
    org: Uuid,
    hook: &StoredWebhook,
    event: &str,
    payload: serde_json::Value,
    now: OffsetDateTime,
) -> AppResult<Item> {
    let d = Delivery {
        id: Uuid::now_v7(),
        webhook_id: hook.webhook.id,
        event: event.to_owned(),
        payload,
        status: DeliveryStatus::Pending,
        attempts: 0,
        last_status_code: None,
        last_error: None,
        next_attempt_at: Some(now),
        delivered_at: None,
        created_at: now,
    };
    items::to_item(org, &d, now)
}

/// After a change committed with `deliveries`: wakes the delivery job.
pub fn delivered(state: &App, deliveries: bool) {
    if deliveries {
        state.jobs.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alert_hooks_are_kept_for_their_time_to_live_or_until_forgotten() {
        let cache = AlertHooks::default();
        let org = Uuid::now_v7();
        let t0 = OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000);
        cache.put(org, t0, Arc::new(Vec::new()));
        assert!(cache.get(org, t0 + time::Duration::seconds(9)).is_some());
        assert!(cache.get(org, t0 + ALERT_HOOKS_TTL).is_none(), "another node's change is seen within the TTL");
        assert!(cache.get(Uuid::now_v7(), t0).is_none());
        cache.put(org, t0, Arc::new(Vec::new()));
        cache.forget(org);
        assert!(cache.get(org, t0).is_none(), "a change on this node is seen at once");
    }
}
