"""R5-R6: who is responsible for a person's assessment and plan, and when LUVN takes part."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from contracts.vocabulary import TargetGroup
from intake.domain.agreements import default_agreement_book
from intake.domain.responsibility import (
    Circumstances,
    luvn_participation_required,
    responsibility_change,
    receiving_organisation,
    responsible_organisation,
)

pytestmark = pytest.mark.unit

DAY = date(2026, 3, 2)
BOOK = default_agreement_book(hango_from=date(2023, 1, 1))  # Inkoo pending


@pytest.mark.parametrize("municipality", ["raseborg", "hango", "inga"])
def test_R5_a_registered_jobseeker_is_the_employment_regions(municipality):
    responsibility = responsible_organisation(True, municipality, DAY, BOOK)

    assert responsibility.organisation == "employment-region"
    assert (responsibility.rule, responsibility.reason) == ("R5", "registered_jobseeker")


def test_R5_a_raseborg_resident_outside_the_labour_market_is_raseborgs():
    responsibility = responsible_organisation(False, "raseborg", DAY, BOOK)

    assert (responsibility.organisation, responsibility.reason) == ("raseborg", "own_municipal_services")


def test_R5_a_hanko_resident_is_raseborgs_by_agreement():
    responsibility = responsible_organisation(False, "hango", DAY, BOOK)

    assert (responsibility.organisation, responsibility.reason) == ("raseborg", "service_agreement")


def test_R5_a_hanko_resident_before_the_agreement_is_hankos():
    assert responsible_organisation(False, "hango", date(2022, 6, 1), BOOK).organisation == "hango"


def test_R5_an_inkoo_resident_is_inkoos_while_the_agreement_is_pending():
    responsibility = responsible_organisation(False, "inga", DAY, BOOK)

    assert (responsibility.organisation, responsibility.reason) == ("inga", "own_municipal_services")


def test_R5_an_inkoo_resident_is_raseborgs_from_the_day_the_agreement_is_in_force():
    book = default_agreement_book(inga_status="in_force", inga_from=date(2026, 5, 1))

    assert responsible_organisation(False, "inga", date(2026, 4, 30), book).organisation == "inga"
    assert responsible_organisation(False, "inga", date(2026, 5, 1), book).organisation == "raseborg"


class TestResponsibilityChange:
    def test_R5_registering_as_a_jobseeker_hands_over_to_the_employment_region(self):
        change = responsibility_change(Circumstances(False, "inga", DAY), Circumstances(True, "inga", DAY), book=BOOK)

        assert change is not None
        assert (change.from_organisation, change.to_organisation) == ("inga", "employment-region")
        assert (change.reason, change.rule) == ("registered_as_jobseeker", "R5")

    def test_R5_leaving_the_jobseeker_register_hands_back_to_the_municipality_provider(self):
        change = responsibility_change(Circumstances(True, "hango", DAY), Circumstances(False, "hango", DAY),
                                       book=BOOK)

        assert change is not None
        assert (change.to_organisation, change.reason) == ("raseborg", "no_longer_registered_jobseeker")

    def test_R5_moving_from_hanko_to_inkoo_hands_over_to_inkoo_while_pending(self):
        change = responsibility_change(Circumstances(False, "hango", DAY), Circumstances(False, "inga", DAY),
                                       book=BOOK)

        assert change is not None
        assert (change.from_organisation, change.to_organisation) == ("raseborg", "inga")
        assert change.reason == "moved_to_another_municipality"

    def test_R5_an_inkoo_agreement_coming_into_force_hands_over_to_raseborg(self):
        book = default_agreement_book(inga_status="in_force", inga_from=date(2026, 5, 1))

        change = responsibility_change(Circumstances(False, "inga", date(2026, 4, 30)),
                                       Circumstances(False, "inga", date(2026, 5, 1)), book=book)

        assert change is not None
        assert (change.to_organisation, change.reason) == ("raseborg", "service_agreement_changed")

    def test_R5_no_change_when_a_jobseeker_moves(self):
        assert responsibility_change(Circumstances(True, "hango", DAY), Circumstances(True, "inga", DAY),
                                     book=BOOK) is None

    def test_R5_no_change_when_moving_between_municipalities_raseborg_serves(self):
        assert responsibility_change(Circumstances(False, "raseborg", DAY), Circumstances(False, "hango", DAY),
                                     book=BOOK) is None


@pytest.mark.parametrize("group", ["international_protection", "social_assistance", "unaccompanied_minor",
                                   "trafficking_victim"])
def test_R6_luvn_takes_part_for_the_programmes_groups(group):
    assert luvn_participation_required([group])


@pytest.mark.parametrize("groups", [(), ("unemployed_jobseeker",), ("family_member", "home_care_allowance"),
                                    ("own_request_or_authority_contact",)])
def test_R6_luvn_need_not_take_part_for_other_groups(groups):
    assert not luvn_participation_required(groups)


def test_R6_luvn_takes_part_for_anyone_else_whose_services_need_coordinating():
    assert luvn_participation_required(["home_care_allowance"], coordination_needed=True)


@pytest.mark.parametrize(("jobseeker", "municipality", "expected"), [
    (True, "raseborg", ("employment-region", "R5", "registered_jobseeker")),
    (False, "raseborg", ("raseborg", "R5", "own_municipal_services")),
    (False, "hango", ("raseborg", "R5", "service_agreement")),
    (False, "inga", ("inga", "R5", "own_municipal_services")),
])
def test_R5_every_path_names_the_rule_and_its_reason(jobseeker, municipality, expected):
    responsibility = responsible_organisation(jobseeker, municipality, DAY, BOOK)

    assert (responsibility.organisation, responsibility.rule, responsibility.reason) == expected


def test_R5_every_handover_names_the_rule():
    moves = [(Circumstances(False, "inga", DAY), Circumstances(True, "inga", DAY)),
             (Circumstances(True, "hango", DAY), Circumstances(False, "hango", DAY)),
             (Circumstances(False, "hango", DAY), Circumstances(False, "inga", DAY))]

    changes = [responsibility_change(before, after, book=BOOK) for before, after in moves]

    assert [change.rule for change in changes] == ["R5", "R5", "R5"]


def test_R5_when_status_and_municipality_change_at_once_the_status_is_the_reason():
    change = responsibility_change(Circumstances(True, "hango", DAY), Circumstances(False, "inga", DAY), book=BOOK)

    assert (change.to_organisation, change.reason) == ("inga", "no_longer_registered_jobseeker")


def test_R6_coordination_is_not_needed_by_default_and_groups_may_be_codes_or_strings():
    assert luvn_participation_required(["home_care_allowance"]) is False
    assert luvn_participation_required([TargetGroup.SOCIAL_ASSISTANCE]) is True
    assert luvn_participation_required([], coordination_needed=True) is True


def test_R5_moving_from_inkoo_to_hanko_is_named_a_move():
    change = responsibility_change(Circumstances(False, "inga", DAY), Circumstances(False, "hango", DAY), book=BOOK)

    assert (change.from_organisation, change.to_organisation) == ("inga", "raseborg")
    assert change.reason == "moved_to_another_municipality"


def test_R5_the_same_municipality_read_at_run_time_is_not_a_move():
    book = default_agreement_book(inga_status="in_force", inga_from=date(2026, 5, 1))
    before, after = "".join(["in", "ga"]), "".join(["in", "ga"])  # equal strings, not the same objects

    change = responsibility_change(Circumstances(False, before, date(2026, 4, 30)),
                                   Circumstances(False, after, date(2026, 5, 1)), book=book)

    assert change.reason == "service_agreement_changed"


def test_the_book_and_the_coordination_flag_are_named_never_positional():
    with pytest.raises(TypeError):
        responsibility_change(Circumstances(False, "inga", DAY), Circumstances(True, "inga", DAY), BOOK)  # type: ignore[misc]
    with pytest.raises(TypeError):
        luvn_participation_required(["home_care_allowance"], True)  # type: ignore[misc]


def test_decisions_and_circumstances_are_frozen_values():
    circumstances = Circumstances(False, "inga", DAY)
    decision = responsible_organisation(False, "inga", DAY, BOOK)
    change = responsibility_change(circumstances, Circumstances(True, "inga", DAY), book=BOOK)

    for value, name in ((circumstances, "day"), (decision, "rule"), (change, "rule")):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(value, name, None)


@pytest.mark.parametrize(("municipality", "receiver"), [("raseborg", "raseborg"), ("hango", "raseborg"),
                                                        ("inga", "inga")])
def test_R5_the_organisation_that_may_claim_a_mover_is_the_municipal_provider_never_the_employment_region(
        municipality, receiver):
    assert receiving_organisation(municipality, DAY, BOOK) == receiver
