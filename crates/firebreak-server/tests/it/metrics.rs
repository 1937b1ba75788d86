//! Metrics, correct by construction: a scenario driven on a fixed clock
//! (alerts, takes, closes, an escalation, transitions, a pause, response
//! actions, updates, a reopened case, a case still open), and every metric
//! compared with values computed by hand.

use firebreak_types::{Alert, Case, MetricTable, ResponseAction, SentAlert, Team};
use serde_json::{Value, json};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::helpers::{TestApp, code, spawn_app};

const T0: OffsetDateTime = datetime!(2026-03-02 09:00 UTC);
const MARCH: &str = "from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z";
const FEBRUARY: &str = "from=2026-02-01T00:00:00Z&to=2026-03-01T00:00:00Z";

fn rfc(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap()
}

fn at(app: &TestApp, minutes: i64) {
    app.clock.set(T0 + Duration::minutes(minutes));
}

async fn metric(app: &TestApp, name: &str, query: &str) -> MetricTable {
    app.admin.get(&format!("/api/v1/metrics/{name}?{query}")).await.unwrap()
}

/// The first row's values by column name.
fn first(t: &MetricTable, col: &str) -> Value {
    t.value(0, col).cloned().unwrap_or(Value::Null)
}

fn row(t: &MetricTable, key: &str) -> Vec<Value> {
    t.row(key).unwrap_or_else(|| panic!("{} has no row {key}: {:?}", t.metric, t.rows)).to_vec()
}

