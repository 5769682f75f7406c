"""Redrive: a service applies one of its own dead letters again, after the fix that lets it pass.

The service reads the dead letter from its own dead-letter topic (it is a reader of it, see
contracts.topics), restores the original message (its topic, partition, offset, key, value and own
headers, from the `dlq.*` headers the inbox wrote) and feeds it through the same subscription's
apply path (`InboxConsumer.redeliver`), so the inbox applies it at most once:

- `applied`: it passed this time;
- `already-applied`: its id is in the inbox (applied before, or by an earlier redrive);
- `dead-lettered-again`: refused again; it goes back to the dead-letter topic once, with
  `dlq.redrives` counting the redrives. A redrive never loops: it is one message, once, on request.

A failure that may pass (the database away...) changes nothing and raises `RedriveUnavailable`.
A dead letter that kept no content (`dlq.content: dropped`) cannot be redriven (`NotRedrivable`).
Each redrive is recorded as a `DeadLetterRedriven` event in the service's event store, so it
reaches the shared audit trail (topic, partition, offset, outcome: no content).

Entry points: `python -m <service> redrive --partition P --offset O | --all` (see `main`) and
`POST /admin/dead-letters/redrive` on every service app (backbone.app).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4, uuid5

import asyncpg
import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from backbone import eventstore
from backbone.errors import PERMANENT
from backbone.inbox import CONTENT_DROPPED, DLQ_PREFIX, InboxConsumer, Outcome
from contracts.envelope import Envelope
from contracts.events.operations import DeadLetterRedriven
from contracts.topics import ORGANISATIONS, PRODUCING_SERVICES, event_topic, ingress_topic
from contracts.vocabulary import Organisation

log = structlog.get_logger()

OPERATIONS_STREAMS = UUID("3c2b1f5e-8a47-4d0e-b6a9-7f1e2d3c4b5a")
"""Namespace of each service's operations stream: the `client_id` of events about no client."""
READ_TIMEOUT_S = 15.0


class DeadLetterNotFound(LookupError):
    """No dead letter at this partition and offset (never written, or past its retention)."""


class NotRedrivable(Exception):
    """The dead letter cannot be applied again: it kept no content, or names no consumer of this service."""


class RedriveUnavailable(Exception):
    """The message could not be applied right now (a failure that may pass); nothing changed."""


@dataclass(frozen=True)
class Redriven:
    partition: int
    offset: int
    outcome: Outcome
    reason: str
    redrives: int


REASONS: dict[str, str] = {
    "applied": "the message was applied",
    "already-applied": "the message had been applied already (its id is in the inbox); nothing was done",
    "dead-lettered-again": "the message was refused again and is back on the dead-letter topic",
}


