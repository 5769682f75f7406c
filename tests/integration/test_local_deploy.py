"""deploy/ on this machine: idempotent `up`, data kept across `down`/`up`, repair, clear errors.

Runs on its own state folder and free ports, so the shared test infrastructure is not disturbed.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import uuid
from dataclasses import replace

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from contracts.topics import event_topic
from deploy import kafka, postgres, procs
from deploy.__main__ import down, up
from deploy.config import REPO, Layout
from deploy.errors import DeployError
from tests.support.infra import Infra

pytestmark = pytest.mark.integration


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


@pytest.fixture(scope="module")
def layout():
    home = REPO / ".local" / f"lifecycle-{uuid.uuid4().hex[:8]}"
    home.mkdir(parents=True)
    home.chmod(0o755)
    k, ki, kc, pg, smtp, sms = _free_ports(6)
    lay = Layout(home=home, kafka_port=k, kafka_internal_port=ki, kafka_controller_port=kc, pg_port=pg,
                 http_port_base=0, smtp_port=smtp, sms_port=sms)
    yield lay
    down(lay, purge=True)
    shutil.rmtree(home, ignore_errors=True)


def _infra(layout: Layout, secrets) -> Infra:
    return Infra(layout.bootstrap, layout.host, layout.pg_port, secrets, layout=layout)


async def _write(infra: Infra, key: bytes) -> tuple[int, int]:
    producer = AIOKafkaProducer(**infra.kafka_kwargs("intake"), enable_idempotence=True, acks="all")
    await producer.start()
    meta = await producer.send_and_wait(event_topic("intake"), b"kept", key=key)
    await producer.stop()
    conn = await asyncpg.connect(infra.dsn("intake"))
    await conn.execute("CREATE TABLE IF NOT EXISTS kept (key text PRIMARY KEY)")
    await conn.execute("INSERT INTO kept VALUES ($1)", key.decode())
    await conn.close()
    return meta.partition, meta.offset


async def _read(infra: Infra, key: bytes, partition: int, offset: int) -> tuple[bytes | None, int]:
    consumer = AIOKafkaConsumer(**infra.kafka_kwargs("audit"), group_id="audit-lifecycle", enable_auto_commit=False)
    await consumer.start()
    tp = TopicPartition(event_topic("intake"), partition)
    consumer.assign([tp])
    consumer.seek(tp, offset)
    records = (await consumer.getmany(tp, timeout_ms=10000)).get(tp, [])
    await consumer.stop()
    conn = await asyncpg.connect(infra.dsn("intake"))
    rows = await conn.fetchval("SELECT count(*) FROM kept WHERE key = $1", key.decode())
    await conn.close()
    return (records[0].key if records else None), rows


def _kafka_pid(layout: Layout) -> int | None:
    return procs.read_pid(kafka.pidfile(layout))


def _postmaster_pid(layout: Layout) -> int:
    return int((postgres.data_dir(layout) / "postmaster.pid").read_text().split()[0])


class TestUp:
    def test_up_twice_is_harmless(self, layout, capsys):
        up(layout, with_services=False)
        first = (_kafka_pid(layout), _postmaster_pid(layout), (layout.kafka_dir / "data" / "meta.properties").read_text())
        capsys.readouterr()

        up(layout, with_services=False)

        out = capsys.readouterr().out
        assert (_kafka_pid(layout), _postmaster_pid(layout),
                (layout.kafka_dir / "data" / "meta.properties").read_text()) == first
        assert "PostgreSQL: already running" in out and "Kafka 4.3.0: already running" in out
        assert "(0 new)" in out and "ACLs +0/-0" in out

    def test_topics_messages_and_rows_survive_down_and_up(self, layout):
        secrets = up(layout, with_services=False)
        infra = _infra(layout, secrets)
        key = uuid.uuid4().hex.encode()
        partition, offset = asyncio.run(_write(infra, key))

        down(layout)
        assert not procs.port_open(layout.host, layout.kafka_port)
        assert not procs.port_open(layout.host, layout.pg_port)
        up(layout, with_services=False)

        assert asyncio.run(_read(infra, key, partition, offset)) == (key, 1)

    def test_up_repairs_a_half_started_machine(self, layout, capsys):
        up(layout, with_services=False)
        os.kill(_kafka_pid(layout), signal.SIGKILL)  # leaves a stale pid file behind
        postgres.stop(layout)
        capsys.readouterr()

        secrets = up(layout, with_services=False)

        out = capsys.readouterr().out
        assert "PostgreSQL: started" in out and "Kafka 4.3.0: started" in out
        key = uuid.uuid4().hex.encode()
        infra = _infra(layout, secrets)
        assert asyncio.run(_read(infra, key, *asyncio.run(_write(infra, key)))) == (key, 1)


class TestPortsTaken:
    def test_a_taken_postgres_port_is_named_in_the_error(self, layout):
        with socket.socket() as squatter:
            squatter.bind(("127.0.0.1", 0))
            squatter.listen()
            port = squatter.getsockname()[1]
            other = replace(layout, home=layout.home / "other", pg_port=port)

            with pytest.raises(DeployError, match=f"port {port} \\(PostgreSQL\\).*already in use"):
                postgres.start(other, "unused")

    def test_a_taken_kafka_port_is_named_in_the_error(self, layout):
        with socket.socket() as squatter:
            squatter.bind(("127.0.0.1", 0))
            squatter.listen()
            port = squatter.getsockname()[1]
            other = replace(layout, home=layout.home / "other", kafka_port=port)

            with pytest.raises(DeployError, match=f"port {port} \\(Kafka client listener\\).*already in use"):
                kafka.start(other, {"broker": "x", "admin": "y"})
