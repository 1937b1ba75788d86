use std::time::Duration;

use futures::StreamExt;
use reqwest::Method;

use crate::helpers::{PASSWORD, TestApp, spawn_app};
use firebreak_types::{Role, UpdateUser};

/// Reads the event stream until an event named `name` arrives.
async fn wait_for(resp: reqwest::Response, name: &str, within: Duration) -> bool {
    let mut stream = resp.bytes_stream();
    let mut buf = String::new();
    let deadline = tokio::time::Instant::now() + within;
    while let Ok(Some(Ok(chunk))) = tokio::time::timeout_at(deadline, stream.next()).await {
        buf.push_str(&String::from_utf8_lossy(&chunk));
        if buf.contains(&format!("event: {name}\n")) {
            return true;
        }
    }
    false
}

#[tokio::test]
async fn changes_reach_subscribers_of_their_organisation_only() {
    let app = spawn_app().await;
    let other = app.tenant("Elsewhere").await;
    let mine = app.admin.request(Method::GET, "/api/v1/live").send().await.unwrap();
    assert_eq!(mine.status(), 200);
    let theirs = other.admin.request(Method::GET, "/api/v1/live").send().await.unwrap();
    app.user(&app.admin, "fresh", Role::AnalystL1).await;
    assert!(wait_for(mine, "user.created", Duration::from_secs(2)).await);
    assert!(!wait_for(theirs, "user.created", Duration::from_millis(500)).await);
}

/// An open event stream, read a piece at a time.
struct Subscription {
    body: std::pin::Pin<Box<dyn futures::Stream<Item = reqwest::Result<String>> + Send>>,
    seen: String,
}

impl Subscription {
    async fn open(req: reqwest::RequestBuilder) -> Subscription {
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 200);
        let text = resp.bytes_stream().map(|chunk| chunk.map(|b| String::from_utf8_lossy(&b).into_owned()));
        let mut s = Subscription { body: Box::pin(text), seen: String::new() };
        assert!(s.next_event("ready").await, "the stream opens");
        s
    }

    /// Waits for an event named `name`; false when the stream ended or two seconds passed first.
    async fn next_event(&mut self, name: &str) -> bool {
        let marker = format!("event: {name}\n");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
        loop {
            if let Some(at) = self.seen.find(&marker) {
                self.seen.drain(..at + marker.len());
                return true;
            }
            match tokio::time::timeout_at(deadline, self.body.next()).await {
                Ok(Some(Ok(chunk))) => self.seen.push_str(&chunk),
                _ => return false,
            }
        }
    }

    /// Whether the stream ends within two seconds; what it sent meanwhile is kept in `seen`.
    async fn ends(&mut self) -> bool {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
        loop {
            match tokio::time::timeout_at(deadline, self.body.next()).await {
                Ok(Some(Ok(chunk))) => self.seen.push_str(&chunk),
                Ok(None | Some(Err(_))) => return true,
                Err(_) => return false,
            }
        }
    }
}

