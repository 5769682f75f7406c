"""What notifications does with the events it consumes: queue the messages the triggers table asks
for, and cancel what an event (or an erasure) makes pointless. Intake's events first update
`backbone.clientview` (languages, home municipality, erasure); the others come straight here.

Runs inside the inbox's transaction, so each event is applied once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import asyncpg
import structlog

from backbone import clientview
from backbone.inbox import Subscription
from contracts.envelope import Envelope
from contracts.events.base import Event
from contracts.topics import CONSUMES
from notifications.adapters import postgres
from notifications.domain.triggers import TRIGGERS, Trigger, cancellations, triggered

log = structlog.get_logger()
NAMESPACE = uuid5(NAMESPACE_URL, "urn:backbone:notifications")


def notification_id(event_id: UUID, template: str) -> UUID:
    """The message's id, from its triggering event and template: the same event never queues it twice."""
    return uuid5(NAMESPACE, f"{event_id}/{template}")


def _jsonable(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    return value.value if hasattr(value, "value") else value


def params_of(trigger: Trigger, event: Event) -> dict[str, Any]:
    return {name: _jsonable(getattr(event, name)) for name in trigger.params}


async def apply(conn: asyncpg.Connection, envelope: Envelope, event: Event | None, *,
                now: Callable[[], datetime], table: tuple[Trigger, ...] = TRIGGERS) -> None:
    if event is None:
        return
    client_id, kind = envelope.client_id, envelope.type
    if kind == "ClientErased":
        cancelled = await postgres.forget_client(conn, client_id)
        log.info("client erased, messages cancelled", client_id=str(client_id), cancelled=cancelled)
        return
    for trigger in cancellations(kind, table):
        subject = str(getattr(event, trigger.subject)) if trigger.subject and hasattr(event, trigger.subject) else None
        await postgres.cancel(conn, client_id, templates=[trigger.template], subject_id=subject,
                              reason=f"cancelled_by_{kind}")
    matches = triggered(kind, event, table)
    if not matches or await postgres.is_erased(conn, client_id):
        return
    received = now()
    for trigger in matches:
        not_before = trigger.schedule.not_before(event, received)
        if not_before is None:
            continue
        nid = notification_id(envelope.event_id, trigger.template)
        queued = await postgres.queue(
            conn, notification_id=nid, client_id=client_id, event_id=envelope.event_id,
            correlation_id=envelope.correlation_id, template_code=trigger.template, channels=trigger.channels,
            params=params_of(trigger, event),
            subject_id=str(getattr(event, trigger.subject)) if trigger.subject else None,
            organisation=envelope.organisation, not_before=not_before)
        if queued:
            log.info("message queued", notification_id=str(nid), template=trigger.template, client_id=str(client_id))



def subscriptions(now: Callable[[], datetime], table: tuple[Trigger, ...] = TRIGGERS) -> list[Subscription]:
    """Intake's topic through the client view, then the triggers; the other services' topics straight
    to the triggers."""
    async def after_view(conn: asyncpg.Connection, envelope: Envelope, event: Event, _before, _after) -> None:
        await apply(conn, envelope, event, now=now, table=table)

    async def handle(conn: asyncpg.Connection, envelope: Envelope, event: Event) -> None:
        await apply(conn, envelope, event, now=now, table=table)

    others = tuple(t for t in CONSUMES["notifications"] if t != clientview.TOPIC)
    return [clientview.subscription("clients", then=after_view), Subscription("events", others, handler=handle)]
