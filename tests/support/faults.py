"""Fault injectors for the fault tests (tests/e2e/faults): each breaks one real part for a while.

- `kill_service(system, name, down_s)`: SIGKILL a service process, then start it again.
- `kill_broker(infra, down_s)`: SIGKILL the Kafka broker of the local deployment, then start it again
  with deploy's own code (`deploy.kafka.start`: the same data folder, ports and configuration).
- `restart_postgres(infra, down_s)`: stop the PostgreSQL cluster with deploy's `pg_ctl` (fast mode:
  every connection is cut) and start it again.
- `sms_gateway(url, mode, seconds=...)` / `smtp_server(maildir, mode, seconds=...)`: the local SMS
  gateway and SMTP server fail, hang or answer late for a while (deploy/smsgateway.py, mailserver.py).
- `read_only(infra, service)`: the service's database role gets `default_transaction_read_only` and its
  connections are cut, as after a fail-over to a standby; at the end the setting goes and the
  connections are cut again (the new primary). `cut_connections(infra, service, seconds)` keeps cutting
  the role's connections (`pg_terminate_backend`) for a while.
- `Readiness(url)`: samples a service's `/readyz` in the background, so a test can show it said 503
  (with the reason) during a fault.
- `poison(infra, topic)`: bad messages on a topic, one of each kind (bytes that are no JSON, an unknown
  event type, a known type breaking its schema), as the admin principal; returns where each landed so
  its dead letters can be found (`dead_letters_of`).

The broker and the database are the test profile's, shared by every test of the run: the tests that
use `kill_broker` and `restart_postgres` are marked `after_all` and leave both running and healthy.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import signal
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from contracts.topics import all_topics
from deploy import kafka, mailserver, postgres, procs
from tests.support.events import registered


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


# Services ------------------------------------------------------------------------------------------

async def kill_service(system: Any, service: str, *, down_s: float = 1.0) -> None:
    """SIGKILL `service` (no shutdown: what it had not committed is gone), wait, start it again, ready."""
    await _call(system.kill, service)
    await asyncio.sleep(down_s)
    await _call(system.restart, service)


async def _call(method: Any, *args: Any) -> Any:
    """A System method, async or blocking: a blocking one runs in a thread, so the load goes on meanwhile."""
    if inspect.iscoroutinefunction(method):
        return await method(*args)
    return await _maybe_await(await asyncio.to_thread(method, *args))


# The broker and the database of the local deployment -------------------------------------------------

def _layout(infra):
    assert infra.layout is not None, ("broker and database faults restart the local deployment of deploy/; "
                                      f"this run uses infrastructure from {infra.origin}")
    return infra.layout


async def kill_broker(infra, *, down_s: float = 2.0) -> None:
    """SIGKILL the broker (no clean shutdown: its logs are recovered at start), then start it again."""
    layout = _layout(infra)
    pid = procs.read_pid(kafka.pidfile(layout))
    assert pid is not None, "the test profile's broker is not running"
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while procs.alive(pid):
        assert time.monotonic() < deadline, f"broker {pid} still alive after SIGKILL"
        await asyncio.sleep(0.1)
    await asyncio.sleep(down_s)
    await asyncio.to_thread(start_broker, infra)


def start_broker(infra) -> None:
    """Start the broker again with deploy's code, on its data folder and ports; wait until it answers."""
    layout = _layout(infra)
    kafka.start(layout, infra.secrets["kafka"])
    kafka.wait_ready(layout, infra.secrets["kafka"]["admin"], timeout=180)


async def restart_postgres(infra, *, down_s: float = 2.0) -> None:
    """Stop PostgreSQL with deploy's pg_ctl (fast: sessions are cut, transactions rolled back), start it."""
    layout = _layout(infra)
    password = infra.secrets["postgres"]["postgres"]
    await asyncio.to_thread(postgres.stop, layout)
    await asyncio.sleep(down_s)
    await asyncio.to_thread(postgres.start, layout, password)
    await asyncio.to_thread(postgres.wait_ready, layout, password)


def ensure_infrastructure(infra) -> None:
    """Broker and database up (what an after_all fault test leaves behind, even when it failed)."""
    layout = _layout(infra)
    if procs.read_pid(kafka.pidfile(layout)) is None:
        start_broker(infra)
    if not postgres.running(layout):
        postgres.start(layout, infra.secrets["postgres"]["postgres"])
    postgres.wait_ready(layout, infra.secrets["postgres"]["postgres"])
    kafka.wait_ready(layout, infra.secrets["kafka"]["admin"], timeout=180)


