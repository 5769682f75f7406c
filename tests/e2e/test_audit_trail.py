"""Events published on the bus land on the audit trail of a running audit service, once each, and the
operator's `verify` and `tail` commands see them."""

from __future__ import annotations

import asyncio
import re
import sys
import time
import uuid
from datetime import date

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from contracts.envelope import Envelope
from contracts.events.base import Event
from contracts.events.intake import ClientRegistered, ResponsibilityAssigned
from contracts.topics import event_topic
from deploy.config import REPO
from tests.support.processes import ServiceProcess

pytestmark = pytest.mark.e2e

TOPIC = event_topic("intake")
# On its first run the service reads every event topic from the beginning: give it time to catch up.
CATCH_UP_S = 180


@pytest.fixture(scope="module")
def audit_env(infra, tmp_path_factory):
    audit = ServiceProcess.start(infra, "audit", tmp_path_factory.mktemp("audit"))
    try:
        audit.wait_ready()
        yield audit.env
    finally:
        audit.stop()


@pytest.fixture
async def publish(infra):
    producer = AIOKafkaProducer(**infra.kafka_kwargs("intake"), enable_idempotence=True, acks="all")
    await producer.start()

    async def send(envelope: Envelope) -> None:
        await producer.send_and_wait(TOPIC, envelope.to_bytes(), key=envelope.key())

    yield send
    await producer.stop()


def intake(event: Event, client_id: uuid.UUID) -> Envelope:
    return Envelope.wrap(event, producer="intake", organisation="raseborg", actor="officer-17", client_id=client_id,
                         correlation_id=uuid.uuid4())


def registered(client_id: uuid.UUID) -> Envelope:
    return intake(ClientRegistered(client_id=client_id, home_municipality="hango", languages=("uk",),
                                   target_groups=("family_member",), window_ends_on=date(2029, 1, 31),
                                   source="municipal_newcomer_notice", registered_on=date(2026, 6, 24),
                                   responsible_organisation="raseborg", responsibility_reason="own_municipal_services",
                                   registered_jobseeker=False, luvn_participation_required=False,
                                   state="to_be_assessed", state_reason="target_group_within_window",
                                   state_rule="R2", assessment_due_on=date(2026, 7, 1)), client_id)


def assigned(client_id: uuid.UUID) -> Envelope:
    return intake(ResponsibilityAssigned(previous_organisation="employment-region", responsible_organisation="raseborg",
                                         effective_on=date(2026, 5, 4), reason="no_longer_registered_jobseeker"),
                  client_id)


async def recorded(infra, event_ids: list[uuid.UUID], timeout: float = CATCH_UP_S) -> dict[uuid.UUID, list[int]]:
    """Each event id's seqs on the trail, once every one of them is there."""
    conn = await asyncpg.connect(infra.dsn("audit"))
    try:
        deadline = time.monotonic() + timeout
        while True:
            rows = await conn.fetch("SELECT event_id, seq FROM audit_trail WHERE event_id = ANY($1::uuid[]) "
                                    "ORDER BY seq", event_ids)
            seqs = {e: [r["seq"] for r in rows if r["event_id"] == e] for e in event_ids}
            if all(seqs.values()) or time.monotonic() > deadline:
                return seqs
            await asyncio.sleep(0.3)
    finally:
        await conn.close()


async def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "audit", *args, env=env, cwd=REPO,
                                                stdout=asyncio.subprocess.PIPE)
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode, out.decode()


async def test_published_events_are_recorded_in_order_and_the_commands_show_them(infra, audit_env, publish):
    client = uuid.uuid4()
    envelopes = [registered(client), assigned(client), assigned(client)]
    for envelope in envelopes:
        await publish(envelope)

    seqs = await recorded(infra, [e.event_id for e in envelopes])
    status, verified = await run(audit_env, "verify")
    first, last = seqs[envelopes[0].event_id][0], seqs[envelopes[-1].event_id][0]
    _, tailed = await run(audit_env, "tail", "--once", "--from", str(first), "--limit", str(last - first + 1))

    order = [seqs[e.event_id] for e in envelopes]
    assert all(len(s) == 1 for s in order) and order == sorted(order)
    assert status == 0 and re.fullmatch(r"OK: (\d+) records verified\n", verified)
    assert int(verified.split()[1]) >= last
    mine = [line.split() for line in tailed.splitlines() if str(client) in line]
    assert [(int(f[0]), f[2], f[3], len(f)) for f in mine] == [
        (seqs[e.event_id][0], "intake", e.type, 6) for e in envelopes]


async def test_an_event_delivered_twice_is_recorded_once(infra, audit_env, publish):
    client = uuid.uuid4()
    twice, after = registered(client), assigned(client)

    await publish(twice)
    await publish(twice)
    await publish(after)  # same key, same partition: once it is recorded, both copies have been handled

    seqs = await recorded(infra, [twice.event_id, after.event_id])
    assert len(seqs[twice.event_id]) == 1 and len(seqs[after.event_id]) == 1
    assert (await run(audit_env, "verify"))[0] == 0
