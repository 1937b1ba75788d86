//! What the operations endpoints report about the application's database.

use firebreak_store::{PoolState, StoreError};

use crate::App;

/// The database answers, at this schema version.
pub async fn ready(app: &App) -> Result<i64, StoreError> {
    app.store.ping().await?;
    app.store.schema_version().await
}

/// The database's name (`sqlite`, `postgres`).
pub fn database(app: &App) -> &'static str {
    app.store.backend().name()
}

/// The connection pool's size and idle connections.
pub fn pool(app: &App) -> PoolState {
    app.store.pool_state()
}
