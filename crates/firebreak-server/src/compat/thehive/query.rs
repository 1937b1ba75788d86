//! TheHive's query API (`POST /api/v1/query`) and TheHive 4's searches
//! (`POST /api/alert/_search`, `/api/case/_search`, tasks and artifacts).
//!
//! A query is a list of steps: a source (`listAlert`, `getCase`, …), then
//! filters, sorts, a page, traversals to related entities (`observables`,
//! `tasks`, `logs`, …) and perhaps `count`. Alerts and cases stay a query
//! until they must be read: their filters, order, page and count run in the
//! database (`firebreak_app::query`), TheHive's field names mapped onto
//! Firebreak's columns here. Everything else is small (a case's tasks, the
//! organisation's users) and is filtered, sorted and paged in memory, on
//! TheHive's shape of each entity.

use std::cmp::Ordering;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::routing::post;
use firebreak_app::query as q;
use firebreak_app::{alerts as app_alerts, case_notes, observables as app_observables, tasks as app_tasks};
use firebreak_types::query::{CmpOp, Cond, EntityQuery, Field, MAX_QUERY_ROWS, QueryValue, TextMatch};
use firebreak_types::{Alert, Case, CaseState, Resolution, Task};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::error::{HiveError, HiveResult};
use super::session::HiveCaller;
use super::shape::Names;
use super::{alerts, case_parts, cases, extra_data, identity, legacy_alerts, legacy_cases, templates};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/query", post(query))
        .route("/api/alert/_search", post(search_alerts))
        .route("/api/case/_search", post(search_cases))
        .route("/api/case/task/_search", post(search_tasks))
        .route("/api/case/artifact/_search", post(search_artifacts))
}

fn bad(message: impl Into<String>) -> HiveError {
    HiveError::bad_request(message)
}

fn body_json(body: &Bytes) -> HiveResult<Value> {
    if body.is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_slice(body).map_err(|e| bad(format!("the body is not JSON: {e}")))
}

// -- Filters ------------------------------------------------------------------

/// A filter as TheHive writes it, before its fields are known.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    All,
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Cmp(String, CmpOp, Value),
    In(String, Vec<Value>),
    Text(String, TextMatch, String),
    Between(String, Value, Value),
    Has(String),
    Id(String),
}

/// Reads a filter: an object of operators (several are all required), or
/// TheHive 4's equality `{"_field": …, "_value": …}`.
pub(crate) fn parse_filter(v: &Value) -> HiveResult<Expr> {
    let Value::Object(m) = v else {
        return Err(bad(format!("a filter is an object, not {v}")));
    };
    if m.contains_key("_field") {
        let (f, v) = field_value("_field", v)?;
        return Ok(Expr::Cmp(f, CmpOp::Eq, v));
    }
    let mut parts = Vec::new();
    for (op, arg) in m.iter().filter(|(k, _)| k.as_str() != "_name") {
        parts.push(parse_op(op, arg)?);
    }
    Ok(match parts.len() {
        0 => Expr::All,
        1 => parts.remove(0),
        _ => Expr::And(parts),
    })
}

fn field_name(op: &str, v: &Value) -> HiveResult<String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Object(m) => match m.get("_field") {
            Some(Value::String(s)) => Ok(s.clone()),
            _ => Err(bad(format!("{op}: expected a field name"))),
        },
        _ => Err(bad(format!("{op}: expected a field name"))),
    }
}

/// `{"_field": f, "_value": v}` or `{f: v}`.
fn field_value(op: &str, arg: &Value) -> HiveResult<(String, Value)> {
    let Value::Object(m) = arg else {
        return Err(bad(format!("{op}: expected {{\"_field\": …, \"_value\": …}}")));
    };
    if let Some(f) = m.get("_field") {
        let Value::String(f) = f else {
            return Err(bad(format!("{op}: _field is a field name")));
        };
        let v = m.get("_value").ok_or_else(|| bad(format!("{op}: _value is missing")))?;
        return Ok((f.clone(), v.clone()));
    }
    let mut it = m.iter();
    match (it.next(), it.next()) {
        (Some((f, v)), None) => Ok((f.clone(), v.clone())),
        _ => Err(bad(format!("{op}: expected one field and its value"))),
    }
}

fn text_arg(op: &str, v: Value) -> HiveResult<String> {
    match v {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(bad(format!("{op}: expected text, not {other}"))),
    }
}

fn parse_op(op: &str, arg: &Value) -> HiveResult<Expr> {
    let cmp = |o: CmpOp| -> HiveResult<Expr> {
        let (f, v) = field_value(op, arg)?;
        Ok(Expr::Cmp(f, o, v))
    };
    match op {
        "_and" | "_or" => {
            let Value::Array(items) = arg else {
                return Err(bad(format!("{op}: expected a list of filters")));
            };
            let parts = items.iter().map(parse_filter).collect::<HiveResult<Vec<_>>>()?;
            Ok(if op == "_and" { Expr::And(parts) } else { Expr::Or(parts) })
        }
        "_not" => Ok(Expr::Not(Box::new(parse_filter(arg)?))),
        "_eq" => cmp(CmpOp::Eq),
        "_ne" => cmp(CmpOp::Ne),
        "_lt" => cmp(CmpOp::Lt),
        "_lte" => cmp(CmpOp::Lte),
        "_gt" => cmp(CmpOp::Gt),
        "_gte" => cmp(CmpOp::Gte),
        "_in" => {
            let (f, values) = match arg.get("_field") {
                Some(_) => (field_name(op, arg)?, arg.get("_values").cloned().unwrap_or(Value::Null)),
                None => field_value(op, arg)?,
            };
            let Value::Array(values) = values else {
                return Err(bad(format!("{op}: _values is a list")));
            };
            Ok(Expr::In(f, values))
        }
        "_like" | "_match" | "_wildcard" | "_startsWith" | "_endsWith" => {
            let (f, v) = field_value(op, arg)?;
            let v = text_arg(op, v)?;
            let how = match op {
                "_startsWith" => TextMatch::StartsWith,
                "_endsWith" => TextMatch::EndsWith,
                "_wildcard" => TextMatch::Wildcard,
                _ if v.contains('*') => TextMatch::Wildcard,
                _ => TextMatch::Contains,
            };
            Ok(Expr::Text(f, how, v))
        }
        "_between" => {
            let f = field_name(op, arg)?;
            let from = arg.get("_from").cloned().ok_or_else(|| bad("_between: _from is missing"))?;
            let to = arg.get("_to").cloned().ok_or_else(|| bad("_between: _to is missing"))?;
            Ok(Expr::Between(f, from, to))
        }
        "_contains" | "_has" => Ok(Expr::Has(field_name(op, arg)?)),
        "_id" => match arg {
            Value::String(s) => Ok(Expr::Id(s.clone())),
            _ => Err(bad("_id: expected an id")),
        },
        other => Err(bad(format!("unknown filter operator {other}"))),
    }
}

