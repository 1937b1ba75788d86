//! TheHive 5 alerts (`/api/v1/alert`).

use firebreak_types::{Alert, AlertState, AuditEntry, Page};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{Client, run};
use crate::helpers::{TestApp, spawn_app};

/// Every entry of the platform organisation's audit log.
pub async fn audit(app: &TestApp) -> Vec<AuditEntry> {
    let page: Page<AuditEntry> = app.admin.get("/api/v1/audit?limit=1000").await.unwrap();
    page.items
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn thehive4py_creates_an_alert_with_every_data_type_and_a_repeat_is_counted_then_refused() {
    let app = spawn_app().await;
    let Some(out) = run(Client::V2, &app, "alerts_create.py", &[]) else { return };
    let created = &out["created"];
    assert_eq!(created["_type"], "Alert", "{created}");
    assert_eq!((&created["status"], &created["stage"]), (&"New".into(), &"New".into()), "{created}");
    assert_eq!(created["severity"], 3);
    assert_eq!(created["severityLabel"], "HIGH");
    assert_eq!((&created["tlp"], &created["pap"]), (&1.into(), &2.into()));
    assert_eq!(created["date"], 1_767_225_600_000_i64);
    assert_eq!(created["externalLink"], "https://siem.example/alerts/1");
    assert_eq!(created["follow"], true);
    assert_eq!(created["customFields"][0]["name"], "businessUnit", "{created}");
    assert_eq!(created["customFields"][0]["value"], "finance");
    assert_eq!(out["got"]["_id"], created["_id"]);
    assert_eq!(out["got"]["observableCount"], created["observableCount"]);

    // The repeat is refused as TheHive refuses it…
    assert_eq!(out["repeat_status"], 400, "{out}");
    assert!(
        text(&out["repeat"]).starts_with("CreateError - Alert external:thehive4py:th5-create-1 already exists"),
        "{out}"
    );
    assert!(text(&out["missing"]).starts_with("NotFoundError"), "{out}");
    assert!(text(&out["bad"]).starts_with("AttributeCheckingError - severity"), "{out}");

    // …and counted on Firebreak's side, its observables of Firebreak's kinds
    // with TheHive's type kept.
    let id = text(&created["_id"]);
    let alert: Alert = app.admin.get(&format!("/api/v1/alerts/{id}")).await.unwrap();
    assert_eq!(alert.occurrences, 2);
    assert_eq!(alert.state, AlertState::New);
    let seen: Vec<(&str, &str, Option<&str>)> =
        alert.observables.iter().map(|o| (o.kind.as_str(), o.value.as_str(), o.original_type.as_deref())).collect();
    let file_digest = hex::encode(Sha256::digest(b"a file an alert carries\n"));
    for want in [
        ("ip", "203.0.113.7", None),
        ("domain", "evil.example", None),
        ("domain", "c2.evil.example", Some("fqdn")),
        ("email", "phish@evil.example", Some("mail")),
        ("other", "Your invoice is overdue", Some("mail_subject")),
        ("md5", "44d88612fea8a8f36de82e1278abb02f", Some("hash")),
        ("sha1", "3395856ce81f2b7382dee72602f798b642f14140", Some("hash")),
        ("sha256", "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f", Some("hash")),
        ("filename", "invoice.pdf.exe", None),
        ("other", "/wp-login.php", Some("uri_path")),
        ("other", "Mozilla/5.0 (compatible; EvilBot/1.0)", Some("user-agent")),
        ("other", "AS64500", Some("autonomous-system")),
        ("hostname", "wks-0042", None),
        ("other", "something else", None),
        ("sha256", file_digest.as_str(), None),
    ] {
        assert!(seen.contains(&want), "{want:?} not in {seen:#?}");
    }
    assert!(seen.iter().any(|(k, v, t)| *k == "filename" && v.ends_with(".txt") && *t == Some("file")), "{seen:#?}");
    assert!(seen.iter().any(|(k, _, t)| *k == "registry_key" && *t == Some("registry")), "{seen:#?}");
    assert!(seen.iter().any(|(k, _, t)| *k == "url" && t.is_none()), "{seen:#?}");
    assert_eq!(created["observableCount"], seen.len());

    // Both sendings are in the audit log.
    let entries = audit(&app).await;
    let ingests: Vec<&AuditEntry> = entries.iter().filter(|e| e.action == "ingest").collect();
    assert!(ingests.iter().any(|e| e.changes["first_id"] == id && e.changes["created"] == 1), "{ingests:#?}");
    assert!(ingests.iter().any(|e| e.changes["repeats"] == 1 && e.changes["created"] == 0), "{ingests:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn thehive4py_triages_promotes_and_merges_alerts_through_firebreak_s_use_cases() {
    let app = spawn_app().await;
    let Some(out) = run(Client::V2, &app, "alerts_triage.py", &[]) else { return };
    let taken = &out["taken"];
    assert_eq!((&taken["status"], &taken["stage"]), (&"InProgress".into(), &"InProgress".into()), "{taken}");
    assert_eq!(taken["assignee"], "admin");
    assert!(taken["inProgressDate"].is_i64(), "{taken}");
    let closed = &out["closed"];
    assert_eq!((&closed["status"], &closed["stage"]), (&"FalsePositive".into(), &"Closed".into()), "{closed}");
    assert_eq!(closed["summary"], "a scanner we run");
    let amended = &out["amended"];
    assert_eq!(
        (&amended["title"], &amended["severity"], &amended["tlp"]),
        (&"another title".into(), &4.into(), &3.into())
    );
    assert_eq!(amended["tags"], serde_json::json!(["two", "three"]), "{amended}");
    assert_eq!(amended["customFields"][0]["value"], "INC-7", "{amended}");
    assert!(text(&out["resourced"]).starts_with("AttributeCheckingError - sourceRef cannot be changed"), "{out}");
    assert_eq!(out["same_source"], "accepted");
    assert_eq!(out["bulk"], serde_json::json!(["TruePositive", "TruePositive"]));
    assert!(text(&out["unfollow"]).starts_with("AttributeCheckingError - follow"), "{out}");
    assert!(text(&out["delete"]).starts_with("AuthorizationError"), "{out}");

    let case = &out["case"];
    assert_eq!(case["_type"], "Case", "{case}");
    let case_id = text(&case["_id"]);
    for key in ["promoted", "merged", "bulk_merged"] {
        let a = &out[key];
        assert_eq!((&a["status"], &a["stage"]), (&"Imported".into(), &"Imported".into()), "{key}: {a}");
        assert_eq!(a["caseId"], case_id, "{key}: {a}");
        assert!(a["importedDate"].is_i64(), "{key}: {a}");
    }
    assert_eq!(out["merged_case"]["_id"], case_id);
    assert_eq!(out["bulk_merged_case"]["_id"], case_id);
    assert!(text(&out["promote_again"]).starts_with("BadRequest"), "{out}");
    assert!(text(&out["template_missing"]).starts_with("NotFoundError - case template no such"), "{out}");
    // b is closed: an observable is refused naming its state; a file may
    // still be attached.
    assert!(text(&out["add_observable"]).starts_with("BadRequest - the alert is closed"), "{out}");
    assert_eq!(out["add_attachment"], "accepted", "{out}");

    // Firebreak's side: the alerts are in the case, each step audited.
    let alerts: Page<Alert> = app.admin.get(&format!("/api/v1/alerts?case_id={case_id}")).await.unwrap();
    assert_eq!(alerts.items.len(), 3);
    let entries = audit(&app).await;
    let done = |id: &str| -> Vec<&str> {
        entries.iter().filter(|e| e.object_id == id).map(|e| e.action.as_str()).collect::<Vec<_>>()
    };
    let a = done(text(&out["ids"]["a"]));
    for action in ["assign", "take", "close"] {
        assert!(a.contains(&action), "{action} not in {a:?}");
    }
    assert!(!done(text(&out["ids"]["d"])).is_empty(), "the promoted alert's escalation is audited");
    let b = done(text(&out["ids"]["b"]));
    assert_eq!(b.iter().filter(|a| **a == "amend").count(), 2, "{b:?}");
    let amendment = entries
        .iter()
        .find(|e| e.object_id == text(&out["ids"]["b"]) && e.action == "amend" && e.changes.get("title").is_some())
        .unwrap();
    assert_eq!(amendment.changes["title"]["after"], "another title", "{:?}", amendment.changes);
    assert_eq!(amendment.changes["severity"]["before"], "medium");
    // The queue's order follows the new severity.
    let id = text(&out["ids"]["b"]);
    let b: Alert = app.admin.get(&format!("/api/v1/alerts/{id}")).await.unwrap();
    assert_eq!(b.triage_rank, 4);
}

/// The same flow without Python: TheHive's requests as any sender writes
/// them, and another organisation's alert is one that does not exist.
#[tokio::test]
async fn a_thehive_alert_is_sent_read_and_promoted_and_no_other_organisation_sees_it() {
    let app = spawn_app().await;
    app.tenant("Acme").await;
    let root_name = app.admin.get_org(app.root_org).await.unwrap().name;
    let http = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", super::base(&app));
    let admin = |req: reqwest::RequestBuilder| req.basic_auth("admin", Some(crate::helpers::ADMIN_PASSWORD));
    let body = serde_json::json!({
        "type": "edr", "source": "edr-x", "sourceRef": "r-1", "title": "Beacon to a rare domain",
        "description": "", "severity": 4, "tlp": 3, "pap": 1,
        "observables": [{"dataType": "fqdn", "data": "rare.example"}, {"dataType": "ip", "data": ["192.0.2.10", "192.0.2.11"]}],
    });
    let res = admin(http.post(url("/api/v1/alert"))).json(&body).send().await.unwrap();
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["observableCount"], 3, "{created}");
    assert_eq!((&created["severity"], &created["tlp"], &created["pap"]), (&4.into(), &3.into(), &1.into()));
    let id = text(&created["_id"]).to_owned();

    let res = admin(http.post(url("/api/v1/alert"))).json(&body).send().await.unwrap();
    assert_eq!(res.status(), 400);
    let refused: Value = res.json().await.unwrap();
    assert_eq!(refused["type"], "CreateError", "{refused}");

    // Another organisation: by its own credentials, or by naming one the
    // caller may not act in, the alert does not exist.
    let other = |req: reqwest::RequestBuilder| req.basic_auth("acme-admin", Some(crate::helpers::PASSWORD));
    for res in [
        other(http.get(url(&format!("/api/v1/alert/{id}")))).send().await.unwrap(),
        other(http.post(url(&format!("/api/v1/alert/{id}/case")))).json(&serde_json::json!({})).send().await.unwrap(),
        other(http.patch(url(&format!("/api/v1/alert/{id}"))))
            .json(&serde_json::json!({"status": "Ignored"}))
            .send()
            .await
            .unwrap(),
        other(http.get(url(&format!("/api/alert/{id}")))).send().await.unwrap(),
        other(http.get(url(&format!("/api/v1/alert/{id}"))))
            .header("X-Organisation", root_name.as_str())
            .send()
            .await
            .unwrap(),
    ] {
        assert_eq!(res.status(), 404);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["type"], "NotFoundError", "{body}");
    }

    let res =
        admin(http.post(url(&format!("/api/v1/alert/{id}/case")))).json(&serde_json::json!({})).send().await.unwrap();
    assert_eq!(res.status(), 201);
    let case: Value = res.json().await.unwrap();
    let got: Value = admin(http.get(url(&format!("/api/v1/alert/{id}")))).send().await.unwrap().json().await.unwrap();
    assert_eq!((&got["status"], &got["caseId"]), (&"Imported".into(), &case["_id"]), "{got}");
    // The case's priority follows Firebreak's escalation: a critical alert makes a P1.
    let case_id: uuid::Uuid = text(&case["_id"]).parse().unwrap();
    let native = app.admin.get_case(case_id).await.unwrap();
    assert_eq!(native.priority, firebreak_types::Priority::P1);
}

