use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The one way every list endpoint pages, sorts and searches.
///
/// Paging is by offset: `offset` rows are skipped, at most `limit` returned.
/// `sort` names a field, with a leading `-` for descending order. `q` is a
/// case-insensitive text search over the endpoint's searchable fields. A
/// `total` is computed only when asked, since it costs a second query.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Rows to return, 1 to 1000 (default 50).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// Rows to skip (default 0).
    pub offset: Option<u64>,
    /// Field to sort by; prefix with `-` for descending.
    pub sort: Option<String>,
    /// Case-insensitive text search.
    pub q: Option<String>,
    /// Also return the number of matching rows.
    pub total: Option<bool>,
}

/// A page of a list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub limit: u32,
    pub offset: u64,
    /// Number of matching rows, present when `total=true` was asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    /// Where the list pages by keyset (alerts): the `after` that reads the
    /// next page; absent on the last one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}
