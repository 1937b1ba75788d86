"""Identity through thehive4py 2.x: the current user, organisations, users,
profiles, keys, and TheHive's errors as the client raises them."""
import faulthandler
import json
import os

from thehive4py import TheHiveApi
from thehive4py.errors import TheHiveError

# A call that hangs fails the test with where it hung.
faulthandler.dump_traceback_later(60, exit=True)

url = os.environ["FIREBREAK_URL"]
admin = TheHiveApi(url, username=os.environ["FIREBREAK_USER"], password=os.environ["FIREBREAK_PASSWORD"])
out = {}


def error(call):
    """The status and TheHive error type a failing call raised."""
    try:
        call()
    except TheHiveError as e:
        return {"status": e.response.status_code, "type": e.response.json()["type"], "message": e.message}
    raise AssertionError("the call did not fail")


out["current"] = admin.user.get_current()

org = admin.organisation.create({"name": "Hive Customer", "description": "made by thehive4py"})
out["org_created"] = org
admin.organisation.update(org["_id"], {"description": "changed by thehive4py"})
out["org_by_name"] = admin.organisation.get("Hive Customer")

in_org = TheHiveApi(
    url,
    username=os.environ["FIREBREAK_USER"],
    password=os.environ["FIREBREAK_PASSWORD"],
    organisation="Hive Customer",
)
user = in_org.user.create(
    {"login": "hive.analyst", "name": "Hive Analyst", "profile": "analyst", "email": "analyst@example.org"}
)
out["user_created"] = user
in_org.user.update(user["_id"], {"name": "Hive Analyst Renamed", "profile": "org-admin"})
in_org.user.set_password(user["_id"], "a new password of the analyst")
out["user_by_login"] = in_org.user.get("hive.analyst")

analyst = TheHiveApi(url, username="hive.analyst", password="a new password of the analyst")
out["analyst_current"] = analyst.user.get_current()
key = analyst.user.renew_apikey(user["_id"])
by_key = TheHiveApi(url, apikey=key)
out["key_current"] = by_key.user.get_current()
out["key_profile"] = by_key.profile.get("org-admin")
out["key_get"] = error(lambda: analyst.user.get_apikey(user["_id"]))
analyst.user.remove_apikey(user["_id"])
out["key_removed"] = error(lambda: TheHiveApi(url, apikey=key).user.get_current())

# The admin's organisation does not hold the analyst.
out["other_org_user"] = error(lambda: admin.user.get("hive.analyst"))
out["wrong_password"] = error(lambda: TheHiveApi(url, username="hive.analyst", password="not it").user.get_current())
out["unknown_org"] = error(
    lambda: TheHiveApi(url, username="hive.analyst", password="a new password of the analyst",
                       organisation="No Such Org").user.get_current()
)
out["duplicate"] = error(lambda: in_org.user.create({"login": "hive.analyst", "name": "Again", "profile": "analyst"}))
out["bad_profile"] = error(lambda: in_org.user.create({"login": "someone", "name": "Some One", "profile": "wizard"}))
out["unknown_profile"] = error(lambda: admin.profile.get("wizard"))

reader = in_org.user.create({"login": "hive.reader", "name": "Hive Reader", "profile": "read-only",
                             "password": "the reader's long password"})
reading = TheHiveApi(url, username="hive.reader", password="the reader's long password")
out["forbidden"] = error(lambda: reading.user.create({"login": "x.y", "name": "X", "profile": "analyst"}))

in_org.user.update(reader["_id"], {"locked": True})
out["locked"] = error(lambda: reading.user.get_current())
in_org.user.delete(reader["_id"])
out["deleted"] = error(lambda: in_org.user.get(reader["_id"]))

print(json.dumps(out))
