"""Apache Kafka, KRaft single node (combined broker + controller), from Maven Central jars."""

from __future__ import annotations

import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from deploy import procs
from deploy.config import Layout
from deploy.errors import DeployError

POM = Path(__file__).with_name("jvm") / "pom.xml"
LOG4J = Path(__file__).with_name("jvm") / "log4j2.properties"
SCRAM = "org.apache.kafka.common.security.scram.ScramLoginModule required;"


def kafka_version() -> str:
    text = POM.read_text()
    return text.split("<kafka.version>", 1)[1].split("<", 1)[0]


def tools_jar(jars: Path) -> Path:
    return jars / f"kafka-tools-{kafka_version()}.jar"


def fetch_jars(layout: Layout) -> Path:
    """Collect the broker's classpath once; later runs find it cached and stay offline."""
    jars = layout.jars / kafka_version()
    marker = jars / ".complete"
    if marker.exists() and tools_jar(jars).exists():  # a cache made before the tools were added is topped up
        return jars
    print(f"fetching Apache Kafka {kafka_version()} jars with Maven into {jars}", flush=True)
    jars.mkdir(parents=True, exist_ok=True)
    cmd = ["mvn", "-q", "-B", "-f", str(POM), "dependency:copy-dependencies", "-DincludeScope=runtime",
           f"-DoutputDirectory={jars}"]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise DeployError(f"Maven could not fetch the Kafka jars:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    marker.write_text(kafka_version())
    return jars


def _plain_jaas(password: str) -> str:
    # The broker's own listeners (controller, inter-broker) use a static PLAIN user, so no
    # anonymous principal needs to be a super user.
    return ("org.apache.kafka.common.security.plain.PlainLoginModule required "
            f'username="broker" password="{password}" user_broker="{password}";')


@dataclass(frozen=True)
class Listeners:
    """Where the broker listens and what it tells clients; loopback locally, a service name in Compose."""

    bind_host: str
    advertised_host: str
    client: int
    internal: int
    controller: int

    @classmethod
    def local(cls, layout: Layout) -> Listeners:
        return cls(layout.host, layout.host, layout.kafka_port, layout.kafka_internal_port,
                   layout.kafka_controller_port)


def server_properties(listeners: Listeners, data_dir: str, broker_password: str) -> str:
    b, a, ls = listeners.bind_host, listeners.advertised_host, listeners
    props = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.bootstrap.servers": f"{a}:{ls.controller}",
        "listeners": f"CLIENT://{b}:{ls.client},INTERNAL://{b}:{ls.internal},CONTROLLER://{b}:{ls.controller}",
        "advertised.listeners": f"CLIENT://{a}:{ls.client},INTERNAL://{a}:{ls.internal}",
        "listener.security.protocol.map": "CLIENT:SASL_PLAINTEXT,INTERNAL:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT",
        "inter.broker.listener.name": "INTERNAL",
        "controller.listener.names": "CONTROLLER",
        "sasl.mechanism.inter.broker.protocol": "PLAIN",
        "sasl.mechanism.controller.protocol": "PLAIN",
        "listener.name.client.sasl.enabled.mechanisms": "SCRAM-SHA-512",
        "listener.name.client.scram-sha-512.sasl.jaas.config": SCRAM,
        "listener.name.internal.sasl.enabled.mechanisms": "PLAIN",
        "listener.name.internal.plain.sasl.jaas.config": _plain_jaas(broker_password),
        "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
        "listener.name.controller.plain.sasl.jaas.config": _plain_jaas(broker_password),
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "allow.everyone.if.no.acl.found": "false",
        "super.users": "User:admin;User:broker",
        "log.dirs": data_dir,
        "num.partitions": "1",
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "10",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        "auto.create.topics.enable": "false",
    }
    return "".join(f"{k}={v}\n" for k, v in props.items())


def _java(jars: Path, logs: Path, main: str, *args: str, heap: str = "-Xmx256m") -> list[str]:
    return ["java", heap, f"-Dkafka.logs.dir={logs}", f"-Dlog4j2.configurationFile={LOG4J}", "-cp", f"{jars}/*",
            main, *args]


