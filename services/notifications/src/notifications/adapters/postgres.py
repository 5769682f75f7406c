"""Notifications' tables: the client view, opt-outs and the messages with their states.

Every state change of a message checks the state (and, for an attempt, the attempt number) it
expects, so a worker whose lease ran out cannot overwrite what its successor recorded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from backbone import eventstore
from contracts.envelope import SYSTEM_ACTOR, Envelope
from contracts.events.base import Event
from contracts.vocabulary import Service

ACTIVE = ("queued", "sending")


@dataclass(frozen=True)
class Message:
    notification_id: UUID
    client_id: UUID
    event_id: UUID
    correlation_id: UUID
    template_code: str
    channels: tuple[str, ...]
    params: dict[str, Any]
    organisation: str
    state: str
    channel: str | None
    language: str | None
    attempts: int
    created_at: datetime
    not_before: datetime
    stream_version: int
    home_municipality: str | None
    view_languages: tuple[str, ...]

    @classmethod
    def of(cls, row: asyncpg.Record) -> Message:
        return cls(row["notification_id"], row["client_id"], row["event_id"], row["correlation_id"],
                   row["template_code"], tuple(row["channels"]), json.loads(row["params"]), row["organisation"],
                   row["state"], row["channel"], row["language"], row["attempts"], row["created_at"],
                   row["not_before"], row["stream_version"], row["home_municipality"], tuple(row["view_languages"] or ()))


_SELECT = """SELECT n.*, v.home_municipality, v.languages AS view_languages
             FROM notifications n LEFT JOIN client_view v USING (client_id)"""


async def queue(conn: asyncpg.Connection, *, notification_id: UUID, client_id: UUID, event_id: UUID,
                correlation_id: UUID, template_code: str, channels: tuple[str, ...], params: dict[str, Any],
                subject_id: str | None, organisation: str, not_before: datetime) -> bool:
    """Queue a message once: a second call with the same id changes nothing. True if queued now."""
    done = await conn.fetchval(
        """INSERT INTO notifications (notification_id, client_id, event_id, correlation_id, template_code, channels,
                                      params, subject_id, organisation, not_before, next_attempt_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $10)
           ON CONFLICT (notification_id) DO NOTHING RETURNING true""",
        notification_id, client_id, event_id, correlation_id, template_code, list(channels), json.dumps(params),
        subject_id, organisation, not_before)
    return bool(done)


async def cancel(conn: asyncpg.Connection, client_id: UUID, *, templates: list[str] | None = None,
                 subject_id: str | None = None, reason: str, states: tuple[str, ...] = ("queued",)) -> int:
    """Cancel the client's waiting messages (of `templates`, about `subject_id`, when given)."""
    result = await conn.execute(
        """UPDATE notifications SET state = 'cancelled', failure_reason = $4, updated_at = now()
           WHERE client_id = $1 AND state = ANY($5::text[])
             AND ($2::text[] IS NULL OR template_code = ANY($2)) AND ($3::text IS NULL OR subject_id = $3)""",
        client_id, templates, subject_id, reason, list(states))
    return int(result.split()[-1])


async def forget_client(conn: asyncpg.Connection, client_id: UUID) -> int:
    """Erasure (the client view marks the client erased): waiting messages and unprinted letters are cancelled, and what notifications held about
    them (template parameters, subjects, errors, opt-outs) is deleted. Ids, codes and states remain,
    as on the bus."""
    cancelled = await cancel(conn, client_id, reason="client_erased", states=("queued", "printable"))
    await conn.execute(
        """UPDATE notifications SET params = '{}', subject_id = NULL, last_error = NULL, provider_ref = NULL
           WHERE client_id = $1""", client_id)
    await conn.execute("DELETE FROM opt_outs WHERE client_id = $1", client_id)
    return cancelled


async def is_erased(conn: asyncpg.Connection, client_id: UUID) -> bool:
    return bool(await conn.fetchval("SELECT erased_on IS NOT NULL FROM client_view WHERE client_id = $1", client_id))