// -- TheHive's fields onto Firebreak's columns --------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Entity {
    Alert,
    Case,
}

/// What a value of a field is, on TheHive's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Text,
    Int,
    /// A user's login, an id in the column.
    Login,
}

/// Where a TheHive field lives.
enum Mapped {
    Col(Field, Ty),
    /// A field of few values, each a condition on Firebreak's columns
    /// (statuses, TLP, PAP): comparisons pick the values that satisfy them.
    Domain(Vec<(Value, Cond)>),
}

fn state_is(s: &str) -> Cond {
    Cond::Cmp(Field::State, CmpOp::Eq, QueryValue::Text(s.into()))
}

fn states(ss: &[&str]) -> Cond {
    Cond::In(Field::State, ss.iter().map(|s| QueryValue::Text((*s).into())).collect())
}

fn and2(a: Cond, b: Cond) -> Cond {
    Cond::And(vec![a, b])
}

fn text_is(f: Field, s: &str) -> Cond {
    Cond::Cmp(f, CmpOp::Eq, QueryValue::Text(s.into()))
}

fn occurrences(op: CmpOp) -> Cond {
    Cond::Cmp(Field::Occurrences, op, QueryValue::Int(1))
}

fn resolution_is(r: Resolution) -> Cond {
    let name = serde_json::to_value(r).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
    text_is(Field::Resolution, &name)
}

/// TheHive's status of a case, as a condition: read from the tables
/// `cases::case` answers with (`cases::STAGES`, `cases::CLOSING`), so that
/// each status filters the cases that carry it.
fn case_status_is(status: &str) -> Cond {
    let mut any: Vec<Cond> = cases::STAGES
        .iter()
        .filter(|(st, _, s)| *st != CaseState::Closed && *s == status)
        .map(|(st, _, _)| state_is(st.as_str()))
        .collect();
    // Every resolution, named as `cases::status` names it (one TheHive
    // lacks reads as the unresolved status).
    let named =
        |r: Resolution| cases::CLOSING.iter().find(|(_, x)| *x == r).map_or(cases::UNRESOLVED_STATUS, |(s, _)| s);
    let mut closed: Vec<Cond> = [
        Resolution::TruePositive,
        Resolution::FalsePositive,
        Resolution::Benign,
        Resolution::Duplicate,
        Resolution::Indeterminate,
        Resolution::Other,
    ]
    .into_iter()
    .filter(|r| named(*r) == status)
    .map(resolution_is)
    .collect();
    if status == cases::UNRESOLVED_STATUS {
        closed.push(Cond::Cmp(Field::Resolution, CmpOp::Eq, QueryValue::Null));
    }
    if !closed.is_empty() {
        any.push(and2(state_is("closed"), Cond::Or(closed)));
    }
    Cond::Or(any)
}

/// TheHive's statuses and stages as conditions on Firebreak's states: the
/// same vocabulary the shapes answer with (`alerts::status_of`, TheHive 4's
/// `legacy_alerts`, `cases::STAGES`/`CLOSING`, `legacy_cases`).
fn status_domain(entity: Entity, legacy: bool, stage: bool) -> Vec<(Value, Cond)> {
    let d = |v: &str, c: Cond| (json!(v), c);
    match (entity, legacy, stage) {
        (Entity::Alert, false, false) => {
            let benign = Cond::Or(vec![
                text_is(Field::Disposition, "benign_true_positive"),
                Cond::Cmp(Field::Disposition, CmpOp::Eq, QueryValue::Null),
            ]);
            vec![
                d("New", and2(state_is("new"), occurrences(CmpOp::Lte))),
                d("Updated", and2(state_is("new"), occurrences(CmpOp::Gt))),
                d("InProgress", state_is("in_triage")),
                d("Imported", state_is("escalated")),
                d("FalsePositive", and2(state_is("closed"), text_is(Field::Disposition, "false_positive"))),
                d("Duplicated", and2(state_is("closed"), text_is(Field::Disposition, "duplicate"))),
                d("TruePositive", and2(state_is("closed"), benign.clone())),
                // What a client that sets these gets: a benign close, which
                // reads back as TruePositive.
                d("Ignored", and2(state_is("closed"), benign.clone())),
                d("Other", and2(state_is("closed"), benign)),
            ]
        }
        (Entity::Alert, false, true) => vec![
            d("New", state_is("new")),
            d("InProgress", state_is("in_triage")),
            d("Closed", state_is("closed")),
            d("Imported", state_is("escalated")),
        ],
        (Entity::Alert, true, _) => vec![
            d("New", and2(states(&["new", "in_triage"]), occurrences(CmpOp::Lte))),
            d("Updated", and2(states(&["new", "in_triage"]), occurrences(CmpOp::Gt))),
            d("Ignored", state_is("closed")),
            d("Imported", state_is("escalated")),
        ],
        (Entity::Case, false, false) => {
            let mut names: Vec<&str> =
                cases::STAGES.iter().filter(|(st, _, _)| *st != CaseState::Closed).map(|(_, _, s)| *s).collect();
            names.extend(cases::CLOSING.iter().map(|(s, _)| *s));
            names.dedup();
            let mut out: Vec<(Value, Cond)> = Vec::new();
            for n in names {
                if !out.iter().any(|(v, _)| v == n) {
                    out.push(d(n, case_status_is(n)));
                }
            }
            out
        }
        (Entity::Case, false, true) => {
            let mut out: Vec<(Value, Cond)> = Vec::new();
            for (st, stage, _) in cases::STAGES {
                match out.iter_mut().find(|(v, _)| v == stage) {
                    Some((_, Cond::Or(cs))) => cs.push(state_is(st.as_str())),
                    _ => out.push(d(stage, Cond::Or(vec![state_is(st.as_str())]))),
                }
            }
            out
        }
        (Entity::Case, true, _) => {
            let open: Vec<&str> = CaseState::ALL.iter().filter(|s| s.is_active()).map(|s| s.as_str()).collect();
            vec![
                d("Open", states(&open)),
                d("Resolved", state_is("closed")),
                d("Deleted", state_is("cancelled")),
                d("Duplicated", state_is("merged")),
            ]
        }
    }
}

