"""Guidance's public catalogue gives rows as dicts; the guide reads them through `RowSource`."""

from __future__ import annotations

from datetime import date, time

import pytest

from guide.catalogue import OpeningHours, RowSource, ServiceInfo

pytestmark = pytest.mark.unit


async def rows_of(*rows):
    return list(rows)


async def test_rows_become_services_and_hours():
    source = RowSource(
        services=lambda: rows_of(
            {"code": "integration_training", "provider": "employment_region", "places": ["karis"],
             "languages": ["fi", "sv"], "pace": "slow", "start_dates": ["2027-01-11", date(2026, 8, 17)],
             "target_groups": ["unemployed_jobseeker"]},
            {"code": "language_cafe", "provider": "volunteers", "places": ["ekenas"], "languages": ["sv"],
             "continuous": True}),
        hours=lambda: rows_of({"place_code": "hanko", "kind": "drop-in", "weekday": 3, "start": "12:30",
                               "end": time(15, 0)}))

    services = await source.published_services()
    hours = await source.opening_hours()

    assert services == [
        ServiceInfo("integration_training", "employment_region", ("karis",), ("fi", "sv"), ("slow",),
                    (date(2026, 8, 17), date(2027, 1, 11)), False, ("unemployed_jobseeker",)),
        ServiceInfo("language_cafe", "volunteers", ("ekenas",), ("sv",), continuous=True)]
    assert hours == [OpeningHours("hanko", "drop_in", 3, time(12, 30), time(15, 0))]


async def test_an_hours_row_of_an_unknown_kind_is_refused_by_name():
    source = RowSource(services=rows_of, hours=lambda: rows_of(
        {"place": "karis", "kind": "walk_in", "weekday": 1, "start": "09:00", "end": "10:00"}))

    with pytest.raises(ValueError, match="kind: must be drop_in or appointment"):
        await source.opening_hours()
