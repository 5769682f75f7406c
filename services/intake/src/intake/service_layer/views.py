"""Read-only queries. Summaries hold codes and ids; personal data is read only through
`personal_data`, and every such read is logged with who read it and why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from intake.adapters.postgres import PostgresUnitOfWork
from intake.adapters.vault import Accessor, ProposedChange, VaultRecord
from intake.domain.errors import NotFound


@dataclass(frozen=True)
class StreamEntry:
    version: int
    type: str
    schema_version: int
    event_id: UUID
    recorded_at: datetime


async def client_count(uow: PostgresUnitOfWork, organisation: str | None) -> int:
    """The caller's own clients (None: every client, for operators)."""
    async with uow:
        return await uow.clients.count(organisation)


async def client_summary(uow: PostgresUnitOfWork, client_id: UUID) -> dict[str, Any]:
    async with uow:
        row = await uow.clients.summary(client_id)
    if row is None:
        raise NotFound("client")
    return dict(row)


async def worklist(uow: PostgresUnitOfWork, organisation: str | None, *, state: str | None, due_by: date | None,
                   limit: int, after: UUID | None) -> list[dict[str, Any]]:
    async with uow:
        return [dict(r) for r in await uow.clients.worklist(organisation, state=state, due_by=due_by, limit=limit,
                                                            after=after)]


async def client_events(uow: PostgresUnitOfWork, client_id: UUID) -> list[StreamEntry]:
    """The client's stream, oldest first: which events, at which versions (payloads left out)."""
    async with uow:
        stored = await uow.clients.events(client_id)
    return [StreamEntry(s.version, s.envelope.type, s.envelope.schema_version, s.envelope.event_id,
                        s.envelope.recorded_at) for s in stored]


async def personal_data(uow: PostgresUnitOfWork, client_id: UUID, accessor: Accessor,
                        fields: tuple[str, ...]) -> VaultRecord:
    """The vault record, with the read logged in the same transaction; NotFound once erased."""
    record, _ = await personal_data_and_revision(uow, client_id, accessor, fields)
    return record


async def personal_data_and_revision(uow: PostgresUnitOfWork, client_id: UUID, accessor: Accessor,
                                     fields: tuple[str, ...]) -> tuple[VaultRecord, int]:
    """The vault record and its revision (the ETag an edit sends back in If-Match), read logged."""
    async with uow:
        record = await uow.vault.read_for(client_id, accessor, fields)
        revision = await uow.vault.revision(client_id)
        await uow.commit()  # the access is logged even when nothing is returned
    if record is None or revision is None:
        raise NotFound("client")
    return record, revision


async def contact_records(uow: PostgresUnitOfWork, reads: list[tuple[UUID, Accessor]],
                          fields: tuple[str, ...]) -> dict[UUID, VaultRecord]:
    """The vault records of several clients in one transaction, each read logged with its own purpose;
    a client whose data is erased (or was never stored) is left out."""
    async with uow:
        found = await uow.vault.read_many_for(reads, fields)
        await uow.commit()  # the accesses are logged even when nothing is returned
    return found


async def proposed_changes(uow: PostgresUnitOfWork, client_id: UUID, accessor: Accessor) -> list[ProposedChange]:
    """The open proposed changes of the person's data; the read is logged like any read of it."""
    async with uow:
        await uow.vault.read_for(client_id, accessor, ("proposed_changes",))
        found = await uow.vault.proposals(client_id)
        await uow.commit()
    return found


async def open_claims(uow: PostgresUnitOfWork, organisation: str | None) -> list[dict[str, Any]]:
    async with uow:
        return [dict(r) for r in await uow.clients.open_claims(organisation)]


async def handovers(uow: PostgresUnitOfWork, organisation: str | None, since: datetime) -> list[dict[str, Any]]:
    async with uow:
        return [dict(r) for r in await uow.clients.handovers(organisation, since)]


async def contact_requests(uow: PostgresUnitOfWork, organisation: str | None, since: datetime,
                           reference: UUID | None = None) -> list[dict[str, Any]]:
    async with uow:
        return [dict(r) for r in await uow.clients.contact_requests(organisation, since, reference)]


async def access_log(uow: PostgresUnitOfWork, client_id: UUID) -> list[dict[str, Any]]:
    async with uow:
        return [dict(r) for r in await uow.vault.access_log(client_id)]


async def open_duplicates(uow: PostgresUnitOfWork, organisation: str | None) -> list[dict[str, Any]]:
    async with uow:
        return [dict(r) for r in await uow.duplicates.open_for(organisation)]


async def erasure_due(uow: PostgresUnitOfWork, today: date) -> list[UUID]:
    async with uow:
        return await uow.clients.due_for_erasure(today, 1000)
