//! Elastic Security alerts: the documents of the `.alerts-security.alerts-*`
//! indices, `kibana.alert.*` fields beside the source event's ECS fields,
//! keys dotted or nested. A search hit (`_id` beside `_source`) is read
//! from its `_source`.

use firebreak_types::Severity;
use serde_json::{Map, Value};

use super::fields::{
    Native, Observables, attack_tag, first, first_at, items, keep, severity_word, text, texts, timestamp,
};
use super::{MapError, Mapped};
use crate::observable::ObservableKind as K;

/// The alert's severity word, else its rule's; without either, a number on
/// Elastic's 0–100 risk scale (`event.severity`, then
/// `kibana.alert.risk_score`): 0–21 low, 22–47 medium, 48–73 high, 74 and
/// above critical. An alert with none of them is medium.
fn severity(doc: &Value) -> Result<Severity, MapError> {
    if let Some((field, word)) = first_at(doc, &["kibana.alert.severity", "kibana.alert.rule.severity"]) {
        return severity_word(&word).ok_or_else(|| {
            MapError::new(field, format!("{field} must be low, medium, high or critical (got {word:?})"))
        });
    }
    let Some((field, score)) = first_at(doc, &["event.severity", "kibana.alert.risk_score"]) else {
        return Ok(Severity::Medium);
    };
    let score: f64 =
        score.parse().map_err(|_| MapError::new(field, format!("{field} must be a number (got {score:?})")))?;
    Ok(match score {
        s if s < 22.0 => Severity::Low,
        s if s < 48.0 => Severity::Medium,
        s if s < 74.0 => Severity::High,
        _ => Severity::Critical,
    })
}

/// `attack.tXXXX` tags from the rule's ATT&CK mapping, techniques and
/// sub-techniques both.
fn threat_tags(doc: &Value) -> Vec<String> {
    let mut tags = Vec::new();
    for threat in items(doc, "kibana.alert.rule.threat") {
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

pub fn map(event: Value) -> Result<Mapped, MapError> {
    let doc = match event.get("_source") {
        Some(source) if source.is_object() => source,
        _ => &event,
    };
    let source_ref = text(doc, "kibana.alert.uuid")
        .or_else(|| text(&event, "_id"))
        .or_else(|| text(doc, "event.id"))
        .ok_or_else(|| {
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
    let event_time = match first_at(doc, &["kibana.alert.original_time", "@timestamp"]) {
        Some((field, t)) => Some(timestamp(&t, field)?),
        None => None,
    };
    let mut tags = texts(doc, "kibana.alert.rule.tags");
    tags.extend(threat_tags(doc));
    let mut custom = Map::new();
    keep(
        doc,
        &mut custom,
        &[
            "kibana.alert.risk_score",
            "kibana.alert.workflow_status",
            "event.dataset",
            "event.action",
            "source.port",
            "destination.port",
            "process.command_line",
        ],
    );
    let native = Native {
        source: "elastic".into(),
        source_ref,
        kind: first(doc, &["kibana.alert.rule.type", "event.kind"]).unwrap_or_else(|| "signal".into()),
        rule: first(doc, &["kibana.alert.rule.rule_id", "kibana.alert.rule.uuid", "kibana.alert.rule.name"]),
        title,
        description: first(doc, &["kibana.alert.reason", "kibana.alert.rule.description"]).unwrap_or_default(),
        severity: severity(doc)?,
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
        let sev = |v: Value| severity(&v).map(|s| format!("{s:?}"));
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
    fn what_is_missing_is_named() {
        let e = map(json!({ "kibana.alert.rule.name": "R" })).unwrap_err();
        assert_eq!(e.field, "kibana.alert.uuid");
        let e = map(json!({ "kibana.alert.uuid": "u" })).unwrap_err();
        assert_eq!(e.field, "kibana.alert.rule.name");
        let e = map(json!({ "kibana.alert.uuid": "u", "message": "m", "@timestamp": "noon" })).unwrap_err();
        assert_eq!(e.field, "@timestamp");
    }
}
