"""Case templates, custom fields and observable types through thehive4py 2.x."""
import faulthandler
import json
import os

from thehive4py import TheHiveApi
from thehive4py.errors import TheHiveError

# A call that hangs fails the test with where it hung.
faulthandler.dump_traceback_later(60, exit=True)

hive = TheHiveApi(os.environ["FIREBREAK_URL"], username=os.environ["FIREBREAK_USER"],
                  password=os.environ["FIREBREAK_PASSWORD"])
out = {}


def error(call):
    try:
        call()
    except TheHiveError as e:
        return {"status": e.response.status_code, "type": e.response.json()["type"], "message": e.message}
    raise AssertionError("the call did not fail")


template = hive.case_template.create({
    "name": "Phishing triage",
    "description": "A reported e-mail",
    "severity": 3,
    "tags": ["phishing"],
    "tasks": [
        {"title": "Pull the message", "group": "containment"},
        {"title": "Look at the links", "description": "sandbox them"},
    ],
})
out["created"] = template
hive.case_template.update(template["_id"], {"description": "A reported e-mail, checked"})
out["by_name"] = hive.case_template.get("Phishing triage")
out["duplicate_name_field"] = error(lambda: hive.case_template.create({"name": "Bad", "severity": 9}))
hive.case_template.delete(template["_id"])
out["deleted"] = error(lambda: hive.case_template.get(template["_id"]))

out["field"] = hive.custom_field.create({
    "name": "business_unit", "displayName": "Business unit", "type": "string",
    "options": ["finance", "sales"], "mandatory": False, "description": "who is hit",
})
hive.custom_field.update("business_unit", {"mandatory": True})
out["fields"] = hive.custom_field.list()
out["field_again"] = error(lambda: hive.custom_field.create({"name": "business_unit", "type": "string"}))
out["field_bad_type"] = error(lambda: hive.custom_field.create({"name": "x", "type": "colour"}))
hive.custom_field.delete("business_unit")
out["fields_after"] = hive.custom_field.list()

out["type"] = hive.observable_type.get("fqdn")
out["type_created"] = hive.observable_type.create({"name": "mail", "isAttachment": False})
out["type_unknown"] = error(lambda: hive.observable_type.create({"name": "crypto-wallet", "isAttachment": False}))
out["type_delete"] = error(lambda: hive.observable_type.delete("ip"))
print(json.dumps(out))
