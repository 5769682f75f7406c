"""Contact details from intake, at send time: `POST /internal/contacts` with notifications' `service`
credential, the clients of a dispatch round in one request, each with the purpose of its read
(intake logs every read). Held in memory until that client's send is done; never stored, logged or
put on the bus."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from uuid import UUID

import httpx

from notifications.adapters.errors import ClientGone, SendFailed


@dataclass(frozen=True)
class Contact:
    name: str = field(repr=False)
    email: str | None = field(repr=False)
    phone: str | None = field(repr=False)
    address: dict | None = field(repr=False)
    languages: tuple[str, ...] = ()
    interpreter_needed: bool = False

    def reachable_by(self, channel: str) -> bool:
        return bool({"email": self.email, "sms": self.phone, "letter": self.address}[channel])


MAX_READS = 100  # per request: what intake's route takes


class IntakeContacts:
    def __init__(self, base_url: str, token: str, *, timeout: float = 10.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._http = httpx.AsyncClient(base_url=base_url, timeout=timeout, transport=transport,
                                       headers={"Authorization": f"Bearer {token}"})

    async def contacts(self, reads: Iterable[tuple[UUID, str]]) -> dict[UUID, Contact | None]:
        """Each (client, purpose) read; None for a client intake has no personal data of (erased).
        Raises `SendFailed` (temporary) when intake cannot answer."""
        reads = list(reads)
        found: dict[UUID, Contact | None] = {}
        for i in range(0, len(reads), MAX_READS):
            body = {"reads": [{"client_id": str(c), "purpose": p} for c, p in reads[i:i + MAX_READS]]}
            try:
                resp = await self._http.post("/internal/contacts", json=body)
            except httpx.HTTPError as exc:
                raise SendFailed("provider_unavailable", f"intake unreachable ({type(exc).__name__})",
                                 permanent=False) from None
            if resp.status_code != 200:
                # 401/403: our credential is wrong or revoked; an operator fixes it, the messages wait.
                raise SendFailed("provider_unavailable", f"intake answered {resp.status_code}", permanent=False)
            answer = resp.json()
            for c in answer["contacts"]:
                found[UUID(c["client_id"])] = Contact(
                    c["name"], c.get("email"), c.get("phone"), c.get("address"), tuple(c.get("languages") or ()),
                    bool(c.get("interpreter_needed")))
            found.update({UUID(c): None for c in answer["not_found"]})
        return found

    async def contact(self, client_id: UUID, purpose: str) -> Contact:
        """One client's contact details (a letter being printed); `ClientGone` when intake has none."""
        found = (await self.contacts([(client_id, purpose)])).get(client_id)
        if found is None:
            raise ClientGone(str(client_id))
        return found

    async def close(self) -> None:
        await self._http.aclose()
