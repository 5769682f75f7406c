"""The personal-data vault's cryptography: envelope encryption and blind indexes.

Each client's personal data is encrypted under its own random data key (AES-256-GCM, the client id
as associated data, so a blob copied onto another client's row does not decrypt). The data key is
stored wrapped under a master key from settings; erasing a client deletes its wrapped data key,
which makes every copy of its ciphertext (backups included) unreadable. Duplicate matching looks up
HMAC digests (blind indexes) instead of plaintext, so the database never holds a searchable name.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import unicodedata
from collections.abc import Sequence
from datetime import date
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

KEY_BYTES = 32
_NONCE_BYTES = 12
_KEY_ID = re.compile(r"[a-z0-9]{1,16}")


class MasterKeyring:
    """The master keys, newest first: data keys are wrapped under the first, unwrapped under any.

    Wrapping is AES key wrap (RFC 3394, `aes_key_wrap`) rather than AES-GCM: it is the construction
    made for exactly this job (a 32-byte key under a 32-byte key), deterministic with no nonce to
    manage or exhaust, and its built-in integrity check fails on a wrong key or a damaged value.
    Rotation: put the new key first; rows keep their key id, so older keys stay until re-wrapped.
    """

    def __init__(self, keys: Sequence[tuple[str, bytes]]) -> None:
        if not keys:
            raise ValueError("a master keyring needs at least one key")
        self._keys = dict(keys)
        if len(self._keys) != len(keys):
            raise ValueError("master key ids must be unique")
        if not all(_KEY_ID.fullmatch(kid) and len(key) == KEY_BYTES for kid, key in keys):
            raise ValueError(f"master keys need ids matching {_KEY_ID.pattern} and {KEY_BYTES} bytes of key")
        self.current_id: str = keys[0][0]

    @classmethod
    def from_setting(cls, value: str) -> MasterKeyring:
        """Parse `"k2:<base64 of 32 bytes>,k1:<base64>"`; errors name the entry, never its key."""
        entries = [entry.strip() for entry in value.split(",")] if value.strip() else []
        if not entries:
            raise ValueError("the master key setting is empty; expected id:base64-key[,id:base64-key...]")
        return cls([_parse_entry(number, entry) for number, entry in enumerate(entries, start=1)])

    def wrap(self, data_key: bytes) -> tuple[str, bytes]:
        """(id of the current master key, the data key wrapped under it)."""
        if len(data_key) != KEY_BYTES:
            raise ValueError(f"a data key is {KEY_BYTES} bytes, not {len(data_key)}")
        return self.current_id, aes_key_wrap(self._keys[self.current_id], data_key)

    def unwrap(self, key_id: str, wrapped: bytes) -> bytes:
        key = self._keys.get(key_id)
        if key is None:
            named = repr(key_id) if isinstance(key_id, str) and _KEY_ID.fullmatch(key_id) else "(malformed)"
            raise VaultKeyError(f"no master key with id {named}; known ids: {', '.join(self._keys)}")
        try:
            return aes_key_unwrap(key, wrapped)
        except InvalidUnwrap:
            raise VaultKeyError(f"the data key does not unwrap under master key {key_id!r}: wrong key or damaged"
                                ) from None

    def __repr__(self) -> str:  # never show key material, not even in a traceback's locals
        return f"MasterKeyring(ids={list(self._keys)})"


def _parse_entry(number: int, entry: str) -> tuple[str, bytes]:
    kid, sep, encoded = entry.partition(":")
    if not sep:
        raise ValueError(f"master key entry {number} is not of the form id:base64-key")
    kid = kid.strip()
    if not _KEY_ID.fullmatch(kid):
        raise ValueError(f"master key entry {number}: the id must match ^{_KEY_ID.pattern}$")
    try:
        key = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"master key {kid!r} is not valid base64") from None
    if len(key) != KEY_BYTES:
        raise ValueError(f"master key {kid!r} must be {KEY_BYTES} bytes, not {len(key)}")
    return kid, key


def new_data_key() -> bytes:
    """A fresh key for one client's personal data."""
    return os.urandom(KEY_BYTES)


def encrypt(data_key: bytes, plaintext: bytes, *, client_id: UUID) -> bytes:
    """nonce || AES-256-GCM(plaintext), bound to `client_id`."""
    nonce = os.urandom(_NONCE_BYTES)
    return nonce + AESGCM(data_key).encrypt(nonce, plaintext, client_id.bytes)


def decrypt(data_key: bytes, blob: bytes, *, client_id: UUID) -> bytes:
    try:
        return AESGCM(data_key).decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], client_id.bytes)
    except (InvalidTag, ValueError):  # ValueError: a blob too short to hold a nonce
        raise VaultDataError(f"personal data of client {client_id} does not decrypt: wrong key, wrong client "
                             "or damaged") from None


class BlindIndex:
    """Keyed digests of normalised values: equal inputs match, the database cannot reverse them."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"the blind index key must be {KEY_BYTES} bytes, not {len(key)}")
        self._key = key

    @classmethod
    def from_setting(cls, value: str) -> BlindIndex:
        try:
            key = base64.b64decode(value.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("the blind index key is not valid base64") from None
        return cls(key)

    def digest(self, kind: str, value: str) -> bytes:
        """HMAC-SHA256(key, kind NUL value); `kind` separates indexes so digests never cross-match."""
        if "\x00" in kind:
            raise ValueError("a blind index kind must not contain NUL")
        return hmac.new(self._key, f"{kind}\x00{value}".encode(), hashlib.sha256).digest()

    def __repr__(self) -> str:
        return "BlindIndex(key=<hidden>)"


def identity_code_key(code: str) -> str:
    """A personal identity code as matched: upper-case, without surrounding whitespace."""
    return code.strip().upper()


def name_birth_municipality_key(name: str, date_of_birth: date, municipality: str) -> str:
    """Name, birth date and municipality as matched, deliberately loosely.

    Case, accents, spacing, invisible characters and the order of name words are ignored, so
    "Müller  ANNA" matches "anna muller". This only flags a *possible* duplicate for an officer to
    resolve, so a false match costs a look while a missed one costs a second client record.
    """
    words = _loose(name).split()
    if not words:
        raise ValueError("the name is empty once normalised")
    return "\x1f".join((" ".join(sorted(words)), date_of_birth.isoformat(), " ".join(_loose(municipality).split())))


def _loose(text: str) -> str:
    # NFKC folds compatibility forms (full-width letters, ligatures), casefold handles ß and Σ; NFD then
    # splits accents off their letters so combining marks (Mn) go, as do format characters (Cf: the
    # zero-width joiners and direction marks that copy-pasted Arabic or Persian text carries). In
    # scripts such as Arabic (harakat) or Thai (some vowel signs and tone marks) this drops marks
    # that writers often omit anyway: looser, never empty, as long as base letters remain.
    folded = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", text).casefold())
    kept = "".join(c for c in folded if unicodedata.category(c) not in ("Mn", "Cf", "Cc") or c.isspace())
    return unicodedata.normalize("NFC", kept)


class VaultError(Exception):
    """The vault cannot read what it stored; messages name ids, never keys or personal data."""


class VaultKeyError(VaultError):
    """A wrapped data key that no master key in the keyring opens."""


class VaultDataError(VaultError):
    """A blob that does not decrypt under the data key for the client it is stored with."""
