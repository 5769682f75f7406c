import pytest

from audit.config import AuditSettings

pytestmark = pytest.mark.unit


def test_settings_are_read_from_variables_prefixed_with_the_service_name(monkeypatch):
    monkeypatch.setenv("AUDIT_KAFKA_BOOTSTRAP", "127.0.0.1:1")
    monkeypatch.setenv("AUDIT_HTTP_PORT", "9999")

    settings = AuditSettings()

    assert (settings.kafka_bootstrap, settings.http_port, settings.kafka_username) == ("127.0.0.1:1", 9999, "audit")
