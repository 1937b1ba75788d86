"""The client's environment works: thehive4py imports and says its version."""
import json
from importlib.metadata import version

import thehive4py  # noqa: F401

print(json.dumps({"thehive4py": version("thehive4py")}))
