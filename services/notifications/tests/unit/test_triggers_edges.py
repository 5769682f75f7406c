"""Trigger rows and schedules at their edges: a date-relative message on its last day and the day after,
the working day before an early-morning booking, a row without conditions, the table's numbers
(mutation testing, issue 17)."""

import dataclasses
from datetime import UTC, date, datetime, time
from types import SimpleNamespace

import pytest

from notifications.domain.quiet_hours import HELSINKI
from notifications.domain.triggers import TRIGGERS, DaysBefore, Now, Trigger, WorkingDayBefore, cancellations, triggered

pytestmark = pytest.mark.unit

ENDS = SimpleNamespace(window_ends_on=date(2026, 6, 30))
SIXTY_DAYS_BEFORE = datetime(2026, 5, 1, 10, 0, tzinfo=HELSINKI)


class TestDaysBefore:
    schedule = DaysBefore("window_ends_on", 60)

    def test_it_goes_at_10_the_given_number_of_days_before_the_date(self):
        assert self.schedule.at == time(10, 0)
        assert self.schedule.not_before(ENDS, datetime(2026, 3, 1, tzinfo=UTC)) == SIXTY_DAYS_BEFORE

    def test_at_the_moment_itself_it_goes_then(self):
        assert self.schedule.not_before(ENDS, SIXTY_DAYS_BEFORE) == SIXTY_DAYS_BEFORE

    def test_after_that_moment_it_goes_now(self):
        received = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)

        assert self.schedule.not_before(ENDS, received) == received

    def test_on_the_date_itself_it_still_goes_now(self):
        last = datetime(2026, 6, 30, 23, 59, tzinfo=HELSINKI)

        assert self.schedule.not_before(ENDS, last) == last

    def test_the_day_after_the_date_nothing_is_sent(self):
        assert self.schedule.not_before(ENDS, datetime(2026, 7, 1, 0, 0, tzinfo=HELSINKI)) is None

    def test_the_day_is_helsinkis_day(self):
        # 21:30 UTC on 30 June is already 1 July in Helsinki (UTC+3): the date has passed.
        assert self.schedule.not_before(ENDS, datetime(2026, 6, 30, 21, 30, tzinfo=UTC)) is None
        assert self.schedule.not_before(ENDS, datetime(2026, 6, 30, 20, 30, tzinfo=UTC)) is not None

    def test_the_plan_window_reminder_goes_60_days_ahead(self):
        (row,) = [t for t in TRIGGERS if t.template == "plan_window_ending"]

        assert row.schedule == DaysBefore("window_ends_on", 60)
        assert row.schedule.not_before(ENDS, datetime(2026, 3, 1, tzinfo=UTC)) == SIXTY_DAYS_BEFORE


class TestWorkingDayBefore:
    def test_it_goes_at_10_by_default(self):
        assert WorkingDayBefore("scheduled_at").at == time(10, 0)

    def test_the_day_before_a_monday_booking_is_the_friday(self):
        event = SimpleNamespace(scheduled_at=datetime(2026, 3, 9, 9, 0, tzinfo=HELSINKI))
        received = datetime(2026, 3, 1, tzinfo=UTC)

        assert WorkingDayBefore("scheduled_at").not_before(event, received) == datetime(2026, 3, 6, 10, 0,
                                                                                          tzinfo=HELSINKI)

    def test_the_day_before_a_wednesday_booking_is_the_tuesday(self):
        event = SimpleNamespace(scheduled_at=datetime(2026, 3, 11, 9, 0, tzinfo=HELSINKI))
        received = datetime(2026, 3, 1, tzinfo=UTC)

        assert WorkingDayBefore("scheduled_at").not_before(event, received) == datetime(2026, 3, 10, 10, 0,
                                                                                          tzinfo=HELSINKI)

    def test_the_booking_day_is_helsinkis_day(self):
        # 22:30 UTC on Monday 9 March is 00:30 on Tuesday in Helsinki: the reminder goes on Monday.
        event = SimpleNamespace(scheduled_at=datetime(2026, 3, 9, 22, 30, tzinfo=UTC))

        assert WorkingDayBefore("scheduled_at").not_before(event, datetime(2026, 3, 1, tzinfo=UTC)) == datetime(
            2026, 3, 9, 10, 0, tzinfo=HELSINKI)

    def test_a_reminder_received_at_its_own_moment_is_not_sent(self):
        event = SimpleNamespace(scheduled_at=datetime(2026, 3, 11, 9, 0, tzinfo=HELSINKI))
        moment = datetime(2026, 3, 10, 10, 0, tzinfo=HELSINKI)

        assert WorkingDayBefore("scheduled_at").not_before(event, moment) is None