/// Seeds the scenario; returns the two cases.
pub(crate) async fn scenario(app: &TestApp) -> (Case, Case) {
    let a = &app.admin;
    at(app, 0);
    let alert = |source: &str, sref: &str, rule: &str, sev: &str, event: OffsetDateTime| {
        json!({ "source": source, "source_ref": sref, "type": "detection", "rule": rule, "title": format!("{rule} fired"),
                "severity": sev, "event_time": rfc(event) })
    };
    let send = |body: Value| async move {
        let sent: SentAlert = app.admin.post("/api/v1/alerts", &body).await.unwrap();
        sent.alert.id
    };
    let a1: Uuid = send(alert("edr", "a1", "R1", "high", T0 - Duration::minutes(30))).await;
    let a2 = send(alert("edr", "a2", "R1", "low", T0 - Duration::minutes(10))).await;
    let a3 = send(alert("ids", "a3", "R2", "medium", T0)).await;
    // A repeat is not a new alert.
    send(alert("ids", "a3", "R2", "medium", T0)).await;

    at(app, 5);
    let _: Alert = a.post(&format!("/api/v1/alerts/{}/take", a1), &json!({})).await.unwrap();
    at(app, 10);
    let _: Alert = a
        .post(&format!("/api/v1/alerts/{}/close", a2), &json!({ "disposition": "false_positive", "reason": "test" }))
        .await
        .unwrap();
    at(app, 20);
    let c1: Case = a.post(&format!("/api/v1/alerts/{}/escalate", a1), &json!({})).await.unwrap();
    at(app, 25);
    let _: Alert = a
        .post(&format!("/api/v1/alerts/{}/close", a3), &json!({ "disposition": "duplicate", "reason": "seen" }))
        .await
        .unwrap();

    let base = format!("/api/v1/cases/{}", c1.id);
    let me = a.me().await.unwrap();
    at(app, 30);
    let _: Case = a
        .patch(
            &base,
            &json!({ "assignee_id": me.id, "impact": "high", "urgency": "high", "category": "malware",
                     "first_activity_at": rfc(T0 - Duration::hours(2)) }),
        )
        .await
        .unwrap();
    at(app, 31);
    let to = |state: &str| json!({ "state": state, "reason": "" });
    let _: Case = a.post(&format!("{base}/transition"), &to("analysis")).await.unwrap();
    at(app, 32);
    let team: Team = a.post("/api/v1/teams", &json!({ "name": "IR" })).await.unwrap();
    let _: Value =
        a.post(&format!("{base}/escalations"), &json!({ "team_id": team.id, "reason": "needs IR" })).await.unwrap();
    at(app, 35);
    let comm = |due: OffsetDateTime| {
        json!({ "contact": "CFO", "channel": "email", "direction": "outbound", "summary": "Status",
                "next_update_due": rfc(due) })
    };
    let _: Value = a.post(&format!("{base}/communications"), &comm(T0 + Duration::minutes(95))).await.unwrap();
    at(app, 60);
    let _: Case =
        a.post(&format!("{base}/waiting"), &json!({ "waiting": true, "reason": "the hoster" })).await.unwrap();
    at(app, 90);
    // Answers the first update on time; promises one at 3h30 that never comes.
    let _: Value = a.post(&format!("{base}/communications"), &comm(T0 + Duration::minutes(210))).await.unwrap();
    at(app, 120);
    let _: Case = a.post(&format!("{base}/waiting"), &json!({ "waiting": false })).await.unwrap();
    at(app, 140);
    let _: Case = a.post(&format!("{base}/transition"), &to("containment")).await.unwrap();
    at(app, 180);
    let block: ResponseAction = a
        .post(&format!("{base}/actions"), &json!({ "kind": "block_indicator", "target": "evil.example" }))
        .await
        .unwrap();
    at(app, 190);
    let _: ResponseAction =
        a.patch(&format!("{base}/actions/{}", block.id), &json!({ "status": "failed" })).await.unwrap();
    at(app, 290);
    let iso: ResponseAction =
        a.post(&format!("{base}/actions"), &json!({ "kind": "isolate_host", "target": "ws-1" })).await.unwrap();
    let _: ResponseAction = a.patch(&format!("{base}/actions/{}", iso.id), &json!({ "status": "done" })).await.unwrap();
    at(app, 300);
    let _: Case = a.post(&format!("{base}/transition"), &to("eradication")).await.unwrap();
    at(app, 360);
    let _: Case = a.post(&format!("{base}/transition"), &to("recovery")).await.unwrap();
    at(app, 380);
    let _: Case = a.post(&format!("{base}/transition"), &to("review")).await.unwrap();
    at(app, 440);
    let _: Case = a
        .patch(
            &base,
            &json!({ "resolution": "true_positive", "summary": "Contained.", "review_status": "waived",
                     "review_waiver_reason": "drill" }),
        )
        .await
        .unwrap();
    let _: Case = a.post(&format!("{base}/transition"), &to("closed")).await.unwrap();
    at(app, 500);
    let _: Case =
        a.post(&format!("{base}/transition"), &json!({ "state": "analysis", "reason": "more hosts" })).await.unwrap();
    at(app, 26 * 60 + 20);
    let c1: Case = a.post(&format!("{base}/transition"), &to("closed")).await.unwrap();

    // A case declared by hand at 10:00, never taken.
    at(app, 60);
    let c2: Case = a
        .post("/api/v1/cases", &json!({ "title": "Lost laptop", "impact": "low", "urgency": "low", "severity": "low" }))
        .await
        .unwrap();
    // A rule library of one rule: one technique covered.
    at(app, 61);
    let rule = "title: Encoded PowerShell\nid: 6f1b8f8a-7b8f-4e7e-9a55-0d5c1b0c2a11\nstatus: test\nlevel: high\n\
                tags:\n  - attack.execution\n  - attack.t1059.001\nlogsource:\n  category: process_creation\n  \
                product: windows\ndetection:\n  sel:\n    CommandLine|contains: ' -enc '\n  condition: sel\n";
    let _: Value = a
        .post("/api/v1/rules/_import", &json!({ "files": [{ "name": "r.yml", "content": rule }], "enable": true }))
        .await
        .unwrap();
    app.clock.set(T0 + Duration::days(3));
    (c1, c2)
}

