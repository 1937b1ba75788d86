use std::sync::Arc;

use firebreak_store::{
    AuditEvent, CaseStore, CaseWrite, Item, ItemQuery, ItemStore, NewApiKey, NewOrg, NewSession, NewUser, OpenOptions,
    OrgPatch, QueryStore, SqlStore, Store, StoreError, UserPatch,
};
use firebreak_types::{
    AuditQuery, Case, CaseLinkKind, CaseQuery, CaseState, Level, ListParams, OrgKind, Pap, PauseSpan, Priority,
    ReviewStatus, Role, Tier, Tlp,
};
use time::Duration;
use time::macros::datetime;
use uuid::Uuid;

use crate::harness::Harness;
pub use crate::intake::{
    a_value_too_common_stops_joining_alerts, an_amended_alert_is_written_audited_and_still_repeated,
    each_batch_is_audited_and_a_failed_one_is_not, intake_counts_new_alerts_by_hour,
    intake_dedups_within_and_across_batches, observables_added_later_are_sighted_and_leave_the_story,
    stories_span_batches_and_repeats_join_none, the_window_holds_both_ways_whatever_the_arrival_order,
};
pub use crate::query::filters_compile_to_sql_alike_on_both_databases;
pub use crate::queue::the_queue_pages_by_keyset_as_by_offset;
pub use crate::shares::shares_are_scoped_unique_and_audited_on_both_sides;

pub async fn org(h: &Harness, name: &str) -> Uuid {
    let id = Uuid::now_v7();
    let new = NewOrg {
        id,
        root: false,
        grant_to: None,
        name: name.into(),
        kind: OrgKind::Customer,
        description: String::new(),
    };
    h.store.create_org(&h.ctx(0), new).await.unwrap();
    id
}

fn new_user(name: &str, role: Role) -> NewUser {
    NewUser {
        id: Uuid::now_v7(),
        username: name.into(),
        display_name: format!("{name} display"),
        email: String::new(),
        role,
        password_hash: "argon2-hash-placeholder".into(),
    }
}

fn params(q: &str) -> ListParams {
    let mut p = ListParams::default();
    for pair in q.split('&').filter(|s| !s.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap();
        match k {
            "limit" => p.limit = Some(v.parse().unwrap()),
            "offset" => p.offset = Some(v.parse().unwrap()),
            "sort" => p.sort = Some(v.into()),
            "q" => p.q = Some(v.into()),
            "total" => p.total = Some(v == "true"),
            _ => panic!("{k}"),
        }
    }
    p
}

fn audit_query(object_id: &str) -> AuditQuery {
    AuditQuery { object_id: Some(object_id.into()), total: Some(true), ..AuditQuery::default() }
}

pub async fn organisations_and_grants(h: &Harness) {
    let provider = Uuid::now_v7();
    let new = NewOrg {
        id: provider,
        root: true,
        grant_to: None,
        name: "Provider".into(),
        kind: OrgKind::Provider,
        description: "MSSP".into(),
    };
    h.store.create_org(&h.ctx(0), new).await.unwrap();
    assert_eq!(h.store.root_org().await.unwrap(), Some(provider));
    let dup = NewOrg {
        id: Uuid::now_v7(),
        root: false,
        grant_to: None,
        name: "PROVIDER".into(),
        kind: OrgKind::Customer,
        description: String::new(),
    };
    assert!(
        matches!(h.store.create_org(&h.ctx(0), dup).await, Err(StoreError::Conflict(_))),
        "names are unique without case"
    );

    let customer = Uuid::now_v7();
    let new = NewOrg {
        id: customer,
        root: false,
        grant_to: Some(provider),
        name: "Customer".into(),
        kind: OrgKind::Customer,
        description: String::new(),
    };
    h.store.create_org(&h.ctx(1), new).await.unwrap();
    assert_eq!(h.store.grants_of(provider).await.unwrap(), vec![customer], "created with its grant");
    assert!(matches!(h.store.grant_access(&h.ctx(2), provider, customer).await, Err(StoreError::Conflict(_))));
    h.store.revoke_access(&h.ctx(3), provider, customer).await.unwrap();
    assert!(h.store.grants_of(provider).await.unwrap().is_empty());
    assert!(matches!(h.store.revoke_access(&h.ctx(3), provider, customer).await, Err(StoreError::NotFound)));
    h.store.grant_access(&h.ctx(4), provider, customer).await.unwrap();

    let updated = h
        .store
        .update_org(&h.ctx(5), customer, OrgPatch { name: Some("Customer Ltd".into()), description: None })
        .await
        .unwrap();
    assert_eq!(updated.name, "Customer Ltd");
    assert_eq!(h.store.get_org(customer).await.unwrap().unwrap().name, "Customer Ltd");
    let page = h.store.list_orgs(&[customer], &params("total=true")).await.unwrap();
    assert_eq!((page.total, page.items.len()), (Some(1), 1), "only the visible organisations");
    assert_eq!(h.store.org_count().await.unwrap(), 2);
}

