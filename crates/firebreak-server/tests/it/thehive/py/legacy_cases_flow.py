"""TheHive 4's case paths through thehive4py 1.x, as legacy integrations
call them: a case, its task, a log with an attachment, an artifact."""
import json
import os
import tempfile

from thehive4py.api import TheHiveApi
from thehive4py.models import Case, CaseObservable, CaseTask, CaseTaskLog

api = TheHiveApi(os.environ["FIREBREAK_URL"], os.environ["FIREBREAK_USER"], os.environ["FIREBREAK_PASSWORD"])
out = {}


def ok(r):
    if r.status_code >= 300:
        raise SystemExit(f"{r.request.method} {r.url}: {r.status_code} {r.text}")
    return r.json()


case = ok(api.create_case(Case(title="Legacy: beaconing from WS-12", description="from Wazuh", tlp=2, severity=2,
                               tags=["wazuh"], tasks=[CaseTask(title="Check the proxy logs")])))
out["case"] = case
task = ok(api.create_case_task(case["id"], CaseTask(title="Reimage WS-12", status="Waiting")))
out["task"] = task
with tempfile.NamedTemporaryFile("wb", suffix=".log", delete=False) as f:
    f.write(b"beacon every 60s to 198.51.100.9\n")
    path = f.name
out["log"] = ok(api.create_task_log(task["id"], CaseTaskLog(message="Proxy log attached", file=path)))
out["plain_log"] = ok(api.create_task_log(task["id"], CaseTaskLog(message="Nothing else in the logs")))
out["artifact"] = ok(api.create_case_observable(case["id"], CaseObservable(dataType="ip", data="198.51.100.9",
                                                                           tlp=2, ioc=True, tags=["c2"],
                                                                           message="beacon target")))
out["file_artifact"] = ok(api.create_case_observable(case["id"], CaseObservable(dataType="file", data=path,
                                                                                message="proxy log")))
out["got"] = ok(api.get_case(case["id"]))
t = CaseTask(title="Reimage WS-12")
t.id = task["id"]
t.status = "Completed"
out["task_done"] = ok(api.update_case_task(t, fields=["status"]))
c = Case(title="x", description="x")
c.id = case["id"]
c.status = "Resolved"
c.resolutionStatus = "FalsePositive"
c.summary = "A backup agent, not a beacon"
c.impactStatus = "NoImpact"
out["resolved"] = ok(api.update_case(c, fields=["status", "resolutionStatus", "summary", "impactStatus"]))
# A resolved case takes no more work until it is reopened.
late = api.create_case_task(case["id"], CaseTask(title="After the fact"))
out["late_task"] = {"status": late.status_code, "body": late.json()}
spare = ok(api.create_case(Case(title="Legacy: duplicate of the beacon case", description="x")))
r = api.delete_case(spare["id"], force=True)
out["deleted_status"] = r.status_code
out["deleted"] = ok(api.get_case(spare["id"]))
print(json.dumps(out))
