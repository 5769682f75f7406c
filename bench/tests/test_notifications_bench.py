"""The notifications benchmark still runs, on tiny sizes. Nothing here is timed."""

from __future__ import annotations

import pytest

from bench.common import Target
from bench.notifications import bench_notifications
from bench.table import render

pytestmark = pytest.mark.integration


async def test_the_notifications_benchmark_runs_and_gives_its_row(infra):
    target = Target(infra.bootstrap, infra.pg_host, infra.pg_port, infra.secrets, infra.layout)

    result = await bench_notifications(target, n=6, reps=1)

    (row,) = result.rows()
    assert row.ours > 0 and row.baseline > 0
    assert "notifications: events -> accepted by SMTP/SMS" in render(result.rows())
