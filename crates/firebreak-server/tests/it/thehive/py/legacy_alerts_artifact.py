"""An artifact added to a TheHive 4 alert after it was sent, through
thehive4py 1.x (`create_alert_artifact`)."""
import json
import os

from thehive4py.api import TheHiveApi
from thehive4py.models import Alert, AlertArtifact

api = TheHiveApi(os.environ["FIREBREAK_URL"], os.environ["FIREBREAK_USER"], os.environ["FIREBREAK_PASSWORD"],
                 version=4)

sent = api.create_alert(Alert(title="grows later", tlp=2, tags=[], description="d", type="external",
                              source="legacy", sourceRef="legacy-more-1",
                              artifacts=[AlertArtifact(dataType="ip", data="192.0.2.1")]))
alert_id = sent.json()["id"]
added = api.create_alert_artifact(alert_id, AlertArtifact(dataType="domain", data="later.example"))
again = api.create_alert_artifact(alert_id, AlertArtifact(dataType="ip", data="192.0.2.1"))
print(json.dumps({"id": alert_id, "added": {"status": added.status_code, "body": added.json()},
                  "again": {"status": again.status_code, "body": again.json()}}))