def format_storage(layout: Layout, jars: Path, admin_password: str) -> bool:
    """Format the log dir once; returns False when it was already formatted."""
    if (layout.kafka_dir / "data" / "meta.properties").exists():
        return False
    cluster_id = str(uuid.uuid4()).replace("-", "")[:22]
    cmd = _java(jars, layout.logs, "kafka.tools.StorageTool", "format", "--standalone", "-g", "-t", cluster_id,
                "-c", str(layout.kafka_dir / "server.properties"),
                "-S", f"SCRAM-SHA-512=[name=admin,password={admin_password}]")
    result = subprocess.run(cmd, capture_output=True, text=True,
                            env={"PATH": _path(), "LOG_DIR": str(layout.logs)})
    if result.returncode != 0:
        raise DeployError(f"formatting Kafka storage failed:\n{result.stdout}{result.stderr}")
    print(f"formatted Kafka storage in {layout.kafka_dir / 'data'} (cluster {cluster_id})", flush=True)
    return True


def _path() -> str:
    import os

    return os.environ.get("PATH", "/usr/bin:/bin")


def pidfile(layout: Layout) -> Path:
    return layout.run / "kafka.pid"


def start(layout: Layout, secrets: dict[str, str]) -> str:
    """Start the broker unless it runs; returns what was done."""
    if procs.read_pid(pidfile(layout)):
        return "already running"
    for port, what in ((layout.kafka_port, "client"), (layout.kafka_internal_port, "inter-broker"),
                       (layout.kafka_controller_port, "controller")):
        if procs.port_open(layout.host, port):
            raise DeployError(f"port {port} (Kafka {what} listener) on {layout.host} is already in use by "
                              f"{procs.port_holder(port)}; stop it or choose other ports with "
                              "BACKBONE_KAFKA_PORT / BACKBONE_KAFKA_INTERNAL_PORT / BACKBONE_KAFKA_CONTROLLER_PORT")
    jars = fetch_jars(layout)
    layout.kafka_dir.mkdir(parents=True, exist_ok=True)
    props = layout.kafka_dir / "server.properties"
    props.write_text(server_properties(Listeners.local(layout), str(layout.kafka_dir / "data"), secrets["broker"]))
    props.chmod(0o600)
    format_storage(layout, jars, secrets["admin"])
    cmd = ["java", "-Xms256m", "-Xmx768m", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
           "-Djava.awt.headless=true", f"-Dkafka.logs.dir={layout.logs}", f"-Dlog4j2.configurationFile={LOG4J}",
           "-cp", f"{jars}/*", "kafka.Kafka", str(props)]
    procs.start_detached(cmd, log=layout.logs / "kafka.out", pidfile=pidfile(layout))
    return "started"


def wait_for_metadata(bootstrap: str, admin_password: str, timeout: float, alive=lambda: True) -> None:
    """Wait until the broker answers a metadata request as the admin principal."""
    from deploy.provision import admin_client

    host, port = bootstrap.rsplit(":", 1)
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if not alive():
            raise DeployError("Kafka exited during start-up")
        if not procs.port_open(host, int(port)):  # the admin client would log every refused connection
            time.sleep(0.3)
            continue
        try:
            admin_client(bootstrap, "admin", admin_password).list_topics(timeout=5)
            return
        except Exception as exc:  # noqa: BLE001 - any failure here means "not yet"
            last = exc
        time.sleep(0.5)
    raise DeployError(f"Kafka at {bootstrap} did not answer metadata requests within {timeout:.0f}s ({last})")


def wait_ready(layout: Layout, admin_password: str, timeout: float = 90.0) -> None:
    try:
        wait_for_metadata(layout.bootstrap, admin_password, timeout,
                          alive=lambda: procs.read_pid(pidfile(layout)) is not None)
    except DeployError as exc:
        raise DeployError(f"{exc}; see {layout.logs / 'kafka.out'} and {layout.logs / 'kafka.log'}") from exc


def stop(layout: Layout) -> bool:
    return procs.stop(pidfile(layout), timeout=60)
