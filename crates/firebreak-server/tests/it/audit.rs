use firebreak_app::{checkpoints, service};
use firebreak_domain::clock::Clock;
use firebreak_types::{AuditProblemKind, Role, UpdateUser};

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
    assert_eq!(by_key.items[0].actor_kind, firebreak_types::ActorKind::ApiKey);
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

fn kinds(v: &firebreak_types::AuditVerification) -> Vec<(AuditProblemKind, Option<uuid::Uuid>)> {
    v.problems.iter().map(|p| (p.kind, p.org_id)).collect()
}

/// Entries removed from the end and the head rewound to the new last entry:
/// the links hold, but the head's MAC was made for another head.
#[tokio::test]
async fn a_chain_cut_back_with_its_head_rewound_is_found() {
    let app = app_with_history().await;
    let org = app.root_org;
    let v = tampered(
        &app,
        &[
            &format!("DELETE FROM audit_log WHERE org_id = '{org}' AND seq > 3"),
            &format!(
                "UPDATE audit_heads SET seq = 3, hash = (SELECT hash FROM audit_log WHERE org_id = '{org}' AND seq = 3) \
                 WHERE org_id = '{org}'"
            ),
        ],
    )
    .await;
    assert!(!v.ok, "{v:?}");
    assert_eq!(kinds(&v), [(AuditProblemKind::HeadMacInvalid, Some(org))]);
}

#[tokio::test]
async fn an_organisation_whose_whole_chain_was_removed_is_found() {
    let app = spawn_app().await;
    let acme = app.tenant("Acme").await;
    let id = acme.org.id;
    assert!(app.admin.verify_audit().await.unwrap().ok);
    let v = tampered(
        &app,
        &[
            &format!("DELETE FROM audit_log WHERE org_id = '{id}'"),
            &format!("DELETE FROM audit_heads WHERE org_id = '{id}'"),
        ],
    )
    .await;
    assert!(!v.ok, "{v:?}");
    assert_eq!(kinds(&v), [(AuditProblemKind::ChainMissing, Some(id))]);
    // Its own admin, verifying their organisation's chain, is told too.
    let own = acme.admin.verify_audit().await.unwrap();
    assert_eq!(kinds(&own), [(AuditProblemKind::ChainMissing, Some(id))]);
}

/// The head saved with its valid MAC, the chain grown and checkpointed, then
/// cut back and the saved head put back: only the checkpoint can tell.
#[tokio::test]
async fn an_older_head_replayed_after_a_checkpoint_is_behind_it() {
    let app = app_with_history().await;
    let org = app.root_org;
    let raw = app.raw_sql().await;
    raw.execute(&format!("CREATE TABLE saved_head AS SELECT seq, hash, mac FROM audit_heads WHERE org_id = '{org}'"))
        .await;
    app.user(&app.admin, "five", Role::AnalystL1).await;
    app.user(&app.admin, "six", Role::AnalystL1).await;
    let written = checkpoints::write_due(&app.state).await.unwrap().expect("a first checkpoint");
    let recorded = written.heads.iter().find(|h| h.org_id == org).unwrap().seq;
    let v = tampered(
        &app,
        &[
            &format!("DELETE FROM audit_log WHERE org_id = '{org}' AND seq > (SELECT seq FROM saved_head)"),
            &format!(
                "UPDATE audit_heads SET seq = (SELECT seq FROM saved_head), hash = (SELECT hash FROM saved_head), \
                 mac = (SELECT mac FROM saved_head) WHERE org_id = '{org}'"
            ),
        ],
    )
    .await;
    assert!(!v.ok, "{v:?}");
    assert_eq!(kinds(&v), [(AuditProblemKind::BehindCheckpoint, Some(org))]);
    assert_eq!(v.problems[0].seq, Some(recorded));
    assert!(v.problems[0].reason.contains("but the chain ends at entry"), "{v:?}");
}

