"""Whom and what a referral may name; R12's deadline; the referral's lifecycle (R22, R23)."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from backbone.workdays import WorkingDays
from contracts.events.guidance import (
    CancellationReason,
    ReferralAccepted,
    ReferralCompleted,
    ReferralMade,
    ReferralOutcome,
    ReferralOverdue,
    ReferralWaitlisted,
    RejectionReason,
)
from guidance.domain.errors import Refused
from guidance.domain.referral import Referral, add_months, check_referral, r12_due_on
from services.guidance.tests.factories import TODAY, client, plan, seeded, service

pytestmark = pytest.mark.unit


def refer(who=None, code="language_cafe.karis", *, language="fi", with_plan=None, referrer="raseborg", agreed=False,
          on=TODAY, catalogue=None):
    who = who or client()
    check_referral(who, catalogue[code] if catalogue else seeded()[code], language=language, plan=with_plan,
                   referrer=referrer, agreed=agreed, on=on, catalogue=list((catalogue or seeded()).values()))


def refused(**kwargs) -> Refused:
    with pytest.raises(Refused) as caught:
        refer(**kwargs)
    return caught.value


class TestWhoRefers:
    def test_the_responsible_organisation_refers(self):
        refer(referrer="raseborg")

    def test_another_organisation_is_refused_by_ownership(self):
        assert refused(referrer="hango").rule == "ownership.client"

    def test_a_plan_of_another_client_is_refused(self):
        assert refused(with_plan=plan(uuid4())).rule == "referral.plan"

    def test_a_plan_no_longer_in_force_is_refused(self):
        who = client()
        ended = plan(who.client_id, ended_on=TODAY)

        assert refused(who=who, with_plan=ended).rule == "referral.plan"
        refer(who=who, with_plan=plan(who.client_id, ended_on=date(2026, 3, 17)))


class TestR1GuidanceForEveryone:
    def test_R1_a_person_offered_guidance_only_is_referred_directly_to_a_service_for_everyone(self):
        refer(who=client(state="guidance_only"), code="language_cafe.karis")

    def test_R1_but_not_to_a_service_only_for_plan_clients(self):
        only_plans = {**seeded(), "toisto.karis": service("toisto.karis", audiences=["plan_clients"])}

        assert refused(who=client(state="guidance_only"), code="toisto.karis", catalogue=only_plans).rule == \
            "referral.group"


class TestGroup:
    def test_labour_market_training_is_for_jobseekers(self):
        assert refused(code="integration_training.karis", language="fi").rule == "referral.group"
        refer(who=client(registered_jobseeker=True, responsible_organisation="employment-region"),
              code="integration_training.karis", referrer="employment-region")

    def test_a_plan_clients_service_needs_a_plan_in_force(self):
        catalogue = {**seeded(), "toisto.karis": service("toisto.karis", audiences=["plan_clients"])}
        who = client()

        refer(who=who, code="toisto.karis", with_plan=plan(who.client_id), catalogue=catalogue)


class TestLanguage:
    def test_a_language_the_service_is_not_given_in_is_refused(self):
        error = refused(code="language_cafe.karis", language="ar")

        assert error.rule == "referral.language" and error.reason.startswith("language:")

    def test_R21_civic_orientation_in_a_language_the_client_knows(self):
        refer(code="civic_orientation", language="ar")

    def test_R21_civic_orientation_in_a_language_the_client_does_not_know_is_refused(self):
        assert refused(who=client(languages=("ru",)), code="civic_orientation", language="ar").rule == "R21"

    def test_a_client_asking_for_integration_training_in_swedish_is_offered_it(self):
        jobseeker = client(registered_jobseeker=True, responsible_organisation="employment-region")

        error = refused(who=jobseeker, code="integration_training.karis", language="sv", referrer="employment-region")

        assert error.rule == "programme.swedish_training" and "integration_training.karis.sv" in error.reason
        refer(who=jobseeker, code="integration_training.karis.sv", language="sv", referrer="employment-region")


class TestVoluntaryStudies:
    jobseeker = client(registered_jobseeker=True, responsible_organisation="employment-region")

    @pytest.mark.parametrize("code", ["voluntary.larkkulla", "literacy.luki", "basic_education.kanneljarvi"])
    def test_R22_a_jobseeker_without_the_employment_regions_agreement_is_refused(self, code):
        error = refused(who=self.jobseeker, code=code, language="fi", referrer="employment-region")

        assert error.rule == "R22" and "agree" in error.reason

    def test_R22_with_the_agreement_the_jobseeker_is_referred(self):
        refer(who=self.jobseeker, code="voluntary.larkkulla", language="sv", referrer="employment-region", agreed=True)

    def test_R22_someone_outside_the_labour_market_needs_no_agreement(self):
        refer(code="voluntary.larkkulla", language="sv")

    def test_a_language_course_needs_no_agreement(self):
        refer(who=self.jobseeker, code="language_course.mbi-raseborg", referrer="employment-region")


class TestAvailability:
    def test_a_service_after_its_last_day_is_refused(self):
        ending = service("language_cafe.karis", available_until=date(2026, 3, 15))
        catalogue = {**seeded(), "language_cafe.karis": ending}

        assert refused(catalogue=catalogue).rule == "catalogue.unavailable"
        refer(catalogue=catalogue, on=date(2026, 3, 15))


class TestR12:
    calendar = WorkingDays()

    def test_R12_one_month_after_the_plan(self):
        assert r12_due_on(date(2026, 3, 2), self.calendar) == date(2026, 4, 2)

    def test_R12_the_last_day_of_a_shorter_month(self):
        assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
        assert r12_due_on(date(2026, 1, 31), self.calendar) == date(2026, 3, 2)  # 28.2.2026 is a Saturday

    def test_R12_a_deadline_on_a_holiday_moves_to_the_next_working_day(self):
        assert r12_due_on(date(2026, 11, 6), self.calendar) == date(2026, 12, 7)  # 6.12 Sunday and Independence Day

    def test_R12_across_the_year_end(self):
        assert add_months(date(2026, 12, 15), 1) == date(2027, 1, 15)


class TestLifecycle:
    def made(self, code="integration_training.karis") -> Referral:
        referral = Referral.make(uuid4(), uuid4(), seeded()[code], plan_id=None, language="fi", on=TODAY)
        assert [type(e) for e in referral.pending] == [ReferralMade]
        return referral

    def test_accepted_started_completed(self):
        referral = self.made()
        referral.answer(on=TODAY, starts_on=date(2026, 8, 17), queue_position=None, expected=None)
        referral.start(on=date(2026, 8, 17))
        referral.complete(on=date(2027, 6, 1), outcome=ReferralOutcome.COMPLETED, level="b1.1")

        assert referral.state == "completed" and isinstance(referral.pending[-1], ReferralCompleted)
        assert referral.pending[-1].language_level == "b1.1"

    def test_a_full_start_waitlists_with_position_and_expected_start(self):
        referral = self.made()
        referral.answer(on=TODAY, starts_on=date(2026, 1, 12), queue_position=2, expected=date(2026, 8, 17))

        event = referral.pending[-1]
        assert isinstance(event, ReferralWaitlisted) and (event.queue_position, event.expected_start) == (
            2, date(2026, 8, 17))
        referral.promote(on=TODAY)
        assert isinstance(referral.pending[-1], ReferralAccepted) and referral.starts_on == date(2026, 1, 12)

    def test_R22_completed_integration_training_without_the_final_test_level_is_refused(self):
        referral = self.made()
        referral.answer(on=TODAY, starts_on=date(2026, 8, 17), queue_position=None, expected=None)
        referral.start(on=date(2026, 8, 17))

        with pytest.raises(Refused) as caught:
            referral.complete(on=date(2027, 6, 1), outcome=ReferralOutcome.COMPLETED, level=None)
        assert caught.value.rule == "R22" and "language_level" in caught.value.reason
        referral.complete(on=date(2027, 6, 1), outcome=ReferralOutcome.INTERRUPTED, level=None)

    def test_only_integration_training_records_a_language_level(self):
        referral = self.made("language_cafe.karis")
        referral.answer(on=TODAY, starts_on=None, queue_position=None, expected=None)
        referral.start(on=TODAY)

        with pytest.raises(Refused, match="language_level"):
            referral.complete(on=TODAY, outcome=ReferralOutcome.COMPLETED, level="a2.1")

    def test_a_referral_cannot_start_before_it_is_accepted(self):
        with pytest.raises(Refused) as caught:
            self.made().start(on=TODAY)
        assert caught.value.rule == "referral.state"

    def test_nothing_happens_to_a_rejected_or_cancelled_referral(self):
        rejected, cancelled = self.made(), self.made()
        rejected.reject(on=TODAY, reason=RejectionReason.LEVEL_NOT_SUITABLE)
        cancelled.cancel(on=TODAY, reason=CancellationReason.CLIENT_WITHDREW, by="officer")

        for referral in (rejected, cancelled):
            with pytest.raises(Refused, match="referral.state"):
                referral.cancel(on=TODAY, reason=CancellationReason.OTHER, by="officer")
            with pytest.raises(Refused, match="referral.state"):
                referral.answer(on=TODAY, starts_on=None, queue_position=None, expected=None)

    def test_R23_an_accepted_person_who_does_not_start_is_overdue_once(self):
        referral = self.made()
        referral.answer(on=TODAY, starts_on=date(2026, 8, 17), queue_position=None, expected=None)
        referral.mark_overdue("not_started", date(2026, 8, 24))
        referral.mark_overdue("not_started", date(2026, 8, 24))

        assert sum(isinstance(e, ReferralOverdue) for e in referral.pending) == 1

    def test_no_answer_is_overdue_only_while_unanswered(self):
        referral = self.made()
        referral.answer(on=TODAY, starts_on=date(2026, 8, 17), queue_position=None, expected=None)
        referral.mark_overdue("no_answer", TODAY)

        assert not any(isinstance(e, ReferralOverdue) for e in referral.pending)

    def test_rebuilt_from_its_events_it_is_the_same(self):
        referral = self.made()
        referral.answer(on=TODAY, starts_on=date(2026, 1, 12), queue_position=3, expected=None)

        again = Referral.from_history(referral.referral_id, referral.client_id, referral.kind, referral.pending)

        assert (again.state, again.queue_position, again.starts_on, again.version) == ("waitlisted", 3,
                                                                                      date(2026, 1, 12), 2)


class TestFuzzFindings:
    """Found by the HTTP fuzzing (tests/e2e/fuzz)."""

    def test_fuzz_a_continuous_admission_start_is_from_the_referral_to_a_year_after(self):
        from guidance.service_layer.referrals import CONTINUOUS, _start_of

        civic = service("civic_orientation")
        assert civic.continuous_admission

        with pytest.raises(Refused) as refused:
            _start_of(civic, date(1, 1, 1), referred_on=TODAY)
        assert refused.value.rule == "referral.start"
        with pytest.raises(Refused):
            _start_of(civic, date.fromordinal(TODAY.toordinal() - 1), referred_on=TODAY)
        with pytest.raises(Refused):
            _start_of(civic, date(9999, 12, 31), referred_on=TODAY)
        with pytest.raises(Refused):
            _start_of(civic, date.fromordinal(TODAY.toordinal() + 367), referred_on=TODAY)
        assert _start_of(civic, date.fromordinal(TODAY.toordinal() + 366), referred_on=TODAY)[1] is not None
        assert _start_of(civic, TODAY, referred_on=TODAY) == (CONTINUOUS, TODAY)
        assert _start_of(civic, None, referred_on=TODAY) == (CONTINUOUS, None)
