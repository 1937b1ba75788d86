use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A unique value is taken; names what.
    #[error("{0} already exists")]
    Conflict(String),
    /// The object changed since it was read (optimistic concurrency).
    #[error("the object was changed meanwhile")]
    Stale,
    /// A list parameter the store cannot honour.
    #[error("{param}: {expected}")]
    BadQuery { param: String, expected: String },
    #[error(
        "the database's schema is at version {database}, newer than this binary knows ({binary}); \
         run a newer firebreak, or restore a backup made for this version"
    )]
    SchemaTooNew { database: i64, binary: i64 },
    #[error("unsupported database URL {0:?}: expected sqlite://… or postgres://…")]
    UnsupportedUrl(String),
    #[error("stored data is not what it should be: {0}")]
    Corrupt(String),
    /// The database cannot be reached, or SQLite's alert writer has stopped
    /// or could not make its work durable: nothing was stored, and the same
    /// request may be sent again.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// From SQLite's alert writer, which runs on a connection of its own.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// Whether the database itself could not be reached.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            StoreError::Unavailable(_)
                | StoreError::Database(sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed)
        )
    }
}

/// Maps a unique-constraint violation to a [`StoreError::Conflict`] naming `what`.
pub(crate) fn conflict_as(what: &str) -> impl FnOnce(sqlx::Error) -> StoreError + '_ {
    move |e| match e.as_database_error().map(|d| d.kind()) {
        Some(sqlx::error::ErrorKind::UniqueViolation) => StoreError::Conflict(what.to_owned()),
        _ => StoreError::Database(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unavailable_says_so_and_other_errors_do_not() {
        let e = StoreError::Unavailable("the alert writer has stopped".into());
        assert!(e.is_unavailable());
        assert_eq!(e.to_string(), "database unavailable: the alert writer has stopped");
        assert!(StoreError::Database(sqlx::Error::PoolTimedOut).is_unavailable());
        assert!(!StoreError::Database(sqlx::Error::RowNotFound).is_unavailable());
        assert!(!StoreError::Stale.is_unavailable());
    }
}
