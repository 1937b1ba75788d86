"""TheHive 4's searches as thehive4py 1.x sends them: `find_alerts` and
`find_cases` with the `thehive4py.query` helpers, a range and a sort."""
import json
import os

from thehive4py.api import TheHiveApi
from thehive4py.query import And, Between, Contains, Eq, Gt, In, Like, Not, Or

api = TheHiveApi(os.environ["FIREBREAK_URL"], os.environ["FIREBREAK_USER"], password=os.environ["FIREBREAK_PASSWORD"])
T = int(os.environ["T0"])
HOUR = 3600 * 1000


def titles(r):
    assert r.status_code == 200, r.text
    return [a["title"] for a in r.json()]


out = {}
out["new_severe"] = titles(api.find_alerts(query=And(Eq("status", "New"), Gt("severity", 1)), sort=["-date"], range="0-10"))
out["range"] = titles(api.find_alerts(query={}, sort=["-date"], range="1-3"))
out["all"] = len(api.find_alerts().json())
out["between"] = titles(api.find_alerts(query=Between("date", T + 2 * HOUR, T + 4 * HOUR), sort=["+date"]))
out["in"] = sorted(titles(api.find_alerts(query=In("tags", ["auth", "malware"]))))
out["contains"] = len(api.find_alerts(query=Contains("caseId")).json())
out["like"] = sorted(titles(api.find_alerts(query=Like("title", "phish"))))
out["or_not"] = sorted(titles(api.find_alerts(query=Or(Eq("severity", 4), Not(Eq("status", "New"))))))
out["legacy_fields"] = sorted(k for k in api.find_alerts(range="0-1").json()[0] if k in ("id", "createdAt"))
out["cases"] = sorted(titles(api.find_cases(query=Eq("status", "Open"), sort=["-startDate"], range="all")))
out["case_by_number"] = titles(api.find_cases(query=Eq("caseId", int(os.environ["CASE_NUMBER"]))))
bad = api.find_alerts(query=Eq("colour", "red"))
out["bad"] = {"status": bad.status_code, "body": bad.json()}
print(json.dumps(out))
