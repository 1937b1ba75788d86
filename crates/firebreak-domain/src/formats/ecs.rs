//! Elastic documents that are alerts, in the three shapes Elastic writes:
//!
//! - detection alerts of Elastic Security 8.x (`.alerts-security.alerts-*`):
//!   `kibana.alert.*` beside the source event's ECS fields;
//! - legacy signals of Elastic Security 7.x (`.siem-signals-*`): `signal.*`;
//! - alerts of the tools Elastic Agent or Filebeat read (Suricata, Snort,
//!   …): `event.kind: alert` with the tool's `rule.*`.
//!
//! Keys may be dotted or nested. A search hit (`_id` beside `_source`) is
//! read from its `_source`. Any other document is skipped (an `event.kind`
//! other than `alert`) or refused, with the reason.

use firebreak_types::Severity;
use serde_json::{Map, Value};

use super::fields::{
    Native, Observables, attack_tag, first, first_at, get, items, keep, severity_word, text, texts, timestamp,
};
use super::{MapError, Mapped};
use crate::observable::ObservableKind as K;

/// What an Elastic document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// A detection alert of Elastic Security 8.x.
    Kibana,
    /// A signal of Elastic Security 7.x.
    Signal,
    /// An alert of another tool, shipped by Elastic Agent or Filebeat.
    Source,
}

fn shape(doc: &Value) -> Result<Shape, Mapped> {
    let kibana = ["kibana.alert.uuid", "kibana.alert.rule.name", "kibana.alert.rule.uuid", "kibana.alert.rule.rule_id"];
    if first(doc, &kibana).is_some() {
        return Ok(Shape::Kibana);
    }
    if first(doc, &["signal.rule.id", "signal.rule.rule_id", "signal.rule.name"]).is_some() {
        return Ok(Shape::Signal);
    }
    match text(doc, "event.kind") {
        Some(kind) if kind.eq_ignore_ascii_case("alert") => Ok(Shape::Source),
        Some(kind) => Err(Mapped::Skip(format!(
            "event.kind {kind:?} is not an alert: an Elastic document is read when it is a detection alert \
             (kibana.alert.*), a legacy signal (signal.rule.*) or has event.kind alert"
        ))),
        None => Err(Mapped::Skip(
            "a document without event.kind, kibana.alert.* or signal.rule.* is not an alert".to_owned(),
        )),
    }
}

/// A number on Elastic's 0–100 risk scale: 0–21 low, 22–47 medium, 48–73
/// high, 74 and above critical.
fn risk(score: f64) -> Severity {
    match score {
        s if s < 22.0 => Severity::Low,
        s if s < 48.0 => Severity::Medium,
        s if s < 74.0 => Severity::High,
        _ => Severity::Critical,
    }
}

/// What `event.severity` counts in, by the source that wrote it. ECS leaves
/// the scale to the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scale {
    /// IDS priorities (Suricata, Snort: `observer.type: ids`, or the
    /// module): 1 high, 2 medium, 3 and above low.
    Priority,
    /// Syslog levels 0–7, when the document carries `log.syslog.severity`
    /// (Cisco ASA and FTD, and other syslog sources): 0–2 critical, 3
    /// high, 4 medium, 5–7 low.
    Syslog,
    /// Elastic's own 0–100 risk score.
    Risk,
}

fn scale(doc: &Value) -> Scale {
    let named = |field: &str, names: &[&str]| {
        text(doc, field).is_some_and(|v| {
            let v = v.to_ascii_lowercase();
            names.iter().any(|n| v == *n || v.starts_with(&format!("{n}.")))
        })
    };
    if named("event.module", &["suricata", "snort"])
        || named("event.dataset", &["suricata", "snort"])
        || named("observer.product", &["suricata", "snort"])
        || named("observer.type", &["ids"])
    {
        Scale::Priority
    } else if text(doc, "log.syslog.severity.code").is_some() {
        Scale::Syslog
    } else {
        Scale::Risk
    }
}

/// `event.severity` on the scale of its source.
fn event_severity(doc: &Value) -> Result<Option<Severity>, MapError> {
    let Some(raw) = text(doc, "event.severity") else { return Ok(None) };
    let n: f64 = raw
        .parse()
        .map_err(|_| MapError::new("event.severity", format!("event.severity must be a number (got {raw:?})")))?;
    Ok(Some(match scale(doc) {
        Scale::Priority => match n {
            n if n < 2.0 => Severity::High,
            n if n < 3.0 => Severity::Medium,
            _ => Severity::Low,
        },
        Scale::Syslog => match n {
            n if n < 3.0 => Severity::Critical,
            n if n < 4.0 => Severity::High,
            n if n < 5.0 => Severity::Medium,
            _ => Severity::Low,
        },
        Scale::Risk => risk(n),
    }))
}

