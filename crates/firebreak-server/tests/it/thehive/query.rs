//! The query API (`/api/v1/query`) and TheHive 4's searches, driven by
//! thehive4py 2.x and 1.x over alerts and cases of two organisations.

use serde_json::{Value, json};
use uuid::Uuid;

use super::{Client, base, run};
use crate::helpers::{ADMIN_PASSWORD, PASSWORD, TestApp, spawn_app};

/// 2026-03-01 00:00 UTC in epoch milliseconds: alert `n` happened `n` hours later.
const T0: i64 = 1_772_323_200_000;

struct Seed {
    /// Alert ids by title.
    ids: Vec<(String, Uuid)>,
    case_id: String,
    case_number: i64,
    task_id: String,
}

fn alert(n: u32, title: &str, severity: &str, source: &str, tags: &[&str]) -> Value {
    json!({
        "source": source, "source_ref": format!("q-{n}"), "type": "test", "title": title, "severity": severity,
        "event_time": format!("2026-03-01T0{n}:00:00Z"), "tags": tags,
        "observables": [ { "type": "ip", "value": format!("192.0.2.{n}") } ],
    })
}

async fn seed(app: &TestApp) -> Seed {
    let batch = json!([
        alert(1, "Phishing mail to finance", "high", "mailgw", &["phishing", "mail"]),
        alert(2, "Phishing link clicked", "critical", "proxy", &["phishing"]),
        alert(3, "Brute force on vpn", "medium", "vpn", &["auth"]),
        alert(4, "Malware on laptop", "high", "edr", &["malware"]),
        alert(5, "Port scan", "low", "ids", &[]),
    ]);
    let res: Value = app.admin.post("/api/v1/alerts/_bulk", &batch).await.unwrap();
    let titles =
        ["Phishing mail to finance", "Phishing link clicked", "Brute force on vpn", "Malware on laptop", "Port scan"];
    let ids: Vec<(String, Uuid)> = res["items"]
        .as_array()
        .unwrap()
        .iter()
        .zip(titles)
        .map(|(i, t)| (t.to_owned(), i["id"].as_str().unwrap().parse().unwrap()))
        .collect();
    let _: Value = app.admin.post(&format!("/api/v1/alerts/{}/take", ids[2].1), &json!({})).await.unwrap();
    let case: Value = app.admin.post(&format!("/api/v1/alerts/{}/escalate", ids[3].1), &json!({})).await.unwrap();
    let case_id = case["id"].as_str().unwrap().to_owned();
    let _: Value = app.admin.post("/api/v1/cases", &json!({ "title": "Declared by hand" })).await.unwrap();
    let _: Value = app
        .admin
        .post(&format!("/api/v1/cases/{case_id}/observables"), &json!({ "type": "ip", "value": "198.51.100.7" }))
        .await
        .unwrap();
    let mut task_id = String::new();
    for title in ["Contain the laptop", "Analyse the sample"] {
        let t: Value =
            app.admin.post(&format!("/api/v1/cases/{case_id}/tasks"), &json!({ "title": title })).await.unwrap();
        task_id = t["id"].as_str().unwrap().to_owned();
    }
    let _: Value = app
        .admin
        .post(&format!("/api/v1/cases/{case_id}/tasks/{task_id}/log"), &json!({ "body": "hash sent to the sandbox" }))
        .await
        .unwrap();
    // Another organisation's alerts of the same titles never come back.
    let other = app.tenant("Other").await;
    let theirs = json!([
        alert(1, "Phishing mail to finance", "high", "mailgw", &["phishing", "mail"]),
        alert(6, "Malware on laptop", "critical", "edr", &["malware"]),
    ]);
    let _: Value = other.admin.post("/api/v1/alerts/_bulk", &theirs).await.unwrap();
    Seed { ids, case_id, case_number: case["number"].as_i64().unwrap(), task_id }
}

