"""`python -m intake` serves intake; `python -m intake credentials ...` manages API credentials."""

import sys

from backbone import auth
from backbone.serve import serve
from intake.bootstrap import build
from intake.config import IntakeSettings

if len(sys.argv) > 1 and sys.argv[1] == "credentials":
    settings = IntakeSettings()
    sys.exit(auth.main(sys.argv[2:], settings.database_url.get_secret_value(), prog="python -m intake credentials"))
serve(build, IntakeSettings())
