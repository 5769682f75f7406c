"""The relay sends each event once (issue 14: "no message sent twice where the channel allows idempotency").

A relay that dies, or whose send fails, after Kafka wrote a batch and before the cursor moved must not send
that batch again when it, or the next leader, goes on. The cut is made real: the test holds a share lock on
the cursor row, so the relay's send reaches Kafka and its cursor update waits; the test sees every record on
the topic, then kills the relay (its task cancelled, or its process SIGKILLed and its session ended) and
checks that the cursor did not move before it lets go.

Each test has a topic of its own (made by the broker's admin, and the relay publishes as admin) and an event
store of its own (a fresh database), so it counts the copies of every event on the whole topic.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import sys
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic
from aiokafka.errors import RequestTimedOutError

from backbone import db, eventstore
from backbone.app import RUNTIME_MIGRATIONS
from backbone.relay import Relay
from deploy.config import REPO
from tests.support.events import registered

pytestmark = pytest.mark.integration

ADMIN = "admin"  # the broker's super user: the scratch topics, and the relay's principal on them


@dataclass
class Store:
    name: str
    dsn: str
    pool: asyncpg.Pool


@pytest.fixture
async def new_store(infra, unique):
    """Fresh event stores: databases owned by intake with the runtime's tables, dropped afterwards."""
    made: list[Store] = []
    admin = await asyncpg.connect(infra.dsn("postgres", "postgres"))

    async def make() -> Store:
        name = f"relay_once_{unique}_{len(made)}"
        await admin.execute(f'CREATE DATABASE "{name}" OWNER intake')
        dsn = infra.dsn("intake", name)
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=6)
        made.append(Store(name, dsn, pool))
        await db.migrate(pool, RUNTIME_MIGRATIONS, prefix="backbone/")
        return made[-1]

    yield make
    for store in made:
        await store.pool.close()
        await admin.execute(f'DROP DATABASE IF EXISTS "{store.name}" WITH (FORCE)')
    await admin.close()


@pytest.fixture
async def kafka_admin(infra):
    admin = AIOKafkaAdminClient(**infra.kafka_kwargs(ADMIN))
    await admin.start()
    yield admin
    await admin.close()


@pytest.fixture
async def new_topic(kafka_admin, unique):
    made: list[str] = []

    async def make(partitions: int) -> str:
        made.append(f"test.relay-once.{unique}.{len(made)}")
        await kafka_admin.create_topics([NewTopic(made[-1], num_partitions=partitions, replication_factor=1)])
        return made[-1]

    yield make
    if made:
        await kafka_admin.delete_topics(made)


def _relay(infra, store: Store, producer, topic: str, **kwargs) -> Relay:
    return Relay(store.pool, producer, service="intake", topic=topic, kafka=infra.kafka_kwargs(ADMIN), **kwargs)


async def append(store: Store, clients: int, each: int) -> dict[uuid.UUID, list[uuid.UUID]]:
    """`each` events for each of `clients` new clients, one transaction per client; their ids per client."""
    appended: dict[uuid.UUID, list[uuid.UUID]] = {}
    async with store.pool.acquire() as conn:
        for _ in range(clients):
            client = uuid.uuid4()
            events = [registered(client) for _ in range(each)]
            async with conn.transaction():
                await eventstore.append(conn, client, 0, events)
            appended[client] = [e.event_id for e in events]
    return appended


async def sequenced(store: Store) -> int:
    async with store.pool.acquire() as conn:
        await eventstore.sequence(conn)
        return await conn.fetchval("SELECT last_position FROM event_store_cursor")


async def cursor(store: Store) -> int:
    return await store.pool.fetchval("SELECT published_position FROM event_store_cursor")


