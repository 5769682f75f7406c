"""Intake against the real PostgreSQL and Kafka: its database pool, and the service itself served
over HTTP by uvicorn on a free port, in this test process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from backbone import auth, db
from backbone.app import RUNTIME_MIGRATIONS
from intake.bootstrap import MIGRATIONS, build
from intake.config import IntakeSettings
from tests.support.processes import free_port
from tests.support.serving import serving as support_serving
from tests.support.serving import tail

__all__ = ["free_port", "tail"]  # the intake tests import them from here


def intake_settings(infra, port: int) -> IntakeSettings:
    """The settings `python -m intake` would read from `infra.service_env`, passed in directly."""
    env = infra.service_env("intake", port)
    return IntakeSettings(**{name.removeprefix("INTAKE_").lower(): value for name, value in env.items()})


@pytest.fixture(scope="session")
async def intake_db(infra) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(infra.dsn("intake"), min_size=1, max_size=6)
    await db.migrate(pool, RUNTIME_MIGRATIONS, prefix="backbone/")
    await db.migrate(pool, MIGRATIONS, prefix="intake/")
    yield pool
    await pool.close()


@asynccontextmanager
async def serving(settings: IntakeSettings) -> AsyncIterator[str]:
    """Intake built from `settings` and served by uvicorn in this process; yields its base URL."""
    async with support_serving(build(settings), settings.http_port, "intake") as url:
        yield url


@pytest.fixture(scope="module")  # stopped after its module: its relay should not outlive the tests using it
async def intake_url(infra) -> AsyncIterator[str]:
    async with serving(intake_settings(infra, free_port())) as url:
        yield url


@pytest.fixture(scope="session")
async def tokens(intake_db) -> Callable[[str, str], str]:
    """`tokens(principal, role)`: a bearer token of a credential issued in intake's database (cached)."""
    issued: dict[tuple[str, str], str] = {}

    async def _issue(principal: str, role: str) -> str:
        if (principal, role) not in issued:
            async with intake_db.acquire() as conn:
                credential = await auth.issue(conn, principal=principal, role=role, label="intake tests",
                                              now=datetime.now(UTC), expires_at=datetime.now(UTC) + timedelta(days=1))
            issued[principal, role] = credential.token
        return issued[principal, role]

    return _issue


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