# The SMS gateway and the SMTP server -----------------------------------------------------------------

async def sms_gateway(url: str, mode: str, *, seconds: float | None = None, count: int = 0,
                      delay_s: float = 0.0) -> None:
    """`mode` fail|reject|delay|undeliverable|none for `seconds` (or the next `count` sends)."""
    body: dict[str, Any] = {"mode": mode, "count": count, "delay_s": delay_s}
    if seconds is not None:
        body["seconds"] = seconds
    async with httpx.AsyncClient(timeout=10) as http:
        (await http.post(f"{url}/control/faults", json=body)).raise_for_status()


def smtp_server(maildir: Path, mode: str, *, seconds: float | None = None, count: int | None = None,
                delay_s: float = 0.0) -> None:
    """`mode` fail|hang|delay|none for `seconds` (or the next `count` messages); see deploy/mailserver.py."""
    mailserver.set_faults(Path(maildir), mode, seconds=seconds, count=count, delay_s=delay_s)


# Database faults the inbox does not know -------------------------------------------------------------

async def _superuser(infra) -> asyncpg.Connection:
    return await asyncpg.connect(infra.dsn("postgres", "postgres"))


async def _cut(conn: asyncpg.Connection, role: str) -> int:
    return len(await conn.fetch(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()",
        role))


@asynccontextmanager
async def read_only(infra, service: str) -> AsyncIterator[None]:
    """Inside: every new transaction of `service`'s role is read-only, and its connections were cut."""
    conn = await _superuser(infra)
    try:
        await conn.execute(f'ALTER ROLE "{service}" SET default_transaction_read_only = on')
        await _cut(conn, service)
        try:
            yield
        finally:
            await conn.execute(f'ALTER ROLE "{service}" RESET default_transaction_read_only')
            await _cut(conn, service)
    finally:
        await conn.close()


async def cut_connections(infra, service: str, *, seconds: float, every_s: float = 0.3) -> int:
    """Terminate every connection of `service`'s role, again and again, for `seconds`; how many were cut."""
    conn = await _superuser(infra)
    cut = 0
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            cut += await _cut(conn, service)
            await asyncio.sleep(every_s)
    finally:
        await conn.close()
    return cut


@dataclass
class Readiness:
    """`/readyz` of one service, sampled in the background: `async with Readiness(url) as r: ...`."""

    url: str
    every_s: float = 0.2
    samples: list[tuple[int, list[str]]] = field(default_factory=list)
    _task: asyncio.Task | None = None

    async def _poll(self) -> None:
        async with httpx.AsyncClient(timeout=2) as http:
            while True:
                try:
                    resp = await http.get(f"{self.url}/readyz")
                    body = resp.json() if resp.headers.get("content-type", "").startswith("application/json") else {}
                    self.samples.append((resp.status_code, [str(r) for r in body.get("reasons", [])]))
                except httpx.HTTPError:
                    self.samples.append((0, ["unreachable"]))
                await asyncio.sleep(self.every_s)

    def unready_because(self, word: str) -> bool:
        return any(status == 503 and any(word in r for r in reasons) for status, reasons in self.samples)

    async def __aenter__(self) -> Readiness:
        self._task = asyncio.create_task(self._poll())
        return self

    async def __aexit__(self, *_exc: Any) -> None:
        assert self._task is not None
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass


# Poison messages -------------------------------------------------------------------------------------

EXAMPLE_TYPE = {"intake": "ClientRegistered", "assessment": "AssessmentCaseOpened", "planning": "PlanOpened",
                "guidance": "ReferralMade", "notifications": "NotificationSent"}
"""A real event type of each producing service, sent with a payload that breaks its schema."""


def poisons(producer: str) -> dict[str, tuple[bytes, bytes]]:
    """Kind -> (key, value) of one bad message of each kind for an event topic of `producer`."""
    base = json.loads(registered(uuid4()).to_bytes())

    def envelope(**changes: Any) -> tuple[bytes, bytes]:
        client = uuid4()
        body = {**base, "event_id": str(uuid4()), "client_id": str(client), "producer": producer, **changes}
        return str(client).encode(), json.dumps(body, sort_keys=True, separators=(",", ":")).encode()

    return {
        "garbage": (str(uuid4()).encode(), b"\xff\xfe\x00 not a message {"),
        "unknown-type": envelope(type="NoSuchEventType"),
        "wrong-schema": envelope(type=EXAMPLE_TYPE[producer], schema_version=1, payload={"unexpected": True}),
    }


