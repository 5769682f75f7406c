"""`python -m guidance.demo --url http://127.0.0.1:8104`: demo referrals and visits over guidance's HTTP API.

Run with guidance's settings in the environment (`make run` does, after intake's demo clients): it
waits until guidance has heard of intake's clients, issues itself one-hour credentials (officers of the
responsible organisations, and two providers) labelled "demo seeder", refers clients to fitting services
of the catalogue, lets the providers accept and start some, records guidance visits (a client's and
anonymous ones), and revokes its credentials. Safe to run on every `make run`: it does nothing when
guidance already holds referrals.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from backbone import auth
from backbone.clock import today_in_finland
from guidance.config import GuidanceSettings

ORGANISATIONS = ("employment-region", "raseborg", "hango", "inga")
PROVIDERS = ("mbi-raseborg", "language-cafe-volunteers", "employment-region")


def choose(client: asyncpg.Record) -> tuple[str, str]:
    """A service that fits the client, and the language of the referral."""
    languages = list(client["languages"])
    if client["registered_jobseeker"]:
        return "short_course.working_life", next((x for x in languages if x in ("fi", "sv", "en")), "fi")
    spoken = next((x for x in languages if x in ("ar", "ru", "en")), None)
    if spoken:
        return "civic_orientation", spoken
    return "language_cafe.karis", "sv" if "sv" in languages else "fi"


async def issue(conn: asyncpg.Connection) -> dict[str, str]:
    now = datetime.now(UTC)
    wanted = [(org, "officer") for org in ORGANISATIONS] + [(f"provider:{p}", "provider") for p in PROVIDERS]
    tokens = {}
    for principal, role in wanted:
        issued = await auth.issue(conn, principal=principal, role=role, label="demo seeder", now=now,
                                  expires_at=now + timedelta(hours=1))
        tokens[principal] = issued.token
    return tokens


def call(method: str, url: str, body: dict | None, token: str) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


async def clients(conn: asyncpg.Connection, wait_s: float) -> list[asyncpg.Record]:
    """Intake's demo clients once guidance has applied them (they travel over Kafka)."""
    deadline = time.monotonic() + wait_s
    while True:
        rows = await conn.fetch("SELECT client_id, responsible_organisation, languages, registered_jobseeker "
                                "FROM client_view WHERE erased_on IS NULL AND merged_into IS NULL ORDER BY client_id")
        if rows or time.monotonic() > deadline:
            return rows
        await asyncio.sleep(1)


def seed(url: str, rows: list[asyncpg.Record], tokens: dict[str, str]) -> list[str]:
    """Refer every client the demo organisations are responsible for; the providers answer some."""
    done = []
    today = today_in_finland().isoformat()
    for n, client in enumerate(rows):
        org = client["responsible_organisation"]
        if org not in tokens:
            continue
        code, language = choose(client)
        made = call("POST", f"{url}/referrals", {"client_id": str(client["client_id"]), "service_code": code,
                                                "language": language}, tokens[org])
        referral = made["subject_id"]
        provider = {"civic_orientation": "mbi-raseborg", "language_cafe.karis": "language-cafe-volunteers",
                    "short_course.working_life": "employment-region"}[code]
        token = tokens[f"provider:{provider}"]
        if n % 3 != 2:
            call("POST", f"{url}/referrals/{referral}/acceptance", {"starts_on": today}, token)
            if n % 3 == 0:
                call("POST", f"{url}/referrals/{referral}/start", {}, token)
        done.append(f"{code:<28} {language}  referral {referral}")
        if n == 0:
            call("POST", f"{url}/visits", {"client_id": str(client["client_id"]), "visited_on": today,
                                          "mode": "appointment", "place": "karis", "topics": ["courses", "housing"],
                                          "language": language, "interpreter": "none"}, tokens["raseborg"])
    for place, topics, language, visitors in (("karis", ["residence_permit"], "th", 1),
                                               ("hango", ["housing", "forms_and_decisions"], "et", 2)):
        call("POST", f"{url}/visits", {"visited_on": today, "mode": "drop_in", "place": place, "topics": topics,
                                      "language": language, "interpreter": "none", "visitors": visitors},
             tokens["raseborg"])
        done.append(f"anonymous drop-in visit in {place}, {visitors} visitor(s)")
    return done


async def run(url: str, wait_s: float) -> list[str]:
    conn = await asyncpg.connect(GuidanceSettings().database_url.get_secret_value())
    try:
        if await conn.fetchval("SELECT EXISTS (SELECT 1 FROM referrals)"):
            return []
        rows = await clients(conn, wait_s)
        tokens = await issue(conn)
        try:
            return await asyncio.to_thread(seed, url, rows, tokens)
        finally:
            for token in tokens.values():
                await auth.revoke(conn, auth.parse_token(token)[0], now=datetime.now(UTC))
    finally:
        await conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m guidance.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8104", help="guidance's base URL")
    parser.add_argument("--wait", type=float, default=60, help="seconds to wait for intake's clients")
    args = parser.parse_args(argv)
    try:
        made = asyncio.run(run(args.url.rstrip("/"), args.wait))
    except urllib.error.URLError as exc:
        detail = exc.read().decode(errors="replace") if isinstance(exc, urllib.error.HTTPError) else exc.reason
        print(f"guidance at {args.url} refused or did not answer: {detail}", file=sys.stderr)
        return 1
    for line in made:
        print(line)
    print(f"{len(made)} demo referrals and visits; the catalogue is at {args.url}/catalogue/services")
    return 0


if __name__ == "__main__":
    sys.exit(main())
