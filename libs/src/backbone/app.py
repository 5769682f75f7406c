"""The app factory every service uses: FastAPI + FastStream on one event loop.

It owns the process's resources (database pool, Kafka producer, relay and consumer tasks),
applies the runtime's and the service's migrations at start, answers `/healthz` (the process
lives) and `/readyz` (its dependencies answer, its background tasks run and no consumer's partition
is paused on a message that cannot be applied yet: 503 with the reasons otherwise), answers
`POST /admin/dead-letters/redrive` (backbone.redrive), serves its documentation pages offline
(backbone.docs), and releases everything on shutdown (uvicorn turns SIGTERM into a graceful
shutdown). Stopping mid-batch loses nothing: an uncommitted transaction rolls back and its offset
was never committed, and the relay's cursor moves only after Kafka acknowledged.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import asyncpg
import structlog
from aiokafka import AIOKafkaProducer
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from faststream.kafka.fastapi import KafkaRouter
from pydantic import BaseModel, ConfigDict, Field

from backbone import db, docs
from backbone.auth import Caller, authenticated
from backbone.errors import EventTooLarge
from backbone.inbox import InboxConsumer, Subscription
from backbone.kafka import aiokafka_kwargs, faststream_security, wait_for_kafka
from backbone.redrive import DeadLetterNotFound, NotRedrivable, RedriveUnavailable, Redriver
from backbone.relay import Relay
from backbone.scheduler import Scheduled, run_periodically
from backbone.settings import ServiceSettings
from contracts.asyncapi import document as asyncapi_document
from contracts.topics import PRODUCING_SERVICES, SERVICES, dead_letter_topic, event_topic

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
    subscriptions: tuple[Subscription, ...] = ()
    redriver: Redriver | None = None
    restarts: dict[str, int] = field(default_factory=dict)  # background task name -> times restarted
    on_startup: Hook | None = None  # the service's own start-up hook; the redrive command runs it too

    def problems(self) -> list[str]:
        """Why the service is not keeping up right now: paused partitions, without any values."""
        return [p for c in self.consumers for p in c.problems()]


class RedriveRequest(BaseModel):
    """Strict: an operator's redrive names its dead letter exactly, as JSON numbers (`"0"` is refused)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    partition: int = Field(ge=0, le=10_000, description="The dead letter's partition on the dead-letter topic.")
    offset: int = Field(ge=0, description="The dead letter's offset.")


REDRIVE_SERVICE_CALLERS = ("audit",)
"""Services that may redrive (the operator console in the audit service), besides operators."""


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
    asyncapi: Mapping[str, Any] | None = None,
) -> tuple[FastAPI, ServiceContext]:
    """`parts`: folders of `backbone.parts` whose tables the service uses (client keys, client view);
    `jobs`: periodic jobs, run under an advisory lock so two instances never run one at once;
    `asyncapi`: the service's AsyncAPI document, by default `contracts.asyncapi.document` of the service."""
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
            await _start_background(ctx)
            for job in jobs:
                supervise(ctx, lambda job=job: run_periodically(ctx.pool, job.name, job.interval_s, job.run),
                          f"job:{job.name}")
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
    ctx = ServiceContext(settings=settings, router=router, subscriptions=tuple(subscriptions), on_startup=on_startup)
    app = FastAPI(title=title, docs_url=None, redoc_url=None)  # include_router merges the router's lifespan
    if asyncapi is None and settings.service_name in SERVICES:
        asyncapi = asyncapi_document(settings.service_name, title=title)
    docs.install(app, title=title, asyncapi=asyncapi)  # /docs, /redoc, /asyncapi with assets from the service
    app.include_router(router)
    docs.strip_faststream_pages(router, own_document=asyncapi is not None)
    app.state.context = ctx

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": settings.service_name}

    @app.get("/readyz", tags=["operations"])
    async def readyz() -> JSONResponse:
        checks = {"database": await _database_ok(ctx), "kafka": await router.broker.ping(timeout=2.0)}
        if ctx.tasks:
            checks["workers"] = all(not t.done() for t in ctx.tasks)
        problems = ctx.problems()
        if ctx.consumers:
            checks["consumers"] = not problems
        ok = all(checks.values())
        body: dict[str, Any] = {"status": "ready" if ok else "not ready", "checks": checks}
        if problems:
            body["reasons"] = problems
        return JSONResponse(body, status_code=200 if ok else 503)

    @app.post("/admin/dead-letters/redrive", tags=["operations"])
    async def redrive(body: RedriveRequest,
                      caller: Annotated[Caller, Depends(authenticated("operator", "service"))]) -> dict[str, Any]:
        """Apply one of this service's dead letters again after a fix (backbone.redrive): operators and
        the audit service's operator console. 200 with the outcome, 404 when there is no such dead
        letter, 409 when it cannot be redriven, 503 when it cannot be applied right now."""
        if caller.role == "service" and caller.principal not in REDRIVE_SERVICE_CALLERS:
            raise HTTPException(403, f"service {caller.principal} may not redrive; allowed: operator, "
                                     f"service {', '.join(REDRIVE_SERVICE_CALLERS)}")
        if ctx.redriver is None:
            raise HTTPException(503, "the service is starting; try again shortly", headers={"Retry-After": "5"})
        try:
            done = await ctx.redriver.redrive(body.partition, body.offset, actor=f"{caller.role}:{caller.actor}")
        except DeadLetterNotFound as exc:
            raise HTTPException(404, str(exc)) from None
        except NotRedrivable as exc:
            raise HTTPException(409, str(exc)) from None
        except RedriveUnavailable as exc:
            raise HTTPException(503, str(exc), headers={"Retry-After": "5"}) from None
        return {"outcome": done.outcome, "reason": done.reason, "partition": done.partition, "offset": done.offset,
                "redrives": done.redrives}

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        """A 422 that names the field and the problem, never the value (FastAPI's own echoes the input back;
        found by the HTTP fuzzing). A service may install its own handler over this one."""
        return JSONResponse({"detail": jsonable_encoder(without_values(exc.errors()))}, status_code=422)

    @app.exception_handler(EventTooLarge)
    async def event_too_large(_: Request, exc: EventTooLarge) -> JSONResponse:
        return JSONResponse({"detail": [{"loc": ["body"], "msg": exc.reason, "type": "refused", "rule": exc.rule}]},
                            status_code=413)

    return app, ctx


