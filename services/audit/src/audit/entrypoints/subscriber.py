"""The Kafka subscriber: every event of every producing service goes onto the trail."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import asyncpg

from audit.adapters import trail_store
from audit.domain.chain import Entry
from audit.service_layer.trail import record_event
from backbone.inbox import Subscription
from contracts.envelope import Envelope
from contracts.events.base import Event
from contracts.topics import PRODUCING_SERVICES, event_topic

SUBSCRIPTION_NAME = "trail"
# Dead-letter topics (also in CONSUMES["audit"]) carry raw messages, not envelopes: a later issue.
TOPICS = tuple(event_topic(s) for s in PRODUCING_SERVICES)


def now() -> datetime:
    return datetime.now(UTC)


async def on_event(conn: asyncpg.Connection, envelope: Envelope, event: Event, *,
                   clock: Callable[[], datetime] = now) -> None:
    """Append the event to the trail; runs in the inbox consumer's transaction, so once per event_id."""
    topic, partition, offset = await trail_store.delivery(conn, SUBSCRIPTION_NAME, envelope.event_id)
    await record_event(conn, entry_of(envelope, topic=topic, partition=partition, offset=offset,
                                      received_at=clock()))


def entry_of(envelope: Envelope, *, topic: str, partition: int, offset: int, received_at: datetime) -> Entry:
    e = envelope
    return Entry(event_id=e.event_id, type=e.type, schema_version=e.schema_version, producer=str(e.producer),
                 organisation=str(e.organisation), actor=e.actor, client_id=e.client_id, occurred_at=e.occurred_at,
                 recorded_at=e.recorded_at, topic=topic, partition=partition, offset=offset,
                 envelope=e.to_bytes(), received_at=received_at)


def subscription() -> Subscription:
    return Subscription(name=SUBSCRIPTION_NAME, topics=TOPICS, handler=on_event)
