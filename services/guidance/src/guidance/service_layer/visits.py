"""The guidance and counselling log: record a visit (a client's, or an anonymous count), read the counts."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

import asyncpg

from contracts.events.guidance import ANONYMOUS_VISITS_STREAM_ID, AnonymousVisitRecorded, CounsellingTopic, VisitFacts
from guidance.adapters.events import Context, append
from guidance.domain.errors import Refused
from guidance.domain.visits import Interpreter, Mode, visit_event
from guidance.service_layer import catalogue, referrals
from guidance.service_layer.deps import Deps, Outcome

GUIDING_ORGANISATIONS = frozenset({"raseborg", "employment-region", "hango", "inga"})
"""Who gives guidance and counselling: Raseborg's integration services for every immigrant (R1), the
employment region on work and employment (programme §4.7), and the municipalities served by agreement."""


async def record(deps: Deps, ctx: Context, *, client_id: UUID | None, visited_on: date, mode: Mode,
                 place: str | None, topics: tuple[CounsellingTopic, ...], language: str, interpreter: Interpreter,
                 visitors: int, note: str | None) -> Outcome:
    if ctx.organisation not in GUIDING_ORGANISATIONS:
        raise Refused("ownership.guidance", "only the organisations giving guidance record visits")
    if visited_on > deps.clock.today():
        raise Refused("visit.date", "visited_on: a visit is recorded after it took place")
    if client_id is None and note:
        raise Refused("visit.note", "note: an anonymous visit keeps no text (it could name the person)")
    visit_id = uuid4()
    async with deps.transaction() as conn:
        client = None if client_id is None else referrals.facts(await referrals.active_client(conn, client_id))
        event = visit_event(visit_id=visit_id, client=client, visited_on=visited_on, mode=mode, place=place,
                            topics=topics, language=language, interpreter=interpreter, visitors=visitors,
                            open_places=await catalogue.open_places(conn))
        stream_client = ANONYMOUS_VISITS_STREAM_ID if isinstance(event, AnonymousVisitRecorded) else client_id
        ids = await append(conn, visit_id, 0, [event], client_id=stream_client, ctx=ctx, now=deps.clock.now())
        sealed = None if client_id is None else await referrals._sealed(conn, deps, client_id, note)
        await write_visit(conn, event, client_id=client_id, organisation=ctx.organisation, note=sealed)
    return Outcome(visit_id, ids, ctx.correlation_id)


async def client_visits(deps: Deps, organisation: str, client_id: UUID) -> list[dict]:
    """A client's visits with their notes: all of them for the client's responsible organisation, those it
    recorded itself for another guiding organisation."""
    async with deps.pool().acquire() as conn:
        view = await referrals.active_client(conn, client_id)
        everything = view.may_act(organisation)
        if not everything and organisation not in GUIDING_ORGANISATIONS:
            raise Refused("ownership.client", "only the responsible organisation or a guiding one reads visits")
        rows = await conn.fetch("SELECT * FROM visits WHERE client_id = $1 AND ($2 OR organisation = $3) "
                                "ORDER BY visited_on, visit_id", client_id, everything, organisation)
        result = []
        for r in rows:
            note = None if r["note"] is None else await deps.keys.open(conn, client_id, r["note"])
            result.append({"visit_id": r["visit_id"], "visited_on": r["visited_on"], "mode": r["mode"],
                           "place": r["place"], "topics": list(r["topics"]), "language": r["language"],
                           "interpreter": r["interpreter"], "organisation": r["organisation"], "note": note})
        return result


async def counts(deps: Deps, *, since: date, until: date) -> list[dict]:
    """Visits per place, mode and topic in a period, clients' and anonymous ones alike (people, not ids)."""
    async with deps.pool().acquire() as conn:
        rows = await conn.fetch(
            """SELECT place, mode, topic, (client_id IS NULL) AS anonymous, sum(visitors)::int AS visitors
               FROM visits, unnest(topics) AS topic WHERE visited_on BETWEEN $1 AND $2
               GROUP BY place, mode, topic, anonymous ORDER BY place NULLS LAST, mode, topic, anonymous""",
            since, until)
    return [dict(r) for r in rows]


async def write_visit(conn: asyncpg.Connection, event: VisitFacts, *, client_id: UUID | None, organisation: str,
                      note: bytes | None) -> None:
    """The one writer of `visits`, for the live path and a rebuild (`service_layer.projection`): a client's visit
    is one person (`visit_event`), an anonymous one counts its visitors."""
    await conn.execute(
        """INSERT INTO visits (visit_id, client_id, visited_on, mode, place, topics, language, interpreter,
               visitors, organisation, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)""",
        event.visit_id, client_id, event.visited_on, event.mode, event.place, [t.value for t in event.topics],
        event.language, event.interpreter, event.visitors if isinstance(event, AnonymousVisitRecorded) else 1,
        organisation, note)
