"""The skeleton's decisions when a person is registered: responsibility, state and dates."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from uuid import uuid4

import pytest

from contracts.events.intake import ClientRegistered
from intake.domain.model import Client, InvalidRegistration
from services.intake.tests import factories

pytestmark = pytest.mark.unit


def register(*, target_groups=("international_protection",), residence_permit_date=date(2025, 11, 20),
             today=factories.TODAY, personal=None, languages=("uk", "sv")) -> Client:
    return Client.register(uuid4(), personal=personal or factories.personal(), home_municipality="hango",
                           languages=languages, target_groups=target_groups,
                           residence_permit_date=residence_permit_date, source="refugee_placement", today=today)


class TestResponsibility:
    def test_an_unemployed_jobseeker_is_the_employment_regions_responsibility(self):
        client = register(target_groups=("family_member", "unemployed_jobseeker"))

        assert client.responsible_organisation == "employment-region"

    @pytest.mark.parametrize("groups", [(), ("international_protection",), ("home_care_allowance",)])
    def test_everyone_else_is_raseborgs_responsibility(self, groups):
        client = register(target_groups=groups)

        assert client.responsible_organisation == "raseborg"


class TestStateAndDeadline:
    def test_a_person_in_a_target_group_is_to_be_assessed_five_calendar_days_after_registration(self):
        client = register(target_groups=("social_assistance",), today=date(2026, 3, 6))  # a Friday

        assert (client.state, client.assessment_due_on) == ("to_be_assessed", date(2026, 3, 11))

    def test_a_person_in_no_target_group_is_offered_guidance_only_with_no_assessment_date(self):
        client = register(target_groups=())

        assert (client.state, client.assessment_due_on) == ("guidance_only", None)


class TestWindow:
    def test_the_window_ends_three_years_after_the_first_residence_permit(self):
        client = register(residence_permit_date=date(2025, 11, 20))

        assert client.window_ends_on == date(2028, 11, 20)

    def test_a_permit_granted_on_29_february_ends_the_window_on_28_february(self):
        client = register(residence_permit_date=date(2024, 2, 29))

        assert client.window_ends_on == date(2027, 2, 28)


class TestRefusals:
    def test_a_birth_date_after_the_registration_day_is_refused_naming_only_the_field(self):
        born_tomorrow = factories.personal(date_of_birth=date(2026, 3, 3))

        with pytest.raises(InvalidRegistration) as refused:
            register(personal=born_tomorrow, today=date(2026, 3, 2))

        assert refused.value.field == "date_of_birth" and "2026" not in str(refused.value)

    def test_a_person_without_a_language_is_refused(self):
        with pytest.raises(InvalidRegistration, match="languages"):
            register(languages=())


class TestRecordedEvent:
    def test_registering_records_one_client_registered_with_the_decisions(self):
        client = register(target_groups=("unemployed_jobseeker",))

        [event] = client.events

        assert isinstance(event, ClientRegistered)
        assert (event.client_id, event.responsible_organisation, event.state, event.assessment_due_on,
                event.window_ends_on, event.languages) == (client.id, "employment-region", "to_be_assessed",
                                                           date(2026, 3, 7), date(2028, 11, 20), ("uk", "sv"))

    def test_the_recorded_event_carries_none_of_the_personal_details(self):
        details = factories.personal()

        [event] = register(personal=details).events

        payload = event.model_dump_json()
        assert not [value for value in asdict(details).values() if str(value) in payload]

    def test_repeated_languages_and_target_groups_are_kept_once_in_their_order(self):
        client = register(languages=("ar", "sv", "ar"), target_groups=("family_member", "family_member"))

        assert (client.languages, client.target_groups) == (("ar", "sv"), ("family_member",))
