"""Referrals: made by an officer of the client's responsible organisation, answered, started and
completed by the provider, rejected, cancelled; places and queues of each start; overdue referrals.

A referral is its own stream (stream id = referral id, envelope client id = the client). Everything a
command changes (the referral, the queue of its start, the people the queue moves) commits in one
transaction with its events; a start's queue is changed under a lock of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal
from uuid import UUID, uuid4

import asyncpg

from backbone import clientview
from backbone.clientkeys import ClientShredded
from backbone.errors import ConcurrencyError
from contracts.events.guidance import (
    CancellationReason,
    CatalogueServiceVersion,
    LanguageLevel,
    ReferralOutcome,
    RejectionReason,
    VoluntaryStudiesAgreed,
)
from guidance.adapters.events import Context, append, history
from guidance.domain.errors import NotFound, Refused
from guidance.domain.queue import StartQueue, expected_start
from guidance.domain.referral import OPEN, ClientFacts, PlanFacts, Referral, check_referral
from guidance.service_layer import catalogue
from guidance.service_layer.deps import Deps, Outcome

UNLIMITED = 1_000_000
CONTINUOUS = "continuous"
ATTEMPTS = 5


@dataclass(frozen=True)
class Actor:
    """Who acts on a referral: an officer of an organisation, or a provider by its code."""

    kind: Literal["officer", "provider", "system"]
    code: str  # the organisation or the provider code


def on_behalf(ctx: Context, row: asyncpg.Record) -> Context:
    """A provider is no organisation on the bus: its events name the organisation that made the referral
    (the provider's credential is the actor)."""
    if ctx.organisation:
        return ctx
    return Context(row["referring_organisation"], ctx.actor, ctx.correlation_id, ctx.causation_id)


def facts(view: clientview.ClientView) -> ClientFacts:
    return ClientFacts(view.client_id, view.responsible_organisation, view.languages, view.registered_jobseeker,
                       view.state, view.erased)


async def active_client(conn: asyncpg.Connection, client_id: UUID) -> clientview.ClientView:
    view = await clientview.get(conn, client_id)
    if view is None or not view.active:
        raise NotFound("client")
    return view


async def plan_facts(conn: asyncpg.Connection, plan_id: UUID) -> PlanFacts | None:
    row = await conn.fetchrow("SELECT plan_id, client_id, responsible_organisation, drawn_up_on, ends_on, ended_on "
                              "FROM plans WHERE plan_id = $1", plan_id)
    return None if row is None else PlanFacts(**row)


# --- making a referral ---------------------------------------------------------------------------------------

async def make(deps: Deps, ctx: Context, *, client_id: UUID, service_code: str, language: str,
               plan_id: UUID | None, note: str | None) -> Outcome:
    async with deps.transaction() as conn:
        view = await active_client(conn, client_id)
        service = await catalogue.service(conn, service_code)
        if service is None:
            raise NotFound("service")
        plan = None
        if plan_id is not None and (plan := await plan_facts(conn, plan_id)) is None:
            raise NotFound("plan")
        if await conn.fetchval("SELECT EXISTS (SELECT 1 FROM referrals WHERE client_id = $1 AND service_code = $2 "
                               "AND state = ANY($3::text[]))", client_id, service_code, sorted(OPEN)):
            raise Refused("referral.duplicate", "service_code: the client already has an open referral to this "
                                                "service")
        agreed = await conn.fetchval("SELECT EXISTS (SELECT 1 FROM study_agreements WHERE client_id = $1 "
                                     "AND service_code = $2)", client_id, service_code)
        today = deps.clock.today()
        # the whole catalogue is needed only to offer training in Swedish by name
        offers = [] if language in service.languages else list((await catalogue.services(conn)).values())
        check_referral(facts(view), service, language=language, plan=plan, referrer=ctx.organisation,
                       agreed=agreed, on=today, catalogue=offers)
        referral = Referral.make(uuid4(), client_id, service, plan_id=plan_id, language=language, on=today)
        ids = await _save(conn, deps, referral, ctx, new=True)
        await conn.execute(
            """INSERT INTO referrals (referral_id, client_id, service_code, provider_code, kind, plan_id, language,
                   referring_organisation, state, referred_on, version, note)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)""",
            referral.referral_id, client_id, service_code, service.provider_code, service.kind.value, plan_id,
            language, ctx.organisation, referral.state, today, referral.version,
            await _sealed(conn, deps, client_id, note))
    return Outcome(referral.referral_id, ids, ctx.correlation_id)


async def _sealed(conn: asyncpg.Connection, deps: Deps, client_id: UUID, note: str | None) -> bytes | None:
    if not note:
        return None
    try:
        return await deps.keys.seal(conn, client_id, note)
    except ClientShredded:
        raise NotFound("client") from None


async def agree_studies(deps: Deps, ctx: Context, *, client_id: UUID, service_code: str) -> Outcome:
    """The employment region agrees that a registered jobseeker may start voluntary studies (programme §4.5)."""
    from guidance.domain.catalogue import VOLUNTARY_STUDIES

    if ctx.organisation != "employment-region":
        raise Refused("ownership.employment_region", "only the employment region agrees to a jobseeker's "
                                                     "voluntary studies")
    async with deps.transaction() as conn:
        if not (await active_client(conn, client_id)).may_act(ctx.organisation):
            raise Refused("ownership.client", "only the client's responsible organisation agrees to the client's "
                                              "voluntary studies (a registered jobseeker is the employment region's)")
        service = await catalogue.service(conn, service_code)
        if service is None:
            raise NotFound("service")
        if service.kind not in VOLUNTARY_STUDIES:
            raise Refused("referral.agreement", "service_code: only voluntary studies need the agreement")
        today = deps.clock.today()
        event = VoluntaryStudiesAgreed(service_code=service_code, agreed_on=today)
        stream = uuid4()
        ids = await append(conn, stream, 0, [event], client_id=client_id, ctx=ctx, now=deps.clock.now())
        await write_agreement(conn, client_id, event, ctx.organisation)
    return Outcome(stream, ids, ctx.correlation_id)


async def write_agreement(conn: asyncpg.Connection, client_id: UUID, event: VoluntaryStudiesAgreed,
                          organisation: str) -> None:
    """The one writer of `study_agreements`, for the live path and a rebuild (`service_layer.projection`)."""
    await conn.execute("INSERT INTO study_agreements (client_id, service_code, agreed_on, organisation) "
                       "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING", client_id, event.service_code,
                       event.agreed_on, organisation)


# --- loading and saving a referral -------------------------------------------------------------------------------

async def _load(conn: asyncpg.Connection, referral_id: UUID, actor: Actor) -> tuple[Referral, asyncpg.Record]:
    """The referral, locked; NotFound for a provider it was not made to (it may not even see it), and for
    an officer of an organisation not responsible for the client today (the one that made it included, after a
    handover)."""
    row = await conn.fetchrow("SELECT * FROM referrals WHERE referral_id = $1 FOR UPDATE", referral_id)
    if row is None or not await may_see(conn, row, actor):
        raise NotFound("referral")
    referral = Referral.from_history(referral_id, row["client_id"], row["kind"], await history(conn, referral_id))
    return referral, row


async def may_see(conn: asyncpg.Connection, row: asyncpg.Record, actor: Actor) -> bool:
    if actor.kind == "system":
        return True
    if actor.kind == "provider":
        return row["provider_code"] == actor.code
    # The organisation responsible for the client today, not the one that made the referral: after a handover
    # (R5) the referrals go with the client and the previous organisation no longer sees or changes them.
    view = await clientview.get(conn, row["client_id"])
    return view is not None and view.may_act(actor.code)


async def _save(conn: asyncpg.Connection, deps: Deps, referral: Referral, ctx: Context, *,
                new: bool = False) -> tuple[UUID, ...]:
    events, referral.pending = referral.pending, []
    ids = await append(conn, referral.referral_id, referral.version, events, client_id=referral.client_id, ctx=ctx,
                       now=deps.clock.now())
    referral.version += len(events)
    if not new:
        await conn.execute("UPDATE referrals SET state = $2, starts_on = $3, version = $4, updated_at = now() "
                           "WHERE referral_id = $1", referral.referral_id, referral.state, referral.starts_on,
                           referral.version)
    return ids


async def _retrying(attempt):
    for n in range(1, ATTEMPTS + 1):
        try:
            return await attempt()
        except (ConcurrencyError, asyncpg.DeadlockDetectedError):  # a queue moved under us: load it again
            if n == ATTEMPTS:
                raise


# --- the provider's answer, and the queues ------------------------------------------------------------------

async def answer(deps: Deps, ctx: Context, actor: Actor, referral_id: UUID, *, starts_on: date | None) -> Outcome:
    """Accept into a start, or queue for it when it is full (waitlisted, with position and expected start)."""
    async def attempt() -> Outcome:
        async with deps.transaction() as conn:
            referral, row = await _load(conn, referral_id, actor)
            ctx_ = on_behalf(ctx, row)
            service = await _service_any(conn, row["service_code"])
            key, day = _start_of(service, starts_on, referred_on=row["referred_on"])
            referral._require({"made"}, "accepted")
            queue = await _queue(conn, service, key)
            position = queue.admit(referral_id)
            await _store_queue(conn, row["service_code"], key, queue)
            expected = None
            if position is not None:
                expected = expected_start(position, await _later_starts(conn, service, day))
            referral.answer(on=deps.clock.today(), starts_on=day, queue_position=position, expected=expected)
            ids = await _save(conn, deps, referral, ctx_)
        return Outcome(referral_id, ids, ctx.correlation_id)

    return await _retrying(attempt)


def _start_of(service: CatalogueServiceVersion, starts_on: date | None, *,
              referred_on: date) -> tuple[str, date | None]:
    if service.continuous_admission:
        if starts_on is not None and starts_on < referred_on:  # found by fuzzing: a start in year 1 was accepted
            raise Refused("referral.start", "starts_on: a start on or after the day of the referral")
        if starts_on is not None and starts_on > referred_on + timedelta(days=366):  # and one in 9999
            raise Refused("referral.start", "starts_on: a start within a year of the referral")
        return CONTINUOUS, starts_on
    if starts_on is None:
        raise Refused("referral.start", "starts_on: name one of the service's starts")
    if starts_on not in {s.starts_on for s in service.starts}:
        raise Refused("referral.start", "starts_on: not a start of this service")
    return starts_on.isoformat(), starts_on


async def _service_any(conn: asyncpg.Connection, code: str) -> CatalogueServiceVersion:
    row = await conn.fetchrow("SELECT spec FROM catalogue_services WHERE service_code = $1", code)
    if row is None:
        raise NotFound("service")
    return CatalogueServiceVersion.model_validate_json(row["spec"])


def _capacity(service: CatalogueServiceVersion, key: str) -> int:
    capacity = catalogue.starts_of(service).get(key, (None, None))[1]
    return UNLIMITED if capacity is None else capacity


async def _queue(conn: asyncpg.Connection, service: CatalogueServiceVersion, key: str) -> StartQueue:
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"guidance.start:{service.service_code}:{key}")
    rows = await conn.fetch("SELECT referral_id, holds FROM start_places WHERE service_code = $1 AND start_key = $2 "
                            "ORDER BY seq", service.service_code, key)
    return StartQueue(_capacity(service, key), [r["referral_id"] for r in rows if r["holds"]],
                      [r["referral_id"] for r in rows if not r["holds"]])


