"""The local mail server and SMS gateway of dev and test, and notifications' credential on intake.

`deploy up` starts both servers (idempotently, like Kafka and PostgreSQL) on `BACKBONE_SMTP_PORT`
and `BACKBONE_SMS_PORT`, and stores the hash of notifications' intake token in intake's
credentials table, so notifications can read contact details with no step by hand.
`python -m deploy mail` (`make mail`) lists what the two servers received.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from deploy import procs
from deploy.config import REPO, Layout
from deploy.errors import DeployError

CREDENTIAL_LABEL = "notifications service, issued by deploy"


def _pidfile(layout: Layout, name: str) -> Path:
    return layout.run / f"{name}.pid"


def start(layout: Layout, secrets: dict[str, dict[str, str]]) -> dict[str, str]:
    notifications = secrets["notifications"]
    servers = {
        "mailserver": (layout.smtp_port, [sys.executable, "-m", "deploy.mailserver", "--host", layout.host,
                                          "--port", str(layout.smtp_port), "--maildir", str(layout.maildir)]),
        "smsgateway": (layout.sms_port, [sys.executable, "-m", "deploy.smsgateway", "--host", layout.host,
                                         "--port", str(layout.sms_port), "--store", str(layout.sms_store)]),
    }
    env = {**os.environ, "BACKBONE_SMS_API_KEY": notifications["sms_api_key"],
           "BACKBONE_SMS_CALLBACK_SECRET": notifications["sms_callback_secret"]}
    done = {}
    for name, (port, cmd) in servers.items():
        if procs.read_pid(_pidfile(layout, name)):
            done[name] = f"already running on {layout.host}:{port}"
            continue
        if procs.port_open(layout.host, port):
            raise DeployError(f"port {port} ({name}) on {layout.host} is already in use by {procs.port_holder(port)};"
                              f" choose another with BACKBONE_{'SMTP' if name == 'mailserver' else 'SMS'}_PORT")
        procs.start_detached(cmd, log=layout.logs / f"{name}.log", pidfile=_pidfile(layout, name), env=env, cwd=REPO)
        deadline = time.monotonic() + 20
        while not procs.port_open(layout.host, port):
            if procs.read_pid(_pidfile(layout, name)) is None or time.monotonic() > deadline:
                raise DeployError(f"{name} did not start; see {layout.logs / (name + '.log')}")
            time.sleep(0.1)
        done[name] = f"started on {layout.host}:{port}"
    return done


def stop(layout: Layout) -> list[str]:
    return [name for name in ("mailserver", "smsgateway") if procs.stop(_pidfile(layout, name), timeout=10)]


def running(layout: Layout, name: str) -> bool:
    return procs.read_pid(_pidfile(layout, name)) is not None


async def _ensure_credential(host: str, port: int, secrets: dict[str, dict[str, str]]) -> str:
    import asyncpg

    from backbone import db
    from backbone.auth import hash_secret, parse_token

    key_id, secret = parse_token(secrets["notifications"]["intake_token"])
    dsn = f"postgresql://intake:{secrets['postgres']['intake']}@{host}:{port}/intake"
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=1)
    try:
        # The runtime's migrations, as intake applies them at start (idempotent): the table must exist.
        await db.migrate(pool, Path(db.__file__).with_name("migrations"), prefix="backbone/")
        inserted = await pool.fetchval(
            """INSERT INTO api_credentials (key_id, principal, role, label, secret_hash, created_at)
               VALUES ($1, 'notifications', 'service', $2, $3, $4) ON CONFLICT (key_id) DO NOTHING RETURNING true""",
            key_id, CREDENTIAL_LABEL, hash_secret(secret), datetime.now(UTC))
    finally:
        await pool.close()
    return f"notifications' credential on intake {'issued' if inserted else 'present'} (key {key_id})"


def ensure_credential(host: str, port: int, secrets: dict[str, dict[str, str]]) -> str:
    return asyncio.run(_ensure_credential(host, port, secrets))


def show(layout: Layout, as_json: bool = False) -> None:
    """What the local SMTP server and SMS gateway received, oldest first."""
    from deploy.mailserver import messages

    mails = messages(layout.maildir) if layout.maildir.exists() else []
    sms = [json.loads(line) for line in layout.sms_store.read_text(encoding="utf-8").splitlines()
           ] if layout.sms_store.exists() else []
    if as_json:
        print(json.dumps({"email": [{k: v for k, v in m.items() if k != "message"} for m in mails], "sms": sms},
                         ensure_ascii=False, indent=2))
        return
    print(f"e-mail received by the local SMTP server ({layout.maildir}): {len(mails)}")
    for m in mails:
        print(f"  {m['received_at'][:19]}  to {m['to']}  {m['subject']}  {(m['message_id'] or '').strip()}")
        print(f"      {m['file']}")
    print(f"SMS sent through the local gateway ({layout.sms_store}): {len(sms)}")
    for s in sms:
        print(f"  {s['received_at'][:19]}  to {s['to']}  {s['segments']} segment(s) {s['encoding']}: {s['text']}")