async def claim(pool: asyncpg.Pool, now: datetime, *, limit: int, lease_s: float) -> list[Message]:
    """Take due messages for one attempt each: state `sending`, attempt counted, leased. Also takes
    back `sending` messages whose lease ran out (their worker died mid-send)."""
    rows = await pool.fetch(
        """WITH due AS (
              SELECT notification_id FROM notifications
              WHERE (state = 'queued' AND next_attempt_at <= $1) OR (state = 'sending' AND lease_until < $1)
              ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED
            ), taken AS (
              UPDATE notifications n SET state = 'sending', attempts = n.attempts + 1,
                     lease_until = $1 + make_interval(secs => $3), updated_at = $1
              FROM due WHERE n.notification_id = due.notification_id RETURNING n.*
            )
            SELECT taken.*, v.home_municipality, v.languages AS view_languages
            FROM taken LEFT JOIN client_view v USING (client_id)""", now, limit, lease_s)
    return [Message.of(r) for r in rows]


async def opted_out_of(conn: asyncpg.Connection | asyncpg.Pool, client_ids: list[UUID]) -> dict[UUID, frozenset[str]]:
    """`opted_out` of several clients in one query (a client with no opt-outs is left out)."""
    found: dict[UUID, set[str]] = {}
    for r in await conn.fetch("SELECT client_id, channel FROM opt_outs WHERE client_id = ANY($1::uuid[])",
                              list(set(client_ids))):
        found.setdefault(r["client_id"], set()).add(r["channel"])
    return {c: frozenset(channels) for c, channels in found.items()}


async def get(conn: asyncpg.Connection | asyncpg.Pool, notification_id: UUID) -> Message | None:
    row = await conn.fetchrow(f"{_SELECT} WHERE n.notification_id = $1", notification_id)
    return None if row is None else Message.of(row)


async def finish(conn: asyncpg.Connection, m: Message, *, state: str, now: datetime,
                 event: Event | None = None, **columns: Any) -> bool:
    """Record the outcome of attempt `m.attempts` (and append `event`) if no one else has since."""
    sets = ", ".join(f"{name} = ${i}" for i, name in enumerate(columns, start=6))
    async with conn.transaction():
        version = m.stream_version + (1 if event is not None else 0)
        updated = await conn.fetchval(
            f"""UPDATE notifications SET state = $2, updated_at = $3, lease_until = NULL, stream_version = $4
                {', ' + sets if sets else ''}
                WHERE notification_id = $1 AND state = 'sending' AND attempts = $5 RETURNING true""",
            m.notification_id, state, now, version, m.attempts, *columns.values())
        if not updated:
            return False
        if event is not None:
            await append(conn, m, event, now)
    return True


async def append(conn: asyncpg.Connection, m: Message, event: Event, now: datetime) -> None:
    envelope = Envelope.wrap(event, producer=Service.NOTIFICATIONS, organisation=m.organisation, actor=SYSTEM_ACTOR,
                             client_id=m.client_id, correlation_id=m.correlation_id, causation_id=m.event_id,
                             recorded_at=now)
    await eventstore.append(conn, m.notification_id, m.stream_version, [envelope])


async def record_receipt(conn: asyncpg.Connection, notification_id: UUID, provider_ref: str, *, delivered: bool,
                         now: datetime, event_for: Any) -> str:
    """Apply a delivery receipt once. Returns what happened: `applied`, `repeat` (already final),
    `early` (the send is not recorded yet: the provider should call again) or `unknown`."""
    async with conn.transaction():
        row = await conn.fetchrow(f"{_SELECT} WHERE n.notification_id = $1 FOR UPDATE OF n", notification_id)
        if row is None or row["channel"] not in (None, "sms") or (row["provider_ref"] not in (None, provider_ref)):
            return "unknown"
        m = Message.of(row)
        if m.state in ("delivered", "failed", "cancelled"):
            return "repeat"
        if m.state != "sent":
            return "early"
        event = event_for(m)
        await conn.execute(
            """UPDATE notifications SET state = $2, updated_at = $3::timestamptz, stream_version = stream_version + 1,
                      delivered_at = CASE WHEN $4::boolean THEN $3::timestamptz END,
                      failure_reason = CASE WHEN $4::boolean THEN NULL ELSE 'rejected_by_provider' END
               WHERE notification_id = $1""", notification_id, "delivered" if delivered else "failed", now, delivered)
        await append(conn, m, event, now)
    return "applied"