@dataclass(frozen=True)
class Landed:
    kind: str
    topic: str
    partition: int
    offset: int
    key: bytes
    event_id: UUID | None = None  # the envelope's, when the message is one


async def send(infra, principal: str, topic: str, messages: list[tuple[str, bytes | None, bytes]]) -> list[Landed]:
    """Send (kind, key, value) messages to `topic` as `principal`; where each landed."""
    password = infra.secrets["kafka"][principal]
    kafka_producer = AIOKafkaProducer(**infra.kafka_kwargs(principal, password), enable_idempotence=True, acks="all")
    await kafka_producer.start()
    try:
        landed = []
        for kind, key, value in messages:
            meta = await kafka_producer.send_and_wait(topic, value, key=key)
            landed.append(Landed(kind, topic, meta.partition, meta.offset, key or b"", _event_id(value)))
        return landed
    finally:
        await kafka_producer.stop()


async def poison(infra, topic: str, producer: str) -> list[Landed]:
    """One bad message of each kind on `topic` (an event topic of `producer`), as the admin (only the
    producing service may write there otherwise)."""
    return await send(infra, "admin", topic, [(kind, key, value) for kind, (key, value) in poisons(producer).items()])


async def dead_letters_of(infra, dead_letter_topic: str, landed: list[Landed], *, expect: int,
                          timeout: float = 60) -> list[Any]:
    """The dead letters on `dead_letter_topic` of the messages in `landed` (by dlq.topic/partition/offset),
    waiting until at least `expect` are there."""
    where = {(item.topic, item.partition, item.offset) for item in landed}
    consumer = AIOKafkaConsumer(**infra.kafka_kwargs("admin", infra.secrets["kafka"]["admin"]),
                                enable_auto_commit=False)
    await consumer.start()
    found: list[Any] = []
    try:
        declared = next(t for t in all_topics() if t.name == dead_letter_topic)
        tps = [TopicPartition(dead_letter_topic, p) for p in range(declared.partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        deadline = time.monotonic() + timeout
        while len(found) < expect and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for r in records:
                    h = dict(r.headers or ())
                    try:
                        origin = (h["dlq.topic"].decode(), int(h["dlq.partition"]), int(h["dlq.offset"]))
                    except (KeyError, ValueError):
                        continue
                    if origin in where:
                        found.append(r)
    finally:
        await consumer.stop()
    return found


def _event_id(value: bytes) -> UUID | None:
    try:
        return UUID(json.loads(value)["event_id"])
    except (ValueError, KeyError, TypeError):
        return None


async def _fetch(infra, database: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(infra.dsn(database))
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


async def audited(infra, event_ids: list[UUID | None]) -> int:
    """How many of `event_ids` are in the audit trail."""
    rows = await _fetch(infra, "audit", "SELECT count(*) AS n FROM audit_trail WHERE event_id = ANY($1::uuid[])",
                        [e for e in event_ids if e is not None])
    return rows[0]["n"]


async def inbox_rows(infra, service: str, event_id: UUID | None) -> int:
    """How many of `service`'s consumers recorded `event_id` as applied."""
    rows = await _fetch(infra, service, "SELECT count(*) AS n FROM inbox WHERE event_id = $1", event_id)
    return rows[0]["n"]


async def events_with_correlation(infra, service: str, correlation_id: UUID, *, expect: int = 0,
                                  timeout: float = 60) -> list[dict]:
    """`service`'s stored events set off by `correlation_id` (e.g. an ingress message id), oldest first,
    waiting until at least `expect` are there."""
    deadline = time.monotonic() + timeout
    while True:
        rows = await _fetch(infra, service, "SELECT envelope FROM event_store WHERE "
                            "convert_from(envelope, 'UTF8')::jsonb ->> 'correlation_id' = $1 ORDER BY id",
                            str(correlation_id))
        if len(rows) >= expect:
            return [json.loads(r["envelope"]) for r in rows]
        assert time.monotonic() < deadline, f"{len(rows)} of {expect} events of {correlation_id} within {timeout} s"
        await asyncio.sleep(0.2)


def header(record: Any, name: str) -> str:
    return dict(record.headers or ()).get(name, b"").decode()


def client_of(landed: Landed) -> UUID | None:
    try:
        return UUID(landed.key.decode())
    except ValueError:
        return None
