"""Anchors on the real broker and the tamper tests through `verify_all`: a changed byte, a deleted
record and a rewrite of the tail together with the head are each detected, the first broken record named."""

from __future__ import annotations

import base64
import dataclasses
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.adapters import trail_store
from audit.domain.anchor import Anchor, new_signing_key, sign, signing_key, verify_key_of
from audit.domain.chain import Head, seal
from audit.service_layer import integrity
from audit.service_layer.trail import record_event

from .conftest import entry
from .test_trail_integrity import as_superuser

pytestmark = pytest.mark.integration

KEY = new_signing_key()
VERIFY = verify_key_of(signing_key(KEY))


async def append(trail_db, n: int) -> list:
    records = []
    for i in range(n):
        async with trail_db.pool.acquire() as conn, conn.transaction():
            records.append(await record_event(conn, entry(offset=i)))
    return records


def anchored(*records) -> list[bytes]:
    return [sign(Anchor(r.seq, r.hash, datetime.now(UTC)), signing_key(KEY)) for r in records]


async def check(trail_db, messages: list[bytes] | None, key: str = VERIFY) -> integrity.Integrity:
    async with trail_db.pool.acquire() as conn:
        return await integrity.verify_all(conn, messages, key)


async def rewrite_tail_and_head(trail_db, from_seq: int) -> None:
    """What someone with full database access would do: change a record and re-seal it and every
    record after it, head included, so that the chain alone holds."""
    async with trail_db.pool.acquire() as conn:
        records = await trail_store.fetch(conn, 1, 1000)
    head = Head(from_seq - 1, records[from_seq - 2].hash)
    conn = await trail_db.superuser()
    try:
        await conn.execute("SET session_replication_role = replica")
        for r in records[from_seq - 1:]:
            changed = dataclasses.replace(r.entry, actor="someone-else") if r.seq == from_seq else r.entry
            new = seal(head, changed)
            await conn.execute("UPDATE audit_trail SET actor = $2, prev_hash = $3, hash = $4 WHERE seq = $1",
                               new.seq, new.entry.actor, new.prev_hash, new.hash)
            head = Head(new.seq, new.hash)
        await conn.execute("UPDATE audit_trail_head SET last_seq = $1, last_hash = $2", head.seq, head.hash)
    finally:
        await conn.close()


class TestTamperingWithAnchors:
    async def test_an_untouched_trail_holds_against_its_anchors(self, trail_db):
        records = await append(trail_db, 4)

        result = await check(trail_db, anchored(records[1], records[3]))

        assert (result.broken, result.verified, result.anchors, result.anchor_seq) == (None, 4, 2, 4)

    async def test_changing_a_byte_is_named_at_that_record(self, trail_db):
        records = await append(trail_db, 5)
        await as_superuser(trail_db, "UPDATE audit_trail SET envelope = overlay(envelope placing '\\x7e'::bytea "
                                     "from 3 for 1) WHERE seq = 2")

        result = await check(trail_db, anchored(*records))

        assert (result.broken.seq, result.broken.event_id) == (2, records[1].entry.event_id)
        assert result.broken.what.startswith("altered")

    async def test_deleting_a_record_is_named_as_missing(self, trail_db):
        records = await append(trail_db, 5)
        await as_superuser(trail_db, "DELETE FROM audit_trail WHERE seq = 4")

        result = await check(trail_db, anchored(*records))

        assert (result.broken.seq, result.broken.event_id) == (4, None)

    async def test_rewriting_the_tail_with_the_head_passes_the_chain_but_not_the_anchors(self, trail_db):
        records = await append(trail_db, 6)
        await rewrite_tail_and_head(trail_db, 4)

        without = await check(trail_db, None)
        result = await check(trail_db, anchored(*records))

        assert without.broken is None  # the chain alone cannot see it
        assert (result.broken.seq, result.broken.event_id) == (4, records[3].entry.event_id)
        assert result.broken.what.startswith("rewritten") and "the last anchored record that matches is 3" in \
            result.broken.what

    async def test_with_sparse_anchors_the_first_anchored_record_after_the_rewrite_is_named(self, trail_db):
        records = await append(trail_db, 6)
        await rewrite_tail_and_head(trail_db, 3)

        result = await check(trail_db, anchored(records[1], records[4]))

        assert result.broken.seq == 5 and "the last anchored record that matches is 2" in result.broken.what

    async def test_cutting_anchored_records_off_the_end_with_the_head_is_named(self, trail_db):
        records = await append(trail_db, 5)
        await as_superuser(trail_db, "DELETE FROM audit_trail WHERE seq >= 4")
        await as_superuser(trail_db, "UPDATE audit_trail_head SET last_seq = 3, last_hash = $1", records[2].hash)

        result = await check(trail_db, anchored(records[4]))

        assert result.broken.seq == 4 and result.broken.what.startswith("missing")

    async def test_an_anchor_signed_with_another_key_is_reported_and_does_not_hide_the_others(self, trail_db):
        records = await append(trail_db, 3)
        other = base64.b64encode(Ed25519PrivateKey.generate().private_bytes_raw()).decode()
        forged = sign(Anchor(3, bytes(32), datetime.now(UTC)), signing_key(other))
        await rewrite_tail_and_head(trail_db, 2)

        result = await check(trail_db, [forged, *anchored(*records)])

        assert result.broken.seq == 2 and "signature" in result.anchor_problem


class TestAnchoringJob:
    async def test_the_job_anchors_the_head_only_when_it_moved(self, trail_db):
        published: list[bytes] = []

        async def publish(message: bytes) -> None:
            published.append(message)

        assert await integrity.anchor_head(trail_db.pool, publish, KEY, None, datetime.now(UTC)) is None
        records = await append(trail_db, 2)
        last = await integrity.anchor_head(trail_db.pool, publish, KEY, None, datetime.now(UTC))
        again = await integrity.anchor_head(trail_db.pool, publish, KEY, last, datetime.now(UTC))

        assert (last, again, len(published)) == (2, 2, 1)
        assert (await check(trail_db, published)).anchors == 1 and records
