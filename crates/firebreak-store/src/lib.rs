//! Storage behind one trait.
//!
//! [`Store`] is what the server calls; [`SqlStore`] implements it on SQLite
//! (embedded, the default) and on PostgreSQL (scale-out), each with its own
//! migrations. The conformance suite in `tests/` runs the same tests on both.
//!
//! Invariants kept here:
//! - every query on tenant data takes the organisation it is scoped to;
//! - every write runs in one transaction that also appends its audit entry
//!   (see `audit::append`), so a change without its audit entry cannot be
//!   committed.

mod alerts;
mod audit;
mod cases;
mod columns;
mod error;
mod idempotency;
mod intake;
mod items;
mod metrics;
mod query;
mod records;
mod rows;
mod sql;

pub use alerts::{AlertStore, RuleOutcome};
pub use cases::{CaseEffects, CaseStore, CaseWrite};
pub use error::StoreError;
pub use idempotency::{Idempotency, Intake, KeptAnswer};
pub use items::{CaseItemCount, Item, ItemQuery, ItemStore, UNAUDITED_KINDS};
pub use metrics::{Counts, DurationQuery, MetricStore, SlaBreach, SlaCase, SlaCount, SlaTargets, StatRow};
pub use query::{CaseAlertKinds, QueryStore, Table};
pub use records::*;
pub use sql::{Backend, OpenOptions, SqlStore};

