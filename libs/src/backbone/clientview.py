"""A consuming service's read model of intake's clients, kept in its own database.

Assessment, planning, guidance and notifications each need the same few facts about a client —
who is responsible today, LUVN participation, languages, target groups, state, the eligibility
window, whether the client is a registered jobseeker, whether they were erased — and must never
ask intake for them. This module applies intake's events (`integration.intake.v1`, keyed by client,
so one client's events arrive in order) to a `client_view` table, through the inbox, so each event
is applied once in the same transaction as the service's own reaction to it.

    sub = clientview.subscription("clients", then=on_client_changed)
    create_service_app(settings, ..., subscriptions=[sub], parts=[parts.CLIENT_VIEW])

`then(conn, envelope, event, before, after)` runs in the same transaction after the view changed:
`before` is None for a new client; `after` is None only for an event about a client the view never
saw registered (it is then ignored). Events of intake's types that do not change the view
(duplicates flagged, for example) still reach `then`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID

import asyncpg

from backbone.inbox import Subscription
from contracts.envelope import Envelope
from contracts.events.base import Event
from contracts.events.intake import (
    ClientDetailsChanged,
    ClientErased,
    ClientRegistered,
    ClientRelationshipEnded,
    ClientSourceAdded,
    DuplicateResolved,
    ResponsibilityAssigned,
)
from contracts.topics import event_topic

TOPIC = event_topic("intake")


@dataclass(frozen=True)
class ClientView:
    """What a consuming service knows of a client: codes, dates and the pseudonymous id only."""

    client_id: UUID
    responsible_organisation: str
    home_municipality: str
    languages: tuple[str, ...]
    target_groups: tuple[str, ...]
    state: str
    registered_jobseeker: bool
    luvn_participation_required: bool
    window_ends_on: date
    registered_on: date | None
    assessment_due_on: date | None
    responsible_since: date | None
    relationship_ended_on: date | None
    erased_on: date | None
    merged_into: UUID | None

    @property
    def erased(self) -> bool:
        return self.erased_on is not None

    @property
    def active(self) -> bool:
        """Neither erased nor merged into another client: a service may still act on it."""
        return self.erased_on is None and self.merged_into is None

    def may_act(self, organisation: str) -> bool:
        """Whether `organisation` is responsible for this client today (LUVN's part is the caller's rule)."""
        return self.active and self.responsible_organisation == organisation


_COLUMNS = ", ".join(ClientView.__dataclass_fields__)


def _view(row: asyncpg.Record | None, prefix: str = "") -> ClientView | None:
    if row is None or row[f"{prefix}client_id"] is None:
        return None
    data = {column: row[prefix + column] for column in ClientView.__dataclass_fields__}
    data["languages"], data["target_groups"] = tuple(data["languages"]), tuple(data["target_groups"])
    return ClientView(**data)


async def get(conn: asyncpg.Connection, client_id: UUID, *, for_update: bool = False) -> ClientView | None:
    """The client as this service knows it, or None if it never saw the client registered."""
    lock = " FOR UPDATE" if for_update else ""
    return _view(await conn.fetchrow(f"SELECT {_COLUMNS} FROM client_view WHERE client_id = $1{lock}", client_id))


async def apply(conn: asyncpg.Connection, envelope: Envelope, event: Event) -> tuple[ClientView | None, ClientView | None]:
    """Apply one of intake's events; returns (before, after). One statement: the row is locked, read,
    changed and read back at once (the view is applied by every consuming service, once per event)."""
    if isinstance(event, ClientRegistered):
        rows = await conn.fetch(_REGISTER, *_registered_values(envelope, event))
        before = _view(next((r for r in rows if r["_before"]), None), "")
        after = _view(next((r for r in rows if not r["_before"]), None), "") or before
    else:
        changes = _changes(envelope, event)
        if not changes:
            before = after = await get(conn, envelope.client_id, for_update=True)
            return before, after
        assignments = ", ".join(f"{column} = ${n}" for n, column in enumerate(changes, start=3))
        row = await conn.fetchrow(
            f"UPDATE client_view AS a SET {assignments}, last_event_id = $2, updated_at = now() "
            f"FROM (SELECT {_COLUMNS} FROM client_view WHERE client_id = $1 FOR UPDATE) AS b "
            f"WHERE a.client_id = b.client_id RETURNING {_BEFORE_AFTER}",
            envelope.client_id, envelope.event_id, *changes.values())
        before, after = _view(row, "b_"), _view(row, "a_")
    if after is None:  # nothing there to lock (an unknown client): read what is there now, as ever
        after = await get(conn, envelope.client_id)
    return before, after


_BEFORE_AFTER = ", ".join([*(f"b.{c} AS b_{c}" for c in ClientView.__dataclass_fields__),
                           *(f"a.{c} AS a_{c}" for c in ClientView.__dataclass_fields__)])

# The row as it was (locked), and the one inserted when there was none; at most one of each.
_REGISTER = f"""
WITH b AS MATERIALIZED (
    SELECT {_COLUMNS} FROM client_view WHERE client_id = $1 FOR UPDATE
), a AS (
    INSERT INTO client_view (client_id, responsible_organisation, home_municipality, languages,
        target_groups, state, registered_jobseeker, luvn_participation_required, window_ends_on,
        registered_on, assessment_due_on, responsible_since, last_event_id)
    SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $10, $12 WHERE NOT EXISTS (SELECT 1 FROM b)
    ON CONFLICT (client_id) DO NOTHING
    RETURNING {_COLUMNS}
)
SELECT true AS _before, * FROM b UNION ALL SELECT false, * FROM a
"""


def _registered_values(envelope: Envelope, e: ClientRegistered) -> tuple:
    return (envelope.client_id, str(e.responsible_organisation), str(e.home_municipality),
            [str(x) for x in e.languages], [str(x) for x in e.target_groups], str(e.state), e.registered_jobseeker,
            e.luvn_participation_required, e.window_ends_on, e.registered_on, e.assessment_due_on, envelope.event_id)


def _changes(envelope: Envelope, e: Event) -> dict[str, object]:
    """The columns an event changes (an empty dict: nothing in the view changes)."""
    if isinstance(e, ClientSourceAdded):
        return {"target_groups": [str(x) for x in e.target_groups], "state": str(e.state),
                "assessment_due_on": e.assessment_due_on,
                "luvn_participation_required": e.luvn_participation_required}
    if isinstance(e, ClientDetailsChanged):
        values = {"home_municipality": e.home_municipality and str(e.home_municipality),
                  "languages": e.languages and [str(x) for x in e.languages],
                  "target_groups": None if e.target_groups is None else [str(x) for x in e.target_groups],
                  "window_ends_on": e.window_ends_on, "registered_jobseeker": e.registered_jobseeker}
        return {column: value for column, value in values.items() if value is not None}
    if isinstance(e, ResponsibilityAssigned):
        return {"responsible_organisation": str(e.responsible_organisation), "responsible_since": e.effective_on}
    if isinstance(e, ClientRelationshipEnded):
        return {"relationship_ended_on": e.ended_on}
    if isinstance(e, ClientErased):
        return {"erased_on": e.erased_on}
    if isinstance(e, DuplicateResolved) and e.resolution == "merged" and e.surviving_client_id != envelope.client_id:
        return {"merged_into": e.surviving_client_id}
    return {}


Then = Callable[[asyncpg.Connection, Envelope, Event, ClientView | None, ClientView | None], Awaitable[None]]


def subscription(name: str, *, then: Then | None = None) -> Subscription:
    """A subscription to intake's topic that keeps `client_view` and then runs `then`, once per event."""

    async def handle(conn: asyncpg.Connection, envelope: Envelope, event: Event) -> None:
        before, after = await apply(conn, envelope, event)
        if then is not None:
            await then(conn, envelope, event, before, after)

    return Subscription(name=name, topics=(TOPIC,), handler=handle)


