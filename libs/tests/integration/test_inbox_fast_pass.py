"""The inbox's fast pass (`backbone.writebehind`) on real PostgreSQL: it commits what applying the events one
by one would, or gives the batch to the careful pass. Records are built here; Kafka plays no part."""

from __future__ import annotations

import uuid

import asyncpg
import pytest
from aiokafka.structs import ConsumerRecord

from backbone import eventstore, writebehind
from backbone.errors import ConcurrencyError
from backbone.inbox import InboxConsumer, Subscription
from backbone.unitofwork import UnitOfWork
from contracts.envelope import Envelope
from contracts.events.intake import ClientRegistered
from contracts.topics import event_topic
from tests.support.events import registered

pytestmark = pytest.mark.integration

TOPIC = event_topic("intake")


class _NoDeadLetters:
    async def send_and_wait(self, *_args, **_kwargs) -> None:
        raise AssertionError("nothing here is dead-lettered")


def _records(envelopes: list[Envelope]) -> list[ConsumerRecord]:
    return [ConsumerRecord(TOPIC, 0, n, 0, 0, e.key(), e.to_bytes(), None, 0, 0, [])
            for n, e in enumerate(envelopes)]


def _inbox(pool: asyncpg.Pool, name: str, handler) -> InboxConsumer:
    return InboxConsumer(pool, _NoDeadLetters(), {}, service="assessment", dead_letter_topic="unused",
                         subscription=Subscription(name=name, topics=(TOPIC,), handler=handler))


def _next(envelope: Envelope) -> Envelope:
    """The event a handler appends in reaction to `envelope`, on the reacting client's own stream."""
    payload = ClientRegistered.model_validate(envelope.payload)
    return Envelope.wrap(payload, producer="intake", organisation="employment-region", actor="system",
                         client_id=envelope.client_id, correlation_id=envelope.correlation_id,
                         causation_id=envelope.event_id)


@pytest.fixture
async def table(assessment_pool, unique):
    name = f"fast_{unique}"
    await assessment_pool.execute(f"CREATE TABLE {name} (event_id uuid PRIMARY KEY, client_id uuid, seen int)")
    return name


async def test_writes_and_appends_held_back_are_all_committed_and_each_read_sees_what_came_before(
        assessment_pool, table, unique):
    clients = [uuid.uuid4() for _ in range(3)]
    envelopes = [registered(clients[n % 3]) for n in range(9)]  # each client three times in the batch
    calls: list[uuid.UUID] = []

    async def handle(conn, envelope, _event) -> None:
        calls.append(envelope.event_id)
        seen = await conn.fetchval(f"SELECT count(*) FROM {table} WHERE client_id = $1", envelope.client_id)
        await conn.execute(f"INSERT INTO {table} VALUES ($1, $2, $3)", envelope.event_id, envelope.client_id, seen)
        version = await conn.fetchval(f"SELECT count(*) FROM {table} WHERE client_id = $1", envelope.client_id)
        await eventstore.append(conn, envelope.client_id, version - 1, [_next(envelope)])

    await _inbox(assessment_pool, f"fast-{unique}", handle).try_once(_records(envelopes))

    assert calls == [e.event_id for e in envelopes]  # once each: the fast pass held, no careful pass
    rows = await assessment_pool.fetch(f"SELECT client_id, seen FROM {table} ORDER BY seen")
    assert sorted((r["client_id"], r["seen"]) for r in rows) == sorted((c, n) for c in clients for n in range(3))
    for client in clients:
        async with assessment_pool.acquire() as conn:
            stream = await eventstore.read_stream(conn, client)
        assert [s.version for s in stream] == [1, 2, 3]
        assert [s.envelope.causation_id for s in stream] == [e.event_id for e in envelopes if e.client_id == client]


async def test_a_handler_that_reads_the_status_of_a_held_back_insert_gets_it_in_the_careful_pass(
        assessment_pool, table, unique):
    envelopes = [registered() for _ in range(3)]
    statuses: list[str] = []

    async def handle(conn, envelope, _event) -> None:
        status = await conn.execute(f"INSERT INTO {table} VALUES ($1, $2, 0) ON CONFLICT DO NOTHING",
                                    envelope.event_id, envelope.client_id)
        statuses.append(str(status))

    await _inbox(assessment_pool, f"status-{unique}", handle).try_once(_records(envelopes))

    assert statuses == ["INSERT 0 1"] * 3  # the fast pass gave up at the first; the careful pass ran them all
    assert await assessment_pool.fetchval(f"SELECT count(*) FROM {table}") == 3


