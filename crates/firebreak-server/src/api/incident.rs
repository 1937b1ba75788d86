//! Endpoints of incident management: roles, communications, stakeholder
//! updates, requests, response actions, the review and its action items.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use firebreak_types::{
    ActionItem, AssignCaseRole, Audience, CaseRequest, CaseRole, Communication, CreateActionItem, CreateCommunication,
    CreateRequest, CreateResponseAction, ErrorBody, RequestKind, ResponseAction, Review, SetActionStatus,
    SetItemStatus, SetRequestStatus, UpdateDraft, WriteReview,
};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::request::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use firebreak_app::incident;

type Created<T> = ApiResult<(StatusCode, Json<T>)>;

/// A list of a case's items of one kind.
macro_rules! case_list {
    ($name:ident, $path:literal, $tag:literal, $t:ty, $call:path) => {
        #[utoipa::path(get, path = $path, tag = $tag, params(("id" = Uuid, Path)),
                                            responses((status = 200, body = [$t]), (status = 404, body = ErrorBody)))]
        pub async fn $name(
            State(s): State<AppState>,
            caller: Caller,
            ApiPath(id): ApiPath<Uuid>,
        ) -> ApiResult<Json<Vec<$t>>> {
            Ok(Json($call(&s, &caller, id).await?))
        }
    };
}

