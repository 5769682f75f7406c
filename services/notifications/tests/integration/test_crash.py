"""The process is killed (SIGKILL) mid-send: after a restart the message is sent again with the same
idempotency key, so the client gets it once, and the receipt still becomes one event."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from datetime import timedelta

import pytest

from contracts.topics import event_topic
from deploy.config import REPO
from deploy.smsgateway import Faults
from notifications.service_layer.events import notification_id
from services.notifications.tests.integration.support import (
    bus_tail,
    caught_up,
    eventually,
    interview_booked,
    jobseeker,
    notifications_settings,
    publish_as_admin,
    register,
    sms_for,
)
from tests.support.people import invent
from tests.support.processes import ServiceProcess

pytestmark = pytest.mark.integration


def start(infra, settings, log, clock) -> ServiceProcess:
    env = {**os.environ, "DAYTIME_OFFSET_S": str(clock.offset.total_seconds()), **{f"NOTIFICATIONS_{k.upper()}": str(v.get_secret_value() if hasattr(v, "get_secret_value")
                                                                    else v)
                            for k, v in settings.model_dump().items() if v is not None}}
    out = open(log, "ab")  # noqa: SIM115 - the process writes to it until it ends
    proc = subprocess.Popen([sys.executable, "-m", "services.notifications.tests.integration.daytime_service"],
                            env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
    return ServiceProcess("notifications", proc, f"http://127.0.0.1:{settings.http_port}", log, env)


async def test_killed_mid_send_the_message_still_goes_exactly_once(
        infra, intake_process, intake_tokens, mail, gateway, clock, notifications_db, tmp_path, unique):
    settings = notifications_settings(infra, intake_url=intake_process.url, smtp_port=mail[0], sms_url=gateway[0],
                                      sms_timeout_s=60.0, lease_s=3.0)
    first = start(infra, settings, tmp_path / "notifications.log", clock)
    first.wait_ready()
    await caught_up(infra)
    person = invent(f"crash-{unique}", languages=("sv",), home_municipality="raseborg", postal_code="10300",
                    post_office="Karis")
    client_id = await register(intake_process.url, await intake_tokens("employment-region"),
                               "/registrations/jobseeker", jobseeker(person))
    # The gateway takes each message, then hangs before answering: every send in this test, not only the
    # first, since another queued SMS may reach the gateway first and would use up a one-send fault.
    gateway[1].faults = Faults(mode="delay", count=1000, delay_s=8)
    booking = interview_booked(client_id, (clock.now() + timedelta(days=10)).replace(hour=9, minute=0))
    nid = str(notification_id(booking.event_id, "interview_invitation"))
    try:
        async with bus_tail(infra, event_topic("notifications")) as bus:
            await publish_as_admin(infra, event_topic("assessment"), booking)

            async def at_the_gateway():
                return sms_for(gateway[1], nid)

            await eventually(at_the_gateway, what="the SMS at the gateway")
            first.proc.send_signal(signal.SIGKILL)  # after the send, before the answer was recorded
            first.proc.wait()
            row = await notifications_db.fetchrow("SELECT state, attempts FROM notifications "
                                                  "WHERE notification_id = $1", uuid.UUID(nid))
            assert (row["state"], row["attempts"]) == ("sending", 1)
            second = start(infra, settings, tmp_path / "notifications.log", clock)
            try:
                second.wait_ready()
                seen = await bus(lambda e: e.type == "NotificationDelivered" and e.payload["notification_id"] == nid)
            finally:
                second.stop()
    finally:
        gateway[1].faults = Faults(mode="none", count=0)
        if first.proc.poll() is None:
            first.proc.kill()
    assert len(sms_for(gateway[1], nid)) == 1
    mine = [e.type for e in seen if e.payload.get("notification_id") == nid]
    assert mine.count("NotificationSent") == 1 and mine.count("NotificationDelivered") == 1
    row = await notifications_db.fetchrow("SELECT state, attempts FROM notifications WHERE notification_id = $1",
                                          uuid.UUID(nid))
    assert (row["state"], row["attempts"]) == ("delivered", 2)
