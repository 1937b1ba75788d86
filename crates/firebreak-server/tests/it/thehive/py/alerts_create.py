"""TheHive 5 alerts as thehive4py 2.x sends them: one with an observable of
every TheHive data type (a file among them, sent as a multipart attachment),
read back, then sent again (TheHive refuses the repeat)."""
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

sample = tempfile.NamedTemporaryFile("wb", suffix=".txt", delete=False)
sample.write(b"a file an alert carries\n")
sample.close()

observables = [
    {"dataType": "ip", "data": "203.0.113.7"},
    {"dataType": "domain", "data": "evil.example"},
    {"dataType": "fqdn", "data": "c2.evil.example"},
    {"dataType": "url", "data": "http://evil.example/payload"},
    {"dataType": "mail", "data": "phish@evil.example"},
    {"dataType": "mail_subject", "data": "Your invoice is overdue"},
    {"dataType": "hash", "data": "44d88612fea8a8f36de82e1278abb02f"},
    {"dataType": "hash", "data": "3395856ce81f2b7382dee72602f798b642f14140"},
    {"dataType": "hash", "data": "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"},
    {"dataType": "filename", "data": "invoice.pdf.exe"},
    {"dataType": "uri_path", "data": "/wp-login.php"},
    {"dataType": "user-agent", "data": "Mozilla/5.0 (compatible; EvilBot/1.0)"},
    {"dataType": "registry", "data": "HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run"},
    {"dataType": "autonomous-system", "data": "AS64500"},
    {"dataType": "hostname", "data": "WKS-0042"},
    {"dataType": "other", "data": "something else"},
    {"dataType": "file", "attachment": "sample"},
]
alert = {
    "type": "external",
    "source": "thehive4py",
    "sourceRef": "th5-create-1",
    "externalLink": "https://siem.example/alerts/1",
    "title": "Phishing with a payload",
    "description": "A user reported a mail.",
    "severity": 3,
    "date": 1767225600000,
    "tags": ["phishing", "reported"],
    "tlp": 1,
    "pap": 2,
    "customFields": [{"name": "businessUnit", "value": "finance"}],
    "observables": observables,
}
created = hive.alert.create(alert, attachment_map={"sample": sample.name})
got = hive.alert.get(created["_id"])

try:
    hive.alert.create({**alert, "observables": []})
    repeat = "accepted"
except TheHiveError as e:
    repeat = str(e)
    repeat_status = e.response.status_code if e.response is not None else None

try:
    hive.alert.get("00000000-0000-0000-0000-000000000000")
    missing = "found"
except TheHiveError as e:
    missing = str(e)

try:
    hive.alert.create({"type": "external", "source": "thehive4py", "sourceRef": "bad", "title": "x",
                       "description": "", "severity": 9})
    bad = "accepted"
except TheHiveError as e:
    bad = str(e)

os.unlink(sample.name)
print(json.dumps({"created": created, "got": got, "repeat": repeat, "repeat_status": repeat_status,
                  "missing": missing, "bad": bad}))
