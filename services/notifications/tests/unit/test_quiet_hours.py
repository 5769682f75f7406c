from datetime import UTC, datetime

import pytest

from notifications.domain.quiet_hours import HELSINKI, is_quiet, next_sms_time

pytestmark = pytest.mark.unit


def at(day: int, hour: int, minute: int = 0, month: int = 1) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=HELSINKI)


@pytest.mark.parametrize(("moment", "quiet"), [
    (at(5, 20, 59), False),  # the last minute an SMS goes
    (at(5, 21, 0), True),    # the first that waits
    (at(5, 7, 59), True),
    (at(5, 8, 0), False),
])
def test_no_sms_from_21_to_08_helsinki_time(moment, quiet):
    assert is_quiet(moment) is quiet


def test_an_evening_message_waits_for_the_next_morning():
    assert next_sms_time(at(5, 22, 30)) == at(6, 8, 0)


def test_a_night_message_waits_for_the_same_morning():
    assert next_sms_time(at(6, 3, 0)) == at(6, 8, 0)


def test_a_daytime_message_goes_at_once():
    assert next_sms_time(at(6, 12, 0)) == at(6, 12, 0)


def test_local_time_is_helsinki_time_across_summer_time():
    # 05:30 UTC is 08:30 in Helsinki in summer (UTC+3) but 07:30 in winter (UTC+2).
    assert not is_quiet(datetime(2026, 7, 1, 5, 30, tzinfo=UTC))
    assert is_quiet(datetime(2026, 1, 1, 5, 30, tzinfo=UTC))
    assert next_sms_time(datetime(2026, 3, 28, 20, 0, tzinfo=UTC)) == datetime(2026, 3, 29, 8, 0, tzinfo=HELSINKI)
