"""A poison message on every input topic of every service, under load: each consumer reading the topic
dead-letters it with its reason (naming what is wrong, never a value) and goes on, so the load loses
nothing; and after its cause is fixed, a redrive (`POST /admin/dead-letters/redrive`) applies it once.

Input topics: each producing service's event topic (read by the others' subscriptions and the audit
trail) and the organisations' ingress topics (read by intake). Kinds: bytes that are no message, an
unknown event or message type, a known type breaking its schema, and a rule's refusal (intake: a
jobseeker status change for a person intake does not know yet; the fix is the person's registration)."""

from __future__ import annotations

import asyncio
import json
from uuid import uuid4

import httpx
import pytest

from contracts import sealing
from contracts.topics import PRODUCING_SERVICES, dead_letter_topic, event_topic, ingress_topic
from services.intake.tests.factories import facts, person_json
from services.intake.tests.integration.conftest import intake_settings
from services.intake.tests.integration.test_ingress import message
from tests.e2e.faults.conftest import LARGE, under_load
from tests.support import faults
from tests.support.people import invent
from tests.support.system import GROUPS

pytestmark = pytest.mark.e2e
REDRIVE = "/admin/dead-letters/redrive"
ENVELOPE_FREE = {"audit.trail"}
"""Consumers that check only the envelope: audit records every well-formed envelope, of a type or schema it
does not know too (the trail is the whole log), so only bytes that are no envelope are its dead letters."""
ENVELOPE_KINDS = ("unknown-type", "wrong-schema")


def readers(topic: str) -> dict[str, str]:
    """Consumer group -> its service, for every subscription reading `topic`."""
    return {group: service for service, groups in GROUPS.items() for group, topics in groups.items()
            if topic in topics}


def _ingress_poisons(public_key: str) -> tuple[list[tuple[str, bytes | None, bytes]], dict]:
    """Garbage, an unknown message type, a body breaking its schema, and a status change for a person intake
    does not know (refused by a rule; redrivable once the person is registered)."""
    valid = json.loads(message(public_key, body=facts("kela_notification"), sealed=person_json(invent())).to_bytes())
    person = invent()
    change = message(public_key, type_="JobseekerStatusChange", body={"registered": False, "on": "2026-01-05"},
                     sealed={"identity_code": person.identity_code})
    items = [
        ("garbage", None, b"\x00\x01 no message"),
        ("unknown-type", None, json.dumps({**valid, "message_id": str(uuid4()), "type": "NoSuchMessage"}).encode()),
        ("wrong-schema", None, json.dumps({**valid, "message_id": str(uuid4()), "body": {"unexpected": 1}}).encode()),
    ]
    return items, {"person": person, "change": change}


async def poison_every_input_topic(infra) -> dict[str, list[faults.Landed]]:
    """Each kind of poison on each producing service's event topic and on the ingress topics (Kela's, and
    the employment region's for the rule refusal); where each landed, by topic owner ("ingress" for intake's)."""
    public_key = sealing.public_key(intake_settings(infra, 1).ingress_private_keys.get_secret_value().split(",")[0])
    landed = {service: await faults.poison(infra, event_topic(service), service) for service in PRODUCING_SERVICES}
    items, found = _ingress_poisons(public_key)
    landed["ingress"] = await faults.send(infra, "kela", ingress_topic("kela"), items)
    landed["ingress"] += await faults.send(infra, "employment-region", ingress_topic("employment-region"),
                                           [("rule-refusal", None, found["change"].to_bytes())])
    return landed


async def assert_dead_lettered_with_reasons(infra, landed: dict[str, list[faults.Landed]]) -> None:
    """Each consumer of each poisoned topic dead-lettered each poison it could not read, with a reason and
    the error's type, naming no value; audit recorded the well-formed envelopes instead."""
    for producer, items in landed.items():
        topic_readers = {"intake.ingress": "intake"} if producer == "ingress" else readers(event_topic(producer))
        for group, service in topic_readers.items():
            expected = [i for i in items if not (group in ENVELOPE_FREE and i.kind in ENVELOPE_KINDS)]
            dead = await faults.dead_letters_of(infra, dead_letter_topic(service), expected, expect=len(expected))
            dead = [d for d in dead if faults.header(d, "dlq.consumer") == group]
            where = {(faults.header(d, "dlq.topic"), int(faults.header(d, "dlq.offset"))) for d in dead}
            assert where == {(i.topic, i.offset) for i in expected}, (group, producer, where)
            for d in dead:
                reason = faults.header(d, "dlq.reason")
                assert reason and faults.header(d, "dlq.error"), (group, reason)
                assert "no message" not in reason and "not a message {" not in reason, reason  # no value
    well_formed = [i for s in PRODUCING_SERVICES for i in landed[s] if i.kind in ENVELOPE_KINDS]
    assert await faults.audited(infra, [i.event_id for i in well_formed]) == len(well_formed)


