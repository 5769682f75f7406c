"""End to end: a registration over intake's HTTP API to the message the SMTP server or the SMS gateway
accepted, with intake, assessment and notifications running as real processes (`python -m <service>`,
the target's settings), against a raw aiokafka chain through the same number of Kafka hops, measured
in the same run on the same broker.

The chains (every step is the services' own code; nothing is called in-process):

- **welcome, 1 Kafka hop**: `POST /registrations/newcomer-notice` as the municipality's system ->
  intake's event store, relay -> `integration.intake.v1` -> notifications (client view, trigger, queue,
  dispatcher, contact details read from intake over HTTP, render) -> e-mail accepted by the SMTP server.
- **invitation, 3 Kafka hops**: `POST /registrations/jobseeker` as the employment region's system ->
  `integration.intake.v1` -> assessment opens the case (`AssessmentCaseOpened`) -> `integration.assessment.v1`
  -> the employment region's booking system (here: a consumer in this process that books the interview
  with `POST /cases/{id}/interview` as an officer the moment it reads the case) -> `InitialInterviewScheduled`
  -> `integration.assessment.v1` -> notifications -> invitation SMS accepted by the SMS gateway.

Throughput: `n` registrations from 8 concurrent senders as fast as intake takes them; messages/s = the
messages accepted / (last acceptance - first request). Latency: jobseeker registrations offered at a
fixed rate; each one's time from just before its request to the gateway's `received_at` of its SMS.
Baseline, for both: the same number of ClientRegistered-sized messages through a raw chain of scratch
topics (`bench.hops.<random>.<i>`, 3 partitions each, made and deleted by the broker's admin): produce
(idempotent, acks=all) -> consume -> produce -> ... -> consume, each hop its own consumer.

The SMTP server and the SMS gateway are deploy's own, each a process of its own on a free port (the SMS
gateway appends what it accepts to a store file this process reads); notifications
runs on a clock shifted to midday in Helsinki (`bench.daytime_notifications`), so no SMS waits for the
morning. Its other settings are the production defaults (dispatcher idle pause 0.2 s, 8 sends at once).

Side effects on the target: before the services start, the consumer groups of intake's ingress,
assessment and notifications are moved to the end of their topics, so the services do not first work
through the backlog other benchmarks (and earlier runs) left there; those earlier events are then never
applied by these services on this deployment. The registered clients stay in intake's, assessment's and
notifications' databases, and their events on the topics, like those of every other benchmark.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from backbone import clientview
from backbone.auth.temporary import issue_temporary, revoke_temporary
from backbone.kafka import move_group_to_end
from bench import stages
from bench.common import (ServiceRun, Target, envelopes, free_port, log, median, new_clients, percentile,
                          producer)
from bench.stages import TRACED, Sent
from contracts.ingress import identity_code
from contracts.topics import event_topic
from tests.support.daytime import DaytimeClock

ADMIN = "admin"  # the scratch topics and the consumer-group moves: the broker's super user
OBSERVER = "audit"  # reads every event topic; its groups are `audit-bench-...`
SENDERS = 8  # concurrent registration senders in the throughput runs
WELCOME_HOPS, INVITATION_HOPS = 1, 3
FIGURES = (
    "pipeline: registration -> welcome e-mail accepted",
    "pipeline: registration -> invitation SMS accepted",
    "latency registration -> invitation SMS accepted, p50",
    "latency registration -> invitation SMS accepted, p99",
    "stage: intake alone, jobseeker registrations answered",
)


@dataclass(frozen=True)
class PipelineSizes:
    reps: int
    welcome: int  # newcomer notices per throughput run
    invitation: int  # jobseeker registrations per throughput run
    latency_rate: float  # jobseeker registrations/s offered
    latency_seconds: float
    timeout: float  # how long the last message of a run may take to arrive


PIPELINE_FULL = PipelineSizes(reps=3, welcome=600, invitation=300, latency_rate=0.5, latency_seconds=60, timeout=300)
PIPELINE_TINY = PipelineSizes(reps=1, welcome=6, invitation=4, latency_rate=2, latency_seconds=2, timeout=120)


@dataclass
class PipelineResult:
    sizes: PipelineSizes
    welcome: list[float] = field(default_factory=list)  # messages/s per repetition
    welcome_raw: list[float] = field(default_factory=list)
    invitation: list[float] = field(default_factory=list)
    invitation_raw: list[float] = field(default_factory=list)
    latency: list[float] = field(default_factory=list)  # seconds, registration -> SMS accepted
    latency_raw: list[float] = field(default_factory=list)  # seconds, first produce -> last consume, 3 hops
    offered_rate: float = 0.0
    missing: int = 0  # registrations whose message did not arrive within the timeout
    intake_alone: float | None = None  # registrations/s, intake running alone, SENDERS senders
    intake_alone_probe: float | None = None  # GET /healthz/s of the same process, SENDERS senders
    stages: dict[str, stages.Stages] = field(default_factory=dict)  # chain -> where its time went
    harness_cpu: list[float] = field(default_factory=list)  # this process's CPU share per throughput run
    meter: stages.CpuMeter | None = None
    cpu: dict[str, tuple[dict[str, float], int]] = field(default_factory=dict)  # chain -> CPU s by process, messages
    notes: list[str] = field(default_factory=list)

    def rows(self) -> list:
        from bench.table import Row
        from bench.table import Target as Goal

        ms = [v * 1000 for v in self.latency]
        base = [v * 1000 for v in self.latency_raw]
        quarter = Goal("min_ratio", 0.25)
        rows = [
            Row(FIGURES[0], "msg/s", median(self.welcome) if self.welcome else None,
                f"raw aiokafka chain, {WELCOME_HOPS} hop", median(self.welcome_raw) if self.welcome_raw else None,
                quarter, percent=True, missing="" if self.welcome else "no e-mail arrived"),
            Row(FIGURES[1], "msg/s", median(self.invitation) if self.invitation else None,
                f"raw aiokafka chain, {INVITATION_HOPS} hops",
                median(self.invitation_raw) if self.invitation_raw else None, quarter, percent=True,
                missing="" if self.invitation else "no SMS arrived"),
        ]
        for q in (50, 99):
            rows.append(Row(FIGURES[2 + q // 99], "ms", percentile(ms, q) if ms else None,
                            f"raw {INVITATION_HOPS}-hop chain, p{q}", percentile(base, q) if base else None,
                            missing="" if ms else "no SMS arrived"))
        rows.append(Row(FIGURES[4], "reg/s", self.intake_alone, f"GET /healthz, same process, {SENDERS} senders",
                        self.intake_alone_probe, percent=True, missing="" if self.intake_alone else "not measured"))
        return rows

    def text_notes(self) -> list[str]:
        s = self.sizes
        return [
            (f"Pipeline: {s.welcome} newcomer notices and {s.invitation} jobseeker registrations per run over intake's "
             f"HTTP API from {SENDERS} senders, intake, assessment and notifications as processes; median of "
             f"{s.reps} run(s); the invitation chain includes the booking (POST /cases/{{id}}/interview) this process "
             "makes as the employment region's officer when it reads AssessmentCaseOpened. Baseline: the same number "
             "of messages through 1 or 3 raw produce -> consume hops (bench/pipeline.py)."),
            (f"Pipeline latency: {len(self.latency)} jobseeker registrations offered at {self.offered_rate:.1f}/s "
             f"(target {s.latency_rate:g}/s), request -> SMS gateway received_at; baseline: raw 3-hop chain at the "
             "same rate."),
            (f"Stage: {s.invitation} jobseeker registrations to intake alone (assessment and notifications not yet "
             f"started) from {SENDERS} senders, first request -> last answer; baseline: as many GET /healthz of the "
             "same process from as many senders."),
            *(self.stages[chain].note(f"Where the time went, {chain}", rates=chain != "latency")
              for chain in ("welcome", "invitation", "latency") if chain in self.stages),
            *(stages.cpu_note(f"CPU, {chain} runs", used, count, os.cpu_count() or 1)
              for chain, (used, count) in self.cpu.items()),
            *([f"The bench process itself used {max(self.harness_cpu) * 100:.0f} % of one core at most during a "
               "throughput run (senders, booker, SMTP server and SMS gateway)."] if self.harness_cpu else []),
            *self.notes,
        ]


# Raw baseline: a chain of scratch topics -------------------------------------------------------------

@contextlib.asynccontextmanager
async def scratch_topics(target: Target, count: int) -> AsyncIterator[list[str]]:
    base = f"bench.hops.{uuid.uuid4().hex[:8]}"
    topics = [f"{base}.{i}" for i in range(count)]
    admin = AIOKafkaAdminClient(**target.kafka(ADMIN))
    await admin.start()
    try:
        await admin.create_topics([NewTopic(t, num_partitions=3, replication_factor=1) for t in topics])
        yield topics
    finally:
        try:
            await admin.delete_topics(topics)
        finally:
            await admin.close()


async def _assigned_at_end(target: Target, topic: str) -> AIOKafkaConsumer:
    consumer = AIOKafkaConsumer(**target.kafka(ADMIN), enable_auto_commit=False, client_id="bench-hops")
    await consumer.start()
    for _ in range(50):  # a new topic's metadata may take a moment
        await consumer._client.force_metadata_update()
        if consumer.partitions_for_topic(topic):
            break
        await asyncio.sleep(0.1)
    tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
    consumer.assign(tps)
    await consumer.seek_to_end(*tps)
    for tp in tps:
        await consumer.position(tp)
    return consumer


async def raw_chain(target: Target, hops: int, n: int, rate: float | None, timeout: float
                    ) -> tuple[dict[bytes, float], dict[bytes, float]]:
    """`n` messages through `hops` raw produce -> consume hops (as fast as possible, or at `rate`/s);
    returns when each was first sent and when the last hop read it (wall clock, by message key)."""
    envs = envelopes(n, new_clients())
    messages = [(e.event_id.bytes, e.to_bytes()) for e in envs]
    sent: dict[bytes, float] = {}
    arrived: dict[bytes, float] = {}
    async with scratch_topics(target, hops) as topics:
        kafka = await producer(target, ADMIN)
        consumers = [await _assigned_at_end(target, t) for t in topics]

        async def forward(i: int) -> None:
            while True:
                batches = await consumers[i].getmany(timeout_ms=100, max_records=500)
                now = time.time()
                futures = []
                for records in batches.values():
                    for r in records:
                        if i + 1 < hops:
                            futures.append(await kafka.send(topics[i + 1], r.value, key=r.key))
                        elif r.key in sent and r.key not in arrived:
                            arrived[r.key] = now
                if futures:
                    await asyncio.gather(*futures)

        stages = [asyncio.create_task(forward(i)) for i in range(hops)]
        try:
            futures = []
            t0 = time.monotonic()
            for i, (key, value) in enumerate(messages):
                if rate:
                    await asyncio.sleep(max(0.0, t0 + i / rate - time.monotonic()))
                sent[key] = time.time()
                futures.append(await kafka.send(topics[0], value, key=key))
            await asyncio.gather(*futures)
            deadline = time.monotonic() + timeout
            while len(arrived) < len(sent) and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
        finally:
            for stage in stages:
                stage.cancel()
            await asyncio.gather(*stages, return_exceptions=True)
            for consumer in consumers:
                await consumer.stop()
            await kafka.stop()
    return sent, arrived


def _throughput(started: dict, arrived: dict) -> float | None:
    if not arrived:
        return None
    return len(arrived) / (max(arrived.values()) - min(started.values()))


# The services as processes ---------------------------------------------------------------------------

def consumer_groups() -> dict[str, tuple[str, ...]]:
    """The consumer groups of the three services and the topics each reads: `<service>.<subscription>`."""
    from assessment.entrypoints.events import NAME as ASSESSMENT_SUBSCRIPTION
    from intake.entrypoints.ingress import SENDERS as INGRESS
    from notifications.service_layer.events import subscriptions

    groups = {"intake.ingress": tuple(INGRESS), f"assessment.{ASSESSMENT_SUBSCRIPTION}": (clientview.TOPIC,)}
    groups |= {f"notifications.{s.name}": tuple(s.topics) for s in subscriptions(lambda: datetime.now(UTC))}
    return groups


async def skip_backlogs(target: Target, but: tuple[str, ...] = ()) -> int:
    """Commit each group's offsets (but those of the groups in `but`) at the end of its topics (before
    its service starts); how many messages that skipped."""
    kafka = {**target.kafka(ADMIN), "client_id": "bench-pipeline"}
    return sum([await move_group_to_end(kafka, group, topics) for group, topics in consumer_groups().items()
                if group not in but])


# The people and their registrations ------------------------------------------------------------------

_serial = itertools.count(1)


def _person(languages: list[str]) -> tuple[dict, str, str]:
    """A made-up person with an e-mail address and a phone number no one else in this run has."""
    n = next(_serial)
    rng = uuid.uuid4().int
    born = date(1960, 1, 1) + timedelta(days=rng % 16000)
    email = f"bench.{uuid.uuid4().hex[:16]}@example.org"
    phone = f"+358 50 {(rng >> 20) % 1000:03d} {n:04d}"
    person = {"name": f"Bench Person {n}", "identity_code": identity_code(born, 2 + (rng >> 40) % 897),
              "date_of_birth": born.isoformat(), "email": email, "phone": phone, "languages": languages,
              "interpreter_needed": False}
    return person, email, "".join(ch for ch in phone if ch.isdigit())


def newcomer_notice(today: date) -> tuple[str, dict, str]:
    person, email, _ = _person(["sv", "en"])
    return "/registrations/newcomer-notice", {
        "source": "municipal_newcomer_notice", "home_municipality": "raseborg",
        "first_permit_date": (today - timedelta(days=30)).isoformat(), "native_language": "en",
        "moved_in_on": (today - timedelta(days=2)).isoformat(), "person": person}, email


def jobseeker(today: date) -> tuple[str, dict, str]:
    person, _, phone = _person(["fi", "en"])
    return "/registrations/jobseeker", {
        "source": "employment_region_jobseeker", "home_municipality": "raseborg",
        "first_permit_date": (today - timedelta(days=30)).isoformat(),
        "registered_on": (today - timedelta(days=1)).isoformat(), "service_point": "karis", "person": person}, phone


class Arrivals:
    """What the SMTP server and SMS gateway accepted, by recipient (e-mail address, or the phone number's
    digits), with the server's own time of acceptance. Each message is read once: a poll reads only
    the mail files and the gateway's store lines that are new since the last."""

    def __init__(self, maildir: Path, sms_store: Path) -> None:
        self.maildir, self.sms_store = maildir, sms_store
        self._emails: dict[str, float] = {}
        self._mail_seen: set[str] = set()
        self._sms: dict[str, float] = {}
        self._sms_read = 0  # bytes of the store read so far

    def emails(self) -> dict[str, float]:
        for message in self.maildir.glob("*.eml"):  # written last: its .json is complete
            if message.name in self._mail_seen:
                continue
            self._mail_seen.add(message.name)
            data = json.loads(message.with_suffix(".json").read_text())
            for rcpt in data["rcpt_tos"]:
                self._emails.setdefault(rcpt.lower(), datetime.fromisoformat(data["received_at"]).timestamp())
        return self._emails

    def sms(self) -> dict[str, float]:
        if not self.sms_store.exists():
            return self._sms
        with self.sms_store.open("rb") as store:
            store.seek(self._sms_read)
            for line in store:
                if not line.endswith(b"\n"):  # still being written: read it next time
                    break
                self._sms_read += len(line)
                m = json.loads(line)
                self._sms.setdefault("".join(ch for ch in m["to"] if ch.isdigit()),
                                     datetime.fromisoformat(m["received_at"]).timestamp())
        return self._sms

    async def wait(self, wanted: set[str], sms: bool, timeout: float) -> dict[str, float]:
        deadline = time.monotonic() + timeout
        while True:
            got = self.sms() if sms else self.emails()
            if wanted <= got.keys() or time.monotonic() >= deadline:
                return {k: v for k, v in got.items() if k in wanted}
            await asyncio.sleep(0.1)


