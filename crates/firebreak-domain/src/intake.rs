//! The native alert as intake reads it: a bulk body split into its items,
//! each item read into a [`NewAlert`] and checked into an [`Alert`], or
//! rejected with the field at fault. Every format (see [`crate::formats`])
//! ends here, so that one set of checks serves them all. The server stores
//! what this accepts; the parsing has no I/O so that it can be tested and
//! fuzzed on its own.

use std::collections::BTreeSet;

use firebreak_types::{Alert, AlertObservable, AlertState, NewAlert};
use uuid::Uuid;

use crate::observable::{ObservableKind, normalise};
use crate::validate::{Title, markdown, tags};

/// Largest raw event kept with an alert, in bytes of JSON.
pub const MAX_RAW_BYTES: usize = 256 * 1024;
/// Most items in one bulk request.
pub const MAX_BULK_ITEMS: usize = 10_000;

/// A rejected item: the field at fault and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    pub field: Option<String>,
    pub reason: String,
    /// Not an error: the event is not an alert of its format.
    pub skipped: bool,
}

pub fn reject(field: impl Into<String>, reason: impl Into<String>) -> Rejection {
    Rejection { field: Some(field.into()), reason: reason.into(), skipped: false }
}

/// Most bytes of a rule's name or id.
const MAX_RULE_BYTES: usize = 500;

/// One item to take in: a native alert's JSON text as it came (a line of
/// NDJSON, an element of a JSON array), or JSON already read (an adapter's
/// mapping, a detection's match).
pub enum Item<'a> {
    Text(&'a str),
    Json(serde_json::Value),
}

impl From<serde_json::Value> for Item<'_> {
    fn from(value: serde_json::Value) -> Self {
        Item::Json(value)
    }
}

/// Reads a native alert from its text straight into its fields, the raw
/// event kept as text: no JSON tree is built for the alert, nor for its raw
/// event, and none is written out again to store it.
fn read_new_alert(item: Item<'_>) -> Result<NewAlert, Rejection> {
    match item {
        Item::Text(text) => {
            // Read without tracking where the reader is, which costs at every
            // field; only an alert that cannot be read is read again with
            // it, to name the field at fault.
            let mut de = serde_json::Deserializer::from_str(text);
            if let Ok(new) = serde::Deserialize::deserialize(&mut de).and_then(|new: NewAlert| de.end().map(|()| new)) {
                return Ok(new);
            }
            let mut de = serde_json::Deserializer::from_str(text);
            let new = serde_path_to_error::deserialize(&mut de).map_err(unreadable)?;
            de.end().map_err(|e| not_json(&e))?;
            Ok(new)
        }
        Item::Json(value) => serde_path_to_error::deserialize(value).map_err(unreadable),
    }
}

pub fn not_json(e: &serde_json::Error) -> Rejection {
    Rejection { field: None, reason: format!("not JSON: {e}"), skipped: false }
}

/// The field at fault, or that the text is not JSON at all.
fn unreadable(e: serde_path_to_error::Error<serde_json::Error>) -> Rejection {
    let inner = e.inner();
    if matches!(inner.classify(), serde_json::error::Category::Syntax | serde_json::error::Category::Eof) {
        return not_json(inner);
    }
    let path = e.path().to_string();
    let msg = inner.to_string();
    let field = if path == "." { msg.split('`').nth(1).map(str::to_owned) } else { Some(path) };
    Rejection { field, reason: msg, skipped: false }
}

/// How deep a raw event may nest: as deep as a JSON tree is read.
pub const MAX_RAW_DEPTH: usize = 128;

