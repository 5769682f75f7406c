"""The inbox's fast pass: a connection that holds back writes until something needs them.

A per-event handler costs a few network round trips per event; on a batch of hundreds that is most
of the time. In its first, optimistic pass over a batch (`backbone.inbox`) the inbox hands each
handler a `WriteBehind` around its transaction's connection instead of the connection itself:

- `execute` of an INSERT with arguments is queued, not sent (an UPDATE's or DELETE's status, the
  number of rows, is often read: those run at once). Before anything else
  runs on the connection (a read, a lock, another kind of statement, a savepoint), the queue is sent
  in order, each run of the same statement as one pipelined `executemany` (one round trip). A run of
  a plain `INSERT INTO t (...) VALUES ($1, ...)` (optionally `ON CONFLICT DO NOTHING`; only
  parameters, casts and constants in the VALUES) is sent as statements of many rows each, in the
  same order, when the table has nothing that sees a statement rather than a row: no trigger of its
  own, no rule, no foreign key to itself (`RowsAtOnce`, asked of the catalogue once per table).
- `backbone.eventstore.append` checks the sizes at once but queues the rows; every append of the
  batch is written by one statement at the end (the client locks in sorted order, each stream's
  version checked, the rows inserted in append order), or earlier when a statement that names
  `event_store` is about to run, so nothing ever reads the store without its own appends.
- A unit of work `on_connection` takes no savepoint; if one ends without `commit()` (a handler that
  gives up half-way and carries on), the pass is spoilt.

Nothing here decides anything: whenever the fast pass cannot be exactly what the handlers would have
done one by one — a queued write or append fails, a handler used a queued statement's status, gave
up a unit of work, or asked for something this wrapper does not hold back for — `spoilt` is set (or
`WriteBehindFailed` raised) and the inbox rolls the whole transaction back and applies the batch
again the careful way: the plain connection, a savepoint per event, every statement at once. The
careful pass is the reference; the fast pass either commits the same effects or none at all.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Sequence
from functools import lru_cache
from typing import Any, NamedTuple
from uuid import UUID

import asyncpg

_DEFERRABLE = re.compile(r"^\s*INSERT\b", re.IGNORECASE)
_ONE_ROW = re.compile(r"""^\s*INSERT\s+INTO\s+(?P<table>[A-Za-z_][A-Za-z0-9_.]*)
                         \s*(?P<columns>\([A-Za-z0-9_,\s"]*\))?\s*
                         VALUES\s*\((?P<values>[^()';]*)\)
                         \s*(?P<tail>ON\s+CONFLICT\s*(?:\([A-Za-z0-9_,\s"]*\))?\s*DO\s+NOTHING)?\s*$""",
                      re.IGNORECASE | re.VERBOSE)
_VALUE = re.compile(r"^\s*(?:\$(?P<n>[1-9][0-9]*)(?:\s*::\s*[A-Za-z_][A-Za-z0-9_ ]*(?:\[\])?)?"
                    r"|NULL|DEFAULT|TRUE|FALSE|-?[0-9]+)\s*$", re.IGNORECASE)
_PARAM = re.compile(r"\$([1-9][0-9]*)")
_MAX_PARAMS = 32767  # of one statement (the protocol's limit)
ROWS_AT_ONCE = (100, 10)
"""Rows per statement of a run of one-row INSERTs; what is left over goes one row at a time. Few sizes,
so that each is a statement prepared once per connection."""
# Whether a table's INSERT of many rows does exactly what as many INSERTs of one row would: no trigger
# of its own (a statement-level one fires once, an AFTER ROW one sees the later rows too), no rule, no
# foreign key that one of the rows could satisfy for an earlier one (checked at the end of a statement).
_ROW_BY_ROW_SAME = """
SELECT NOT EXISTS (SELECT FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal)
   AND NOT EXISTS (SELECT FROM pg_rewrite r WHERE r.ev_class = c.oid AND r.rulename <> '_RETURN')
   AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.contype = 'f' AND k.conrelid = c.oid AND k.confrelid = c.oid)
   AND c.relkind = 'r'
FROM pg_class c WHERE c.oid = to_regclass($1)
"""
_PASSIVE = frozenset({"is_in_transaction", "is_closed", "get_server_pid", "get_server_version", "get_settings"})

# Every append of a batch in one round trip: lock the clients (sorted, as `eventstore.append` does),
# check each stream's version, and insert in append order. Nothing is inserted when a version does not
# match; the caller then sees fewer rows than it gave.
_APPEND_MANY = """
WITH locked AS MATERIALIZED (
    SELECT count(pg_advisory_xact_lock(k)) AS n FROM (SELECT DISTINCT unnest($1::bigint[]) AS k ORDER BY 1) keys
), streams AS MATERIALIZED (
    SELECT (SELECT n FROM locked) AS n, s.stream_id, s.expected,
           coalesce((SELECT max(version) FROM event_store e WHERE e.stream_id = s.stream_id), 0) AS v
    FROM unnest($2::uuid[], $3::int[]) AS s(stream_id, expected)
), checked AS MATERIALIZED (
    SELECT bool_and(n > 0 AND v = expected) AS ok FROM streams
)
INSERT INTO event_store (stream_id, version, event_id, client_id, type, envelope)
SELECT x.s, x.v, x.e, x.c, x.t, x.b
FROM checked, unnest($4::uuid[], $5::int[], $6::uuid[], $7::uuid[], $8::text[], $9::bytea[])
     WITH ORDINALITY AS x(s, v, e, c, t, b, ord)
WHERE checked.ok
ORDER BY x.ord
RETURNING version
"""


@lru_cache(maxsize=1024)
def _may_hold_back(query: str) -> bool:
    """An INSERT that takes no lock and does not touch the event store (asked once per query text)."""
    return bool(_DEFERRABLE.match(query)) and "pg_advisory" not in query.lower() and not _names_store(query)


def _names_store(query: str) -> bool:
    """Whether a statement may read or write the event store: then the queued appends go first."""
    return "event_store" in query.lower()


class _OneRow(NamedTuple):
    """A plain one-row INSERT, taken apart to be repeated for many rows."""

    table: str
    head: str  # up to VALUES
    row: str  # the parenthesised values
    tail: str  # ON CONFLICT DO NOTHING, or nothing
    params: int

    def many(self, rows: int) -> str:
        """The same INSERT of `rows` rows, the n-th row's parameters numbered after the (n-1)-th's."""
        values = (_PARAM.sub(lambda p: f"${int(p[1]) + n * self.params}", self.row) for n in range(rows))
        return f"{self.head} VALUES {', '.join(values)} {self.tail}".rstrip()


def _one_row(query: str) -> _OneRow | None:
    m = _ONE_ROW.match(query)
    if m is None:
        return None
    values = [_VALUE.match(v) for v in m["values"].split(",")]
    if any(v is None for v in values):
        return None
    numbers = {int(v["n"]) for v in values if v["n"] is not None}
    if not numbers or numbers != set(range(1, max(numbers) + 1)):
        return None
    return _OneRow(m["table"], f"INSERT INTO {m['table']} {m['columns'] or ''}".rstrip(), f"({m['values']})",
                   m["tail"] or "", max(numbers))


class RowsAtOnce:
    """Which one-row INSERTs may be sent as statements of many rows: each query's shape, and what the
    catalogue said of each table, kept for the database of one pool (the inbox keeps one per consumer)."""

    def __init__(self) -> None:
        self._shapes: dict[str, _OneRow | None] = {}
        self._tables: dict[str, bool] = {}

    async def shape(self, conn: asyncpg.Connection, query: str, rows: list[tuple]) -> _OneRow | None:
        """The query's shape when these rows may go as statements of many rows, else None."""
        if query not in self._shapes:
            self._shapes[query] = _one_row(query)
        shape = self._shapes[query]
        if shape is None or any(len(r) != shape.params for r in rows):
            return None
        if shape.table not in self._tables:
            self._tables[shape.table] = bool(await conn.fetchval(_ROW_BY_ROW_SAME, shape.table))
        return shape if self._tables[shape.table] else None


class WriteBehindFailed(Exception):  # noqa: N818 - names what happened, like asyncpg's errors
    """A held-back write failed when it was sent: the fast pass is void, the batch goes the careful way."""


class PendingStatus:
    """What `execute` returns for a queued statement: its status is not known yet, so any use of it
    spoils the fast pass (the careful pass then gives the handler the real status)."""

    __slots__ = ("_owner",)

    def __init__(self, owner: WriteBehind) -> None:
        object.__setattr__(self, "_owner", owner)

    def _used(self, *_: object, **__: object) -> Any:
        self._owner.spoil("a handler used the status of a held-back statement")
        raise WriteBehindFailed("the status of a held-back statement is not known yet")

    __str__ = __repr__ = __eq__ = __ne__ = __hash__ = __bool__ = __len__ = __iter__ = __contains__ = _used
    __getattr__ = __format__ = __lt__ = __le__ = __gt__ = __ge__ = __add__ = __radd__ = _used


class WriteBehind:
    """A transaction's connection whose writes and event-store appends wait until they are needed."""

    defers_savepoints = True
    """Read by `UnitOfWork.on_connection`: no savepoint of its own on this connection."""

    def __init__(self, conn: asyncpg.Connection, rows_at_once: RowsAtOnce | None = None) -> None:
        self._conn = conn
        self._rows_at_once = rows_at_once
        self._writes: list[tuple[str, tuple]] = []
        self._appends: list[tuple[UUID, int, Sequence[Any], list[bytes], list[int]]] = []
        self._tails: dict[UUID, int] = {}  # each queued stream's version after its queued appends
        self.spoilt: str | None = None

    def spoil(self, why: str) -> None:
        """Void the fast pass (the first reason is kept); the inbox then applies the batch carefully."""
        self.spoilt = self.spoilt or why

    # -- what handlers call --------------------------------------------------------------------------

    async def execute(self, query: str, *args: Any, timeout: float | None = None) -> Any:
        if args and timeout is None and _may_hold_back(query):
            self._writes.append((query, args))
            return PendingStatus(self)
        await self.flush(appends=_names_store(query) or not args)
        return await self._at_once(self._conn.execute(query, *args, timeout=timeout))

    async def fetch(self, query: str, *args: Any, **kwargs: Any) -> Any:
        await self.flush(appends=_names_store(query))
        return await self._at_once(self._conn.fetch(query, *args, **kwargs))

    async def fetchrow(self, query: str, *args: Any, **kwargs: Any) -> Any:
        await self.flush(appends=_names_store(query))
        return await self._at_once(self._conn.fetchrow(query, *args, **kwargs))

    async def fetchval(self, query: str, *args: Any, **kwargs: Any) -> Any:
        await self.flush(appends=_names_store(query))
        return await self._at_once(self._conn.fetchval(query, *args, **kwargs))

    async def executemany(self, query: str, args: Any, **kwargs: Any) -> None:
        await self.flush(appends=_names_store(query))
        return await self._at_once(self._conn.executemany(query, args, **kwargs))

    async def _at_once(self, statement: Awaitable[Any]) -> Any:
        """Run a statement now; one that fails spoils the pass (a handler may swallow the error, but
        the transaction is then aborted, and its COMMIT would quietly roll everything back)."""
        try:
            return await statement
        except asyncpg.PostgresError as exc:
            self.spoil(f"a statement failed: {type(exc).__name__}")
            raise

    def transaction(self, **kwargs: Any) -> _AfterFlush:
        """A real savepoint, begun only after everything held back was sent."""
        return _AfterFlush(self, self._conn.transaction(**kwargs))

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._conn, name)
        if name in _PASSIVE or not callable(attr):
            return attr
        self.spoil(f"connection.{name} is not held back for")  # a cursor, a COPY, a prepared statement...
        raise WriteBehindFailed(f"connection.{name} is not available in the inbox's fast pass")

    # -- what eventstore.append calls ----------------------------------------------------------------

    async def append(self, stream_id: UUID, expected_version: int, envelopes: Sequence[Any], encoded: list[bytes],
                     lock_keys: list[int]) -> int | None:
        """Queue one append (already checked for size); None when it cannot be queued (the caller then
        appends at once, after everything queued was sent)."""
        tail = self._tails.get(stream_id)
        if tail is not None and tail != expected_version:
            await self.flush(appends=True)  # the store itself will say whether this append fits
            return None
        self._appends.append((stream_id, expected_version, envelopes, encoded, lock_keys))
        self._tails[stream_id] = expected_version + len(envelopes)
        return expected_version + len(envelopes)

    # -- sending -------------------------------------------------------------------------------------

    async def flush(self, *, appends: bool = True) -> None:
        """Send the queued writes (and the queued appends, unless `appends` is False), in order."""
        if self.spoilt is not None:
            raise WriteBehindFailed(self.spoilt)
        writes, self._writes = self._writes, []
        try:
            start = 0
            while start < len(writes):
                query, end = writes[start][0], start + 1
                while end < len(writes) and writes[end][0] == query:
                    end += 1
                await self._send_run(query, [args for _, args in writes[start:end]])
                start = end
            if appends and self._appends:
                await self._write_appends()
        except Exception as exc:
            self.spoil(f"a held-back write failed: {type(exc).__name__}")
            raise WriteBehindFailed(self.spoilt) from exc

    async def _send_run(self, query: str, rows: list[tuple]) -> None:
        """Send consecutive executions of one INSERT, in order: as statements of many rows where that is
        the same as one row at a time (`RowsAtOnce`), the rest as one pipelined `executemany`."""
        shape = await self._rows_at_once.shape(self._conn, query, rows) if self._rows_at_once and len(rows) > 1 \
            else None
        for size in ROWS_AT_ONCE if shape is not None else ():
            size = min(size, _MAX_PARAMS // shape.params)
            whole = len(rows) // size * size
            if size > 1 and whole:
                await self._conn.executemany(shape.many(size), [tuple(a for r in rows[i:i + size] for a in r)
                                                                for i in range(0, whole, size)])
                rows = rows[whole:]
        if len(rows) == 1:
            await self._conn.execute(query, *rows[0])
        elif rows:
            await self._conn.executemany(query, rows)

    async def _write_appends(self) -> None:
        appends, self._appends = self._appends, []
        self._tails.clear()
        rows = [(stream_id, expected + n, e, raw)
                for stream_id, expected, envelopes, encoded, _ in appends
                for n, (e, raw) in enumerate(zip(envelopes, encoded, strict=True), start=1)]
        firsts: dict[UUID, int] = {}
        for stream_id, expected, *_ in appends:
            firsts.setdefault(stream_id, expected)
        inserted = await self._conn.fetch(
            _APPEND_MANY, [k for *_, keys in appends for k in keys], list(firsts), list(firsts.values()),
            [r[0] for r in rows], [r[1] for r in rows], [r[2].event_id for r in rows], [r[2].client_id for r in rows],
            [r[2].type for r in rows], [r[3] for r in rows])
        if len(inserted) != len(rows):
            raise WriteBehindFailed("a stream moved on since its version was read")


class _AfterFlush:
    """`conn.transaction()` on a WriteBehind: sends what is held back before the savepoint begins."""

    def __init__(self, owner: WriteBehind, transaction: Any) -> None:
        self._owner, self._transaction = owner, transaction

    async def start(self) -> None:
        await self._owner.flush()
        await self._owner._at_once(self._transaction.start())  # noqa: SLF001 - one module

    async def __aenter__(self) -> _AfterFlush:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> Any:
        # Sent even when the block failed: at once, a write that fails would have failed first.
        try:
            await self._owner.flush()
        except WriteBehindFailed:
            await self._transaction.rollback()
            raise
        return await self._owner._at_once(self._transaction.__aexit__(*exc))  # noqa: SLF001 - one module

    async def commit(self) -> None:
        await self._owner.flush()
        await self._owner._at_once(self._transaction.commit())  # noqa: SLF001 - one module

    async def rollback(self) -> None:
        await self._owner.flush()
        await self._owner._at_once(self._transaction.rollback())  # noqa: SLF001 - one module
