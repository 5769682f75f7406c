"""Sealed boxes: the personal part of an ingress message, readable only by intake.

An organisation seals to intake's published X25519 key; only holders of the private key can open
the box, so the bus, its logs and its dead letters carry ciphertext. The format is part of the
contract between organisations and intake:

    v2.<key id>.<base64url(enc || ciphertext and tag)>

`v2` is standard HPKE (RFC 9180) in base mode with the suite DHKEM(X25519, HKDF-SHA256) (KEM
0x0020), HKDF-SHA256 (KDF 0x0001) and AES-256-GCM (AEAD 0x0002), single-shot: `enc` is the 32-byte
encapsulated key, `info` is the message's context (`ingress:<message id>`, see
`contracts.ingress.sealing_context`) and the AAD is empty. Any RFC 9180 library (Tink, Bouncy
Castle, .NET, Go's crypto/hpke) seals it; docs/seal-test-vectors.json holds vectors to check one
against. The message id in `info` means a box lifted from one message does not open inside another.
The key id (first 8 bytes of SHA-256 of the raw public key, hex) lets intake rotate keys: it keeps
the old private keys until no sender seals to them.

`v1` is the earlier construction of our own (X25519 + HKDF-SHA256 with salt = ephemeral public ||
recipient public and info = b"backbone-seal-v1" || context, AES-256-GCM with context as AAD):

    v1.<key id>.<base64url(ephemeral public key || nonce || AES-256-GCM ciphertext and tag)>

Intake still OPENS v1 so that messages already on the ingress topics (kept 30 days,
`contracts.topics.INGRESS_RETENTION_MS`) and senders mid-migration keep working; nothing here seals
v1 any more except `seal_v1`, kept for tests. DROP v1 (`_open_v1`, `seal_v1`, `_derive`, the `v1`
branch of `open_sealed`) in the first release made 30 days after the release that introduced v2 and
after every organisation's sender has switched: by then no v1 token can still be on the bus.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from contracts.errors import ContractError

VERSION = "v2"
LEGACY_VERSIONS = ("v1",)
"""Versions intake still opens but nobody should seal any more (see the module docstring for when to drop)."""
SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
SUITE_DESCRIPTION: dict[str, str | int] = {
    "standard": "HPKE, RFC 9180", "mode": "base",
    "kem": "DHKEM(X25519, HKDF-SHA256)", "kem_id": 0x0020,
    "kdf": "HKDF-SHA256", "kdf_id": 0x0001,
    "aead": "AES-256-GCM", "aead_id": 0x0002,
}
"""The suite of `VERSION`, as intake publishes it with its key (GET /ingress/public-key)."""
_INFO = b"backbone-seal-v1"
_KEY_BYTES = 32
_NONCE_BYTES = 12
_TAG_BYTES = 16
_TOKEN = re.compile(r"(v1|v2)\.([0-9a-f]{16})\.([A-Za-z0-9_-]+)")


def generate_private_key() -> str:
    """A new X25519 private key: base64 of its 32 raw bytes."""
    return _b64(X25519PrivateKey.generate().private_bytes_raw())


def public_key(private_b64: str) -> str:
    """The public key (base64 of 32 raw bytes) that senders seal to."""
    return _b64(_private(private_b64).public_key().public_bytes_raw())


def key_id(public_b64: str) -> str:
    """The first 8 bytes of SHA-256 of the raw public key, in hex: names the key in every token."""
    return _id(_raw(public_b64, "public key"))


def seal(public_b64: str, plaintext: bytes, *, context: bytes) -> str:
    """Seal `plaintext` to the holder of `public_b64`'s private key with HPKE, `context` as `info` (v2)."""
    recipient = _raw(public_b64, "public key")
    sealed = SUITE.encrypt(plaintext, X25519PublicKey.from_public_bytes(recipient), info=context)
    return f"{VERSION}.{_id(recipient)}.{_b64url(sealed)}"


