"""Every source on its sender's ingress topic, on real Kafka: the right principal registers, a wrong one
is refused by the broker or, on its own topic, dead-lettered with the rule that refused it."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import TopicAuthorizationFailedError

from contracts import sealing
from contracts.envelope import Envelope
from contracts.ingress import IngressMessage, sealing_context
from contracts.topics import dead_letter_topic, event_topic, ingress_topic
from services.intake.tests.factories import SENDERS, facts, person_json
from services.intake.tests.integration.conftest import intake_settings, tail
from tests.support.people import invent
from tests.support.events import envelopes

pytestmark = pytest.mark.integration

SOURCES = list(SENDERS)  # every source an organisation sends; the person's own request is HTTP only


@pytest.fixture(scope="module")
def public_key(infra) -> str:
    private = intake_settings(infra, 1).ingress_private_keys.get_secret_value().split(",")[0]
    return sealing.public_key(private)


def message(public_key: str, *, type_: str = "Registration", body: dict[str, Any], sealed: dict[str, Any],
            message_id: UUID | None = None) -> IngressMessage:
    message_id = message_id or uuid4()
    token = sealing.seal(public_key, json.dumps(sealed).encode(), context=sealing_context(message_id))
    return IngressMessage(message_id=message_id, type=type_, sent_at=datetime.now(UTC), body=body, sealed=token)


async def send(infra, principal: str, topic: str, value: bytes) -> None:
    producer = AIOKafkaProducer(**infra.kafka_kwargs(principal), enable_idempotence=True, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=b"any")
    finally:
        await producer.stop()


async def events_of(intake_db, correlation_id: UUID, *, timeout: float = 60, expect: int = 1) -> list[Envelope]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = await intake_db.fetch(
            """SELECT envelope FROM event_store
               WHERE convert_from(envelope, 'UTF8')::jsonb ->> 'correlation_id' = $1 ORDER BY id""",
            str(correlation_id))
        if len(rows) >= expect:
            return [Envelope.from_bytes(r["envelope"]) for r in rows]
        await asyncio.sleep(0.2)
    raise AssertionError(f"no event for message {correlation_id} within {timeout} s")


@pytest.fixture
async def dead_letters(infra, intake_url, unique):
    async with tail(infra, dead_letter_topic("intake"), principal="operator", group=f"operator-dlq-{unique}") as next_:
        yield next_


class TestFromTheRightPrincipal:
    @pytest.mark.parametrize("source", SOURCES)
    async def test_each_source_sent_on_its_owners_topic_registers_a_client(self, infra, intake_url, intake_db,
                                                                          public_key, source):
        sender = SENDERS[source]
        msg = message(public_key, body=facts(source), sealed=person_json(invent()))

        await send(infra, sender, ingress_topic(sender), msg.to_bytes())

        [registered] = await events_of(intake_db, msg.message_id)
        assert (registered.type, registered.payload["source"]) == ("ClientRegistered", source)
        assert (registered.organisation, registered.actor) == (sender, f"ingress.{sender}")

    async def test_the_registration_is_published_without_personal_data(self, infra, intake_url, public_key, unique):
        person = invent()
        msg = message(public_key, body=facts("kela_notification"), sealed=person_json(person))

        async with tail(infra, event_topic("intake"), principal="audit", group=f"audit-ingress-{unique}") as next_:
            await send(infra, "kela", ingress_topic("kela"), msg.to_bytes())
            record = await next_(lambda r: any(e.correlation_id == msg.message_id for e in envelopes([r.value])))

        for value in (person.name, person.identity_code, person.email, person.phone):
            assert value not in record.value.decode()

    async def test_a_legacy_v1_seal_still_registers_during_the_30_days_it_is_read(self, infra, intake_url,
                                                                                 intake_db, public_key):
        msg = message(public_key, body=facts("kela_notification"), sealed=person_json(invent()))
        legacy = msg.model_copy(update={"sealed": sealing.seal_v1(
            public_key, json.dumps(person_json(invent())).encode(), context=sealing_context(msg.message_id))})
        assert msg.sealed.startswith("v2.") and legacy.sealed.startswith("v1.")

        await send(infra, "kela", ingress_topic("kela"), legacy.to_bytes())

        [registered] = await events_of(intake_db, legacy.message_id)
        assert registered.type == "ClientRegistered"

    async def test_a_message_delivered_twice_is_applied_once(self, infra, intake_url, intake_db, public_key):
        msg = message(public_key, body=facts("refugee_placement"), sealed=person_json(invent()))

        await send(infra, "hango", ingress_topic("hango"), msg.to_bytes())
        await send(infra, "hango", ingress_topic("hango"), msg.to_bytes())
        follow_up = message(public_key, body=facts("refugee_placement"), sealed=person_json(invent()))
        await send(infra, "hango", ingress_topic("hango"), follow_up.to_bytes())
        await events_of(intake_db, follow_up.message_id)  # same partition key: the duplicate came before it

        assert len(await events_of(intake_db, msg.message_id)) == 1

    async def test_two_organisations_may_use_the_same_message_id_and_both_are_applied(self, infra, intake_url,
                                                                                      intake_db, public_key):
        shared = uuid4()
        kela = message(public_key, body=facts("kela_notification"), sealed=person_json(invent()), message_id=shared)
        luvn = message(public_key, body=facts("authority_contact"), sealed=person_json(invent()), message_id=shared)

        await send(infra, "kela", ingress_topic("kela"), kela.to_bytes())
        await send(infra, "luvn", ingress_topic("luvn"), luvn.to_bytes())

        registered = await events_of(intake_db, shared, expect=2)
        assert sorted(e.organisation for e in registered) == ["kela", "luvn"]

    async def test_R5_the_employment_region_ends_jobseeker_status_by_identity_code(self, infra, intake_url,
                                                                                  intake_db, public_key):
        person = invent()
        registration = message(public_key, body=facts("employment_region_jobseeker"), sealed=person_json(person))
        await send(infra, "employment-region", ingress_topic("employment-region"), registration.to_bytes())
        [registered] = await events_of(intake_db, registration.message_id)

        change = message(public_key, type_="JobseekerStatusChange", body={"registered": False, "on": "2026-01-05"},
                         sealed={"identity_code": person.identity_code})
        await send(infra, "employment-region", ingress_topic("employment-region"), change.to_bytes())

        changed = await events_of(intake_db, change.message_id, expect=2)
        assert [e.type for e in changed] == ["ClientDetailsChanged", "ResponsibilityAssigned"]
        assert {e.client_id for e in changed} == {registered.client_id}
        assert changed[1].payload["previous_organisation"] == "employment-region"


class TestFromAWrongPrincipal:
    @pytest.mark.parametrize("source", SOURCES)
    async def test_the_broker_refuses_a_write_to_another_organisations_topic(self, infra, public_key, source):
        owner = SENDERS[source]
        intruder = "inga" if owner != "inga" else "raseborg"
        msg = message(public_key, body=facts(source), sealed=person_json(invent()))

        with pytest.raises(TopicAuthorizationFailedError):
            await send(infra, intruder, ingress_topic(owner), msg.to_bytes())

    @pytest.mark.parametrize(("source", "intruder"), [
        ("employment_region_jobseeker", "kela"), ("kela_notification", "hango"),
        ("refugee_placement", "employment-region"), ("municipal_newcomer_notice", "kela"),
        ("authority_contact", None)])
    async def test_a_source_on_the_wrong_organisations_own_topic_is_dead_lettered_naming_the_rule(
            self, infra, intake_url, intake_db, public_key, dead_letters, source, intruder):
        if intruder is None:  # every organisation may send an authority contact; the person's own request is HTTP only
            source, intruder = "own_request", "luvn"
            body = facts("own_request")
        else:
            body = facts(source)
        msg = message(public_key, body=body, sealed=person_json(invent()))

        await send(infra, intruder, ingress_topic(intruder), msg.to_bytes())

        record = await dead_letters(lambda r: r.value == msg.to_bytes())
        headers = dict(record.headers)
        assert b"ownership.source" in headers["dlq.reason"]
        assert headers["dlq.topic"] == ingress_topic(intruder).encode()
        assert await intake_db.fetchval(
            "SELECT count(*) FROM event_store WHERE convert_from(envelope, 'UTF8')::jsonb ->> 'correlation_id' = $1",
            str(msg.message_id)) == 0


class TestBadMessages:
    async def test_a_sealed_part_for_another_message_is_dead_lettered_and_never_read(self, infra, intake_url,
                                                                                    public_key, dead_letters):
        original = message(public_key, body=facts("kela_notification"), sealed=person_json(invent()))
        replayed = original.model_copy(update={"message_id": uuid4()})

        await send(infra, "kela", ingress_topic("kela"), replayed.to_bytes())

        # a sealed part that does not open may hold anything: the dead letter keeps metadata and reason only
        record = await dead_letters(lambda r: dict(r.headers).get("dlq.error") == b"SealError")
        assert b"cannot be opened" in dict(record.headers)["dlq.reason"] and record.value == b""

    async def test_invalid_personal_data_is_dead_lettered_naming_the_field_not_the_value(
            self, infra, intake_url, public_key, dead_letters):
        person = invent()
        msg = message(public_key, body=facts("kela_notification"),
                      sealed=person_json(person, email="not-an-address"))

        await send(infra, "kela", ingress_topic("kela"), msg.to_bytes())

        reason = dict((await dead_letters(lambda r: r.value == msg.to_bytes())).headers)["dlq.reason"].decode()
        assert "email" in reason and "not-an-address" not in reason and person.name not in reason

    async def test_bytes_that_are_not_a_message_are_dead_lettered(self, infra, intake_url, dead_letters, unique):
        junk = f"not json {unique}".encode()

        await send(infra, "kela", ingress_topic("kela"), junk)

        record = await dead_letters(lambda r: dict(r.headers).get("dlq.content") == b"dropped")
        assert dict(record.headers)["dlq.error"] == b"InvalidIngressMessage" and record.value == b""

    async def test_R30_temporary_social_assistance_is_dead_lettered_naming_the_rule(self, infra, intake_url,
                                                                                   public_key, dead_letters):
        msg = message(public_key, body=facts("kela_notification", non_temporary=False),
                      sealed=person_json(invent()))

        await send(infra, "kela", ingress_topic("kela"), msg.to_bytes())

        assert b"R30" in dict((await dead_letters(lambda r: r.value == msg.to_bytes())).headers)["dlq.reason"]


class TestImplausibleDates:
    async def test_a_message_sent_in_2999_is_dead_lettered_as_a_contract_violation_naming_sent_at(
            self, infra, intake_url, public_key, dead_letters):
        msg = message(public_key, body=facts("kela_notification"), sealed=person_json(invent()))
        raw = json.dumps({**json.loads(msg.to_bytes()), "sent_at": "2999-01-01T00:00:00+00:00"}).encode()

        await send(infra, "kela", ingress_topic("kela"), raw)

        # not a valid message, so the dead letter keeps its metadata and reason only (no content)
        headers = dict((await dead_letters(lambda r: b"sent_at" in dict(r.headers).get("dlq.reason", b""))).headers)
        assert headers["dlq.error"] == b"InvalidIngressMessage" and headers["dlq.content"] == b"dropped"

    @pytest.mark.parametrize("day", ["9999-12-31", "9998-06-01"])
    async def test_a_far_future_first_permit_date_is_a_contract_violation_naming_the_field_not_a_crash(
            self, infra, intake_url, public_key, dead_letters, day):
        msg = message(public_key, body=facts("kela_notification", first_permit_date=day), sealed=person_json(invent()))

        await send(infra, "kela", ingress_topic("kela"), msg.to_bytes())

        headers = dict((await dead_letters(
            lambda r: b"first_permit_date" in dict(r.headers).get("dlq.reason", b""))).headers)
        assert headers["dlq.error"] == b"InvalidIngressMessage" and headers["dlq.content"] == b"dropped"
