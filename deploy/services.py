"""The six services as local processes, with their settings passed in the environment."""

from __future__ import annotations

import os
import sys
import time
import urllib.request
from pathlib import Path

from contracts.topics import SERVICES
from deploy import console, procs
from deploy.config import REPO, Layout
from deploy.errors import DeployError


def service_env(service: str, secrets: dict[str, dict[str, str]], *, bootstrap: str, pg_host: str, pg_port: int,
                http_host: str, http_port: int, smtp_host: str, smtp_port: int) -> dict[str, str]:
    """The settings a service reads (prefix = its name in capitals); the same for every deployment."""
    p = service.upper() + "_"
    pg_pw = secrets["postgres"][service]
    env = {
        f"{p}KAFKA_BOOTSTRAP": bootstrap,
        f"{p}KAFKA_USERNAME": service,
        f"{p}KAFKA_PASSWORD": secrets["kafka"][service],
        f"{p}DATABASE_URL": f"postgresql://{service}:{pg_pw}@{pg_host}:{pg_port}/{service}",
        f"{p}HTTP_HOST": http_host,
        f"{p}HTTP_PORT": str(http_port),
        f"{p}SMTP_HOST": smtp_host,
        f"{p}SMTP_PORT": str(smtp_port),
    }
    # A service's own secrets (intake: the vault's keys and the private key organisations seal to).
    env.update({f"{p}{name.upper()}": value for name, value in secrets.get(service, {}).items()})
    return env


def local_env(layout: Layout, service: str, secrets: dict[str, dict[str, str]]) -> dict[str, str]:
    env = service_env(service, secrets, bootstrap=layout.bootstrap, pg_host=layout.host, pg_port=layout.pg_port,
                      http_host=layout.host, http_port=layout.http_port(service), smtp_host=layout.host,
                      smtp_port=layout.smtp_port)
    if service == "guidance":
        env |= guide_env(intake_url=url(layout, "intake"), public_url=url(layout, "guidance") + "/guide")
    if service == "audit":  # the console's redrive calls each service at its address
        env |= console.audit_env(lambda svc: url(layout, svc))
    return env


def guide_env(*, intake_url: str, public_url: str) -> dict[str, str]:
    """Guidance serves the public guide (guide/): where it forwards the contact form, and where the public
    reaches it (the flyer's QR codes)."""
    return {"GUIDANCE_GUIDE_INTAKE_URL": intake_url, "GUIDANCE_GUIDE_PUBLIC_URL": public_url}


def pidfile(layout: Layout, service: str) -> Path:
    return layout.run / f"{service}.pid"


def url(layout: Layout, service: str) -> str:
    return f"http://{layout.host}:{layout.http_port(service)}"


def start_all(layout: Layout, secrets: dict[str, dict[str, str]]) -> dict[str, str]:
    done: dict[str, str] = {}
    for svc in SERVICES:
        if procs.read_pid(pidfile(layout, svc)):
            done[svc] = "already running"
            continue
        port = layout.http_port(svc)
        if procs.port_open(layout.host, port):
            raise DeployError(f"port {port} ({svc} HTTP) on {layout.host} is already in use by "
                              f"{procs.port_holder(port)}; choose another base with BACKBONE_HTTP_PORT_BASE")
        env = {**os.environ, **local_env(layout, svc, secrets)}
        procs.start_detached([sys.executable, "-m", svc], log=layout.logs / f"{svc}.log",
                             pidfile=pidfile(layout, svc), env=env, cwd=REPO)
        done[svc] = "started"
    return done


def healthy(layout: Layout, service: str, path: str = "/healthz") -> bool:
    try:
        with urllib.request.urlopen(url(layout, service) + path, timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


def wait_healthy(layout: Layout, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    pending = list(SERVICES)
    while pending and time.monotonic() < deadline:
        for svc in list(pending):
            if procs.read_pid(pidfile(layout, svc)) is None:
                raise DeployError(f"{svc} exited during start-up; see {layout.logs / (svc + '.log')}")
            if healthy(layout, svc, "/readyz"):
                pending.remove(svc)
        time.sleep(0.3)
    if pending:
        raise DeployError(f"not ready after {timeout:.0f}s: {', '.join(pending)}; see {layout.logs}")


def stop_all(layout: Layout) -> list[str]:
    return [svc for svc in SERVICES if procs.stop(pidfile(layout, svc), timeout=30)]
