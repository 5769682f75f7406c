"""The credentials table `api_credentials`: issue, list, revoke and rotate."""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg

from backbone.auth.models import CredentialInfo, IssuedCredential, UnknownCredential
from backbone.auth.roles import check_label, check_principal_and_role
from backbone.auth.tokens import format_token, hash_secret, new_key_id, new_secret

Db = asyncpg.Connection | asyncpg.Pool
_INFO = "key_id, principal, role, label, created_at, expires_at, revoked_at, last_used_at"


def _check_aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"{name}: must carry a time zone")
    return moment


async def issue(conn: Db, *, principal: str, role: str, label: str, now: datetime,
                expires_at: datetime | None = None) -> IssuedCredential:
    """Store a new credential and return it with its token, which cannot be recovered later."""
    check_principal_and_role(principal, role)
    label = check_label(label)
    _check_aware(now, "now")
    if expires_at is not None and _check_aware(expires_at, "expires_at") <= now:
        raise ValueError("expires_at: must be later than now")
    key_id, secret = new_key_id(), new_secret()
    await conn.execute(
        "INSERT INTO api_credentials (key_id, principal, role, label, secret_hash, created_at, expires_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7)", key_id, principal, role, label, hash_secret(secret), now, expires_at)
    return IssuedCredential(key_id, principal, role, expires_at, token=format_token(key_id, secret))


async def revoke(conn: Db, key_id: str, *, now: datetime) -> bool:
    """Revoke the credential; False when there is no such credential or it was revoked already."""
    revoked = await conn.fetchval("UPDATE api_credentials SET revoked_at = $2 WHERE key_id = $1 "
                                  "AND revoked_at IS NULL RETURNING true", key_id, _check_aware(now, "now"))
    return bool(revoked)


async def list_credentials(conn: Db) -> list[CredentialInfo]:
    rows = await conn.fetch(f"SELECT {_INFO} FROM api_credentials ORDER BY principal, role, created_at, key_id")
    return [CredentialInfo(**row) for row in rows]


async def get_credential(conn: Db, key_id: str) -> CredentialInfo | None:
    row = await conn.fetchrow(f"SELECT {_INFO} FROM api_credentials WHERE key_id = $1", key_id)
    return None if row is None else CredentialInfo(**row)


async def rotate(conn: asyncpg.Connection, key_id: str, *, now: datetime, overlap: timedelta,
                 expires_at: datetime | None = None) -> IssuedCredential:
    """Issue a successor with the same principal, role and label; the old one ends at `now + overlap`.

    Both work during the overlap, so the holder can switch without downtime. The successor lives as
    long as the old one was issued for (for ever, if it had no expiry) unless `expires_at` is given.
    Only an active credential is rotated: a revoked one may have leaked; replace an expired one by `issue`.
    """
    if overlap < timedelta(0):
        raise ValueError("overlap: must not be negative")
    async with conn.transaction():
        row = await conn.fetchrow(f"SELECT {_INFO} FROM api_credentials WHERE key_id = $1 FOR UPDATE", key_id)
        if row is None:
            raise UnknownCredential(key_id)
        old = CredentialInfo(**row)
        if (state := old.state(now)) != "active":
            raise ValueError(f"key_id: credential {key_id} is {state}; issue a new one instead")
        if expires_at is None and old.expires_at is not None:
            expires_at = now + (old.expires_at - old.created_at)
        new = await issue(conn, principal=old.principal, role=old.role, label=old.label, now=now,
                          expires_at=expires_at)
        await conn.execute("UPDATE api_credentials SET expires_at = LEAST(COALESCE(expires_at, 'infinity'), "
                           "GREATEST(created_at, $2)) WHERE key_id = $1", key_id, now + overlap)
    return new
