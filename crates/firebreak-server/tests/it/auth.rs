use firebreak_types::{CreateApiKey, Role, UpdateUser};
use time::Duration;

use firebreak_server::ServerSettings;

use crate::helpers::{ADMIN_PASSWORD, PASSWORD, code, spawn_app, spawn_app_with};

#[tokio::test]
async fn basic_credentials_and_failed_sign_ins() {
    let app = spawn_app().await;
    assert_eq!(app.admin.me().await.unwrap().name, "admin");
    assert_eq!(code(&app.anonymous().me().await), "unauthenticated");
    let wrong = app.client("admin", "not the password");
    for _ in 0..5 {
        assert_eq!(code(&wrong.me().await), "unauthenticated");
    }
    // Five failures: now wrong passwords must wait...
    let resp = wrong.request(reqwest::Method::GET, "/api/v1/me").send().await.unwrap();
    assert_eq!(resp.status(), 429);
    assert!(resp.headers().get("retry-after").is_some());
    // ...while the right one, from an address that is not itself slowed, gets in.
    assert!(app.admin.me().await.is_ok(), "the account's owner is not locked out");
    let failed = app.admin.audit("?action=login_failed&total=true").await.unwrap();
    assert_eq!(failed.total, Some(6), "every failure is audited");
    // Unknown users are slowed down and audited too.
    let nobody = app.client("nobody", ADMIN_PASSWORD);
    assert_eq!(code(&nobody.me().await), "unauthenticated");
}

#[tokio::test]
async fn a_disabled_account_answers_the_right_password_as_a_wrong_one() {
    let app = spawn_app().await;
    let (user, client) = app.user(&app.admin, "leaver", Role::AnalystL1).await;
    app.admin.update_user(user.id, &UpdateUser { disabled: Some(true), ..Default::default() }).await.unwrap();
    let right = client.request(reqwest::Method::GET, "/api/v1/me").send().await.unwrap();
    let wrong =
        app.client("leaver", "not the password").request(reqwest::Method::GET, "/api/v1/me").send().await.unwrap();
    assert_eq!(
        (right.status(), wrong.status()),
        (reqwest::StatusCode::UNAUTHORIZED, reqwest::StatusCode::UNAUTHORIZED)
    );
    let (right, wrong): (serde_json::Value, serde_json::Value) =
        (right.json().await.unwrap(), wrong.json().await.unwrap());
    assert_eq!(right, wrong, "the same answer whether the password was right or not");
    assert_eq!(right["message"], "wrong username or password");
    // The reason is for the audit log only.
    let failed = app.admin.audit("?action=login_failed").await.unwrap();
    let reasons: Vec<&str> = failed.items.iter().filter_map(|e| e.changes["reason"].as_str()).collect();
    assert!(reasons.contains(&"disabled") && reasons.contains(&"wrong_password"), "{reasons:?}");
    // The sign-in page answers alike as well.
    let http = reqwest::Client::new();
    let page = |password: &'static str| {
        let http = http.clone();
        let base = app.base_url.clone();
        async move {
            let form = http.get(format!("{base}/login")).send().await.unwrap();
            let csrf = set_cookie(&form, "fb_login_csrf").unwrap();
            let resp = http
                .post(format!("{base}/login"))
                .header("cookie", format!("fb_login_csrf={csrf}"))
                .form(&[("username", "leaver"), ("password", password), ("csrf", csrf.as_str())])
                .send()
                .await
                .unwrap();
            (resp.status(), resp.text().await.unwrap().replace(&csrf, ""))
        }
    };
    assert_eq!(page(PASSWORD).await, page("not the password").await);
}

/// A client that reaches the server through a trusted proxy from `addr`.
fn from(client: &firebreak_client::Client, addr: &str) -> impl Fn(&str) -> reqwest::RequestBuilder + use<> {
    let (client, addr) = (client.clone(), addr.to_owned());
    move |path: &str| client.request(reqwest::Method::GET, path).header("x-forwarded-for", &addr)
}

