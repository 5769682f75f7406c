"""Each of the six services starts as its own process, connects to Kafka and its database,
answers /healthz and /readyz, and stops cleanly on SIGTERM."""

from __future__ import annotations

import json

import pytest

from contracts.topics import SERVICES
from tests.support.processes import ServiceProcess, get_json

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def running(infra, tmp_path_factory):
    logs = tmp_path_factory.mktemp("service-logs")
    started = {svc: ServiceProcess.start(infra, svc, logs) for svc in SERVICES}
    yield started
    for service in started.values():
        service.stop(timeout=5)


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_answers_health_and_readiness_with_kafka_and_its_database_up(running, service):
    ready = running[service].wait_ready()

    assert ready["status"] == "ready"
    assert {"database", "kafka"} <= set(ready["checks"]) and all(ready["checks"].values())
    assert get_json(running[service].url + "/healthz") == (200, {"status": "ok", "service": service})


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_stops_cleanly_on_sigterm(running, service):
    running[service].wait_ready()

    assert running[service].stop() == 0
    lines = [json.loads(line) for line in running[service].log.read_text().splitlines() if line.startswith("{")]
    assert [e["event"] for e in lines if e["event"].startswith("service ")] == ["service started", "service stopped"]
