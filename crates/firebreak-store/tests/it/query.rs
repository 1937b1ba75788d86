//! Filters of any shape compiled to SQL: a table of filters and the alerts
//! (and cases) each finds, the same on SQLite and PostgreSQL, and never an
//! alert of another organisation.

use firebreak_store::{AlertStore, CaseStore, QueryStore};
use firebreak_types::query::{CmpOp, Cond, EntityQuery, Field, QueryValue, TextMatch};
use firebreak_types::{Alert, Case, CaseState, Resolution, Severity};
use uuid::Uuid;

use crate::harness::Harness;
use crate::suite::{case, org};

/// Alert `n` of `org`: its title, severity, state and tags; it happened `n`
/// minutes after 09:00.
fn alert(org: Uuid, n: i64, title: &str, severity: &str, tags: &[&str]) -> Alert {
    let at = time::macros::datetime!(2026-03-02 09:00 UTC) + time::Duration::minutes(n);
    let at = at.format(&time::format_description::well_known::Rfc3339).unwrap();
    serde_json::from_value(serde_json::json!({
        "id": Uuid::now_v7(), "org_id": org, "source": if n % 2 == 0 { "edr" } else { "siem" },
        "source_ref": format!("r-{n}"), "type": "external", "title": title, "description": "",
        "severity": severity, "event_time": at, "tags": tags, "tlp": "amber", "pap": "amber", "observables": [],
        "custom_fields": {}, "raw": {}, "state": "new", "occurrences": 1, "first_seen": at, "last_seen": at,
    }))
    .unwrap()
}

fn text(f: Field, v: &str) -> Cond {
    Cond::Cmp(f, CmpOp::Eq, QueryValue::Text(v.into()))
}

fn int(f: Field, op: CmpOp, v: i64) -> Cond {
    Cond::Cmp(f, op, QueryValue::Int(v))
}

fn all(filter: Cond) -> EntityQuery {
    EntityQuery { filter, sort: vec![(Field::EventTime, false)], offset: 0, limit: 100 }
}

