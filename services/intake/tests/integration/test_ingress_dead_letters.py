"""Issue 8, items 7 and 8 on intake: ingress dead letters never carry a person in clear, and an
operator redrives a dead letter after the fix, over HTTP and from the command line (real Kafka,
real PostgreSQL, intake served over HTTP)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from uuid import uuid4

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from contracts.topics import dead_letter_topic, ingress_topic
from deploy.config import REPO
from services.intake.tests.factories import facts, person_json
from services.intake.tests.integration.conftest import bearer, intake_settings, tail
from services.intake.tests.integration.test_ingress import (  # noqa: F401 - fixtures used by name
    dead_letters,
    events_of,
    message,
    public_key,
    send,
)
from tests.support.people import invent
from tests.support.pii_scan import SIMULATED_SENDER_MISTAKE

pytestmark = pytest.mark.integration

REDRIVE = "/admin/dead-letters/redrive"
DLQ = dead_letter_topic("intake")


def _h(record) -> dict[str, bytes]:
    return dict(record.headers)


async def send_in_clear(infra, principal: str, topic: str, value: bytes) -> None:
    """A careless sender's message with a person in clear, marked as the test's (see pii_scan)."""
    producer = AIOKafkaProducer(**infra.kafka_kwargs(principal), enable_idempotence=True, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=b"any", headers=[SIMULATED_SENDER_MISTAKE])
    finally:
        await producer.stop()


class TestNoPersonInClear:
    async def test_a_person_in_clear_in_the_body_is_dead_lettered_without_the_message(
            self, infra, intake_url, dead_letters, unique):
        person = invent()
        body = {**facts("kela_notification"), "person": person_json(person)}
        raw = json.dumps({"message_id": str(uuid4()), "type": "Registration", "version": 1,
                          "sent_at": "2026-11-30T10:00:00+00:00", "body": body, "sealed": "v1.x"}).encode()

        await send_in_clear(infra, "kela", ingress_topic("kela"), raw)

        record = await dead_letters(lambda r: _h(r).get("dlq.content") == b"dropped"
                                    and _h(r).get("dlq.topic") == ingress_topic("kela").encode())
        assert record.value == b"" and record.key is None and SIMULATED_SENDER_MISTAKE[0] not in _h(record)
        assert _h(record)["dlq.error"] and _h(record)["dlq.reason"] and _h(record)["dlq.offset"].isdigit()
        everything = record.value + b"".join(v for _, v in record.headers)
        assert person.name.encode() not in everything and person.identity_code.encode() not in everything

    async def test_raw_json_in_the_sealed_part_is_dead_lettered_without_the_message(
            self, infra, intake_url, dead_letters):
        person = invent()
        raw = json.dumps({"message_id": str(uuid4()), "type": "Registration", "version": 1,
                          "sent_at": "2026-11-30T10:00:00+00:00", "body": facts("kela_notification"),
                          "sealed": json.dumps(person_json(person))}).encode()

        await send_in_clear(infra, "kela", ingress_topic("kela"), raw)

        record = await dead_letters(lambda r: _h(r).get("dlq.content") == b"dropped"
                                    and _h(r).get("dlq.topic") == ingress_topic("kela").encode())
        assert record.value == b"" and person.identity_code.encode() not in b"".join(v for _, v in record.headers)

    async def test_a_well_formed_sealed_message_refused_by_a_rule_keeps_its_content_for_a_redrive(
            self, infra, intake_url, public_key, dead_letters):
        msg = message(public_key, body=facts("kela_notification", non_temporary=False), sealed=person_json(invent()))

        await send(infra, "kela", ingress_topic("kela"), msg.to_bytes())

        record = await dead_letters(lambda r: r.value == msg.to_bytes())
        assert "dlq.content" not in _h(record) and b"R30" in _h(record)["dlq.reason"]


async def _unknown_person_change(infra, public_key, dead_letters):
    """A status change for a person intake does not know yet: refused (dead-lettered), sealed, redrivable."""
    person = invent()
    change = message(public_key, type_="JobseekerStatusChange", body={"registered": False, "on": "2026-01-05"},
                     sealed={"identity_code": person.identity_code})
    await send(infra, "employment-region", ingress_topic("employment-region"), change.to_bytes())
    record = await dead_letters(lambda r: r.value == change.to_bytes())
    return person, change, record


async def _register(infra, intake_db, public_key, person) -> None:
    registration = message(public_key, body=facts("employment_region_jobseeker"), sealed=person_json(person))
    await send(infra, "employment-region", ingress_topic("employment-region"), registration.to_bytes())
    await events_of(intake_db, registration.message_id)


class TestRedriveOverHttp:
    async def test_a_dead_letter_redriven_after_the_fix_is_applied_once_and_audited(
            self, infra, intake_url, intake_db, public_key, dead_letters, tokens):
        person, change, dead = await _unknown_person_change(infra, public_key, dead_letters)
        operator = bearer(await tokens("operator", "operator"))
        where = {"partition": dead.partition, "offset": dead.offset}
        async with httpx.AsyncClient(base_url=intake_url, timeout=30) as http:
            await _register(infra, intake_db, public_key, person)  # the fix: the person is known now

            first = await http.post(REDRIVE, json=where, headers=operator)
            again = await http.post(REDRIVE, json=where, headers=operator)

        assert first.status_code == 200 and first.json()["outcome"] == "applied", first.text
        assert again.status_code == 200 and again.json()["outcome"] == "already-applied"
        changed = await events_of(intake_db, change.message_id, expect=2)
        assert [e.type for e in changed] == ["ClientDetailsChanged", "ResponsibilityAssigned"]
        audited = await intake_db.fetch(
            "SELECT envelope FROM event_store WHERE type = 'DeadLetterRedriven' "
            "AND (convert_from(envelope, 'UTF8')::jsonb -> 'payload' ->> 'dead_letter_offset')::bigint = $1",
            dead.offset)
        outcomes = sorted(json.loads(r["envelope"])["payload"]["outcome"] for r in audited)
        assert outcomes == ["already-applied", "applied"]
        assert all(person.identity_code.encode() not in r["envelope"] for r in audited)

    async def test_a_dead_letter_that_fails_again_is_dead_lettered_once_more_counting_redrives(
            self, infra, intake_url, public_key, dead_letters, tokens):
        _, change, dead = await _unknown_person_change(infra, public_key, dead_letters)
        audit_service = bearer(await tokens("audit", "service"))
        async with httpx.AsyncClient(base_url=intake_url, timeout=30) as http:
            answer = await http.post(REDRIVE, json={"partition": dead.partition, "offset": dead.offset},
                                     headers=audit_service)

        assert answer.status_code == 200 and answer.json()["outcome"] == "dead-lettered-again", answer.text
        again = await dead_letters(lambda r: r.value == change.to_bytes())
        assert _h(again)["dlq.redrives"] == b"1" and again.offset > dead.offset
        assert _h(again)["dlq.topic"] == ingress_topic("employment-region").encode()
        assert _h(again)["dlq.offset"] == _h(dead)["dlq.offset"]

    async def test_no_such_dead_letter_is_404_and_one_without_content_is_409(
            self, infra, intake_url, dead_letters, tokens, unique):
        await send(infra, "kela", ingress_topic("kela"), f"not json {unique}".encode())
        dropped = await dead_letters(lambda r: _h(r).get("dlq.content") == b"dropped")
        operator = bearer(await tokens("operator", "operator"))
        async with httpx.AsyncClient(base_url=intake_url, timeout=30) as http:
            missing = await http.post(REDRIVE, json={"partition": 0, "offset": 10**9}, headers=operator)
            no_partition = await http.post(REDRIVE, json={"partition": 7, "offset": 0}, headers=operator)
            no_content = await http.post(REDRIVE, json={"partition": dropped.partition, "offset": dropped.offset},
                                         headers=operator)
            bad = await http.post(REDRIVE, json={"partition": -1, "offset": "x"}, headers=operator)

        assert missing.status_code == 404 and no_partition.status_code == 404
        assert no_content.status_code == 409 and "kept no content" in no_content.json()["detail"]
        assert bad.status_code == 422

    @pytest.mark.parametrize(("principal", "role", "status"), [
        ("raseborg", "officer", 403), ("employment-region", "system", 403), ("planning", "service", 403),
        ("audit", "service", 404), ("operator", "operator", 404)])
    async def test_only_operators_and_the_audit_console_may_redrive(self, intake_url, tokens, principal, role,
                                                                    status):
        async with httpx.AsyncClient(base_url=intake_url, timeout=30) as http:
            answer = await http.post(REDRIVE, json={"partition": 0, "offset": 10**9},
                                     headers=bearer(await tokens(principal, role)))
            anonymous = await http.post(REDRIVE, json={"partition": 0, "offset": 10**9})

        assert answer.status_code == status and anonymous.status_code == 401


class TestRedriveFromTheCommandLine:
    async def test_python_m_intake_redrive_applies_a_dead_letter_after_the_fix(
            self, infra, intake_url, intake_db, public_key, dead_letters):
        person, change, dead = await _unknown_person_change(infra, public_key, dead_letters)
        await _register(infra, intake_db, public_key, person)
        env = {**os.environ, **infra.service_env("intake", intake_settings(infra, 1).http_port)}

        done = await asyncio.to_thread(
            subprocess.run, [sys.executable, "-m", "intake", "redrive", "--partition", str(dead.partition),
                             "--offset", str(dead.offset)], env=env, cwd=REPO, capture_output=True, text=True,
            timeout=120)

        assert done.returncode == 0, done.stderr
        assert f"{dead.partition}/{dead.offset}: applied" in done.stdout
        assert len(await events_of(intake_db, change.message_id, expect=2)) == 2

    async def test_a_missing_dead_letter_exits_1_naming_it(self, infra, intake_url):
        env = {**os.environ, **infra.service_env("intake", 1)}

        done = await asyncio.to_thread(
            subprocess.run, [sys.executable, "-m", "intake", "redrive", "--partition", "0", "--offset",
                             str(10**9)], env=env, cwd=REPO, capture_output=True, text=True, timeout=120)

        assert done.returncode == 1 and "no dead letter at 0/1000000000" in done.stderr
