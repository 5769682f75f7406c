"""The Kafka subscriber: every event of every producing service goes onto the trail."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import asyncpg

from audit.domain.chain import Entry
from audit.service_layer.trail import record_events
from backbone.inbox import Delivery, Subscription
from contracts.envelope import Envelope
from contracts.topics import PRODUCING_SERVICES, event_topic

SUBSCRIPTION_NAME = "trail"
# Dead-letter topics (also in CONSUMES["audit"]) carry raw messages, not envelopes: a later issue.
TOPICS = tuple(event_topic(s) for s in PRODUCING_SERVICES)


def now() -> datetime:
    return datetime.now(UTC)


async def on_events(conn: asyncpg.Connection, deliveries: Sequence[Delivery], *,
                    clock: Callable[[], datetime] = now) -> None:
    """Append a partition's new events to the trail, in order, in the inbox consumer's transaction
    (so each event_id once), keeping the envelope bytes exactly as received."""
    received_at = clock()
    await record_events(conn, [entry_of(d.envelope, topic=d.topic, partition=d.partition, offset=d.offset,
                                        received_at=received_at, raw=d.value) for d in deliveries])


def entry_of(envelope: Envelope, *, topic: str, partition: int, offset: int, received_at: datetime,
             raw: bytes | None = None) -> Entry:
    e = envelope
    return Entry(event_id=e.event_id, type=e.type, schema_version=e.schema_version, producer=str(e.producer),
                 organisation=str(e.organisation), actor=e.actor, client_id=e.client_id, occurred_at=e.occurred_at,
                 recorded_at=e.recorded_at, topic=topic, partition=partition, offset=offset,
                 envelope=raw if raw is not None else e.to_bytes(), received_at=received_at)


def subscription() -> Subscription:
    # Every envelope goes on the trail, also of event types or versions this service does not know yet.
    return Subscription(name=SUBSCRIPTION_NAME, topics=TOPICS, batch_handler=on_events, decode_payloads=False)
