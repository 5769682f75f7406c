"""Where things live and which ports they use; every value can be set by environment variable."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SERVICE_PORT_OFFSETS = {"intake": 1, "assessment": 2, "planning": 3, "guidance": 4, "notifications": 5, "audit": 6}


@dataclass(frozen=True)
class Layout:
    """One local installation: a state folder and the ports it listens on (all on 127.0.0.1)."""

    home: Path
    kafka_port: int
    kafka_internal_port: int
    kafka_controller_port: int
    pg_port: int
    http_port_base: int
    smtp_port: int
    host: str = "127.0.0.1"
    sms_port: int = 29096

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, *, profile: str = "dev") -> Layout:
        env = dict(os.environ if env is None else env)
        base = {"dev": 19092, "test": 29092, "bench": 39092}[profile]
        pg = {"dev": 15432, "test": 25432, "bench": 35432}[profile]
        http = {"dev": 8100, "test": 8200, "bench": 8300}[profile]

        def port(name: str, default: int) -> int:
            return int(env.get(f"BACKBONE_{name}", default))

        return cls(
            home=Path(env.get("BACKBONE_HOME", REPO / ".local" / profile)).resolve(),
            kafka_port=port("KAFKA_PORT", base),
            kafka_internal_port=port("KAFKA_INTERNAL_PORT", base + 1),
            kafka_controller_port=port("KAFKA_CONTROLLER_PORT", base + 2),
            pg_port=port("PG_PORT", pg),
            http_port_base=port("HTTP_PORT_BASE", http),
            smtp_port=port("SMTP_PORT", base + 3),
            sms_port=port("SMS_PORT", base + 4),
        )

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.kafka_port}"

    def http_port(self, service: str) -> int:
        return self.http_port_base + SERVICE_PORT_OFFSETS[service]

    # Folders -------------------------------------------------------------------------------
    @property
    def jars(self) -> Path:
        """The Kafka classpath is shared by every profile: it is a cache, not state."""
        return Path(os.environ.get("BACKBONE_KAFKA_JARS", REPO / ".local" / "kafka-jars"))

    @property
    def kafka_dir(self) -> Path:
        return self.home / "kafka"

    @property
    def pg_dir(self) -> Path:
        return self.home / "postgres"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    @property
    def run(self) -> Path:
        return self.home / "run"

    @property
    def maildir(self) -> Path:
        """Where the local SMTP server keeps what it receives."""
        return self.home / "mail"

    @property
    def sms_store(self) -> Path:
        """Where the local SMS gateway appends what it sends."""
        return self.home / "sms.jsonl"

    @property
    def secrets_file(self) -> Path:
        return self.home / "secrets.json"