/// The severity word at the first of `words`, else the 0–100 score at the
/// first of `scores`, else `event.severity` on its source's scale, else
/// medium.
fn severity(doc: &Value, words: &[&str], scores: &[&str]) -> Result<Severity, MapError> {
    if let Some((field, word)) = first_at(doc, words) {
        return severity_word(&word).ok_or_else(|| {
            MapError::new(field, format!("{field} must be low, medium, high or critical (got {word:?})"))
        });
    }
    if let Some((field, score)) = first_at(doc, scores) {
        let score: f64 =
            score.parse().map_err(|_| MapError::new(field, format!("{field} must be a number (got {score:?})")))?;
        return Ok(risk(score));
    }
    Ok(event_severity(doc)?.unwrap_or(Severity::Medium))
}

/// `attack.tXXXX` tags from the rule's ATT&CK mapping, techniques and
/// sub-techniques both.
fn threat_tags(doc: &Value) -> Vec<String> {
    let mut tags = Vec::new();
    let threats = items(doc, "kibana.alert.rule.threat").iter().chain(items(doc, "signal.rule.threat"));
    for threat in threats {
        for technique in items(threat, "technique") {
            tags.extend(text(technique, "id").and_then(|id| attack_tag(&id)));
            for sub in items(technique, "subtechnique") {
                tags.extend(text(sub, "id").and_then(|id| attack_tag(&id)));
            }
        }
    }
    tags
}

/// `http://domain[:port]/path` from `url.domain` and a path, the port being
/// `url.port`, else that of the end of the connection whose address is the
/// domain.
fn url_of_parts(doc: &Value, path: Option<String>) -> Option<String> {
    let domain = text(doc, "url.domain")?;
    let path = path.or_else(|| text(doc, "url.path"))?;
    if !path.starts_with('/') {
        return None;
    }
    let port = text(doc, "url.port").or_else(|| {
        ["destination", "source"]
            .into_iter()
            .find(|end| text(doc, &format!("{end}.ip")).as_deref() == Some(domain.as_str()))
            .and_then(|end| text(doc, &format!("{end}.port")))
    });
    let scheme = text(doc, "url.scheme").unwrap_or_else(|| "http".to_owned());
    let port = port.filter(|p| !matches!((scheme.as_str(), p.as_str()), ("http", "80") | ("https", "443")));
    let host = if domain.contains(':') { format!("[{domain}]") } else { domain };
    Some(match port {
        Some(p) => format!("{scheme}://{host}:{p}{path}"),
        None => format!("{scheme}://{host}{path}"),
    })
}

pub(super) fn observables(doc: &Value) -> Observables {
    let mut obs = Observables::default();
    for path in ["source.ip", "destination.ip", "host.ip"] {
        obs.add_all(K::Ip, texts(doc, path));
    }
    obs.add(K::Hostname, text(doc, "host.name"));
    obs.add(K::Hostname, text(doc, "host.hostname"));
    // ECS keeps the Windows domain apart from the name; analysts search for
    // `DOMAIN\user`.
    let user = text(doc, "user.name").map(|u| match text(doc, "user.domain") {
        Some(d) => format!("{d}\\{u}"),
        None => u,
    });
    obs.add(K::UserAccount, user);
    obs.add(K::Process, text(doc, "process.name"));
    obs.add(K::FilePath, text(doc, "process.executable"));
    // A file a network sensor saw cross the wire has the URL's path as its
    // path: only its name is the file's.
    match text(doc, "file.path") {
        Some(p) if text(doc, "url.path").as_deref() == Some(p.as_str()) => obs.add_file_name(Some(p)),
        p => obs.add(K::FilePath, p),
    }
    obs.add_file(text(doc, "file.name"));
    for h in ["md5", "sha1", "sha256"] {
        obs.add_hash(text(doc, &format!("file.hash.{h}")));
        obs.add_hash(text(doc, &format!("process.hash.{h}")));
    }
    match first(doc, &["url.full", "url.original"]) {
        Some(u) if u.contains("://") => obs.add(K::Url, Some(u)),
        // A path alone: the URL is the domain's, on the port of the end of
        // the connection that has the domain's address.
        path => obs.add(K::Url, url_of_parts(doc, path)),
    }
    obs.add(K::Domain, text(doc, "dns.question.name"));
    for answer in items(doc, "dns.answers") {
        obs.add_name(text(answer, "name"));
    }
    obs.add_all(K::Ip, texts(doc, "dns.resolved_ip"));
    obs.add_name(text(doc, "destination.domain"));
    // ECS's `related` fields are there for pivoting: every address, host
    // and user the event names. (`related.hash` mixes file hashes with
    // certificate fingerprints, so hashes are read where they are typed.)
    obs.add_all(K::Ip, texts(doc, "related.ip"));
    for host in texts(doc, "related.hosts") {
        obs.add_name(Some(host));
    }
    obs.add_all(K::UserAccount, texts(doc, "related.user"));
    // Elastic's Suricata integration keeps a transferred file's hashes
    // under the EVE record.
    for h in ["md5", "sha1", "sha256"] {
        obs.add_hash(text(doc, &format!("suricata.eve.fileinfo.{h}")));
    }
    obs.add(K::Ja3, text(doc, "suricata.eve.tls.ja3.hash"));
    obs.add(K::Ja3s, text(doc, "suricata.eve.tls.ja3s.hash"));
    obs.add(K::RegistryKey, text(doc, "registry.path"));
    obs.add(K::Ja3, text(doc, "tls.client.ja3"));
    obs.add(K::Ja3s, text(doc, "tls.server.ja3s"));
    obs.add(K::CertificateFingerprint, text(doc, "tls.server.hash.sha1"));
    // The command line is free text: what it names (URLs, addresses,
    // paths) is read out of it.
    obs.add_text(text(doc, "process.command_line"));
    for who in ["from", "to", "cc", "bcc", "reply_to", "sender"] {
        obs.add_all(K::Email, texts(doc, &format!("email.{who}.address")));
    }
    obs
}