// The client runs as a blocking child process: the server needs a thread of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thehive4py_2_finds_filters_sorts_pages_counts_and_traverses() {
    let app = spawn_app().await;
    let s = seed(&app).await;
    let env = [
        ("T0", T0.to_string()),
        ("CASE_ID", s.case_id.clone()),
        ("CASE_NUMBER", s.case_number.to_string()),
        ("TASK_ID", s.task_id.clone()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let Some(out) = run(Client::V2, &app, "query_find.py", &env) else { return };
    assert_eq!(out["new_and_severe"], json!(["Phishing link clicked", "Phishing mail to finance"]), "{out}");
    assert_eq!(out["count_new"], 3, "{out}");
    assert_eq!(out["count_all"], 5, "{out}");
    assert_eq!(out["like"], json!(["Phishing link clicked", "Phishing mail to finance"]));
    assert_eq!(out["tag"], json!(["Malware on laptop"]));
    assert_eq!(out["in_asc"], json!(["Brute force on vpn", "Port scan"]));
    assert_eq!(out["not_new"], json!(["Brute force on vpn", "Malware on laptop"]));
    assert_eq!(out["between"], json!(["Phishing link clicked", "Brute force on vpn"]));
    assert_eq!(out["raw_eq"], 3);
    assert_eq!(out["raw_field_value"], 3);
    assert_eq!(out["starts"], json!(["Port scan"]));
    assert_eq!(out["ends"], json!(["Malware on laptop"]));
    assert_eq!(out["or"], json!(["Brute force on vpn", "Malware on laptop"]));
    assert_eq!(out["second_newest"], json!(["Malware on laptop"]));
    assert_eq!(out["imported_case"], json!([s.case_id]));
    assert_eq!(out["has_case"], 1);
    assert_eq!(out["contains_case"], 1);
    assert_eq!(out["by_id"], json!(["Phishing mail to finance"]));
    assert_eq!(out["alert_observables"], json!(["192.0.2.1"]));
    assert_eq!(out["cases"], json!(["Declared by hand", "Malware on laptop"]));
    assert_eq!(out["case_count"], 2);
    assert_eq!(out["case_by_number"], json!(s.case_id));
    assert!(out["case_observables"].as_array().unwrap().contains(&json!("198.51.100.7")), "{out}");
    assert_eq!(out["case_tasks"], json!(["Analyse the sample", "Contain the laptop"]));
    assert_eq!(out["task_logs"], json!(["hash sent to the sandbox"]));
    assert_eq!(out["case_alerts"], json!(["Malware on laptop"]));
    assert_eq!(out["alert_case"], json!([s.case_id]));
    assert!(out["users"].as_array().unwrap().contains(&json!("admin")), "{out}");
    assert!(out["orgs"].as_u64().unwrap() >= 1, "{out}");
    assert_eq!(out["extra"], true);
    for (name, needle) in [("field", "colour"), ("operator", "_sideways"), ("status", "Sideways")] {
        assert_eq!(out["errors"][name]["status"], 400, "{name}: {out}");
        assert!(out["errors"][name]["message"].as_str().unwrap().contains(needle), "{name}: {out}");
    }
    assert_eq!(out["errors"]["case"]["status"], 404, "{out}");
    assert_eq!(s.ids.len(), 5);
}

// The client runs as a blocking child process: the server needs a thread of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thehive4py_1_searches_alerts_and_cases() {
    let app = spawn_app().await;
    let s = seed(&app).await;
    let env = [("T0", T0.to_string()), ("CASE_NUMBER", s.case_number.to_string())];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let Some(out) = run(Client::V1, &app, "query_search_v1.py", &env) else { return };
    // TheHive 4 has no "in progress": an alert taken into triage is still New.
    assert_eq!(
        out["new_severe"],
        json!(["Brute force on vpn", "Phishing link clicked", "Phishing mail to finance"]),
        "{out}"
    );
    assert_eq!(out["range"], json!(["Malware on laptop", "Brute force on vpn"]), "{out}");
    assert_eq!(out["all"], 5);
    assert_eq!(out["between"], json!(["Phishing link clicked", "Brute force on vpn"]));
    assert_eq!(out["in"], json!(["Brute force on vpn", "Malware on laptop"]));
    assert_eq!(out["contains"], 1);
    assert_eq!(out["like"], json!(["Phishing link clicked", "Phishing mail to finance"]));
    assert_eq!(out["or_not"], json!(["Malware on laptop", "Phishing link clicked"]));
    assert_eq!(out["legacy_fields"], json!(["createdAt", "id"]));
    assert_eq!(out["cases"], json!(["Declared by hand", "Malware on laptop"]));
    assert_eq!(out["case_by_number"], json!(["Malware on laptop"]));
    assert_eq!(out["bad"]["status"], 400, "{out}");
    assert_eq!(out["bad"]["body"]["type"], "BadRequest", "{out}");
}

