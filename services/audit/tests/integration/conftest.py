"""Each test gets its own schema in audit's database, so tampering never touches the shared trail."""

from __future__ import annotations

import os
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import pytest

from audit.bootstrap import MIGRATIONS
from audit.domain.chain import Entry
from backbone import db
from backbone.app import RUNTIME_MIGRATIONS


@dataclass
class TrailDb:
    pool: asyncpg.Pool
    schema: str
    dsn: str  # the audit role's DSN, pinned to this schema
    superuser_dsn: str

    async def superuser(self) -> asyncpg.Connection:
        return await asyncpg.connect(self.superuser_dsn)

    def cli_env(self) -> dict[str, str]:
        return {**os.environ, "AUDIT_DATABASE_URL": self.dsn}


def pinned(dsn: str, schema: str) -> str:
    return f"{dsn}?search_path={schema}"  # asyncpg passes unknown DSN parameters on as server settings


async def _schema(infra, unique: str, *, migrated: bool):
    schema = f"audit_test_{unique}"
    owner = await asyncpg.connect(infra.dsn("audit"))
    await owner.execute(f'CREATE SCHEMA "{schema}"')
    pool = await asyncpg.create_pool(pinned(infra.dsn("audit"), schema), min_size=1, max_size=8)
    if migrated:
        await db.migrate(pool, RUNTIME_MIGRATIONS, prefix="backbone/")
        await db.migrate(pool, MIGRATIONS, prefix="audit/")
    try:
        yield TrailDb(pool, schema, pinned(infra.dsn("audit"), schema),
                      pinned(infra.dsn("postgres", database="audit"), schema))
    finally:
        await pool.close()
        await owner.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await owner.close()


@pytest.fixture
async def trail_db(infra, unique):
    async for trail in _schema(infra, unique, migrated=True):
        yield trail


@pytest.fixture
async def empty_db(infra, unique):
    async for trail in _schema(infra, unique, migrated=False):
        yield trail


def entry(**overrides) -> Entry:
    now = datetime.now(UTC)
    fields = dict(event_id=uuid.uuid4(), type="ClientRegistered", schema_version=2, producer="intake",
                  organisation="raseborg", actor="officer-17", client_id=uuid.uuid4(), occurred_at=now,
                  recorded_at=now, topic="integration.intake.v1", partition=0, offset=0,
                  envelope=b'{"payload":{}}', received_at=now)
    fields.update(overrides)
    return Entry(**fields)


PYTHON = sys.executable
