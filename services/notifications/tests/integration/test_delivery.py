"""Done-when of issue 12: a newcomer notice in Arabic → a welcome e-mail in Arabic received by the SMTP
server; an interview booking → an SMS invitation in the client's language, with correct segments, and
a delivery receipt that becomes an event."""

from __future__ import annotations

import dataclasses
import math
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from backbone import auth
from contracts.topics import event_topic
from deploy.mailserver import messages
from notifications.domain.offices import office_of, service_points
from notifications.domain.templates import template
from notifications.service_layer.events import notification_id
from services.notifications.tests.integration.support import (
    bus_tail,
    eventually,
    interview_booked,
    jobseeker,
    newcomer_notice,
    publish_as_admin,
    register,
    rows,
    sms_for,
)
from tests.support.people import invent

pytestmark = pytest.mark.integration
NOTIFICATIONS_TOPIC = event_topic("notifications")


async def test_a_newcomer_notice_in_arabic_brings_a_welcome_email_in_arabic(
        infra, notifications, intake_process, intake_tokens, mail, notifications_db, unique):
    person = invent(f"welcome-{unique}", languages=("ar", "en"), home_municipality="hango", postal_code="10900",
                    post_office="Hangö")
    async with bus_tail(infra, NOTIFICATIONS_TOPIC) as bus:
        client_id = await register(intake_process.url, await intake_tokens("hango"), "/registrations/newcomer-notice",
                                   newcomer_notice(person))

        async def received():
            return [m for m in messages(mail[1]) if m["to"] == person.email]

        (got,) = await eventually(received, what="welcome e-mail at the SMTP server")
        seen = await bus(lambda e: e.type == "NotificationSent" and str(e.client_id) == client_id)

    expected = template("welcome", "ar").render({"name": person.name, "municipality": "hango",
                                                 **office_of("hango")})
    msg = got["message"]
    assert msg["Subject"] == expected.subject == "مرحباً بك في هانكو"
    assert msg.get_body(("plain",)).get_content().strip() == expected.text.strip()
    html = msg.get_body(("html",)).get_content()
    assert 'dir="rtl"' in html and 'lang="ar"' in html
    (row,) = [r for r in await rows(notifications_db, client_id) if r["template_code"] == "welcome"]
    assert msg["Message-ID"].strip() == f"<{row['notification_id']}@notifications.raseborg.example>"
    assert (row["state"], row["channel"], row["language"], row["attempts"]) == ("sent", "email", "ar", 1)
    (sent,) = [e for e in seen if e.type == "NotificationSent" and str(e.client_id) == client_id]
    assert sent.payload == {"notification_id": str(row["notification_id"]), "channel": "email",
                            "template_code": "welcome", "language": "ar", "sent_at": sent.payload["sent_at"]}


async def test_an_interview_booking_sends_an_sms_invitation_with_its_segments_and_the_receipt_becomes_an_event(
        infra, notifications, intake_process, intake_tokens, gateway, notifications_db, clock, unique):
    person = invent(f"interview-{unique}", languages=("uk", "fi"), home_municipality="hango", postal_code="10900",
                    post_office="Hangö")
    client_id = await register(intake_process.url, await intake_tokens("employment-region"),
                               "/registrations/jobseeker", jobseeker(person))
    at = (clock.now() + timedelta(days=8)).replace(hour=8, minute=0, second=0, microsecond=0)
    booking = interview_booked(client_id, at)
    nid = str(notification_id(booking.event_id, "interview_invitation"))
    async with bus_tail(infra, NOTIFICATIONS_TOPIC) as bus:
        await publish_as_admin(infra, event_topic("assessment"), booking)
        seen = await bus(lambda e: e.type == "NotificationDelivered" and e.payload["notification_id"] == nid)

    (sms,) = sms_for(gateway[1], nid)
    expected = template("interview_invitation", "uk").render({
        "name": person.name, "scheduled_at": at.isoformat(), "interpreter": True, "language": "uk",
        **office_of("hango"), "place": service_points()["ekenas"]}).sms  # booked at Ekenäs (R26)
    assert sms["text"] == expected and sms["to"] == person.phone
    # Cyrillic is UCS-2: one segment up to 70 characters, 67 per segment beyond.
    units = len(expected.encode("utf-16-le")) // 2
    assert (sms["encoding"], sms["segments"]) == ("ucs2", 1 if units <= 70 else math.ceil(units / 67))
    assert sms["segments"] >= 2
    by_type = {e.type: e for e in seen if e.payload.get("notification_id") == nid}
    assert by_type["NotificationSent"].payload["channel"] == "sms"
    assert by_type["NotificationDelivered"].payload == {
        "notification_id": nid, "channel": "sms", "template_code": "interview_invitation", "language": "uk",
        "delivered_at": by_type["NotificationDelivered"].payload["delivered_at"]}
    states = {r["template_code"]: r for r in await rows(notifications_db, client_id)}
    assert (states["interview_invitation"]["state"], states["interview_invitation"]["segments"]) == (
        "delivered", sms["segments"])
    # The reminder waits for 10:00 on the working day before the interview.
    reminder = states["interview_reminder"]
    assert reminder["state"] == "queued" and reminder["not_before"] < at
    assert reminder["not_before"].astimezone(UTC) > clock.now()


