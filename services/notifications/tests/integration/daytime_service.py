"""`python -m services.notifications.tests.integration.daytime_service`: notifications as its own
process, as `python -m notifications` runs it, but on the tests' daytime clock (so an SMS is not
held for the morning whatever hour the tests run at), shifted by `DAYTIME_OFFSET_S` so that every
process of a test agrees on the time (leases). Used to kill the service mid-send."""

import os
from datetime import timedelta

from backbone.serve import serve
from notifications.bootstrap import build
from notifications.config import NotificationsSettings
from services.notifications.tests.integration.support import DaytimeClock

if __name__ == "__main__":
    clock = DaytimeClock(timedelta(seconds=float(os.environ["DAYTIME_OFFSET_S"])))
    serve(lambda settings: build(settings, clock=clock), NotificationsSettings())