async fn query(app: &TestApp, user: &str, password: &str, body: Value) -> (u16, Value) {
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/query", base(app)))
        .basic_auth(user, Some(password))
        .json(&body)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

#[tokio::test]
async fn another_organisation_s_alerts_never_come_back_whatever_the_filter() {
    let app = spawn_app().await;
    let s = seed(&app).await;
    let ours: Vec<String> = s.ids.iter().map(|(_, id)| id.to_string()).collect();
    let everything = json!({"_or": [
        {"_eq": {"title": "Phishing mail to finance"}},
        {"_in": {"_field": "_id", "_values": ours}},
        {"_not": {"_eq": {"status": "New"}}},
        {"_like": {"_field": "title", "_value": "*"}},
    ]});
    let other_admin = "other-admin";
    let (status, found) = query(
        &app,
        other_admin,
        PASSWORD,
        json!({"query": [{"_name": "listAlert"}, {"_name": "filter", "_or": [everything]}]}),
    )
    .await;
    assert_eq!(status, 200, "{found}");
    let found = found.as_array().unwrap();
    assert_eq!(found.len(), 2, "only their own two: {found:?}");
    assert!(found.iter().all(|a| !ours.contains(&a["_id"].as_str().unwrap().to_owned())));
    // Nor by id, nor counted.
    let (status, body) =
        query(&app, other_admin, PASSWORD, json!({"query": [{"_name": "getAlert", "idOrName": ours[0]}]})).await;
    assert_eq!(status, 404, "{body}");
    let (_, n) =
        query(&app, other_admin, PASSWORD, json!({"query": [{"_name": "listAlert"}, {"_name": "count"}]})).await;
    assert_eq!(n, 2);
    let (_, n) =
        query(&app, "admin", ADMIN_PASSWORD, json!({"query": [{"_name": "listAlert"}, {"_name": "count"}]})).await;
    assert_eq!(n, 5);
    // A case of ours is not theirs either, by id or by number.
    let (status, _) =
        query(&app, other_admin, PASSWORD, json!({"query": [{"_name": "getCase", "idOrName": s.case_id}]})).await;
    assert_eq!(status, 404);
    let (_, cases) = query(&app, other_admin, PASSWORD, json!({"query": [{"_name": "listCase"}]})).await;
    assert_eq!(cases, json!([]));
}

#[tokio::test]
async fn a_bad_query_is_a_bad_request_naming_what_is_wrong() {
    let app = spawn_app().await;
    for (body, needle) in [
        (json!({"query": [{"_name": "listAlert"}, {"_name": "filter", "_gt": {"colour": 1}}]}), "colour"),
        (json!({"query": [{"_name": "listAlert"}, {"_name": "filter", "_near": {"title": "x"}}]}), "_near"),
        (json!({"query": [{"_name": "listWidgets"}]}), "listWidgets"),
        (json!({"query": [{"_name": "listAlert"}, {"_name": "sort", "_fields": [{"tags": "asc"}]}]}), "tags"),
        (json!({"query": [{"_name": "listAlert"}, {"_name": "page", "from": 0}]}), "to"),
        (json!({"query": [{"_name": "listCase"}, {"_name": "filter", "_like": {"severity": "x"}}]}), "severity"),
        (json!({"query": "listAlert"}), "query"),
    ] {
        let (status, out) = query(&app, "admin", ADMIN_PASSWORD, body.clone()).await;
        assert_eq!(status, 400, "{body}: {out}");
        assert_eq!(out["type"], "BadRequest", "{body}: {out}");
        assert!(out["message"].as_str().unwrap().contains(needle), "{body}: {out}");
    }
}

/// Every status the shapes answer is one the filter reads: each alert and
/// case found again by filtering on its own `status` (and `stage`).
#[tokio::test]
async fn every_entity_is_found_again_by_its_own_status() {
    let app = spawn_app().await;
    let s = seed(&app).await;
    // Sent again (Updated), closed as a false positive and as benign.
    let _: Value =
        app.admin.post("/api/v1/alerts/_bulk", &json!([alert(5, "Port scan", "low", "ids", &[])])).await.unwrap();
    for (n, disposition) in [(0, "false_positive"), (1, "benign_true_positive")] {
        let _: Value = app
            .admin
            .post(
                &format!("/api/v1/alerts/{}/close", s.ids[n].1),
                &json!({ "disposition": disposition, "reason": "seen before" }),
            )
            .await
            .unwrap();
    }
    // A case closed through TheHive's API, as Indeterminate.
    let res = reqwest::Client::new()
        .patch(format!("{}/api/v1/case/{}", base(&app), s.case_id))
        .basic_auth("admin", Some(ADMIN_PASSWORD))
        .json(&json!({ "status": "Indeterminate", "summary": "no telling" }))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());

    let mut seen = std::collections::BTreeSet::new();
    for source in ["listAlert", "listCase"] {
        let (status, all) = query(&app, "admin", ADMIN_PASSWORD, json!({"query": [{"_name": source}]})).await;
        assert_eq!(status, 200, "{all}");
        for e in all.as_array().unwrap() {
            for field in ["status", "stage"] {
                let value = &e[field];
                seen.insert(format!("{source} {field} {value}"));
                let (status, found) = query(
                    &app,
                    "admin",
                    ADMIN_PASSWORD,
                    json!({"query": [{"_name": source}, {"_name": "filter", "_eq": {"_field": field, "_value": value}}]}),
                )
                .await;
                assert_eq!(status, 200, "{source} {field} {value}: {found}");
                let ids: Vec<&Value> = found.as_array().unwrap().iter().map(|f| &f["_id"]).collect();
                assert!(ids.contains(&&e["_id"]), "{source} {field} {value} does not find {e}");
                assert!(
                    found.as_array().unwrap().iter().all(|f| f[field] == *value),
                    "{source} {field} {value}: {found}"
                );
            }
        }
    }
    for expected in [
        "listAlert status \"Updated\"",
        "listAlert status \"InProgress\"",
        "listAlert status \"Imported\"",
        "listAlert status \"FalsePositive\"",
        "listAlert status \"TruePositive\"",
        "listCase status \"New\"",
        "listCase status \"Indeterminate\"",
    ] {
        assert!(seen.contains(expected), "{expected} not among {seen:?}");
    }
}

