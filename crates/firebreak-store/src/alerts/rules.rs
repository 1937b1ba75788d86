//! What became of each detection rule's alerts: raised, hit, false and
//! true positives, in all or by day.

use firebreak_domain::clock::to_millis;
use sqlx::Row;
use sqlx::any::AnyRow;
use uuid::Uuid;

use crate::{Result, SqlStore};

/// What became of one rule's alerts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleOutcome {
    pub rule: String,
    /// Alerts raised (first occurrences).
    pub alerts: i64,
    /// Occurrences, repeats included.
    pub hits: i64,
    pub false_positives: i64,
    /// Closed as benign true positives, or escalated into cases.
    pub true_positives: i64,
}

/// What became of alerts, summed: alerts, hits (occurrences), false
/// positives, true positives (benign, or escalated).
const OUTCOME_COLS: &str = "COUNT(*) AS alerts, CAST(SUM(occurrences) AS BIGINT) AS hits, \
    CAST(SUM(CASE WHEN disposition = 'false_positive' THEN 1 ELSE 0 END) AS BIGINT) AS fp, \
    CAST(SUM(CASE WHEN disposition = 'benign_true_positive' OR state = 'escalated' THEN 1 ELSE 0 END) AS BIGINT) AS tp";

fn outcome_from(r: &AnyRow, rule: String) -> Result<RuleOutcome> {
    Ok(RuleOutcome {
        rule,
        alerts: r.try_get("alerts")?,
        hits: r.try_get("hits")?,
        false_positives: r.try_get("fp")?,
        true_positives: r.try_get("tp")?,
    })
}

pub(super) async fn rule_outcomes(
    store: &SqlStore,
    org: Uuid,
    since: time::OffsetDateTime,
) -> Result<Vec<RuleOutcome>> {
    let rows = sqlx::query(&format!(
        "SELECT rule, {OUTCOME_COLS} FROM alerts WHERE org_id = $1 AND rule IS NOT NULL AND first_seen >= $2 \
         GROUP BY rule"
    ))
    .bind(org.to_string())
    .bind(to_millis(since))
    .fetch_all(&store.reader)
    .await?;
    rows.iter().map(|r| outcome_from(r, r.try_get("rule")?)).collect()
}

pub(super) async fn rule_days(
    store: &SqlStore,
    org: Uuid,
    rule: &str,
    since: time::OffsetDateTime,
) -> Result<Vec<(i64, RuleOutcome)>> {
    let rows = sqlx::query(&format!(
        "SELECT first_seen / 86400000 AS day, {OUTCOME_COLS} FROM alerts \
         WHERE org_id = $1 AND rule = $2 AND first_seen >= $3 GROUP BY first_seen / 86400000 ORDER BY day"
    ))
    .bind(org.to_string())
    .bind(rule)
    .bind(to_millis(since))
    .fetch_all(&store.reader)
    .await?;
    rows.iter().map(|r| Ok((r.try_get("day")?, outcome_from(r, rule.to_owned())?))).collect()
}
