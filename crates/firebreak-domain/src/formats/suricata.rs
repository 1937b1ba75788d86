//! Suricata EVE JSON: the records of event_type `alert`; flows, DNS, HTTP
//! and stats records are not alerts.

use serde_json::{Map, Value};

use super::fields::{Native, Observables, attack_tag, get, keep, required, text, texts, timestamp};
use super::{MapError, Mapped};

/// Suricata's priorities: 1 high, 2 medium, 3 and below low.
fn severity(event: &Value) -> &'static str {
    match get(event, "alert.severity").and_then(Value::as_i64) {
        Some(1) => "high",
        Some(2) => "medium",
        _ => "low",
    }
}

pub fn map(event: Value) -> Result<Mapped, MapError> {
    let kind = text(&event, "event_type").unwrap_or_default();
    if kind != "alert" {
        return Ok(Mapped::Skip(format!("event_type {kind:?} is not an alert")));
    }
    let title = required(&event, "alert.signature", "a Suricata alert needs it as its title")?;
    let ts = required(&event, "timestamp", "a Suricata alert needs its time")?;
    let time = timestamp(&ts, "timestamp")?;
    let sid = text(&event, "alert.signature_id");
    // EVE has no alert id: the flow, the signature and the time make one, the
    // same each time the same line is sent (so a re-sent file repeats, never
    // duplicates).
    let mut source_ref =
        format!("{}:{}:{}", text(&event, "flow_id").unwrap_or_default(), sid.as_deref().unwrap_or_default(), ts);
    if let Some(tx) = text(&event, "tx_id") {
        source_ref.push(':');
        source_ref.push_str(&tx);
    }
    let mut tags: Vec<String> = texts(&event, "alert.category");
    for key in ["mitre_technique_id", "mitre_attack"] {
        tags.extend(texts(&event, &format!("alert.metadata.{key}")).iter().filter_map(|id| attack_tag(id)));
    }
    let mut obs = Observables::default();
    obs.add("ip", text(&event, "src_ip"));
    obs.add("ip", text(&event, "dest_ip"));
    let host = text(&event, "http.hostname");
    obs.add("domain", host.clone().filter(|h| h.contains('.') && h.parse::<std::net::IpAddr>().is_err()));
    if let (Some(h), Some(u)) = (host, text(&event, "http.url")) {
        let url = if u.starts_with("http") { u } else { format!("http://{h}{u}") };
        obs.add("url", Some(url));
    }
    obs.add("domain", text(&event, "dns.rrname"));
    if let Some(Value::Array(queries)) = get(&event, "dns.query") {
        for q in queries {
            obs.add("domain", text(q, "rrname"));
        }
    }
    obs.add("domain", text(&event, "tls.sni"));
    obs.add_file(text(&event, "fileinfo.filename"));
    for h in ["fileinfo.md5", "fileinfo.sha1", "fileinfo.sha256"] {
        obs.add_hash(text(&event, h));
    }
    let mut custom = Map::new();
    keep(&event, &mut custom, &["src_port", "dest_port", "proto", "app_proto", "flow_id", "in_iface", "alert.action"]);
    let native = Native {
        source: "suricata".into(),
        source_ref,
        kind: text(&event, "alert.category").unwrap_or_else(|| "alert".into()),
        rule: sid,
        title,
        description: String::new(),
        severity: severity(&event),
        event_time: Some(time),
        tags,
        observables: obs,
        custom_fields: custom,
    };
    Ok(Mapped::Alert(native.into_json(event)))
}
