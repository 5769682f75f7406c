"""SMS through a provider's HTTP API, with an idempotency key per send and receipts by callback.

The protocol (the local gateway in `deploy/smsgateway.py` speaks it, a production adapter maps it
onto its provider): `POST {base}/v1/messages` with `Authorization: Bearer <key>`, `Idempotency-Key:
<notification id>` and `{"to", "from", "text", "callback_url", "reference"}`; `202 {"id",
"segments", "encoding"}`. The same key again returns the first answer and sends nothing, so a
retry after a timeout or a crash cannot send twice. Receipts arrive at `callback_url` as `{"id",
"reference", "status": "delivered" | "failed", "error"}`, signed `X-Signature: sha256=<hex HMAC
of the body>` with the shared callback secret.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from uuid import UUID

import httpx

from notifications.adapters.errors import SendFailed


@dataclass(frozen=True)
class Accepted:
    provider_ref: str
    segments: int
    encoding: str


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    return bool(secret) and header is not None and hmac.compare_digest(sign(secret, body), header)


class SmsGateway:
    def __init__(self, base_url: str, api_key: str, *, sender: str, callback_url: str, timeout: float,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.sender, self.callback_url = sender, callback_url
        self._http = httpx.AsyncClient(base_url=base_url, timeout=timeout, transport=transport,
                                       headers={"Authorization": f"Bearer {api_key}"})

    async def send(self, notification_id: UUID, to: str, text: str) -> Accepted:
        body = {"to": to, "from": self.sender, "text": text, "callback_url": self.callback_url,
                "reference": str(notification_id)}
        try:
            resp = await self._http.post("/v1/messages", json=body, headers={"Idempotency-Key": str(notification_id)})
        except httpx.TimeoutException:
            raise SendFailed("provider_unavailable", "timeout", permanent=False) from None
        except httpx.HTTPError as exc:
            raise SendFailed("provider_unavailable", type(exc).__name__, permanent=False) from None
        if resp.status_code in (200, 201, 202):
            data = resp.json()
            return Accepted(str(data["id"]), int(data["segments"]), str(data["encoding"]))
        permanent = 400 <= resp.status_code < 500 and resp.status_code not in (401, 403, 408, 409, 425, 429)
        raise SendFailed("rejected_by_provider" if permanent else "provider_unavailable",
                         f"gateway answered {resp.status_code}", permanent=permanent)

    async def close(self) -> None:
        await self._http.aclose()
