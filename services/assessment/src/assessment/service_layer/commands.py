"""Commands: what a caller asks of a case, with who asks. Ids, codes and dates only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID, uuid4

from contracts.events.assessment import (
    InformationTopic,
    InterpreterMode,
    MissedAppointmentKind,
    ReopenReason,
    ServiceNeed,
    ServicePoint,
)
from contracts.vocabulary import Organisation
from assessment.domain.case import Competence
from assessment.domain.rules import Interpreter


@dataclass(frozen=True, kw_only=True)
class Command:
    sender: Organisation
    actor: str
    assessment_id: UUID
    correlation_id: UUID = field(default_factory=uuid4)


@dataclass(frozen=True, kw_only=True)
class BookInterview(Command):
    scheduled_at: datetime
    place: ServicePoint
    language: str
    interpreter: Interpreter | None
    interpreter_mode: InterpreterMode | None
    cancellation_instructions_given: bool
    interview_id: UUID = field(default_factory=uuid4)


@dataclass(frozen=True, kw_only=True)
class HoldInterview(Command):
    held_on: date
    topics: frozenset[InformationTopic]


@dataclass(frozen=True, kw_only=True)
class Inform(Command):
    on: date
    topics: frozenset[InformationTopic]


@dataclass(frozen=True, kw_only=True)
class RecordMissed(Command):
    missed_on: date
    kind: MissedAppointmentKind
    justified: bool
    age: int
    interpretation_cost_cents: int


@dataclass(frozen=True, kw_only=True)
class ConfirmLuvn(Command):
    on: date


@dataclass(frozen=True, kw_only=True)
class RecordCompetence(Command):
    competence: Competence
    service_needs: tuple[ServiceNeed, ...]


@dataclass(frozen=True, kw_only=True)
class Complete(Command):
    on: date


@dataclass(frozen=True, kw_only=True)
class Reopen(Command):
    on: date
    reason: ReopenReason


@dataclass(frozen=True, kw_only=True)
class AddNote(Command):
    text: str
    note_id: UUID = field(default_factory=uuid4)
