"""Where a pipeline run's time goes: each registration's steps, from timestamps the chain leaves anyway.

Read after a run of `bench.pipeline`, per registered client (wall clock, one machine):

- the bench: when it sent the registration and got intake's answer; when its booker read the case
  and sent and got the booking;
- Kafka: each event's record timestamp (the producer's send time: when the relay published it);
- the databases: `event_store.recorded_at` and `inbox.processed_at` (both `now()`: the start of the
  transaction that appended or applied it) and notifications' `created_at` / `sent_at`.

Nothing here is asserted; the figures go into the run's notes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

import asyncpg
import psutil

from bench.common import Target, median, percentile

TRACED = ("ClientRegistered", "AssessmentCaseOpened", "InitialInterviewScheduled")


@dataclass
class Sent:
    """One registration as the bench saw it."""

    started: float
    answered: float | None = None
    client_id: str | None = None  # set when the registration made a new client


@dataclass
class Stages:
    """Per stage, its durations in seconds over the clients that have both ends."""

    durations: dict[str, list[float]] = field(default_factory=dict)
    ends: dict[str, list[float]] = field(default_factory=dict)  # when each one's stage ended

    def add(self, name: str, start: float | None, end: float | None) -> None:
        values, ends = self.durations.setdefault(name, []), self.ends.setdefault(name, [])
        if start is not None and end is not None:
            values.append(end - start)
            ends.append(end)

    def extend(self, other: Stages) -> None:
        for name, values in other.durations.items():
            self.durations.setdefault(name, []).extend(values)
            self.ends.setdefault(name, []).extend(other.ends[name])

    def note(self, title: str, *, rates: bool = False) -> str:
        """Each stage's median and p90 duration; with `rates`, also how many ended per second (from the
        first to the last end of that stage): the stage that ends fewest per second limits the chain."""
        parts = []
        for name, v in self.durations.items():
            if not v:
                continue
            part = f"{name} {median(v) * 1000:,.0f} / {percentile(v, 90) * 1000:,.0f}"
            ends = self.ends[name]
            if rates and len(ends) > 1 and max(ends) > min(ends):
                part += f" ({(len(ends) - 1) / (max(ends) - min(ends)):,.1f}/s)"
            parts.append(part)
        unit = "median / p90 ms per registration" + (", and ended per second" if rates else "")
        return f"{title} ({unit}): " + "; ".join(parts) + "."


async def _rows(dsn: str, query: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()


async def measure(target: Target, sent: Mapping[str, Sent], arrived: Mapping[str, float], *,
                  published: Mapping[tuple[str, str], float], read_at: Mapping[str, float],
                  booking: Mapping[str, tuple[float, float]], clock_offset: timedelta, invitation: bool) -> Stages:
    """The stages of the registrations in `sent` (by recipient) whose message `arrived` (by recipient)."""
    clients = {s.client_id: r for r, s in sent.items() if s.client_id is not None and r in arrived}
    ids = list(clients)
    when: dict[tuple[str, str], float] = {}  # (client id, what) -> time
    for r in await _rows(target.service_dsn("intake"),
                         "SELECT client_id::text AS c, event_id, recorded_at FROM event_store "
                         "WHERE client_id = ANY($1::uuid[]) AND type = 'ClientRegistered'", ids):
        when[r["c"], "registered"] = r["recorded_at"].timestamp()
        when[r["c"], "registered_id"] = r["event_id"]
    if invitation:
        for r in await _rows(target.service_dsn("assessment"),
                             "SELECT client_id::text AS c, type, event_id, recorded_at FROM event_store "
                             "WHERE client_id = ANY($1::uuid[]) AND type = ANY($2::text[])", ids, list(TRACED[1:])):
            when[r["c"], r["type"]] = r["recorded_at"].timestamp()
            when[r["c"], r["type"] + "_id"] = r["event_id"]
        for r in await _rows(target.service_dsn("assessment"),
                             "SELECT e.client_id::text AS c, i.processed_at FROM inbox i JOIN "
                             "unnest($1::uuid[], $2::uuid[]) AS e(client_id, event_id) USING (event_id)",
                             ids, [when.get((c, "registered_id")) for c in ids]):
            when[r["c"], "assessment_applied"] = r["processed_at"].timestamp()
        triggers = {when[c, "InitialInterviewScheduled_id"]: c for c in ids
                    if (c, "InitialInterviewScheduled_id") in when}
    else:
        triggers = {when[c, "registered_id"]: c for c in ids if (c, "registered_id") in when}
    for r in await _rows(target.service_dsn("notifications"),
                         "SELECT event_id, min(processed_at) AS processed_at FROM inbox "
                         "WHERE event_id = ANY($1::uuid[]) GROUP BY event_id", list(triggers)):
        when[triggers[r["event_id"]], "notifications_applied"] = r["processed_at"].timestamp()
    for r in await _rows(target.service_dsn("notifications"),
                         "SELECT event_id, created_at, sent_at FROM notifications WHERE event_id = ANY($1::uuid[])",
                         list(triggers)):
        c = triggers[r["event_id"]]
        when[c, "queued"] = r["created_at"].timestamp()
        if r["sent_at"] is not None:  # notifications' clock is shifted to midday
            when[c, "sent"] = (r["sent_at"] - clock_offset).timestamp()

    stages = Stages()
    for c, recipient in clients.items():
        s = sent[recipient]
        trigger = "InitialInterviewScheduled" if invitation else "ClientRegistered"
        stages.add("intake answers the registration", s.started, s.answered)
        stages.add("intake's relay publishes ClientRegistered (from its transaction's start)",
                   when.get((c, "registered")), published.get((c, "ClientRegistered")))
        if invitation:
            stages.add("assessment applies it (from publication)", published.get((c, "ClientRegistered")),
                       when.get((c, "assessment_applied")))
            stages.add("AssessmentCaseOpened published (from the applying transaction's start)",
                       when.get((c, "assessment_applied")), published.get((c, "AssessmentCaseOpened")))
            stages.add("the booker reads it", published.get((c, "AssessmentCaseOpened")), read_at.get(c))
            stages.add("booking answered (from reading the case)", read_at.get(c), booking.get(c, (None, None))[1])
            stages.add("InitialInterviewScheduled published (from its transaction's start)",
                       when.get((c, "InitialInterviewScheduled")), published.get((c, "InitialInterviewScheduled")))
        stages.add("notifications applies the trigger (from publication)", published.get((c, trigger)),
                   when.get((c, "notifications_applied")))
        stages.add("queued -> sent recorded", when.get((c, "queued")), when.get((c, "sent")))
        stages.add("queued -> accepted by the server", when.get((c, "queued")), arrived[recipient])
        stages.add("whole chain", s.started, arrived[recipient])
    return stages


class CpuMeter:
    """CPU seconds the chain's processes used between two snapshots: each service, the bench itself,
    and, on a local deployment, PostgreSQL (the postmaster and its backends) and the Kafka broker."""

    def __init__(self, pids: Mapping[str, int], trees: Mapping[str, int] = {}) -> None:  # noqa: B006 - read only
        self.pids, self.trees = dict(pids), dict(trees)

    @staticmethod
    def _cpu(process: psutil.Process) -> float:
        try:
            t = process.cpu_times()
            return t.user + t.system
        except psutil.Error:
            return 0.0

    def snapshot(self) -> dict[str, dict[int, float]]:
        seen: dict[str, dict[int, float]] = {}
        for name, pid in self.pids.items():
            seen[name] = {pid: self._cpu(psutil.Process(pid))} if psutil.pid_exists(pid) else {}
        for name, pid in self.trees.items():
            if not psutil.pid_exists(pid):
                continue
            root = psutil.Process(pid)
            try:
                family = [root, *root.children(recursive=True)]
            except psutil.Error:
                family = [root]
            seen[name] = {p.pid: self._cpu(p) for p in family}
        return seen

    @staticmethod
    def used(before: Mapping[str, Mapping[int, float]], after: Mapping[str, Mapping[int, float]]) -> dict[str, float]:
        """CPU seconds per name (a process that ended in between is not counted, one that began is)."""
        return {name: sum(t - before.get(name, {}).get(pid, 0.0) for pid, t in now.items())
                for name, now in after.items()}


def cpu_note(title: str, used: Mapping[str, float], messages: int, cores: int) -> str:
    """CPU milliseconds per message by process, and the rate the sum would allow on `cores` idle cores."""
    total = sum(used.values())
    parts = "; ".join(f"{name} {seconds * 1000 / messages:,.1f}" for name, seconds in used.items())
    ceiling = (f"; at that cost {cores} idle cores would carry at most {cores * messages / total:,.0f} msg/s"
               if total else "")
    return f"{title} (CPU ms per message, {messages} messages): {parts}; sum {total * 1000 / messages:,.1f}{ceiling}."
