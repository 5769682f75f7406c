"""The unit of work on planning's own PostgreSQL database: plans (event store + query table), referrals,
missed deadlines, encrypted notes and the client read model share one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from uuid import UUID

import asyncpg

from backbone import clientview, eventstore
from backbone.clientkeys import ClientKeys
from backbone.clientview import ClientView
from backbone.unitofwork import UnitOfWork
from contracts.envelope import Envelope
from contracts.events.planning import PlanDeadlineMissed
from contracts.registry import decode
from planning.domain.limits import Allowance
from planning.domain.plan import Plan

_UPSERT_PLAN = """
INSERT INTO plans (plan_id, client_id, version, status, owner, correlation_id, last_event_id, opened_on, due_on,
                   latest_on, starts_on, ends_on, first_starts_on, maximum_on, maximum_rule, review_due_on,
                   referrals_due_on, luvn_participation, services, ended_on, end_reason, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)
ON CONFLICT (plan_id) DO UPDATE SET
    version = EXCLUDED.version, status = EXCLUDED.status, owner = EXCLUDED.owner,
    last_event_id = EXCLUDED.last_event_id, starts_on = EXCLUDED.starts_on, ends_on = EXCLUDED.ends_on,
    first_starts_on = EXCLUDED.first_starts_on, maximum_on = EXCLUDED.maximum_on,
    maximum_rule = EXCLUDED.maximum_rule, review_due_on = EXCLUDED.review_due_on,
    referrals_due_on = EXCLUDED.referrals_due_on, luvn_participation = EXCLUDED.luvn_participation,
    services = EXCLUDED.services, ended_on = EXCLUDED.ended_on, end_reason = EXCLUDED.end_reason,
    updated_at = EXCLUDED.updated_at
"""


async def write_plan(conn: asyncpg.Connection, plan: Plan, envelopes: Sequence[Envelope], *, correlation_id: UUID,
                     now: datetime) -> None:
    """The plan's query rows after `envelopes` (its latest events): the one writer of `plans` and
    `plan_deadlines_missed`, for the live path and a rebuild (`service_layer.projection`) alike."""
    a = plan.allowance
    await conn.execute(
        _UPSERT_PLAN, plan.id, plan.client_id, plan.version, plan.status, plan.owner, correlation_id,
        envelopes[-1].event_id, plan.opened_on, plan.due_on, plan.latest_on, plan.starts_on, plan.until,
        a and a.first_starts_on, a and a.maximum_on, a and a.maximum_rule, plan.review_due_on,
        plan.referrals_due_on, plan.luvn_participation, list(plan.services), plan.ended_on,
        plan.end_reason and str(plan.end_reason), now)
    for envelope in envelopes:
        if envelope.type == PlanDeadlineMissed.TYPE:
            e = decode(envelope)
            await conn.execute("INSERT INTO plan_deadlines_missed VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                               plan.id, str(e.deadline), e.due_on, e.service_code or "")


async def record_referral(conn: asyncpg.Connection, plan_id: UUID, service_code: str, referral_id: UUID,
                          referred_on: date) -> None:
    """The first referral to each of a plan's services (R12): the one writer of `plan_referrals`."""
    await conn.execute(
        """INSERT INTO plan_referrals (plan_id, service_code, referral_id, referred_on) VALUES ($1, $2, $3, $4)
           ON CONFLICT (plan_id, service_code) DO NOTHING""", plan_id, service_code, referral_id, referred_on)


