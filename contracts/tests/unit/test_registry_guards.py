"""The registry's own guards, on a small catalogue of probe events: every upcaster step runs, a
broken upcaster is named, and only the registered latest model is published."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar
from uuid import uuid4

import pytest
from pydantic import Field

from contracts.envelope import Envelope
from contracts.errors import InvalidEnvelope, InvalidPayload, OutdatedSchemaVersion, UnknownEventType
from contracts.events.base import Event
from contracts.registry import Registry
from contracts.vocabulary import Service

pytestmark = pytest.mark.unit


class _Probe(Event):
    TYPE: ClassVar[str] = "ProbeRecorded"
    PRODUCER: ClassVar[Service] = Service.PLANNING


class ProbeV1(_Probe):
    VERSION: ClassVar[int] = 1
    count: int


class ProbeV2(_Probe):
    VERSION: ClassVar[int] = 2
    count: int
    unit: str = Field(pattern="^(days|weeks)$")


class ProbeV3(_Probe):
    VERSION: ClassVar[int] = 3
    days: int = Field(ge=0)


def v1_to_v2(old: ProbeV1) -> ProbeV2:
    return ProbeV2(count=old.count, unit="weeks")


def v2_to_v3(old: ProbeV2) -> ProbeV3:
    return ProbeV3(days=old.count * (7 if old.unit == "weeks" else 1))


UPCASTERS = {ProbeV1: v1_to_v2, ProbeV2: v2_to_v3}


def registry(upcasters=UPCASTERS, models=(ProbeV1, ProbeV2, ProbeV3)) -> Registry:
    return Registry(models, upcasters)


def envelope_of(payload: dict, version: int, producer: str = "planning") -> Envelope:
    now = datetime.now(UTC)
    return Envelope(type="ProbeRecorded", schema_version=version, occurred_at=now, recorded_at=now, producer=producer,
                    organisation="raseborg", actor="system", client_id=uuid4(), correlation_id=uuid4(),
                    payload=payload)


class TestUpcastingChain:
    def test_a_v1_event_passes_through_both_upcasters_in_order(self):
        assert registry().decode(envelope_of({"count": 2}, 1)) == ProbeV3(days=14)

    def test_a_v2_event_passes_through_the_last_upcaster_only(self):
        assert registry().decode(envelope_of({"count": 2, "unit": "days"}, 2)) == ProbeV3(days=2)

    def test_the_latest_version_is_read_as_it_is(self):
        assert registry().decode(envelope_of({"days": 5}, 3)) == ProbeV3(days=5)

    def test_an_upcaster_whose_result_does_not_validate_is_an_invalid_payload_naming_both_versions(self):
        with pytest.raises(InvalidPayload, match=r"^ProbeRecorded v2 cannot be read as v3: days"):
            registry().decode(envelope_of({"count": -1, "unit": "days"}, 2))

    def test_an_upcaster_returning_the_wrong_model_is_named(self):
        broken = {ProbeV1: v1_to_v2, ProbeV2: lambda old: ProbeV2(count=old.count, unit=old.unit)}

        with pytest.raises(TypeError, match="^the upcaster of ProbeRecorded v2 must return ProbeV3$"):
            registry(broken).decode(envelope_of({"count": 1, "unit": "days"}, 2))

    def test_a_producer_that_does_not_own_the_type_is_refused_at_any_version(self):
        with pytest.raises(InvalidEnvelope, match="ProbeRecorded is published by planning, not by guidance"):
            registry().decode(envelope_of({"count": 1}, 1, producer="guidance"))


class TestCompleteness:
    def test_a_missing_first_upcaster_is_refused(self):
        with pytest.raises(ValueError, match="^ProbeRecorded v1 has no upcaster to v2$"):
            registry({ProbeV2: v2_to_v3})

    def test_a_missing_last_upcaster_is_refused(self):
        with pytest.raises(ValueError, match="^ProbeRecorded v2 has no upcaster to v3$"):
            registry({ProbeV1: v1_to_v2})

    def test_an_upcaster_for_the_latest_version_is_refused(self):
        with pytest.raises(ValueError, match="^ProbeV3 is not a registered superseded version$"):
            registry({**UPCASTERS, ProbeV3: lambda e: e})

    def test_an_upcaster_for_a_model_not_in_the_catalogue_is_refused(self):
        class Stray(_Probe):
            VERSION: ClassVar[int] = 1

        with pytest.raises(ValueError, match="^Stray is not a registered superseded version$"):
            registry({**UPCASTERS, Stray: lambda e: e})

    def test_versions_must_start_at_1(self):
        with pytest.raises(ValueError, match="versions must run from 1 without gaps"):
            registry({ProbeV2: v2_to_v3}, models=(ProbeV2, ProbeV3))

    def test_the_catalogue_lists_types_and_versions(self):
        probes = registry()

        assert probes.types() == ("ProbeRecorded",)
        assert probes.versions("ProbeRecorded") == (1, 2, 3)
        assert probes.latest_version("ProbeRecorded") == 3
        assert probes.model("ProbeRecorded") is ProbeV3
        assert probes.model("ProbeRecorded", 1) is ProbeV1


class TestEncodeGuards:
    def test_a_look_alike_of_the_registered_model_is_refused(self):
        class LookAlike(_Probe):
            VERSION: ClassVar[int] = 3
            days: int

        with pytest.raises(UnknownEventType, match="^LookAlike is not the registered model of ProbeRecorded$"):
            registry().encode(LookAlike(days=1), producer="planning", organisation="raseborg", actor="system",
                              client_id=uuid4(), correlation_id=uuid4())

    def test_an_outdated_version_is_refused_naming_the_latest(self):
        with pytest.raises(OutdatedSchemaVersion, match="^ProbeRecorded v2 is outdated; publish v3$"):
            registry().encode(ProbeV2(count=1, unit="days"), producer="planning", organisation="raseborg",
                              actor="system", client_id=uuid4(), correlation_id=uuid4())

    def test_the_latest_registered_model_is_wrapped(self):
        envelope = registry().encode(ProbeV3(days=3), producer="planning", organisation="raseborg", actor="system",
                                     client_id=uuid4(), correlation_id=uuid4())

        assert (envelope.type, envelope.schema_version, envelope.payload) == ("ProbeRecorded", 3, {"days": 3})


class _AssessmentProbe(Event):
    TYPE: ClassVar[str] = "AssessmentProbeRecorded"
    VERSION: ClassVar[int] = 1
    PRODUCER: ClassVar[Service] = Service.ASSESSMENT


def test_a_producer_whose_name_sorts_after_the_owner_is_refused_too():
    now = datetime.now(UTC)
    forged = Envelope(type="AssessmentProbeRecorded", schema_version=1, occurred_at=now, recorded_at=now,
                      producer="planning", organisation="raseborg", actor="system", client_id=uuid4(),
                      correlation_id=uuid4(), payload={})

    with pytest.raises(InvalidEnvelope, match="AssessmentProbeRecorded is published by assessment, not by planning"):
        Registry([_AssessmentProbe], {}).decode(forged)