#[tokio::test]
async fn a_changed_or_removed_checkpoint_is_found() {
    let app = app_with_history().await;
    let path = app.state.app.settings().audit_checkpoints.clone();
    checkpoints::write_due(&app.state).await.unwrap().expect("first");
    app.user(&app.admin, "five", Role::AnalystL1).await;
    app.clock.advance(time::Duration::minutes(10));
    checkpoints::write_due(&app.state).await.unwrap().expect("second");
    let v = app.admin.verify_audit().await.unwrap();
    assert!(v.ok, "{v:?}");
    assert_eq!(v.checkpoints, 2);

    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let seq_at = lines[0].find("\"seq\":").unwrap() + 6;
    let changed = format!("{}9{}", &lines[0][..seq_at], &lines[0][seq_at..]);
    std::fs::write(&path, format!("{changed}\n{}\n", lines[1])).unwrap();
    let v = app.admin.verify_audit().await.unwrap();
    assert!(!v.ok);
    assert_eq!(kinds(&v), [(AuditProblemKind::CheckpointInvalid, None), (AuditProblemKind::CheckpointInvalid, None)]);
    assert_eq!(v.problems.iter().map(|p| p.seq).collect::<Vec<_>>(), [Some(1), Some(2)], "{v:?}");

    std::fs::write(&path, format!("{}\n", lines[1])).unwrap();
    let v = app.admin.verify_audit().await.unwrap();
    assert_eq!(kinds(&v), [(AuditProblemKind::CheckpointInvalid, None)]);
    assert!(v.problems[0].reason.contains("does not follow"), "{v:?}");
}

#[tokio::test]
async fn an_untampered_log_verifies_with_its_checkpoints_before_and_after_a_restart() {
    let app = app_with_history().await;
    let acme = app.tenant("Acme").await;
    app.user(&acme.admin, "ana", Role::AnalystL1).await;
    firebreak_app::jobs::tick(&app.state).await;
    assert!(checkpoints::write_due(&app.state).await.unwrap().is_none(), "not due yet");
    app.clock.advance(time::Duration::minutes(10));
    assert!(checkpoints::write_due(&app.state).await.unwrap().is_none(), "due, but no chain moved");
    app.user(&app.admin, "five", Role::AnalystL1).await;
    assert!(checkpoints::write(&app.state).await.unwrap().is_some(), "a chain moved");
    let v = app.admin.verify_audit().await.unwrap();
    assert!(v.ok, "{v:?}");
    assert_eq!((v.checkpoints, v.problems.len()), (2, 0));
    assert_eq!(v.last_checkpoint_at, Some(app.clock.now()));
    assert!(acme.admin.verify_audit().await.unwrap().ok);

    let (again, store) = app.restarted().await;
    let v = service::verify_chains(store.as_ref(), again.checkpoints().path(), None).await.unwrap();
    assert!(v.ok, "{v:?}");
    app.clock.advance(time::Duration::minutes(1));
    let ctx = firebreak_store::WriteCtx { actor: firebreak_store::Actor::System, now: app.clock.now() };
    let event = firebreak_store::AuditEvent {
        object_type: "server".into(),
        object_id: "node".into(),
        action: "restart".into(),
        details: serde_json::json!({}),
    };
    firebreak_store::Store::record_event(store.as_ref(), &ctx, app.root_org, event).await.unwrap();
    assert!(checkpoints::write_due(&again).await.unwrap().is_some(), "the first of this process");
    let v = service::verify_chains(store.as_ref(), again.checkpoints().path(), None).await.unwrap();
    assert!(v.ok, "{v:?}");
    assert_eq!(v.checkpoints, 3, "the restarted server's checkpoint follows the earlier ones");
}

#[tokio::test]
async fn heads_written_before_heads_were_signed_are_reported_until_the_first_start_signs_them() {
    let app = app_with_history().await;
    let org = app.root_org;
    let v = tampered(&app, &[&format!("UPDATE audit_heads SET mac = NULL WHERE org_id = '{org}'")]).await;
    assert_eq!(kinds(&v), [(AuditProblemKind::HeadNotAnchored, Some(org))]);
    assert_eq!(checkpoints::anchor_unsigned_heads(&app.state).await.unwrap(), 1, "no checkpoint yet: a first start");
    assert!(app.admin.verify_audit().await.unwrap().ok);
    // Once there is a checkpoint, a MAC removed later is not signed again.
    checkpoints::write(&app.state).await.unwrap();
    let v = tampered(&app, &[&format!("UPDATE audit_heads SET mac = NULL WHERE org_id = '{org}'")]).await;
    assert_eq!(checkpoints::anchor_unsigned_heads(&app.state).await.unwrap(), 0);
    assert_eq!(kinds(&v), [(AuditProblemKind::HeadNotAnchored, Some(org))]);
}
