from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backbone.workdays import WorkingDays, finnish_holidays

pytestmark = pytest.mark.unit

MON_FRI = WorkingDays()
WITH_SATURDAYS = WorkingDays(saturday_is_working=True)

starts = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
calendars = st.sampled_from([MON_FRI, WITH_SATURDAYS])


def working_days_between(calendar: WorkingDays, after: date, until: date) -> int:
    """Working days in (after, until]."""
    days = (after + timedelta(days=i) for i in range(1, (until - after).days + 1))
    return sum(calendar.is_working_day(d) for d in days)


class TestR9InitialInterview:
    def test_R9_initial_interview_is_due_five_working_days_after_registration(self):
        registered_on = date(2026, 3, 10)  # Tuesday

        due = MON_FRI.deadline(registered_on, days=5, unit="working")

        assert due == date(2026, 3, 17)

    def test_R9_registration_before_christmas_skips_christmas_eve_christmas_and_st_stephens_day(self):
        registered_on = date(2025, 12, 18)  # Thursday; 19, 22 and 23 Dec count, 24–28 Dec do not

        due = MON_FRI.deadline(registered_on, days=5, unit="working")

        assert due == date(2025, 12, 30)


class TestR31StartDayAndMovingDeadlines:
    def test_R31_the_start_day_is_not_counted(self):
        assert MON_FRI.add(date(2026, 3, 9), 1) == date(2026, 3, 10)

    def test_R31_a_deadline_on_a_saturday_moves_to_monday(self):
        assert MON_FRI.deadline(date(2026, 3, 2), days=5, unit="calendar") == date(2026, 3, 9)

    def test_R31_a_deadline_on_a_sunday_moves_to_monday(self):
        assert MON_FRI.deadline(date(2026, 3, 2), days=6, unit="calendar") == date(2026, 3, 9)

    def test_R31_a_calendar_deadline_on_a_working_day_stays_put(self):
        assert MON_FRI.deadline(date(2026, 3, 2), days=3, unit="calendar") == date(2026, 3, 5)

    def test_R31_a_deadline_on_christmas_eve_2027_moves_past_the_christmas_weekend(self):
        assert MON_FRI.deadline(date(2027, 12, 20), days=4, unit="calendar") == date(2027, 12, 27)

    def test_R31_a_deadline_on_a_saturday_moves_to_monday_even_when_saturdays_are_counted(self):
        assert WITH_SATURDAYS.deadline(date(2026, 3, 2), days=5, unit="calendar") == date(2026, 3, 9)
        assert WITH_SATURDAYS.add(date(2025, 12, 18), 5) == date(2025, 12, 27)  # a Saturday
        assert WITH_SATURDAYS.deadline(date(2025, 12, 18), days=5, unit="working") == date(2025, 12, 29)

    def test_R31_zero_working_days_from_a_non_working_day_moves_to_the_next_working_day(self):
        assert MON_FRI.add(date(2026, 3, 7), 0) == date(2026, 3, 9)
        assert MON_FRI.add(date(2026, 3, 9), 0) == date(2026, 3, 9)

    def test_R31_negative_counts_and_unknown_units_are_refused(self):
        with pytest.raises(ValueError):
            MON_FRI.add(date(2026, 3, 9), -1)
        with pytest.raises(ValueError):
            MON_FRI.deadline(date(2026, 3, 9), days=-1, unit="calendar")
        with pytest.raises(ValueError):
            MON_FRI.deadline(date(2026, 3, 9), days=1, unit="weeks")  # type: ignore[arg-type]