async def test_a_unit_of_work_left_without_commit_leaves_nothing_and_the_other_events_are_applied(
        assessment_pool, table, unique):
    envelopes = [registered() for _ in range(4)]
    given_up = envelopes[1].event_id

    async def handle(conn, envelope, _event) -> None:
        try:
            async with UnitOfWork(None, conn=conn) as uow:
                await uow.conn.execute(f"INSERT INTO {table} VALUES ($1, $2, 0)", envelope.event_id, envelope.client_id)
                if envelope.event_id == given_up:
                    raise LookupError("the handler gives this one up and carries on")
                await uow.commit()
        except LookupError:
            pass

    await _inbox(assessment_pool, f"uow-{unique}", handle).try_once(_records(envelopes))

    applied = {r["event_id"] for r in await assessment_pool.fetch(f"SELECT event_id FROM {table}")}
    assert applied == {e.event_id for e in envelopes} - {given_up}
    inbox = {r["event_id"] for r in await assessment_pool.fetch(
        "SELECT event_id FROM inbox WHERE consumer = $1", f"uow-{unique}")}
    assert inbox == {e.event_id for e in envelopes}


async def test_a_held_back_insert_that_fails_reaches_the_handler_that_catches_it_in_the_careful_pass(
        assessment_pool, table, unique):
    envelopes = [registered() for _ in range(3)]
    taken = envelopes[2]
    await assessment_pool.execute(f"INSERT INTO {table} VALUES ($1, $2, 0)", taken.event_id, taken.client_id)

    async def handle(conn, envelope, _event) -> None:
        try:
            async with conn.transaction():
                await conn.execute(f"INSERT INTO {table} VALUES ($1, $2, 1)", envelope.event_id, envelope.client_id)
        except asyncpg.UniqueViolationError:
            await conn.execute(f"UPDATE {table} SET seen = 99 WHERE event_id = $1", envelope.event_id)

    await _inbox(assessment_pool, f"unique-{unique}", handle).try_once(_records(envelopes))

    rows = {r["event_id"]: r["seen"] for r in await assessment_pool.fetch(f"SELECT event_id, seen FROM {table}")}
    assert rows == {envelopes[0].event_id: 1, envelopes[1].event_id: 1, taken.event_id: 99}


async def test_a_held_back_append_behind_its_stream_is_a_conflict_and_nothing_of_the_batch_is_applied(
        assessment_pool, table, unique):
    envelopes = [registered() for _ in range(3)]
    moved = envelopes[1]
    async with assessment_pool.acquire() as conn, conn.transaction():
        await eventstore.append(conn, moved.client_id, 0, [_next(moved)])  # another writer got there first

    async def handle(conn, envelope, _event) -> None:
        await conn.execute(f"INSERT INTO {table} VALUES ($1, $2, 0)", envelope.event_id, envelope.client_id)
        await eventstore.append(conn, envelope.client_id, 0, [_next(envelope)])

    with pytest.raises(ConcurrencyError):
        await _inbox(assessment_pool, f"conflict-{unique}", handle).try_once(_records(envelopes))

    assert await assessment_pool.fetchval(f"SELECT count(*) FROM {table}") == 0
    assert await assessment_pool.fetchval("SELECT count(*) FROM inbox WHERE consumer = $1", f"conflict-{unique}") == 0
    assert await assessment_pool.fetchval("SELECT count(*) FROM event_store WHERE stream_id = ANY($1::uuid[])",
                                          [e.client_id for e in envelopes]) == 1


