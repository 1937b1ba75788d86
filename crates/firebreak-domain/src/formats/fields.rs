//! What the adapters share: dotted-path lookups, timestamps, severities,
//! ATT&CK tags, the observables list and the native alert they build.

use std::borrow::Cow;

use firebreak_types::Severity;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::MapError;
use crate::observable::{ObservableKind, comparison_key, normalise};

/// The longest title intake accepts, in characters.
const MAX_TITLE: usize = 200;
/// The most tags intake accepts, and the longest tag, in characters.
const MAX_TAGS: usize = 50;
const MAX_TAG: usize = 64;

/// The value at a dotted path, whether the document nests its objects
/// (`{"rule": {"name": …}}`), flattens their keys (`{"rule.name": …}`), or
/// mixes both, as Elastic's documents do.
pub fn get<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let obj = v.as_object()?;
    if let Some(x) = obj.get(path) {
        return Some(x);
    }
    // Try each split of the path into a key at this level and the rest below
    // it, the longest key first.
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

/// A scalar as text: a non-blank string, trimmed, or a number written out.
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The text at `path`. A one-element array counts as its element, since
/// Elasticsearch's `fields` option returns every value as an array.
pub fn text(v: &Value, path: &str) -> Option<String> {
    match get(v, path)? {
        Value::Array(a) if a.len() == 1 => scalar(&a[0]),
        x => scalar(x),
    }
}

/// The first of `paths` that has text.
pub fn first(v: &Value, paths: &[&str]) -> Option<String> {
    paths.iter().find_map(|p| text(v, p))
}

/// The first of `paths` that has text, with the path it was found at.
pub fn first_at<'p>(v: &Value, paths: &[&'p str]) -> Option<(&'p str, String)> {
    paths.iter().find_map(|p| text(v, p).map(|t| (*p, t)))
}

/// Every scalar at `path`, whether it holds one or an array of them.
pub fn texts(v: &Value, path: &str) -> Vec<String> {
    match get(v, path) {
        Some(Value::Array(a)) => a.iter().filter_map(scalar).collect(),
        Some(x) => scalar(x).into_iter().collect(),
        None => Vec::new(),
    }
}

/// The elements of the array at `path`; none when it holds anything else.
pub fn items<'a>(v: &'a Value, path: &str) -> &'a [Value] {
    match get(v, path) {
        Some(Value::Array(a)) => a,
        _ => &[],
    }
}

/// The text at `path`, or an error naming it; `why` finishes the sentence.
pub fn required(v: &Value, path: &str, why: &str) -> Result<String, MapError> {
    text(v, path).ok_or_else(|| MapError::new(path, format!("{path} is missing: {why}")))
}

/// A timestamp as RFC 3339: RFC 3339 itself, and the form Wazuh and Suricata
/// write beside it, with a `+0000` offset that has no colon. Fractions of a
/// second may have any number of digits (beyond nanoseconds they are cut).
pub fn timestamp(raw: &str, field: &str) -> Result<String, MapError> {
    let s = raw.trim();
    let b = s.as_bytes();
    let n = b.len();
    // `…51.553+0000` becomes `…51.553+00:00`. The last five bytes are ASCII
    // when they match, so the split falls between characters.
    let fixed: Cow<str> = if n > 5
        && matches!(b[n - 5], b'+' | b'-')
        && b[n - 6].is_ascii_digit()
        && b[n - 4..].iter().all(u8::is_ascii_digit)
    {
        Cow::Owned(format!("{}:{}", &s[..n - 2], &s[n - 2..]))
    } else {
        Cow::Borrowed(s)
    };
    OffsetDateTime::parse(&fixed, &Rfc3339)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .ok_or_else(|| MapError::new(field, format!("{field} is not an RFC 3339 timestamp (got {raw:?})")))
}

/// Milliseconds since the epoch, as RFC 3339.
pub fn epoch_millis(ms: i64, field: &str) -> Result<String, MapError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .ok_or_else(|| MapError::new(field, format!("{field} is out of range for a time in milliseconds (got {ms})")))
}