fn number_domain(field: Field, names: &[&str]) -> Vec<(Value, Cond)> {
    names.iter().enumerate().map(|(n, name)| (json!(n), text_is(field, name))).collect()
}

fn map_field(entity: Entity, legacy: bool, name: &str) -> HiveResult<Mapped> {
    use Mapped::Col;
    let common = match name {
        "_id" | "id" => Some(Col(Field::Id, Ty::Text)),
        "title" => Some(Col(Field::Title, Ty::Text)),
        "description" => Some(Col(Field::Description, Ty::Text)),
        "severity" => Some(Col(Field::Severity, Ty::Int)),
        "tags" => Some(Col(Field::Tags, Ty::Text)),
        "assignee" | "owner" => Some(Col(Field::Assignee, Ty::Login)),
        "_createdAt" | "createdAt" => Some(Col(Field::CreatedAt, Ty::Int)),
        "_updatedAt" | "updatedAt" => Some(Col(Field::UpdatedAt, Ty::Int)),
        "tlp" => Some(Mapped::Domain(number_domain(Field::Tlp, &["clear", "green", "amber", "red", "amber_strict"]))),
        "pap" => Some(Mapped::Domain(number_domain(Field::Pap, &["clear", "green", "amber", "red"]))),
        "status" => Some(Mapped::Domain(status_domain(entity, legacy, false))),
        "stage" => Some(Mapped::Domain(status_domain(entity, legacy, true))),
        _ => None,
    };
    if let Some(m) = common {
        return Ok(m);
    }
    let own = match (entity, name) {
        (Entity::Alert, "source") => Some(Col(Field::Source, Ty::Text)),
        (Entity::Alert, "sourceRef") => Some(Col(Field::SourceRef, Ty::Text)),
        (Entity::Alert, "type") => Some(Col(Field::Kind, Ty::Text)),
        (Entity::Alert, "date") => Some(Col(Field::EventTime, Ty::Int)),
        (Entity::Alert, "lastSyncDate") => Some(Col(Field::UpdatedAt, Ty::Int)),
        (Entity::Alert, "caseId" | "case") => Some(Col(Field::CaseId, Ty::Text)),
        (Entity::Case, "number") => Some(Col(Field::Number, Ty::Int)),
        (Entity::Case, "caseId") if legacy => Some(Col(Field::Number, Ty::Int)),
        (Entity::Case, "startDate") => Some(Col(Field::CreatedAt, Ty::Int)),
        (Entity::Case, "endDate") => Some(Col(Field::ClosedAt, Ty::Int)),
        _ => None,
    };
    own.ok_or_else(|| {
        let what = if entity == Entity::Alert { "alerts" } else { "cases" };
        bad(format!("unknown field {name} of {what}"))
    })
}

/// What the conversion of filters needs: which entity, which TheHive, and
/// the logins of the organisation.
pub(crate) struct Fields<'a> {
    pub entity: Entity,
    pub legacy: bool,
    pub names: &'a Names,
}

impl Fields<'_> {
    fn value(&self, name: &str, ty: Ty, v: &Value) -> HiveResult<QueryValue> {
        Ok(match (ty, v) {
            (_, Value::Null) => QueryValue::Null,
            (Ty::Int, Value::Number(n)) => {
                QueryValue::Int(n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)).unwrap_or(i64::MAX))
            }
            (Ty::Int, Value::String(s)) => {
                QueryValue::Int(s.trim().parse().map_err(|_| bad(format!("{name}: expected a number, not {s:?}")))?)
            }
            (Ty::Text, Value::String(s)) => QueryValue::Text(s.clone()),
            (Ty::Text, Value::Number(n)) => QueryValue::Text(n.to_string()),
            (Ty::Login, Value::String(s)) => {
                let id = self.names.0.iter().find(|(_, login)| login.eq_ignore_ascii_case(s)).map(|(id, _)| *id);
                // A login nobody has matches no row.
                QueryValue::Text(id.map(|i| i.to_string()).unwrap_or_else(|| "-".into()))
            }
            (_, other) => return Err(bad(format!("{name}: unexpected value {other}"))),
        })
    }

    /// The SQL condition of a filter.
    pub(crate) fn cond(&self, e: &Expr) -> HiveResult<Cond> {
        Ok(match e {
            Expr::All => Cond::All(true),
            Expr::And(es) => Cond::And(es.iter().map(|e| self.cond(e)).collect::<HiveResult<_>>()?),
            Expr::Or(es) => Cond::Or(es.iter().map(|e| self.cond(e)).collect::<HiveResult<_>>()?),
            Expr::Not(e) => Cond::Not(Box::new(self.cond(e)?)),
            Expr::Id(id) => Cond::Cmp(Field::Id, CmpOp::Eq, QueryValue::Text(id.clone())),
            Expr::Has(name) => match map_field(self.entity, self.legacy, name)? {
                Mapped::Col(Field::Tags, _) => Cond::Text(Field::Tags, TextMatch::Wildcard, "*".into()),
                Mapped::Col(f, _) => Cond::Cmp(f, CmpOp::Ne, QueryValue::Null),
                Mapped::Domain(_) => Cond::All(true),
            },
            Expr::Cmp(name, op, v) => match map_field(self.entity, self.legacy, name)? {
                Mapped::Col(f, ty) => Cond::Cmp(f, *op, self.value(name, ty, v)?),
                Mapped::Domain(d) => {
                    if matches!(op, CmpOp::Eq | CmpOp::Ne) && !d.iter().any(|(dv, _)| json_eq(dv, v)) {
                        let known: Vec<String> = d.iter().map(|(dv, _)| dv.to_string()).collect();
                        return Err(bad(format!("{name}: unknown value {v} (one of {})", known.join(", "))));
                    }
                    Cond::Or(d.into_iter().filter(|(dv, _)| cmp_holds(dv, *op, v)).map(|(_, c)| c).collect())
                }
            },
            Expr::In(name, vs) => match map_field(self.entity, self.legacy, name)? {
                Mapped::Col(f, ty) => {
                    Cond::In(f, vs.iter().map(|v| self.value(name, ty, v)).collect::<HiveResult<_>>()?)
                }
                Mapped::Domain(d) => Cond::Or(
                    d.into_iter().filter(|(dv, _)| vs.iter().any(|v| json_eq(dv, v))).map(|(_, c)| c).collect(),
                ),
            },
            Expr::Text(name, how, text) => match map_field(self.entity, self.legacy, name)? {
                Mapped::Col(f, Ty::Text) => Cond::Text(f, *how, text.clone()),
                Mapped::Col(..) => return Err(bad(format!("{name}: a text pattern needs a text field"))),
                Mapped::Domain(d) => Cond::Or(
                    d.into_iter()
                        .filter(|(dv, _)| dv.as_str().is_some_and(|s| text_holds(s, *how, text)))
                        .map(|(_, c)| c)
                        .collect(),
                ),
            },
            Expr::Between(name, from, to) => Cond::And(vec![
                self.cond(&Expr::Cmp(name.clone(), CmpOp::Gte, from.clone()))?,
                self.cond(&Expr::Cmp(name.clone(), CmpOp::Lt, to.clone()))?,
            ]),
        })
    }

    /// The column a TheHive field sorts by.
    fn sort_field(&self, name: &str) -> HiveResult<Field> {
        Ok(match map_field(self.entity, self.legacy, name)? {
            Mapped::Col(Field::Tags, _) => return Err(bad(format!("cannot sort by {name}"))),
            Mapped::Col(f, _) => f,
            Mapped::Domain(_) if name == "tlp" => Field::Tlp,
            Mapped::Domain(_) if name == "pap" => Field::Pap,
            Mapped::Domain(_) => Field::State,
        })
    }
}