/// A case's comments and pages, as thehive4py's `case.find_comments` and
/// `case.find_pages` ask for them.
#[tokio::test]
async fn a_case_s_comments_and_pages_are_reached_from_the_case() {
    let app = spawn_app().await;
    let s = seed(&app).await;
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/case/{}/comment", base(&app), s.case_id))
        .basic_auth("admin", Some(ADMIN_PASSWORD))
        .json(&json!({ "message": "the sandbox says ransomware" }))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
    let (status, found) = query(
        &app,
        "admin",
        ADMIN_PASSWORD,
        json!({"query": [{"_name": "getCase", "idOrName": s.case_id}, {"_name": "comments"}, {"_name": "sort", "_fields": [{"_createdAt": "desc"}]}]}),
    )
    .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found[0]["message"], "the sandbox says ransomware", "{found}");
    let (status, found) = query(
        &app,
        "admin",
        ADMIN_PASSWORD,
        json!({"query": [{"_name": "getCase", "idOrName": s.case_id}, {"_name": "pages"}]}),
    )
    .await;
    assert_eq!(status, 200, "{found}");
    assert!(found.is_array(), "{found}");
}

// The client runs as a blocking child process: the server needs a thread of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thehive4py_2_reads_extra_data_procedures_attachments_timeline_comments_and_links() {
    let app = spawn_app().await;
    // Another organisation's case with the same address, a comment and a
    // procedure: never linked, similar, listed or counted.
    let other = app.tenant("Other").await;
    let theirs: Value = other.admin.post("/api/v1/cases", &json!({ "title": "Theirs" })).await.unwrap();
    let theirs = theirs["id"].as_str().unwrap();
    let _: Value = other
        .admin
        .post(&format!("/api/v1/cases/{theirs}/observables"), &json!({ "type": "ip", "value": "203.0.113.5" }))
        .await
        .unwrap();
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/case/{theirs}/comment", base(&app)))
        .basic_auth("other-admin", Some(PASSWORD))
        .json(&json!({ "message": "their note" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let entry = json!({ "at": "2026-03-02T08:00:00Z", "description": "theirs", "technique": "T1059" });
    let _: Value = other.admin.post(&format!("/api/v1/cases/{theirs}/timeline"), &entry).await.unwrap();
    let Some(out) = run(Client::V2, &app, "query_extra.py", &[]) else { return };

    // A page of cases with its statistics; a name TheHive does not know is ignored.
    let e = &out["case_extra"];
    assert_eq!(e["observableStats"], json!({ "total": 3 }), "{out}");
    assert_eq!(e["taskStats"], json!({ "InProgress": 1, "Waiting": 1, "total": 2 }), "{out}");
    assert_eq!(e["alerts"], json!([]), "{out}");
    assert_eq!(e["alertCount"], 0, "{out}");
    assert_eq!(e["isOwner"], true, "{out}");
    assert_eq!(e["shareCount"], 0, "{out}");
    assert_eq!(e["actionRequired"], false, "{out}");
    assert!(e["permissions"].as_array().unwrap().contains(&json!("case_read")), "{out}");
    assert_eq!(e["contributors"], json!(["admin"]), "{out}");
    assert_eq!(e["procedureCount"], 1, "{out}");
    assert_eq!(e["attachmentCount"], 1, "{out}");
    assert_eq!(e["owningOrganisation"], "Firebreak", "{out}");
    assert!(e.get("noSuchThing").is_none() && e.get("computed.handlingDuration").is_none(), "{out}");
    assert_eq!(
        out["promoted_case_extra"],
        json!({ "alerts": [{ "type": "mail", "source": "mailgw" }], "alertCount": 1 })
    );
    assert_eq!(out["got_case_extra"], json!({ "observableStats": { "total": 3 } }));

    // A page of alerts: the case each joined, and the cases sharing its observables.
    let seen = &out["alert_extra"]["extra-1"];
    assert_eq!(seen["observableCount"], 2, "{out}");
    assert!(seen.get("caseNumber").is_none() && seen.get("importDate").is_none(), "{out}");
    let similar = seen["similarCases"].as_array().unwrap();
    let titles: Vec<&str> = similar.iter().map(|s| s["case"]["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["Linked B", "Linked A"], "{out}");
    assert_eq!(similar[1]["similarObservableCount"], 1, "{out}");
    assert_eq!(similar[1]["observableCount"], 3, "{out}");
    assert_eq!(similar[1]["similarIocCount"], 1, "{out}");
    assert_eq!(similar[1]["iocCount"], 1, "{out}");
    assert_eq!(similar[1]["observableTypes"], json!({ "ip": 1 }), "{out}");
    assert_eq!(similar[0]["iocCount"], 0, "{out}");
    let promoted = &out["alert_extra"]["extra-2"];
    assert_eq!(promoted["caseNumber"], out["promoted_case_number"], "{out}");
    assert!(promoted["importDate"].as_i64().is_some(), "{out}");
    assert_eq!(promoted["similarCases"], json!([]), "{out}");
    assert_eq!(promoted["extraData"], Value::Null);

    // Traversals from a case, and across the organisation.
    assert_eq!(out["procedures"], json!(["T1566"]), "{out}");
    assert_eq!(out["procedures_filtered"], 0, "{out}");
    let names = out["attachments"].as_array().unwrap();
    assert!(names.len() == 1 && names[0].as_str().unwrap().starts_with("evidence-"), "{out}");
    assert!(out["timeline_kinds"].as_array().unwrap().contains(&json!("Procedure")), "{out}");
    assert_eq!(out["timeline_procedure_count"], 1, "{out}");
    assert_eq!(out["comments"], json!(["first note", "second note"]), "{out}");
    assert_eq!(out["comments_like"], json!(["second note"]), "{out}");
    assert_eq!(out["comment_count"], 2, "{out}");
    assert_eq!(out["all_procedures"], json!(["T1566"]), "{out}");
    assert_eq!(out["procedure_got"], "T1566", "{out}");

    // Links: the cases sharing observables, with what they share.
    assert_eq!(out["links"], json!([{ "title": "Linked B", "linksCount": 1, "with": ["203.0.113.5"] }]), "{out}");
    assert_eq!(out["links_query"], json!(["Linked B"]), "{out}");

    // An alert's procedure becomes its ATT&CK tag (the parts test checks the tag).
    assert_eq!(out["alert_procedure"], "created", "{out}");
    assert_eq!(out["procedures_after_delete"], json!([]), "{out}");
}
