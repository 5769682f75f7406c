"""Appending guidance's events to the event store (the outbox), wrapped in envelopes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

import asyncpg

from backbone import eventstore
from contracts.events.base import Event
from contracts.registry import decode, encode
from contracts.vocabulary import Service


@dataclass(frozen=True)
class Context:
    """Who caused the events and why: the envelope's organisation, actor, correlation and cause."""

    organisation: str
    actor: str
    correlation_id: UUID
    causation_id: UUID | None = None

    @classmethod
    def system(cls, organisation: str, causation_id: UUID | None = None,
               correlation_id: UUID | None = None) -> Context:
        return cls(organisation, "system", correlation_id or uuid4(), causation_id)


async def append(conn: asyncpg.Connection, stream_id: UUID, version: int, events: Sequence[Event], *,
                 client_id: UUID, ctx: Context, now: datetime) -> tuple[UUID, ...]:
    """Append `events` after `version` of the stream; returns their event ids."""
    envelopes = [encode(e, producer=Service.GUIDANCE, organisation=ctx.organisation, actor=ctx.actor,
                        client_id=client_id, correlation_id=ctx.correlation_id, causation_id=ctx.causation_id,
                        recorded_at=now) for e in events]
    await eventstore.append(conn, stream_id, version, envelopes)
    return tuple(e.event_id for e in envelopes)


async def history(conn: asyncpg.Connection, stream_id: UUID) -> list[Event]:
    return [decode(s.envelope) for s in await eventstore.read_stream(conn, stream_id)]