// -- Filters on TheHive's shapes, in memory ---------------------------------------------

fn json_cmp(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::Number(x), Value::String(y)) => x.as_f64()?.partial_cmp(&y.parse::<f64>().ok()?),
        (Value::String(x), Value::Number(y)) => x.parse::<f64>().ok()?.partial_cmp(&y.as_f64()?),
        (Value::Null, Value::Null) => Some(Ordering::Equal),
        _ => None,
    }
}

fn json_eq(a: &Value, b: &Value) -> bool {
    json_cmp(a, b) == Some(Ordering::Equal)
}

fn cmp_holds(a: &Value, op: CmpOp, b: &Value) -> bool {
    let o = json_cmp(a, b);
    match op {
        CmpOp::Eq => o == Some(Ordering::Equal),
        CmpOp::Ne => o != Some(Ordering::Equal),
        CmpOp::Lt => o == Some(Ordering::Less),
        CmpOp::Lte => matches!(o, Some(Ordering::Less | Ordering::Equal)),
        CmpOp::Gt => o == Some(Ordering::Greater),
        CmpOp::Gte => matches!(o, Some(Ordering::Greater | Ordering::Equal)),
    }
}

fn text_holds(s: &str, how: TextMatch, pattern: &str) -> bool {
    let s = s.to_lowercase();
    let p = pattern.to_lowercase();
    match how {
        TextMatch::Contains => s.contains(&p),
        TextMatch::StartsWith => s.starts_with(&p),
        TextMatch::EndsWith => s.ends_with(&p),
        TextMatch::Wildcard => wildcard(&s, &p),
    }
}

/// `*` stands for any text; the rest must match in order, the whole value.
fn wildcard(s: &str, p: &str) -> bool {
    let parts: Vec<&str> = p.split('*').collect();
    let (first, rest) = match parts.split_first() {
        Some(x) => x,
        None => return s.is_empty(),
    };
    let Some(mut s) = s.strip_prefix(first) else {
        return false;
    };
    let Some((last, middle)) = rest.split_last() else {
        return s.is_empty();
    };
    for m in middle {
        match s.find(m) {
            Some(i) => s = &s[i + m.len()..],
            None => return false,
        }
    }
    s.len() >= last.len() && s.ends_with(last)
}

/// A field of a shaped entity (`a.b` reads a nested field).
fn get<'a>(o: &'a Value, name: &str) -> Option<&'a Value> {
    let name = if name == "id" && o.get("id").is_none() { "_id" } else { name };
    name.split('.').try_fold(o, |v, k| v.get(k))
}

/// A filter on an entity in TheHive's shape; a list field holds if one of
/// its elements does.
fn holds(e: &Expr, o: &Value) -> bool {
    let any = |name: &str, test: &dyn Fn(&Value) -> bool| match get(o, name) {
        Some(Value::Array(items)) => items.iter().any(test),
        Some(v) => test(v),
        None => false,
    };
    match e {
        Expr::All => true,
        Expr::And(es) => es.iter().all(|e| holds(e, o)),
        Expr::Or(es) => es.iter().any(|e| holds(e, o)),
        Expr::Not(e) => !holds(e, o),
        Expr::Id(id) => get(o, "_id").and_then(Value::as_str) == Some(id.as_str()),
        Expr::Has(name) => get(o, name).is_some_and(|v| !v.is_null()),
        Expr::Cmp(name, CmpOp::Ne, v) => !any(name, &|x| json_eq(x, v)),
        Expr::Cmp(name, op, v) => any(name, &|x| cmp_holds(x, *op, v)),
        Expr::In(name, vs) => any(name, &|x| vs.iter().any(|v| json_eq(x, v))),
        Expr::Text(name, how, p) => any(name, &|x| x.as_str().is_some_and(|s| text_holds(s, *how, p))),
        Expr::Between(name, from, to) => any(name, &|x| cmp_holds(x, CmpOp::Gte, from) && cmp_holds(x, CmpOp::Lt, to)),
    }
}

// -- Queries ------------------------------------------------------------------

/// Alerts or cases still to be read: the conditions, order and page so far.
#[derive(Debug, Clone)]
struct Lazy {
    entity: Entity,
    filter: Vec<Cond>,
    sort: Vec<(Field, bool)>,
    offset: u64,
    limit: Option<u32>,
    /// `getAlert`/`getCase`: none found is "not found".
    get: bool,
}

impl Lazy {
    fn new(entity: Entity) -> Self {
        Lazy { entity, filter: Vec::new(), sort: Vec::new(), offset: 0, limit: None, get: false }
    }

    fn query(&self) -> EntityQuery {
        EntityQuery {
            filter: Cond::And(self.filter.clone()),
            sort: self.sort.clone(),
            offset: self.offset,
            limit: self.limit.unwrap_or(MAX_QUERY_ROWS),
        }
    }
}

/// An entity read, in TheHive's shape, with what it was made from when a
/// traversal needs it.
struct Item {
    json: Value,
    of: Of,
}

enum Of {
    Alert(Box<Alert>),
    Case(Box<Case>),
    Task(Box<Task>),
    Other,
}

