"""Intake against the real PostgreSQL and Kafka: its database pool, and the service itself served
over HTTP by uvicorn on a free port, in this test process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg
import httpx
import pytest

from backbone import auth, db
from backbone.app import RUNTIME_MIGRATIONS
from services.intake.tests.factories import PATHS, SENDERS, body
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
    async with support_serving(build(settings), settings.http_port, "intake", settings=settings) as url:
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


@pytest.fixture
async def http(intake_url):
    async with httpx.AsyncClient(base_url=intake_url, timeout=30) as client:
        yield client


@pytest.fixture
async def as_(http, tokens):
    """`await as_(principal, role)`: headers authenticating as that principal and role."""
    async def headers(principal: str, role: str = "system") -> dict[str, str]:
        return bearer(await tokens(principal, role))
    return headers


async def register(http, as_, source: str, person=None, sender: str | None = None, **overrides) -> httpx.Response:
    return await http.post(PATHS[source], json=body(source, person, **overrides),
                           headers=await as_(sender or SENDERS[source]))


async def patch_person(http, client_id: str, headers: dict, changes: dict) -> httpx.Response:
    """Change the person's data as an officer does: read it (for its ETag), then PATCH with If-Match."""
    read = await http.get(f"/clients/{client_id}/personal-data", headers={**headers, "X-Purpose": "correction"})
    return await http.patch(f"/clients/{client_id}/personal-data", json=changes,
                            headers={**headers, "If-Match": read.headers.get("etag", '"none"')})


async def stream_types(intake_db, client_id) -> list[str]:
    rows = await intake_db.fetch("SELECT type FROM event_store WHERE stream_id = $1 ORDER BY version", UUID(client_id))
    return [r["type"] for r in rows]
