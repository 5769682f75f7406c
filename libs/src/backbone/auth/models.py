"""What the credentials table holds and hands out: callers, new credentials, listed credentials."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

State = Literal["active", "expired", "revoked"]


@dataclass(frozen=True)
class Caller:
    """Who is calling: the principal, its role and the credential that proved it."""

    principal: str
    role: str
    key_id: str

    @property
    def actor(self) -> str:
        """The `actor` of events this caller causes: the key id, pseudonymous, never a person's name.

        `api_credentials.label` tells which system or desk it belongs to.
        """
        return self.key_id

    @property
    def provider_code(self) -> str | None:
        """The provider's code for a caller in the `provider` role (principal `provider:<code>`), else None."""
        return self.principal.removeprefix("provider:") if self.role == "provider" else None


@dataclass(frozen=True)
class IssuedCredential:
    """A new credential; `token` exists only here, so hand it over and drop it."""

    key_id: str
    principal: str
    role: str
    expires_at: datetime | None
    token: str = field(repr=False)


@dataclass(frozen=True)
class CredentialInfo:
    """A credential as listed: everything but its secret."""

    key_id: str
    principal: str
    role: str
    label: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    def state(self, now: datetime) -> State:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and now >= self.expires_at:
            return "expired"
        return "active"


class UnknownCredential(LookupError):
    def __init__(self, key_id: str) -> None:
        super().__init__(f"no credential with key id {key_id!r}")
