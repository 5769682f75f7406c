"""`python -m notifications` serves notifications.

`python -m notifications credentials ...` manages its API credentials (docs/credentials.md): the
municipalities' desks that print letters, the organisations that record opt-outs.
"""

import sys

from backbone import auth
from backbone.serve import serve
from notifications.bootstrap import build
from notifications.config import NotificationsSettings

if len(sys.argv) > 1 and sys.argv[1] == "credentials":
    settings = NotificationsSettings()
    sys.exit(auth.main(sys.argv[2:], settings.database_url.get_secret_value(), prog="python -m notifications credentials"))
serve(build, NotificationsSettings())