enum Set {
    Lazy(Lazy),
    Items(Vec<Item>),
    Count(u64),
}

/// One request's work: the caller, the logins read once.
struct Run<'a> {
    state: &'a AppState,
    caller: &'a HiveCaller,
    names: Option<Names>,
    legacy: bool,
    /// The `extraData` names the page asked for.
    extra: Vec<String>,
}

impl Run<'_> {
    async fn names(&mut self) -> HiveResult<&Names> {
        if self.names.is_none() {
            self.names = Some(Names::of(&self.state.app, self.caller).await?);
        }
        Ok(self.names.get_or_insert_with(Names::default))
    }

    async fn fields(&mut self, entity: Entity) -> HiveResult<Fields<'_>> {
        let legacy = self.legacy;
        let names = self.names().await?;
        Ok(Fields { entity, legacy, names })
    }

    fn others(values: Vec<Value>) -> Set {
        Set::Items(values.into_iter().map(|json| Item { json, of: Of::Other }).collect())
    }

    async fn read(&mut self, lazy: &Lazy) -> HiveResult<Vec<Item>> {
        let app = &self.state.app;
        let caller = &self.caller.0;
        let items: Vec<Item> = match lazy.entity {
            Entity::Alert => {
                let found = q::alerts(app, caller, &lazy.query()).await?;
                let legacy = self.legacy;
                let names = self.names().await?;
                // TheHive 4's searches answer in TheHive 4's shape, whose
                // statuses their filters read.
                let shape = if legacy { legacy_alerts::legacy_alert } else { alerts::alert };
                found.into_iter().map(|a| Item { json: shape(&a, names), of: Of::Alert(Box::new(a)) }).collect()
            }
            Entity::Case => {
                let found = q::cases(app, caller, &lazy.query()).await?;
                let legacy = self.legacy;
                let names = self.names().await?;
                let shape = if legacy { legacy_cases::case } else { cases::case };
                found.into_iter().map(|c| Item { json: shape(&c, names), of: Of::Case(Box::new(c)) }).collect()
            }
        };
        if lazy.get && items.is_empty() {
            let what = if lazy.entity == Entity::Alert { "alert" } else { "case" };
            return Err(HiveError::not_found(format!("{what} not found")));
        }
        Ok(items)
    }

    async fn items(&mut self, set: Set) -> HiveResult<Vec<Item>> {
        match set {
            Set::Lazy(l) => self.read(&l).await,
            Set::Items(items) => Ok(items),
            Set::Count(_) => Err(bad("nothing follows count")),
        }
    }

    async fn source(&mut self, step: &Map<String, Value>, name: &str) -> HiveResult<Set> {
        let app = &self.state.app;
        let caller = &self.caller.0;
        let id_or_name = || -> HiveResult<String> {
            match step.get("idOrName").or_else(|| step.get("id")) {
                Some(Value::String(s)) => Ok(s.clone()),
                Some(Value::Number(n)) => Ok(n.to_string()),
                _ => Err(bad(format!("{name}: idOrName is missing"))),
            }
        };
        let uuid = |s: &str, what: &str| -> HiveResult<Uuid> {
            s.parse().map_err(|_| HiveError::not_found(format!("{what} {s} not found")))
        };
        Ok(match name {
            "listAlert" => Set::Lazy(Lazy::new(Entity::Alert)),
            "listCase" => Set::Lazy(Lazy::new(Entity::Case)),
            "getAlert" => {
                let id = id_or_name()?;
                let mut l = Lazy::new(Entity::Alert);
                l.filter.push(Cond::Cmp(Field::Id, CmpOp::Eq, QueryValue::Text(uuid(&id, "alert")?.to_string())));
                l.get = true;
                Set::Lazy(l)
            }
            "getCase" => {
                let id = id_or_name()?;
                let mut l = Lazy::new(Entity::Case);
                // A case is named by its id or its number (`42`, `#42`, `~42`).
                let cond = match id.parse::<Uuid>() {
                    Ok(u) => Cond::Cmp(Field::Id, CmpOp::Eq, QueryValue::Text(u.to_string())),
                    Err(_) => match id.trim_start_matches(['#', '~']).parse::<i64>() {
                        Ok(n) => Cond::Cmp(Field::Number, CmpOp::Eq, QueryValue::Int(n)),
                        Err(_) => return Err(HiveError::not_found(format!("case {id} not found"))),
                    },
                };
                l.filter.push(cond);
                l.get = true;
                Set::Lazy(l)
            }
            "listTask" => {
                let names = Names::of(app, caller).await?;
                let tasks = q::tasks(app, caller).await?;
                Set::Items(
                    tasks
                        .into_iter()
                        .map(|t| Item { json: cases::task(&t, &names), of: Of::Task(Box::new(t)) })
                        .collect(),
                )
            }
            "getTask" => {
                let names = Names::of(app, caller).await?;
                let t = q::task(app, caller, uuid(&id_or_name()?, "task")?).await?;
                Set::Items(vec![Item { json: cases::task(&t, &names), of: Of::Task(Box::new(t)) }])
            }
            "listLog" => Self::others(q::task_logs(app, caller).await?.iter().map(cases::log).collect()),
            "getLog" => {
                let l = q::task_log(app, caller, uuid(&id_or_name()?, "log")?).await?;
                Self::others(vec![cases::log(&l)])
            }
            "listObservable" => {
                Self::others(q::observables(app, caller).await?.iter().map(cases::observable).collect())
            }
            "getObservable" => {
                let o = q::observable(app, caller, uuid(&id_or_name()?, "observable")?).await?;
                Self::others(vec![cases::observable(&o)])
            }
            "listComment" => Self::others(q::comments(app, caller).await?.iter().map(case_parts::comment).collect()),
            "listProcedure" => {
                Self::others(q::procedures(app, caller).await?.iter().map(case_parts::procedure).collect())
            }
            "getProcedure" => {
                let e = q::procedure(app, caller, uuid(&id_or_name()?, "procedure")?).await?;
                Self::others(vec![case_parts::procedure(&e)])
            }
            "listUser" => Self::others(identity::list_users(self.state, self.caller).await?),
            "listOrganisation" => Self::others(identity::list_organisations(self.state, self.caller).await?),
            "listProfile" => Self::others(identity::list_profiles(self.state, self.caller).await?),
            "listCaseTemplate" => Self::others(templates::list_case_templates(self.state, self.caller).await?),
            "listCustomField" => Self::others(templates::list_custom_fields(self.state, self.caller).await?),
            "listObservableType" => Self::others(templates::list_observable_types(self.state, self.caller).await?),
            other => return Err(bad(format!("unknown query source {other}"))),
        })
    }

    /// `from → name`: the entities related to those of `from`.
    async fn traverse(&mut self, from: Set, name: &str) -> HiveResult<Set> {
        // The alerts of cases stay a query.
        if name == "alerts" {
            let items = self.items(from).await?;
            let ids: Vec<QueryValue> = items
                .iter()
                .filter_map(|i| match &i.of {
                    Of::Case(c) => Some(QueryValue::Text(c.id.to_string())),
                    _ => None,
                })
                .collect();
            let mut l = Lazy::new(Entity::Alert);
            l.filter.push(Cond::In(Field::CaseId, ids));
            return Ok(Set::Lazy(l));
        }
        let items = self.items(from).await?;
        let app = &self.state.app;
        let caller = &self.caller.0;
        let mut out = Vec::new();
        match name {
            "observables" => {
                for i in &items {
                    match &i.of {
                        Of::Case(c) => {
                            for o in app_observables::list_observables(app, caller, c.id).await? {
                                out.push(Item { json: cases::observable(&o.observable), of: Of::Other });
                            }
                        }
                        Of::Alert(a) => {
                            out.extend(alerts::observables(a).into_iter().map(|json| Item { json, of: Of::Other }))
                        }
                        _ => {}
                    }
                }
            }
            "tasks" => {
                let names = Names::of(app, caller).await?;
                for i in &items {
                    if let Of::Case(c) = &i.of {
                        for t in app_tasks::list_tasks(app, caller, c.id).await? {
                            out.push(Item { json: cases::task(&t, &names), of: Of::Task(Box::new(t)) });
                        }
                    }
                }
            }
            "logs" => {
                for i in &items {
                    if let Of::Task(t) = &i.of {
                        for l in app_tasks::task_logs(app, caller, t.case_id, t.id).await? {
                            out.push(Item { json: cases::log(&l), of: Of::Other });
                        }
                    }
                }
            }
            "case" => {
                let names = Names::of(app, caller).await?;
                for i in &items {
                    if let Of::Alert(a) = &i.of
                        && let Some(c) = q::case_of_alert(app, caller, a).await?
                    {
                        out.push(Item { json: cases::case(&c, &names), of: Of::Case(Box::new(c)) });
                    }
                }
            }
            "comments" | "pages" => {
                for i in &items {
                    if let Of::Case(c) = &i.of {
                        if name == "comments" {
                            for c in case_notes::comments(app, caller, c.id).await? {
                                out.push(Item { json: case_parts::comment(&c), of: Of::Other });
                            }
                        } else {
                            for p in case_notes::pages(app, caller, c.id).await? {
                                out.push(Item { json: case_parts::page(&p), of: Of::Other });
                            }
                        }
                    }
                    if let (Of::Alert(a), "comments") = (&i.of, name) {
                        for c in app_alerts::comments(app, caller, a.id).await? {
                            let json = firebreak_app::thehive::shape::alert_comment(&c);
                            out.push(Item { json, of: Of::Other });
                        }
                    }
                }
            }
            "organisations" => {
                let orgs = identity::list_organisations(self.state, self.caller).await?;
                for i in &items {
                    let of_user = i.json.get("organisation").and_then(Value::as_str);
                    for o in &orgs {
                        let name = o.get("name").and_then(Value::as_str);
                        if of_user.is_none() || name == of_user {
                            out.push(Item { json: o.clone(), of: Of::Other });
                        }
                    }
                }
            }
            "attachments" => {
                for i in &items {
                    match &i.of {
                        Of::Alert(a) => {
                            let list = alerts::attachments(self.state, self.caller, a.id).await?;
                            out.extend(list.into_iter().map(|json| Item { json, of: Of::Other }));
                        }
                        Of::Case(c) => {
                            for e in firebreak_app::evidence::list(app, caller, c.id).await? {
                                out.push(Item { json: case_parts::evidence_attachment(&e), of: Of::Other });
                            }
                        }
                        _ => {}
                    }
                }
            }
            "procedures" | "timeline" => {
                for i in &items {
                    if let Of::Case(c) = &i.of {
                        for e in firebreak_app::timeline::timeline(app, caller, c.id).await? {
                            let json = match name {
                                "procedures" if e.technique.is_some() => case_parts::procedure(&e),
                                "timeline" => case_parts::event(&e),
                                _ => continue,
                            };
                            out.push(Item { json, of: Of::Other });
                        }
                    }
                }
            }
            "links" => {
                for i in &items {
                    if let Of::Case(c) = &i.of {
                        let list = case_parts::linked_cases(self.state, caller, c.id).await?;
                        out.extend(list.into_iter().map(|json| Item { json, of: Of::Other }));
                    }
                }
            }
            // What Firebreak keeps elsewhere or not at all: TheHive's
            // shares, similar alerts, page templates, sharing profiles.
            "shares" | "similarAlerts" | "customFields" | "pageTemplates" | "sharingProfiles" | "taskLogs" => {}
            other => return Err(bad(format!("unknown query step {other}"))),
        }
        Ok(Set::Items(out))
    }

    async fn filter(&mut self, set: Set, step: &Map<String, Value>) -> HiveResult<Set> {
        let expr = parse_filter(&Value::Object(step.clone()))?;
        Ok(match set {
            Set::Lazy(mut l) if l.offset == 0 && l.limit.is_none() => {
                let cond = self.fields(l.entity).await?.cond(&expr)?;
                l.filter.push(cond);
                Set::Lazy(l)
            }
            Set::Count(_) => return Err(bad("nothing follows count")),
            other => {
                let items = self.items(other).await?;
                Set::Items(items.into_iter().filter(|i| holds(&expr, &i.json)).collect())
            }
        })
    }

    async fn sort(&mut self, set: Set, fields: &[(String, bool)]) -> HiveResult<Set> {
        Ok(match set {
            Set::Lazy(mut l) if l.offset == 0 && l.limit.is_none() => {
                let f = self.fields(l.entity).await?;
                l.sort = fields.iter().map(|(n, d)| Ok((f.sort_field(n)?, *d))).collect::<HiveResult<_>>()?;
                Set::Lazy(l)
            }
            Set::Count(_) => return Err(bad("nothing follows count")),
            other => {
                let mut items = self.items(other).await?;
                items.sort_by(|a, b| {
                    for (n, desc) in fields {
                        let (x, y) = (get(&a.json, n).unwrap_or(&Value::Null), get(&b.json, n).unwrap_or(&Value::Null));
                        let o = json_cmp(x, y).unwrap_or(Ordering::Equal);
                        let o = if *desc { o.reverse() } else { o };
                        if o != Ordering::Equal {
                            return o;
                        }
                    }
                    Ordering::Equal
                });
                Set::Items(items)
            }
        })
    }

    async fn page(&mut self, set: Set, from: u64, to: u64) -> HiveResult<Set> {
        let n = u32::try_from(to.saturating_sub(from)).unwrap_or(u32::MAX).min(MAX_QUERY_ROWS);
        Ok(match set {
            Set::Lazy(mut l) if l.offset == 0 && l.limit.is_none() => {
                l.offset = from;
                l.limit = Some(n);
                Set::Lazy(l)
            }
            Set::Count(_) => return Err(bad("nothing follows count")),
            other => {
                let items = self.items(other).await?;
                let skip = usize::try_from(from).unwrap_or(usize::MAX);
                Set::Items(items.into_iter().skip(skip).take(n as usize).collect())
            }
        })
    }

    async fn count(&mut self, set: Set) -> HiveResult<Set> {
        let n = match set {
            Set::Lazy(l) if l.offset == 0 && l.limit.is_none() => {
                let filter = Cond::And(l.filter);
                match l.entity {
                    Entity::Alert => q::count_alerts(&self.state.app, &self.caller.0, &filter).await?,
                    Entity::Case => q::count_cases(&self.state.app, &self.caller.0, &filter).await?,
                }
            }
            Set::Count(_) => return Err(bad("nothing follows count")),
            other => self.items(other).await?.len() as u64,
        };
        Ok(Set::Count(n))
    }

    async fn answer(&mut self, set: Set) -> HiveResult<Value> {
        Ok(match set {
            Set::Count(n) => json!(n),
            other => {
                let mut items = self.items(other).await?;
                let mut extra =
                    if self.extra.is_empty() { Default::default() } else { self.extra_data(&items).await? };
                let asked = !self.extra.is_empty();
                let legacy = self.legacy;
                for i in &mut items {
                    let id = match &i.of {
                        Of::Case(c) => Some(c.id),
                        Of::Alert(a) => Some(a.id),
                        _ => None,
                    };
                    if let Value::Object(m) = &mut i.json {
                        if asked {
                            let e = m.entry("extraData").or_insert_with(|| json!({}));
                            if let (Value::Object(e), Some(found)) = (e, id.and_then(|id| extra.remove(&id))) {
                                e.extend(found);
                            }
                        }
                        if legacy {
                            legacy_fields(m);
                        }
                    }
                }
                Value::Array(items.into_iter().map(|i| i.json).collect())
            }
        })
    }
}

