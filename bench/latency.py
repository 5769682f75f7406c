"""Latency from an append's commit to the audit record's commit, at a fixed offered rate.

The real audit service runs as a subprocess (`python -m audit`, the target's settings, a free HTTP
port); it consumes integration.intake.v1 as consumer group `audit.trail` and writes `audit_trail`
(received_at is set by its handler, inside the transaction that commits the record). This process
appends ClientRegistered events, one per transaction and each to a new client's stream, through
`eventstore.append` into intake's own database (role `intake`), on a schedule of `rate` events/s,
and runs a `Relay` as service "intake" (if the intake service runs, its relay may hold the leader
lock and publish instead: that is fine). For each event it records:

- commit: wall-clock time when the append's transaction committed (this process);
- kafka: when a consumer in this process (principal audit, its own group) first read it;
- audit received_at: the audit handler's clock, in the transaction that then commits;
- audit committed: when polling `audit_trail` as role `audit` every POLL_S first saw the row.

Before the offered load, the audit service first works off any backlog (its group's lag on the
topics it reads must reach 0, within `catch_up_timeout`); otherwise, or when services/audit is not
there, only commit -> readable on Kafka is measured, and the table says so.

Baseline, measured before the audit service starts: a raw aiokafka producer (idempotent, acks=all)
sends the same kind of envelopes at the same rate; latency = from `send` to the consumer reading it.

The audit process's RSS is sampled every 0.1 s: idle after start, during catch-up, under load.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import tempfile
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from backbone import db, eventstore
from backbone.app import RUNTIME_MIGRATIONS
from backbone.relay import Relay
from contracts.envelope import Envelope
from contracts.topics import event_topic

from bench.common import RssSampler, ServiceRun, Sizes, Target, envelopes, headers, log, new_clients, producer
from deploy.config import REPO

SERVICE = "intake"
TOPIC = event_topic(SERVICE)
POLL_S = 0.02


@dataclass
class LatencyResult:
    rate: float  # offered events/s, as achieved by the generator
    events: int
    baseline: list[float]  # seconds, raw produce -> consumed
    kafka: list[float]  # seconds, append committed -> readable on Kafka
    audit_received: list[float] | None = None  # seconds, append committed -> audit received_at
    audit_committed: list[float] | None = None  # seconds, append committed -> audit row seen committed
    audit_note: str = ""  # why the audit figures are missing, when they are
    missing_in_audit: int = 0
    catch_up_events: int = 0
    catch_up_seconds: float = 0.0
    rss_idle: int = 0
    rss_catch_up: int = 0
    rss_load: int = 0
    log_file: str = ""
    notes: list[str] = field(default_factory=list)


def audit_available() -> str | None:
    """None when services/audit can run; otherwise why not."""
    if importlib.util.find_spec("audit") is None:
        return "package audit not installed"
    migrations = REPO / "services" / "audit" / "src" / "audit" / "migrations"
    if not any("audit_trail" in p.read_text() for p in migrations.glob("*.sql")):
        return "no audit_trail migration in services/audit"
    return None


# Kafka helpers ---------------------------------------------------------------------------------

class Observer:
    """Reads a topic from its current end (principal audit, own group) and notes when each event_id arrives."""

    def __init__(self, target: Target, topic: str = TOPIC) -> None:
        self.consumer = AIOKafkaConsumer(**target.kafka("audit"), group_id=f"audit-bench-{uuid.uuid4().hex[:12]}",
                                         client_id="audit-bench-observer", enable_auto_commit=False)
        self.topic = topic
        self.seen: dict[uuid.UUID, float] = {}
        self.wanted: set[uuid.UUID] = set()
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        await self.consumer.start()
        partitions = self.consumer.partitions_for_topic(self.topic)
        if not partitions:
            await self.consumer._client.force_metadata_update()
            partitions = self.consumer.partitions_for_topic(self.topic)
        tps = [TopicPartition(self.topic, p) for p in sorted(partitions)]
        self.consumer.assign(tps)
        await self.consumer.seek_to_end(*tps)
        for tp in tps:
            await self.consumer.position(tp)  # resolve the end now, before anything is sent
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            batches = await self.consumer.getmany(timeout_ms=100, max_records=1000)
            now = time.time()
            for records in batches.values():
                for r in records:
                    event_id = next((uuid.UUID(v.decode()) for k, v in r.headers if k == "event_id"), None)
                    if event_id in self.wanted and event_id not in self.seen:
                        self.seen[event_id] = now

    async def wait_for(self, ids: Iterable[uuid.UUID], timeout: float) -> None:
        ids = set(ids)
        deadline = time.monotonic() + timeout
        while not ids <= self.seen.keys() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.consumer.stop()


async def raw_baseline(target: Target, rate: float, seconds: float, timeout: float) -> list[float]:
    """Raw aiokafka produce -> consume latency at `rate` for `seconds` (seconds per message)."""
    envs = envelopes(max(1, int(rate * seconds)), new_clients())
    messages = [(e.event_id, e.to_bytes(), e.key(), headers(e, SERVICE)) for e in envs]
    observer = Observer(target)
    await observer.start()
    observer.wanted = {m[0] for m in messages}
    kafka = await producer(target, SERVICE)
    sent: dict[uuid.UUID, float] = {}
    try:
        futures = []
        t0 = time.monotonic()
        for i, (event_id, value, key, hdrs) in enumerate(messages):
            await asyncio.sleep(max(0.0, t0 + i / rate - time.monotonic()))
            sent[event_id] = time.time()
            futures.append(await kafka.send(TOPIC, value, key=key, headers=hdrs))
        await asyncio.gather(*futures)
        await observer.wait_for(sent, timeout)
    finally:
        await kafka.stop()
        await observer.stop()
    return [observer.seen[i] - t for i, t in sent.items() if i in observer.seen]


async def audit_lag(target: Target, group: str, topics: tuple[str, ...]) -> int:
    """How many messages of `topics` the consumer group has not committed yet."""
    consumer = AIOKafkaConsumer(**target.kafka("audit"), client_id="audit-bench-lag")
    admin = AIOKafkaAdminClient(**target.kafka("audit"), client_id="audit-bench-lag")
    await consumer.start()
    await admin.start()
    try:
        await consumer._client.force_metadata_update()
        tps = [TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or ())]
        ends = await consumer.end_offsets(tps)
        starts = await consumer.beginning_offsets(tps)
        committed = await admin.list_consumer_group_offsets(group)
        return sum(max(0, ends[tp] - (committed[tp].offset if tp in committed and committed[tp].offset >= 0
                                       else starts[tp])) for tp in tps)
    finally:
        await admin.close()
        await consumer.stop()


async def group_members(target: Target, group: str) -> int | None:
    """How many consumers are in `group` now (None if Kafka would not say)."""
    admin = AIOKafkaAdminClient(**target.kafka("audit"), client_id="audit-bench-lag")
    await admin.start()
    try:
        described = await admin.describe_consumer_groups([group])
        return len(described[0].groups[0][5])
    except Exception:  # noqa: BLE001 - only for a note in the report
        return None
    finally:
        await admin.close()


# The audit service -----------------------------------------------------------------------------

class AuditProcess(ServiceRun):
    """`python -m audit` as a child process with the target's settings on a free port, logging to a
    temporary file that is kept only when asked (a failed run)."""

    def __init__(self, target: Target) -> None:
        fd, log_path = tempfile.mkstemp(prefix="bench-audit-", suffix=".log")
        os.close(fd)
        super().__init__(target, "audit", Path(log_path))

    def stop(self, *, keep_log: bool) -> None:
        super().stop()
        if not keep_log:
            Path(self.log_path).unlink(missing_ok=True)


class TrailPoller:
    """Polls audit_trail (as role audit) for new records; notes received_at and when each was first seen."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.received: dict[uuid.UUID, float] = {}
        self.seen: dict[uuid.UUID, float] = {}
        self.wanted: set[uuid.UUID] = set()
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        self.conn = await asyncpg.connect(self.dsn)
        self.last_seq = await self.conn.fetchval("SELECT coalesce(max(seq), 0) FROM audit_trail")
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            rows = await self.conn.fetch("SELECT seq, event_id, received_at FROM audit_trail WHERE seq > $1 "
                                         "ORDER BY seq LIMIT 10000", self.last_seq)
            now = time.time()
            for r in rows:
                if r["event_id"] in self.wanted:
                    self.seen[r["event_id"]] = now
                    self.received[r["event_id"]] = r["received_at"].timestamp()
            if rows:
                self.last_seq = rows[-1]["seq"]
            await asyncio.sleep(POLL_S)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.conn.close()


