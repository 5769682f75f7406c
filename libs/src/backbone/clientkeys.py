"""Per-client keys for the free text a service keeps about a client (notes, reasons in words).

The same envelope encryption as intake's vault (`backbone.crypto`): each client's text is encrypted
under the client's own data key (AES-256-GCM, bound to the client id), and the data key is stored
wrapped under the service's master keyring. `shred` deletes the key and leaves a tombstone, so every
copy of that client's ciphertext, backups included, becomes unreadable and no new key is ever made
for the client. Sealing locks the key row (FOR SHARE) until its transaction ends, so a concurrent
shred waits and an erasure can never be undone by a write that raced it.

Tables: `backbone.parts.CLIENT_KEYS`; pass it to `create_service_app(parts=...)`.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg

from backbone import crypto


class ClientShredded(Exception):
    """The client's key was shredded (erasure): nothing more may be stored for them."""

    def __init__(self, client_id: UUID) -> None:
        self.client_id = client_id
        super().__init__(f"client {client_id} is erased: no personal data may be stored for it")


class ClientKeys:
    """Encrypt and decrypt one client's text; shred the client's key on erasure."""

    def __init__(self, keyring: crypto.MasterKeyring) -> None:
        self._keyring = keyring

    @classmethod
    def from_setting(cls, value: str) -> ClientKeys:
        """`value` is the master key setting, `"k2:<base64>,k1:<base64>"` (newest first)."""
        return cls(crypto.MasterKeyring.from_setting(value))

    async def seal(self, conn: asyncpg.Connection, client_id: UUID, text: str) -> bytes:
        """The ciphertext of `text` for this client; call inside the transaction that stores it."""
        key = await self._key_for_writing(conn, client_id)
        return crypto.encrypt(key, text.encode("utf-8"), client_id=client_id)

    async def open(self, conn: asyncpg.Connection, client_id: UUID, blob: bytes) -> str | None:
        """The text, or None once the client's key is shredded."""
        row = await conn.fetchrow("SELECT master_key_id, wrapped_key FROM client_keys WHERE client_id = $1",
                                  client_id)
        if row is None or row["wrapped_key"] is None:
            return None
        key = self._keyring.unwrap(row["master_key_id"], row["wrapped_key"])
        return crypto.decrypt(key, blob, client_id=client_id).decode("utf-8")

    async def shred(self, conn: asyncpg.Connection, client_id: UUID) -> bool:
        """Delete the client's key for good and leave a tombstone; True if a live key was destroyed.
        Idempotent, and a client never seen before is tombstoned too (an erasure may arrive first)."""
        destroyed = await conn.fetchval(
            """UPDATE client_keys SET master_key_id = NULL, wrapped_key = NULL, shredded_at = now()
               WHERE client_id = $1 AND wrapped_key IS NOT NULL RETURNING client_id""", client_id)
        await conn.execute("""INSERT INTO client_keys (client_id, shredded_at) VALUES ($1, now())
                              ON CONFLICT (client_id) DO NOTHING""", client_id)
        return destroyed is not None

    async def is_shredded(self, conn: asyncpg.Connection, client_id: UUID) -> bool:
        return bool(await conn.fetchval("SELECT shredded_at IS NOT NULL FROM client_keys WHERE client_id = $1",
                                        client_id))

    async def rewrap(self, conn: asyncpg.Connection) -> int:
        """Re-wrap every live key under the current master key (after a rotation); returns the count."""
        rows = await conn.fetch("""SELECT client_id, master_key_id, wrapped_key FROM client_keys
                                   WHERE wrapped_key IS NOT NULL AND master_key_id <> $1 FOR UPDATE""",
                                self._keyring.current_id)
        for row in rows:
            kid, wrapped = self._keyring.wrap(self._keyring.unwrap(row["master_key_id"], row["wrapped_key"]))
            await conn.execute("UPDATE client_keys SET master_key_id = $2, wrapped_key = $3 WHERE client_id = $1",
                               row["client_id"], kid, wrapped)
        return len(rows)

    async def _key_for_writing(self, conn: asyncpg.Connection, client_id: UUID) -> bytes:
        kid, wrapped = self._keyring.wrap(crypto.new_data_key())
        await conn.execute("""INSERT INTO client_keys (client_id, master_key_id, wrapped_key)
                              VALUES ($1, $2, $3) ON CONFLICT (client_id) DO NOTHING""", client_id, kid, wrapped)
        row = await conn.fetchrow("SELECT master_key_id, wrapped_key FROM client_keys WHERE client_id = $1 FOR SHARE",
                                  client_id)
        if row["wrapped_key"] is None:
            raise ClientShredded(client_id)
        return self._keyring.unwrap(row["master_key_id"], row["wrapped_key"])

    def __repr__(self) -> str:
        return f"ClientKeys({self._keyring!r})"
