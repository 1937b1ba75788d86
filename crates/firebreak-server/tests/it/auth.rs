use firebreak_types::{CreateApiKey, Role, UpdateUser};
use time::Duration;

use crate::helpers::{ADMIN_PASSWORD, code, spawn_app};

#[tokio::test]
async fn basic_credentials_and_failed_sign_ins() {
    let app = spawn_app().await;
    assert_eq!(app.admin.me().await.unwrap().name, "admin");
    assert_eq!(code(&app.anonymous().me().await), "unauthenticated");
    let wrong = app.client("admin", "not the password");
    for _ in 0..5 {
        assert_eq!(code(&wrong.me().await), "unauthenticated");
    }
    // Five failures: now even the right password must wait.
    let r = app.admin.me().await;
    assert_eq!(code(&r), "too_many_attempts");
    let resp = app.admin.request(reqwest::Method::GET, "/api/v1/me").send().await.unwrap();
    assert_eq!(resp.status(), 429);
    assert!(resp.headers().get("retry-after").is_some());
    app.clock.advance(Duration::seconds(5));
    assert!(app.admin.me().await.is_ok(), "after the wait the right password works");
    let failed = app.admin.audit("?action=login_failed&total=true").await.unwrap();
    assert_eq!(failed.total, Some(5), "every failure is audited");
    // Unknown users are slowed down and audited too.
    let nobody = app.client("nobody", ADMIN_PASSWORD);
    assert_eq!(code(&nobody.me().await), "unauthenticated");
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
