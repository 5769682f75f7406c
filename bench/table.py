"""The one table `python -m bench.run` prints: each figure, its baseline from the same run, ratio, target."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bench.appends import AppendResult
from bench.assessment import AssessmentResult
from bench.common import MB, percentile
from bench.consume import ConsumeResult
from bench.followers import FollowerResult
from bench.planning import PlanningResult
from bench.latency import LatencyResult
from bench.registration import RegistrationResult
from bench.relay import RelayResult
from bench.pipeline import FIGURES as PIPELINE_FIGURES
from bench.replay import FIGURES as REPLAY_FIGURES


@dataclass(frozen=True)
class Target:
    """`kind` "min_ratio": ours/baseline >= value; "max": ours < value (in the row's unit); "none"."""

    kind: str = "none"
    value: float = 0.0

    def text(self) -> str:
        if self.kind == "min_ratio":
            return f">= {self.value * 100:.0f} %" if self.value < 1 else f">= {self.value:.2f}x"
        if self.kind == "max":
            return f"< {self.value:g}"
        return "-"

    def met(self, ours: float | None, ratio: float | None) -> str:
        if self.kind == "none":
            return ""
        if self.kind == "min_ratio":
            return "n/a" if ratio is None else ("yes" if ratio >= self.value else "NO")
        return "n/a" if ours is None else ("yes" if ours < self.value else "NO")


@dataclass(frozen=True)
class Row:
    figure: str
    unit: str
    ours: float | None
    baseline_name: str
    baseline: float | None
    target: Target = Target()
    percent: bool = False  # show the ratio as a percentage
    missing: str = ""  # why `ours` is missing

    @property
    def ratio(self) -> float | None:
        if self.ours is None or not self.baseline:
            return None
        return self.ours / self.baseline


APPEND_COMBOS = ((1, 1), (8, 1), (1, 10), (8, 10))  # (writers, events per transaction)

FIGURES = [  # every row's figure, in order; the smoke test checks the table has each
    *(f"append, {w} writer{'s' if w > 1 else ''}, {b} event{'s' if b > 1 else ''}/txn"
      for w, b in APPEND_COMBOS for _ in range(2)),
    "register, 1 writer", "register, 8 writers", "vault read (decrypt)",
    "relay publish",
    "inbox consume + apply",
    "inbox consume + apply, batch handler",
    "latency commit -> audit committed, p50", "latency commit -> audit committed, p99",
    "latency commit -> audit received_at, p50", "latency commit -> audit received_at, p99",
    "latency commit -> readable on Kafka, p50", "latency commit -> readable on Kafka, p99",
    "audit service RSS, peak under load", "audit service RSS, peak in catch-up",
    "bench process RSS, peak",
    "assessment: ClientRegistered -> case opened",
    "AssessmentCompleted -> plan opened",
    "guidance: ClientRegistered -> client view",
    "notifications: ClientRegistered -> messages queued",
]
FOLLOWER_FIGURES = {"guidance": "guidance: ClientRegistered -> client view",
                    "notifications": "notifications: ClientRegistered -> messages queued"}
FIGURES += [*PIPELINE_FIGURES, *REPLAY_FIGURES]  # end to end (bench/pipeline.py, bench/replay.py), after build_rows'


def build_rows(appends: AppendResult, registration: RegistrationResult, relay: RelayResult, consume: ConsumeResult,
               latency: LatencyResult, bench_rss: tuple[int, int],
               assessment: AssessmentResult | None = None, planning: PlanningResult | None = None,
               followers: Sequence[FollowerResult] = ()) -> list[Row]:
    rows: list[Row] = []
    two_x = Target("min_ratio", 2.0)
    for writers, per_txn in APPEND_COMBOS:
        name = f"append, {writers} writer{'s' if writers > 1 else ''}, {per_txn} event{'s' if per_txn > 1 else ''}/txn"
        ours = appends.median(writers, per_txn, "ours")
        rows.append(Row(name, "events/s", ours, f"plain INSERT, {per_txn} row{'s' if per_txn > 1 else ''}/txn",
                        appends.median(writers, per_txn, "plain")))
        rows.append(Row(name, "events/s", ours, f"eventsourcing recorder, {per_txn}/txn",
                        appends.median(writers, per_txn, "eventsourcing"), two_x))
    for writers in (1, 8):
        rows.append(Row(f"register, {writers} writer{'s' if writers > 1 else ''}", "regs/s",
                        registration.median(writers, "ours"), f"plain txn, same {registration.shape.inserts} INSERTs",
                        registration.median(writers, "plain")))
    rows.append(Row("vault read (decrypt)", "reads/s", registration.read_median("ours"), "plain SELECT, same row",
                    registration.read_median("plain")))
    rows.append(Row("relay publish", "events/s", relay.relay_median, "raw aiokafka produce", relay.raw_median,
                    Target("min_ratio", 0.5), percent=True))
    rows.append(Row("inbox consume + apply", "events/s", consume.inbox_median, "raw aiokafka consume",
                    consume.raw_median, Target("min_ratio", 0.25), percent=True))
    rows.append(Row("inbox consume + apply, batch handler", "events/s", consume.batch_median, "raw aiokafka consume",
                    consume.raw_median, Target("min_ratio", 0.25), percent=True))
    base = [v * 1000 for v in latency.baseline]
    for label, values in (("audit committed", latency.audit_committed), ("audit received_at", latency.audit_received),
                          ("readable on Kafka", latency.kafka)):
        ms = [v * 1000 for v in values] if values else None
        for q in (50, 99):
            rows.append(Row(f"latency commit -> {label}, p{q}", "ms", percentile(ms, q) if ms else None,
                            f"raw produce -> consume, p{q}", percentile(base, q) if base else None,
                            missing="" if ms else (latency.audit_note or "no events measured")))
    idle = latency.rss_idle / MB if latency.rss_idle else None
    for label, value in (("peak under load", latency.rss_load), ("peak in catch-up", latency.rss_catch_up)):
        rows.append(Row(f"audit service RSS, {label}", "MB", value / MB if value else None, "audit idle after start",
                        idle, Target("max", 150), missing="" if value else (latency.audit_note or "not measured")))
    # Not a service: it holds the pre-built envelopes of every benchmark besides the appends and relay it runs.
    rows.append(Row("bench process RSS, peak", "MB", bench_rss[1] / MB, "bench process at start", bench_rss[0] / MB))
    if assessment is not None:
        rows.append(Row("assessment: ClientRegistered -> case opened", "cases/s", assessment.cases_median,
                        "raw aiokafka consume", assessment.raw_median, percent=True))
    rows.append(Row("AssessmentCompleted -> plan opened", "events/s", planning.opened_median if planning else None,
                    "raw aiokafka consume", planning.raw_median if planning else None, percent=True,
                    missing="" if planning else "not measured"))
    measured = {f.service: f for f in followers}
    for service, figure in FOLLOWER_FIGURES.items():
        f = measured.get(service)
        rows.append(Row(figure, "events/s", f.applied_median if f else None, "raw aiokafka consume",
                        f.raw_median if f else None, percent=True, missing="" if f else "not measured"))
    return rows


def _num(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit.endswith("/s"):
        return f"{value:,.0f}"
    return f"{value:,.1f}"


def render(rows: Sequence[Row]) -> str:
    head = ("figure", "unit", "ours", "baseline (same run)", "baseline", "ratio", "target", "met")
    body = []
    for r in rows:
        ratio = r.ratio
        ratio_text = "n/a" if ratio is None else (f"{ratio * 100:.0f} %" if r.percent else f"{ratio:.2f}x")
        body.append((r.figure, r.unit, _num(r.ours, r.unit), r.baseline_name, _num(r.baseline, r.unit), ratio_text,
                     r.target.text(), r.target.met(r.ours, ratio)))
    widths = [max(len(line[i]) for line in (head, *body)) for i in range(len(head))]
    numeric = {2, 4, 5}

    def fmt(line: Sequence[str]) -> str:
        cells = zip(line, widths, strict=True)
        return "  ".join(c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in enumerate(cells))

    lines = [fmt(head), "  ".join("-" * w for w in widths), *(fmt(b) for b in body)]
    missing = [f"  n/a in '{r.figure}': {r.missing}" for r in rows if r.ours is None and r.missing]
    return "\n".join(line.rstrip() for line in lines + sorted(set(missing)))
