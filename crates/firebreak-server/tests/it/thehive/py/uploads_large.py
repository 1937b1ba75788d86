"""Files larger than the server's max_body_bytes sent through thehive4py 2.x:
with an alert, attached to it, as a case's file observable and with a task
log; a file past max_file_bytes and a JSON body past max_body_bytes are
refused. Prints what the test checks."""
import json
import os
import tempfile

from thehive4py import TheHiveApi
from thehive4py.errors import TheHiveError

hive = TheHiveApi(
    url=os.environ["FIREBREAK_URL"],
    username=os.environ["FIREBREAK_USER"],
    password=os.environ["FIREBREAK_PASSWORD"],
    max_retries=0,
)

# One MiB: every byte value, 4096 times over.
MIB = bytes(range(256)) * 4096


def sample(content, suffix):
    f = tempfile.NamedTemporaryFile("wb", suffix=suffix, delete=False)
    f.write(content)
    f.close()
    return f.name


def refused(call):
    try:
        call()
        return "accepted"
    except TheHiveError as e:
        return str(e)
    except Exception as e:  # the server may close the connection mid-upload
        return "closed: " + type(e).__name__


out = {}
capture = sample(MIB, ".pcap")
alert = hive.alert.create({
    "type": "external", "source": "large", "sourceRef": "large-1", "title": "a capture too large for a body",
    "description": "", "observables": [{"dataType": "file", "attachment": "capture"}],
}, attachment_map={"capture": capture})
out["alert"] = alert
dump = sample(MIB + MIB, ".dmp")
out["attached"] = hive.alert.add_attachment(alert["_id"], [dump])

case = hive.case.create(case={"title": "Large files", "description": ""})
out["case"] = case
out["observable"] = hive.case.create_observable(case["_id"], {"dataType": "file"}, observable_path=capture)
task = hive.case.create_task(case["_id"], {"title": "Collect memory"})
out["log"] = hive.task_log.create(task["_id"], {"message": "memory image", "attachments": [dump]})

too_large = sample(MIB * 5, ".img")
out["too_large"] = refused(lambda: hive.alert.add_attachment(alert["_id"], [too_large]))
out["long_json"] = refused(lambda: hive.alert.create({
    "type": "external", "source": "large", "sourceRef": "large-2", "title": "a long description",
    "description": "x" * (200 * 1024),
}))
for p in (capture, dump, too_large):
    os.unlink(p)
print(json.dumps(out))
