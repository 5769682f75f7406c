"""Event-store append throughput vs a plain INSERT and vs the `eventsourcing` library's PostgreSQL recorder.

One workload (transactions of `per_txn` events, each to one client's stream, round-robin over 400
clients: the first 400 create streams, the rest append to existing ones) is run by three writers
on the same scratch database, interleaved within each repetition, tables emptied before each run:

- ours: `backbone.eventstore.append` inside an asyncpg transaction (advisory lock, version check,
  savepoint, insert; the envelope is serialised inside the timed call);
- plain: asyncpg INSERT of the same rows (bytes pre-serialised) into a table with the same columns
  and no keys or indexes, one statement = one transaction;
- eventsourcing: `PostgresApplicationRecorder.insert_events` (psycopg 3, its default settings:
  pipeline, EXCLUSIVE table lock, NOTIFY) with `StoredEvent`s, from threads.

With W writers, writer w runs the transactions j with j % W == w; W divides 400, so each client's
stream belongs to one writer and no optimistic-concurrency conflict can occur.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlparse

import asyncpg
from backbone import eventstore
from contracts.envelope import Envelope

from bench.common import N_CLIENTS, Sizes, Target, envelopes, log, median, new_clients, scratch_database

SYSTEMS = ("ours", "plain", "eventsourcing")

_PLAIN_TABLE = """
CREATE TABLE plain_events (
    stream_id uuid, version integer, event_id uuid, client_id uuid, type text, envelope bytea,
    recorded_at timestamptz DEFAULT now()
)"""
_PLAIN_ONE = "INSERT INTO plain_events (stream_id, version, event_id, client_id, type, envelope) " \
             "VALUES ($1, $2, $3, $4, $5, $6)"
_PLAIN_MANY = "INSERT INTO plain_events (stream_id, version, event_id, client_id, type, envelope) " \
              "SELECT * FROM unnest($1::uuid[], $2::int[], $3::uuid[], $4::uuid[], $5::text[], $6::bytea[])"


@dataclass(frozen=True)
class Txn:
    stream: uuid.UUID
    expected: int  # the stream's version before this transaction
    envelopes: list[Envelope]
    rows: list[tuple]  # (stream_id, version, event_id, client_id, type, envelope bytes) for the baselines


@dataclass(frozen=True)
class Workload:
    txns: list[Txn]

    @property
    def events(self) -> int:
        return sum(len(t.envelopes) for t in self.txns)


def workload(n_txns: int, per_txn: int, clients: Sequence[uuid.UUID] | None = None) -> Workload:
    clients = list(clients or new_clients(N_CLIENTS))
    versions = dict.fromkeys(clients, 0)
    txns = []
    for j in range(n_txns):
        stream = clients[j % len(clients)]
        envs = envelopes(per_txn, [stream])
        expected = versions[stream]
        rows = [(stream, expected + k + 1, e.event_id, e.client_id, e.type, e.to_bytes()) for k, e in enumerate(envs)]
        versions[stream] = expected + per_txn
        txns.append(Txn(stream, expected, envs, rows))
    return Workload(txns)


def _mine(wl: Workload, writer: int, writers: int) -> list[Txn]:
    return wl.txns[writer::writers]


async def run_ours(pool: asyncpg.Pool, wl: Workload, writers: int) -> float:
    async def write(w: int, conn: asyncpg.Connection) -> None:
        for t in _mine(wl, w, writers):
            async with conn.transaction():
                await eventstore.append(conn, t.stream, t.expected, t.envelopes)

    return await _timed_async(pool, writers, write, wl.events)


async def run_plain(pool: asyncpg.Pool, wl: Workload, writers: int) -> float:
    async def write(w: int, conn: asyncpg.Connection) -> None:
        for t in _mine(wl, w, writers):
            if len(t.rows) == 1:
                await conn.execute(_PLAIN_ONE, *t.rows[0])
            else:
                await conn.execute(_PLAIN_MANY, *(list(col) for col in zip(*t.rows, strict=True)))

    return await _timed_async(pool, writers, write, wl.events)


async def _timed_async(pool: asyncpg.Pool, writers: int, write, events: int) -> float:
    conns = [await pool.acquire() for _ in range(writers)]  # connected before the clock starts
    try:
        start = time.perf_counter()
        await asyncio.gather(*(write(w, c) for w, c in enumerate(conns)))
        return events / (time.perf_counter() - start)
    finally:
        for c in conns:
            await pool.release(c)


@dataclass
class EsRecorder:
    """The eventsourcing library's recorder on the scratch database (psycopg 3 pool of `pool_size`)."""

    dsn: str
    pool_size: int
    datastore: object = field(init=False)
    recorder: object = field(init=False)

    def __post_init__(self) -> None:
        from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

        u = urlparse(self.dsn)
        self.datastore = PostgresDatastore(dbname=u.path.lstrip("/"), host=u.hostname, port=u.port, user=u.username,
                                           password=u.password, pool_size=self.pool_size)
        self.recorder = PostgresApplicationRecorder(self.datastore, events_table_name="stored_events")
        self.recorder.create_table()
        self.datastore.pool.open(wait=True, timeout=30)  # every connection made before any timing

    def close(self) -> None:
        self.datastore.close()


