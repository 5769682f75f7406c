"""Intake registrations through `handlers.register` vs plain INSERTs of the same rows; vault reads vs a plain SELECT.

On one scratch database with the runtime's and intake's migrations, interleaved within each repetition:

- ours: `handlers.register` of a kela_notification about a new invented person (unique identity code,
  name and birth date: no duplicate path), i.e. identity-code and similarity look-ups (two HMAC match
  keys), a new data key wrapped under the master key, AES-GCM encryption, the event append and the
  query-table upsert, in one unit of work;
- plain: per registration, one transaction on a pooled connection with the same INSERTs (one row each,
  the sizes a probe registration wrote per table) into tables with no keys, indexes or checks.

Then reads of the records the last registration run stored: ours = a unit of work around
`vault.load` (join with the data key, unwrap, decrypt, parse); plain = `SELECT ciphertext` of the
same row in a transaction on a pooled connection. With W writers, writer w runs registrations i % W == w.
"""

from __future__ import annotations

import asyncio
import base64
import os
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import asyncpg
from backbone import db
from contracts.ingress import REGISTRATION, PersonalData
from backbone.clock import SystemClock
from intake.adapters.postgres import PostgresUnitOfWork
from intake.adapters.vault import VaultCrypto
from intake.bootstrap import MIGRATIONS
from intake.domain.client import Policy
from intake.service_layer import commands, handlers

from bench.common import Sizes, Target, log, median, scratch_database
from tests.support.people import Person, invent

SYSTEMS = ("ours", "plain")
TABLES = ("vault_keys", "vault_records", "vault_match_keys", "event_store", "clients")  # what a registration writes
_OURS_TABLES = ("event_store, clients, vault_keys, vault_records, vault_match_keys, duplicate_flags, proposed_changes, "
                "handovers, vault_erased")


@dataclass(frozen=True)
class Shape:
    """What one registration writes: (table, rows, bytes per row as `pg_column_size`), from a probe."""

    tables: tuple[tuple[str, int, int], ...]

    @property
    def inserts(self) -> int:
        return sum(rows for _, rows, _ in self.tables)

    def text(self) -> str:
        return ", ".join(f"{table} {rows}x{size} B" for table, rows, size in self.tables)


@dataclass
class RegistrationResult:
    """registrations/s: rates[writers][system]; reads/s: reads[system]; lists of the repetitions' rates."""

    rates: dict[int, dict[str, list[float]]]
    reads: dict[str, list[float]]
    shape: Shape

    def median(self, writers: int, system: str) -> float:
        return median(self.rates[writers][system])

    def read_median(self, system: str) -> float:
        return median(self.reads[system])


class People:
    """Invented people unique within one benchmark run: seeds from a run id, repeats skipped."""

    def __init__(self) -> None:
        self.run_id, self.n, self.seen = uuid.uuid4().hex, 0, set()

    def take(self, n: int) -> list[Person]:
        found: list[Person] = []
        while len(found) < n:
            self.n += 1
            p = invent(f"{self.run_id}-{self.n}")
            keys = {p.identity_code, (p.name.casefold(), p.date_of_birth, p.home_municipality)}
            if not keys & self.seen:
                self.seen |= keys
                found.append(p)
        return found


def register_command(person: Person, today: date) -> commands.Register:
    """A valid kela_notification about `person` (a permit a year ago), as Kela's system sends it."""
    facts = {"source": "kela_notification", "home_municipality": person.home_municipality,
             "first_permit_date": (today - timedelta(days=365)).isoformat(),
             "moved_to_finland_on": (today - timedelta(days=400)).isoformat(),
             "benefit": "social_assistance", "non_temporary": True,
             "decided_on": (today - timedelta(days=3)).isoformat()}
    return commands.Register(sender="kela", registration=REGISTRATION.validate_python(facts),
                             person=PersonalData.model_validate(person.personal_data()))


def new_keys() -> VaultCrypto:
    """Keys of this run only, in the settings' format: the scratch vault is dropped afterwards."""
    key = base64.b64encode(os.urandom(32)).decode()
    return VaultCrypto.from_settings(f"k1:{key}", base64.b64encode(os.urandom(32)).decode())


async def run_ours(deps: handlers.Deps, cmds: Sequence[commands.Register], writers: int) -> float:
    async def write(w: int) -> None:
        for cmd in cmds[w::writers]:
            await handlers.register(cmd, deps)

    return await _timed(writers, write, len(cmds))


async def run_plain(pool: asyncpg.Pool, rows: Sequence[list[tuple[str, bytes]]], writers: int) -> float:
    async def write(w: int) -> None:
        for registration in rows[w::writers]:
            client_id = uuid.uuid4()
            async with pool.acquire() as conn, conn.transaction():
                for table, payload in registration:
                    await conn.execute(f"INSERT INTO plain_{table} (client_id, payload) VALUES ($1, $2)",
                                       client_id, payload)

    return await _timed(writers, write, len(rows))


