"""`python -m bench.daytime_notifications`: notifications as `python -m notifications` runs it, but on the
benchmark's daytime clock (shifted by `DAYTIME_OFFSET_S` seconds, so that it is midday in Helsinki), so
an SMS is never held for the morning whatever hour `make bench` runs at. Everything else is the service's
own bootstrap and settings."""

import os
from datetime import timedelta

from backbone.serve import serve
from notifications.bootstrap import build
from notifications.config import NotificationsSettings
from tests.support.daytime import DaytimeClock

if __name__ == "__main__":
    clock = DaytimeClock(timedelta(seconds=float(os.environ["DAYTIME_OFFSET_S"])))
    serve(lambda settings: build(settings, clock=clock), NotificationsSettings())
