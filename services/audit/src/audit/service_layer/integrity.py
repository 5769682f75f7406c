"""Verify the chain and the anchors together; sign and publish the head periodically."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import asyncpg
import structlog

from audit.adapters import console_store, trail_store
from audit.domain.anchor import Anchor, BadAnchor, check_anchors, open_anchor, public_key, sign, signing_key, \
    verify_key_of
from audit.domain.chain import Break
from audit.service_layer.trail import verify_trail

log = structlog.get_logger()


@dataclass(frozen=True)
class Integrity:
    verified: int
    head_seq: int
    broken: Break | None
    anchors: int  # anchors that held
    anchor_seq: int | None  # the newest anchor read
    anchor_problem: str | None = None  # anchors could not be read or one did not verify


def verify_key(signing_b64: str, verify_b64: str) -> str:
    return verify_b64 or (verify_key_of(signing_key(signing_b64)) if signing_b64 else "")


async def verify_all(conn: asyncpg.Connection, anchor_messages: list[bytes] | None, verify_b64: str) -> Integrity:
    """The chain first; then, when the chain holds, every anchor against the record it names.

    `anchor_messages` None means the anchor topic could not be read: the chain is still checked and
    the result says the anchors were not."""
    chain = await verify_trail(conn)
    head = (await trail_store.read_head(conn)).seq
    if chain.broken is not None or anchor_messages is None or not verify_b64:
        problem = None if chain.broken is not None else (
            "no anchor key configured (AUDIT_ANCHOR_VERIFY_KEY)" if not verify_b64 else "the anchor topic could not be read")
        return Integrity(chain.verified, head, chain.broken, 0, None, problem)
    key = public_key(verify_b64)
    anchors: list[Anchor] = []
    bad: list[str] = []
    for message in anchor_messages:
        try:
            anchors.append(open_anchor(message, key))
        except BadAnchor as exc:  # not trusted, and not allowed to hide the others: reported
            bad.append(str(exc))
    found = await console_store.hashes_at(conn, [a.seq for a in anchors])
    held, broken = check_anchors(anchors, {s: h for s, (h, _) in found.items()}, head)
    if broken is not None and broken.seq in found:
        broken = replace(broken, event_id=found[broken.seq][1])
    newest = max((a.seq for a in anchors), default=None)
    problem = f"{len(bad)} message(s) on the anchor topic ignored: {bad[0]}" if bad else None
    return Integrity(chain.verified, head, broken, held, newest, problem)


async def record(db: console_store.Db, result: Integrity, at: datetime) -> None:
    b = result.broken
    what = b.what if b is not None else result.anchor_problem
    await console_store.store_verification(db, at, result.verified, result.head_seq, b.seq if b else None, what,
                                           result.anchors, result.anchor_seq)


async def anchor_head(pool: asyncpg.Pool, publish: Callable[[bytes], Awaitable[None]], signing_b64: str,
                      last: int | None, now: datetime) -> int | None:
    """Sign and publish the head when it moved since `last`; returns the seq anchored (or `last`)."""
    async with pool.acquire() as conn:
        head = await trail_store.read_head(conn)
    if head.seq == 0 or head.seq == last:
        return last
    await publish(sign(Anchor(head.seq, head.hash, now), signing_key(signing_b64)))
    log.info("trail head anchored", seq=head.seq)
    return head.seq


async def run_anchoring(pool: asyncpg.Pool, publish: Callable[[bytes], Awaitable[None]], signing_b64: str,
                        interval_s: float) -> None:
    last: int | None = None
    while True:
        try:
            last = await anchor_head(pool, publish, signing_b64, last, datetime.now(UTC))
        except (OSError, asyncpg.PostgresError, asyncio.TimeoutError) as exc:
            log.warning("anchor not published this time", error=type(exc).__name__)
        except Exception as exc:  # noqa: BLE001 - a Kafka error: try again next round
            log.warning("anchor not published this time", error=type(exc).__name__)
        await asyncio.sleep(interval_s)
