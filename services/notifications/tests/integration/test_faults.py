"""Faults of the SMS gateway: failures and time-outs are retried with backoff and the message still
goes once; a refusal is final at once; temporary failures become final only at the horizon."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from contracts.topics import event_topic
from deploy.smsgateway import Faults
from notifications.service_layer.events import notification_id
from services.notifications.tests.integration.support import (
    bus_tail,
    eventually,
    interview_booked,
    jobseeker,
    publish_as_admin,
    register,
    sms_for,
)
from tests.support.people import invent

pytestmark = pytest.mark.integration
NOTIFICATIONS_TOPIC = event_topic("notifications")


@pytest.fixture(scope="module")
def notifications_overrides() -> dict:
    return {"retry_base_s": 0.2, "retry_max_s": 0.5, "retry_horizon_s": 3.0, "sms_timeout_s": 1.0}


@pytest.fixture
async def booked(infra, notifications, intake_process, intake_tokens, gateway, clock, notifications_db, unique):
    """Books an interview for a fresh client once the gateway's faults are set; returns the invitation's id."""
    async def book(faults: Faults) -> str:
        person = invent(f"faults-{unique}", languages=("fi",), home_municipality="inga", postal_code="10210",
                        post_office="Ingå")
        client_id = await register(intake_process.url, await intake_tokens("employment-region"),
                                   "/registrations/jobseeker", jobseeker(person))

        async def in_view():  # so the message does not wait for the client view and the horizon is the retries'
            return await notifications_db.fetchval("SELECT count(*) FROM client_view WHERE client_id = $1",
                                                   uuid.UUID(client_id))

        await eventually(in_view, what="the client in notifications' view")
        gateway[1].faults = faults
        booking = interview_booked(client_id, (clock.now() + timedelta(days=10)).replace(hour=9, minute=0))
        await publish_as_admin(infra, event_topic("assessment"), booking)
        return str(notification_id(booking.event_id, "interview_invitation"))

    yield book
    gateway[1].faults = Faults(mode="none", count=0)


def of(seen, nid: str, kind: str) -> list:
    return [e.payload for e in seen if e.type == kind and e.payload["notification_id"] == nid]


async def test_a_failing_gateway_is_retried_with_backoff_and_the_message_goes_once(infra, booked, gateway):
    async with bus_tail(infra, NOTIFICATIONS_TOPIC) as bus:
        nid = await booked(Faults(mode="fail", count=2))
        seen = await bus(lambda e: e.type == "NotificationDelivered" and e.payload["notification_id"] == nid)
    failures = of(seen, nid, "NotificationFailed")
    assert [(f["attempts"], f["final"], f["reason"]) for f in failures] == [
        (1, False, "provider_unavailable"), (2, False, "provider_unavailable")]
    assert len(of(seen, nid, "NotificationSent")) == 1 and len(of(seen, nid, "NotificationDelivered")) == 1
    assert len(sms_for(gateway[1], nid)) == 1


async def test_a_send_that_times_out_is_retried_with_the_same_key_and_the_message_goes_once(infra, booked, gateway):
    async with bus_tail(infra, NOTIFICATIONS_TOPIC) as bus:
        nid = await booked(Faults(mode="delay", count=1, delay_s=2.5))  # longer than the 1 s client timeout
        seen = await bus(lambda e: e.type == "NotificationDelivered" and e.payload["notification_id"] == nid)
    assert [(f["attempts"], f["final"]) for f in of(seen, nid, "NotificationFailed")] == [(1, False)]
    assert len(of(seen, nid, "NotificationSent")) == 1 and len(of(seen, nid, "NotificationDelivered")) == 1
    assert len(sms_for(gateway[1], nid)) == 1  # the retry was answered from the idempotency key


async def test_a_refused_number_fails_at_once_and_for_good(infra, booked, gateway, notifications_db):
    async with bus_tail(infra, NOTIFICATIONS_TOPIC) as bus:
        nid = await booked(Faults(mode="reject", count=1))
        seen = await bus(lambda e: e.type == "NotificationFailed" and e.payload["notification_id"] == nid)
    assert [(f["attempts"], f["final"], f["reason"]) for f in of(seen, nid, "NotificationFailed")] == [
        (1, True, "rejected_by_provider")]
    row = await notifications_db.fetchrow("SELECT state, attempts FROM notifications WHERE notification_id = $1",
                                          uuid.UUID(nid))
    assert (row["state"], row["attempts"]) == ("failed", 1)
    assert sms_for(gateway[1], nid) == []


async def test_temporary_failures_become_final_only_at_the_horizon(infra, booked, gateway, notifications_db):
    async with bus_tail(infra, NOTIFICATIONS_TOPIC) as bus:
        nid = await booked(Faults(mode="fail", count=1000))
        seen = await bus(lambda e: e.type == "NotificationFailed" and e.payload["notification_id"] == nid
                         and e.payload["final"], timeout=30)
    failures = of(seen, nid, "NotificationFailed")
    assert [f["final"] for f in failures] == [False] * (len(failures) - 1) + [True]
    assert [f["attempts"] for f in failures] == list(range(1, len(failures) + 1))
    assert len(failures) >= 2  # retried (0.2, 0.4, 0.5, 0.5 … s apart) before the failure became final
    row = await notifications_db.fetchrow("SELECT state, not_before, updated_at FROM notifications "
                                          "WHERE notification_id = $1", uuid.UUID(nid))
    # Final only once the next try would fall past the 3 s horizon (retry_max_s 0.5 s): not before 2.5 s.
    assert row["state"] == "failed" and row["updated_at"] - row["not_before"] >= timedelta(seconds=2.5)
    assert sms_for(gateway[1], nid) == []


async def test_an_undeliverable_message_s_receipt_is_a_final_failure(infra, booked, gateway, notifications_db):
    async with bus_tail(infra, NOTIFICATIONS_TOPIC) as bus:
        nid = await booked(Faults(mode="undeliverable", count=1))
        seen = await bus(lambda e: e.type == "NotificationFailed" and e.payload["notification_id"] == nid)
    assert len(of(seen, nid, "NotificationSent")) == 1
    assert [(f["final"], f["reason"]) for f in of(seen, nid, "NotificationFailed")] == [(True, "rejected_by_provider")]
    assert await notifications_db.fetchval("SELECT state FROM notifications WHERE notification_id = $1",
                                           uuid.UUID(nid)) == "failed"
