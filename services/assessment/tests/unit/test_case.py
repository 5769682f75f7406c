"""The assessment case as a pure aggregate: the steps in order, the rules at each, the events they cause."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backbone.clientview import ClientView
from backbone.workdays import WorkingDays
from contracts.events.assessment import InformationTopic, ServiceNeed
from contracts.registry import CATALOGUE
from assessment.domain.case import BOOKING_HORIZON, AssessmentCase, Competence, LanguageSkill, case_id_for
from assessment.domain.errors import Refused
from assessment.domain.rules import Interpreter
from assessment.service_layer.handlers import check_may_act

pytestmark = pytest.mark.unit

ALL_TOPICS = frozenset(InformationTopic)
COMPETENCE = Competence("upper_secondary", ("retail",), (LanguageSkill("sv", "a2"),), "good", "full")


def opened(*, jobseeker: bool = False, luvn: bool = False, organisation: str = "raseborg") -> AssessmentCase:
    case = AssessmentCase.open(uuid4(), opened_on=date(2025, 3, 3), registered_on=date(2025, 3, 3),
                               registered_jobseeker=jobseeker, responsible_organisation=organisation,
                               luvn_required=luvn, calendar=WorkingDays(), target_working_days=5)
    case.pending.clear()
    return case


def booked(case: AssessmentCase, *, informed: bool = True, interpreter: bool = True) -> AssessmentCase:
    case.book_interview(uuid4(), scheduled_at=datetime(2025, 3, 6, 9, tzinfo=UTC), place="karis", language="fi",
                        interpreter=Interpreter("ar") if interpreter else None,
                        interpreter_mode="on_site" if interpreter else None,
                        cancellation_instructions_given=informed, client_languages=("ar", "fi") if not interpreter
                        else ("ar",))
    case.pending.clear()
    return case


def types(case: AssessmentCase) -> list[str]:
    return [e.TYPE for e in case.pending]


def view(client_id, organisation: str, *, luvn: bool = False, erased: bool = False) -> ClientView:
    return ClientView(client_id, organisation, "raseborg", ("ar",), (), "to_be_assessed", False, luvn,
                      date(2028, 1, 1), date(2025, 3, 3), None, None, None, date(2025, 5, 1) if erased else None, None)


class TestOpening:
    def test_r8_opening_publishes_the_case_with_its_due_day(self):
        case = AssessmentCase.open(uuid4(), opened_on=date(2025, 3, 3), registered_on=date(2025, 3, 3),
                                   registered_jobseeker=False, responsible_organisation="raseborg",
                                   luvn_required=True, calendar=WorkingDays(), target_working_days=5)
        [event] = case.pending
        assert (event.TYPE, event.due_on, event.due_rule) == ("AssessmentCaseOpened", date(2025, 3, 10), "R8")

    def test_r9_a_jobseekers_case_is_due_on_the_fifth_working_day(self):
        assert (opened(jobseeker=True).due_on, opened(jobseeker=True).due_rule) == (date(2025, 3, 10), "R9")

    def test_one_case_id_per_client(self):
        client = uuid4()
        assert case_id_for(client) == case_id_for(client) != case_id_for(uuid4())


class TestProcess:
    def test_booking_publishes_the_invitation_and_the_interpreter(self):
        case = opened()
        case.book_interview(uuid4(), scheduled_at=datetime(2025, 3, 6, 9, tzinfo=UTC), place="hanko", language="fi",
                            interpreter=Interpreter("ar"), interpreter_mode="phone",
                            cancellation_instructions_given=True, client_languages=("ar",))
        scheduled, interpreter = case.pending
        assert scheduled.TYPE == "InitialInterviewScheduled" and interpreter.TYPE == "InterpreterBooked"
        assert (scheduled.place, scheduled.interpreter_language, scheduled.cancellation_instructions_given) == (
            "hanko", "ar", True)
        assert CATALOGUE.latest_version(scheduled.TYPE) == scheduled.VERSION

    def test_r27_a_relative_is_refused_and_nothing_changes(self):
        case = opened()
        with pytest.raises(Refused) as refused:
            case.book_interview(uuid4(), scheduled_at=datetime(2025, 3, 6, 9, tzinfo=UTC), place="karis",
                                language="fi", interpreter=Interpreter("ar", relative=True), interpreter_mode="on_site",
                                cancellation_instructions_given=True, client_languages=("ar",))
        assert refused.value.rule == "R27"
        assert (case.status, case.interview, case.pending) == ("open", None, [])

    def test_a_whole_assessment_publishes_assessment_completed_with_r4_plan_needed(self):
        case = booked(opened())
        case.hold_interview(date(2025, 3, 6), ALL_TOPICS)
        case.record_competence(COMPETENCE, (ServiceNeed.INTEGRATION_TRAINING, ServiceNeed.CIVIC_ORIENTATION))
        case.complete(date(2025, 3, 20))
        assert types(case) == ["AssessmentStarted", "ClientInformed", "AssessmentCompleted"]
        completed = case.pending[-1]
        assert completed.plan_needed is True
        assert completed.service_needs == (ServiceNeed.INTEGRATION_TRAINING, ServiceNeed.CIVIC_ORIENTATION)

    def test_r28_completion_refused_until_every_topic_is_told(self):
        case = booked(opened())
        case.hold_interview(date(2025, 3, 6), ALL_TOPICS - {InformationTopic.DATA_HANDLING})
        case.record_competence(COMPETENCE, ())
        with pytest.raises(Refused) as refused:
            case.complete(date(2025, 3, 20))
        assert refused.value.rule == "R28"
        case.inform(date(2025, 3, 7), frozenset({InformationTopic.DATA_HANDLING}))
        case.complete(date(2025, 3, 20))
        assert case.status == "completed"

    def test_r6_completion_refused_until_luvn_confirms(self):
        case = booked(opened(luvn=True))
        case.hold_interview(date(2025, 3, 6), ALL_TOPICS)
        case.record_competence(COMPETENCE, ())
        with pytest.raises(Refused) as refused:
            case.complete(date(2025, 3, 20))
        assert refused.value.rule == "R6"
        case.confirm_luvn(date(2025, 3, 10))
        case.complete(date(2025, 3, 20))
        assert types(case)[-1] == "AssessmentCompleted"

    def test_r6_luvn_cannot_confirm_where_it_does_not_take_part(self):
        with pytest.raises(Refused) as refused:
            opened(luvn=False).confirm_luvn(date(2025, 3, 10))
        assert refused.value.rule == "R6"

    def test_steps_out_of_order_are_refused(self):
        with pytest.raises(Refused) as refused:
            opened().complete(date(2025, 3, 20))
        assert refused.value.rule == "process.status"

    def test_reopening_a_completed_assessment(self):
        case = booked(opened())
        case.hold_interview(date(2025, 3, 6), ALL_TOPICS)
        case.record_competence(COMPETENCE, ())
        case.complete(date(2025, 3, 20))
        case.reopen(date(2025, 4, 1), "situation_changed")
        assert (case.status, types(case)[-1]) == ("started", "AssessmentReopened")


class TestNoShows:
    def test_r26_no_show_fee_from_the_interpretation_cost_and_back_to_booking(self):
        case = booked(opened())
        case.record_missed(date(2025, 3, 6), kind="no_show", justified=False, age=30, interpretation_cost_cents=9000)
        [event] = case.pending
        assert (event.TYPE, event.fee_cents, case.status) == ("NoShowRecorded", 5670, "open")

    def test_r26_no_fee_when_not_told_at_booking(self):
        case = booked(opened(), informed=False)
        case.record_missed(date(2025, 3, 6), kind="no_show", justified=False, age=30, interpretation_cost_cents=4000)
        assert case.pending[0].fee_cents == 0

    def test_r26_no_fee_without_an_interpreter(self):
        case = booked(opened(), interpreter=False)
        case.record_missed(date(2025, 3, 6), kind="no_show", justified=False, age=30, interpretation_cost_cents=4000)
        assert case.pending[0].fee_cents == 0

    def test_r24_second_unjustified_no_show_of_a_jobseeker_is_flagged(self):
        case = booked(opened(jobseeker=True))
        case.record_missed(date(2025, 3, 6), kind="no_show", justified=False, age=30, interpretation_cost_cents=0)
        booked(case)
        case.record_missed(date(2025, 3, 13), kind="no_show", justified=False, age=30, interpretation_cost_cents=0)
        assert types(case) == ["NoShowRecorded", "RepeatedNoShowFlagged"]
        assert case.pending[1].first_missed_on == date(2025, 3, 6)

    def test_r24_not_flagged_for_a_client_who_is_not_a_jobseeker(self):
        case = booked(opened(jobseeker=False))
        case.record_missed(date(2025, 3, 6), kind="no_show", justified=False, age=30, interpretation_cost_cents=0)
        booked(case)
        case.record_missed(date(2025, 3, 13), kind="no_show", justified=False, age=30, interpretation_cost_cents=0)
        assert types(case) == ["NoShowRecorded"]


class TestDeadline:
    def test_deadline_missed_once_the_day_after_the_due_day(self):
        case = opened(jobseeker=True)
        assert case.check_deadline(date(2025, 3, 10)) is False  # the due day itself is still in time
        assert case.check_deadline(date(2025, 3, 11)) is True
        assert case.check_deadline(date(2025, 3, 12)) is False
        [event] = case.pending
        assert (event.deadline, event.rule, event.due_on) == ("initial_interview", "R9", date(2025, 3, 10))

    def test_r8_deadline_for_a_client_who_is_not_a_jobseeker(self):
        case = opened()
        case.check_deadline(date(2025, 3, 11))
        assert (case.pending[0].deadline, case.pending[0].rule) == ("assessment_start", "R8")

    def test_no_deadline_once_the_interview_is_held(self):
        case = booked(opened())
        case.hold_interview(date(2025, 3, 6), ALL_TOPICS)
        case.pending.clear()
        assert case.check_deadline(date(2025, 4, 1)) is False

    @given(st.lists(st.dates(min_value=date(2025, 3, 1), max_value=date(2025, 6, 1)), max_size=20))
    def test_at_most_one_miss_per_due_day_whatever_the_runs(self, runs):
        case = opened()
        for day in runs:
            case.check_deadline(day)
        assert len(case.pending) == (1 if any(d > case.due_on for d in runs) else 0)


class TestOwnership:
    def test_the_responsible_organisation_acts(self):
        case = opened(organisation="raseborg")
        check_may_act(case, view(case.client_id, "raseborg"), "raseborg", "book_interview")

    def test_another_organisation_is_refused(self):
        case = opened(organisation="raseborg")
        with pytest.raises(Refused) as refused:
            check_may_act(case, view(case.client_id, "raseborg"), "hango", "book_interview")
        assert refused.value.rule == "ownership.case"

    def test_when_responsibility_moves_the_old_owner_loses_access(self):
        case = opened(organisation="raseborg")
        moved = view(case.client_id, "employment-region")
        check_may_act(case, moved, "employment-region", "complete")
        with pytest.raises(Refused):
            check_may_act(case, moved, "raseborg", "complete")

    def test_luvn_confirms_only_where_it_takes_part_and_does_no_other_step(self):
        case = opened(luvn=True)
        check_may_act(case, view(case.client_id, "raseborg", luvn=True), "luvn", "confirm_luvn")
        with pytest.raises(Refused):
            check_may_act(case, view(case.client_id, "raseborg", luvn=True), "luvn", "complete")
        with pytest.raises(Refused) as refused:
            check_may_act(opened(luvn=False), view(case.client_id, "raseborg"), "luvn", "confirm_luvn")
        assert refused.value.rule == "R6"

    def test_only_luvn_confirms_luvn(self):
        case = opened(luvn=True)
        with pytest.raises(Refused):
            check_may_act(case, view(case.client_id, "raseborg", luvn=True), "raseborg", "confirm_luvn")


class TestDates:
    def test_an_interview_cannot_be_booked_in_the_past(self):
        case = opened()
        with pytest.raises(Refused) as refused:
            case.book_interview(uuid4(), scheduled_at=datetime(2025, 3, 6, 9, tzinfo=UTC), place="karis",
                                language="ar", interpreter=None, interpreter_mode=None,
                                cancellation_instructions_given=True, client_languages=("ar",),
                                now=datetime(2025, 3, 6, 10, tzinfo=UTC))
        assert refused.value.rule == "process.dates"
        assert (case.status, case.pending) == ("open", [])

    def test_fuzz_an_interview_is_booked_within_a_year_not_in_9999(self):
        """Found by the HTTP fuzzing (tests/e2e/fuzz): `scheduled_at` 9999-12-31 and 2200-01-01 were booked."""
        now = datetime(2025, 3, 6, 10, tzinfo=UTC)

        def book(at: datetime) -> AssessmentCase:
            case = opened()
            case.book_interview(uuid4(), scheduled_at=at, place="karis", language="ar", interpreter=None,
                                interpreter_mode=None, cancellation_instructions_given=True, client_languages=("ar",),
                                now=now)
            return case

        for far in (now + BOOKING_HORIZON + timedelta(seconds=1), datetime(9999, 12, 31, 9, tzinfo=UTC)):
            with pytest.raises(Refused) as refused:
                book(far)
            assert refused.value.rule == "process.dates"
        assert book(now + BOOKING_HORIZON).status == "scheduled"

    def test_an_interview_is_not_held_before_the_case_opened(self):
        case = booked(opened())
        with pytest.raises(Refused) as refused:
            case.hold_interview(date(2025, 3, 2), ALL_TOPICS)
        assert refused.value.rule == "process.dates"
        assert case.status == "scheduled"

    def test_completion_not_before_the_interview(self):
        case = booked(opened())
        case.hold_interview(date(2025, 3, 6), ALL_TOPICS)
        case.record_competence(COMPETENCE, ())
        with pytest.raises(Refused) as refused:
            case.complete(date(2025, 3, 5))
        assert refused.value.rule == "process.dates"


class TestRefusalIsNotANoShow:
    def test_r26_a_refusal_carries_no_fee_but_counts_for_r24(self):
        case = booked(opened(jobseeker=True))
        case.record_missed(date(2025, 3, 6), kind="refusal", justified=False, age=30, interpretation_cost_cents=4000)
        case.record_missed(date(2025, 3, 7), kind="no_show", justified=False, age=30, interpretation_cost_cents=4000)
        refusal, no_show, flag = case.pending
        assert (refusal.kind, refusal.fee_cents, case.status) == ("refusal", 0, "open")
        assert no_show.fee_cents == 4000
        assert (flag.TYPE, flag.first_missed_on) == ("RepeatedNoShowFlagged", date(2025, 3, 6))