/// Whether `json` (valid JSON text) nests arrays and objects deeper than
/// `limit`.
fn nests_deeper(json: &str, limit: usize) -> bool {
    // Most events open fewer arrays and objects than the limit in all: a
    // count (which the compiler vectorises) settles them without a walk.
    if json.bytes().filter(|&b| b == b'[' || b == b'{').count() <= limit {
        return false;
    }
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in json.as_bytes() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// Parses one item into an alert to store as `id`, or says why not.
pub fn prepare(item: Item<'_>, id: Uuid, org: Uuid, now: time::OffsetDateTime) -> Result<Alert, Rejection> {
    let new = read_new_alert(item)?;
    let text = |field: &str, v: &str, max: usize| -> Result<String, Rejection> {
        let v = v.trim();
        if v.is_empty() {
            return Err(reject(field, format!("{field} must not be empty")));
        }
        if v.chars().count() > max {
            return Err(reject(field, format!("{field} is at most {max} characters")));
        }
        Ok(v.to_owned())
    };
    let source = text("source", &new.source, firebreak_types::text::SOURCE.max)?;
    let source_ref = text("source_ref", &new.source_ref, firebreak_types::text::SOURCE_REF.max)?;
    let rule = match new.rule.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) if r.len() > MAX_RULE_BYTES => {
            return Err(reject("rule", format!("rule is at most {MAX_RULE_BYTES} bytes")));
        }
        r => r.map(str::to_owned),
    };
    let title = Title::parse("title", &new.title)
        .map_err(|e| reject(e.field, format!("title must be {}", e.expected)))?
        .into_inner();
    let description = markdown("description", &new.description)
        .map_err(|e| reject(e.field, format!("description must be {}", e.expected)))?;
    let tags = tags("tags", &new.tags).map_err(|e| reject(e.field, format!("tags must be {}", e.expected)))?;
    if !new.custom_fields.is_object() {
        return Err(reject("custom_fields", "custom_fields must be a JSON object"));
    }
    // The event as received is an object (or absent), as the document says.
    if !(new.raw.get().starts_with('{') || new.raw.get() == "null") {
        return Err(reject("raw", "raw must be a JSON object: the event as received"));
    }
    let raw_len = new.raw.get().len();
    if raw_len > MAX_RAW_BYTES {
        return Err(reject("raw", format!("raw is at most {MAX_RAW_BYTES} bytes of JSON (this has {raw_len})")));
    }
    if nests_deeper(new.raw.get(), MAX_RAW_DEPTH) {
        return Err(reject("raw", format!("raw nests at most {MAX_RAW_DEPTH} arrays or objects deep")));
    }
    let mut seen = BTreeSet::new();
    let mut observables = Vec::with_capacity(new.observables.len());
    for (i, o) in new.observables.iter().enumerate() {
        let kind: ObservableKind =
            o.kind.trim().to_lowercase().parse().map_err(|_| {
                reject(format!("observables[{i}].type"), format!("unknown observable type {:?}", o.kind))
            })?;
        let n = normalise(kind, &o.value).map_err(|e| reject(format!("observables[{i}].value"), e.expected))?;
        if seen.insert((kind.as_str(), n.value.clone())) {
            observables.push(AlertObservable { kind: kind.as_str().to_owned(), value: n.value });
        }
    }
    // What the title and description name, beside what the sender listed.
    for text in [title.as_str(), description.as_str()] {
        for f in crate::extract::extract(text) {
            if seen.insert((f.kind.as_str(), f.value.clone())) {
                observables.push(AlertObservable { kind: f.kind.as_str().to_owned(), value: f.value });
            }
        }
    }
    Ok(Alert {
        id,
        org_id: org,
        source,
        source_ref,
        kind: new.kind.trim().to_owned(),
        rule,
        title,
        description,
        severity: new.severity,
        event_time: new.event_time.unwrap_or(now),
        tags,
        tlp: new.tlp,
        pap: new.pap,
        observables,
        custom_fields: new.custom_fields,
        raw: new.raw,
        state: AlertState::New,
        occurrences: 1,
        first_seen: now,
        last_seen: now,
        assignee_id: None,
        acknowledged_at: None,
        disposition: None,
        disposition_reason: None,
        case_id: None,
        closed_at: None,
        assets: Vec::new(),
        triage_rank: new.severity as i64 + 1,
        group_id: None,
    })
}

/// Why a bulk body cannot be split into items.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BulkError {
    /// A request sent without its batch, not a batch of nothing.
    #[error("body is required: a JSON array, a JSON object, or NDJSON (one item a line)")]
    Empty,
    #[error("the body is not UTF-8 (at byte {0})")]
    NotUtf8(usize),
    #[error("the body is not a JSON array: {0}")]
    NotArray(String),
    /// A body that is neither NDJSON nor well-formed JSON documents.
    #[error("the body is not JSON: {0}")]
    NotJson(String),
    #[error("at most {MAX_BULK_ITEMS} alerts per request (this has {0})")]
    TooMany(usize),
}

