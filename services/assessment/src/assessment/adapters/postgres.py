"""The unit of work on assessment's own PostgreSQL database: client view, cases, notes and event store share
one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from uuid import UUID

import asyncpg
from pydantic import TypeAdapter

from backbone import clientview, eventstore
from backbone.clientkeys import ClientKeys
from backbone.unitofwork import UnitOfWork
from contracts.envelope import Envelope
from assessment.domain.case import AssessmentCase

_CASE = TypeAdapter(AssessmentCase)


def case_to_json(case: AssessmentCase) -> str:
    return _CASE.dump_json(case, exclude={"pending"}).decode()


def case_from_json(data: str) -> AssessmentCase:
    return _CASE.validate_json(data)


class PostgresNotes:
    """Officers' free-text notes on a case: personal data, encrypted under the client's own key
    (`backbone.clientkeys`), unreadable for good once the key is shredded on erasure."""

    def __init__(self, conn: asyncpg.Connection, keys: ClientKeys) -> None:
        self.conn, self.keys = conn, keys

    async def add(self, note_id: UUID, assessment_id: UUID, client_id: UUID, *, organisation: str, actor: str,
                  text: str, now: datetime) -> None:
        """Raises `ClientShredded` when the client was erased."""
        sealed = await self.keys.seal(self.conn, client_id, text)
        await self.conn.execute(
            """INSERT INTO case_notes (note_id, assessment_id, client_id, organisation, actor, written_at, sealed)
               VALUES ($1, $2, $3, $4, $5, $6, $7)""", note_id, assessment_id, client_id, organisation, actor, now,
            sealed)

    async def of_case(self, assessment_id: UUID, client_id: UUID) -> list[dict]:
        rows = await self.conn.fetch(
            """SELECT note_id, organisation, actor, written_at, sealed FROM case_notes
               WHERE assessment_id = $1 ORDER BY written_at, note_id""", assessment_id)
        notes = []
        for r in rows:
            text = await self.keys.open(self.conn, client_id, r["sealed"])
            if text is not None:
                notes.append({"note_id": r["note_id"], "organisation": r["organisation"], "actor": r["actor"],
                              "written_at": r["written_at"], "text": text})
        return notes

    async def destroy(self, client_id: UUID) -> None:
        """Erasure: shred the client's key (every copy of the notes becomes unreadable), then drop the rows."""
        await self.keys.shred(self.conn, client_id)
        await self.conn.execute("DELETE FROM case_notes WHERE client_id = $1", client_id)


_UPSERT_CASE = """
INSERT INTO cases (assessment_id, client_id, version, status, due_on, place, responsible_organisation,
                   luvn_required, state, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10)
ON CONFLICT (assessment_id) DO UPDATE SET
    version = EXCLUDED.version, status = EXCLUDED.status, due_on = EXCLUDED.due_on,
    place = EXCLUDED.place, responsible_organisation = EXCLUDED.responsible_organisation,
    luvn_required = EXCLUDED.luvn_required, state = EXCLUDED.state, updated_at = EXCLUDED.updated_at"""


async def write_cases(conn: asyncpg.Connection, cases: Sequence[tuple[AssessmentCase, datetime]]) -> None:
    """Write each case's row as of `now`: the one writer of `cases`, for the live path and a rebuild
    (`service_layer.projection`) alike."""
    await conn.executemany(_UPSERT_CASE, [
        (case.assessment_id, case.client_id, case.version, case.status, case.due_on,
         case.interview.place.value if case.interview and case.interview.place else None,
         case.responsible_organisation, case.luvn_required, case_to_json(case), now) for case, now in cases])


