"""What every benchmark shares: where Kafka and PostgreSQL are, scratch databases, sizes, helpers."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import psutil
from aiokafka import AIOKafkaProducer
from backbone import db
from backbone.app import RUNTIME_MIGRATIONS
from contracts.envelope import Envelope

from deploy.config import REPO, Layout
from tests.support.events import registered

N_CLIENTS = 400  # the appends and the relay spread their events over this many clients (streams)


@dataclass(frozen=True)
class Target:
    """The Kafka broker and PostgreSQL server under test, with the secrets deploy/ generated."""

    bootstrap: str
    pg_host: str
    pg_port: int
    secrets: dict[str, dict[str, str]]
    layout: Layout | None = None  # the local deployment, when the target is one

    def kafka(self, principal: str) -> dict[str, Any]:
        return {
            "bootstrap_servers": self.bootstrap,
            "security_protocol": "SASL_PLAINTEXT",
            "sasl_mechanism": "SCRAM-SHA-512",
            "sasl_plain_username": principal,
            "sasl_plain_password": self.secrets["kafka"][principal],
        }

    def dsn(self, role: str, database: str | None = None) -> str:
        password = self.secrets["postgres"][role]
        return f"postgresql://{role}:{password}@{self.pg_host}:{self.pg_port}/{database or role}"

    def service_dsn(self, service: str) -> str:
        """The DSN the service itself is given (its own role and database)."""
        return self.service_env(service, 0)[f"{service.upper()}_DATABASE_URL"]

    def service_env(self, service: str, http_port: int) -> dict[str, str]:
        """The settings `python -m <service>` reads, as deploy/ gives them, on another HTTP port."""
        from deploy import services

        if self.layout is not None:
            env = services.local_env(self.layout, service, self.secrets)
        else:
            env = services.service_env(service, self.secrets, bootstrap=self.bootstrap, pg_host=self.pg_host,
                                       pg_port=self.pg_port, http_host="127.0.0.1", http_port=http_port,
                                       smtp_host="127.0.0.1", smtp_port=1025)
        env[f"{service.upper()}_HTTP_PORT"] = str(http_port)
        return env


@dataclass(frozen=True)
class Sizes:
    """How much work each benchmark does; `FULL` for `python -m bench.run`, `TINY` for the smoke test."""

    reps: int
    append_txns: int  # transactions per run with one event each
    append_txns_batch: int  # transactions per run with `batch` events each
    batch: int
    relay_events: int
    latency_rate: float  # events/s offered
    latency_seconds: float
    latency_baseline_seconds: float
    catch_up_timeout: float  # how long the audit service may take to work off an existing backlog
    drain_timeout: float
    registrations: int  # intake registrations per run (each a new person)
    vault_reads: int  # vault records read per run


FULL = Sizes(reps=3, append_txns=1200, append_txns_batch=240, batch=10, relay_events=20_000, latency_rate=200,
             latency_seconds=10, latency_baseline_seconds=5, catch_up_timeout=150, drain_timeout=30,
             registrations=1200, vault_reads=2000)
TINY = Sizes(reps=1, append_txns=16, append_txns_batch=8, batch=10, relay_events=200, latency_rate=20,
             latency_seconds=1, latency_baseline_seconds=0.5, catch_up_timeout=20, drain_timeout=15,
             registrations=16, vault_reads=16)


def log(message: str) -> None:
    """Progress goes to stderr; stdout carries only the facts and the table."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), linear between the closest ranks."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    k = (len(ordered) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def envelopes(n: int, clients: Sequence[uuid.UUID]) -> list[Envelope]:
    """`n` ClientRegistered envelopes, round-robin over `clients` (built before any timing)."""
    return [registered(clients[i % len(clients)]) for i in range(n)]


def new_clients(n: int = N_CLIENTS) -> list[uuid.UUID]:
    return [uuid.uuid4() for _ in range(n)]


def headers(envelope: Envelope, producer: str) -> list[tuple[str, bytes]]:
    """The headers the relay sends with each event."""
    return [("event_type", envelope.type.encode()), ("event_id", str(envelope.event_id).encode()),
            ("producer", producer.encode())]


async def producer(target: Target, principal: str) -> AIOKafkaProducer:
    """A started producer configured as the services' own (backbone/app.py)."""
    p = AIOKafkaProducer(**target.kafka(principal), client_id=f"{principal}-bench", enable_idempotence=True,
                         acks="all", linger_ms=2)
    await p.start()
    return p


@asynccontextmanager
async def scratch_database(target: Target, label: str) -> AsyncIterator[str]:
    """A new database `bench_<label>_<random>` on the target server with the runtime's tables; yields
    its superuser DSN and drops it afterwards (also when the benchmark fails)."""
    name = f"bench_{label}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(target.dsn("postgres", "postgres"))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            dsn = target.dsn("postgres", name)
            pool = await asyncpg.create_pool(dsn, min_size=1, max_size=1)
            try:
                await db.migrate(pool, RUNTIME_MIGRATIONS, prefix="backbone/")
            finally:
                await pool.close()
            yield dsn
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RssSampler:
    """Samples a process's resident set every `interval` s on a thread (with its children's, if asked)."""

    def __init__(self, pid: int | None = None, interval: float = 0.1, *, children: bool = False) -> None:
        self.process = psutil.Process(pid or os.getpid())
        self.interval, self.children = interval, children
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"rss-{self.process.pid}", daemon=True)

    def start(self) -> RssSampler:
        self.sample()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def sample(self) -> int:
        try:
            rss = self.process.memory_info().rss
            for child in self.process.children(recursive=True) if self.children else ():
                try:
                    rss += child.memory_info().rss
                except psutil.Error:
                    pass
        except psutil.Error:
            return 0
        self.samples.append((time.monotonic(), rss))
        return rss

    def peak(self, since: float = 0.0, until: float = float("inf")) -> int:
        inside = [rss for t, rss in self.samples if since <= t <= until]
        return max(inside) if inside else 0

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()