@pytest.mark.load
async def test_a_poison_message_on_every_input_topic_under_a_large_load_is_dead_lettered_and_the_load_goes_on(
        faulty):
    landed: dict[str, list[faults.Landed]] = {}

    async def poison_everything_every_minute() -> None:
        for _ in range(3):
            for owner, items in (await poison_every_input_topic(faulty.infra)).items():
                landed.setdefault(owner, []).extend(items)
            await asyncio.sleep(60)

    outcome = await under_load(faulty, LARGE, poison_everything_every_minute)

    outcome.assert_nothing_lost_or_doubled()
    await assert_dead_lettered_with_reasons(faulty.infra, landed)


async def test_a_refused_message_redriven_after_its_cause_is_fixed_is_applied_once(faulty):
    """Intake refuses a status change for a person it does not know; once the person's registration
    arrives, the operator's redrive applies it (`applied`), and a second redrive does nothing."""
    infra = faulty.infra
    public_key = sealing.public_key(intake_settings(infra, 1).ingress_private_keys.get_secret_value().split(",")[0])
    _items, fixable = _ingress_poisons(public_key)
    change = fixable["change"]
    [refused] = await faults.send(infra, "employment-region", ingress_topic("employment-region"),
                                  [("rule-refusal", None, change.to_bytes())])
    [dead] = await faults.dead_letters_of(infra, dead_letter_topic("intake"), [refused], expect=1)
    assert faults.header(dead, "dlq.content") != "dropped" and faults.header(dead, "dlq.reason")

    registration = message(public_key, body=facts("employment_region_jobseeker"), sealed=person_json(fixable["person"]))
    await faults.send(infra, "employment-region", ingress_topic("employment-region"),
                      [("fix", None, registration.to_bytes())])
    await faults.events_with_correlation(infra, "intake", registration.message_id, expect=1)

    operator = {"Authorization": f"Bearer {faulty.token('intake', 'operator', 'operator')}"}
    where = {"partition": dead.partition, "offset": dead.offset}
    async with httpx.AsyncClient(base_url=faulty.url("intake"), timeout=30) as http:
        first = await http.post(REDRIVE, json=where, headers=operator)
        again = await http.post(REDRIVE, json=where, headers=operator)

    assert first.status_code == 200 and first.json()["outcome"] == "applied", first.text
    assert again.status_code == 200 and again.json()["outcome"] == "already-applied", again.text
    applied = await faults.events_with_correlation(infra, "intake", change.message_id, expect=2)
    assert [e["type"] for e in applied] == ["ClientDetailsChanged", "ResponsibilityAssigned"]
    await faulty.settle()
    assert [e["type"] for e in await faults.events_with_correlation(infra, "intake", change.message_id)] == \
        ["ClientDetailsChanged", "ResponsibilityAssigned"]  # still once each after everything settled


async def test_a_poison_redriven_while_its_cause_remains_goes_back_once_and_applies_nothing(faulty):
    """A redrive is one message, once, on request: a message that still breaks its schema is dead-lettered
    again (counting its redrives), and no consumer applied it."""
    infra = faulty.infra
    landed = await faults.poison(infra, event_topic("intake"), "intake")
    wrong = [i for i in landed if i.kind == "wrong-schema"]
    [dead] = [d for d in await faults.dead_letters_of(infra, dead_letter_topic("assessment"), wrong, expect=1)
              if faults.header(d, "dlq.consumer") == "assessment.intake-events"]

    operator = {"Authorization": f"Bearer {faulty.token('assessment', 'operator', 'operator')}"}
    async with httpx.AsyncClient(base_url=faulty.url("assessment"), timeout=30) as http:
        resp = await http.post(REDRIVE, json={"partition": dead.partition, "offset": dead.offset}, headers=operator)

    assert resp.status_code == 200 and resp.json()["outcome"] == "dead-lettered-again", resp.text
    again = await faults.dead_letters_of(infra, dead_letter_topic("assessment"), wrong, expect=2)
    assert sorted(faults.header(d, "dlq.redrives") for d in again) == ["0", "1"]
    assert await faults.inbox_rows(infra, "assessment", wrong[0].event_id) == 0
