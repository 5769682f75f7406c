"""The same ports in memory, for unit tests and demos; the contract tests hold it to the PostgreSQL behaviour."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from backbone.errors import ConcurrencyError
from backbone.eventstore import StoredEvent
from contracts.envelope import Envelope
from intake.domain.model import Client, PersonalDetails


@dataclass
class InMemoryStore:
    """What a database would hold: clients with their personal data, and event streams."""

    clients: dict[UUID, tuple[Client, PersonalDetails, datetime]] = field(default_factory=dict)
    streams: dict[UUID, list[StoredEvent]] = field(default_factory=dict)


class InMemoryClientVault:
    def __init__(self, store: InMemoryStore, staged: InMemoryStore) -> None:
        self.store, self.staged = store, staged

    async def add(self, client: Client, personal: PersonalDetails, *, created_at: datetime) -> None:
        if client.id in self.store.clients or client.id in self.staged.clients:
            raise KeyError(f"client {client.id} exists")
        self.staged.clients[client.id] = (client, personal, created_at)

    async def count(self) -> int:
        return len(self.store.clients) + len(self.staged.clients)


class InMemoryEventStream:
    def __init__(self, store: InMemoryStore, staged: InMemoryStore) -> None:
        self.store, self.staged = store, staged

    async def append(self, stream_id: UUID, expected_version: int, envelopes: Sequence[Envelope]) -> int:
        current = len(await self.read(stream_id))
        if current != expected_version:
            raise ConcurrencyError(stream_id, expected_version, current)
        new = [StoredEvent(None, stream_id, expected_version + i, e) for i, e in enumerate(envelopes, start=1)]
        self.staged.streams.setdefault(stream_id, []).extend(new)
        return expected_version + len(envelopes)

    async def read(self, stream_id: UUID) -> list[StoredEvent]:
        return [*self.store.streams.get(stream_id, []), *self.staged.streams.get(stream_id, [])]


class InMemoryUnitOfWork:
    """Stages writes and applies them to the shared store on `commit()`; leaving without it drops them."""

    def __init__(self, store: InMemoryStore) -> None:
        self.store = store

    async def __aenter__(self) -> InMemoryUnitOfWork:
        self._staged = InMemoryStore()
        self.clients = InMemoryClientVault(self.store, self._staged)
        self.events = InMemoryEventStream(self.store, self._staged)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._discard()

    async def commit(self) -> None:
        self.store.clients.update(self._staged.clients)
        for stream_id, events in self._staged.streams.items():
            self.store.streams.setdefault(stream_id, []).extend(events)
        self._discard()

    def _discard(self) -> None:
        self._staged.clients.clear()
        self._staged.streams.clear()
