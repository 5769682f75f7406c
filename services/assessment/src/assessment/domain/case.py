"""The assessment case: one per client to be assessed, from the opening (R8) to the completed assessment.

A state-stored aggregate: commands check the rules (`domain.rules`) and the step of the process,
change the case and leave the events they cause in `pending`; the unit of work saves both in one
transaction (the events go to the event store, the outbox). Competence and notes stay in assessment's
database: the events carry codes, dates and ids only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from datetime import date, datetime, timedelta
from typing import Literal
from uuid import UUID, uuid5

from backbone.workdays import WorkingDays
from contracts.events.assessment import (
    AssessmentCaseOpened,
    AssessmentCompleted,
    AssessmentReopened,
    AssessmentStarted,
    ClientInformed,
    Deadline,
    DeadlineMissed,
    InformationTopic,
    InitialInterviewScheduled,
    InterpreterBooked,
    InterpreterMode,
    LuvnParticipationConfirmed,
    MissedAppointmentKind,
    NoShowRecorded,
    ReopenReason,
    RepeatedNoShowFlagged,
    ServiceNeed,
    ServicePoint,
)
from contracts.events.base import Event
from contracts.vocabulary import Organisation
from assessment.domain import rules
from assessment.domain.errors import Refused

Status = Literal["open", "scheduled", "started", "completed", "closed"]
"""open: no interview booked; scheduled: booked; started: interview held; completed; closed: client erased."""

STATUSES: tuple[Status, ...] = ("open", "scheduled", "started", "completed", "closed")

CASE_NAMESPACE = UUID("5b0c2a1e-6f4d-4c8e-9a57-0d3f1e2b7c64")

BOOKING_HORIZON = timedelta(days=366)
"""How far ahead an interview may be booked: an initial interview is due within days (R8, R9)."""


def case_id_for(client_id: UUID) -> UUID:
    """A client's case id: the same every time, so opening a case twice cannot make two."""
    return uuid5(CASE_NAMESPACE, str(client_id))


@dataclass(frozen=True)
class Interview:
    interview_id: UUID
    scheduled_at: datetime
    place: ServicePoint
    language: str
    interpreter_language: str | None
    interpreter_mode: InterpreterMode | None
    cancellation_instructions_given: bool


@dataclass(frozen=True)
class Missed:
    missed_on: date
    kind: MissedAppointmentKind
    justified: bool
    fee_cents: int


class EducationLevel(StrEnum):
    NONE = "none"
    PRIMARY = "primary"
    LOWER_SECONDARY = "lower_secondary"
    UPPER_SECONDARY = "upper_secondary"
    VOCATIONAL = "vocational"
    BACHELOR = "bachelor"
    MASTER_OR_HIGHER = "master_or_higher"


class Cefr(StrEnum):
    """A language skill level of the Common European Framework of Reference."""

    PRE_A1 = "pre_a1"
    A1 = "a1"
    A2 = "a2"
    B1 = "b1"
    B2 = "b2"
    C1 = "c1"
    C2 = "c2"


class Literacy(StrEnum):
    """Reading and writing in the native language (decides literacy training, R22)."""

    NONE = "none"
    WEAK = "weak"
    GOOD = "good"


class WorkAbility(StrEnum):
    FULL = "full"
    PARTIAL = "partial"
    NONE = "none"
    NOT_ASSESSED = "not_assessed"


@dataclass(frozen=True)
class LanguageSkill:
    language: str
    level: Cefr


@dataclass(frozen=True)
class Competence:
    """§14's competence, as codes: education, work experience fields, language skills (CEFR), native-language
    literacy and work ability."""

    education_level: EducationLevel
    work_experience_fields: tuple[str, ...]
    language_skills: tuple[LanguageSkill, ...]
    native_language_literacy: Literacy
    work_ability: WorkAbility


