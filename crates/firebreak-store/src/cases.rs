//! Cases: the record, its tags, its state history.

use async_trait::async_trait;
use firebreak_domain::audit::AuditKey;
use firebreak_domain::clock::{from_millis, to_millis};
use firebreak_types::{Case, CaseLink, CaseLinkKind, CaseQuery, CaseTransition, Page};
use serde::de::DeserializeOwned;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use crate::audit::{append, object_diff};
use crate::columns::{enum_text, opt_time_col, opt_uuid_col, time_col, uuid_col};
use crate::items::{self, Item};
use crate::sql::{Filter, paging};
use crate::{Result, SqlStore, StoreError, WriteCtx};

/// Case persistence. The service decides what a case becomes (the domain's
/// rules); the store writes it with its audit entry and history, and with
/// what the change causes in the same transaction (`change_case`).
#[async_trait]
pub trait CaseStore: Send + Sync {
    /// Stores a new case; its `number` is assigned here, per organisation.
    async fn create_case(&self, ctx: &WriteCtx, case: Case) -> Result<Case>;
    async fn get_case(&self, org: Uuid, id: Uuid) -> Result<Option<Case>>;
    async fn list_cases(&self, org: Uuid, query: &CaseQuery) -> Result<Page<Case>>;
    /// Replaces `before` with `after`, refusing with `Conflict` if someone
    /// changed the case since `before` was read.
    async fn update_case(&self, ctx: &WriteCtx, before: &Case, after: &Case) -> Result<Case>;
    /// As `update_case`, and records the state change in the history.
    async fn transition_case(&self, ctx: &WriteCtx, before: &Case, after: &Case, reason: &str) -> Result<Case>;
    /// Writes a case change and the items it causes (its timeline entry,
    /// notifications, webhook deliveries, …) in one transaction with their
    /// history and audit entries: all of them are stored, or none is.
    /// `effects` makes the items from the case as stored (a new case's
    /// number is known only then); an error from it stores nothing.
    async fn change_case(&self, ctx: &WriteCtx, change: CaseWrite<'_>, effects: CaseEffects<'_>) -> Result<Case>;
    async fn case_history(&self, org: Uuid, id: Uuid) -> Result<Vec<CaseTransition>>;
    /// Links `case` to `target` (both of `org`); `kind` is seen from `case`.
    async fn link_cases(&self, ctx: &WriteCtx, org: Uuid, case: Uuid, target: Uuid, kind: CaseLinkKind) -> Result<()>;
    async fn unlink_cases(&self, ctx: &WriteCtx, org: Uuid, case: Uuid, target: Uuid) -> Result<()>;
    /// Every link of a case, from either end, seen from it.
    async fn case_links(&self, org: Uuid, case: Uuid) -> Result<Vec<CaseLink>>;
    /// Open cases of every organisation, in id order after `after`, for
    /// background jobs (the SLA sweep).
    async fn active_cases(&self, after: Option<Uuid>, limit: u32) -> Result<Vec<Case>>;
    /// Cases of `org` by id (those that exist), for joining items to their cases.
    async fn cases_by_id(&self, org: Uuid, ids: &[Uuid]) -> Result<Vec<Case>>;
}

/// A change of one case, as the service decided it.
#[derive(Debug, Clone)]
pub enum CaseWrite<'a> {
    /// A new case; its number is assigned as it is stored.
    Create(Case),
    /// `before` becomes `after`, if nobody changed it since it was read.
    Update { before: &'a Case, after: Case },
    /// As `Update`, and the state change goes into the history with its reason.
    Transition { before: &'a Case, after: Case, reason: &'a str },
}

/// Makes the items a case change causes from the case as stored.
pub type CaseEffects<'a> = &'a (dyn Fn(&Case) -> Result<Vec<Item>> + Send + Sync);

/// No items beside the change.
fn no_effects(_: &Case) -> Result<Vec<Item>> {
    Ok(Vec::new())
}

