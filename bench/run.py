"""`python -m bench.run [--profile bench|dev|test] [--quick]`: run every benchmark once and print one table.

Starts what is missing of the profile's Kafka and PostgreSQL (`deploy up`, idempotent), then:
appends and intake registrations (scratch databases), relay and consume (scratch database,
integration.intake.v1), latency (the audit service as a subprocess, intake's and audit's own
databases). Progress goes to stderr; stdout gets the machine facts, the table and its notes. Nothing
here asserts a duration.

Side effects on the profile (by default `bench`, with its own state folder and ports): the relay
and latency benchmarks publish real ClientRegistered envelopes of made-up clients to integration.intake.v1 (kept forever, like every
event topic), so the audit trail and any service consuming that topic will take them in too; the
latency run also leaves its events in intake's event store. Scratch databases are dropped; the
`audit-bench-*` consumer groups stay until Kafka expires their offsets. The end-to-end pipeline
(bench/pipeline.py) runs intake, assessment and notifications as processes on the profile's own
databases, after moving their consumer groups to the end of their topics; its made-up clients stay
there. The replay (bench/replay.py) uses scratch databases and a scratch topic only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import platform
import sys
import time
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import asyncpg
import psutil
import structlog

from bench.appends import AppendResult, bench_appends
from bench.assessment import AssessmentResult, bench_assessment
from bench.common import FULL, MB, TINY, RssSampler, Sizes, Target, log
from bench.consume import ConsumeResult, bench_consume
from bench.followers import SERVICES, FollowerResult, bench_follower
from bench.latency import LatencyResult, bench_latency
from bench.pipeline import PIPELINE_FULL, PIPELINE_TINY, PipelineResult, bench_pipeline
from bench.planning import PlanningResult, bench_planning
from bench.registration import RegistrationResult, bench_registration
from bench.relay import RelayResult, bench_relay
from bench.replay import REPLAY_FULL, REPLAY_TINY, ReplayResult, bench_replay
from bench.table import Row, build_rows, render


@dataclass
class Report:
    sizes: Sizes
    appends: AppendResult
    registration: RegistrationResult
    relay: RelayResult
    consume: ConsumeResult
    latency: LatencyResult
    bench_rss: tuple[int, int]  # at start, peak
    facts: dict[str, str] = field(default_factory=dict)
    assessment: AssessmentResult | None = None
    planning: PlanningResult | None = None
    pipeline: PipelineResult | None = None
    replay: ReplayResult | None = None
    followers: list[FollowerResult] = field(default_factory=list)

    @property
    def rows(self) -> list[Row]:
        rows = build_rows(self.appends, self.registration, self.relay, self.consume, self.latency, self.bench_rss,
                          self.assessment, self.planning, self.followers)
        rows += self.pipeline.rows() if self.pipeline else []
        rows += self.replay.rows() if self.replay else []
        return rows

    def text(self) -> str:
        width = max(len(k) for k in self.facts) if self.facts else 0
        facts = [f"{k.ljust(width)} : {v}" for k, v in self.facts.items()]
        s, lat, reg = self.sizes, self.latency, self.registration
        notes = [
            f"Each throughput figure is the median of {s.reps} run(s); ratio = ours / baseline.",
            (f"Appends: {s.append_txns} transactions of 1 event, {s.append_txns_batch} of {s.batch}, over 400 "
             "clients' streams; baselines get the envelope bytes ready-made, ours serialises inside append()."),
            (f"Register: {s.registrations} kela_notifications per run, each about a new invented person, through "
             f"handlers.register; baseline: per registration one transaction of the same {reg.shape.inserts} "
             f"INSERTs ({reg.shape.text()}) into tables without keys, indexes or checks."),
            (f"Vault read: {s.vault_reads} reads, 1 reader, each a unit of work around vault.load (join, unwrap, "
             "AES-GCM decrypt, parse); baseline: SELECT of the same row's ciphertext in a transaction."),
            (f"Relay: {s.relay_events} events per run; consume: the {self.consume.events} messages the last relay "
             "run wrote, read back as principal audit."),
            (f"Latency: {lat.events} appends offered at {lat.rate:.0f}/s (target {s.latency_rate:.0f}/s); 'audit "
             f"committed' = first seen by polling audit_trail every 20 ms; baseline = {len(lat.baseline)} raw "
             "messages at the same rate."),
        ]
        if lat.catch_up_events:
            rate = lat.catch_up_events / lat.catch_up_seconds if lat.catch_up_seconds else 0
            notes.append(f"Audit worked off a backlog of {lat.catch_up_events} events in {lat.catch_up_seconds:.1f} s "
                         f"({rate:,.0f} events/s) before the latency run.")
        if self.assessment is not None:
            notes.append(f"Assessment: {self.assessment.events} ClientRegistered of new clients per run through "
                         "assessment's subscription (client view, case, AssessmentCaseOpened) on a scratch database; "
                         "baseline: the same messages read by a raw consumer.")
        notes += lat.notes
        if self.planning is not None:
            notes.append(f"Plan opened: {self.planning.events} AssessmentCompleted per run on a scratch topic, through "
                         "planning's assessments subscription (PlanOpened appended, plans table) into a scratch "
                         "database; baseline: the same range read raw.")
        for f in self.followers:
            notes.append(f"{f.service.capitalize()}: {f.events} ClientRegistered of new clients per run on a scratch "
                         "topic through its real clients subscription (bench.followers) into a scratch database; "
                         "baseline: the same range read raw.")
        if lat.log_file:
            notes.append(f"audit log kept: {lat.log_file}")
        notes += self.pipeline.text_notes() if self.pipeline else []
        notes += self.replay.text_notes() if self.replay else []
        return "\n".join([*facts, "", render(self.rows), "", *(f"- {n}" for n in notes)])


async def measure(target: Target, sizes: Sizes, rss: RssSampler | None = None) -> Report:
    """Run every benchmark on `target` with `sizes`; the table rows come from the result."""
    own_rss = rss or RssSampler().start()
    started = own_rss.samples[0][1]
    try:
        log("appends")
        appends = await bench_appends(target, sizes)
        log("registration")
        registration = await bench_registration(target, sizes)
        log("relay")
        relay = await bench_relay(target, sizes)
        log("consume")
        consume = await bench_consume(target, sizes, relay.written)
        log("latency")
        latency = await bench_latency(target, sizes)
        log("assessment")
        assessment = await bench_assessment(target, sizes)
        log("planning")
        planning = await bench_planning(target, sizes)
        followers = []
        for service in SERVICES:
            log(service)
            followers.append(await bench_follower(target, sizes, service))
        log("pipeline (end to end)")
        pipeline = await bench_pipeline(target, PIPELINE_TINY if sizes == TINY else PIPELINE_FULL)
        log("replay")
        replay = await bench_replay(target, REPLAY_TINY if sizes == TINY else REPLAY_FULL)
    finally:
        if rss is None:
            own_rss.stop()
    return Report(sizes, appends, registration, relay, consume, latency, (started, own_rss.peak()),
                  assessment=assessment, planning=planning, followers=followers, pipeline=pipeline,
                  replay=replay)


async def machine_facts(target: Target, profile: str, load_before: tuple[float, ...]) -> dict[str, str]:
    from deploy.kafka import kafka_version

    conn = await asyncpg.connect(target.dsn("postgres", "postgres"))
    try:
        pg = await conn.fetchval("SHOW server_version")
        sync = await conn.fetchval("SHOW synchronous_commit")
    finally:
        await conn.close()
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "?")
    return {
        "cores": f"{os.cpu_count()} logical ({psutil.cpu_count(logical=False)} physical), {cpu}",
        "memory": f"{psutil.virtual_memory().total / MB / 1024:.1f} GiB",
        "load average": f"{' / '.join(f'{x:.2f}' for x in load_before)} before, "
                        f"{' / '.join(f'{x:.2f}' for x in os.getloadavg())} after (1/5/15 min)",
        "Kafka": f"{kafka_version()} at {target.bootstrap} (KRaft, 1 node; SASL_PLAINTEXT, SCRAM-SHA-512)",
        "PostgreSQL": f"{pg} at {target.pg_host}:{target.pg_port} (synchronous_commit={sync})",
        "Python": f"{platform.python_version()}; asyncpg {version('asyncpg')}, aiokafka {version('aiokafka')}, "
                  f"eventsourcing {version('eventsourcing')}, psycopg {version('psycopg')}",
        "profile": profile,
        "finished": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


def quiet_logs() -> None:
    """The runtime's logs (structlog, aiokafka) go to stderr, warnings only: stdout is the table's."""
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(name)s %(levelname)s %(message)s")
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
                        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", choices=("bench", "dev", "test"), default="bench",
                        help="which local deployment (bench: its own, so runs leave no data in dev or test)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks that everything runs, in ~1 min")
    args = parser.parse_args(argv)
    quiet_logs()
    rss = RssSampler().start()
    load_before = os.getloadavg()

    from deploy.__main__ import up
    from deploy.config import Layout

    layout = Layout.from_env(profile=args.profile)
    with contextlib.redirect_stdout(sys.stderr):
        secrets = up(layout, with_services=False)
    target = Target(layout.bootstrap, layout.host, layout.pg_port, secrets, layout)

    async def go() -> Report:
        report = await measure(target, TINY if args.quick else FULL, rss)
        report.bench_rss = (rss.samples[0][1], rss.peak())
        report.facts = await machine_facts(target, args.profile, load_before)
        return report

    try:
        report = asyncio.run(go())
    finally:
        rss.stop()
    print(report.text(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
