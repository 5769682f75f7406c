"""The envelope's canonical bytes beyond ASCII, and its schema version, which the audit hashes rely on."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID, uuid4

import pytest
from pydantic import ValidationError

from contracts.envelope import Envelope
from contracts.errors import InvalidEnvelope

pytestmark = pytest.mark.unit

MOMENT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def envelope(payload: dict, **overrides) -> Envelope:
    fields = dict(type="ProbeRecorded", schema_version=1, occurred_at=MOMENT, recorded_at=MOMENT, producer="planning",
                  organisation="raseborg", actor="system", client_id=uuid4(), correlation_id=uuid4(), payload=payload)
    return Envelope(**{**fields, **overrides})


class TestCanonicalBytes:
    @pytest.mark.parametrize("text", ["Ekenäs", "Åbo", "راسبوري", "Раасепори"])
    def test_non_ascii_text_is_written_as_utf8_not_escaped(self, text):
        raw = envelope({"place": text}).to_bytes()

        assert text.encode("utf-8") in raw
        assert b"\\u" not in raw

    def test_keys_are_sorted_and_there_is_no_white_space(self):
        raw = envelope({"b": 1, "a": [1, 2]}).to_bytes()

        assert b'"payload":{"a":[1,2],"b":1}' in raw
        assert b" " not in raw
        assert list(json.loads(raw)) == sorted(json.loads(raw))

    def test_the_bytes_of_a_non_ascii_envelope_survive_a_round_trip_unchanged(self):
        original = envelope({"place": "Hangö – Ekenäs"})

        assert Envelope.from_bytes(original.to_bytes()).to_bytes() == original.to_bytes()


class TestSchemaVersion:
    @pytest.mark.parametrize("version", [0, -1])
    def test_a_version_below_1_is_refused(self, version):
        raw = json.loads(envelope({}).to_bytes())
        raw["schema_version"] = version

        with pytest.raises(InvalidEnvelope, match="schema_version"):
            Envelope.from_bytes(json.dumps(raw))

    def test_a_missing_version_is_refused(self):
        raw = json.loads(envelope({}).to_bytes())
        del raw["schema_version"]

        with pytest.raises(InvalidEnvelope, match="schema_version"):
            Envelope.from_bytes(json.dumps(raw))

    def test_version_1_is_accepted(self):
        assert envelope({}, schema_version=1).schema_version == 1


def test_times_in_another_zone_are_stored_as_the_same_moment_in_utc():
    helsinki = timezone(timedelta(hours=2))

    stored = envelope({}, occurred_at=MOMENT.astimezone(helsinki))

    assert stored.occurred_at == MOMENT and stored.occurred_at.utcoffset() == timedelta(0)
    assert b'"occurred_at":"2026-03-02T10:00:00Z"' in stored.to_bytes()


class TestWrapGuards:
    def test_the_producer_may_be_given_as_a_plain_string(self, make_event):
        event = make_event("PlanExtended")

        envelope = Envelope.wrap(event, producer="".join(["plan", "ning"]), organisation="raseborg", actor="system",
                                 client_id=uuid4(), correlation_id=uuid4())

        assert envelope.producer == "planning"

    @pytest.mark.parametrize("producer", ["assessment", "intake", "notifications", "audit", "guidance"])
    def test_any_other_producer_is_refused_whatever_its_name_sorts_as(self, make_event, producer):
        with pytest.raises(InvalidEnvelope, match=f"^PlanExtended is published by planning, not by {producer}$"):
            Envelope.wrap(make_event("PlanExtended"), producer=producer, organisation="raseborg", actor="system",
                          client_id=uuid4(), correlation_id=uuid4())

    @pytest.mark.parametrize("producer", ["planning", "notifications", "guidance", "assessment"])
    def test_a_producer_whose_name_sorts_after_the_owner_is_refused(self, make_event, producer):
        event = make_event("ClientRegistered")

        with pytest.raises(InvalidEnvelope, match=f"^ClientRegistered is published by intake, not by {producer}$"):
            Envelope.wrap(event, producer=producer, organisation="raseborg", actor="system",
                          client_id=event.client_id, correlation_id=uuid4())

    def test_the_same_client_id_in_another_object_is_the_same_client(self, make_event):
        event = make_event("ClientRegistered")
        same = UUID(str(event.client_id))

        envelope = Envelope.wrap(event, producer="intake", organisation="raseborg", actor="system", client_id=same,
                                 correlation_id=uuid4())

        assert envelope.client_id == event.client_id

    @pytest.mark.parametrize("other", [UUID(int=0), UUID(int=2**128 - 1)])
    def test_another_client_id_is_refused_whichever_way_it_sorts(self, make_event, other):
        with pytest.raises(InvalidEnvelope, match="names another client than its envelope"):
            Envelope.wrap(make_event("ClientRegistered"), producer="intake", organisation="raseborg", actor="system",
                          client_id=other, correlation_id=uuid4())

    def test_the_context_is_named_never_positional(self, make_event):
        with pytest.raises(TypeError):
            Envelope.wrap(make_event("PlanExtended"), "planning", "raseborg", "system", uuid4(), uuid4())  # type: ignore[misc]

    def test_an_actor_may_have_64_characters_and_no_more(self):
        assert envelope({}, actor="a" * 64).actor == "a" * 64
        with pytest.raises(ValidationError, match="actor"):
            envelope({}, actor="a" * 65)
