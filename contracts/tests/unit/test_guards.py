"""Guards over the whole catalogue: no personal data, no free text, and a topic for every producer."""

from __future__ import annotations

import pytest

from contracts import topics
from contracts.envelope import Envelope
from contracts.registry import CATALOGUE
from contracts.vocabulary import Municipality, Organisation, Service

pytestmark = pytest.mark.unit

PERSONAL_DATA_WORDS = (
    "name", "first_name", "last_name", "ssn", "personal_identity_code", "hetu", "email", "phone",
    "address", "birth", "note", "text", "comment", "description",
)  # fmt: skip

ALL_MODELS = [CATALOGUE.model(t, v) for t in CATALOGUE.types() for v in CATALOGUE.versions(t)]


def model_id(model) -> str:
    return f"{model.TYPE}.v{model.VERSION}"


def string_leaves(schema: dict, path: str = ""):
    """Every string-typed node of a JSON Schema, with where it is."""
    if schema.get("type") == "string":
        yield path, schema
    for key, value in schema.items():
        if isinstance(value, dict):
            yield from string_leaves(value, f"{path}/{key}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    yield from string_leaves(item, f"{path}/{key}/{index}")


class TestNoPersonalData:
    @pytest.mark.parametrize("model", [*ALL_MODELS, Envelope], ids=lambda m: getattr(m, "TYPE", m.__name__))
    def test_no_field_name_suggests_personal_data(self, model):
        suspicious = {field for field in model.model_fields for word in PERSONAL_DATA_WORDS if word in field.lower()}

        assert not suspicious, f"{model.__name__} has fields that look like personal data: {sorted(suspicious)}"

    @pytest.mark.parametrize("model", ALL_MODELS, ids=model_id)
    def test_no_field_holds_free_text(self, model):
        schema = model.model_json_schema()

        free = [path for path, node in string_leaves(schema) if not {"enum", "const", "pattern", "format"} & set(node)]

        assert not free, f"{model_id(model)} has unconstrained strings at {free}"


class TestTopics:
    @pytest.mark.parametrize("model", ALL_MODELS, ids=model_id)
    def test_every_event_producer_has_an_event_topic(self, model):
        event_topics = {topic.name for topic in topics.all_topics() if topic.kind == "event"}

        assert topics.event_topic(model.PRODUCER) in event_topics
        assert model.PRODUCER in topics.PRODUCING_SERVICES

    def test_services_are_the_same_as_in_topics(self):
        assert tuple(Service) == topics.SERVICES

    def test_organisations_are_the_same_as_in_topics(self):
        assert tuple(Organisation) == topics.ORGANISATIONS

    def test_every_municipality_is_an_organisation(self):
        assert {m.value for m in Municipality} <= set(topics.ORGANISATIONS)

    def test_every_producing_service_publishes_at_least_one_event(self):
        assert {model.PRODUCER for model in ALL_MODELS} == set(topics.PRODUCING_SERVICES)
