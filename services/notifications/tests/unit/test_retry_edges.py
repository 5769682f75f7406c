"""Retries at their edges: the defaults (30 s doubling to an hour, for 48 hours), the first attempt,
and the last moment inside the horizon (mutation testing, issue 17)."""

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from notifications.domain.retry import RetryPolicy

pytestmark = pytest.mark.unit

QUEUED = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def test_the_default_backoff_starts_at_30_seconds_and_stops_growing_at_an_hour():
    policy = RetryPolicy()

    assert [policy.delay(n) for n in (1, 2, 3)] == [timedelta(seconds=30), timedelta(seconds=60),
                                                     timedelta(seconds=120)]
    assert policy.delay(7) == timedelta(seconds=1920) and policy.delay(8) == timedelta(hours=1)
    assert policy.delay(40) == timedelta(hours=1)


def test_before_any_failure_the_wait_is_the_base():
    assert RetryPolicy(base_s=30).delay(0) == timedelta(seconds=30)
    assert RetryPolicy(base_s=30).delay(-3) == timedelta(seconds=30)


def test_by_default_a_temporary_failure_is_retried_for_48_hours_and_no_longer():
    policy = RetryPolicy()
    last = QUEUED + timedelta(hours=48) - timedelta(hours=1)

    assert policy.next_attempt(attempts=20, queued_at=QUEUED, now=last, permanent=False) == QUEUED + timedelta(hours=48)
    assert policy.next_attempt(attempts=20, queued_at=QUEUED, now=last + timedelta(seconds=1),
                               permanent=False) is None


def test_the_next_attempt_is_now_plus_the_delay():
    policy = RetryPolicy(base_s=10, max_s=100, horizon_s=1000)
    now = QUEUED + timedelta(seconds=5)

    assert policy.next_attempt(attempts=2, queued_at=QUEUED, now=now, permanent=False) == now + timedelta(seconds=20)


def test_a_policy_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        RetryPolicy().base_s = 1.0  # type: ignore[misc]


def test_the_next_attempt_takes_its_moments_by_keyword_only():
    # queued_at and now are both datetimes: named, they cannot be swapped unnoticed
    with pytest.raises(TypeError, match="positional argument"):
        RetryPolicy().next_attempt(1, QUEUED, QUEUED, False)  # type: ignore[misc]