/// A severity word, as Elastic and OCSF spell them (`High`, `informational`).
pub fn severity_word(word: &str) -> Option<Severity> {
    match word.trim().to_ascii_lowercase().as_str() {
        "informational" | "info" | "low" => Some(Severity::Low),
        "medium" => Some(Severity::Medium),
        "high" => Some(Severity::High),
        "critical" | "fatal" => Some(Severity::Critical),
        _ => None,
    }
}

fn severity_str(s: Severity) -> &'static str {
    match s {
        Severity::Low => "low",
        Severity::Medium => "medium",
        Severity::High => "high",
        Severity::Critical => "critical",
    }
}

/// `attack.t1059.001` from an ATT&CK technique id (`T1059`, `t1059.001`), as
/// Sigma writes such tags; `None` for anything else.
pub fn attack_tag(id: &str) -> Option<String> {
    let id = id.trim();
    let b = id.as_bytes();
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    let technique = b.len() >= 5 && b[0].eq_ignore_ascii_case(&b't') && digits(&b[1..5]);
    let sub = match &b[b.len().min(5)..] {
        [] => true,
        [b'.', rest @ ..] => rest.len() == 3 && digits(rest),
        _ => false,
    };
    (technique && sub).then(|| format!("attack.{}", id.to_ascii_lowercase()))
}

/// The observables of an alert. Each value is normalised as intake will
/// normalise it; a value that would not pass is left out, so that one odd
/// field does not cost the whole alert. Duplicates collapse, spellings of
/// one path or account too ([`comparison_key`]: the first spelling stays),
/// and addresses that name no host (loopback, multicast, unspecified…: see
/// [`crate::observable::IpClass::is_indicator`]) are left out.
#[derive(Default)]
pub struct Observables(Vec<(ObservableKind, String)>);

impl Observables {
    pub fn add(&mut self, kind: ObservableKind, value: Option<String>) {
        let Some(v) = value else { return };
        let v = v.trim();
        // Windows and Wazuh write `-` for "none".
        if v.is_empty() || v == "-" {
            return;
        }
        let Ok(n) = normalise(kind, v) else { return };
        if n.ip_class.is_some_and(|c| !c.is_indicator()) {
            return;
        }
        self.push(kind, n.value);
    }

    /// Adds a value already in its normal form, unless the list has it.
    fn push(&mut self, kind: ObservableKind, value: String) {
        let key = comparison_key(kind, &value);
        if !self.0.iter().any(|(k, x)| *k == kind && comparison_key(kind, x) == key) {
            self.0.push((kind, value));
        }
    }

    /// What a free-text field (a log line, a message, a command line) names:
    /// [`crate::extract::extract`] over it. Only fields that are free text
    /// are read so; a field whose name says what it holds is added as that.
    pub fn add_text(&mut self, text: Option<String>) {
        let Some(t) = text else { return };
        for e in crate::extract::extract(&t) {
            self.push(e.kind, e.value);
        }
    }

    /// The kinds and values, in the order they were added.
    pub fn into_pairs(self) -> Vec<(ObservableKind, String)> {
        self.0
    }

    pub fn add_all(&mut self, kind: ObservableKind, values: Vec<String>) {
        for v in values {
            self.add(kind, Some(v));
        }
    }

    /// A host: an IP address when it is one, a host name otherwise.
    pub fn add_host(&mut self, value: Option<String>) {
        let Some(v) = value else { return };
        let kind =
            if v.trim().parse::<std::net::IpAddr>().is_ok() { ObservableKind::Ip } else { ObservableKind::Hostname };
        self.add(kind, Some(v));
    }

    /// A network name: an IP address when it is one, a domain when it is
    /// dotted, a host name when it is a single label.
    pub fn add_name(&mut self, value: Option<String>) {
        let Some(v) = value else { return };
        let t = v.trim().trim_end_matches('.');
        let kind = if t.parse::<std::net::IpAddr>().is_ok() {
            ObservableKind::Ip
        } else if t.contains('.') {
            ObservableKind::Domain
        } else {
            ObservableKind::Hostname
        };
        self.add(kind, Some(v));
    }

    /// A file: a path when it names folders, a bare name otherwise.
    pub fn add_file(&mut self, value: Option<String>) {
        let Some(v) = value else { return };
        let kind = if v.contains(['/', '\\']) { ObservableKind::FilePath } else { ObservableKind::Filename };
        self.add(kind, Some(v));
    }

