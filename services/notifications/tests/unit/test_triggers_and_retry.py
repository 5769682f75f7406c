from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from contracts.events.assessment import InitialInterviewScheduled
from contracts.events.guidance import ReferralAccepted
from contracts.registry import CATALOGUE
from notifications.domain.quiet_hours import HELSINKI
from notifications.domain.retry import RetryPolicy
from notifications.domain.triggers import TRIGGERS, Now, WorkingDayBefore, cancellations, triggered
from notifications.service_layer.events import notification_id

pytestmark = pytest.mark.unit


def interview(at: datetime) -> InitialInterviewScheduled:
    return InitialInterviewScheduled(interview_id=uuid4(), assessment_id=uuid4(), scheduled_at=at, place="ekenas",
                                     responsible_organisation="employment-region", due_on=at.date(), due_rule="R9",
                                     cancellation_instructions_given=True, language="ar",
                                     interpreter=True)


def test_every_trigger_names_a_known_event_and_real_fields():
    for t in TRIGGERS:
        fields = CATALOGUE.model(t.event_type).model_fields
        for name in (*t.params, *t.when, *([t.subject] if t.subject else [])):
            assert name in fields, (t.event_type, name)
        for cancelling in t.cancelled_by:
            CATALOGUE.model(cancelling)


def test_a_newcomer_notice_sends_the_welcome_letter_and_other_sources_do_not():
    class Registered:
        source, state = "municipal_newcomer_notice", "guidance_only"

    assert [t.template for t in triggered("ClientRegistered", Registered())] == ["welcome"]
    Registered.source = "kela_notification"
    assert triggered("ClientRegistered", Registered()) == []


def test_the_welcome_goes_by_email_else_as_a_printed_letter():
    welcome = next(t for t in TRIGGERS if t.template == "welcome")
    assert welcome.channels == ("email", "letter")


def test_an_interview_booking_sends_an_invitation_now_and_a_reminder_the_working_day_before():
    # Monday 9 March 2026, 10:00 Helsinki: the reminder goes on Friday 6 March at 10:00.
    event = interview(datetime(2026, 3, 9, 10, 0, tzinfo=HELSINKI))
    received = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    rows = {t.template: t for t in triggered("InitialInterviewScheduled", event)}
    assert set(rows) == {"interview_invitation", "interview_reminder"}
    assert rows["interview_invitation"].schedule.not_before(event, received) == received
    assert rows["interview_reminder"].schedule.not_before(event, received) == datetime(2026, 3, 6, 10, 0,
                                                                                       tzinfo=HELSINKI)


def test_the_reminder_skips_holidays():
    # Tuesday 7 April 2026 follows Easter Monday (6 April) and Good Friday (3 April): Thursday 2 April.
    event = interview(datetime(2026, 4, 7, 9, 0, tzinfo=HELSINKI))
    moment = WorkingDayBefore("scheduled_at").not_before(event, datetime(2026, 3, 20, tzinfo=UTC))
    assert moment == datetime(2026, 4, 2, 10, 0, tzinfo=HELSINKI)


def test_no_reminder_when_the_booking_comes_after_the_reminder_time():
    event = interview(datetime(2026, 3, 9, 10, 0, tzinfo=HELSINKI))
    schedule = WorkingDayBefore("scheduled_at")
    assert schedule.not_before(event, datetime(2026, 3, 6, 7, 59, tzinfo=UTC)) is not None  # 09:59 local
    assert schedule.not_before(event, datetime(2026, 3, 6, 8, 0, tzinfo=UTC)) is None  # 10:00 local


def test_a_referral_acceptance_carries_the_course_start():
    event = ReferralAccepted(referral_id=uuid4(), accepted_on=date(2026, 3, 1), starts_on=date(2026, 4, 1))
    (row,) = triggered("ReferralAccepted", event)
    assert row.params == ("starts_on",) and isinstance(row.schedule, Now)


def test_a_plan_cancels_the_waiting_plan_window_reminder():
    assert [t.template for t in cancellations("PlanIssued")] == ["plan_window_ending"]


def test_the_message_id_is_derived_from_the_event_and_the_template():
    event_id = uuid4()
    assert notification_id(event_id, "welcome") == notification_id(event_id, "welcome")
    assert notification_id(event_id, "welcome") != notification_id(event_id, "interview_reminder")
    assert notification_id(event_id, "welcome") != notification_id(uuid4(), "welcome")


def test_retries_back_off_exponentially_up_to_the_cap():
    policy = RetryPolicy(base_s=30, max_s=300, horizon_s=86400)
    assert [policy.delay(n).total_seconds() for n in (1, 2, 3, 4, 5, 6)] == [30, 60, 120, 240, 300, 300]


def test_a_temporary_failure_is_final_only_past_the_horizon():
    policy = RetryPolicy(base_s=10, max_s=10, horizon_s=60)
    queued = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    assert policy.next_attempt(attempts=3, queued_at=queued, now=queued + timedelta(seconds=50),
                               permanent=False) == queued + timedelta(seconds=60)  # the last allowed moment
    assert policy.next_attempt(attempts=4, queued_at=queued, now=queued + timedelta(seconds=51),
                               permanent=False) is None


def test_a_permanent_failure_is_final_at_once():
    queued = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    assert RetryPolicy().next_attempt(attempts=1, queued_at=queued, now=queued, permanent=True) is None
