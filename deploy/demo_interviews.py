"""`python -m deploy.demo_interviews`: for `make run`, books an initial interview for demo clients so
notifications sends its invitations (SMS where intake has a phone number, else e-mail or a letter).

It stands in for the assessment service, which books interviews itself once it is built: the
`InitialInterviewScheduled` events are published on assessment's topic by the broker's admin. A
client that already has an invitation is left alone, so `make run` can be repeated.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from datetime import datetime, timedelta
from datetime import time as clock_time

import asyncpg
from aiokafka import AIOKafkaProducer
from backbone.clock import FINLAND
from backbone.workdays import WorkingDays
from contracts.envelope import Envelope
from contracts.events.assessment import InitialInterviewScheduled
from contracts.topics import event_topic

from deploy import secrets
from deploy.config import Layout


async def book(layout: Layout, count: int, wait_s: float) -> int:
    creds = secrets.load_or_create(layout.secrets_file)
    dsn = f"postgresql://notifications:{creds['postgres']['notifications']}@{layout.host}:{layout.pg_port}/notifications"
    conn = await asyncpg.connect(dsn)
    try:
        deadline = time.monotonic() + wait_s
        query = """SELECT client_id, responsible_organisation, languages FROM client_view v
                   WHERE state = 'to_be_assessed' AND erased_on IS NULL AND NOT EXISTS (
                     SELECT 1 FROM notifications n WHERE n.client_id = v.client_id
                       AND n.template_code = 'interview_invitation')
                   ORDER BY registered_on, client_id LIMIT $1"""
        rows = await conn.fetch(query, count)
        while not rows and time.monotonic() < deadline:  # notifications may still be reading intake's events
            await asyncio.sleep(1)
            rows = await conn.fetch(query, count)
    finally:
        await conn.close()
    day = WorkingDays().add(datetime.now(FINLAND).date(), 3)
    producer = AIOKafkaProducer(bootstrap_servers=layout.bootstrap, security_protocol="SASL_PLAINTEXT",
                                sasl_mechanism="SCRAM-SHA-512", sasl_plain_username="admin",
                                sasl_plain_password=creds["kafka"]["admin"], enable_idempotence=True, acks="all")
    await producer.start()
    try:
        for n, row in enumerate(rows):
            at = datetime.combine(day, clock_time(9 + n % 6, 0), tzinfo=FINLAND)
            language = row["languages"][0] if row["languages"] else "sv"
            event = InitialInterviewScheduled(interview_id=uuid.uuid4(), scheduled_at=at,
                                              due_on=day + timedelta(days=2), language=language,
                                              interpreter=language not in ("fi", "sv"))
            envelope = Envelope.wrap(event, producer="assessment", organisation=row["responsible_organisation"],
                                     actor="demo", client_id=row["client_id"], correlation_id=uuid.uuid4())
            await producer.send_and_wait(event_topic("assessment"), envelope.to_bytes(),
                                         key=str(envelope.client_id).encode())
    finally:
        await producer.stop()
    return len(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.demo_interviews", description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=("dev", "test"), default="dev")
    parser.add_argument("--count", type=int, default=4)
    args = parser.parse_args(argv)
    booked = asyncio.run(book(Layout.from_env(profile=args.profile), args.count, wait_s=30))
    print(f"{booked} demo interviews booked (standing in for assessment); notifications sends the invitations: "
          "make mail lists what the local SMTP server and SMS gateway received")
    return 0


if __name__ == "__main__":
    sys.exit(main())
