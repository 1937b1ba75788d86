"""Accounts through thehive4py 2.x: one's own password changed, a user's
organisations set, profiles (Firebreak's fixed roles), and an admin
renewing and removing another user's key."""
import faulthandler
import json
import os

from thehive4py import TheHiveApi
from thehive4py.errors import TheHiveError

faulthandler.dump_traceback_later(60, exit=True)

url = os.environ["FIREBREAK_URL"]
admin = TheHiveApi(url, username=os.environ["FIREBREAK_USER"], password=os.environ["FIREBREAK_PASSWORD"])
out = {}


def error(call):
    """The status, TheHive error type and message a failing call raised."""
    try:
        call()
    except TheHiveError as e:
        return {"status": e.response.status_code, "type": e.response.json()["type"], "message": e.message}
    raise AssertionError("the call did not fail")


admin.organisation.create({"name": "Accounts Org", "description": "people"})
in_org = TheHiveApi(url, username=os.environ["FIREBREAK_USER"], password=os.environ["FIREBREAK_PASSWORD"],
                    organisation="Accounts Org")
owner = in_org.user.create({"login": "hive.owner", "name": "Owner", "profile": "org-admin",
                            "password": "the owner's first password"})
member = in_org.user.create({"login": "hive.member", "name": "Member", "profile": "analyst",
                             "password": "the member's first password"})
analyst = in_org.user.create({"login": "hive.analyst", "name": "Analyst", "profile": "analyst",
                              "password": "the analyst's own password"})

# One's own password, given the current one.
as_owner = TheHiveApi(url, username="hive.owner", password="the owner's first password")
out["owner_before"] = as_owner.user.get_current()
out["wrong_current"] = error(lambda: as_owner.user.change_password(
    owner["_id"], password="never set this one", current_password="not the password"))
out["someone_else"] = error(lambda: as_owner.user.change_password(
    member["_id"], password="never set this one", current_password="the member's first password"))
as_owner.user.change_password(owner["_id"], password="the owner's second password",
                              current_password="the owner's first password")
out["owner_after"] = TheHiveApi(url, username="hive.owner", password="the owner's second password").user.get_current()

# A user's organisations: the one organisation, with its profile.
out["set_orgs"] = in_org.user.set_organisations(
    member["_id"], [{"organisation": "Accounts Org", "profile": "read-only", "default": True}])
out["member_after"] = in_org.user.get(member["_id"])
out["other_org"] = error(lambda: in_org.user.set_organisations(
    member["_id"], [{"organisation": "Accounts Org", "profile": "analyst", "default": True},
                    {"organisation": "Elsewhere", "profile": "analyst"}]))
out["no_org"] = error(lambda: in_org.user.set_organisations(member["_id"], []))
out["orgs_bad_profile"] = error(lambda: in_org.user.set_organisations(
    member["_id"], [{"organisation": "Accounts Org", "profile": "wizard"}]))
out["orgs_by_analyst"] = error(lambda: TheHiveApi(url, username="hive.analyst", password="the analyst's own password")
                               .user.set_organisations(member["_id"], [{"organisation": "Accounts Org",
                                                                        "profile": "org-admin"}]))

# Profiles are Firebreak's fixed roles.
out["profiles"] = admin.profile.find()
out["profile_create"] = error(lambda: admin.profile.create({"name": "soc-lead", "permissions": ["manageCase"]}))
out["profile_update"] = error(lambda: admin.profile.update("analyst", {"permissions": []}))
out["profile_delete"] = error(lambda: admin.profile.delete("analyst"))

# An admin renews and removes another user's key.
key = in_org.user.renew_apikey(member["_id"])
out["member_by_key"] = TheHiveApi(url, apikey=key).user.get_current()
again = in_org.user.renew_apikey(member["_id"])
out["first_key_after_renewal"] = error(lambda: TheHiveApi(url, apikey=key).user.get_current())
out["second_key"] = TheHiveApi(url, apikey=again).user.get_current()
in_org.user.remove_apikey(member["_id"])
out["second_key_removed"] = error(lambda: TheHiveApi(url, apikey=again).user.get_current())
out["renew_by_analyst"] = error(lambda: TheHiveApi(url, username="hive.analyst", password="the analyst's own password")
                                .user.renew_apikey(member["_id"]))

print(json.dumps(out))