impl Run<'_> {
    /// The `extraData` asked of the cases and alerts of the answer, by id:
    /// computed for them all at once.
    async fn extra_data(&mut self, items: &[Item]) -> HiveResult<std::collections::HashMap<Uuid, Map<String, Value>>> {
        let cases: Vec<&Case> = items
            .iter()
            .filter_map(|i| match &i.of {
                Of::Case(c) => Some(c.as_ref()),
                _ => None,
            })
            .collect();
        let alerts: Vec<&Alert> = items
            .iter()
            .filter_map(|i| match &i.of {
                Of::Alert(a) => Some(a.as_ref()),
                _ => None,
            })
            .collect();
        let (state, caller, wanted) = (self.state, self.caller, self.extra.clone());
        let names = self.names().await?;
        let mut out = extra_data::for_cases(state, caller, names, &cases, &wanted).await?;
        out.extend(extra_data::for_alerts(state, caller, names, &alerts, &wanted).await?);
        Ok(out)
    }
}

/// TheHive 4's names of the header fields, beside TheHive 5's.
fn legacy_fields(m: &mut Map<String, Value>) {
    for (new, old) in
        [("_id", "id"), ("_createdAt", "createdAt"), ("_updatedAt", "updatedAt"), ("_createdBy", "createdBy")]
    {
        if let Some(v) = m.get(new).cloned() {
            m.entry(old).or_insert(v);
        }
    }
}

