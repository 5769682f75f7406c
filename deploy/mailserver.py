"""The local SMTP server of dev and test (aiosmtpd): it accepts every message and keeps it.

    python -m deploy.mailserver --port 29095 --maildir .local/test/mail

Each message is written to the mail folder as `<received>-<n>.eml` (the bytes as received) with
a `.json` beside it (envelope sender, recipients, time). `python -m deploy mail` (`make mail`)
lists them. It relays nothing: no message leaves the machine. Production uses a real relay
(STARTTLS and authentication, see notifications' SMTP settings).

Faults, for the fault tests (like the SMS gateway's `POST /control/faults`): while the file
`<maildir>/faults.json` holds `{"mode": ..., "until": <epoch s>, "count": n, "delay_s": s}`, each DATA
is answered by the fault (until the time, or for the next `count` messages; `set_faults` writes it):
- `fail`: 451 (a temporary failure), nothing kept;
- `hang`: waits `delay_s` before answering, then 451 and nothing kept (a server that times out
  without taking the message: the client's retry sends it once);
- `delay`: keeps the message, then waits `delay_s` before answering 250 (the server took it, but a
  client with a shorter timeout does not know: its retry sends it again, the one duplicate SMTP allows).
"""

from __future__ import annotations

import argparse
import asyncio
import email
import itertools
import json
import os
import signal
import sys
from datetime import UTC, datetime
from email import policy
from pathlib import Path

from aiosmtpd.smtp import SMTP, Envelope, Session

_counter = itertools.count()
FAULT_MODES = ("fail", "hang", "delay", "none")


def faults_file(maildir: Path) -> Path:
    return maildir / "faults.json"


def set_faults(maildir: Path, mode: str, *, seconds: float | None = None, count: int | None = None,
               delay_s: float = 0.0) -> None:
    """Make the server at `maildir` answer DATA with a fault for `seconds` or the next `count` messages."""
    if mode not in FAULT_MODES:
        raise ValueError(f"mode: one of {', '.join(FAULT_MODES)}")
    import time

    maildir.mkdir(parents=True, exist_ok=True)
    spec = {"mode": mode, "until": None if seconds is None else time.time() + seconds, "count": count,
            "delay_s": delay_s}
    tmp = maildir / ".faults.tmp"
    tmp.write_text(json.dumps(spec))
    tmp.replace(faults_file(maildir))


def _take_fault(maildir: Path) -> dict | None:
    """The fault for this message, if one is set and still running (a `count` is used up here)."""
    import time

    try:
        spec = json.loads(faults_file(maildir).read_text())
    except (OSError, ValueError):
        return None
    if spec.get("mode") in (None, "none"):
        return None
    if spec.get("until") is not None and time.time() >= spec["until"]:
        return None
    if spec.get("count") is not None:
        if spec["count"] <= 0:
            return None
        set_faults(maildir, spec["mode"], count=spec["count"] - 1, delay_s=spec.get("delay_s", 0.0),
                   seconds=None if spec.get("until") is None else spec["until"] - time.time())
    return spec


class Keeper:
    def __init__(self, maildir: Path) -> None:
        self.maildir = maildir
        maildir.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        fault = _take_fault(self.maildir)
        if fault is not None and fault["mode"] == "fail":
            return "451 4.3.0 Temporary failure (fault injected)"
        if fault is not None and fault["mode"] == "hang":
            await asyncio.sleep(fault.get("delay_s") or 0)
            return "451 4.4.2 Timed out (fault injected)"
        answer = self._keep(envelope)
        if fault is not None and fault["mode"] == "delay":
            await asyncio.sleep(fault.get("delay_s") or 0)
        return answer

    def _keep(self, envelope: Envelope) -> str:
        received = datetime.now(UTC)
        stem = f"{received.strftime('%Y%m%dT%H%M%S.%f')}-{os.getpid()}-{next(_counter)}"
        data = envelope.original_content or envelope.content
        tmp = self.maildir / f".{stem}.tmp"
        tmp.write_bytes(data if isinstance(data, bytes) else data.encode())
        (self.maildir / f"{stem}.json").write_text(json.dumps({
            "mail_from": envelope.mail_from, "rcpt_tos": list(envelope.rcpt_tos), "received_at": received.isoformat()}))
        tmp.replace(self.maildir / f"{stem}.eml")  # the .eml appears last: a listed message is complete
        return "250 Message accepted for delivery"


def messages(maildir: Path) -> list[dict]:
    """Every kept message, oldest first: envelope, headers and the parsed message."""
    found = []
    for path in sorted(maildir.glob("*.eml")):
        meta = json.loads(path.with_suffix(".json").read_text())
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        found.append({**meta, "file": str(path), "message_id": msg["Message-ID"], "subject": msg["Subject"],
                      "to": msg["To"], "message": msg})
    return found


async def serve(host: str, port: int, maildir: Path) -> None:
    loop = asyncio.get_running_loop()
    handler = Keeper(maildir)
    server = await loop.create_server(lambda: SMTP(handler, enable_SMTPUTF8=True, hostname="mail.local"),
                                      host=host, port=port)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"SMTP server on {host}:{port}, keeping mail in {maildir}", file=sys.stderr, flush=True)
    async with server:
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m deploy.mailserver", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--maildir", type=Path, required=True)
    args = parser.parse_args()
    asyncio.run(serve(args.host, args.port, args.maildir))


if __name__ == "__main__":
    main()