/// The items of a bulk body as they were written, read by its first byte
/// rather than by line:
///
/// - `[`: the elements of a JSON array;
/// - `{` with a complete JSON value on the first line: NDJSON, one item a
///   line, blank lines left out, so that one bad line is one rejection and
///   the others go on;
/// - `{` otherwise: one JSON document or several in a row, as a pretty
///   printer writes them (each document an item);
/// - anything else: lines, each answered on its own (a line that is not
///   JSON is rejected by its index).
pub fn split_texts(body: &[u8]) -> Result<Vec<&str>, BulkError> {
    let text = std::str::from_utf8(body).map_err(|e| BulkError::NotUtf8(e.valid_up_to()))?;
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Err(BulkError::Empty);
    }
    let items: Vec<&str> = if trimmed.starts_with('[') {
        let values: Vec<&serde_json::value::RawValue> =
            serde_json::from_str(trimmed).map_err(|e| BulkError::NotArray(e.to_string()))?;
        values.into_iter().map(serde_json::value::RawValue::get).collect()
    } else if trimmed.starts_with('{') && !first_line_is_json(trimmed) {
        documents(trimmed)?
    } else {
        text.lines().filter(|l| !l.trim().is_empty()).collect()
    };
    if items.len() > MAX_BULK_ITEMS {
        return Err(BulkError::TooMany(items.len()));
    }
    Ok(items)
}

/// Whether the first line of `text` is a JSON value of its own, as NDJSON's
/// lines are (a pretty-printed object's first line is only `{`).
fn first_line_is_json(text: &str) -> bool {
    let line = text.lines().next().unwrap_or_default();
    serde_json::from_str::<serde::de::IgnoredAny>(line).is_ok()
}

/// The JSON documents of `text`, one after another with any white space
/// between them.
fn documents(text: &str) -> Result<Vec<&str>, BulkError> {
    let mut out = Vec::new();
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<&serde_json::value::RawValue>();
    for value in stream.by_ref() {
        let value = value.map_err(|e| BulkError::NotJson(e.to_string()))?;
        out.push(value.get());
        if out.len() > MAX_BULK_ITEMS {
            return Err(BulkError::TooMany(out.len()));
        }
    }
    Ok(out)
}

/// A bulk body's items read as JSON. An item that is not JSON is its own
/// rejection; the others go on.
pub fn split_bulk(body: &[u8]) -> Result<Vec<Result<serde_json::Value, Rejection>>, BulkError> {
    Ok(split_texts(body)?.into_iter().map(|t| serde_json::from_str(t).map_err(|e| not_json(&e))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_is_read_by_its_first_byte_not_by_line() {
        let pretty = "{\n  \"source\": \"r\",\n  \"title\": \"a\"\n}\n";
        assert_eq!(split_texts(pretty.as_bytes()), Ok(vec![pretty.trim_end()]));
        let two = format!("{pretty}\n{pretty}");
        assert_eq!(split_texts(two.as_bytes()).map(|v| v.len()), Ok(2));
        let ndjson = "{\"a\":1}\nnot json\n\n{\"b\":2}\n";
        assert_eq!(split_texts(ndjson.as_bytes()), Ok(vec!["{\"a\":1}", "not json", "{\"b\":2}"]));
        let array = "[\n {\"a\": 1},\n {\"b\": 2}\n]";
        assert_eq!(split_texts(array.as_bytes()), Ok(vec!["{\"a\": 1}", "{\"b\": 2}"]));
        let broken = "{\n  \"source\": \"r\",\n";
        assert!(matches!(split_texts(broken.as_bytes()), Err(BulkError::NotJson(_))));
    }

    #[test]
    fn nesting_is_counted_outside_strings() {
        assert!(!nests_deeper(r#"{"a":[1,{"b":2}]}"#, 3));
        assert!(nests_deeper(r#"{"a":[1,{"b":[2]}]}"#, 3));
        // Brackets inside strings, escaped quotes included, are not nesting.
        let quoted = format!(r#"{{"s":"\"{}"}}"#, "[".repeat(300));
        assert!(!nests_deeper(&quoted, 2));
        let deep = format!("{}{}", "[".repeat(129), "]".repeat(129));
        assert!(nests_deeper(&deep, MAX_RAW_DEPTH));
        assert!(!nests_deeper(&deep, 129));
    }
}
