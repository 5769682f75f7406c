"""The whole system as running processes: the six services, deploy's local SMTP server and SMS gateway,
on the test profile's Kafka and PostgreSQL (the `infra` fixture).

    system = System.start(infra, logs_dir)          # returns once every /readyz answers 200
    token = system.token("intake", "hango", "officer")
    ...
    await system.settle()                           # every consumer group caught up, every outbox empty
    system.mail(), system.sms()                     # what the SMTP server and the SMS gateway accepted
    system.kill("planning"); system.restart("planning")
    system.stop()

Each service runs as `deploy` runs it (`ServiceProcess`: the settings of `infra.service_env`, its own
database and role, its fixed consumer groups `<service>.<subscription>`, shared with every other test of the
run, so a newly started service first reads what earlier tests published). Notifications is told where
intake (contact details) and the SMS gateway are, and runs on the tests' daytime clock
(`services/notifications/tests/integration/daytime_service.py`), so an SMS is not held for the morning
whatever hour the tests run at. The mail server and the gateway are this System's own processes on free
ports, so what they received belongs to this System. `system` is a module-scoped fixture for any tests folder.
"""

from __future__ import annotations

import asyncio
import email
import json
import logging
import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from backbone.kafka import move_group_to_end

from contracts.topics import ORGANISATIONS, PRODUCING_SERVICES, SERVICES, all_topics, event_topic, ingress_topic
from deploy import console, outbound
from deploy.config import REPO
from deploy.mailserver import messages as mail_messages
from deploy.services import guide_env
from tests.support.daytime import DaytimeClock
from tests.support.processes import ServiceProcess, free_port

T = TypeVar("T")
log = logging.getLogger(__name__)

# Every service's consumer groups (`<service>.<subscription name>`, see each bootstrap) and the topics they read.
GROUPS: dict[str, dict[str, tuple[str, ...]]] = {
    "intake": {"intake.ingress": tuple(ingress_topic(o) for o in ORGANISATIONS)},
    "assessment": {"assessment.intake-events": (event_topic("intake"),)},
    "planning": {"planning.clients": (event_topic("intake"),), "planning.assessments": (event_topic("assessment"),),
                 "planning.referrals": (event_topic("guidance"),)},
    "guidance": {"guidance.clients": (event_topic("intake"),), "guidance.plans": (event_topic("planning"),)},
    "notifications": {"notifications.clients": (event_topic("intake"),),
                      "notifications.events": tuple(event_topic(s) for s in ("assessment", "planning", "guidance"))},
    "audit": {"audit.trail": tuple(event_topic(s) for s in PRODUCING_SERVICES)},
}
NOTIFICATIONS_ON_DAYTIME = "services.notifications.tests.integration.daytime_service"
# Notifications' retry and dispatch timings for tests (its production defaults wait minutes between tries).
NOTIFICATIONS_TEST_ENV = {"NOTIFICATIONS_RETRY_BASE_S": "0.2", "NOTIFICATIONS_RETRY_MAX_S": "2",
                          "NOTIFICATIONS_DISPATCH_IDLE_S": "0.05", "NOTIFICATIONS_LEASE_S": "5",
                          "NOTIFICATIONS_SMS_TIMEOUT_S": "3"}


async def skip_backlog(infra, service: str) -> int:
    """Move every consumer group of `service` to the end of its topics (`GROUPS`), as if it had read what the
    other tests of the run wrote there: its next instance waits only for what comes afterwards (a real first
    start reads from the beginning). Call while no instance of it runs. Returns how many events it skipped."""
    return sum([await move_group_to_end(infra.kafka_kwargs(service), group, topics)
                for group, topics in GROUPS[service].items()])