def run_eventsourcing(es: EsRecorder, wl: Workload, writers: int) -> float:
    from eventsourcing.persistence import StoredEvent

    batches = [[[StoredEvent(originator_id=r[0], originator_version=r[1], topic=r[4], state=r[5]) for r in t.rows]
                for t in _mine(wl, w, writers)] for w in range(writers)]
    barrier = threading.Barrier(writers + 1)
    errors: list[BaseException] = []

    def write(mine: list) -> None:
        barrier.wait()
        try:
            for stored in mine:
                es.recorder.insert_events(stored)
        except BaseException as exc:  # noqa: BLE001 - reported after the join
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(b,)) for b in batches]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    return wl.events / elapsed


@dataclass
class AppendResult:
    """events/s: result[(writers, per_txn)][system] = list of the repetitions' rates."""

    rates: dict[tuple[int, int], dict[str, list[float]]]

    def median(self, writers: int, per_txn: int, system: str) -> float:
        return median(self.rates[(writers, per_txn)][system])


async def bench_appends(target: Target, sizes: Sizes, writer_counts: Sequence[int] = (1, 8)) -> AppendResult:
    rates: dict[tuple[int, int], dict[str, list[float]]] = {}
    async with scratch_database(target, "append") as dsn:
        pool = await asyncpg.create_pool(dsn, min_size=max(writer_counts), max_size=max(writer_counts))
        es = await asyncio.to_thread(EsRecorder, dsn, max(writer_counts))
        try:
            async with pool.acquire() as conn:
                await conn.execute(_PLAIN_TABLE)
            for per_txn, n_txns in ((1, sizes.append_txns), (sizes.batch, sizes.append_txns_batch)):
                for writers in writer_counts:
                    got = rates.setdefault((writers, per_txn), {s: [] for s in SYSTEMS})
                    for rep in range(sizes.reps):
                        wl = workload(n_txns, per_txn)
                        for system in SYSTEMS:
                            await _empty(pool)
                            if system == "ours":
                                rate = await run_ours(pool, wl, writers)
                            elif system == "plain":
                                rate = await run_plain(pool, wl, writers)
                            else:
                                rate = await asyncio.to_thread(run_eventsourcing, es, wl, writers)
                            await _check_count(pool, system, wl.events)
                            got[system].append(rate)
                        log(f"append {writers} writer(s), {per_txn}/txn, rep {rep + 1}: "
                            + ", ".join(f"{s} {got[s][-1]:,.0f}/s" for s in SYSTEMS))
        finally:
            await asyncio.to_thread(es.close)
            await pool.close()
    return AppendResult(rates)


async def _empty(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await conn.execute("TRUNCATE event_store, plain_events, stored_events")
        await conn.execute("CHECKPOINT")  # each run starts with the same amount of dirty pages: none


async def _check_count(pool: asyncpg.Pool, system: str, expected: int) -> None:
    table = {"ours": "event_store", "plain": "plain_events", "eventsourcing": "stored_events"}[system]
    async with pool.acquire() as conn:
        got = await conn.fetchval(f"SELECT count(*) FROM {table}")
    if got != expected:
        raise RuntimeError(f"{system}: {got} rows stored, {expected} expected")