fn behind_a_proxy() -> ServerSettings {
    ServerSettings { trusted_proxies: vec!["127.0.0.1".parse().unwrap()], ..ServerSettings::default() }
}

#[tokio::test]
async fn a_locked_account_still_signs_in_with_the_right_password_from_another_address() {
    let app = spawn_app_with(behind_a_proxy()).await;
    let (_, victim) = app.user(&app.admin, "victim", Role::AnalystL1).await;
    let attacker = from(&app.client("victim", "guess"), "198.51.100.1");
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(attacker("/api/v1/me").send().await.unwrap().status().as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429, 429, 429], "the account is slowed down");
    let owner = from(&victim, "203.0.113.5")("/api/v1/me").send().await.unwrap();
    assert_eq!(owner.status(), 200, "its owner still signs in");
}

#[tokio::test]
async fn one_password_across_many_accounts_is_slowed_by_address() {
    let app = spawn_app_with(behind_a_proxy()).await;
    let mut first_refusal = None;
    for n in 0..30 {
        let spray = from(&app.client(&format!("user{n}"), "Summer2026!"), "198.51.100.1");
        let resp = spray("/api/v1/me").send().await.unwrap();
        if resp.status() == 429 {
            assert!(resp.headers().get("retry-after").is_some());
            first_refusal = Some(n);
            break;
        }
        assert_eq!(resp.status(), 401);
    }
    assert_eq!(first_refusal, Some(20), "four times an account's free attempts, then each must wait");
    // The address is refused before its password is checked, even a right one...
    let r = from(&app.admin, "198.51.100.1")("/api/v1/me").send().await.unwrap();
    assert_eq!(r.status(), 429);
    // ...but another address is not slowed.
    assert_eq!(from(&app.admin, "198.51.100.2")("/api/v1/me").send().await.unwrap().status(), 200);
    // Without the proxy in between, X-Forwarded-For is the client's own word and is ignored.
    let direct = spawn_app().await;
    for n in 0..20 {
        let spray = from(&direct.client(&format!("user{n}"), "Summer2026!"), &format!("198.51.100.{n}"));
        spray("/api/v1/me").send().await.unwrap();
    }
    let r = from(&direct.admin, "203.0.113.9")("/api/v1/me").send().await.unwrap();
    assert_eq!(r.status(), 429, "the peer address was counted, whatever the header said");
}

