"""docker-compose.yml cannot run here (no Docker engine): validate it against the Compose
specification's schema and check it describes the same system as the local path."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from contracts.topics import SERVICES
from deploy import containers, kafka
from deploy.config import REPO, Layout
from deploy.secrets import load_or_create
from deploy.services import local_env

pytestmark = pytest.mark.unit

COMPOSE = REPO / "docker-compose.yml"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_the_file_is_valid_against_the_compose_specification():
    checker = Path(sys.executable).with_name("check-jsonschema")

    result = subprocess.run([str(checker), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
                            capture_output=True, text=True)

    assert result.returncode == 0, result.stdout + result.stderr


def test_it_runs_every_service_with_its_own_settings_file_and_the_local_port(compose):
    dev = Layout.from_env({}, profile="dev")
    for svc in SERVICES:
        spec = compose["services"][svc]
        assert spec["command"][-1] == f"set -a && . /secrets/{svc}.env && exec python -m {svc}"
        port = dev.http_port(svc)
        assert spec["ports"] == [f"{port}:{port}"]
        assert spec["environment"]["PORT"] == str(port)
        assert spec["depends_on"]["provision"]["condition"] == "service_completed_successfully"
        assert spec["user"] == str(containers.SERVICE_UIDS[svc])


def test_kafka_is_the_official_image_of_the_same_version_started_from_the_shared_config(compose):
    spec = compose["services"]["kafka"]

    assert spec["image"] == f"apache/kafka:{kafka.kafka_version()}"
    assert spec["entrypoint"] == ["bash", "/secrets/kafka-start.sh"]
    assert f"{containers.KAFKA_PORTS['client']}" in spec["ports"][0]


def test_it_has_postgresql_a_mail_catcher_and_the_shared_provisioning(compose):
    names = set(compose["services"])

    assert {"postgres", "mailcatcher", "smsgateway", "init", "provision", "kafka", *SERVICES} == names
    assert compose["services"]["provision"]["command"][:4] == ["python", "-m", "deploy", "provision"]


def test_init_writes_the_same_settings_the_local_services_get(tmp_path):
    containers.compose_init(tmp_path)

    for svc in SERVICES:
        keys = {line.split("=", 1)[0] for line in (tmp_path / f"{svc}.env").read_text().splitlines()}
        local = local_env(Layout.from_env({}, profile="dev"), svc, load_or_create(tmp_path / "secrets.json"))
        assert keys == set(local)
    props = (tmp_path / "server.properties").read_text()
    assert "allow.everyone.if.no.acl.found=false" in props and "advertised.listeners=CLIENT://kafka:9092" in props


def test_every_secret_file_is_readable_by_its_owner_alone(tmp_path):
    containers.compose_init(tmp_path)

    owners = {f"{svc}.env": uid for svc, uid in containers.SERVICE_UIDS.items()}
    owners |= {"server.properties": containers.KAFKA_UID, "kafka-start.sh": containers.KAFKA_UID,
               "postgres-password": containers.POSTGRES_UID}
    assert len(set(containers.SERVICE_UIDS.values())) == len(SERVICES)
    for name, uid in owners.items():
        stat = (tmp_path / name).stat()
        assert stat.st_mode & 0o077 == 0, name
        if os.geteuid() == 0:
            assert stat.st_uid == uid, name
