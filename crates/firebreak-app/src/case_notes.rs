//! A case's comments (the team's discussion beside the record) and pages
//! (titled Markdown notes filed under a category); and finding the case of
//! a task, log, observable or timeline entry named by its id alone, as
//! callers that address them without their case do.

use firebreak_domain::validate::{Title, markdown};
use firebreak_types::{CaseComment, CasePage, CasePageInput, ErrorCode, Task, TaskLog};
use uuid::Uuid;

use crate::App;
use crate::auth::Caller;
use crate::error::{AppError, AppResult};
use crate::items::{self, Index, Kind};

impl Kind for CaseComment {
    const KIND: &'static str = "case_comment";
    const NOUN: &'static str = "comment";
    fn id(&self) -> Uuid {
        self.id
    }
    fn index(&self) -> Index {
        Index { case_id: Some(self.case_id), at: Some(self.created_at), ..Index::default() }
    }
}

impl Kind for CasePage {
    const KIND: &'static str = "case_page";
    const NOUN: &'static str = "page";
    fn id(&self) -> Uuid {
        self.id
    }
    fn index(&self) -> Index {
        Index {
            case_id: Some(self.case_id),
            key: Some(self.category.to_lowercase()),
            at: Some(self.created_at),
            ..Index::default()
        }
    }
}

fn body(field: &str, text: &str) -> AppResult<String> {
    let body = markdown(field, text)?;
    if body.trim().is_empty() {
        return Err(AppError::field(ErrorCode::InvalidField, field, format!("{field} must not be empty")));
    }
    Ok(body)
}

/// The case an item of kind `T` belongs to, for a caller who may read it;
/// 404 naming the noun when the organisation has no such item.
pub async fn case_of<T: Kind>(state: &App, caller: &Caller, id: Uuid) -> AppResult<(Uuid, T)> {
    caller.require(firebreak_domain::permission::Action::CaseRead)?;
    let (item, value) = items::load::<T>(state, caller.org_id(), id).await?;
    let case_id = item.case_id.ok_or_else(|| AppError::not_found(T::NOUN))?;
    crate::cases::load(state, caller, case_id).await?;
    Ok((case_id, value))
}

/// A task log entry and the case and task it belongs to.
pub async fn log_case(state: &App, caller: &Caller, id: Uuid) -> AppResult<(Uuid, TaskLog)> {
    caller.require(firebreak_domain::permission::Action::CaseRead)?;
    let (_, log) = items::load::<TaskLog>(state, caller.org_id(), id).await?;
    let (case_id, _) =
        case_of::<Task>(state, caller, log.task_id).await.map_err(|_| AppError::not_found(TaskLog::NOUN))?;
    Ok((case_id, log))
}

// ---------------------------------------------------------------------------
// Comments

pub async fn add_comment(state: &App, caller: &Caller, case_id: Uuid, text: &str) -> AppResult<CaseComment> {
    let case = crate::cases::writable(state, caller, case_id).await?;
    let comment = CaseComment {
        id: Uuid::now_v7(),
        case_id,
        body: body("body", text)?,
        author: caller.name().to_owned(),
        created_at: state.clock.now(),
        edited_at: None,
    };
    let ctx = caller.ctx(state);
    let hive = |_: &crate::thehive::Names| crate::thehive::shape::comment(&comment);
    let event = crate::events::ItemEvent {
        name: "comment.created",
        root: crate::events::Root::Case(&case),
        object_type: "Comment",
        object_id: comment.id.to_string(),
        object: crate::events::as_json(&comment),
        hive: &hive,
        before: None,
    };
    let told = crate::events::item_deliveries(state, &event, ctx.now).await?;
    let sent = !told.is_empty();
    let comment = items::create_with(state, &ctx, caller.org_id(), comment.clone(), told).await?;
    crate::events::delivered(state, sent);
    state.live.publish(caller.org_id(), "case.updated", case_id);
    Ok(comment)
}

pub async fn comments(state: &App, caller: &Caller, case_id: Uuid) -> AppResult<Vec<CaseComment>> {
    crate::cases::load(state, caller, case_id).await?;
    items::of_case(state, caller.org_id(), case_id).await
}