#[tokio::test]
async fn ipv6_clients_are_slowed_per_64_block() {
    let app = spawn_app_with(behind_a_proxy()).await;
    for n in 0..20 {
        let spray = from(&app.client(&format!("user{n}"), "guess"), &format!("2001:db8:1:2::{n:x}"));
        assert_eq!(spray("/api/v1/me").send().await.unwrap().status(), 401);
    }
    assert_eq!(from(&app.admin, "2001:db8:1:2:ffff::1")("/api/v1/me").send().await.unwrap().status(), 429);
    assert_eq!(from(&app.admin, "2001:db8:1:3::1")("/api/v1/me").send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn session_cookies_are_secure_over_https_or_when_configured() {
    async fn session_cookie(base: &str, proto: Option<&str>) -> String {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let form = http.get(format!("{base}/login")).send().await.unwrap();
        let csrf = set_cookie(&form, "fb_login_csrf").unwrap();
        let mut req = http.post(format!("{base}/login")).header("cookie", format!("fb_login_csrf={csrf}")).form(&[
            ("username", "admin"),
            ("password", ADMIN_PASSWORD),
            ("csrf", csrf.as_str()),
        ]);
        if let Some(p) = proto {
            req = req.header("x-forwarded-proto", p);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 303);
        resp.headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .find(|c| c.starts_with("fb_session="))
            .unwrap()
    }
    let proxied = spawn_app_with(behind_a_proxy()).await;
    assert!(session_cookie(&proxied.base_url, Some("https")).await.contains("; Secure"));
    assert!(!session_cookie(&proxied.base_url, Some("http")).await.contains("Secure"));
    assert!(!session_cookie(&proxied.base_url, None).await.contains("Secure"));
    let direct = spawn_app().await;
    assert!(!session_cookie(&direct.base_url, Some("https")).await.contains("Secure"), "an untrusted peer's word");
    let always = spawn_app_with(ServerSettings { secure_cookies: Some(true), ..ServerSettings::default() }).await;
    assert!(session_cookie(&always.base_url, None).await.contains("; Secure"));
    let never = spawn_app_with(ServerSettings { secure_cookies: Some(false), ..behind_a_proxy() }).await;
    assert!(!session_cookie(&never.base_url, Some("https")).await.contains("Secure"), "an explicit setting wins");
}

fn set_cookie(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find_map(|v| {
        let (pair, _) = v.split_once(';').unwrap_or((v, ""));
        let (k, val) = pair.split_once('=')?;
        (k == name && !val.is_empty()).then(|| val.to_owned())
    })
}

#[tokio::test]
async fn api_keys_are_shown_once_and_stop_when_revoked_expired_or_orphaned() {
    let app = spawn_app().await;
    let (created, key) = app.key(&app.admin, "siem", Role::AnalystL2).await;
    assert!(created.secret.starts_with("fbk_"));
    let me = key.me().await.unwrap();
    assert_eq!((me.kind.as_str(), me.role), ("api_key", Role::AnalystL2));
    let listed = app.admin.list_api_keys("").await.unwrap();
    let text = serde_json::to_string(&listed).unwrap();
    assert!(!text.contains(&created.secret), "the secret is never shown again");
    assert!(listed.items.iter().any(|k| k.id == created.key.id && k.last_used_at.is_some()));

    app.admin.revoke_api_key(created.key.id).await.unwrap();
    let r = key.me().await;
    assert_eq!(code(&r), "unauthenticated");
    assert!(r.unwrap_err().body().unwrap().message.contains("revoked"));

    let expiring = app
        .admin
        .create_api_key(&CreateApiKey {
            name: "short".into(),
            role: Role::Stakeholder,
            expires_at: Some(app.clock_now() + Duration::hours(1)),
        })
        .await
        .unwrap();
    let short = app.anonymous().bearer(expiring.secret);
    assert!(short.me().await.is_ok());
    app.clock.advance(Duration::hours(2));
    let r = short.me().await;
    assert!(r.unwrap_err().body().unwrap().message.contains("expired"));

    // A stakeholder key cannot write.
    let (_, viewer) = app.key(&app.admin, "viewer", Role::Stakeholder).await;
    assert_eq!(code(&viewer.list_api_keys("").await), "forbidden");
}

#[tokio::test]
async fn disabling_a_user_stops_their_credentials_and_keys_at_once() {
    let app = spawn_app().await;
    let t = app.tenant("Acme").await;
    let (_, key) = app.key(&t.admin, "acme-siem", Role::AnalystL2).await;
    assert!(key.me().await.is_ok());
    assert!(t.admin.me().await.is_ok());
    app.admin
        .clone()
        .org(t.org.id)
        .update_user(t.admin_user.id, &UpdateUser { disabled: Some(true), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(code(&t.admin.me().await), "unauthenticated");
    assert_eq!(code(&key.me().await), "unauthenticated", "keys made by a disabled admin stop");
    // A key cannot leave its organisation.
    let (_, root_key) = app.key(&app.admin, "root-siem", Role::Admin).await;
    assert_eq!(code(&root_key.org(t.org.id).me().await), "not_found");
}

impl crate::helpers::TestApp {
    pub fn clock_now(&self) -> time::OffsetDateTime {
        use firebreak_domain::clock::Clock;
        self.clock.now()
    }
}
