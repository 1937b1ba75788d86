//! Cases shared with another organisation: each side finds only its own
//! shares, one share per case and organisation, audited in both chains.

use firebreak_store::{CaseStore, ItemStore, QueryStore, Store, StoreError};
use firebreak_types::query::{Cond, EntityQuery};
use firebreak_types::{AuditQuery, CaseShare, Role, ShareRule};
use uuid::Uuid;

use crate::harness::Harness;
use crate::suite::{case, item, org};

fn share(h: &Harness, owner: Uuid, case_id: Uuid, with: Uuid) -> CaseShare {
    let now = h.ctx(3).now;
    CaseShare {
        id: Uuid::now_v7(),
        case_id,
        owner_org_id: owner,
        org_id: with,
        org_name: String::new(),
        role: Role::AnalystL2,
        task_rule: ShareRule::All,
        observable_rule: ShareRule::None,
        created_by: "lead".into(),
        created_at: now,
        updated_at: now,
    }
}

pub async fn shares_are_scoped_unique_and_audited_on_both_sides(h: &Harness) {
    let a = org(h, "Owner").await;
    let b = org(h, "Recipient").await;
    let c = org(h, "Stranger").await;
    let shared = h.store.create_case(&h.ctx(1), case(a, "Shared")).await.unwrap();
    let kept = h.store.create_case(&h.ctx(2), case(a, "Kept")).await.unwrap();
    let theirs = h.store.create_case(&h.ctx(2), case(c, "Theirs")).await.unwrap();

    let made = h.store.create_case_share(&h.ctx(3), &share(h, a, shared.id, b)).await.unwrap();
    assert_eq!(
        (made.org_name.as_str(), made.role, made.observable_rule),
        ("Recipient", Role::AnalystL2, ShareRule::None)
    );
    assert!(
        matches!(h.store.create_case_share(&h.ctx(4), &share(h, a, shared.id, b)).await, Err(StoreError::Conflict(_))),
        "one share per case and organisation"
    );
    assert!(
        matches!(h.store.create_case_share(&h.ctx(4), &share(h, a, theirs.id, b)).await, Err(StoreError::NotFound)),
        "an organisation shares only its own cases"
    );

    // The owner sees its shares; the recipient finds the share by the case or an item of it.
    assert_eq!(h.store.case_shares(a, shared.id).await.unwrap(), vec![made.clone()]);
    assert!(h.store.case_shares(b, shared.id).await.unwrap().is_empty(), "listed by the owner only");
    assert_eq!(h.store.case_share(a, made.id).await.unwrap(), Some(made.clone()));
    assert_eq!(h.store.case_share(b, made.id).await.unwrap(), None);
    assert_eq!(h.store.shares_with(b).await.unwrap(), vec![made.clone()]);
    assert!(h.store.shares_with(c).await.unwrap().is_empty());
    assert_eq!(h.store.case_share_with(b, shared.id).await.unwrap(), Some(made.clone()));
    assert_eq!(h.store.case_share_with(b, kept.id).await.unwrap(), None, "the owner's other cases stay unshared");
    assert_eq!(h.store.case_share_with(c, shared.id).await.unwrap(), None);

    // The recipient's case queries find the shared case beside its own, never the owner's others.
    let own = h.store.create_case(&h.ctx(3), case(b, "Recipient's own")).await.unwrap();
    let every = EntityQuery { filter: Cond::All(true), sort: Vec::new(), offset: 0, limit: 100 };
    let mut found: Vec<Uuid> = h.store.query_cases(b, &every).await.unwrap().into_iter().map(|c| c.id).collect();
    found.sort();
    let mut want = vec![shared.id, own.id];
    want.sort();
    assert_eq!(found, want);
    assert_eq!(h.store.count_cases(b, &every.filter).await.unwrap(), 2);
    let owners: Vec<Uuid> = h.store.query_cases(a, &every).await.unwrap().into_iter().map(|c| c.id).collect();
    assert!(!owners.contains(&own.id), "a share goes one way");

    let task = item(a, "task", Some(shared.id), "t", "open", 1);
    let mut log = item(a, "task_log", None, "l", "x", 2);
    log.parent_id = Some(task.id);
    let other = item(a, "task", Some(kept.id), "o", "open", 3);
    h.store.create_items(&h.ctx(4), vec![task.clone(), log.clone(), other.clone()]).await.unwrap();
    assert_eq!(h.store.item_share_with(b, task.id).await.unwrap().map(|s| s.id), Some(made.id));
    assert_eq!(h.store.item_share_with(b, log.id).await.unwrap().map(|s| s.id), Some(made.id), "a log by its task");
    assert_eq!(h.store.item_share_with(b, other.id).await.unwrap(), None);
    assert_eq!(h.store.item_share_with(c, task.id).await.unwrap(), None);

    let changed = h
        .store
        .update_case_share(&h.ctx(5), a, made.id, Role::Stakeholder, ShareRule::None, ShareRule::All)
        .await
        .unwrap();
    assert_eq!(
        (changed.role, changed.task_rule, changed.observable_rule),
        (Role::Stakeholder, ShareRule::None, ShareRule::All)
    );
    assert!(matches!(
        h.store.update_case_share(&h.ctx(5), b, made.id, Role::AnalystL1, ShareRule::All, ShareRule::All).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(h.store.delete_case_share(&h.ctx(6), b, made.id).await, Err(StoreError::NotFound)));
    let ended = h.store.delete_case_share(&h.ctx(6), a, made.id).await.unwrap();
    assert_eq!(ended.id, made.id);
    assert_eq!(h.store.case_share_with(b, shared.id).await.unwrap(), None, "ended at once");
    assert_eq!(h.store.item_share_with(b, task.id).await.unwrap(), None);

    for org in [a, b] {
        let q = AuditQuery { object_id: Some(made.id.to_string()), ..AuditQuery::default() };
        let actions: Vec<String> =
            h.store.list_audit(org, &q).await.unwrap().items.into_iter().map(|e| e.action).collect();
        assert_eq!(actions.len(), 3, "{actions:?} in both chains");
        assert!(h.verify(org).await.is_ok());
    }
}
