"""Redrive at the runtime's level (real Kafka and PostgreSQL): `--all` re-applies this consumer's dead
letters after the fix, once each, audits each one, and skips dead letters of consumers it does not run."""

from __future__ import annotations

import json
import uuid

import pytest

from backbone.redrive import NotRedrivable, Redriver

from .conftest import start_group_at_end
from .test_inbox import DLQ, TOPIC, _recorder, _run_consumer, registered, subscribe  # noqa: F401

pytestmark = pytest.mark.integration


async def test_redrive_all_applies_this_consumers_dead_letters_once_after_the_fix_and_audits_each(
        infra, assessment_pool, producer_for, unique, subscribe):
    await start_group_at_end(infra, "assessment", f"assessment.test-{unique}", TOPIC)
    table = f"applied_{unique}"
    async with assessment_pool.acquire() as conn:
        await conn.execute(f"CREATE TABLE {table} (event_id uuid, client_id uuid)")
    refused = {uuid.uuid4(), uuid.uuid4()}
    intake = await producer_for("intake")
    for client in refused:
        e = registered(client)
        await intake.send_and_wait(TOPIC, e.to_bytes(), key=e.key())
    async def both_dead_lettered(c) -> bool:
        return c.stats.dead_lettered >= 2

    consumer = await _run_consumer(infra, assessment_pool, await producer_for("assessment"), unique,
                                   _recorder(table, refuse=refused), subscribe=subscribe, until=both_dead_lettered)
    refused.clear()  # the fix: the rule no longer refuses them
    redriver = Redriver(pool=assessment_pool, kafka=infra.kafka_kwargs("assessment"), service="assessment",
                        dead_letter_topic=DLQ, consumers=[consumer])

    results = await redriver.redrive_all(actor="cli.assessment")
    again = await redriver.redrive_all(actor="cli.assessment")

    ours = [r for r in results if not isinstance(r, Exception)]
    assert [r.outcome for r in ours] == ["applied", "applied"]
    assert all(isinstance(r, NotRedrivable) for r in results if isinstance(r, Exception))
    assert [r.outcome for r in again if not isinstance(r, Exception)] == ["already-applied", "already-applied"]
    async with assessment_pool.acquire() as conn:
        assert await conn.fetchval(f"SELECT count(*) FROM {table}") == 2
        audited = await conn.fetch(
            "SELECT envelope FROM event_store WHERE type = 'DeadLetterRedriven' "
            "AND convert_from(envelope, 'UTF8')::jsonb -> 'payload' ->> 'consumer' = $1", consumer.group)
    payloads = [json.loads(r["envelope"])["payload"] for r in audited]
    assert sorted(p["outcome"] for p in payloads) == ["already-applied"] * 2 + ["applied"] * 2
    assert {p["dead_letter_offset"] for p in payloads} == {r.offset for r in ours}
    assert all(p["source_topic"] == TOPIC and p["redrives"] == 1 for p in payloads)