async def _store_queue(conn: asyncpg.Connection, code: str, key: str, queue: StartQueue) -> None:
    """Write the queue back: leavers deleted, promoted ones flipped, newcomers appended (a new `seq` each,
    so the table's order is the queue's)."""
    rows = {r["referral_id"]: r["holds"] for r in await conn.fetch(
        "SELECT referral_id, holds FROM start_places WHERE service_code = $1 AND start_key = $2", code, key)}
    keep = set(queue.holders) | set(queue.waiting)
    gone = [r for r in rows if r not in keep]
    if gone:
        await conn.execute("DELETE FROM start_places WHERE referral_id = ANY($1::uuid[])", gone)
    promoted = [r for r in queue.holders if rows.get(r) is False]
    if promoted:
        await conn.execute("UPDATE start_places SET holds = true WHERE referral_id = ANY($1::uuid[])", promoted)
    for referral_id, holds in [(r, True) for r in queue.holders] + [(r, False) for r in queue.waiting]:
        if referral_id not in rows:
            await conn.execute("INSERT INTO start_places (referral_id, service_code, start_key, holds) "
                               "VALUES ($1, $2, $3, $4)", referral_id, code, key, holds)


async def _later_starts(conn: asyncpg.Connection, service: CatalogueServiceVersion,
                        day: date | None) -> list[tuple[date, int]]:
    """The service's starts after `day`, with their free places; the start itself counts when it is the
    one waited for (a place may free up there first)."""
    if day is None:
        return []
    result = []
    for key, (starts_on, capacity) in catalogue.starts_of(service).items():
        if starts_on is None or starts_on <= day:
            continue
        taken = await conn.fetchval("SELECT count(*) FROM start_places WHERE service_code = $1 AND start_key = $2",
                                    service.service_code, key)
        result.append((starts_on, (capacity or UNLIMITED) - taken))
    return result


