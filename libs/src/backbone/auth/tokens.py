"""Tokens: `bb_<key_id>_<secret>`, and the SHA-256 of the secret that is all the table keeps."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string

KEY_ID_LENGTH = 12
SECRET_BYTES = 32
_KEY_ID_ALPHABET = string.ascii_letters + string.digits
# The key id has a fixed length and no "_", so a token splits one way only, although the secret
# (url-safe base64 of 32 bytes: 43 characters) may itself contain "_" and "-".
_TOKEN = re.compile(r"bb_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{43})")
TOKEN_FORMAT = "bb_<key_id>_<secret>"


def new_key_id() -> str:
    return "".join(secrets.choice(_KEY_ID_ALPHABET) for _ in range(KEY_ID_LENGTH))


def new_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def format_token(key_id: str, secret: str) -> str:
    token = f"bb_{key_id}_{secret}"
    if parse_token(token) != (key_id, secret):
        raise ValueError(f"token: a key id of {KEY_ID_LENGTH} letters or digits and a 43-character secret needed")
    return token


def parse_token(token: str) -> tuple[str, str] | None:
    """`(key_id, secret)`, or None when `token` is not `bb_<key_id>_<secret>` exactly."""
    match = _TOKEN.fullmatch(token)
    return (match[1], match[2]) if match else None


def hash_secret(secret: str) -> bytes:
    # SHA-256 without salt or stretching is enough here: the secret is 256 random bits, not a
    # password, so there is no dictionary to try; a slow hash would only slow every request.
    return hashlib.sha256(secret.encode()).digest()


def secret_matches(secret: str, secret_hash: bytes) -> bool:
    return hmac.compare_digest(hash_secret(secret), secret_hash)