class Servers:
    """The SMTP server and the SMS gateway (deploy's own, `python -m deploy.mailserver` and
    `python -m deploy.smsgateway --store`) as processes of their own: accepting a message never waits
    for the bench's senders and booker, nor they for it, and their CPU is counted apart from the bench's."""

    def __init__(self, folder: Path, keys: dict[str, str], logdir: Path) -> None:
        self.maildir, self.sms_store, self.logdir = folder / "mail", folder / "sms.jsonl", logdir
        self.smtp_port, sms_port = free_port(), free_port()
        self.sms_url = f"http://127.0.0.1:{sms_port}"
        env = {**os.environ, "BACKBONE_SMS_API_KEY": keys["sms_api_key"],
               "BACKBONE_SMS_CALLBACK_SECRET": keys["sms_callback_secret"]}
        self.commands = {
            "mailserver": [sys.executable, "-m", "deploy.mailserver", "--port", str(self.smtp_port),
                           "--maildir", str(self.maildir)],
            "smsgateway": [sys.executable, "-m", "deploy.smsgateway", "--port", str(sms_port),
                           "--store", str(self.sms_store)]}
        self.env = env
        self.procs: dict[str, subprocess.Popen] = {}

    async def __aenter__(self) -> Servers:
        from deploy.config import REPO
        from deploy.procs import port_open

        for name, command in self.commands.items():
            with open(self.logdir / f"{name}.log", "wb") as out:
                self.procs[name] = subprocess.Popen(command, env=self.env, cwd=REPO, stdout=out,
                                                    stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        for name, port in (("mailserver", self.smtp_port), ("smsgateway", int(self.sms_url.rsplit(":", 1)[1]))):
            while not await asyncio.to_thread(port_open, "127.0.0.1", port):
                if self.procs[name].poll() is not None or time.monotonic() > deadline:
                    await self.__aexit__()
                    raise RuntimeError(f"{name} did not start; see {self.logdir / name}.log")
                await asyncio.sleep(0.1)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                await asyncio.to_thread(proc.wait, 15)
            except subprocess.TimeoutExpired:
                proc.kill()


class Booker:
    """The employment region's booking system: reads integration.assessment.v1 (from its end, principal
    audit, its own group) and books the initial interview of each wanted client's case as an officer."""

    def __init__(self, target: Target, assessment_url: str, token: str) -> None:
        self.consumer = AIOKafkaConsumer(**target.kafka(OBSERVER), group_id=f"audit-bench-{uuid.uuid4().hex[:12]}",
                                         enable_auto_commit=False, client_id="audit-bench-booker")
        self.http = httpx.AsyncClient(base_url=assessment_url, headers={"Authorization": f"Bearer {token}"},
                                      timeout=30)
        self.wanted: set[str] = set()
        self.opened: dict[str, str] = {}  # cases read before their client was wanted: client id -> case id
        self.booked: set[str] = set()
        self.failures: list[str] = []
        self.published: dict[tuple[str, str], float] = {}  # (client id, event type) -> Kafka timestamp, s
        self.read_at: dict[str, float] = {}  # client id -> when this process read its AssessmentCaseOpened
        self.booking: dict[str, tuple[float, float]] = {}  # client id -> booking request sent, answered
        self.tasks: set[asyncio.Task] = set()
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        await self.consumer.start()
        await self.consumer._client.force_metadata_update()
        tps = [TopicPartition(topic, p) for topic in (clientview.TOPIC, event_topic("assessment"))
               for p in sorted(self.consumer.partitions_for_topic(topic) or ())]
        self.consumer.assign(tps)
        await self.consumer.seek_to_end(*tps)
        for tp in tps:
            await self.consumer.position(tp)
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            batches = await self.consumer.getmany(timeout_ms=100, max_records=500)
            now = time.time()
            for records in batches.values():
                for r in records:
                    envelope = json.loads(r.value)
                    if envelope["type"] in TRACED:
                        self.published[envelope["client_id"], envelope["type"]] = r.timestamp / 1000
                    if envelope["type"] != "AssessmentCaseOpened":
                        continue
                    self.read_at[envelope["client_id"]] = now
                    if envelope["client_id"] in self.wanted:
                        self._book_soon(envelope["client_id"], envelope["payload"]["assessment_id"])
                    else:  # its registration's answer may still be on its way to the sender
                        self.opened[envelope["client_id"]] = envelope["payload"]["assessment_id"]

    def want(self, client_id: str) -> None:
        self.wanted.add(client_id)
        if client_id in self.opened:
            self._book_soon(client_id, self.opened.pop(client_id))

    def _book_soon(self, client_id: str, assessment_id: str) -> None:
        task = asyncio.create_task(self._book(client_id, assessment_id))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _book(self, client_id: str, assessment_id: str) -> None:
        when = (datetime.now(UTC) + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
        sent = time.time()
        resp = await self.http.post(f"/cases/{assessment_id}/interview", json={
            "scheduled_at": when.isoformat(), "place": "karis", "language": "fi",
            "cancellation_instructions_given": True})
        self.booking[client_id] = (sent, time.time())
        if resp.status_code >= 300:
            self.failures.append(f"{resp.status_code} {resp.text[:200]}")
        else:
            self.booked.add(assessment_id)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, *self.tasks, return_exceptions=True)
        await self.consumer.stop()
        await self.http.aclose()


async def _register(http: httpx.AsyncClient, token: str, path: str, body: dict) -> dict:
    """One registration, retried with the same Idempotency-Key when the connection fails (a kept-alive
    connection the server closed under load), as a municipal system would: intake applies it once."""
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}
    for attempt in range(5):
        try:
            resp = await http.post(path, json=body, headers=headers)
            break
        except httpx.TransportError:
            if attempt == 4:
                raise
            await asyncio.sleep(0.5 * (attempt + 1))
    if resp.status_code != 201:
        raise RuntimeError(f"intake answered {resp.status_code} to {path}: {resp.text[:300]}")
    return resp.json()


