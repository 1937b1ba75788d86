"""A Wazuh alert sent as Wazuh's TheHive integration sends it with
thehive4py 1.x (`custom-w2thive.py`): the alert's fields flattened into a
Markdown table as the description, the addresses and hashes it names as
artifacts, tags for the rule and the agent, `wazuh_alert` from `wazuh`.
Then read, updated, promoted and merged through TheHive 4's paths.

The alerts are Wazuh's public samples (Apache-2.0; source in the README of
the folder they are in); the integration's shape follows the published
wazuh2thehive script, written afresh here."""
import json
import os
import tempfile

from thehive4py.api import TheHiveApi
from thehive4py.models import Alert, AlertArtifact

api = TheHiveApi(os.environ["FIREBREAK_URL"], os.environ["FIREBREAK_USER"], os.environ["FIREBREAK_PASSWORD"],
                 version=4)


def flatten(prefix, value, rows):
    if isinstance(value, dict):
        for k, v in value.items():
            flatten(f"{prefix}.{k}" if prefix else k, v, rows)
    else:
        rows.append((prefix, value))
    return rows


with open(os.environ["WAZUH_SAMPLE"]) as f:
    lines = [json.loads(line) for line in f if line.strip()]

created = []
for n, w in enumerate(lines[:2]):
    rows = flatten("", w, [])
    description = "| field | value |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows)
    artifacts = []
    for k, v in rows:
        if k.endswith(".ip") or k.endswith("srcip"):
            artifacts.append(AlertArtifact(dataType="ip", data=v))
        elif k.endswith("md5_after") or k.endswith("sha1_after"):
            artifacts.append(AlertArtifact(dataType="hash", data=v, message=k, tags=["syscheck"]))
    rule, agent = w["rule"], w["agent"]
    if n == 0:
        # A file artifact: thehive4py 1.x sends it as name;mime;base64.
        folder = tempfile.mkdtemp()
        path = os.path.join(folder, "ifcfg-eth1")
        with open(path, "wb") as f:
            f.write(b"DEVICE=eth1\nONBOOT=yes\n")
        artifacts.append(AlertArtifact(dataType="file", data=path))
    alert = Alert(
        title=rule["description"],
        tlp=2,
        severity=2 if int(rule["level"]) < 10 else 3,
        tags=["wazuh", f"rule={rule['id']}", f"agent_name={agent['name']}", f"agent_id={agent['id']}"],
        description=description,
        type="wazuh_alert",
        source="wazuh",
        sourceRef=f"{w['id']}-{agent['id']}-{rule['id']}",
        artifacts=artifacts,
    )
    r = api.create_alert(alert)
    created.append({"status": r.status_code, "body": r.json()})

first = created[0]["body"]
assert created[0]["status"] == 201, created
repeat = api.create_alert(Alert(title="again", tlp=2, tags=[], description="again", type="wazuh_alert",
                                source="wazuh", sourceRef=first["sourceRef"], artifacts=[]))
got = api.get_alert(first["id"])
full = Alert(json=got.json())
full.id = first["id"]
same = api.update_alert(first["id"], full)
changed = api.update_alert(first["id"], Alert(title="new title", tlp=2, description=got.json()["description"],
                                              type="wazuh_alert", source="wazuh", sourceRef="x"), fields=["title"])
second_id = created[1]["body"]["id"]
read = api.mark_alert_as_read(second_id)
unread = api.mark_alert_as_unread(second_id)
promoted = api.promote_alert_to_case(first["id"])
second = created[1]["body"]
merged = api.merge_alert_into_case(second["id"], promoted.json()["id"])
after = api.get_alert(second["id"])
print(json.dumps({
    "created": created,
    "repeat": {"status": repeat.status_code, "body": repeat.json()},
    "got": got.json(),
    "same": {"status": same.status_code},
    "changed": {"status": changed.status_code, "body": changed.json()},
    "promoted": {"status": promoted.status_code, "body": promoted.json()},
    "merged": {"status": merged.status_code, "body": merged.json()},
    "after": after.json(),
    "read": {"status": read.status_code, "body": read.json()},
    "unread": {"status": unread.status_code, "body": unread.json()},
}))