async def _leave_start(conn: asyncpg.Connection, deps: Deps, referral: Referral, ctx: Context,
                       cause: tuple[UUID, ...]) -> list[UUID]:
    """Take the referral out of its start; the first waiting take the freed place, the others move up."""
    place = await conn.fetchrow("SELECT service_code, start_key FROM start_places WHERE referral_id = $1",
                                referral.referral_id)
    if place is None:
        return []
    service = await _service_any(conn, place["service_code"])
    queue = await _queue(conn, service, place["start_key"])
    promoted, moved = queue.leave(referral.referral_id)
    await _store_queue(conn, place["service_code"], place["start_key"], queue)
    return await _tell_queue(conn, deps, service, place["start_key"], queue, promoted, moved, ctx, cause)


async def _tell_queue(conn: asyncpg.Connection, deps: Deps, service: CatalogueServiceVersion, key: str,
                      queue: StartQueue, promoted: Sequence[UUID], moved: Sequence[UUID], ctx: Context,
                      cause: tuple[UUID, ...]) -> list[UUID]:
    """Publish the promotions (accepted) and the new queue positions of those who moved up."""
    ids: list[UUID] = []
    today = deps.clock.today()
    day = None if key == CONTINUOUS else date.fromisoformat(key)
    later = await _later_starts(conn, service, day) if moved else []
    for referral_id in list(promoted) + list(moved):
        row = await conn.fetchrow("SELECT * FROM referrals WHERE referral_id = $1 FOR UPDATE", referral_id)
        other = Referral.from_history(referral_id, row["client_id"], row["kind"], await history(conn, referral_id))
        if referral_id in promoted:
            other.promote(on=today)
        else:
            position = queue.position(referral_id)
            other.move_up(on=today, queue_position=position, expected=expected_start(position, later))
        system = Context(row["referring_organisation"], "system", ctx.correlation_id, cause[0] if cause else None)
        ids += await _save(conn, deps, other, system)
    return ids