async def _burst(http: httpx.AsyncClient, token: str, made: list[tuple[str, dict, str]], booker: Booker | None
                 ) -> dict[str, Sent]:
    """Send every registration from SENDERS concurrent senders; per recipient when it was sent and
    answered, and its client when the registration made a new one (a person already known gets no
    first message)."""
    sent: dict[str, Sent] = {}
    queue = list(reversed(made))

    async def sender() -> None:
        while queue:
            path, body, recipient = queue.pop()
            sent[recipient] = one = Sent(time.time())
            answer = await _register(http, token, path, body)
            one.answered = time.time()
            if answer["created"]:
                one.client_id = answer["client_id"]
                if booker is not None:
                    booker.want(answer["client_id"])

    await asyncio.gather(*(sender() for _ in range(SENDERS)))
    return sent


async def bench_pipeline(target: Target, sizes: PipelineSizes) -> PipelineResult:
    result = PipelineResult(sizes)
    today = datetime.now(UTC).date()
    keys = target.secrets["notifications"]
    clock = DaytimeClock()
    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as folder:
        logdir = Path(folder) / "logs"
        logdir.mkdir()
        services: list[ServiceRun] = []
        failed = True
        try:
            async with Servers(Path(folder), keys, logdir) as servers:
                skipped = await skip_backlogs(target)
                log(f"pipeline: consumer groups moved past {skipped} earlier messages; starting intake alone")
                intake = ServiceRun(target, "intake", logdir / "intake.log")
                services.append(intake)
                await intake.wait_ready()
                intake_db = await asyncpg.connect(target.service_dsn("intake"))
                assessment_db = await asyncpg.connect(target.service_dsn("assessment"))
                senders = await issue_temporary(intake_db, ["raseborg", "employment-region"], role="system",
                                                label="bench pipeline")
                officers = await issue_temporary(assessment_db, ["employment-region"], role="officer",
                                                 label="bench pipeline")
                try:
                    async with httpx.AsyncClient(base_url=intake.url, timeout=60) as http:
                        await _intake_alone(sizes, result, http, senders["employment-region"], today)
                        # What intake published alone is left behind: the downstream services start at the end.
                        skipped = await skip_backlogs(target, but=("intake.ingress",))
                        log(f"pipeline: moved past the {skipped} events of intake alone; starting the others")
                        assessment = ServiceRun(target, "assessment", logdir / "assessment.log")
                        services.append(assessment)
                        notifications = ServiceRun(
                            target, "notifications", logdir / "notifications.log", module="bench.daytime_notifications",
                            extra={"DAYTIME_OFFSET_S": str(clock.offset.total_seconds()),
                                   "NOTIFICATIONS_INTAKE_URL": intake.url,
                                   "NOTIFICATIONS_SMTP_PORT": str(servers.smtp_port),
                                   "NOTIFICATIONS_SMS_URL": servers.sms_url, "NOTIFICATIONS_PUBLIC_URL": ""})
                        services.append(notifications)
                        await asyncio.gather(*(s.wait_ready() for s in services))
                        arrivals = Arrivals(servers.maildir, servers.sms_store)
                        booker = Booker(target, assessment.url, officers["employment-region"])
                        result.meter = _meter(target, {**{s.service: s.proc.pid for s in services},
                                                       **{n: p.pid for n, p in servers.procs.items()}})
                        try:
                            await booker.start()
                            await _runs(target, sizes, result, http, senders, booker, arrivals, today, clock)
                        finally:
                            await booker.stop()
                            if booker.failures:
                                result.notes.append(f"{len(booker.failures)} bookings refused, first: "
                                                    f"{booker.failures[0]}")
                finally:
                    await revoke_temporary(intake_db, senders)
                    await revoke_temporary(assessment_db, officers)
                    await intake_db.close()
                    await assessment_db.close()
                failed = False
        finally:
            for s in services:
                s.stop()
            if failed:  # keep the services' logs to read
                kept = Path(tempfile.mkdtemp(prefix="bench-pipeline-logs-"))
                for s in services:
                    if s.log_path.exists():
                        s.log_path.replace(kept / s.log_path.name)
                log(f"pipeline failed: the services' logs are in {kept}")
    return result