async def on_topic(infra, topic: str) -> list[tuple[uuid.UUID, bytes]]:
    """Every record of the topic, as (event id, key), in partition order."""
    consumer = AIOKafkaConsumer(**infra.kafka_kwargs(ADMIN), enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()  # noqa: SLF001 - a topic made a moment ago
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))]
        end = await consumer.end_offsets(tps)
        todo = [tp for tp in tps if end[tp] > 0]
        records = []
        if todo:
            consumer.assign(todo)
            await consumer.seek_to_beginning(*todo)
            while todo:
                for recs in (await consumer.getmany(*todo, timeout_ms=500)).values():
                    records.extend(r for r in recs if r.offset < end[TopicPartition(r.topic, r.partition)])
                todo = [tp for tp in todo if await consumer.position(tp) < end[tp]]
        return [(uuid.UUID(dict(r.headers)["event_id"].decode()), r.key) for r in records]
    finally:
        await consumer.stop()


async def until(check: Callable, what: str, timeout: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.2)


async def publish_all(infra, store: Store, producer, topic: str, **kwargs) -> Relay:
    """A relay leads until everything sequenced so far is past the cursor, then stops."""
    last = await sequenced(store)
    relay = _relay(infra, store, producer, topic, **kwargs)
    task = asyncio.create_task(relay.run())
    try:
        await until(lambda: _past(store, last), "the relay to publish everything")
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 30)
    return relay


async def _past(store: Store, last: int) -> bool:
    return await cursor(store) >= last


@contextlib.asynccontextmanager
async def cursor_held(store: Store):
    """A share lock on the cursor row: a relay's send goes through, its cursor update waits."""
    async with store.pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        try:
            await conn.execute("SELECT 1 FROM event_store_cursor FOR SHARE")
            yield
        finally:
            await tx.rollback()


async def cut_after_send(how: str, infra, store: Store, producer, topic: str, ids: set[uuid.UUID]) -> None:
    """A relay sends `ids` (sequenced already), Kafka writes them, and the relay dies before its cursor moves."""
    last = await sequenced(store)
    before = await cursor(store)
    async with cursor_held(store):
        if how == "cancelled":
            task = asyncio.create_task(_relay(infra, store, producer, topic).run())
        else:
            proc = subprocess.Popen([sys.executable, "-m", "tests.support.relay_proc", "intake", store.dsn,
                                     infra.bootstrap, ADMIN, infra.secrets["kafka"][ADMIN], topic],
                                    cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

        async def sent() -> bool:
            return ids <= {event_id for event_id, _ in await on_topic(infra, topic)}
        await until(sent, "the relay's send to reach the topic")
        if how == "cancelled":
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 30)
        else:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            # Its session outlives it, its cursor update (if it got that far) waiting on the lock: end it, as
            # PostgreSQL does when it notices, once an update already on its way has surely arrived.
            await asyncio.sleep(1.0)
            await store.pool.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND state = 'active' "
                "AND query LIKE 'UPDATE event_store_cursor%' AND pid <> pg_backend_pid()", store.name)
        assert await cursor(store) == before < last  # the cut came after the send, before the cursor moved


def _order(records, streams: dict[uuid.UUID, list[uuid.UUID]]) -> dict[uuid.UUID, list[uuid.UUID]]:
    keys = {str(c).encode(): c for c in streams}
    order: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for event_id, key in records:
        order[keys[key]].append(event_id)
    return order


def _ids(*appended: dict[uuid.UUID, list[uuid.UUID]]) -> set[uuid.UUID]:
    return {e for streams in appended for ids in streams.values() for e in ids}


@pytest.mark.parametrize("how", ["cancelled", "sigkill"])
async def test_a_relay_killed_after_its_send_and_before_its_cursor_moves_sends_nothing_twice(
        how, infra, new_store, new_topic, producer_for):
    store, topic = await new_store(), await new_topic(3)
    producer = await producer_for(ADMIN)
    earlier = await append(store, clients=4, each=3)
    await publish_all(infra, store, producer, topic)  # the topic's tail: an earlier run of the same store
    cut = await append(store, clients=8, each=5)

    await cut_after_send(how, infra, store, producer, topic, _ids(cut))
    successor = await publish_all(infra, store, await producer_for(ADMIN), topic)
    after = await append(store, clients=3, each=2)  # and the next leader goes on
    await publish_all(infra, store, producer, topic)

    records = await on_topic(infra, topic)
    assert Counter(event_id for event_id, _ in records) == Counter(_ids(earlier, cut, after))  # each once
    assert _order(records, earlier | cut | after) == earlier | cut | after  # each client's events in order
    assert successor.found_on_topic == len(_ids(cut)) and successor.published == 0


