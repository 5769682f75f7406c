"""Read-only queries for operators and tools; they return ids, codes and counts, never personal data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from intake.service_layer.ports import UnitOfWork


@dataclass(frozen=True)
class StreamEntry:
    version: int
    type: str
    schema_version: int
    event_id: UUID
    recorded_at: datetime


async def client_count(uow: UnitOfWork) -> int:
    async with uow:
        return await uow.clients.count()


async def client_events(uow: UnitOfWork, client_id: UUID) -> list[StreamEntry]:
    """The client's stream, oldest first: which events, at which versions (payloads left out)."""
    async with uow:
        stored = await uow.events.read(client_id)
    return [StreamEntry(s.version, s.envelope.type, s.envelope.schema_version, s.envelope.event_id,
                        s.envelope.recorded_at) for s in stored]
