"""Planning against the real PostgreSQL and Kafka: its database and the service served over HTTP by uvicorn in
this test process (events from the services planning consumes: the `publish` fixture, tests/support/route_tables.py)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
import uvicorn
from aiokafka import AIOKafkaConsumer, TopicPartition

from backbone import auth, db, parts
from backbone.app import RUNTIME_MIGRATIONS
from contracts.envelope import Envelope
from contracts.topics import event_topic
from planning.bootstrap import MIGRATIONS, build
from planning.config import PlanningSettings
from services.planning.tests.events import completed
from tests.support.events import registered
from tests.support.processes import free_port
from tests.support.events import envelopes


CATCH_UP_S = 300


def planning_settings(infra, port: int, **overrides: Any) -> PlanningSettings:
    """The settings `python -m planning` would read from `infra.service_env`, passed in directly."""
    env = infra.service_env("planning", port)
    values = {name.removeprefix("PLANNING_").lower(): value for name, value in env.items()}
    return PlanningSettings(**{**values, **overrides})


@pytest.fixture(scope="session")
async def planning_db(infra) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(infra.dsn("planning"), min_size=1, max_size=6)
    await db.migrate(pool, RUNTIME_MIGRATIONS, prefix="backbone/")
    for part in (parts.CLIENT_VIEW, parts.CLIENT_KEYS):
        await db.migrate(pool, part, prefix=f"backbone/{part.name}/")
    await db.migrate(pool, MIGRATIONS, prefix="planning/")
    yield pool
    await pool.close()


@asynccontextmanager
async def serving(settings: PlanningSettings, clock=None) -> AsyncIterator[str]:
    server = uvicorn.Server(uvicorn.Config(build(settings, clock=clock), host="127.0.0.1", port=settings.http_port,
                                           log_config=None, lifespan="on"))
    task = asyncio.create_task(server.serve())
    deadline = time.monotonic() + 90
    while not server.started:
        if task.done():
            task.result()
        assert time.monotonic() < deadline, "planning did not start within 90 s"
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{settings.http_port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture(scope="module")
async def planning_url(infra, planning_db) -> AsyncIterator[str]:
    async with serving(planning_settings(infra, free_port(), deadline_check_interval_s=3600)) as url:
        yield url


@pytest.fixture(scope="session")
async def planning_tokens(planning_db) -> Callable[[str, str], Awaitable[str]]:
    issued: dict[tuple[str, str], str] = {}

    async def _issue(principal: str, role: str = "officer") -> str:
        if (principal, role) not in issued:
            async with planning_db.acquire() as conn:
                credential = await auth.issue(conn, principal=principal, role=role, label="planning tests",
                                              now=datetime.now(UTC), expires_at=datetime.now(UTC) + timedelta(days=1))
            issued[principal, role] = credential.token
        return issued[principal, role]

    return _issue


async def eventually(probe: Callable[[], Awaitable[Any]], timeout: float = 120) -> Any:
    """Poll `probe` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if value:
            return value
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.2)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@asynccontextmanager
async def planning_events(infra) -> AsyncIterator[Callable[..., Awaitable[list[Envelope]]]]:
    """Read planning's topic from its current end: enter before acting, then `await wait(client_id, n)` for
    the client's first `n` new envelopes (as the operator, who reads every topic)."""
    consumer = AIOKafkaConsumer(**infra.kafka_kwargs("operator"), enable_auto_commit=False)
    await consumer.start()
    seen: list[Envelope] = []
    try:
        partitions = [TopicPartition(event_topic("planning"), p) for p in range(3)]
        consumer.assign(partitions)
        for partition, offset in (await consumer.end_offsets(partitions)).items():
            consumer.seek(partition, offset)

        async def wait(client_id, n: int, timeout: float = 60) -> list[Envelope]:
            deadline = time.monotonic() + timeout
            while True:
                mine = [e for e in seen if e.client_id == client_id]
                if len(mine) >= n:
                    return mine
                assert time.monotonic() < deadline, f"{len(mine)} of {n} planning events within {timeout} s"
                for records in (await consumer.getmany(timeout_ms=300)).values():
                    seen.extend(envelopes(r.value for r in records))

        yield wait
    finally:
        await consumer.stop()


async def registered_and_assessed(publish, planning_db) -> tuple[uuid.UUID, Envelope, Envelope, uuid.UUID]:
    client_id = uuid.uuid4()
    registration = registered(client_id)
    await publish(registration)
    assessment = completed(client_id, registration)
    await publish(assessment)

    async def opened():
        return await planning_db.fetchval("SELECT plan_id FROM plans WHERE client_id = $1", client_id)

    # The first plan a module opens may wait while planning works off the intake backlog the rest of the
    # suite wrote (its client view applies every registration first): minutes on a busy 2-core machine.
    return client_id, registration, assessment, await eventually(opened, timeout=CATCH_UP_S)
