"""Issue 8 and 9 on a service app built by backbone.app, served over HTTP: `/readyz` turns 503 with
the reason while a partition waits on a message, and a consumer task that dies is restarted."""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
import uvicorn

from backbone.app import create_service_app
from backbone.inbox import InboxConsumer, Subscription
from backbone.settings import ServiceSettings
from contracts.topics import event_topic

from .conftest import start_group_at_end
from .test_inbox import registered

pytestmark = pytest.mark.integration

TOPIC = event_topic("intake")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _settings(infra) -> ServiceSettings:
    return ServiceSettings(service_name="assessment", kafka_bootstrap=infra.bootstrap, kafka_username="assessment",
                           kafka_password=infra.secrets["kafka"]["assessment"], database_url=infra.dsn("assessment"),
                           http_port=_free_port(), startup_timeout_s=60)


@asynccontextmanager
async def _serving(infra, sub: Subscription | None) -> AsyncIterator[tuple[str, object]]:
    settings = _settings(infra)
    app, ctx = create_service_app(settings, title="test", subscriptions=[sub] if sub else [])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=settings.http_port, log_config=None,
                                           lifespan="on"))
    task = asyncio.create_task(server.serve())
    deadline = time.monotonic() + 90
    while not server.started:
        if task.done():
            task.result()
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{settings.http_port}", ctx
    finally:
        server.should_exit = True
        await task


async def _eventually(check, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = await check()
        if result:
            return result
        await asyncio.sleep(0.1)
    raise AssertionError("not within the time allowed")


async def test_readyz_is_503_naming_the_paused_partition_until_the_message_passes(
        infra, assessment_pool, producer_for, unique):
    await start_group_at_end(infra, "assessment", f"assessment.ready-{unique}", TOPIC)
    client = uuid.uuid4()
    applied: list[uuid.UUID] = []
    broken = {"on": True}

    async def handler(conn, envelope, event) -> None:
        if envelope.client_id == client and broken["on"]:
            raise FileNotFoundError("the vault key file is missing")  # a misconfiguration, fixed later
        applied.append(envelope.client_id)

    sub = Subscription(name=f"ready-{unique}", topics=(TOPIC,), handler=handler)
    e = registered(client)
    async with _serving(infra, sub) as (url, _), httpx.AsyncClient(base_url=url, timeout=10) as http:
        await (await producer_for("intake")).send_and_wait(TOPIC, e.to_bytes(), key=e.key())

        async def unready():
            answer = await http.get("/readyz")
            return answer if answer.status_code == 503 else None

        answer = await _eventually(unready)
        body = answer.json()
        assert body["checks"]["consumers"] is False and body["checks"]["database"] is True
        assert any(f"assessment.ready-{unique}" in r and "FileNotFoundError" in r and "paused" in r
                   for r in body["reasons"])
        broken["on"] = False

        async def ready():
            answer = await http.get("/readyz")
            return answer if answer.status_code == 200 and client in applied else None

        assert "reasons" not in (await _eventually(ready)).json()
    assert applied.count(client) == 1


async def test_a_consumer_task_that_dies_on_an_unexpected_error_is_restarted(
        infra, assessment_pool, producer_for, unique, monkeypatch):
    await start_group_at_end(infra, "assessment", f"assessment.revive-{unique}", TOPIC)
    real_consume = InboxConsumer._consume
    crashes = {"left": 2}

    async def crashing(self: InboxConsumer) -> None:
        if self.sub.name == f"revive-{unique}" and crashes["left"] > 0:
            crashes["left"] -= 1
            raise AssertionError("a bug in the consumer loop, not a contract error")
        await real_consume(self)

    monkeypatch.setattr(InboxConsumer, "_consume", crashing)
    client = uuid.uuid4()
    applied: list[uuid.UUID] = []

    async def handler(conn, envelope, event) -> None:
        applied.append(envelope.client_id)

    e = registered(client)
    sub = Subscription(name=f"revive-{unique}", topics=(TOPIC,), handler=handler)
    async with _serving(infra, sub) as (url, ctx):
        await (await producer_for("intake")).send_and_wait(TOPIC, e.to_bytes(), key=e.key())

        async def done():
            return client in applied

        await _eventually(done)
        assert ctx.restarts[f"consumer:revive-{unique}"] == 2
        assert all(not t.done() for t in ctx.tasks)
        async with httpx.AsyncClient(base_url=url, timeout=10) as http:
            assert (await http.get("/readyz")).status_code == 200


def _asset_urls(page: str) -> list[str]:
    import re

    return re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", page) + \
        re.findall(r"""url\s*:\s*["']([^"']+)["']""", page)


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/asyncapi"])
async def test_a_documentation_page_loads_every_asset_from_the_service_itself(infra, assessment_pool, unique, path):
    """Issue 8 (small): the pages loaded their scripts and icons from public CDNs, blank offline."""
    from urllib.parse import urlsplit

    async with _serving(infra, None) as (url, _), httpx.AsyncClient(base_url=url, timeout=10) as http:
        page = await http.get(path)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        urls = _asset_urls(page.text)
        scripts = [u for u in urls if u.endswith(".js")]
        assert scripts, f"{path} names no script"
        for asset in urls:
            parts = urlsplit(asset)
            assert not parts.scheme and not parts.netloc, f"{path} loads {asset} from another host"
            fetched = await http.get(asset)
            assert fetched.status_code == 200 and len(fetched.content) > 100, asset
        assert "//" not in page.text.replace("<!--", "").split("<body")[0].replace("http-equiv", "")


async def test_the_try_it_out_publisher_is_gone_and_the_asyncapi_document_is_served(infra, assessment_pool, unique):
    """FastStream's /asyncapi/try would publish any message, unauthenticated, with the service's credentials."""
    async with _serving(infra, None) as (url, _), httpx.AsyncClient(base_url=url, timeout=10) as http:
        tried = await http.post("/asyncapi/try", json={"channelName": TOPIC, "message": {"x": 1},
                                                       "options": {"sendToRealBroker": True}})
        document = await http.get("/asyncapi.json")

    assert tried.status_code in (404, 405)
    assert document.status_code == 200 and "asyncapi" in document.json()


async def test_fuzz_a_422_names_the_field_and_never_echoes_the_value(infra, assessment_pool, unique):
    """Found by the HTTP fuzzing (tests/e2e/fuzz): FastAPI's own 422 quoted the request's values back (audit and
    notifications had no handler of their own). Every service app now answers without them."""
    from datetime import UTC, datetime

    from backbone import auth

    token = (await auth.issue(assessment_pool, principal="operator", role="operator", label=f"fuzz {unique}",
                              now=datetime.now(UTC))).token
    async with _serving(infra, None) as (url, _):
        async with httpx.AsyncClient(timeout=30) as http:
            resp = await http.post(url + "/admin/dead-letters/redrive", headers={"Authorization": f"Bearer {token}"},
                                   json={"partition": f"zq-secret-{unique}", "offset": 0, "note": f"zq-{unique}"})

    assert resp.status_code == 422
    assert unique not in resp.text
    assert {tuple(e["loc"]) for e in resp.json()["detail"]} == {("body", "partition"), ("body", "note")}
