"""Pieces of the inbox's fast pass that need no database: which INSERTs may go many rows at once, and how
the garbage collector is paused for a batch."""

import asyncio
import gc

import pytest

from backbone import inbox
from backbone.inbox import collector_paused
from backbone.writebehind import _one_row

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("query", "rows"), [
    ("INSERT INTO t (a, b) VALUES ($1, $2)", "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4), ($5, $6)"),
    ("insert into s.t values ($1::jsonb, DEFAULT, NULL, 0) on conflict do nothing",
     "INSERT INTO s.t VALUES ($1::jsonb, DEFAULT, NULL, 0), ($2::jsonb, DEFAULT, NULL, 0), "
     "($3::jsonb, DEFAULT, NULL, 0) on conflict do nothing"),
    ('INSERT INTO inbox (event_id, "offset") VALUES ($2, $1) ON CONFLICT (event_id) DO NOTHING',
     'INSERT INTO inbox (event_id, "offset") VALUES ($2, $1), ($4, $3), ($6, $5) ON CONFLICT (event_id) DO NOTHING'),
    ("INSERT INTO t (a, b) VALUES ($1, $1)", "INSERT INTO t (a, b) VALUES ($1, $1), ($2, $2), ($3, $3)"),
])
def test_a_plain_one_row_insert_is_repeated_with_each_rows_parameters_numbered_after_the_last(query, rows):
    assert _one_row(query).many(3) == rows


@pytest.mark.parametrize("query", [
    "INSERT INTO t (a) VALUES (now())",  # a function: it may read what earlier rows wrote
    "INSERT INTO t (a) VALUES ((SELECT max(a) FROM t) + $1)",  # a subquery
    "INSERT INTO t (a) VALUES ($1) ON CONFLICT (a) DO UPDATE SET a = excluded.a",  # may touch a row twice
    "INSERT INTO t (a) VALUES ($1) RETURNING a",
    "INSERT INTO t (a) SELECT $1",
    "INSERT INTO t (a, b) VALUES ($2, 'x')",  # $1 unused: not a plain row of parameters
    "INSERT INTO t (a) VALUES ($1); DELETE FROM t",
    "INSERT INTO t (a) VALUES (1)",  # no parameter: nothing to repeat
    "UPDATE t SET a = $1",
])
def test_anything_but_a_plain_one_row_insert_goes_one_row_at_a_time(query):
    assert _one_row(query) is None


async def test_the_collector_is_paused_while_batches_are_under_way_and_resumed_after_the_last():
    assert gc.isenabled()
    first, second = collector_paused(), collector_paused()
    first.__enter__()
    assert not gc.isenabled()
    second.__enter__()  # another consumer's batch, overlapping
    first.__exit__(None, None, None)
    assert not gc.isenabled()
    second.__exit__(None, None, None)
    assert gc.isenabled()


async def test_the_collector_is_resumed_after_the_longest_pause_even_while_a_batch_is_still_under_way(monkeypatch):
    monkeypatch.setattr(inbox, "MAX_GC_PAUSE_S", 0.01)
    with collector_paused():
        assert not gc.isenabled()
        await asyncio.sleep(0.05)
        assert gc.isenabled()
        with collector_paused():  # a batch that begins meanwhile does not pause it again
            assert gc.isenabled()
    assert gc.isenabled()


async def test_a_collector_that_something_else_turned_off_stays_off():
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


async def test_a_batch_that_fails_resumes_the_collector():
    with pytest.raises(LookupError), collector_paused():
        raise LookupError("a batch that cannot be applied yet")
    assert gc.isenabled()
