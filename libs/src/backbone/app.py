"""The app factory every service uses: FastAPI + FastStream on one event loop.

It owns the process's resources (database pool, Kafka producer, relay and consumer tasks),
applies the runtime's and the service's migrations at start, answers `/healthz` (the process
lives) and `/readyz` (its dependencies answer and its background tasks run), and releases
everything on shutdown (uvicorn turns SIGTERM into a graceful shutdown). Stopping mid-batch loses
nothing: an uncommitted transaction rolls back and its offset was never committed, and the relay's
cursor moves only after Kafka acknowledged.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import structlog
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from faststream.kafka.fastapi import KafkaRouter

from backbone import db
from backbone.inbox import InboxConsumer, Subscription
from backbone.kafka import aiokafka_kwargs, faststream_security, wait_for_kafka
from backbone.relay import Relay
from backbone.scheduler import Scheduled, run_periodically
from backbone.settings import ServiceSettings
from contracts.topics import PRODUCING_SERVICES, dead_letter_topic, event_topic

RUNTIME_MIGRATIONS = Path(__file__).with_name("migrations")


@dataclass
class ServiceContext:
    """What a running service holds; handed to the service's own start-up hook."""

    settings: ServiceSettings
    router: KafkaRouter
    pool: asyncpg.Pool | None = None
    producer: AIOKafkaProducer | None = None
    relay: Relay | None = None
    consumers: list[InboxConsumer] = field(default_factory=list)
    tasks: list[asyncio.Task] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


Hook = Callable[[ServiceContext], Awaitable[None]]


def create_service_app(
    settings: ServiceSettings,
    *,
    title: str,
    migrations: Path | None = None,
    subscriptions: Sequence[Subscription] = (),
    on_startup: Hook | None = None,
    on_shutdown: Hook | None = None,
    parts: Sequence[Path] = (),
    jobs: Sequence[Scheduled] = (),
) -> tuple[FastAPI, ServiceContext]:
    """`parts`: folders of `backbone.parts` whose tables the service uses (client keys, client view);
    `jobs`: periodic jobs, run under an advisory lock so two instances never run one at once."""
    log = structlog.get_logger().bind(service=settings.service_name)
    ctx: ServiceContext

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        ctx.pool = await db.create_pool(settings.database_url.get_secret_value(), max_size=settings.db_pool_max,
                                        timeout=settings.startup_timeout_s)
        try:  # a start-up that fails half-way releases what it had opened
            await db.migrate(ctx.pool, RUNTIME_MIGRATIONS, prefix="backbone/")
            for part in parts:
                await db.migrate(ctx.pool, part, prefix=f"backbone/{part.name}/")
            if migrations is not None:
                await db.migrate(ctx.pool, migrations, prefix=f"{settings.service_name}/")
            await wait_for_kafka(settings, settings.startup_timeout_s)
            await _start_background(ctx, subscriptions)
            for job in jobs:
                _run_in_background(ctx, run_periodically(ctx.pool, job.name, job.interval_s, job.run), f"job:{job.name}")
            if on_startup is not None:
                await on_startup(ctx)
            log.info("service started", port=settings.http_port)
            yield  # the router starts the FastStream broker after this point and stops it before we resume
        finally:
            if on_shutdown is not None:
                await on_shutdown(ctx)
            await _stop_background(ctx)
            await ctx.pool.close()
            log.info("service stopped")

    router = KafkaRouter(
        settings.kafka_bootstrap,
        security=faststream_security(settings),
        client_id=settings.service_name,
        enable_idempotence=True,
        acks="all",
        allow_auto_create_topics=False,
        schema_url="/asyncapi",
        lifespan=lifespan,
    )
    ctx = ServiceContext(settings=settings, router=router)
    app = FastAPI(title=title)  # include_router merges the router's lifespan (FastAPI >= 0.112.2)
    app.include_router(router)
    app.state.context = ctx

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": settings.service_name}

    @app.get("/readyz", tags=["operations"])
    async def readyz() -> JSONResponse:
        checks = {"database": await _database_ok(ctx), "kafka": await router.broker.ping(timeout=2.0)}
        if ctx.tasks:
            checks["workers"] = all(not t.done() for t in ctx.tasks)
        ok = all(checks.values())
        return JSONResponse({"status": "ready" if ok else "not ready", "checks": checks}, status_code=200 if ok else 503)

    return app, ctx


async def _start_background(ctx: ServiceContext, subscriptions: Sequence[Subscription]) -> None:
    s = ctx.settings
    ctx.producer = AIOKafkaProducer(**aiokafka_kwargs(s), enable_idempotence=True, acks="all", linger_ms=2)
    await ctx.producer.start()
    if s.service_name in PRODUCING_SERVICES:
        ctx.relay = Relay(ctx.pool, ctx.producer, service=s.service_name, topic=event_topic(s.service_name))
        _run_in_background(ctx, ctx.relay.run(), "relay")
    for sub in subscriptions:
        consumer = InboxConsumer(ctx.pool, ctx.producer, aiokafka_kwargs(s), service=s.service_name,
                                 subscription=sub, dead_letter_topic=dead_letter_topic(s.service_name))
        ctx.consumers.append(consumer)
        _run_in_background(ctx, consumer.run(), f"consumer:{sub.name}")


def _run_in_background(ctx: ServiceContext, work: Awaitable[None], name: str) -> None:
    """A task that must run as long as the service; if it ever ends, the log says so (and `/readyz`
    turns not ready), instead of the failure surfacing only at shutdown."""
    task = asyncio.create_task(work, name=name)
    task.add_done_callback(_report_end)
    ctx.tasks.append(task)


def _report_end(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        structlog.get_logger().error("background task died", task=task.get_name(),
                                     error=type(task.exception()).__name__)


async def _stop_background(ctx: ServiceContext) -> None:
    for task in ctx.tasks:
        task.cancel()
    for task in ctx.tasks:
        with suppress(asyncio.CancelledError, Exception):
            await task
    if ctx.producer is not None:
        await ctx.producer.stop()


async def _database_ok(ctx: ServiceContext) -> bool:
    if ctx.pool is None:
        return False
    try:
        async with ctx.pool.acquire(timeout=2) as conn:
            return await conn.fetchval("SELECT 1", timeout=2) == 1
    except Exception:  # noqa: BLE001 - any failure means "not ready"
        return False
