//! The web session: sign-in with its CSRF cookie, forms refused without the
//! session's token, and API writes with a session cookie needing the header.

use reqwest::redirect::Policy;

use crate::helpers::{ADMIN_PASSWORD, spawn_app};

fn cookie(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find_map(|v| {
        let (pair, _) = v.split_once(';').unwrap_or((v, ""));
        let (k, val) = pair.split_once('=')?;
        (k == name && !val.is_empty()).then(|| val.to_owned())
    })
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).map(|i| i + marker.len()).expect(name);
    html[start..].split('"').next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn sessions_forms_and_csrf() {
    let app = spawn_app().await;
    let http = reqwest::Client::builder().redirect(Policy::none()).build().unwrap();
    let base = &app.base_url;

    let page = http.get(format!("{base}/admin/users")).send().await.unwrap();
    assert_eq!(page.status(), 303);
    assert_eq!(page.headers()["location"], "/login?next=/admin/users");

    let login = http.get(format!("{base}/login")).send().await.unwrap();
    let login_csrf = cookie(&login, "fb_login_csrf").expect("login csrf cookie");
    let html = login.text().await.unwrap();
    assert_eq!(hidden(&html, "csrf"), login_csrf);

    // A forged sign-in (no matching cookie) is refused.
    let forged = http
        .post(format!("{base}/login"))
        .form(&[("username", "admin"), ("password", ADMIN_PASSWORD), ("csrf", "guess")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);

    let ok = http
        .post(format!("{base}/login"))
        .header("cookie", format!("fb_login_csrf={login_csrf}"))
        .form(&[
            ("username", "admin"),
            ("password", ADMIN_PASSWORD),
            ("csrf", login_csrf.as_str()),
            ("next", "//evil.example"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 303);
    assert_eq!(ok.headers()["location"], "/", "only local paths are followed");
    let set = ok.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect::<Vec<_>>();
    let session_line = set.iter().find(|c| c.starts_with("fb_session=")).unwrap();
    assert!(session_line.contains("HttpOnly") && session_line.contains("SameSite=Lax"), "{session_line}");
    let session = cookie(&ok, "fb_session").unwrap();
    let jar = format!("fb_session={session}");

    let users = http.get(format!("{base}/admin/users")).header("cookie", &jar).send().await.unwrap();
    assert_eq!(users.status(), 200);
    let html = users.text().await.unwrap();
    let csrf = hidden(&html, "csrf");

    let form = [("username", "formuser"), ("role", "analyst_l1"), ("password", "a long enough passphrase")];
    let no_token = http.post(format!("{base}/admin/users")).header("cookie", &jar).form(&form).send().await.unwrap();
    assert_eq!(no_token.status(), 422, "a form without its token does not even parse");
    let mut with_bad = form.to_vec();
    with_bad.push(("csrf", "wrong"));
    let bad = http.post(format!("{base}/admin/users")).header("cookie", &jar).form(&with_bad).send().await.unwrap();
    assert_eq!(bad.status(), 403);
    let mut with_good = form.to_vec();
    with_good.push(("csrf", csrf.as_str()));
    let good = http.post(format!("{base}/admin/users")).header("cookie", &jar).form(&with_good).send().await.unwrap();
    assert_eq!(good.status(), 303);
    assert!(good.headers()["location"].to_str().unwrap().contains("notice="));
    assert!(app.admin.list_users("?q=formuser&total=true").await.unwrap().total == Some(1));

    // The JSON API accepts the session cookie, but writes need the CSRF header.
    let body = serde_json::json!({ "name": "cookie-key", "role": "stakeholder" });
    let r = http.post(format!("{base}/api/v1/api-keys")).header("cookie", &jar).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["code"], "csrf_failed");
    let r = http
        .post(format!("{base}/api/v1/api-keys"))
        .header("cookie", &jar)
        .header("x-csrf-token", &csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);

    let out = http
        .post(format!("{base}/logout"))
        .header("cookie", &jar)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    let after = http.get(format!("{base}/admin/users")).header("cookie", &jar).send().await.unwrap();
    assert_eq!(after.status(), 303, "the session ended");
    assert_eq!(app.admin.audit("?action=logout&total=true").await.unwrap().total, Some(1));
}

#[tokio::test]
async fn the_case_pages_render_for_a_session() {
    let app = crate::helpers::spawn_app().await;
    let case: firebreak_types::Case = app
        .admin
        .post(
            "/api/v1/cases",
            &serde_json::json!({ "title": "Rendered <b>case</b>",
                    "description": "<script>alert(1)</script>\n\n**bold** [x](javascript:alert(2))" }),
        )
        .await
        .unwrap();
    let _: serde_json::Value =
        app.admin.post("/api/v1/teams", &serde_json::json!({ "name": "Blue team" })).await.unwrap();
    let _: serde_json::Value = app
        .admin
        .post(
            &format!("/api/v1/cases/{}/action-items", case.id),
            &serde_json::json!({ "title": "Review the gateway rules" }),
        )
        .await
        .unwrap();
    let http = reqwest::Client::builder().redirect(Policy::none()).build().unwrap();
    let login = http.get(format!("{}/login", app.base_url)).send().await.unwrap();
    let login_csrf = cookie(&login, "fb_login_csrf").unwrap();
    let ok = http
        .post(format!("{}/login", app.base_url))
        .header("cookie", format!("fb_login_csrf={login_csrf}"))
        .form(&[("username", "admin"), ("password", ADMIN_PASSWORD), ("csrf", login_csrf.as_str())])
        .send()
        .await
        .unwrap();
    let jar = format!("fb_session={}", cookie(&ok, "fb_session").unwrap());
    for (path, want) in [
        (format!("/cases/{}", case.id), "Rendered &#60;b&#62;case&#60;/b&#62;"),
        (format!("/cases/{}", case.id), "&lt;script&gt;alert(1)&lt;/script&gt;"),
        (format!("/cases/{}", case.id), "<strong>bold</strong>"),
        ("/cases/board".to_owned(), "data-state=\"containment\""),
        ("/cases/new".to_owned(), "Phishing"),
        ("/assets".to_owned(), "Import CSV"),
        ("/teams".to_owned(), "Blue team"),
        ("/notifications".to_owned(), "Nothing for you"),
        ("/backlog".to_owned(), "Review the gateway rules"),
        (
            "/stories".to_owned(),
            "more than 5% of a period's alerts stops joining them, once the period holds 50 alerts",
        ),
    ] {
        let page = http.get(format!("{}{path}", app.base_url)).header("cookie", &jar).send().await.unwrap();
        assert_eq!(page.status(), 200, "{path}");
        let html = page.text().await.unwrap();
        assert!(!html.contains("<script>alert") && !html.contains("href=\"javascript:"), "{path} runs script");
        assert!(
            html.contains(want),
            "{path} lacks {want}: {}",
            &html[html.find("<h1>").unwrap_or(0)..][..300.min(html.len() - html.find("<h1>").unwrap_or(0))]
        );
    }
}

/// A session for `http`: signs in as the admin and answers the cookie header.
pub(crate) async fn sign_in(http: &reqwest::Client, base: &str) -> String {
    let login = http.get(format!("{base}/login")).send().await.unwrap();
    let login_csrf = cookie(&login, "fb_login_csrf").unwrap();
    let ok = http
        .post(format!("{base}/login"))
        .header("cookie", format!("fb_login_csrf={login_csrf}"))
        .form(&[("username", "admin"), ("password", ADMIN_PASSWORD), ("csrf", login_csrf.as_str())])
        .send()
        .await
        .unwrap();
    format!("fb_session={}", cookie(&ok, "fb_session").unwrap())
}

#[tokio::test]
async fn sign_in_goes_back_only_to_a_path_of_this_server() {
    let app = spawn_app().await;
    let http = reqwest::Client::builder().redirect(Policy::none()).build().unwrap();
    let base = &app.base_url;
    for (next, expected) in [
        ("/\t/evil.example", "/"),
        ("/\n", "/"),
        ("/\r\n/evil.example", "/"),
        ("//evil", "/"),
        ("/\\evil", "/"),
        ("/\\/evil", "/"),
        ("https://evil", "/"),
        ("/%0d%0aSet-Cookie:x", "/"),
        ("/%09/evil.example", "/"),
        ("/%5Cevil", "/"),
        ("javascript:alert(1)", "/"),
        ("/..//evil", "/"),
        (" /cases", "/"),
        ("", "/"),
        ("/cases?x=1", "/cases?x=1"),
        ("/alerts/0197?view=raw&q=a%20b", "/alerts/0197?view=raw&q=a%20b"),
    ] {
        // The sign-in page carries it in its form…
        let page = http.get(format!("{base}/login")).query(&[("next", next)]).send().await.unwrap();
        assert_eq!(page.status(), 200, "{next:?}");
        let login_csrf = cookie(&page, "fb_login_csrf").unwrap();
        let html = page.text().await.unwrap();
        assert_eq!(hidden(&html, "next"), expected.replace('&', "&#38;"), "{next:?} on the sign-in page");
        // …and signing in follows it, or goes home.
        let signed_in = http
            .post(format!("{base}/login"))
            .header("cookie", format!("fb_login_csrf={login_csrf}"))
            .form(&[("username", "admin"), ("password", ADMIN_PASSWORD), ("csrf", login_csrf.as_str()), ("next", next)])
            .send()
            .await
            .unwrap();
        assert_eq!(signed_in.status(), 303, "{next:?}");
        assert_eq!(signed_in.headers()["location"], expected, "{next:?}");
        let cookies = signed_in.headers().get_all("set-cookie").iter().count();
        assert!(cookies <= 3, "{next:?} set no cookie of its own");
    }
}

/// Pages run only the script Firebreak serves, load nothing from elsewhere
/// and cannot be framed, whatever they show.
#[tokio::test]
async fn every_page_carries_the_content_security_policy_and_the_other_headers() {
    let app = spawn_app().await;
    let admin = &app.admin;
    let alert: firebreak_types::SentAlert = admin
        .post(
            "/api/v1/alerts",
            &serde_json::json!({ "source": "edr", "source_ref": "h-1", "title": "Headers", "severity": "low" }),
        )
        .await
        .unwrap();
    let case: firebreak_types::Case =
        admin.post("/api/v1/cases", &serde_json::json!({ "title": "Headers" })).await.unwrap();
    let _: serde_json::Value = admin.post("/api/v1/teams", &serde_json::json!({ "name": "Blue team" })).await.unwrap();
    let http = reqwest::Client::builder().redirect(Policy::none()).build().unwrap();
    let base = &app.base_url;
    let jar = sign_in(&http, base).await;
    let pages = [
        "/login".to_owned(),
        "/".to_owned(),
        "/alerts".to_owned(),
        format!("/alerts/{}", alert.alert.id),
        "/stories".to_owned(),
        "/cases".to_owned(),
        "/cases/board".to_owned(),
        "/cases/new".to_owned(),
        format!("/cases/{}", case.id),
        "/assets".to_owned(),
        "/notifications".to_owned(),
        "/teams".to_owned(),
        "/backlog".to_owned(),
        "/detection".to_owned(),
        "/detection/coverage".to_owned(),
        "/dashboards".to_owned(),
        "/dashboards/soc".to_owned(),
        "/reports".to_owned(),
        "/audit".to_owned(),
        "/admin/users".to_owned(),
        "/admin/api-keys".to_owned(),
        "/admin/orgs".to_owned(),
        "/admin/roles".to_owned(),
        "/api/docs".to_owned(),
        "/alerts/not-an-id".to_owned(),
        "/api/v1/me".to_owned(),
    ];
    for path in &pages {
        let r = http.get(format!("{base}{path}")).header("cookie", &jar).send().await.unwrap();
        assert!(r.status().as_u16() < 500, "{path}: {}", r.status());
        let h = r.headers().clone();
        let policy = h.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        for directive in [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(policy.split("; ").any(|d| d == directive), "{path}: {directive} missing from {policy:?}");
        }
        assert!(!policy.contains("unsafe"), "{path}: {policy}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        // What the policy refuses is not in the page either: no inline
        // script, handler or style attribute.
        let html = r.text().await.unwrap();
        for (i, _) in html.match_indices("<script") {
            let tag = &html[i..i + html[i..].find('>').unwrap_or(0)];
            assert!(tag.contains(" src=\"/assets/"), "{path}: inline script {tag}");
        }
        let lower = html.to_lowercase();
        assert!(!lower.contains(" style=\"") && !lower.contains("<style"), "{path} has inline style");
        for handler in [" onclick=", " onsubmit=", " onchange=", " onload=", " onerror=", " oninput="] {
            assert!(!lower.contains(handler), "{path} has an inline handler {handler}");
        }
    }

    // The report is a document of its own, with its style sheet inline: its
    // policy allows that one sheet by its hash, and nothing else.
    let r = http.get(format!("{base}/reports/view?from=2026-03-01&to=2026-03-31")).header("cookie", &jar).send().await;
    let r = r.unwrap();
    assert_eq!(r.status(), 200);
    let policy = r.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    let html = r.text().await.unwrap();
    let style = html.split("<style>").nth(1).and_then(|s| s.split("</style>").next()).unwrap();
    use base64::Engine;
    use sha2::Digest;
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(style.as_bytes()));
    assert_eq!(
        policy,
        format!(
            "default-src 'none'; style-src 'sha256-{hash}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        )
    );
    // The document carries it too, so the saved file and the PDF are held to it.
    let meta = format!("content=\"default-src &#39;none&#39;; style-src &#39;sha256-{hash}&#39;;");
    assert!(html.contains(&meta), "{}", &html[..600.min(html.len())]);
    assert!(!html.contains("<script"));
}

/// A part of a page the database fails to give is said to be missing, not
/// drawn empty: the queue still lists its alerts but says its asset and user
/// picker could not be loaded, and the alert page says the same of its
/// comments and case templates; a page whose point failed fails whole.
#[tokio::test]
async fn a_page_says_which_part_the_database_failed_to_give() {
    let app = spawn_app().await;
    let alert: firebreak_types::SentAlert = app
        .admin
        .post(
            "/api/v1/alerts",
            &serde_json::json!({ "source": "wazuh", "source_ref": "evt-1", "type": "auth_failure",
                "title": "Brute force on host-1", "severity": "high", "raw": {} }),
        )
        .await
        .unwrap();
    let id = alert.alert.id;
    let http = reqwest::Client::builder().redirect(Policy::none()).build().unwrap();
    let jar = sign_in(&http, &app.base_url).await;
    let before = http.get(format!("{}/alerts", app.base_url)).header("cookie", &jar).send().await.unwrap();
    assert!(!before.text().await.unwrap().contains("could not be loaded"));

    // Cases, assets, templates, comments and notifications live in `items`.
    app.raw_sql().await.execute("ALTER TABLE items RENAME TO items_gone").await;

    let queue = http.get(format!("{}/alerts", app.base_url)).header("cookie", &jar).send().await.unwrap();
    assert_eq!(queue.status(), 200);
    let html = queue.text().await.unwrap();
    assert!(html.contains("Brute force on host-1"), "the queue's point is still there");
    assert!(html.contains("The assets could not be loaded"), "{html}");
    assert!(html.contains("Could not be loaded: your unread notifications"), "{html}");

    let page = http.get(format!("{}/alerts/{id}", app.base_url)).header("cookie", &jar).send().await.unwrap();
    let status = page.status();
    let html = page.text().await.unwrap();
    assert_eq!(status, 200, "{html}");
    for part in ["The comments", "The case templates", "The attachments"] {
        assert!(html.contains(&format!("{part} could not be loaded")), "{part}: {html}");
    }
    assert!(!html.contains("No comment yet"), "an empty section would claim there is none");

    // A page whose point is what failed fails as a whole, with the error's answer.
    let inventory = http.get(format!("{}/assets", app.base_url)).header("cookie", &jar).send().await.unwrap();
    assert_eq!(inventory.status(), 500);
}

#[tokio::test]
async fn the_alert_page_lists_its_attachments_and_escalation_makes_them_evidence() {
    let app = spawn_app().await;
    let alert: firebreak_types::SentAlert = app
        .admin
        .post(
            "/api/v1/alerts",
            &serde_json::json!({ "source": "wazuh", "source_ref": "evt-1", "type": "auth_failure",
                "title": "Brute force on host-1", "severity": "high", "raw": {} }),
        )
        .await
        .unwrap();
    let id = alert.alert.id;
    let http = reqwest::Client::builder().redirect(Policy::none()).build().unwrap();
    let body = "--B\r\nContent-Disposition: form-data; name=\"attachments\"; filename=\"capture.pcap\"\r\n\
Content-Type: application/octet-stream\r\n\r\npackets\r\n--B--\r\n";
    let res = http
        .post(format!("{}/compat/thehive/api/v1/alert/{id}/attachments", app.base_url))
        .basic_auth("admin", Some(crate::helpers::ADMIN_PASSWORD))
        .header("content-type", "multipart/form-data; boundary=B")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let made: serde_json::Value = res.json().await.unwrap();
    let file_id = made["attachments"][0]["_id"].as_str().unwrap().to_owned();

    let jar = sign_in(&http, &app.base_url).await;
    let page = http.get(format!("{}/alerts/{id}", app.base_url)).header("cookie", &jar).send().await.unwrap();
    let html = page.text().await.unwrap();
    let link = format!("/api/v1/alerts/{id}/attachments/{file_id}/download");
    assert!(html.contains(&format!("href=\"{link}\">capture.pcap</a>")), "{html}");
    let file = http.get(format!("{}{link}", app.base_url)).header("cookie", &jar).send().await.unwrap();
    assert_eq!(file.status(), 200);
    assert_eq!(file.bytes().await.unwrap().as_ref(), b"packets");

    // Escalated, the alert's files are the case's evidence.
    let case: firebreak_types::Case =
        app.admin.post(&format!("/api/v1/alerts/{id}/escalate"), &serde_json::json!({})).await.unwrap();
    let evidence: Vec<firebreak_types::Evidence> =
        app.admin.get(&format!("/api/v1/cases/{}/evidence", case.id)).await.unwrap();
    assert_eq!(evidence.len(), 1, "{evidence:?}");
    assert_eq!((evidence[0].filename.as_str(), evidence[0].size), ("capture.pcap", 7));
    let res = http
        .get(format!("{}/api/v1/cases/{}/evidence/{}/content", app.base_url, case.id, evidence[0].id))
        .header("cookie", &jar)
        .send()
        .await
        .unwrap();
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"packets");
}

/// An observable added to an alert after intake is found as one it came
/// with: by the case observable's alerts (the sightings look-up) and in the
/// case page's alerts that share the case's observables.
#[tokio::test]
async fn an_observable_added_to_an_alert_later_is_sighted_with_the_case() {
    let app = spawn_app().await;
    let send = |source_ref: &str, observables: serde_json::Value| {
        serde_json::json!({ "source": "edr", "source_ref": source_ref, "type": "beacon", "title": format!("Beacon {source_ref}"),
            "severity": "medium", "observables": observables, "raw": {} })
    };
    let with: firebreak_types::SentAlert = app
        .admin
        .post(
            "/api/v1/alerts",
            &send("came-with", serde_json::json!([{ "type": "domain", "value": "c2.evil.example" }])),
        )
        .await
        .unwrap();
    let later: firebreak_types::SentAlert =
        app.admin.post("/api/v1/alerts", &send("added-later", serde_json::json!([]))).await.unwrap();
    let (with, later) = (with.alert.id, later.alert.id);
    let _: firebreak_types::Alert = app
        .admin
        .post(
            &format!("/api/v1/alerts/{later}/observables"),
            &serde_json::json!({ "observables": [{ "type": "domain", "value": "C2.evil.example" }] }),
        )
        .await
        .unwrap();

    let case: firebreak_types::Case =
        app.admin.post("/api/v1/cases", &serde_json::json!({ "title": "C2 traffic" })).await.unwrap();
    let _: firebreak_types::ObservableWithSightings = app
        .admin
        .post(
            &format!("/api/v1/cases/{}/observables", case.id),
            &serde_json::json!({ "type": "domain", "value": "c2.evil.example" }),
        )
        .await
        .unwrap();
    let listed: Vec<firebreak_types::ObservableWithSightings> =
        app.admin.get(&format!("/api/v1/cases/{}/observables", case.id)).await.unwrap();
    assert_eq!(listed[0].alerts, [later, with], "newest first, the one added later among them");

    let http = reqwest::Client::builder().redirect(Policy::none()).build().unwrap();
    let jar = sign_in(&http, &app.base_url).await;
    let page = http.get(format!("{}/cases/{}", app.base_url, case.id)).header("cookie", &jar).send().await.unwrap();
    let html = page.text().await.unwrap();
    for id in [later, with] {
        assert!(html.contains(&format!("<tr data-id=\"{id}\">")), "{id} among the alerts sharing observables");
    }
}
