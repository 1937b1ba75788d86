"""Triage of TheHive 5 alerts through thehive4py 2.x: update (status,
assignee, what the alert says), bulk update, follow and unfollow, delete (refused), promote to a
case, merge into a case, bulk merge, observables and attachments added
after intake (refused)."""
import json
import os
import tempfile

from thehive4py import TheHiveApi
from thehive4py.errors import TheHiveError

hive = TheHiveApi(
    url=os.environ["FIREBREAK_URL"],
    username=os.environ["FIREBREAK_USER"],
    password=os.environ["FIREBREAK_PASSWORD"],
)


def new(ref, severity=2):
    return hive.alert.create({
        "type": "external", "source": "triage", "sourceRef": ref, "title": f"alert {ref}",
        "description": "", "severity": severity,
        "observables": [{"dataType": "ip", "data": f"198.51.100.{len(ref)}"}],
    })


def refused(call):
    try:
        call()
        return "accepted"
    except TheHiveError as e:
        return str(e)


out = {}
a, b, c, d, e, f = (new(r) for r in ["a", "bb", "ccc", "dddd", "eeeee", "ffffff"])

hive.alert.update(a["_id"], {"status": "InProgress", "assignee": "admin"})
out["taken"] = hive.alert.get(a["_id"])
hive.alert.update(a["_id"], {"status": "FalsePositive", "summary": "a scanner we run"})
out["closed"] = hive.alert.get(a["_id"])
hive.alert.update(b["_id"], {"title": "another title", "severity": 4, "tags": ["one", "two"], "tlp": 3,
                             "customFields": [{"name": "ticket", "value": "INC-7"}]})
hive.alert.update(b["_id"], {"addTags": ["three"], "removeTags": ["one"]})
out["amended"] = hive.alert.get(b["_id"])
out["resourced"] = refused(lambda: hive.alert.update(b["_id"], {"sourceRef": "another"}))
out["same_source"] = refused(lambda: hive.alert.update(b["_id"], {"sourceRef": b["sourceRef"], "type": b["type"]}))
hive.alert.bulk_update({"ids": [b["_id"], c["_id"]], "status": "Ignored"})
out["bulk"] = [hive.alert.get(i)["status"] for i in (b["_id"], c["_id"])]

hive.alert.follow(d["_id"])
out["unfollow"] = refused(lambda: hive.alert.unfollow(d["_id"]))
out["delete"] = refused(lambda: hive.alert.delete(d["_id"]))

case = hive.alert.promote_to_case(d["_id"])
out["case"] = case
out["promoted"] = hive.alert.get(d["_id"])
out["merged_case"] = hive.alert.merge_into_case(e["_id"], case["_id"])
out["merged"] = hive.alert.get(e["_id"])
out["bulk_merged_case"] = hive.alert.bulk_merge_into_case(case["_id"], [f["_id"]])
out["bulk_merged"] = hive.alert.get(f["_id"])
out["promote_again"] = refused(lambda: hive.alert.promote_to_case(d["_id"]))
out["template_missing"] = refused(lambda: hive.alert.promote_to_case(b["_id"], {"caseTemplate": "no such"}))

out["add_observable"] = refused(
    lambda: hive.alert.create_observable(b["_id"], {"dataType": "ip", "data": "192.0.2.1"}))
sample = tempfile.NamedTemporaryFile("wb", suffix=".txt", delete=False)
sample.write(b"x")
sample.close()
out["add_attachment"] = refused(lambda: hive.alert.add_attachment(b["_id"], [sample.name]))
os.unlink(sample.name)
out["ids"] = {"a": a["_id"], "b": b["_id"], "d": d["_id"]}
print(json.dumps(out))
