"""Services as real processes for end-to-end tests: start with the fixture's settings, wait, stop."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from deploy.config import REPO


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@dataclass
class ServiceProcess:
    name: str
    proc: subprocess.Popen
    url: str
    log: Path
    env: dict[str, str]

    module: str | None = None  # what `python -m` runs, when not the service's own package

    @classmethod
    def start(cls, infra, name: str, logdir: Path, *, port: int | None = None, env: dict[str, str] | None = None,
              module: str | None = None, **extra_env: str) -> ServiceProcess:
        """`env` and `extra_env` add to (or override) the settings deploy gives the service; `module` runs
        another entry point (a test's own, e.g. notifications on the tests' daytime clock) with the same settings."""
        port = port or free_port()
        env = {**os.environ, **infra.service_env(name, port), **(env or {}), **extra_env}
        log = logdir / f"{name}.log"
        return cls._spawn(name, f"http://127.0.0.1:{port}", log, env, module, mode="wb")

    @classmethod
    def _spawn(cls, name: str, url: str, log: Path, env: dict[str, str], module: str | None, *,
               mode: str) -> ServiceProcess:
        with open(log, mode) as out:
            proc = subprocess.Popen([sys.executable, "-m", module or name], env=env, cwd=REPO, stdout=out,
                                    stderr=subprocess.STDOUT)
        return cls(name, proc, url, log, env, module)

    def respawn(self, env: dict[str, str] | None = None) -> ServiceProcess:
        """The same service started again on the same port and settings (plus `env`), its log appended to."""
        assert self.proc.poll() is not None, f"{self.name} still runs"
        return self._spawn(self.name, self.url, self.log, {**self.env, **(env or {})}, self.module, mode="ab")

    def kill(self) -> int:
        """SIGKILL: no shutdown, as a crash."""
        if self.proc.poll() is None:
            self.proc.kill()
        return self.proc.wait()

    def wait_ready(self, timeout: float = 90) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"{self.name} exited with {self.proc.returncode}: {self.log.read_text()}"
            try:
                status, body = get_json(self.url + "/readyz")
                if status == 200:
                    return body
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"{self.name} not ready after {timeout}s")

    def stop(self, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()
