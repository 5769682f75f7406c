from __future__ import annotations

from typing import ClassVar
from uuid import UUID, uuid4

import pytest

from contracts.errors import (
    ContractError,
    InvalidEnvelope,
    InvalidPayload,
    OutdatedSchemaVersion,
    UnknownEventType,
    UnknownSchemaVersion,
)
from contracts.events.base import Event
from contracts.registry import CATALOGUE, decode, encode, latest_version
from contracts.vocabulary import Service

pytestmark = pytest.mark.unit


def altered(envelope, **changes):
    return envelope.model_copy(update=changes)


class TestDecodeErrors:
    def test_unknown_type_is_a_contract_error_naming_the_type(self, make_event, wrap):
        envelope = altered(wrap(make_event("PlanEnded")), type="PlanShredded")

        with pytest.raises(UnknownEventType, match="unknown event type 'PlanShredded'") as caught:
            decode(envelope)

        assert isinstance(caught.value, ContractError) and caught.value.code == "unknown_event_type"

    def test_unknown_version_is_a_contract_error_naming_the_known_versions(self, make_event, wrap):
        envelope = altered(wrap(make_event("ClientRegistered")), schema_version=9)

        with pytest.raises(UnknownSchemaVersion, match=r"ClientRegistered has no schema version 9 \(known: \[1, 2, 3\]\)"):
            decode(envelope)

    def test_invalid_payload_names_the_field_but_not_its_value(self, make_event, wrap):
        envelope = wrap(make_event("PlanEnded"))
        envelope = altered(envelope, payload={**envelope.payload, "ended_on": "Anna Virtanen"})

        with pytest.raises(InvalidPayload, match=r"PlanEnded v2: ended_on: ") as caught:
            decode(envelope)

        assert "Anna" not in str(caught.value)

    def test_payload_missing_a_field_is_invalid(self, make_event, wrap):
        envelope = wrap(make_event("PlanEnded"))
        envelope = altered(envelope, payload={k: v for k, v in envelope.payload.items() if k != "reason"})

        with pytest.raises(InvalidPayload, match="reason: Field required"):
            decode(envelope)

    def test_payload_with_personal_data_smuggled_in_is_invalid(self, make_event, wrap):
        envelope = wrap(make_event("PlanEnded"))
        envelope = altered(envelope, payload={**envelope.payload, "phone": "+358401234567"})

        with pytest.raises(InvalidPayload, match="phone: Extra inputs are not permitted") as caught:
            decode(envelope)

        assert "+358" not in str(caught.value)

    def test_an_event_from_a_service_that_does_not_own_it_is_refused(self, make_event, wrap):
        envelope = altered(wrap(make_event("PlanEnded")), producer=Service.GUIDANCE)

        with pytest.raises(InvalidEnvelope, match="PlanEnded is published by planning, not by guidance"):
            decode(envelope)

    def test_a_payload_naming_another_client_than_its_envelope_is_refused(self, make_event, wrap):
        envelope = altered(wrap(make_event("ClientRegistered")), client_id=uuid4())

        with pytest.raises(InvalidEnvelope, match="another client"):
            decode(envelope)


def context(producer: str, client_id: UUID | None = None) -> dict:
    return {
        "producer": producer,
        "organisation": "raseborg",
        "actor": "system",
        "client_id": client_id or uuid4(),
        "correlation_id": uuid4(),
    }


class TestEncode:
    def test_wraps_a_latest_version_event(self, make_event):
        event = make_event("PlanExtended")

        envelope = encode(event, **context("planning"))

        assert decode(envelope) == event

    def test_refuses_to_publish_an_outdated_version(self, make_event):
        old = make_event("ClientRegistered", 1)

        with pytest.raises(OutdatedSchemaVersion, match="ClientRegistered v1 is outdated; publish v3"):
            encode(old, **context("intake", old.client_id))

    def test_refuses_an_unregistered_model(self):
        with pytest.raises(UnknownEventType, match="unknown event type 'Unregistered'"):
            encode(Unregistered(), **context("planning"))


class TestLatestVersion:
    def test_client_registered_is_at_version_3(self):
        assert latest_version("ClientRegistered") == 3

    def test_an_unknown_type_has_no_latest_version(self):
        with pytest.raises(UnknownEventType):
            latest_version("NoSuchEvent")

    def test_every_type_in_the_catalogue_has_its_latest_model_at_the_top_version(self):
        for type_ in CATALOGUE.types():
            assert CATALOGUE.model(type_).VERSION == CATALOGUE.versions(type_)[-1] == latest_version(type_)


class Unregistered(Event):
    TYPE: ClassVar[str] = "Unregistered"
    VERSION: ClassVar[int] = 1
    PRODUCER: ClassVar[Service] = Service.PLANNING