# The measured run ------------------------------------------------------------------------------

async def _unpublished(pool: asyncpg.Pool) -> int:
    async with pool.acquire() as conn:
        return await conn.fetchval("SELECT count(*) FROM event_store e, event_store_cursor c "
                                   "WHERE e.position IS NULL OR e.position > c.published_position")


async def _until(check, timeout: float, interval: float = 0.5):
    """Await `check()` until it returns 0 or `timeout` passes; returns the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value == 0 or time.monotonic() >= deadline:
            return value
        await asyncio.sleep(interval)


async def _offer(pool: asyncpg.Pool, envs: list[Envelope], rate: float) -> tuple[dict[uuid.UUID, float], float]:
    """Append each envelope to its own new stream at `rate`/s; returns commit times and the achieved rate."""
    committed: dict[uuid.UUID, float] = {}

    async def append_one(env: Envelope) -> None:
        async with pool.acquire() as conn:
            async with conn.transaction():
                await eventstore.append(conn, env.client_id, 0, [env])
            committed[env.event_id] = time.time()

    tasks = []
    t0 = time.monotonic()
    for i, env in enumerate(envs):
        await asyncio.sleep(max(0.0, t0 + i / rate - time.monotonic()))
        tasks.append(asyncio.create_task(append_one(env)))
    offered_for = time.monotonic() - t0
    await asyncio.gather(*tasks)
    return committed, (len(envs) - 1) / offered_for if offered_for > 0 else float(len(envs))


async def bench_latency(target: Target, sizes: Sizes) -> LatencyResult:
    rate = sizes.latency_rate
    log(f"latency: raw produce->consume baseline at {rate:g}/s for {sizes.latency_baseline_seconds:g} s")
    baseline = await raw_baseline(target, rate, sizes.latency_baseline_seconds, sizes.drain_timeout)

    result = LatencyResult(rate=rate, events=0, baseline=baseline, kafka=[])
    unavailable = audit_available()
    audit: AuditProcess | None = None
    rss: RssSampler | None = None
    pool = await asyncpg.create_pool(target.service_dsn(SERVICE), min_size=2, max_size=10)
    kafka = await producer(target, SERVICE)
    relay_task: asyncio.Task | None = None
    observer = Observer(target)
    poller: TrailPoller | None = None
    failed = True
    try:
        await db.migrate(pool, RUNTIME_MIGRATIONS, prefix="backbone/")  # what the intake service does at start
        relay = Relay(pool, kafka, service=SERVICE, topic=TOPIC, kafka=target.kafka(SERVICE))
        relay_task = asyncio.create_task(relay.run())
        left = await _until(lambda: _unpublished(pool), sizes.drain_timeout)
        if left:
            result.notes.append(f"{left} earlier intake events were still unpublished")

        if unavailable is None:
            from audit.entrypoints.subscriber import SUBSCRIPTION_NAME, TOPICS

            audit = AuditProcess(target)
            log(f"latency: audit service started (pid {audit.proc.pid}, port {audit.port}, log {audit.log_path})")
            rss = RssSampler(audit.proc.pid, children=True).start()
            await audit.wait_ready()
            await asyncio.sleep(0.5)
            result.rss_idle = rss.sample()
            group = f"audit.{SUBSCRIPTION_NAME}"
            backlog = await audit_lag(target, group, TOPICS)
            log(f"latency: audit ready; waiting for it to work off a backlog of {backlog} events")
            t_catch = time.monotonic()
            lag = await _until(lambda: audit_lag(target, group, TOPICS), sizes.catch_up_timeout)
            result.catch_up_seconds = time.monotonic() - t_catch
            result.catch_up_events = backlog - lag
            rss.sample()
            result.rss_catch_up = rss.peak(since=t_catch)
            if lag:
                unavailable = f"audit still {lag} events behind after {sizes.catch_up_timeout:.0f} s of catch-up"
            else:
                poller = TrailPoller(target.service_dsn("audit"))
                await poller.start()
        result.audit_note = unavailable or ""

        n = max(1, int(rate * sizes.latency_seconds))
        envs = envelopes(n, new_clients(n))  # each to a new client's stream
        ids = {e.event_id for e in envs}
        await observer.start()
        observer.wanted = ids
        if poller is not None:
            poller.wanted = ids
        log(f"latency: offering {len(envs)} appends at {rate:.0f}/s"
            + ("" if poller else f" (measuring to Kafka only: {unavailable})"))
        t_load = time.monotonic()
        committed, result.rate = await _offer(pool, envs, rate)
        result.events = len(envs)
        await observer.wait_for(ids, sizes.drain_timeout)
        if poller is not None:
            deadline = time.monotonic() + sizes.drain_timeout
            while not ids <= poller.seen.keys() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            result.missing_in_audit = len(ids - poller.seen.keys())
            result.audit_received = [poller.received[i] - committed[i] for i in ids if i in poller.received]
            result.audit_committed = [poller.seen[i] - committed[i] for i in ids if i in poller.seen]
        if rss is not None:
            rss.sample()
            result.rss_load = rss.peak(since=t_load)
            members = await group_members(target, group)
            if members and members > 1:
                result.notes.append(f"{members} consumers shared the group {group} (another audit service runs on "
                                    "this deployment): events went through all of them; RSS is the subprocess's own")
        if relay.published == 0:
            result.notes.append("the intake service's own relay held the leader lock and published the events")
        result.kafka = [observer.seen[i] - committed[i] for i in ids if i in observer.seen]
        if len(result.kafka) < len(ids):
            result.notes.append(f"{len(ids) - len(result.kafka)} events not read from Kafka in time")
        if result.missing_in_audit:
            result.notes.append(f"{result.missing_in_audit} events not on the audit trail in time")
        failed = False
    finally:
        if poller is not None:
            await poller.stop()
        await observer.stop()
        if relay_task is not None:
            relay_task.cancel()
            await asyncio.gather(relay_task, return_exceptions=True)
        await kafka.stop()
        await pool.close()
        if rss is not None:
            rss.stop()
        if audit is not None:
            audit.stop(keep_log=failed)
            result.log_file = audit.log_path if failed else ""
    return result
