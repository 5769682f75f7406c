"""The hash chain of the audit trail: how a record is sealed, and how a run of records is checked.

A record's hash is `sha256(prev_hash || encode(seq, entry))`; the first record's `prev_hash` is
GENESIS (32 zero bytes). `encode` writes a format tag and then every stored field in a fixed
order, each as a 4-byte big-endian length and its UTF-8 (or raw) bytes, so no two different
records encode alike. Changing any stored field, the order of records or the link between two
records changes a hash that `verify` recomputes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

FORMAT = b"audit-trail/v1"
GENESIS = bytes(32)


@dataclass(frozen=True)
class Entry:
    """One received event as the trail stores it; every field is covered by the record's hash."""

    event_id: UUID
    type: str
    schema_version: int
    producer: str
    organisation: str
    actor: str
    client_id: UUID
    occurred_at: datetime
    recorded_at: datetime
    topic: str
    partition: int
    offset: int
    envelope: bytes  # the envelope's canonical JSON bytes
    received_at: datetime


@dataclass(frozen=True)
class Record:
    """An entry with its place in the chain."""

    seq: int
    entry: Entry
    prev_hash: bytes
    hash: bytes


@dataclass(frozen=True)
class Head:
    """The last record appended: where the next one links to."""

    seq: int = 0
    hash: bytes = GENESIS


@dataclass(frozen=True)
class Break:
    """The first record at which the trail can no longer be trusted, and why."""

    seq: int
    event_id: UUID | None  # None when the record is missing
    what: str


def seal(head: Head, entry: Entry) -> Record:
    """The record that appends `entry` after `head`."""
    seq = head.seq + 1
    return Record(seq, entry, head.hash, chain_hash(head.hash, seq, entry))


def chain_hash(prev_hash: bytes, seq: int, entry: Entry) -> bytes:
    return hashlib.sha256(prev_hash + encode(seq, entry)).digest()


def encode(seq: int, entry: Entry) -> bytes:
    e = entry
    fields = (FORMAT, str(seq), str(e.event_id), e.type, str(e.schema_version), e.producer, e.organisation,
              e.actor, str(e.client_id), _instant(e.occurred_at), _instant(e.recorded_at), e.topic,
              str(e.partition), str(e.offset), _instant(e.received_at), e.envelope)
    raw = [f if isinstance(f, bytes) else f.encode() for f in fields]
    return b"".join(len(f).to_bytes(4, "big") + f for f in raw)


def _instant(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("audit trail times must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


class Verifier:
    """Checks records fed in seq order one at a time, so a long trail need not fit in memory.

    With the `head` the store holds, it also notices records cut off the end of the trail or
    added behind the appender's back, which the chain alone cannot show.
    """

    def __init__(self, head: Head | None = None) -> None:
        self.expected_head = head
        self.last = Head()
        self.count = 0
        self.broken: Break | None = None

    def check(self, record: Record) -> Break | None:
        if self.broken is None:
            self.broken = self._check(record)
            if self.broken is None:
                self.last, self.count = Head(record.seq, record.hash), self.count + 1
        return self.broken

    def finish(self) -> Break | None:
        head = self.expected_head
        if self.broken is None and head is not None and self.last.seq < head.seq:
            self.broken = Break(self.last.seq + 1, None, f"missing: the trail ends at record {self.last.seq} "
                                                         f"but {head.seq} records were appended")
        return self.broken

    def _check(self, r: Record) -> Break | None:
        expected, event_id = self.last.seq + 1, r.entry.event_id
        if r.seq > expected:
            return Break(expected, None, f"missing: the next record stored is {r.seq}")
        if r.seq < expected:
            return Break(r.seq, event_id, f"out of order: found after record {self.last.seq}")
        if r.prev_hash != self.last.hash:
            link = "the genesis hash" if r.seq == 1 else f"the hash of record {r.seq - 1}"
            return Break(r.seq, event_id, f"prev_hash is not {link}")
        if r.hash != chain_hash(r.prev_hash, r.seq, r.entry):
            return Break(r.seq, event_id, "altered: its fields do not match its hash")
        return self._check_against_head(r)

    def _check_against_head(self, r: Record) -> Break | None:
        head = self.expected_head
        if head is None or r.seq < head.seq:
            return None
        if r.seq > head.seq:
            return Break(r.seq, r.entry.event_id, f"not appended by the trail: its head ends at record {head.seq}")
        if r.hash != head.hash:
            return Break(r.seq, r.entry.event_id, "its hash differs from the one the head recorded")
        return None


def verify(records: Iterable[Record], head: Head | None = None) -> Break | None:
    """The first break in `records` (in seq order from 1), or None when the whole chain holds."""
    verifier = Verifier(head)
    for record in records:
        if verifier.check(record) is not None:
            break
    return verifier.finish()