#[tokio::test]
async fn every_metric_matches_the_hand_computed_scenario() {
    let app = spawn_app().await;
    let (c1, c2) = scenario(&app).await;
    assert_eq!(c1.detected_at, Some(T0 - Duration::minutes(30)));
    assert_eq!(c1.source.as_deref(), Some("edr"));
    assert_eq!(c1.recovered_at, Some(T0 + Duration::minutes(380)));

    // Alerts: acknowledged after 5, 10 and 25 minutes; triaged after 20, 10 and 25.
    let t = metric(&app, "alert_time_to_acknowledge", MARCH).await;
    assert_eq!(t.rows, vec![vec![json!(3), json!(800.0), json!(600.0), json!(1500.0)]]);
    let t = metric(&app, "alert_time_to_triage", MARCH).await;
    assert_eq!(t.rows, vec![vec![json!(3), json!(1100.0), json!(1200.0), json!(1500.0)]]);
    let t = metric(&app, "alert_time_to_acknowledge", &format!("{MARCH}&group_by=rule")).await;
    assert_eq!(row(&t, "R1"), vec![json!("R1"), json!(2), json!(450.0), json!(450.0), json!(600.0)]);
    assert_eq!(row(&t, "R2")[1], json!(1));
    let t = metric(&app, "alert_time_to_triage", &format!("{MARCH}&rule=R1")).await;
    assert_eq!(first(&t, "count"), json!(2));

    // Cases: detected 50 minutes after the alert's event; dwell 1h30.
    let t = metric(&app, "time_to_detect", MARCH).await;
    assert_eq!(t.rows, vec![vec![json!(1), json!(3000.0), json!(3000.0), json!(3000.0)]]);
    assert_eq!(first(&metric(&app, "dwell_time", MARCH).await, "median"), json!(5400.0));
    assert_eq!(first(&metric(&app, "time_to_acknowledge", MARCH).await, "mean"), json!(600.0));
    // Contained at 4h50 (the failed block did not count), recovered at 6h20,
    // resolved at the last closing after the reopen: 26h20 - 20m.
    assert_eq!(first(&metric(&app, "time_to_contain", MARCH).await, "median"), json!(16200.0));
    assert_eq!(first(&metric(&app, "time_to_recover", MARCH).await, "median"), json!(21600.0));
    let t = metric(&app, "time_to_resolve", MARCH).await;
    assert_eq!(t.rows, vec![vec![json!(1), json!(93600.0), json!(93600.0), json!(93600.0)]]);
    let t = metric(&app, "time_to_resolve", &format!("{MARCH}&group_by=team")).await;
    assert_eq!(row(&t, "IR")[1], json!(1));
    let t = metric(&app, "time_to_acknowledge", &format!("{MARCH}&group_by=source")).await;
    assert_eq!(row(&t, "edr")[1], json!(1));
    let t = metric(&app, "time_to_detect", &format!("{MARCH}&group_by=day")).await;
    assert_eq!(row(&t, "2026-03-02")[1], json!(1));

    // SLA: C1 is P1 (15m / 4h / 24h); the hour it waited is excluded, so its
    // 4h30 to contain is 3h30 of work (met); resolved after 25h of work
    // (breached by 1h). C2 (P4) was never acknowledged: breached at 10:00 the next day.
    let t = metric(&app, "sla", MARCH).await;
    let rows: Vec<Vec<Value>> = t.rows.iter().map(|r| r[..2].iter().chain(&r[3..]).cloned().collect()).collect();
    assert_eq!(
        rows,
        vec![
            vec![json!("acknowledge"), json!("P1"), json!(1), json!(0), json!(100.0)],
            vec![json!("acknowledge"), json!("P4"), json!(0), json!(1), json!(0.0)],
            vec![json!("contain"), json!("P1"), json!(1), json!(0), json!(100.0)],
            vec![json!("resolve"), json!("P1"), json!(0), json!(1), json!(0.0)],
        ]
    );
    let t = metric(&app, "sla_breaches", MARCH).await;
    assert_eq!(t.rows.len(), 2);
    // Latest first: #1's resolve clock stopped at 11:20 on the 3rd, #2's acknowledge clock passed its target at 10:00.
    assert_eq!(t.rows[1][0], json!(c2.number));
    assert_eq!((t.rows[1][5].clone(), t.rows[1][6].clone()), (json!(71 * 3600), json!(47 * 3600)));
    assert_eq!(t.rows[1][8], json!(true));
    assert_eq!(t.rows[0][0], json!(c1.number));
    assert_eq!((t.rows[0][2].clone(), t.rows[0][6].clone()), (json!("resolve"), json!(3600)));

    // Volume, heatmap, ratio, dispositions, rule noise.
    let t = metric(&app, "alert_volume", MARCH).await;
    assert_eq!(t.rows.len(), 31);
    assert_eq!(row(&t, "2026-03-02")[1], json!(3));
    let t = metric(&app, "alert_volume", &format!("{MARCH}&group_by=source")).await;
    assert_eq!(t.rows, vec![vec![json!("edr"), json!(2)], vec![json!("ids"), json!(1)]]);
    let t = metric(&app, "alert_heatmap", MARCH).await;
    assert_eq!(t.rows.len(), 7 * 24);
    let total: i64 = t.rows.iter().map(|r| r[2].as_i64().unwrap()).sum();
    assert_eq!(total, 3);
    assert_eq!(t.rows[9], vec![json!("Mon"), json!(9), json!(3)]);
    let t = metric(&app, "alert_to_case", MARCH).await;
    assert_eq!(t.rows, vec![vec![json!(3), json!(2), json!(1.5), json!(1)]]);
    let t = metric(&app, "dispositions", MARCH).await;
    assert_eq!(
        t.rows,
        vec![
            vec![json!("false_positive"), json!(1)],
            vec![json!("benign_true_positive"), json!(0)],
            vec![json!("duplicate"), json!(1)],
            vec![json!("escalated"), json!(1)],
        ]
    );
    let t = metric(&app, "rule_noise", MARCH).await;
    assert_eq!(t.rows[0], vec![json!("R1"), json!(2), json!(1), json!(1), json!(50.0)]);
    assert_eq!(t.rows[1], vec![json!("R2"), json!(1), json!(0), json!(0), Value::Null]);

    // Backlog, volume of cases, actions, updates, coverage.
    let t = metric(&app, "backlog", "").await;
    assert_eq!(row(&t, "new")[1], json!(1));
    assert_eq!(row(&t, "analysis")[1], json!(0));
    let t = metric(&app, "backlog", "group_by=age").await;
    assert_eq!(row(&t, "1-7 days")[1], json!(1));
    let t = metric(&app, "case_volume", &format!("{MARCH}&group_by=priority")).await;
    assert_eq!(t.rows, vec![vec![json!("P1"), json!(1)], vec![json!("P4"), json!(1)]]);
    let t = metric(&app, "response_actions", MARCH).await;
    assert_eq!(row(&t, "isolate_host")[t.column("done").unwrap()], json!(1));
    assert_eq!(row(&t, "block_indicator")[t.column("failed").unwrap()], json!(1));
    let t = metric(&app, "update_cadence", MARCH).await;
    assert_eq!(t.rows, vec![vec![json!(2), json!(1), json!(1), json!(50.0)]]);
    let t = metric(&app, "coverage", MARCH).await;
    assert_eq!(t.rows, vec![vec![json!("2026-03-02"), json!(1)]]);

    // An empty period: zero counts and nulls, never NaN.
    let t = metric(&app, "time_to_resolve", FEBRUARY).await;
    assert_eq!(t.rows, vec![vec![json!(0), Value::Null, Value::Null, Value::Null]]);
    assert_eq!(metric(&app, "alert_to_case", FEBRUARY).await.rows[0][2], Value::Null);
    assert_eq!(metric(&app, "update_cadence", FEBRUARY).await.rows[0][3], Value::Null);
    assert!(metric(&app, "sla", FEBRUARY).await.rows.is_empty());
    let t = metric(&app, "coverage", FEBRUARY).await;
    assert!(t.rows.is_empty());

    // Another organisation sees none of it.
    let other = app.tenant("Elsewhere").await;
    for name in ["alert_to_case", "time_to_resolve", "sla", "rule_noise", "update_cadence"] {
        let t: MetricTable = other.admin.get(&format!("/api/v1/metrics/{name}?{MARCH}")).await.unwrap();
        let numbers: Vec<&Value> = t.rows.iter().flatten().filter(|v| v.as_f64().is_some_and(|n| n > 0.0)).collect();
        assert!(numbers.is_empty(), "{name} leaks: {:?}", t.rows);
    }
}

