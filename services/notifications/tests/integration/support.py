"""What notifications' integration tests share: a daytime clock, the local servers, intake as a
process, notifications served in this process, and reading the bus."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import uvicorn
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from backbone.clock import today_in_finland
from contracts.envelope import Envelope
from contracts.events.assessment import InitialInterviewScheduled
from contracts.topics import all_topics
from deploy import mailserver, smsgateway
from notifications.bootstrap import build
from notifications.config import NotificationsSettings
from tests.support.daytime import DaytimeClock  # noqa: F401 - the tests' clock, imported from here
from tests.support.processes import free_port
from tests.support.events import envelopes


@asynccontextmanager
async def serving(app, port: int) -> AsyncIterator[str]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on"))
    task = asyncio.create_task(server.serve())
    deadline = time.monotonic() + 90
    while not server.started:
        if task.done():
            task.result()
        assert time.monotonic() < deadline, "server did not start within 90 s"
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def local_mail(folder: Path) -> AsyncIterator[int]:
    """deploy's SMTP server, on a free port, keeping mail in `folder`."""
    port = free_port()
    task = asyncio.create_task(mailserver.serve("127.0.0.1", port, folder))
    for _ in range(100):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            break
        except OSError:
            await asyncio.sleep(0.05)
    try:
        yield port
    finally:
        task.cancel()


@asynccontextmanager
async def local_gateway(api_key: str, callback_secret: str) -> AsyncIterator[tuple[str, smsgateway.Gateway]]:
    """deploy's SMS gateway, on a free port."""
    gateway = smsgateway.Gateway(api_key=api_key, callback_secret=callback_secret, store=None, receipt_delay_s=0.1)
    async with serving(smsgateway.create_app(gateway), free_port()) as url:
        yield url, gateway


def notifications_settings(infra, *, intake_url: str, smtp_port: int, sms_url: str, **overrides: Any
                           ) -> NotificationsSettings:
    port = free_port()
    env = infra.service_env("notifications", port)
    values = {name.removeprefix("NOTIFICATIONS_").lower(): value for name, value in env.items()}
    values.update(intake_url=intake_url, smtp_port=smtp_port, sms_url=sms_url, retry_base_s=0.2, retry_max_s=1.0,
                  retry_horizon_s=30.0, sms_timeout_s=1.0, dispatch_idle_s=0.05, lease_s=3.0)
    values.update(overrides)
    return NotificationsSettings(**values)


@asynccontextmanager
async def notifications_app(settings: NotificationsSettings, clock, infra=None) -> AsyncIterator[str]:
    async with serving(build(settings, clock=clock), settings.http_port) as url:
        if infra is not None:
            await caught_up(infra)
        yield url


async def caught_up(infra, timeout: float = 600) -> None:
    """Wait until notifications' consumer groups have read every topic they consume to its current end.

    The whole test run shares one broker, and other tests publish thousands of intake's events that
    notifications must read (in order) before it sees the ones a test is about."""
    from aiokafka.admin import AIOKafkaAdminClient

    from contracts.topics import CONSUMES

    admin = AIOKafkaAdminClient(**infra.kafka_kwargs("admin"))
    consumer = AIOKafkaConsumer(**infra.kafka_kwargs("admin"))
    await admin.start()
    await consumer.start()
    try:
        partitions = [TopicPartition(t.name, p) for t in all_topics() if t.name in CONSUMES["notifications"]
                      for p in range(t.partitions)]
        ends = await consumer.end_offsets(partitions)
        deadline = time.monotonic() + timeout
        while True:
            committed = {}
            for group in ("notifications.clients", "notifications.events"):
                committed |= {tp: meta.offset for tp, meta in (await admin.list_consumer_group_offsets(group)).items()}
            behind = sum(max(end - committed.get(tp, 0), 0) for tp, end in ends.items() if end > 0)
            if behind == 0:
                return
            assert time.monotonic() < deadline, f"notifications still {behind} events behind after {timeout} s"
            await asyncio.sleep(0.5)
    finally:
        await consumer.stop()
        await admin.close()


async def eventually(probe: Callable[[], Any], *, timeout: float = 60, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = await probe()
        if result:
            return result
        await asyncio.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout} s")


@asynccontextmanager
async def bus_tail(infra, topic: str) -> AsyncIterator[Callable]:
    """Everything published on `topic` from now on, read as the operator; `await seen(pred)` returns
    every envelope read so far once one satisfies `pred`."""
    consumer = AIOKafkaConsumer(**infra.kafka_kwargs("operator"), enable_auto_commit=False)
    await consumer.start()
    seen: list[Envelope] = []
    try:
        declared = next(t for t in all_topics() if t.name == topic)
        partitions = [TopicPartition(topic, p) for p in range(declared.partitions)]
        consumer.assign(partitions)
        for partition, offset in (await consumer.end_offsets(partitions)).items():
            consumer.seek(partition, offset)

        async def until(predicate: Callable[[Envelope], bool], timeout: float = 60) -> list[Envelope]:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if any(predicate(e) for e in seen):
                    return seen
                for records in (await consumer.getmany(timeout_ms=300)).values():
                    seen.extend(envelopes(r.value for r in records))
            raise AssertionError(f"no matching event on {topic} within {timeout} s")

        yield until
    finally:
        await consumer.stop()


async def publish_as_admin(infra, topic: str, envelope: Envelope) -> None:
    """For events of services built in parallel (assessment): the fixtures' admin writes them."""
    producer = AIOKafkaProducer(**infra.kafka_kwargs("admin"), enable_idempotence=True, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, envelope.to_bytes(), key=str(envelope.client_id).encode())
    finally:
        await producer.stop()


async def register(intake_url: str, token: str, path: str, body: dict) -> str:
    async with httpx.AsyncClient(base_url=intake_url, timeout=30) as http:
        resp = await http.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code in (200, 201), resp.text
    return resp.json()["client_id"]


async def rows(pool: asyncpg.Pool, client_id: str) -> list[asyncpg.Record]:
    return await pool.fetch("SELECT * FROM notifications WHERE client_id = $1 ORDER BY created_at", client_id)


def sms_for(gateway: smsgateway.Gateway, reference: str) -> list[dict]:
    return [m for m in gateway.messages if m["reference"] == reference]


def newcomer_notice(person) -> dict:
    today = today_in_finland()
    return {"source": "municipal_newcomer_notice", "home_municipality": person.home_municipality,
            "first_permit_date": (today - timedelta(days=200)).isoformat(),
            "native_language": person.languages[0], "moved_in_on": (today - timedelta(days=3)).isoformat(),
            "person": person.personal_data()}


def jobseeker(person) -> dict:
    today = today_in_finland()
    return {"source": "employment_region_jobseeker", "home_municipality": person.home_municipality,
            "first_permit_date": (today - timedelta(days=200)).isoformat(),
            "registered_on": today.isoformat(), "service_point": "hanko", "person": person.personal_data()}


def interview_booked(client_id: str, at: datetime, *, interpreter: bool = True) -> Envelope:
    event = InitialInterviewScheduled(interview_id=uuid.uuid4(), assessment_id=uuid.uuid4(), scheduled_at=at,
                                      place="ekenas", responsible_organisation="employment-region", due_on=at.date(),
                                      due_rule="R9", cancellation_instructions_given=True, language="uk",
                                      interpreter=interpreter)
    return Envelope.wrap(event, producer="assessment", organisation="employment-region", actor="officer-12",
                         client_id=uuid.UUID(client_id), correlation_id=uuid.uuid4())
