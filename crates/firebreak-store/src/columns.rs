//! Reading typed values out of a row.

use firebreak_domain::clock::from_millis;
use firebreak_types::Role;
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;
use uuid::Uuid;

use crate::{Result, StoreError};

pub(crate) fn uuid_col(row: &AnyRow, col: &str) -> Result<Uuid> {
    let s: String = row.try_get(col)?;
    Uuid::parse_str(&s).map_err(|e| StoreError::Corrupt(format!("{col} {s:?}: {e}")))
}

pub(crate) fn opt_uuid_col(row: &AnyRow, col: &str) -> Result<Option<Uuid>> {
    let s: Option<String> = row.try_get(col)?;
    s.map(|s| Uuid::parse_str(&s).map_err(|e| StoreError::Corrupt(format!("{col} {s:?}: {e}")))).transpose()
}

pub(crate) fn time_col(row: &AnyRow, col: &str) -> Result<time::OffsetDateTime> {
    Ok(from_millis(row.try_get(col)?))
}

pub(crate) fn opt_time_col(row: &AnyRow, col: &str) -> Result<Option<time::OffsetDateTime>> {
    Ok(row.try_get::<Option<i64>, _>(col)?.map(from_millis))
}

pub(crate) fn role_col(row: &AnyRow, col: &str) -> Result<Role> {
    let s: String = row.try_get(col)?;
    Role::parse(&s).ok_or_else(|| StoreError::Corrupt(format!("unknown role {s:?}")))
}

/// Enums are stored as their JSON string form.
pub(crate) fn enum_text<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}