#[tokio::test]
async fn bad_metric_requests_name_the_field() {
    let app = spawn_app().await;
    let r = app
        .admin
        .get::<Value>("/api/v1/metrics/time_to_resolve?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z")
        .await;
    assert_eq!(code(&r), "invalid_field");
    assert_eq!(r.unwrap_err().body().unwrap().field.as_deref(), Some("from"));
    let r = app.admin.get::<Value>("/api/v1/metrics/time_to_resolve?group_by=colour").await;
    let body = r.unwrap_err().body().unwrap().clone();
    assert_eq!(body.field.as_deref(), Some("group_by"));
    assert!(body.message.contains("severity, priority, category"), "{}", body.message);
    let r = app.admin.get::<Value>("/api/v1/metrics/happiness").await;
    assert_eq!(code(&r), "not_found");
    let r = app.admin.get::<Value>("/api/v1/metrics/sla?format=xml").await;
    assert_eq!(r.unwrap_err().body().unwrap().field.as_deref(), Some("format"));

    // The catalogue, and CSV for every table.
    let all: Vec<firebreak_types::MetricInfo> = app.admin.get("/api/v1/metrics").await.unwrap();
    assert!(all.iter().any(|m| m.name == "time_to_contain" && m.definition.contains("containment action")));
    let csv = reqwest::Client::new()
        .get(format!("{}/api/v1/metrics/alert_time_to_triage?format=csv", app.base_url))
        .basic_auth("admin", Some(crate::helpers::ADMIN_PASSWORD))
        .send()
        .await
        .unwrap();
    assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert_eq!(csv.text().await.unwrap(), "count,mean,median,p90\r\n0,,,\r\n");

    // One definition, shown on the docs page and in the OpenAPI document.
    let docs = reqwest::get(format!("{}/api/docs", app.base_url)).await.unwrap().text().await.unwrap();
    assert!(docs.contains("id=\"metric-time_to_contain\""));
    let doc: Value = app.admin.get("/api/v1/openapi.json").await.unwrap();
    let tag = doc["tags"].as_array().unwrap().iter().find(|t| t["name"] == "metrics").unwrap();
    assert!(tag["description"].as_str().unwrap().contains("`dwell_time` (Dwell time)"));
}

