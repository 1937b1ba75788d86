"""The rest of TheHive 5's API through thehive4py 2.x's own methods:
attachments of cases, task logs, alerts and the organisation; an alert's
comments, procedures, import and similar observables; a template applied to
cases, procedures deleted in bulk, duplicate observables merged; and the
refusals (owner, access, a case's custom field, required actions, Cortex,
MISP, case archives, page templates). Prints what the test checks."""
import faulthandler
import hashlib
import json
import os
import tempfile
import time
import warnings

from thehive4py import TheHiveApi
from thehive4py.errors import TheHiveError

# A call that hangs fails the test with where it hung.
faulthandler.dump_traceback_later(60, exit=True)
warnings.simplefilter("ignore", DeprecationWarning)

hive = TheHiveApi(os.environ["FIREBREAK_URL"], username=os.environ["FIREBREAK_USER"],
                  password=os.environ["FIREBREAK_PASSWORD"], max_retries=0)
out = {}
now = int(time.time() * 1000)
tmp = tempfile.mkdtemp()


def error(call):
    try:
        call()
    except TheHiveError as e:
        return {"status": e.response.status_code, "type": e.response.json()["type"], "message": e.message}
    raise AssertionError("the call did not fail")


def file(name, data):
    path = os.path.join(tmp, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def read(path):
    with open(path, "rb") as f:
        return f.read()


# Case attachments: kept as evidence, downloaded whole, never deleted.
case = hive.case.create(case={"title": "Intrusion on WEB01", "description": "Webshell found", "severity": 3})
case_id = case["_id"]
note = b"<?php system($_GET['c']); ?>\n"
attached = hive.case.add_attachment(case_id, [file("shell.php", note), file("access.log", b"GET /shell.php?c=id\n")])
out["case_attachments"] = attached
out["sha256"] = hashlib.sha256(note).hexdigest()
shell = attached[0]["_id"]
got = os.path.join(tmp, "got.php")
hive.case.download_attachment(case_id, shell, got)
out["case_download_same"] = read(got) == note
got2 = os.path.join(tmp, "got2.php")
hive.organisation.download_attachment(shell, got2)
out["org_download_same"] = read(got2) == note
out["org_get"] = hive.session.make_request("GET", path=f"/api/v1/attachment/{shell}")
out["case_delete"] = error(lambda: hive.case.delete_attachment(case_id, shell))
out["org_delete"] = error(lambda: hive.organisation.delete_attachment(shell))
out["org_add"] = error(lambda: hive.organisation.add_attachment([file("loose.txt", b"loose")]))
out["missing"] = error(lambda: hive.session.make_request(
    "GET", path="/api/v1/attachment/00000000-0000-7000-8000-000000000000"))

# A task log's attachments: added to the entry, then taken off it.
task = hive.case.create_task(case_id, {"title": "Image WEB01"})
log = hive.task.create_log(task["_id"], {"message": "Disk imaged"})
hive.task_log.add_attachment(log["_id"], [file("image.sha256", b"abc  web01.dd\n")])
after_add = hive.session.make_request("GET", path=f"/api/v1/log/{log['_id']}")
out["log_after_add"] = after_add
hive.task_log.delete_attachment(log["_id"], after_add["attachments"][0]["_id"])
out["log_after_delete"] = hive.session.make_request("GET", path=f"/api/v1/log/{log['_id']}")

# Alerts: comments, procedures (tags), similar observables, an attachment
# that stays, and an import into the case.
a1 = hive.alert.create({"type": "ids", "source": "suricata", "sourceRef": "parts-1", "title": "C2 beacon",
                        "description": "beacon", "observables": [{"dataType": "ip", "data": "203.0.113.9"},
                                                                 {"dataType": "domain", "data": "evil.example"}]})
a2 = hive.alert.create({"type": "ids", "source": "suricata", "sourceRef": "parts-2", "title": "C2 beacon again",
                        "description": "beacon", "observables": [{"dataType": "ip", "data": "203.0.113.9"}]})
out["alert_id"] = a1["_id"]
out["comment"] = hive.comment.create_in_alert(a1["_id"], {"message": "Seen from WEB01 too"})
out["comments"] = hive.session.make_request("GET", path=f"/api/v1/alert/{a1['_id']}/comment")
out["procedure"] = hive.procedure.create_in_alert(a1["_id"], {"patternId": "T1071.001", "occurDate": now})
out["procedures"] = hive.procedure.bulk_create_in_alert(
    a1["_id"], [{"patternId": "T1059", "occurDate": now}, {"patternId": "T1071.001", "occurDate": now}])
out["bad_procedure"] = error(lambda: hive.procedure.create_in_alert(a1["_id"], {"patternId": "T9999",
                                                                                   "occurDate": now}))
out["alert_tags"] = hive.alert.get(a1["_id"])["tags"]
out["similar_alerts"] = hive.alert.get_similar_observables(a1["_id"], a2["_id"])
hive.alert.add_attachment(a1["_id"], [file("pcap.txt", b"packets")])
alert_attachment = hive.session.make_request("POST", path="/api/v1/query", json={"query": [
    {"_name": "getAlert", "idOrName": a1["_id"]}, {"_name": "attachments"}]})[0]
out["alert_attachment_delete"] = error(lambda: hive.alert.delete_attachment(a1["_id"], alert_attachment["_id"]))
hive.case.create_observable(case_id, {"dataType": "ip", "data": "203.0.113.9"})
out["similar_case"] = hive.case.get_similar_observables(case_id, a1["_id"])
out["imported"] = hive.alert.import_into_case(a2["_id"], case_id)
out["unlink"] = error(lambda: hive.case.unlink_alert(case_id, a2["_id"]))
out["merged_observables"] = hive.case.merge_similar_observables(case_id)

# A case template's tasks added to cases; procedures deleted in bulk.
hive.case_template.create({"name": "Webshell", "description": "", "tasks": [
    {"title": "Find the upload path", "group": "analysis"}, {"title": "Remove the webshell", "group": "eradication"}]})
before = len(hive.session.make_request("GET", path=f"/api/v1/case/{case_id}/task"))
hive.case.apply_case_template({"ids": [case_id], "caseTemplate": "Webshell", "importTasks": ["Remove the webshell"]})
tasks = hive.session.make_request("GET", path=f"/api/v1/case/{case_id}/task")
out["tasks_added"] = [t["title"] for t in tasks][before:]
out["template_update"] = error(lambda: hive.case.apply_case_template(
    {"ids": [case_id], "caseTemplate": "Webshell", "updateTags": True}))
p1 = hive.procedure.create_in_case(case_id, {"patternId": "T1505.003", "occurDate": now})
p2 = hive.procedure.create_in_case(case_id, {"patternId": "T1059", "occurDate": now})
hive.procedure.bulk_delete([p1["_id"], p2["_id"]])
out["procedure_gone"] = error(lambda: hive.session.make_request("GET", path=f"/api/v1/procedure/{p1['_id']}"))

# Refused, precisely.
out["owner"] = error(lambda: hive.case.change_owner_organisation(case_id, {"organisation": "elsewhere"}))
out["access"] = error(lambda: hive.case.manage_access(case_id, {"access": {"kind": "restricted"}}))
out["custom_field"] = error(lambda: hive.case.delete_custom_field("ticket"))
out["required_before"] = hive.task.get_required_actions(task["_id"])
org_id = hive.user.get_current()["organisations"][0]["organisationId"]
hive.task.set_as_required(task["_id"], org_id)
out["required"] = hive.task.get_required_actions(task["_id"])
hive.task.set_as_done(task["_id"], org_id)
out["done"] = hive.task.get_required_actions(task["_id"])
out["required_elsewhere"] = error(lambda: hive.task.set_as_required(task["_id"], "nowhere"))
out["task_id"] = task["_id"]
out["cortex"] = error(lambda: hive.cortex.list_analyzers())
out["misp"] = error(lambda: hive.misp.get_status())
out["export"] = error(lambda: hive.case.export_to_file(case_id, "secret", os.path.join(tmp, "case.thar")))
out["import"] = error(lambda: hive.case.import_from_file({"password": "secret"}, file("case.thar", b"PK")))
out["page_template"] = error(lambda: hive.page_template.create({"title": "Notes", "content": "#", "category": "x"}))
out["link_pages"] = error(lambda: hive.case_template.link_page_templates("Webshell", ["x"]))

print(json.dumps(out))