# A whole batch at once (a replay from the event store: backbone.replay) --------------------------------

def _registered(envelope: Envelope, e: ClientRegistered) -> dict[str, object]:
    """The new row of a ClientRegistered, column by column (responsible since registration)."""
    return {"client_id": envelope.client_id, "responsible_organisation": str(e.responsible_organisation),
            "home_municipality": str(e.home_municipality), "languages": [str(x) for x in e.languages],
            "target_groups": [str(x) for x in e.target_groups], "state": str(e.state),
            "registered_jobseeker": e.registered_jobseeker, "luvn_participation_required": e.luvn_participation_required,
            "window_ends_on": e.window_ends_on, "registered_on": e.registered_on,
            "assessment_due_on": e.assessment_due_on, "responsible_since": e.registered_on,
            "last_event_id": envelope.event_id}


_INSERT_COLUMNS = ("client_id", "responsible_organisation", "home_municipality", "languages", "target_groups", "state",
                   "registered_jobseeker", "luvn_participation_required", "window_ends_on", "registered_on",
                   "assessment_due_on", "responsible_since", "last_event_id")
_INSERT = (f"INSERT INTO client_view ({', '.join(_INSERT_COLUMNS)}) "
           f"VALUES ({', '.join(f'${n}' for n in range(1, len(_INSERT_COLUMNS) + 1))}) ON CONFLICT (client_id) DO NOTHING")


async def apply_batch(conn: asyncpg.Connection, items: Sequence[tuple[Envelope, Event]]) -> None:
    """What `apply` does for each (envelope, event) in order, in a handful of statements: the clients'
    rows are read and locked once, the events folded in memory with the same `_registered` and
    `_changes`, and the results written with one pipelined INSERT and one UPDATE (a replay, or an
    inbox batch handler)."""
    clients = list(dict.fromkeys(envelope.client_id for envelope, _ in items))
    rows = await conn.fetch(f"SELECT {_COLUMNS}, last_event_id FROM client_view "
                            "WHERE client_id = ANY($1::uuid[]) ORDER BY client_id FOR UPDATE", clients)
    state: dict[UUID, dict[str, object]] = {r["client_id"]: dict(r) for r in rows}
    new: set[UUID] = set()
    changed: set[UUID] = set()
    for envelope, event in items:
        client = envelope.client_id
        if isinstance(event, ClientRegistered):
            if client not in state:
                state[client] = _registered(envelope, event)
                new.add(client)
        elif client in state:
            changes = _changes(envelope, event)
            if changes:
                state[client].update(changes, last_event_id=envelope.event_id)
                changed.add(client)
    if new:
        await conn.executemany(_INSERT, [tuple(state[c][k] for k in _INSERT_COLUMNS) for c in clients if c in new])
    updates = [c for c in clients if c in changed]
    if updates:
        columns = [c for c in ClientView.__dataclass_fields__ if c != "client_id"] + ["last_event_id"]
        assignments = ", ".join(f"{column} = ${n}" for n, column in enumerate(columns, start=2))
        await conn.executemany(f"UPDATE client_view SET {assignments}, updated_at = now() WHERE client_id = $1",
                               [(c, *(state[c].get(k) for k in columns)) for c in updates])
