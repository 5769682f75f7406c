"""Quiet hours at their edges: a moment without a time zone, the first and last quiet seconds, the night
and the evening either side of midnight (mutation testing, issue 17)."""

from datetime import UTC, datetime, time

import pytest

from notifications.domain.quiet_hours import HELSINKI, QUIET_FROM, QUIET_UNTIL, is_quiet, next_sms_time

pytestmark = pytest.mark.unit


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, second, tzinfo=HELSINKI)


def test_quiet_hours_are_21_to_08():
    assert (QUIET_FROM, QUIET_UNTIL) == (time(21, 0), time(8, 0))


def test_a_moment_without_a_time_zone_is_refused_with_the_field_named():
    with pytest.raises(ValueError, match="^moment: must carry a time zone$"):
        next_sms_time(datetime(2026, 1, 5, 12, 0))


@pytest.mark.parametrize(("moment", "sent_at"), [
    (at(5, 20, 59, 59), at(5, 20, 59, 59)),  # the last second an SMS goes in the evening
    (at(5, 21, 0, 0), at(6, 8, 0)),          # the first that waits, until the next morning
    (at(5, 23, 59, 59), at(6, 8, 0)),        # the last second before midnight
    (at(6, 0, 0, 0), at(6, 8, 0)),           # midnight: the same morning
    (at(6, 7, 59, 59), at(6, 8, 0)),         # the last quiet second
    (at(6, 8, 0, 0), at(6, 8, 0)),           # the first it goes
    (at(31, 22, 0), datetime(2026, 2, 1, 8, 0, tzinfo=HELSINKI)),  # across the month
])
def test_the_next_sms_time_either_side_of_each_edge(moment, sent_at):
    assert next_sms_time(moment) == sent_at


def test_a_utc_moment_is_judged_and_answered_in_helsinki_time():
    # 19:30 UTC in January is 21:30 in Helsinki: quiet, until 08:00 Helsinki (06:00 UTC) the next day.
    moment = datetime(2026, 1, 5, 19, 30, tzinfo=UTC)

    assert is_quiet(moment)
    assert next_sms_time(moment) == datetime(2026, 1, 6, 6, 0, tzinfo=UTC)
    # 22:30 UTC is 00:30 Helsinki on the 6th: the same Helsinki morning, not the one after.
    assert next_sms_time(datetime(2026, 1, 5, 22, 30, tzinfo=UTC)) == datetime(2026, 1, 6, 8, 0, tzinfo=HELSINKI)
