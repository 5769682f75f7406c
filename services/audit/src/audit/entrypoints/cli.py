"""`python -m audit [serve | verify | tail]`: parse the command line and hand over; no rules here."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import asyncpg

from audit.config import AuditSettings
from audit.entrypoints.tail import TailOptions, follow


class CliError(Exception):
    """A command could not run at all (exit status 2), as opposed to finding a broken trail (1)."""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m audit", description="The audit trail service and its tools. "
                                "Settings come from AUDIT_* variables (AUDIT_DATABASE_URL, ...).")
    sub = p.add_subparsers(dest="command", metavar="{serve,verify,tail,credentials,console-login}")
    sub.add_parser("serve", help="run the service (the default)")
    sub.add_parser("verify", help="check the whole hash chain and the signed anchors on Kafka; exit 1 naming "
                                  "the first broken record")
    sub.add_parser("credentials", help="issue, list, revoke or rotate credentials for the console and API",
                   add_help=False)
    login = sub.add_parser("console-login", help="issue a demo operator credential for the console; prints the "
                                                 "console's URL and the token")
    login.add_argument("--hours", type=_positive, default=12, help="the credential expires after this many hours")
    tail = sub.add_parser("tail", help="follow the trail as it grows; Ctrl-C stops")
    tail.add_argument("--from", dest="from_seq", type=_positive, metavar="SEQ",
                      help="first record to show (default: the last 10)")
    tail.add_argument("--limit", type=_positive, metavar="N", help="stop after N records")
    tail.add_argument("--once", action="store_true", help="show what exists and exit instead of following")
    tail.add_argument("--interval", type=_seconds, default=1.0, metavar="SECONDS", help="poll interval (default 1)")
    return p


def main(argv: Sequence[str] | None = None, settings: AuditSettings | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    settings = settings or AuditSettings()
    if argv[:1] == ["credentials"]:
        from backbone import auth

        return auth.main(argv[1:], settings.database_url.get_secret_value(), prog="python -m audit credentials")
    args = parser().parse_args(argv)
    if args.command in (None, "serve"):
        from audit.bootstrap import build
        from backbone.serve import serve

        serve(build, settings)
        return 0
    try:
        if args.command == "verify":
            return asyncio.run(verify(settings))
        if args.command == "console-login":
            return asyncio.run(console_login(settings, args.hours))
        return asyncio.run(tail(settings, TailOptions(args.from_seq, args.limit, args.once, args.interval)))
    except CliError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (`| head`): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


async def verify(settings: AuditSettings) -> int:
    """The chain, then the anchors signed outside the database (when a key is configured)."""
    from audit.adapters import anchor_log
    from audit.service_layer import integrity
    from backbone.kafka import aiokafka_kwargs

    key = integrity.verify_key(settings.anchor_signing_key.get_secret_value(), settings.anchor_verify_key)
    messages = None
    if key:
        try:
            messages = await anchor_log.read_all(aiokafka_kwargs(settings))
        except Exception as exc:  # noqa: BLE001 - the chain is still checked, and the output says so
            print(f"WARNING: anchors not read from Kafka ({type(exc).__name__})", file=sys.stderr)
    async with _connection(settings) as conn:
        result = await integrity.verify_all(conn, messages, key)
        with contextlib.suppress(asyncpg.PostgresError):  # a read-only copy of the database still verifies
            await integrity.record(conn, result, datetime.now(UTC))
    if result.broken is None:
        print(f"OK: {result.verified} records verified")
        if result.anchor_seq:  # stdout stays one line for scripts; the anchors are a note beside it
            print(f"anchors: {result.anchors} hold (newest at record {result.anchor_seq})", file=sys.stderr)
        if result.anchor_problem:
            print(f"WARNING: anchors not checked: {result.anchor_problem}", file=sys.stderr)
        return 0
    b = result.broken
    print(f"BROKEN at record {b.seq} (event {b.event_id or 'unknown'}): {b.what}")
    return 1


async def console_login(settings: AuditSettings, hours: int) -> int:
    """For `make run`: an operator credential for the demo, and where the console is."""
    from backbone import auth

    now = datetime.now(UTC)
    async with _connection(settings) as conn:
        issued = await auth.issue(conn, principal="operator", role="operator", label="demo console operator",
                                  now=now, expires_at=now + timedelta(hours=hours))
    host = "localhost" if settings.http_host == "127.0.0.1" else settings.http_host  # Secure cookies: localhost
    print(f"console: http://{host}:{settings.http_port}/console/login")
    print(f"operator token (expires in {hours} h; paste it on the login page): {issued.token}")
    return 0


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
