"""A project-local PostgreSQL cluster from Debian's packages, one database and role per service.

The server runs as the `postgres` system user (it refuses root), so its cluster must be in a folder
that user can reach. That is the checkout's state folder (`<BACKBONE_HOME>/postgres`) whenever it can;
when the checkout sits under a folder `postgres` cannot enter (root's home, a `mktemp -d` folder),
the cluster, its socket and its log go to a folder of its own under the postgres user's home
instead, named after the state folder's path: `/var/lib/postgresql/backbone/<name>-<hash>`
(`cluster_dir`). `up` and `status` say where it went; `down --purge` removes it too.
"""

from __future__ import annotations

import hashlib
import os
import shutil
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


def cluster_dir(layout: Layout) -> Path:
    """Where this checkout's cluster lives: `layout.pg_dir` when the server user can reach it, else a
    per-checkout folder under that user's home (the same one every time for the same state folder)."""
    outside = outside_dir(layout)
    if outside is None or (outside / "data" / "PG_VERSION").exists():
        return layout.pg_dir if outside is None else outside
    if (layout.pg_dir / "data" / "PG_VERSION").exists() or _reachable(layout.pg_dir):
        return layout.pg_dir
    return outside


def outside_dir(layout: Layout) -> Path | None:
    """The folder under the server user's home for this state folder (None when not running as root:
    then the server runs as the caller, who can reach the checkout)."""
    if os.geteuid() != 0:
        return None
    home = Path(pwd.getpwnam(SERVER_USER).pw_dir)
    tag = hashlib.sha256(str(layout.home).encode()).hexdigest()[:12]
    return home / "backbone" / f"{layout.home.name}-{tag}"


def data_dir(layout: Layout) -> Path:
    return cluster_dir(layout) / "data"


def log_file(layout: Layout) -> Path:
    """The server's log: beside the other logs, unless the server user cannot write there."""
    base = cluster_dir(layout)
    return layout.logs / "postgres.log" if base == layout.pg_dir else base / "postgres.log"


def _chown(path: Path) -> None:
    if os.geteuid() == 0:
        user = pwd.getpwnam(SERVER_USER)
        os.chown(path, user.pw_uid, user.pw_gid)
        for root, dirs, files in os.walk(path):
            os.chown(root, user.pw_uid, user.pw_gid)
            for name in files:
                os.chown(os.path.join(root, name), user.pw_uid, user.pw_gid)


def _reachable(path: Path) -> bool:
    """Can the server user enter `path` (or, before it exists, its nearest existing parent)?"""
    if os.geteuid() != 0:
        return True
    probe = path
    while not probe.exists():
        probe = probe.parent
    return subprocess.run(["runuser", "-u", SERVER_USER, "--", "test", "-x", str(probe)]).returncode == 0


def init(layout: Layout, superuser_password: str) -> bool:
    """initdb once (idempotent); returns True when a new cluster was made."""
    if (data_dir(layout) / "PG_VERSION").exists():
        return False
    bindir = tools.pg_bindir()
    base = cluster_dir(layout)
    for sub in ("data", "run"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    (base / "data").chmod(0o700)
    if base != layout.pg_dir:
        user = pwd.getpwnam(SERVER_USER)
        os.chown(base.parent, user.pw_uid, user.pw_gid)
        base.parent.chmod(0o700)  # the server user's own folder: nobody else needs to enter it
        print(f"the {SERVER_USER} user cannot enter {layout.pg_dir}: the PostgreSQL cluster goes to {base}",
              flush=True)
    _chown(base)
    if not _reachable(base / "data"):
        raise DeployError(f"the {SERVER_USER} user cannot reach {base}: a parent folder is not searchable; "
                          "set BACKBONE_HOME to a folder it can reach")
    with tempfile.NamedTemporaryFile("w", dir=base, delete=False) as pw:
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
        f"unix_socket_directories = '{cluster_dir(layout) / 'run'}'\n"
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
    log = log_file(layout)
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


def purge(layout: Layout) -> Path | None:
    """Delete a cluster kept outside the state folder (the one inside goes with the folder)."""
    outside = outside_dir(layout)
    if outside is None or not outside.exists():
        return None
    shutil.rmtree(outside, ignore_errors=True)
    return outside
