"""The Docker path of the fixtures: Kafka and PostgreSQL as testcontainers.

Uses the same broker configuration, secrets and provisioning as deploy/ (see deploy/containers.py).
No Docker engine runs on this project's own machines, so this path is exercised only where one does.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from deploy import kafka, provision, secrets
from deploy.containers import write_kafka_files
from deploy.kafka import Listeners
from tests.support.infra import Infra

KAFKA_IMAGE = f"apache/kafka:{kafka.kafka_version()}"
PORT = 39092  # advertised as-is, so the host port must equal the container port


def start_containers() -> Infra:
    from testcontainers.core.container import DockerContainer
    from testcontainers.postgres import PostgresContainer

    work = Path(tempfile.mkdtemp(prefix="backbone-tc-"))
    creds = secrets.load_or_create(work / "secrets.json")
    write_kafka_files(work, creds, Listeners("0.0.0.0", "127.0.0.1", PORT, PORT + 1, PORT + 2))
    work.chmod(0o755)
    for f in work.iterdir():
        f.chmod(0o644)
    broker = (DockerContainer(KAFKA_IMAGE)
              .with_volume_mapping(str(work), "/secrets", "ro")
              .with_bind_ports(PORT, PORT)
              .with_kwargs(entrypoint=["bash", "/secrets/kafka-start.sh"]))
    pg = PostgresContainer("postgres:15", username="postgres", password=creds["postgres"]["postgres"])
    broker.start()
    pg.start()
    bootstrap = f"127.0.0.1:{PORT}"
    kafka.wait_for_metadata(bootstrap, creds["kafka"]["admin"], timeout=120)
    pg_host, pg_port = pg.get_container_host_ip(), int(pg.get_exposed_port(5432))
    provision.provision_kafka(bootstrap, creds["kafka"])
    provision.provision_postgres(pg_host, pg_port, creds["postgres"])
    infra = Infra(bootstrap, pg_host, pg_port, creds, origin="testcontainers")
    infra._cleanup += [broker.stop, pg.stop]
    return infra