MB = 1024 * 1024


def local_target(profile: str) -> Target:
    """The local deployment of `profile` as a Target, started (idempotently) if anything of it is down;
    deploy's progress goes to stderr."""
    import contextlib

    from deploy.__main__ import up

    layout = Layout.from_env(profile=profile)
    with contextlib.redirect_stdout(sys.stderr):
        secrets = up(layout, with_services=False)
    return Target(layout.bootstrap, layout.host, layout.pg_port, secrets, layout)


class ServiceRun:
    """`python -m <module>` with the target's settings for `service` (plus `extra`) on a free port."""

    def __init__(self, target: Target, service: str, log_path: Path, module: str | None = None,
                 extra: dict[str, str] | None = None) -> None:
        self.service = service
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        env = {**os.environ, **target.service_env(service, self.port), **(extra or {})}
        with open(self.log_path, "wb") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", module or service], env=env, cwd=REPO, stdout=out,
                                         stderr=subprocess.STDOUT)

    async def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.service} exited with {self.proc.returncode}; see {self.log_path}")
            if await asyncio.to_thread(self._ready):
                return
            await asyncio.sleep(0.3)
        raise RuntimeError(f"{self.service} not ready after {timeout:.0f}s; see {self.log_path}")

    def _ready(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/readyz", timeout=2) as resp:
                return resp.status == 200
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def print_rows(rows: Sequence[Any], notes: Sequence[str]) -> None:
    """A benchmark run on its own (`python -m bench.<name>`): its rows as `make bench` prints them, its
    notes, and the load average at the end (the machine is shared)."""
    from bench.table import render

    print(render(rows))
    print("\n".join(f"- {n}" for n in notes))
    print(f"- load average {' / '.join(f'{x:.2f}' for x in os.getloadavg())} (1/5/15 min) at the end")
