"""The referral rules at their edges: a plan's last day in force, every audience, the Swedish-training offer
with none to offer, the queue moves, and the facts' defaults. Each test fails for a mutant of referral.py
that the lifecycle tests let through (mutation testing, issue 17)."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from uuid import UUID, uuid4

import pytest

from contracts.events.guidance import (
    CancellationReason,
    ReferralCancelled,
    ReferralOutcome,
    ReferralOverdue,
    ReferralQueueMoved,
    RejectionReason,
)
from guidance.domain.errors import Refused
from guidance.domain.referral import ClientFacts, PlanFacts, Referral, add_months, check_referral
from services.guidance.tests.factories import TODAY, client, plan, seeded, service

pytestmark = pytest.mark.unit

DAY = timedelta(days=1)


def refer(who: ClientFacts, code: str, *, language: str = "fi", with_plan: PlanFacts | None = None,
          catalogue: dict | None = None, agreed: bool = False, on: date = TODAY) -> None:
    services = catalogue or seeded()
    check_referral(who, services[code], language=language, plan=with_plan, referrer=who.responsible_organisation,
                   agreed=agreed, on=on, catalogue=list(services.values()))


def refused(who: ClientFacts, code: str, **kwargs) -> Refused:
    with pytest.raises(Refused) as caught:
        refer(who, code, **kwargs)
    return caught.value


class TestPlanInForce:
    def test_a_plan_is_in_force_on_its_last_day_and_not_the_day_after(self):
        who = client()
        ending = plan(who.client_id, ends_on=TODAY)

        assert ending.in_force(TODAY) and not ending.in_force(TODAY + DAY)
        refer(who, "language_cafe.karis", with_plan=ending)
        error = refused(who, "language_cafe.karis", with_plan=ending, on=TODAY + DAY)
        assert error.rule == "referral.plan" and error.reason == "plan_id: the plan is not in force"

    def test_an_ended_plan_is_in_force_until_the_day_it_ended(self):
        ended = plan(uuid4(), ended_on=TODAY)

        assert ended.in_force(TODAY - DAY) and not ended.in_force(TODAY)
        assert not plan(uuid4(), ends_on=TODAY + DAY, ended_on=TODAY + DAY).in_force(TODAY + DAY)

    def test_a_plan_ended_early_is_not_in_force_after_it_ended_even_before_its_last_day(self):
        assert not plan(uuid4(), ended_on=TODAY - DAY).in_force(TODAY + DAY)

    def test_a_plan_without_an_end_is_in_force_up_to_its_last_day(self):
        running = plan(uuid4())

        assert running.ended_on is None
        assert running.in_force(running.ends_on) and not running.in_force(running.ends_on + DAY)

    def test_a_plan_of_another_client_names_the_field(self):
        error = refused(client(), "language_cafe.karis", with_plan=plan(uuid4()))

        assert (error.rule, error.reason) == ("referral.plan", "plan_id: not a plan of this client")


class TestAudiences:
    outside_only = {**seeded(), "toisto.karis": service("toisto.karis", audiences=["outside_labour_market"])}
    plans_only = {**seeded(), "toisto.karis": service("toisto.karis", audiences=["plan_clients"])}
    jobseeker = client(registered_jobseeker=True, responsible_organisation="employment-region")

    def test_a_service_for_people_outside_the_labour_market_takes_them(self):
        refer(client(), "toisto.karis", catalogue=self.outside_only)

    def test_a_service_for_people_outside_the_labour_market_refuses_a_jobseeker(self):
        error = refused(self.jobseeker, "toisto.karis", catalogue=self.outside_only)

        assert error.rule == "referral.group" and "(outside_labour_market)" in error.reason

    def test_a_service_for_jobseekers_refuses_someone_outside_the_labour_market(self):
        error = refused(client(), "short_course.working_life")

        assert error.rule == "referral.group" and "(jobseekers)" in error.reason
        refer(self.jobseeker, "short_course.working_life")

    def test_a_plan_clients_service_refuses_a_client_without_a_plan(self):
        error = refused(client(), "toisto.karis", catalogue=self.plans_only)

        assert error.rule == "referral.group" and "(plan_clients)" in error.reason

    def test_a_plan_clients_service_takes_the_client_on_the_plans_last_day(self):
        who = client()

        refer(who, "toisto.karis", with_plan=plan(who.client_id, ends_on=TODAY), catalogue=self.plans_only)

    def test_a_service_for_everyone_takes_a_jobseeker_and_anyone_else(self):
        refer(self.jobseeker, "language_cafe.karis")
        refer(client(), "language_cafe.karis")

    def test_a_service_for_several_groups_takes_a_client_in_any_of_them(self):
        either = {**seeded(), "toisto.karis": service("toisto.karis", audiences=["jobseekers", "plan_clients"])}
        who = client()

        refer(who, "toisto.karis", with_plan=plan(who.client_id), catalogue=either)
        error = refused(who, "toisto.karis", catalogue=either)
        assert error.rule == "referral.group" and "(jobseekers, plan_clients)" in error.reason


class TestAvailability:
    def test_a_service_is_offered_from_its_first_day(self):
        opening = {**seeded(), "language_cafe.karis": service("language_cafe.karis", available_from=TODAY)}

        refer(client(), "language_cafe.karis", catalogue=opening)
        error = refused(client(), "language_cafe.karis", catalogue=opening, on=TODAY - DAY)
        assert error.rule == "catalogue.unavailable" and error.reason.startswith("service_code:")


class TestLanguage:
    jobseeker = client(registered_jobseeker=True, responsible_organisation="employment-region")

    def test_swedish_training_asked_for_when_the_catalogue_has_none_says_so(self):
        catalogue = {code: s for code, s in seeded().items() if code != "integration_training.karis.sv"}

        error = refused(self.jobseeker, "integration_training.karis", language="sv", catalogue=catalogue)

        assert error.rule == "programme.swedish_training"
        assert error.reason.endswith("integration training in Swedish: none in the catalogue")

    def test_swedish_training_offers_every_open_one(self):
        error = refused(self.jobseeker, "integration_training.karis", language="sv")

        assert error.reason.endswith("integration training in Swedish: integration_training.karis.sv")

    def test_swedish_asked_for_in_a_string_built_at_run_time_is_still_swedish(self):
        language = "".join(["s", "v"])  # not the interned literal: compared by value, never by identity

        assert refused(self.jobseeker, "integration_training.karis", language=language).rule == \
            "programme.swedish_training"

    def test_another_language_than_swedish_for_integration_training_is_a_plain_language_refusal(self):
        error = refused(self.jobseeker, "integration_training.karis", language="en")

        assert (error.rule, error.reason) == ("referral.language",
                                              "language: the service is not given in this language")

    def test_swedish_for_another_kind_of_service_is_a_plain_language_refusal(self):
        assert refused(client(), "civic_orientation", language="sv").rule == "referral.language"

    def test_R21_civic_orientation_only_in_the_clients_languages(self):
        assert refused(client(languages=("ar",)), "civic_orientation", language="en").rule == "R21"
        refer(client(languages=("ar",)), "civic_orientation", language="ar")

    def test_R21_applies_to_civic_orientation_only(self):
        refer(client(languages=("ar",)), "language_cafe.karis", language="fi")


class TestFacts:
    def test_client_facts_default_to_not_erased(self):
        assert client().erased is False

    def test_facts_are_frozen(self):
        with pytest.raises(dataclasses.FrozenInstanceError):
            client().state = "erased"  # type: ignore[misc]
        with pytest.raises(dataclasses.FrozenInstanceError):
            plan(uuid4()).ends_on = TODAY  # type: ignore[misc]

    def test_add_months_keeps_the_day_and_crosses_years(self):
        assert add_months(date(2026, 3, 2), 1) == date(2026, 4, 2)
        assert add_months(date(2026, 11, 30), 1) == date(2026, 12, 30)
        assert add_months(date(2026, 3, 31), 1) == date(2026, 4, 30)
        assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
        assert add_months(date(2026, 5, 20), 12) == date(2027, 5, 20)
        assert add_months(date(2026, 5, 20), 0) == date(2026, 5, 20)


def made(code: str = "integration_training.karis") -> Referral:
    return Referral.make(uuid4(), uuid4(), seeded()[code], plan_id=None, language="fi", on=TODAY)


def waitlisted(position: int = 3) -> Referral:
    referral = made()
    referral.answer(on=TODAY, starts_on=date(2026, 8, 17), queue_position=position, expected=None)
    return referral


class TestState:
    def test_a_new_referral_is_made_open_and_at_version_0(self):
        referral = made()

        assert (referral.state, referral.is_open, referral.version) == ("made", True, 0)
        assert referral.overdue == frozenset() and referral.queue_position is None

    def test_open_states_are_made_waitlisted_accepted_started(self):
        referral = waitlisted()
        assert referral.is_open is True
        referral.promote(on=TODAY)
        assert referral.is_open is True
        referral.start(on=TODAY)
        assert referral.is_open is True
        referral.complete(on=TODAY, outcome=ReferralOutcome.INTERRUPTED, level=None)
        assert referral.is_open is False

    def test_rejected_and_cancelled_referrals_are_closed(self):
        rejected, cancelled = made(), waitlisted()
        rejected.reject(on=TODAY, reason=RejectionReason.LEVEL_NOT_SUITABLE)
        cancelled.cancel(on=TODAY, reason=CancellationReason.CLIENT_WITHDREW, by="officer")

        assert (rejected.state, rejected.is_open) == ("rejected", False)
        assert (cancelled.state, cancelled.is_open, cancelled.queue_position) == ("cancelled", False, None)
        assert isinstance(cancelled.pending[-1], ReferralCancelled)

    def test_a_promoted_referral_leaves_the_queue(self):
        referral = waitlisted()
        referral.promote(on=TODAY)

        assert (referral.state, referral.queue_position) == ("accepted", None)

    def test_a_waitlisted_referral_may_be_rejected_an_accepted_one_may_not(self):
        referral = waitlisted()
        referral.reject(on=TODAY, reason=RejectionReason.LEVEL_NOT_SUITABLE)
        assert referral.state == "rejected"

        accepted = made()
        accepted.answer(on=TODAY, starts_on=None, queue_position=None, expected=None)
        with pytest.raises(Refused, match="^referral.state: referral: a accepted referral cannot be rejected$"):
            accepted.reject(on=TODAY, reason=RejectionReason.LEVEL_NOT_SUITABLE)

    def test_only_a_made_referral_is_answered_and_only_a_waitlisted_one_promoted(self):
        accepted = made()
        accepted.answer(on=TODAY, starts_on=None, queue_position=None, expected=None)
        with pytest.raises(Refused, match="^referral.state: referral: a accepted referral cannot be accepted$"):
            accepted.answer(on=TODAY, starts_on=None, queue_position=None, expected=None)
        with pytest.raises(Refused, match="^referral.state: referral: a made referral cannot be given a place$"):
            made().promote(on=TODAY)

    def test_only_a_started_referral_is_completed(self):
        with pytest.raises(Refused, match="^referral.state: referral: a made referral cannot be completed$"):
            made().complete(on=TODAY, outcome=ReferralOutcome.INTERRUPTED, level=None)


class TestQueueMoves:
    def test_a_waiting_referral_moves_up_and_records_it(self):
        referral = waitlisted(3)
        referral.move_up(on=TODAY, queue_position=2, expected=date(2027, 1, 11))

        event = referral.pending[-1]
        assert isinstance(event, ReferralQueueMoved)
        assert (event.queue_position, event.expected_start, event.moved_on) == (2, date(2027, 1, 11), TODAY)
        assert referral.queue_position == 2 and referral.state == "waitlisted"

    def test_the_same_position_records_nothing(self):
        referral = waitlisted(3)
        referral.move_up(on=TODAY, queue_position=3, expected=None)

        assert len(referral.pending) == 2

    def test_a_referral_not_waiting_does_not_move(self):
        referral = made()
        referral.move_up(on=TODAY, queue_position=1, expected=None)
        referral.answer(on=TODAY, starts_on=None, queue_position=None, expected=None)
        referral.move_up(on=TODAY, queue_position=1, expected=None)

        assert not any(isinstance(e, ReferralQueueMoved) for e in referral.pending)
        assert referral.queue_position is None

    def test_rebuilt_from_its_events_a_moved_and_promoted_referral_is_the_same(self):
        referral = waitlisted(3)
        referral.move_up(on=TODAY, queue_position=1, expected=None)
        moved = Referral.from_history(referral.referral_id, referral.client_id, referral.kind, referral.pending)
        assert (moved.queue_position, moved.version, moved.is_open) == (1, 3, True)

        referral.promote(on=TODAY)
        again = Referral.from_history(referral.referral_id, referral.client_id, referral.kind, referral.pending)
        assert isinstance(again.pending, list) and again.pending == []
        assert (again.state, again.queue_position, again.starts_on, again.version) == (
            "accepted", None, date(2026, 8, 17), 4)
        assert (again.service_code, again.provider_code, again.language) == (
            referral.service_code, referral.provider_code, "fi")


class TestCompletion:
    def started(self, code: str = "integration_training.karis") -> Referral:
        referral = made(code)
        referral.answer(on=TODAY, starts_on=None, queue_position=None, expected=None)
        referral.start(on=TODAY)
        return referral

    def test_R22_an_integration_training_kind_read_back_as_a_plain_string_still_needs_the_level(self):
        referral = self.started()
        plain = Referral.from_history(referral.referral_id, referral.client_id, "integration_training",
                                      referral.pending)

        with pytest.raises(Refused, match="^R22: language_level:"):
            plain.complete(on=TODAY, outcome=ReferralOutcome.COMPLETED, level=None)

    @pytest.mark.parametrize("outcome", [ReferralOutcome.INTERRUPTED, ReferralOutcome.NOT_STARTED])
    def test_R22_training_that_did_not_complete_needs_no_level(self, outcome):
        referral = self.started()
        referral.complete(on=TODAY, outcome=outcome, level=None)

        assert referral.state == "completed" and referral.pending[-1].language_level is None

    @pytest.mark.parametrize("code", ["language_cafe.karis", "civic_orientation", "basic_education.kanneljarvi"])
    def test_another_service_completes_without_a_level(self, code):
        # kinds named before and after integration_training in the alphabet: R22 binds that kind only
        referral = self.started(code)
        referral.complete(on=TODAY, outcome=ReferralOutcome.COMPLETED, level=None)

        assert referral.state == "completed"

    def test_a_level_on_another_service_is_refused_by_its_own_rule(self):
        with pytest.raises(Refused) as caught:
            self.started("language_cafe.karis").complete(on=TODAY, outcome=ReferralOutcome.COMPLETED, level="a2.1")

        assert caught.value.rule == "referral.language_level"


class TestOverdue:
    def test_no_answer_is_marked_on_a_made_referral_and_not_started_only_on_an_accepted_one(self):
        referral = made()
        referral.mark_overdue("not_started", TODAY)
        assert referral.overdue == frozenset()

        referral.mark_overdue("no_answer", TODAY)
        assert referral.overdue == {"no_answer"} and isinstance(referral.pending[-1], ReferralOverdue)

        referral.answer(on=TODAY, starts_on=TODAY, queue_position=None, expected=None)
        referral.mark_overdue("not_started", TODAY + DAY)
        assert referral.overdue == {"no_answer", "not_started"}
        assert [e.kind for e in referral.pending if isinstance(e, ReferralOverdue)] == ["no_answer", "not_started"]

    def test_a_waitlisted_referral_is_never_overdue(self):
        referral = waitlisted()
        referral.mark_overdue("no_answer", TODAY)
        referral.mark_overdue("not_started", TODAY)

        assert referral.overdue == frozenset()

    def test_overdue_is_kept_when_rebuilt(self):
        referral = made()
        referral.mark_overdue("no_answer", TODAY)
        again = Referral.from_history(referral.referral_id, referral.client_id, referral.kind, referral.pending)

        assert again.overdue == {"no_answer"} and again.state == "made"


def built(word: str) -> str:
    """The same text as a new string object, as a parsed request or a database row carries it."""
    return "".join(list(word))


class TestComparedByValue:
    """Identities and codes arrive parsed from requests and rows: the rules compare them by value, and
    refuse or allow whichever way the two sort."""

    def test_the_responsible_organisation_refers_when_its_name_is_a_parsed_string(self):
        who = client(responsible_organisation=built("raseborg"))

        check_referral(who, seeded()["language_cafe.karis"], language="fi", plan=None, referrer=built("raseborg"),
                       agreed=False, on=TODAY, catalogue=list(seeded().values()))

    @pytest.mark.parametrize(("responsible", "referrer"), [("raseborg", "hango"), ("hango", "raseborg"),
                                                           ("employment-region", "inga")])
    def test_another_organisation_is_refused_whichever_way_the_names_sort(self, responsible, referrer):
        with pytest.raises(Refused, match="^ownership.client: only the client's responsible organisation"):
            check_referral(client(responsible_organisation=responsible), seeded()["language_cafe.karis"],
                           language="fi", plan=None, referrer=referrer, agreed=False, on=TODAY,
                           catalogue=list(seeded().values()))

    def test_the_clients_own_plan_read_back_from_a_row_is_the_clients(self):
        who = client()

        refer(who, "language_cafe.karis", with_plan=plan(UUID(str(who.client_id))))

    @pytest.mark.parametrize("other", [UUID(int=1), UUID(int=2**128 - 1)])
    def test_a_plan_of_another_client_is_refused_whichever_way_the_ids_sort(self, other):
        assert refused(client(), "language_cafe.karis", with_plan=plan(other)).rule == "referral.plan"


class TestKindsAndLanguagesEitherSide:
    jobseeker = client(registered_jobseeker=True, responsible_organisation="employment-region")

    @pytest.mark.parametrize("language", ["en", "uk"])  # sorting before and after "sv"
    def test_integration_training_in_a_language_it_lacks_other_than_swedish(self, language):
        assert refused(self.jobseeker, "integration_training.karis", language=language).rule == "referral.language"

    def test_swedish_for_a_kind_sorting_after_integration_training_is_a_plain_language_refusal(self):
        assert refused(client(), "toisto.karis", language="sv").rule == "referral.language"

    def test_R21_binds_no_kind_sorting_before_civic_orientation(self):
        refer(client(languages=("ar",)), "basic_education.kanneljarvi", language="fi")

    @pytest.mark.parametrize("code", ["civic_orientation", "basic_education.kanneljarvi", "language_cafe.karis"])
    def test_a_level_on_any_other_kind_is_refused(self, code):
        referral = made(code)
        referral.answer(on=TODAY, starts_on=None, queue_position=None, expected=None)
        referral.start(on=TODAY)

        with pytest.raises(Refused, match="^referral.language_level: language_level: only integration training"):
            referral.complete(on=TODAY, outcome=ReferralOutcome.COMPLETED, level="a2.1")


class TestQueuePositionChanges:
    def test_any_new_position_is_recorded_even_a_later_one(self):
        referral = waitlisted(2)
        referral.move_up(on=TODAY, queue_position=5, expected=None)

        assert isinstance(referral.pending[-1], ReferralQueueMoved) and referral.queue_position == 5

    def test_the_same_large_position_as_another_int_records_nothing(self):
        referral = waitlisted(int("1000"))
        referral.move_up(on=TODAY, queue_position=int("1000"), expected=None)

        assert len(referral.pending) == 2 and referral.queue_position == 1000


class TestKeywordsOnly:
    """Dates, positions and outcomes are named at every call: two dates in the wrong order cannot pass."""

    def test_the_referrals_commands_take_keywords_only(self):
        referral = waitlisted()
        calls = [lambda: referral.answer(TODAY, None, None, None), lambda: referral.promote(TODAY),
                 lambda: referral.move_up(TODAY, 1, None), lambda: referral.start(TODAY),
                 lambda: referral.complete(TODAY, ReferralOutcome.COMPLETED, None),
                 lambda: referral.reject(TODAY, RejectionReason.LEVEL_NOT_SUITABLE),
                 lambda: referral.cancel(TODAY, CancellationReason.OTHER, "officer")]
        for call in calls:
            with pytest.raises(TypeError, match="positional argument"):
                call()
        assert referral.state == "waitlisted" and len(referral.pending) == 2

    def test_making_and_checking_a_referral_take_their_facts_by_keyword(self):
        service = seeded()["language_cafe.karis"]
        with pytest.raises(TypeError, match="positional argument"):
            Referral.make(uuid4(), uuid4(), service, None, "fi", TODAY)
        with pytest.raises(TypeError, match="positional argument"):
            check_referral(client(), service, "fi", None, "raseborg", False, TODAY, [service])