async def _intake_alone(sizes: PipelineSizes, result: PipelineResult, http: httpx.AsyncClient, token: str,
                        today: date) -> None:
    """Intake alone (no service reads what it publishes yet): registrations/s over HTTP from SENDERS
    senders, beside `GET /healthz` of the same process from as many senders, as often."""
    n = sizes.invitation
    log(f"pipeline: {n} jobseeker registrations to intake alone, then as many GET /healthz")
    sent = await _burst(http, token, [jobseeker(today) for _ in range(n)], None)
    result.intake_alone = n / (max(s.answered for s in sent.values()) - min(s.started for s in sent.values()))
    queue = list(range(n))
    t0 = time.time()

    async def prober() -> None:
        while queue:
            queue.pop()
            (await http.get("/healthz")).raise_for_status()

    await asyncio.gather(*(prober() for _ in range(SENDERS)))
    result.intake_alone_probe = n / (time.time() - t0)
    log(f"pipeline: intake alone {result.intake_alone:,.1f} registrations/s, {result.intake_alone_probe:,.0f} "
        "GET /healthz/s")


def _meter(target: Target, services: dict[str, int]) -> stages.CpuMeter:
    """The services' processes and the bench's; on a local deployment PostgreSQL's and Kafka's too."""
    from deploy import kafka, procs

    trees = {}
    if target.layout is not None:
        pids = {"postgresql": procs.read_pid(target.layout.pg_dir / "data" / "postmaster.pid"),
                "kafka": procs.read_pid(kafka.pidfile(target.layout))}
        trees = {name: pid for name, pid in pids.items() if pid is not None}
    return stages.CpuMeter({**services, "bench": os.getpid()}, trees)