class TestR32Holidays:
    @pytest.mark.parametrize("day", [date(2025, 12, 24), date(2026, 12, 24), date(2027, 12, 24),
                                     date(2025, 6, 20), date(2026, 6, 19), date(2027, 6, 25)])
    def test_R32_christmas_eve_and_midsummer_eve_are_not_working_days(self, day):
        assert day in finnish_holidays(day.year)
        assert not MON_FRI.is_working_day(day)
        assert not WITH_SATURDAYS.is_working_day(day)

    def test_R32_midsummer_2026_the_eve_and_the_day_are_skipped(self):
        assert MON_FRI.add(date(2026, 6, 18), 1) == date(2026, 6, 22)
        assert WITH_SATURDAYS.add(date(2026, 6, 18), 1) == date(2026, 6, 22)  # 20.6 is Midsummer Day

    def test_R32_easter_2026_good_friday_to_easter_monday(self):
        assert not MON_FRI.is_working_day(date(2026, 4, 3))
        assert not MON_FRI.is_working_day(date(2026, 4, 6))

        assert MON_FRI.add(date(2026, 4, 2), 1) == date(2026, 4, 7)

    def test_R32_independence_day_2027_is_skipped(self):
        assert MON_FRI.add(date(2027, 12, 3), 1) == date(2027, 12, 7)

    def test_R32_may_day_2026_is_skipped(self):
        assert MON_FRI.add(date(2026, 4, 30), 1) == date(2026, 5, 4)

    def test_R32_ascension_day_2026_is_skipped(self):
        assert not MON_FRI.is_working_day(date(2026, 5, 14))

        assert MON_FRI.add(date(2026, 5, 13), 1) == date(2026, 5, 15)

    def test_R32_epiphany_and_new_years_day_are_not_working_days(self):
        assert not MON_FRI.is_working_day(date(2026, 1, 1))
        assert not MON_FRI.is_working_day(date(2026, 1, 6))


class TestR33Saturday:
    def test_R33_saturday_is_not_a_working_day_by_default(self):
        assert not MON_FRI.is_working_day(date(2026, 6, 6))

    def test_R33_saturday_can_be_configured_as_a_working_day(self):
        assert WITH_SATURDAYS.is_working_day(date(2026, 6, 6))

        assert WITH_SATURDAYS.add(date(2026, 6, 2), 5) == date(2026, 6, 8)
        assert MON_FRI.add(date(2026, 6, 2), 5) == date(2026, 6, 9)

    def test_R33_a_holiday_on_a_saturday_is_not_working_even_when_saturdays_are(self):
        assert not WITH_SATURDAYS.is_working_day(date(2026, 10, 31))  # All Saints' Day

    def test_R33_sunday_is_never_a_working_day(self):
        assert not WITH_SATURDAYS.is_working_day(date(2026, 6, 7))


class TestR31WorkingDayProperties:
    @given(calendar=calendars, start=starts, n=st.integers(min_value=0, max_value=300))
    def test_R31_the_result_is_always_a_working_day(self, calendar, start, n):
        assert calendar.is_working_day(calendar.add(start, n))

    @given(calendar=calendars, start=starts, n=st.integers(min_value=1, max_value=300))
    def test_R31_the_result_is_strictly_after_the_start_and_n_working_days_away(self, calendar, start, n):
        result = calendar.add(start, n)

        assert result > start
        assert working_days_between(calendar, start, result) == n

    @given(calendar=calendars, start=starts, n=st.integers(min_value=1, max_value=300))
    def test_R31_one_more_working_day_gives_a_strictly_later_date(self, calendar, start, n):
        assert calendar.add(start, n + 1) > calendar.add(start, n)

    @given(calendar=calendars, start=starts)
    def test_R31_zero_and_one_working_day_coincide_only_when_the_start_is_not_a_working_day(self, calendar, start):
        zero, one = calendar.add(start, 0), calendar.add(start, 1)

        assert zero <= one
        assert (zero == one) == (not calendar.is_working_day(start))

    @given(start=starts, days=st.integers(min_value=0, max_value=60), unit=st.sampled_from(["working", "calendar"]))
    def test_R31_a_deadline_never_ends_on_a_saturday_sunday_or_holiday(self, start, days, unit):
        for calendar in (MON_FRI, WITH_SATURDAYS):
            due = calendar.deadline(start, days=days, unit=unit)

            assert due.weekday() < 5 and due not in finnish_holidays(due.year)
            assert due >= start + timedelta(days=days) if unit == "calendar" else due >= calendar.add(start, days)
