"""A project-local PostgreSQL cluster from Debian's packages, one database and role per service."""

from __future__ import annotations

import os
import pwd
import subprocess
import tempfile
import time
from pathlib import Path

from deploy import procs, tools
from deploy.config import Layout
from deploy.errors import DeployError

SERVER_USER = "postgres"  # the server refuses to run as root; Debian's package creates this user


def _as_server_user(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", SERVER_USER, "--", *cmd] if os.geteuid() == 0 else cmd


def _run(cmd: list[str], what: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(_as_server_user(cmd), capture_output=True, text=True)
    if result.returncode != 0:
        raise DeployError(f"{what} failed:\n{result.stdout}{result.stderr}")
    return result


def data_dir(layout: Layout) -> Path:
    return layout.pg_dir / "data"


def _chown(path: Path) -> None:
    if os.geteuid() == 0:
        user = pwd.getpwnam(SERVER_USER)
        os.chown(path, user.pw_uid, user.pw_gid)
        for root, dirs, files in os.walk(path):
            os.chown(root, user.pw_uid, user.pw_gid)
            for name in files:
                os.chown(os.path.join(root, name), user.pw_uid, user.pw_gid)


def _check_reachable(path: Path) -> None:
    if os.geteuid() != 0:
        return
    probe = subprocess.run(["runuser", "-u", SERVER_USER, "--", "test", "-w", str(path)])
    if probe.returncode != 0:
        raise DeployError(f"the {SERVER_USER} user cannot reach {path}: a parent folder is not searchable; "
                          "set BACKBONE_HOME to a folder it can reach")


def init(layout: Layout, superuser_password: str) -> bool:
    """initdb once (idempotent); returns True when a new cluster was made."""
    if (data_dir(layout) / "PG_VERSION").exists():
        return False
    bindir = tools.pg_bindir()
    for sub in ("data", "run"):
        (layout.pg_dir / sub).mkdir(parents=True, exist_ok=True)
    (layout.pg_dir / "data").chmod(0o700)
    _chown(layout.pg_dir)
    _check_reachable(layout.pg_dir)
    with tempfile.NamedTemporaryFile("w", dir=layout.pg_dir, delete=False) as pw:
        pw.write(superuser_password + "\n")
    _chown(Path(pw.name))
    try:
        _run([f"{bindir}/initdb", "-D", str(data_dir(layout)), "-U", "postgres", f"--pwfile={pw.name}",
              "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale"],
             "initdb")
    finally:
        os.unlink(pw.name)
    with open(data_dir(layout) / "postgresql.conf", "a") as conf:
        conf.write("\ninclude_if_exists = 'backbone.conf'\n")
    print(f"initialised PostgreSQL cluster in {data_dir(layout)}", flush=True)
    return True


def _write_conf(layout: Layout) -> None:
    conf = data_dir(layout) / "backbone.conf"
    conf.write_text(
        f"listen_addresses = '{layout.host}'\n"
        f"port = {layout.pg_port}\n"
        f"unix_socket_directories = '{layout.pg_dir / 'run'}'\n"
        "max_connections = 300\n"
        "shared_buffers = 256MB\n"
        "password_encryption = 'scram-sha-256'\n"
    )
    _chown(conf)


def running(layout: Layout) -> bool:
    if not (data_dir(layout) / "PG_VERSION").exists():
        return False
    bindir = tools.pg_bindir()
    return subprocess.run(_as_server_user([f"{bindir}/pg_ctl", "status", "-D", str(data_dir(layout))]),
                          capture_output=True).returncode == 0


def start(layout: Layout, superuser_password: str) -> str:
    if running(layout):
        return "already running"
    if procs.port_open(layout.host, layout.pg_port):
        raise DeployError(f"port {layout.pg_port} (PostgreSQL) on {layout.host} is already in use by "
                          f"{procs.port_holder(layout.pg_port)}; stop it or choose another with BACKBONE_PG_PORT")
    init(layout, superuser_password)
    _write_conf(layout)
    layout.logs.mkdir(parents=True, exist_ok=True)
    log = layout.logs / "postgres.log"
    log.touch()
    _chown(log)
    bindir = tools.pg_bindir()
    # pg_ctl removes a stale postmaster.pid left by a crash by itself.
    _run([f"{bindir}/pg_ctl", "start", "-D", str(data_dir(layout)), "-l", str(log), "-w", "-t", "60"],
         f"starting PostgreSQL (see {log})")
    return "started"


def wait_ready(layout: Layout, password: str, timeout: float = 60.0) -> None:
    import asyncio

    import asyncpg

    async def probe() -> None:
        conn = await asyncpg.connect(host=layout.host, port=layout.pg_port, user="postgres", password=password,
                                     database="postgres", timeout=3)
        await conn.close()

    deadline = time.monotonic() + timeout
    while True:
        try:
            asyncio.run(probe())
            return
        except Exception as exc:  # noqa: BLE001
            if time.monotonic() > deadline:
                raise DeployError(f"PostgreSQL does not accept connections on {layout.pg_port}: {exc}") from exc
            time.sleep(0.3)


def stop(layout: Layout) -> bool:
    if not running(layout):
        return False
    bindir = tools.pg_bindir()
    _run([f"{bindir}/pg_ctl", "stop", "-D", str(data_dir(layout)), "-m", "fast", "-w", "-t", "60"],
         "stopping PostgreSQL")
    return True