class Redriver:
    def __init__(self, *, pool: asyncpg.Pool, kafka: dict[str, Any], service: str, dead_letter_topic: str,
                 consumers: Sequence[InboxConsumer]) -> None:
        self.pool, self.kafka, self.service, self.dlq = pool, kafka, service, dead_letter_topic
        self.consumers = {c.group: c for c in consumers}

    async def redrive(self, partition: int, offset: int, *, actor: str) -> Redriven:
        record = await self._read(partition, offset)
        return await self._redrive(record, actor=actor)

    async def redrive_all(self, *, actor: str) -> list[Redriven | Exception]:
        """Every dead letter on the topic now, in order (those that fail again are not redriven twice)."""
        results: list[Redriven | Exception] = []
        for record in await self._read_all():
            try:
                results.append(await self._redrive(record, actor=actor))
            except NotRedrivable as exc:
                results.append(exc)
        return results

    async def _redrive(self, record: ConsumerRecord, *, actor: str) -> Redriven:
        headers = {k: v for k, v in record.headers or ()}
        where = f"dead letter {record.partition}/{record.offset}"
        if headers.get("dlq.content") == CONTENT_DROPPED:
            raise NotRedrivable(f"{where} kept no content (it may have carried personal data in clear); "
                                "the sender must send the message again")
        group = headers.get("dlq.consumer", b"").decode()
        consumer = self.consumers.get(group)
        if consumer is None:
            raise NotRedrivable(f"{where} names consumer {group or '(none)'}, which this service does not run")
        try:
            source = (headers["dlq.topic"].decode(), int(headers["dlq.partition"]), int(headers["dlq.offset"]))
            redrives = int(headers.get("dlq.redrives", b"0")) + 1
        except (KeyError, ValueError):
            raise NotRedrivable(f"{where} lacks the dlq.* headers that say where it came from") from None
        original = ConsumerRecord(
            topic=source[0], partition=source[1], offset=source[2], timestamp=record.timestamp,
            timestamp_type=record.timestamp_type, key=record.key, value=record.value, checksum=None,
            serialized_key_size=record.serialized_key_size, serialized_value_size=record.serialized_value_size,
            headers=[(k, v) for k, v in record.headers or () if not k.startswith(DLQ_PREFIX)])
        try:  # refusals come back as "dead-lettered-again"; whatever raises here may pass later
            outcome = await consumer.redeliver(original, redrives=redrives)
        except Exception as exc:  # noqa: BLE001 - a failure that may pass: nothing was applied or dead-lettered
            raise RedriveUnavailable(f"{where} could not be applied right now ({type(exc).__name__}); nothing "
                                     "changed, try again later") from exc
        event = DeadLetterRedriven(dead_letter_topic=self.dlq, dead_letter_partition=record.partition,
                                   dead_letter_offset=record.offset, source_topic=source[0],
                                   source_partition=source[1], source_offset=source[2], consumer=group,
                                   outcome=outcome, redrives=redrives)
        await self._record(event, record, source[0], actor)
        log.warning("dead letter redriven", partition=record.partition, offset=record.offset, consumer=group,
                    outcome=outcome, redrives=redrives, actor=actor)
        return Redriven(record.partition, record.offset, outcome, REASONS[outcome], redrives)

    async def _record(self, event: DeadLetterRedriven, record: ConsumerRecord, source_topic: str, actor: str) -> None:
        """Into the event store (so the relay takes it to the audit trail); a service without an event
        topic (audit itself) has only its log."""
        if self.service not in PRODUCING_SERVICES:
            return
        # An event's key is its client id; any other key (an ingress sender's) is not trusted as one.
        from_events = source_topic in {event_topic(p) for p in PRODUCING_SERVICES}
        client_id = (_client_of(record.key) if from_events else None) or uuid5(OPERATIONS_STREAMS, self.service)
        envelope = Envelope.wrap(event, producer=self.service, organisation=_organisation(record, source_topic),
                                 actor=actor, client_id=client_id, correlation_id=uuid4())
        async with self.pool.acquire() as conn, conn.transaction():
            await eventstore.append(conn, uuid4(), 0, [envelope])

    async def _read(self, partition: int, offset: int) -> ConsumerRecord:
        consumer = AIOKafkaConsumer(**self.kafka, enable_auto_commit=False, group_id=None)
        await consumer.start()
        try:
            tp = TopicPartition(self.dlq, partition)
            if partition not in (await _partitions(consumer, self.dlq)):
                raise DeadLetterNotFound(f"{self.dlq} has no partition {partition}")
            first = (await consumer.beginning_offsets([tp]))[tp]
            end = (await consumer.end_offsets([tp]))[tp]
            if not first <= offset < end:
                raise DeadLetterNotFound(f"no dead letter at {partition}/{offset}: the topic holds offsets "
                                         f"{first} to {end - 1}" if end > first else f"{self.dlq} is empty")
            consumer.assign([tp])
            consumer.seek(tp, offset)
            async with asyncio.timeout(READ_TIMEOUT_S):
                while True:
                    for records in (await consumer.getmany(tp, timeout_ms=500)).values():
                        for r in records:
                            if r.offset == offset:
                                return r
                            if r.offset > offset:  # a transaction marker or a compacted gap
                                raise DeadLetterNotFound(f"no dead letter at {partition}/{offset}")
        finally:
            await consumer.stop()

    async def _read_all(self) -> list[ConsumerRecord]:
        consumer = AIOKafkaConsumer(**self.kafka, enable_auto_commit=False, group_id=None)
        await consumer.start()
        try:
            tps = [TopicPartition(self.dlq, p) for p in sorted(await _partitions(consumer, self.dlq))]
            ends = await consumer.end_offsets(tps)
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            records: list[ConsumerRecord] = []
            async with asyncio.timeout(READ_TIMEOUT_S * 4):
                while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
                    for batch in (await consumer.getmany(timeout_ms=500)).values():
                        records.extend(r for r in batch if r.offset < ends[TopicPartition(r.topic, r.partition)])
            return sorted(records, key=lambda r: (r.partition, r.offset))
        finally:
            await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    found = consumer.partitions_for_topic(topic)
    if not found:
        await consumer._client.force_metadata_update()  # noqa: SLF001 - first use of the topic here
        found = consumer.partitions_for_topic(topic)
    return set(found or ())


