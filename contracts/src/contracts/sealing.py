"""Sealed boxes: the personal part of an ingress message, readable only by intake.

An organisation seals to intake's published X25519 key; only holders of the private key can open
the box, so the bus, its logs and its dead letters carry ciphertext. The format is part of the
contract between organisations and intake:

    v1.<key id>.<base64url(ephemeral public key || nonce || AES-256-GCM ciphertext and tag)>

The key is derived by HKDF-SHA256 from an X25519 exchange with a fresh ephemeral key (salt =
ephemeral public || recipient public, info = b"backbone-seal-v1" || context), and `context` is
also the AEAD's associated data. Intake passes the message id as context, so a box lifted from one
message does not open inside another. The key id lets intake rotate keys: it keeps the old private
keys until no sender seals to them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from contracts.errors import ContractError

VERSION = "v1"
_INFO = b"backbone-seal-v1"
_KEY_BYTES = 32
_NONCE_BYTES = 12
_TAG_BYTES = 16
_TOKEN = re.compile(r"v1\.([0-9a-f]{16})\.([A-Za-z0-9_-]+)")


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
    """Seal `plaintext` to the holder of `public_b64`'s private key, bound to `context`."""
    recipient = _raw(public_b64, "public key")
    ephemeral = X25519PrivateKey.generate()
    ephemeral_pub = ephemeral.public_key().public_bytes_raw()
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient))
    nonce = os.urandom(_NONCE_BYTES)
    ciphertext = AESGCM(_derive(shared, ephemeral_pub, recipient, context)).encrypt(nonce, plaintext, context)
    body = base64.urlsafe_b64encode(ephemeral_pub + nonce + ciphertext).rstrip(b"=").decode("ascii")
    return f"{VERSION}.{_id(recipient)}.{body}"


def open_sealed(private_keys: Sequence[str], token: str, *, context: bytes) -> bytes:
    """Open a token sealed to one of `private_keys` (current first, then older ones) for `context`."""
    wanted, blob = _parse(token)
    for private_b64 in private_keys:
        private = _private(private_b64)
        recipient = private.public_key().public_bytes_raw()
        if _id(recipient) == wanted:
            return _open(private, recipient, blob, context)
    raise SealError(f"sealed with key id {wanted}, which is not among intake's {len(private_keys)} ingress keys")


def _open(private: X25519PrivateKey, recipient: bytes, blob: bytes, context: bytes) -> bytes:
    ephemeral_pub, nonce = blob[:_KEY_BYTES], blob[_KEY_BYTES:_KEY_BYTES + _NONCE_BYTES]
    try:
        shared = private.exchange(X25519PublicKey.from_public_bytes(ephemeral_pub))
        key = _derive(shared, ephemeral_pub, recipient, context)
        return AESGCM(key).decrypt(nonce, blob[_KEY_BYTES + _NONCE_BYTES:], context)
    except (InvalidTag, ValueError):  # ValueError: a low-order ephemeral key, no shared secret
        raise SealError("the sealed part cannot be opened: tampered with, sealed with another key "
                        "or for another message") from None


def _parse(token: str) -> tuple[str, bytes]:
    if not isinstance(token, str) or not token.startswith(VERSION + "."):
        raise SealError(f"not a sealed token: it must start with {VERSION!r} followed by a dot")
    match = _TOKEN.fullmatch(token)
    if match is None:
        raise SealError(f"malformed sealed token: expected {VERSION}.<16 hex digits>.<base64url>")
    try:
        blob = base64.urlsafe_b64decode(match[2] + "=" * (-len(match[2]) % 4))
    except (binascii.Error, ValueError):
        raise SealError("malformed sealed token: its body is not valid base64url") from None
    if len(blob) < _KEY_BYTES + _NONCE_BYTES + _TAG_BYTES:
        raise SealError(f"malformed sealed token: its body is {len(blob)} bytes, shorter than any sealed box")
    return match[1], blob


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


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


class SealError(ContractError):
    """A sealed part that cannot be opened; the message says why, never what it holds."""

    code = "unreadable_sealed_part"
