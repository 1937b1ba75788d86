//! The asset inventory, contacts, documents, CSV import and a case's assets.

use firebreak_types::{Asset, AssetWithContacts, Case, Contact, Document, ImportReport, Role};
use serde_json::{Value, json};

use crate::helpers::{code, spawn_app};

#[tokio::test]
async fn assets_carry_owners_and_contacts_onto_cases() {
    let app = spawn_app().await;
    let (_, l2) = app.user(&app.admin, "responder", Role::AnalystL2).await;
    let (_, l1) = app.user(&app.admin, "first-line", Role::AnalystL1).await;
    let dba: Contact = l2
        .post(
            "/api/v1/contacts",
            &json!({ "name": "Dana DBA", "email": "dana@corp.example", "phone": "+33 1 23", "role": "DBA on call" }),
        )
        .await
        .unwrap();
    let bad = l2.post::<_, Value>("/api/v1/contacts", &json!({ "name": "x", "email": "not-an-email" })).await;
    assert_eq!(bad.unwrap_err().body().unwrap().field.as_deref(), Some("email"));
    let db: Asset = l2
        .post(
            "/api/v1/assets",
            &json!({ "kind": "host", "name": "DB01", "address": "10.0.0.7", "owner": "Payments", "criticality": "critical",
                     "contacts": [dba.id] }),
        )
        .await
        .unwrap();
    assert_eq!(
        code(&l1.post::<_, Asset>("/api/v1/assets", &json!({ "kind": "host", "name": "x" })).await),
        "forbidden"
    );
    let dup = l2.post::<_, Value>("/api/v1/assets", &json!({ "kind": "host", "name": "db01" })).await;
    assert_eq!(code(&dup), "conflict");
    for (body, field) in [
        (json!({ "kind": "ip_range", "name": "LAN" }), "address"),
        (json!({ "kind": "ip_range", "name": "LAN", "address": "10.0.0.0/40" }), "address"),
        (json!({ "kind": "host", "name": "H", "address": "10.0.0" }), "address"),
        (json!({ "kind": "host", "name": "H", "contacts": [db.id] }), "contacts[0]"),
    ] {
        let r = l2.post::<_, Value>("/api/v1/assets", &body).await;
        assert_eq!(r.unwrap_err().body().unwrap().field.as_deref(), Some(field), "{body}");
    }

    // CSV import: per-line report, the rest imported.
    let csv = "kind,name,address,owner,business_unit,criticality,location,contacts,tags,description\n\
               host,WS-042,10.2.0.42,Jo,Payroll,high,Lyon,dana@corp.example,laptop,\n\
               host,only-two\n\
               host,DB01,10.0.0.7,Payments,Payments,critical,Paris,DANA@corp.example;Noor Haddad <noor@corp.example>,,\n\
               host,DB02,10.0.0.8,Payments,Payments,critical,Paris,not-an-address,,\n\
               ip_range,Payroll LAN,10.2.0.0/16,Network,Payroll,high,Lyon,,,\n";
    let resp = l2.request(reqwest::Method::POST, "/api/v1/assets/_import").body(csv).send().await.unwrap();
    let report: ImportReport = resp.json().await.unwrap();
    // A contact the file names by e-mail and nobody made yet is made from the file.
    assert_eq!((report.created, report.updated, report.rejected, report.contacts_created), (2, 1, 2, 1));
    let lines: Vec<_> = report.lines.iter().map(|l| (l.line, l.reason.clone().unwrap())).collect();
    assert_eq!(lines[0], (3, "has 2 columns; the header has 10".into()));
    assert!(lines[1].0 == 5 && lines[1].1.contains("not-an-address"), "{lines:?}");
    let people: Vec<Value> = l1.get("/api/v1/contacts").await.unwrap();
    let noor = people.iter().find(|c| c["email"] == "noor@corp.example").expect("made from the file");
    assert_eq!(noor["name"], "Noor Haddad");
    let found: Vec<Asset> = l1.get("/api/v1/assets?q=payroll&kind=ip_range").await.unwrap();
    assert_eq!(found.len(), 1);
    let exported =
        l1.request(reqwest::Method::GET, "/api/v1/assets/_export").send().await.unwrap().text().await.unwrap();
    assert!(exported.contains("host,WS-042,10.2.0.42,Jo,Payroll,high,Lyon,dana@corp.example,laptop,"), "{exported}");

    // A case shows the owners and contacts of its assets.
    let case: Case = l1.post("/api/v1/cases", &json!({ "title": "DB exfiltration" })).await.unwrap();
    let shown: Vec<AssetWithContacts> =
        l1.post(&format!("/api/v1/cases/{}/assets", case.id), &json!({ "asset_id": db.id })).await.unwrap();
    assert_eq!(shown[0].asset.owner, "Payments");
    assert_eq!(shown[0].contact_details[0].phone, "+33 1 23");
    let again = l1.post::<_, Value>(&format!("/api/v1/cases/{}/assets", case.id), &json!({ "asset_id": db.id })).await;
    assert_eq!(code(&again), "conflict");

    // Documents attach to assets.
    let url = format!("/api/v1/documents?title=Network%20diagram&filename=db.svg&asset_id={}", db.id);
    let resp = l2.request(reqwest::Method::POST, &url).body("<svg/>").send().await.unwrap();
    assert_eq!(resp.status(), 201);
    let docs: Vec<Document> = l1.get(&format!("/api/v1/assets/{}/documents", db.id)).await.unwrap();
    assert_eq!((docs[0].title.as_str(), docs[0].size), ("Network diagram", 6));
}

#[tokio::test]
async fn exported_cells_that_a_spreadsheet_would_run_are_shown_as_text() {
    let app = spawn_app().await;
    let (_, l2) = app.user(&app.admin, "responder", Role::AnalystL2).await;
    let name = "=HYPERLINK(\"http://evil\",\"x\")";
    let a: Asset = l2
        .post("/api/v1/assets", &json!({ "kind": "host", "name": name, "owner": "-ops", "location": "@hq" }))
        .await
        .unwrap();
    let exported =
        l2.request(reqwest::Method::GET, "/api/v1/assets/_export").send().await.unwrap().text().await.unwrap();
    assert!(
        exported.contains("host,\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",,'-ops,,medium,'@hq,"),
        "{exported}"
    );

    // The file imported back names the same asset, unchanged.
    let resp = l2.request(reqwest::Method::POST, "/api/v1/assets/_import").body(exported).send().await.unwrap();
    let report: ImportReport = resp.json().await.unwrap();
    assert_eq!((report.created, report.updated, report.rejected), (0, 1, 0), "{:?}", report.lines);
    let again: Asset = l2.get(&format!("/api/v1/assets/{}", a.id)).await.unwrap();
    assert_eq!((again.name.as_str(), again.owner.as_str(), again.location.as_str()), (name, "-ops", "@hq"));
}
