"""Guidance against the real PostgreSQL and Kafka: served over HTTP by uvicorn in this process, with
intake's and planning's events published on their real topics by their own principals."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import asyncpg
import httpx
import pytest
import uvicorn
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from backbone import auth
from contracts.envelope import Envelope
from contracts.events.base import Event
from contracts.events.intake import ClientRegistered
from contracts.events.planning import PlanIssued
from contracts.topics import event_topic
from guidance.bootstrap import build
from guidance.config import GuidanceSettings
from contracts.topics import all_topics
from tests.support.processes import free_port
from tests.support.events import envelopes


def guidance_settings(infra, port: int) -> GuidanceSettings:
    env = infra.service_env("guidance", port)
    return GuidanceSettings(**{name.removeprefix("GUIDANCE_").lower(): value for name, value in env.items()},
                            jobs_interval_s=3600)


@asynccontextmanager
async def serving(settings: GuidanceSettings) -> AsyncIterator[tuple[str, object]]:
    app = build(settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=settings.http_port, log_config=None,
                                           lifespan="on"))
    task = asyncio.create_task(server.serve())
    deadline = time.monotonic() + 90
    while not server.started:
        if task.done():
            task.result()
        assert time.monotonic() < deadline, "guidance did not start within 90 s"
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{settings.http_port}", app
    finally:
        server.should_exit = True
        await task


@dataclass
class Guidance:
    url: str
    app: object
    pool: asyncpg.Pool
    tokens: dict

    @property
    def deps(self):
        return self.app.state.deps

    async def as_(self, principal: str, role: str) -> dict[str, str]:
        if (principal, role) not in self.tokens:
            credential = await auth.issue(self.pool, principal=principal, role=role, label="guidance tests",
                                          now=datetime.now(UTC), expires_at=datetime.now(UTC) + timedelta(days=1))
            self.tokens[principal, role] = credential.token
        return {"Authorization": f"Bearer {self.tokens[principal, role]}"}


@pytest.fixture(scope="module")
async def guidance(infra) -> AsyncIterator[Guidance]:
    async with serving(guidance_settings(infra, free_port())) as (url, app):
        pool = await asyncpg.create_pool(infra.dsn("guidance"), min_size=1, max_size=4)
        try:
            await caught_up(infra, pool)
            yield Guidance(url, app, pool, {})
        finally:
            await pool.close()


async def caught_up(infra, pool: asyncpg.Pool, timeout: float = 600) -> None:
    """Wait until guidance has worked through what other tests left on intake's and planning's topics since
    it last ran: a marker sent to every partition of both has been applied."""
    clients, plans = [], []
    for topic, markers in ((event_topic("intake"), clients), (event_topic("planning"), plans)):
        producer = AIOKafkaProducer(**infra.kafka_kwargs(topic.split(".")[1]), enable_idempotence=True, acks="all")
        await producer.start()
        try:
            for partition in range(next(t for t in all_topics() if t.name == topic).partitions):
                client_id = uuid.uuid4()
                marker = registered(client_id) if markers is clients else plan_issued(client_id, uuid.uuid4())
                await producer.send_and_wait(topic, marker.to_bytes(), key=marker.key(), partition=partition)
                markers.append(client_id)
        finally:
            await producer.stop()
    await eventually(lambda: _applied(pool, clients, plans), timeout=timeout)


async def _applied(pool: asyncpg.Pool, clients: list[uuid.UUID], plans: list[uuid.UUID]) -> bool:
    seen = await pool.fetchval("SELECT count(*) FROM client_view WHERE client_id = ANY($1::uuid[])", clients)
    planned = await pool.fetchval("SELECT count(*) FROM plans WHERE client_id = ANY($1::uuid[])", plans)
    return seen == len(clients) and planned == len(plans)


@pytest.fixture
async def http(guidance) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=guidance.url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
async def bus(infra) -> AsyncIterator[Callable[[str, Envelope], Awaitable[None]]]:
    """`await bus(producer, envelope)`: publish on the producer's event topic as that principal."""
    producers: dict[str, AIOKafkaProducer] = {}

    async def send(service: str, envelope: Envelope) -> None:
        if service not in producers:
            producers[service] = AIOKafkaProducer(**infra.kafka_kwargs(service), enable_idempotence=True, acks="all")
            await producers[service].start()
        await producers[service].send_and_wait(event_topic(service), envelope.to_bytes(), key=envelope.key())

    yield send
    for producer in producers.values():
        await producer.stop()


