"""The unit of work on intake's own PostgreSQL database: clients, vault and event store share one transaction."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from uuid import UUID

import asyncpg

from backbone import eventstore
from backbone.clock import FINLAND
from backbone.unitofwork import UnitOfWork
from contracts.envelope import Envelope
from contracts.registry import decode
from intake.adapters.vault import PostgresVault, VaultCrypto
from intake.domain.client import Client

_UPSERT_CLIENT = """
INSERT INTO clients (client_id, version, home_municipality, languages, target_groups, sources,
                     responsible_organisation, registered_jobseeker, state, window_ends_on, assessment_due_on,
                     relationship_ended_on, erase_on, erased, merged_into, luvn_participation_required,
                     created_at, updated_at, claim_id, claimed_by, claim_deadline, responsibility_changed_on)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17, $18, $19, $20, $21)
ON CONFLICT (client_id) DO UPDATE SET
    version = EXCLUDED.version, home_municipality = EXCLUDED.home_municipality, languages = EXCLUDED.languages,
    target_groups = EXCLUDED.target_groups, sources = EXCLUDED.sources,
    responsible_organisation = EXCLUDED.responsible_organisation,
    registered_jobseeker = EXCLUDED.registered_jobseeker, state = EXCLUDED.state,
    window_ends_on = EXCLUDED.window_ends_on, assessment_due_on = EXCLUDED.assessment_due_on,
    relationship_ended_on = EXCLUDED.relationship_ended_on, erase_on = EXCLUDED.erase_on,
    erased = EXCLUDED.erased, merged_into = EXCLUDED.merged_into,
    luvn_participation_required = EXCLUDED.luvn_participation_required, updated_at = EXCLUDED.updated_at,
    claim_id = EXCLUDED.claim_id, claimed_by = EXCLUDED.claimed_by, claim_deadline = EXCLUDED.claim_deadline,
    responsibility_changed_on = EXCLUDED.responsibility_changed_on
"""

_HANDOVER = """
INSERT INTO handovers (event_id, client_id, previous_organisation, responsible_organisation, reason, effective_on,
                       recorded_at)
VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING
"""


class PostgresClients:
    """Clients as event-sourced aggregates: loaded from their stream, saved by appending to it."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def get(self, client_id: UUID) -> Client | None:
        stored = await eventstore.read_stream(self.conn, client_id)
        if not stored:
            return None
        return Client.from_history(client_id, [decode(s.envelope) for s in stored],
                                   [s.envelope.recorded_at.astimezone(FINLAND).date() for s in stored])

    async def save(self, client: Client, envelopes: Sequence[Envelope], *, now: datetime) -> None:
        """Append the client's new events after the version it was loaded at; keep the query table."""
        if not envelopes:
            return
        await eventstore.append(self.conn, client.id, client.version, envelopes)
        client.version += len(envelopes)
        claim = client.open_claim
        await self.conn.execute(
            _UPSERT_CLIENT, client.id, client.version, client.home_municipality, list(client.languages),
            list(client.target_groups), list(client.sources), client.responsible_organisation,
            client.registered_jobseeker, client.state, client.window_ends_on, client.assessment_due_on,
            client.relationship_ended_on, client.erase_on, client.erased, client.merged_into,
            client.luvn_participation_required, now, claim and claim.claim_id, claim and claim.claimant,
            claim and claim.deadline, client.responsibility_changed_on)
        handovers = [(e.event_id, client.id, e.payload["previous_organisation"], e.payload["responsible_organisation"],
                      e.payload["reason"], date.fromisoformat(e.payload["effective_on"]), e.recorded_at)
                     for e in envelopes if e.type == "ResponsibilityAssigned"]
        if handovers:
            await self.conn.executemany(_HANDOVER, handovers)

    async def summary(self, client_id: UUID) -> asyncpg.Record | None:
        return await self.conn.fetchrow("SELECT * FROM clients WHERE client_id = $1", client_id)

    async def worklist(self, organisation: str | None, *, state: str | None, due_by: date | None, limit: int,
                       after: UUID | None) -> list[asyncpg.Record]:
        """Active clients of `organisation` (all for None; for LUVN, those it takes part for), soonest
        due first, then by id; `after` continues from the last id of the previous page."""
        return await self.conn.fetch(
            """SELECT * FROM clients
               WHERE NOT erased AND merged_into IS NULL
                 AND ($1::text IS NULL OR responsible_organisation = $1
                      OR ($1 = 'luvn' AND luvn_participation_required))
                 AND ($2::text IS NULL OR state = $2) AND ($3::date IS NULL OR assessment_due_on <= $3)
                 AND ($4::uuid IS NULL OR client_id > $4)
               ORDER BY assessment_due_on NULLS LAST, client_id LIMIT $5""",
            organisation, state, due_by, after, limit)

    async def count(self, organisation: str | None) -> int:
        """Active clients of `organisation` (as its worklist counts them; all of them for None)."""
        return await self.conn.fetchval(
            """SELECT count(*) FROM clients WHERE NOT erased AND merged_into IS NULL
                 AND ($1::text IS NULL OR responsible_organisation = $1
                      OR ($1 = 'luvn' AND luvn_participation_required))""", organisation)

    async def due_for_erasure(self, today: date, limit: int) -> list[UUID]:
        rows = await self.conn.fetch(
            "SELECT client_id FROM clients WHERE NOT erased AND erase_on <= $1 ORDER BY erase_on LIMIT $2",
            today, limit)
        return [r["client_id"] for r in rows]

    async def not_with(self, expected: dict[str, str]) -> list[UUID]:
        """Clients who are not registered jobseekers and whose responsible organisation is not the one
        `expected` names for their home municipality."""
        rows = await self.conn.fetch(
            """SELECT c.client_id FROM clients c
               JOIN unnest($1::text[], $2::text[]) AS e(municipality, organisation)
                 ON e.municipality = c.home_municipality
               WHERE NOT c.erased AND c.merged_into IS NULL AND NOT c.registered_jobseeker
                 AND c.responsible_organisation <> e.organisation""",
            list(expected), list(expected.values()))
        return [r["client_id"] for r in rows]

    async def claims_past_deadline(self, today: date, limit: int = 500) -> list[tuple[UUID, UUID]]:
        """(client, claim) of open claims whose objection period ended before `today`."""
        rows = await self.conn.fetch(
            """SELECT client_id, claim_id FROM clients WHERE claim_id IS NOT NULL AND claim_deadline < $1
               AND NOT erased AND merged_into IS NULL ORDER BY claim_deadline LIMIT $2""", today, limit)
        return [(r["client_id"], r["claim_id"]) for r in rows]

    async def open_claims(self, organisation: str | None) -> list[asyncpg.Record]:
        """Open claims the organisation made or that concern its clients (all of them for None)."""
        return await self.conn.fetch(
            """SELECT client_id, claim_id, claimed_by, responsible_organisation, home_municipality, claim_deadline
               FROM clients WHERE claim_id IS NOT NULL AND NOT erased AND merged_into IS NULL
                 AND ($1::text IS NULL OR claimed_by = $1 OR responsible_organisation = $1)
               ORDER BY claim_deadline, client_id""", organisation)

    async def handovers(self, organisation: str | None, since: datetime) -> list[asyncpg.Record]:
        """Handovers from or to the organisation (all of them for None) recorded since `since`, newest first."""
        return await self.conn.fetch(
            """SELECT client_id, event_id, previous_organisation, responsible_organisation, reason, effective_on,
                      recorded_at
               FROM handovers WHERE recorded_at >= $2
                 AND ($1::text IS NULL OR previous_organisation = $1 OR responsible_organisation = $1)
               ORDER BY recorded_at DESC, event_id LIMIT 1000""", organisation, since)

    async def contact_requests(self, organisation: str | None, since: datetime, reference: UUID | None
                               ) -> list[asyncpg.Record]:
        """The public form's requests (registrations of source `own_request`) since `since`, newest first, of
        the clients the organisation is responsible for today (all of them for None): a request of a client
        merged into another is shown under the surviving client; an erased client's are gone."""
        return await self.conn.fetch(
            """WITH requests AS (
                   SELECT e.event_id, e.client_id, e.recorded_at, convert_from(e.envelope, 'UTF8')::jsonb AS envelope
                   FROM event_store e
                   WHERE e.type IN ('ClientRegistered', 'ClientSourceAdded') AND e.recorded_at >= $2
                     -- cheap byte matches on the canonical JSON first; the JSON is parsed only for these
                     AND position('"source":"own_request"'::bytea IN e.envelope) > 0
                     AND ($3::uuid IS NULL
                          OR position(convert_to('"correlation_id":"' || $3::text || '"', 'UTF8') IN e.envelope) > 0))
               SELECT (r.envelope ->> 'correlation_id')::uuid AS reference, r.event_id,
                      COALESCE(s.client_id, c.client_id) AS client_id,
                      COALESCE(s.responsible_organisation, c.responsible_organisation) AS responsible_organisation,
                      r.recorded_at AS received_at
               FROM requests r
               JOIN clients c ON c.client_id = r.client_id
               LEFT JOIN clients s ON s.client_id = c.merged_into
               WHERE r.envelope -> 'payload' ->> 'source' = 'own_request'
                 AND NOT COALESCE(s.erased, c.erased)
                 AND ($1::text IS NULL OR COALESCE(s.responsible_organisation, c.responsible_organisation) = $1)
                 AND ($3::uuid IS NULL OR r.envelope ->> 'correlation_id' = $3::text)
               ORDER BY r.recorded_at DESC, r.event_id LIMIT 1000""", organisation, since, reference)

    async def events(self, client_id: UUID) -> list[eventstore.StoredEvent]:
        return await eventstore.read_stream(self.conn, client_id)


