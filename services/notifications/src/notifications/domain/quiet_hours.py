"""No SMS between 21:00 and 08:00 local time (Europe/Helsinki): such messages wait until 08:00."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

HELSINKI = ZoneInfo("Europe/Helsinki")
QUIET_FROM = time(21, 0)
QUIET_UNTIL = time(8, 0)


def is_quiet(moment: datetime) -> bool:
    local = moment.astimezone(HELSINKI).time()
    return local >= QUIET_FROM or local < QUIET_UNTIL


def next_sms_time(moment: datetime) -> datetime:
    """`moment` itself outside quiet hours, else the next 08:00 in Helsinki (DST-safe)."""
    if moment.tzinfo is None:
        raise ValueError("moment: must carry a time zone")
    if not is_quiet(moment):
        return moment
    local = moment.astimezone(HELSINKI)
    day = local.date() if local.time() < QUIET_UNTIL else local.date() + timedelta(days=1)
    return datetime.combine(day, QUIET_UNTIL, tzinfo=HELSINKI)
