use firebreak_types::{Role, UpdateUser};

use crate::helpers::{RawSql, TestApp, spawn_app};

#[tokio::test]
async fn every_change_is_recorded_with_before_and_after() {
    let app = spawn_app().await;
    let (user, _) = app.user(&app.admin, "dana", Role::AnalystL1).await;
    app.admin.update_user(user.id, &UpdateUser { role: Some(Role::AnalystL2), ..Default::default() }).await.unwrap();
    let page = app.admin.audit(&format!("?object_id={}&total=true", user.id)).await.unwrap();
    assert_eq!(page.total, Some(2));
    let change = &page.items[0];
    assert_eq!(
        (change.action.as_str(), change.actor_name.as_str(), change.actor_kind.as_str()),
        ("change_role", "admin", "user")
    );
    assert_eq!(change.changes["role"]["before"], "analyst_l1");
    assert_eq!(change.changes["role"]["after"], "analyst_l2");
    assert_eq!(page.items[1].action, "create");
    assert_eq!(page.items[1].changes["username"], "dana");
    // Filters: by action and by time.
    let creates = app.admin.audit("?action=create&object_type=user&total=true").await.unwrap();
    assert_eq!(creates.total, Some(2), "the bootstrap admin and dana");
    let later = app.admin.audit("?from=2030-01-01T00:00:00Z&total=true").await.unwrap();
    assert_eq!(later.total, Some(0));
    let bad = app.admin.audit("?from=2030-01-01T00:00:00Z&to=2020-01-01T00:00:00Z").await;
    assert_eq!(bad.unwrap_err().status().map(|s| s.as_u16()), Some(400));
    // Writes by an API key name the key.
    let (created, key) = app.key(&app.admin, "automation", Role::Admin).await;
    key.update_user(user.id, &UpdateUser { display_name: Some("Dana".into()), ..Default::default() }).await.unwrap();
    let by_key = app.admin.audit(&format!("?actor_id={}", created.key.id)).await.unwrap();
    assert_eq!(by_key.items.len(), 1);
    assert_eq!(by_key.items[0].actor_kind, "api_key");
    let v = app.admin.verify_audit().await.unwrap();
    assert!(v.ok, "{v:?}");
    assert!(v.checked >= 5);
}

async fn tampered(app: &TestApp, sql: &[&str]) -> firebreak_types::AuditVerification {
    let raw = app.raw_sql().await;
    for s in sql {
        raw.execute(s).await;
    }
    if let RawSql::Sqlite(p) = raw {
        p.close().await;
    }
    app.admin.verify_audit().await.unwrap()
}

async fn app_with_history() -> TestApp {
    let app = spawn_app().await;
    for name in ["one", "two", "three", "four"] {
        app.user(&app.admin, name, Role::AnalystL1).await;
    }
    assert!(app.admin.verify_audit().await.unwrap().ok);
    app
}

#[tokio::test]
async fn a_rewritten_entry_is_found() {
    let app = app_with_history().await;
    let org = app.root_org;
    let v = tampered(
        &app,
        &[&format!("UPDATE audit_log SET changes = '{{\"role\":\"admin\"}}' WHERE org_id = '{org}' AND seq = 3")],
    )
    .await;
    assert!(!v.ok);
    assert_eq!(v.broken.unwrap().seq, 3);
}

#[tokio::test]
async fn a_deleted_entry_is_found() {
    let app = app_with_history().await;
    let org = app.root_org;
    let v = tampered(&app, &[&format!("DELETE FROM audit_log WHERE org_id = '{org}' AND seq = 2")]).await;
    assert_eq!(v.broken.map(|b| b.seq), Some(2));
}

#[tokio::test]
async fn reordered_entries_are_found() {
    let app = app_with_history().await;
    let org = app.root_org;
    let v = tampered(
        &app,
        &[
            &format!("UPDATE audit_log SET seq = -1 WHERE org_id = '{org}' AND seq = 2"),
            &format!("UPDATE audit_log SET seq = 2 WHERE org_id = '{org}' AND seq = 3"),
            &format!("UPDATE audit_log SET seq = 3 WHERE org_id = '{org}' AND seq = -1"),
        ],
    )
    .await;
    assert_eq!(v.broken.map(|b| b.seq), Some(2));
}

#[tokio::test]
async fn a_removed_newest_entry_is_found() {
    let app = app_with_history().await;
    let org = app.root_org;
    let v = tampered(&app, &[&format!("DELETE FROM audit_log WHERE org_id = '{org}' AND seq = (SELECT MAX(seq) FROM audit_log WHERE org_id = '{org}')")]).await;
    assert!(!v.ok, "{v:?}");
}
