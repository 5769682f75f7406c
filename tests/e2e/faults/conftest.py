"""The fault tests' system and load: one System for the package (again for the `after_all` test), and `under_load(...)`, which runs a load
of N clients through the journey, injects a fault while it runs, lets the system settle and counts
the effects (tests/support/load.py, effects.py, faults.py)."""

from __future__ import annotations

import asyncio
import functools
import os
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest

from tests.support import effects, faults, journey, load
from tests.support.system import BACKLOG_SKIPPED, System

SMALL = 16
"""Clients of the default run's fault tests (make test): two rounds of 8 walks (each client the whole journey,
about a minute each here), with a few seconds of each fault."""
LARGE = int(os.environ.get("FAULT_LOAD_CLIENTS", "2000"))
"""Clients of the opt-in runs (`make test-load`), with faults of a minute; `FAULT_LOAD_CLIENTS=200` for a
medium run."""
WINDOW = int(os.environ.get("FAULT_LOAD_WINDOW", "200"))
"""At most this many walks in flight (and at most half the load's clients, so a fault that starts when the
first walks end meets the rest in full flow); whatever the window, the 8 senders send at most 8 requests at once."""
SENDERS = 8
SMTP_TIMEOUT_S = 2.0
"""Notifications' SMTP command time-out here, so a hanging server costs seconds, not the default 15."""


@pytest.fixture(scope="package")
def faulty(infra, tmp_path_factory) -> Iterator[System]:
    """All six services, the SMTP server and the SMS gateway, shared by the fault tests of this package.

    The folder is a package (`__init__.py`) so that this system stops when the package's other tests are
    done: the broker and PostgreSQL faults run last (`after_all`) and get a system of their own then. In a
    plain folder a package-scoped fixture lives to the end of the session, and this system would keep
    consuming and publishing through every test in between."""
    started = System.start(infra, tmp_path_factory.mktemp("faults"), from_end=BACKLOG_SKIPPED,
                           env={"notifications": {"NOTIFICATIONS_SMTP_TIMEOUT_S": str(SMTP_TIMEOUT_S)}})
    try:
        yield started
    finally:
        started.stop()


def scenarios(count: int) -> list[journey.Scenario]:
    """`count` clients for the journey, each a new invented person, of every source and responsible
    organisation in turn (journey.standard_scenarios)."""
    made: list[journey.Scenario] = []
    while len(made) < count:
        made.extend(journey.standard_scenarios().values())
    return made[:count]


def client_ids(result: load.LoadResult) -> list[UUID]:
    return [w.result.client_id for w in result.walked if w.result is not None and w.result.client_id is not None]


def may_pass(exc: BaseException) -> bool:
    """What the load retries: what `load.transient` says, and a journey step that timed out waiting for the
    system to react (under a fault reactions come late); a refusal (4xx) is final."""
    return load.transient(exc) or (isinstance(exc, journey.StepFailed) and "not within" in str(exc))


@dataclass
class Outcome:
    load: load.LoadResult
    report: effects.Report

    def assert_nothing_lost_or_doubled(self, *, allowed_duplicates: tuple[str, ...] = ()) -> None:
        assert len(self.load.failed) == 0, f"{self.load}"  # the count, not every walk's repr
        report = self.report.without(*allowed_duplicates) if allowed_duplicates else self.report
        assert report.clean(), f"{self.load}\n{report}"


async def under_load(system: System, clients: int, fault: Callable[[], Awaitable[Any]], *,
                     settle_s: float = 240, start_after: float = 0.2) -> Outcome:
    """Run `clients` walks, up to `WINDOW` (and half of them) at a time, through 8 senders, each client referred
    to the load's course (`journey.LOAD_COURSE`, no limit on places); once `start_after` of them finished (or,
    for a small load, 20 s passed), inject `fault`; wait for the load to end and the system to settle; count
    the effects."""
    began = time.monotonic()

    def phase(what: str) -> None:  # shown with a failure: where the time went
        print(f"{time.monotonic() - began:7.1f} s  {what}", flush=True)

    since = await effects.mark(system.infra)
    small = clients <= SMALL
    # Under a large load the services lag behind the senders: a step waits minutes for a reaction, not seconds.
    api = journey.Api(system, senders=SENDERS, wait_s=60 if small else 300, longest_poll_s=0.2 if small else 3)
    await journey.open_course(api)
    walk = functools.partial(journey.walk, api=api, course=journey.LOAD_COURSE)
    running = load.start(walk, system, scenarios(clients), window=min(WINDOW, max(1, clients // 2)), retry_on=may_pass,
                         retry_for_s=300 if small else 1800)

    async def progress() -> None:
        while True:
            await asyncio.sleep(60)
            phase(f"{running.progress.started} walks started, {running.progress.finished} finished, "
                  f"{api.requests} requests")

    reporting = asyncio.create_task(progress())
    try:
        await running.until_finished(max(1, int(clients * start_after)), at_most_s=20 if small else 3 * 3600)
        phase(f"fault starts ({running.progress.finished} walks finished)")
        try:
            await fault()
            phase(f"fault over ({running.progress.finished} walks finished)")
        finally:
            result = await running.done()
    finally:
        reporting.cancel()
        await api.close()
    result.notes = {"requests": api.requests, "retried steps": api.step_retries}
    phase(f"load over: {result}")
    await system.settle(timeout=settle_s)
    phase("settled")
    report = await effects.count(system.infra, client_ids(result), since=since, mail=system.mail, sms=system.sms,
                                 clock_offset_s=system.clock.offset.total_seconds())
    phase(f"counted\n{report}")
    return Outcome(result, report)


@pytest.fixture
def restore_outbound(faulty) -> Iterator[None]:
    """Whatever a test did to the SMTP server and SMS gateway, they work normally afterwards."""
    yield
    faults.smtp_server(faulty.outbound.maildir, "none")
    from tests.support.system import run_sync

    run_sync(lambda: faults.sms_gateway(faulty.outbound.sms_url, "none"))