def seal_v1(public_b64: str, plaintext: bytes, *, context: bytes) -> str:
    """The legacy v1 seal, for tests of the 30 days intake still opens it; drop it with v1."""
    recipient = _raw(public_b64, "public key")
    ephemeral = X25519PrivateKey.generate()
    ephemeral_pub = ephemeral.public_key().public_bytes_raw()
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient))
    nonce = os.urandom(_NONCE_BYTES)
    ciphertext = AESGCM(_derive(shared, ephemeral_pub, recipient, context)).encrypt(nonce, plaintext, context)
    return f"v1.{_id(recipient)}.{_b64url(ephemeral_pub + nonce + ciphertext)}"


def open_sealed(private_keys: Sequence[str], token: str, *, context: bytes) -> bytes:
    """Open a token sealed to one of `private_keys` (current first, then older ones) for `context`."""
    version, wanted, blob = _parse(token)
    for private_b64 in private_keys:
        private = _private(private_b64)
        recipient = private.public_key().public_bytes_raw()
        if _id(recipient) == wanted:
            return _open(private, blob, context) if version == VERSION else _open_v1(private, recipient, blob, context)
    raise SealError(f"sealed with key id {wanted}, which is not among intake's {len(private_keys)} ingress keys")


def _open(private: X25519PrivateKey, blob: bytes, context: bytes) -> bytes:
    try:
        return SUITE.decrypt(blob, private, info=context)
    except (InvalidTag, ValueError):  # ValueError: a low-order or malformed encapsulated key
        raise SealError("the sealed part cannot be opened: tampered with, sealed with another key "
                        "or for another message") from None


def _open_v1(private: X25519PrivateKey, recipient: bytes, blob: bytes, context: bytes) -> bytes:
    ephemeral_pub, nonce = blob[:_KEY_BYTES], blob[_KEY_BYTES:_KEY_BYTES + _NONCE_BYTES]
    try:
        shared = private.exchange(X25519PublicKey.from_public_bytes(ephemeral_pub))
        key = _derive(shared, ephemeral_pub, recipient, context)
        return AESGCM(key).decrypt(nonce, blob[_KEY_BYTES + _NONCE_BYTES:], context)
    except (InvalidTag, ValueError):  # ValueError: a low-order ephemeral key, no shared secret
        raise SealError("the sealed part cannot be opened: tampered with, sealed with another key "
                        "or for another message") from None


def _parse(token: str) -> tuple[str, str, bytes]:
    if not isinstance(token, str) or not token.startswith(tuple(f"{v}." for v in (VERSION, *LEGACY_VERSIONS))):
        raise SealError(f"not a sealed token: it must start with {VERSION!r} followed by a dot")
    match = _TOKEN.fullmatch(token)
    if match is None:
        raise SealError(f"malformed sealed token: expected {VERSION}.<16 hex digits>.<base64url>")
    try:
        blob = base64.urlsafe_b64decode(match[3] + "=" * (-len(match[3]) % 4))
    except (binascii.Error, ValueError):
        raise SealError("malformed sealed token: its body is not valid base64url") from None
    shortest = _KEY_BYTES + _TAG_BYTES + (_NONCE_BYTES if match[1] == "v1" else 0)
    if len(blob) < shortest:
        raise SealError(f"malformed sealed token: its body is {len(blob)} bytes, shorter than any sealed box")
    return match[1], match[2], blob


def _derive(shared: bytes, ephemeral_pub: bytes, recipient: bytes, context: bytes) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=_KEY_BYTES, salt=ephemeral_pub + recipient, info=_INFO + context)
    return hkdf.derive(shared)


def _id(raw_public: bytes) -> str:
    return hashlib.sha256(raw_public).digest()[:8].hex()


def _private(private_b64: str) -> X25519PrivateKey:
    return X25519PrivateKey.from_private_bytes(_raw(private_b64, "private key"))


def _raw(value: str, what: str) -> bytes:
    """Configuration, not message content: a bad key is a ValueError that never echoes the key."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise ValueError(f"the X25519 {what} is not valid base64") from None
    if len(raw) != _KEY_BYTES:
        raise ValueError(f"the X25519 {what} must be {_KEY_BYTES} bytes, not {len(raw)}")
    return raw


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


class SealError(ContractError):
    """A sealed part that cannot be opened; the message says why, never what it holds."""

    code = "unreadable_sealed_part"