class Usage:
    """This process's CPU time over a stretch of wall time: is the harness itself the bottleneck?"""

    def __init__(self) -> None:
        self.cpu, self.wall = time.process_time(), time.monotonic()

    def share(self) -> float:
        return (time.process_time() - self.cpu) / max(1e-9, time.monotonic() - self.wall)


async def _chain(target: Target, sizes: PipelineSizes, result: PipelineResult, http: httpx.AsyncClient, token: str,
                 made: list[tuple[str, dict, str]], booker: Booker, arrivals: Arrivals, ours: list[float],
                 raw: list[float], hops: int, clock: DaytimeClock) -> None:
    """One throughput run of a chain (the booker books when the chain has a booking), then its raw baseline."""
    invitation = hops == INVITATION_HOPS
    if not made:
        return
    usage, cpu = Usage(), result.meter.snapshot() if result.meter else {}
    sent = await _burst(http, token, made, booker if invitation else None)
    fresh = {r for r, s in sent.items() if s.client_id is not None}
    got = await arrivals.wait(fresh, sms=invitation, timeout=sizes.timeout)
    result.harness_cpu.append(usage.share())
    if result.meter and got:
        used = result.meter.used(cpu, result.meter.snapshot())
        chain = "invitation" if invitation else "welcome"
        total, count = result.cpu.get(chain, ({}, 0))
        result.cpu[chain] = ({k: total.get(k, 0.0) + v for k, v in used.items()}, count + len(got))
    result.missing += len(fresh - got.keys())
    if (rate := _throughput({k: sent[k].started for k in fresh}, got)) is not None:
        ours.append(rate)
    await _stages(target, result, "invitation" if invitation else "welcome", sent, got, booker, clock)
    sent_raw, arrived = await raw_chain(target, hops, len(made), None, sizes.timeout)
    raw.append(_throughput(sent_raw, arrived) or 0.0)


