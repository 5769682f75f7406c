"""Anchors: the trail's head signed with a key the database does not hold, kept outside the database.

Someone with full access to the database can rewrite the chain from any record on, head included,
so that `verify` alone finds nothing wrong. An anchor is a statement "record <seq> had hash <h>"
signed with an Ed25519 key that lives in the service's settings (a secret file deploy generates),
published to the Kafka topic `anchor.audit.v1`, which only audit may write and only audit and
operators may read, and which keeps its messages forever. A rewrite of any anchored record then no
longer matches a signature that cannot be forged without the key.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from audit.domain.chain import Break

FORMAT = "audit-anchor/v1"


@dataclass(frozen=True)
class Anchor:
    """Record `seq` of the trail had `hash` when the anchor was signed at `signed_at`."""

    seq: int
    hash: bytes
    signed_at: datetime

    def statement(self) -> bytes:
        """The exact bytes that are signed: canonical JSON with the format tag."""
        return json.dumps({"format": FORMAT, "seq": self.seq, "hash": self.hash.hex(),
                           "signed_at": self.signed_at.astimezone(UTC).isoformat(timespec="microseconds")},
                          sort_keys=True, separators=(",", ":")).encode()


class BadAnchor(ValueError):
    """A message on the anchor topic that is not a well-formed anchor with a valid signature."""


def new_signing_key() -> str:
    """A fresh Ed25519 private key, base64 of its 32 raw bytes (what deploy writes to the settings)."""
    return base64.b64encode(Ed25519PrivateKey.generate().private_bytes_raw()).decode("ascii")


def signing_key(b64: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(b64, validate=True))


def verify_key_of(private: Ed25519PrivateKey) -> str:
    return base64.b64encode(private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode("ascii")


def public_key(b64: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(b64, validate=True))


def sign(anchor: Anchor, key: Ed25519PrivateKey) -> bytes:
    """The message published to the anchor topic: the statement and its signature."""
    signature = key.sign(anchor.statement())
    return json.dumps({"statement": anchor.statement().decode(), "signature": base64.b64encode(signature).decode()},
                      sort_keys=True).encode()


def open_anchor(message: bytes, key: Ed25519PublicKey) -> Anchor:
    """The anchor in `message`, or BadAnchor when it is malformed or its signature does not hold."""
    try:
        outer = json.loads(message)
        statement = outer["statement"].encode()
        signature = base64.b64decode(outer["signature"], validate=True)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BadAnchor(f"malformed anchor message ({type(exc).__name__})") from None
    try:
        key.verify(signature, statement)
    except InvalidSignature:
        raise BadAnchor("anchor signature does not verify with the configured key") from None
    body = json.loads(statement)
    if body.get("format") != FORMAT:
        raise BadAnchor(f"anchor format is not {FORMAT}")
    return Anchor(int(body["seq"]), bytes.fromhex(body["hash"]), datetime.fromisoformat(body["signed_at"]))


def check_anchors(anchors: list[Anchor], hash_at: dict[int, bytes], head_seq: int) -> tuple[int, Break | None]:
    """Compare the trail with the anchors (any order): how many held, and the first record that
    differs from its anchor, or is missing although it was anchored.

    A rewrite of the tail together with the head keeps the chain whole, so the chain alone cannot
    show it; the anchored hashes can. The named record is the first anchored one that differs: the
    rewrite began at or before it, after the last anchored record that still matches.
    """
    held, last_good = 0, 0
    for anchor in sorted(anchors, key=lambda a: a.seq):
        stored = hash_at.get(anchor.seq)
        signed = anchor.signed_at.astimezone(UTC).isoformat(timespec="seconds")
        if anchor.seq > head_seq or stored is None:
            return held, Break(min(anchor.seq, head_seq + 1), None,
                               f"missing: record {anchor.seq} was anchored at {signed} but the trail ends at "
                               f"record {head_seq}")
        if stored != anchor.hash:
            return held, Break(anchor.seq, None,
                               f"rewritten: its hash differs from the anchor signed at {signed} "
                               f"(the last anchored record that matches is {last_good})")
        held, last_good = held + 1, anchor.seq
    return held, None