pub(crate) const CASE_COLS: &str = "id, org_id, number, title, description, severity, impact, urgency, priority, category, \
    tlp, pap, tags, assignee_id, tier, state, resolution, summary, review_status, review_waiver_reason, \
    custom_fields, merged_into, created_at, updated_at, closed_at, acknowledged_at, contained_at, waiting_reason, \
    pauses, recovered_at, detected_at, first_activity_at, source, team_id";

fn enum_col<T: DeserializeOwned>(row: &AnyRow, col: &str) -> Result<T> {
    let s: String = row.try_get(col)?;
    serde_json::from_value(serde_json::Value::String(s.clone()))
        .map_err(|_| StoreError::Corrupt(format!("{col} has an unknown value {s:?}")))
}

fn opt_enum_col<T: DeserializeOwned>(row: &AnyRow, col: &str) -> Result<Option<T>> {
    let s: Option<String> = row.try_get(col)?;
    s.map(|s| {
        serde_json::from_value(serde_json::Value::String(s.clone()))
            .map_err(|_| StoreError::Corrupt(format!("{col} has an unknown value {s:?}")))
    })
    .transpose()
}

fn json_col<T: DeserializeOwned>(row: &AnyRow, col: &str) -> Result<T> {
    let s: String = row.try_get(col)?;
    serde_json::from_str(&s).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
}

pub(crate) fn case_from(row: &AnyRow) -> Result<Case> {
    Ok(Case {
        id: uuid_col(row, "id")?,
        org_id: uuid_col(row, "org_id")?,
        number: row.try_get("number")?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        severity: opt_enum_col(row, "severity")?,
        impact: enum_col(row, "impact")?,
        urgency: enum_col(row, "urgency")?,
        priority: enum_col(row, "priority")?,
        category: row.try_get("category")?,
        tlp: enum_col(row, "tlp")?,
        pap: enum_col(row, "pap")?,
        tags: json_col(row, "tags")?,
        assignee_id: opt_uuid_col(row, "assignee_id")?,
        tier: enum_col(row, "tier")?,
        state: enum_col(row, "state")?,
        resolution: opt_enum_col(row, "resolution")?,
        summary: row.try_get("summary")?,
        review_status: enum_col(row, "review_status")?,
        review_waiver_reason: row.try_get("review_waiver_reason")?,
        custom_fields: json_col(row, "custom_fields")?,
        merged_into: opt_uuid_col(row, "merged_into")?,
        created_at: time_col(row, "created_at")?,
        updated_at: time_col(row, "updated_at")?,
        closed_at: opt_time_col(row, "closed_at")?,
        acknowledged_at: opt_time_col(row, "acknowledged_at")?,
        contained_at: opt_time_col(row, "contained_at")?,
        waiting_reason: row.try_get("waiting_reason")?,
        pauses: json_col(row, "pauses")?,
        recovered_at: opt_time_col(row, "recovered_at")?,
        detected_at: opt_time_col(row, "detected_at")?,
        first_activity_at: opt_time_col(row, "first_activity_at")?,
        source: row.try_get("source")?,
        team_id: opt_uuid_col(row, "team_id")?,
        sla: None,
    })
}

/// Sorting severity by its rank, not its name.
fn severity_rank(c: &Case) -> i64 {
    c.severity.map_or(0, |s| s as i64 + 1)
}

/// The field-by-field difference of two cases, for the audit entry.
fn case_diff(before: &Case, after: &Case) -> serde_json::Value {
    let json = |c: &Case| serde_json::to_value(c).unwrap_or_default();
    object_diff(&json(before), &json(after), &["updated_at", "sla"])
}

