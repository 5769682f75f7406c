"""Assessment against the real PostgreSQL and Kafka, next to a real intake: both served over HTTP by
uvicorn in this test process, each with its own database and credentials."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from backbone import auth, db, parts
from backbone.app import RUNTIME_MIGRATIONS
from assessment.bootstrap import MIGRATIONS, build
from assessment.config import AssessmentSettings
from services.intake.tests.integration.conftest import intake_settings
from services.intake.tests.integration.conftest import serving as serving_intake
from tests.support.processes import free_port
from tests.support.serving import serving
from tests.support.system import skip_backlog


def assessment_settings(infra, port: int, **overrides: Any) -> AssessmentSettings:
    """The settings `python -m assessment` would read from `infra.service_env`, passed in directly."""
    env = infra.service_env("assessment", port)
    values = {name.removeprefix("ASSESSMENT_").lower(): value for name, value in env.items()}
    return AssessmentSettings(**{**values, **overrides})


@pytest.fixture(scope="session")
async def assessment_db(infra) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(infra.dsn("assessment"), min_size=1, max_size=6)
    await db.migrate(pool, RUNTIME_MIGRATIONS, prefix="backbone/")
    for part in (parts.CLIENT_VIEW, parts.CLIENT_KEYS):
        await db.migrate(pool, part, prefix=f"backbone/{part.name}/")
    await db.migrate(pool, MIGRATIONS, prefix="assessment/")
    yield pool
    await pool.close()


@pytest.fixture(scope="module")
async def services(infra) -> AsyncIterator[tuple[str, str]]:
    """(intake's URL, assessment's URL), both running for the module, assessment from the topic's end."""
    await skip_backlog(infra, "assessment")  # the other tests' events on intake's topic are not this module's
    settings = assessment_settings(infra, free_port())
    async with serving_intake(intake_settings(infra, free_port())) as intake_url:
        async with serving(build(settings), settings.http_port, "assessment") as assessment_url:
            yield intake_url, assessment_url


async def _issue(pool: asyncpg.Pool, principal: str, role: str, label: str) -> str:
    async with pool.acquire() as conn:
        credential = await auth.issue(conn, principal=principal, role=role, label=label, now=datetime.now(UTC),
                                      expires_at=datetime.now(UTC) + timedelta(days=1))
    return credential.token


@pytest.fixture(scope="session")
async def intake_pool(infra) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(infra.dsn("intake"), min_size=1, max_size=3)
    await db.migrate(pool, RUNTIME_MIGRATIONS, prefix="backbone/")
    yield pool
    await pool.close()


@pytest.fixture(scope="session")
async def tokens(assessment_db, intake_pool) -> Callable:
    """`await tokens(service, principal, role)`: a bearer token issued in that service's database (cached)."""
    issued: dict[tuple[str, str, str], str] = {}
    pools = {"assessment": assessment_db, "intake": intake_pool}

    async def get(service: str, principal: str, role: str = "officer") -> str:
        key = (service, principal, role)
        if key not in issued:
            issued[key] = await _issue(pools[service], principal, role, "assessment tests")
        return issued[key]

    return get


def call(method: str, url: str, token: str, body: dict | None = None) -> tuple[int, Any]:
    """One HTTP request; (status, decoded JSON body)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


async def acall(method: str, url: str, token: str, body: dict | None = None) -> tuple[int, Any]:
    return await asyncio.to_thread(call, method, url, token, body)


async def eventually(probe: Callable, timeout: float = 60, interval: float = 0.2) -> Any:
    """Await `probe()` until it returns something truthy; its last answer otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        result = await probe()
        if result or time.monotonic() > deadline:
            return result
        await asyncio.sleep(interval)
