from __future__ import annotations

from typing import ClassVar
from uuid import uuid4

import pytest

from contracts.envelope import Envelope
from contracts.events.base import Event
from contracts.events.intake import ClientRegistered
from contracts.registry import Registry, decode
from contracts.vocabulary import Service

pytestmark = pytest.mark.unit


class TestUpcasting:
    def test_reads_a_v1_client_registered_as_the_latest_version(self, make_event, wrap):
        old = make_event("ClientRegistered", 1, language="ru", target_groups=["social_assistance"])

        event = decode(wrap(old))

        assert type(event) is ClientRegistered
        assert event.VERSION == 3
        assert event.languages == ("ru",)
        assert event.luvn_participation_required is True
        assert event.state == "to_be_assessed"
        assert event.assessment_due_on is None
        assert (event.window_ends_on, event.source) == (old.window_ends_on, old.source)

    def test_reads_a_v1_registration_without_target_groups_as_guidance_only(self, make_event, wrap):
        old = make_event("ClientRegistered", 1, target_groups=[])

        event = decode(wrap(old))

        assert event.state == "guidance_only"
        assert event.luvn_participation_required is False

    def test_reads_a_v2_client_registered_as_v3_saying_what_v2_did_not_record(self, make_event, wrap):
        old = make_event("ClientRegistered", 2, responsible_organisation="employment-region")

        event = decode(wrap(old))

        assert event.VERSION == 3
        assert (event.state_reason, event.state_rule, event.registered_on) == ("not_recorded", None, None)
        assert event.registered_jobseeker is True
        assert event.responsibility_reason == "registered_jobseeker"
        assert (event.state, event.assessment_due_on, event.languages) == (old.state, old.assessment_due_on,
                                                                         old.languages)

    def test_reads_a_v1_responsibility_assigned_with_the_direction_of_a_status_change(self, make_event, wrap):
        to_region = make_event("ResponsibilityAssigned", 1, responsible_organisation="employment-region",
                               reason="jobseeker_status_changed")
        to_municipality = make_event("ResponsibilityAssigned", 1, responsible_organisation="hango",
                                     reason="jobseeker_status_changed")

        assert decode(wrap(to_region)).reason == "registered_as_jobseeker"
        assert decode(wrap(to_municipality)).reason == "no_longer_registered_jobseeker"
        assert decode(wrap(to_municipality)).previous_organisation is None

    def test_reads_a_v1_client_details_changed_as_v2_without_a_jobseeker_change(self, make_event, wrap):
        event = decode(wrap(make_event("ClientDetailsChanged", 1, home_municipality="inga")))

        assert (event.VERSION, event.home_municipality, event.registered_jobseeker) == (2, "inga", None)

    def test_chains_upcasters_through_every_version_to_the_latest(self):
        upcasters = {ThingV1: thing_v1_to_v2, ThingV2: thing_v2_to_v3}
        registry = Registry(models=[ThingV1, ThingV2, Thing], upcasters=upcasters)
        envelope = _envelope("Thing", 1, {"size": 3})

        event = registry.decode(envelope)

        assert event == Thing(size_cm=30, unit="cm")

    def test_refuses_a_catalogue_with_a_missing_upcaster(self):
        with pytest.raises(ValueError, match="Thing v2 has no upcaster to v3"):
            Registry(models=[ThingV1, ThingV2, Thing], upcasters={ThingV1: thing_v1_to_v2})

    def test_refuses_a_catalogue_with_a_gap_in_versions(self):
        with pytest.raises(ValueError, match="without gaps"):
            Registry(models=[ThingV1, Thing], upcasters={ThingV1: thing_v1_to_v2})

    def test_refuses_a_version_registered_twice(self):
        with pytest.raises(ValueError, match="registered twice"):
            Registry(models=[ThingV1, ThingV1], upcasters={})


class ThingV1(Event):
    TYPE: ClassVar[str] = "Thing"
    VERSION: ClassVar[int] = 1
    PRODUCER: ClassVar[Service] = Service.PLANNING
    size: int


class ThingV2(Event):
    TYPE: ClassVar[str] = "Thing"
    VERSION: ClassVar[int] = 2
    PRODUCER: ClassVar[Service] = Service.PLANNING
    size_dm: int


class Thing(Event):
    TYPE: ClassVar[str] = "Thing"
    VERSION: ClassVar[int] = 3
    PRODUCER: ClassVar[Service] = Service.PLANNING
    size_cm: int
    unit: str


def thing_v1_to_v2(old: ThingV1) -> ThingV2:
    return ThingV2(size_dm=old.size)


def thing_v2_to_v3(old: ThingV2) -> Thing:
    return Thing(size_cm=old.size_dm * 10, unit="cm")


def _envelope(type_: str, version: int, payload: dict) -> Envelope:
    return Envelope(
        type=type_,
        schema_version=version,
        occurred_at="2025-01-01T00:00:00Z",
        recorded_at="2025-01-01T00:00:00Z",
        producer="planning",
        organisation="raseborg",
        actor="system",
        client_id=uuid4(),
        correlation_id=uuid4(),
        payload=payload,
    )
