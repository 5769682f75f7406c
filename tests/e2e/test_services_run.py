"""Each of the six services starts as its own process, connects to Kafka and its database,
answers /healthz and /readyz, and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from contracts.topics import SERVICES
from deploy.config import REPO

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def _wait_ready(url: str, proc: subprocess.Popen, timeout: float = 60) -> tuple[int, dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"exited with {proc.returncode}"
        try:
            status, body = _get(url + "/readyz")
            if status == 200:
                return status, body
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} not ready after {timeout}s")


@pytest.fixture(scope="module")
def running(infra, tmp_path_factory):
    logs = tmp_path_factory.mktemp("service-logs")
    started = {}
    for svc in SERVICES:
        port = _free_port()
        env = {**os.environ, **infra.service_env(svc, port)}
        log = open(logs / f"{svc}.log", "wb")
        proc = subprocess.Popen([sys.executable, "-m", svc], env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        started[svc] = (proc, f"http://127.0.0.1:{port}", logs / f"{svc}.log")
    yield started
    for proc, _, _ in started.values():
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_answers_health_and_readiness_with_kafka_and_its_database_up(running, service):
    proc, url, _ = running[service]

    status, ready = _wait_ready(url, proc)

    assert ready["status"] == "ready"
    assert {"database", "kafka"} <= set(ready["checks"]) and all(ready["checks"].values())
    assert _get(url + "/healthz") == (200, {"status": "ok", "service": service})


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_stops_cleanly_on_sigterm(running, service):
    proc, url, log = running[service]
    _wait_ready(url, proc)

    proc.send_signal(signal.SIGTERM)

    assert proc.wait(timeout=30) == 0
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert [e["event"] for e in lines if e["event"].startswith("service ")] == ["service started", "service stopped"]