class AcksLost:
    """The services' producer, except for the sends `lose(i)` names: "ack-lost", Kafka writes the record and
    the sender sees a timeout (the broker's answer never came); "unsent", the send fails before the broker."""

    def __init__(self, producer, lose: Callable[[int], str | None]) -> None:
        self.producer, self.lose, self.sends = producer, lose, 0

    async def send(self, *args, **kwargs) -> asyncio.Future:
        fate, self.sends = self.lose(self.sends), self.sends + 1
        if fate == "unsent":
            future = asyncio.get_running_loop().create_future()
            future.set_exception(RequestTimedOutError("the request never reached the broker"))
            return future
        written = await self.producer.send(*args, **kwargs)
        return asyncio.ensure_future(self._lost(written)) if fate == "ack-lost" else written

    @staticmethod
    async def _lost(written: asyncio.Future) -> None:
        await written
        raise RequestTimedOutError("the broker wrote it; its answer was lost")

    def __getattr__(self, name: str):
        return getattr(self.producer, name)


@pytest.mark.parametrize("fault", ["every ack of the first batch lost", "one record unsent, the later ones written"])
async def test_a_send_that_fails_after_the_broker_wrote_it_is_not_sent_again(
        fault, infra, new_store, new_topic, producer_for):
    store, topic = await new_store(), await new_topic(3)
    streams = await append(store, clients=12, each=5)
    if fault.startswith("every"):
        def lose(i: int) -> str | None: return "ack-lost" if i < 20 else None
    else:
        def lose(i: int) -> str | None: return "unsent" if i == 7 else None
    producer = AcksLost(await producer_for(ADMIN), lose)

    relay = await publish_all(infra, store, producer, topic, batch_size=20)

    records = await on_topic(infra, topic)
    assert Counter(event_id for event_id, _ in records) == Counter(_ids(streams))  # each once, none lost
    assert relay.found_on_topic == (20 if fault.startswith("every") else 19)
    if fault.startswith("every"):
        assert _order(records, streams) == streams


async def test_empty_partitions_and_partitions_added_after_the_cut_hide_nothing_and_double_nothing(
        infra, new_store, new_topic, producer_for, kafka_admin):
    store, topic = await new_store(), await new_topic(4)
    producer = await producer_for(ADMIN)
    earlier = await append(store, clients=1, each=3)  # one client: one partition holds records, three none
    await publish_all(infra, store, producer, topic)
    cut = await append(store, clients=1, each=6)
    await cut_after_send("cancelled", infra, store, producer, topic, _ids(cut))
    await kafka_admin.create_partitions({topic: NewPartitions(total_count=6)})

    successor = await publish_all(infra, store, await producer_for(ADMIN), topic)  # sees six partitions
    after = await append(store, clients=10, each=2)
    await publish_all(infra, store, producer, topic)

    records = await on_topic(infra, topic)
    assert Counter(event_id for event_id, _ in records) == Counter(_ids(earlier, cut, after))
    assert successor.found_on_topic == 6


async def test_an_earlier_stores_tail_on_the_topic_hides_none_of_this_stores_events(
        infra, new_store, new_topic, producer_for):
    """A store replaced (restored, recreated) starts its positions again at 1: records of the old one at the
    same positions are not this store's, so only event ids say what is published."""
    old, topic = await new_store(), await new_topic(3)
    producer = await producer_for(ADMIN)
    gone = await append(old, clients=6, each=5)
    await publish_all(infra, old, producer, topic)
    store = await new_store()  # no offsets stored yet: its relay reads a batch back on each partition
    cut = await append(store, clients=6, each=5)

    await cut_after_send("cancelled", infra, store, producer, topic, _ids(cut))
    successor = await publish_all(infra, store, producer, topic)

    records = await on_topic(infra, topic)
    assert Counter(event_id for event_id, _ in records) == Counter(_ids(gone, cut))
    assert successor.found_on_topic == 30
