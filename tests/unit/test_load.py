"""The fault tests' load generator (tests/support/load.py) with the journey's shared Api (tests/support/journey.py):
many walks in flight, at most `senders` requests at once, probes backing off, retries with the same scenario,
a refusal final. An in-process HTTP transport stands in for the services (no network)."""

from __future__ import annotations

import asyncio
import functools

import httpx
import pytest

from tests.support import journey, load

pytestmark = pytest.mark.unit


class Stand:
    """What the Api needs of a System: a URL and a token per service."""

    def url(self, service: str) -> str:
        return f"http://{service}.test"

    def token(self, service: str, principal: str, role: str) -> str:
        return f"{service}-{principal}-{role}"


class Server:
    """Answers every request after `delay_s`, counting how many are in flight at once."""

    def __init__(self, delay_s: float = 0.01) -> None:
        self.delay_s, self.in_flight, self.most, self.seen = delay_s, 0, 0, 0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.in_flight += 1
        self.seen += 1
        self.most = max(self.most, self.in_flight)
        try:
            await asyncio.sleep(self.delay_s)
        finally:
            self.in_flight -= 1
        return httpx.Response(200, json={"ok": True})


def api_on(server: Server, *, senders: int | None, longest_poll_s: float = 0.2) -> journey.Api:
    return journey.Api(Stand(), httpx.AsyncClient(transport=httpx.MockTransport(server)), senders=senders,
                       longest_poll_s=longest_poll_s)


async def test_many_walks_in_flight_send_at_most_the_senders_requests_at_once():
    server = Server()
    api = api_on(server, senders=3)
    walking = {"now": 0, "most": 0}

    async def walk(_system, _scenario, *, api: journey.Api) -> int:
        walking["now"] += 1
        walking["most"] = max(walking["most"], walking["now"])
        try:
            for _ in range(4):
                await api.ok("GET", "intake", "/x", "raseborg")
                await asyncio.sleep(0.02)  # waiting for another service: no request in flight
        finally:
            walking["now"] -= 1
        return 4

    result = await load.run(functools.partial(walk, api=api), Stand(), range(40), window=20)
    await api.close()

    assert len(result.completed) == 40 and result.finished == 40 and result.started == 40
    assert walking["most"] == 20  # the window, not the senders, bounds the walks in flight
    assert server.most == 3 and server.seen == api.requests == 160


async def test_without_senders_requests_are_not_held_back():
    server = Server(delay_s=0.05)
    api = api_on(server, senders=None)
    await asyncio.gather(*(api.ok("GET", "intake", "/x", "raseborg") for _ in range(10)))
    await api.close()
    assert server.most == 10


async def test_a_probe_pauses_longer_each_time_up_to_the_longest_poll(monkeypatch):
    pauses: list[float] = []

    async def pause(seconds: float) -> None:
        pauses.append(seconds)

    monkeypatch.setattr(journey.asyncio, "sleep", pause)
    answers = iter([None] * 8 + ["here"])

    async def probe() -> str | None:
        return next(answers)

    api = api_on(Server(), senders=8, longest_poll_s=1.0)
    assert await api.until(probe, what="probe") == "here"
    await api.close()
    assert pauses == pytest.approx([0.2, 0.3, 0.45, 0.675, 1.0, 1.0, 1.0, 1.0])


async def test_a_walk_failing_on_what_may_pass_is_retried_with_the_same_scenario_and_a_refusal_is_final():
    tries: dict[str, list[object]] = {"flaky": [], "refused": []}

    async def walk(_system, scenario: str) -> str:
        tries[scenario].append(scenario)
        if scenario == "flaky" and len(tries[scenario]) < 3:
            raise httpx.ConnectError("refused")
        if scenario == "refused":
            raise journey.StepFailed("POST intake/registrations: 422")
        return scenario

    result = await load.run(walk, Stand(), ["flaky", "refused"], window=2, first_wait_s=0.001)

    assert [w.attempts for w in result.walked] == [3, 1]
    assert [w.error for w in result.walked] == [None, "StepFailed"]
    assert result.walked[0].result == "flaky" and result.retries == 2


async def test_until_finished_returns_once_enough_walks_ended_while_the_rest_go_on():
    release = asyncio.Event()

    async def walk(_system, n: int) -> int:
        if n >= 2:
            await release.wait()
        return n

    running = load.start(walk, Stand(), range(6), window=6)
    await running.until_finished(2, at_most_s=5)
    assert running.progress.finished == 2 and not running.task.done()
    release.set()
    assert len((await running.done()).completed) == 6
