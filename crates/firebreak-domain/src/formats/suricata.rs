//! Suricata EVE JSON: the records of `event_type` `alert`. Flow, DNS, HTTP,
//! TLS, stats and other records are not alerts.

use firebreak_types::Severity;
use serde_json::{Map, Value};

use super::fields::{Native, Observables, attack_tag, get, items, keep, required, text, texts, timestamp};
use super::{MapError, Mapped};
use crate::observable::ObservableKind as K;

/// Suricata's priorities (`alert.severity`): 1 high, 2 medium, 3 and 4 low.
/// A signature without a priority gets Suricata's default, 3, so low.
fn severity(event: &Value) -> Severity {
    match get(event, "alert.severity").and_then(Value::as_i64) {
        Some(1) => Severity::High,
        Some(2) => Severity::Medium,
        _ => Severity::Low,
    }
}

/// EVE has no alert id. The flow, the signature, the time (as written) and
/// the transaction make one, the same each time the same line is sent, so a
/// re-sent file repeats alerts and never duplicates them.
fn source_ref(event: &Value, sid: Option<&str>, ts: &str) -> String {
    let flow = text(event, "flow_id").unwrap_or_default();
    let mut r = format!("{flow}:{}:{ts}", sid.unwrap_or_default());
    if let Some(tx) = text(event, "tx_id") {
        r.push(':');
        r.push_str(&tx);
    }
    r
}

pub(super) fn observables(event: &Value) -> Observables {
    let mut obs = Observables::default();
    obs.add(K::Ip, text(event, "src_ip"));
    obs.add(K::Ip, text(event, "dest_ip"));
    // The HTTP Host header: an address, a dotted domain or a bare host name.
    let host = text(event, "http.hostname");
    if let Some(h) = &host {
        if h.parse::<std::net::IpAddr>().is_ok() {
            obs.add(K::Ip, Some(h.clone()));
        } else if h.contains('.') {
            obs.add(K::Domain, Some(h.clone()));
        } else {
            obs.add(K::Hostname, Some(h.clone()));
        }
    }
    match (text(event, "http.url"), host) {
        (Some(u), _) if u.contains("://") => obs.add(K::Url, Some(u)),
        (Some(u), Some(h)) => {
            // The Host header's port, else the port of the end of the flow
            // whose address the Host header names (a file sent back comes
            // from the source).
            let port = text(event, "http.http_port")
                .or_else(|| server_port(event, &h))
                .filter(|p| p != "80")
                .map(|p| format!(":{p}"))
                .unwrap_or_default();
            obs.add(K::Url, Some(format!("http://{h}{port}{u}")));
        }
        _ => {}
    }
    obs.add(K::Domain, text(event, "dns.rrname"));
    // An answer's address (`rdata` of an A or AAAA record; EVE 2 lists them
    // in `answers`).
    if matches!(text(event, "dns.rrtype").as_deref(), Some("A" | "AAAA")) {
        obs.add(K::Ip, text(event, "dns.rdata"));
    }
    for a in items(event, "dns.answers") {
        if matches!(text(a, "rrtype").as_deref(), Some("A" | "AAAA")) {
            obs.add(K::Ip, text(a, "rdata"));
        }
    }
    // Alerts carry the DNS query as `dns.query[]`; Suricata 8 writes `queries`.
    for q in items(event, "dns.query").iter().chain(items(event, "dns.queries")) {
        obs.add(K::Domain, text(q, "rrname"));
    }
    obs.add(K::Domain, text(event, "tls.sni"));
    // The client's and server's TLS fingerprints, and the certificate's.
    obs.add(K::Ja3, text(event, "tls.ja3.hash"));
    obs.add(K::Ja3s, text(event, "tls.ja3s.hash"));
    obs.add(K::CertificateFingerprint, text(event, "tls.fingerprint"));
    // `fileinfo.filename` is the name as the protocol gave it, for HTTP the
    // URL's path: its last part is the file's name.
    obs.add_file_name(text(event, "fileinfo.filename"));
    for h in ["fileinfo.md5", "fileinfo.sha1", "fileinfo.sha256"] {
        obs.add_hash(text(event, h));
    }
    obs
}

/// The port of the flow's end whose address is `host`, when the HTTP Host
/// header is an address.
fn server_port(event: &Value, host: &str) -> Option<String> {
    if text(event, "dest_ip").as_deref() == Some(host) {
        text(event, "dest_port")
    } else if text(event, "src_ip").as_deref() == Some(host) {
        text(event, "src_port")
    } else {
        None
    }
}

