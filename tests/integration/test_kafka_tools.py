"""Kafka's own command-line tools work with `python -m deploy client-config PRINCIPAL` (issue 16)."""

from __future__ import annotations

import stat
import subprocess
import sys

import pytest

from deploy.config import REPO, Layout
from deploy.console import write_client_config
from deploy.kafka import fetch_jars, tools_jar

pytestmark = pytest.mark.integration


def tool(jars, main: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["java", "-Xmx256m", "-cp", f"{jars}/*", main, *args], capture_output=True, text=True,
                          timeout=120)


def test_client_config_writes_a_private_file(tmp_path):
    out = tmp_path / "operator.properties"
    result = subprocess.run([sys.executable, "-m", "deploy", "--profile", "test", "client-config", "operator",
                             "--out", str(out)], cwd=REPO, capture_output=True, text=True)

    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert "sasl.mechanism=SCRAM-SHA-512" in out.read_text() and 'username="operator"' in out.read_text()


def test_an_unknown_principal_is_named_in_the_error(tmp_path):
    result = subprocess.run([sys.executable, "-m", "deploy", "--profile", "test", "client-config", "nobody",
                             "--out", str(tmp_path / "x")], cwd=REPO, capture_output=True, text=True)

    assert result.returncode == 2 and "principal" in result.stderr and not (tmp_path / "x").exists()


@pytest.mark.parametrize("principal", ["operator", "audit"])
def test_kafka_consumer_groups_lists_the_groups_with_the_written_file(infra, tmp_path, principal):
    jars = fetch_jars(infra.layout or Layout.from_env(profile="test"))
    assert tools_jar(jars).exists()
    config = write_client_config(infra.bootstrap, infra.secrets, principal, tmp_path / "client.properties")

    listed = tool(jars, "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
                  "--bootstrap-server", infra.bootstrap, "--command-config", str(config), "--list")

    assert listed.returncode == 0, listed.stderr[-2000:]
    assert "audit.trail" in listed.stdout.split()  # the audit trail's consumer group, from earlier tests


def test_the_operator_cannot_write_with_it(infra, tmp_path):
    jars = fetch_jars(infra.layout or Layout.from_env(profile="test"))
    config = write_client_config(infra.bootstrap, infra.secrets, "operator", tmp_path / "client.properties")

    sent = subprocess.run(["java", "-Xmx256m", "-cp", f"{jars}/*", "org.apache.kafka.tools.ConsoleProducer",
                           "--bootstrap-server", infra.bootstrap, "--command-config", str(config),
                           "--topic", "integration.intake.v1"], input="x\n", capture_output=True, text=True,
                          timeout=120)

    assert "authoriz" in (sent.stderr + sent.stdout).lower()
