"""An integration plan: an event-sourced aggregate with no personal data.

Pure: the day, the facts about the client (from planning's read model of intake's events) and the
policy are passed in. Every decision records an event; `from_history` rebuilds the plan by applying
the same events. The limits themselves live in `limits` and `content`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Literal
from uuid import UUID

from backbone.workdays import WorkingDays
from contracts.events.base import Event
from contracts.events.planning import EVENTS as PLANNING_EVENTS
from contracts.events.planning import (
    FollowUp,
    PlanAgreementRecorded,
    PlanDeadline,
    PlanDeadlineMissed,
    PlanEnded,
    PlanEndReason,
    PlanExtended,
    PlanGoal,
    PlanHandedOver,
    PlanImported,
    PlanInterruptionRecorded,
    PlanIssued,
    PlanOpened,
    PlanPolicy,
    PlanRefusalRecorded,
    PlanReviewed,
    ReviewOccasion,
    InterruptionCause,
)
from contracts.vocabulary import ExtensionReason, Organisation
from planning.domain import content, limits
from planning.domain.errors import Refused
from planning.domain.limits import Allowance

Status = Literal["to_be_drawn_up", "in_force", "ended"]

PLAN_EVENT_TYPES: frozenset[str] = frozenset(e.TYPE for e in PLANNING_EVENTS)


@dataclass(frozen=True)
class Policy:
    """The configurable part: R10's target in working days, the calendar (R33), and the programme's
    quota-refugee policy (3 years, the third an R15 extension)."""

    working_days: WorkingDays = field(default_factory=WorkingDays)
    drawing_up_target_working_days: int = 10
    quota_refugee_three_years: bool = True


@dataclass(frozen=True)
class ClientFacts:
    """What planning knows of the client from intake's events: codes and dates only."""

    responsible_organisation: Organisation
    registered_jobseeker: bool
    languages: tuple[str, ...]
    window_ends_on: date | None
    trafficking_victim: bool
    international_protection: bool
    luvn_participation: bool


@dataclass(frozen=True)
class Content:
    """A plan's content as codes (R19)."""

    goals: tuple[PlanGoal, ...]
    services: tuple[str, ...]
    job_search_obligation: bool
    follow_up: tuple[FollowUp, ...]
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Agreement:
    """The client's agreement to the plan (R23): when, in which language, with an interpreter or not."""

    agreed_on: date
    language: str
    interpreter: bool


