from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID, uuid4

import pytest

from contracts.envelope import SYSTEM_ACTOR, Envelope
from contracts.errors import ContractError, InvalidEnvelope

pytestmark = pytest.mark.unit


class TestWrap:
    def test_takes_type_version_and_payload_from_the_event(self, make_event, wrap):
        event = make_event("PlanExtended")

        envelope = wrap(event)

        assert (envelope.type, envelope.schema_version) == ("PlanExtended", 2)
        assert envelope.payload["reason"] == "unable_to_carry_out"
        assert envelope.payload["rule"] == "R16"

    def test_gives_each_envelope_a_new_uuid7_event_id(self, make_event, wrap):
        event = make_event("PlanEnded")

        first, second = wrap(event), wrap(event)

        assert first.event_id != second.event_id
        assert first.event_id.version == 7
        assert type(first.event_id) is UUID

    def test_occurred_at_defaults_to_recorded_at(self, make_event, wrap):
        recorded_at = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)

        envelope = wrap(make_event("PlanEnded"), recorded_at=recorded_at)

        assert envelope.occurred_at == envelope.recorded_at == recorded_at

    def test_stores_times_in_utc(self, make_event, wrap):
        helsinki_winter = timezone(timedelta(hours=2))

        envelope = wrap(make_event("PlanEnded"), occurred_at=datetime(2025, 3, 1, 10, 0, tzinfo=helsinki_winter))

        assert envelope.occurred_at == datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
        assert envelope.occurred_at.tzinfo == UTC

    def test_refuses_a_producer_that_does_not_own_the_event(self, make_event, wrap):
        with pytest.raises(InvalidEnvelope, match="PlanIssued is published by planning, not by intake"):
            wrap(make_event("PlanIssued"), producer="intake")

    def test_refuses_an_event_that_names_another_client(self, make_event, wrap):
        with pytest.raises(InvalidEnvelope, match="another client"):
            wrap(make_event("ClientRegistered"), client_id=uuid4())

    def test_accepts_the_system_actor(self, make_event, wrap):
        assert wrap(make_event("PlanEnded"), actor=SYSTEM_ACTOR).actor == "system"

    @pytest.mark.parametrize("actor", ["Anna Virtanen", "anna@raseborg.fi", "", "x" * 65, "-leading-dash"])
    def test_refuses_an_actor_that_is_not_a_pseudonymous_id(self, make_event, wrap, actor):
        with pytest.raises(InvalidEnvelope, match="actor") as caught:
            wrap(make_event("PlanEnded"), actor=actor)

        assert actor not in str(caught.value) or actor == ""

    def test_refuses_an_unknown_organisation(self, make_event, wrap):
        with pytest.raises(InvalidEnvelope, match="organisation"):
            wrap(make_event("PlanEnded"), organisation="helsinki")

    def test_keys_the_message_by_client_id(self, make_event, wrap):
        envelope = wrap(make_event("PlanEnded"))

        assert envelope.key() == str(envelope.client_id).encode()


class TestBytes:
    def test_round_trip_gives_an_equal_envelope(self, make_event, wrap):
        envelope = wrap(make_event("ClientRegistered"), causation_id=uuid4())

        assert Envelope.from_bytes(envelope.to_bytes()) == envelope

    def test_same_envelope_gives_the_same_canonical_bytes(self, make_event, wrap):
        envelope = wrap(make_event("ClientRegistered"))

        raw = envelope.to_bytes()

        assert Envelope.from_bytes(raw).to_bytes() == raw
        assert raw.startswith(b'{"actor":') and b", " not in raw

    def test_is_frozen(self, make_event, wrap):
        envelope = wrap(make_event("PlanEnded"))

        with pytest.raises(ValueError, match="frozen"):
            envelope.actor = "someone-else"

    @pytest.mark.parametrize(
        "raw",
        [b"not json", b"{}", b"[]", '{"type": "PlanEnded"}'],
        ids=["not-json", "empty-object", "array", "missing-fields"],
    )
    def test_refuses_what_is_not_an_envelope_with_a_contract_error(self, raw):
        with pytest.raises(ContractError, match="not a valid envelope"):
            Envelope.from_bytes(raw)

    def test_refuses_naive_times(self, make_event, wrap):
        raw = wrap(make_event("PlanEnded")).to_bytes().replace(b'Z"', b'"')

        with pytest.raises(InvalidEnvelope, match="occurred_at"):
            Envelope.from_bytes(raw)

    def test_refuses_unknown_envelope_fields(self, make_event, wrap):
        raw = wrap(make_event("PlanEnded")).to_bytes().replace(b'{"actor"', b'{"email":"a@b.fi","actor"')

        with pytest.raises(InvalidEnvelope, match="email: Extra inputs are not permitted") as caught:
            Envelope.from_bytes(raw)

        assert "a@b.fi" not in str(caught.value)

    def test_refuses_an_unknown_producer(self, make_event, wrap):
        raw = wrap(make_event("PlanEnded")).to_bytes().replace(b'"producer":"planning"', b'"producer":"billing"')

        with pytest.raises(InvalidEnvelope, match="producer"):
            Envelope.from_bytes(raw)