/// A new item on a case.
macro_rules! case_create {
    ($(#[$doc:meta])* $name:ident, $path:literal, $tag:literal, $req:ty, $t:ty, $call:path) => {
        $(#[$doc])*
        #[utoipa::path(post, path = $path, tag = $tag, params(("id" = Uuid, Path)), request_body = $req,
            responses((status = 201, body = $t), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
        pub async fn $name(
            State(s): State<AppState>,
            caller: Caller,
            ApiPath(id): ApiPath<Uuid>,
            ApiJson(req): ApiJson<$req>,
        ) -> Created<$t> {
            Ok((StatusCode::CREATED, Json($call(&s, &caller, id, req).await?)))
        }
    };
}

case_list!(roles, "/api/v1/cases/{id}/roles", "incident", CaseRole, incident::roles);
case_create!(
    /// Give someone a role on the case: incident manager, lead responder,
    /// responder, communications, scribe or business owner.
    assign_role, "/api/v1/cases/{id}/roles", "incident", AssignCaseRole, CaseRole, incident::assign_role
);

#[utoipa::path(delete, path = "/api/v1/cases/{id}/roles/{role_id}", tag = "incident",
    params(("id" = Uuid, Path), ("role_id" = Uuid, Path)), responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn remove_role(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath((id, rid)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    incident::remove_role(&s, &caller, id, rid).await?;
    Ok(StatusCode::NO_CONTENT)
}

case_list!(communications, "/api/v1/cases/{id}/communications", "incident", Communication, incident::communications);
case_create!(
    /// Log an exchange. With `next_update_due`, a reminder is raised (in the
    /// app and to webhooks, as `case.update_due`) if no later message to the
    /// same contact goes out by then.
    log_communication, "/api/v1/cases/{id}/communications", "incident", CreateCommunication, Communication,
    incident::log_communication
);

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DraftQuery {
    /// executive or technical.
    pub audience: Audience,
    /// The reader's offset from UTC in minutes (east positive, as in
    /// `+02:00`), so that times in the text are in their zone; UTC without it.
    #[param(minimum = -1080, maximum = 1080)]
    pub utc_offset_minutes: Option<i32>,
}

/// A stakeholder update drafted from the case, to edit and then record as
/// sent (a communication with channel `update`).
#[utoipa::path(get, path = "/api/v1/cases/{id}/update-draft", tag = "incident", params(("id" = Uuid, Path), DraftQuery),
    responses((status = 200, body = UpdateDraft), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update_draft(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<DraftQuery>,
) -> ApiResult<Json<UpdateDraft>> {
    Ok(Json(incident::draft_update(&s, &caller, id, q.audience, q.utc_offset_minutes).await?))
}

case_list!(requests, "/api/v1/cases/{id}/requests", "incident", CaseRequest, incident::case_requests);
case_create!(
    /// Ask a business team for an action, or ask for new detection.
    create_request, "/api/v1/cases/{id}/requests", "incident", CreateRequest, CaseRequest, incident::create_request
);

#[utoipa::path(patch, path = "/api/v1/cases/{id}/requests/{request_id}", tag = "incident",
    params(("id" = Uuid, Path), ("request_id" = Uuid, Path)), request_body = SetRequestStatus,
    responses((status = 200, body = CaseRequest), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn set_request_status(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath((id, rid)): ApiPath<(Uuid, Uuid)>,
    ApiJson(req): ApiJson<SetRequestStatus>,
) -> ApiResult<Json<CaseRequest>> {
    Ok(Json(incident::set_request_status(&s, &caller, id, rid, req.status).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BacklogQuery {
    /// business or detection.
    pub kind: RequestKind,
    /// Only open and in-progress ones.
    #[serde(default)]
    pub open: bool,
}

/// Requests across all cases: the detection backlog, or what business teams owe.
#[utoipa::path(get, path = "/api/v1/requests", tag = "incident", params(BacklogQuery),
    responses((status = 200, body = [CaseRequest]), (status = 400, body = ErrorBody)))]
pub async fn backlog(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<BacklogQuery>,
) -> ApiResult<Json<Vec<CaseRequest>>> {
    Ok(Json(incident::backlog_requests(&s, &caller, q.kind, q.open).await?))
}

case_list!(actions, "/api/v1/cases/{id}/actions", "incident", ResponseAction, incident::actions);
case_create!(
    /// Request a response action (isolate host, disable account, reset
    /// credentials, block indicator, patch, restore from backup, other).
    create_action, "/api/v1/cases/{id}/actions", "incident", CreateResponseAction, ResponseAction, incident::create_action
);

/// Move an action on. The first containment action done marks the case contained.
#[utoipa::path(patch, path = "/api/v1/cases/{id}/actions/{action_id}", tag = "incident",
    params(("id" = Uuid, Path), ("action_id" = Uuid, Path)), request_body = SetActionStatus,
    responses((status = 200, body = ResponseAction), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn set_action_status(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath((id, aid)): ApiPath<(Uuid, Uuid)>,
    ApiJson(req): ApiJson<SetActionStatus>,
) -> ApiResult<Json<ResponseAction>> {
    Ok(Json(incident::set_action_status(&s, &caller, id, aid, req).await?))
}

/// The post-incident review (null until written).
#[utoipa::path(get, path = "/api/v1/cases/{id}/review", tag = "incident", params(("id" = Uuid, Path)),
    responses((status = 200, body = Option<Review>), (status = 404, body = ErrorBody)))]
pub async fn get_review(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Option<Review>>> {
    Ok(Json(incident::review(&s, &caller, id).await?))
}

/// Write the review; with `complete`, it must have a summary, a root cause
/// and what to improve, and the case may then close.
#[utoipa::path(put, path = "/api/v1/cases/{id}/review", tag = "incident", params(("id" = Uuid, Path)), request_body = WriteReview,
    responses((status = 200, body = Review), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn put_review(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<WriteReview>,
) -> ApiResult<Json<Review>> {
    Ok(Json(incident::write_review(&s, &caller, id, req).await?))
}

case_list!(action_items, "/api/v1/cases/{id}/action-items", "incident", ActionItem, incident::case_action_items);
case_create!(
    /// A follow-up from the review, with an owner and a due date.
    add_action_item, "/api/v1/cases/{id}/action-items", "incident", CreateActionItem, ActionItem, incident::add_action_item
);

#[utoipa::path(patch, path = "/api/v1/cases/{id}/action-items/{item_id}", tag = "incident",
    params(("id" = Uuid, Path), ("item_id" = Uuid, Path)), request_body = SetItemStatus,
    responses((status = 200, body = ActionItem), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn set_action_item_status(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath((id, iid)): ApiPath<(Uuid, Uuid)>,
    ApiJson(req): ApiJson<SetItemStatus>,
) -> ApiResult<Json<ActionItem>> {
    Ok(Json(incident::set_action_item_status(&s, &caller, id, iid, req.status).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OpenQuery {
    /// Only open ones.
    #[serde(default)]
    pub open: bool,
}

/// Every case's action items: one backlog.
#[utoipa::path(get, path = "/api/v1/action-items", tag = "incident", params(OpenQuery),
    responses((status = 200, body = [ActionItem])))]
pub async fn action_item_backlog(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<OpenQuery>,
) -> ApiResult<Json<Vec<ActionItem>>> {
    Ok(Json(incident::action_item_backlog(&s, &caller, q.open).await?))
}
