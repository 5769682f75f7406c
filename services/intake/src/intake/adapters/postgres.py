"""The unit of work on intake's own PostgreSQL database: the vault and the event store share one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import asyncpg

from backbone import eventstore
from backbone.eventstore import StoredEvent
from contracts.envelope import Envelope
from intake.domain.model import Client, PersonalDetails

_INSERT_CLIENT = """
INSERT INTO clients (client_id, name, date_of_birth, email, phone, home_municipality, languages, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
"""


class PostgresClientVault:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def add(self, client: Client, personal: PersonalDetails, *, created_at: datetime) -> None:
        await self.conn.execute(_INSERT_CLIENT, client.id, personal.name, personal.date_of_birth, personal.email,
                                personal.phone, client.home_municipality, list(client.languages), created_at)

    async def count(self) -> int:
        return await self.conn.fetchval("SELECT count(*) FROM clients")


class PostgresEventStream:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def append(self, stream_id: UUID, expected_version: int, envelopes: Sequence[Envelope]) -> int:
        return await eventstore.append(self.conn, stream_id, expected_version, envelopes)

    async def read(self, stream_id: UUID) -> list[StoredEvent]:
        return await eventstore.read_stream(self.conn, stream_id)


class PostgresUnitOfWork:
    """One connection from the pool and one transaction per `async with`; rolled back unless committed."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def __aenter__(self) -> PostgresUnitOfWork:
        self._conn = await self.pool.acquire()
        self._transaction = self._conn.transaction()
        await self._transaction.start()
        self._done = False
        self.clients = PostgresClientVault(self._conn)
        self.events = PostgresEventStream(self._conn)
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            if not self._done:
                await self._transaction.rollback()
        finally:
            await self.pool.release(self._conn)

    async def commit(self) -> None:
        await self._transaction.commit()
        self._done = True