def _client_of(key: bytes | None) -> UUID | None:
    try:
        return UUID(key.decode()) if key else None
    except (ValueError, UnicodeDecodeError):
        return None


def _organisation(record: ConsumerRecord, source_topic: str) -> str:
    """Whose message it was: the envelope's organisation, the ingress topic's sender, else the
    employment region, which runs the shared backbone."""
    try:
        return str(Envelope.from_bytes(record.value or b"").organisation)
    except PERMANENT:
        pass
    for org in ORGANISATIONS:
        if source_topic == ingress_topic(org):
            return org
    return Organisation.EMPLOYMENT_REGION.value


# The command line ---------------------------------------------------------------------------------

def parser(service: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"python -m {service} redrive",
                                description=f"Apply dead letters of {service} again, after a fix. Settings come "
                                            f"from the service's own {service.upper()}_* variables.")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--offset", type=_non_negative, help="the dead letter's offset (with --partition)")
    which.add_argument("--all", action="store_true", help="every dead letter on the topic now, in order")
    p.add_argument("--partition", type=_non_negative, default=0, help="the dead letter's partition (default 0)")
    return p


def main(argv: Sequence[str], build: Callable[[Any], Any], settings: Any) -> int:
    """`python -m <service> redrive ...`: exit 0 when every dead letter named was redriven (whatever
    the outcome), 1 when one was not found or cannot be redriven, 2 when the service cannot run it now."""
    args = parser(settings.service_name).parse_args(argv)
    app = build(settings)  # the same subscriptions as the running service; building connects nothing
    try:
        return asyncio.run(_run(args, app.state.context, settings))
    except (DeadLetterNotFound, NotRedrivable) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    except RedriveUnavailable as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2


async def _run(args: argparse.Namespace, ctx: Any, settings: Any) -> int:
    from backbone import db
    from backbone.app import RUNTIME_MIGRATIONS, attach_consumers
    from backbone.kafka import aiokafka_kwargs

    ctx.pool = await db.create_pool(settings.database_url.get_secret_value(), max_size=4,
                                    timeout=settings.startup_timeout_s)
    ctx.producer = AIOKafkaProducer(**aiokafka_kwargs(settings), enable_idempotence=True, acks="all")
    await ctx.producer.start()
    try:
        await db.migrate(ctx.pool, RUNTIME_MIGRATIONS, prefix="backbone/")
        redriver = attach_consumers(ctx)
        if ctx.on_startup is not None:  # what the service does before applying anything (intake: erasures)
            await ctx.on_startup(ctx)
        actor = f"cli.{settings.service_name}"
        if not args.all:
            r = await redriver.redrive(args.partition, args.offset, actor=actor)
            print(f"{r.partition}/{r.offset}: {r.outcome} ({r.reason})")
            return 0
        status = 0
        for r in await redriver.redrive_all(actor=actor):
            if isinstance(r, Exception):
                print(f"skipped: {r}")
                status = 1
            else:
                print(f"{r.partition}/{r.offset}: {r.outcome} ({r.reason})")
        return status
    finally:
        await ctx.producer.stop()
        await ctx.pool.close()


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value