#[tokio::test]
async fn the_report_of_a_seeded_month_has_the_scenarios_figures() {
    let app = spawn_app().await;
    let (c1, _) = scenario(&app).await;
    let from = datetime!(2026-03-01 00:00 UTC);
    let to = datetime!(2026-04-01 00:00 UTC);
    let report = firebreak_server::report::build(&app.state, app.root_org, from, to).await.unwrap();
    let figure = |label: &str| report.headlines.iter().find(|h| h.label == label).unwrap().clone();
    assert_eq!(figure("Alerts received").now, Some(3.0));
    assert_eq!(figure("Alerts received").before, Some(0.0));
    assert_eq!(figure("Cases declared").now, Some(2.0));
    assert_eq!(figure("Median time to acknowledge an alert").now, Some(600.0));
    assert_eq!(figure("Median time to contain").now, Some(16200.0));
    assert_eq!(figure("Median time to resolve").now, Some(93600.0));
    assert_eq!(figure("Median time to resolve").before, None);
    // Two clocks met (acknowledge and contain of #1), two breached.
    assert_eq!(figure("SLA attainment").now, Some(50.0));
    // One false positive, one escalation.
    assert_eq!(figure("False-positive rate").now, Some(50.0));
    assert_eq!(report.notable.len(), 1);
    assert_eq!((report.notable[0].number, report.notable[0].summary.as_str()), (c1.number, "Contained."));
    assert_eq!((report.coverage_start, report.coverage_end), (Some(0), Some(1)));
    assert_eq!(report.noisy.rows[0][0], json!("R1"));

    let html = firebreak_server::report::html(&report);
    assert!(html.contains("2026-03-01 to 2026-03-31"), "the period is named");
    assert!(html.contains("<td class=\"num\">4h 30m</td>"), "time to contain as people read it");
    assert!(html.contains("<td class=\"num\">50.0%</td>"));
    assert_eq!(html.matches("<svg class=\"chart").count(), 4, "four figures drawn");
    assert!(!html.contains("NaN") && !html.contains(">inf"));
    let csv = firebreak_server::report::csv(&report);
    assert!(csv.contains("Median time to resolve,93600,,seconds"), "{csv}");

    // A month with nothing: dashes and messages, never NaN.
    let empty = firebreak_server::report::build(
        &app.state,
        app.root_org,
        datetime!(2025-01-01 00:00 UTC),
        datetime!(2025-02-01 00:00 UTC),
    )
    .await
    .unwrap();
    let html = firebreak_server::report::html(&empty);
    assert!(html.contains("No incident was closed in this period."));
    assert!(!html.contains("NaN"));
}