/// One line on the traffic: `TCP 10.0.0.5:49152 → 198.51.100.8:80 (http), allowed.`
fn description(event: &Value) -> String {
    let end = |ip: &str, port: &str| match (text(event, ip), text(event, port)) {
        (Some(ip), Some(port)) if ip.contains(':') => format!("[{ip}]:{port}"),
        (Some(ip), Some(port)) => format!("{ip}:{port}"),
        (Some(ip), None) => ip,
        (None, _) => "?".to_owned(),
    };
    let mut d = format!("{} → {}", end("src_ip", "src_port"), end("dest_ip", "dest_port"));
    if let Some(proto) = text(event, "proto") {
        d = format!("{proto} {d}");
    }
    if let Some(app) = text(event, "app_proto").filter(|a| a != "failed") {
        d.push_str(&format!(" ({app})"));
    }
    if let Some(action) = text(event, "alert.action") {
        d.push_str(&format!(", {action}"));
    }
    d.push('.');
    d
}

pub fn map(event: Value) -> Result<Mapped, MapError> {
    match text(&event, "event_type").as_deref() {
        Some("alert") => {}
        Some(other) => return Ok(Mapped::Skip(format!("event_type {other:?} is not an alert"))),
        None => return Ok(Mapped::Skip("a record without event_type is not an alert".to_owned())),
    }
    let title = required(&event, "alert.signature", "a Suricata alert needs it as its title")?;
    let ts = required(&event, "timestamp", "a Suricata alert needs its time")?;
    let event_time = timestamp(&ts, "timestamp")?;
    let sid = text(&event, "alert.signature_id");
    let mut tags = texts(&event, "alert.category");
    tags.extend(texts(&event, "alert.metadata.mitre_technique_id").iter().filter_map(|id| attack_tag(id)));
    let mut custom = Map::new();
    keep(&event, &mut custom, &["src_port", "dest_port", "proto", "app_proto", "flow_id", "in_iface", "alert.action"]);
    let native = Native {
        source: "suricata".into(),
        source_ref: source_ref(&event, sid.as_deref(), &ts),
        kind: text(&event, "alert.category").unwrap_or_else(|| "alert".into()),
        rule: sid,
        title,
        description: description(&event),
        severity: severity(&event),
        event_time: Some(event_time),
        tags,
        observables: observables(&event),
        custom_fields: custom,
    };
    Ok(Mapped::Alert(native.into_json(event)))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn priorities() {
        let sev = |p: Value| format!("{:?}", severity(&json!({ "alert": { "severity": p } })));
        assert_eq!(
            (sev(json!(1)), sev(json!(2)), sev(json!(3)), sev(json!(4))),
            ("High".into(), "Medium".into(), "Low".into(), "Low".into())
        );
        assert_eq!(format!("{:?}", severity(&json!({}))), "Low");
    }

    #[test]
    fn records_that_are_not_alerts_are_skipped() {
        assert_eq!(
            map(json!({ "event_type": "flow" })).unwrap(),
            Mapped::Skip("event_type \"flow\" is not an alert".into())
        );
        assert!(matches!(map(json!({ "timestamp": "x" })).unwrap(), Mapped::Skip(_)));
    }

    #[test]
    fn a_url_from_the_host_and_the_path() {
        let o = observables(&json!({ "http": { "hostname": "intranet", "url": "/a?b=1", "http_port": 8080 } }));
        assert_eq!(o.pairs(), [("hostname", "intranet"), ("url", "http://intranet:8080/a?b=1")]);
        let o = observables(&json!({ "http": { "url": "http://example.net/x" } }));
        assert_eq!(o.pairs(), [("url", "http://example.net/x")]);
    }

    #[test]
    fn tls_fingerprints() {
        let o = observables(&json!({ "tls": { "sni": "www.example.com",
            "fingerprint": "6a:ff:ac:a6:5f:8a:05:e7:a9:8c:76:29:b9:08:c7:69:ad:dc:72:47",
            "ja3": { "hash": "44d502d471cfdb99c59bdfb0f220e5a8" }, "ja3s": { "hash": "ADC06261EF82C2E4688B3CF08C1B2F24" } } }));
        assert_eq!(
            o.pairs(),
            [
                ("domain", "www.example.com"),
                ("ja3", "44d502d471cfdb99c59bdfb0f220e5a8"),
                ("ja3s", "adc06261ef82c2e4688b3cf08c1b2f24"),
                ("certificate_fingerprint", "6affaca65f8a05e7a98c7629b908c769addc7247"),
            ]
        );
        // An empty `ja3` object (Suricata writes `{}` when there is none) is nothing.
        assert!(observables(&json!({ "tls": { "ja3": {}, "ja3s": {} } })).pairs().is_empty());
    }

    #[test]
    fn the_traffic_in_a_line() {
        let e = json!({ "src_ip": "2001:db8::1", "src_port": 1, "dest_ip": "192.0.2.1", "dest_port": 2, "proto": "TCP",
            "app_proto": "tls", "alert": { "action": "blocked" } });
        assert_eq!(description(&e), "TCP [2001:db8::1]:1 → 192.0.2.1:2 (tls), blocked.");
    }
}