/// The alert's reference, title, rule, kind, description and severity, by
/// its shape.
struct Head {
    source_ref: String,
    title: String,
    rule: Option<String>,
    kind: String,
    description: String,
    severity: Severity,
    time_fields: &'static [&'static str],
}

/// A detection alert: its `kibana.alert.uuid`, else the hit's `_id`.
fn kibana(doc: &Value, hit_id: Option<String>) -> Result<Head, MapError> {
    let source_ref = text(doc, "kibana.alert.uuid").or(hit_id).or_else(|| text(doc, "event.id")).ok_or_else(|| {
        MapError::new(
            "kibana.alert.uuid",
            "kibana.alert.uuid is missing: an Elastic alert needs it (or _id, or event.id) as its reference",
        )
    })?;
    let title = first(doc, &["kibana.alert.rule.name", "message"]).ok_or_else(|| {
        MapError::new(
            "kibana.alert.rule.name",
            "kibana.alert.rule.name is missing: an Elastic alert needs it (or message) as its title",
        )
    })?;
    Ok(Head {
        source_ref,
        title,
        rule: first(doc, &["kibana.alert.rule.rule_id", "kibana.alert.rule.uuid", "kibana.alert.rule.name"]),
        kind: first(doc, &["kibana.alert.rule.type", "event.kind"]).unwrap_or_else(|| "signal".into()),
        description: first(doc, &["kibana.alert.reason", "kibana.alert.rule.description"]).unwrap_or_default(),
        severity: severity(
            doc,
            &["kibana.alert.severity", "kibana.alert.rule.severity"],
            &["kibana.alert.risk_score", "kibana.alert.rule.risk_score"],
        )?,
        time_fields: &["kibana.alert.original_time", "@timestamp"],
    })
}

/// A legacy signal. Its reference is the hit's `_id`, which Kibana derives
/// from the source event and the rule, so one event and one rule are one
/// signal; a signal without it (exported from `_source` alone) is
/// `signal:RULE:INDEX:ID`, the rule's `signal.rule.id` and the index and id
/// of the event it was raised on (`signal.parent`, else the last of
/// `signal.ancestors`), which names the same pair.
fn signal(doc: &Value, hit_id: Option<String>) -> Result<Head, MapError> {
    let parent = || {
        get(doc, "signal.parent")
            .filter(|p| p.is_object())
            .or_else(|| items(doc, "signal.ancestors").last())
            .and_then(|p| Some(format!("{}:{}", text(p, "index").unwrap_or_default(), text(p, "id")?)))
    };
    let source_ref = match hit_id {
        Some(id) => id,
        None => {
            let rule = first(doc, &["signal.rule.id", "signal.rule.rule_id"]);
            match (rule, parent()) {
                (Some(rule), Some(parent)) => format!("signal:{rule}:{parent}"),
                _ => {
                    return Err(MapError::new(
                        "_id",
                        "_id is missing: a legacy Elastic signal needs it, or signal.rule.id and the event it was \
                         raised on (signal.parent or signal.ancestors), as its reference",
                    ));
                }
            }
        }
    };
    let title = first(doc, &["signal.rule.name", "message"]).ok_or_else(|| {
        MapError::new("signal.rule.name", "signal.rule.name is missing: a legacy Elastic signal needs it as its title")
    })?;
    Ok(Head {
        source_ref,
        title,
        rule: first(doc, &["signal.rule.rule_id", "signal.rule.id", "signal.rule.name"]),
        kind: first(doc, &["signal.rule.type"]).unwrap_or_else(|| "signal".into()),
        description: first(doc, &["signal.reason", "signal.rule.description"]).unwrap_or_default(),
        severity: severity(doc, &["signal.rule.severity"], &["signal.rule.risk_score"])?,
        time_fields: &["signal.original_time", "@timestamp"],
    })
}

