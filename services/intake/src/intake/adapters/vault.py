"""The personal-data vault on intake's PostgreSQL: encrypted per client, found by blind indexes.

Only intake reads it. Each read that leaves intake is written to `vault_access_log` in the same
transaction. Erasure deletes the client's data key; its ciphertext and match keys go with it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg

from contracts.ingress import PersonalData
from backbone import crypto
from intake.domain.errors import Refused


@dataclass(frozen=True)
class Consent:
    """R7: who recorded the person's consent to an authority's contact, and when it was given."""

    authority: str
    given_on: date


@dataclass(frozen=True)
class VaultRecord:
    """Everything intake keeps about who the person is, encrypted as one JSON document."""

    person: PersonalData
    first_permit_date: date
    moved_to_finland_on: date | None = None
    consents: tuple[Consent, ...] = field(default=())

    def merged(self, other: VaultRecord, *, prefer_other: bool) -> VaultRecord:
        """One record of the same person from two: the preferred record's details where it has them, the
        other's where it has none; languages in the order they became known (this record's first), an
        interpreter if either says so, the earliest permit date (the window runs from the *first*
        permit) and every consent."""
        first, second = (other.person, self.person) if prefer_other else (self.person, other.person)
        data = first.model_dump()
        data.update({name: value for name, value in second.model_dump().items() if data[name] is None})
        data["languages"] = list(dict.fromkeys([*self.person.languages, *other.person.languages]))
        data["interpreter_needed"] = first.interpreter_needed or second.interpreter_needed
        return VaultRecord(PersonalData.model_validate(data), min(self.first_permit_date, other.first_permit_date),
                           self.moved_to_finland_on or other.moved_to_finland_on, self.consents + other.consents)

    def to_bytes(self) -> bytes:
        return json.dumps({
            "person": self.person.model_dump(mode="json"),
            "first_permit_date": self.first_permit_date.isoformat(),
            "moved_to_finland_on": self.moved_to_finland_on and self.moved_to_finland_on.isoformat(),
            "consents": [{"authority": c.authority, "given_on": c.given_on.isoformat()} for c in self.consents],
        }, ensure_ascii=False).encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> VaultRecord:
        data = json.loads(raw)
        return cls(PersonalData.model_validate(data["person"]), date.fromisoformat(data["first_permit_date"]),
                   data["moved_to_finland_on"] and date.fromisoformat(data["moved_to_finland_on"]),
                   tuple(Consent(c["authority"], date.fromisoformat(c["given_on"])) for c in data["consents"]))


@dataclass(frozen=True)
class ProposedChange:
    """Values of the person's data that someone other than the responsible organisation sent and that
    differ from the record (`values`: field name to value, as JSON)."""

    change_id: UUID
    proposed_by: str
    source: str
    proposed_at: datetime
    values: dict[str, Any]


@dataclass(frozen=True)
class VaultCrypto:
    """The keys the vault works with, from settings."""

    keyring: crypto.MasterKeyring
    index: crypto.BlindIndex

    @classmethod
    def from_settings(cls, master_keys: str, index_key: str) -> VaultCrypto:
        return cls(crypto.MasterKeyring.from_setting(master_keys), crypto.BlindIndex.from_setting(index_key))

    def identity_digest(self, identity_code: str) -> bytes:
        return self.index.digest("identity_code", crypto.identity_code_key(identity_code))

    def similarity_digest(self, person: PersonalData, municipality: str) -> bytes:
        key = crypto.name_birth_municipality_key(person.name, person.date_of_birth, municipality)
        return self.index.digest("name_birth_municipality", key)


@dataclass(frozen=True)
class Accessor:
    """Who reads personal data, for the access log: a credential, never a person's name."""

    principal: str
    role: str
    key_id: str
    purpose: str


_SIMILAR = """SELECT m.client_id FROM vault_match_keys m
              WHERE m.kind = 'name_birth_municipality' AND m.digest = $1
                AND NOT ($2 AND EXISTS (SELECT 1 FROM vault_match_keys i
                                        WHERE i.client_id = m.client_id AND i.kind = 'identity_code'))
              ORDER BY m.client_id"""

_INSERT_MATCH_KEYS = """INSERT INTO vault_match_keys (client_id, kind, digest)
                        SELECT $1, kind, digest FROM unnest($2::text[], $3::bytea[]) AS m(kind, digest)"""

_STORE_NEW = """
WITH new_key AS (
    INSERT INTO vault_keys (client_id, master_key_id, wrapped_key) VALUES ($1, $2, $3) RETURNING client_id
), record AS (
    INSERT INTO vault_records (client_id, ciphertext) SELECT client_id, $4 FROM new_key RETURNING revision
), match_keys AS (
    INSERT INTO vault_match_keys (client_id, kind, digest)
    SELECT new_key.client_id, m.kind, m.digest FROM new_key, unnest($5::text[], $6::bytea[]) AS m(kind, digest)
)
SELECT revision FROM record
"""