async fn write_tags(conn: &mut AnyConnection, case: &Case) -> Result<()> {
    sqlx::query("DELETE FROM case_tags WHERE case_id = $1").bind(case.id.to_string()).execute(&mut *conn).await?;
    let mut seen = std::collections::BTreeSet::new();
    for tag in case.tags.iter().filter(|t| seen.insert(t.to_lowercase())) {
        sqlx::query("INSERT INTO case_tags (case_id, org_id, tag) VALUES ($1, $2, $3)")
            .bind(case.id.to_string())
            .bind(case.org_id.to_string())
            .bind(tag.to_lowercase())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Writes every column of `after`, if the stored row is still `before`.
async fn replace(conn: &mut AnyConnection, before: &Case, after: &Case) -> Result<()> {
    let done = sqlx::query(
        "UPDATE cases SET title = $1, title_key = $2, description = $3, severity = $4, severity_rank = $5, \
         impact = $6, urgency = $7, priority = $8, category = $9, tlp = $10, pap = $11, tags = $12, \
         assignee_id = $13, tier = $14, state = $15, resolution = $16, summary = $17, review_status = $18, \
         review_waiver_reason = $19, custom_fields = $20, merged_into = $21, updated_at = $22, closed_at = $23, \
         acknowledged_at = $24, contained_at = $25, waiting_reason = $26, pauses = $27, recovered_at = $28, \
         detected_at = $29, first_activity_at = $30, source = $31, team_id = $32 \
         WHERE org_id = $33 AND id = $34 AND updated_at = $35",
    )
    .bind(&after.title)
    .bind(after.title.to_lowercase())
    .bind(&after.description)
    .bind(after.severity.as_ref().map(enum_text))
    .bind(severity_rank(after))
    .bind(enum_text(&after.impact))
    .bind(enum_text(&after.urgency))
    .bind(enum_text(&after.priority))
    .bind(after.category.clone())
    .bind(enum_text(&after.tlp))
    .bind(enum_text(&after.pap))
    .bind(serde_json::to_string(&after.tags).unwrap_or_else(|_| "[]".into()))
    .bind(after.assignee_id.map(|u| u.to_string()))
    .bind(enum_text(&after.tier))
    .bind(enum_text(&after.state))
    .bind(after.resolution.as_ref().map(enum_text))
    .bind(&after.summary)
    .bind(enum_text(&after.review_status))
    .bind(after.review_waiver_reason.clone())
    .bind(after.custom_fields.to_string())
    .bind(after.merged_into.map(|u| u.to_string()))
    .bind(to_millis(after.updated_at))
    .bind(after.closed_at.map(to_millis))
    .bind(after.acknowledged_at.map(to_millis))
    .bind(after.contained_at.map(to_millis))
    .bind(after.waiting_reason.clone())
    .bind(serde_json::to_string(&after.pauses).unwrap_or_else(|_| "[]".into()))
    .bind(after.recovered_at.map(to_millis))
    .bind(after.detected_at.map(to_millis))
    .bind(after.first_activity_at.map(to_millis))
    .bind(after.source.clone())
    .bind(after.team_id.map(|u| u.to_string()))
    .bind(before.org_id.to_string())
    .bind(before.id.to_string())
    .bind(to_millis(before.updated_at))
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Stale);
    }
    if before.tags != after.tags {
        write_tags(conn, after).await?;
    }
    Ok(())
}

