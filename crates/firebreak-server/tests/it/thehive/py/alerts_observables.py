"""Observables and attachments added to a TheHive 5 alert after intake,
through thehive4py 2.x: observables (one value, a list, a file), files
attached, listed through the query API and downloaded; a file sent with the
alert is one of its attachments."""
import json
import os
import tempfile

from thehive4py import TheHiveApi
from thehive4py.errors import TheHiveError

hive = TheHiveApi(
    url=os.environ["FIREBREAK_URL"],
    username=os.environ["FIREBREAK_USER"],
    password=os.environ["FIREBREAK_PASSWORD"],
)


def refused(call):
    try:
        call()
        return "accepted"
    except TheHiveError as e:
        return str(e)


def sample(content, suffix):
    f = tempfile.NamedTemporaryFile("wb", suffix=suffix, delete=False)
    f.write(content)
    f.close()
    return f.name


out = {}
sent_file = sample(b"sent with the alert\n", ".txt")
alert = hive.alert.create({
    "type": "external", "source": "more", "sourceRef": "more-1", "title": "an alert that grows",
    "description": "", "observables": [
        {"dataType": "ip", "data": "192.0.2.1"},
        {"dataType": "file", "attachment": "first"},
    ],
}, attachment_map={"first": sent_file})
out["alert"] = alert

out["one"] = hive.alert.create_observable(alert["_id"], {"dataType": "domain", "data": "evil.example"})
out["list"] = hive.alert.create_observable(
    alert["_id"], {"dataType": "ip", "data": ["192.0.2.1", "192.0.2.2"], "message": "seen", "tlp": 2,
                   "ioc": True, "tags": ["x"]})
obs_file = sample(b"a dropper\n", ".bin")
out["file"] = hive.alert.create_observable(alert["_id"], {"dataType": "file"}, observable_path=obs_file)
out["bad"] = refused(lambda: hive.alert.create_observable(alert["_id"], {"dataType": "ip", "data": "not an ip"}))
out["count"] = hive.alert.get(alert["_id"])["observableCount"]

attached = sample(b"notes about the alert\n", ".log")
out["attached"] = hive.alert.add_attachment(alert["_id"], [attached])
out["found"] = hive.alert.find_attachments(alert["_id"])
got = tempfile.mktemp()
hive.alert.download_attachment(alert["_id"], out["attached"][0]["_id"], got)
with open(got, "rb") as f:
    out["downloaded"] = f.read().decode()
out["missing"] = refused(lambda: hive.alert.download_attachment(alert["_id"], alert["_id"], got))

hive.alert.update(alert["_id"], {"status": "FalsePositive"})
out["closed"] = refused(lambda: hive.alert.create_observable(alert["_id"], {"dataType": "ip", "data": "192.0.2.9"}))
for p in (sent_file, obs_file, attached, got):
    if os.path.exists(p):
        os.unlink(p)
print(json.dumps(out))