async def refill_starts(conn: asyncpg.Connection, deps: Deps, service: CatalogueServiceVersion, ctx: Context) -> None:
    """After a catalogue change: a start with more places gives them to the first waiting."""
    keys = await conn.fetch("SELECT DISTINCT start_key FROM start_places WHERE service_code = $1",
                            service.service_code)
    for key in (r["start_key"] for r in keys):
        if key not in catalogue.starts_of(service):
            continue
        queue = await _queue(conn, service, key)
        promoted = queue.resize(_capacity(service, key))
        if promoted:
            await _store_queue(conn, service.service_code, key, queue)
            await _tell_queue(conn, deps, service, key, queue, promoted, list(queue.waiting), ctx, ())


# --- the rest of the lifecycle ------------------------------------------------------------------------------

async def _change(deps: Deps, ctx: Context, actor: Actor, referral_id: UUID, change, *, leaves: bool) -> Outcome:
    async def attempt() -> Outcome:
        async with deps.transaction() as conn:
            referral, row = await _load(conn, referral_id, actor)
            ctx_ = on_behalf(ctx, row)
            change(referral, deps.clock.today())
            ids = await _save(conn, deps, referral, ctx_)
            if leaves:
                ids += tuple(await _leave_start(conn, deps, referral, ctx_, ids))
        return Outcome(referral_id, ids, ctx.correlation_id)

    return await _retrying(attempt)


