"""What the console's integration and browser tests share: the audit service as a real process with
the console's settings, credentials issued straight into a service's database, a fake service that
answers redrive calls, and events published as their producing service."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaProducer

from backbone import auth
from contracts.envelope import Envelope
from contracts.events.base import Event
from contracts.events.intake import ClientRegistered
from contracts.topics import event_topic
from deploy.config import REPO
from tests.support.processes import ServiceProcess, free_port


async def issue(infra, database: str, principal: str, role: str, hours: int = 2) -> str:
    conn = await asyncpg.connect(infra.dsn(database))
    try:
        now = datetime.now(UTC)
        issued = await auth.issue(conn, principal=principal, role=role, label="console test", now=now,
                                  expires_at=now + timedelta(hours=hours))
        return issued.token
    finally:
        await conn.close()


@dataclass
class FakeService:
    """Answers `POST /admin/dead-letters/redrive` like a service would, and remembers each call."""

    outcome: str = "applied"
    status: int = 200  # another status answers {"detail": detail}, as the services' errors do
    detail: str = ""
    calls: list[dict] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeService:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                fake.calls.append({"path": self.path, "authorization": self.headers.get("Authorization"),
                                   "body": body})
                if self.path != "/admin/dead-letters/redrive":
                    status, answer = 404, {"detail": "no such route"}
                elif fake.status != 200:
                    status, answer = fake.status, {"detail": fake.detail}
                else:
                    status, answer = 200, {"outcome": fake.outcome, "reason": "test"}
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_audit(infra, logdir: Path, **settings: str) -> ServiceProcess:
    """The audit service with the console's settings (redrive pointed at fakes, quick sampling)."""
    port = free_port()
    env = {**os.environ, **infra.service_env("audit", port), "AUDIT_LAG_SAMPLE_INTERVAL_S": "2",
           "AUDIT_ANCHOR_INTERVAL_S": "2", **settings}
    log = logdir / "audit.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "audit"], env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
    return ServiceProcess("audit", proc, f"http://127.0.0.1:{port}", log, env)


def wait_caught_up(infra, timeout: float = 300) -> None:
    """Until the audit trail's consumer group has read everything on the broker: a fresh audit
    process first catches up with what earlier tests published."""
    from audit.adapters.kafka_lag import read_lag

    async def behind() -> int:
        return sum(p.lag for p in await read_lag(infra.kafka_kwargs("audit")) if p.group_id == "audit.trail")

    deadline = time.monotonic() + timeout
    while (left := asyncio.run(behind())) > 0:
        assert time.monotonic() < deadline, f"audit still {left} events behind after {timeout}s"
        time.sleep(1)


class Publisher:
    """Publishes envelopes as their producing service, to its event topic."""

    def __init__(self, infra) -> None:
        self.infra = infra
        self.producers: dict[str, AIOKafkaProducer] = {}

    async def send(self, envelope: Envelope) -> None:
        producer = self.producers.get(envelope.producer)
        if producer is None:
            producer = AIOKafkaProducer(**self.infra.kafka_kwargs(str(envelope.producer)), enable_idempotence=True,
                                        acks="all")
            await producer.start()
            self.producers[str(envelope.producer)] = producer
        await producer.send_and_wait(event_topic(str(envelope.producer)), envelope.to_bytes(), key=envelope.key())

    async def close(self) -> None:
        for producer in self.producers.values():
            await producer.stop()


def wrap(event: Event, producer: str, organisation: str, client_id: uuid.UUID, **kw) -> Envelope:
    return Envelope.wrap(event, producer=producer, organisation=organisation, actor="console-test",
                         client_id=client_id, correlation_id=kw.pop("correlation_id", uuid.uuid4()), **kw)


def registered(client, municipality: str, day: date, *, source: str = "employment_region_jobseeker"):
    return wrap(ClientRegistered(client_id=client, home_municipality=municipality, languages=("ar",),
                                 target_groups=("unemployed_jobseeker",), window_ends_on=day + timedelta(days=900),
                                 source=source, registered_on=day, responsible_organisation=municipality
                                 if municipality != "hango" else "raseborg",
                                 responsibility_reason="own_municipal_services", registered_jobseeker=False,
                                 luvn_participation_required=False, state="to_be_assessed",
                                 state_reason="target_group_within_window", state_rule="R2",
                                 assessment_due_on=day + timedelta(days=7)), "intake", municipality, client)


def publish(infra, *envelopes) -> None:
    async def send():
        publisher = Publisher(infra)
        try:
            for e in envelopes:
                await publisher.send(e)
        finally:
            await publisher.close()
    asyncio.run(send())