async def test_after_erasure_waiting_messages_are_cancelled_nothing_more_is_sent_and_nothing_personal_remains(
        infra, notifications, intake_process, intake_tokens, gateway, notifications_db, clock, unique):
    person = invent(f"erased-{unique}", languages=("ar",), home_municipality="raseborg", postal_code="10600",
                    post_office="Ekenäs")
    token = await intake_tokens("employment-region")
    client_id = await register(intake_process.url, token, "/registrations/jobseeker", jobseeker(person))
    at = (clock.now() + timedelta(days=9)).replace(hour=9, minute=0, second=0, microsecond=0)
    first = interview_booked(client_id, at)
    await publish_as_admin(infra, event_topic("assessment"), first)

    async def invitation_delivered_and_reminder_waiting():
        states = {r["template_code"]: r["state"] for r in await rows(notifications_db, client_id)}
        return states == {"interview_invitation": "delivered", "interview_reminder": "queued",
                          "plan_window_ending": "queued"}  # R11: 60 days before the window ends

    await eventually(invitation_delivered_and_reminder_waiting, what="invitation delivered, reminder queued")
    async with bus_tail(infra, event_topic("intake")) as intake_bus:
        async with httpx.AsyncClient(base_url=intake_process.url, timeout=30) as http:
            resp = await http.post(f"/clients/{client_id}/erasure", json={"basis": "client_request"},
                                   headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 200, resp.text
        await intake_bus(lambda e: e.type == "ClientErased" and str(e.client_id) == client_id)

    async def reminder_cancelled():
        return {r["template_code"]: r["state"] for r in await rows(notifications_db, client_id)} == {
            "interview_invitation": "delivered", "interview_reminder": "cancelled", "plan_window_ending": "cancelled"}

    await eventually(reminder_cancelled, what="the waiting reminder cancelled")
    # Another booking after the erasure queues nothing and sends nothing.
    second = interview_booked(client_id, at + timedelta(days=1))
    await publish_as_admin(infra, event_topic("assessment"), second)

    async def second_handled():
        return await notifications_db.fetchval(
            "SELECT count(*) FROM inbox WHERE event_id = $1", second.event_id)

    await eventually(second_handled, what="the booking after erasure handled")
    assert {r["template_code"] for r in await rows(notifications_db, client_id)} == {
        "interview_invitation", "interview_reminder", "plan_window_ending"}
    assert [m for m in gateway[1].messages if m["to"] == person.phone] == sms_for(
        gateway[1], str(notification_id(first.event_id, "interview_invitation")))
    # Nothing personal left: no part of the person appears anywhere in notifications' database.
    dump = await database_text(notifications_db)
    for needle in (*person.name.split(), person.email, person.phone, person.street, person.identity_code):
        assert needle not in dump, "personal data found in notifications' database"
    params = await notifications_db.fetch("SELECT params FROM notifications WHERE client_id = $1", client_id)
    assert all(p["params"] == "{}" for p in params)


async def database_text(pool) -> str:
    tables = [r["tablename"] for r in await pool.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
    texts = []
    for table in tables:
        texts += [str(dict(r)) for r in await pool.fetch(f'SELECT * FROM "{table}"')]
        texts += [r["t"] for r in await pool.fetch(f'SELECT t::text AS t FROM "{table}" t')]
    return "\n".join(texts)


async def notifications_token(pool, principal: str, role: str = "officer") -> str:
    credential = await auth.issue(pool, principal=principal, role=role, label="notifications tests",
                                  now=datetime.now(UTC), expires_at=datetime.now(UTC) + timedelta(days=1))
    return credential.token


async def test_without_an_email_address_the_welcome_is_a_letter_the_home_municipality_prints(
        infra, notifications, intake_process, intake_tokens, notifications_db, unique):
    person = dataclasses.replace(invent(f"letter-{unique}", languages=("ar",), home_municipality="inga",
                                        postal_code="10210", post_office="Ingå"), email=None)
    body = newcomer_notice(person)
    body["person"].pop("email")
    client_id = await register(intake_process.url, await intake_tokens("inga"), "/registrations/newcomer-notice",
                               body)

    async def printable():
        return [r for r in await rows(notifications_db, client_id) if r["state"] == "printable"]

    (row,) = await eventually(printable, what="a printable welcome letter")
    assert (row["template_code"], row["channel"], row["language"]) == ("welcome", "letter", "ar")
    inga, hango = await notifications_token(notifications_db, "inga"), await notifications_token(notifications_db,
                                                                                                 "hango")
    async with httpx.AsyncClient(base_url=notifications, timeout=30) as http, \
            bus_tail(infra, NOTIFICATIONS_TOPIC) as bus:
        listed = (await http.get("/letters", headers={"Authorization": f"Bearer {inga}"})).json()
        assert str(row["notification_id"]) in [item["notification_id"] for item in listed]
        other = await http.get(f"/letters/{row['notification_id']}.pdf", headers={"Authorization": f"Bearer {hango}"})
        assert other.status_code == 403 and other.json()["detail"]["rule"] == "ownership.client"
        pdf = await http.get(f"/letters/{row['notification_id']}.pdf", headers={"Authorization": f"Bearer {inga}"})
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF-") and b"NotoSansArabic" in pdf.content
        seen = await bus(lambda e: e.type == "NotificationSent" and str(e.client_id) == client_id)
    assert [e.payload["channel"] for e in seen if str(e.client_id) == client_id] == ["letter"]
    (after,) = [r for r in await rows(notifications_db, client_id) if r["template_code"] == "welcome"]
    assert after["state"] == "sent"


async def test_a_client_who_opted_out_of_sms_gets_the_invitation_by_email(
        infra, notifications, intake_process, intake_tokens, gateway, mail, notifications_db, clock, unique):
    person = invent(f"optout-{unique}", languages=("fi",), home_municipality="hango", postal_code="10900",
                    post_office="Hangö")
    client_id = await register(intake_process.url, await intake_tokens("employment-region"),
                               "/registrations/jobseeker", jobseeker(person))

    async def known():
        return await notifications_db.fetchval("SELECT count(*) FROM client_view WHERE client_id = $1",
                                               uuid.UUID(client_id))

    await eventually(known, what="the client in notifications' view")
    token = await notifications_token(notifications_db, "employment-region")
    async with httpx.AsyncClient(base_url=notifications, timeout=30) as http:
        kela = await notifications_token(notifications_db, "kela")
        stranger = await http.put(f"/clients/{client_id}/opt-outs/sms", headers={"Authorization": f"Bearer {kela}"})
        assert stranger.status_code == 403
        resp = await http.put(f"/clients/{client_id}/opt-outs/sms", headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 204
    booking = interview_booked(client_id, (clock.now() + timedelta(days=8)).replace(hour=9, minute=0))
    nid = notification_id(booking.event_id, "interview_invitation")
    await publish_as_admin(infra, event_topic("assessment"), booking)

    async def emailed():
        return [m for m in messages(mail[1]) if m["message_id"].strip() == f"<{nid}@notifications.raseborg.example>"]

    (got,) = await eventually(emailed, what="the invitation by e-mail")
    assert got["to"] == person.email and "Kutsu alkuhaastatteluun" in got["subject"]
    assert sms_for(gateway[1], str(nid)) == []