class PostgresVault:
    def __init__(self, conn: asyncpg.Connection, keys: VaultCrypto) -> None:
        self.conn, self.keys = conn, keys

    async def store(self, client_id: UUID, record: VaultRecord, municipality: str) -> int:
        """Create or replace the client's record (a new client gets a new data key) and its match keys;
        returns the record's new revision. The key row is locked first, so a concurrent erasure waits
        for this store or this store sees it; an erased client's record is never written again."""
        row = await self.conn.fetchrow(
            "SELECT master_key_id, wrapped_key FROM vault_keys WHERE client_id = $1 FOR UPDATE", client_id)
        digests = [("name_birth_municipality", self.keys.similarity_digest(record.person, municipality))]
        if record.person.identity_code is not None:
            digests.append(("identity_code", self.keys.identity_digest(record.person.identity_code)))
        kinds, values = [kind for kind, _ in digests], [digest for _, digest in digests]
        if row is None:
            if await self.conn.fetchval("SELECT true FROM vault_erased WHERE client_id = $1", client_id):
                raise Refused("R29", "the client's personal data was erased; nothing is stored for them again")
            data_key = crypto.new_data_key()
            key_id, wrapped = self.keys.keyring.wrap(data_key)
            blob = crypto.encrypt(data_key, record.to_bytes(), client_id=client_id)
            # A new key has no record and no match keys yet: all three in one statement.
            return await self.conn.fetchval(_STORE_NEW, client_id, key_id, wrapped, blob, kinds, values)
        data_key = self.keys.keyring.unwrap(row["master_key_id"], row["wrapped_key"])
        blob = crypto.encrypt(data_key, record.to_bytes(), client_id=client_id)
        revision = await self.conn.fetchval(
            """INSERT INTO vault_records (client_id, ciphertext) VALUES ($1, $2)
               ON CONFLICT (client_id) DO UPDATE SET ciphertext = EXCLUDED.ciphertext, updated_at = now(),
                                                     revision = vault_records.revision + 1
               RETURNING revision""",
            client_id, blob)
        await self.conn.execute("DELETE FROM vault_match_keys WHERE client_id = $1", client_id)
        await self.conn.execute(_INSERT_MATCH_KEYS, client_id, kinds, values)
        return revision

    async def revision(self, client_id: UUID, *, lock: bool = False) -> int | None:
        """The record's revision (its ETag), locked for this transaction when `lock`; None once erased."""
        return await self.conn.fetchval(
            "SELECT revision FROM vault_records WHERE client_id = $1" + (" FOR UPDATE" if lock else ""), client_id)

    async def propose(self, client_id: UUID, proposal: ProposedChange) -> None:
        """Keep personal data sent by someone other than the responsible organisation, encrypted under
        the client's data key, for an officer to accept or reject. A sender's newer proposal replaces
        its older open one, so repeating a form does not pile up work."""
        data_key = await self._data_key(client_id)
        await self.conn.execute("DELETE FROM proposed_changes WHERE client_id = $1 AND proposed_by = $2 "
                                "AND decision IS NULL", client_id, proposal.proposed_by)
        blob = crypto.encrypt(data_key, json.dumps(proposal.values, ensure_ascii=False).encode(), client_id=client_id)
        await self.conn.execute(
            """INSERT INTO proposed_changes (change_id, client_id, proposed_by, source, fields, ciphertext, proposed_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7)""",
            proposal.change_id, client_id, proposal.proposed_by, proposal.source, sorted(proposal.values), blob,
            proposal.proposed_at)

    async def proposals(self, client_id: UUID, *, change_id: UUID | None = None,
                        lock: bool = False) -> list[ProposedChange]:
        """The client's open proposed changes, oldest first (or the one with `change_id`)."""
        rows = await self.conn.fetch(
            """SELECT change_id, proposed_by, source, ciphertext, proposed_at FROM proposed_changes
               WHERE client_id = $1 AND decision IS NULL AND ($2::uuid IS NULL OR change_id = $2)
               ORDER BY proposed_at, change_id""" + (" FOR UPDATE" if lock else ""), client_id, change_id)
        if not rows:
            return []
        data_key = await self._data_key(client_id)
        return [ProposedChange(r["change_id"], r["proposed_by"], r["source"], r["proposed_at"],
                               json.loads(crypto.decrypt(data_key, r["ciphertext"], client_id=client_id)))
                for r in rows]

    async def decide(self, change_id: UUID, decision: str, decided_by: str, now: datetime) -> None:
        """Record the decision and drop the proposed values (the accepted ones are in the record now)."""
        await self.conn.execute(
            """UPDATE proposed_changes SET decision = $2, decided_by = $3, decided_at = $4, ciphertext = NULL
               WHERE change_id = $1""", change_id, decision, decided_by, now)

    async def _data_key(self, client_id: UUID) -> bytes:
        row = await self.conn.fetchrow("SELECT master_key_id, wrapped_key FROM vault_keys WHERE client_id = $1",
                                       client_id)
        if row is None:
            raise Refused("R29", "the client's personal data was erased")
        return self.keys.keyring.unwrap(row["master_key_id"], row["wrapped_key"])

    async def load(self, client_id: UUID) -> VaultRecord | None:
        """The client's record, or None once erased (or never stored)."""
        row = await self.conn.fetchrow(
            """SELECT k.master_key_id, k.wrapped_key, r.ciphertext
               FROM vault_keys k JOIN vault_records r USING (client_id) WHERE client_id = $1""", client_id)
        return None if row is None else self._decrypted(client_id, row)

    def _decrypted(self, client_id: UUID, row: asyncpg.Record) -> VaultRecord:
        data_key = self.keys.keyring.unwrap(row["master_key_id"], row["wrapped_key"])
        return VaultRecord.from_bytes(crypto.decrypt(data_key, row["ciphertext"], client_id=client_id))

    async def read_for(self, client_id: UUID, accessor: Accessor, fields: tuple[str, ...]) -> VaultRecord | None:
        """`load`, written to the access log in the same transaction (also when nothing is there)."""
        await self.conn.execute(
            """INSERT INTO vault_access_log (client_id, principal, role, key_id, purpose, fields)
               VALUES ($1, $2, $3, $4, $5, $6)""",
            client_id, accessor.principal, accessor.role, accessor.key_id, accessor.purpose, list(fields))
        return await self.load(client_id)

    async def read_many_for(self, reads: list[tuple[UUID, Accessor]], fields: tuple[str, ...]
                            ) -> dict[UUID, VaultRecord]:
        """`read_for` of several clients at once: every read written to the access log (also of a client
        with nothing there), then the records found, by client."""
        await self.conn.executemany(
            """INSERT INTO vault_access_log (client_id, principal, role, key_id, purpose, fields)
               VALUES ($1, $2, $3, $4, $5, $6)""",
            [(client_id, a.principal, a.role, a.key_id, a.purpose, list(fields)) for client_id, a in reads])
        rows = await self.conn.fetch(
            """SELECT client_id, k.master_key_id, k.wrapped_key, r.ciphertext
               FROM vault_keys k JOIN vault_records r USING (client_id) WHERE client_id = ANY($1::uuid[])""",
            list({client_id for client_id, _ in reads}))
        return {r["client_id"]: self._decrypted(r["client_id"], r) for r in rows}

    async def find_by_identity_code(self, identity_code: str) -> UUID | None:
        return await self.conn.fetchval(
            "SELECT client_id FROM vault_match_keys WHERE kind = 'identity_code' AND digest = $1",
            self.keys.identity_digest(identity_code))

    async def find_person(self, person: PersonalData, municipality: str) -> tuple[UUID | None, list[UUID]]:
        """In one round trip: the client with the person's identity code (None without a code), and the
        clients with the same (loosely matched) name, birth date and municipality who could be this
        person: a client holding another identity code is someone else and is left out."""
        row = await self.conn.fetchrow(
            f"""SELECT (SELECT client_id FROM vault_match_keys WHERE kind = 'identity_code' AND digest = $3)
                       AS by_identity_code,
                       ARRAY({_SIMILAR}) AS similar""",
            self.keys.similarity_digest(person, municipality), person.identity_code is not None,
            None if person.identity_code is None else self.keys.identity_digest(person.identity_code))
        return row["by_identity_code"], list(row["similar"])

    async def erase(self, client_id: UUID) -> bool:
        """Delete the data key, and with it the data, the match keys and proposed changes, and remember
        the client as erased so nothing is stored for them again; True if there was a key."""
        await self.conn.execute("INSERT INTO vault_erased (client_id) VALUES ($1) ON CONFLICT DO NOTHING", client_id)
        return await self.conn.fetchval("DELETE FROM vault_keys WHERE client_id = $1 RETURNING true",
                                        client_id) is True

    async def access_log(self, client_id: UUID, limit: int = 200) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            """SELECT principal, role, key_id, purpose, fields, accessed_at FROM vault_access_log
               WHERE client_id = $1 ORDER BY accessed_at DESC, id DESC LIMIT $2""", client_id, limit)


async def rewrap_all(conn: asyncpg.Connection, keyring: crypto.MasterKeyring, batch: int = 500) -> int:
    """Re-wrap every data key not under the current master key (after rotating the master key, before
    the old one is removed from settings). The data itself is not touched. Returns how many."""
    done = 0
    while True:
        async with conn.transaction():
            rows = await conn.fetch(
                """SELECT client_id, master_key_id, wrapped_key FROM vault_keys WHERE master_key_id <> $1
                   LIMIT $2 FOR UPDATE SKIP LOCKED""", keyring.current_id, batch)
            for row in rows:
                key_id, wrapped = keyring.wrap(keyring.unwrap(row["master_key_id"], row["wrapped_key"]))
                await conn.execute("UPDATE vault_keys SET master_key_id = $2, wrapped_key = $3 WHERE client_id = $1",
                                   row["client_id"], key_id, wrapped)
        done += len(rows)
        if len(rows) < batch:
            return done