#[tokio::test]
async fn sla_clocks_of_cases_that_never_waited_are_counted_the_same_way() {
    let app = spawn_app().await;
    let a = &app.admin;
    let me = a.me().await.unwrap();
    // Two P2 cases (acknowledge within 1h): one taken after 30 minutes, one after 2 hours.
    let mut numbers = Vec::new();
    for (i, minutes) in [30, 120].into_iter().enumerate() {
        at(&app, i as i64);
        let c: Case = a
            .post("/api/v1/cases", &json!({ "title": format!("Case {i}"), "impact": "high", "urgency": "medium" }))
            .await
            .unwrap();
        at(&app, i as i64 + minutes);
        let _: Case = a.patch(&format!("/api/v1/cases/{}", c.id), &json!({ "assignee_id": me.id })).await.unwrap();
        numbers.push(c.number);
    }
    app.clock.set(T0 + Duration::hours(3));
    let day = "from=2026-03-02T00:00:00Z&to=2026-03-03T00:00:00Z";
    let t = metric(&app, "sla", day).await;
    assert_eq!(
        row(&t, "acknowledge"),
        vec![json!("acknowledge"), json!("P2"), json!(3600), json!(1), json!(1), json!(50.0)]
    );
    let t = metric(&app, "sla_breaches", day).await;
    assert_eq!(t.rows.len(), 1);
    let b = &t.rows[0];
    assert_eq!(
        (b[0].clone(), b[2].clone(), b[5].clone(), b[6].clone()),
        (json!(numbers[1]), json!("acknowledge"), json!(7200), json!(3600))
    );
    assert_eq!(b[8], json!(false));
    // The same clocks, waited on for a moment, are read one by one: same figures.
    let c: Case =
        a.post("/api/v1/cases", &json!({ "title": "Waited", "impact": "high", "urgency": "medium" })).await.unwrap();
    let _: Case =
        a.post(&format!("/api/v1/cases/{}/waiting", c.id), &json!({ "waiting": true, "reason": "x" })).await.unwrap();
    let _: Case = a.post(&format!("/api/v1/cases/{}/waiting", c.id), &json!({ "waiting": false })).await.unwrap();
    app.clock.set(T0 + Duration::hours(3) + Duration::minutes(30));
    let _: Case = a.patch(&format!("/api/v1/cases/{}", c.id), &json!({ "assignee_id": me.id })).await.unwrap();
    app.clock.set(T0 + Duration::hours(5));
    let t = metric(&app, "sla", day).await;
    assert_eq!(row(&t, "acknowledge")[3..5], [json!(2), json!(1)]);
}

