"""Properties of R1-R3 and R5 over generated people, days and agreement dates."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.vocabulary import Municipality, Organisation, TargetGroup
from intake.domain.agreements import default_agreement_book
from intake.domain.eligibility import PersonFacts, decide_eligibility, window_ends_on
from intake.domain.responsibility import responsible_organisation

pytestmark = pytest.mark.unit

days = st.dates(min_value=date(2010, 1, 1), max_value=date(2040, 12, 31))
groups = st.lists(st.sampled_from(TargetGroup), unique=True, max_size=4)
people = st.builds(PersonFacts, first_permit_date=days, target_groups=groups, under_23=st.booleans(),
                   moved_on=st.none() | days)
municipalities = st.sampled_from(Municipality)


def qualifying(person: PersonFacts) -> set[TargetGroup]:
    return set(person.target_groups) - (set() if person.under_23 else {TargetGroup.UNACCOMPANIED_MINOR})


@given(person=people, day=days)
def test_R2_R3_to_be_assessed_exactly_with_a_qualifying_group_within_the_window_or_as_a_trafficking_victim(person, day):
    groups, within = qualifying(person), day <= window_ends_on(person.first_permit_date)

    eligibility = decide_eligibility(person, day)

    expected = bool(groups) and (within or TargetGroup.TRAFFICKING_VICTIM in groups)
    assert (eligibility.state == "to_be_assessed") is expected
    assert eligibility.state == ("to_be_assessed" if expected else "guidance_only")


@given(person=people, day=days)
def test_R2_R3_every_decision_names_its_reason_and_rule(person, day):
    groups, within = qualifying(person), day <= window_ends_on(person.first_permit_date)

    eligibility = decide_eligibility(person, day)

    if not groups:
        expected = ("no_qualifying_target_group", "R2")
    elif within:
        expected = ("target_group_within_window", "R2")
    elif TargetGroup.TRAFFICKING_VICTIM in groups:
        expected = ("trafficking_victim_after_window", "R3")
    else:
        expected = ("window_expired", "R2")
    assert eligibility.reason == expected
    assert eligibility.qualifying_groups == tuple(g for g in person.target_groups if g in groups)
    assert eligibility.rules_applied == (("R1", "R2", "R3") if TargetGroup.TRAFFICKING_VICTIM in groups
                                         else ("R1", "R2"))


@given(person=people, day=days)
def test_R2_the_moving_date_never_decides(person, day):
    moved_elsewhere = PersonFacts(person.first_permit_date, person.target_groups, person.under_23,
                                  moved_on=date(1999, 1, 1))

    assert decide_eligibility(person, day) == decide_eligibility(moved_elsewhere, day)


@given(person=people, day=days)
def test_R1_guidance_is_always_available(person, day):
    eligibility = decide_eligibility(person, day)

    assert eligibility.guidance_available is True
    assert "R1" in eligibility.rules_applied


@given(municipality=municipalities, day=days, hango_from=days)
def test_R5_a_registered_jobseeker_is_always_the_employment_regions(municipality, day, hango_from):
    book = default_agreement_book(hango_from=hango_from)

    assert responsible_organisation(True, municipality, day, book).organisation == Organisation.EMPLOYMENT_REGION


@given(municipality=municipalities, day=days, hango_from=days, inga_from=days,
       inga_status=st.sampled_from(["pending", "in_force"]))
def test_R5_a_non_jobseeker_is_never_the_employment_regions(municipality, day, hango_from, inga_from, inga_status):
    book = default_agreement_book(hango_from=hango_from, inga_status=inga_status, inga_from=inga_from)

    assert responsible_organisation(False, municipality, day, book).organisation != Organisation.EMPLOYMENT_REGION


@given(day=days, hango_from=days)
def test_R5_a_hanko_resident_is_raseborgs_whenever_the_agreement_is_in_force(day, hango_from):
    book = default_agreement_book(hango_from=hango_from)

    expected = Organisation.RASEBORG if day >= hango_from else Organisation.HANGO
    assert responsible_organisation(False, Municipality.HANGO, day, book).organisation == expected


@given(day=days, inga_from=days)
def test_R5_an_inkoo_resident_is_inkoos_while_the_agreement_is_pending(day, inga_from):
    book = default_agreement_book(inga_status="pending", inga_from=inga_from)

    assert responsible_organisation(False, Municipality.INGA, day, book).organisation == Organisation.INGA


@given(day=days, offset=st.integers(min_value=-2000, max_value=2000))
def test_R5_an_inkoo_resident_is_raseborgs_exactly_from_the_day_the_agreement_is_in_force(day, offset):
    inga_from = day + timedelta(days=offset)
    book = default_agreement_book(inga_status="in_force", inga_from=inga_from)

    expected = Organisation.RASEBORG if day >= inga_from else Organisation.INGA
    assert responsible_organisation(False, Municipality.INGA, day, book).organisation == expected
