"""`python -m assessment` serves assessment; `python -m assessment credentials ...` manages its API
credentials (docs/credentials.md); `python -m assessment rebuild --into SCHEMA --events intake=DSN` rebuilds
its read models from the events into a new schema (`service_layer.projection`)."""

import sys

from backbone import auth
from backbone.serve import serve
from assessment.bootstrap import build
from assessment.config import AssessmentSettings

if len(sys.argv) > 1 and sys.argv[1] == "credentials":
    settings = AssessmentSettings()
    sys.exit(auth.main(sys.argv[2:], settings.database_url.get_secret_value(), prog="python -m assessment credentials"))
if len(sys.argv) > 1 and sys.argv[1] == "rebuild":
    from assessment.service_layer import projection

    settings = AssessmentSettings()
    sys.exit(projection.command(sys.argv[2:], settings))
serve(build, AssessmentSettings())
