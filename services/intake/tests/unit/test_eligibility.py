"""R1-R3: who must be assessed within the 3-year window, and who is offered guidance only."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from contracts.vocabulary import TargetGroup
from intake.domain.eligibility import WINDOW_YEARS, PersonFacts, decide_eligibility, window_ends_on

pytestmark = pytest.mark.unit


def facts(*, first_permit_date=date(2024, 6, 1), target_groups=("international_protection",), under_23=False,
          moved_on=None) -> PersonFacts:
    return PersonFacts(first_permit_date=first_permit_date, target_groups=target_groups, under_23=under_23,
                       moved_on=moved_on)


def test_R1_guidance_is_available_to_someone_in_no_target_group():
    eligibility = decide_eligibility(facts(target_groups=()), date(2025, 1, 1))

    assert eligibility.state == "guidance_only"
    assert eligibility.guidance_available is True
    assert eligibility.reason == ("no_qualifying_target_group", "R2")
    assert "R1" in eligibility.rules_applied


def test_R1_guidance_stays_available_after_the_window():
    eligibility = decide_eligibility(facts(), date(2030, 1, 1))

    assert eligibility.guidance_available is True


def test_R2_a_person_in_a_target_group_within_the_window_is_to_be_assessed():
    eligibility = decide_eligibility(facts(target_groups=("social_assistance",)), date(2025, 1, 1))

    assert eligibility.state == "to_be_assessed"
    assert eligibility.reason == ("target_group_within_window", "R2")
    assert eligibility.rules_applied == ("R1", "R2")


def test_R2_the_window_ends_three_years_after_the_first_permit_on_that_day_included():
    on_last_day = decide_eligibility(facts(first_permit_date=date(2024, 6, 1)), date(2027, 6, 1))
    day_after = decide_eligibility(facts(first_permit_date=date(2024, 6, 1)), date(2027, 6, 2))

    assert on_last_day.window_ends_on == date(2027, 6, 1)
    assert on_last_day.state == "to_be_assessed"
    assert day_after.state == "guidance_only"
    assert day_after.reason == ("window_expired", "R2")


def test_R2_a_window_from_29_february_ends_on_28_february():
    eligibility = decide_eligibility(facts(first_permit_date=date(2024, 2, 29)), date(2027, 3, 1))

    assert eligibility.window_ends_on == date(2027, 2, 28)
    assert eligibility.state == "guidance_only"


def test_R2_the_window_runs_from_the_permit_date_not_the_moving_date():
    person = facts(first_permit_date=date(2022, 1, 10), moved_on=date(2024, 1, 10))

    eligibility = decide_eligibility(person, date(2025, 6, 1))

    assert eligibility.window_ends_on == date(2025, 1, 10)
    assert eligibility.state == "guidance_only"


@pytest.mark.parametrize("under_23, state", [(True, "to_be_assessed"), (False, "guidance_only")])
def test_R2_an_unaccompanied_minor_counts_only_under_23(under_23, state):
    eligibility = decide_eligibility(facts(target_groups=("unaccompanied_minor",), under_23=under_23),
                                     date(2025, 1, 1))

    assert eligibility.state == state


def test_R2_an_unaccompanied_young_person_of_23_still_counts_in_another_group():
    eligibility = decide_eligibility(facts(target_groups=("unaccompanied_minor", "unemployed_jobseeker")),
                                     date(2025, 1, 1))

    assert eligibility.state == "to_be_assessed"
    assert eligibility.qualifying_groups == ("unemployed_jobseeker",)


def test_R3_a_trafficking_victim_is_to_be_assessed_after_the_window():
    eligibility = decide_eligibility(facts(first_permit_date=date(2018, 5, 5), target_groups=("trafficking_victim",)),
                                     date(2026, 3, 2))

    assert eligibility.state == "to_be_assessed"
    assert eligibility.reason == ("trafficking_victim_after_window", "R3")
    assert eligibility.rules_applied == ("R1", "R2", "R3")


def test_R3_a_trafficking_victim_within_the_window_is_assessed_under_R2():
    eligibility = decide_eligibility(facts(target_groups=("trafficking_victim",)), date(2025, 1, 1))

    assert eligibility.reason == ("target_group_within_window", "R2")


class TestPersonFacts:
    def test_target_groups_become_codes_without_repeats_in_first_seen_order(self):
        person = PersonFacts(first_permit_date=date(2024, 6, 1),
                             target_groups=["social_assistance", "international_protection", "social_assistance"])

        assert person.target_groups == (TargetGroup.SOCIAL_ASSISTANCE, TargetGroup.INTERNATIONAL_PROTECTION)
        assert all(type(group) is TargetGroup for group in person.target_groups)

    def test_an_unknown_target_group_code_is_refused(self):
        with pytest.raises(ValueError, match="not_a_group"):
            PersonFacts(first_permit_date=date(2024, 6, 1), target_groups=["not_a_group"])

    def test_R2_by_default_a_person_is_not_under_23_so_an_unaccompanied_minor_alone_does_not_qualify(self):
        person = PersonFacts(first_permit_date=date(2024, 6, 1), target_groups=["unaccompanied_minor"])

        assert person.under_23 is False
        assert person.moved_on is None
        assert person.qualifying_groups() == ()
        assert decide_eligibility(person, date(2025, 1, 1)).state == "guidance_only"

    def test_R2_under_23_an_unaccompanied_minor_qualifies(self):
        person = PersonFacts(first_permit_date=date(2024, 6, 1), target_groups=["unaccompanied_minor"], under_23=True)

        assert person.qualifying_groups() == (TargetGroup.UNACCOMPANIED_MINOR,)


def test_R2_the_window_is_exactly_three_years():
    assert WINDOW_YEARS == 3
    assert window_ends_on(date(2024, 6, 1)) == date(2027, 6, 1)
    assert window_ends_on(date(2024, 2, 29)) == date(2027, 2, 28)
    assert window_ends_on(date(2023, 2, 28)) == date(2026, 2, 28)
    assert window_ends_on(date(2025, 3, 1)) == date(2028, 3, 1)


def test_facts_and_decisions_are_frozen_values():
    person = PersonFacts(first_permit_date=date(2024, 6, 1), target_groups=["social_assistance"])
    decision = decide_eligibility(person, date(2025, 1, 1))

    with pytest.raises(dataclasses.FrozenInstanceError):
        person.under_23 = True  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        decision.state = "guidance_only"  # type: ignore[misc]
