"""The case folded from its events (`domain.history`, what a rebuild of `cases` runs) is the case its
commands left, step by step, for every event assessment publishes; only what no event carries differs."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from backbone.workdays import WorkingDays
from contracts.events.assessment import (
    EVENTS,
    InformationTopic,
    InterpreterMode,
    MissedAppointmentKind,
    ReopenReason,
    ServiceNeed,
    ServicePoint,
)
from contracts.events.base import Event
from contracts.events.intake import ClientErased
from contracts.registry import CATALOGUE
from contracts.envelope import Envelope
from assessment.adapters.postgres import case_from_json, case_to_json
from assessment.domain import history
from assessment.domain.case import AssessmentCase, Cefr, Competence, EducationLevel, LanguageSkill, Literacy, WorkAbility
from assessment.domain.rules import Interpreter

pytestmark = pytest.mark.unit

COMPETENCE = Competence(EducationLevel.UPPER_SECONDARY, ("retail",), (LanguageSkill("sv", Cefr.A2),), Literacy.GOOD,
                        WorkAbility.FULL)
NO_SHOW, REFUSAL = MissedAppointmentKind.NO_SHOW, MissedAppointmentKind.REFUSAL


def comparable(case: AssessmentCase) -> AssessmentCase:
    """The case as a rebuild can know it: through its JSON (as `cases.state` keeps it), without what no event
    carries (the competence; the service needs until completion)."""
    again = case_from_json(case_to_json(case))
    return dataclasses.replace(again, competence=None,
                               service_needs=again.service_needs if again.status == "completed" else ())


class Replayed:
    """Runs commands on a case and folds each event they leave, through its bytes, into a second case."""

    def __init__(self, case: AssessmentCase) -> None:
        self.case, self.folded, self.types = case, None, []
        self.fold()

    def fold(self) -> None:
        events, self.case.pending = self.case.pending, []
        self.case.version += len(events)
        for event in events:
            envelope = Envelope.wrap(event, producer="assessment", organisation="raseborg", actor="officer-1",
                                     client_id=self.case.client_id, correlation_id=uuid4())
            decoded: Event = CATALOGUE.decode(Envelope.from_bytes(envelope.to_bytes()))
            self.folded = history.when(self.folded, self.case.client_id, decoded)
            self.types.append(event.TYPE)
        assert comparable(self.folded) == comparable(self.case)

    def do(self, step: str, *args, **kwargs) -> None:
        getattr(self.case, step)(*args, **kwargs)
        self.fold()


def opened(*, jobseeker: bool, luvn: bool) -> Replayed:
    return Replayed(AssessmentCase.open(uuid4(), opened_on=date(2025, 3, 3), registered_on=date(2025, 3, 3),
                                        registered_jobseeker=jobseeker, responsible_organisation="raseborg",
                                        luvn_required=luvn, calendar=WorkingDays(), target_working_days=5))


def book(r: Replayed, *, interpreter: bool) -> None:
    r.do("book_interview", uuid4(), scheduled_at=datetime(2025, 3, 6, 9, tzinfo=UTC), place=ServicePoint.KARIS, language="fi",
         interpreter=Interpreter("ar") if interpreter else None, interpreter_mode=InterpreterMode.VIDEO if interpreter else None,
         cancellation_instructions_given=True, client_languages=("ar",) if interpreter else ("ar", "fi"))


class TestFoldEqualsCommands:
    def test_a_jobseekers_case_through_no_shows_a_refusal_completion_and_reopening(self):
        r = opened(jobseeker=True, luvn=False)
        r.do("check_deadline", date(2025, 3, 20))
        book(r, interpreter=True)
        r.do("record_missed", date(2025, 3, 6), kind=NO_SHOW, justified=False, age=30, interpretation_cost_cents=9000)
        book(r, interpreter=False)
        r.do("hold_interview", date(2025, 3, 21), frozenset({InformationTopic.GOALS}))
        r.do("inform", date(2025, 3, 24), frozenset(InformationTopic))
        r.do("record_missed", date(2025, 3, 25), kind=REFUSAL, justified=False, age=30, interpretation_cost_cents=0)
        r.do("record_competence", COMPETENCE, (ServiceNeed.INTEGRATION_TRAINING, ServiceNeed.CIVIC_ORIENTATION))
        r.do("complete", date(2025, 3, 26))
        r.do("reopen", date(2025, 3, 27), ReopenReason.CORRECTION)
        r.do("record_competence", COMPETENCE, (ServiceNeed.EMPLOYMENT_SERVICES,))
        r.do("complete", date(2025, 3, 28))
        assert {"RepeatedNoShowFlagged", "DeadlineMissed", "InterpreterBooked", "AssessmentReopened"} <= set(r.types)

    def test_luvns_part_confirmed(self):
        r = opened(jobseeker=False, luvn=True)
        book(r, interpreter=False)
        r.do("confirm_luvn", date(2025, 3, 4))
        r.do("hold_interview", date(2025, 3, 6), frozenset(InformationTopic))
        r.do("record_competence", COMPETENCE, ())
        r.do("complete", date(2025, 3, 7))
        assert r.types[-1] == "AssessmentCompleted" and "LuvnParticipationConfirmed" in r.types

    def test_every_event_assessment_publishes_is_folded(self):
        seen: set[str] = set()
        for jobseeker, luvn in ((True, False), (False, True)):
            r = opened(jobseeker=jobseeker, luvn=luvn)
            r.do("check_deadline", date(2025, 3, 20))
            book(r, interpreter=True)
            r.do("record_missed", date(2025, 3, 6), kind=NO_SHOW, justified=False, age=30,
                 interpretation_cost_cents=100)
            book(r, interpreter=True)
            if luvn:
                r.do("confirm_luvn", date(2025, 3, 4))
            r.do("hold_interview", date(2025, 3, 21), frozenset({InformationTopic.GOALS}))
            r.do("inform", date(2025, 3, 21), frozenset(InformationTopic))
            r.do("record_missed", date(2025, 3, 22), kind=REFUSAL, justified=False, age=30,
                 interpretation_cost_cents=0)
            r.do("record_competence", COMPETENCE, ())
            r.do("complete", date(2025, 3, 26))
            r.do("reopen", date(2025, 3, 27), ReopenReason.CORRECTION)
            seen |= set(r.types)
        assert seen == {e.TYPE for e in EVENTS} == history.FOLDED


class TestRefused:
    def test_an_event_of_a_case_never_opened_is_refused(self):
        r = opened(jobseeker=False, luvn=False)
        book(r, interpreter=False)
        later = r.case
        later.hold_interview(date(2025, 3, 6), frozenset(InformationTopic))
        with pytest.raises(history.UnknownHistory):
            history.when(None, later.client_id, later.pending[0])

    def test_an_event_that_is_not_assessments_is_refused(self):
        r = opened(jobseeker=False, luvn=False)
        with pytest.raises(history.UnknownHistory):
            history.when(r.folded, r.case.client_id, ClientErased(erased_on=date(2025, 5, 1), basis="client_request"))