/// Stores a new case with its number, tags and audit entry in `conn`'s transaction.
async fn insert_in(conn: &mut AnyConnection, key: &AuditKey, ctx: &WriteCtx, mut case: Case) -> Result<Case> {
    let number: i64 = sqlx::query(
        "INSERT INTO case_counters (org_id, last) VALUES ($1, 1) \
         ON CONFLICT (org_id) DO UPDATE SET last = case_counters.last + 1 RETURNING last",
    )
    .bind(case.org_id.to_string())
    .fetch_one(&mut *conn)
    .await?
    .try_get("last")?;
    case.number = number;
    sqlx::query(&format!(
        "INSERT INTO cases ({CASE_COLS}, title_key, severity_rank) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, \
         $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36)"
    ))
    .bind(case.id.to_string())
    .bind(case.org_id.to_string())
    .bind(case.number)
    .bind(&case.title)
    .bind(&case.description)
    .bind(case.severity.as_ref().map(enum_text))
    .bind(enum_text(&case.impact))
    .bind(enum_text(&case.urgency))
    .bind(enum_text(&case.priority))
    .bind(case.category.clone())
    .bind(enum_text(&case.tlp))
    .bind(enum_text(&case.pap))
    .bind(serde_json::to_string(&case.tags).unwrap_or_else(|_| "[]".into()))
    .bind(case.assignee_id.map(|u| u.to_string()))
    .bind(enum_text(&case.tier))
    .bind(enum_text(&case.state))
    .bind(case.resolution.as_ref().map(enum_text))
    .bind(&case.summary)
    .bind(enum_text(&case.review_status))
    .bind(case.review_waiver_reason.clone())
    .bind(case.custom_fields.to_string())
    .bind(case.merged_into.map(|u| u.to_string()))
    .bind(to_millis(case.created_at))
    .bind(to_millis(case.updated_at))
    .bind(case.closed_at.map(to_millis))
    .bind(case.acknowledged_at.map(to_millis))
    .bind(case.contained_at.map(to_millis))
    .bind(case.waiting_reason.clone())
    .bind(serde_json::to_string(&case.pauses).unwrap_or_else(|_| "[]".into()))
    .bind(case.recovered_at.map(to_millis))
    .bind(case.detected_at.map(to_millis))
    .bind(case.first_activity_at.map(to_millis))
    .bind(case.source.clone())
    .bind(case.team_id.map(|u| u.to_string()))
    .bind(case.title.to_lowercase())
    .bind(severity_rank(&case))
    .execute(&mut *conn)
    .await?;
    write_tags(conn, &case).await?;
    let changes = serde_json::to_value(&case).unwrap_or_default();
    append(conn, key, ctx, case.org_id, "case", &case.id.to_string(), "create", &changes).await?;
    // Round-trip times through storage precision (milliseconds).
    case.created_at = from_millis(to_millis(case.created_at));
    case.updated_at = from_millis(to_millis(case.updated_at));
    Ok(case)
}

