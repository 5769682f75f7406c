"""Every benchmark still runs, on tiny sizes, and the table has all its rows. Nothing here is timed."""

from __future__ import annotations

import pytest

from bench.common import TINY, Target
from bench.replay import REPLAY_TINY
from bench.run import measure
from bench.table import FIGURES

pytestmark = pytest.mark.integration


async def test_every_benchmark_runs_on_tiny_sizes_and_the_table_has_all_rows(infra):
    target = Target(infra.bootstrap, infra.pg_host, infra.pg_port, infra.secrets, infra.layout)

    report = await measure(target, TINY)

    rows = report.rows
    assert [r.figure for r in rows] == FIGURES
    text = report.text()
    assert all(figure in text for figure in FIGURES)
    for r in rows:
        if r.unit.endswith("/s"):  # throughputs: events, registrations, reads
            assert r.ours and r.ours > 0 and r.baseline and r.baseline > 0, r
    assert report.consume.events >= TINY.relay_events  # other producers may write in between
    assert report.latency.events > 0 and len(report.latency.kafka) == report.latency.events, report.latency.notes
    assert report.latency.baseline
    # The audit figures need the test deployment's audit service to have worked off its backlog within
    # TINY.catch_up_timeout; when it could not, the rows say why instead of giving a number.
    for r in rows:
        if r.figure.startswith(("latency commit -> audit", "audit service RSS")):
            assert r.ours is not None or r.missing, r
    assert report.latency.rss_idle > 0
    # End to end (bench/pipeline.py, bench/replay.py): every registration's message arrived, every event replayed.
    assert report.pipeline is not None and report.pipeline.missing == 0, report.pipeline.notes
    assert report.pipeline.latency and report.pipeline.latency_raw, report.pipeline.notes
    assert report.replay is not None and report.replay.events == REPLAY_TINY
