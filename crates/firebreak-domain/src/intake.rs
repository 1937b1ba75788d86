//! The native alert as intake reads it: a bulk body split into its items,
//! each item read into a [`NewAlert`] and checked into an [`Alert`], or
//! rejected with the field at fault. Every format (see [`crate::formats`])
//! ends here, so that one set of checks serves them all. The server stores
//! what this accepts; the parsing has no I/O so that it can be tested and
//! fuzzed on its own.

use std::collections::BTreeSet;

use firebreak_types::{Alert, AlertObservable, AlertState, NewAlert};
use uuid::Uuid;

use crate::observable::{ObservableKind, account_user, comparison_key, normalise, thehive_kind};
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

/// The most observables one request adds to an alert.
pub const MAX_ADDED_OBSERVABLES: usize = 1_000;

/// One item to take in: a native alert's JSON text as it came (a line of
/// NDJSON, an element of a JSON array), JSON already read, or the native
/// alert an adapter or a detection made of an event.
pub enum Item<'a> {
    Text(&'a str),
    Json(serde_json::Value),
    /// Made from an event (an alert format's adapter, a Sigma match), whose
    /// observables were read out of the event's fields by what each field
    /// holds: the title and description it was given are not read again as
    /// free text, since they repeat those fields (a rule's name, the JSON
    /// of the event) and would yield what the fields do not mean.
    Mapped(serde_json::Value),
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
        Item::Json(value) | Item::Mapped(value) => serde_path_to_error::deserialize(value).map_err(unreadable),
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
    let free_text = !matches!(item, Item::Mapped(_));
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
    let mut found = Found::default();
    for (i, o) in new.observables.iter().enumerate() {
        let (kind, value, original) = read_observable(i, o)?;
        found.add(kind, value, original);
    }
    // What the title and description name, beside what the sender listed.
    if free_text {
        for text in [title.as_str(), description.as_str()] {
            for f in crate::extract::extract(text) {
                found.add(f.kind, f.value, None);
            }
        }
    }
    let observables = found.finish();
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

/// One observable as a sender listed it: its kind (one of Firebreak's, or a
/// TheHive data type it stands for), its normalised value and the type as
/// named when it was not Firebreak's.
fn read_observable(i: usize, o: &AlertObservable) -> Result<(ObservableKind, String, Option<String>), Rejection> {
    let named = o.kind.trim().to_lowercase();
    let (kind, original) = match named.parse::<ObservableKind>() {
        Ok(kind) => (kind, o.original_type.clone()),
        Err(_) => match thehive_kind(&named, &o.value) {
            Some(kind) => (kind, (kind.as_str() != named).then(|| o.kind.trim().to_owned())),
            None => {
                return Err(reject(format!("observables[{i}].type"), format!("unknown observable type {:?}", o.kind)));
            }
        },
    };
    let n = normalise(kind, &o.value).map_err(|e| reject(format!("observables[{i}].value"), e.expected))?;
    Ok((kind, n.value, original))
}

/// Observables added to an alert after intake, read and normalised as
/// intake reads them: those of `new` that the alert does not have yet (one
/// of each, by kind and comparison key, as intake keeps them), in the order
/// sent. None at all is refused naming `observables`.
pub fn more_observables(
    existing: &[AlertObservable],
    new: &[AlertObservable],
) -> Result<Vec<AlertObservable>, Rejection> {
    if new.is_empty() {
        return Err(reject("observables", "observables must list at least one observable"));
    }
    if new.len() > MAX_ADDED_OBSERVABLES {
        return Err(reject("observables", format!("at most {MAX_ADDED_OBSERVABLES} observables per request")));
    }
    let mut found = Found::default();
    for o in existing {
        if let Ok(kind) = o.kind.parse::<ObservableKind>() {
            found.add(kind, o.value.clone(), o.original_type.clone());
        }
    }
    let before = found.list.len();
    for (i, o) in new.iter().enumerate() {
        let (kind, value, original) = read_observable(i, o)?;
        found.add(kind, value, original);
    }
    Ok(found.list.split_off(before).into_iter().map(|(_, o)| o).collect())
}

/// An alert's observables as they are gathered: one of each, where one is
/// its kind and [`comparison_key`] (so `C:\\Windows\\x.exe` and
/// `C:\\WINDOWS\\x.exe` are one, spelled as first seen).
#[derive(Default)]
struct Found {
    seen: BTreeSet<(ObservableKind, String)>,
    list: Vec<(ObservableKind, AlertObservable)>,
}

impl Found {
    fn add(&mut self, kind: ObservableKind, value: String, original_type: Option<String>) {
        if self.seen.insert((kind, comparison_key(kind, &value).into_owned())) {
            self.list.push((kind, AlertObservable { kind: kind.as_str().to_owned(), value, original_type }));
        }
    }

    /// The list, without a bare account (`alice`) where the same user is
    /// named with its domain too (`CORP\\alice`): the domain says which one.
    fn finish(self) -> Vec<AlertObservable> {
        let Found { seen, list } = self;
        let qualified: BTreeSet<&str> = seen
            .iter()
            .filter(|(k, _)| *k == ObservableKind::UserAccount)
            .filter_map(|(_, key)| match account_user(key) {
                (user, true) => Some(user),
                _ => None,
            })
            .collect();
        let mut out = Vec::with_capacity(list.len());
        for (kind, o) in list {
            if kind == ObservableKind::UserAccount {
                let key = comparison_key(kind, &o.value);
                if let (user, false) = account_user(&key)
                    && qualified.contains(user)
                {
                    continue;
                }
            }
            out.push(o);
        }
        out
    }
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

    #[test]
    fn observables_added_later_are_read_as_intake_reads_them_one_of_each() {
        let o = |k: &str, v: &str| AlertObservable { kind: k.into(), value: v.into(), original_type: None };
        let existing = [o("ip", "203.0.113.9"), o("domain", "evil.example")];
        let added = more_observables(
            &existing,
            &[
                o("ip", "203.0.113[.]9"),
                o("domain", "EVIL.example"),
                o("fqdn", "c2.evil.example"),
                o("ip", "192.0.2.1"),
            ],
        )
        .unwrap();
        let seen: Vec<(&str, &str)> = added.iter().map(|a| (a.kind.as_str(), a.value.as_str())).collect();
        assert_eq!(seen, [("domain", "c2.evil.example"), ("ip", "192.0.2.1")]);
        assert_eq!(added[0].original_type.as_deref(), Some("fqdn"));
        let e = more_observables(&existing, &[o("ip", "nope")]).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("observables[0].value"));
        assert_eq!(more_observables(&existing, &[]).unwrap_err().field.as_deref(), Some("observables"));
    }

    use super::*;

    fn alert(v: serde_json::Value) -> Result<Alert, Rejection> {
        prepare(Item::Json(v), Uuid::from_u128(1), Uuid::from_u128(2), time::OffsetDateTime::UNIX_EPOCH)
    }

    fn pairs(a: &Alert) -> Vec<(&str, &str, Option<&str>)> {
        a.observables.iter().map(|o| (o.kind.as_str(), o.value.as_str(), o.original_type.as_deref())).collect()
    }

    #[test]
    fn thehive_data_types_are_read() {
        let a = alert(serde_json::json!({ "source": "thehive", "source_ref": "1", "title": "t", "severity": "low", "observables": [
            { "type": "mail", "value": "Bob@Example.COM" },
            { "type": "fqdn", "value": "WWW.Evil.example" },
            { "type": "fqdn", "value": "WS-042" },
            { "type": "hash", "value": "D41D8CD98F00B204E9800998ECF8427E" },
            { "type": "hash", "value": "da39a3ee5e6b4b0d3255bfef95601890afd80709" },
            { "type": "registry", "value": "HKLM\\Software\\Run" },
            { "type": "filename", "value": "invoice.pdf.exe" },
            { "type": "user-agent", "value": "curl/7.58.0" },
            { "type": "autonomous-system", "value": "AS13335" },
            { "type": "uri_path", "value": "/wp-login.php" },
            { "type": "mail_subject", "value": "Invoice overdue" },
            { "type": "other", "value": "x" },
            { "type": "hostname", "value": "web-01" },
        ] }))
        .unwrap();
        assert_eq!(
            pairs(&a),
            [
                ("email", "Bob@example.com", Some("mail")),
                ("domain", "www.evil.example", Some("fqdn")),
                ("hostname", "ws-042", Some("fqdn")),
                ("md5", "d41d8cd98f00b204e9800998ecf8427e", Some("hash")),
                ("sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709", Some("hash")),
                ("registry_key", "HKEY_LOCAL_MACHINE\\Software\\Run", Some("registry")),
                ("filename", "invoice.pdf.exe", None),
                ("other", "curl/7.58.0", Some("user-agent")),
                ("other", "AS13335", Some("autonomous-system")),
                ("other", "/wp-login.php", Some("uri_path")),
                ("other", "Invoice overdue", Some("mail_subject")),
                ("other", "x", None),
                ("hostname", "web-01", None),
            ]
        );
        let e = alert(serde_json::json!({ "source": "s", "source_ref": "1", "title": "t", "severity": "low",
            "observables": [{ "type": "colour", "value": "red" }] }))
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("observables[0].type"));
    }

    #[test]
    fn one_path_or_account_in_several_spellings_is_one_observable() {
        let a = alert(
            serde_json::json!({ "source": "s", "source_ref": "1", "title": "t", "severity": "low", "observables": [
            { "type": "file_path", "value": "C:\\Windows\\System32\\cmd.exe" },
            { "type": "file_path", "value": "C:\\WINDOWS\\system32\\CMD.EXE" },
            { "type": "file_path", "value": "/tmp/A" },
            { "type": "file_path", "value": "/tmp/a" },
            { "type": "user_account", "value": "alice" },
            { "type": "user_account", "value": "CORP\\Alice" },
            { "type": "user_account", "value": "alice@corp.example" },
            { "type": "user_account", "value": "bob" },
        ] }),
        )
        .unwrap();
        assert_eq!(
            pairs(&a),
            [
                ("file_path", "C:\\Windows\\System32\\cmd.exe", None),
                ("file_path", "/tmp/A", None),
                ("file_path", "/tmp/a", None),
                ("user_account", "CORP\\Alice", None),
                ("user_account", "bob", None),
            ]
        );
    }

    #[test]
    fn a_mapped_alert_is_not_read_again_as_free_text() {
        let v = serde_json::json!({ "source": "wazuh", "source_ref": "1", "title": "Host 10.1.2.3", "severity": "low",
            "description": "{\"version\":\"7.5.4.0\",\"ip\":\"10.9.9.9\"}", "observables": [] });
        let native = alert(v.clone()).unwrap();
        assert_eq!(pairs(&native), [("ip", "10.1.2.3", None), ("ip", "10.9.9.9", None)]);
        let mapped =
            prepare(Item::Mapped(v), Uuid::from_u128(1), Uuid::from_u128(2), time::OffsetDateTime::UNIX_EPOCH).unwrap();
        assert!(mapped.observables.is_empty());
    }

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