#[tokio::test]
async fn the_databases_median_and_p90_are_the_domains() {
    let app = spawn_app().await;
    // Acknowledge delays in seconds: several in one minute, ties, a p90 past a week.
    let delays: [i64; 23] = [
        5, 17, 59, 60, 61, 61, 119, 3600, 3601, 7200, 15, 45, 30, 30, 90, 95, 100, 180, 181, 182, 691_200, 777_600,
        864_000,
    ];
    at(&app, 0);
    let mut ids = Vec::new();
    for i in 0..delays.len() {
        let body = json!({ "source": "edr", "source_ref": format!("r{i}"), "title": "x", "severity": "low" });
        let sent: SentAlert = app.admin.post("/api/v1/alerts", &body).await.unwrap();
        ids.push(sent.alert.id);
    }
    let mut order: Vec<usize> = (0..delays.len()).collect();
    order.sort_by_key(|i| delays[*i]);
    for i in order {
        app.clock.set(T0 + Duration::seconds(delays[i]));
        let _: Value = app.admin.post(&format!("/api/v1/alerts/{}/take", ids[i]), &json!({})).await.unwrap();
    }
    // The same statistics as the domain computes (the mean to a millionth of a
    // second: JSON numbers are read back to the nearest float, not always exactly).
    let same = |row: &[Value], want: firebreak_domain::metrics::Stats| {
        assert_eq!(row[0], json!(want.count));
        assert!((row[1].as_f64().unwrap() - want.mean.unwrap()).abs() < 1e-6, "{row:?} {want:?}");
        assert_eq!((row[2].as_f64(), row[3].as_f64()), (want.median, want.p90));
    };
    let expected = firebreak_domain::metrics::Stats::of(&mut delays.map(|d| d * 1000));
    same(&metric(&app, "alert_time_to_acknowledge", MARCH).await.rows[0], expected);
    let t = metric(&app, "alert_time_to_acknowledge", &format!("{MARCH}&group_by=source")).await;
    same(&t.rows[0][1..], expected);
    // Another count, from a period that leaves out the first take (5 s).
    let later = "from=2026-03-02T09:00:06Z&to=2026-04-01T00:00:00Z";
    let expected = firebreak_domain::metrics::Stats::of(&mut delays[1..].iter().map(|d| d * 1000).collect::<Vec<_>>());
    same(&metric(&app, "alert_time_to_acknowledge", later).await.rows[0], expected);
}

#[tokio::test]
async fn the_report_prints_to_pdf_where_chromium_is_installed() {
    let app = spawn_app().await;
    let from = datetime!(2026-03-01 00:00 UTC);
    let report =
        firebreak_server::report::build(&app.state, app.root_org, from, from + Duration::days(31)).await.unwrap();
    let out = app.data_dir.join("report.pdf");
    match firebreak_server::report::chromium() {
        Some(_) => {
            firebreak_server::report::pdf(&firebreak_server::report::html(&report), &out).unwrap();
            assert!(std::fs::read(&out).unwrap().starts_with(b"%PDF"));
        }
        None => {
            let e = firebreak_server::report::pdf("<p>x</p>", &out).unwrap_err();
            assert!(e.contains("not installed"), "{e}");
        }
    }
}