use async_trait::async_trait;
use firebreak_domain::audit::{AuditKey, AuditRecord, ChainHead};
use firebreak_types::{
    ApiKey, AuditEntry, AuditQuery, CaseShare, ListParams, OrgGrant, Organisation, Page, Role, ShareRule, User,
};
use uuid::Uuid;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Firebreak's persistence. Methods that change data take a [`WriteCtx`]
/// (who and when) and append the audit entry in the same transaction.
#[async_trait]
pub trait Store: CaseStore + ItemStore + AlertStore + MetricStore + QueryStore + Send + Sync + 'static {
    /// Which database this is.
    fn backend(&self) -> Backend;
    /// Whether the database answers.
    async fn ping(&self) -> Result<()>;
    /// The newest migration applied.
    async fn schema_version(&self) -> Result<i64>;
    /// Connections in use and idle, for the metrics endpoint.
    fn pool_state(&self) -> PoolState;

    // Organisations
    async fn create_org(&self, ctx: &WriteCtx, org: NewOrg) -> Result<Organisation>;
    async fn get_org(&self, id: Uuid) -> Result<Option<Organisation>>;
    /// The organisation created at first start, whose admins run the platform.
    async fn root_org(&self) -> Result<Option<Uuid>>;
    async fn org_count(&self) -> Result<u64>;
    /// Lists the organisations among `visible` (those the caller may act in).
    async fn list_orgs(&self, visible: &[Uuid], params: &ListParams) -> Result<Page<Organisation>>;
    async fn update_org(&self, ctx: &WriteCtx, id: Uuid, patch: OrgPatch) -> Result<Organisation>;
    async fn grant_access(&self, ctx: &WriteCtx, provider: Uuid, customer: Uuid) -> Result<OrgGrant>;
    async fn revoke_access(&self, ctx: &WriteCtx, provider: Uuid, customer: Uuid) -> Result<()>;
    /// The customers a provider has been granted.
    async fn grants_of(&self, provider: Uuid) -> Result<Vec<Uuid>>;
    /// The providers granted a customer.
    async fn providers_of(&self, customer: Uuid) -> Result<Vec<Uuid>>;

    // Case shares
    /// Shares the owner's case (`share.owner_org_id`, `share.case_id`);
    /// `NotFound` when the owner has no such case, `Conflict` when it is
    /// already shared with that organisation.
    async fn create_case_share(&self, ctx: &WriteCtx, share: &CaseShare) -> Result<CaseShare>;
    async fn update_case_share(
        &self,
        ctx: &WriteCtx,
        owner: Uuid,
        id: Uuid,
        role: Role,
        task_rule: ShareRule,
        observable_rule: ShareRule,
    ) -> Result<CaseShare>;
    /// Ends a share, answering what it was.
    async fn delete_case_share(&self, ctx: &WriteCtx, owner: Uuid, id: Uuid) -> Result<CaseShare>;
    async fn case_share(&self, owner: Uuid, id: Uuid) -> Result<Option<CaseShare>>;
    /// The owner's shares of one case.
    async fn case_shares(&self, owner: Uuid, case_id: Uuid) -> Result<Vec<CaseShare>>;
    /// What other organisations share with `org`, newest first.
    async fn shares_with(&self, org: Uuid) -> Result<Vec<CaseShare>>;
    /// The share with `org` of a case, whoever owns it.
    async fn case_share_with(&self, org: Uuid, case_id: Uuid) -> Result<Option<CaseShare>>;
    /// The share with `org` of the case an item (task, log, observable, …) belongs to.
    async fn item_share_with(&self, org: Uuid, item_id: Uuid) -> Result<Option<CaseShare>>;

    // People
    async fn create_user(&self, ctx: &WriteCtx, org: Uuid, user: NewUser) -> Result<User>;
    async fn get_user(&self, org: Uuid, id: Uuid) -> Result<Option<User>>;
    async fn list_users(&self, org: Uuid, params: &ListParams) -> Result<Page<User>>;
    /// Disabling a user also ends their sessions, in the same transaction.
    async fn update_user(&self, ctx: &WriteCtx, org: Uuid, id: Uuid, patch: UserPatch) -> Result<User>;
    async fn set_password(&self, ctx: &WriteCtx, org: Uuid, id: Uuid, password_hash: String) -> Result<()>;
    async fn delete_user(&self, ctx: &WriteCtx, org: Uuid, id: Uuid) -> Result<()>;
    /// The user and password hash for a sign-in name (any organisation).
    async fn credentials(&self, username: &str) -> Result<Option<(User, String)>>;

    // API keys
    async fn create_api_key(&self, ctx: &WriteCtx, org: Uuid, key: NewApiKey) -> Result<ApiKey>;
    async fn get_api_key(&self, org: Uuid, id: Uuid) -> Result<Option<ApiKey>>;
    async fn list_api_keys(&self, org: Uuid, params: &ListParams) -> Result<Page<ApiKey>>;
    async fn revoke_api_key(&self, ctx: &WriteCtx, org: Uuid, id: Uuid) -> Result<ApiKey>;
    /// The key with this secret hash, if it exists, whatever its state; the
    /// caller decides about expiry and revocation. `creator_disabled` tells
    /// whether the user who owns it is disabled, deleted or unknown, and
    /// `owner_role` what that user may do now.
    async fn api_key_by_secret_hash(&self, secret_hash: &str) -> Result<Option<KeyCredential>>;
    /// Records the key's last use (bookkeeping, not audited).
    async fn touch_api_key(&self, id: Uuid, at_ms: i64) -> Result<()>;

    // Sessions
    /// Opens a web session and records the sign-in.
    async fn create_session(&self, ctx: &WriteCtx, session: NewSession) -> Result<()>;
    /// The live session with this token hash, whose user is enabled.
    async fn session(&self, token_hash: &str, now_ms: i64) -> Result<Option<SessionRecord>>;
    async fn end_session(&self, ctx: &WriteCtx, token_hash: &str) -> Result<()>;

    // Audit
    /// Appends an entry that is not itself a change of data (a failed sign-in,
    /// a refused request).
    async fn record_event(&self, ctx: &WriteCtx, org: Uuid, event: AuditEvent) -> Result<()>;
    async fn list_audit(&self, org: Uuid, query: &AuditQuery) -> Result<Page<AuditEntry>>;
    /// Organisations that exist or have an audit chain head: every one
    /// should have a chain.
    async fn audit_orgs(&self) -> Result<Vec<Uuid>>;
    /// One organisation's chain in sequence order, with its head.
    async fn audit_chain(&self, org: Uuid) -> Result<(Vec<AuditRecord>, Option<ChainHead>)>;
    /// The key that signs the chain heads (verification needs it too).
    fn audit_key(&self) -> &AuditKey;
    /// Every chain head, for a checkpoint.
    async fn audit_heads(&self) -> Result<Vec<(Uuid, ChainHead)>>;
    /// Signs the heads written before heads were signed; returns how many.
    async fn anchor_audit_heads(&self) -> Result<u64>;
}
