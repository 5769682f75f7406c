"""Ask the service that owns a dead letter to re-deliver it: `POST <service>/admin/dead-letters/redrive`."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

OUTCOMES = ("applied", "already-applied", "dead-lettered-again")


@dataclass(frozen=True)
class RedriveAnswer:
    outcome: str  # one of OUTCOMES, or not-found / not-redrivable / unavailable / refused / unreachable / error
    detail: str


async def redrive(base_url: str, token: str, partition: int, offset: int, timeout_s: float = 30.0) -> RedriveAnswer:
    try:
        async with httpx.AsyncClient(timeout=timeout_s) as client:
            resp = await client.post(f"{base_url.rstrip('/')}/admin/dead-letters/redrive",
                                     json={"partition": partition, "offset": offset},
                                     headers={"Authorization": f"Bearer {token}"})
    except httpx.HTTPError as exc:
        return RedriveAnswer("unreachable", f"the service did not answer ({type(exc).__name__})")
    try:
        body = resp.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    detail = str(body.get("detail") or "")[:500]  # the service's words: they name rules and fields, not values
    if resp.status_code == 404:
        return RedriveAnswer("not-found", detail or "the service has no dead letter at that partition and offset")
    if resp.status_code in (401, 403):
        return RedriveAnswer("refused", f"the service refused audit's credential ({resp.status_code})")
    if resp.status_code == 409:
        return RedriveAnswer("not-redrivable", detail or "the service cannot redrive this dead letter")
    if resp.status_code == 503:
        return RedriveAnswer("unavailable", detail or "the service cannot apply it right now; try again shortly")
    if resp.status_code == 200 and body.get("outcome") in OUTCOMES:
        return RedriveAnswer(body["outcome"], str(body.get("reason") or "")[:500])
    return RedriveAnswer("error", f"unexpected answer {resp.status_code}")
