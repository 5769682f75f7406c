"""The public form's rate limit counts the connection's address: X-Forwarded-For is believed only from
proxies named in settings (none by default), so a forged header does not buy more requests (issue 8)."""

from __future__ import annotations

import httpx
import pytest

from services.intake.tests.factories import PATHS, body
from services.intake.tests.integration.conftest import free_port, intake_settings, serving
from tests.support.people import invent

pytestmark = pytest.mark.integration

FORM = PATHS["own_request"]


async def statuses(url: str, count: int) -> list[int]:
    """`count` contact requests, each claiming another client address in X-Forwarded-For."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        return [(await http.post(FORM, json=body("own_request", invent()),
                                 headers={"X-Forwarded-For": f"203.0.113.{n + 1}"})).status_code
                for n in range(count)]


async def test_a_forged_x_forwarded_for_does_not_bypass_the_rate_limit_by_default(infra):
    settings = intake_settings(infra, free_port()).model_copy(update={"public_rate_limit": "3/minute"})
    assert settings.trusted_proxies == []

    async with serving(settings) as url:
        answered = await statuses(url, 4)

    assert answered == [202, 202, 202, 429]


async def test_forwarded_addresses_count_when_the_proxy_is_named_in_settings(infra):
    settings = intake_settings(infra, free_port()).model_copy(update={"public_rate_limit": "3/minute",
                                                                     "trusted_proxies": ["127.0.0.1"]})

    async with serving(settings) as url:
        answered = await statuses(url, 4)

    assert answered == [202, 202, 202, 202]  # four addresses behind the trusted proxy, one request each