@dataclass
class AssessmentCase:
    assessment_id: UUID
    client_id: UUID
    status: Status
    opened_on: date
    due_on: date
    due_rule: rules.DueRule
    responsible_organisation: Organisation
    luvn_required: bool
    registered_jobseeker: bool
    version: int = 0
    interview: Interview | None = None
    started_on: date | None = None
    information_given: frozenset[InformationTopic] = frozenset()
    luvn_confirmed_on: date | None = None
    missed: tuple[Missed, ...] = ()
    competence: Competence | None = None
    service_needs: tuple[ServiceNeed, ...] = ()
    completed_on: date | None = None
    plan_needed: bool | None = None
    deadlines_missed: frozenset[tuple[Deadline, date]] = frozenset()
    pending: list[Event] = field(default_factory=list)

    # -- opening and what intake tells us -------------------------------------------------------------

    @classmethod
    def open(cls, client_id: UUID, *, opened_on: date, registered_on: date, registered_jobseeker: bool,
             responsible_organisation: Organisation, luvn_required: bool, calendar: WorkingDays,
             target_working_days: int) -> AssessmentCase:
        """R8: the case opens at once, due on R9's day for a registered jobseeker, R8's target otherwise."""
        due_on, due_rule = rules.interview_due_on(registered_on, registered_jobseeker=registered_jobseeker,
                                                  calendar=calendar, target_working_days=target_working_days)
        case = cls(case_id_for(client_id), client_id, "open", opened_on, due_on, due_rule,
                   Organisation(responsible_organisation), luvn_required, registered_jobseeker)
        case.pending.append(AssessmentCaseOpened(
            assessment_id=case.assessment_id, opened_on=opened_on, due_on=due_on, due_rule=due_rule,
            responsible_organisation=responsible_organisation, luvn_participation_required=luvn_required))
        return case

    def restart_clock(self, registered_on: date, *, registered_jobseeker: bool, calendar: WorkingDays,
                      target_working_days: int) -> None:
        """A new jobseeker registration restarts R9's clock while no interview is held yet."""
        self.registered_jobseeker = registered_jobseeker
        if self.status in ("open", "scheduled"):
            self.due_on, self.due_rule = rules.interview_due_on(
                registered_on, registered_jobseeker=registered_jobseeker, calendar=calendar,
                target_working_days=target_working_days)

    def follow(self, *, responsible_organisation: Organisation | None = None, luvn_required: bool | None = None,
               registered_jobseeker: bool | None = None) -> None:
        """Intake moved the client or changed what decides LUVN's part: the case follows."""
        if responsible_organisation is not None:
            self.responsible_organisation = Organisation(responsible_organisation)
        if luvn_required is not None:
            self.luvn_required = luvn_required
        if registered_jobseeker is not None:
            self.registered_jobseeker = registered_jobseeker

    def close(self) -> None:
        """The client was erased: no step can follow."""
        self.status = "closed"

    # -- the steps ------------------------------------------------------------------------------------

    def _require(self, *statuses: Status, step: str) -> None:
        if self.status not in statuses:
            raise Refused("process.status", f"{step} is not possible while the case is {self.status}")

    @staticmethod
    def _not_before(day: date, earliest: date, field: str) -> None:
        if day < earliest:
            raise Refused("process.dates", f"{field} must not be before the step it follows")

    def book_interview(self, interview_id: UUID, *, scheduled_at: datetime, place: ServicePoint, language: str,
                       interpreter: rules.Interpreter | None, interpreter_mode: InterpreterMode | None,
                       cancellation_instructions_given: bool, client_languages: tuple[str, ...],
                       now: datetime | None = None) -> None:
        """Book (or re-book) the initial interview, not in the past; R27 decides the language and the
        interpreter. Telling the client how to cancel (R26) is recorded; notifications sends it."""
        self._require("open", "scheduled", step="booking the interview")
        if now is not None and scheduled_at < now:
            raise Refused("process.dates", "scheduled_at must not be in the past")
        if now is not None and scheduled_at > now + BOOKING_HORIZON:  # found by fuzzing: year 9999 was booked
            raise Refused("process.dates", "scheduled_at must be within a year")
        rules.check_interview_language(client_languages, language, interpreter)
        if interpreter is not None and interpreter_mode is None:
            raise Refused("R27", "interpreter.mode is required with an interpreter")
        replaces = self.interview.interview_id if self.status == "scheduled" and self.interview else None
        self.interview = Interview(interview_id, scheduled_at, place, language,
                                   interpreter.language if interpreter else None,
                                   interpreter_mode if interpreter else None, cancellation_instructions_given)
        self.status = "scheduled"
        self.pending.append(InitialInterviewScheduled(
            interview_id=interview_id, assessment_id=self.assessment_id, scheduled_at=scheduled_at, place=place,
            responsible_organisation=self.responsible_organisation, due_on=self.due_on, due_rule=self.due_rule,
            language=language, interpreter=interpreter is not None,
            interpreter_language=interpreter.language if interpreter else None,
            cancellation_instructions_given=cancellation_instructions_given, replaces_interview_id=replaces))
        if interpreter is not None:
            self.pending.append(InterpreterBooked(interview_id=interview_id, assessment_id=self.assessment_id,
                                                  language=interpreter.language, mode=interpreter_mode))

    def hold_interview(self, held_on: date, topics: frozenset[InformationTopic]) -> None:
        """The initial interview took place: the assessment starts, and what the client was told (R28)."""
        self._require("scheduled", step="holding the interview")
        assert self.interview is not None
        self._not_before(held_on, self.opened_on, "held_on")
        self.status, self.started_on = "started", held_on
        self.pending.append(AssessmentStarted(
            assessment_id=self.assessment_id, started_on=held_on, responsible_organisation=self.responsible_organisation,
            luvn_participates=self.luvn_required, language=self.interview.language,
            interpreter=self.interview.interpreter_language is not None))
        self._inform(held_on, topics)

    def inform(self, on: date, topics: frozenset[InformationTopic]) -> None:
        """R28 topics told after the interview began (a follow-up meeting)."""
        self._require("started", step="recording information given")
        assert self.started_on is not None
        self._not_before(on, self.started_on, "on")
        self._inform(on, topics)

    def _inform(self, on: date, topics: frozenset[InformationTopic]) -> None:
        new = topics - self.information_given
        if not new:
            return
        self.information_given = self.information_given | new
        self.pending.append(ClientInformed(assessment_id=self.assessment_id,
                                           interview_id=self.interview.interview_id if self.interview else None,
                                           informed_on=on, topics=tuple(sorted(new))))

    def record_missed(self, missed_on: date, *, kind: MissedAppointmentKind, justified: bool, age: int,
                      interpretation_cost_cents: int) -> None:
        """A missed, uncancelled interview (back to booking) or a refusal: R26's fee, R24's flag."""
        if kind == MissedAppointmentKind.NO_SHOW:
            self._require("scheduled", step="recording a no-show")
        else:
            self._require("scheduled", "started", step="recording a refusal")
        assert self.interview is not None
        self._not_before(missed_on, self.opened_on, "missed_on")
        with_interpreter = self.interview.interpreter_language is not None
        fee = 0  # R26 charges a missed appointment, not a refusal to take part
        if kind == MissedAppointmentKind.NO_SHOW:
            fee = rules.no_show_fee_cents(
                interpretation_cost_cents=interpretation_cost_cents if with_interpreter else 0, age=age,
                informed_at_booking=self.interview.cancellation_instructions_given, justified=justified)
        earlier = [m.missed_on for m in self.missed if not m.justified]
        first = rules.repeated_no_show(earlier, missed_on, registered_jobseeker=self.registered_jobseeker,
                                       justified=justified)
        self.missed = (*self.missed, Missed(missed_on, kind, justified, fee))
        self.pending.append(NoShowRecorded(assessment_id=self.assessment_id, interview_id=self.interview.interview_id,
                                           kind=kind, missed_on=missed_on, justified=justified, fee_cents=fee))
        if first is not None:
            self.pending.append(RepeatedNoShowFlagged(assessment_id=self.assessment_id, first_missed_on=first,
                                                      second_missed_on=missed_on))
        if kind == MissedAppointmentKind.NO_SHOW:
            self.status = "open"

    def confirm_luvn(self, on: date) -> None:
        """R6: LUVN confirms it takes part; only where its participation is required."""
        self._require("open", "scheduled", "started", step="confirming LUVN's participation")
        if not self.luvn_required:
            raise Refused("R6", "LUVN takes part only where the client's groups require it")
        self._not_before(on, self.opened_on, "confirmed_on")
        if self.luvn_confirmed_on is not None:
            return
        self.luvn_confirmed_on = on
        self.pending.append(LuvnParticipationConfirmed(assessment_id=self.assessment_id, confirmed_on=on))

    def record_competence(self, competence: Competence, service_needs: tuple[ServiceNeed, ...]) -> None:
        """§14: the competence and the service needs, kept in assessment's database (not published)."""
        self._require("started", step="recording competence")
        self.competence, self.service_needs = competence, tuple(dict.fromkeys(service_needs))

    def complete(self, on: date) -> None:
        """The assessment is done: R28, R6 and the interview checked; R4 decides whether a plan follows."""
        self._require("started", step="completing the assessment")
        rules.check_completion(interview_held=self.started_on is not None, information_given=self.information_given,
                               competence_recorded=self.competence is not None, luvn_required=self.luvn_required,
                               luvn_confirmed=self.luvn_confirmed_on is not None)
        assert self.started_on is not None
        self._not_before(on, self.started_on, "completed_on")
        self.status, self.completed_on = "completed", on
        self.plan_needed = rules.plan_needed(self.service_needs)
        self.pending.append(AssessmentCompleted(
            assessment_id=self.assessment_id, completed_on=on, plan_needed=self.plan_needed,
            luvn_participation_required=self.luvn_required, service_needs=self.service_needs))

    def reopen(self, on: date, reason: ReopenReason) -> None:
        self._require("completed", step="reopening the assessment")
        assert self.completed_on is not None
        self._not_before(on, self.completed_on, "reopened_on")
        self.status, self.completed_on, self.plan_needed = "started", None, None
        self.pending.append(AssessmentReopened(assessment_id=self.assessment_id, reopened_on=on, reason=reason))

    # -- deadlines ------------------------------------------------------------------------------------

    def check_deadline(self, today: date) -> bool:
        """R8/R9: once the due day has passed without the interview held, `DeadlineMissed` once per due day."""
        if self.status not in ("open", "scheduled") or self.due_on >= today:
            return False
        deadline = Deadline.INITIAL_INTERVIEW if self.due_rule == "R9" else Deadline.ASSESSMENT_START
        if (deadline, self.due_on) in self.deadlines_missed:
            return False
        self.deadlines_missed = self.deadlines_missed | {(deadline, self.due_on)}
        self.pending.append(DeadlineMissed(deadline=deadline, due_on=self.due_on, subject_id=self.assessment_id))
        return True