def _happened(day: date | None, today: date, field: str) -> date:
    """A start or a completion is recorded once it happened: never on a later day than today."""
    if day is not None and day > today:
        raise Refused("referral.date", f"{field}: must not be later than today")
    return day or today


async def start(deps: Deps, ctx: Context, actor: Actor, referral_id: UUID, *, started_on: date | None) -> Outcome:
    return await _change(deps, ctx, actor, referral_id,
                         lambda r, today: r.start(on=_happened(started_on, today, "started_on")), leaves=False)


async def complete(deps: Deps, ctx: Context, actor: Actor, referral_id: UUID, *, outcome: ReferralOutcome,
                   level: LanguageLevel | None, completed_on: date | None) -> Outcome:
    return await _change(deps, ctx, actor, referral_id,
                         lambda r, today: r.complete(on=_happened(completed_on, today, "completed_on"),
                                                     outcome=outcome, level=level),
                         leaves=True)


async def reject(deps: Deps, ctx: Context, actor: Actor, referral_id: UUID, *, reason: RejectionReason) -> Outcome:
    return await _change(deps, ctx, actor, referral_id, lambda r, today: r.reject(on=today, reason=reason),
                         leaves=True)


async def cancel(deps: Deps, ctx: Context, actor: Actor, referral_id: UUID, *, reason: CancellationReason) -> Outcome:
    return await _change(deps, ctx, actor, referral_id,
                         lambda r, today: r.cancel(on=today, reason=reason, by=actor.kind), leaves=True)


# --- reading -------------------------------------------------------------------------------------------------

async def view(conn: asyncpg.Connection, row: asyncpg.Record) -> dict:
    place = await conn.fetchrow("SELECT service_code, start_key, holds FROM start_places WHERE referral_id = $1",
                                row["referral_id"])
    position = expected = None
    if place is not None and not place["holds"]:
        position = await conn.fetchval(
            "SELECT count(*) FROM start_places WHERE service_code = $1 AND start_key = $2 AND NOT holds "
            "AND seq <= (SELECT seq FROM start_places WHERE referral_id = $3)",
            place["service_code"], place["start_key"], row["referral_id"])
        service = await _service_any(conn, place["service_code"])
        day = None if place["start_key"] == CONTINUOUS else date.fromisoformat(place["start_key"])
        expected = expected_start(position, await _later_starts(conn, service, day))
    return {"referral_id": row["referral_id"], "client_id": row["client_id"], "service_code": row["service_code"],
            "provider_code": row["provider_code"], "plan_id": row["plan_id"], "language": row["language"],
            "state": row["state"], "referred_on": row["referred_on"], "starts_on": row["starts_on"],
            "queue_position": position, "expected_start": expected,
            "referring_organisation": row["referring_organisation"]}


