"""The catalogue rules at their edges: a service's first and last day, a one-day service, starts just
inside and just outside Lohja's window either way round, and withdrawals that leave only an unavailable
or a Lohja service behind (mutation testing, issue 17)."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest

from guidance.domain import catalogue as rules
from guidance.domain.errors import Refused
from services.guidance.tests.factories import TODAY, seeded, service

pytestmark = pytest.mark.unit

DAY = timedelta(days=1)
LOHJA_START = date(2027, 3, 1)  # the seeded Lohja training's first start


def starts(*days: date) -> list[dict]:
    return [{"starts_on": d, "pace": "normal", "capacity": 16} for d in days]


class TestDates:
    def test_a_service_is_available_from_its_first_to_its_last_day(self):
        s = service("language_cafe.karis", available_from=TODAY, available_until=TODAY + DAY)

        assert [rules.available(s, d) for d in (TODAY - DAY, TODAY, TODAY + DAY, TODAY + 2 * DAY)] == [
            False, True, True, False]

    def test_a_service_without_dates_is_always_available(self):
        s = service("language_cafe.karis", available_from=None, available_until=None)

        assert rules.available(s, date(1990, 1, 1)) and rules.available(s, date(2100, 1, 1))

    def test_a_service_with_only_a_first_day_or_only_a_last_day(self):
        opening = service("language_cafe.karis", available_from=TODAY, available_until=None)
        closing = service("language_cafe.karis", available_from=None, available_until=TODAY)

        assert (rules.available(opening, TODAY - DAY), rules.available(opening, TODAY)) == (False, True)
        assert (rules.available(closing, TODAY), rules.available(closing, TODAY + DAY)) == (True, False)

    def test_a_one_day_service_is_allowed_and_a_last_day_before_the_first_refused(self):
        rules.check_service(service("language_cafe.karis", available_from=TODAY, available_until=TODAY))
        rules.check_service(service("language_cafe.karis", available_from=None, available_until=TODAY))
        with pytest.raises(Refused) as caught:
            rules.check_service(service("language_cafe.karis", available_from=TODAY, available_until=TODAY - DAY))
        assert (caught.value.rule, caught.value.reason) == ("catalogue.dates",
                                                            "available_until: must not be before available_from")


class TestServiceRules:
    def test_the_constants_of_the_law_and_the_programme(self):
        assert (rules.CIVIC_ORIENTATION_MIN_HOURS, rules.LOHJA_CLASH_DAYS) == (70, 42)

    def test_R21_seventy_one_hours_is_allowed_and_the_refusal_names_the_minimum(self):
        rules.check_service(service("civic_orientation", hours=71))
        with pytest.raises(Refused, match="^R21: hours: civic orientation lasts at least 70 hours$"):
            rules.check_service(service("civic_orientation", hours=1))

    def test_R22_does_not_bind_other_services_without_a_level(self):
        rules.check_service(service("language_cafe.karis", target_level=None))
        rules.check_service(service("civic_orientation", target_level=None))

    def test_R22_the_refusal_names_the_field(self):
        with pytest.raises(Refused, match="^R22: target_level: "):
            rules.check_service(service("integration_training.karis.sv", target_level=None))

    def test_a_warning_is_frozen(self):
        with pytest.raises(dataclasses.FrozenInstanceError):
            rules.Warning("r", "m").rule = "x"  # type: ignore[misc]


class TestLohjaClash:
    lohja = seeded()["integration_training.lohja"]

    def karis(self, *days: date):
        return service("integration_training.karis", starts=starts(*days))

    def test_a_raseborg_start_before_lohjas_counts_the_same_either_way_round(self):
        assert len(rules.lohja_clashes(self.karis(LOHJA_START - 41 * DAY), [self.lohja])) == 1
        assert rules.lohja_clashes(self.karis(LOHJA_START - 42 * DAY), [self.lohja]) == []

    def test_the_same_day_clashes(self):
        (warning,) = rules.lohja_clashes(self.karis(LOHJA_START), [self.lohja])

        assert warning.rule == "programme.lohja_starts" and "within 42 days" in warning.message

    def test_every_clashing_pair_is_warned(self):
        warnings = rules.lohja_clashes(self.karis(LOHJA_START, date(2027, 10, 18)), [self.lohja])

        assert [("2027-03-01" in w.message, "2027-10-18" in w.message) for w in warnings] == [(True, False),
                                                                                            (False, True)]

    def test_the_window_can_be_given(self):
        karis = self.karis(LOHJA_START + 10 * DAY)

        assert rules.lohja_clashes(karis, [self.lohja], days=10) == []
        assert len(rules.lohja_clashes(karis, [self.lohja], days=11)) == 1

    def test_raseborgs_own_trainings_are_not_compared_with_each_other(self):
        other = service("integration_training.karis.sv", starts=starts(LOHJA_START))

        assert rules.lohja_clashes(self.karis(LOHJA_START), [other]) == []

    def test_a_service_is_not_compared_with_its_own_earlier_version(self):
        lohja_as_karis = service("integration_training.lohja", service_code="integration_training.karis")

        assert rules.lohja_clashes(self.karis(LOHJA_START), [lohja_as_karis]) == []

    def test_another_area_is_not_compared(self):
        kirkkonummi = service("integration_training.karis", area="kirkkonummi", starts=starts(LOHJA_START))

        assert rules.lohja_clashes(kirkkonummi, [self.lohja]) == []

    def test_a_lohja_course_of_another_kind_is_not_compared(self):
        course = service("voluntary.larkkulla", service_code="course.lohja", area="lohja", starts=starts(LOHJA_START))

        assert rules.lohja_clashes(self.karis(LOHJA_START), [course]) == []


class TestWithdrawal:
    def test_R20_another_civic_orientation_that_has_ended_does_not_count(self):
        ended = service("civic_orientation", service_code="civic_orientation.uk", available_until=TODAY - DAY)

        with pytest.raises(Refused, match="^R20: service_code: the last multilingual civic orientation "):
            rules.check_withdrawal("civic_orientation", seeded() | {"civic_orientation.uk": ended}, TODAY)

    def test_R20_another_civic_orientation_open_until_today_counts(self):
        ending = service("civic_orientation", service_code="civic_orientation.uk", available_until=TODAY)

        rules.check_withdrawal("civic_orientation", seeded() | {"civic_orientation.uk": ending}, TODAY)

    def test_R20_the_last_literacy_training_cannot_be_withdrawn(self):
        with pytest.raises(Refused, match="^R20: service_code: the last literacy training "):
            rules.check_withdrawal("literacy.luki", seeded(), TODAY)

    def test_a_finnish_integration_training_can_be_withdrawn_while_others_remain(self):
        rules.check_withdrawal("integration_training.karis", seeded(), TODAY)

    def test_a_swedish_training_in_lohja_does_not_replace_raseborgs(self):
        lohja_sv = service("integration_training.lohja", service_code="integration_training.lohja.sv",
                           languages=["sv"])

        with pytest.raises(Refused, match="^programme.swedish_training: service_code: "):
            rules.check_withdrawal("integration_training.karis.sv",
                                   seeded() | {"integration_training.lohja.sv": lohja_sv}, TODAY)

    def test_another_swedish_training_in_raseborg_replaces_it(self):
        second = service("integration_training.karis.sv", service_code="integration_training.ekenas.sv")

        rules.check_withdrawal("integration_training.karis.sv",
                               seeded() | {"integration_training.ekenas.sv": second}, TODAY)

    def test_a_swedish_language_course_is_not_swedish_training(self):
        catalogue = {c: s for c, s in seeded().items() if c != "integration_training.karis.sv"}

        assert rules.swedish_training_offers(catalogue.values(), TODAY) == []
        rules.check_withdrawal("language_course.vnf", catalogue, TODAY)


class TestSwedishTrainingOffers:
    def test_only_those_open_on_the_day_in_code_order(self):
        later = service("integration_training.karis.sv", service_code="integration_training.a.sv",
                        available_from=TODAY + DAY)
        catalogue = seeded() | {"integration_training.a.sv": later}

        assert rules.swedish_training_offers(catalogue.values(), TODAY) == ["integration_training.karis.sv"]
        assert rules.swedish_training_offers(catalogue.values(), TODAY + DAY) == [
            "integration_training.a.sv", "integration_training.karis.sv"]


class TestKindsEitherSide:
    """Kinds sorting before integration_training (basic_education, civic_orientation) are other kinds too."""

    def test_a_raseborg_course_of_a_kind_sorting_before_integration_training_is_not_compared(self):
        course = service("basic_education.kanneljarvi", area="raseborg", starts=starts(LOHJA_START))

        assert rules.lohja_clashes(course, [seeded()["integration_training.lohja"]]) == []

    def test_swedish_basic_education_or_civic_orientation_is_not_swedish_training(self):
        catalogue = seeded() | {
            "basic_education.sv": service("basic_education.kanneljarvi", service_code="basic_education.sv",
                                          languages=["sv"]),
            "civic_orientation.sv": service("civic_orientation", service_code="civic_orientation.sv",
                                            languages=["sv"])}

        assert rules.swedish_training_offers(catalogue.values(), TODAY) == ["integration_training.karis.sv"]
        with pytest.raises(Refused, match="^programme.swedish_training: "):
            rules.check_withdrawal("integration_training.karis.sv", catalogue, TODAY)

    def test_the_window_is_given_by_keyword_only(self):
        with pytest.raises(TypeError, match="positional argument"):
            rules.lohja_clashes(seeded()["integration_training.karis"], [], 10)  # type: ignore[misc]


def test_a_kirkkonummi_training_is_compared_with_neither_raseborg_nor_lohja():
    kirkkonummi = service("integration_training.lohja", service_code="integration_training.kirkkonummi",
                          area="kirkkonummi", starts=starts(LOHJA_START))
    karis = service("integration_training.karis", starts=starts(LOHJA_START + 100 * DAY))
    lohja = service("integration_training.lohja", starts=starts(LOHJA_START + 100 * DAY))

    assert rules.lohja_clashes(service("integration_training.karis", starts=starts(LOHJA_START)), [kirkkonummi]) == []
    assert rules.lohja_clashes(service("integration_training.lohja", service_code="integration_training.lohja2",
                                       starts=starts(LOHJA_START)), [kirkkonummi, lohja]) == []
    assert len(rules.lohja_clashes(karis, [kirkkonummi, lohja])) == 1


@pytest.mark.parametrize("code", ["basic_education.kanneljarvi"])  # basic_education sorts before the kind
def test_a_lohja_service_of_a_kind_sorting_before_integration_training_is_not_compared(code):
    other = service(code, service_code="other.lohja", area="lohja", starts=starts(LOHJA_START))

    assert rules.lohja_clashes(service("integration_training.karis", starts=starts(LOHJA_START)), [other]) == []