class PostgresDuplicates:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def flag(self, client_id: UUID, other: UUID, matched_on: str, *, now: datetime) -> None:
        await self.conn.execute(
            """INSERT INTO duplicate_flags (client_id, other_client_id, matched_on, flagged_at)
               VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING""", client_id, other, matched_on, now)

    async def is_open(self, client_id: UUID, other: UUID) -> bool:
        return await self.conn.fetchval(
            """SELECT EXISTS (SELECT 1 FROM duplicate_flags WHERE resolved_at IS NULL
                              AND ((client_id, other_client_id) = ($1, $2) OR (client_id, other_client_id) = ($2, $1)))""",
            client_id, other)

    async def resolve(self, client_id: UUID, other: UUID, resolution: str, *, now: datetime) -> None:
        await self.conn.execute(
            """UPDATE duplicate_flags SET resolved_at = $4, resolution = $3
               WHERE resolved_at IS NULL AND ((client_id, other_client_id) = ($1, $2)
                                              OR (client_id, other_client_id) = ($2, $1))""",
            client_id, other, resolution, now)

    async def open_for(self, organisation: str | None) -> list[asyncpg.Record]:
        """Open flags where either client is the organisation's (all of them for None)."""
        return await self.conn.fetch(
            """SELECT f.client_id, f.other_client_id, f.matched_on, f.flagged_at
               FROM duplicate_flags f
               JOIN clients a ON a.client_id = f.client_id JOIN clients b ON b.client_id = f.other_client_id
               WHERE f.resolved_at IS NULL
                 AND ($1::text IS NULL OR a.responsible_organisation = $1 OR b.responsible_organisation = $1)
               ORDER BY f.flagged_at""", organisation)


class PostgresIdempotency:
    """Answers already given to requests sent with an Idempotency-Key, per principal."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def find(self, principal: str, key: str) -> tuple[bytes, dict] | None:
        row = await self.conn.fetchrow(
            "SELECT request_digest, outcome FROM idempotency_keys WHERE principal = $1 AND key = $2", principal, key)
        return None if row is None else (row["request_digest"], json.loads(row["outcome"]))

    async def save(self, principal: str, key: str, digest: bytes, outcome: dict) -> None:
        """Raises UniqueViolationError if a concurrent request with the same key committed first."""
        await self.conn.execute(
            "INSERT INTO idempotency_keys (principal, key, request_digest, outcome) VALUES ($1, $2, $3, $4)",
            principal, key, digest, json.dumps(outcome))

    async def forget_client(self, client_id: UUID) -> int:
        """Forget the answers about an erased client, and about the clients merged into it: their digests
        cover the person's data."""
        return int((await self.conn.execute(
            """DELETE FROM idempotency_keys WHERE outcome ->> 'client_id' IN (
                   SELECT $1::text UNION SELECT client_id::text FROM clients WHERE merged_into = $1::uuid)""",
            str(client_id))).split()[-1])

    async def forget_older_than(self, moment: datetime) -> int:
        return int((await self.conn.execute("DELETE FROM idempotency_keys WHERE created_at < $1", moment)).split()[-1])


class PostgresReplayOffsets:
    """How far intake has read a topic of its own back (the erasure replay after a restore)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def get(self, topic: str) -> dict[int, int]:
        rows = await self.conn.fetch("SELECT partition, next_offset FROM erasure_replay_offsets WHERE topic = $1",
                                     topic)
        return {r["partition"]: r["next_offset"] for r in rows}

    async def save(self, topic: str, offsets: dict[int, int]) -> None:
        await self.conn.executemany(
            """INSERT INTO erasure_replay_offsets (topic, partition, next_offset) VALUES ($1, $2, $3)
               ON CONFLICT (topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset""",
            [(topic, p, o) for p, o in offsets.items()])


class PostgresUnitOfWork(UnitOfWork):
    """One transaction per `async with` (`backbone.unitofwork`): clients, vault, duplicates, idempotency keys
    and the erasure replay's offsets."""

    def __init__(self, pool: asyncpg.Pool | None, keys: VaultCrypto, *, conn: asyncpg.Connection | None = None) -> None:
        super().__init__(pool, conn=conn)
        self.keys = keys

    @classmethod
    def on_connection(cls, conn: asyncpg.Connection, keys: VaultCrypto) -> PostgresUnitOfWork:
        return cls(None, keys, conn=conn)

    def _bind(self, conn: asyncpg.Connection) -> None:
        self.clients = PostgresClients(conn)
        self.vault = PostgresVault(conn, self.keys)
        self.duplicates = PostgresDuplicates(conn)
        self.idempotency = PostgresIdempotency(conn)
        self.replay_offsets = PostgresReplayOffsets(conn)

    @property
    def connection(self) -> asyncpg.Connection:
        return self.conn
