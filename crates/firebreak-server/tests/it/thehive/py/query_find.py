"""The query API as thehive4py 2.x drives it: alert and case searches with
filters, sorts, pages and counts, and the traversals from a case, a task and
an alert. Prints what each call found."""
import json
import os
import warnings

from thehive4py import TheHiveApi
from thehive4py.errors import TheHiveError
from thehive4py.query.filters import Between, Contains, EndsWith, Eq, Gt, Has, Id, In, Like, StartsWith
from thehive4py.query.page import Paginate
from thehive4py.query.sort import Asc, Desc

warnings.simplefilter("ignore", DeprecationWarning)
hive = TheHiveApi(
    url=os.environ["FIREBREAK_URL"],
    username=os.environ["FIREBREAK_USER"],
    password=os.environ["FIREBREAK_PASSWORD"],
)
T = int(os.environ["T0"])  # 00:00 of the alerts' day, in ms
HOUR = 3600 * 1000


def titles(found):
    return [a["title"] for a in found]


out = {}
out["new_and_severe"] = titles(
    hive.alert.find(filters=Eq("status", "New") & Gt("severity", 1), sortby=Desc("date"), paginate=Paginate(start=0, end=10))
)
out["count_new"] = hive.alert.count(filters=Eq("status", "New"))
out["count_all"] = hive.alert.count()
out["like"] = sorted(titles(hive.alert.find(filters=Like("title", "phish"))))
out["tag"] = titles(hive.alert.find(filters=Eq("tags", "malware")))
out["in_asc"] = titles(hive.alert.find(filters=In("severity", [1, 2]), sortby=Asc("date")))
out["not_new"] = titles(hive.alert.find(filters=~Eq("status", "New"), sortby=Asc("date")))
out["between"] = titles(hive.alert.find(filters=Between("date", T + 2 * HOUR, T + 4 * HOUR), sortby=Asc("date")))
out["raw_eq"] = hive.alert.count(filters={"_eq": {"status": "New"}})
out["raw_field_value"] = hive.alert.count(filters={"_eq": {"_field": "status", "_value": "New"}})
out["starts"] = titles(hive.alert.find(filters=StartsWith("title", "Port")))
out["ends"] = titles(hive.alert.find(filters=EndsWith("title", "LAPTOP")))
out["or"] = sorted(titles(hive.alert.find(filters=Eq("source", "edr") | Eq("tags", "auth"))))
out["second_newest"] = titles(hive.alert.find(sortby=Desc("date"), paginate=Paginate(start=1, end=2)))
out["imported_case"] = [a.get("caseId") for a in hive.alert.find(filters=Eq("status", "Imported"))]
out["has_case"] = hive.alert.count(filters=Has("caseId"))
out["contains_case"] = hive.alert.count(filters=Contains("caseId"))
first = hive.alert.find(filters=Eq("title", "Phishing mail to finance"))[0]
out["by_id"] = titles(hive.alert.find(filters=Id(first["_id"])))
out["alert_observables"] = sorted(o["data"] for o in hive.alert.find_observables(first["_id"]))
out["cases"] = sorted(c["title"] for c in hive.case.find(sortby=Asc("number")))
out["case_count"] = hive.case.count(filters=Eq("stage", "New"))
case_id = os.environ["CASE_ID"]
out["case_by_number"] = hive.session.make_request(
    "POST", path="/api/v1/query", json={"query": [{"_name": "getCase", "idOrName": os.environ["CASE_NUMBER"]}]}
)[0]["_id"]
out["case_observables"] = sorted(o["data"] for o in hive.case.find_observables(case_id))
tasks = hive.case.find_tasks(case_id, sortby=Asc("title"))
out["case_tasks"] = [t["title"] for t in tasks]
out["task_logs"] = [l["message"] for l in hive.task.find_logs(os.environ["TASK_ID"])]
out["case_alerts"] = titles(
    hive.session.make_request(
        "POST", path="/api/v1/query", json={"query": [{"_name": "getCase", "idOrName": case_id}, {"_name": "alerts"}]}
    )
)
out["alert_case"] = [
    c["_id"]
    for c in hive.session.make_request(
        "POST",
        path="/api/v1/query",
        json={"query": [{"_name": "listAlert"}, {"_name": "filter", "_eq": {"status": "Imported"}}, {"_name": "case"}]},
    )
]
out["users"] = sorted(u["login"] for u in hive.user.find())
out["orgs"] = len(hive.organisation.find())
extra = hive.alert.find(paginate=Paginate(start=0, end=1, extra_data=["importDate"]))
out["extra"] = "extraData" in extra[0]
errors = {}
for name, call in [
    ("field", lambda: hive.alert.find(filters=Eq("colour", "red"))),
    ("operator", lambda: hive.alert.find(filters={"_sideways": {"title": "x"}})),
    ("status", lambda: hive.alert.find(filters=Eq("status", "Sideways"))),
    ("case", lambda: hive.session.make_request("POST", path="/api/v1/query", json={"query": [{"_name": "getCase", "idOrName": "00000000-0000-0000-0000-000000000000"}]})),
]:
    try:
        call()
        errors[name] = None
    except TheHiveError as e:
        errors[name] = {"status": e.response.status_code if e.response is not None else None, "message": str(e)}
out["errors"] = errors
print(json.dumps(out))
