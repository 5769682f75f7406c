"""Assessment's read models rebuilt from the events (issue 14, replay): `client_view` and `cases`.

A case changes in two ways: by assessment's own events (its commands and deadlines, in its event store)
and by intake's events, which move it, change LUVN's part, restart the jobseeker's clock or close it on
erasure without an event of assessment's own (`handlers.follow_case`). So a rebuild reads both: its own
event store, and intake's (the events its inbox applied from intake's topic), merged in the order this
service applied them (`backbone.replay.applied_pages`: its inbox says when each of intake's events was
applied; the case opening an intake event caused follows it).

What events do not carry is not rebuilt: the officers' notes (`case_notes`, free text sealed under the
client's key), the competence recorded before the assessment is completed, and the service needs before
completion (both entered over HTTP, kept in `cases.state` only). A rebuilt case has neither; `updated_at`
is the time the last event was recorded, not when the row was written.

`rebuild(own, intake, into, policy)` writes into `into` (a pool on a scratch schema or database with
assessment's tables), never into the live tables; `python -m assessment rebuild --into SCHEMA --intake DSN`
runs it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import asyncpg

from backbone import clientview, replay
from contracts.events.operations import OperationsEvent
from contracts.envelope import Envelope
from contracts.events.base import Event
from contracts.events.intake import EVENTS as INTAKE_EVENTS
from assessment.adapters.postgres import case_from_json, write_cases
from assessment.config import AssessmentSettings
from assessment.domain import history
from assessment.domain.case import AssessmentCase, case_id_for
from assessment.service_layer.handlers import Policy, follow_case

INTAKE: frozenset[str] = frozenset(e.TYPE for e in INTAKE_EVENTS)
CONSUMER = "intake-events"
"""The inbox name of assessment's subscription to intake's topic (`entrypoints.events.NAME`)."""


class CasesProjection:
    """`apply` / `apply_batch` for `backbone.replay`: intake's events through the client view and
    `follow_case`, assessment's own through `history.when`; each touched case written once per batch with
    the live path's writer (`adapters.postgres.write_cases`)."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy

    async def apply(self, conn: asyncpg.Connection, envelope: Envelope, event: Event) -> None:
        await self.apply_batch(conn, [(envelope, event)])

    async def apply_batch(self, conn: asyncpg.Connection, items: Sequence[tuple[Envelope, Event]]) -> None:
        ids = list({case_id_for(envelope.client_id) for envelope, _ in items})
        rows = await conn.fetch("SELECT assessment_id, state::text AS state FROM cases WHERE assessment_id = ANY($1)",
                                ids)
        cases: dict[UUID, AssessmentCase | None] = {r["assessment_id"]: case_from_json(r["state"]) for r in rows}
        touched: dict[UUID, datetime] = {}
        for envelope, event in items:
            case_id = case_id_for(envelope.client_id)
            case = cases.get(case_id)
            if isinstance(event, OperationsEvent):
                continue  # a dead letter redriven (its audit record): no read model of assessment's changes
            if envelope.type in INTAKE:
                _, client = await clientview.apply(conn, envelope, event)
                if client is None or case is None or case.status == "closed":
                    continue  # as handlers.follow_client: a case is opened by its own event, which follows
                follow_case(case, event, client, self.policy)
            else:
                cases[case_id] = history.when(case, envelope.client_id, event)
            touched[case_id] = envelope.recorded_at
        await write_cases(conn, [(case, touched[case_id]) for case_id in touched
                                 if (case := cases.get(case_id)) is not None])


async def rebuild(own: asyncpg.Pool, intake: asyncpg.Pool | None, into: asyncpg.Pool, policy: Policy
                  ) -> replay.Rebuilt:
    """Rebuild `client_view` and `cases` into `into` (see the module); `own` and `intake` are only read."""
    projection = CasesProjection(policy)
    return await replay.rebuild_from(replay.applied_pages(own, {CONSUMER: intake} if intake else {}), into,
                                     apply_batch=projection.apply_batch)


def command(argv: Sequence[str], settings: AssessmentSettings) -> int:
    """`python -m assessment rebuild --into SCHEMA --events intake=DSN` (`backbone.replay.command`)."""
    from backbone import parts
    from assessment.bootstrap import MIGRATIONS, policy_from

    async def run(own: asyncpg.Pool, others: dict[str, asyncpg.Pool], into: asyncpg.Pool) -> replay.Rebuilt:
        return await rebuild(own, others["intake"], into, policy_from(settings))

    return replay.command(argv, service="assessment", dsn=settings.database_url.get_secret_value(),
                          tables=replay.service_tables("assessment", MIGRATIONS, (parts.CLIENT_VIEW, parts.CLIENT_KEYS)),
                          consumes=("intake",), run=run)
