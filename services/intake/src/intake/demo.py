"""`python -m intake.demo --url http://127.0.0.1:8101 --count 12`: register fictional clients over HTTP.

Run with intake's settings in the environment (`make run` does): it issues itself short-lived
`system` credentials for the sending organisations in intake's database (label "demo seeder", one
hour, revoked when it is done), then registers people through the same API the organisations use. Safe to run on every
`make run`: it counts the clients already stored and registers only what is missing up to `--count`.
Every person is invented: surnames are the word "example" in the person's language, e-mail
addresses are on example.org (reserved, RFC 2606), phone numbers are in the UK's range reserved
for drama (+44 7700 900xxx), and identity codes use the individual numbers 900-999, which are
reserved for temporary codes, so no message can ever reach anyone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import urllib.error
import urllib.request
from datetime import date, timedelta
from typing import Any

import asyncpg

from backbone.auth.temporary import issue_temporary, revoke_temporary, with_connection
from contracts.ingress import identity_code
from backbone.clock import today_in_finland
from contracts.topics import OPERATOR
from intake.config import IntakeSettings

# (first name, surname meaning "example", language, second language)
PEOPLE = (
    ("Sara", "Exempel", "sv", "fi"), ("Aino", "Esimerkki", "fi", "sv"), ("Olga", "Primerova", "ru", "fi"),
    ("Mari", "Näide", "et", "fi"), ("Layla", "Mithal", "ar", "sv"), ("Oksana", "Prykladna", "uk", "en"),
    ("John", "Example", "en", "sv"), ("Rojda", "Mînak", "ku", "ar"), ("Malee", "Tuayang", "th", "en"),
    ("Maria", "Halimbawa", "tl", "en"), ("Lena", "Beispiel", "de", "en"), ("Zofia", "Przykład", "pl", "en"),
)
MUNICIPALITIES = ("raseborg", "hango", "inga")
SOURCES = ("employment_region_jobseeker", "refugee_placement", "municipal_newcomer_notice", "kela_notification",
           "own_request", "authority_contact")
PATHS = {"employment_region_jobseeker": "/registrations/jobseeker",
         "kela_notification": "/registrations/kela-notification",
         "refugee_placement": "/registrations/refugee-placement",
         "municipal_newcomer_notice": "/registrations/newcomer-notice",
         "authority_contact": "/registrations/authority-contact", "own_request": "/public/contact-requests"}
SENDERS = ("employment-region", "kela", "raseborg", "hango", "inga", "luvn")


def sender_of(source: str, municipality: str) -> str | None:
    return {"employment_region_jobseeker": "employment-region", "kela_notification": "kela",
            "authority_contact": "luvn", "own_request": None}.get(source, municipality)


def demo_client(n: int, today: date) -> tuple[str, dict[str, Any]]:
    """The n-th fictional person (n from 0) and the source that registers them; deterministic apart
    from dates relative to `today`."""
    first, surname, language, second = PEOPLE[n % len(PEOPLE)]
    source = SOURCES[n % len(SOURCES)]
    municipality = MUNICIPALITIES[n % len(MUNICIPALITIES)]
    born = date(1970 + (n * 3) % 35, 1 + n % 12, 1 + (n * 7) % 28)
    recent = (today - timedelta(days=2)).isoformat()
    person = {
        "name": f"Demo {first} {surname} {n + 1:02d}", "identity_code": identity_code(born, 900 + n % 100),
        "date_of_birth": born.isoformat(), "email": f"demo.{n + 1:02d}@example.org" if n % 3 else None,
        "phone": f"+44 7700 900{n + 100:03d}" if n % 2 else None, "languages": [language, second],
        "interpreter_needed": language not in ("fi", "sv"),
    }
    specific = {
        "employment_region_jobseeker": {"registered_on": recent, "service_point": "karis"},
        "kela_notification": {"benefit": "home_care_allowance", "non_temporary": True, "decided_on": recent},
        "refugee_placement": {"protection": "quota_refugee", "placed_on": recent},
        "municipal_newcomer_notice": {"native_language": language if language not in ("fi", "sv") else "en",
                                      "moved_in_on": recent},
        "authority_contact": {"consent_given_on": recent, "needs_assessment": True},
        "own_request": {"asks_for_assessment": n % 2 == 0},
    }[source]
    body = {"source": source, "home_municipality": municipality,
            "first_permit_date": (today - timedelta(days=30 + 41 * (n % 60))).isoformat(), **specific,
            "person": {k: v for k, v in person.items() if v is not None}}
    return source, body


async def issue_demo_credentials(conn: asyncpg.Connection) -> dict[str, str]:
    """One-hour `system` tokens for each sending organisation, and an operator's to count every client
    (intake has migrated its database by now)."""
    tokens = await issue_temporary(conn, SENDERS, role="system", label="demo seeder")
    return tokens | await issue_temporary(conn, [OPERATOR], role="operator", label="demo seeder")


async def revoke_demo_credentials(conn: asyncpg.Connection, tokens: dict[str, str]) -> None:
    """The seeder's credentials are revoked when it is done, so they do not pile up."""
    await revoke_temporary(conn, tokens)


def _call(method: str, url: str, body: dict | None = None, token: str | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def seed(url: str, count: int, tokens: dict[str, str], today: date | None = None) -> list[dict[str, Any]]:
    """Register clients until the server holds at least `count`; returns the registrations made."""
    today = today or today_in_finland()
    existing = _call("GET", f"{url}/clients/count", token=tokens[OPERATOR])["clients"]
    made = []
    for n in range(existing, count):
        source, body = demo_client(n, today)
        sender = sender_of(source, body["home_municipality"])
        answer = _call("POST", url + PATHS[source], body, tokens.get(sender) if sender else None)
        made.append({"source": source, "home_municipality": body["home_municipality"],
                     "languages": body["person"]["languages"], **answer})
    return made


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m intake.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8101", help="intake's base URL")
    parser.add_argument("--count", type=int, default=12, help="clients the server should hold at least")
    args = parser.parse_args(argv)
    database_url = IntakeSettings().database_url.get_secret_value()
    tokens = asyncio.run(with_connection(database_url, issue_demo_credentials))
    try:
        made = seed(args.url.rstrip("/"), args.count, tokens)
    except urllib.error.URLError as exc:  # HTTPError included: the body names fields, never values
        detail = exc.read().decode(errors="replace") if isinstance(exc, urllib.error.HTTPError) else exc.reason
        print(f"intake at {args.url} refused or did not answer: {detail}", file=sys.stderr)
        return 1
    finally:
        asyncio.run(with_connection(database_url, lambda conn: revoke_demo_credentials(conn, tokens)))
    for m in made:
        print(f"{m['source']:<28} {m['home_municipality']:<9} {'/'.join(m['languages']):<6} "
              f"client {m.get('client_id', '(public request: reference ' + str(m.get('reference')) + ')')}")
    print(f"{len(made)} demo registrations; intake at {args.url} holds at least {args.count} clients")
    return 0


if __name__ == "__main__":
    sys.exit(main())
