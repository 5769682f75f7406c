"""Consume-and-apply through the inbox vs a raw aiokafka consumer of the same messages.

Both read, as principal "audit", the offsets of integration.intake.v1 the relay benchmark wrote,
with a fresh consumer group each (`audit-bench-…`) whose offsets are first committed at the
start of that range and whose partitions are assigned and sought there. Both loops are the
inbox's own (`InboxConsumer.run`): fetch up to 500 records, handle each partition's batch, commit
its offset. The inbox loop hands each batch to `InboxConsumer.process` (decode, validate, inbox
rows, a handler that inserts one row, one transaction per batch) on a scratch database; the raw
loop does nothing with the records. The inbox and the handler's table are emptied between runs.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import asyncpg
from aiokafka import AIOKafkaConsumer
from backbone.inbox import InboxConsumer, Subscription
from contracts.topics import dead_letter_topic

from bench.common import Sizes, Target, log, median, producer, scratch_database
from bench.relay import TOPIC, Offsets

PRINCIPAL = "audit"
MAX_RECORDS = 500  # InboxConsumer's default


@dataclass
class ConsumeResult:
    inbox: list[float]  # events/s per repetition
    raw: list[float]
    events: int
    batch: list[float]  # the same through a batch handler (one INSERT per partition batch)

    @property
    def batch_median(self) -> float:
        return median(self.batch)

    @property
    def inbox_median(self) -> float:
        return median(self.inbox)

    @property
    def raw_median(self) -> float:
        return median(self.raw)


async def _handler(conn: asyncpg.Connection, envelope, event) -> None:
    await conn.execute("INSERT INTO bench_applied (event_id, client_id) VALUES ($1, $2)", envelope.event_id,
                       envelope.client_id)


async def _batch_handler(conn: asyncpg.Connection, items) -> None:
    await conn.execute("INSERT INTO bench_applied (event_id, client_id) SELECT * FROM unnest($1::uuid[], $2::uuid[])",
                       [d.envelope.event_id for d in items], [d.envelope.client_id for d in items])


async def _consume(target: Target, start: Offsets, end: Offsets, inbox: InboxConsumer | None, *,
                   principal: str = PRINCIPAL) -> float:
    consumer = AIOKafkaConsumer(**target.kafka(principal), group_id=f"{principal}-bench-{uuid.uuid4().hex[:12]}",
                                client_id=f"{principal}-bench", enable_auto_commit=False,
                                max_poll_records=MAX_RECORDS)
    await consumer.start()
    try:
        todo = {tp: end[tp] for tp in end if end[tp] > start[tp]}
        consumer.assign(list(todo))
        await consumer.commit({tp: start[tp] for tp in todo})
        for tp in todo:
            consumer.seek(tp, start[tp])
        count = 0
        begin = time.perf_counter()
        while todo:
            batches = await consumer.getmany(*todo, timeout_ms=200, max_records=MAX_RECORDS)
            for tp, records in batches.items():
                records = [r for r in records if r.offset < end[tp]]
                if not records:
                    continue
                if inbox is not None:
                    await inbox.process(records)
                await consumer.commit({tp: records[-1].offset + 1})
                count += len(records)
                if records[-1].offset + 1 >= end[tp]:
                    del todo[tp]
        elapsed = time.perf_counter() - begin
    finally:
        await consumer.stop()
    return count / elapsed


consume_range = _consume
"""Read the [start, end) offsets once, through `inbox` or raw; events/s (used by other benchmarks too)."""


async def bench_consume(target: Target, sizes: Sizes, written: tuple[Offsets, Offsets]) -> ConsumeResult:
    start, end = written
    events = sum(end[tp] - start[tp] for tp in end)
    inbox_rates: list[float] = []
    batch_rates: list[float] = []
    raw_rates: list[float] = []
    kafka = await producer(target, PRINCIPAL)  # the inbox's dead-letter producer; nothing is expected there
    try:
        async with scratch_database(target, "consume") as dsn:
            pool = await asyncpg.create_pool(dsn, min_size=2, max_size=4)
            try:
                async with pool.acquire() as conn:
                    await conn.execute("CREATE TABLE bench_applied (event_id uuid PRIMARY KEY, client_id uuid)")
                for rep in range(sizes.reps):
                    async with pool.acquire() as conn:
                        await conn.execute("TRUNCATE inbox, bench_applied")
                    sub = Subscription(name="bench", topics=(TOPIC,), handler=_handler)
                    inbox = InboxConsumer(pool, kafka, target.kafka(PRINCIPAL), service=PRINCIPAL, subscription=sub,
                                          dead_letter_topic=dead_letter_topic(PRINCIPAL))
                    if rep % 2:  # alternate which of the two reads the range first
                        raw_rates.append(await _consume(target, start, end, None))
                    inbox_rates.append(await _consume(target, start, end, inbox))
                    if not rep % 2:
                        raw_rates.append(await _consume(target, start, end, None))
                    async with pool.acquire() as conn:
                        applied = await conn.fetchval("SELECT count(*) FROM bench_applied")
                    if inbox.stats.dead_lettered or applied != inbox.stats.applied:
                        raise RuntimeError(f"inbox: {inbox.stats}, {applied} rows applied")
                    async with pool.acquire() as conn:
                        await conn.execute("TRUNCATE inbox, bench_applied")
                    batched = InboxConsumer(pool, kafka, target.kafka(PRINCIPAL), service=PRINCIPAL,
                                            subscription=Subscription(name="bench", topics=(TOPIC,),
                                                                      batch_handler=_batch_handler),
                                            dead_letter_topic=dead_letter_topic(PRINCIPAL))
                    batch_rates.append(await _consume(target, start, end, batched))
                    async with pool.acquire() as conn:
                        if await conn.fetchval("SELECT count(*) FROM bench_applied") != batched.stats.applied:
                            raise RuntimeError(f"batched inbox: {batched.stats}")
                    log(f"consume rep {rep + 1}: inbox {inbox_rates[-1]:,.0f}/s, raw consumer {raw_rates[-1]:,.0f}/s "
                        f"({events} events, {applied} applied)")
            finally:
                await pool.close()
    finally:
        await kafka.stop()
    return ConsumeResult(inbox_rates, raw_rates, events, batch_rates)


def rows(result: ConsumeResult) -> list:
    """The two rows `make bench` prints for this benchmark."""
    from bench.table import Row, Target

    return [Row("inbox consume + apply", "events/s", result.inbox_median, "raw aiokafka consume", result.raw_median,
                Target("min_ratio", 0.25), percent=True),
            Row("inbox consume + apply, batch handler", "events/s", result.batch_median, "raw aiokafka consume",
                result.raw_median, Target("min_ratio", 0.25), percent=True)]


async def write_range(target: Target, events: int) -> tuple[Offsets, Offsets]:
    """Publish `events` ClientRegistered envelopes to integration.intake.v1 as the relay would (same keys
    and headers, as principal intake); the [start, end) offsets they took."""
    from bench.common import envelopes, new_clients
    from bench.relay import SERVICE, end_offsets, run_raw

    envs = envelopes(events, new_clients())
    kafka = await producer(target, SERVICE)
    try:
        before = await end_offsets(target)
        await run_raw(kafka, envs)
        return before, await end_offsets(target)
    finally:
        await kafka.stop()


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.consume [--profile bench|dev|test] [--events N] [--reps N]`: only these rows."""
    import argparse
    import asyncio
    import dataclasses

    from bench.common import FULL, local_target, print_rows
    from bench.run import quiet_logs

    parser = argparse.ArgumentParser(prog="python -m bench.consume", description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", choices=("bench", "dev", "test"), default="bench")
    parser.add_argument("--events", type=int, default=FULL.relay_events,
                        help="ClientRegistered written to integration.intake.v1 first, then read back")
    parser.add_argument("--reps", type=int, default=FULL.reps)
    args = parser.parse_args(argv)
    quiet_logs()
    target = local_target(args.profile)

    async def go() -> ConsumeResult:
        written = await write_range(target, args.events)
        return await bench_consume(target, dataclasses.replace(FULL, reps=args.reps), written)

    result = asyncio.run(go())
    runs = ", ".join(f"{a:,.0f} / {b:,.0f} ({a / b:.1%})" for a, b in zip(result.inbox, result.raw, strict=True))
    print_rows(rows(result), [f"Consume: {result.events:,} ClientRegistered per run, {args.reps} run(s), medians; "
                              f"each run's inbox / raw events/s: {runs}."])
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
