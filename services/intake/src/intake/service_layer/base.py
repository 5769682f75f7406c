"""What every handler shares: its dependencies and outcome, retrying after a conflict, loading an active
client, checking who owns it, and saving it with its new events."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from backbone import eventstore
from backbone.unitofwork import retrying
from contracts.envelope import Envelope
from contracts.vocabulary import Organisation, Service
from intake.adapters.postgres import PostgresUnitOfWork
from intake.domain.client import Client, Policy
from intake.domain.errors import NotFound, Refused
from intake.service_layer import commands
from intake.service_layer.ports import Clock


@dataclass(frozen=True)
class Deps:
    """A fresh unit of work per use, the clock and the policy."""

    uow: Callable[[], PostgresUnitOfWork]
    clock: Clock
    policy: Policy


@dataclass(frozen=True)
class Outcome:
    """What a command did, in ids only."""

    client_id: UUID
    event_ids: tuple[UUID, ...]
    correlation_id: UUID
    created: bool = False
    possible_duplicates: tuple[UUID, ...] = ()
    replayed: bool = False
    """The answer given earlier to the same request with the same Idempotency-Key; nothing was applied."""
    details: dict[str, Any] = field(default_factory=dict)
    """What a command adds to its answer (a claim's id and deadline, the record's new revision): ids,
    codes and dates only."""


async def save(uow: PostgresUnitOfWork, client: Client, cmd: commands.Command, deps: Deps) -> tuple[UUID, ...]:
    """Append the client's pending events in envelopes naming the sender (for the person themselves or
    the system: the responsible organisation); returns their ids."""
    now = deps.clock.now()
    organisation = cmd.sender or client.responsible_organisation
    events, client.pending = client.pending, []
    envelopes = [Envelope.wrap(e, producer=Service.INTAKE, organisation=organisation, actor=cmd.actor,
                               client_id=client.id, correlation_id=cmd.correlation_id,
                               causation_id=cmd.causation_id, recorded_at=now) for e in events]
    await uow.clients.save(client, envelopes, now=now)
    return tuple(e.event_id for e in envelopes)


async def lock_clients(uow: PostgresUnitOfWork, *client_ids: UUID) -> None:
    """Take the clients' stream locks in one fixed order, before anything else: a command on two
    clients can then never deadlock with one on the same two in the other order."""
    await eventstore.lock_streams(uow.connection, client_ids)


async def active_client(uow: PostgresUnitOfWork, client_id: UUID) -> Client:
    """The client, or the one it was merged into; NotFound when there is none or it was erased."""
    client = await uow.clients.get(client_id)
    if client is None or client.erased:
        raise NotFound("client")
    if client.merged_into is not None:
        return await active_client(uow, client.merged_into)
    return client


Change = Callable[[PostgresUnitOfWork, Client], Awaitable[None]]


async def on_client(cmd: commands.Command, deps: Deps, change: Change, *,
                    locate: Callable[[PostgresUnitOfWork], Awaitable[UUID | None]] | None = None,
                    uow: PostgresUnitOfWork | None = None) -> Outcome:
    """Load the active client (`cmd.client_id`, or what `locate` finds), let `change` decide, save its
    events; one transaction, retried after a conflict."""
    async def attempt() -> Outcome:
        async with (uow or deps.uow()) as u:
            client_id = await locate(u) if locate is not None else cmd.client_id
            if client_id is None:
                raise NotFound("client")
            client = await active_client(u, client_id)
            await change(u, client)
            event_ids = await save(u, client, cmd, deps)
            await u.commit()
        return Outcome(client.id, event_ids, cmd.correlation_id)

    return await retrying(attempt)


def check_owner(client: Client, sender: Organisation | None, what: str) -> None:
    if sender != client.responsible_organisation:
        raise Refused("ownership.client", f"only the responsible organisation ({client.responsible_organisation}) "
                                          f"may {what}")
