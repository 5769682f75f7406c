import pytest

from assessment.config import AssessmentSettings

pytestmark = pytest.mark.unit


def test_settings_are_read_from_variables_prefixed_with_the_service_name(monkeypatch):
    monkeypatch.setenv("ASSESSMENT_KAFKA_BOOTSTRAP", "127.0.0.1:1")
    monkeypatch.setenv("ASSESSMENT_HTTP_PORT", "9999")

    settings = AssessmentSettings()

    assert (settings.kafka_bootstrap, settings.http_port, settings.kafka_username) == ("127.0.0.1:1", 9999, "assessment")