async def _stages(target: Target, result: PipelineResult, chain: str, sent: dict[str, Sent], got: dict[str, float],
                  booker: Booker, clock: DaytimeClock) -> None:
    found = await stages.measure(target, sent, got, published=booker.published, read_at=booker.read_at,
                                 booking=booker.booking, clock_offset=clock.offset, invitation=chain != "welcome")
    result.stages.setdefault(chain, stages.Stages()).extend(found)


def _last(rates: list[float]) -> str:
    return f"{rates[-1]:,.1f}/s" if rates else "n/a"


async def _runs(target: Target, sizes: PipelineSizes, result: PipelineResult, http: httpx.AsyncClient,
                senders: dict[str, str], booker: Booker, arrivals: Arrivals, today: date, clock: DaytimeClock) -> None:
    for rep in range(sizes.reps):
        log(f"pipeline run {rep + 1}/{sizes.reps}: {sizes.welcome} newcomer notices -> welcome e-mails")
        await _chain(target, sizes, result, http, senders["raseborg"],
                     [newcomer_notice(today) for _ in range(sizes.welcome)], booker, arrivals, result.welcome,
                     result.welcome_raw, WELCOME_HOPS, clock)
        log(f"pipeline run {rep + 1}/{sizes.reps}: {sizes.invitation} jobseekers -> case -> booking -> invitation SMS")
        await _chain(target, sizes, result, http, senders["employment-region"],
                     [jobseeker(today) for _ in range(sizes.invitation)], booker, arrivals, result.invitation,
                     result.invitation_raw, INVITATION_HOPS, clock)
        log(f"pipeline run {rep + 1}: welcome {_last(result.welcome)} vs raw {_last(result.welcome_raw)}; "
            f"invitation {_last(result.invitation)} vs raw {_last(result.invitation_raw)}")

    n = max(1, int(sizes.latency_rate * sizes.latency_seconds))
    log(f"pipeline latency: {n} jobseekers at {sizes.latency_rate:g}/s")
    made = [jobseeker(today) for _ in range(n)]
    sent: dict[str, Sent] = {}

    async def one(path: str, body: dict, phone: str) -> None:
        sent[phone] = mine = Sent(time.time())
        answer = await _register(http, senders["employment-region"], path, body)
        mine.answered = time.time()
        if answer["created"]:
            mine.client_id = answer["client_id"]
            booker.want(answer["client_id"])

    tasks = []
    t0 = time.monotonic()
    for i, registration in enumerate(made):
        await asyncio.sleep(max(0.0, t0 + i / sizes.latency_rate - time.monotonic()))
        tasks.append(asyncio.create_task(one(*registration)))
    offered_for = time.monotonic() - t0
    await asyncio.gather(*tasks)
    result.offered_rate = (n - 1) / offered_for if n > 1 and offered_for > 0 else float(n)
    fresh = {r for r, s in sent.items() if s.client_id is not None}
    got = await arrivals.wait(fresh, sms=True, timeout=sizes.timeout)
    result.missing += len(fresh - got.keys())
    result.latency = [got[p] - sent[p].started for p in got]
    await _stages(target, result, "latency", sent, got, booker, clock)
    sent_raw, arrived = await raw_chain(target, INVITATION_HOPS, n, sizes.latency_rate, sizes.timeout)
    result.latency_raw = [arrived[k] - sent_raw[k] for k in arrived]
    if result.missing:
        result.notes.append(f"{result.missing} registrations' messages did not arrive within {sizes.timeout:g} s")


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.pipeline [--profile bench|dev|test] [--quick]`: only these rows (make bench runs them too)."""
    import argparse

    from bench.common import local_target, print_rows
    from bench.run import quiet_logs

    parser = argparse.ArgumentParser(prog="python -m bench.pipeline", description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", choices=("bench", "dev", "test"), default="bench")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--reps", type=int, help="throughput runs (default: 3, --quick 1; 0: only the latency)")
    parser.add_argument("--welcome", type=int, help="newcomer notices per throughput run (default: 600, --quick 6)")
    parser.add_argument("--invitation", type=int, help="jobseekers per throughput run (default: 300, --quick 4)")
    args = parser.parse_args(argv)
    quiet_logs()
    target = local_target(args.profile)
    sizes = PIPELINE_TINY if args.quick else PIPELINE_FULL
    if args.reps is not None:  # 0: only the latency
        sizes = dataclasses.replace(sizes, reps=args.reps)
    if args.welcome is not None:
        sizes = dataclasses.replace(sizes, welcome=args.welcome)
    if args.invitation is not None:
        sizes = dataclasses.replace(sizes, invitation=args.invitation)
    result = asyncio.run(bench_pipeline(target, sizes))
    print_rows(result.rows(), result.text_notes())
    return 0


if __name__ == "__main__":
    sys.exit(main())
