"""The assessment case at the edges mutation testing looks at (issue 17): the first day each step may take
place and the day before, what a step leaves unchanged, and the events only a change causes."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from backbone.workdays import WorkingDays
from contracts.events.assessment import InformationTopic, ServiceNeed
from assessment.domain.case import AssessmentCase, Competence, LanguageSkill, Missed
from assessment.domain.errors import Refused
from assessment.domain.rules import Interpreter

pytestmark = pytest.mark.unit

OPENED = date(2025, 3, 3)
AT = datetime(2025, 3, 6, 9, tzinfo=UTC)
ALL_TOPICS = frozenset(InformationTopic)
COMPETENCE = Competence("upper_secondary", ("retail",), (LanguageSkill("sv", "a2"),), "good", "full")


def opened(*, jobseeker: bool = False, luvn: bool = False) -> AssessmentCase:
    case = AssessmentCase.open(uuid4(), opened_on=OPENED, registered_on=OPENED, registered_jobseeker=jobseeker,
                               responsible_organisation="raseborg", luvn_required=luvn, calendar=WorkingDays(),
                               target_working_days=5)
    case.pending.clear()
    return case


def book(case: AssessmentCase, *, interpreter: bool = True, interview_id=None, now: datetime | None = None,
         mode: str | None = "on_site") -> AssessmentCase:
    case.book_interview(interview_id or uuid4(), scheduled_at=AT, place="karis", language="fi",
                        interpreter=Interpreter("ar") if interpreter else None,
                        interpreter_mode=mode, cancellation_instructions_given=True,
                        client_languages=("ar",) if interpreter else ("ar", "fi"), now=now)
    return case


def started(*, luvn: bool = False, jobseeker: bool = False) -> AssessmentCase:
    case = book(opened(luvn=luvn, jobseeker=jobseeker))
    case.hold_interview(date(2025, 3, 6), ALL_TOPICS)
    case.pending.clear()
    return case


def completed() -> AssessmentCase:
    case = started()
    case.record_competence(COMPETENCE, ())
    case.complete(date(2025, 3, 20))
    case.pending.clear()
    return case


def refused_dates(call, field: str) -> None:
    with pytest.raises(Refused, match=f"{field} must not be before the step it follows") as refused:
        call()
    assert refused.value.rule == "process.dates"


class TestFirstAllowedDay:
    def test_the_interview_may_be_held_the_day_the_case_opened_not_the_day_before(self):
        refused_dates(lambda: book(opened()).hold_interview(date(2025, 3, 2), ALL_TOPICS), "held_on")
        case = book(opened())
        case.hold_interview(OPENED, ALL_TOPICS)
        assert (case.status, case.started_on) == ("started", OPENED)

    def test_information_may_be_given_the_day_the_interview_was_held(self):
        case = book(opened())
        case.hold_interview(date(2025, 3, 6), ALL_TOPICS - {InformationTopic.DATA_HANDLING})
        refused_dates(lambda: case.inform(date(2025, 3, 5), frozenset({InformationTopic.DATA_HANDLING})), "on")
        case.inform(date(2025, 3, 6), frozenset({InformationTopic.DATA_HANDLING}))
        assert case.information_given == ALL_TOPICS

    def test_completion_may_be_the_day_the_interview_was_held(self):
        case = started()
        case.record_competence(COMPETENCE, ())
        case.complete(date(2025, 3, 6))
        assert case.completed_on == date(2025, 3, 6)

    def test_reopening_may_be_the_day_of_completion_not_the_day_before(self):
        case = completed()
        refused_dates(lambda: case.reopen(date(2025, 3, 19), "situation_changed"), "reopened_on")
        case.reopen(date(2025, 3, 20), "situation_changed")
        assert (case.status, case.completed_on, case.plan_needed) == ("started", None, None)

    def test_luvn_may_confirm_the_day_the_case_opened_not_the_day_before(self):
        case = opened(luvn=True)
        refused_dates(lambda: case.confirm_luvn(date(2025, 3, 2)), "confirmed_on")
        case.confirm_luvn(OPENED)
        assert [e.TYPE for e in case.pending] == ["LuvnParticipationConfirmed"]

    def test_a_missed_appointment_is_not_before_the_case_opened(self):
        case = book(opened())
        refused_dates(lambda: case.record_missed(date(2025, 3, 2), kind="no_show", justified=False, age=30,
                                                 interpretation_cost_cents=0), "missed_on")
        case.record_missed(OPENED, kind="no_show", justified=False, age=30, interpretation_cost_cents=0)
        assert case.status == "open"

    def test_an_interview_may_be_booked_for_now_but_not_a_moment_before(self):
        case = book(opened(), now=AT)
        assert case.status == "scheduled"
        with pytest.raises(Refused, match="scheduled_at must not be in the past") as refused:
            book(opened(), now=datetime(2025, 3, 6, 9, 0, 1, tzinfo=UTC))
        assert refused.value.rule == "process.dates"


class TestBooking:
    def test_r27_an_interpreter_needs_a_mode(self):
        with pytest.raises(Refused, match="interpreter.mode is required") as refused:
            book(opened(), mode=None)
        assert refused.value.rule == "R27"

    def test_no_interpreter_keeps_no_mode_and_books_none(self):
        case = book(opened(), interpreter=False, mode="phone")
        [scheduled] = case.pending
        assert (case.interview.interpreter_language, case.interview.interpreter_mode) == (None, None)
        assert (scheduled.interpreter, scheduled.interpreter_language) == (False, None)

    def test_a_rebooking_names_the_interview_it_replaces_and_a_first_booking_none(self):
        first, second = uuid4(), uuid4()
        case = book(opened(), interview_id=first)
        book(case, interview_id=second)
        scheduled = [e for e in case.pending if e.TYPE == "InitialInterviewScheduled"]
        assert [e.replaces_interview_id for e in scheduled] == [None, first]

    def test_after_a_no_show_the_next_booking_replaces_nothing(self):
        case = book(opened())
        case.record_missed(date(2025, 3, 6), kind="no_show", justified=False, age=30, interpretation_cost_cents=0)
        case.pending.clear()
        book(case)
        assert case.pending[0].replaces_interview_id is None

    @pytest.mark.parametrize("status", ["started", "completed", "closed"])
    def test_booking_only_while_open_or_scheduled(self, status):
        case = opened()
        case.status = status
        with pytest.raises(Refused, match=f"booking the interview is not possible while the case is {status}") as r:
            book(case)
        assert r.value.rule == "process.status"


class TestHoldingAndInforming:
    @pytest.mark.parametrize(("interpreter", "luvn"), [(True, True), (False, False)])
    def test_the_start_says_whether_an_interpreter_and_luvn_take_part(self, interpreter, luvn):
        case = book(opened(luvn=luvn), interpreter=interpreter)
        case.pending.clear()
        case.hold_interview(date(2025, 3, 6), frozenset())
        [event] = case.pending
        assert (event.TYPE, event.interpreter, event.luvn_participates, event.language) == (
            "AssessmentStarted", interpreter, luvn, "fi")

    def test_only_topics_not_yet_told_are_published_in_order(self):
        case = book(opened())
        case.hold_interview(date(2025, 3, 6), frozenset({InformationTopic.DATA_HANDLING}))
        case.pending.clear()
        case.inform(date(2025, 3, 7), ALL_TOPICS)
        [event] = case.pending
        assert event.topics == tuple(sorted(ALL_TOPICS - {InformationTopic.DATA_HANDLING}))
        assert event.interview_id == case.interview.interview_id
        case.pending.clear()
        case.inform(date(2025, 3, 8), ALL_TOPICS)
        assert case.pending == []


class TestMissed:
    def test_a_refusal_during_the_assessment_keeps_it_started_and_charges_nothing(self):
        case = started()
        case.record_missed(date(2025, 3, 7), kind="refusal", justified=False, age=30, interpretation_cost_cents=4000)
        [event] = case.pending
        assert (event.kind, event.fee_cents, case.status) == ("refusal", 0, "started")

    def test_a_no_show_is_recorded_only_while_an_interview_is_booked(self):
        with pytest.raises(Refused, match="recording a no-show is not possible") as refused:
            started().record_missed(date(2025, 3, 7), kind="no_show", justified=False, age=30,
                                    interpretation_cost_cents=0)
        assert refused.value.rule == "process.status"

    def test_r24_a_justified_earlier_absence_does_not_count(self):
        case = book(opened(jobseeker=True))
        case.record_missed(date(2025, 3, 6), kind="no_show", justified=True, age=30, interpretation_cost_cents=0)
        book(case)
        case.pending.clear()
        case.record_missed(date(2025, 3, 13), kind="no_show", justified=False, age=30, interpretation_cost_cents=0)
        assert [e.TYPE for e in case.pending] == ["NoShowRecorded"]

    def test_r26_a_justified_no_show_is_charged_nothing_and_the_fee_is_kept(self):
        case = book(opened())
        case.record_missed(date(2025, 3, 6), kind="no_show", justified=True, age=30, interpretation_cost_cents=4000)
        assert (case.pending[-1].fee_cents, case.missed[-1].fee_cents, case.missed[-1].justified) == (0, 0, True)
        book(case)
        case.record_missed(date(2025, 3, 7), kind="no_show", justified=False, age=30, interpretation_cost_cents=4000)
        assert [m.fee_cents for m in case.missed] == [0, 4000]


class TestLuvnCompetenceCompletion:
    def test_r6_a_second_confirmation_changes_nothing(self):
        case = opened(luvn=True)
        case.confirm_luvn(date(2025, 3, 4))
        case.confirm_luvn(date(2025, 3, 5))
        assert (case.luvn_confirmed_on, len(case.pending)) == (date(2025, 3, 4), 1)

    def test_r6_refusal_says_why(self):
        with pytest.raises(Refused, match="LUVN takes part only where"):
            opened(luvn=False).confirm_luvn(OPENED)

    def test_service_needs_are_kept_once_each_in_order(self):
        case = started()
        case.record_competence(COMPETENCE, (ServiceNeed.CIVIC_ORIENTATION, ServiceNeed.INTEGRATION_TRAINING,
                                            ServiceNeed.CIVIC_ORIENTATION))
        assert case.service_needs == (ServiceNeed.CIVIC_ORIENTATION, ServiceNeed.INTEGRATION_TRAINING)

    def test_r4_guidance_alone_completes_without_a_plan(self):
        case = started()
        case.record_competence(COMPETENCE, (ServiceNeed.GUIDANCE_AND_COUNSELLING,))
        case.complete(date(2025, 3, 20))
        assert (case.plan_needed, case.pending[-1].plan_needed) == (False, False)

    def test_completion_without_competence_is_refused(self):
        with pytest.raises(Refused) as refused:
            started().complete(date(2025, 3, 20))
        assert refused.value.rule == "process.competence"


class TestClockAndFollowing:
    def test_a_new_registration_restarts_the_clock_before_the_interview(self):
        case = opened()
        case.restart_clock(date(2025, 3, 10), registered_jobseeker=True, calendar=WorkingDays(), target_working_days=5)
        assert (case.due_on, case.due_rule, case.registered_jobseeker) == (date(2025, 3, 17), "R9", True)
        book(case)
        case.restart_clock(date(2025, 3, 17), registered_jobseeker=False, calendar=WorkingDays(),
                           target_working_days=5)
        assert (case.due_on, case.due_rule) == (date(2025, 3, 24), "R8")

    def test_the_clock_does_not_restart_once_the_interview_was_held(self):
        case = started()
        case.restart_clock(date(2025, 3, 10), registered_jobseeker=True, calendar=WorkingDays(), target_working_days=5)
        assert (case.due_on, case.due_rule, case.registered_jobseeker) == (date(2025, 3, 10), "R8", True)

    def test_following_intake_changes_only_what_it_names(self):
        case = opened()
        case.follow(luvn_required=True)
        assert (case.responsible_organisation, case.luvn_required, case.registered_jobseeker) == (
            "raseborg", True, False)
        case.follow(responsible_organisation="employment-region", registered_jobseeker=True)
        assert (case.responsible_organisation, case.luvn_required, case.registered_jobseeker) == (
            "employment-region", True, True)
        case.follow(luvn_required=False)
        assert case.luvn_required is False

    def test_a_closed_case_takes_no_step_and_misses_no_deadline(self):
        case = opened()
        case.close()
        assert case.status == "closed"
        assert case.check_deadline(date(2026, 1, 1)) is False
        with pytest.raises(Refused, match="while the case is closed"):
            book(case)

    def test_a_scheduled_case_still_misses_its_deadline(self):
        case = book(opened())
        case.pending.clear()
        assert case.check_deadline(date(2025, 3, 11)) is True
        assert case.pending[0].deadline == "assessment_start"


class TestValues:
    def test_what_a_case_keeps_of_an_interview_a_miss_and_the_competence_cannot_change_in_place(self):
        case = book(opened())
        case.record_missed(date(2025, 3, 6), kind="no_show", justified=False, age=30, interpretation_cost_cents=0)
        values = [(case.interview, "language"), (case.missed[0], "fee_cents"), (COMPETENCE, "work_ability"),
                  (COMPETENCE.language_skills[0], "level")]
        assert isinstance(case.missed[0], Missed)
        for value, name in values:
            with pytest.raises(dataclasses.FrozenInstanceError):
                setattr(value, name, None)


class TestNewCaseAndSignatures:
    def test_a_new_case_is_at_version_0_and_open(self):
        case = opened()
        assert (case.version, case.status, case.interview, case.missed, case.pending) == (0, "open", None, (), [])

    def test_an_interview_may_be_booked_for_any_time_after_now(self):
        case = book(opened(), now=datetime(2025, 3, 1, 12, tzinfo=UTC))
        assert case.status == "scheduled"

    @pytest.mark.parametrize("call", [
        lambda: AssessmentCase.open(uuid4(), OPENED, OPENED, False, "raseborg", False, WorkingDays(), 5),
        lambda: book(opened()).record_missed(OPENED, "no_show", False, 30, 0),
        lambda: opened().restart_clock(OPENED, True, WorkingDays(), 5),
        lambda: opened().follow("hango", True, True),
        lambda: opened().book_interview(uuid4(), AT, "karis", "fi", None, None, True, ("fi",)),
    ])
    def test_the_flags_are_keyword_only_so_two_of_them_can_never_be_swapped(self, call):
        with pytest.raises(TypeError, match="positional argument"):
            call()


class TestDeadlineOfACaseReadBack:
    def test_r9_deadline_kind_for_a_rule_read_from_the_database_not_only_a_literal(self):
        case = opened(jobseeker=True)
        case.due_rule = "".join(["R", "9"])  # as a row read back gives it: equal, not the same object

        assert case.check_deadline(date(2025, 3, 11)) is True
        assert case.pending[0].deadline == "initial_interview"

    def test_a_rebooking_of_a_case_read_back_names_the_interview_it_replaces(self):
        first = uuid4()
        case = book(opened(), interview_id=first)
        case.status = "".join(["sched", "uled"])  # as a row read back gives it: equal, not the same object
        case.pending.clear()
        book(case)
        assert case.pending[0].replaces_interview_id == first
