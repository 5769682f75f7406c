import pytest

from planning.config import PlanningSettings

pytestmark = pytest.mark.unit


def test_settings_are_read_from_variables_prefixed_with_the_service_name(monkeypatch):
    monkeypatch.setenv("PLANNING_KAFKA_BOOTSTRAP", "127.0.0.1:1")
    monkeypatch.setenv("PLANNING_HTTP_PORT", "9999")

    settings = PlanningSettings()

    assert (settings.kafka_bootstrap, settings.http_port, settings.kafka_username) == ("127.0.0.1:1", 9999, "planning")