class TestRows:
    def test_a_row_sends_now_with_no_conditions_params_subject_or_cancellation_by_default(self):
        row = Trigger("PlanIssued", "plan_issued", ("email",))

        assert (row.when, row.params, row.schedule, row.subject, row.cancelled_by) == ({}, (), Now(), None, ())
        assert row.matches("PlanIssued", SimpleNamespace()) is True
        assert row.matches("PlanExtended", SimpleNamespace()) is False

    def test_now_is_the_moment_the_event_is_received(self):
        received = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

        assert Now().not_before(SimpleNamespace(), received) == received

    def test_every_condition_must_hold(self):
        row = Trigger("ClientRegistered", "x", ("email",), when={"source": frozenset({"a"}),
                                                                "state": frozenset({"b"})})

        assert row.matches("ClientRegistered", SimpleNamespace(source="a", state="b"))
        assert not row.matches("ClientRegistered", SimpleNamespace(source="a", state="c"))
        assert not row.matches("ClientRegistered", SimpleNamespace(source="c", state="b"))
        assert not row.matches("ClientRegistered", SimpleNamespace(source="a"))  # a missing field never matches

    def test_an_event_of_another_type_never_matches_even_with_the_fields(self):
        row = Trigger("ClientRegistered", "x", ("email",), when={"source": frozenset({"a"})})

        assert not row.matches("ClientSourceAdded", SimpleNamespace(source="a"))

    def test_an_own_request_sends_the_acknowledgement_and_a_to_be_assessed_client_the_window_reminder(self):
        event = SimpleNamespace(source="own_request", state="to_be_assessed")

        assert [t.template for t in triggered("ClientRegistered", event)] == ["contact_acknowledgement",
                                                                             "plan_window_ending"]
        assert [t.template for t in triggered("ClientSourceAdded", event)] == ["contact_acknowledgement"]

    def test_events_that_cancel_nothing_cancel_nothing(self):
        assert cancellations("ClientRegistered") == [] and cancellations("PlanExtended") == []

    def test_rows_and_schedules_are_frozen(self):
        for value, name in ((TRIGGERS[0], "template"), (Now(), "x"), (DaysBefore("d", 1), "days"),
                            (WorkingDayBefore("d"), "field")):
            with pytest.raises(dataclasses.FrozenInstanceError):
                setattr(value, name, None)


class TestMoreEdges:
    def test_the_reminder_steps_back_one_day_at_a_time(self):
        # Wednesday 7 January 2026: Tuesday the 6th is Epiphany, so Monday the 5th (not the 2nd, 1st or 30th).
        event = SimpleNamespace(scheduled_at=datetime(2026, 1, 7, 9, 0, tzinfo=HELSINKI))

        assert WorkingDayBefore("scheduled_at").not_before(event, datetime(2025, 12, 1, tzinfo=UTC)) == datetime(
            2026, 1, 5, 10, 0, tzinfo=HELSINKI)

    def test_a_booking_received_after_the_reminder_moment_sends_no_reminder(self):
        event = SimpleNamespace(scheduled_at=datetime(2026, 3, 11, 9, 0, tzinfo=HELSINKI))

        assert WorkingDayBefore("scheduled_at").not_before(event, datetime(2026, 3, 10, 15, 0,
                                                                          tzinfo=HELSINKI)) is None
        assert WorkingDayBefore("scheduled_at").not_before(event, datetime(2026, 3, 11, 8, 0, tzinfo=HELSINKI)) is None

    def test_an_event_type_read_from_a_message_header_matches_by_value(self):
        event_type = "".join(list("PlanIssued"))  # a new string object, as a parsed header carries it

        assert [t.template for t in triggered(event_type, SimpleNamespace())] == ["plan_issued"]
