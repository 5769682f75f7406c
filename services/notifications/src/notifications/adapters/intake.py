"""Contact details from intake, at send time: `GET /internal/clients/{id}/contact` with notifications'
`service` credential and the purpose of the read (intake logs every read). Held in memory for one
send only; never stored, logged or put on the bus."""

from __future__ import annotations

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


class IntakeContacts:
    def __init__(self, base_url: str, token: str, *, timeout: float = 10.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._http = httpx.AsyncClient(base_url=base_url, timeout=timeout, transport=transport,
                                       headers={"Authorization": f"Bearer {token}"})

    async def contact(self, client_id: UUID, purpose: str) -> Contact:
        try:
            resp = await self._http.get(f"/internal/clients/{client_id}/contact", headers={"X-Purpose": purpose})
        except httpx.HTTPError as exc:
            raise SendFailed("provider_unavailable", f"intake unreachable ({type(exc).__name__})",
                             permanent=False) from None
        if resp.status_code == 404:
            raise ClientGone(str(client_id))
        if resp.status_code != 200:
            # 401/403: our credential is wrong or revoked; an operator fixes it, the message waits.
            raise SendFailed("provider_unavailable", f"intake answered {resp.status_code}", permanent=False)
        body = resp.json()
        return Contact(body["name"], body.get("email"), body.get("phone"), body.get("address"),
                       tuple(body.get("languages") or ()), bool(body.get("interpreter_needed")))

    async def close(self) -> None:
        await self._http.aclose()