#[tokio::test(flavor = "multi_thread")]
async fn thehive4py_adds_observables_and_attachments_to_an_alert_and_downloads_them() {
    let app = spawn_app().await;
    let Some(out) = run(Client::V2, &app, "alerts_observables.py", &[]) else { return };
    let id = text(&out["alert"]["_id"]).to_owned();
    // Each answer lists what was added, in TheHive's shape.
    assert_eq!(out["one"].as_array().map(Vec::len), Some(1), "{out}");
    assert_eq!((&out["one"][0]["dataType"], &out["one"][0]["data"]), (&"domain".into(), &"evil.example".into()));
    assert_eq!(out["list"].as_array().map(Vec::len), Some(1), "the address the alert had is not added again: {out}");
    assert_eq!(out["list"][0]["data"], "192.0.2.2");
    assert_eq!(out["file"][0]["dataType"], "file", "{out}");
    assert!(text(&out["bad"]).starts_with("AttributeCheckingError") || text(&out["bad"]).starts_with("BadRequest"));
    assert!(text(&out["bad"]).contains("observables[0].value"), "{out}");
    assert!(text(&out["closed"]).contains("the alert is closed"), "{out}");

    let alert: Alert = app.admin.get(&format!("/api/v1/alerts/{id}")).await.unwrap();
    assert_eq!(out["count"], alert.observables.len(), "{out}");
    let dropper = hex::encode(Sha256::digest(b"a dropper\n"));
    assert!(alert.observables.iter().any(|o| o.kind == "sha256" && o.value == dropper), "{:?}", alert.observables);
    assert!(alert.observables.iter().any(|o| o.value == "192.0.2.2"));

    // Attachments: the file sent with the alert and the one added later.
    let attached = &out["attached"][0];
    assert_eq!(attached["_type"], "Attachment", "{out}");
    assert_eq!(attached["hashes"][0], hex::encode(Sha256::digest(b"notes about the alert\n")));
    assert_eq!(out["downloaded"], "notes about the alert\n");
    assert!(text(&out["missing"]).starts_with("NotFoundError"), "{out}");
    let found: Vec<&str> = out["found"].as_array().unwrap().iter().map(|a| text(&a["hashes"][0])).collect();
    let sent = hex::encode(Sha256::digest(b"sent with the alert\n"));
    assert!(found.contains(&sent.as_str()), "{found:?}");
    assert!(found.contains(&dropper.as_str()), "the file observable's file is attached: {found:?}");
    assert_eq!(found.len(), 3, "{found:?}");

    // Natively: listed and downloaded, and each is in the audit log.
    let list: Vec<firebreak_types::AlertAttachment> =
        app.admin.get(&format!("/api/v1/alerts/{id}/attachments")).await.unwrap();
    assert_eq!(list.len(), 3);
    let later = list.iter().find(|a| a.name.ends_with(".log")).unwrap();
    let res = app
        .admin
        .request(reqwest::Method::GET, &format!("/api/v1/alerts/{id}/attachments/{}/download", later.id))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-firebreak-sha256"].to_str().unwrap(), later.sha256);
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"notes about the alert\n");
    let entries = audit(&app).await;
    assert!(entries.iter().any(|e| e.object_id == later.id.to_string()), "the attachment's record is audited");
    assert!(entries.iter().any(|e| e.object_id == id && e.action == "add_observables"));

    // Another organisation sees none of it.
    let acme = app.tenant("Acme").await;
    let r = acme.admin.get::<Value>(&format!("/api/v1/alerts/{id}/attachments")).await;
    assert_eq!(crate::helpers::code(&r), "not_found");
    let r = acme
        .admin
        .request(reqwest::Method::GET, &format!("/api/v1/alerts/{id}/attachments/{}/download", later.id))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

