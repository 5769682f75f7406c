"""`python -m bench.notifications [--quick]`: events to messages accepted by the SMTP server and the SMS
gateway, per second, against a raw baseline measured in the same run on the same servers.

Ours: `n` events (half newcomer notices → a welcome e-mail, half interview bookings → an SMS
invitation; each booking also queues its reminder for later, which is not sent) handled as the
inbox hands them over (batches of 100 in one transaction), then the dispatcher until every message
is accepted: claim, read the round's contacts over HTTP (one request), choose language and channel,
render, send, record `sent` and the event. Baseline: the same number of e-mails (aiosmtplib) and SMS
(httpx, one POST) with ready-made content, at the same concurrency, with no database, contact read or rendering.

The servers are deploy's local SMTP server and SMS gateway, in this process on free ports, and a
static HTTP responder stands in for intake's contact endpoint (so intake's vault is not in the
figure; its reads are benchmarked on their own). The database is a scratch one on the target.
Kafka is not involved: consuming is the `consume` row of `make bench`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import asyncpg
import httpx
import uvicorn
from fastapi import FastAPI

from backbone import clientview, db, parts
from bench.common import Target, free_port, log, median
from bench.table import Row, render
from contracts.envelope import Envelope
from contracts.events.assessment import InitialInterviewScheduled
from contracts.registry import CATALOGUE
from deploy import mailserver, smsgateway
from notifications.adapters.email import SmtpSender
from notifications.adapters.intake import IntakeContacts
from notifications.adapters.sms import SmsGateway
from notifications.bootstrap import MIGRATIONS
from notifications.domain.retry import RetryPolicy
from notifications.service_layer import events
from notifications.service_layer.dispatch import Channels, Dispatcher
from tests.support.daytime import DaytimeClock
from tests.support.events import registered
from tests.support.people import invent

CONCURRENCY = 16
KEY, SECRET = "bench-key", "bench-secret"


@dataclass
class NotificationsResult:
    messages: int
    ours: list[float]  # messages/s per repetition
    raw: list[float]

    def rows(self) -> list[Row]:
        return [Row("notifications: events -> accepted by SMTP/SMS", "msg/s", median(self.ours),
                    "raw aiosmtplib + httpx sends", median(self.raw))]


def contact_responder() -> FastAPI:
    app = FastAPI()

    def contact(client_id: str) -> dict:
        p = invent(client_id)
        return {"client_id": client_id, "name": p.name, "email": p.email, "phone": p.phone,
                "address": None, "languages": list(p.languages), "interpreter_needed": False}

    @app.post("/internal/contacts")
    async def contacts(body: dict) -> dict:
        asked = dict.fromkeys(r["client_id"] for r in body["reads"])
        return {"contacts": [contact(c) for c in asked], "not_found": []}

    return app


@contextlib.asynccontextmanager
async def serving(app: FastAPI):
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def made_up_events(n: int, clock: DaytimeClock) -> list[Envelope]:
    out = []
    for i in range(n):
        client = uuid.uuid4()
        if i % 2 == 0:
            out.append(registered(client, source="municipal_newcomer_notice", state="guidance_only",
                                  state_reason="outside_target_groups", state_rule="R1", assessment_due_on=None,
                                  languages=("ar", "sv")))
        else:
            at = clock.now() + timedelta(days=10)
            event = InitialInterviewScheduled(interview_id=uuid.uuid4(), assessment_id=uuid.uuid4(), scheduled_at=at,
                                              place="ekenas", responsible_organisation="employment-region",
                                              due_rule="R9", cancellation_instructions_given=True, due_on=at.date(),
                                              language="ar", interpreter=True)
            out.append(Envelope.wrap(event, producer="assessment", organisation="employment-region",
                                     actor="bench", client_id=client, correlation_id=uuid.uuid4()))
    return out


async def run_ours(dsn: str, envelopes: list[Envelope], channels: Channels, contacts: IntakeContacts,
                   clock: DaytimeClock) -> float:
    pool = await asyncpg.create_pool(dsn, min_size=2, max_size=CONCURRENCY + 2)
    try:
        await pool.execute("TRUNCATE notifications, client_view")
        dispatcher = Dispatcher(pool, contacts, channels, policy=RetryPolicy(), now=clock.now, batch=100,
                                concurrency=CONCURRENCY, view_wait_s=0)  # the made-up clients have no view row
        started = time.perf_counter()
        for i in range(0, len(envelopes), 100):
            async with pool.acquire() as conn, conn.transaction():
                for envelope in envelopes[i:i + 100]:
                    event = CATALOGUE.decode(envelope)
                    if envelope.type == "ClientRegistered":
                        await clientview.apply(conn, envelope, event)
                    await events.apply(conn, envelope, event, now=clock.now)
        while dispatcher.sent < len(envelopes):
            if await dispatcher.step() == 0:
                raise RuntimeError("messages left unsent: see the notifications table")
        return len(envelopes) / (time.perf_counter() - started)
    finally:
        await pool.close()


async def run_raw(n: int, smtp_port: int, sms_url: str) -> float:
    limit = asyncio.Semaphore(CONCURRENCY)
    async with httpx.AsyncClient(base_url=sms_url, headers={"Authorization": f"Bearer {KEY}"}) as http:
        async def one(i: int) -> None:
            async with limit:
                if i % 2 == 0:
                    msg = EmailMessage()
                    msg["From"], msg["To"], msg["Subject"] = "a@example.org", f"b{i}@example.org", "مرحباً"
                    msg.set_content("مرحباً " * 60, charset="utf-8")
                    msg.add_alternative("<p>مرحباً</p>" * 60, subtype="html", charset="utf-8")
                    await aiosmtplib.send(msg, hostname="127.0.0.1", port=smtp_port, start_tls=False)
                else:
                    resp = await http.post("/v1/messages", headers={"Idempotency-Key": uuid.uuid4().hex},
                                           json={"to": "+358400000000", "text": "مقابلة " * 20})
                    resp.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(n)))
        return n / (time.perf_counter() - started)


async def bench_notifications(target: Target, n: int, reps: int) -> NotificationsResult:
    from bench.common import scratch_database

    clock = DaytimeClock()
    async with scratch_database(target, "notifications") as dsn:
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=1)
        try:
            await db.migrate(pool, parts.CLIENT_VIEW, prefix="backbone/clientview/")
            await db.migrate(pool, MIGRATIONS, prefix="notifications/")
        finally:
            await pool.close()
        with tempfile.TemporaryDirectory() as folder:
            smtp_port = free_port()
            mail_task = asyncio.create_task(mailserver.serve("127.0.0.1", smtp_port, Path(folder)))
            gateway = smsgateway.Gateway(api_key=KEY, callback_secret=SECRET, store=None)
            try:
                async with serving(smsgateway.create_app(gateway)) as sms_url, \
                        serving(contact_responder()) as intake_url:
                    await asyncio.sleep(0.2)
                    contacts = IntakeContacts(intake_url, "bench-token")
                    channels = Channels(
                        SmtpSender(host="127.0.0.1", port=smtp_port, starttls=False, username="", password="",
                                   timeout=10),
                        SmsGateway(sms_url, KEY, sender="Bench", callback_url=None, timeout=10),
                        "bench@example.org", "bench.example")
                    ours, raw = [], []
                    for rep in range(reps):
                        log(f"notifications: run {rep + 1}/{reps}, {n} events")
                        ours.append(await run_ours(dsn, made_up_events(n, clock), channels, contacts, clock))
                        raw.append(await run_raw(n, smtp_port, sms_url))
                    await contacts.close()
                    await channels.sms.close()
            finally:
                mail_task.cancel()
    return NotificationsResult(n, ours, raw)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.notifications", description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", choices=("bench", "dev", "test"), default="bench")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    from bench.run import quiet_logs
    from deploy.__main__ import up
    from deploy.config import Layout

    quiet_logs()
    layout = Layout.from_env(profile=args.profile)
    with contextlib.redirect_stdout(sys.stderr):
        secrets = up(layout, with_services=False)
    target = Target(layout.bootstrap, layout.host, layout.pg_port, secrets, layout)
    result = asyncio.run(bench_notifications(target, 20 if args.quick else 1000, 1 if args.quick else 3))
    print(render(result.rows()))
    print(f"- {result.messages} events per run (half welcome e-mails, half SMS invitations), median of "
          f"{len(result.ours)} run(s), {CONCURRENCY} sends at once; see bench/notifications.py for what each side does.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
