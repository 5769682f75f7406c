import pytest

from intake.config import IntakeSettings

pytestmark = pytest.mark.unit


def test_settings_are_read_from_variables_prefixed_with_the_service_name(monkeypatch):
    monkeypatch.setenv("INTAKE_KAFKA_BOOTSTRAP", "127.0.0.1:1")
    monkeypatch.setenv("INTAKE_HTTP_PORT", "9999")

    settings = IntakeSettings()

    assert (settings.kafka_bootstrap, settings.http_port, settings.kafka_username) == ("127.0.0.1:1", 9999, "intake")