async def test_a_run_of_one_row_inserts_goes_as_statements_of_many_rows_that_keep_what_one_by_one_would(
        assessment_pool, unique, monkeypatch):
    table = f"runs_{unique}"
    await assessment_pool.execute(f"CREATE TABLE {table} (pos bigserial, client_id uuid UNIQUE, event_id uuid)")
    clients = [uuid.uuid4() for _ in range(7)]
    envelopes = [registered(clients[(n * n) % 7]) for n in range(237)]  # each client again and again
    calls: list[uuid.UUID] = []
    statements: list[int] = []
    many = writebehind._OneRow.many
    monkeypatch.setattr(writebehind._OneRow, "many", lambda shape, rows: statements.append(rows) or many(shape, rows))

    async def handle(conn, envelope, _event) -> None:
        calls.append(envelope.event_id)
        await conn.execute(f"INSERT INTO {table} (client_id, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                           envelope.client_id, envelope.event_id)

    await _inbox(assessment_pool, f"runs-{unique}", handle).try_once(_records(envelopes))

    assert calls == [e.event_id for e in envelopes]  # the fast pass held
    assert statements == [100, 10]  # 2 x 100 rows, 3 x 10 rows, 7 one by one
    firsts: dict[uuid.UUID, uuid.UUID] = {}
    for e in envelopes:  # one by one, each client's first event inserts and the later ones do nothing
        firsts.setdefault(e.client_id, e.event_id)
    rows = await assessment_pool.fetch(f"SELECT client_id, event_id FROM {table} ORDER BY pos")
    assert [(r["client_id"], r["event_id"]) for r in rows] == list(firsts.items())  # in the events' order


async def test_a_table_with_a_statement_level_trigger_gets_one_statement_per_row(assessment_pool, unique):
    table = f"stmt_{unique}"
    await assessment_pool.execute(f"""
        CREATE TABLE {table} (event_id uuid PRIMARY KEY);
        CREATE TABLE {table}_count (n int NOT NULL);
        INSERT INTO {table}_count VALUES (0);
        CREATE FUNCTION {table}_counted() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN UPDATE {table}_count SET n = n + 1; RETURN NULL; END $$;
        CREATE TRIGGER {table}_counted AFTER INSERT ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {table}_counted();
    """)
    envelopes = [registered() for _ in range(25)]

    async def handle(conn, envelope, _event) -> None:
        await conn.execute(f"INSERT INTO {table} (event_id) VALUES ($1)", envelope.event_id)

    await _inbox(assessment_pool, f"stmt-{unique}", handle).try_once(_records(envelopes))

    assert await assessment_pool.fetchval(f"SELECT count(*) FROM {table}") == 25
    assert await assessment_pool.fetchval(f"SELECT n FROM {table}_count") == 25  # as one by one: once per row


async def test_a_row_whose_foreign_key_to_its_own_table_only_a_later_row_satisfies_fails_as_one_by_one_would(
        assessment_pool, unique):
    table = f"tree_{unique}"
    await assessment_pool.execute(f"CREATE TABLE {table} (id uuid PRIMARY KEY, parent uuid REFERENCES {table})")
    envelopes = [registered() for _ in range(10)]  # one statement of 10 rows, if it were allowed
    parents = {envelopes[0].event_id: envelopes[1].event_id}

    async def handle(conn, envelope, _event) -> None:  # the first row names the second, inserted after it
        await conn.execute(f"INSERT INTO {table} (id, parent) VALUES ($1, $2)", envelope.event_id,
                           parents.get(envelope.event_id))

    with pytest.raises(asyncpg.ForeignKeyViolationError):  # may pass later (a retry), as one by one
        await _inbox(assessment_pool, f"tree-{unique}", handle).try_once(_records(envelopes))

    assert await assessment_pool.fetchval(f"SELECT count(*) FROM {table}") == 0


async def test_an_after_row_trigger_sees_only_the_rows_before_its_own_as_one_by_one(assessment_pool, unique):
    table = f"after_{unique}"
    await assessment_pool.execute(f"""
        CREATE TABLE {table} (event_id uuid PRIMARY KEY, seen bigint);
        CREATE FUNCTION {table}_seen() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN UPDATE {table} SET seen = (SELECT count(*) FROM {table}) WHERE event_id = NEW.event_id;
               RETURN NULL; END $$;
        CREATE TRIGGER {table}_seen AFTER INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION {table}_seen();
    """)
    envelopes = [registered() for _ in range(20)]

    async def handle(conn, envelope, _event) -> None:
        await conn.execute(f"INSERT INTO {table} (event_id) VALUES ($1)", envelope.event_id)

    await _inbox(assessment_pool, f"after-{unique}", handle).try_once(_records(envelopes))

    seen = {r["event_id"]: r["seen"] for r in await assessment_pool.fetch(f"SELECT event_id, seen FROM {table}")}
    assert [seen[e.event_id] for e in envelopes] == list(range(1, 21))  # each saw itself and those before it
