"""`python -m audit [serve | verify | tail | redrive]`: parse the command line and hand over; no rules here."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import asyncpg

from audit.config import AuditSettings
from audit.entrypoints.tail import TailOptions, follow
from audit.service_layer.trail import verify_trail


class CliError(Exception):
    """A command could not run at all (exit status 2), as opposed to finding a broken trail (1)."""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m audit", description="The audit trail service and its tools. "
                                "Settings come from AUDIT_* variables (AUDIT_DATABASE_URL, ...).")
    sub = p.add_subparsers(dest="command", metavar="{serve,verify,tail,redrive}")
    sub.add_parser("serve", help="run the service (the default)")
    sub.add_parser("verify", help="check the whole hash chain; exit 1 naming the first broken record")
    tail = sub.add_parser("tail", help="follow the trail as it grows; Ctrl-C stops")
    tail.add_argument("--from", dest="from_seq", type=_positive, metavar="SEQ",
                      help="first record to show (default: the last 10)")
    tail.add_argument("--limit", type=_positive, metavar="N", help="stop after N records")
    tail.add_argument("--once", action="store_true", help="show what exists and exit instead of following")
    tail.add_argument("--interval", type=_seconds, default=1.0, metavar="SECONDS", help="poll interval (default 1)")
    sub.add_parser("redrive", add_help=False,
                   help="apply audit's own dead letters again after a fix (--partition P --offset O | --all)")
    return p


def main(argv: Sequence[str] | None = None, settings: AuditSettings | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["redrive"]:  # the runtime's own command line (backbone.redrive)
        from audit.bootstrap import build
        from backbone import redrive

        return redrive.main(argv[1:], build, settings or AuditSettings())
    args = parser().parse_args(argv)
    settings = settings or AuditSettings()
    if args.command in (None, "serve"):
        from audit.bootstrap import build
        from backbone.serve import serve

        serve(build, settings)
        return 0
    try:
        if args.command == "verify":
            return asyncio.run(verify(settings))
        return asyncio.run(tail(settings, TailOptions(args.from_seq, args.limit, args.once, args.interval)))
    except CliError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (`| head`): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


async def verify(settings: AuditSettings) -> int:
    async with _connection(settings) as conn:
        result = await verify_trail(conn)
    if result.broken is None:
        print(f"OK: {result.verified} records verified")
        return 0
    b = result.broken
    print(f"BROKEN at record {b.seq} (event {b.event_id or 'unknown'}): {b.what}")
    return 1


async def tail(settings: AuditSettings, options: TailOptions) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with _connection(settings) as conn:
        await follow(conn, options, stop, lambda line: print(line, flush=True))
    return 0


@asynccontextmanager
async def _connection(settings: AuditSettings) -> AsyncIterator[asyncpg.Connection]:
    dsn = settings.database_url.get_secret_value()
    if not dsn:
        raise CliError("AUDIT_DATABASE_URL is not set")
    try:
        conn = await asyncpg.connect(dsn, timeout=10)
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:  # never print the DSN: it holds a password
        raise CliError(f"cannot connect to the audit database ({type(exc).__name__})") from None
    try:
        yield conn
    except asyncpg.UndefinedTableError:
        raise CliError("this database has no audit trail yet; start the service once to create it") from None
    finally:
        await conn.close()


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value