class PostgresCases:
    """Cases: the aggregate's state as one row, saved with its new events appended to the event store."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def get(self, assessment_id: UUID, *, for_update: bool = False) -> AssessmentCase | None:
        lock = " FOR UPDATE" if for_update else ""
        data = await self.conn.fetchval(f"SELECT state::text FROM cases WHERE assessment_id = $1{lock}", assessment_id)
        return None if data is None else case_from_json(data)

    async def for_client(self, client_id: UUID, *, for_update: bool = False) -> AssessmentCase | None:
        lock = " FOR UPDATE" if for_update else ""
        data = await self.conn.fetchval(f"SELECT state::text FROM cases WHERE client_id = $1{lock}", client_id)
        return None if data is None else case_from_json(data)

    async def save(self, case: AssessmentCase, envelopes: Sequence[Envelope], *, now: datetime) -> None:
        """Append the case's new events after the version it was loaded at (ConcurrencyError if another
        writer got there first), and write its state."""
        await eventstore.append(self.conn, case.assessment_id, case.version, envelopes)
        case.version += len(envelopes)
        await write_cases(self.conn, [(case, now)])

    async def worklist(self, organisation: str | None, *, status: str | None, due_before: date | None,
                       place: str | None, limit: int, after: tuple[date, UUID] | None) -> list[asyncpg.Record]:
        """Cases of `organisation` (all for None; for LUVN, those where it takes part), soonest due first,
        then by id; `after` (due_on, assessment_id) continues from the previous page's last row."""
        return await self.conn.fetch(
            """SELECT assessment_id, client_id, status, due_on, place, responsible_organisation, luvn_required,
                      state->>'due_rule' AS due_rule
               FROM cases
               WHERE status <> 'closed'
                 AND ($1::text IS NULL OR responsible_organisation = $1 OR ($1 = 'luvn' AND luvn_required))
                 AND ($2::text IS NULL OR status = $2) AND ($3::date IS NULL OR due_on < $3)
                 AND ($4::text IS NULL OR place = $4)
                 AND ($5::date IS NULL OR (due_on, assessment_id) > ($5, $6::uuid))
               ORDER BY due_on, assessment_id LIMIT $7""",
            organisation, status, due_before, place, after[0] if after else None, after[1] if after else None, limit)

    async def past_due(self, today: date, limit: int) -> list[UUID]:
        """Cases whose interview is past due, not yet held and not yet reported for that due day."""
        rows = await self.conn.fetch(
            """SELECT assessment_id FROM cases
               WHERE status IN ('open', 'scheduled') AND due_on < $1
                 AND NOT EXISTS (
                     SELECT 1 FROM jsonb_array_elements(state->'deadlines_missed') AS d
                     WHERE d->>1 = due_on::text
                       AND d->>0 = CASE state->>'due_rule' WHEN 'R9' THEN 'initial_interview'
                                                          ELSE 'assessment_start' END)
               ORDER BY due_on, assessment_id LIMIT $2""", today, limit)
        return [r["assessment_id"] for r in rows]

    async def events(self, assessment_id: UUID) -> list[eventstore.StoredEvent]:
        return await eventstore.read_stream(self.conn, assessment_id)

    async def count(self) -> int:
        return await self.conn.fetchval("SELECT count(*) FROM cases")


class PostgresUnitOfWork(UnitOfWork):
    """One transaction per `async with` (`backbone.unitofwork`): cases, notes, the client view and the event
    store."""

    def __init__(self, pool: asyncpg.Pool | None, keys: ClientKeys, *, conn: asyncpg.Connection | None = None
                 ) -> None:
        super().__init__(pool, conn=conn)
        self.keys = keys

    @classmethod
    def on_connection(cls, conn: asyncpg.Connection, keys: ClientKeys) -> PostgresUnitOfWork:
        return cls(None, keys, conn=conn)

    def _bind(self, conn: asyncpg.Connection) -> None:
        self.cases = PostgresCases(conn)
        self.notes = PostgresNotes(conn, self.keys)

    async def client(self, client_id: UUID, *, for_update: bool = False) -> clientview.ClientView | None:
        """The client as intake last told us (`backbone.clientview`)."""
        return await clientview.get(self.conn, client_id, for_update=for_update)