fn number(step: &Map<String, Value>, key: &str) -> HiveResult<u64> {
    match step.get(key) {
        Some(Value::Number(n)) => n.as_u64().ok_or_else(|| bad(format!("page: {key} is a number from 0"))),
        Some(Value::String(s)) => s.parse().map_err(|_| bad(format!("page: {key} is a number from 0"))),
        _ => Err(bad(format!("page: {key} is missing"))),
    }
}

/// `[{"date": "desc"}, …]`.
fn sort_fields(step: &Map<String, Value>) -> HiveResult<Vec<(String, bool)>> {
    let Some(Value::Array(fields)) = step.get("_fields") else {
        return Err(bad("sort: _fields is a list of {field: \"asc\" | \"desc\"}"));
    };
    let mut out = Vec::new();
    for f in fields {
        let Value::Object(m) = f else {
            return Err(bad("sort: _fields is a list of {field: \"asc\" | \"desc\"}"));
        };
        for (name, dir) in m {
            let desc = match dir.as_str() {
                Some("asc") => false,
                Some("desc") => true,
                _ => return Err(bad(format!("sort: {name} is \"asc\" or \"desc\""))),
            };
            out.push((name.clone(), desc));
        }
    }
    Ok(out)
}

async fn run(run: &mut Run<'_>, steps: &[Value]) -> HiveResult<Value> {
    let mut set: Option<Set> = None;
    for step in steps {
        let Value::Object(step) = step else {
            return Err(bad("a query step is an object with a _name"));
        };
        let Some(Value::String(name)) = step.get("_name") else {
            return Err(bad("a query step has a _name"));
        };
        set = Some(match (set, name.as_str()) {
            (None, name) => run.source(step, name).await?,
            (Some(s), "filter") => run.filter(s, step).await?,
            (Some(s), "sort") => run.sort(s, &sort_fields(step)?).await?,
            (Some(s), "page") => {
                if let Some(Value::Array(extra)) = step.get("extraData") {
                    run.extra.extend(extra.iter().filter_map(Value::as_str).map(str::to_owned));
                }
                run.page(s, number(step, "from")?, number(step, "to")?).await?
            }
            (Some(s), "limit") => run.page(s, 0, number(step, "count")?).await?,
            (Some(s), "count") => run.count(s).await?,
            (Some(s), name) => run.traverse(s, name).await?,
        });
    }
    match set {
        Some(s) => run.answer(s).await,
        None => Err(bad("an empty query")),
    }
}

