"""The local SMTP server of dev and test (aiosmtpd): it accepts every message and keeps it.

    python -m deploy.mailserver --port 29095 --maildir .local/test/mail

Each message is written to the mail folder as `<received>-<n>.eml` (the bytes as received) with
a `.json` beside it (envelope sender, recipients, time). `python -m deploy mail` (`make mail`)
lists them. It relays nothing: no message leaves the machine. Production uses a real relay
(STARTTLS and authentication, see notifications' SMTP settings).
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


class Keeper:
    def __init__(self, maildir: Path) -> None:
        self.maildir = maildir
        maildir.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
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
