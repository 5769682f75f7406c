"""Which Kafka and PostgreSQL the tests use.

1. Services named by environment variables, when set (`BACKBONE_TEST_KAFKA_BOOTSTRAP`,
   `BACKBONE_TEST_PG_HOST`, `BACKBONE_TEST_PG_PORT`, `BACKBONE_TEST_SECRETS` = a secrets.json
   in the format deploy/ writes, holding the admin and every principal's password).
2. Else containers through testcontainers, when a Docker engine answers.
3. Else the local deployment of `deploy/` in its `test` profile (own state folder and ports).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deploy.config import Layout
from deploy.console import add_audit_keys
from deploy.secrets import add_intake_keys, add_vault_keys


@dataclass
class Infra:
    bootstrap: str
    pg_host: str
    pg_port: int
    secrets: dict[str, dict[str, str]]
    layout: Layout | None = None  # set only for the local deployment, which tests may restart
    origin: str = "local"
    smtp_port: int = 2525  # no mail server yet; notifications' issue brings the test one
    _cleanup: list[Any] = field(default_factory=list)

    def kafka_kwargs(self, principal: str, password: str | None = None) -> dict[str, Any]:
        return {
            "bootstrap_servers": self.bootstrap,
            "security_protocol": "SASL_PLAINTEXT",
            "sasl_mechanism": "SCRAM-SHA-512",
            "sasl_plain_username": principal,
            "sasl_plain_password": self.secrets["kafka"][principal] if password is None else password,
        }

    def dsn(self, role: str, database: str | None = None) -> str:
        pw = self.secrets["postgres"][role]
        return f"postgresql://{role}:{pw}@{self.pg_host}:{self.pg_port}/{database or role}"

    def service_env(self, service: str, http_port: int) -> dict[str, str]:
        """The same settings deploy/ gives a service, pointing at this infrastructure."""
        from deploy.services import service_env

        return service_env(service, self.secrets, bootstrap=self.bootstrap, pg_host=self.pg_host,
                           pg_port=self.pg_port, http_host="127.0.0.1", http_port=http_port,
                           smtp_host="127.0.0.1", smtp_port=self.smtp_port)

    def close(self) -> None:
        for stop in reversed(self._cleanup):
            stop()


def from_environment() -> Infra | None:
    bootstrap = os.environ.get("BACKBONE_TEST_KAFKA_BOOTSTRAP")
    if not bootstrap:
        return None
    # A file written before intake had keys lacks them: generate them for this run, in memory only
    # (the services the tests start get them through `service_env`; the file is not ours to change).
    secrets = add_audit_keys(add_vault_keys(add_intake_keys(json.loads(Path(os.environ["BACKBONE_TEST_SECRETS"]).read_text()))))
    return Infra(bootstrap, os.environ.get("BACKBONE_TEST_PG_HOST", "127.0.0.1"),
                 int(os.environ.get("BACKBONE_TEST_PG_PORT", "5432")), secrets, origin="environment")


def docker_available() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:  # noqa: BLE001 - no engine, no socket, no permission: all mean "no Docker"
        return False


def local() -> Infra:
    from deploy.__main__ import up

    layout = Layout.from_env(profile="test")
    secrets = up(layout, with_services=False)
    return Infra(layout.bootstrap, layout.host, layout.pg_port, secrets, layout=layout)


def provide() -> Infra:
    infra = from_environment()
    if infra is not None:
        return infra
    if docker_available():
        from tests.support.containers import start_containers

        return start_containers()
    return local()
