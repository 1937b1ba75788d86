//! API keys belong to a user and never outlive or outrank them, including
//! keys made with other keys.

use firebreak_types::{CreateApiKey, Role, UpdateUser};
use time::Duration;

use crate::helpers::{code, spawn_app};

fn field<T: std::fmt::Debug>(r: &Result<T, firebreak_client::ClientError>) -> Option<String> {
    r.as_ref().err().and_then(|e| e.body()).and_then(|b| b.field.clone())
}

#[tokio::test]
async fn a_key_made_by_a_key_belongs_to_its_owner_and_expires_with_it() {
    let app = spawn_app().await;
    let t = app.tenant("Acme").await;
    let now = app.clock_now();
    let ask = |name: &str, role: Role, expires_at| CreateApiKey { name: name.into(), role, expires_at };
    let parent = t.admin.create_api_key(&ask("automation", Role::Admin, Some(now + Duration::days(30)))).await.unwrap();
    assert_eq!(parent.key.created_by, Some(t.admin_user.id));
    let automation = app.anonymous().bearer(parent.secret.clone());

    let child = automation.create_api_key(&ask("siem", Role::AnalystL2, None)).await.unwrap();
    assert_eq!(child.key.created_by, Some(t.admin_user.id), "owned by the user behind the key");
    assert_eq!(child.key.expires_at, parent.key.expires_at, "no expiry asked: the parent's");
    let sooner = automation.create_api_key(&ask("short", Role::AnalystL2, Some(now + Duration::days(1)))).await;
    assert_eq!(sooner.unwrap().key.expires_at, Some(now + Duration::days(1)));
    let later = automation.create_api_key(&ask("long", Role::AnalystL2, Some(now + Duration::days(31)))).await;
    assert_eq!((code(&later), field(&later)), ("invalid_field".into(), Some("expires_at".into())));

    // A key made by a key made by a key still belongs to the user.
    let grandchild =
        app.anonymous().bearer(automation.create_api_key(&ask("tooling", Role::Admin, None)).await.unwrap().secret);
    let made = grandchild.create_api_key(&ask("edr", Role::AnalystL1, None)).await.unwrap();
    assert_eq!((made.key.created_by, made.key.expires_at), (Some(t.admin_user.id), parent.key.expires_at));

    // A key that may not manage keys makes none, whatever role it asks for.
    let siem = app.anonymous().bearer(child.secret);
    assert_eq!(code(&siem.create_api_key(&ask("escalated", Role::Admin, None)).await), "forbidden");
    assert!(siem.me().await.is_ok());
}

#[tokio::test]
async fn keys_stop_when_their_owner_is_disabled_deleted_or_demoted() {
    let app = spawn_app().await;
    let t = app.tenant("Acme").await;
    let root = app.admin.clone().org(t.org.id);
    let (parent, automation) = app.key(&t.admin, "automation", Role::Admin).await;
    let child = automation
        .create_api_key(&CreateApiKey { name: "siem".into(), role: Role::AnalystL2, expires_at: None })
        .await
        .unwrap();
    let siem = app.anonymous().bearer(child.secret);
    assert!(siem.me().await.is_ok());

    let disable = |disabled| UpdateUser { disabled: Some(disabled), ..Default::default() };
    root.update_user(t.admin_user.id, &disable(true)).await.unwrap();
    assert_eq!(code(&siem.me().await), "unauthenticated", "the owner is disabled: so is the key made by a key");
    assert_eq!(code(&automation.me().await), "unauthenticated");
    root.update_user(t.admin_user.id, &disable(false)).await.unwrap();
    assert!(siem.me().await.is_ok());

    // An owner who may no longer do what the key may: the key stops, keys within the new role go on.
    root.update_user(t.admin_user.id, &UpdateUser { role: Some(Role::IncidentManager), ..Default::default() })
        .await
        .unwrap();
    let r = automation.me().await;
    assert_eq!(code(&r), "unauthenticated");
    assert!(r.unwrap_err().body().unwrap().message.contains("above its owner"));
    assert_eq!(code(&siem.me().await), "unauthenticated", "an analyst_l2 key ingests, which a manager may not");
    root.update_user(t.admin_user.id, &UpdateUser { role: Some(Role::Admin), ..Default::default() }).await.unwrap();
    assert!(automation.me().await.is_ok());

    root.delete_user(t.admin_user.id).await.unwrap();
    let r = siem.me().await;
    assert_eq!(code(&r), "unauthenticated", "the owner is deleted");
    assert_eq!(code(&automation.me().await), "unauthenticated");
    assert!(
        app.admin.clone().org(t.org.id).list_api_keys("").await.unwrap().items.iter().any(|k| k.id == parent.key.id)
    );
}

#[tokio::test]
async fn a_key_with_no_owner_is_refused() {
    let app = spawn_app().await;
    let (created, key) = app.key(&app.admin, "legacy", Role::AnalystL2).await;
    assert!(key.me().await.is_ok());
    // Keys made with keys before owners were recorded have none.
    let sql = app.raw_sql().await;
    sql.execute(&format!("UPDATE api_keys SET created_by = NULL WHERE id = '{}'", created.key.id)).await;
    let r = key.me().await;
    assert_eq!(code(&r), "unauthenticated");
    assert!(r.unwrap_err().body().unwrap().message.contains("no owner"));
}
