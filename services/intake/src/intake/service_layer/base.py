"""What every handler shares: its dependencies and outcome, retrying after a conflict, loading an active
client, checking who owns it, and saving it with its new events."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar
from uuid import UUID

import asyncpg
import structlog

from backbone.errors import ConcurrencyError
from contracts.envelope import Envelope
from contracts.vocabulary import Organisation, Service
from intake.adapters.postgres import PostgresUnitOfWork
from intake.domain.client import Client, Policy
from intake.domain.errors import NotFound, Refused
from intake.service_layer import commands
from intake.service_layer.ports import Clock

log = structlog.get_logger()

ATTEMPTS = 5


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


T = TypeVar("T")


async def retrying(attempt: Callable[[], Awaitable[T]]) -> T:
    """Run `attempt` again when a concurrent writer got there first (the stream moved on, or the same
    identity code was just registered): the next attempt loads the fresh state."""
    for n in range(1, ATTEMPTS + 1):
        try:
            return await attempt()
        except (ConcurrencyError, asyncpg.UniqueViolationError):
            if n == ATTEMPTS:
                raise
            log.info("concurrent change, retrying command", attempt=n)
    raise AssertionError("unreachable")


def _envelopes(client: Client, cmd: commands.Command, deps: Deps, organisation: Organisation) -> list[Envelope]:
    now = deps.clock.now()
    events, client.pending = client.pending, []
    return [Envelope.wrap(e, producer=Service.INTAKE, organisation=organisation, actor=cmd.actor, client_id=client.id,
                          correlation_id=cmd.correlation_id, causation_id=cmd.causation_id, recorded_at=now)
            for e in events]


async def _save(uow: PostgresUnitOfWork, client: Client, cmd: commands.Command, deps: Deps,
                organisation: Organisation | None = None) -> tuple[UUID, ...]:
    envelopes = _envelopes(client, cmd, deps, organisation or cmd.sender or client.responsible_organisation)
    await uow.clients.save(client, envelopes, now=deps.clock.now())
    return tuple(e.event_id for e in envelopes)


async def _active(uow: PostgresUnitOfWork, client_id: UUID) -> Client:
    client = await uow.clients.get(client_id)
    if client is None or client.erased:
        raise NotFound("client")
    if client.merged_into is not None:
        return await _active(uow, client.merged_into)
    return client


def _check_owner(client: Client, sender: Organisation | None, what: str) -> None:
    if sender != client.responsible_organisation:
        raise Refused("ownership.client", f"only the responsible organisation ({client.responsible_organisation}) "
                                          f"may {what}")