@dataclass
class Plan:
    id: UUID
    client_id: UUID
    version: int = 0
    status: Status = "to_be_drawn_up"
    owner: Organisation | None = None
    assessment_id: UUID | None = None
    opened_on: date | None = None
    due_on: date | None = None
    latest_on: date | None = None
    luvn_participation: bool = False
    agreed_on: date | None = None
    starts_on: date | None = None
    until: date | None = None
    allowance: Allowance | None = None
    policy: PlanPolicy | None = None
    goals: tuple[PlanGoal, ...] = ()
    services: tuple[str, ...] = ()
    drawn_up_on: date | None = None
    review_due_on: date | None = None
    referrals_due_on: date | None = None
    interruptions: dict[UUID, tuple[date, date]] = field(default_factory=dict)
    made_up: set[UUID] = field(default_factory=set)
    missed: set[tuple[PlanDeadline, date, str | None]] = field(default_factory=set)
    ended_on: date | None = None
    end_reason: PlanEndReason | None = None
    last_reviewed_on: date | None = None
    earlier: Allowance | None = None
    """What the client's earlier plans were allowed: a later plan counts from the first plan's start (R14) and
    keeps what was granted."""
    pending: list[Event] = field(default_factory=list)

    # --- creation ------------------------------------------------------------------------------

    @classmethod
    def open(cls, plan_id: UUID, client_id: UUID, *, assessment_id: UUID, completed_on: date, plan_needed: bool,
             facts: ClientFacts, policy: Policy) -> Plan:
        """R4: a plan is to be drawn up when the assessment shows a need; R10 sets its target and R11 (R3)
        its last day."""
        limits.check_plan_needed(plan_needed)
        plan = cls(plan_id, client_id)
        plan._record(PlanOpened(
            plan_id=plan_id, assessment_id=assessment_id, opened_on=completed_on,
            due_on=limits.drawing_up_due(completed_on, policy.drawing_up_target_working_days, policy.working_days),
            latest_on=limits.drawing_up_latest(facts.window_ends_on, facts.trafficking_victim),
            responsible_organisation=facts.responsible_organisation, luvn_participation=facts.luvn_participation))
        return plan

    @classmethod
    def imported(cls, plan_id: UUID, client_id: UUID, *, made_on: date, first_starts_on: date, starts_on: date,
                 ends_on: date, plan_content: Content, reviewed: bool, last_review_on: date | None,
                 facts: ClientFacts) -> Plan:
        """R18: a plan made before 1.1.2025 keeps the old 3 + 2-year maximum until its first review."""
        limits.check_import(made_on)
        if not first_starts_on <= starts_on <= ends_on:
            raise Refused("field.starts_on", "first_starts_on <= starts_on <= ends_on must hold")
        allowance = Allowance(first_starts_on, legacy=limits.legacy_applies(made_on, reviewed))
        if ends_on > allowance.maximum_on:
            raise Refused(allowance.maximum_rule, "the plan runs past the maximum the law allows")
        plan = cls(plan_id, client_id)
        plan._record(PlanImported(
            plan_id=plan_id, made_on=made_on, first_starts_on=first_starts_on, starts_on=starts_on, ends_on=ends_on,
            responsible_organisation=facts.responsible_organisation, goals=plan_content.goals,
            services=plan_content.services, job_search_obligation=plan_content.job_search_obligation,
            luvn_participation=facts.luvn_participation, reviewed=reviewed, maximum_on=allowance.maximum_on,
            maximum_rule=allowance.maximum_rule,
            review_due_on=limits.next_review_due(last_review_on or starts_on)))
        return plan

    @classmethod
    def from_history(cls, plan_id: UUID, client_id: UUID, events: Iterable[Event], *,
                     earlier: Allowance | None = None) -> Plan:
        plan = cls(plan_id, client_id, earlier=earlier)
        for event in events:
            plan.when(event)
        return plan

    def when(self, event: Event) -> None:
        """Apply one recorded event of the plan (`from_history`; a rebuild of the query tables applies them
        one by one, `service_layer.projection`). Not one of the plan's events: `ValueError`."""
        if event.TYPE not in PLAN_EVENT_TYPES:
            raise ValueError(f"{event.TYPE} is not an event of a plan")
        self._apply(event)
        self.version += 1

    # --- commands ------------------------------------------------------------------------------

    def issue(self, *, by: Organisation, today: date, starts_on: date, ends_on: date, plan_content: Content,
              agreement: Agreement | None, facts: ClientFacts, under_25: bool, quota_refugee: bool,
              policy: Policy) -> None:
        """Draw up the plan: R11 (R3) its last day, R19 its content, R23 the client's agreement first, R14
        its length (the first plan at most a year; a later plan of the same client counts from the first's
        start, `self.earlier`)."""
        self._check_owner(by)
        self._check_status("to_be_drawn_up", "only a plan to be drawn up can be issued")
        limits.check_drawing_up(today, self.latest_on)
        if starts_on < today - _GRACE:
            raise Refused("field.starts_on", "a plan cannot start more than 31 days before it is drawn up")
        content.check_content(goals=plan_content.goals, services=plan_content.services,
                              follow_up=plan_content.follow_up, reasons=plan_content.reasons,
                              jobseeker=facts.registered_jobseeker, under_25=under_25,
                              job_search_obligation=plan_content.job_search_obligation)
        if agreement is None:
            raise Refused("R23", "the client's agreement is recorded before the plan is issued")
        if agreement.agreed_on > today or agreement.agreed_on < self.opened_on:
            raise Refused("R23", "the plan is agreed after the assessment and before it is issued")
        if starts_on > today + _GRACE:
            raise Refused("field.starts_on", "a plan starts within 31 days of being drawn up")
        content.check_agreement(language=agreement.language, interpreter=agreement.interpreter,
                                client_languages=facts.languages)
        if quota_refugee and not facts.international_protection:
            raise Refused("field.quota_refugee", "a quota refugee has the international-protection target group")
        earlier = self.earlier
        if earlier is None:
            allowance, granted = limits.initial_allowance(starts_on, quota_refugee=quota_refugee,
                                                          quota_policy=policy.quota_refugee_three_years)
            limits.check_first_period(starts_on, ends_on, allowance)
        else:
            allowance, granted = earlier, None
            if ends_on < starts_on:
                raise Refused("field.ends_on", "ends_on must not be before starts_on")
            if ends_on > allowance.maximum_on:
                raise Refused(allowance.maximum_rule, "all plans together run at most 2 years from the first "
                                                      "plan's start unless extended on the grounds of R15-R17")
        self._record(PlanAgreementRecorded(plan_id=self.id, agreed_on=agreement.agreed_on,
                                           language=agreement.language, interpreter=agreement.interpreter))
        self._record(PlanIssued(
            plan_id=self.id, starts_on=starts_on, ends_on=ends_on, responsible_organisation=self.owner,
            goals=plan_content.goals, luvn_participation=self.luvn_participation, services=plan_content.services,
            job_search_obligation=plan_content.job_search_obligation, follow_up=plan_content.follow_up,
            reasons=plan_content.reasons, agreed_on=agreement.agreed_on, language=agreement.language,
            interpreter=agreement.interpreter, first_starts_on=allowance.first_starts_on,
            maximum_on=allowance.maximum_on, maximum_rule=allowance.maximum_rule, policy=granted,
            review_due_on=limits.next_review_due(starts_on), referrals_due_on=limits.referrals_due(today)))

    def refuse(self, *, by: Organisation, today: date, refused_on: date, good_reason: bool) -> None:
        """R25: a refusal without good reason is flagged (a possible social assistance cut)."""
        self._check_owner(by)
        if self.status == "ended":
            raise Refused("state.plan", "the plan has ended")
        if refused_on > today:
            raise Refused("field.refused_on", "a refusal cannot be recorded before it happened")
        self._record(PlanRefusalRecorded(plan_id=self.id, refused_on=refused_on, good_reason=good_reason,
                                         social_assistance_cut_possible=content.social_assistance_cut_possible(
                                             good_reason)))

    def extend(self, *, by: Organisation, until: date, reason: ExtensionReason, under_25: bool,
               interruption_id: UUID | None = None) -> None:
        """R14-R17: run the plan until a later day; refused with the rule that forbids it."""
        self._check_owner(by)
        self._check_status("in_force", "only a plan in force can be extended")
        days = None
        if reason is ExtensionReason.UNABLE_TO_CARRY_OUT:
            if interruption_id is None or interruption_id not in self.interruptions:
                raise Refused("R16", "an R16 extension names a recorded interruption of this plan")
            if interruption_id in self.made_up:
                raise Refused("R16", "this interruption was already made up for")
            days = limits.interruption_days(*self.interruptions[interruption_id])
        elif interruption_id is not None:
            raise Refused("field.interruption_id", "only an R16 extension names an interruption")
        decision = limits.decide_extension(self.allowance, current_until=self.until, until=until, reason=reason,
                                           under_25=under_25, interruption_days=days)
        self._record(PlanExtended(plan_id=self.id, until=until, reason=decision.reason, rule=decision.rule,
                                  previous_until=self.until, maximum_on=decision.allowance.maximum_on,
                                  policy=decision.policy, interruption_id=interruption_id))

    def review(self, *, by: Organisation, today: date, reviewed_on: date, occasion: ReviewOccasion) -> None:
        """R13: a review moves the next due date 6 months on; the first ends R18's old maximum."""
        self._check_owner(by)
        self._check_status("in_force", "only a plan in force is reviewed")
        limits.check_review(reviewed_on, self.last_reviewed_on or self.starts_on, today)
        after = limits.after_first_review(self.allowance, self.until)
        self._record(PlanReviewed(plan_id=self.id, reviewed_on=reviewed_on, occasion=occasion,
                                  next_review_due_on=limits.next_review_due(reviewed_on),
                                  maximum_on=after.maximum_on, maximum_rule=after.maximum_rule))

    def record_interruption(self, *, by: Organisation, today: date, interruption_id: UUID, cause: InterruptionCause,
                            from_on: date, to_on: date) -> None:
        """R16: record the dates the plan could not be carried out."""
        self._check_owner(by)
        self._check_status("in_force", "interruptions are recorded on a plan in force")
        if to_on < from_on:
            raise Refused("field.to_on", "to_on must not be before from_on")
        if from_on < self.starts_on or from_on > self.until or to_on > today:
            raise Refused("R16", "an interruption lies within the plan's period and has happened")
        for other in self.interruptions.values():
            if from_on <= other[1] and other[0] <= to_on:
                raise Refused("R16", "interruptions do not overlap")
        self._record(PlanInterruptionRecorded(plan_id=self.id, interruption_id=interruption_id, cause=cause,
                                              from_on=from_on, to_on=to_on))

    def end(self, *, by: Organisation, today: date, ended_on: date, reason: PlanEndReason) -> None:
        self._check_owner(by)
        if self.status == "ended":
            raise Refused("state.plan", "the plan has already ended")
        if ended_on > today:
            raise Refused("field.ended_on", "a plan ends on a day that has come")
        began = self.opened_on or self.starts_on
        if began is not None and ended_on < began:  # found by fuzzing: a plan ended in year 1 was accepted
            raise Refused("field.ended_on", "a plan ends on or after the day it was opened")
        self._record(PlanEnded(plan_id=self.id, ended_on=ended_on, reason=reason))

    def hand_over(self, *, to: Organisation, effective_on: date) -> None:
        """R5: responsibility moved; the plan stays valid and passes to the new organisation."""
        if self.status == "ended" or to == self.owner:
            return
        self._record(PlanHandedOver(plan_id=self.id, previous_organisation=self.owner, responsible_organisation=to,
                                    effective_on=effective_on))

    def check_deadlines(self, today: date, referred: Collection[str]) -> None:
        """Publish each missed deadline once: drawing up (R10 target, R11 last day), each service not
        referred within a month (R12), the review (R13)."""
        if self.status == "to_be_drawn_up":
            self._miss(today, PlanDeadline.DRAWING_UP, self.due_on)
            self._miss(today, PlanDeadline.DRAWING_UP_LATEST, self.latest_on)
        elif self.status == "in_force":
            if self.referrals_due_on is not None:
                for service in self.services:
                    if service not in referred:
                        self._miss(today, PlanDeadline.REFERRAL, self.referrals_due_on, service)
            self._miss(today, PlanDeadline.REVIEW, self.review_due_on)

    # --- state ---------------------------------------------------------------------------------

    def _miss(self, today: date, deadline: PlanDeadline, due_on: date | None, service: str | None = None) -> None:
        if due_on is None or today <= due_on or (deadline, due_on, service) in self.missed:
            return
        self._record(PlanDeadlineMissed(plan_id=self.id, deadline=deadline, due_on=due_on, service_code=service))

    def _check_owner(self, by: Organisation) -> None:
        if by != self.owner:
            raise Refused("ownership.plan", f"only the responsible organisation ({self.owner}) may change the plan")

    def _check_status(self, status: Status, message: str) -> None:
        if self.status != status:
            raise Refused("state.plan", message)

    def _record(self, event: Event) -> None:
        self._apply(event)
        self.pending.append(event)

    def _apply(self, event: Event) -> None:  # noqa: C901 - one branch per event type
        match event:
            case PlanOpened():
                self.owner, self.assessment_id, self.opened_on = (event.responsible_organisation, event.assessment_id,
                                                                  event.opened_on)
                self.due_on, self.latest_on, self.luvn_participation = (event.due_on, event.latest_on,
                                                                        event.luvn_participation)
            case PlanAgreementRecorded():
                self.agreed_on = event.agreed_on

            case PlanIssued():
                self.status, self.starts_on, self.until = "in_force", event.starts_on, event.ends_on
                self.owner, self.goals, self.services = event.responsible_organisation, event.goals, event.services
                self.policy = event.policy
                first = event.first_starts_on or event.starts_on
                if self.earlier is not None and self.earlier.first_starts_on == first:
                    self.allowance = self.earlier
                else:
                    self.allowance = Allowance(first, r15_years=limits.QUOTA_POLICY_YEARS
                                               if event.policy is PlanPolicy.QUOTA_REFUGEE_THIRD_YEAR else 0)
                self.review_due_on, self.referrals_due_on = event.review_due_on, event.referrals_due_on
            case PlanImported():
                self.status, self.starts_on, self.until = "in_force", event.starts_on, event.ends_on
                self.owner, self.goals, self.services = event.responsible_organisation, event.goals, event.services
                self.luvn_participation = event.luvn_participation
                self.allowance = Allowance(event.first_starts_on, legacy=event.maximum_rule == "R18")
                self.review_due_on = event.review_due_on
            case PlanExtended():
                self.until = event.until
                self._grant(event)
            case PlanReviewed():
                self.allowance = limits.after_first_review(self.allowance, self.until)
                self.last_reviewed_on = event.reviewed_on
                self.review_due_on = event.next_review_due_on
            case PlanInterruptionRecorded():
                self.interruptions[event.interruption_id] = (event.from_on, event.to_on)
            case PlanDeadlineMissed():
                self.missed.add((event.deadline, event.due_on, event.service_code))
            case PlanHandedOver():
                self.owner = event.responsible_organisation
            case PlanEnded():
                self.status, self.ended_on, self.end_reason = "ended", event.ended_on, event.reason
            case PlanRefusalRecorded():
                pass

    def _grant(self, event: PlanExtended) -> None:
        a = self.allowance
        if event.rule == "R15" and event.policy is None:
            self.allowance = replace(a, r15_years=limits.R15_YEARS, r15_reason=event.reason)
        elif event.rule == "R16" and event.interruption_id is not None:
            self.made_up.add(event.interruption_id)
            span = self.interruptions.get(event.interruption_id)
            self.allowance = replace(a, interruption_days=a.interruption_days
                                     + (limits.interruption_days(*span) if span else 0))
        elif event.rule == "R17":
            self.allowance = replace(a, r17=True)



_GRACE = timedelta(days=31)