async def run_reads(read: Callable[[uuid.UUID], Awaitable[object]], ids: Sequence[uuid.UUID], n: int) -> float:
    start = time.perf_counter()
    for i in range(n):
        if await read(ids[i % len(ids)]) is None:
            raise RuntimeError("a vault record the benchmark stored is missing")
    return n / (time.perf_counter() - start)


async def _timed(writers: int, write: Callable[[int], Awaitable[None]], done: int) -> float:
    start = time.perf_counter()
    await asyncio.gather(*(write(w) for w in range(writers)))
    return done / (time.perf_counter() - start)


async def bench_registration(target: Target, sizes: Sizes, writer_counts: Sequence[int] = (1, 8)) -> RegistrationResult:
    keys, people, clock = new_keys(), People(), SystemClock()
    rates = {w: {s: [] for s in SYSTEMS} for w in writer_counts}
    reads: dict[str, list[float]] = {s: [] for s in SYSTEMS}
    async with scratch_database(target, "register") as dsn:
        pool = await asyncpg.create_pool(dsn, min_size=max(writer_counts), max_size=max(writer_counts))
        try:
            await db.migrate(pool, MIGRATIONS, prefix="intake/")
            deps = handlers.Deps(uow=lambda: PostgresUnitOfWork(pool, keys), clock=clock, policy=Policy())
            shape = await _probe(pool, deps, register_command(people.take(1)[0], clock.today()))
            for writers in writer_counts:
                for rep in range(sizes.reps):
                    cmds = [register_command(p, clock.today()) for p in people.take(sizes.registrations)]
                    plain = [[(t, os.urandom(max(1, size - 44))) for t, n, size in shape.tables for _ in range(n)]
                             for _ in cmds]  # 44: tuple header, uuid and bytea header of the plain row
                    for system in SYSTEMS:
                        await _empty(pool, system)
                        rate = await (run_ours(deps, cmds, writers) if system == "ours"
                                      else run_plain(pool, plain, writers))
                        await _check_count(pool, system, len(cmds) * (1 if system == "ours" else shape.inserts))
                        rates[writers][system].append(rate)
                    log(f"register {writers} writer(s), rep {rep + 1}: "
                        + ", ".join(f"{s} {rates[writers][s][-1]:,.0f}/s" for s in SYSTEMS))
            await _bench_reads(pool, keys, sizes, reads)
        finally:
            await pool.close()
    return RegistrationResult(rates, reads, shape)


async def _bench_reads(pool: asyncpg.Pool, keys: VaultCrypto, sizes: Sizes, reads: dict[str, list[float]]) -> None:
    async with pool.acquire() as conn:
        ids = [r["client_id"] for r in await conn.fetch("SELECT client_id FROM vault_records")]

    async def ours(client_id: uuid.UUID) -> object:
        async with PostgresUnitOfWork(pool, keys) as uow:
            return await uow.vault.load(client_id)

    async def plain(client_id: uuid.UUID) -> object:
        async with pool.acquire() as conn, conn.transaction():
            return await conn.fetchrow("SELECT ciphertext FROM vault_records WHERE client_id = $1", client_id)

    for rep in range(sizes.reps):
        for system, read in (("ours", ours), ("plain", plain)):
            reads[system].append(await run_reads(read, ids, sizes.vault_reads))
        log(f"vault read, rep {rep + 1}: " + ", ".join(f"{s} {reads[s][-1]:,.0f}/s" for s in SYSTEMS))


async def _probe(pool: asyncpg.Pool, deps: handlers.Deps, cmd: commands.Register) -> Shape:
    """Register one person (untimed; it also warms up) and measure what it wrote; make the plain tables."""
    await handlers.register(cmd, deps)
    async with pool.acquire() as conn:
        shape = []
        for table in TABLES:
            row = await conn.fetchrow(f"SELECT count(*) AS n, avg(pg_column_size(t.*))::int AS size FROM {table} t")
            shape.append((table, row["n"], row["size"]))
            await conn.execute(f"CREATE TABLE plain_{table} (client_id uuid, payload bytea)")
    return Shape(tuple(shape))


async def _empty(pool: asyncpg.Pool, system: str) -> None:
    """Empty the tables `system` writes (the other's rows stay: the reads use the last vault)."""
    tables = _OURS_TABLES if system == "ours" else ", ".join(f"plain_{t}" for t in TABLES)
    async with pool.acquire() as conn:
        await conn.execute(f"TRUNCATE {tables}")
        await conn.execute("CHECKPOINT")  # each run starts with the same amount of dirty pages: none


async def _check_count(pool: asyncpg.Pool, system: str, expected: int) -> None:
    """Ours: one client per registration (fewer if one had matched an existing client)."""
    query = "SELECT count(*) FROM clients" if system == "ours" else \
        "SELECT " + " + ".join(f"(SELECT count(*) FROM plain_{t})" for t in TABLES)
    async with pool.acquire() as conn:
        got = await conn.fetchval(query)
    if got != expected:
        raise RuntimeError(f"{system}: {got} rows stored, {expected} expected")
