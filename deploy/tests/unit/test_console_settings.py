"""What deploy gives the operator console: audit's anchor key and redrive credentials, kept once made,
the services' addresses, and Kafka client configurations."""

from __future__ import annotations

import json
import stat

import pytest

from audit.config import AuditSettings
from audit.domain.anchor import signing_key, verify_key_of
from backbone.auth.tokens import parse_token
from contracts.topics import PRODUCING_SERVICES
from deploy.config import Layout
from deploy.console import client_properties, write_client_config
from deploy.errors import DeployError
from deploy.secrets import load_or_create
from deploy.services import local_env

pytestmark = pytest.mark.unit


def test_audits_anchor_key_and_its_credential_at_each_service_are_made_once_and_kept(tmp_path):
    first = load_or_create(tmp_path / "secrets.json")
    again = load_or_create(tmp_path / "secrets.json")

    audit = first["audit"]
    tokens = json.loads(audit["service_tokens"])
    assert again == first
    assert verify_key_of(signing_key(audit["anchor_signing_key"])) == audit["anchor_verify_key"]
    assert set(tokens) == set(PRODUCING_SERVICES) and all(parse_token(t) for t in tokens.values())
    assert len({parse_token(t)[0] for t in tokens.values()}) == len(PRODUCING_SERVICES)


def test_audit_reads_the_services_addresses_and_its_credentials_from_its_settings(tmp_path, monkeypatch):
    layout = Layout.from_env({"BACKBONE_HTTP_PORT_BASE": "9000"}, profile="dev")
    env = local_env(layout, "audit", load_or_create(tmp_path / "secrets.json"))
    for key, value in env.items():
        monkeypatch.setenv(key, value)

    settings = AuditSettings()

    assert settings.service_urls["planning"] == "http://127.0.0.1:9003"
    assert set(settings.service_tokens) == set(PRODUCING_SERVICES)
    assert settings.anchor_signing_key.get_secret_value() and settings.anchor_verify_key
    assert "AUDIT_SERVICE_URLS" not in local_env(layout, "intake", load_or_create(tmp_path / "secrets.json"))


def test_a_client_configuration_holds_the_principals_scram_login_and_is_private(tmp_path):
    secrets = {"kafka": {"operator": 'pa"ss'}}
    out = write_client_config("127.0.0.1:19092", secrets, "operator", tmp_path / "c.properties")

    text = out.read_text()
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert "bootstrap.servers=127.0.0.1:19092" in text and 'username="operator" password="pa\\"ss";' in text


def test_an_unknown_principal_gets_no_configuration():
    with pytest.raises(DeployError, match="principal"):
        client_properties("x:1", {"kafka": {}}, "nobody")
