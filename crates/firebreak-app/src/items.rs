//! Typed access to the store's items: each wire type says which kind it is
//! and which of its fields the store indexes; the rest is its JSON body.

use firebreak_store::{Item, ItemQuery, WriteCtx};
use firebreak_types::{
    CaseTemplate, Delivery, Escalation, Notification, Observable, Task, TaskLog, Team, TimelineEntry, Webhook,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::App;
use crate::error::{AppError, AppResult};

/// The indexed columns of an item.
#[derive(Debug, Default)]
pub struct Index {
    pub case_id: Option<Uuid>,
    pub parent_id: Option<Uuid>,
    pub key: Option<String>,
    pub status: Option<String>,
    pub assignee_id: Option<Uuid>,
    pub due_at: Option<OffsetDateTime>,
    /// Defaults to the creation time.
    pub at: Option<OffsetDateTime>,
}

pub trait Kind: Serialize + DeserializeOwned + Send + Sync {
    /// The stored kind, also the audit log's object type.
    const KIND: &'static str;
    /// Said in "no such …" errors.
    const NOUN: &'static str;
    fn id(&self) -> Uuid;
    fn index(&self) -> Index;
}

/// The stored form of `v`, made at `now`.
pub fn to_item<T: Kind>(org: Uuid, v: &T, now: OffsetDateTime) -> AppResult<Item> {
    let ix = v.index();
    Ok(Item {
        id: v.id(),
        org_id: org,
        kind: T::KIND.to_owned(),
        case_id: ix.case_id,
        parent_id: ix.parent_id,
        key: ix.key,
        status: ix.status,
        assignee_id: ix.assignee_id,
        due_at: ix.due_at,
        at: ix.at.unwrap_or(now),
        body: serde_json::to_value(v).map_err(|_| AppError::internal())?,
        created_at: now,
        updated_at: now,
        version: 0,
    })
}

pub fn from_item<T: Kind>(item: &Item) -> AppResult<T> {
    serde_json::from_value(item.body.clone()).map_err(|e| {
        tracing::error!(kind = T::KIND, id = %item.id, error = %e, "stored item does not read back");
        AppError::internal()
    })
}

/// Stores new items of one kind in one transaction.
pub async fn create_all<T: Kind>(state: &App, ctx: &WriteCtx, org: Uuid, values: Vec<T>) -> AppResult<Vec<T>> {
    let items = values.iter().map(|v| to_item(org, v, ctx.now)).collect::<AppResult<Vec<_>>>()?;
    state.store.create_items(ctx, items).await?;
    Ok(values)
}

pub async fn create<T: Kind>(state: &App, ctx: &WriteCtx, org: Uuid, value: T) -> AppResult<T> {
    create_with(state, ctx, org, value, Vec::new()).await
}

/// Stores `value` and `also` (the webhook deliveries it causes) in one transaction.
pub async fn create_with<T: Kind>(state: &App, ctx: &WriteCtx, org: Uuid, value: T, also: Vec<Item>) -> AppResult<T> {
    let mut items = vec![to_item(org, &value, ctx.now)?];
    items.extend(also);
    state.store.create_items(ctx, items).await?;
    Ok(value)
}

/// The stored item and its value; 404 naming the noun when absent.
pub async fn load<T: Kind>(state: &App, org: Uuid, id: Uuid) -> AppResult<(Item, T)> {
    let item = state.store.get_item(org, T::KIND, id).await?.ok_or_else(|| AppError::not_found(T::NOUN))?;
    let value = from_item(&item)?;
    Ok((item, value))
}

/// Writes `value` over `before`; a concurrent change answers 409.
pub async fn save<T: Kind>(state: &App, ctx: &WriteCtx, before: &Item, value: T) -> AppResult<T> {
    save_with(state, ctx, before, value, Vec::new()).await
}

/// `save`, with `also` (the webhook deliveries it causes) in its transaction.
pub async fn save_with<T: Kind>(state: &App, ctx: &WriteCtx, before: &Item, value: T, also: Vec<Item>) -> AppResult<T> {
    let ix = value.index();
    let after = Item {
        parent_id: ix.parent_id,
        key: ix.key,
        status: ix.status,
        assignee_id: ix.assignee_id,
        due_at: ix.due_at,
        at: ix.at.unwrap_or(before.at),
        body: serde_json::to_value(&value).map_err(|_| AppError::internal())?,
        updated_at: ctx.now,
        ..before.clone()
    };
    state.store.update_item_with(ctx, before, after, also).await?;
    Ok(value)
}

pub async fn delete<T: Kind>(state: &App, ctx: &WriteCtx, org: Uuid, id: Uuid) -> AppResult<()> {
    delete_with::<T>(state, ctx, org, id, Vec::new()).await
}

/// `delete`, with `also` (the webhook deliveries it causes) in its transaction.
pub async fn delete_with<T: Kind>(state: &App, ctx: &WriteCtx, org: Uuid, id: Uuid, also: Vec<Item>) -> AppResult<()> {
    state.store.delete_item_with(ctx, org, T::KIND, id, also).await.map_err(|e| match e {
        firebreak_store::StoreError::NotFound => AppError::not_found(T::NOUN),
        e => e.into(),
    })
}

/// A query for `T`'s kind; set the other fields on what it returns.
pub fn query<T: Kind>() -> ItemQuery {
    ItemQuery { kind: T::KIND.to_owned(), ..Default::default() }
}

pub async fn list<T: Kind>(state: &App, org: Uuid, q: &ItemQuery) -> AppResult<Vec<T>> {
    state.store.list_items(org, q).await?.iter().map(from_item).collect()
}

/// Items of `T` that belong to one case, in time order.
pub async fn of_case<T: Kind>(state: &App, org: Uuid, case: Uuid) -> AppResult<Vec<T>> {
    list(state, org, &ItemQuery { case_id: Some(case), ..query::<T>() }).await
}

/// A named setting of an organisation, and its stored item.
pub async fn setting(state: &App, org: Uuid, name: &str) -> AppResult<Option<(Item, OrgSetting)>> {
    let q = ItemQuery { key: Some(name.to_owned()), ..query::<OrgSetting>() };
    let Some(item) = state.store.list_items(org, &q).await?.into_iter().next() else {
        return Ok(None);
    };
    let value = from_item(&item)?;
    Ok(Some((item, value)))
}

/// A named setting's value, or `default()` until the organisation sets its own.
pub async fn setting_or<T: DeserializeOwned>(
    state: &App,
    org: Uuid,
    name: &str,
    default: impl FnOnce() -> T,
) -> AppResult<T> {
    match setting(state, org, name).await? {
        Some((_, s)) => serde_json::from_value(s.value).map_err(|e| {
            tracing::error!(setting = name, error = %e, "stored setting does not read back");
            AppError::internal()
        }),
        None => Ok(default()),
    }
}

/// Stores a named setting of an organisation, replacing the one before
/// (audited as any item).
pub async fn put_setting<T: Serialize>(state: &App, ctx: &WriteCtx, org: Uuid, name: &str, value: &T) -> AppResult<()> {
    let value = serde_json::to_value(value).map_err(|_| AppError::internal())?;
    match setting(state, org, name).await? {
        Some((item, mut s)) => {
            s.value = value;
            save(state, ctx, &item, s).await?;
        }
        None => {
            let s = OrgSetting { id: Uuid::now_v7(), name: name.to_owned(), value };
            create(state, ctx, org, s).await?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// The kinds

/// A named setting of an organisation (its SLA policy, say).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct OrgSetting {
    pub id: Uuid,
    pub name: String,
    pub value: serde_json::Value,
}

impl Kind for OrgSetting {
    const KIND: &'static str = "setting";
    const NOUN: &'static str = "setting";
    fn id(&self) -> Uuid {
        self.id
    }
    fn index(&self) -> Index {
        Index { key: Some(self.name.clone()), ..Index::default() }
    }
}

impl Kind for Task {
    const KIND: &'static str = "task";
    const NOUN: &'static str = "task";
    fn id(&self) -> Uuid {
        self.id
    }
    fn index(&self) -> Index {
        Index {
            case_id: Some(self.case_id),
            status: Some(self.status.as_str().to_owned()),
            assignee_id: self.assignee_id,
            due_at: self.due_at,
            at: Some(self.created_at),
            ..Index::default()
        }
    }
}

impl Kind for TaskLog {
    const KIND: &'static str = "task_log";
    const NOUN: &'static str = "task log entry";
    fn id(&self) -> Uuid {
        self.id
    }
    fn index(&self) -> Index {
        Index { parent_id: Some(self.task_id), at: Some(self.at), ..Index::default() }
    }
}

impl Kind for CaseTemplate {
    const KIND: &'static str = "template";
    const NOUN: &'static str = "template";
    fn id(&self) -> Uuid {
        self.id
    }
    fn index(&self) -> Index {
        Index { key: Some(self.name.to_lowercase()), status: Some(self.category.clone()), ..Index::default() }
    }
}

impl Kind for Observable {
    const KIND: &'static str = "observable";
    const NOUN: &'static str = "observable";
    fn id(&self) -> Uuid {
        self.id
    }
    fn index(&self) -> Index {
        Index {
            case_id: Some(self.case_id),
            key: Some(observable_key(&self.kind, &self.value)),
            status: self.ioc.then(|| IOC_STATUS.to_owned()),
            at: Some(self.created_at),
            ..Index::default()
        }
    }
}

/// The indexed status of an observable marked as an indicator of compromise.
pub const IOC_STATUS: &str = "ioc";

/// The indexed status of a timeline entry that names an ATT&CK technique
/// (what TheHive calls a procedure).
pub const PROCEDURE_STATUS: &str = "procedure";

/// The sightings index key: the same type and normalised value is the same observable.
pub fn observable_key(kind: &str, value: &str) -> String {
    format!("{kind}:{value}")
}

impl Kind for TimelineEntry {
    const KIND: &'static str = "timeline";
    const NOUN: &'static str = "timeline entry";
    fn id(&self) -> Uuid {
        self.id
    }
    fn index(&self) -> Index {
        Index {
            case_id: Some(self.case_id),
            key: self.tactic.clone(),
            status: self.technique.as_ref().map(|_| PROCEDURE_STATUS.to_owned()),
            at: Some(self.at),
            ..Index::default()
        }
    }
}

impl Kind for Escalation {
    const KIND: &'static str = "escalation";
    const NOUN: &'static str = "escalation";
    fn id(&self) -> Uuid {
        self.id
    }
    fn index(&self) -> Index {
        Index { case_id: Some(self.case_id), at: Some(self.at), ..Index::default() }
    }
}

impl Kind for Notification {
    const KIND: &'static str = "notification";
    const NOUN: &'static str = "notification";
    fn id(&self) -> Uuid {
        self.id
    }
    fn index(&self) -> Index {
        Index {
            case_id: self.case_id,
            assignee_id: Some(self.user_id),
            status: Some(if self.read { "read" } else { "unread" }.to_owned()),
            at: Some(self.at),
            ..Index::default()
        }
    }
}

impl Kind for Team {
    const KIND: &'static str = "team";
    const NOUN: &'static str = "team";
    fn id(&self) -> Uuid {
        self.id
    }
    fn index(&self) -> Index {
        Index { key: Some(self.name.to_lowercase()), parent_id: self.reports_to, ..Index::default() }
    }
}

/// A webhook as stored: with the secret it signs with.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct StoredWebhook {
    #[serde(flatten)]
    pub webhook: Webhook,
    pub secret: String,
}

impl Kind for StoredWebhook {
    const KIND: &'static str = "webhook";
    const NOUN: &'static str = "webhook";
    fn id(&self) -> Uuid {
        self.webhook.id
    }
    fn index(&self) -> Index {
        Index {
            key: Some(self.webhook.name.to_lowercase()),
            status: Some(if self.webhook.enabled { "enabled" } else { "disabled" }.to_owned()),
            at: Some(self.webhook.created_at),
            ..Index::default()
        }
    }
}

impl Kind for Delivery {
    const KIND: &'static str = "delivery";
    const NOUN: &'static str = "delivery";
    fn id(&self) -> Uuid {
        self.id
    }
    fn index(&self) -> Index {
        Index {
            parent_id: Some(self.webhook_id),
            status: Some(self.status.as_str().to_owned()),
            due_at: self.next_attempt_at,
            at: Some(self.created_at),
            ..Index::default()
        }
    }
}

impl Kind for firebreak_types::AlertComment {
    const KIND: &'static str = "alert_comment";
    const NOUN: &'static str = "comment";
    fn id(&self) -> Uuid {
        self.id
    }
    fn index(&self) -> Index {
        Index { parent_id: Some(self.alert_id), at: Some(self.created_at), ..Index::default() }
    }
}