/// Signs in on the web page; returns the session cookie and its CSRF token.
async fn sign_in(app: &TestApp, username: &str, password: &str) -> (String, String) {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let form = http.get(format!("{}/login", app.base_url)).send().await.unwrap();
    let csrf = set_cookie(&form, "fb_login_csrf").unwrap();
    let resp = http
        .post(format!("{}/login", app.base_url))
        .header("cookie", format!("fb_login_csrf={csrf}"))
        .form(&[("username", username), ("password", password), ("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    let jar = format!("fb_session={}", set_cookie(&resp, "fb_session").expect("signed in"));
    let pages = reqwest::Client::new();
    let page = pages.get(format!("{}/", app.base_url)).header("cookie", &jar).send().await.unwrap();
    let page = page.text().await.unwrap();
    let marker = "name=\"csrf\" value=\"";
    let start = page.find(marker).expect("the sign-out form") + marker.len();
    (jar, page[start..].split('"').next().unwrap().to_owned())
}

fn set_cookie(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find_map(|v| {
        let (pair, _) = v.split_once(';').unwrap_or((v, ""));
        let (k, val) = pair.split_once('=')?;
        (k == name && !val.is_empty()).then(|| val.to_owned())
    })
}

fn live(app: &TestApp) -> reqwest::RequestBuilder {
    reqwest::Client::new().get(format!("{}/api/v1/live", app.base_url))
}

#[tokio::test]
async fn revoking_what_opened_a_stream_ends_it() {
    let app = spawn_app().await;
    let (key, key_client) = app.key(&app.admin, "watcher-key", Role::AnalystL2).await;
    let (disabled, _) = app.user(&app.admin, "disabled", Role::AnalystL1).await;
    let (renamed, basic) = app.user(&app.admin, "renamed", Role::AnalystL1).await;
    app.user(&app.admin, "leaving", Role::AnalystL1).await;
    let (deleted, _) = app.user(&app.admin, "deleted", Role::AnalystL1).await;
    let mut by_key = Subscription::open(key_client.request(Method::GET, "/api/v1/live")).await;
    let (jar, _) = sign_in(&app, "disabled", PASSWORD).await;
    let mut by_disabled = Subscription::open(live(&app).header("cookie", &jar)).await;
    let (jar, csrf) = sign_in(&app, "leaving", PASSWORD).await;
    let mut by_leaving = Subscription::open(live(&app).header("cookie", &jar)).await;
    let mut by_password = Subscription::open(basic.request(Method::GET, "/api/v1/live")).await;
    let (gone, _) = sign_in(&app, "deleted", PASSWORD).await;
    let mut by_deleted = Subscription::open(live(&app).header("cookie", &gone)).await;
    let mut by_admin = Subscription::open(app.admin.request(Method::GET, "/api/v1/live")).await;

    app.admin.revoke_api_key(key.key.id).await.unwrap();
    app.admin.update_user(disabled.id, &UpdateUser { disabled: Some(true), ..Default::default() }).await.unwrap();
    let out = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = out
        .post(format!("{}/logout", app.base_url))
        .header("cookie", &jar)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    app.admin.set_password(renamed.id, "a brand new passphrase").await.unwrap();
    app.admin.delete_user(deleted.id).await.unwrap();
    app.user(&app.admin, "fresh", Role::AnalystL1).await;

    for (what, s) in [
        ("a revoked key", &mut by_key),
        ("a disabled user", &mut by_disabled),
        ("a session signed out", &mut by_leaving),
        ("an old password", &mut by_password),
        ("a deleted user", &mut by_deleted),
    ] {
        assert!(s.ends().await, "the stream opened with {what} ends");
        assert!(!s.seen.contains("event: user.created"), "{what} saw no event after its revocation: {}", s.seen);
    }
    assert!(by_admin.next_event("user.created").await, "other streams go on");
}

#[tokio::test]
async fn a_revocation_by_another_node_ends_the_stream_within_seconds() {
    let app = spawn_app().await;
    let (key, key_client) = app.key(&app.admin, "watcher-key", Role::AnalystL2).await;
    let (user, _) = app.user(&app.admin, "watcher", Role::AnalystL1).await;
    let (jar, _) = sign_in(&app, "watcher", PASSWORD).await;
    let mut by_key = Subscription::open(key_client.request(Method::GET, "/api/v1/live")).await;
    let mut by_session = Subscription::open(live(&app).header("cookie", &jar)).await;
    app.user(&app.admin, "first", Role::AnalystL1).await;
    assert!(by_key.next_event("user.created").await);
    assert!(by_session.next_event("user.created").await);

    // Another node writes to the shared database; this node hears nothing of it.
    let sql = app.raw_sql().await;
    sql.execute(&format!("UPDATE api_keys SET revoked_at = 1 WHERE id = '{}'", key.key.id)).await;
    sql.execute(&format!("UPDATE users SET disabled = 1 WHERE id = '{}'", user.id)).await;
    app.clock.advance(time::Duration::seconds(6));
    app.user(&app.admin, "second", Role::AnalystL1).await;
    for s in [&mut by_key, &mut by_session] {
        assert!(s.ends().await);
        assert!(!s.seen.contains("event: user.created"), "{}", s.seen);
    }
}