async fn query(State(state): State<AppState>, caller: HiveCaller, body: Bytes) -> HiveResult<Json<Value>> {
    let body = body_json(&body)?;
    let Some(Value::Array(steps)) = body.get("query") else {
        return Err(bad("query: expected a list of steps"));
    };
    let mut r = Run { state: &state, caller: &caller, names: None, legacy: false, extra: Vec::new() };
    Ok(Json(run(&mut r, steps).await?))
}

// -- TheHive 4's searches ---------------------------------------------------------------

/// `range` (`all`, `0-100`) and `sort` (`-date`, `+title`), from the URL or
/// the body.
fn legacy_steps(raw: Option<String>, body: &Value) -> HiveResult<Vec<Value>> {
    let mut range: Option<String> = body.get("range").and_then(Value::as_str).map(str::to_owned);
    let mut sorts: Vec<String> = match body.get("sort") {
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    };
    if let Some(raw) = raw {
        for (k, v) in url::form_urlencoded::parse(raw.as_bytes()) {
            match k.as_ref() {
                "range" => range = Some(v.into_owned()),
                "sort" => sorts.push(v.into_owned()),
                _ => {}
            }
        }
    }
    let mut steps = Vec::new();
    if let Some(filter) = body.get("query").filter(|q| !q.is_null()) {
        let mut f = filter.as_object().cloned().ok_or_else(|| bad("query: a filter is an object"))?;
        f.insert("_name".into(), json!("filter"));
        steps.push(Value::Object(f));
    }
    let fields: Vec<Value> = sorts
        .iter()
        .filter(|s| !s.is_empty())
        .map(|s| match s.strip_prefix('-') {
            Some(f) => json!({ f: "desc" }),
            None => json!({ s.trim_start_matches('+'): "asc" }),
        })
        .collect();
    if !fields.is_empty() {
        steps.push(json!({"_name": "sort", "_fields": fields}));
    }
    match range.as_deref() {
        None | Some("all") | Some("") => {}
        Some(r) => {
            let (from, to) =
                r.split_once('-').ok_or_else(|| bad(format!("range: expected all or from-to, not {r}")))?;
            let from: u64 = from.trim().parse().map_err(|_| bad(format!("range: {r}")))?;
            let to: u64 = to.trim().parse().map_err(|_| bad(format!("range: {r}")))?;
            steps.push(json!({"_name": "page", "from": from, "to": to}));
        }
    }
    Ok(steps)
}

async fn legacy_search(
    state: &AppState,
    caller: &HiveCaller,
    source: &str,
    raw: Option<String>,
    body: &Bytes,
) -> HiveResult<Json<Value>> {
    let body = body_json(body)?;
    let mut steps = vec![json!({ "_name": source })];
    steps.extend(legacy_steps(raw, &body)?);
    let mut r = Run { state, caller, names: None, legacy: true, extra: Vec::new() };
    Ok(Json(run(&mut r, &steps).await?))
}

async fn search_alerts(
    State(state): State<AppState>,
    caller: HiveCaller,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> HiveResult<Json<Value>> {
    legacy_search(&state, &caller, "listAlert", raw, &body).await
}

async fn search_cases(
    State(state): State<AppState>,
    caller: HiveCaller,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> HiveResult<Json<Value>> {
    legacy_search(&state, &caller, "listCase", raw, &body).await
}

async fn search_tasks(
    State(state): State<AppState>,
    caller: HiveCaller,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> HiveResult<Json<Value>> {
    legacy_search(&state, &caller, "listTask", raw, &body).await
}

async fn search_artifacts(
    State(state): State<AppState>,
    caller: HiveCaller,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> HiveResult<Json<Value>> {
    legacy_search(&state, &caller, "listObservable", raw, &body).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_equality_forms_read_alike() {
        let a = parse_filter(&json!({"_eq": {"_field": "status", "_value": "New"}})).unwrap();
        let b = parse_filter(&json!({"_eq": {"status": "New"}})).unwrap();
        let c = parse_filter(&json!({"_field": "status", "_value": "New"})).unwrap();
        assert_eq!(a, b);
        assert_eq!(a, c);
    }

    #[test]
    fn unknown_operators_and_fields_are_named() {
        let e = parse_filter(&json!({"_nope": {"a": 1}})).unwrap_err();
        assert!(e.message.contains("_nope"), "{}", e.message);
        let names = Names::default();
        let f = Fields { entity: Entity::Alert, legacy: false, names: &names };
        let e = f.cond(&parse_filter(&json!({"_eq": {"colour": "red"}})).unwrap()).unwrap_err();
        assert!(e.message.contains("colour"), "{}", e.message);
        let e = f.cond(&parse_filter(&json!({"_eq": {"status": "Sideways"}})).unwrap()).unwrap_err();
        assert!(e.message.contains("Sideways"), "{}", e.message);
    }

    #[test]
    fn enumerated_fields_compare_by_their_numbers() {
        let names = Names::default();
        let f = Fields { entity: Entity::Alert, legacy: false, names: &names };
        let c = f.cond(&parse_filter(&json!({"_gte": {"tlp": 3}})).unwrap()).unwrap();
        assert_eq!(c, Cond::Or(vec![text_is(Field::Tlp, "red"), text_is(Field::Tlp, "amber_strict")]));
    }

    #[test]
    fn wildcards_match_the_whole_value() {
        assert!(wildcard("phishing mail", "*mail"));
        assert!(wildcard("phishing mail", "phish*"));
        assert!(wildcard("phishing mail", "*ing*ma*"));
        assert!(!wildcard("phishing mail", "mail*"));
        assert!(wildcard("abc", "abc"));
    }

    #[test]
    fn in_memory_filters_read_lists_and_nested_fields() {
        let o = json!({"_id": "1", "tags": ["a", "b"], "x": {"y": 3}, "title": "Hello World"});
        assert!(holds(&parse_filter(&json!({"_eq": {"tags": "b"}})).unwrap(), &o));
        assert!(holds(&parse_filter(&json!({"_gt": {"x.y": 2}})).unwrap(), &o));
        assert!(holds(&parse_filter(&json!({"_like": {"_field": "title", "_value": "world"}})).unwrap(), &o));
        assert!(holds(&parse_filter(&json!({"_id": "1"})).unwrap(), &o));
        assert!(!holds(&parse_filter(&json!({"_not": {"_has": "title"}})).unwrap(), &o));
    }
}
