"""What the Docker paths (docker-compose.yml and the testcontainers fixture) share with the local one.

The same generated secrets, the same broker configuration (deploy.kafka.server_properties), the same
provisioning (deploy.provision) and the same service settings (deploy.services.service_env).
"""

from __future__ import annotations

import os
import shlex
import uuid
from pathlib import Path

from contracts.topics import SERVICES
from deploy import console
from deploy import secrets as secrets_mod
from deploy.config import SERVICE_PORT_OFFSETS
from deploy.kafka import Listeners, server_properties
from deploy.services import guide_env, service_env

KAFKA_PORTS = {"client": 9092, "internal": 9093, "controller": 9094}
HTTP_PORT_BASE = 8100
KAFKA_HOME = "/opt/kafka"
SERVICE_UIDS = {svc: 10001 + n for n, svc in enumerate(SERVICES)}
"""Each service runs as its own user (`user:` in docker-compose.yml), so it can read its own settings
file in the shared `secrets` volume and no other service's."""
KAFKA_UID = 1000  # `appuser` of the apache/kafka image
POSTGRES_UID = 999  # `postgres` of the official postgres image


def kafka_start_script(props_path: str, admin_password: str) -> str:
    """Format once (idempotent with -g) with the admin's SCRAM credentials, then run the broker."""
    scram = f"SCRAM-SHA-512=[name=admin,password={admin_password}]"
    cluster_id = uuid.uuid4().hex[:22]
    return ("#!/bin/bash\nset -euo pipefail\n"
            f"{KAFKA_HOME}/bin/kafka-storage.sh format --standalone -g -t {cluster_id} -c {props_path} "
            f"-S {shlex.quote(scram)}\n"
            f"exec {KAFKA_HOME}/bin/kafka-server-start.sh {props_path}\n")


def write_kafka_files(out: Path, secrets: dict[str, dict[str, str]], listeners: Listeners) -> None:
    props = out / "server.properties"
    _write_private(props, server_properties(listeners, "/var/lib/kafka/data", secrets["kafka"]["broker"]), KAFKA_UID)
    _write_private(out / "kafka-start.sh", kafka_start_script(str(props), secrets["kafka"]["admin"]), KAFKA_UID)


def _write_private(path: Path, text: str, owner: int) -> None:
    """Readable by `owner` only; ownership is given only when running as root (as `init` does)."""
    path.write_text(text)
    path.chmod(0o600)
    if os.geteuid() == 0:
        os.chown(path, owner, owner)


def compose_init(out: Path) -> None:
    """Everything the Compose stack reads from its `secrets` volume; kept across restarts."""
    out.mkdir(parents=True, exist_ok=True)
    secrets = secrets_mod.load_or_create(out / "secrets.json")
    write_kafka_files(out, secrets, Listeners("0.0.0.0", "kafka", KAFKA_PORTS["client"], KAFKA_PORTS["internal"],
                                              KAFKA_PORTS["controller"]))
    _write_private(out / "postgres-password", secrets["postgres"]["postgres"], POSTGRES_UID)
    for svc in SERVICES:
        env = service_env(svc, secrets, bootstrap=f"kafka:{KAFKA_PORTS['client']}", pg_host="postgres", pg_port=5432,
                          http_host="0.0.0.0", http_port=HTTP_PORT_BASE + SERVICE_PORT_OFFSETS[svc],
                          smtp_host="mailcatcher", smtp_port=1025)
        if svc == "guidance":
            env |= guide_env(intake_url=f"http://intake:{HTTP_PORT_BASE + SERVICE_PORT_OFFSETS['intake']}",
                             public_url=f"http://localhost:{HTTP_PORT_BASE + SERVICE_PORT_OFFSETS['guidance']}/guide")
        if svc == "audit":  # the console's redrive calls each service by its Compose name
            env |= console.audit_env(lambda s: f"http://{s}:{HTTP_PORT_BASE + SERVICE_PORT_OFFSETS[s]}")
        _write_private(out / f"{svc}.env", "".join(f"{k}={shlex.quote(v)}\n" for k, v in env.items()),
                       SERVICE_UIDS[svc])
    print(f"wrote Kafka configuration, credentials and service settings to {out}")