    /// The last part of a path, as a file name.
    pub fn add_file_name(&mut self, value: Option<String>) {
        let name = value.and_then(|v| v.rsplit(['/', '\\']).next().map(str::to_owned));
        self.add(ObservableKind::Filename, name);
    }

    /// A hash by its length: MD5, SHA-1 or SHA-256. A leading `MD5:` or
    /// `SHA256=` label is dropped; other lengths (SHA-512, fuzzy hashes) are
    /// not observables here.
    pub fn add_hash(&mut self, value: Option<String>) {
        let Some(v) = value else { return };
        let v = v.rsplit([':', '=']).next().unwrap_or(&v).trim();
        let kind = match v.len() {
            32 => ObservableKind::Md5,
            40 => ObservableKind::Sha1,
            64 => ObservableKind::Sha256,
            _ => return,
        };
        self.add(kind, Some(v.to_owned()));
    }

    /// The kinds and values so far, for tests.
    #[cfg(test)]
    pub fn pairs(&self) -> Vec<(&'static str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
    }

    fn into_json(self) -> Value {
        Value::Array(self.0.into_iter().map(|(k, v)| json!({ "type": k.as_str(), "value": v })).collect())
    }
}

/// One line of text of at most `MAX_TITLE` characters: runs of blanks and
/// control characters become one space, and a longer text is cut with `…`.
fn title_line(s: &str) -> String {
    let line = s.split(|c: char| c.is_whitespace() || c.is_control()).filter(|w| !w.is_empty()).collect::<Vec<_>>();
    let line = line.join(" ");
    if line.chars().count() <= MAX_TITLE {
        return line;
    }
    let mut cut: String = line.chars().take(MAX_TITLE - 1).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

/// The native alert's fields; `raw` is the event, moved in unchanged.
pub struct Native {
    pub source: String,
    pub source_ref: String,
    pub kind: String,
    pub rule: Option<String>,
    pub title: String,
    pub description: String,
    pub severity: Severity,
    pub event_time: Option<String>,
    pub tags: Vec<String>,
    pub observables: Observables,
    pub custom_fields: Map<String, Value>,
}

impl Native {
    /// The alert as intake reads it. Titles are made one line that fits and
    /// tags that intake would refuse are left out, since a sender cannot
    /// shorten its rule names; the raw event still has them whole.
    pub fn into_json(self, raw: Value) -> Value {
        let mut tags: Vec<String> = Vec::new();
        for t in self.tags {
            let t = t.trim();
            let fits = !t.is_empty() && t.chars().count() <= MAX_TAG && !t.chars().any(char::is_control);
            if fits && tags.len() < MAX_TAGS && !tags.iter().any(|x| x.eq_ignore_ascii_case(t)) {
                tags.push(t.to_owned());
            }
        }
        let mut o = json!({
            "source": self.source,
            "source_ref": self.source_ref,
            "type": self.kind,
            "title": title_line(&self.title),
            "description": self.description,
            "severity": severity_str(self.severity),
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

/// Copies the fields at `paths` that are present into `custom`, under their
/// dotted paths.
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
        let v = json!({ "a": { "b.c": { "d": 1 } }, "x.y": "flat", "k": { "l": " nested " }, "f": ["one"] });
        assert_eq!(get(&v, "a.b.c.d"), Some(&json!(1)));
        assert_eq!(text(&v, "a.b.c.d").as_deref(), Some("1"));
        assert_eq!(text(&v, "x.y").as_deref(), Some("flat"));
        assert_eq!(text(&v, "k.l").as_deref(), Some("nested"));
        assert_eq!(text(&v, "f").as_deref(), Some("one"));
        assert_eq!(get(&v, "k.m"), None);
        assert_eq!(get(&json!("scalar"), "a"), None);
        assert_eq!(first_at(&v, &["nope", "x.y"]), Some(("x.y", "flat".to_owned())));
    }

    #[test]
    fn timestamps_in_the_forms_tools_write() {
        let t = |s| timestamp(s, "t");
        assert_eq!(t("2024-05-16T10:14:51.553+0000").unwrap(), "2024-05-16T10:14:51.553Z");
        assert_eq!(t("2024-01-15T10:00:00.123456+0100").unwrap(), "2024-01-15T10:00:00.123456+01:00");
        assert_eq!(t("2024-01-15T10:00:00.123456-0530").unwrap(), "2024-01-15T10:00:00.123456-05:30");
        assert_eq!(t("2024-01-15T10:00:00Z").unwrap(), "2024-01-15T10:00:00Z");
        assert_eq!(t(" 2024-01-15T10:00:00+02:00 ").unwrap(), "2024-01-15T10:00:00+02:00");
        assert_eq!(t("2024-01-15T10:00:00.123456789123Z").unwrap(), "2024-01-15T10:00:00.123456789Z");
        for bad in ["yesterday", "2024-01-15", "2024-13-15T10:00:00Z", "2024-01-15T10:00:00", "€€€€€€+0000", "ü+0000"]
        {
            let e = t(bad).unwrap_err();
            assert_eq!(e.field, "t");
            assert!(e.reason.starts_with("t is not"), "{}", e.reason);
        }
        assert_eq!(epoch_millis(1_700_000_000_123, "time").unwrap(), "2023-11-14T22:13:20.123Z");
        assert_eq!(epoch_millis(i64::MAX, "time").unwrap_err().field, "time");
    }

    #[test]
    fn attack_tags_only_from_technique_ids() {
        assert_eq!(attack_tag("T1059").as_deref(), Some("attack.t1059"));
        assert_eq!(attack_tag(" t1059.001 ").as_deref(), Some("attack.t1059.001"));
        for bad in ["TA0002", "T105", "T1059.1", "T1059x", "1059", "", "Té059", "T1059.0é"] {
            assert_eq!(attack_tag(bad), None, "{bad}");
        }
    }

    #[test]
    fn observables_are_normalised_and_collapse() {
        let mut o = Observables::default();
        o.add(ObservableKind::Hostname, Some("WS-01".into()));
        o.add(ObservableKind::Hostname, Some(" ws-01 ".into()));
        o.add(ObservableKind::Ip, Some("-".into()));
        o.add(ObservableKind::Ip, Some("not an address".into()));
        o.add(ObservableKind::Domain, None);
        o.add_host(Some("192.0.2.7".into()));
        o.add_file(Some("C:\\Temp\\a.exe".into()));
        o.add_file(Some("a.exe".into()));
        o.add_file_name(Some("/download/b.bin".into()));
        o.add_hash(Some("SHA256=9F2B5C1E0A7D4B3C8E6F1A2D5C7B9E0F3A4D6C8B1E2F5A7C9D0B3E6F8A1C4D7E".into()));
        o.add_hash(Some("MD5:3b5d1c4e8f9a0b7c6d5e4f3a2b1c0d9e".into()));
        o.add_hash(Some("abc".into()));
        assert_eq!(
            o.pairs(),
            [
                ("hostname", "ws-01"),
                ("ip", "192.0.2.7"),
                ("file_path", "C:\\Temp\\a.exe"),
                ("filename", "a.exe"),
                ("filename", "b.bin"),
                ("sha256", "9f2b5c1e0a7d4b3c8e6f1a2d5c7b9e0f3a4d6c8b1e2f5a7c9d0b3e6f8a1c4d7e"),
                ("md5", "3b5d1c4e8f9a0b7c6d5e4f3a2b1c0d9e"),
            ]
        );
    }

    #[test]
    fn titles_fit_and_tags_are_what_intake_takes() {
        let long = "x".repeat(300);
        let n = Native {
            source: "s".into(),
            source_ref: "r".into(),
            kind: String::new(),
            rule: None,
            title: format!("two\nlines  {long}"),
            description: String::new(),
            severity: Severity::High,
            event_time: None,
            tags: vec!["a".into(), "A".into(), " ".into(), "y".repeat(65), "b".into()],
            observables: Observables::default(),
            custom_fields: Map::new(),
        }
        .into_json(json!({}));
        let title = n["title"].as_str().unwrap();
        assert!(title.starts_with("two lines x") && title.ends_with('…'));
        assert_eq!(title.chars().count(), 200);
        assert_eq!(n["tags"], json!(["a", "b"]));
        assert_eq!(n["severity"], "high");
        assert!(n.get("rule").is_none() && n.get("event_time").is_none());
    }
}
