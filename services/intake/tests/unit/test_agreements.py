"""Service agreements as effective-dated data: Hanko in force, Inkoo pending or in force from a date."""

from __future__ import annotations

from datetime import date

import pytest

from intake.domain.agreements import AgreementBook, InvalidAgreement, ServiceAgreement, default_agreement_book

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
        with pytest.raises(InvalidAgreement):
            ServiceAgreement("hango", "raseborg", date(2024, 1, 1), date(2023, 12, 31))

    def test_refuses_two_overlapping_agreements_in_force_for_one_municipality(self):
        with pytest.raises(InvalidAgreement):
            AgreementBook([ServiceAgreement("inga", "raseborg", date(2024, 1, 1)),
                           ServiceAgreement("inga", "inga", date(2025, 1, 1), date(2025, 6, 30))])

    def test_allows_a_pending_agreement_beside_one_in_force(self):
        book = AgreementBook([ServiceAgreement("inga", "raseborg", date(2024, 1, 1), date(2025, 12, 31)),
                              ServiceAgreement("inga", "hango", date(2025, 1, 1), status="pending")])

        assert book.provider_on("inga", date(2025, 6, 1)) == "raseborg"
