//! What the adapters share: dotted-path lookups, timestamps, severities and
//! the observables list.

use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::MapError;

/// The value at a dotted path, whether the document nests its objects
/// (`{"rule": {"name": …}}`) or flattens their keys (`{"rule.name": …}`), or
/// mixes both, as Elastic's documents do.
pub fn get<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let obj = v.as_object()?;
    if let Some(x) = obj.get(path) {
        return Some(x);
    }
    // Try every split of the path into a key here and the rest below.
    let mut cut = path.len();
    while let Some(i) = path[..cut].rfind('.') {
        if let Some(inner) = obj.get(&path[..i])
            && let Some(x) = get(inner, &path[i + 1..])
        {
            return Some(x);
        }
        cut = i;
    }
    None
}

/// A non-empty string (or a number, written out) at `path`.
pub fn text(v: &Value, path: &str) -> Option<String> {
    match get(v, path)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The first of `paths` that has text.
pub fn first(v: &Value, paths: &[&str]) -> Option<String> {
    paths.iter().find_map(|p| text(v, p))
}

/// Every string at `path`, whether it holds one or an array of them.
pub fn texts(v: &Value, path: &str) -> Vec<String> {
    match get(v, path) {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| match x {
                Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        Some(_) => text(v, path).into_iter().collect(),
        None => Vec::new(),
    }
}

/// The text at `path`, or an error naming it.
pub fn required(v: &Value, path: &str, why: &str) -> Result<String, MapError> {
    text(v, path).ok_or_else(|| MapError::new(path, format!("{path} is missing: {why}")))
}

/// RFC 3339, and the forms tools write beside it: `+0000` offsets without
/// a colon and fractions of any length.
pub fn timestamp(raw: &str, field: &str) -> Result<String, MapError> {
    let s = raw.trim();
    let fixed = match s.len().checked_sub(5).map(|i| s.split_at(i)) {
        Some((head, tail))
            if (tail.starts_with('+') || tail.starts_with('-')) && tail[1..].bytes().all(|b| b.is_ascii_digit()) =>
        {
            format!("{head}{}:{}", &tail[..3], &tail[3..])
        }
        _ => s.to_owned(),
    };
    OffsetDateTime::parse(&fixed, &Rfc3339)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .ok_or_else(|| MapError::new(field, format!("{field} is not a timestamp (got {raw:?})")))
}

/// Milliseconds since the epoch, as RFC 3339.
pub fn epoch_millis(ms: i64, field: &str) -> Result<String, MapError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .ok_or_else(|| MapError::new(field, format!("{field} is not a time in milliseconds (got {ms})")))
}

/// `attack.t1059.001` from a technique id, as Sigma tags them.
pub fn attack_tag(id: &str) -> Option<String> {
    let id = id.trim();
    let ok = id.len() >= 5 && id[..1].eq_ignore_ascii_case("t") && id[1..5].bytes().all(|b| b.is_ascii_digit());
    ok.then(|| format!("attack.{}", id.to_lowercase()))
}

/// The observables of an alert, without duplicates or empty values.
#[derive(Default)]
pub struct Observables(Vec<(String, String)>);

impl Observables {
    pub fn add(&mut self, kind: &str, value: Option<String>) {
        if let Some(v) = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty() && v != "-")
            && !self.0.iter().any(|(k, x)| k == kind && *x == v)
        {
            self.0.push((kind.to_owned(), v));
        }
    }

    pub fn add_all(&mut self, kind: &str, values: Vec<String>) {
        for v in values {
            self.add(kind, Some(v));
        }
    }

    /// A file: a path when it names folders, a bare name otherwise.
    pub fn add_file(&mut self, value: Option<String>) {
        if let Some(v) = value {
            let kind = if v.contains('/') || v.contains('\\') { "file_path" } else { "filename" };
            self.add(kind, Some(v));
        }
    }

    /// A hash by its length: MD5, SHA-1 or SHA-256.
    pub fn add_hash(&mut self, value: Option<String>) {
        if let Some(v) = value {
            let kind = match v.trim().len() {
                32 => "md5",
                40 => "sha1",
                64 => "sha256",
                _ => return,
            };
            self.add(kind, Some(v));
        }
    }

    pub fn into_json(self) -> Value {
        Value::Array(self.0.into_iter().map(|(k, v)| json!({ "type": k, "value": v })).collect())
    }
}

/// The native alert's fields; `raw` is the event, moved in unchanged.
pub struct Native {
    pub source: String,
    pub source_ref: String,
    pub kind: String,
    pub rule: Option<String>,
    pub title: String,
    pub description: String,
    pub severity: &'static str,
    pub event_time: Option<String>,
    pub tags: Vec<String>,
    pub observables: Observables,
    pub custom_fields: Map<String, Value>,
}

impl Native {
    pub fn into_json(self, raw: Value) -> Value {
        let mut tags = self.tags;
        tags.dedup();
        let mut seen = std::collections::HashSet::new();
        tags.retain(|t| seen.insert(t.clone()));
        let mut o = json!({
            "source": self.source,
            "source_ref": self.source_ref,
            "type": self.kind,
            "title": self.title,
            "description": self.description,
            "severity": self.severity,
            "tags": tags,
            "observables": self.observables.into_json(),
            "custom_fields": Value::Object(self.custom_fields),
            "raw": raw,
        });
        if let Some(r) = self.rule {
            o["rule"] = Value::String(r);
        }
        if let Some(t) = self.event_time {
            o["event_time"] = Value::String(t);
        }
        o
    }
}

/// Copies the fields at `paths` that exist into `custom`, under their paths.
pub fn keep(event: &Value, custom: &mut Map<String, Value>, paths: &[&str]) {
    for p in paths {
        if let Some(v) = get(event, p).filter(|v| !v.is_null()) {
            custom.insert((*p).to_owned(), v.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_found_nested_flat_or_mixed() {
        let v = json!({ "a": { "b.c": { "d": 1 } }, "x.y": "flat", "k": { "l": "nested" } });
        assert_eq!(get(&v, "a.b.c.d"), Some(&json!(1)));
        assert_eq!(text(&v, "x.y").as_deref(), Some("flat"));
        assert_eq!(text(&v, "k.l").as_deref(), Some("nested"));
        assert_eq!(get(&v, "k.m"), None);
    }

    #[test]
    fn timestamps_in_the_forms_tools_write() {
        assert_eq!(timestamp("2024-05-16T10:14:51.553+0000", "t").unwrap(), "2024-05-16T10:14:51.553Z");
        assert_eq!(timestamp("2024-01-15T10:00:00.123456+0100", "t").unwrap(), "2024-01-15T10:00:00.123456+01:00");
        assert_eq!(timestamp("2024-01-15T10:00:00Z", "t").unwrap(), "2024-01-15T10:00:00Z");
        assert_eq!(timestamp("yesterday", "t").unwrap_err().field, "t");
    }
}
