"""R32's promise that Christmas Eve and Midsummer Eve are never working days *whatever the library
lists*: checked with the library's calendar emptied, so the eves must come from our own rule."""

from __future__ import annotations

import dataclasses
from unittest.mock import patch
from datetime import date, timedelta

import holidays
import pytest
from hypothesis import given
from hypothesis import strategies as st

from backbone.workdays import WorkingDays, finnish_holidays

pytestmark = pytest.mark.unit


@pytest.fixture
def library_lists_nothing(monkeypatch):
    monkeypatch.setattr(holidays, "country_holidays", lambda country, years: {})
    finnish_holidays.cache_clear()
    yield
    finnish_holidays.cache_clear()


@pytest.mark.parametrize(("year", "eve"), [(2024, date(2024, 6, 21)), (2025, date(2025, 6, 20)),
                                           (2026, date(2026, 6, 19)), (2027, date(2027, 6, 25)),
                                           (2028, date(2028, 6, 23)), (2029, date(2029, 6, 22)),
                                           (2030, date(2030, 6, 21))])
def test_R32_the_eves_are_holidays_even_when_the_library_lists_none(library_lists_nothing, year, eve):
    assert finnish_holidays(year) == frozenset({date(year, 12, 24), eve})
    assert not WorkingDays().is_working_day(eve)
    assert not WorkingDays(saturday_is_working=True).is_working_day(date(year, 12, 24))


def test_R32_with_an_empty_library_the_days_around_the_eves_are_working_days(library_lists_nothing):
    calendar = WorkingDays()

    assert calendar.is_working_day(date(2026, 6, 18))
    assert calendar.is_working_day(date(2026, 12, 23))
    assert calendar.is_working_day(date(2026, 12, 25))  # the library, not our rule, makes Christmas Day a holiday


@given(year=st.integers(min_value=1990, max_value=2100))
def test_R32_midsummer_eve_is_the_friday_between_19_and_25_june(year):
    friday = next(date(year, 6, d) for d in range(19, 26) if date(year, 6, d).weekday() == 4)

    with patch.object(holidays, "country_holidays", lambda country, years: {}):
        days = finnish_holidays.__wrapped__(year)  # the rule itself, past the cache

    assert days == frozenset({friday, date(year, 12, 24)})


def test_a_calendar_is_a_frozen_value():
    calendar = WorkingDays()

    with pytest.raises(dataclasses.FrozenInstanceError):
        calendar.saturday_is_working = True  # type: ignore[misc]
    assert calendar == WorkingDays(saturday_is_working=False) and hash(calendar) == hash(WorkingDays())


@pytest.mark.parametrize("unit", ["astronomical", "yearly", "weeks", "Working"])
def test_R31_an_unknown_unit_is_refused_naming_it(unit):
    with pytest.raises(ValueError, match=f"^unit must be 'working' or 'calendar', got '{unit}'$"):
        WorkingDays().deadline(date(2026, 3, 9), days=1, unit=unit)  # type: ignore[arg-type]


def test_R31_negative_counts_are_refused_naming_the_count():
    with pytest.raises(ValueError, match="^n must be at least 0, got -1$"):
        WorkingDays().add(date(2026, 3, 9), -1)
    with pytest.raises(ValueError, match="^days must be at least 0, got -1$"):
        WorkingDays().deadline(date(2026, 3, 9), days=-1, unit="calendar")


def test_R31_a_calendar_deadline_counts_forward_from_the_start():
    assert WorkingDays().deadline(date(2026, 3, 2), days=10, unit="calendar") == date(2026, 3, 12)
    assert WorkingDays().deadline(date(2026, 3, 2), days=0, unit="calendar") == date(2026, 3, 2)
    assert WorkingDays().deadline(date(2026, 3, 2), days=1, unit="working") == date(2026, 3, 2) + timedelta(days=1)


def test_R31_the_length_and_unit_of_a_deadline_are_named_never_positional():
    with pytest.raises(TypeError):
        WorkingDays().deadline(date(2026, 3, 2), 5, "calendar")  # type: ignore[misc]


def test_R31_a_unit_read_at_run_time_counts_like_the_literal():
    working, calendar = "".join(["work", "ing"]), "".join(["calen", "dar"])  # equal strings, not the same objects

    assert WorkingDays().deadline(date(2026, 3, 2), days=5, unit=working) == date(2026, 3, 9)
    assert WorkingDays().deadline(date(2026, 3, 2), days=3, unit=calendar) == date(2026, 3, 5)
