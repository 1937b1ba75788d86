"""A case shared with another organisation through thehive4py 2.x: the owner
shares one case with "Acme" (refusals first), a user of Acme, in Acme by
X-Organisation, lists and reads it and works on it but cannot reach the
owner's other case; the share is narrowed, removed, set again and removed
by id, and the access follows each time. Prints what the test checks."""
import json
import os

from thehive4py import TheHiveApi
from thehive4py.errors import TheHiveError

owner = TheHiveApi(
    url=os.environ["FIREBREAK_URL"],
    username=os.environ["FIREBREAK_USER"],
    password=os.environ["FIREBREAK_PASSWORD"],
    max_retries=0,
)
recipient = TheHiveApi(
    url=os.environ["FIREBREAK_URL"],
    username=os.environ["RECIPIENT_USER"],
    password=os.environ["RECIPIENT_PASSWORD"],
    organisation="Acme",
    max_retries=0,
)
out = {}


def refusal(call):
    try:
        call()
    except TheHiveError as e:
        body = e.response.json() if e.response is not None else {}
        return {"status": e.response.status_code if e.response is not None else 0, **body}
    return {"status": 200}


shared = owner.case.create(case={"title": "Intrusion shared with Acme", "description": "VPN brute force"})
kept = owner.case.create(case={"title": "The provider's own case", "description": "internal"})
sid, kid = shared["_id"], kept["_id"]

out["refused_own"] = refusal(lambda: owner.case.share(sid, [{"organisation": "Firebreak", "profile": "analyst"}]))
out["refused_unknown"] = refusal(lambda: owner.case.share(sid, [{"organisation": "Nowhere", "profile": "analyst"}]))
out["refused_profile"] = refusal(lambda: owner.case.share(sid, [{"organisation": "Acme", "profile": "superuser"}]))
out["refused_rule"] = refusal(
    lambda: owner.case.share(sid, [{"organisation": "Acme", "profile": "analyst", "taskRule": "some"}])
)
out["before"] = refusal(lambda: recipient.case.get(sid))

# Organisation links are the provider's grants; sharing profiles are the roles a case is shared with.
out["org_links"] = [(l["linkType"], l["otherLinkType"], l["organisation"]["name"]) for l in owner.organisation.list_links("Firebreak")]
out["acme_links"] = [(l["linkType"], l["otherLinkType"], l["organisation"]["name"]) for l in recipient.organisation.list_links("Acme")]
out["sharing_profiles"] = [p["name"] for p in owner.organisation.list_sharing_profiles()]
out["link_refused"] = refusal(
    lambda: owner.organisation.link("Firebreak", "Acme", {"linkType": "default", "otherLinkType": "default"})
)
out["case_link_types"] = owner.case.get_link_types()
out["case_link_refused"] = refusal(lambda: owner.case.link_case(sid, {"type": "related", "caseId": kid}))

out["shared"] = owner.case.share(
    sid, [{"organisation": "Acme", "profile": "analyst", "taskRule": "all", "observableRule": "all"}]
)
out["shares"] = owner.case.list_shares(sid)

# The recipient lists, reads and works on the shared case.
out["read"] = recipient.case.get(sid)
out["listed"] = [
    (c["title"], c["extraData"].get("isOwner"), c["extraData"].get("owningOrganisation"))
    for c in recipient.case.find(paginate={"from": 0, "to": 10, "extraData": ["isOwner", "owningOrganisation"]})
]
out["owner_listed"] = [
    (c["title"], c["extraData"].get("shareCount"))
    for c in owner.case.find(paginate={"from": 0, "to": 10, "extraData": ["shareCount"]})
]
out["recipient_shares"] = recipient.case.list_shares(sid)
out["observable"] = recipient.case.create_observable(sid, {"dataType": "ip", "data": "198.51.100.23", "ioc": True})
task = recipient.case.create_task(sid, {"title": "Reset the VPN accounts"})
out["task"] = task
out["log"] = recipient.task_log.create(task["_id"], {"message": "Accounts reset at 10:00"})
out["task_read"] = recipient.task.get(task["_id"])
out["task_shares"] = owner.task.list_shares(task["_id"])
out["owner_tasks"] = owner.case.find_tasks(sid)
out["other_case"] = refusal(lambda: recipient.case.get(kid))
out["other_tasks"] = refusal(lambda: recipient.case.create_task(kid, {"title": "x"}))
out["reshare"] = refusal(lambda: recipient.case.share(sid, [{"organisation": "Firebreak", "profile": "read-only"}]))

# Narrowed to read-only: reading still works, writing does not.
share_id = [s for s in out["shares"] if not s["owner"]][0]["_id"]
owner.session.make_request("PATCH", path=f"/api/v1/case/share/{share_id}", json={"profile": "read-only"})
out["narrowed"] = owner.case.list_shares(sid)
out["read_only_read"] = recipient.case.get(sid)["title"]
out["read_only_write"] = refusal(lambda: recipient.case.create_task(sid, {"title": "y"}))

# Unshared by organisation: the access ends at once.
owner.case.unshare(sid, ["Acme"])
out["after_unshare"] = refusal(lambda: recipient.case.get(sid))
out["listed_after_unshare"] = [c["title"] for c in recipient.case.find()]
out["after_unshare_task"] = refusal(lambda: recipient.task.get(task["_id"]))

# Set again (PUT), then removed by the share's id.
out["set"] = owner.case.set_share(sid, [{"organisation": "Acme", "profile": "read-only"}])
out["read_again"] = recipient.case.get(sid)["title"]
owner.case.remove_share(out["set"][0]["_id"])
out["after_remove"] = refusal(lambda: recipient.case.get(sid))
out["final_shares"] = owner.case.list_shares(sid)

print(json.dumps(out))
