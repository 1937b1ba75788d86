//! TheHive's case shares (`/api/v1/case/{id}/shares`, `/api/v1/case/share/{id}`)
//! driven by thehive4py 2.x: a case shared with a customer, worked on by its
//! user in that organisation, the owner's other case out of reach, the share
//! narrowed, removed, set again and removed by id.

use firebreak_types::Role;
use serde_json::json;

use super::{Client, run};
use crate::helpers::{PASSWORD, spawn_app};

#[tokio::test(flavor = "multi_thread")]
async fn a_case_shared_with_a_customer_is_worked_on_there_until_unshared() {
    let app = spawn_app().await;
    let acme = app.tenant("Acme").await;
    app.user(&acme.admin, "acme-analyst", Role::AnalystL2).await;
    let env = [("RECIPIENT_USER", "acme-analyst"), ("RECIPIENT_PASSWORD", PASSWORD)];
    let Some(out) = run(Client::V2, &app, "shares_flow.py", &env) else { return };

    // Refusals: TheHive's error shapes, each naming the field.
    assert_eq!(out["refused_own"]["status"], 400, "{}", out["refused_own"]);
    assert!(out["refused_own"]["message"].as_str().unwrap().starts_with("organisation"), "{}", out["refused_own"]);
    assert_eq!(out["refused_unknown"]["status"], 404, "{}", out["refused_unknown"]);
    assert_eq!(out["refused_profile"]["status"], 400, "{}", out["refused_profile"]);
    assert!(out["refused_profile"]["message"].as_str().unwrap().starts_with("profile"));
    assert_eq!(out["refused_rule"]["status"], 400);
    assert!(out["refused_rule"]["message"].as_str().unwrap().starts_with("taskRule"), "{}", out["refused_rule"]);
    assert_eq!(out["before"]["status"], 404, "not shared yet: {}", out["before"]);

    // Organisation links: the provider supervises its customer; made by grants only.
    assert_eq!(out["org_links"], json!([["supervisor", "supervised", "Acme"]]), "{out}");
    assert_eq!(out["acme_links"], json!([["supervised", "supervisor", "Firebreak"]]), "{out}");
    assert_eq!(
        out["sharing_profiles"],
        json!(["incident-manager", "analyst", "analyst-l1", "analyst-l3", "read-only"]),
        "every profile but the admins'"
    );
    assert_eq!(out["link_refused"]["status"], 501, "{}", out["link_refused"]);
    assert!(out["link_refused"]["message"].as_str().unwrap().contains("grants"));
    assert_eq!(out["case_link_types"], json!([]));
    assert_eq!(out["case_link_refused"]["status"], 501, "{}", out["case_link_refused"]);
    assert!(out["case_link_refused"]["message"].as_str().unwrap().contains("observables they share"));

    // Shared: the owner's entry and Acme's, in TheHive's shape.
    let shares = out["shares"].as_array().unwrap();
    assert_eq!(shares.len(), 2, "{shares:?}");
    assert_eq!((shares[0]["owner"].as_bool(), shares[0]["organisationName"].as_str()), (Some(true), Some("Firebreak")));
    let acme_share = &shares[1];
    assert_eq!(acme_share["organisationName"], "Acme");
    assert_eq!(acme_share["profileName"], "analyst");
    assert_eq!((acme_share["taskRule"].as_str(), acme_share["observableRule"].as_str()), (Some("all"), Some("all")));
    assert_eq!(out["shared"][0]["_id"], acme_share["_id"]);

    // Acme's user reads it and works on it.
    assert_eq!(out["read"]["title"], "Intrusion shared with Acme");
    assert_eq!(
        out["listed"],
        json!([["Intrusion shared with Acme", false, "Firebreak"]]),
        "listCase lists the shared case, not the owner's other"
    );
    let owner_listed = out["owner_listed"].as_array().unwrap();
    assert!(owner_listed.contains(&json!(["Intrusion shared with Acme", 1])), "{owner_listed:?}");
    assert!(owner_listed.contains(&json!(["The provider's own case", 0])), "{owner_listed:?}");
    let theirs = out["recipient_shares"].as_array().unwrap();
    assert_eq!((theirs.len(), theirs[0]["organisationName"].as_str()), (1, Some("Acme")), "its own share only");
    assert_eq!(out["observable"][0]["data"], "198.51.100.23");
    assert_eq!(out["log"]["message"], "Accounts reset at 10:00");
    assert_eq!(out["task_read"]["title"], "Reset the VPN accounts");
    assert_eq!(out["owner_tasks"][0]["title"], "Reset the VPN accounts", "the owner sees the recipient's task");
    assert_eq!(out["task_shares"][0]["organisationName"], "Acme");
    // Nothing else of the owner's; no sharing onwards.
    assert_eq!(out["other_case"]["status"], 404, "{}", out["other_case"]);
    assert_eq!(out["other_tasks"]["status"], 404);
    assert_eq!(out["reshare"]["status"], 403, "{}", out["reshare"]);

    // Narrowed to read-only.
    assert_eq!(out["narrowed"][1]["profileName"], "read-only");
    assert_eq!(out["read_only_read"], "Intrusion shared with Acme");
    assert_eq!(out["read_only_write"]["status"], 403, "{}", out["read_only_write"]);

    // Unshared, set again, removed by id: the access follows each time.
    assert_eq!(out["after_unshare"]["status"], 404);
    assert_eq!(out["listed_after_unshare"], json!([]), "unlisted once unshared");
    assert_eq!(out["after_unshare_task"]["status"], 404);
    assert_eq!(out["set"][0]["profileName"], "read-only");
    assert_eq!(out["read_again"], "Intrusion shared with Acme");
    assert_eq!(out["after_remove"]["status"], 404);
    assert_eq!(out["final_shares"].as_array().map(Vec::len), Some(1), "the owner's entry alone");
}