/// Rewrites a comment; only its author may.
pub async fn edit_comment(state: &App, caller: &Caller, id: Uuid, text: &str) -> AppResult<CaseComment> {
    let (case_id, _) = case_of::<CaseComment>(state, caller, id).await?;
    crate::cases::writable(state, caller, case_id).await?;
    let (item, mut comment) = items::load::<CaseComment>(state, caller.org_id(), id).await?;
    if comment.author != caller.name() {
        return Err(AppError::new(ErrorCode::Forbidden, "only the author of a comment may edit it"));
    }
    comment.body = body("body", text)?;
    comment.edited_at = Some(state.clock.now());
    let comment = items::save(state, &caller.ctx(state), &item, comment).await?;
    state.live.publish(caller.org_id(), "case.updated", case_id);
    Ok(comment)
}

/// Deletes a comment: its author, or someone who manages cases.
pub async fn delete_comment(state: &App, caller: &Caller, id: Uuid) -> AppResult<()> {
    let (case_id, comment) = case_of::<CaseComment>(state, caller, id).await?;
    crate::cases::writable(state, caller, case_id).await?;
    if comment.author != caller.name() {
        caller.require(firebreak_domain::permission::Action::CaseManage)?;
    }
    items::delete::<CaseComment>(state, &caller.ctx(state), caller.org_id(), id).await?;
    state.live.publish(caller.org_id(), "case.updated", case_id);
    Ok(())
}

// ---------------------------------------------------------------------------
// Pages

fn category(v: &str) -> AppResult<String> {
    let v = v.trim();
    if v.is_empty() || v.chars().count() > 100 {
        return Err(AppError::field(ErrorCode::InvalidField, "category", "category must be 1 to 100 characters"));
    }
    Ok(v.to_owned())
}

pub async fn add_page(state: &App, caller: &Caller, case_id: Uuid, req: CasePageInput) -> AppResult<CasePage> {
    crate::cases::writable(state, caller, case_id).await?;
    let title = req.title.ok_or_else(|| AppError::field(ErrorCode::MissingField, "title", "title is required"))?;
    let now = state.clock.now();
    let order = match req.order {
        Some(o) => o,
        None => i64::try_from(pages(state, caller, case_id).await?.len()).unwrap_or(i64::MAX),
    };
    let page = CasePage {
        id: Uuid::now_v7(),
        case_id,
        title: Title::parse("title", &title)?.into_inner(),
        category: category(req.category.as_deref().unwrap_or("General"))?,
        content: markdown("content", req.content.as_deref().unwrap_or_default())?,
        order,
        author: caller.name().to_owned(),
        created_at: now,
        updated_at: now,
    };
    let page = items::create(state, &caller.ctx(state), caller.org_id(), page).await?;
    state.live.publish(caller.org_id(), "case.updated", case_id);
    Ok(page)
}

/// The case's pages by their order, then their age.
pub async fn pages(state: &App, caller: &Caller, case_id: Uuid) -> AppResult<Vec<CasePage>> {
    crate::cases::load(state, caller, case_id).await?;
    let mut pages: Vec<CasePage> = items::of_case(state, caller.org_id(), case_id).await?;
    pages.sort_by_key(|p| (p.order, p.created_at));
    Ok(pages)
}

async fn page_of_case(
    state: &App,
    caller: &Caller,
    case_id: Uuid,
    id: Uuid,
) -> AppResult<(firebreak_store::Item, CasePage)> {
    crate::cases::writable(state, caller, case_id).await?;
    let (item, page) = items::load::<CasePage>(state, caller.org_id(), id).await?;
    if page.case_id != case_id {
        return Err(AppError::not_found(CasePage::NOUN));
    }
    Ok((item, page))
}

pub async fn update_page(
    state: &App,
    caller: &Caller,
    case_id: Uuid,
    id: Uuid,
    req: CasePageInput,
) -> AppResult<CasePage> {
    let (item, mut page) = page_of_case(state, caller, case_id, id).await?;
    if let Some(v) = req.title {
        page.title = Title::parse("title", &v)?.into_inner();
    }
    if let Some(v) = req.category {
        page.category = category(&v)?;
    }
    if let Some(v) = req.content {
        page.content = markdown("content", &v)?;
    }
    if let Some(v) = req.order {
        page.order = v;
    }
    page.updated_at = state.clock.now();
    let page = items::save(state, &caller.ctx(state), &item, page).await?;
    state.live.publish(caller.org_id(), "case.updated", case_id);
    Ok(page)
}

pub async fn delete_page(state: &App, caller: &Caller, case_id: Uuid, id: Uuid) -> AppResult<()> {
    page_of_case(state, caller, case_id, id).await?;
    items::delete::<CasePage>(state, &caller.ctx(state), caller.org_id(), id).await?;
    state.live.publish(caller.org_id(), "case.updated", case_id);
    Ok(())
}
