"""The case rebuilt from its events: what each of assessment's events did to the case that recorded it.

The case is state-stored (`domain.case`): its commands change it and leave events. This fold is the other
direction, for a rebuild of `cases` (`service_layer.projection`): applied to a case's events in order, it
gives the state the commands left, except what no event carries: the competence (§14, kept in assessment's
database only), the service needs until the assessment is completed, and what intake's events changed
(`handlers.follow_case`, which a rebuild runs on intake's events).
"""

from __future__ import annotations

from dataclasses import replace
from uuid import UUID

from contracts.events.assessment import (
    EVENTS,
    AssessmentCaseOpened,
    AssessmentCompleted,
    AssessmentReopened,
    AssessmentStarted,
    ClientInformed,
    DeadlineMissed,
    InitialInterviewScheduled,
    InterpreterBooked,
    LuvnParticipationConfirmed,
    MissedAppointmentKind,
    NoShowRecorded,
    RepeatedNoShowFlagged,
)
from contracts.events.base import Event
from contracts.vocabulary import Organisation
from assessment.domain.case import AssessmentCase, Interview, Missed

FOLDED: frozenset[str] = frozenset(e.TYPE for e in EVENTS)
"""Every event assessment publishes; `when` knows each of them (its tests check that no type is missing)."""


class UnknownHistory(ValueError):
    """An event that cannot follow the case's history so far (none opened it, or a type `when` does not know)."""


def when(case: AssessmentCase | None, client_id: UUID, event: Event) -> AssessmentCase:
    """The case after `event` (a new case for AssessmentCaseOpened); `case` is changed in place."""
    if isinstance(event, AssessmentCaseOpened):
        # R9's due day is the registered jobseeker's: the rule the case opened with says which it was.
        case = AssessmentCase(event.assessment_id, client_id, "open", event.opened_on, event.due_on, event.due_rule,
                              Organisation(event.responsible_organisation), event.luvn_participation_required,
                              registered_jobseeker=event.due_rule == "R9")
    elif case is None:
        raise UnknownHistory(f"{event.TYPE} of a case never opened")
    elif isinstance(event, InitialInterviewScheduled):
        case.interview = Interview(event.interview_id, event.scheduled_at, event.place, event.language,
                                   event.interpreter_language, None, event.cancellation_instructions_given)
        case.status = "scheduled"
        case.due_on = event.due_on
        case.due_rule = event.due_rule or case.due_rule
    elif isinstance(event, InterpreterBooked):
        if case.interview is not None and case.interview.interview_id == event.interview_id:
            case.interview = replace(case.interview, interpreter_mode=event.mode)
    elif isinstance(event, AssessmentStarted):
        case.status, case.started_on = "started", event.started_on
    elif isinstance(event, ClientInformed):
        case.information_given = case.information_given | frozenset(event.topics)
    elif isinstance(event, NoShowRecorded):
        case.missed = (*case.missed, Missed(event.missed_on, event.kind, event.justified, event.fee_cents))
        if event.kind == MissedAppointmentKind.NO_SHOW:
            case.status = "open"
    elif isinstance(event, RepeatedNoShowFlagged):
        pass  # a flag for the employment region: the no-shows it counts are already in `missed`
    elif isinstance(event, LuvnParticipationConfirmed):
        case.luvn_confirmed_on = event.confirmed_on
    elif isinstance(event, AssessmentCompleted):
        case.status, case.completed_on, case.plan_needed = "completed", event.completed_on, event.plan_needed
        case.service_needs = tuple(event.service_needs)
    elif isinstance(event, AssessmentReopened):
        case.status, case.completed_on, case.plan_needed = "started", None, None
    elif isinstance(event, DeadlineMissed):
        case.deadlines_missed = case.deadlines_missed | {(event.deadline, event.due_on)}
    else:
        raise UnknownHistory(f"{event.TYPE} is not an event of a case")
    case.version += 1
    return case