def run_sync(make: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to its end from synchronous code, also when the caller's thread runs an event loop."""
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = asyncio.run(make())
        except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread
            result["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


@dataclass
class Outbound:
    """deploy's local SMTP server and SMS gateway as this System's own processes."""

    folder: Path
    smtp_port: int
    sms_port: int
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def maildir(self) -> Path:
        return self.folder / "mail"

    @property
    def sms_url(self) -> str:
        return f"http://127.0.0.1:{self.sms_port}"

    def start(self, secrets: dict[str, dict[str, str]]) -> None:
        keys = secrets["notifications"]
        env = {**os.environ, "BACKBONE_SMS_API_KEY": keys["sms_api_key"],
               "BACKBONE_SMS_CALLBACK_SECRET": keys["sms_callback_secret"]}
        commands = {
            "mailserver": [sys.executable, "-m", "deploy.mailserver", "--port", str(self.smtp_port),
                           "--maildir", str(self.maildir)],
            "smsgateway": [sys.executable, "-m", "deploy.smsgateway", "--port", str(self.sms_port),
                           "--store", str(self.folder / "sms.jsonl")],
        }
        for name, command in commands.items():
            with open(self.folder / f"{name}.log", "ab") as out:
                self.procs[name] = subprocess.Popen(command, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        for name, port in (("mailserver", self.smtp_port), ("smsgateway", self.sms_port)):
            while not _port_open(port):
                assert self.procs[name].poll() is None, f"{name} exited: {(self.folder / f'{name}.log').read_text()}"
                assert time.monotonic() < deadline, f"{name} not listening on {port} after 30 s"
                time.sleep(0.1)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _port_open(port: int) -> bool:
    import socket

    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class System:
    infra: Any
    logs: Path
    outbound: Outbound
    clock: DaytimeClock
    ports: dict[str, int]
    processes: dict[str, ServiceProcess] = field(default_factory=dict)
    env_overrides: dict[str, dict[str, str]] = field(default_factory=dict)
    _tokens: dict[tuple[str, str, str], str] = field(default_factory=dict)

    # --- lifecycle ---------------------------------------------------------------------------------------

    @classmethod
    def start(cls, infra, logs_dir: Path, *, services: tuple[str, ...] = SERVICES,
              env: dict[str, dict[str, str]] | None = None, from_end: tuple[str, ...] = (),
              ready_timeout: float = 180) -> System:
        """Start `services` (and the SMTP server and SMS gateway) and wait until each /readyz answers 200.
        `env` gives a service settings beyond deploy's: {"intake": {"INTAKE_INGA_AGREEMENT_STATUS": "in_force"}}.
        `from_end`: services whose consumer groups are first moved to the end of their topics, as if they had read
        what the other tests of the run wrote there (a real first start reads from the beginning)."""
        logs_dir = Path(logs_dir)
        logs_dir.mkdir(parents=True, exist_ok=True)
        out = Outbound(logs_dir, smtp_port=free_port(), sms_port=free_port())
        out.start(infra.secrets)
        began = time.monotonic()
        system = cls(infra, logs_dir, out, DaytimeClock(), {svc: free_port() for svc in SERVICES},
                     env_overrides={svc: dict(values) for svc, values in (env or {}).items()})
        try:
            # notifications' credential on intake and audit's at every service, as deploy stores them (idempotent)
            outbound.ensure_credential(infra.pg_host, infra.pg_port, infra.secrets)
            run_sync(lambda: system.skip_backlog(tuple(s for s in from_end if s in services)))
            for svc in services:
                system._spawn(svc)
            for svc in services:
                system.processes[svc].wait_ready(ready_timeout)
            run_sync(system._register_console_credentials)
            log.info("system ready after %.1f s", time.monotonic() - began)
        except BaseException:
            system.stop()
            raise
        return system

    def _env(self, service: str) -> dict[str, str]:
        env: dict[str, str] = {"SMTP_PORT": str(self.outbound.smtp_port)}
        env = {f"{service.upper()}_{k}": v for k, v in env.items()}
        if service == "notifications":
            env |= {"NOTIFICATIONS_INTAKE_URL": self.url("intake"), "NOTIFICATIONS_SMS_URL": self.outbound.sms_url,
                    "NOTIFICATIONS_PUBLIC_URL": self.url("notifications"),
                    "DAYTIME_OFFSET_S": str(self.clock.offset.total_seconds()), **NOTIFICATIONS_TEST_ENV}
        if service == "guidance":
            env |= guide_env(intake_url=self.url("intake"), public_url=self.url("guidance") + "/guide")
        if service == "audit":
            env |= console.audit_env(self.url)
        return env | self.env_overrides.get(service, {})

    def _spawn(self, service: str) -> ServiceProcess:
        module = NOTIFICATIONS_ON_DAYTIME if service == "notifications" else None
        started = ServiceProcess.start(self.infra, service, self.logs, port=self.ports[service],
                                       env=self._env(service), module=module)
        self.processes[service] = started
        return started

    async def _register_console_credentials(self) -> None:
        tokens = json.loads(self.infra.secrets["audit"]["service_tokens"])
        now = datetime.now(UTC)
        for svc in PRODUCING_SERVICES:
            if svc in self.processes:
                await console._register(self.infra.dsn(svc), tokens[svc], now)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def process(self, service: str) -> ServiceProcess:
        return self.processes[service]

    def kill(self, service: str) -> int:
        """SIGKILL the service's process (a crash: no shutdown, nothing flushed)."""
        return self.processes[service].kill()

    def restart(self, service: str, *, env: dict[str, str] | None = None, timeout: float = 180) -> ServiceProcess:
        """Start the service again on its port (stopping it first with SIGTERM if it still runs) and wait until
        it is ready. `env` changes its settings from now on (kept for later restarts)."""
        if env:
            self.env_overrides.setdefault(service, {}).update(env)
        old = self.processes[service]
        if old.proc.poll() is None:
            old.stop()
        self.processes[service] = old.respawn(self._env(service))
        self.processes[service].wait_ready(timeout)
        return self.processes[service]

    def stop(self) -> None:
        """SIGTERM to every service at once, then wait for each (SIGKILL after 15 s); then the outbound servers."""
        running = [p for p in self.processes.values() if p.proc.poll() is None]
        for p in running:
            p.proc.terminate()
        for p in running:
            p.stop(timeout=15)
        self.outbound.stop()

    # --- credentials ---------------------------------------------------------------------------------------

    def token(self, service: str, principal: str, role: str) -> str:
        """A bearer token of `principal` in `role`, issued in `service`'s own database (one per triple, a day)."""
        key = (service, principal, role)
        if key not in self._tokens:
            self._tokens[key] = run_sync(lambda: self._issue(service, principal, role))
        return self._tokens[key]

    async def _issue(self, service: str, principal: str, role: str) -> str:
        from backbone import auth

        conn = await asyncpg.connect(self.infra.dsn(service))
        try:
            now = datetime.now(UTC)
            issued = await auth.issue(conn, principal=principal, role=role, label="whole-system tests", now=now,
                                      expires_at=now + timedelta(days=1))
        finally:
            await conn.close()
        return issued.token

    # --- settling ---------------------------------------------------------------------------------------------

    async def lag(self) -> dict[str, int]:
        """Events not yet read, per consumer group of the running services (only groups behind are listed)."""
        groups = {g: topics for svc in self.processes for g, topics in GROUPS[svc].items()}
        declared = {t.name: t.partitions for t in all_topics()}
        admin = AIOKafkaAdminClient(**self.infra.kafka_kwargs("admin"))
        consumer = AIOKafkaConsumer(**self.infra.kafka_kwargs("admin"))
        await admin.start()
        await consumer.start()
        try:
            partitions = sorted({TopicPartition(t, p) for topics in groups.values() for t in topics
                                 for p in range(declared[t])})
            ends = await consumer.end_offsets(partitions)
            behind: dict[str, int] = {}
            for group, topics in groups.items():
                committed = {tp: meta.offset for tp, meta in (await admin.list_consumer_group_offsets(group)).items()}
                lag = sum(max(ends[tp] - max(committed.get(tp, 0), 0), 0) for tp in partitions if tp.topic in topics)
                if lag:
                    behind[group] = lag
            return behind
        finally:
            await consumer.stop()
            await admin.close()

    async def skip_backlog(self, services: tuple[str, ...]) -> None:
        """Commit the topics' end offsets for every consumer group of `services`, none of which may be running."""
        for svc in services:
            assert svc not in self.processes or self.processes[svc].proc.poll() is not None, f"{svc} runs"
            await skip_backlog(self.infra, svc)

    async def unpublished(self) -> dict[str, int]:
        """Events each running service has stored and not yet published (its outbox), only those not empty."""
        waiting: dict[str, int] = {}
        for svc in self.processes:
            conn = await asyncpg.connect(self.infra.dsn(svc))
            try:
                if await conn.fetchval("SELECT to_regclass('event_store_cursor') IS NULL"):
                    continue  # a service that publishes nothing (audit)
                count = await conn.fetchval(
                    "SELECT (SELECT count(*) FROM event_store WHERE position IS NULL)"
                    " + (SELECT last_position - published_position FROM event_store_cursor)")
            finally:
                await conn.close()
            if count:
                waiting[svc] = count
        return waiting

    async def settle(self, timeout: float = 120, *, quiet: float = 1.0) -> None:
        """Until every consumer group of every running service has read its topics to the end and every outbox is
        empty, and both stay so for `quiet` seconds (a reaction may publish more)."""
        deadline = time.monotonic() + timeout
        calm_since: float | None = None
        state: tuple[dict, dict] = ({}, {})
        while True:
            state = (await self.unpublished(), await self.lag())
            now = time.monotonic()
            if state == ({}, {}):
                calm_since = calm_since or now
                if now - calm_since >= quiet:
                    return
            else:
                calm_since = None
            if now > deadline:
                raise AssertionError(f"not settled after {timeout} s: outboxes {state[0]}, consumer lag {state[1]}")
            await asyncio.sleep(0.25)

    # --- what the outside world received ----------------------------------------------------------------

    def mail(self) -> list[dict]:
        """Every e-mail the SMTP server accepted, oldest first: envelope, headers, `message` (parsed), `text`."""
        found = mail_messages(self.outbound.maildir) if self.outbound.maildir.exists() else []
        for m in found:
            m["text"] = _text_part(m["message"])
        return found

    def sms(self) -> list[dict]:
        """Every SMS the gateway accepted, oldest first (to, text, reference, idempotency key, receipt, ...)."""
        with urllib.request.urlopen(self.outbound.sms_url + "/control/messages", timeout=10) as resp:
            return json.loads(resp.read())


def _text_part(message: email.message.EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else ""


# The fixture's services start at their topics' end (audit reads everything: the trail is the whole log).
BACKLOG_SKIPPED = ("intake", "assessment", "planning", "guidance", "notifications")


@pytest.fixture(scope="module")
def system(infra, tmp_path_factory) -> Iterator[System]:
    """All six services, the SMTP server and the SMS gateway as processes, for one test module."""
    started = System.start(infra, tmp_path_factory.mktemp("system"), from_end=BACKLOG_SKIPPED)
    try:
        yield started
    finally:
        started.stop()
