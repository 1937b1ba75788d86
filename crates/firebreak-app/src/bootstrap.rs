//! First start: the root organisation and its first admin.

use firebreak_store::{Actor, NewOrg, NewUser, Store, StoreError, WriteCtx};
use firebreak_types::{OrgKind, Role};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::secrets::{hash_password, random_token};

/// Name of the organisation created at first start.
pub const ROOT_ORG_NAME: &str = "Firebreak";

/// What first start did.
pub enum Bootstrap {
    /// Already set up earlier: the root organisation's id.
    Existing { root_org: Uuid },
    /// Just set up. `generated_password` is set when no password was given and
    /// one was made up: it is shown once and never stored in clear.
    Created { root_org: Uuid, generated_password: Option<String> },
}

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the first admin's password: {0}")]
    Password(String),
    #[error("the database has organisations but none is marked as the root one")]
    NoRoot,
}

/// Creates the root organisation and the `admin` user unless they exist.
pub async fn ensure_root(
    store: &dyn Store,
    admin_password: Option<&str>,
    now: OffsetDateTime,
) -> Result<Bootstrap, BootstrapError> {
    if let Some(root_org) = store.root_org().await? {
        return Ok(Bootstrap::Existing { root_org });
    }
    if store.org_count().await? > 0 {
        return Err(BootstrapError::NoRoot);
    }
    let (password, generated) = match admin_password {
        Some(p) => {
            firebreak_domain::validate::Password::parse("admin password", p)
                .map_err(|e| BootstrapError::Password(e.to_string()))?;
            (p.to_owned(), false)
        }
        None => (random_token(18).map_err(|e| BootstrapError::Password(e.message))?, true),
    };
    let hash = hash_password(&password).map_err(|e| BootstrapError::Password(e.message))?;
    let ctx = WriteCtx { actor: Actor::System, now };
    let root = store
        .create_org(
            &ctx,
            NewOrg {
                id: Uuid::now_v7(),
                root: true,
                grant_to: None,
                name: ROOT_ORG_NAME.into(),
                kind: OrgKind::Provider,
                description: "The organisation that runs this Firebreak server.".into(),
            },
        )
        .await?;
    store
        .create_user(
            &ctx,
            root.id,
            NewUser {
                id: Uuid::now_v7(),
                username: "admin".into(),
                display_name: "Administrator".into(),
                email: String::new(),
                role: Role::Admin,
                password_hash: hash,
            },
        )
        .await?;
    Ok(Bootstrap::Created { root_org: root.id, generated_password: generated.then_some(password) })
}
