"""`python -m services.notifications.tests.integration.daytime_service`: notifications as its own
process, as `python -m notifications` runs it, but on the tests' daytime clock (so an SMS is not
held for the morning whatever hour the tests run at). Used to kill the service mid-send."""

from backbone.serve import serve
from notifications.bootstrap import build
from notifications.config import NotificationsSettings
from services.notifications.tests.integration.support import DaytimeClock

if __name__ == "__main__":
    clock = DaytimeClock()
    serve(lambda settings: build(settings, clock=clock), NotificationsSettings())
