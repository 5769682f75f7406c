"""The dispatcher never stops on an error it has no rule for (found by the fault tests: after lost database
connections asyncpg raised InternalClientError, the dispatcher task ended, and claimed messages stayed
`sending` until a restart)."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from notifications.service_layer.dispatch import Dispatcher

pytestmark = pytest.mark.unit


class Flaky(Dispatcher):
    def __init__(self, failures: list[BaseException]) -> None:
        super().__init__(None, None, None, policy=None, now=None, idle_s=0.01)
        self.failures, self.steps = failures, 0
        self.recovered = asyncio.Event()

    async def step(self) -> int:
        self.steps += 1
        if self.failures:
            raise self.failures.pop(0)
        self.recovered.set()
        return 0


@pytest.mark.parametrize("error", [asyncpg.InternalClientError("cannot switch to state 15"), RuntimeError("bug")],
                         ids=["InternalClientError", "RuntimeError"])
async def test_an_unexpected_error_in_a_step_is_retried_and_the_dispatcher_goes_on(error):
    dispatcher = Flaky([error, error])
    task = asyncio.create_task(dispatcher.run())
    try:
        await asyncio.wait_for(dispatcher.recovered.wait(), timeout=5)
    finally:
        task.cancel()
    assert dispatcher.steps >= 3  # two failed steps, then one that ran
