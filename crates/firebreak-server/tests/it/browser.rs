//! The web pages in headless Chromium, driven through chromedriver: sign in,
//! create a user, create an API key and use it, sign out. Runs when
//! `chromedriver` is on the PATH; says so when skipped. Screenshots land in
//! `target/screenshots/` for CI to keep. Every walk ends by asking Chromium
//! for the Content-Security-Policy violations it saw: there must be none.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use axum::http::Method;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use firebreak_types::Page;
use serde_json::{Value, json};

use crate::helpers::{ADMIN_PASSWORD, spawn_app};

fn chromedriver() -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| PathBuf::from(dir).join("chromedriver"))
        .find(|p| p.is_file())
}

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn browser() -> Option<(Driver, Client)> {
    let Some(path) = chromedriver() else {
        eprintln!("skipped: chromedriver not on PATH (Debian: apt-get install chromium chromium-driver)");
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child =
        Command::new(path).arg(format!("--port={port}")).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let driver = Driver(child);
    let profile = tempfile::tempdir().unwrap().keep();
    let mut options = json!({
        "args": [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", "--window-size=1400,900", format!("--user-data-dir={}", profile.display()),
        ]
    });
    if std::path::Path::new("/usr/bin/chromium").is_file() {
        options["binary"] = json!("/usr/bin/chromium");
    }
    let mut caps = serde_json::Map::new();
    caps.insert("goog:chromeOptions".into(), options);
    // The console, where Chromium reports what the page's policy refused.
    caps.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        if let Ok(c) = ClientBuilder::new(connector).capabilities(caps.clone()).connect(&url).await {
            return Some((driver, c));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not start");
}

/// chromedriver's console log of the session, emptied as it is read.
#[derive(Debug)]
struct ConsoleLog;

impl WebDriverCompatibleCommand for ConsoleLog {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (Method, Option<String>) {
        (Method::POST, Some(json!({ "type": "browser" }).to_string()))
    }
}

/// The Content-Security-Policy violations the console reported since the last look.
async fn policy_violations(c: &Client) -> Vec<String> {
    let log = c.issue_cmd(ConsoleLog).await.unwrap();
    log.as_array()
        .into_iter()
        .flatten()
        .filter_map(|entry| entry["message"].as_str())
        .filter(|m| m.contains("Content Security Policy") || m.contains("Content-Security-Policy"))
        .map(str::to_owned)
        .collect()
}

/// Ends a walk: no page the browser showed broke the policy.
async fn assert_no_policy_violation(c: &Client) {
    let seen = policy_violations(c).await;
    assert!(seen.is_empty(), "the pages broke their Content-Security-Policy: {seen:#?}");
}

async fn screenshot(c: &Client, name: &str) {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/screenshots"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), c.screenshot().await.unwrap()).unwrap();
}

async fn fill(c: &Client, css: &str, value: &str) {
    c.find(Locator::Css(css)).await.unwrap().send_keys(value).await.unwrap();
}

/// Opens a tab of the case page and waits until its panel shows.
async fn open_tab(c: &Client, name: &str) {
    // A page that redraws itself (a live refresh, a reload after a state
    // change) can replace the tab between finding and clicking it: try again.
    let mut clicked = false;
    for _ in 0..50 {
        // Scrolled to the middle first: the top bar stays over the page's top.
        let scrolled = c
            .execute(&format!("var t = document.getElementById('tab-{name}'); if (t) t.scrollIntoView({{ block: 'center' }}); return !!t;"), vec![])
            .await;
        if matches!(scrolled, Ok(ref v) if *v == json!(true))
            && let Ok(tab) = c.find(Locator::Css(&format!("#tab-{name}"))).await
            && tab.click().await.is_ok()
        {
            clicked = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(clicked, "the {name} tab could not be clicked");
    for _ in 0..50 {
        let shown = c
            .execute(&format!("var p = document.getElementById('panel-{name}'); return !!p && !p.hidden;"), vec![])
            .await
            .unwrap();
        if shown == json!(true) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the {name} tab never opened");
}

#[tokio::test]
async fn sign_in_create_a_user_and_a_key_then_sign_out() {
    let Some((_driver, c)) = browser().await else { return };
    let app = spawn_app().await;
    let base = &app.base_url;

    c.goto(&format!("{base}/admin/users")).await.unwrap();
    assert!(c.current_url().await.unwrap().path().starts_with("/login"), "pages need a session");
    // The check sees a violation when there is one: an inline script, refused.
    c.execute("var s = document.createElement('script'); s.textContent = '1'; document.head.appendChild(s)", vec![])
        .await
        .unwrap();
    let seen = policy_violations(&c).await;
    assert!(seen.iter().any(|m| m.contains("script-src")), "inline script is refused and reported: {seen:?}");
    fill(&c, "#username", "admin").await;
    fill(&c, "#password", ADMIN_PASSWORD).await;
    click(&c, "#sign-in").await;
    c.wait().for_element(Locator::Css("#new-user")).await.unwrap();
    assert_eq!(c.current_url().await.unwrap().path(), "/admin/users", "back where the user wanted to go");

    fill(&c, "#new-user input[name=username]", "casey").await;
    fill(&c, "#new-user input[name=display_name]", "Casey Analyst").await;
    fill(&c, "#new-user input[name=password]", "a long enough passphrase").await;
    click(&c, "#new-user button[type=submit]").await;
    c.wait().for_element(Locator::Css("tr[data-username=casey]")).await.unwrap();
    let flash = c.find(Locator::Css(".flash.ok")).await.unwrap().text().await.unwrap();
    assert!(flash.contains("casey"), "{flash}");
    screenshot(&c, "admin-users-light.png").await;
    c.execute("document.documentElement.dataset.theme = 'dark'", vec![]).await.unwrap();
    screenshot(&c, "admin-users-dark.png").await;

    c.goto(&format!("{base}/admin/api-keys")).await.unwrap();
    fill(&c, "#new-key input[name=name]", "wazuh").await;
    click(&c, "#new-key button[type=submit]").await;
    let secret = c.wait().for_element(Locator::Css("#secret")).await.unwrap().text().await.unwrap();
    assert!(secret.starts_with("fbk_"), "{secret}");
    screenshot(&c, "admin-api-keys.png").await;
    let me = app.anonymous().bearer(secret.clone()).me().await.unwrap();
    assert_eq!(me.name, "wazuh");
    c.goto(&format!("{base}/admin/api-keys")).await.unwrap();
    let page = c.source().await.unwrap();
    assert!(!page.contains(&secret), "the secret is shown once");

    // Revoking asks first; declined, nothing happens.
    let revoke = "//tr[td/strong[text()='wazuh']]//button[contains(@class, 'danger')]";
    c.find(Locator::XPath(revoke)).await.unwrap().click().await.unwrap();
    assert_eq!(c.get_alert_text().await.unwrap(), "Revoke wazuh? It stops working at once.");
    c.dismiss_alert().await.unwrap();
    assert_eq!(app.anonymous().bearer(secret.clone()).me().await.unwrap().name, "wazuh");
    c.find(Locator::XPath(revoke)).await.unwrap().click().await.unwrap();
    c.accept_alert().await.unwrap();
    wait_text(&c, ".flash.ok", "revoked").await;
    assert!(app.anonymous().bearer(secret.clone()).me().await.is_err(), "revoked");

    c.goto(&format!("{base}/audit?verify=1")).await.unwrap();
    let verified = c.find(Locator::Css(".flash.ok")).await.unwrap().text().await.unwrap();
    assert!(verified.contains("Chain intact"), "{verified}");
    screenshot(&c, "audit.png").await;

    // The organisation switcher acts as soon as another is chosen.
    let acme = app.tenant("Acme").await;
    c.goto(&format!("{base}/cases")).await.unwrap();
    select(&c, "#org", &acme.org.id.to_string()).await;
    let chosen = format!("#org option[value='{}'][selected]", acme.org.id);
    c.wait().for_element(Locator::Css(&chosen)).await.unwrap();

    click(&c, "#logout").await;
    c.wait().for_element(Locator::Css("#sign-in")).await.unwrap();
    c.goto(&format!("{base}/admin/users")).await.unwrap();
    assert!(c.current_url().await.unwrap().path().starts_with("/login"), "signed out");
    assert_no_policy_violation(&c).await;
    c.close().await.unwrap();
}

/// Waits until the element's text contains `want`, polling (the page redraws
/// itself after each change).
async fn wait_text(c: &Client, css: &str, want: &str) -> String {
    let mut last = String::new();
    for _ in 0..100 {
        if let Ok(el) = c.find(Locator::Css(css)).await {
            last = el.text().await.unwrap_or_default();
            if last.contains(want) {
                return last;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css} never showed {want:?}; last: {last:?}");
}

/// Chooses an option, again if a redraw replaced the element meanwhile.
async fn select(c: &Client, css: &str, value: &str) {
    for _ in 0..20 {
        if let Ok(el) = c.find(Locator::Css(css)).await
            && el.select_by_value(value).await.is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("could not choose {value} in {css}");
}

/// Lets the redraws that follow a change finish.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(600)).await;
}

async fn submit(c: &Client, form: &str) {
    click(c, &format!("{form} button[type=submit]")).await;
}

/// Clicks what `css` finds, again if a redraw replaced it between finding
/// and clicking (a live refresh, a list drawn anew after a change).
async fn click(c: &Client, css: &str) {
    let mut last = String::new();
    for _ in 0..50 {
        match c.find(Locator::Css(css)).await {
            Ok(el) => match el.click().await {
                Ok(()) => return,
                Err(e) => last = e.to_string(),
            },
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("could not click {css}: {last}");
}

/// HTML5 drag and drop, as the page's script sees it.
async fn drag(c: &Client, case_id: &str, to: &str) {
    let script = format!(
        "var card = document.querySelector('.card[data-id=\"{case_id}\"]');\
         var col = document.querySelector('.column[data-state=\"{to}\"]');\
         var dt = new DataTransfer();\
         card.dispatchEvent(new DragEvent('dragstart', {{ dataTransfer: dt, bubbles: true }}));\
         col.dispatchEvent(new DragEvent('drop', {{ dataTransfer: dt, bubbles: true, cancelable: true }}));"
    );
    c.execute(&script, vec![]).await.unwrap();
}

#[tokio::test]
async fn a_case_from_a_template_goes_from_board_to_closed_and_shows_a_sighting() {
    let Some((_driver, c)) = browser().await else { return };
    let app = spawn_app().await;
    let base = &app.base_url;
    // An earlier case saw the same address.
    let earlier: firebreak_types::Case =
        app.admin.post("/api/v1/cases", &json!({ "title": "Earlier phish" })).await.unwrap();
    let _: serde_json::Value = app
        .admin
        .post(&format!("/api/v1/cases/{}/observables", earlier.id), &json!({ "type": "ip", "value": "198.51.100.23" }))
        .await
        .unwrap();

    sign_in_at(&c, base, "/cases/new", "#new-case").await;
    let templates: Vec<firebreak_types::CaseTemplate> = app.admin.get("/api/v1/templates").await.unwrap();
    c.find(Locator::Css("#template")).await.unwrap().select_by_value(&templates[0].id.to_string()).await.unwrap();
    fill(&c, "#title", "Invoice lure to payroll").await;
    submit(&c, "#new-case").await;
    c.wait().for_element(Locator::Css("#tasks")).await.unwrap();
    let case_id = c.current_url().await.unwrap().path().trim_start_matches("/cases/").to_owned();
    assert_eq!(c.find_all(Locator::Css("#tasks li")).await.unwrap().len(), templates[0].tasks.len());

    // An observable typed defanged shows where else it was seen.
    open_tab(&c, "observables").await;
    fill(&c, "#add-observable input[name=value]", "198.51.100[.]23").await;
    submit(&c, "#add-observable").await;
    wait_text(&c, "#observables .sightings", &format!("#{}", earlier.number)).await;

    // On the board, a move the rules refuse says why.
    c.goto(&format!("{base}/cases/board")).await.unwrap();
    c.wait().for_element(Locator::Css(&format!(".card[data-id=\"{case_id}\"]"))).await.unwrap();
    drag(&c, &case_id, "analysis").await;
    let refusal = wait_text(&c, "#toast", "assignee").await;
    assert!(refusal.contains("cannot move to analysis"), "{refusal}");
    // Assigned (by someone else, through the API): the board shows it without a reload.
    let admin_id = app.admin.me().await.unwrap().id;
    let _: firebreak_types::Case =
        app.admin.patch(&format!("/api/v1/cases/{case_id}"), &json!({ "assignee_id": admin_id })).await.unwrap();
    wait_text(&c, &format!(".card[data-id=\"{case_id}\"]"), "admin").await;
    drag(&c, &case_id, "analysis").await;
    wait_text(&c, ".column[data-state=analysis]", "Invoice lure").await;
    drag(&c, &case_id, "containment").await;
    wait_text(&c, ".column[data-state=containment]", "Invoice lure").await;
    screenshot(&c, "case-board.png").await;

    // On the case page: through the phases, a refused close, the review, closed.
    let _: serde_json::Value = app
        .admin
        .post(
            &format!("/api/v1/cases/{case_id}/timeline"),
            &json!({ "at": "2026-03-02T08:10:00Z", "description": "Lure delivered", "technique": "T1566.002" }),
        )
        .await
        .unwrap();
    c.goto(&format!("{base}/cases/{case_id}")).await.unwrap();
    for target in ["eradication", "recovery", "review"] {
        select(&c, "#target", target).await;
        submit(&c, "#transition").await;
        wait_text(&c, "#case-state", target).await;
        settle().await;
    }
    select(&c, "#edit-case select[name=resolution]", "true_positive").await;
    fill(&c, "#edit-case input[name=summary]", "Payroll clerk's mailbox cleaned; no credentials entered.").await;
    submit(&c, "#edit-case").await;
    settle().await;
    select(&c, "#target", "closed").await;
    submit(&c, "#transition").await;
    let refused = wait_text(&c, "#transition-error", "review").await;
    assert!(refused.contains("review"), "{refused}");
    settle().await;
    open_tab(&c, "review").await;
    fill(&c, "#review-form textarea[name=summary]", "A lure got through the gateway.").await;
    fill(&c, "#review-form textarea[name=root_cause]", "Gateway allowed a new lookalike domain.").await;
    fill(&c, "#review-form textarea[name=to_improve]", "Quarantine first-seen domains.").await;
    click(&c, "#review-form input[name=complete]").await;
    submit(&c, "#review-form").await;
    wait_text(&c, "#review", "completed").await;
    settle().await;
    open_tab(&c, "summary").await;
    select(&c, "#target", "closed").await;
    submit(&c, "#transition").await;
    wait_text(&c, "#case-state", "closed").await;
    assert!(c.find(Locator::Css("svg.killchain .kc-col.hit")).await.is_ok(), "the tactic's column is marked");
    assert!(c.find_all(Locator::Css("svg.killchain .kc-entry")).await.unwrap().len() >= 5, "the timeline is drawn");
    open_tab(&c, "timeline").await;
    c.execute("document.getElementById('timeline').scrollIntoView()", vec![]).await.unwrap();
    screenshot(&c, "case-page.png").await;
    open_tab(&c, "summary").await;
    c.execute("window.scrollTo(0, 0)", vec![]).await.unwrap();
    screenshot(&c, "case-page-top.png").await;
    assert_no_policy_violation(&c).await;
    c.close().await.unwrap();
}

#[tokio::test]
async fn an_alert_appears_in_the_open_queue_and_is_escalated_to_the_board() {
    let Some((_driver, c)) = browser().await else { return };
    let app = spawn_app().await;
    let base = &app.base_url;
    sign_in_at(&c, base, "/alerts", "#alert-count").await;
    // Wait for the live channel, then send an alert through the API.
    wait_text(&c, "#live", "live").await;
    for _ in 0..50 {
        if c.find(Locator::Css("#live.on")).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let sent = std::time::Instant::now();
    let item: firebreak_types::SentAlert = app
        .admin
        .post(
            "/api/v1/alerts",
            &json!({ "source": "edr", "source_ref": "e-1", "title": "Mimikatz on ws-042", "severity": "critical",
                     "observables": [{ "type": "hostname", "value": "ws-042" }] }),
        )
        .await
        .unwrap();
    wait_text(&c, "#queue", "Mimikatz on ws-042").await;
    assert!(sent.elapsed() < Duration::from_secs(2), "shown within a second or so: {:?}", sent.elapsed());
    screenshot(&c, "alert-queue.png").await;

    // A second alert on the same host: one story; the analyst closes it as a
    // false positive with a reason.
    let noise: firebreak_types::SentAlert = app
        .admin
        .post(
            "/api/v1/alerts",
            &json!({ "source": "edr", "source_ref": "e-2", "title": "Admin tool on ws-042", "severity": "low",
                     "observables": [{ "type": "hostname", "value": "ws-042" }] }),
        )
        .await
        .unwrap();
    c.goto(&format!("{base}/alerts/{}", noise.alert.id)).await.unwrap();
    wait_text(&c, "#alert-story", "Mimikatz on ws-042").await;
    fill(&c, "#close input[name=reason]", "the helpdesk's remote tool").await;
    submit(&c, "#close").await;
    wait_text(&c, "#alert-state", "closed").await;

    let id = item.alert.id;
    c.goto(&format!("{base}/alerts/{id}")).await.unwrap();
    submit(&c, "#take").await;
    wait_text(&c, "#alert-state", "in_triage").await;
    settle().await;
    submit(&c, "#escalate").await;
    c.wait().for_element(Locator::Css("#tasks")).await.unwrap();
    let case_path = c.current_url().await.unwrap().path().to_owned();
    c.goto(&format!("{base}/cases/board")).await.unwrap();
    wait_text(&c, ".column[data-state=new]", "Mimikatz on ws-042").await;
    assert!(case_path.starts_with("/cases/"));
    assert_no_policy_violation(&c).await;
    c.close().await.unwrap();
}

#[tokio::test]
async fn rules_uploaded_as_a_zip_cover_the_matrix_a_disabled_one_leaves_it_and_an_exception_is_added() {
    let Some((_driver, c)) = browser().await else { return };
    let app = spawn_app().await;
    let base = &app.base_url;
    let certutil = crate::detect::WHOAMI
        .replace("Whoami Execution", "Certutil Download")
        .replace("0a01", "0a02")
        .replace("attack.t1033", "attack.t1105")
        .replace("whoami.exe", "certutil.exe");
    // The rules arrive as a zip archive uploaded on the rule list, with one
    // file that is no rule.
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("rules.zip");
    let zip = crate::detect::zip_of(&[
        ("windows/whoami.yml", crate::detect::WHOAMI.as_bytes()),
        ("windows/certutil.yml", certutil.as_bytes()),
        ("broken.yml", b"title: [unclosed"),
    ]);
    std::fs::write(&archive, zip).unwrap();
    sign_in_at(&c, base, "/detection", "#rule-upload").await;
    let input = c.find(Locator::Css("#rule-upload input[type=file]")).await.unwrap();
    input.send_keys(archive.to_str().unwrap()).await.unwrap();
    click(&c, "#rule-upload input[name=enable]").await;
    click(&c, "#rule-upload button[type=submit]").await;
    wait_text(&c, "#rule-upload .report", "2 created, 0 updated, 0 unchanged, 1 refused").await;
    wait_text(&c, "#rule-upload .report", "rules.zip/broken.yml:").await;
    wait_text(&c, "#rules", "Certutil Download").await;

    c.goto(&format!("{base}/detection/coverage")).await.unwrap();
    c.wait().for_element(Locator::Css("#matrix")).await.unwrap();
    let rules_of = |t: &'static str| {
        let c = c.clone();
        async move {
            let el = c.find(Locator::Css(&format!("#matrix a.cell[data-technique='{t}']"))).await.unwrap();
            el.attr("data-rules").await.unwrap().unwrap_or_default()
        }
    };
    assert_eq!(rules_of("T1033").await, "1");
    assert_eq!(rules_of("T1105").await, "1");
    wait_text(&c, "#summary", "2 of").await;
    // Neither rule has a test yet: their cells are outlined, not filled.
    let cell = c.find(Locator::Css("#matrix a.cell[data-technique='T1105']")).await.unwrap();
    assert_eq!(cell.attr("data-tested").await.unwrap().as_deref(), Some("0"));
    assert!(cell.attr("class").await.unwrap().unwrap_or_default().contains("cov-untested"));

    // Disable the whoami rule from the rule list.
    c.goto(&format!("{base}/detection?q=whoami")).await.unwrap();
    submit(&c, "#rules form.toggle").await;
    wait_text(&c, "#rules", "Off").await;
    c.goto(&format!("{base}/detection/coverage")).await.unwrap();
    c.wait().for_element(Locator::Css("#matrix")).await.unwrap();
    assert_eq!(rules_of("T1033").await, "0", "the disabled rule no longer covers its technique");
    wait_text(&c, "#summary", "1 of").await;
    screenshot(&c, "coverage-matrix.png").await;

    // The certutil rule fires once; its page charts the hit.
    let ev = crate::detect::sysmon("C:\\Windows\\certutil.exe", "ws-5");
    let m: firebreak_types::EventBulkResult = app.admin.post("/api/v1/events/_bulk", &json!([ev])).await.unwrap();
    assert_eq!(m.alerts_created, 1);

    // Tune the other rule on its page: not on the jump host.
    c.goto(&format!("{base}/detection?q=certutil")).await.unwrap();
    click(&c, "#rules a").await;
    c.wait().for_element(Locator::Css("#exception")).await.unwrap();
    let bars = c.find_all(Locator::Css("#hits-chart rect.hbar")).await.unwrap();
    assert_eq!(bars.len(), 30, "one bar a day");
    let mut tall = 0;
    for b in bars {
        if b.attr("height").await.unwrap().is_some_and(|h| h != "0") {
            tall += 1;
        }
    }
    assert_eq!(tall, 1, "one day with hits");
    fill(&c, "#exception input[name=field]", "Computer").await;
    fill(&c, "#exception textarea[name=values]", "jump-01\njump-02").await;
    fill(&c, "#exception input[name=reason]", "admins download tools there").await;
    click(&c, "#preview-button").await;
    wait_text(&c, "#preview", "0 of the rule's last 1 alerts would have been suppressed").await;
    click(&c, "#exception button.primary").await;
    wait_text(&c, "#exceptions", "jump-02").await;
    screenshot(&c, "rule-exception.png").await;
    let rule: Page<Value> = app.admin.get("/api/v1/rules?q=certutil").await.unwrap();
    let id = rule.items[0]["id"].as_str().unwrap().to_owned();
    let list: Vec<Value> = app.admin.get(&format!("/api/v1/rules/{id}/exceptions")).await.unwrap();
    assert_eq!(list[0]["values"], json!(["jump-01", "jump-02"]));
    assert_no_policy_violation(&c).await;
    c.close().await.unwrap();
}

/// How many elements match `css` once the page has them (polling: live redraws replace them).
async fn count(c: &Client, css: &str) -> usize {
    c.find_all(Locator::Css(css)).await.map(|v| v.len()).unwrap_or(0)
}

#[tokio::test]
async fn every_dashboard_draws_its_charts_and_the_report_prints() {
    let Some((_driver, c)) = browser().await else { return };
    let app = spawn_app().await;
    let base = &app.base_url;
    crate::metrics::scenario(&app).await;
    // The dashboards' default period: the 30 whole UTC days ending today.
    let now = firebreak_domain::clock::Clock::now(app.clock.as_ref());
    let rfc = |t: time::OffsetDateTime| t.format(&time::format_description::well_known::Rfc3339).unwrap();
    let tomorrow = (now.date() + time::Duration::days(1)).midnight().assume_utc();
    let period = format!("from={}&to={}", rfc(tomorrow - time::Duration::days(30)), rfc(tomorrow));
    let rows = |metric: &'static str, group: &'static str| {
        let (admin, period) = (app.admin.clone(), period.clone());
        async move {
            let t: firebreak_types::MetricTable =
                admin.get(&format!("/api/v1/metrics/{metric}?{period}&group_by={group}")).await.unwrap();
            t.rows.len()
        }
    };

    sign_in_at(&c, base, "/dashboards", ".dash-grid").await;
    assert_eq!(c.current_url().await.unwrap().path(), "/dashboards/incident", "an admin starts on incidents");

    for d in firebreak_app::dashboards::DASHBOARDS {
        c.goto(&format!("{base}/dashboards/{}", d.slug)).await.unwrap();
        c.wait().for_element(Locator::Css(".dash-grid")).await.unwrap();
        assert_eq!(count(&c, ".dash-panel").await, d.panels.len(), "{}: one section a panel", d.slug);
        let page = c.source().await.unwrap();
        assert!(!page.contains("NaN") && !page.contains("Could not compute"), "{}", d.slug);
        screenshot(&c, &format!("dashboard-{}.png", d.slug)).await;
    }

    // The counts each chart must draw, against the API's tables.
    c.goto(&format!("{base}/dashboards/soc")).await.unwrap();
    c.wait().for_element(Locator::Css(".dash-grid")).await.unwrap();
    let days = rows("alert_volume", "day").await;
    assert_eq!(days, 30, "30 days are 30 dates");
    assert_eq!(count(&c, "[data-metric=alert_volume] svg.series rect.datum").await, days);
    assert_eq!(count(&c, "[data-metric=alert_heatmap] svg.heatmap rect.heat").await, 7 * 24);
    assert_eq!(count(&c, "[data-metric=sla] figure.gauge").await, 4, "acknowledge P1 and P4, contain, resolve");
    assert_eq!(count(&c, "[data-metric=dispositions] svg.bars rect.datum").await, 4);
    assert_eq!(count(&c, "[data-metric=backlog] svg.bars rect.datum").await, 6, "one bar per open phase");
    assert_eq!(count(&c, "[data-metric=alert_time_to_triage] .tile").await, 4);
    wait_text(&c, "[data-metric=alert_time_to_acknowledge] [data-stat=median]", "10m 00s").await;

    c.goto(&format!("{base}/dashboards/incident")).await.unwrap();
    c.wait().for_element(Locator::Css(".dash-grid")).await.unwrap();
    assert_eq!(count(&c, "[data-metric=backlog][data-group=age] svg.bars rect.datum").await, 4);
    assert_eq!(count(&c, "[data-metric=sla_breaches] tbody tr").await, 2);
    assert_eq!(count(&c, "[data-metric=update_cadence] figure.gauge").await, 1);
    wait_text(&c, "[data-metric=update_cadence]", "50%").await;

    c.goto(&format!("{base}/dashboards/detection")).await.unwrap();
    c.wait().for_element(Locator::Css(".dash-grid")).await.unwrap();
    assert_eq!(count(&c, "[data-metric=rule_noise] tbody tr").await, 2);
    assert_eq!(count(&c, "[data-metric=alert_volume][data-group=rule] svg.bars rect.datum").await, 2);
    assert_eq!(count(&c, "[data-metric=coverage] svg.series rect.datum").await, rows("coverage", "").await);

    // The executive view redraws itself when a case is declared.
    c.goto(&format!("{base}/dashboards/executive")).await.unwrap();
    c.wait().for_element(Locator::Css(".dash-grid")).await.unwrap();
    let bars = "[data-metric=case_volume][data-group=severity] svg.bars rect.datum";
    assert_eq!(count(&c, bars).await, 2, "high and low");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _: firebreak_types::Case = app
        .admin
        .post(
            "/api/v1/cases",
            &json!({ "title": "Wire fraud", "impact": "high", "urgency": "high", "severity": "critical" }),
        )
        .await
        .unwrap();
    // Periods end (exclusive) at now: let the fixed clock pass the new case.
    app.clock.advance(time::Duration::minutes(1));
    let mut seen = 0;
    for _ in 0..100 {
        seen = count(&c, bars).await;
        if seen == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(seen, 3, "the new case's severity appears without a reload");

    // A period with no data: messages, not empty drawings.
    c.goto(&format!("{base}/dashboards/soc?from=2025-01-01&to=2025-01-31")).await.unwrap();
    c.wait().for_element(Locator::Css(".dash-grid")).await.unwrap();
    wait_text(&c, "[data-metric=alert_heatmap]", "No alerts in this period.").await;
    assert_eq!(count(&c, "svg.series").await, 0);
    c.goto(&format!("{base}/dashboards/soc?from=2025-02-01&to=2025-01-01")).await.unwrap();
    wait_text(&c, ".flash", "start is after its end").await;

    // The report of March, for print.
    c.goto(&format!("{base}/reports?from=2026-03-01&to=2026-03-31")).await.unwrap();
    c.wait().for_element(Locator::Css("#report-html")).await.unwrap();
    c.goto(&format!("{base}/reports/view?from=2026-03-01&to=2026-03-31")).await.unwrap();
    wait_text(&c, "#headline", "SLA attainment").await;
    assert_eq!(count(&c, "figure svg.chart").await, 4);
    screenshot(&c, "report.png").await;
    assert_no_policy_violation(&c).await;
    c.close().await.unwrap();
}

/// Markdown that tries to run script from a link, in every spelling the
/// renderer must refuse, with a relative link that must keep working.
const SCRIPT_LINKS: &str = "Runbook links: [upper](JAVASCRIPT:alert('upper')) [tab](java&#9;script:alert('tab')) \
[entity](&#106;avascript:alert('entity')) [percent](%6Aavascript:alert('percent')) \
[spaced](<  javascript:alert('spaced')>) [vb](vbscript:alert('vb')) [data](data:text/html,alert('data')) \
<javascript:alert('auto')> [reference][x] ![image](javascript:alert('image')) [home](/) \
<a href=\"javascript:alert('raw')\">raw</a> <img src=x onerror=\"alert('img')\">\n\n\
[x]: JaVaScRiPt:alert('reference')\n";

/// Opens every folded log and every tab panel, so that each link shows.
const UNFOLD: &str = "document.querySelectorAll('details').forEach(function (d) { d.open = true; });\
    document.querySelectorAll('[role=tabpanel]').forEach(function (p) { p.hidden = false; });";

/// Opens `path`, checks that every link of the page leads to http, https or
/// mailto, then clicks each link that `links` finds (the page opened afresh
/// each time) and sees no dialog and no page but Firebreak's.
async fn click_every_link(c: &Client, base: &str, path: &str, shown_in: &str, links: &str) -> usize {
    let open = || async {
        c.goto(&format!("{base}{path}")).await.unwrap();
        wait_text(c, shown_in, "Runbook links").await;
        // Task logs are folded away and tabs hidden; a folded link cannot be clicked.
        c.execute(UNFOLD, vec![]).await.unwrap();
    };
    open().await;
    let odd = c
        .execute(
            "return Array.from(document.querySelectorAll('a[href]'))\
               .filter(function (a) { return !/^(https?|mailto):$/.test(a.protocol); })\
               .map(function (a) { return a.getAttribute('href'); });",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(odd, json!([]), "{path}: links that are not http, https or mailto");
    let count = c.find_all(Locator::Css(links)).await.unwrap().len();
    for i in 0..count {
        open().await;
        let link = c.find_all(Locator::Css(links)).await.unwrap().remove(i);
        let href = link.attr("href").await.unwrap().unwrap_or_default();
        link.click().await.unwrap();
        tokio::time::sleep(Duration::from_millis(250)).await;
        if let Ok(text) = c.get_alert_text().await {
            panic!("{path}: the link to {href:?} opened a dialog: {text}");
        }
        let now = c.current_url().await.unwrap();
        assert_eq!(now.origin().ascii_serialization(), base, "{path}: the link to {href:?} left for {now}");
    }
    count
}

#[tokio::test]
async fn links_in_what_people_and_sources_write_run_no_script_when_clicked() {
    let Some((_driver, c)) = browser().await else { return };
    let app = spawn_app().await;
    let base = &app.base_url;
    let admin = &app.admin;
    // An alert (its description as a source sends it) with a comment.
    let alert: firebreak_types::SentAlert = admin
        .post(
            "/api/v1/alerts",
            &json!({ "source": "wazuh", "source_ref": "w-1", "title": "Links in a log line", "severity": "high",
                     "description": SCRIPT_LINKS }),
        )
        .await
        .unwrap();
    let alert_id = alert.alert.id;
    let _: Value =
        admin.post(&format!("/api/v1/alerts/{alert_id}/comments"), &json!({ "body": SCRIPT_LINKS })).await.unwrap();
    // A case with a task log, a stakeholder update and a review.
    let case: firebreak_types::Case =
        admin.post("/api/v1/cases", &json!({ "title": "Links in a case", "description": SCRIPT_LINKS })).await.unwrap();
    let cases = format!("/api/v1/cases/{}", case.id);
    let task: Value = admin.post(&format!("{cases}/tasks"), &json!({ "title": "Read the runbook" })).await.unwrap();
    let task_id = task["id"].as_str().unwrap();
    let _: Value = admin.post(&format!("{cases}/tasks/{task_id}/log"), &json!({ "body": SCRIPT_LINKS })).await.unwrap();
    let _: Value = admin
        .post(
            &format!("{cases}/communications"),
            &json!({ "contact": "CISO", "channel": "update", "direction": "outbound", "audience": "executive",
                     "summary": SCRIPT_LINKS }),
        )
        .await
        .unwrap();
    let _: Value = admin
        .put(
            &format!("{cases}/review"),
            &json!({ "summary": SCRIPT_LINKS, "root_cause": SCRIPT_LINKS, "went_well": SCRIPT_LINKS,
                     "to_improve": SCRIPT_LINKS }),
        )
        .await
        .unwrap();
    // A rule whose description carries the links.
    let rule = crate::detect::WHOAMI.replace(
        "description: Discovery of the current user.",
        "description: \"Runbook links: [upper](JAVASCRIPT:alert(1)) [vb](vbscript:alert(2)) <javascript:alert(3)> [home](/)\"",
    );
    let _: Value = admin
        .post("/api/v1/rules/_import", &json!({ "files": [{ "name": "whoami.yml", "content": rule }], "enable": true }))
        .await
        .unwrap();
    let rules: Page<Value> = admin.get("/api/v1/rules?q=whoami").await.unwrap();
    let rule_id = rules.items[0]["id"].as_str().unwrap().to_owned();

    sign_in_at(&c, base, "/login", "#logout").await;

    // Each page: where the text shows, and the links in what was written.
    let alert_page = format!("/alerts/{alert_id}");
    let clicked = click_every_link(&c, base, &alert_page, ".markdown", ".markdown a").await;
    assert_eq!(clicked, 4, "the percent-encoded path and the home link, in the description and the comment");
    let case_page = format!("/cases/{}", case.id);
    let written = "#summary .markdown a, #tasks .markdown a, #communications td a, #review a";
    let clicked = click_every_link(&c, base, &case_page, "#summary .markdown", written).await;
    assert_eq!(clicked, 6, "the description, the task log and the sent update; the review is plain text");
    // The text itself shows where it was written (the last click left the page).
    c.goto(&format!("{base}{case_page}")).await.unwrap();
    c.execute(UNFOLD, vec![]).await.unwrap();
    wait_text(&c, "#tasks .markdown", "Runbook links").await;
    wait_text(&c, "#communications", "Runbook links").await;
    let review = c.find(Locator::Css("#review-form textarea[name=root_cause]")).await.unwrap();
    assert!(
        review.prop("value").await.unwrap().unwrap_or_default().starts_with("Runbook links"),
        "the review, to edit"
    );
    let rule_page = format!("/detection/rules/{rule_id}");
    let clicked = click_every_link(&c, base, &rule_page, ".rule-split", ".rule-split > div > p a").await;
    assert_eq!(clicked, 0, "a rule's description is plain text");
    screenshot(&c, "script-links.png").await;
    assert_no_policy_violation(&c).await;
    c.close().await.unwrap();
}

#[tokio::test]
async fn a_contact_added_on_the_assets_page_shows_at_once_and_the_form_empties() {
    let Some((_driver, c)) = browser().await else { return };
    let app = spawn_app().await;
    let base = &app.base_url;
    sign_in_at(&c, base, "/assets", "#add-contact").await;
    fill(&c, "#add-contact input[name=name]", "Dana DBA").await;
    fill(&c, "#add-contact input[name=email]", "dana@corp.example").await;
    submit(&c, "#add-contact").await;
    wait_text(&c, "#contacts", "dana@corp.example").await;
    let left = c.find(Locator::Css("#add-contact input[name=name]")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(left.as_deref(), Some(""), "the form is ready for the next contact");
    screenshot(&c, "assets-contacts.png").await;
    assert_no_policy_violation(&c).await;
}

#[tokio::test]
async fn a_hunt_hit_on_the_timeline_stays_in_its_column_and_the_kill_chain_is_readable() {
    let Some((_driver, c)) = browser().await else { return };
    let app = spawn_app().await;
    let base = &app.base_url;
    let case: firebreak_types::Case = app.admin.post("/api/v1/cases", &json!({ "title": "Hunt hits" })).await.unwrap();
    // As a hunt writes a hit: the summary, then the matched event as JSON, one long line.
    let event = json!({ "Event": { "System": { "EventID": 1, "Computer": "WS1" }, "EventData": {
        "Image": "C:\\Users\\bob\\AppData\\Local\\Temp\\m.exe",
        "CommandLine": format!("m.exe {}", "sekurlsa::logonpasswords".repeat(20)),
        "Hashes": "SHA256=".to_owned() + &"ab".repeat(32) } } });
    let _: serde_json::Value = app
        .admin
        .post(
            &format!("/api/v1/cases/{}/timeline", case.id),
            &json!({ "at": "2026-11-02T10:00:00Z", "technique": "T1003.001",
                     "description": format!("Mimikatz (high) on WS1 — a.evtx record 7: {event}") }),
        )
        .await
        .unwrap();
    sign_in_at(&c, base, &format!("/cases/{}", case.id), "#timeline").await;
    open_tab(&c, "timeline").await;
    let geometry = c
        .execute(
            "var col = document.querySelector('#timeline').getBoundingClientRect();\
             var rows = Array.prototype.map.call(document.querySelectorAll('#timeline tr'), \
               function (r) { return r.getBoundingClientRect().right; });\
             var label = document.querySelector('.kc-col text').getBoundingClientRect();\
             return { right: col.right, rows: rows, label: label.height,\
               fields: document.querySelectorAll('#timeline dl.event-fields dt').length };",
            vec![],
        )
        .await
        .unwrap();
    let right = geometry["right"].as_f64().unwrap();
    let rows: Vec<f64> = geometry["rows"].as_array().unwrap().iter().filter_map(serde_json::Value::as_f64).collect();
    assert!(!rows.is_empty() && rows.iter().all(|r| *r <= right + 0.5), "rows run past the column: {geometry}");
    assert!(geometry["label"].as_f64().unwrap() >= 11.0, "kill chain labels are readable: {geometry}");
    assert!(geometry["fields"].as_u64().unwrap() >= 2, "the event reads as fields: {geometry}");
    screenshot(&c, "case-timeline-hunt-hit.png").await;
    assert_no_policy_violation(&c).await;
}

#[tokio::test]
async fn webhooks_sla_targets_and_grouping_are_set_on_the_settings_page() {
    let Some((_driver, c)) = browser().await else { return };
    let app = spawn_app().await;
    let base = &app.base_url;
    sign_in_at(&c, base, "/admin/settings", "#new-webhook").await;
    // A webhook: its secret shown once, then listed with its delivery log a click away.
    fill(&c, "#new-webhook input[name=name]", "chat").await;
    fill(&c, "#new-webhook input[name=url]", "https://hooks.example.org/firebreak").await;
    click(&c, "#new-webhook input[value='case.created']").await;
    submit(&c, "#new-webhook").await;
    wait_text(&c, "#new-webhook .report", "shown this once").await;
    wait_text(&c, "#webhooks", "hooks.example.org").await;
    let hooks: Vec<firebreak_types::Webhook> = app.admin.get("/api/v1/webhooks").await.unwrap();
    assert_eq!((hooks.len(), hooks[0].events.clone()), (1, vec!["case.created".to_owned()]));
    // SLA: P1 acknowledged within 10 minutes.
    let ack = c.find(Locator::Css("#sla-form input[name='P1.acknowledge']")).await.unwrap();
    ack.clear().await.unwrap();
    ack.send_keys("10").await.unwrap();
    submit(&c, "#sla-form").await;
    settle().await;
    let policy: firebreak_types::SlaPolicy = app.admin.get("/api/v1/sla-policy").await.unwrap();
    assert_eq!(policy.p1.acknowledge, 600);
    // Grouping: a shorter window and one more value that never joins.
    let window = c.find(Locator::Css("#grouping-form input[name=window_minutes]")).await.unwrap();
    window.clear().await.unwrap();
    window.send_keys("30").await.unwrap();
    fill(&c, "#grouping-form textarea[name=ignore]", "\n10.0.0.1").await;
    submit(&c, "#grouping-form").await;
    settle().await;
    let grouping: firebreak_types::GroupingSettings = app.admin.get("/api/v1/grouping-settings").await.unwrap();
    assert_eq!(grouping.window_minutes, 30);
    assert!(grouping.ignore.contains(&"10.0.0.1".to_owned()) && grouping.ignore.contains(&"root".to_owned()));
    c.goto(&format!("{base}/admin/settings?webhook={}", hooks[0].id)).await.unwrap();
    wait_text(&c, "#deliveries", "Delivery log: chat").await;
    screenshot(&c, "settings.png").await;
    c.execute("document.documentElement.dataset.theme = 'dark'", vec![]).await.unwrap();
    screenshot(&c, "settings-dark.png").await;
    assert_no_policy_violation(&c).await;
}

#[tokio::test]
async fn an_alert_is_merged_into_an_open_case_picked_on_its_page() {
    let Some((_driver, c)) = browser().await else { return };
    let app = spawn_app().await;
    let base = &app.base_url;
    let case: firebreak_types::Case =
        app.admin.post("/api/v1/cases", &json!({ "title": "Beaconing from ws-9" })).await.unwrap();
    let _: serde_json::Value = app
        .admin
        .post(&format!("/api/v1/cases/{}/observables", case.id), &json!({ "type": "hostname", "value": "ws-9" }))
        .await
        .unwrap();
    let _: firebreak_types::Case = app.admin.post("/api/v1/cases", &json!({ "title": "Unrelated" })).await.unwrap();
    let sent: firebreak_types::SentAlert = app
        .admin
        .post(
            "/api/v1/alerts",
            &json!({ "source": "edr", "source_ref": "m-1", "title": "Beacon again", "severity": "critical",
                     "observables": [{ "type": "hostname", "value": "ws-9" }] }),
        )
        .await
        .unwrap();
    sign_in_at(&c, base, &format!("/alerts/{}", sent.alert.id), "#into-case").await;
    // The case that saw the alert's host comes first, and says so.
    let first = c.find(Locator::Css("#into-case option:nth-child(2)")).await.unwrap().text().await.unwrap();
    assert!(first.contains("Beaconing from ws-9") && first.contains("shares an observable"), "{first}");
    // A critical alert proposes a high impact and urgency for a new case.
    let impact = c.find(Locator::Css("#escalate select[name=impact]")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(impact.as_deref(), Some("high"));
    select(&c, "#into-case", &case.id.to_string()).await;
    screenshot(&c, "alert-merge-picker.png").await;
    submit(&c, "#escalate").await;
    c.wait().for_element(Locator::Css("#timeline")).await.unwrap();
    assert_eq!(c.current_url().await.unwrap().path(), format!("/cases/{}", case.id));
    let merged: firebreak_types::Alert = app.admin.get(&format!("/api/v1/alerts/{}", sent.alert.id)).await.unwrap();
    assert_eq!(merged.case_id, Some(case.id));
    assert_no_policy_violation(&c).await;
}

#[tokio::test]
async fn a_threat_profile_is_made_from_an_attack_group_on_the_coverage_page() {
    let Some((_driver, c)) = browser().await else { return };
    let app = spawn_app().await;
    let base = &app.base_url;
    sign_in_at(&c, base, "/detection/coverage", "#new-profile").await;
    fill(&c, "#new-profile input[name=name]", "APT29 watch").await;
    select(&c, "#new-profile select[name=group]", "G0016").await;
    fill(&c, "#new-profile textarea[name=techniques]", "T1486").await;
    submit(&c, "#new-profile").await;
    // The matrix opens on the new profile, its uncovered techniques listed.
    wait_text(&c, "#summary", "APT29 watch").await;
    let profiles: Vec<firebreak_types::ThreatProfile> = app.admin.get("/api/v1/threat-profiles").await.unwrap();
    assert_eq!(profiles.len(), 1);
    assert!(profiles[0].techniques.len() > 10 && profiles[0].techniques.contains(&"T1486".to_owned()));
    assert!(count(&c, "#uncovered li").await > 10);
    screenshot(&c, "coverage-profile.png").await;
    assert_no_policy_violation(&c).await;
}

/// The tabs of the case page, in order, as the server names them.
const CASE_TABS: [&str; 10] = [
    "summary",
    "alerts",
    "tasks",
    "observables",
    "timeline",
    "evidence",
    "communications",
    "response",
    "review",
    "history",
];

/// Which tab panels show, by name.
async fn shown_panels(c: &Client) -> Value {
    c.execute(
        "return Array.prototype.filter.call(document.querySelectorAll('[role=tabpanel]'), \
           function (p) { return !p.hidden && p.getBoundingClientRect().height > 0; }) \
           .map(function (p) { return p.id.replace('panel-', ''); });",
        vec![],
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn the_case_page_opens_by_tab_lists_its_alerts_and_a_closed_case_is_read_only() {
    let Some((_driver, c)) = browser().await else { return };
    let app = spawn_app().await;
    let base = &app.base_url;
    let admin = &app.admin;
    // Three alerts share an address; two are escalated into one case, the third stays in the queue.
    let mk = |n: u32, sev: &str| {
        json!({ "source": "suricata", "source_ref": format!("s-{n}"), "title": format!("Beacon to C2 #{n}"),
                "severity": sev, "rule": "ET MALWARE Beacon",
                "observables": [ { "type": "ip", "value": "203.0.113.77" }, { "type": "hostname", "value": format!("ws-{n}") } ] })
    };
    let batch: firebreak_types::BulkResult =
        admin.post("/api/v1/alerts/_bulk", &json!([mk(1, "high"), mk(2, "medium"), mk(3, "low")])).await.unwrap();
    let ids: Vec<_> = batch.items.iter().map(|i| i.id.unwrap()).collect();
    let case: firebreak_types::Case =
        admin.post(&format!("/api/v1/alerts/{}/escalate", ids[0]), &json!({})).await.unwrap();
    let _: firebreak_types::Case =
        admin.post(&format!("/api/v1/alerts/{}/escalate", ids[1]), &json!({ "case_id": case.id })).await.unwrap();
    let of_case: Page<firebreak_types::Alert> =
        admin.get(&format!("/api/v1/alerts?case_id={}", case.id)).await.unwrap();
    assert_eq!(of_case.items.len(), 2, "the API lists a case's alerts");

    sign_in_at(&c, base, "/login", "#logout").await;
    let page = format!("{base}/cases/{}", case.id);
    c.goto(&page).await.unwrap();
    c.wait().for_element(Locator::Css("#case-tabs")).await.unwrap();
    assert_eq!(shown_panels(&c).await, json!(["summary"]), "the summary opens first");
    let first = c.find(Locator::Css("#target option")).await.unwrap();
    assert_eq!(first.attr("value").await.unwrap().as_deref(), Some(""), "no phase is chosen beforehand");
    // Each tab opens its panel alone, and the address keeps it.
    for name in CASE_TABS {
        open_tab(&c, name).await;
        assert_eq!(shown_panels(&c).await, json!([name]), "the {name} tab");
        assert_eq!(c.current_url().await.unwrap().fragment(), Some(name));
        let selected = c.find(Locator::Css("[role=tab][aria-selected=true]")).await.unwrap();
        assert_eq!(selected.attr("id").await.unwrap(), Some(format!("tab-{name}")));
    }
    // Arrow keys move between tabs; the last wraps to the first.
    c.find(Locator::Css("#tab-history")).await.unwrap().send_keys("\u{E014}").await.unwrap();
    assert_eq!(shown_panels(&c).await, json!(["summary"]), "right arrow from the last tab");
    c.active_element().await.unwrap().send_keys("\u{E014}").await.unwrap();
    assert_eq!(shown_panels(&c).await, json!(["alerts"]), "right arrow");
    // A link to the tab opens it on a fresh load, and without the script: ?tab= is drawn open by the server.
    c.goto(&format!("{page}#evidence")).await.unwrap();
    c.wait().for_element(Locator::Css("#case-tabs")).await.unwrap();
    assert_eq!(shown_panels(&c).await, json!(["evidence"]));
    c.goto(&format!("{page}?tab=review")).await.unwrap();
    c.wait().for_element(Locator::Css("#case-tabs")).await.unwrap();
    assert_eq!(shown_panels(&c).await, json!(["review"]), "the server draws the tab of ?tab= open");

    // The case's alerts: the two escalated into it, linked; the third, seen with its address.
    c.goto(&format!("{page}#alerts")).await.unwrap();
    let rows = wait_text(&c, "#case-alerts", "Beacon to C2 #2").await;
    let timing = c
        .execute(
            "var n = performance.getEntriesByType('navigation')[0];\
             return { first_byte: n.responseStart - n.requestStart, loaded: n.loadEventEnd - n.startTime };",
            vec![],
        )
        .await
        .unwrap();
    eprintln!("case page (debug build): {timing}");
    assert!(
        rows.contains("Beacon to C2 #1") && rows.contains("ET MALWARE Beacon") && rows.contains("suricata"),
        "{rows}"
    );
    assert!(!rows.contains("#3"), "{rows}");
    let links = c.find_all(Locator::Css("#case-alerts a[href^='/alerts/']")).await.unwrap();
    assert_eq!(links.len(), 2);
    let related = wait_text(&c, "#related-alerts", "Beacon to C2 #3").await;
    assert!(!related.contains("#1"), "the case's own alerts are not listed again: {related}");
    assert!(c.find(Locator::Css("#tab-alerts .count")).await.unwrap().text().await.unwrap() == "2");
    c.execute("window.scrollTo(0, 0)", vec![]).await.unwrap();
    screenshot(&c, "case-alerts-light.png").await;
    c.execute("document.documentElement.dataset.theme = 'dark'", vec![]).await.unwrap();
    screenshot(&c, "case-alerts-dark.png").await;
    c.execute("document.documentElement.dataset.theme = 'light'", vec![]).await.unwrap();
    open_tab(&c, "observables").await;
    let seen = wait_text(&c, "#observables", "1 alert").await;
    assert!(seen.contains("203.0.113.77"), "{seen}");

    // Closed: read-only until reopened.
    let admin_id = admin.me().await.unwrap().id;
    let api = format!("/api/v1/cases/{}", case.id);
    let _: firebreak_types::Case = admin
        .patch(
            &api,
            &json!({ "assignee_id": admin_id, "category": "malware", "resolution": "true_positive",
                     "summary": "Beacon blocked.", "review_status": "waived", "review_waiver_reason": "drill" }),
        )
        .await
        .unwrap();
    for to in ["analysis", "closed"] {
        let _: firebreak_types::Case =
            admin.post(&format!("{api}/transition"), &json!({ "state": to, "reason": "" })).await.unwrap();
    }
    c.goto(&page).await.unwrap();
    wait_text(&c, "#read-only", "read-only until it is reopened").await;
    let forms = c
        .execute("return Array.prototype.map.call(document.querySelectorAll('form[data-api]'), function (f) { return f.id; });", vec![])
        .await
        .unwrap();
    assert_eq!(forms, json!(["reopen"]), "only the reopen form is left on a closed case");
    screenshot(&c, "case-closed-light.png").await;
    c.execute("document.documentElement.dataset.theme = 'dark'", vec![]).await.unwrap();
    screenshot(&c, "case-closed-dark.png").await;
    c.execute("document.documentElement.dataset.theme = 'light'", vec![]).await.unwrap();
    fill(&c, "#reopen input[name=reason]", "the beacon came back").await;
    submit(&c, "#reopen").await;
    wait_text(&c, "#case-state", "analysis").await;
    settle().await;
    assert!(c.find(Locator::Css("#edit-case")).await.is_ok(), "reopened, the case can be changed again");
    assert!(c.find(Locator::Css("#read-only")).await.is_err());
    assert_no_policy_violation(&c).await;
    c.close().await.unwrap();
}

/// Signs in on the page `path` leads to and waits for `ready`.
async fn sign_in_at(c: &Client, base: &str, path: &str, ready: &str) {
    c.goto(&format!("{base}{path}")).await.unwrap();
    fill(c, "#username", "admin").await;
    fill(c, "#password", ADMIN_PASSWORD).await;
    click(c, "#sign-in").await;
    c.wait().for_element(Locator::Css(ready)).await.unwrap();
}

/// Screenshots in the light theme and the dark one, then back to light.
async fn both_themes(c: &Client, name: &str) {
    c.execute("document.documentElement.dataset.theme = 'light'", vec![]).await.unwrap();
    screenshot(c, &format!("{name}-light.png")).await;
    c.execute("document.documentElement.dataset.theme = 'dark'", vec![]).await.unwrap();
    screenshot(c, &format!("{name}-dark.png")).await;
    c.execute("document.documentElement.dataset.theme = 'light'", vec![]).await.unwrap();
}

/// The ids of the queue's rows on the page shown.
async fn queue_ids(c: &Client) -> Vec<String> {
    let v = c
        .execute("return Array.from(document.querySelectorAll('#queue tbody tr')).map(r => r.dataset.id)", vec![])
        .await
        .unwrap();
    serde_json::from_value(v).unwrap()
}

#[tokio::test]
async fn a_queue_of_a_thousand_alerts_is_paged_deep_and_a_selection_closed_in_bulk() {
    let Some((_driver, c)) = browser().await else { return };
    let app = spawn_app().await;
    let base = &app.base_url;
    let _: Value = app
        .admin
        .post("/api/v1/assets", &json!({ "kind": "host", "name": "ws-042", "criticality": "critical" }))
        .await
        .unwrap();
    let sev = ["low", "medium", "high", "critical"];
    let batch: Vec<Value> = (0..1000)
        .map(|i: usize| {
            json!({ "source": if i.is_multiple_of(2) { "wazuh" } else { "edr" }, "source_ref": format!("q-{i}"),
                    "title": format!("Queue alert {i}"), "severity": sev[i % 4], "rule": format!("R-{}", i % 7) })
        })
        .collect();
    let r: firebreak_types::BulkResult = app.admin.post("/api/v1/alerts/_bulk", &batch).await.unwrap();
    assert_eq!(r.created, 1000);
    // A medium alert on the critical host ranks above every high one.
    let _: firebreak_types::SentAlert = app
        .admin
        .post(
            "/api/v1/alerts",
            &json!({ "source": "edr", "source_ref": "on-042", "title": "Odd service on ws-042", "severity": "medium",
                     "observables": [{ "type": "hostname", "value": "ws-042" }] }),
        )
        .await
        .unwrap();

    sign_in_at(&c, base, "/alerts", "#queue").await;
    wait_text(&c, "#alert-count", "1–100 of 1001 new").await;
    let why = c.find(Locator::Css("#queue tr:has(a[href]) .rank[title*='ws-042']")).await.unwrap();
    assert_eq!(
        why.attr("title").await.unwrap().as_deref(),
        Some("Rank 4: medium severity (2) + critical asset ws-042 (+2)"),
        "the rank's reason on hover"
    );
    both_themes(&c, "alert-queue-paged").await;

    // Page after page to the last: every alert once, the order kept.
    let mut seen = queue_ids(&c).await;
    let mut pages = 1;
    while c.find(Locator::Css("#next-page")).await.is_ok() {
        click(&c, "#next-page").await;
        pages += 1;
        let from = (pages - 1) * 100 + 1;
        wait_text(&c, "#alert-count", &format!("{from}–")).await;
        seen.extend(queue_ids(&c).await);
    }
    assert_eq!(pages, 11);
    wait_text(&c, "#alert-count", "1001–1001 of 1001").await;
    let unique: std::collections::HashSet<&String> = seen.iter().collect();
    assert_eq!((seen.len(), unique.len()), (1001, 1001), "each alert on one page");
    assert!(c.find(Locator::Css("#first-page")).await.is_ok());

    // A deep page, by the previous page's link: select by keyboard and by a
    // shift-click range, then close the selection with one reason.
    c.goto(&format!("{base}/alerts")).await.unwrap();
    for _ in 0..5 {
        let next = c.find(Locator::Css("#next-page")).await.unwrap().attr("href").await.unwrap().unwrap();
        c.goto(&format!("{base}{next}")).await.unwrap();
    }
    wait_text(&c, "#alert-count", "501–600 of 1001").await;
    let deep = queue_ids(&c).await;
    let body = c.find(Locator::Css("body")).await.unwrap();
    body.send_keys("jxjjx").await.unwrap();
    wait_text(&c, "#selected-count", "2 selected").await;
    let boxes = c.find_all(Locator::Css("#queue input.pick")).await.unwrap();
    boxes[4].click().await.unwrap();
    c.execute(
        "document.querySelectorAll('#queue input.pick')[9].dispatchEvent(new MouseEvent('click', { bubbles: true, shiftKey: true }))",
        vec![],
    )
    .await
    .unwrap();
    wait_text(&c, "#selected-count", "8 selected").await;
    let picked: Vec<String> = serde_json::from_value(
        c.execute(
            "return Array.from(document.querySelectorAll('#queue input.pick:checked')).map(b => b.value)",
            vec![],
        )
        .await
        .unwrap(),
    )
    .unwrap();
    let mut want: Vec<String> = [0, 2].iter().chain(&[4, 5, 6, 7, 8, 9]).map(|i| deep[*i].clone()).collect();
    want.sort();
    let mut got = picked.clone();
    got.sort();
    assert_eq!(got, want, "x on rows 1 and 3, then rows 5 to 10 by shift-click");
    both_themes(&c, "alert-queue-selected").await;
    click(&c, "[data-bulk-action=close]").await;
    wait_text(&c, "#bulk .form-error", "Say why").await;
    select(&c, "#bulk-disposition", "false_positive").await;
    fill(&c, "#bulk-reason", "scanner noise").await;
    click(&c, "[data-bulk-action=close]").await;
    wait_text(&c, "#toast", "8 alert(s) closed").await;
    wait_text(&c, "#selected-count", "0 selected").await;
    let closed: Page<firebreak_types::Alert> =
        app.admin.get("/api/v1/alerts?state=closed&total=true&limit=1000").await.unwrap();
    assert_eq!(closed.total, Some(8));
    assert!(closed.items.iter().all(|a| a.disposition_reason.as_deref() == Some("scanner noise")));
    let mut gone: Vec<String> = closed.items.iter().map(|a| a.id.to_string()).collect();
    gone.sort();
    assert_eq!(gone, want);

    // Take two from the first page: they leave "new" and are "mine".
    c.goto(&format!("{base}/alerts")).await.unwrap();
    let first = queue_ids(&c).await;
    body_keys(&c, "xjx").await;
    wait_text(&c, "#selected-count", "2 selected").await;
    click(&c, "[data-bulk-action=take]").await;
    wait_text(&c, "#toast", "2 alert(s) taken").await;
    wait_text(&c, "#alert-count", "of 991 new").await;
    click(&c, "#view-mine").await;
    wait_text(&c, "#alert-count", "1–2 of 2 open").await;
    let mut mine = queue_ids(&c).await;
    mine.sort();
    let mut took = first[..2].to_vec();
    took.sort();
    assert_eq!(mine, took);

    // A view of one source, saved under the name offered.
    c.goto(&format!("{base}/alerts?state=new&source=wazuh")).await.unwrap();
    click(&c, "#save-view").await;
    assert_eq!(c.get_alert_text().await.unwrap(), "Name of this view");
    c.accept_alert().await.unwrap();
    c.goto(&format!("{base}/alerts")).await.unwrap();
    let saved = c.find(Locator::Css("#saved-views a")).await.unwrap();
    assert_eq!(saved.text().await.unwrap(), "source wazuh");
    saved.click().await.unwrap();
    wait_text(&c, "#alert-count", "new alert(s)").await;
    assert_eq!(c.current_url().await.unwrap().query(), Some("state=new&source=wazuh"));
    both_themes(&c, "alert-queue-view").await;

    // Two escalated together: one case, both in it.
    let pair = queue_ids(&c).await[..2].to_vec();
    body_keys(&c, "xjx").await;
    click(&c, "[data-bulk-action=escalate]").await;
    c.accept_alert().await.unwrap();
    c.wait().for_element(Locator::Css("#tasks")).await.unwrap();
    let case_id = c.current_url().await.unwrap().path().trim_start_matches("/cases/").to_owned();
    for id in pair {
        let a: firebreak_types::Alert = app.admin.get(&format!("/api/v1/alerts/{id}")).await.unwrap();
        assert_eq!(a.case_id.map(|c| c.to_string()), Some(case_id.clone()));
    }
    assert_no_policy_violation(&c).await;
    c.close().await.unwrap();
}

async fn body_keys(c: &Client, keys: &str) {
    c.find(Locator::Css("body")).await.unwrap().send_keys(keys).await.unwrap();
}

/// A Sigma rule numbered `n`, with a long selection line when `long`.
fn numbered_rule(n: usize, long: bool) -> String {
    let value = if long { "x".repeat(400) } else { format!("tool{n}.exe") };
    format!(
        "title: Paged Rule {n:04}\nid: 6f1e0000-0000-4000-8000-{n:012}\nstatus: test\nlevel: low\n\
         logsource: {{product: windows, category: process_creation}}\n\
         detection:\n    selection:\n        CommandLine|contains: '{value}'\n    condition: selection\n"
    )
}

#[tokio::test]
async fn the_rules_list_pages_its_count_follows_an_upload_and_a_rule_keeps_its_yaml_in_its_column() {
    let Some((_driver, c)) = browser().await else { return };
    let app = spawn_app().await;
    let base = &app.base_url;
    sign_in_at(&c, base, "/detection", "#rule-upload").await;
    wait_text(&c, "#rule-count", "0 rules match").await;
    // An upload: the count follows without a reload.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("whoami.yml");
    std::fs::write(&file, crate::detect::WHOAMI).unwrap();
    let input = c.find(Locator::Css("#rule-upload input[type=file]")).await.unwrap();
    input.send_keys(file.to_str().unwrap()).await.unwrap();
    click(&c, "#rule-upload input[name=enable]").await;
    click(&c, "#rule-upload button[type=submit]").await;
    wait_text(&c, "#rule-upload .report", "1 created").await;
    wait_text(&c, "#rule-count", "1–1 of 1 rule(s)").await;

    // 250 more: pages of 100, with the total, forwards and back.
    let files: Vec<Value> =
        (0..250).map(|n| json!({ "name": format!("r{n}.yml"), "content": numbered_rule(n, n == 7) })).collect();
    let report: firebreak_types::RuleImportReport =
        app.admin.post("/api/v1/rules/_import", &json!({ "files": files })).await.unwrap();
    assert_eq!(report.created, 250, "{:?}", report.rejected);
    c.goto(&format!("{base}/detection")).await.unwrap();
    wait_text(&c, "#rule-count", "1–100 of 251").await;
    click(&c, "#next-page").await;
    wait_text(&c, "#rule-count", "101–200 of 251").await;
    click(&c, "#next-page").await;
    wait_text(&c, "#rule-count", "201–251 of 251").await;
    assert!(c.find(Locator::Css("#next-page")).await.is_err(), "the last page");
    wait_text(&c, "#rules", "Whoami Execution").await;
    both_themes(&c, "rules-paged").await;
    click(&c, "#prev-page").await;
    wait_text(&c, "#rule-count", "101–200 of 251").await;

    // The rule with a 400-character line: its YAML scrolls inside its column.
    c.goto(&format!("{base}/detection?q=paged+rule+0007")).await.unwrap();
    click(&c, "#rules a").await;
    c.wait().for_element(Locator::Css("#yaml")).await.unwrap();
    let geometry = c
        .execute(
            "var pre = document.getElementById('yaml'); var col = pre.parentElement;\
             var side = col.nextElementSibling;\
             return [pre.getBoundingClientRect().right, col.getBoundingClientRect().right,\
                     side.getBoundingClientRect().left, pre.scrollWidth, pre.clientWidth];",
            vec![],
        )
        .await
        .unwrap();
    let g: Vec<f64> = serde_json::from_value(geometry).unwrap();
    assert!(g[0] <= g[1] + 0.5, "the YAML's right edge {} within its column's {}", g[0], g[1]);
    assert!(g[0] <= g[2], "the YAML stops before the side column at {}: {}", g[2], g[0]);
    assert!(g[3] > g[4], "the long line scrolls inside the pre ({} > {})", g[3], g[4]);
    c.execute("document.getElementById('yaml').scrollIntoView()", vec![]).await.unwrap();
    both_themes(&c, "rule-yaml").await;

    // An alert of the Sigma rule shows its title, linked to the rule; a
    // rule of another source stays its name, in the queue and among the
    // noisiest, where only the library's rule can be tuned.
    let m: firebreak_types::EventBulkResult = app
        .admin
        .post("/api/v1/events/_bulk", &json!([crate::detect::sysmon("C:\\Windows\\System32\\whoami.exe", "ws-5")]))
        .await
        .unwrap();
    assert_eq!(m.alerts_created, 1);
    let _: firebreak_types::SentAlert = app
        .admin
        .post(
            "/api/v1/alerts",
            &json!({ "source": "wazuh", "source_ref": "w-1", "title": "Wazuh brute force", "severity": "low", "rule": "wazuh-5712" }),
        )
        .await
        .unwrap();
    let rules: Page<Value> = app.admin.get("/api/v1/rules?q=whoami").await.unwrap();
    let rule_id = rules.items[0]["id"].as_str().unwrap().to_owned();
    c.goto(&format!("{base}/alerts")).await.unwrap();
    let link = c.find(Locator::Css("#queue a.rule-link")).await.unwrap();
    assert_eq!(link.text().await.unwrap(), "Whoami Execution");
    assert_eq!(link.attr("href").await.unwrap(), Some(format!("/detection/rules/{rule_id}")));
    wait_text(&c, "#queue", "wazuh-5712").await;
    assert_eq!(count(&c, "#queue a.rule-link").await, 1, "the other source's rule is no link");
    let alert =
        c.find(Locator::XPath("//tr[.//a[text()='Whoami Execution']]//a[starts-with(@href, '/alerts/')]")).await;
    alert.unwrap().click().await.unwrap();
    let rule_on_page = c.find(Locator::Css("#alert-rule a")).await.unwrap();
    assert_eq!(rule_on_page.text().await.unwrap(), "Whoami Execution");
    c.goto(&format!("{base}/detection")).await.unwrap();
    let noisy = wait_text(&c, "#noisy", "wazuh-5712").await;
    assert!(noisy.contains("Whoami Execution"), "{noisy}");
    assert_eq!(count(&c, "#noisy a").await, 2, "the Sigma rule's title and its Tune link, nothing for wazuh-5712");
    let tune = c.find(Locator::XPath("//table[@id='noisy']//a[text()='Tune']")).await.unwrap();
    assert_eq!(tune.attr("href").await.unwrap(), Some(format!("/detection/rules/{rule_id}#exception")));
    c.execute("document.getElementById('noisy').scrollIntoView()", vec![]).await.unwrap();
    both_themes(&c, "rules-noisiest").await;
    assert_no_policy_violation(&c).await;
    c.close().await.unwrap();
}

/// SigmaHQ's rules and regression samples, beside the project (see the
/// detection crate's `sigmahq` test); `None` when they are not there.
fn sigma_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("FIREBREAK_SIGMA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/sigma"));
    dir.join("rules").is_dir().then_some(dir)
}

/// Clicks the submit button of a form again if a redraw replaced it.
async fn press(c: &Client, css: &str) {
    for _ in 0..30 {
        if let Ok(b) = c.find(Locator::Css(css)).await
            && b.click().await.is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("could not press {css}");
}

#[tokio::test]
async fn an_evidence_file_is_hunted_from_its_tab_and_its_custody_and_hash_are_checked() {
    let Some(sigma) = sigma_dir() else {
        eprintln!("skipped: no SigmaHQ regression data beside the project");
        return;
    };
    let Some((_driver, c)) = browser().await else { return };
    let app = spawn_app().await;
    let base = &app.base_url;
    // A real rule and the real EVTX sample SigmaHQ keeps for it.
    let name = "proc_creation_win_bitsadmin_download";
    let rule = std::fs::read_to_string(sigma.join(format!("rules/windows/process_creation/{name}.yml"))).unwrap();
    let sample_dir = sigma.join(format!("regression_data/rules/windows/process_creation/{name}"));
    let evtx = std::fs::read_dir(&sample_dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "evtx"))
        .unwrap();
    let files = json!({ "files": [{ "name": format!("{name}.yml"), "content": rule }], "enable": true });
    let _: Value = app.admin.post("/api/v1/rules/_import", &files).await.unwrap();
    let case: firebreak_types::Case =
        app.admin.post("/api/v1/cases", &json!({ "title": "BITS download on a workstation" })).await.unwrap();
    let url = format!("/api/v1/cases/{}/evidence?filename=Sysmon.evtx&collected_from=ws-7", case.id);
    let r = app.admin.request(reqwest::Method::POST, &url).body(std::fs::read(&evtx).unwrap()).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let evidence: firebreak_types::Evidence = r.json().await.unwrap();
    sign_in_at(&c, base, &format!("/cases/{}?tab=evidence", case.id), "#evidence").await;
    let item = format!("#evidence-{}", evidence.id);
    wait_text(&c, &item, "not verified yet").await;
    // Verify: the hash taken again matches, and the custody log says who checked.
    press(&c, &format!("{item} form.verify button")).await;
    wait_text(&c, &format!("{item} .verify-result"), "hash matches").await;
    c.execute(&format!("document.querySelector('{item} details.custody').open = true"), vec![]).await.unwrap();
    let custody = wait_text(&c, &format!("{item} .custody"), "verified").await;
    assert!(custody.contains("collected") && custody.contains("admin"), "{custody}");
    // Put away: the custody log and the file's place say where.
    select(&c, &format!("{item} .custody-add select[name=action]"), "stored").await;
    fill(&c, &format!("{item} .custody-add input[name=location]"), "Evidence safe 3").await;
    submit(&c, &format!("{item} .custody-add")).await;
    wait_text(&c, item.as_str(), "kept at Evidence safe 3").await;
    let chain: Vec<Value> =
        app.admin.get(&format!("/api/v1/cases/{}/evidence/{}/custody", case.id, evidence.id)).await.unwrap();
    assert_eq!(chain.last().unwrap()["action"], "stored", "{chain:?}");
    // Hunt: the job shows as it runs, then its hits, which are on the timeline.
    press(&c, &format!("{item} form.hunt button")).await;
    wait_text(&c, "#hunt-list", "Sysmon.evtx").await;
    let row = wait_text(&c, "#hunt-list tbody tr", "done").await;
    assert!(row.contains("on the timeline"), "the hunt found the sample's hit: {row}");
    let jobs: Vec<firebreak_types::HuntJob> = app.admin.get(&format!("/api/v1/cases/{}/hunts", case.id)).await.unwrap();
    assert!(jobs[0].events > 0 && jobs[0].hits > 0, "{jobs:?}");
    both_themes(&c, "case-evidence").await;
    press(&c, "#hunt-list a.hunt-hits").await;
    let timeline = wait_text(&c, "#timeline", "Bitsadmin").await;
    assert!(timeline.contains("Sysmon.evtx"), "{timeline}");
    // The stored file changed behind Firebreak's back: Verify says so.
    let stored = app.data_dir.join("files").join(case.org_id.to_string()).join(evidence.id.to_string());
    let stored = if stored.exists() {
        stored
    } else {
        std::fs::read_dir(app.data_dir.join("files"))
            .unwrap()
            .filter_map(Result::ok)
            .map(|d| d.path().join(evidence.id.to_string()))
            .find(|p| p.exists())
            .expect("the stored evidence file")
    };
    std::fs::write(&stored, b"tampered").unwrap();
    c.goto(&format!("{base}/cases/{}?tab=evidence", case.id)).await.unwrap();
    press(&c, &format!("{item} form.verify button")).await;
    wait_text(&c, &format!("{item} .verify-result"), "hash mismatch").await;
    c.execute(&format!("document.querySelector('{item} details.custody').open = true"), vec![]).await.unwrap();
    wait_text(&c, &format!("{item} .custody"), "verify failed").await;
    both_themes(&c, "case-evidence-mismatch").await;
    assert_no_policy_violation(&c).await;
}

#[tokio::test]
async fn a_rule_s_tests_are_added_and_run_and_its_stage_changed_on_its_page() {
    let Some((_driver, c)) = browser().await else { return };
    let app = spawn_app().await;
    let base = &app.base_url;
    let files = json!({ "files": [{ "name": "whoami.yml", "content": crate::detect::WHOAMI }], "enable": true });
    let _: Value = app.admin.post("/api/v1/rules/_import", &files).await.unwrap();
    let rules: Page<firebreak_types::Rule> = app.admin.get("/api/v1/rules").await.unwrap();
    let rule = &rules.items[0];
    sign_in_at(&c, base, &format!("/detection/rules/{}", rule.id), "#set-stage").await;
    select(&c, "#set-stage select[name=use_case]", "testing").await;
    submit(&c, "#set-stage").await;
    wait_text(&c, "#stage", "testing").await;
    let got: firebreak_types::Rule = app.admin.get(&format!("/api/v1/rules/{}", rule.id)).await.unwrap();
    assert_eq!(got.use_case.as_str(), "testing");
    // A test the rule passes: one event it must match.
    let event = crate::detect::sysmon("C:\\Windows\\System32\\whoami.exe", "ws-1").to_string();
    fill(&c, "#add-test input[name=name]", "whoami from Sysmon").await;
    fill(&c, "#add-test textarea[name=events]", &event).await;
    submit(&c, "#add-test").await;
    wait_text(&c, "#tests", "whoami from Sysmon").await;
    wait_text(&c, "#tests tbody tr", "pass").await;
    // Bad JSON is refused next to the form, naming the field.
    c.execute("document.querySelector('.add-test').open = true", vec![]).await.unwrap();
    fill(&c, "#add-test input[name=name]", "broken").await;
    fill(&c, "#add-test textarea[name=events]", "{not json").await;
    submit(&c, "#add-test").await;
    wait_text(&c, "#add-test .form-error", "events must be JSON").await;
    // A test it fails: the same event must not match.
    c.goto(&format!("{base}/detection/rules/{}", rule.id)).await.unwrap();
    c.execute("document.querySelector('.add-test').open = true", vec![]).await.unwrap();
    fill(&c, "#add-test input[name=name]", "must stay quiet").await;
    fill(&c, "#add-test textarea[name=events]", &event).await;
    let expected = c.find(Locator::Css("#add-test input[name=expected_matches]")).await.unwrap();
    expected.clear().await.unwrap();
    expected.send_keys("0").await.unwrap();
    submit(&c, "#add-test").await;
    wait_text(&c, "#tests", "must stay quiet").await;
    wait_text(&c, "#tests", "fail").await;
    submit(&c, "#run-tests").await;
    wait_text(&c, "#tests-summary", "1 of 2 passed").await;
    let tests: Vec<Value> = app.admin.get(&format!("/api/v1/rules/{}/tests", rule.id)).await.unwrap();
    assert_eq!(tests.len(), 2);
    both_themes(&c, "rule-tests").await;
    assert_no_policy_violation(&c).await;
}

#[tokio::test]
async fn an_asset_has_its_own_page_and_an_observable_is_searched_in_the_stored_events() {
    let Some((_driver, c)) = browser().await else { return };
    let app = spawn_app().await;
    let base = &app.base_url;
    let contact: Value = app
        .admin
        .post("/api/v1/contacts", &json!({ "name": "Dana DBA", "email": "dana@example.org", "role": "DBA on call" }))
        .await
        .unwrap();
    let asset: Value = app
        .admin
        .post(
            "/api/v1/assets",
            &json!({ "kind": "host", "name": "ws-2", "criticality": "high", "owner": "Finance IT",
                     "contacts": [contact["id"]] }),
        )
        .await
        .unwrap();
    let asset_id = asset["id"].as_str().unwrap();
    let alert = json!([{ "source": "siem", "source_ref": "a-1", "title": "Odd logon on ws-2", "severity": "medium",
        "observables": [{ "type": "hostname", "value": "ws-2" }] }]);
    let sent: Value = app.admin.post("/api/v1/alerts/_bulk", &alert).await.unwrap();
    let alert_id = sent["items"][0]["id"].as_str().unwrap().to_owned();
    let case: firebreak_types::Case =
        app.admin.post("/api/v1/cases", &json!({ "title": "Finance workstation" })).await.unwrap();
    let _: Value =
        app.admin.post(&format!("/api/v1/cases/{}/assets", case.id), &json!({ "asset_id": asset_id })).await.unwrap();
    let hash = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08";
    let _: Value =
        app.admin.post("/api/v1/events/_bulk", &json!([crate::detect::sysmon("C:\\a.exe", "ws-2")])).await.unwrap();
    let _: Value = app
        .admin
        .post(&format!("/api/v1/cases/{}/observables", case.id), &json!({ "type": "sha256", "value": hash }))
        .await
        .unwrap();
    // From the list of assets to the asset's page.
    sign_in_at(&c, base, "/assets", "#contacts").await;
    press(&c, &format!("a[href='/inventory/{asset_id}']")).await;
    wait_text(&c, "#asset-owner", "Finance IT").await;
    wait_text(&c, "#asset-alerts", "Odd logon on ws-2").await;
    wait_text(&c, "#asset-cases", "Finance workstation").await;
    wait_text(&c, "#asset-contacts", "dana@example.org").await;
    both_themes(&c, "asset").await;
    // From the case's observable to where the stored events saw it.
    c.goto(&format!("{base}/cases/{}?tab=observables", case.id)).await.unwrap();
    press(&c, "#observables a.events-link").await;
    let seen = wait_text(&c, "#event-sightings", "ws-2").await;
    assert!(seen.contains('1'), "{seen}");
    wait_text(&c, "#case-sightings", "Finance workstation").await;
    both_themes(&c, "sightings").await;
    // The host links back to its asset; the case page links to it too.
    press(&c, &format!("#event-sightings a[href='/inventory/{asset_id}']")).await;
    wait_text(&c, "#asset-owner", "Finance IT").await;
    c.goto(&format!("{base}/cases/{}", case.id)).await.unwrap();
    c.find(Locator::Css(&format!(".case-side a[href='/inventory/{asset_id}']"))).await.unwrap();
    // The alert page links its asset and its observables' sightings too.
    c.goto(&format!("{base}/alerts/{alert_id}")).await.unwrap();
    c.find(Locator::Css(&format!("#alert-assets a[href='/inventory/{asset_id}']"))).await.unwrap();
    press(&c, "#observables a.events-link").await;
    wait_text(&c, "#sightings-form", "Search").await;
    let shown = c.find(Locator::Css("#sightings-form input[name=value]")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(shown.as_deref(), Some("ws-2"));
    // Another organisation's asset is not found.
    let other = app.tenant("Other").await;
    let theirs: Value = other
        .admin
        .post("/api/v1/assets", &json!({ "kind": "host", "name": "x-1", "criticality": "low" }))
        .await
        .unwrap();
    let r = app
        .admin
        .request(reqwest::Method::GET, &format!("/inventory/{}", theirs["id"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_no_policy_violation(&c).await;
}

#[tokio::test]
async fn a_case_is_shared_from_its_page_and_the_customer_sees_it_with_its_owner() {
    let Some((_driver, c)) = browser().await else { return };
    let app = spawn_app().await;
    let base = &app.base_url;
    let acme = app.tenant("Acme").await;
    app.user(&acme.admin, "acme-analyst", firebreak_types::Role::AnalystL2).await;
    let case: firebreak_types::Case =
        app.admin.post("/api/v1/cases", &json!({ "title": "Intrusion at Acme's VPN" })).await.unwrap();

    sign_in_at(&c, base, &format!("/cases/{}", case.id), "#share-case").await;
    assert!(c.find(Locator::Css("#no-shares")).await.is_ok(), "not shared yet");
    select(&c, "#share-case select[name=org_id]", &acme.org.id.to_string()).await;
    select(&c, "#share-case select[name=role]", "analyst_l2").await;
    submit(&c, "#share-case").await;
    wait_text(&c, "#shares", "Acme").await;
    screenshot(&c, "case-shared.png").await;
    click(&c, "#logout").await;
    c.wait().for_element(Locator::Css("#sign-in")).await.unwrap();

    // Acme's analyst finds it in the case list, with its owner, and opens it.
    c.goto(&format!("{base}/cases")).await.unwrap();
    fill(&c, "#username", "acme-analyst").await;
    fill(&c, "#password", crate::helpers::PASSWORD).await;
    click(&c, "#sign-in").await;
    let row = wait_text(&c, "#shared-cases-table", "Intrusion at Acme's VPN").await;
    assert!(row.contains("Firebreak"), "{row}");
    screenshot(&c, "cases-shared-with-us.png").await;
    click(&c, &format!("#shared-cases-table a[href='/cases/{}']", case.id)).await;
    let notice = wait_text(&c, "#shared-from", "Firebreak").await;
    assert!(notice.contains("Analyst L2"), "{notice}");
    assert!(c.find(Locator::Css("#share-case")).await.is_err(), "a recipient does not share onwards");
    assert_no_policy_violation(&c).await;

    // Unshared: the page is gone for Acme.
    let shares: Vec<firebreak_types::CaseShare> =
        app.admin.get(&format!("/api/v1/cases/{}/shares", case.id)).await.unwrap();
    let _ = app.admin.delete::<Value>(&format!("/api/v1/cases/{}/shares/{}", case.id, shares[0].id)).await;
    c.goto(&format!("{base}/cases/{}", case.id)).await.unwrap();
    let page = c.source().await.unwrap();
    assert!(!page.contains("Intrusion at Acme"), "no longer reachable");
    c.close().await.unwrap();
}