pub async fn users_are_scoped_paged_sorted_and_searched(h: &Harness) {
    let a = org(h, "A").await;
    let b = org(h, "B").await;
    let mut ids = Vec::new();
    for name in ["carol", "alice", "bob", "dave", "erin"] {
        ids.push(h.store.create_user(&h.ctx(1), a, new_user(name, Role::AnalystL1)).await.unwrap().id);
    }
    h.store.create_user(&h.ctx(1), b, new_user("mallory_50%", Role::Admin)).await.unwrap();
    assert!(matches!(
        h.store.create_user(&h.ctx(2), b, new_user("alice", Role::Admin)).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(h.store.get_user(b, ids[0]).await.unwrap().is_none(), "scoped to the organisation");
    assert_eq!(h.store.get_user(a, ids[0]).await.unwrap().unwrap().username, "carol");

    let page = h.store.list_users(a, &params("sort=username&limit=2&offset=1&total=true")).await.unwrap();
    let names: Vec<_> = page.items.iter().map(|u| u.username.as_str()).collect();
    assert_eq!((names, page.total), (vec!["bob", "carol"], Some(5)));
    let desc = h.store.list_users(a, &params("sort=-username&limit=1")).await.unwrap();
    assert_eq!(desc.items[0].username, "erin");
    for bad in ["sort=password_hash", "limit=0", "limit=1001"] {
        let err = h.store.list_users(a, &params(bad)).await.unwrap_err();
        assert!(matches!(err, StoreError::BadQuery { .. }), "{bad}: {err}");
    }
    assert_eq!(h.store.list_users(a, &params("q=ALI&total=true")).await.unwrap().total, Some(1));
    assert_eq!(h.store.list_users(b, &params("q=50%&total=true")).await.unwrap().total, Some(1));
    assert_eq!(h.store.list_users(b, &params("q=_%&total=true")).await.unwrap().total, Some(0), "% and _ are literal");
    let (user, hash) = h.store.credentials("alice").await.unwrap().unwrap();
    assert_eq!((user.org_id, hash.as_str()), (a, "argon2-hash-placeholder"));
    h.store.delete_user(&h.ctx(3), a, ids[4]).await.unwrap();
    assert!(matches!(h.store.delete_user(&h.ctx(3), a, ids[4]).await, Err(StoreError::NotFound)));
}

pub async fn disabling_ends_sessions_and_orphans_keys(h: &Harness) {
    let a = org(h, "A").await;
    let admin = h.store.create_user(&h.ctx(0), a, new_user("root", Role::Admin)).await.unwrap();
    let ctx = h.user_ctx(admin.id, "root");
    let now = ctx.now;
    let session = |token: &str| NewSession {
        token_hash: token.into(),
        user_id: admin.id,
        user_org: a,
        csrf_token: "csrf".into(),
        expires_at: now + Duration::hours(1),
    };
    h.store.create_session(&ctx, session("t1")).await.unwrap();
    let ms = |t: time::OffsetDateTime| firebreak_domain::clock::to_millis(t);
    assert_eq!(h.store.session("t1", ms(now)).await.unwrap().unwrap().user.id, admin.id);
    assert!(h.store.session("t1", ms(now + Duration::hours(2))).await.unwrap().is_none(), "expired");
    let key = NewApiKey {
        id: Uuid::now_v7(),
        name: "siem".into(),
        role: Role::AnalystL2,
        prefix: "fbk_abc".into(),
        secret_hash: "hash-1".into(),
        created_by: Some(admin.id),
        expires_at: None,
    };
    h.store.create_api_key(&ctx, a, key).await.unwrap();
    assert!(!h.store.api_key_by_secret_hash("hash-1").await.unwrap().unwrap().creator_disabled);

    h.store.update_user(&ctx, a, admin.id, UserPatch { disabled: Some(true), ..UserPatch::default() }).await.unwrap();
    assert!(h.store.session("t1", ms(now)).await.unwrap().is_none(), "the session ended with the disable");
    assert!(h.store.api_key_by_secret_hash("hash-1").await.unwrap().unwrap().creator_disabled);

    h.store.update_user(&ctx, a, admin.id, UserPatch { disabled: Some(false), ..UserPatch::default() }).await.unwrap();
    h.store.create_session(&ctx, session("t2")).await.unwrap();
    h.store.set_password(&ctx, a, admin.id, "new-hash".into()).await.unwrap();
    assert!(h.store.session("t2", ms(now)).await.unwrap().is_none(), "a new password ends sessions");
    h.store.create_session(&ctx, session("t3")).await.unwrap();
    h.store.end_session(&ctx, "t3").await.unwrap();
    assert!(h.store.session("t3", ms(now)).await.unwrap().is_none());
}

pub async fn api_keys_revoke_and_touch(h: &Harness) {
    let a = org(h, "A").await;
    let b = org(h, "B").await;
    let id = Uuid::now_v7();
    let key = NewApiKey {
        id,
        name: "edr".into(),
        role: Role::AnalystL2,
        prefix: "fbk_xyz".into(),
        secret_hash: "hash-2".into(),
        created_by: None,
        expires_at: Some(datetime!(2027-01-01 00:00 UTC)),
    };
    h.store.create_api_key(&h.ctx(0), a, key).await.unwrap();
    assert!(h.store.get_api_key(b, id).await.unwrap().is_none());
    assert_eq!(h.store.list_api_keys(a, &params("q=EDR&total=true")).await.unwrap().total, Some(1));
    h.store.touch_api_key(id, 1_800_000_000_000).await.unwrap();
    let k = h.store.get_api_key(a, id).await.unwrap().unwrap();
    assert_eq!(k.last_used_at.map(firebreak_domain::clock::to_millis), Some(1_800_000_000_000));
    let revoked = h.store.revoke_api_key(&h.ctx(1), a, id).await.unwrap();
    let again = h.store.revoke_api_key(&h.ctx(2), a, id).await.unwrap();
    assert!(revoked.revoked_at.is_some());
    assert_eq!(revoked.revoked_at, again.revoked_at, "revoking twice changes nothing");
    assert!(matches!(h.store.revoke_api_key(&h.ctx(2), b, id).await, Err(StoreError::NotFound)));
    let audited = h.store.list_audit(a, &audit_query(&id.to_string())).await.unwrap();
    assert_eq!(audited.total, Some(2), "create and one revoke");
}

pub async fn a_key_without_its_owner_counts_as_disabled(h: &Harness) {
    let a = org(h, "A").await;
    let owner = h.store.create_user(&h.ctx(0), a, new_user("owner", Role::IncidentManager)).await.unwrap();
    let key = |hash: &str, created_by: Option<Uuid>| NewApiKey {
        id: Uuid::now_v7(),
        name: hash.into(),
        role: Role::AnalystL1,
        prefix: "fbk_own".into(),
        secret_hash: hash.into(),
        created_by,
        expires_at: None,
    };
    h.store.create_api_key(&h.ctx(1), a, key("owned", Some(owner.id))).await.unwrap();
    h.store.create_api_key(&h.ctx(1), a, key("ownerless", None)).await.unwrap();
    let owned = h.store.api_key_by_secret_hash("owned").await.unwrap().unwrap();
    assert!(!owned.creator_disabled);
    assert_eq!(owned.owner_role, Some(Role::IncidentManager));
    let ownerless = h.store.api_key_by_secret_hash("ownerless").await.unwrap().unwrap();
    assert!(ownerless.creator_disabled, "a key nobody owns counts as disabled");
    assert_eq!(ownerless.owner_role, None);

    h.store.delete_user(&h.ctx(2), a, owner.id).await.unwrap();
    let orphan = h.store.api_key_by_secret_hash("owned").await.unwrap().unwrap();
    assert!(orphan.creator_disabled, "a deleted owner counts as disabled");
    assert_eq!(orphan.owner_role, None);
}

pub async fn every_write_is_audited_in_its_chain(h: &Harness) {
    let a = org(h, "A").await;
    let u = h.store.create_user(&h.ctx(1), a, new_user("dana", Role::AnalystL1)).await.unwrap();
    h.store
        .update_user(&h.ctx(2), a, u.id, UserPatch { role: Some(Role::AnalystL2), ..UserPatch::default() })
        .await
        .unwrap();
    let event = AuditEvent {
        object_type: "user".into(),
        object_id: "ghost".into(),
        action: "login_failed".into(),
        details: serde_json::json!({}),
    };
    h.store.record_event(&h.ctx(3), a, event).await.unwrap();
    let page = h.store.list_audit(a, &audit_query(&u.id.to_string())).await.unwrap();
    let actions: Vec<_> = page.items.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["change_role", "create"], "newest first");
    assert_eq!(page.items[0].changes["role"]["after"], "analyst_l2");
    let q = AuditQuery { action: Some("login_failed".into()), total: Some(true), ..AuditQuery::default() };
    assert_eq!(h.store.list_audit(a, &q).await.unwrap().total, Some(1));
    let q = AuditQuery { from: Some(h.ctx(2).now), to: Some(h.ctx(3).now), total: Some(true), ..AuditQuery::default() };
    assert_eq!(h.store.list_audit(a, &q).await.unwrap().total, Some(1), "from is inclusive, to exclusive");
    assert_eq!(h.verify(a).await, Ok(4), "org create, user create, role change, event");
    assert!(h.store.audit_orgs().await.unwrap().contains(&a));
}

pub async fn concurrent_writers_keep_one_chain(h: &Harness) {
    let a = org(h, "A").await;
    let store: Arc<SqlStore> = Arc::new(h.store.clone());
    let mut tasks = Vec::new();
    for i in 0..20 {
        let store = store.clone();
        let ctx = h.ctx(i);
        tasks.push(tokio::spawn(async move {
            store.create_user(&ctx, a, new_user(&format!("u{i}"), Role::AnalystL1)).await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(h.verify(a).await, Ok(21));
}

pub async fn tampering_is_detected(h: &Harness) {
    let a = org(h, "A").await;
    for i in 0..5 {
        h.store.create_user(&h.ctx(i), a, new_user(&format!("t{i}"), Role::AnalystL1)).await.unwrap();
    }
    assert_eq!(h.verify(a).await, Ok(6));
    h.raw.execute(&format!("UPDATE audit_log SET action = 'delete' WHERE org_id = '{a}' AND seq = 3")).await;
    assert_eq!(h.verify(a).await, Err(3), "a changed entry");
    h.raw.execute(&format!("UPDATE audit_log SET action = 'create' WHERE org_id = '{a}' AND seq = 3")).await;
    assert_eq!(h.verify(a).await, Ok(6), "restored");
    h.raw.execute(&format!("UPDATE audit_log SET seq = -1 WHERE org_id = '{a}' AND seq = 2")).await;
    h.raw.execute(&format!("UPDATE audit_log SET seq = 2 WHERE org_id = '{a}' AND seq = 4")).await;
    h.raw.execute(&format!("UPDATE audit_log SET seq = 4 WHERE org_id = '{a}' AND seq = -1")).await;
    assert_eq!(h.verify(a).await, Err(2), "reordered entries");
    h.raw.execute(&format!("DELETE FROM audit_log WHERE org_id = '{a}' AND seq = 6")).await;
    h.raw.execute(&format!("DELETE FROM audit_log WHERE org_id = '{a}' AND seq IN (2, 4)")).await;
    assert_eq!(h.verify(a).await, Err(2), "a deleted entry");
}

/// Every path that writes a chain head signs it (the SQLite alert writer's
/// own connection too); a chain cut back with its head rewound by SQL, which
/// the links alone cannot tell from a shorter chain, fails the head's MAC.
pub async fn every_head_is_signed_and_a_rewound_head_is_not(h: &Harness) {
    use firebreak_store::AlertStore;
    let a = org(h, "A").await;
    let b = org(h, "B").await;
    h.store.grant_access(&h.ctx(1), a, b).await.unwrap();
    h.store.create_case(&h.ctx(2), case(b, "Signed")).await.unwrap();
    let alert = serde_json::from_value(serde_json::json!({
        "id": Uuid::now_v7(), "org_id": b, "source": "edr", "source_ref": "x", "type": "external",
        "title": "alert", "description": "", "severity": "high",
        "event_time": "2026-03-02T09:00:00Z", "tags": [], "tlp": "amber", "pap": "amber", "observables": [],
        "custom_fields": {}, "raw": {}, "state": "new", "occurrences": 1,
        "first_seen": "2026-03-02T09:00:00Z", "last_seen": "2026-03-02T09:00:00Z",
    }))
    .unwrap();
    h.store.ingest_alerts(&h.ctx(3), b, vec![alert], None).await.unwrap();
    for i in 0..4 {
        h.store.create_user(&h.ctx(4 + i), a, new_user(&format!("s{i}"), Role::AnalystL1)).await.unwrap();
    }
    let heads = h.store.audit_heads().await.unwrap();
    assert_eq!(heads.len(), 2);
    for (org, head) in &heads {
        let mac = head.mac.clone().expect("signed");
        assert_eq!(mac, firebreak_domain::audit::head_mac(&h.key, *org, head.seq, &head.hash), "{org}");
    }
    assert_eq!(h.verify(a).await, Ok(6));
    assert_eq!(h.verify(b).await, Ok(4), "create, grant, case, alert batch");

    // Cut back to entry 3 and rewind the head to match.
    h.raw.execute(&format!("DELETE FROM audit_log WHERE org_id = '{a}' AND seq > 3")).await;
    h.raw
        .execute(&format!(
            "UPDATE audit_heads SET seq = 3, hash = (SELECT hash FROM audit_log WHERE org_id = '{a}' AND seq = 3) \
             WHERE org_id = '{a}'"
        ))
        .await;
    assert_eq!(h.verify(a).await, Err(3), "the rewound head's MAC");

    // A head without a MAC (written before heads were signed) is reported
    // until it is signed.
    h.raw.execute(&format!("UPDATE audit_heads SET mac = NULL WHERE org_id = '{b}'")).await;
    assert_eq!(h.verify(b).await, Err(4));
    assert_eq!(h.store.anchor_audit_heads().await.unwrap(), 1, "b only: a head whose MAC fails stays so");
    assert_eq!(h.verify(a).await, Err(3));
    assert_eq!(h.verify(b).await, Ok(4));

    // Opened again with the same key, its heads still verify; with another, none does.
    let again = SqlStore::open(&h.url, &Harness::options()).await.unwrap();
    again.create_user(&h.ctx(9), b, new_user("later", Role::AnalystL1)).await.unwrap();
    again.close().await;
    assert_eq!(h.verify(b).await, Ok(5));
    let other =
        OpenOptions { audit_key: firebreak_domain::audit::AuditKey::from_bytes([8; 32]), ..OpenOptions::default() };
    let other = SqlStore::open(&h.url, &other).await.unwrap();
    other.create_user(&h.ctx(10), b, new_user("forger", Role::AnalystL1)).await.unwrap();
    other.close().await;
    assert_eq!(h.verify(b).await, Err(6));
}

pub fn case(org: Uuid, title: &str) -> Case {
    let now = datetime!(2026-03-02 09:00 UTC);
    Case {
        id: Uuid::now_v7(),
        org_id: org,
        number: 0,
        title: title.into(),
        description: "**bold**".into(),
        severity: None,
        impact: Level::Medium,
        urgency: Level::High,
        priority: Priority::P2,
        category: Some("malware".into()),
        tlp: Tlp::Amber,
        pap: Pap::Green,
        tags: vec!["Ransomware".into(), "fs01".into()],
        assignee_id: None,
        tier: Tier::L2,
        state: CaseState::New,
        resolution: None,
        summary: String::new(),
        review_status: ReviewStatus::NotStarted,
        review_waiver_reason: None,
        custom_fields: serde_json::json!({ "ticket": "INC-1" }),
        merged_into: None,
        created_at: now,
        updated_at: now,
        closed_at: None,
        acknowledged_at: None,
        contained_at: None,
        waiting_reason: None,
        pauses: Vec::new(),
        recovered_at: None,
        detected_at: None,
        first_activity_at: None,
        source: None,
        team_id: None,
        sla: None,
    }
}

pub async fn cases_numbers_tags_history_and_links(h: &Harness) {
    let a = org(h, "A").await;
    let b = org(h, "B").await;
    let c1 = h.store.create_case(&h.ctx(1), case(a, "First")).await.unwrap();
    let c2 = h.store.create_case(&h.ctx(2), case(a, "Second")).await.unwrap();
    let other = h.store.create_case(&h.ctx(3), case(b, "Elsewhere")).await.unwrap();
    assert_eq!((c1.number, c2.number, other.number), (1, 2, 1), "numbers count per organisation");
    assert_eq!(h.store.get_case(a, c1.id).await.unwrap().unwrap(), c1, "round trip");
    assert!(h.store.get_case(b, c1.id).await.unwrap().is_none());

    let q = CaseQuery { tag: Some("ransomware".into()), total: Some(true), ..CaseQuery::default() };
    assert_eq!(h.store.list_cases(a, &q).await.unwrap().total, Some(2));
    let mut after = c1.clone();
    after.tags = vec!["phishing".into()];
    after.state = CaseState::Analysis;
    after.updated_at = c1.updated_at + Duration::minutes(5);
    h.store.transition_case(&h.ctx(5), &c1, &after, "triaged").await.unwrap();
    assert_eq!(h.store.list_cases(a, &q).await.unwrap().total, Some(1), "tags follow the case");
    let q = CaseQuery { state: Some(CaseState::Analysis), ..CaseQuery::default() };
    assert_eq!(h.store.list_cases(a, &q).await.unwrap().items[0].id, c1.id);
    let history = h.store.case_history(a, c1.id).await.unwrap();
    assert_eq!((history.len(), history[0].reason.as_str()), (1, "triaged"));
    assert!(h.store.case_history(b, c1.id).await.unwrap().is_empty());

    h.store.link_cases(&h.ctx(6), a, c2.id, c1.id, CaseLinkKind::Child).await.unwrap();
    let links = h.store.case_links(a, c1.id).await.unwrap();
    assert_eq!((links.len(), links[0].kind, links[0].case_id), (1, CaseLinkKind::Parent, c2.id));
    assert!(matches!(
        h.store.link_cases(&h.ctx(7), a, c1.id, c2.id, CaseLinkKind::Related).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        h.store.link_cases(&h.ctx(7), a, c1.id, other.id, CaseLinkKind::Related).await,
        Err(StoreError::NotFound)
    ));
    h.store.unlink_cases(&h.ctx(8), a, c1.id, c2.id).await.unwrap();
    assert!(h.store.case_links(a, c2.id).await.unwrap().is_empty());
    assert_eq!(h.verify(a).await.map(|n| n >= 6), Ok(true));
}

pub async fn a_stale_case_update_is_refused(h: &Harness) {
    let a = org(h, "A").await;
    let c = h.store.create_case(&h.ctx(1), case(a, "Race")).await.unwrap();
    let mut first = c.clone();
    first.title = "Edited by one".into();
    first.updated_at = c.updated_at + Duration::seconds(1);
    let mut second = c.clone();
    second.title = "Edited by another".into();
    second.updated_at = c.updated_at + Duration::seconds(2);
    h.store.update_case(&h.ctx(2), &c, &first).await.unwrap();
    assert!(matches!(h.store.update_case(&h.ctx(3), &c, &second).await, Err(StoreError::Stale)));
    assert_eq!(h.store.get_case(a, c.id).await.unwrap().unwrap().title, "Edited by one");
}

pub async fn reopening_is_idempotent_and_a_newer_schema_refused(h: &Harness) {
    let version = h.store.schema_version().await.unwrap();
    assert_eq!(version, h.store.binary_schema_version());
    let again = SqlStore::open(&h.url, &Harness::options()).await.unwrap();
    assert_eq!(again.schema_version().await.unwrap(), version);
    again.close().await;
    let (success, checksum) = match h.raw {
        crate::harness::Raw::Sqlite(_) => ("1", "X'00'"),
        crate::harness::Raw::Pg(_) => ("TRUE", "'\\x00'::bytea"),
    };
    h.raw
        .execute(&format!(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (99991231000000, 'future', {success}, {checksum}, 0)"
        ))
        .await;
    match SqlStore::open(&h.url, &Harness::options()).await {
        Err(StoreError::SchemaTooNew { database, binary }) => assert_eq!((database, binary), (99991231000000, version)),
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("a newer schema was accepted"),
    }
}

pub async fn sla_columns_round_trip_and_open_cases_are_listed(h: &Harness) {
    let a = org(h, "A").await;
    let b = org(h, "B").await;
    let c = h.store.create_case(&h.ctx(1), case(a, "Waiting")).await.unwrap();
    let mut after = c.clone();
    let t = c.created_at + Duration::minutes(5);
    after.acknowledged_at = Some(t);
    after.waiting_reason = Some("the hosting provider".into());
    after.pauses = vec![PauseSpan { start: t, end: None }];
    after.updated_at = t;
    h.store.update_case(&h.ctx(2), &c, &after).await.unwrap();
    let back = h.store.get_case(a, c.id).await.unwrap().unwrap();
    assert_eq!(back, after);
    let mut closed = case(b, "Done");
    closed.state = CaseState::Closed;
    let closed = h.store.create_case(&h.ctx(3), closed).await.unwrap();
    let open = h.store.active_cases(None, 100).await.unwrap();
    assert!(open.iter().any(|x| x.id == c.id));
    assert!(!open.iter().any(|x| x.id == closed.id), "closed cases are not swept");
    assert_eq!(h.store.cases_by_id(b, &[c.id, closed.id]).await.unwrap().len(), 1, "by id, within the organisation");
}

pub fn item(org: Uuid, kind: &str, case: Option<Uuid>, key: &str, status: &str, at_min: i64) -> Item {
    let t = datetime!(2026-03-02 09:00 UTC) + Duration::minutes(at_min);
    Item {
        id: Uuid::now_v7(),
        org_id: org,
        kind: kind.into(),
        case_id: case,
        parent_id: None,
        key: Some(key.into()),
        status: Some(status.into()),
        assignee_id: None,
        due_at: Some(t),
        at: t,
        body: serde_json::json!({ "key": key, "secret": "hush" }),
        created_at: t,
        updated_at: t,
        version: 0,
    }
}

pub async fn a_page_of_cases_counts_what_each_holds_in_one_query(h: &Harness) {
    let a = org(h, "A").await;
    let b = org(h, "B").await;
    let c1 = h.store.create_case(&h.ctx(1), case(a, "First")).await.unwrap();
    let c2 = h.store.create_case(&h.ctx(2), case(a, "Second")).await.unwrap();
    let theirs = h.store.create_case(&h.ctx(3), case(b, "Elsewhere")).await.unwrap();
    let someone = Uuid::now_v7();
    let mut assigned = item(a, "task", Some(c1.id), "t1", "in_progress", 1);
    assigned.assignee_id = Some(someone);
    let tasks = vec![
        assigned,
        item(a, "task", Some(c1.id), "t2", "todo", 2),
        item(a, "task", Some(c1.id), "t3", "todo", 3),
        item(a, "task", Some(c2.id), "t4", "done", 4),
    ];
    h.store.create_items(&h.ctx(4), tasks).await.unwrap();
    h.store.create_items(&h.ctx(5), vec![item(b, "task", Some(theirs.id), "t5", "todo", 5)]).await.unwrap();
    let mut counts = h.store.count_by_case(a, "task", &[c1.id, c2.id, theirs.id]).await.unwrap();
    counts.sort_by_key(|c| (c.case_id, c.status.clone()));
    let seen: Vec<(Uuid, Option<&str>, Option<Uuid>, u64)> =
        counts.iter().map(|c| (c.case_id, c.status.as_deref(), c.assignee_id, c.count)).collect();
    assert_eq!(
        seen,
        [
            (c1.id, Some("in_progress"), Some(someone), 1),
            (c1.id, Some("todo"), None, 2),
            (c2.id, Some("done"), None, 1),
        ],
        "grouped by case, status and assignee; another organisation's case counts nothing"
    );
    assert!(h.store.count_by_case(a, "observable", &[c1.id]).await.unwrap().is_empty());
    assert!(h.store.count_by_case(a, "task", &[]).await.unwrap().is_empty());
    assert!(h.store.alert_kinds_by_case(a, &[c1.id, c2.id]).await.unwrap().is_empty(), "no alert joined them");
}

pub async fn items_are_scoped_versioned_audited_and_indexed(h: &Harness) {
    let a = org(h, "A").await;
    let b = org(h, "B").await;
    let ca = h.store.create_case(&h.ctx(1), case(a, "A's")).await.unwrap();
    let cb = h.store.create_case(&h.ctx(2), case(b, "B's")).await.unwrap();
    let made = h
        .store
        .create_items(
            &h.ctx(3),
            vec![
                item(a, "observable", Some(ca.id), "ip:203.0.113.5", "x", 2),
                item(a, "observable", Some(ca.id), "domain:evil.example", "x", 1),
            ],
        )
        .await
        .unwrap();
    h.store.create_items(&h.ctx(4), vec![item(b, "observable", Some(cb.id), "ip:203.0.113.5", "x", 0)]).await.unwrap();
    // An item cannot be attached to another organisation's case.
    let r = h.store.create_items(&h.ctx(5), vec![item(a, "observable", Some(cb.id), "ip:1.1.1.1", "x", 0)]).await;
    assert!(matches!(r, Err(StoreError::NotFound)));

    let q = ItemQuery { kind: "observable".into(), key: Some("ip:203.0.113.5".into()), ..Default::default() };
    let seen = h.store.list_items(a, &q).await.unwrap();
    assert_eq!(seen.len(), 1, "the key look-up stays within the organisation");
    assert_eq!(seen[0], made[0], "round trip");
    let of_case = ItemQuery { kind: "observable".into(), case_id: Some(ca.id), ..Default::default() };
    let keys: Vec<_> = h.store.list_items(a, &of_case).await.unwrap().into_iter().map(|i| i.key).collect();
    assert_eq!(keys, [Some("domain:evil.example".into()), Some("ip:203.0.113.5".into())], "time order");
    assert_eq!(h.store.count_items(b, &of_case).await.unwrap(), 0);
    assert!(h.store.get_item(b, "observable", made[0].id).await.unwrap().is_none());

    // Optimistic updates.
    let mut first = made[0].clone();
    first.status = Some("changed".into());
    let first = h.store.update_item(&h.ctx(6), &made[0], first).await.unwrap();
    assert_eq!(first.version, 1);
    let r = h.store.update_item(&h.ctx(7), &made[0], made[0].clone()).await;
    assert!(matches!(r, Err(StoreError::Stale)));
    assert!(matches!(h.store.delete_item(&h.ctx(8), b, "observable", made[0].id).await, Err(StoreError::NotFound)));
    h.store.delete_item(&h.ctx(9), a, "observable", made[1].id).await.unwrap();

    // Audited, with secrets redacted.
    let q = AuditQuery { object_type: Some("observable".into()), ..Default::default() };
    let entries = h.store.list_audit(a, &q).await.unwrap().items;
    assert_eq!(entries.len(), 4, "two creations, an update, a deletion");
    assert!(entries.iter().all(|e| !e.changes.to_string().contains("hush")), "secrets never reach the audit log");

    // Due items, across organisations; bookkeeping kinds are not audited.
    let due = vec![item(a, "delivery", None, "d1", "pending", 0), item(b, "delivery", None, "d2", "pending", 30)];
    h.store.create_items(&h.ctx(10), due).await.unwrap();
    let now = datetime!(2026-03-02 09:10 UTC);
    let due = h.store.due_items("delivery", "pending", now, 10).await.unwrap();
    assert_eq!(due.iter().map(|i| i.key.clone().unwrap()).collect::<Vec<_>>(), ["d1"]);
    let q = AuditQuery { object_type: Some("delivery".into()), ..Default::default() };
    assert!(h.store.list_audit(a, &q).await.unwrap().items.is_empty());
}

/// A file linked from an alert into a case's evidence is one content: the
/// organisation's stored bytes count it once, until its last item goes.
pub async fn stored_files_count_each_content_once(h: &Harness) {
    let a = org(h, "A").await;
    let b = org(h, "B").await;
    let file = |org: Uuid, kind: &str, sha: &str, size: u64| {
        let mut i = item(org, kind, None, sha, "kept", 0);
        i.body = serde_json::json!({ "sha256": sha, "size": size });
        i
    };
    let kinds = ["evidence", "document", "alert_attachment"];
    let attachment = file(a, "alert_attachment", "aa11", 1000);
    let evidence = file(a, "evidence", "aa11", 1000);
    let other = file(a, "document", "bb22", 300);
    let made =
        h.store.create_items(&h.ctx(1), vec![attachment.clone(), evidence.clone(), other.clone()]).await.unwrap();
    h.store.create_items(&h.ctx(2), vec![file(b, "evidence", "aa11", 1000)]).await.unwrap();
    assert_eq!(h.store.stored_content_bytes(a, &kinds).await.unwrap(), 1300, "the linked file once");
    assert_eq!(h.store.stored_content_bytes(a, &["evidence"]).await.unwrap(), 1000);
    assert_eq!(h.store.stored_content_bytes(b, &kinds).await.unwrap(), 1000, "per organisation");
    assert_eq!(h.store.stored_content_bytes(a, &[]).await.unwrap(), 0);

    let first = h.store.item_with_content(a, &kinds, "aa11").await.unwrap().unwrap();
    assert_eq!(first.id, made[0].id, "the oldest item with the content");
    assert!(h.store.item_with_content(a, &["document"], "aa11").await.unwrap().is_none());
    assert!(h.store.item_with_content(a, &kinds, "cc33").await.unwrap().is_none());

    h.store.delete_item(&h.ctx(3), a, "alert_attachment", attachment.id).await.unwrap();
    assert_eq!(h.store.stored_content_bytes(a, &kinds).await.unwrap(), 1300, "still held by the evidence");
    h.store.delete_item(&h.ctx(4), a, "evidence", evidence.id).await.unwrap();
    assert_eq!(h.store.stored_content_bytes(a, &kinds).await.unwrap(), 300, "freed with its last item");
}

/// An item's update or deletion and the items it causes (webhook
/// deliveries) are written together: a stale update, or the deletion of an
/// item that is not there, leaves none of them behind.
pub async fn an_item_change_and_its_deliveries_commit_together(h: &Harness) {
    let a = org(h, "A").await;
    let ca = h.store.create_case(&h.ctx(1), case(a, "A's")).await.unwrap();
    let made = h.store.create_items(&h.ctx(2), vec![item(a, "task", Some(ca.id), "t1", "todo", 0)]).await.unwrap();
    let deliveries = ItemQuery { kind: "delivery".into(), ..Default::default() };
    let delivery = |key: &str| item(a, "delivery", None, key, "pending", 0);

    let mut done = made[0].clone();
    done.status = Some("done".into());
    let done = h.store.update_item_with(&h.ctx(3), &made[0], done, vec![delivery("updated")]).await.unwrap();
    assert_eq!(done.version, 1);
    assert_eq!(h.store.count_items(a, &deliveries).await.unwrap(), 1);

    let r = h.store.update_item_with(&h.ctx(4), &made[0], made[0].clone(), vec![delivery("stale")]).await;
    assert!(matches!(r, Err(StoreError::Stale)));
    assert_eq!(h.store.count_items(a, &deliveries).await.unwrap(), 1, "a stale update queues nothing");

    h.store.delete_item_with(&h.ctx(5), a, "task", made[0].id, vec![delivery("deleted")]).await.unwrap();
    assert_eq!(h.store.count_items(a, &deliveries).await.unwrap(), 2);
    let r = h.store.delete_item_with(&h.ctx(6), a, "task", made[0].id, vec![delivery("again")]).await;
    assert!(matches!(r, Err(StoreError::NotFound)));
    assert_eq!(h.store.count_items(a, &deliveries).await.unwrap(), 2, "a deletion that failed queues nothing");
}

/// Two batches sent at once (on SQLite, stored by one transaction): one
/// names an organisation that does not exist and fails; the other is
/// stored all the same, repeats counted, and answered as such.
pub async fn a_failing_alert_batch_leaves_the_others_stored(h: &Harness) {
    use firebreak_store::AlertStore;
    let acme = org(h, "acme").await;
    let alert = |org: Uuid, source_ref: &str| -> firebreak_types::Alert {
        serde_json::from_value(serde_json::json!({
            "id": Uuid::now_v7(), "org_id": org, "source": "edr", "source_ref": source_ref, "type": "external",
            "title": format!("alert {source_ref}"), "description": "", "severity": "high",
            "event_time": "2026-03-02T09:00:00Z", "tags": [], "tlp": "amber", "pap": "amber", "observables": [],
            "custom_fields": {}, "raw": {"n": source_ref}, "state": "new", "occurrences": 1,
            "first_seen": "2026-03-02T09:00:00Z", "last_seen": "2026-03-02T09:00:00Z",
        }))
        .unwrap()
    };
    let nowhere = Uuid::now_v7();
    let ctx = h.ctx(1);
    let (stored, failed) = tokio::join!(
        h.store.ingest_alerts(&ctx, acme, vec![alert(acme, "a"), alert(acme, "b"), alert(acme, "a")], None),
        h.store.ingest_alerts(&ctx, nowhere, vec![alert(nowhere, "c")], None),
    );
    assert!(failed.is_err(), "an alert of no organisation breaks a foreign key");
    let stored = stored.unwrap();
    assert_eq!(stored.iter().map(|(_, created)| *created).collect::<Vec<_>>(), [true, true, false]);
    assert_eq!(stored[0].0, stored[2].0);
    let a = h.store.get_alert(acme, stored[0].0).await.unwrap().unwrap();
    assert_eq!(a.occurrences, 2);
    let again = h.store.ingest_alerts(&ctx, acme, vec![alert(acme, "b"), alert(acme, "a")], None).await.unwrap();
    assert_eq!(again, vec![(stored[1].0, false), (stored[0].0, false)]);
}

/// An alert sent after the store is opened again joins the story its entity
/// had before (SQLite rebuilds the writer's memory of stories from the
/// alerts), and sightings find the alerts of both openings, newest first.
pub async fn stories_and_sightings_outlast_reopening(h: &Harness) {
    use firebreak_store::{AlertStore, Grouping};
    let acme = org(h, "acme").await;
    let other = org(h, "other").await;
    let alert = |org: Uuid, source_ref: &str, minute: u32, host: &str| -> firebreak_types::Alert {
        let at = format!("2026-03-02T09:{minute:02}:00Z");
        serde_json::from_value(serde_json::json!({
            "id": Uuid::now_v7(), "org_id": org, "source": "edr", "source_ref": source_ref, "type": "external",
            "title": format!("alert {source_ref}"), "description": "", "severity": "high",
            "event_time": at, "tags": [], "tlp": "amber", "pap": "amber",
            "observables": [{ "type": "hostname", "value": host }, { "type": "url", "value": "http://x.example/ü p" }],
            "custom_fields": {}, "raw": {}, "state": "new", "occurrences": 1, "first_seen": at, "last_seen": at,
        }))
        .unwrap()
    };
    let grouping = |alerts: &[firebreak_types::Alert]| Grouping {
        window_ms: 3_600_000,
        entities: alerts.iter().map(|a| vec![format!("hostname:{}", a.observables[0].value)]).collect(),
        stop_words: firebreak_domain::grouping::StopWords { percent: 5, min_alerts: 50 },
    };
    let first = vec![alert(acme, "a", 1, "ws-1"), alert(acme, "b", 2, "ws-2")];
    let g = grouping(&first);
    let stored = h.store.ingest_alerts(&h.ctx(5), acme, first, Some(g)).await.unwrap();
    let theirs = vec![alert(other, "a", 3, "ws-1")];
    let g = grouping(&theirs);
    h.store.ingest_alerts(&h.ctx(5), other, theirs, Some(g)).await.unwrap();
    let a = h.store.get_alert(acme, stored[0].0).await.unwrap().unwrap();

    let again = SqlStore::open(&h.url, &Harness::options()).await.unwrap();
    let later = vec![alert(acme, "c", 30, "ws-1")];
    let g = grouping(&later);
    let c = again.ingest_alerts(&h.ctx(31), acme, later, Some(g)).await.unwrap();
    let c = again.get_alert(acme, c[0].0).await.unwrap().unwrap();
    assert!(a.group_id.is_some());
    assert_eq!(c.group_id, a.group_id, "ws-1 within the hour joins the story of before");
    let seen = again.alerts_with_observable(acme, "hostname:ws-1", 10).await.unwrap();
    assert_eq!(seen.iter().map(|(id, _)| *id).collect::<Vec<_>>(), [c.id, a.id], "newest first, acme's only");
    let url = again.alerts_with_observable(acme, "url:http://x.example/ü p", 10).await.unwrap();
    assert_eq!(url.len(), 3);
    assert!(again.alerts_with_observable(acme, "hostname:ws-", 10).await.unwrap().is_empty(), "whole keys only");
    let story = firebreak_types::AlertQuery {
        group_id: a.group_id,
        sort: Some("event_time".into()),
        total: Some(true),
        ..Default::default()
    };
    let members = again.list_alerts(acme, &story).await.unwrap();
    assert_eq!(members.items.iter().map(|m| m.id).collect::<Vec<_>>(), [a.id, c.id], "the story's alerts, in time");
    assert_eq!(members.total, Some(2));
    assert!(
        again.list_alerts(other, &story).await.unwrap().items.is_empty(),
        "another organisation's story is not read"
    );
    again.close().await;
}

/// A batch sent with an idempotency key keeps its answer with its alerts:
/// sent again (or twice at once) with the key, it is answered from the key
/// and stores nothing; the key is the caller's own, and forgotten once it
/// expires.
pub async fn an_idempotency_key_answers_a_batch_sent_again(h: &Harness) {
    use firebreak_store::{AlertStore, Idempotency, Intake};
    let acme = org(h, "acme").await;
    let alert = |source_ref: &str| -> firebreak_types::Alert {
        serde_json::from_value(serde_json::json!({
            "id": Uuid::now_v7(), "org_id": acme, "source": "edr", "source_ref": source_ref, "type": "external",
            "title": format!("alert {source_ref}"), "description": "", "severity": "high",
            "event_time": "2026-03-02T09:00:00Z", "tags": [], "tlp": "amber", "pap": "amber", "observables": [],
            "custom_fields": {}, "raw": {"n": source_ref}, "state": "new", "occurrences": 1,
            "first_seen": "2026-03-02T09:00:00Z", "last_seen": "2026-03-02T09:00:00Z",
        }))
        .unwrap()
    };
    let ctx = h.ctx(1);
    let now_ms = firebreak_domain::clock::to_millis(ctx.now);
    let once = |caller: &str, key: &str, hash: &str| Idempotency {
        key: key.into(),
        caller: caller.into(),
        body_hash: hash.into(),
        now_ms,
        since_ms: now_ms - 1_000,
        answer: std::sync::Arc::new(|stored: &[(Uuid, bool)]| (200, format!("{} stored", stored.len()))),
    };
    // Two at once with one key: one stores, the other gets its answer.
    let (a, b) = tokio::join!(
        h.store.ingest_alerts_once(&ctx, acme, vec![alert("a"), alert("b")], None, once("u1", "k1", "h1")),
        h.store.ingest_alerts_once(&ctx, acme, vec![alert("a"), alert("b")], None, once("u1", "k1", "h1")),
    );
    let (stored, kept) = match (a.unwrap(), b.unwrap()) {
        (Intake::Stored(s), Intake::Kept(k)) | (Intake::Kept(k), Intake::Stored(s)) => (s, k),
        other => panic!("one batch is stored, the other answered from it: {other:?}"),
    };
    assert_eq!((kept.status, kept.body.as_str(), kept.body_hash.as_str()), (200, "2 stored", "h1"));
    for (id, created) in &stored {
        assert!(created);
        assert_eq!(h.store.get_alert(acme, *id).await.unwrap().unwrap().occurrences, 1);
    }
    // Sent again: answered from the key, whatever the body; nothing stored.
    let again =
        h.store.ingest_alerts_once(&ctx, acme, vec![alert("a"), alert("c")], None, once("u1", "k1", "h2")).await;
    assert_eq!(again.unwrap(), Intake::Kept(kept.clone()));
    assert_eq!(h.store.get_alert(acme, stored[0].0).await.unwrap().unwrap().occurrences, 1);
    assert_eq!(h.store.kept_answer(acme, "u1", "k1", now_ms - 1_000).await.unwrap(), Some(kept));
    // Another caller's key of the same name is another key.
    let theirs = h.store.ingest_alerts_once(&ctx, acme, vec![alert("a")], None, once("u2", "k1", "h1")).await;
    assert!(matches!(theirs.unwrap(), Intake::Stored(s) if s == vec![(stored[0].0, false)]));
    assert_eq!(h.store.get_alert(acme, stored[0].0).await.unwrap().unwrap().occurrences, 2);
    // Expired keys are not answered from, and are pruned.
    assert_eq!(h.store.kept_answer(acme, "u1", "k1", now_ms + 1).await.unwrap(), None);
    assert_eq!(h.store.prune_idempotency_keys(now_ms + 1).await.unwrap(), 2);
    assert_eq!(h.store.kept_answer(acme, "u1", "k1", 0).await.unwrap(), None);
}

/// What a case change causes, made from the case as stored and dated at the change.
fn effect(case: &Case, kind: &str, id: Uuid, at: time::OffsetDateTime) -> Item {
    Item {
        id,
        org_id: case.org_id,
        kind: kind.into(),
        case_id: Some(case.id),
        parent_id: None,
        key: None,
        status: Some("pending".into()),
        assignee_id: None,
        due_at: None,
        at,
        body: serde_json::json!({ "text": format!("Case #{} is {}", case.number, case.state.as_str()) }),
        created_at: at,
        updated_at: at,
        version: 0,
    }
}

pub async fn a_case_change_and_its_effects_commit_together(h: &Harness) {
    let a = org(h, "A").await;
    let c = h.store.create_case(&h.ctx(1), case(a, "Atomic")).await.unwrap();
    let ctx = h.ctx(2);
    let mut after = c.clone();
    after.state = CaseState::Analysis;
    after.updated_at = ctx.now;
    let move_it = || CaseWrite::Transition { before: &c, after: after.clone(), reason: "triaged" };
    let kinds = ["timeline", "notification", "delivery"];
    let stored_effects = |kind: &str| ItemQuery { kind: kind.into(), case_id: Some(c.id), ..ItemQuery::default() };
    async fn nothing_moved(h: &Harness, c: &Case) {
        assert_eq!(h.store.get_case(c.org_id, c.id).await.unwrap().unwrap(), *c);
        assert!(h.store.case_history(c.org_id, c.id).await.unwrap().is_empty());
        for kind in ["timeline", "notification", "delivery"] {
            let q = ItemQuery { kind: kind.into(), case_id: Some(c.id), ..ItemQuery::default() };
            assert_eq!(h.store.count_items(c.org_id, &q).await.unwrap(), 0, "{kind}");
        }
        assert_eq!(h.store.list_audit(c.org_id, &audit_query(&c.id.to_string())).await.unwrap().total, Some(1));
    }

    // The last effect fails (an id already taken): the move, its history,
    // its audit entry and the effects before it are all rolled back.
    let taken = Uuid::now_v7();
    let failing = |case: &Case| -> Result<Vec<Item>, StoreError> {
        Ok(vec![effect(case, "timeline", taken, ctx.now), effect(case, "notification", taken, ctx.now)])
    };
    assert!(h.store.change_case(&ctx, move_it(), &failing).await.is_err());
    nothing_moved(h, &c).await;
    // So does a change whose effects cannot be made.
    let refusing = |_: &Case| -> Result<Vec<Item>, StoreError> { Err(StoreError::Corrupt("no effects".into())) };
    assert!(matches!(h.store.change_case(&ctx, move_it(), &refusing).await, Err(StoreError::Corrupt(_))));
    nothing_moved(h, &c).await;
    // And one whose effect points at another organisation's case.
    let b = org(h, "B").await;
    let elsewhere = h.store.create_case(&h.ctx(1), case(b, "Elsewhere")).await.unwrap();
    let astray = |_: &Case| -> Result<Vec<Item>, StoreError> {
        Ok(vec![Item { org_id: a, ..effect(&elsewhere, "timeline", Uuid::now_v7(), ctx.now) }])
    };
    assert!(matches!(h.store.change_case(&ctx, move_it(), &astray).await, Err(StoreError::NotFound)));
    nothing_moved(h, &c).await;

    // Then everything commits together, at the change's one time.
    let all = |case: &Case| -> Result<Vec<Item>, StoreError> {
        Ok(kinds.iter().map(|k| effect(case, k, Uuid::now_v7(), ctx.now)).collect())
    };
    let moved = h.store.change_case(&ctx, move_it(), &all).await.unwrap();
    assert_eq!(h.store.get_case(a, c.id).await.unwrap().unwrap(), moved);
    assert_eq!((moved.state, moved.updated_at), (CaseState::Analysis, ctx.now));
    let history = h.store.case_history(a, c.id).await.unwrap();
    assert_eq!((history.len(), history[0].at), (1, ctx.now));
    for kind in kinds {
        let items = h.store.list_items(a, &stored_effects(kind)).await.unwrap();
        assert_eq!(items.len(), 1, "{kind}");
        assert_eq!((items[0].at, items[0].body["text"].as_str()), (ctx.now, Some("Case #1 is analysis")), "{kind}");
    }
    let audit = h.store.list_audit(a, &audit_query(&c.id.to_string())).await.unwrap();
    let transition = audit.items.iter().find(|e| e.action == "transition").unwrap();
    assert_eq!((audit.total, transition.at), (Some(2), ctx.now));
    // The timeline entry is audited beside the move; notifications and deliveries are bookkeeping.
    let q = AuditQuery { object_type: Some("timeline".into()), total: Some(true), ..AuditQuery::default() };
    assert_eq!(h.store.list_audit(a, &q).await.unwrap().total, Some(1));

    // A new case's effects see the number it is given as it is stored.
    let numbered =
        |case: &Case| -> Result<Vec<Item>, StoreError> { Ok(vec![effect(case, "timeline", Uuid::now_v7(), ctx.now)]) };
    let created = h.store.change_case(&ctx, CaseWrite::Create(case(a, "Second")), &numbered).await.unwrap();
    assert_eq!(created.number, 2);
    let q = ItemQuery { kind: "timeline".into(), case_id: Some(created.id), ..ItemQuery::default() };
    assert_eq!(h.store.list_items(a, &q).await.unwrap()[0].body["text"], "Case #2 is new");
    // A stale change stores none of its effects either.
    let stale = CaseWrite::Update { before: &c, after: after.clone() };
    assert!(matches!(h.store.change_case(&ctx, stale, &all).await, Err(StoreError::Stale)));
    assert_eq!(h.store.count_items(a, &stored_effects("delivery")).await.unwrap(), 1);
    assert_eq!(h.verify(a).await.map(|n| n >= 5), Ok(true));
}
