"""After every other test: no message on any topic of the test broker carries personal data.

Reads every partition of every topic in `contracts.topics` as the operator, from the beginning up to
the end offsets taken when the scan starts: keys, values and header values, through
`tests/support/pii_scan.py`. Reports where and what kind, never the value.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass

import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from contracts.topics import OPERATOR, all_topics
from deploy.provision import admin_client
from tests.support.pii_scan import SIMULATED_SENDER_MISTAKE, findings

pytestmark = [pytest.mark.e2e, pytest.mark.after_all]

TOPICS = [t.name for t in all_topics()]
EVENT_TOPICS = [t.name for t in all_topics() if t.kind == "event"]
INGRESS_TOPICS = {t.name for t in all_topics() if t.kind == "ingress"}
READ_S = 240  # within pytest's 300 s timeout; tens of thousands of messages take seconds
MAX_RECORDS = 50_000
SHOWN = 100


@dataclass(frozen=True)
class Leak:
    topic: str
    partition: int
    offset: int
    kinds: str  # e.g. "value: name at offset 80, e-mail address at offset 120"; never the value

    def __str__(self) -> str:
        return f"{self.topic}[{self.partition}]@{self.offset} {self.kinds}"


def leaks_in(record: ConsumerRecord) -> list[Leak]:
    if record.topic in INGRESS_TOPICS and SIMULATED_SENDER_MISTAKE in (record.headers or ()):
        return []  # a test's deliberate sender mistake, on the topic the sender wrote (see pii_scan)
    parts = [("key", record.key), ("value", record.value)]
    parts += [(f"header {name}", value) for name, value in record.headers or ()]
    return [Leak(record.topic, record.partition, record.offset, f"{where}: {', '.join(found)}")
            for where, data in parts if data and (found := findings(data))]


def partitions_of(infra) -> list[TopicPartition]:
    """Every partition the broker has for the declared topics, as the operator sees them."""
    metadata = admin_client(infra.bootstrap, OPERATOR, infra.secrets["kafka"][OPERATOR]).list_topics(timeout=10)
    missing = [t for t in TOPICS if t not in metadata.topics]
    assert not missing, f"the operator cannot see {missing}"
    return [TopicPartition(t, p) for t in TOPICS for p in sorted(metadata.topics[t].partitions)]


async def scan(consumer: AIOKafkaConsumer, partitions: list[TopicPartition]) -> tuple[Counter, list[Leak]]:
    """Per-topic message counts and the leaks found, reading each partition up to its end offset of now."""
    consumer.assign(partitions)
    ends = await consumer.end_offsets(partitions)
    starts = await consumer.beginning_offsets(partitions)
    for tp in partitions:  # explicit offsets: a background reset to "latest" must not skip the data
        consumer.seek(tp, starts[tp])
    counts, leaks = Counter({t: 0 for t in TOPICS}), []
    pending = {tp for tp in partitions if starts[tp] < ends[tp]}
    consumer.pause(*(set(partitions) - pending))
    deadline = time.monotonic() + READ_S
    while pending:
        assert time.monotonic() < deadline, f"still reading {sorted(pending)} after {READ_S} s; read so far: {counts}"
        batches = await consumer.getmany(*pending, timeout_ms=1000, max_records=MAX_RECORDS)
        for tp, records in batches.items():
            for record in (r for r in records if r.offset < ends[tp]):
                counts[tp.topic] += 1
                leaks += leaks_in(record)
            if records and records[-1].offset + 1 >= ends[tp]:
                pending.discard(tp)
                consumer.pause(tp)
        if not batches:  # nothing buffered: a partition ending in offsets without records (e.g. transaction markers)
            for tp in [tp for tp in pending if await consumer.position(tp) >= ends[tp]]:
                pending.discard(tp)
                consumer.pause(tp)
    return counts, leaks


async def test_no_message_on_any_topic_carries_personal_data(infra):
    consumer = AIOKafkaConsumer(**infra.kafka_kwargs(OPERATOR), client_id="pii-scan", group_id=None,
                                enable_auto_commit=False, auto_offset_reset="earliest",
                                isolation_level="read_uncommitted", check_crcs=False,
                                fetch_max_bytes=64 * 2**20, max_partition_fetch_bytes=16 * 2**20,
                                fetch_max_wait_ms=100)
    await consumer.start()
    started = time.monotonic()
    try:
        counts, leaks = await scan(consumer, partitions_of(infra))
    finally:
        await consumer.stop()

    per_topic = "\n".join(f"  {topic}: {n}" for topic, n in counts.items())
    print(f"\nscanned {counts.total()} messages in {time.monotonic() - started:.1f} s:\n{per_topic}")
    events = sum(counts[t] for t in EVENT_TOPICS)
    assert events >= 1, f"no message on any event topic: the scan proves nothing\n{per_topic}"
    shown = "\n".join(map(str, leaks[:SHOWN])) + (f"\n... and {len(leaks) - SHOWN} more" if len(leaks) > SHOWN else "")
    assert not leaks, f"{len(leaks)} findings of personal data on the bus:\n{shown}\nmessages per topic:\n{per_topic}"