async def get(deps: Deps, actor: Actor, referral_id: UUID) -> dict:
    async with deps.pool().acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM referrals WHERE referral_id = $1", referral_id)
        if row is None or not await may_see(conn, row, actor):
            raise NotFound("referral")
        return await view(conn, row)


async def listing(deps: Deps, actor: Actor, *, client_id: UUID | None, state: str | None, limit: int) -> list[dict]:
    """A provider's referrals (only those made to it), or an officer's for one client."""
    async with deps.pool().acquire() as conn:
        if actor.kind == "provider":
            rows = await conn.fetch("SELECT * FROM referrals WHERE provider_code = $1 AND ($2::uuid IS NULL OR "
                                    "client_id = $2) AND ($3::text IS NULL OR state = $3) ORDER BY referred_on, "
                                    "referral_id LIMIT $4", actor.code, client_id, state, limit)
        else:
            if client_id is None:
                raise Refused("referral.query", "client_id: name the client")
            rows = [r for r in await conn.fetch(
                "SELECT * FROM referrals WHERE client_id = $1 AND ($2::text IS NULL OR state = $2) "
                "ORDER BY referred_on, referral_id LIMIT $3", client_id, state, limit)
                if await may_see(conn, r, actor)]
        return [await view(conn, r) for r in rows]


# --- reactions: erasure, overdue ------------------------------------------------------------------------------

async def on_erased(conn: asyncpg.Connection, deps: Deps, client_id: UUID, organisation: str, cause: UUID) -> None:
    """Erasure: the client's key is shredded (notes unreadable everywhere), stored notes dropped, and open
    referrals cancelled, so their places go to the people waiting."""
    await deps.keys.shred(conn, client_id)
    await conn.execute("UPDATE referrals SET note = NULL WHERE client_id = $1", client_id)
    await conn.execute("UPDATE visits SET note = NULL WHERE client_id = $1", client_id)
    rows = await conn.fetch("SELECT referral_id FROM referrals WHERE client_id = $1 AND state = ANY($2::text[]) "
                            "ORDER BY referred_on FOR UPDATE", client_id, ["made", "waitlisted", "accepted", "started"])
    for row in rows:
        referral, r = await _load(conn, row["referral_id"], Actor("system", "guidance"))
        referral.cancel(on=deps.clock.today(), reason=CancellationReason.CLIENT_ERASED, by="system")
        ctx = Context(r["referring_organisation"], "system", uuid4(), cause)
        ids = await _save(conn, deps, referral, ctx)
        await _leave_start(conn, deps, referral, ctx, ids)


async def mark_overdue(deps: Deps) -> int:
    """Referrals a provider has not answered in time (no_answer), and accepted ones whose start passed
    without the person starting (not_started, R23); each once. Returns how many were marked."""
    today = deps.clock.today()
    marked = 0
    async with deps.pool().acquire() as conn:
        rows = await conn.fetch("SELECT referral_id, state, referred_on, starts_on FROM referrals "
                                "WHERE state IN ('made', 'accepted')")
    for row in rows:
        try:
            if row["state"] == "made":
                kind, due = "no_answer", deps.calendar.add(row["referred_on"], deps.answer_working_days)
            elif row["starts_on"] is not None:
                kind, due = "not_started", deps.calendar.add(row["starts_on"], deps.start_grace_working_days)
            else:
                continue
        except OverflowError:  # a start at the calendar's end (accepted before fuzzing found it): never overdue,
            continue           # and one such row must not stop the job for every other referral
        if today <= due:
            continue
        async with deps.transaction() as conn:
            referral, r = await _load(conn, row["referral_id"], Actor("system", "guidance"))
            referral.mark_overdue(kind, due)
            if referral.pending:
                await _save(conn, deps, referral, Context.system(r["referring_organisation"]))
                marked += 1
    return marked
