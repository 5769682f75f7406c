"""A load: N clients through the journey from 8 concurrent senders, retrying what may pass.

    api = journey.Api(system, senders=8, longest_poll_s=2)
    result = await load.run(functools.partial(journey.walk, api=api), system, scenarios, window=200)

Up to `window` walks are in flight at once, each `walk(system, scenario)` taking the next scenario when one
ends. The senders are the shared `journey.Api`'s: at most 8 HTTP requests in flight at any moment, however
many walks are. A walk waiting for another service to react holds no sender between its probes, and its
probes' pauses grow (`longest_poll_s`), so the load is bounded by the senders' request throughput, not by
each journey's waiting (a walk is about a minute here, almost all of it waiting: one walk per sender would
take hours for 2,000 clients). `window=8` with an Api of 8 senders is the old shape: one walk per sender.

A walk that fails on something that may pass (a time-out, a refused or dropped connection, a 5xx answer: a
service being killed, the broker or the database restarting) is retried with backoff, **with the same
scenario**: the journey's steps take their idempotency keys from the scenario, so a retry reuses them and a
step the server had applied before the failure is answered from its first result, not applied twice. A
4xx is the system's considered answer and is not retried: it fails the walk. `LoadResult.finished` counts
walks as they end (`Running.until_finished`), so a fault can wait for a load in full flow.

`RetryingTransport` does the same one level down, for one request: an httpx transport that repeats
a request on a connection error, a time-out or a 5xx, the same request (same headers, so the same
`Idempotency-Key`), but only when repeating it cannot apply it twice: GET/HEAD/PUT/DELETE/OPTIONS,
or any request carrying an `Idempotency-Key`.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

SAFE_TO_REPEAT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
"""Methods a retry cannot apply twice (with an Idempotency-Key, any method)."""


def transient(exc: BaseException) -> bool:
    """May this failure pass if the same thing is tried again?"""
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.status_code >= 500 or exc.response.status_code == 429
    if isinstance(exc, httpx.TransportError | asyncio.TimeoutError | ConnectionError):
        return True
    return bool(getattr(exc, "transient", False))


def repeatable(request: httpx.Request) -> bool:
    return request.method in SAFE_TO_REPEAT or "idempotency-key" in request.headers


class RetryingTransport(httpx.AsyncBaseTransport):
    """Repeats a repeatable request on connection errors, time-outs and 5xx (see the module's docstring)."""

    def __init__(self, inner: httpx.AsyncBaseTransport | None = None, *, give_up_after_s: float = 120.0,
                 first_wait_s: float = 0.2, longest_wait_s: float = 3.0) -> None:
        self.inner = inner or httpx.AsyncHTTPTransport()
        self.give_up_after_s, self.first_wait_s, self.longest_wait_s = give_up_after_s, first_wait_s, longest_wait_s
        self.retries = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        deadline = time.monotonic() + self.give_up_after_s
        wait = self.first_wait_s
        while True:
            try:
                response = await self.inner.handle_async_request(request)
                if response.status_code < 500 or not repeatable(request) or time.monotonic() > deadline:
                    return response
                await response.aclose()
            except httpx.TransportError:
                if not repeatable(request) or time.monotonic() > deadline:
                    raise
            self.retries += 1
            await asyncio.sleep(wait * (0.5 + random.random()))
            wait = min(wait * 2, self.longest_wait_s)

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass
class Walked:
    scenario: Any
    result: Any = None
    attempts: int = 0
    error: str | None = None  # the last failure's type, when the walk did not complete
    detail: str | None = None  # its message, shortened (steps name ids and statuses, never a person's data)


@dataclass
class LoadResult:
    walked: list[Walked] = field(default_factory=list)
    seconds: float = 0.0
    started: int = 0
    finished: int = 0
    notes: dict[str, int] = field(default_factory=dict)  # the caller's counters (the Api's requests, ...)

    @property
    def completed(self) -> list[Walked]:
        return [w for w in self.walked if w.error is None]

    @property
    def failed(self) -> list[Walked]:
        return [w for w in self.walked if w.error is not None]

    @property
    def retries(self) -> int:
        return sum(max(w.attempts - 1, 0) for w in self.walked)

    def __str__(self) -> str:
        errors = sorted({w.error for w in self.failed if w.error})
        details = sorted({w.detail for w in self.failed if w.detail})[:5]
        notes = "".join(f", {n} {what}" for what, n in self.notes.items())
        return (f"{len(self.completed)}/{len(self.walked)} walks completed in {self.seconds:.1f} s, "
                f"{self.retries} retried walks{notes}" + (f"; failed with {errors}, e.g. {details}" if errors else ""))


Walk = Callable[[Any, Any], Awaitable[Any]]


async def run(walk: Walk, system: Any, scenarios: Sequence[Any], *, window: int = 8, retry_for_s: float = 300.0,
              first_wait_s: float = 0.5, longest_wait_s: float = 5.0, into: LoadResult | None = None,
              retry_on: Callable[[BaseException], bool] = transient) -> LoadResult:
    """Walk every scenario, up to `window` at a time; a failure that may pass (`retry_on`, default `transient`)
    is retried (same scenario, so the same idempotency keys) for up to `retry_for_s` seconds per client."""
    result = into if into is not None else LoadResult()
    result.walked = [Walked(s) for s in scenarios]
    queue: asyncio.Queue = asyncio.Queue()
    for walked in result.walked:
        queue.put_nowait(walked)
    started = time.monotonic()

    async def walker() -> None:
        while True:
            try:
                walked = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            result.started += 1
            deadline = time.monotonic() + retry_for_s
            wait = first_wait_s
            while True:
                walked.attempts += 1
                try:
                    walked.result = await walk(system, walked.scenario)
                    walked.error = walked.detail = None
                    break
                except Exception as exc:  # noqa: BLE001 - classified just below; the test sees the type
                    walked.error, walked.detail = type(exc).__name__, str(exc)[:300]
                    if not retry_on(exc) or time.monotonic() > deadline:
                        break
                await asyncio.sleep(wait * (0.5 + random.random()))
                wait = min(wait * 2, longest_wait_s)
            result.finished += 1

    await asyncio.gather(*(walker() for _ in range(max(1, min(window, len(scenarios))))))
    result.seconds = time.monotonic() - started
    return result


@dataclass
class Running:
    """A load running in the background while a fault is injected."""

    task: asyncio.Task
    progress: LoadResult

    async def until_finished(self, walks: int, *, at_most_s: float) -> None:
        """Wait until `walks` walks have finished or `at_most_s` passed (so a fault hits a load in full flow)."""
        deadline = time.monotonic() + at_most_s
        while self.progress.finished < walks and not self.task.done() and time.monotonic() < deadline:
            await asyncio.sleep(0.1)

    async def done(self) -> LoadResult:
        return await self.task


def start(walk: Walk, system: Any, scenarios: Sequence[Any], **kwargs: Any) -> Running:
    progress = LoadResult()
    return Running(asyncio.create_task(run(walk, system, scenarios, into=progress, **kwargs)), progress)
