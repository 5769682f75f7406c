"""The `credentials` command: its arguments, and the process it runs in."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime

import asyncpg

from backbone import db
from backbone.auth.roles import LABEL_MAX, ROLES
from backbone.auth.subcommands import _issue, _list, _revoke, _rotate
from backbone.logging import configure_logging
from contracts.topics import principals


def main(argv: list[str], database_url: str, *, prog: str = "credentials") -> int:
    """Run `credentials issue|list|revoke|rotate`; the exit status (0 done, 1 refused, 2 usage).

    The entry point of its own process: it sends the process's logs to stderr, so that stdout
    carries nothing but the token (`TOKEN=$(python -m intake credentials issue ...)`).
    """
    try:
        args = _parser(prog).parse_args(argv)
    except SystemExit as exit_:  # --help, or a usage error argparse has explained on stderr
        return int(exit_.code or 0)
    configure_logging(prog, "INFO", stream=sys.stderr)
    return asyncio.run(_run(args, database_url))


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, description="Manage the API credentials of this service's HTTP API. Tokens are stored "
                               "only as hashes: a token is printed once, at issue or rotate.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_issue(commands.add_parser("issue", help="issue a credential; prints its token on stdout, once"))
    list_ = commands.add_parser("list", help="list credentials (never their secrets)")
    list_.add_argument("--json", action="store_true", help="one JSON object per credential per line")
    list_.set_defaults(run=_list)
    revoke_ = commands.add_parser("revoke", help="revoke a credential now (services refuse it within seconds)")
    revoke_.add_argument("key_id", metavar="KEY_ID")
    revoke_.set_defaults(run=_revoke)
    _add_rotate(commands.add_parser("rotate", help="issue a successor; the old credential ends after the overlap"))
    return parser


def _add_issue(issue_: argparse.ArgumentParser) -> None:
    issue_.add_argument("--principal", required=True, metavar="PRINCIPAL",
                        help=f"who calls: {', '.join(principals())}, or provider:<code> for a course provider")
    issue_.add_argument("--role", required=True, choices=ROLES, help="as what (see docs/credentials.md)")
    issue_.add_argument("--label", required=True, help=f"which system or desk holds it, at most {LABEL_MAX} "
                                                       "characters, never a person's name")
    issue_.add_argument("--expires-in-days", type=_positive_int, metavar="N",
                        help="expire after N days (default: never)")
    issue_.set_defaults(run=_issue)


def _add_rotate(rotate_: argparse.ArgumentParser) -> None:
    rotate_.add_argument("key_id", metavar="KEY_ID")
    rotate_.add_argument("--overlap-days", type=_non_negative_int, default=7, metavar="N",
                         help="days both credentials work, to switch over without downtime (default: 7)")
    rotate_.add_argument("--expires-in-days", type=_positive_int, metavar="N",
                         help="the new credential expires after N days (default: as long as the old one was "
                              "issued for)")
    rotate_.set_defaults(run=_rotate)


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _non_negative_int(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of days")
    return int(text)


async def _run(args: argparse.Namespace, database_url: str) -> int:
    # Imported here: backbone.app pulls in FastStream's FastAPI integration, which routes need not load.
    from backbone.app import RUNTIME_MIGRATIONS

    try:
        pool = await db.create_pool(database_url, max_size=2, timeout=15)
    except (OSError, asyncio.TimeoutError, asyncpg.PostgresError) as exc:
        print(f"error: database not reachable ({type(exc).__name__}: {exc})", file=sys.stderr)
        return 1
    try:
        await db.migrate(pool, RUNTIME_MIGRATIONS, prefix="backbone/")  # so it works on a fresh database
        async with pool.acquire() as conn:
            return await args.run(conn, args, datetime.now(UTC))
    except (ValueError, LookupError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        await pool.close()