class PostgresPlans:
    """Plans as event-sourced aggregates (one stream per plan), with a query table beside them."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def get(self, plan_id: UUID) -> Plan | None:
        stored = await eventstore.read_stream(self.conn, plan_id)
        if not stored:
            return None
        client_id = stored[0].envelope.client_id
        return Plan.from_history(plan_id, client_id, [decode(s.envelope) for s in stored],
                                 earlier=await self.earlier_allowance(client_id, plan_id))

    async def save(self, plan: Plan, envelopes: Sequence[Envelope], *, correlation_id: UUID, now: datetime) -> None:
        """Append the plan's new events after the version it was loaded at; keep the query tables."""
        if not envelopes:
            return
        await eventstore.append(self.conn, plan.id, plan.version, envelopes)
        plan.version += len(envelopes)
        await write_plan(self.conn, plan, envelopes, correlation_id=correlation_id, now=now)

    async def row(self, plan_id: UUID) -> asyncpg.Record | None:
        return await self.conn.fetchrow("SELECT * FROM plans WHERE plan_id = $1", plan_id)

    async def open_for(self, client_id: UUID) -> asyncpg.Record | None:
        """The client's plan to be drawn up or in force, if any."""
        return await self.conn.fetchrow("SELECT * FROM plans WHERE client_id = $1 AND status <> 'ended'", client_id)

    async def exists_or_open(self, plan_id: UUID, client_id: UUID) -> bool:
        """Whether this plan exists, or the client has another plan to be drawn up or in force."""
        return await self.conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM plans WHERE plan_id = $1 OR (client_id = $2 AND status <> 'ended'))",
            plan_id, client_id)

    async def of_client(self, client_id: UUID) -> list[asyncpg.Record]:
        return await self.conn.fetch("SELECT * FROM plans WHERE client_id = $1 ORDER BY opened_on NULLS FIRST, "
                                     "plan_id", client_id)

    async def earlier_allowance(self, client_id: UUID, plan_id: UUID) -> Allowance | None:
        """The allowance of the client's latest earlier plan that was in force: a new plan counts from the
        first plan's start (R14), with what was already granted."""
        row = await self.conn.fetchrow(
            """SELECT plan_id FROM plans WHERE client_id = $1 AND first_starts_on IS NOT NULL
                 AND opened_seq < coalesce((SELECT opened_seq FROM plans WHERE plan_id = $2), 9223372036854775807)
               ORDER BY opened_seq DESC LIMIT 1""", client_id, plan_id)
        if row is None:
            return None
        earlier = await self.get(row["plan_id"])
        return earlier.allowance

    async def history(self, plan_id: UUID) -> list[eventstore.StoredEvent]:
        return await eventstore.read_stream(self.conn, plan_id)

    async def worklist(self, organisation: str | None, view: str, *, today: date, due_by: date, limit: int,
                       after: UUID | None) -> list[asyncpg.Record]:
        """Plans to draw up (soonest due first), reviews due by `due_by`, or plans with referrals overdue, of
        `organisation` (LUVN: also those it takes part in, R6; None: everyone's)."""
        condition = {
            "to_draw_up": "status = 'to_be_drawn_up'",
            "in_force": "status = 'in_force'",
            "reviews_due": "status = 'in_force' AND review_due_on <= $3",
            "referrals_overdue": """status = 'in_force' AND referrals_due_on < $2 AND EXISTS (
                SELECT 1 FROM unnest(services) s WHERE NOT EXISTS (
                    SELECT 1 FROM plan_referrals r WHERE r.plan_id = plans.plan_id AND r.service_code = s))""",
        }[view]
        order = {"to_draw_up": "due_on", "in_force": "ends_on", "reviews_due": "review_due_on", "referrals_overdue": "referrals_due_on"}[view]
        return await self.conn.fetch(
            f"""SELECT * FROM plans WHERE ($1::text IS NULL OR owner = $1 OR ($1 = 'luvn' AND luvn_participation))
                AND {condition}
                AND ($4::uuid IS NULL OR plan_id > $4) AND $2::date IS NOT NULL AND $3::date IS NOT NULL
                ORDER BY {order}, plan_id LIMIT $5""", organisation, today, due_by, after, limit)

    async def with_deadlines_passed(self, today: date, limit: int) -> list[UUID]:
        """Plans with a deadline passed and not yet published as missed."""
        rows = await self.conn.fetch(
            """SELECT plan_id FROM plans p WHERE
                 (status = 'to_be_drawn_up' AND (
                    (due_on < $1 AND NOT EXISTS (SELECT 1 FROM plan_deadlines_missed m WHERE m.plan_id = p.plan_id
                        AND m.deadline = 'drawing_up' AND m.due_on = p.due_on))
                 OR (latest_on < $1 AND NOT EXISTS (SELECT 1 FROM plan_deadlines_missed m WHERE m.plan_id = p.plan_id
                        AND m.deadline = 'drawing_up_latest' AND m.due_on = p.latest_on))))
              OR (status = 'in_force' AND (
                    (review_due_on < $1 AND NOT EXISTS (SELECT 1 FROM plan_deadlines_missed m
                        WHERE m.plan_id = p.plan_id AND m.deadline = 'review' AND m.due_on = p.review_due_on))
                 OR (referrals_due_on < $1 AND EXISTS (SELECT 1 FROM unnest(p.services) s
                        WHERE NOT EXISTS (SELECT 1 FROM plan_referrals r WHERE r.plan_id = p.plan_id
                                          AND r.service_code = s)
                          AND NOT EXISTS (SELECT 1 FROM plan_deadlines_missed m WHERE m.plan_id = p.plan_id
                                          AND m.deadline = 'referral' AND m.due_on = p.referrals_due_on
                                          AND m.service_code = s)))))
               ORDER BY plan_id LIMIT $2""", today, limit)
        return [r["plan_id"] for r in rows]

    async def referred(self, plan_id: UUID) -> set[str]:
        rows = await self.conn.fetch("SELECT service_code FROM plan_referrals WHERE plan_id = $1", plan_id)
        return {r["service_code"] for r in rows}

    async def record_referral(self, plan_id: UUID, service_code: str, referral_id: UUID, referred_on: date) -> None:
        await record_referral(self.conn, plan_id, service_code, referral_id, referred_on)

    async def referrals(self, plan_id: UUID) -> list[asyncpg.Record]:
        return await self.conn.fetch("SELECT service_code, referral_id, referred_on FROM plan_referrals "
                                     "WHERE plan_id = $1 ORDER BY service_code", plan_id)