def without_values(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Validation errors as where and what, without the input or its context (which may quote the value)."""
    return [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in errors]


async def _start_background(ctx: ServiceContext) -> None:
    s = ctx.settings
    ctx.producer = AIOKafkaProducer(**aiokafka_kwargs(s), enable_idempotence=True, acks="all", linger_ms=2)
    await ctx.producer.start()
    if s.service_name in PRODUCING_SERVICES:
        relay = ctx.relay = Relay(ctx.pool, ctx.producer, service=s.service_name, topic=event_topic(s.service_name),
                                  kafka=aiokafka_kwargs(s))
        supervise(ctx, relay.run, "relay")
    attach_consumers(ctx)
    for consumer in ctx.consumers:
        supervise(ctx, consumer.run, f"consumer:{consumer.sub.name}")


def attach_consumers(ctx: ServiceContext) -> Redriver:
    """One inbox consumer per subscription on the context's pool and producer, and the redriver that
    feeds dead letters back through them."""
    s = ctx.settings
    ctx.consumers = [InboxConsumer(ctx.pool, ctx.producer, aiokafka_kwargs(s), service=s.service_name,
                                   subscription=sub, dead_letter_topic=dead_letter_topic(s.service_name))
                     for sub in ctx.subscriptions]
    ctx.redriver = Redriver(pool=ctx.pool, kafka=aiokafka_kwargs(s), service=s.service_name,
                            dead_letter_topic=dead_letter_topic(s.service_name), consumers=ctx.consumers)
    return ctx.redriver


def supervise(ctx: ServiceContext, work: Callable[[], Awaitable[None]], name: str, *,
              max_delay_s: float = 30.0) -> asyncio.Task:
    """Run `work()` as long as the service runs: if it ever ends or dies (a bug, an error nobody
    expected), log it and start it again with backoff, instead of leaving it dead until a restart."""

    async def supervisor() -> None:
        delay = 0.5
        log = structlog.get_logger()
        while True:
            started = asyncio.get_running_loop().time()
            try:
                await work()
                log.error("background task ended, restarting", task=name, delay_s=delay)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - whatever it was, the task must run again
                log.error("background task died, restarting", task=name, error=type(exc).__name__, delay_s=delay)
            ctx.restarts[name] = ctx.restarts.get(name, 0) + 1
            if asyncio.get_running_loop().time() - started > 60:
                delay = 0.5  # it ran a good while: a new fault, not the same one again
            await asyncio.sleep(delay)
            delay = min(delay * 2, max_delay_s)

    task = asyncio.create_task(supervisor(), name=name)
    task.add_done_callback(_report_end)
    ctx.tasks.append(task)
    return task


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