/// An alert of another tool: the tool's rule name is the title (`message`
/// is Filebeat's category line), its rule id the rule. Its reference is the
/// hit's `_id`, else `event.id`, else, since a shipped Suricata alert has
/// neither, `DATASET:RULE:FLOW:TIME:TX` from the flow, the signature, the
/// time and the transaction, as for Suricata's own EVE lines.
fn source_alert(doc: &Value, hit_id: Option<String>) -> Result<Head, MapError> {
    let rule = first(doc, &["rule.id", "rule.uuid", "suricata.eve.alert.signature_id"]);
    let source_ref = match hit_id.or_else(|| text(doc, "event.id")) {
        Some(id) => id,
        None => {
            let when = first(doc, &["@timestamp", "event.created"]);
            let (Some(rule), Some(when)) = (rule.clone(), when) else {
                return Err(MapError::new(
                    "event.id",
                    "event.id is missing: an alert with event.kind alert needs it (or _id, or rule.id and @timestamp) \
                     as its reference",
                ));
            };
            let dataset = tool(doc);
            let flow = first(doc, &["suricata.eve.flow_id", "network.community_id"]).unwrap_or_default();
            let mut r = format!("{dataset}:{rule}:{flow}:{when}");
            if let Some(tx) = text(doc, "suricata.eve.tx_id") {
                r.push(':');
                r.push_str(&tx);
            }
            r
        }
    };
    let title = first(doc, &["rule.name", "suricata.eve.alert.signature", "message"]).ok_or_else(|| {
        MapError::new(
            "rule.name",
            "rule.name is missing: an alert with event.kind alert needs it (or message) as its title",
        )
    })?;
    let description = match (text(doc, "rule.name"), text(doc, "message")) {
        (Some(name), Some(message)) if name != message => message,
        _ => first(doc, &["rule.description", "rule.category"]).unwrap_or_default(),
    };
    Ok(Head {
        source_ref,
        title,
        rule,
        kind: tool(doc),
        description,
        severity: severity(doc, &[], &[])?,
        time_fields: &["@timestamp"],
    })
}

/// The tool behind an alert: its dataset, its module, else the observer's
/// product (the integrations' own test documents have only that).
fn tool(doc: &Value) -> String {
    first(doc, &["event.dataset", "event.module"])
        .or_else(|| text(doc, "observer.product").map(|p| p.to_lowercase()))
        .unwrap_or_else(|| "alert".into())
}

