"""The ports the service layer needs; `intake.adapters` implements them (PostgreSQL and in memory)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol
from uuid import UUID

from backbone.eventstore import StoredEvent
from contracts.envelope import Envelope
from intake.domain.model import Client, PersonalDetails


class ClientVault(Protocol):
    """Intake's store of clients and their personal data; the only place personal data is kept."""

    async def add(self, client: Client, personal: PersonalDetails, *, created_at: datetime) -> None:
        """Store a new client; the unit of work's commit makes it durable."""

    async def count(self) -> int:
        """How many clients are stored."""


class EventStream(Protocol):
    """Intake's event store, which is also its outbox: what is committed here reaches Kafka."""

    async def append(self, stream_id: UUID, expected_version: int, envelopes: Sequence[Envelope]) -> int:
        """Append after `expected_version` (0 = new stream); raise `ConcurrencyError` if it moved on."""

    async def read(self, stream_id: UUID) -> list[StoredEvent]:
        """The stream's events, oldest first."""


class UnitOfWork(Protocol):
    """One transaction: `async with uow:` opens it; only `commit()` keeps the work, leaving rolls back."""

    clients: ClientVault
    events: EventStream

    async def __aenter__(self) -> UnitOfWork: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def commit(self) -> None: ...


class Clock(Protocol):
    """The time: `now()` is timezone-aware; `today()` is the date in Finland."""

    def now(self) -> datetime: ...

    def today(self) -> date: ...
