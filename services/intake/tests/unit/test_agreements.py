"""Service agreements as effective-dated data: Hanko in force, Inkoo pending or in force from a date."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from contracts.vocabulary import Municipality, Organisation
from intake.domain.agreements import (
    HANGO_AGREEMENT_FROM,
    INGA_PLANNED_FROM,
    AgreementBook,
    InvalidAgreement,
    ServiceAgreement,
    default_agreement_book,
)

pytestmark = pytest.mark.unit


class TestProviderOn:
    def test_hanko_is_served_by_raseborg_while_its_agreement_is_in_force(self):
        book = default_agreement_book(hango_from=date(2023, 1, 1))

        assert book.provider_on("hango", date(2023, 1, 1)) == "raseborg"
        assert book.provider_on("hango", date(2026, 3, 2)) == "raseborg"

    def test_hanko_has_no_provider_before_its_agreement_starts(self):
        book = default_agreement_book(hango_from=date(2023, 1, 1))

        assert book.provider_on("hango", date(2022, 12, 31)) is None

    def test_a_pending_inkoo_agreement_never_counts(self):
        book = default_agreement_book(inga_status="pending", inga_from=date(2025, 1, 1))

        assert book.provider_on("inga", date(2024, 12, 31)) is None
        assert book.provider_on("inga", date(2026, 3, 2)) is None

    def test_an_inkoo_agreement_in_force_counts_from_its_first_day(self):
        book = default_agreement_book(inga_status="in_force", inga_from=date(2026, 5, 1))

        assert book.provider_on("inga", date(2026, 4, 30)) is None
        assert book.provider_on("inga", date(2026, 5, 1)) == "raseborg"

    def test_raseborg_needs_no_agreement(self):
        assert default_agreement_book().provider_on("raseborg", date(2026, 3, 2)) is None

    def test_an_agreement_ends_after_its_last_day(self):
        book = AgreementBook([ServiceAgreement("hango", "raseborg", date(2023, 1, 1), date(2025, 12, 31))])

        assert book.provider_on("hango", date(2025, 12, 31)) == "raseborg"
        assert book.provider_on("hango", date(2026, 1, 1)) is None


class TestCheckAgreements:
    def test_refuses_an_agreement_ending_before_it_starts(self):
        with pytest.raises(InvalidAgreement, match="^valid_until:"):
            ServiceAgreement("hango", "raseborg", date(2024, 1, 1), date(2023, 12, 31))

    def test_refuses_two_overlapping_agreements_in_force_for_one_municipality(self):
        with pytest.raises(InvalidAgreement, match="^valid_from: two agreements in force overlap for inga$"):
            AgreementBook([ServiceAgreement("inga", "raseborg", date(2024, 1, 1)),
                           ServiceAgreement("inga", "inga", date(2025, 1, 1), date(2025, 6, 30))])

    def test_allows_a_pending_agreement_beside_one_in_force(self):
        book = AgreementBook([ServiceAgreement("inga", "raseborg", date(2024, 1, 1), date(2025, 12, 31)),
                              ServiceAgreement("inga", "hango", date(2025, 1, 1), status="pending")])

        assert book.provider_on("inga", date(2025, 6, 1)) == "raseborg"


class TestOverlapBoundaries:
    def test_one_agreement_ending_the_day_before_the_next_starts_does_not_overlap(self):
        book = AgreementBook([ServiceAgreement("inga", "inga", date(2024, 1, 1), date(2025, 12, 31)),
                              ServiceAgreement("inga", "raseborg", date(2026, 1, 1))])

        assert book.provider_on("inga", date(2025, 12, 31)) == "inga"
        assert book.provider_on("inga", date(2026, 1, 1)) == "raseborg"

    def test_one_agreement_ending_the_day_the_next_starts_overlaps(self):
        with pytest.raises(InvalidAgreement, match="overlap for inga"):
            AgreementBook([ServiceAgreement("inga", "inga", date(2024, 1, 1), date(2026, 1, 1)),
                           ServiceAgreement("inga", "raseborg", date(2026, 1, 1))])

    def test_the_later_agreement_listed_first_is_checked_the_same_way(self):
        with pytest.raises(InvalidAgreement, match="overlap"):
            AgreementBook([ServiceAgreement("inga", "raseborg", date(2026, 1, 1)),
                           ServiceAgreement("inga", "inga", date(2024, 1, 1), date(2026, 1, 1))])
        AgreementBook([ServiceAgreement("inga", "raseborg", date(2026, 1, 2)),
                       ServiceAgreement("inga", "inga", date(2024, 1, 1), date(2026, 1, 1))])

    def test_a_one_day_agreement_covers_that_day_only(self):
        book = AgreementBook([ServiceAgreement("hango", "raseborg", date(2026, 3, 2), date(2026, 3, 2))])

        assert book.provider_on("hango", date(2026, 3, 1)) is None
        assert book.provider_on("hango", date(2026, 3, 2)) == "raseborg"
        assert book.provider_on("hango", date(2026, 3, 3)) is None

    def test_two_open_ended_agreements_overlap(self):
        with pytest.raises(InvalidAgreement, match="overlap"):
            AgreementBook([ServiceAgreement("hango", "raseborg", date(2023, 1, 1)),
                           ServiceAgreement("hango", "hango", date(2030, 1, 1))])

    def test_agreements_of_different_municipalities_never_overlap(self):
        book = AgreementBook([ServiceAgreement("hango", "raseborg", date(2023, 1, 1)),
                              ServiceAgreement("inga", "raseborg", date(2023, 1, 1))])

        assert book.provider_on("inga", date(2024, 1, 1)) == "raseborg"

    def test_a_pending_agreement_overlaps_nothing_whichever_side_it_is_on(self):
        in_force = ServiceAgreement("inga", "raseborg", date(2024, 1, 1))
        pending = ServiceAgreement("inga", "hango", date(2024, 1, 1), status="pending")

        assert not in_force.overlaps(pending) and not pending.overlaps(in_force)
        assert in_force.overlaps(ServiceAgreement("inga", "hango", date(2024, 1, 1)))


class TestAgreementValues:
    def test_an_unknown_status_is_refused_naming_the_field(self):
        with pytest.raises(InvalidAgreement, match="^status: must be in_force or pending$") as refused:
            ServiceAgreement("hango", "raseborg", date(2024, 1, 1), status="signed")  # type: ignore[arg-type]
        assert refused.value.field == "status"

    def test_an_agreement_ending_before_it_starts_names_valid_until(self):
        with pytest.raises(InvalidAgreement, match="^valid_until: must not be before valid_from$"):
            ServiceAgreement("hango", "raseborg", date(2024, 1, 2), date(2024, 1, 1))

    def test_an_agreement_is_in_force_and_open_ended_by_default(self):
        agreement = ServiceAgreement("hango", "raseborg", date(2024, 1, 1))

        assert (agreement.status, agreement.valid_until) == ("in_force", None)
        assert agreement.municipality is Municipality.HANGO and agreement.provider_organisation is Organisation.RASEBORG

    def test_the_programmes_default_dates(self):
        assert (HANGO_AGREEMENT_FROM, INGA_PLANNED_FROM) == (date(2023, 1, 1), date(2026, 1, 1))
        book = default_agreement_book()

        assert book.provider_on("hango", date(2022, 12, 31)) is None
        assert book.provider_on("hango", date(2023, 1, 1)) == "raseborg"
        assert book.provider_on("inga", date(2030, 1, 1)) is None
        assert default_agreement_book(inga_status="in_force").provider_on("inga", date(2026, 1, 1)) == "raseborg"
        assert default_agreement_book(inga_status="in_force").provider_on("inga", date(2025, 12, 31)) is None


class TestCoversAndOverlapsEveryWay:
    @pytest.mark.parametrize(("agreement_for", "asked_for"), [("inga", "hango"), ("hango", "inga"),
                                                              ("raseborg", "hango")])
    def test_an_agreement_covers_its_own_municipality_only(self, agreement_for, asked_for):
        book = AgreementBook([ServiceAgreement(agreement_for, "raseborg", date(2023, 1, 1))])

        assert book.provider_on(asked_for, date(2024, 1, 1)) is None
        assert book.provider_on(agreement_for, date(2024, 1, 1)) == "raseborg"

    def test_a_status_read_at_run_time_counts_like_the_literal(self):
        status = "".join(["in_", "force"])  # equal to "in_force", not the same object

        book = AgreementBook([ServiceAgreement("hango", "raseborg", date(2023, 1, 1), status=status)])

        assert book.provider_on("hango", date(2024, 1, 1)) == "raseborg"

    def test_agreements_of_different_municipalities_in_either_order_never_overlap(self):
        for first, second in (("inga", "hango"), ("hango", "inga"), ("raseborg", "inga")):
            book = AgreementBook([ServiceAgreement(first, "raseborg", date(2023, 1, 1)),
                                  ServiceAgreement(second, "raseborg", date(2023, 1, 1))])

            assert book.provider_on(second, date(2024, 1, 1)) == "raseborg"

    def test_a_later_agreement_starting_inside_a_bounded_one_overlaps(self):
        with pytest.raises(InvalidAgreement, match="overlap for hango"):
            AgreementBook([ServiceAgreement("hango", "raseborg", date(2024, 1, 1), date(2025, 12, 31)),
                           ServiceAgreement("hango", "hango", date(2025, 6, 1))])
        with pytest.raises(InvalidAgreement, match="overlap for hango"):
            AgreementBook([ServiceAgreement("hango", "hango", date(2025, 6, 1), date(2026, 6, 1)),
                           ServiceAgreement("hango", "raseborg", date(2024, 1, 1), date(2025, 12, 31))])

    def test_an_agreement_is_a_frozen_value(self):
        agreement = ServiceAgreement("hango", "raseborg", date(2023, 1, 1))

        with pytest.raises(dataclasses.FrozenInstanceError):
            agreement.status = "pending"  # type: ignore[misc]
