"""What each `credentials` subcommand does: the token on stdout, everything else on stderr."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import TextIO

import asyncpg
import structlog

from backbone.auth.models import IssuedCredential, UnknownCredential
from backbone.auth.store import get_credential, issue, list_credentials, revoke, rotate

log = structlog.get_logger()


def _days(now: datetime, days: int | None) -> datetime | None:
    return None if days is None else now + timedelta(days=days)


async def _issue(conn: asyncpg.Connection, args: argparse.Namespace, now: datetime) -> int:
    new = await issue(conn, principal=args.principal, role=args.role, label=args.label, now=now,
                      expires_at=_days(now, args.expires_in_days))
    _hand_over(new, sys.stdout, sys.stderr)
    log.info("api credential issued", key_id=new.key_id, principal=new.principal, role=new.role)
    return 0


async def _list(conn: asyncpg.Connection, args: argparse.Namespace, now: datetime) -> int:
    for info in await list_credentials(conn):
        if args.json:
            print(json.dumps({**asdict(info), "state": info.state(now)}, default=_iso))
        else:
            print(f"{info.key_id}  {info.principal:<17} {info.role:<8} {info.state(now):<7} "
                  f"created {_when(info.created_at)}  expires {_when(info.expires_at)}  "
                  f"last used {_when(info.last_used_at)}  {info.label}")
    return 0


async def _revoke(conn: asyncpg.Connection, args: argparse.Namespace, now: datetime) -> int:
    if await revoke(conn, args.key_id, now=now):
        print(f"revoked {args.key_id}; services refuse it within seconds", file=sys.stderr)
        log.info("api credential revoked", key_id=args.key_id)
        return 0
    info = await get_credential(conn, args.key_id)
    if info is None:
        raise UnknownCredential(args.key_id)
    print(f"{args.key_id} was revoked already, at {_when(info.revoked_at)}", file=sys.stderr)
    return 0


async def _rotate(conn: asyncpg.Connection, args: argparse.Namespace, now: datetime) -> int:
    new = await rotate(conn, args.key_id, now=now, overlap=timedelta(days=args.overlap_days),
                       expires_at=_days(now, args.expires_in_days))
    _hand_over(new, sys.stdout, sys.stderr)
    log.info("api credential rotated", key_id=new.key_id, replaces=args.key_id, principal=new.principal,
             role=new.role)
    old = await get_credential(conn, args.key_id)
    print(f"{args.key_id} keeps working until {_when(old and old.expires_at)}; "
          f"once the holder uses {new.key_id}, revoke {args.key_id}", file=sys.stderr)
    return 0


def _hand_over(new: IssuedCredential, out: TextIO, err: TextIO) -> None:
    print(new.token, file=out)
    print(f"issued {new.key_id} for {new.principal} as {new.role}, expires {_when(new.expires_at)}. "
          "The token above cannot be shown again: hand it over out of band.", file=err)


def _when(moment: datetime | None) -> str:
    return "never" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
