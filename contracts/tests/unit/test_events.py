from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from contracts.envelope import Envelope
from contracts.registry import CATALOGUE, decode

pytestmark = pytest.mark.unit

ALL_VERSIONS = [(type_, version) for type_ in CATALOGUE.types() for version in CATALOGUE.versions(type_)]


def version_id(pair: tuple[str, int]) -> str:
    return f"{pair[0]}.v{pair[1]}"


class TestEveryEvent:
    @pytest.mark.parametrize("type_", CATALOGUE.types())
    def test_round_trips_through_envelope_bytes_at_its_latest_version(self, make_event, wrap, type_):
        event = make_event(type_)

        decoded = decode(Envelope.from_bytes(wrap(event).to_bytes()))

        assert decoded == event

    @pytest.mark.parametrize("pair", ALL_VERSIONS, ids=version_id)
    def test_payload_of_every_version_reads_back_as_the_same_model(self, make_event, wrap, pair):
        event = make_event(*pair)

        payload = Envelope.from_bytes(wrap(event).to_bytes()).payload

        assert type(event).model_validate(payload) == event

    @pytest.mark.parametrize("pair", ALL_VERSIONS, ids=version_id)
    def test_is_frozen(self, make_event, pair):
        event = make_event(*pair)
        field = next(iter(type(event).model_fields))

        with pytest.raises(ValidationError, match="frozen"):
            setattr(event, field, None)

    @pytest.mark.parametrize("pair", ALL_VERSIONS, ids=version_id)
    def test_refuses_unknown_fields(self, make_event, pair):
        with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
            make_event(*pair, first_name="Anna")


class TestClientRegistered:
    def test_needs_at_least_one_language(self, make_event):
        with pytest.raises(ValidationError, match="languages"):
            make_event("ClientRegistered", languages=[])

    @pytest.mark.parametrize("code", ["sv", "kmr", "fil"])
    def test_accepts_iso_639_1_and_639_3_language_codes(self, make_event, code):
        assert make_event("ClientRegistered", languages=[code]).languages == (code,)

    @pytest.mark.parametrize("code", ["Swedish", "SV", "s", "sv-FI"])
    def test_refuses_what_is_not_a_language_code(self, make_event, code):
        with pytest.raises(ValidationError, match="languages"):
            make_event("ClientRegistered", languages=[code])

    def test_refuses_an_assessment_date_for_a_guidance_only_client(self, make_event):
        with pytest.raises(ValidationError, match="guidance_only"):
            make_event("ClientRegistered", state="guidance_only", target_groups=[])

    def test_refuses_a_municipality_outside_the_programme(self, make_event):
        with pytest.raises(ValidationError, match="home_municipality"):
            make_event("ClientRegistered", home_municipality="helsinki")


class TestPlanExtended:
    @pytest.mark.parametrize(
        ("reason", "rule"),
        [("low_education_special_measures", "R15"), ("unable_to_carry_out", "R16"), ("self_motivated_studies", "R17")],
    )
    def test_names_the_rule_of_its_reason(self, make_event, reason, rule):
        assert make_event("PlanExtended", reason=reason).rule == rule

    def test_refuses_a_rule_that_does_not_grant_the_reason(self, make_event):
        with pytest.raises(ValidationError, match="rule must be R17 for this reason"):
            make_event("PlanExtended", reason="self_motivated_studies", rule="R15")

    def test_refuses_an_unknown_reason(self, make_event):
        with pytest.raises(ValidationError, match="reason"):
            make_event("PlanExtended", reason="because")


class TestOtherInvariants:
    def test_deadline_missed_names_the_rule_of_its_deadline(self, make_event):
        assert make_event("DeadlineMissed", deadline="initial_interview").rule == "R9"

    def test_plan_issued_refuses_an_end_before_its_start(self, make_event):
        with pytest.raises(ValidationError, match="ends_on"):
            make_event("PlanIssued", starts_on=date(2025, 4, 1), ends_on=date(2025, 3, 31))

    def test_plan_issued_needs_a_goal(self, make_event):
        with pytest.raises(ValidationError, match="goals"):
            make_event("PlanIssued", goals=[])

    def test_client_details_changed_refuses_a_change_of_nothing(self, make_event):
        with pytest.raises(ValidationError, match="at least one attribute"):
            make_event("ClientDetailsChanged", languages=None, registered_jobseeker=None)

    def test_duplicate_resolved_names_a_survivor_only_when_merged(self, make_event):
        with pytest.raises(ValidationError, match="surviving_client_id"):
            make_event("DuplicateResolved", resolution="merged")

    def test_referral_made_refuses_a_service_code_with_spaces(self, make_event):
        with pytest.raises(ValidationError, match="service_code"):
            make_event("ReferralMade", service_code="Finnish course for Anna")