def envelope(event: Event, client_id: uuid.UUID, *, organisation: str = "raseborg",
             occurred_at: datetime | None = None) -> Envelope:
    return Envelope.wrap(event, producer=event.PRODUCER, organisation=organisation, actor="officer-17",
                         client_id=client_id, correlation_id=uuid.uuid4(), occurred_at=occurred_at)


def registered(client_id: uuid.UUID, *, organisation: str = "raseborg", jobseeker: bool = False,
               languages: tuple[str, ...] = ("ar", "en")) -> Envelope:
    return envelope(ClientRegistered(
        client_id=client_id, home_municipality="raseborg", languages=languages,
        target_groups=("unemployed_jobseeker",) if jobseeker else ("family_member",),
        window_ends_on=date(2029, 1, 31),
        source="employment_region_jobseeker" if jobseeker else "municipal_newcomer_notice",
        registered_on=date(2026, 6, 24), responsible_organisation=organisation,
        responsibility_reason="registered_jobseeker" if jobseeker else "own_municipal_services",
        registered_jobseeker=jobseeker, luvn_participation_required=False, state="to_be_assessed",
        state_reason="target_group_within_window", state_rule="R2", assessment_due_on=date(2026, 7, 1)), client_id,
        organisation=organisation)


def plan_issued(client_id: uuid.UUID, plan_id: uuid.UUID, *, organisation: str = "raseborg",
                drawn_up: datetime | None = None) -> Envelope:
    drawn_up = drawn_up or datetime.now(UTC)
    day = drawn_up.date()
    return envelope(PlanIssued(plan_id=plan_id, starts_on=day, ends_on=day + timedelta(days=360),
                               responsible_organisation=organisation, goals=("language_skills",),
                               luvn_participation=False), client_id, organisation=organisation, occurred_at=drawn_up)


async def eventually(check: Callable[[], Awaitable[object]], timeout: float = 60) -> object:
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.1)


@pytest.fixture
async def client_of(guidance, bus):
    """`await client_of(...)`: a client registered through intake's topic and known to guidance."""

    async def make(**kwargs) -> uuid.UUID:
        client_id = uuid.uuid4()
        await bus("intake", registered(client_id, **kwargs))
        await eventually(lambda: guidance.pool.fetchval("SELECT true FROM client_view WHERE client_id = $1",
                                                        client_id))
        return client_id

    return make


@pytest.fixture
async def plan_of(guidance, bus):
    async def make(client_id: uuid.UUID, **kwargs) -> uuid.UUID:
        plan_id = uuid.uuid4()
        await bus("planning", plan_issued(client_id, plan_id, **kwargs))
        await eventually(lambda: guidance.pool.fetchval("SELECT true FROM plans WHERE plan_id = $1", plan_id))
        return plan_id

    return make


async def published(infra, client_ids: set[uuid.UUID], *, until: Callable[[list[Envelope]], bool],
                    timeout: float = 60) -> list[Envelope]:
    """Guidance's envelopes for `client_ids` on its topic, from the beginning, once `until` holds for them."""
    topic = event_topic("guidance")
    partitions = [TopicPartition(topic, p) for p in range(next(t for t in all_topics() if t.name == topic).partitions)]
    consumer = AIOKafkaConsumer(**infra.kafka_kwargs("operator"), enable_auto_commit=False, group_id=None)
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        found: list[Envelope] = []
        deadline = time.monotonic() + timeout
        while not until(found):
            assert time.monotonic() < deadline, f"guidance's events did not arrive in time: {[e.type for e in found]}"
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for env in envelopes(r.value for r in records):
                    if env.client_id in client_ids:
                        found.append(env)
        return found
    finally:
        await consumer.stop()
