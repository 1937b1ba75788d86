"""A case's life through thehive4py 2.x: created with tasks, a template and
custom fields; tasks, logs with an attachment, observables (one a file),
comments, pages, a timeline event and a procedure; updated, bulk updated,
merged, closed, deleted. Prints what the test checks."""
import json
import os
import tempfile
import time

from thehive4py import TheHiveApi
from thehive4py.errors import TheHiveError

hive = TheHiveApi(
    url=os.environ["FIREBREAK_URL"],
    username=os.environ["FIREBREAK_USER"],
    password=os.environ["FIREBREAK_PASSWORD"],
    max_retries=0,
)
out = {}
now = int(time.time() * 1000)

case = hive.case.create(
    case={
        "title": "Ransomware on FILESRV01",
        "description": "Files renamed to *.locked",
        "severity": 3,
        "tlp": 2,
        "pap": 2,
        "tags": ["ransomware"],
        "tasks": [{"title": "Isolate FILESRV01 from the network", "group": "containment"}],
        "customFields": [{"name": "ticket", "value": "INC-4242"}],
    }
)
out["case"] = case
case_id = case["_id"]
out["got"] = hive.case.get(case_id)

templated = hive.case.create(case={"title": "Phish reported by finance", "description": "", "caseTemplate": "Phishing"})
out["templated"] = templated

task = hive.case.create_task(case_id, {"title": "Collect the ransom note", "status": "InProgress"})
out["task"] = task
hive.task.update(task["_id"], {"status": "Completed"})
out["task_after"] = hive.task.get(task["_id"])

with tempfile.NamedTemporaryFile("wb", suffix=".txt", delete=False) as f:
    f.write(b"YOUR FILES ARE ENCRYPTED\n")
    note = f.name
log = hive.task_log.create(task["_id"], {"message": "Ransom note found on the share", "attachments": [note]})
out["log"] = log
hive.task_log.update(log["_id"], {"message": "Ransom note found on \\\\FILESRV01\\share"})
# task_log.get and comment.get go through the query API; these are the
# entities' own paths.
out["log_after"] = hive.session.make_request("GET", path=f"/api/v1/log/{log['_id']}")

obs = hive.case.create_observable(case_id, {"dataType": "ip", "data": "203.0.113.7", "ioc": True, "tags": ["c2"]})
out["observable"] = obs
hive.observable.update(obs[0]["_id"], {"message": "C2 server", "tlp": 3})
out["observable_after"] = hive.observable.get(obs[0]["_id"])
out["file_observable"] = hive.case.create_observable(
    case_id, {"dataType": "file", "message": "the ransom note"}, observable_path=note
)
many = hive.case.create_observable(case_id, {"dataType": "domain", "data": ["evil.example", "worse.example"]})
out["many"] = len(many)
hive.observable.delete(many[1]["_id"])

comment = hive.comment.create_in_case(case_id, {"message": "Backups from Sunday are clean"})
out["comment"] = comment
hive.comment.update(comment["_id"], {"message": "Backups from Saturday are clean"})
out["comment_after"] = hive.session.make_request("GET", path=f"/api/v1/comment/{comment['_id']}")

page = hive.case.create_page(case_id, {"title": "Restore plan", "category": "Recovery", "content": "# Steps\n1. Restore"})
out["page"] = page
hive.case.update_page(case_id, page["_id"], {"content": "# Steps\n1. Wipe\n2. Restore"})

event = hive.timeline.create_event(case_id, {"date": now - 3600_000, "title": "First file encrypted"})
out["event"] = event
procedure = hive.procedure.create_in_case(
    case_id, {"occurDate": now - 7200_000, "patternId": "T1059.001", "tactic": "execution", "description": "PowerShell dropper"}
)
out["procedure"] = procedure
hive.procedure.update(procedure["_id"], {"patternId": "T1059.003", "description": "cmd.exe dropper"})
hive.timeline.update_event(event["_id"], {"description": "on \\\\FILESRV01\\share"})
hive.task.bulk_update({"ids": [task["_id"]], "assignee": "admin"})
out["task_bulk"] = hive.task.get(task["_id"])
hive.observable.bulk_update({"ids": [obs[0]["_id"], many[0]["_id"]], "tags": ["bulk"]})
out["observable_bulk"] = hive.observable.get(many[0]["_id"])
try:
    hive.procedure.create_in_case(case_id, {"occurDate": now, "patternId": "T9999"})
    out["bad_procedure"] = "accepted"
except TheHiveError as e:
    out["bad_procedure"] = str(e)
out["timeline"] = hive.case.get_timeline(case_id)

out["shares"] = hive.case.list_shares(case_id)
try:
    hive.case.share(case_id, [{"organisation": "someone-else"}])
    out["share"] = "accepted"
except TheHiveError as e:
    out["share"] = {"status": e.response.status_code, "message": str(e)}

hive.case.update(case_id, {"title": "Ransomware on FILESRV01 and FILESRV02", "addTags": ["filesrv"], "severity": 4})
other = hive.case.create(case={"title": "Second server encrypted", "description": ""})
hive.case.bulk_update({"ids": [case_id, other["_id"]], "tlp": 3})
out["bulk"] = [hive.case.get(case_id)["tlp"], hive.case.get(other["_id"])["tlp"]]
out["merged"] = hive.case.merge([case_id, other["_id"]])
out["other_after"] = hive.case.get(other["_id"])

hive.case.close(case_id, status="TruePositive", summary="Contained and restored from backup")
out["closed"] = hive.case.get(case_id)
hive.case.open(case_id)
out["reopened"] = hive.case.get(case_id)
hive.case.close(case_id, status="Indeterminate", summary="Could not tell how they got in")
out["closed_again"] = hive.case.get(case_id)

hive.case.delete(templated["_id"])
out["deleted"] = hive.case.get(templated["_id"])
try:
    hive.case.get("00000000-0000-0000-0000-000000000000")
    out["missing"] = "found"
except TheHiveError as e:
    out["missing"] = e.response.status_code

print(json.dumps(out))
