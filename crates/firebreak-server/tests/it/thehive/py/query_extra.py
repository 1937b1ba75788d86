"""extraData on pages of cases and alerts, a case's procedures, attachments,
timeline and links, and the organisation's comments and procedures, as
thehive4py 2.x asks for them. Prints what each call found."""
import json
import os
import tempfile
import warnings

from thehive4py import TheHiveApi
from thehive4py.errors import TheHiveError
from thehive4py.query.filters import Eq, Like
from thehive4py.query.page import Paginate
from thehive4py.query.sort import Asc

warnings.simplefilter("ignore", DeprecationWarning)
hive = TheHiveApi(
    url=os.environ["FIREBREAK_URL"],
    username=os.environ["FIREBREAK_USER"],
    password=os.environ["FIREBREAK_PASSWORD"],
)
me = os.environ["FIREBREAK_USER"]
T = 1772323200000
out = {}


def query(steps):
    return hive.session.make_request("POST", path="/api/v1/query", json={"query": steps})


a = hive.case.create({"title": "Linked A", "description": "phishing wave", "assignee": me})
hive.case.create_observable(a["_id"], {"dataType": "ip", "data": "203.0.113.5", "ioc": True})
hive.case.create_observable(a["_id"], {"dataType": "domain", "data": "lure.example"})
with tempfile.NamedTemporaryFile("w", suffix=".txt", prefix="evidence-", delete=False) as f:
    f.write("headers of the phishing mail\n")
hive.case.create_observable(a["_id"], {"dataType": "file", "message": "the mail"}, observable_path=f.name)
hive.case.create_task(a["_id"], {"title": "Contain", "status": "InProgress", "assignee": me})
hive.case.create_task(a["_id"], {"title": "Report"})
procedure = hive.procedure.create_in_case(a["_id"], {"occurDate": T, "patternId": "T1566", "description": "Phishing"})
hive.comment.create_in_case(a["_id"], {"message": "first note"})

b = hive.case.create({"title": "Linked B", "description": "same address"})
hive.case.create_observable(b["_id"], {"dataType": "ip", "data": "203.0.113.5"})
hive.comment.create_in_case(b["_id"], {"message": "second note"})
hive.case.create({"title": "Alone", "description": "nothing shared"})

seen = hive.alert.create({
    "type": "mail", "source": "mailgw", "sourceRef": "extra-1", "title": "Lure seen again", "description": "d",
    "observables": [{"dataType": "ip", "data": "203.0.113.5"}, {"dataType": "domain", "data": "other.example"}],
})
promoted = hive.alert.create({
    "type": "mail", "source": "mailgw", "sourceRef": "extra-2", "title": "Promoted", "description": "d",
    "observables": [{"dataType": "ip", "data": "198.51.100.77"}],
})
promoted_case = hive.alert.promote_to_case(promoted["_id"])
out["promoted_case_number"] = promoted_case["number"]

CASE_EXTRA = [
    "observableStats", "taskStats", "alerts", "alertCount", "isOwner", "shareCount", "permissions",
    "actionRequired", "contributors", "procedureCount", "attachmentCount", "owningOrganisation",
    "computed.handlingDuration", "noSuchThing",
]
found = hive.case.find(filters=Eq("title", "Linked A"), paginate=Paginate(0, 10, extra_data=CASE_EXTRA))
out["case_extra"] = found[0]["extraData"]
promoted_extra = hive.case.find(
    filters=Eq("number", promoted_case["number"]), paginate=Paginate(0, 1, extra_data=["alerts", "alertCount"])
)
out["promoted_case_extra"] = promoted_extra[0]["extraData"]
out["got_case_extra"] = query(
    [{"_name": "getCase", "idOrName": a["_id"]}, {"_name": "page", "from": 0, "to": 1, "extraData": ["observableStats"]}]
)[0]["extraData"]

ALERT_EXTRA = ["caseNumber", "importDate", "observableCount", "similarCases", "noSuchThing"]
alerts = hive.alert.find(sortby=Asc("sourceRef"), paginate=Paginate(0, 10, extra_data=ALERT_EXTRA))
out["alert_extra"] = {x["sourceRef"]: x["extraData"] for x in alerts}

out["procedures"] = [p["patternId"] for p in hive.case.find_procedures(a["_id"])]
out["procedures_filtered"] = len(hive.case.find_procedures(a["_id"], filters=Eq("patternId", "T1059")))
out["attachments"] = [x["name"] for x in hive.case.find_attachments(a["_id"])]
timeline = query([{"_name": "getCase", "idOrName": a["_id"]}, {"_name": "timeline"}])
out["timeline_kinds"] = sorted({e["kind"] for e in timeline})
out["timeline_procedure_count"] = query(
    [{"_name": "getCase", "idOrName": a["_id"]}, {"_name": "timeline"}, {"_name": "filter", "_eq": {"kind": "Procedure"}},
     {"_name": "count"}]
)

out["comments"] = sorted(c["message"] for c in hive.comment.find())
out["comments_like"] = [c["message"] for c in hive.comment.find(filters=Like("message", "second"))]
out["comment_count"] = query([{"_name": "listComment"}, {"_name": "count"}])
out["all_procedures"] = [p["patternId"] for p in hive.procedure.find()]
out["procedure_got"] = hive.procedure.get(procedure["_id"])["patternId"]

links = hive.case.get_linked_cases(a["_id"])
out["links"] = [
    {"title": l["title"], "linksCount": l["linksCount"], "with": [o["data"] for o in l["linkedWith"]]} for l in links
]
out["links_query"] = [l["title"] for l in query([{"_name": "getCase", "idOrName": a["_id"]}, {"_name": "links"}])]

try:
    hive.procedure.create_in_alert(seen["_id"], {"occurDate": T, "patternId": "T1566"})
    out["alert_procedure"] = "created"
except TheHiveError as e:
    out["alert_procedure"] = str(e)

hive.procedure.bulk_delete([procedure["_id"]])
out["procedures_after_delete"] = [p["patternId"] for p in hive.procedure.find()]
os.unlink(f.name)
print(json.dumps(out))
