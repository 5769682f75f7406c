"""Guidance's referrals: an officer's `referrals.make` then the provider's `referrals.answer` into a start
(its queue included) vs a plain transaction per command with the same number of INSERTs.

`python -m bench.guidance [--profile bench|dev|test] [--quick]` prints one table of its own (it runs on
the same deployment and scratch databases as `python -m bench.run`). On a scratch database with the
runtime's, the client parts' and guidance's migrations and the seeded catalogue, per repetition:

- ours: for each of N clients (in `client_view`), `referrals.make` to a continuous-admission course with
  18 places (ownership, language, group and duplicate checks, the event append, the referral row), then
  `referrals.answer` (the referral rebuilt from its events, the start's queue locked and loaded, a place
  or the queue, the event append): the first 18 are accepted, the rest waitlisted;
- plain: the same two commands as two transactions on a pooled connection, each INSERTing one event-sized
  row and one row of the same size as ours wrote, into tables with no keys, indexes or checks.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import os
import sys
import time
import uuid
from datetime import date

import asyncpg

from backbone import db, parts
from backbone.clientkeys import ClientKeys
from backbone.clock import SystemClock
from backbone.workdays import WorkingDays
from bench.common import FULL, TINY, Sizes, Target, log, median, scratch_database
from bench.table import Row, render
from guidance.adapters.events import Context
from guidance.bootstrap import MIGRATIONS
from guidance.service_layer import catalogue, referrals
from guidance.service_layer.deps import Deps

SERVICE = "language_course.mbi-raseborg"
FIGURE = "guidance referral made + answered, 1 writer"


async def _clients(pool: asyncpg.Pool, n: int) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in range(n)]
    await pool.executemany(
        """INSERT INTO client_view (client_id, responsible_organisation, home_municipality, languages, target_groups,
               state, registered_jobseeker, luvn_participation_required, window_ends_on, last_event_id)
           VALUES ($1, 'raseborg', 'raseborg', '{ar,fi}', '{family_member}', 'to_be_assessed', false, false, $2, $1)""",
        [(i, date(2029, 1, 1)) for i in ids])
    return ids


async def _ours(deps: Deps, clients: list[uuid.UUID]) -> float:
    officer, provider = Context("raseborg", "bench", uuid.uuid4()), Context("", "bench", uuid.uuid4())
    actor = referrals.Actor("provider", "mbi-raseborg")
    started = time.perf_counter()
    for client_id in clients:
        made = await referrals.make(deps, officer, client_id=client_id, service_code=SERVICE, language="fi",
                                    plan_id=None, note=None)
        await referrals.answer(deps, provider, actor, made.subject_id, starts_on=date.today())
    return len(clients) / (time.perf_counter() - started)


async def _plain(pool: asyncpg.Pool, n: int, event_size: int, row_size: int) -> float:
    rows = [(os.urandom(event_size), os.urandom(row_size)) for _ in range(2 * n)]
    started = time.perf_counter()
    for event, row in rows:
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("INSERT INTO plain_events (body) VALUES ($1)", event)
            await conn.execute("INSERT INTO plain_rows (body) VALUES ($1)", row)
    return n / (time.perf_counter() - started)


async def bench_referrals(target: Target, sizes: Sizes) -> Row:
    n = max(8, sizes.registrations // 4)
    keys = ClientKeys.from_setting("k1:" + base64.b64encode(os.urandom(32)).decode())
    ours, plain = [], []
    async with scratch_database(target, "guidance") as dsn:
        pool = await asyncpg.create_pool(dsn, min_size=2, max_size=4)
        try:
            for folder, prefix in ((parts.CLIENT_VIEW, "backbone/clientview/"),
                                   (parts.CLIENT_KEYS, "backbone/clientkeys/"), (MIGRATIONS, "guidance/")):
                await db.migrate(pool, folder, prefix=prefix)
            await pool.execute("CREATE TABLE plain_events (body bytea); CREATE TABLE plain_rows (body bytea)")
            deps = Deps(pool=lambda: pool, clock=SystemClock(), keys=keys, calendar=WorkingDays())
            await catalogue.seed(deps)
            event_size = await pool.fetchval("SELECT avg(pg_column_size(envelope))::int FROM event_store")
            for rep in range(sizes.reps):
                await pool.execute("DELETE FROM start_places; DELETE FROM referrals; TRUNCATE plain_events, plain_rows")
                ours.append(await _ours(deps, await _clients(pool, n)))
                row_size = await pool.fetchval("SELECT avg(pg_column_size(r.*))::int FROM referrals r")
                plain.append(await _plain(pool, n, event_size, row_size))
                log(f"guidance referrals, rep {rep + 1}: ours {ours[-1]:,.0f}/s, plain {plain[-1]:,.0f}/s")
            waiting = await pool.fetchval("SELECT count(*) FROM start_places WHERE NOT holds")
            assert waiting == max(n - 18, 0), "the queue lost or gained someone"
        finally:
            await pool.close()
    return Row(FIGURE, "referrals/s", median(ours), "plain 2 txns x 2 INSERTs", median(plain))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.guidance", description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", choices=("bench", "dev", "test"), default="bench")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks that it runs")
    args = parser.parse_args(argv)

    from deploy.__main__ import up
    from deploy.config import Layout

    from bench.run import quiet_logs

    quiet_logs()
    layout = Layout.from_env(profile=args.profile)
    with contextlib.redirect_stdout(sys.stderr):
        secrets = up(layout, with_services=False)
    target = Target(layout.bootstrap, layout.host, layout.pg_port, secrets, layout)
    row = asyncio.run(bench_referrals(target, TINY if args.quick else FULL))
    print(render([row]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
