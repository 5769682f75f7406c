"""The SMS gateway's faults for a while (`seconds`), next to the counted ones: every send in the time
fails, then the gateway sends again by itself; a retry with the same Idempotency-Key sends once."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from deploy.smsgateway import Gateway, create_app

pytestmark = pytest.mark.unit
KEY = {"Authorization": "Bearer k"}


@pytest.fixture
async def http():
    gateway = Gateway(api_key="k", callback_secret="s", store=None)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(gateway)), base_url="http://gw") as c:
        yield c


def _send(http, key: str):
    return http.post("/v1/messages", json={"to": "+358401234567", "text": "hej"},
                     headers={**KEY, "Idempotency-Key": key})


async def test_a_fault_for_seconds_holds_for_every_send_in_the_time_then_ends(http):
    assert (await http.post("/control/faults", json={"mode": "fail", "seconds": 0.5})).status_code == 200
    answers = [(await _send(http, f"k{n}")).status_code for n in range(3)]
    await asyncio.sleep(0.6)
    after = await _send(http, "k0")
    again = await _send(http, "k0")

    assert answers == [503, 503, 503]
    assert after.status_code == 202 and again.headers.get("Idempotent-Replayed") == "true"
    assert [m["idempotency_key"] for m in (await http.get("/control/messages")).json()] == ["k0"]


async def test_a_counted_fault_still_ends_after_its_count(http):
    await http.post("/control/faults", json={"mode": "fail", "count": 1})
    assert [(await _send(http, k)).status_code for k in ("a", "b")] == [503, 202]


async def test_seconds_out_of_range_is_refused_naming_the_field(http):
    resp = await http.post("/control/faults", json={"mode": "fail", "seconds": 0})
    assert resp.status_code == 422 and "seconds" in resp.text
