"""The catalogue's rules: R20, R21, R22, Lohja's starts, Swedish training; and the seeded data itself."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.events.guidance import ServiceKind
from guidance.domain import catalogue as rules
from guidance.domain.errors import Refused
from services.guidance.tests.factories import TODAY, seeded, service

pytestmark = pytest.mark.unit


class TestSeededCatalogue:
    def test_R20_offers_every_service_of_the_minimum_programme(self):
        kinds = {s.kind for s in seeded().values() if rules.available(s, TODAY)}

        assert set(rules.MINIMUM_PROGRAMME) <= kinds

    def test_has_the_programmes_services(self):
        codes = set(seeded())

        assert {"civic_orientation", "integration_training.karis", "integration_training.lohja", "voluntary.larkkulla",
                "literacy.luki", "basic_education.kanneljarvi", "toisto.karis", "short_course.working_life",
                "language_cafe.ekenas", "language_cafe.karis", "language_course.vnf"} <= codes

    def test_R21_civic_orientation_is_seventy_hours_in_arabic_russian_and_english(self):
        civic = seeded()["civic_orientation"]

        assert civic.hours == 70 and {"ar", "ru", "en"} <= set(civic.languages) and civic.continuous_admission

    def test_R22_integration_training_aims_at_b1_1_in_karis_at_normal_or_slow_pace(self):
        training = seeded()["integration_training.karis"]

        assert training.target_level == "b1.1" and training.places == ("karis",)
        assert {s.pace for s in training.starts} == {"normal", "slow"} and 1 <= len(training.starts) <= 2
        assert (training.available_from, training.available_until) == (date(2025, 1, 1), date(2028, 12, 31))

    def test_every_seeded_service_passes_the_rules_and_no_start_clashes_with_lohja(self):
        catalogue = seeded()
        for s in catalogue.values():
            rules.check_service(s)
            assert rules.lohja_clashes(s, catalogue.values()) == []

    def test_offers_integration_training_in_swedish(self):
        assert rules.swedish_training_offers(seeded().values(), TODAY) == ["integration_training.karis.sv"]


class TestServiceRules:
    def test_R21_civic_orientation_of_seventy_hours_is_allowed_sixty_nine_refused(self):
        rules.check_service(service("civic_orientation", hours=70))
        with pytest.raises(Refused) as refused:
            rules.check_service(service("civic_orientation", hours=69))
        assert refused.value.rule == "R21" and "hours" in refused.value.reason

    def test_R21_civic_orientation_without_hours_is_refused(self):
        with pytest.raises(Refused, match="R21"):
            rules.check_service(service("civic_orientation", hours=None))

    def test_R21_does_not_bind_other_services(self):
        rules.check_service(service("language_cafe.karis", hours=2))

    def test_R22_integration_training_names_its_target_level(self):
        with pytest.raises(Refused) as refused:
            rules.check_service(service("integration_training.karis", target_level=None))
        assert refused.value.rule == "R22" and "target_level" in refused.value.reason


class TestLohjaClash:
    def start(self, day: date) -> list[dict]:
        return [{"starts_on": day, "pace": "normal", "capacity": 16}]

    def test_a_raseborg_start_one_day_inside_the_window_of_lohjas_is_warned(self):
        lohja = seeded()["integration_training.lohja"]  # starts 2027-03-01 and 2027-10-18
        karis = service("integration_training.karis", starts=self.start(date(2027, 4, 11)))  # 41 days after

        warnings = rules.lohja_clashes(karis, [lohja])

        assert [w.rule for w in warnings] == ["programme.lohja_starts"] and "2027-03-01" in warnings[0].message

    def test_a_raseborg_start_exactly_the_window_away_is_not_warned(self):
        lohja = seeded()["integration_training.lohja"]
        karis = service("integration_training.karis", starts=self.start(date(2027, 4, 12)))  # 42 days after

        assert rules.lohja_clashes(karis, [lohja]) == []

    def test_a_change_to_lohjas_starts_is_checked_against_raseborgs(self):
        karis = seeded()["integration_training.karis"]  # 2027-01-11 and 2027-08-16
        lohja = service("integration_training.lohja", starts=self.start(date(2027, 8, 16)))

        assert len(rules.lohja_clashes(lohja, [karis])) == 1

    def test_other_kinds_are_not_compared(self):
        lohja = seeded()["integration_training.lohja"]
        course = service("voluntary.larkkulla", starts=self.start(date(2027, 3, 1)))

        assert rules.lohja_clashes(course, [lohja]) == []


class TestWithdrawal:
    def test_R20_the_last_civic_orientation_cannot_be_withdrawn(self):
        with pytest.raises(Refused) as refused:
            rules.check_withdrawal("civic_orientation", seeded(), TODAY)
        assert refused.value.rule == "R20"

    def test_R20_a_civic_orientation_with_another_left_can_be_withdrawn(self):
        other = service("civic_orientation", service_code="civic_orientation.uk")
        catalogue = seeded() | {"civic_orientation.uk": other}

        rules.check_withdrawal("civic_orientation", catalogue, TODAY)

    def test_the_last_integration_training_in_swedish_cannot_be_withdrawn(self):
        with pytest.raises(Refused) as refused:
            rules.check_withdrawal("integration_training.karis.sv", seeded(), TODAY)
        assert refused.value.rule == "programme.swedish_training"

    def test_a_service_outside_the_minimum_programme_can_be_withdrawn(self):
        rules.check_withdrawal("language_cafe.karis", seeded(), TODAY)

    def test_kinds_are_what_the_programme_names(self):
        assert ServiceKind.TOISTO_GROUP in {s.kind for s in seeded().values()}
