"""Guidance's referral benchmark still runs on tiny sizes. Nothing here is timed."""

from __future__ import annotations

import pytest

from bench.common import TINY, Target
from bench.guidance import FIGURE, bench_referrals

pytestmark = pytest.mark.integration


async def test_the_referral_benchmark_runs_and_gives_a_row(infra):
    target = Target(infra.bootstrap, infra.pg_host, infra.pg_port, infra.secrets, infra.layout)

    row = await bench_referrals(target, TINY)

    assert row.figure == FIGURE and row.ours > 0 and row.baseline > 0
