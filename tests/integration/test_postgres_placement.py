"""Issue 8 (small): a checkout under a folder the `postgres` system user cannot enter (root's home, a
`mktemp -d` folder) still gets its PostgreSQL cluster, placed where that user can reach it."""

from __future__ import annotations

import asyncio
import shutil
import socket
import tempfile
from pathlib import Path

import asyncpg
import pytest

from deploy import postgres
from deploy.config import Layout

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_checkout_the_postgres_user_cannot_enter_gets_its_cluster_under_that_users_home(capsys):
    # make test runs as root (as here and in CI), which hands the cluster to the postgres user
    private = Path(tempfile.mkdtemp(prefix="backbone-clone-"))  # mode 700, as mktemp -d makes it
    assert oct(private.stat().st_mode & 0o777) == "0o700"
    layout = Layout(home=private / "checkout" / ".local" / "test", kafka_port=0, kafka_internal_port=0,
                    kafka_controller_port=0, pg_port=_free_port(), http_port_base=0, smtp_port=0)
    password = "placement-test-password"
    try:
        assert postgres.start(layout, password) == "started"
        postgres.wait_ready(layout, password)
        said = capsys.readouterr().out

        where = postgres.data_dir(layout)
        assert where == postgres.outside_dir(layout) / "data" and not str(where).startswith(str(private))
        assert f"the PostgreSQL cluster goes to {where.parent}" in said
        assert postgres.log_file(layout).exists() and postgres.running(layout)
        assert postgres.outside_dir(layout) == postgres.outside_dir(layout)  # derived from the path: stable

        async def query() -> int:
            conn = await asyncpg.connect(host=layout.host, port=layout.pg_port, user="postgres", password=password,
                                         database="postgres")
            try:
                return await conn.fetchval("SELECT 1")
            finally:
                await conn.close()

        assert asyncio.run(query()) == 1
        assert postgres.stop(layout) and postgres.start(layout, password) == "started"  # found again
        assert postgres.data_dir(layout) == where
    finally:
        postgres.stop(layout)
        removed = postgres.purge(layout)
        shutil.rmtree(private, ignore_errors=True)
    assert removed is not None and not removed.exists()
