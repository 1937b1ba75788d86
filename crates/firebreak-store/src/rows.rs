//! The alert row as both backends write it, and the values of a row for
//! either driver (sqlx for PostgreSQL and the store's reads, rusqlite for
//! SQLite's alert writer).

use firebreak_domain::clock::to_millis;
use firebreak_types::Alert;
use uuid::Uuid;

use crate::columns::enum_text;

/// The columns of an alert that intake writes, in the order of [`alert_row`].
pub(crate) const ALERT_COLS: &str = "id, org_id, source, source_ref, kind, title, title_key, description, severity, \
    severity_rank, event_time, tags, tlp, pap, observables, custom_fields, raw, state, occurrences, first_seen, \
    last_seen, assets, triage_rank, rule, group_id";
/// The columns an insert writes: [`ALERT_COLS`] and the entities the alert
/// was put in its story by.
pub(crate) const N_COLS: usize = 26;
/// Where [`alert_row`] puts the alert's story (the `group_id` column).
pub(crate) const STORY_COL: usize = 24;

/// A value of a row, for either database's driver.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val {
    Text(String),
    Int(i64),
    Blob(Vec<u8>),
    Null,
}

impl Val {
    /// Binds the value to a sqlx query.
    pub(crate) fn bind<'q>(
        self,
        q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        match self {
            Val::Text(t) => q.bind(t),
            Val::Int(n) => q.bind(n),
            Val::Blob(b) => q.bind(b),
            Val::Null => q.bind(None::<String>),
        }
    }
}

impl rusqlite::types::ToSql for Val {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Val::Text(t) => ValueRef::Text(t.as_bytes()),
            Val::Int(n) => ValueRef::Integer(*n),
            Val::Blob(b) => ValueRef::Blob(b),
            Val::Null => ValueRef::Null,
        }))
    }
}

/// A new alert's row, in the order of [`ALERT_COLS`] then `group_keys`
/// (the entities that put the alert in its story, as
/// `intake::story_memory::keys_blob` writes them, on SQLite only).
pub(crate) fn alert_row(a: &Alert, story: Option<Uuid>, keys: Val) -> [Val; N_COLS] {
    let json = |v: Result<String, serde_json::Error>| Val::Text(v.unwrap_or_else(|_| "[]".into()));
    let opt = |v: Option<String>| v.map_or(Val::Null, Val::Text);
    [
        Val::Text(a.id.to_string()),
        Val::Text(a.org_id.to_string()),
        Val::Text(a.source.clone()),
        Val::Text(a.source_ref.clone()),
        Val::Text(a.kind.clone()),
        Val::Text(a.title.clone()),
        Val::Text(a.title.to_lowercase()),
        Val::Text(a.description.clone()),
        Val::Text(enum_text(&a.severity)),
        Val::Int(a.severity as i64 + 1),
        Val::Int(to_millis(a.event_time)),
        json(serde_json::to_string(&a.tags)),
        Val::Text(enum_text(&a.tlp)),
        Val::Text(enum_text(&a.pap)),
        json(serde_json::to_string(&a.observables)),
        Val::Text(a.custom_fields.to_string()),
        Val::Text(a.raw.get().to_owned()),
        Val::Text(a.state.as_str().to_owned()),
        Val::Int(a.occurrences),
        Val::Int(to_millis(a.first_seen)),
        Val::Int(to_millis(a.last_seen)),
        json(serde_json::to_string(&a.assets)),
        Val::Int(a.triage_rank),
        opt(a.rule.clone()),
        opt(story.map(|g| g.to_string())),
        keys,
    ]
}

/// The term the SQLite sightings index keeps for an observable key (and
/// the stories index for a story's id): its first 2000 characters in
/// hexadecimal, so one token whatever it holds (the migrations that built
/// the indexes write the same in SQL).
pub(crate) fn sighting_term(key: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let head = match key.char_indices().nth(2000) {
        Some((at, _)) => &key[..at],
        None => key,
    };
    let mut term = String::with_capacity(1 + 2 * head.len());
    term.push('x');
    for b in head.bytes() {
        term.push(char::from(HEX[usize::from(b >> 4)]));
        term.push(char::from(HEX[usize::from(b & 15)]));
    }
    term
}

/// `rows` tuples of `cols` placeholders. SQLite gets anonymous `?`s: its
/// driver looks each numbered parameter's name up among all of them, a
/// quadratic cost that dominated the writer's time on big statements.
pub(crate) fn placeholders(backend: crate::Backend, rows: usize, cols: usize) -> String {
    let mut s = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            s.push(',');
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push(',');
            }
            match backend {
                crate::Backend::Sqlite => s.push('?'),
                crate::Backend::Postgres => {
                    s.push('$');
                    s.push_str(&(r * cols + c + 1).to_string());
                }
            }
        }
        s.push(')');
    }
    s
}

/// Rows per multi-row statement of `cols` columns, under both databases'
/// parameter limits.
pub(crate) fn chunk_rows(cols: usize) -> usize {
    (8_000 / cols).max(1)
}