pub async fn filters_compile_to_sql_alike_on_both_databases(h: &Harness) {
    let a = org(h, "acme").await;
    let b = org(h, "other").await;
    let ours = vec![
        alert(a, 1, "Phishing mail", "high", &["phishing", "Mail"]),
        alert(a, 2, "Phishing link 100%", "critical", &["phishing"]),
        alert(a, 3, "Brute force", "medium", &["auth"]),
        alert(a, 4, "Malware_on laptop", "high", &["malware"]),
        alert(a, 5, "Port scan", "low", &[]),
    ];
    h.store.ingest_alerts(&h.ctx(1), a, ours, None).await.unwrap();
    h.store.ingest_alerts(&h.ctx(1), b, vec![alert(b, 1, "Phishing mail", "high", &["phishing"])], None).await.unwrap();
    let by_title = |found: Vec<Alert>| found.into_iter().map(|a| a.title).collect::<Vec<_>>();
    let first_id = h.store.query_alerts(a, &all(Cond::All(true))).await.unwrap()[0].id;
    let table: Vec<(&str, Cond, Vec<&str>)> = vec![
        (
            "everything",
            Cond::All(true),
            vec!["Phishing mail", "Phishing link 100%", "Brute force", "Malware_on laptop", "Port scan"],
        ),
        ("nothing", Cond::All(false), vec![]),
        (
            "severity ≥ high",
            int(Field::Severity, CmpOp::Gte, 3),
            vec!["Phishing mail", "Phishing link 100%", "Malware_on laptop"],
        ),
        ("severity < medium", int(Field::Severity, CmpOp::Lt, 2), vec!["Port scan"]),
        (
            "and",
            Cond::And(vec![text(Field::State, "new"), int(Field::Severity, CmpOp::Eq, 3)]),
            vec!["Phishing mail", "Malware_on laptop"],
        ),
        (
            "or",
            Cond::Or(vec![text(Field::Source, "siem"), text(Field::Tags, "malware")]),
            vec!["Phishing mail", "Brute force", "Malware_on laptop", "Port scan"],
        ),
        (
            "not",
            Cond::Not(Box::new(text(Field::Tags, "phishing"))),
            vec!["Brute force", "Malware_on laptop", "Port scan"],
        ),
        ("tag, any case", text(Field::Tags, "mail"), vec!["Phishing mail"]),
        (
            "tag ne",
            Cond::Cmp(Field::Tags, CmpOp::Ne, QueryValue::Text("phishing".into())),
            vec!["Brute force", "Malware_on laptop", "Port scan"],
        ),
        (
            "tags in",
            Cond::In(Field::Tags, vec![QueryValue::Text("auth".into()), QueryValue::Text("malware".into())]),
            vec!["Brute force", "Malware_on laptop"],
        ),
        ("tag starts", Cond::Text(Field::Tags, TextMatch::StartsWith, "mal".into()), vec!["Malware_on laptop"]),
        (
            "any tag",
            Cond::Text(Field::Tags, TextMatch::Wildcard, "*".into()),
            vec!["Phishing mail", "Phishing link 100%", "Brute force", "Malware_on laptop"],
        ),
        (
            "in",
            Cond::In(Field::Severity, vec![QueryValue::Int(1), QueryValue::Int(2)]),
            vec!["Brute force", "Port scan"],
        ),
        ("empty in", Cond::In(Field::Severity, vec![]), vec![]),
        (
            "contains, any case",
            Cond::Text(Field::Title, TextMatch::Contains, "PHISH".into()),
            vec!["Phishing mail", "Phishing link 100%"],
        ),
        ("% is itself", Cond::Text(Field::Title, TextMatch::Contains, "100%".into()), vec!["Phishing link 100%"]),
        ("_ is itself", Cond::Text(Field::Title, TextMatch::Contains, "e_o".into()), vec!["Malware_on laptop"]),
        ("starts", Cond::Text(Field::Title, TextMatch::StartsWith, "port".into()), vec!["Port scan"]),
        ("ends", Cond::Text(Field::Title, TextMatch::EndsWith, "FORCE".into()), vec!["Brute force"]),
        ("wildcard", Cond::Text(Field::Title, TextMatch::Wildcard, "p*l".into()), vec!["Phishing mail"]),
        (
            "between",
            Cond::And(vec![
                int(Field::EventTime, CmpOp::Gte, 1_772_442_120_000),
                int(Field::EventTime, CmpOp::Lt, 1_772_442_240_000),
            ]),
            vec!["Phishing link 100%", "Brute force"],
        ),
        (
            "unset",
            Cond::Cmp(Field::CaseId, CmpOp::Eq, QueryValue::Null),
            vec!["Phishing mail", "Phishing link 100%", "Brute force", "Malware_on laptop", "Port scan"],
        ),
        ("set", Cond::Cmp(Field::Assignee, CmpOp::Ne, QueryValue::Null), vec![]),
        (
            "ne includes unset",
            Cond::Cmp(Field::Rule, CmpOp::Ne, QueryValue::Text("x".into())),
            vec!["Phishing mail", "Phishing link 100%", "Brute force", "Malware_on laptop", "Port scan"],
        ),
        (
            "not of unset",
            Cond::Not(Box::new(text(Field::Rule, "x"))),
            vec!["Phishing mail", "Phishing link 100%", "Brute force", "Malware_on laptop", "Port scan"],
        ),
        ("by id", text(Field::Id, &first_id.to_string()), vec!["Phishing mail"]),
    ];
    for (name, cond, want) in table {
        let got = by_title(h.store.query_alerts(a, &all(cond.clone())).await.unwrap());
        assert_eq!(got, want, "{name}");
        assert_eq!(h.store.count_alerts(a, &cond).await.unwrap(), want.len() as u64, "{name}: count");
    }
    // Sorted and paged in the database.
    let q = EntityQuery {
        filter: Cond::All(true),
        sort: vec![(Field::Severity, true), (Field::EventTime, false)],
        offset: 1,
        limit: 2,
    };
    assert_eq!(by_title(h.store.query_alerts(a, &q).await.unwrap()), ["Phishing mail", "Malware_on laptop"]);
    let q = EntityQuery { filter: Cond::All(true), sort: vec![(Field::Title, false)], offset: 0, limit: 2 };
    assert_eq!(by_title(h.store.query_alerts(a, &q).await.unwrap()), ["Brute force", "Malware_on laptop"]);
    // The other organisation's alert is never found, whatever the filter.
    let theirs = h.store.query_alerts(b, &all(Cond::All(true))).await.unwrap();
    assert_eq!(theirs.len(), 1);
    let by_their_id = text(Field::Id, &theirs[0].id.to_string());
    assert!(
        h.store
            .query_alerts(a, &all(Cond::Or(vec![by_their_id, Cond::All(true)])))
            .await
            .unwrap()
            .iter()
            .all(|x| x.org_id == a)
    );
    // A field of the wrong kind is refused, naming it.
    let err = h.store.query_alerts(a, &all(text(Field::Severity, "high"))).await.unwrap_err();
    assert!(err.to_string().contains("severity"), "{err}");
    let err = h.store.query_alerts(a, &all(int(Field::Number, CmpOp::Eq, 1))).await.unwrap_err();
    assert!(err.to_string().contains("number"), "{err}");

    // Cases: tags by their table, numbers, resolutions.
    let mut c1 = case(a, "Ransom");
    c1.severity = Some(Severity::High);
    let c1 = h.store.create_case(&h.ctx(2), c1).await.unwrap();
    let mut c2 = case(a, "Phish");
    c2.tags = vec!["phishing".into()];
    c2.state = CaseState::Closed;
    c2.resolution = Some(Resolution::FalsePositive);
    let c2 = h.store.create_case(&h.ctx(3), c2).await.unwrap();
    h.store.create_case(&h.ctx(4), case(b, "Theirs")).await.unwrap();
    let titles = |found: Vec<Case>| found.into_iter().map(|c| c.title).collect::<Vec<_>>();
    let cq = |filter| EntityQuery { filter, sort: vec![(Field::Number, false)], offset: 0, limit: 10 };
    for (name, cond, want) in [
        ("all", Cond::All(true), vec!["Ransom", "Phish"]),
        ("tag", text(Field::Tags, "RANSOMWARE"), vec!["Ransom"]),
        ("tag pattern", Cond::Text(Field::Tags, TextMatch::EndsWith, "ing".into()), vec!["Phish"]),
        ("number", int(Field::Number, CmpOp::Eq, c2.number), vec!["Phish"]),
        ("resolution", text(Field::Resolution, "false_positive"), vec!["Phish"]),
        ("unresolved", Cond::Cmp(Field::Resolution, CmpOp::Eq, QueryValue::Null), vec!["Ransom"]),
        ("severity", int(Field::Severity, CmpOp::Eq, 3), vec!["Ransom"]),
        ("id", text(Field::Id, &c1.id.to_string()), vec!["Ransom"]),
    ] {
        assert_eq!(titles(h.store.query_cases(a, &cq(cond.clone())).await.unwrap()), want, "{name}");
        assert_eq!(h.store.count_cases(a, &cond).await.unwrap(), want.len() as u64, "{name}: count");
    }
    let err = h.store.query_cases(a, &cq(text(Field::SourceRef, "x"))).await.unwrap_err();
    assert!(err.to_string().contains("sourceref"), "{err}");
}
