"""Notifications against real Kafka and PostgreSQL, intake running as a process, and deploy's local
SMTP server and SMS gateway on free ports (so each test run owns what they receive)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from backbone import auth
from services.notifications.tests.integration.support import (
    DaytimeClock,
    local_gateway,
    local_mail,
    notifications_app,
    notifications_settings,
)
from tests.support.processes import ServiceProcess


@pytest.fixture(scope="module")
def intake_process(infra, tmp_path_factory) -> ServiceProcess:
    proc = ServiceProcess.start(infra, "intake", tmp_path_factory.mktemp("intake-logs"))
    try:
        proc.wait_ready()
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="module")
async def intake_tokens(infra, intake_process) -> Callable:
    pool = await asyncpg.create_pool(infra.dsn("intake"), min_size=1, max_size=2)
    issued: dict[tuple[str, str], str] = {}

    async def token(principal: str, role: str = "officer") -> str:
        if (principal, role) not in issued:
            credential = await auth.issue(pool, principal=principal, role=role, label="notifications tests",
                                          now=datetime.now(UTC), expires_at=datetime.now(UTC) + timedelta(days=1))
            issued[principal, role] = credential.token
        return issued[principal, role]

    yield token
    await pool.close()


@pytest.fixture(scope="module")
async def mail(tmp_path_factory) -> AsyncIterator[tuple[int, object]]:
    folder = tmp_path_factory.mktemp("mail")
    async with local_mail(folder) as port:
        yield port, folder


@pytest.fixture(scope="module")
async def gateway(infra) -> AsyncIterator[tuple[str, object]]:
    keys = infra.secrets["notifications"]
    async with local_gateway(keys["sms_api_key"], keys["sms_callback_secret"]) as served:
        yield served


@pytest.fixture(scope="module")
def clock() -> DaytimeClock:
    return DaytimeClock()


@pytest.fixture(scope="module")
def notifications_overrides() -> dict:
    """Settings a test module gives notifications besides the fixtures' (retry timings, for one)."""
    return {}


@pytest.fixture(scope="module")
async def notifications(infra, intake_process, mail, gateway, clock, notifications_overrides) -> AsyncIterator[str]:
    settings = notifications_settings(infra, intake_url=intake_process.url, smtp_port=mail[0], sms_url=gateway[0],
                                      **notifications_overrides)
    async with notifications_app(settings, clock, infra) as url:
        yield url


@pytest.fixture(scope="module")
async def notifications_db(infra) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(infra.dsn("notifications"), min_size=1, max_size=3)
    yield pool
    await pool.close()