pub fn map(event: Value) -> Result<Mapped, MapError> {
    let doc = match event.get("_source") {
        Some(source) if source.is_object() => source,
        _ => &event,
    };
    let hit_id = text(&event, "_id");
    let head = match shape(doc) {
        Ok(Shape::Kibana) => kibana(doc, hit_id)?,
        Ok(Shape::Signal) => signal(doc, hit_id)?,
        Ok(Shape::Source) => source_alert(doc, hit_id)?,
        Err(skip) => return Ok(skip),
    };
    let event_time = match first_at(doc, head.time_fields) {
        Some((field, t)) => Some(timestamp(&t, field)?),
        None => None,
    };
    let mut tags = texts(doc, "kibana.alert.rule.tags");
    tags.extend(texts(doc, "signal.rule.tags"));
    tags.extend(threat_tags(doc));
    let mut custom = Map::new();
    keep(
        doc,
        &mut custom,
        &[
            "kibana.alert.risk_score",
            "kibana.alert.workflow_status",
            "signal.rule.risk_score",
            "signal.status",
            "rule.category",
            "event.dataset",
            "event.action",
            "source.port",
            "destination.port",
            "process.command_line",
        ],
    );
    let native = Native {
        source: "elastic".into(),
        source_ref: head.source_ref,
        kind: head.kind,
        rule: head.rule,
        title: head.title,
        description: head.description,
        severity: head.severity,
        event_time,
        tags,
        observables: observables(doc),
        custom_fields: custom,
    };
    Ok(Mapped::Alert(native.into_json(event)))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn alert(event: Value) -> Value {
        match map(event) {
            Ok(Mapped::Alert(a)) => a,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_search_hit_is_read_from_its_source() {
        let a = alert(json!({
            "_id": "hit-1",
            "_source": { "kibana": { "alert": { "rule": { "name": "R" } } }, "event": { "severity": 80 } }
        }));
        assert_eq!((a["source_ref"].as_str(), a["title"].as_str()), (Some("hit-1"), Some("R")));
        assert_eq!(a["severity"], "critical");
        assert_eq!(a["rule"], "R");
    }

    #[test]
    fn severity_from_the_word_or_the_score() {
        let sev = |v: Value| {
            severity(&v, &["kibana.alert.severity", "kibana.alert.rule.severity"], &["kibana.alert.risk_score"])
                .map(|s| format!("{s:?}"))
        };
        assert_eq!(sev(json!({ "kibana.alert.severity": "High" })).unwrap(), "High");
        assert_eq!(sev(json!({ "kibana.alert.rule.severity": "low" })).unwrap(), "Low");
        assert_eq!(sev(json!({ "event": { "severity": 21 } })).unwrap(), "Low");
        assert_eq!(sev(json!({ "event": { "severity": 22 } })).unwrap(), "Medium");
        assert_eq!(sev(json!({ "event": { "severity": 73 } })).unwrap(), "High");
        assert_eq!(sev(json!({ "kibana.alert.risk_score": 74 })).unwrap(), "Critical");
        assert_eq!(sev(json!({})).unwrap(), "Medium");
        assert_eq!(sev(json!({ "kibana.alert.severity": "severe" })).unwrap_err().field, "kibana.alert.severity");
        assert_eq!(sev(json!({ "event.severity": "bad" })).unwrap_err().field, "event.severity");
    }

    #[test]
    fn event_severity_on_the_scale_of_its_source() {
        let sev = |v: Value| severity(&v, &[], &[]).map(|s| format!("{s:?}")).unwrap();
        // IDS priorities: by module, dataset, product or observer type.
        assert_eq!(sev(json!({ "event": { "module": "snort", "severity": 1 } })), "High");
        assert_eq!(sev(json!({ "event.dataset": "suricata.eve", "event.severity": 2 })), "Medium");
        assert_eq!(sev(json!({ "observer": { "type": "ids" }, "event": { "severity": 4 } })), "Low");
        // Syslog levels, when the document carries the syslog severity.
        let syslog = |n: i64| sev(json!({ "event.severity": n, "log.syslog.severity.code": n }));
        assert_eq!(
            [syslog(0), syslog(2), syslog(3), syslog(4), syslog(5), syslog(7)],
            ["Critical", "Critical", "High", "Medium", "Low", "Low"]
        );
        // Otherwise Elastic's 0–100 risk score.
        assert_eq!(sev(json!({ "event.severity": 2 })), "Low");
        assert_eq!(sev(json!({ "event.severity": 80 })), "Critical");
    }

    #[test]
    fn documents_that_are_not_alerts_are_skipped_with_the_reason() {
        let skip = |v: Value| match map(v) {
            Ok(Mapped::Skip(reason)) => reason,
            other => panic!("{other:?}"),
        };
        assert!(skip(json!({ "event": { "kind": "metric" }, "message": "m" })).contains("\"metric\" is not an alert"));
        assert!(skip(json!({ "message": "m" })).contains("without event.kind"));
        let e = map(json!({ "event.kind": "alert", "message": "m" })).unwrap_err();
        assert_eq!(e.field, "event.id");
    }

    #[test]
    fn what_is_missing_is_named() {
        let e = map(json!({ "kibana.alert.rule.name": "R" })).unwrap_err();
        assert_eq!(e.field, "kibana.alert.uuid");
        let e = map(json!({ "kibana.alert.uuid": "u" })).unwrap_err();
        assert_eq!(e.field, "kibana.alert.rule.name");
        let e = map(json!({ "kibana.alert.uuid": "u", "message": "m", "@timestamp": "noon" })).unwrap_err();
        assert_eq!(e.field, "@timestamp");
    }
}