/// A file is streamed to disk as an evidence upload is, held to
/// `max_file_bytes` rather than to `max_body_bytes`: thehive4py sends files
/// many times larger than a body may be, with an alert, attached to it, as
/// a case's file observable and with a task log. A file past the per-file
/// limit leaves nothing behind; JSON past `max_body_bytes` is refused.
#[tokio::test(flavor = "multi_thread")]
async fn thehive4py_sends_files_larger_than_a_body_may_be() {
    let settings = firebreak_server::ServerSettings { max_body_bytes: 64 * 1024, ..Default::default() };
    let app = crate::helpers::spawn_app_configured(
        settings,
        firebreak_app::AppSettings { max_file_bytes: 4 << 20, ..Default::default() },
    )
    .await;
    let Some(out) = run(Client::V2, &app, "uploads_large.py", &[]) else { return };
    let mib: Vec<u8> = (0..4096).flat_map(|_| 0..=255u8).collect();
    let capture = hex::encode(Sha256::digest(&mib));
    let dump = hex::encode(Sha256::digest([mib.as_slice(), &mib].concat()));

    let id = text(&out["alert"]["_id"]).to_owned();
    let list: Vec<firebreak_types::AlertAttachment> =
        app.admin.get(&format!("/api/v1/alerts/{id}/attachments")).await.unwrap();
    let got: Vec<(&str, u64)> = list.iter().map(|a| (a.sha256.as_str(), a.size)).collect();
    assert_eq!(got, [(capture.as_str(), 1 << 20), (dump.as_str(), 2 << 20)], "{out}");
    let alert: Alert = app.admin.get(&format!("/api/v1/alerts/{id}")).await.unwrap();
    assert!(alert.observables.iter().any(|o| o.kind == "sha256" && o.value == capture), "{:?}", alert.observables);

    let case_id = text(&out["case"]["_id"]).to_owned();
    assert_eq!(out["observable"][0]["dataType"], "file", "{out}");
    assert_eq!(out["log"]["attachments"][0]["size"], 2 << 20, "{out}");
    let evidence: Vec<firebreak_types::Evidence> =
        app.admin.get(&format!("/api/v1/cases/{case_id}/evidence")).await.unwrap();
    let got: Vec<&str> = evidence.iter().map(|e| e.sha256.as_str()).collect();
    assert_eq!(got, [capture.as_str(), dump.as_str()]);
    let res = app
        .admin
        .request(reqwest::Method::GET, &format!("/api/v1/cases/{case_id}/evidence/{}/content", evidence[1].id))
        .send()
        .await
        .unwrap();
    assert_eq!(res.bytes().await.unwrap().len(), 2 << 20);

    // Refused: the file past max_file_bytes (the server may close the
    // connection before the client reads the answer), the long JSON.
    let refusal = text(&out["too_large"]);
    assert!(refusal.contains("max_file_bytes") || refusal.starts_with("closed"), "{out}");
    assert!(text(&out["long_json"]).contains("max_body_bytes"), "{out}");
    let list: Vec<firebreak_types::AlertAttachment> =
        app.admin.get(&format!("/api/v1/alerts/{id}/attachments")).await.unwrap();
    assert_eq!(list.len(), 2);
    let dir = app.data_dir.join("files").join(alert.org_id.to_string());
    let mut kept: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|d| d.unwrap().file_name().to_string_lossy().into_owned()).collect();
    kept.sort();
    let mut records: Vec<String> = list.iter().map(|a| a.id.to_string()).collect();
    records.extend(evidence.iter().map(|e| e.id.to_string()));
    records.sort();
    assert_eq!(kept, records, "one file per record, nothing partial left");
}