PENDING_LOCK_CLASS = 0x504C


class PostgresPending:
    """Assessments that arrived before their client's registration."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def lock(self, client_id: UUID) -> None:
        """Serialise, until the transaction ends, the assessment and the registration of one client: whichever
        comes second sees what the first committed, so a kept assessment is never missed."""
        await self.conn.execute("SELECT pg_advisory_xact_lock($1, hashtext($2))", PENDING_LOCK_CLASS, str(client_id))

    async def keep(self, envelope: Envelope) -> None:
        await self.conn.execute("INSERT INTO pending_assessments (event_id, client_id, envelope) VALUES ($1, $2, $3) "
                                "ON CONFLICT DO NOTHING", envelope.event_id, envelope.client_id, envelope.to_bytes())

    async def take(self, client_id: UUID) -> list[Envelope]:
        rows = await self.conn.fetch("DELETE FROM pending_assessments WHERE client_id = $1 RETURNING envelope, "
                                     "received_at", client_id)
        return [Envelope.from_bytes(r["envelope"]) for r in sorted(rows, key=lambda r: r["received_at"])]


class PostgresNotes:
    """The plan's free-text notes, encrypted per client; erasure deletes them and shreds the key."""

    def __init__(self, conn: asyncpg.Connection, keys: ClientKeys) -> None:
        self.conn, self.keys = conn, keys

    async def add(self, note_id: UUID, plan_id: UUID, client_id: UUID, event_id: UUID, text: str, by: str) -> None:
        blob = await self.keys.seal(self.conn, client_id, text)
        await self.conn.execute("INSERT INTO plan_notes (note_id, plan_id, client_id, event_id, ciphertext, written_by) "
                                "VALUES ($1, $2, $3, $4, $5, $6)", note_id, plan_id, client_id, event_id, blob, by)

    async def of_plan(self, plan_id: UUID, client_id: UUID) -> list[dict]:
        rows = await self.conn.fetch("SELECT note_id, event_id, ciphertext, written_by, written_at FROM plan_notes "
                                     "WHERE plan_id = $1 ORDER BY written_at, note_id", plan_id)
        notes = []
        for r in rows:
            text = await self.keys.open(self.conn, client_id, r["ciphertext"])
            if text is not None:
                notes.append({"note_id": r["note_id"], "event_id": r["event_id"], "text": text,
                              "written_by": r["written_by"], "written_at": r["written_at"]})
        return notes

    async def erase(self, client_id: UUID) -> int:
        await self.keys.shred(self.conn, client_id)
        return int((await self.conn.execute("DELETE FROM plan_notes WHERE client_id = $1", client_id)).split()[-1])


class PostgresUnitOfWork(UnitOfWork):
    """Plans, notes, assessments waiting for their client and the client read model in one transaction
    (`backbone.unitofwork`); `keys` seal the notes."""

    def __init__(self, pool: asyncpg.Pool | None, keys: ClientKeys, *, conn: asyncpg.Connection | None = None) -> None:
        super().__init__(pool, conn=conn)
        self.keys = keys

    @classmethod
    def on_connection(cls, conn: asyncpg.Connection, keys: ClientKeys) -> PostgresUnitOfWork:
        return cls(None, keys, conn=conn)

    def _bind(self, conn: asyncpg.Connection) -> None:
        self.plans = PostgresPlans(conn)
        self.notes = PostgresNotes(conn, self.keys)
        self.pending = PostgresPending(conn)

    async def client(self, client_id: UUID) -> ClientView | None:
        return await clientview.get(self.conn, client_id)
