"""The app factory every service uses: FastAPI + FastStream on one event loop.

It owns the process's resources (database pool, Kafka broker), applies the service's migrations
at start, answers `/healthz` (the process lives) and `/readyz` (its dependencies answer), and
releases everything on shutdown (uvicorn turns SIGTERM into a graceful shutdown).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from faststream.kafka.fastapi import KafkaRouter

from backbone import db
from backbone.kafka import faststream_security, wait_for_kafka
from backbone.settings import ServiceSettings


@dataclass
class ServiceContext:
    """What a running service holds; handed to the service's own start-up hook."""

    settings: ServiceSettings
    router: KafkaRouter
    pool: asyncpg.Pool | None = None
    extra: dict[str, Any] = field(default_factory=dict)


Hook = Callable[[ServiceContext], Awaitable[None]]


def create_service_app(
    settings: ServiceSettings,
    *,
    title: str,
    migrations: Path | None = None,
    on_startup: Hook | None = None,
    on_shutdown: Hook | None = None,
) -> tuple[FastAPI, ServiceContext]:
    log = structlog.get_logger().bind(service=settings.service_name)
    ctx: ServiceContext

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        ctx.pool = await db.create_pool(settings.database_url.get_secret_value(), max_size=settings.db_pool_max,
                                        timeout=settings.startup_timeout_s)
        if migrations is not None:
            await db.migrate(ctx.pool, migrations)
        await wait_for_kafka(settings, settings.startup_timeout_s)
        if on_startup is not None:
            await on_startup(ctx)
        log.info("service started", port=settings.http_port)
        try:
            yield  # the router starts the broker after this point and stops it before we resume
        finally:
            if on_shutdown is not None:
                await on_shutdown(ctx)
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

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": settings.service_name}

    @app.get("/readyz", tags=["operations"])
    async def readyz(request: Request) -> JSONResponse:
        checks = {"database": await _database_ok(ctx), "kafka": await router.broker.ping(timeout=2.0)}
        ok = all(checks.values())
        return JSONResponse({"status": "ready" if ok else "not ready", "checks": checks}, status_code=200 if ok else 503)

    return app, ctx


async def _database_ok(ctx: ServiceContext) -> bool:
    if ctx.pool is None:
        return False
    try:
        async with ctx.pool.acquire(timeout=2) as conn:
            return await conn.fetchval("SELECT 1", timeout=2) == 1
    except Exception:  # noqa: BLE001 - any failure means "not ready"
        return False
