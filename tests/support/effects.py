"""What a load left behind, counted everywhere it can show: lost and duplicated effects per kind.

After the system settles, `count(infra, clients, since=mark, mail=..., sms=...)` reads, for the
load's clients only (the servers are shared with other tests):

- every producing service's event store and its event topic (from the offsets `mark` took before
  the load): an event stored but never published is **lost** (`bus:<service>`), an event id
  published twice is **duplicated** (`bus:<service>`);
- each consumer's inbox (`applied:<service>.<consumer>`): every event of the load on a topic the
  consumer reads must be in its inbox (consumers record every event they receive, handled or not),
  else it is lost; a load event on a dead-letter topic is lost too (`dead-lettered:<service>`);
- the audit trail (`audit`): every published event exactly once;
- business effects (`business:<type>`): two events of one client and type with the same payload
  but different ids are one effect applied twice (a retry that was not recognised as one);
- rows that exist once per client (`row:intake.clients`, `row:assessment.cases`);
- messages (`sms:<template>`, `email:<template>`): every notification `sent`/`delivered` must be at
  the gateway or the SMTP server exactly once (SMS by the `Idempotency-Key` = notification id, e-mail
  by `Message-ID: <notification id@...>`); one still due and `queued`/`sending` after settling (and up
  to `dispatch_timeout_s` more), or `failed`, is lost (`notification:<state>`; one due later, such as
  a reminder, is not counted); a message at a server for a notification not recorded as sent is
  counted (`unrecorded:<channel>`: its answer was lost, then the retry was cancelled), and is
  duplicated if it is there twice.

`Report.lost` / `Report.duplicated` map kind -> count (only kinds with a count); `examples` holds a
few ids per kind (ids only, never content) for the failure message.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from contracts.topics import PRODUCING_SERVICES, SERVICES, all_topics, dead_letter_topic, event_topic
from tests.support.system import GROUPS

ONE_PER_CLIENT = {"intake": ("clients",), "assessment": ("cases",)}
"""Tables whose schema says one row per client: more is a duplicated effect."""


@dataclass(frozen=True)
class Mark:
    """End offsets of every event and dead-letter topic before the load: counting starts there."""

    offsets: dict[tuple[str, int], int]


def _counted_topics() -> list[Any]:
    return [t for t in all_topics() if t.kind in ("event", "dead-letter")]


def _admin(infra) -> dict[str, Any]:
    return infra.kafka_kwargs("admin", infra.secrets["kafka"]["admin"])


async def mark(infra) -> Mark:
    consumer = AIOKafkaConsumer(**_admin(infra), enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(t.name, p) for t in _counted_topics() for p in range(t.partitions)]
        ends = await consumer.end_offsets(tps)
    finally:
        await consumer.stop()
    return Mark({(tp.topic, tp.partition): offset for tp, offset in ends.items()})


async def read_since(infra, since: Mark) -> dict[str, list[Any]]:
    """Every record of the counted topics from `since` to their end now, per topic."""
    consumer = AIOKafkaConsumer(**_admin(infra), enable_auto_commit=False, max_partition_fetch_bytes=4 << 20)
    await consumer.start()
    records: dict[str, list[Any]] = defaultdict(list)
    try:
        tps = [TopicPartition(t.name, p) for t in _counted_topics() for p in range(t.partitions)]
        ends = await consumer.end_offsets(tps)
        todo = {tp for tp in tps if ends[tp] > since.offsets.get((tp.topic, tp.partition), 0)}
        consumer.assign(list(todo))
        for tp in todo:
            consumer.seek(tp, since.offsets.get((tp.topic, tp.partition), 0))
        while todo:
            batch = await consumer.getmany(*todo, timeout_ms=1000, max_records=5000)
            for tp, recs in batch.items():
                records[tp.topic].extend(recs)
                if recs and recs[-1].offset + 1 >= ends[tp]:
                    todo.discard(tp)
            for tp in list(todo):
                if await consumer.position(tp) >= ends[tp]:
                    todo.discard(tp)
    finally:
        await consumer.stop()
    return records


@dataclass
class Report:
    lost: dict[str, int] = field(default_factory=dict)
    duplicated: dict[str, int] = field(default_factory=dict)
    counted: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def _add(self, table: dict[str, int], kind: str, n: int, examples: Iterable[Any] = ()) -> None:
        if n > 0:
            table[kind] = table.get(kind, 0) + n
            self.examples.setdefault(kind, []).extend(str(e) for e in list(examples)[:3])

    def without(self, *prefixes: str) -> Report:
        """The report with the duplicated kinds starting with `prefixes` left out (what a channel allows)."""
        return Report(self.lost, {k: v for k, v in self.duplicated.items() if not k.startswith(prefixes)},
                      self.counted, self.examples)

    def clean(self) -> bool:
        return not self.lost and not self.duplicated

    def __str__(self) -> str:
        lines = [f"counted: {dict(sorted(self.counted.items()))}"]
        lines += [f"LOST {k}: {v} (e.g. {', '.join(self.examples.get(k, []))})" for k, v in sorted(self.lost.items())]
        lines += [f"DUPLICATED {k}: {v} (e.g. {', '.join(self.examples.get(k, []))})"
                  for k, v in sorted(self.duplicated.items())]
        return "\n".join(lines)


def _canonical(payload: Any) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"))


async def _fetch(infra, database: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(infra.dsn(database))
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


def _notification_of_mail(message_id: str | None) -> UUID | None:
    try:
        return UUID((message_id or "").strip().strip("<>").split("@", 1)[0])
    except ValueError:
        return None


async def _dispatched(infra, ids: list[UUID], *, timeout: float, clock_offset_s: float) -> list[asyncpg.Record]:
    """The load's notifications once none is due and unsent any more (or `timeout` passed): sending runs
    after the events are consumed, so "settled" on the bus is not yet "sent"."""
    deadline = time.monotonic() + timeout
    while True:
        notes = await _fetch(infra, "notifications", "SELECT notification_id, template_code, state, channel, "
                             "not_before > now() + make_interval(secs => $2) AS scheduled "
                             "FROM notifications WHERE client_id = ANY($1::uuid[])", ids, clock_offset_s)
        due = [n for n in notes if n["state"] == "sending" or (n["state"] == "queued" and not n["scheduled"])]
        if not due or time.monotonic() > deadline:
            return notes
        await asyncio.sleep(0.5)


async def count(infra, clients: Iterable[UUID | str], *, since: Mark, mail: Iterable[dict] | Callable[[], list] = (),
                sms: Iterable[dict] | Callable[[], list] = (), dispatch_timeout_s: float = 90,
                clock_offset_s: float = 0.0) -> Report:
    """Count the load's effects (see the module's docstring). `mail`/`sms`: what the SMTP server and the
    SMS gateway received (`message_id` of each e-mail; `idempotency_key` or `reference` of each SMS), or
    a function returning it (`system.mail`), called once the due messages were sent. `clock_offset_s`: how far
    notifications' clock runs ahead of real time (the tests' daytime clock), to tell due from later."""
    ids = [UUID(str(c)) for c in clients]
    wanted = set(ids)
    report = Report()
    records = await read_since(infra, since)

    # The bus: decode what belongs to the load's clients.
    published: dict[str, Counter] = {}
    meta: dict[UUID, tuple[UUID, str, str, str]] = {}  # event_id -> client, type, payload, topic
    for service in PRODUCING_SERVICES:
        seen: Counter = Counter()
        for rec in records.get(event_topic(service), []):
            try:
                envelope = json.loads(rec.value)
                client, event_id = UUID(envelope["client_id"]), UUID(envelope["event_id"])
            except (ValueError, KeyError, TypeError):
                continue  # not an envelope (another test's poison): not the load's
            if client in wanted:
                seen[event_id] += 1
                meta[event_id] = (client, envelope["type"], _canonical(envelope.get("payload")), rec.topic)
        published[service] = seen
        stored = {r["event_id"] for r in await _fetch(
            infra, service, "SELECT event_id FROM event_store WHERE client_id = ANY($1::uuid[])", ids)}
        report.counted[f"stored:{service}"] = len(stored)
        report.counted[f"published:{service}"] = len(seen)
        report._add(report.lost, f"bus:{service}", len(stored - set(seen)), stored - set(seen))
        twice = [e for e, n in seen.items() if n > 1]
        report._add(report.duplicated, f"bus:{service}", sum(seen[e] - 1 for e in twice), twice)

    # Business duplicates: same client, type and payload under two event ids.
    effects: dict[tuple[UUID, str, str], set[UUID]] = defaultdict(set)
    for event_id, (client, type_, payload, _topic) in meta.items():
        effects[(client, type_, payload)].add(event_id)
    for (client, type_, _payload), events in effects.items():
        report._add(report.duplicated, f"business:{type_}", len(events) - 1, [client])

    # Each consumer applied each event of the topics it reads, once (the inbox's key makes it once).
    by_topic: dict[str, set[UUID]] = defaultdict(set)
    for event_id, (_c, _t, _p, topic) in meta.items():
        by_topic[topic].add(event_id)
    for service in SERVICES:
        rows = await _fetch(infra, service, "SELECT consumer, topic, event_id FROM inbox WHERE event_id = ANY($1::uuid[])",
                            list(meta))
        # The service's own subscriptions only: other tests leave inbox rows of consumers of their own
        # (`test-…`, `fast-…`) in the shared database, which never read the load's events.
        reads = {group.split(".", 1)[1]: set(topics) & set(by_topic) for group, topics in GROUPS[service].items()}
        applied = defaultdict(set)
        for r in rows:
            applied[r["consumer"]].add(r["event_id"])
        for consumer in sorted(reads):
            expected = set().union(*(by_topic[t] for t in reads[consumer]))
            missing = expected - applied[consumer]
            report.counted[f"applied:{service}.{consumer}"] = len(applied[consumer])
            report._add(report.lost, f"applied:{service}.{consumer}", len(missing), missing)

    # Dead letters of the load's events (a bad message is not the load's: the load's must all pass).
    for service in SERVICES:
        dead = [r for r in records.get(dead_letter_topic(service), [])
                if r.key is not None and _uuid(r.key) in wanted]
        report._add(report.lost, f"dead-lettered:{service}", len(dead), [f"{r.partition}/{r.offset}" for r in dead])

    # The audit trail: every published event of the load, once.
    audited = Counter(r["event_id"] for r in await _fetch(
        infra, "audit", "SELECT event_id FROM audit_trail WHERE client_id = ANY($1::uuid[])", ids))
    report.counted["audited"] = len(audited)
    missing = set(meta) - set(audited)
    report._add(report.lost, "audit", len(missing), missing)
    report._add(report.duplicated, "audit", sum(n - 1 for n in audited.values() if n > 1))

    # Rows that exist once per client.
    for service, tables in ONE_PER_CLIENT.items():
        for table in tables:
            per_client = Counter(r["client_id"] for r in await _fetch(
                infra, service, f"SELECT client_id FROM {table} WHERE client_id = ANY($1::uuid[])", ids))
            report.counted[f"row:{service}.{table}"] = len(per_client)
            report._add(report.duplicated, f"row:{service}.{table}",
                        sum(n - 1 for n in per_client.values() if n > 1))
    missing = wanted - {r["client_id"] for r in await _fetch(
        infra, "intake", "SELECT client_id FROM clients WHERE client_id = ANY($1::uuid[])", ids)}
    report._add(report.lost, "row:intake.clients", len(missing), missing)

    # Messages: each sent notification at its server exactly once; none left waiting or failed.
    notes = await _dispatched(infra, ids, timeout=dispatch_timeout_s, clock_offset_s=clock_offset_s)
    mail = await asyncio.to_thread(mail) if callable(mail) else mail  # read after the sends, not before
    sms = await asyncio.to_thread(sms) if callable(sms) else sms
    at_sms = Counter(_uuid(s.get("idempotency_key") or s.get("reference")) for s in sms)
    at_mail = Counter(_notification_of_mail(m.get("message_id")) for m in mail)
    ours = set()
    for n in notes:
        nid, template, state, channel = n["notification_id"], n["template_code"], n["state"], n["channel"]
        ours.add(nid)
        report.counted[f"notification:{state}"] = report.counted.get(f"notification:{state}", 0) + 1
        if state == "queued" and n["scheduled"]:
            continue  # due later (a reminder, the R11 notice): not yet an effect
        if state in ("queued", "sending", "failed"):
            report._add(report.lost, f"notification:{state}", 1, [nid])
            continue
        if state not in ("sent", "delivered") or channel not in ("sms", "email"):
            continue
        got = (at_sms if channel == "sms" else at_mail)[nid]
        report.counted[f"{channel}:{template}"] = report.counted.get(f"{channel}:{template}", 0) + min(got, 1)
        report._add(report.lost, f"{channel}:{template}", 1 if got == 0 else 0, [nid])
        report._add(report.duplicated, f"{channel}:{template}", max(got - 1, 0), [nid])
    recorded = {n["notification_id"] for n in notes if n["state"] in ("sent", "delivered")}
    for channel, at in (("sms", at_sms), ("email", at_mail)):
        # At the server once although not recorded as sent: its answer was lost (a time-out) and the retry was
        # then cancelled (the client erased meanwhile). The client got it once; the record says otherwise.
        stray = [nid for nid in at if nid in ours and nid not in recorded]
        if stray:
            report.counted[f"unrecorded:{channel}"] = len(stray)
            report.examples.setdefault(f"unrecorded:{channel}", []).extend(str(n) for n in stray[:3])
        twice = [nid for nid in stray if at[nid] > 1]
        report._add(report.duplicated, f"unrecorded:{channel}", sum(at[n] - 1 for n in twice), twice)
    return report


def _uuid(raw: bytes | str | None) -> UUID | None:
    try:
        return UUID(raw.decode() if isinstance(raw, bytes) else str(raw))
    except (ValueError, AttributeError, UnicodeDecodeError):
        return None