/// Writes `after` over `before` with its audit entry, and with `reason`
/// records the state change in the history, in `conn`'s transaction.
async fn replace_in(
    conn: &mut AnyConnection,
    key: &AuditKey,
    ctx: &WriteCtx,
    before: &Case,
    after: &Case,
    reason: Option<&str>,
) -> Result<()> {
    replace(conn, before, after).await?;
    let mut changes = case_diff(before, after);
    let Some(reason) = reason else {
        return append(conn, key, ctx, after.org_id, "case", &after.id.to_string(), "update", &changes).await;
    };
    let seq: i64 = sqlx::query("SELECT COALESCE(MAX(seq), 0) + 1 AS next FROM case_transitions WHERE case_id = $1")
        .bind(after.id.to_string())
        .fetch_one(&mut *conn)
        .await?
        .try_get("next")?;
    sqlx::query(
        "INSERT INTO case_transitions (case_id, seq, from_state, to_state, reason, actor_name, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(after.id.to_string())
    .bind(seq)
    .bind(enum_text(&before.state))
    .bind(enum_text(&after.state))
    .bind(reason)
    .bind(ctx.actor.name())
    .bind(to_millis(ctx.now))
    .execute(&mut *conn)
    .await?;
    if let Some(map) = changes.as_object_mut() {
        map.insert("reason".into(), json!(reason));
    }
    append(conn, key, ctx, after.org_id, "case", &after.id.to_string(), "transition", &changes).await
}

#[async_trait]
impl CaseStore for SqlStore {
    async fn create_case(&self, ctx: &WriteCtx, case: Case) -> Result<Case> {
        self.change_case(ctx, CaseWrite::Create(case), &no_effects).await
    }

    async fn get_case(&self, org: Uuid, id: Uuid) -> Result<Option<Case>> {
        let row = sqlx::query(&format!("SELECT {CASE_COLS} FROM cases WHERE org_id = $1 AND id = $2"))
            .bind(org.to_string())
            .bind(id.to_string())
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(case_from).transpose()
    }

    async fn list_cases(&self, org: Uuid, q: &CaseQuery) -> Result<Page<Case>> {
        let paging = paging(
            q.limit,
            q.offset,
            Some(q.sort.as_deref().unwrap_or("-number")),
            q.total,
            &[
                ("number", "number"),
                ("created_at", "created_at"),
                ("updated_at", "updated_at"),
                // P1 sorts first ascending, as people expect of priorities.
                ("priority", "priority"),
                ("severity", "severity_rank"),
                ("title", "title_key"),
            ],
            "id",
        )?;
        let mut f = Filter::new();
        f.eq_text("org_id", org.to_string());
        if let Some(v) = q.state {
            f.eq_text("state", enum_text(&v));
        }
        if let Some(v) = q.severity {
            f.eq_text("severity", enum_text(&v));
        }
        if let Some(v) = q.priority {
            f.eq_text("priority", enum_text(&v));
        }
        if let Some(v) = q.assignee_id {
            f.eq_text("assignee_id", v.to_string());
        }
        if let Some(v) = &q.category {
            f.eq_text("category", v.clone());
        }
        if let Some(v) = &q.tag {
            f.cond_text(
                "id IN (SELECT case_id FROM case_tags WHERE org_id = cases.org_id AND tag = {})",
                v.to_lowercase(),
            );
        }
        f.search(&["title", "description"], q.q.as_deref());
        self.page(CASE_COLS, "cases", &f, &paging, case_from).await
    }

    async fn update_case(&self, ctx: &WriteCtx, before: &Case, after: &Case) -> Result<Case> {
        self.change_case(ctx, CaseWrite::Update { before, after: after.clone() }, &no_effects).await
    }

    async fn transition_case(&self, ctx: &WriteCtx, before: &Case, after: &Case, reason: &str) -> Result<Case> {
        self.change_case(ctx, CaseWrite::Transition { before, after: after.clone(), reason }, &no_effects).await
    }

    async fn change_case(&self, ctx: &WriteCtx, change: CaseWrite<'_>, effects: CaseEffects<'_>) -> Result<Case> {
        let mut tx = self.writer.begin().await?;
        let case = match change {
            CaseWrite::Create(case) => insert_in(&mut tx, &self.audit_key, ctx, case).await?,
            CaseWrite::Update { before, after } => {
                replace_in(&mut tx, &self.audit_key, ctx, before, &after, None).await?;
                after
            }
            CaseWrite::Transition { before, after, reason } => {
                replace_in(&mut tx, &self.audit_key, ctx, before, &after, Some(reason)).await?;
                after
            }
        };
        for item in effects(&case)? {
            items::create_in(&mut tx, &self.audit_key, ctx, &item).await?;
        }
        tx.commit().await?;
        Ok(case)
    }

    async fn link_cases(&self, ctx: &WriteCtx, org: Uuid, case: Uuid, target: Uuid, kind: CaseLinkKind) -> Result<()> {
        // Stored one way: a child points at its parent; related links from the asking case.
        let (from, to, stored) = match kind {
            CaseLinkKind::Related => (case, target, "related"),
            CaseLinkKind::Parent => (case, target, "parent"),
            CaseLinkKind::Child => (target, case, "parent"),
        };
        let mut tx = self.writer.begin().await?;
        let both: i64 = sqlx::query("SELECT COUNT(*) FROM cases WHERE org_id = $1 AND id IN ($2, $3)")
            .bind(org.to_string())
            .bind(case.to_string())
            .bind(target.to_string())
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        if both != 2 {
            return Err(StoreError::NotFound);
        }
        let exists: i64 = sqlx::query(
            "SELECT COUNT(*) FROM case_links WHERE (case_id = $1 AND target_id = $2) OR (case_id = $2 AND target_id = $1)",
        )
        .bind(case.to_string())
        .bind(target.to_string())
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        if exists > 0 {
            return Err(StoreError::Conflict("a link between these cases".into()));
        }
        sqlx::query(
            "INSERT INTO case_links (org_id, case_id, target_id, kind, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(org.to_string())
        .bind(from.to_string())
        .bind(to.to_string())
        .bind(stored)
        .bind(to_millis(ctx.now))
        .execute(&mut *tx)
        .await?;
        let details = json!({ "target_id": target, "kind": kind });
        append(&mut tx, &self.audit_key, ctx, org, "case", &case.to_string(), "link", &details).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn unlink_cases(&self, ctx: &WriteCtx, org: Uuid, case: Uuid, target: Uuid) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let done = sqlx::query(
            "DELETE FROM case_links WHERE org_id = $1 AND \
             ((case_id = $2 AND target_id = $3) OR (case_id = $3 AND target_id = $2))",
        )
        .bind(org.to_string())
        .bind(case.to_string())
        .bind(target.to_string())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        append(
            &mut tx,
            &self.audit_key,
            ctx,
            org,
            "case",
            &case.to_string(),
            "unlink",
            &json!({ "target_id": target }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn case_links(&self, org: Uuid, case: Uuid) -> Result<Vec<CaseLink>> {
        let rows = sqlx::query(
            "SELECT l.kind, l.case_id, l.target_id, c.id AS other_id, c.number, c.title, c.state \
             FROM case_links l JOIN cases c ON c.id = CASE WHEN l.case_id = $2 THEN l.target_id ELSE l.case_id END \
             WHERE l.org_id = $1 AND (l.case_id = $2 OR l.target_id = $2) ORDER BY c.number",
        )
        .bind(org.to_string())
        .bind(case.to_string())
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                let stored: String = r.try_get("kind")?;
                let from_here = uuid_col(r, "case_id")? == case;
                let kind = match (stored.as_str(), from_here) {
                    ("parent", true) => CaseLinkKind::Parent,
                    ("parent", false) => CaseLinkKind::Child,
                    _ => CaseLinkKind::Related,
                };
                Ok(CaseLink {
                    kind,
                    case_id: uuid_col(r, "other_id")?,
                    number: r.try_get("number")?,
                    title: r.try_get("title")?,
                    state: enum_col(r, "state")?,
                })
            })
            .collect()
    }

    async fn active_cases(&self, after: Option<Uuid>, limit: u32) -> Result<Vec<Case>> {
        let mut f = Filter::new();
        f.cond_text(
            "state NOT IN ('closed', 'cancelled', 'merged') AND id > {}",
            after.map(|u| u.to_string()).unwrap_or_default(),
        );
        let sql =
            format!("SELECT {CASE_COLS} FROM cases{} ORDER BY id LIMIT {}", f.where_sql(), limit.clamp(1, 10_000));
        let rows = f.query(&sql).fetch_all(&self.reader).await?;
        rows.iter().map(case_from).collect()
    }

    async fn cases_by_id(&self, org: Uuid, ids: &[Uuid]) -> Result<Vec<Case>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let mut f = Filter::new();
            f.eq_text("org_id", org.to_string());
            f.any_text("id", chunk);
            let sql = format!("SELECT {CASE_COLS} FROM cases{}", f.where_sql());
            for row in f.query(&sql).fetch_all(&self.reader).await? {
                out.push(case_from(&row)?);
            }
        }
        Ok(out)
    }

    async fn case_history(&self, org: Uuid, id: Uuid) -> Result<Vec<CaseTransition>> {
        let rows = sqlx::query(
            "SELECT t.from_state, t.to_state, t.reason, t.actor_name, t.at FROM case_transitions t \
             JOIN cases c ON c.id = t.case_id WHERE c.org_id = $1 AND t.case_id = $2 ORDER BY t.seq",
        )
        .bind(org.to_string())
        .bind(id.to_string())
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CaseTransition {
                    from: enum_col(r, "from_state")?,
                    to: enum_col(r, "to_state")?,
                    reason: r.try_get("reason")?,
                    actor_name: r.try_get("actor_name")?,
                    at: time_col(r, "at")?,
                })
            })
            .collect()
    }
}
