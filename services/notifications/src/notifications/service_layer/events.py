"""What notifications does with the events it consumes: keep its view of the client, queue the
messages the triggers table asks for, and cancel what an event (or an erasure) makes pointless.

Runs inside the inbox's transaction, so each event is applied once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import asyncpg
import structlog

from contracts.envelope import Envelope
from contracts.events.base import Event
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
        cancelled = await postgres.forget_client(conn, client_id, now())
        log.info("client erased, messages cancelled", client_id=str(client_id), cancelled=cancelled)
        return
    await _update_view(conn, client_id, kind, event)
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


async def _update_view(conn: asyncpg.Connection, client_id: UUID, kind: str, event: Event) -> None:
    if kind == "ClientRegistered":
        await postgres.upsert_view(conn, client_id, home_municipality=str(event.home_municipality),
                                   responsible_organisation=str(event.responsible_organisation),
                                   languages=list(event.languages))
    elif kind == "ClientDetailsChanged":
        await postgres.upsert_view(conn, client_id,
                                   home_municipality=None if event.home_municipality is None
                                   else str(event.home_municipality),
                                   languages=None if event.languages is None else list(event.languages))
    elif kind == "ResponsibilityAssigned":
        await postgres.upsert_view(conn, client_id, responsible_organisation=str(event.responsible_organisation))
