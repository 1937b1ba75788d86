//! Metrics and the management report.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use firebreak_types::{ErrorBody, MetricInfo, MetricQuery, MetricTable};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::request::{ApiPath, ApiQuery};
use crate::state::AppState;
use firebreak_app::metrics;

/// Every metric with its definition and the breakdowns it accepts.
#[utoipa::path(get, path = "/api/v1/metrics", tag = "metrics",
    responses((status = 200, body = [MetricInfo])))]
pub async fn catalogue(caller: Caller) -> ApiResult<Json<Vec<MetricInfo>>> {
    caller.require(firebreak_domain::permission::Action::MetricsRead)?;
    Ok(Json(metrics::catalogue()))
}

/// One metric over a period (`from` inclusive, `to` exclusive; default the
/// last 30 days), optionally broken down by `group_by` and filtered: the
/// table behind its chart. `format=csv` returns the same table as CSV.
#[utoipa::path(get, path = "/api/v1/metrics/{name}", tag = "metrics",
    params(("name" = String, Path, description = "A metric of `GET /api/v1/metrics`"), MetricQuery),
    responses((status = 200, content((MetricTable = "application/json"), (String = "text/csv"))),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(name): ApiPath<String>,
    ApiQuery(q): ApiQuery<MetricQuery>,
) -> ApiResult<Response> {
    let table = metrics::get(&s, &caller, &name, &q).await?;
    match q.format.as_deref() {
        None | Some("json") => Ok(Json(table).into_response()),
        Some("csv") => Ok(csv(&format!("{name}.csv"), table.to_csv())),
        Some(_) => {
            Err(ApiError::field(firebreak_types::ErrorCode::InvalidField, "format", "format must be json or csv"))
        }
    }
}

/// A CSV download.
pub fn csv(filename: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
        ],
        body,
    )
        .into_response()
}
