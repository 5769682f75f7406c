"""`python -m intake.demo --url http://127.0.0.1:8101 --count 12`: register fictional clients over HTTP.

Safe to run on every `make run`: it counts the clients already stored and registers only what is
missing up to `--count`. Every person is invented: surnames are the word "example" in the client's
language, e-mail addresses are on example.org (reserved, RFC 2606) and phone numbers are in the
UK's range reserved for drama (+44 7700 900xxx), so no message can ever reach anyone.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from datetime import date, timedelta
from typing import Any

from intake.adapters.clock import today_in_finland

# (first name, surname meaning "example", language, second language)
PEOPLE = (
    ("Sara", "Exempel", "sv", "fi"), ("Aino", "Esimerkki", "fi", "sv"), ("Olga", "Primerova", "ru", "fi"),
    ("Mari", "Näide", "et", "fi"), ("Layla", "Mithal", "ar", "sv"), ("Oksana", "Prykladna", "uk", "en"),
    ("John", "Example", "en", "sv"), ("Rojda", "Mînak", "ku", "ar"), ("Malee", "Tuayang", "th", "en"),
    ("Maria", "Halimbawa", "tl", "en"), ("Lena", "Beispiel", "de", "en"), ("Zofia", "Przykład", "pl", "en"),
)
MUNICIPALITIES = ("raseborg", "hango", "inga")
PROFILES = (  # (source, target groups): a mix of jobseekers, refugees, families and guidance only
    ("employment_region_jobseeker", ["unemployed_jobseeker"]),
    ("refugee_placement", ["international_protection"]),
    ("municipal_newcomer_notice", []),
    ("kela_notification", ["home_care_allowance", "family_member"]),
    ("own_request", ["own_request_or_authority_contact"]),
    ("authority_contact", []),
)


def demo_client(n: int, today: date) -> dict[str, Any]:
    """The n-th fictional person (n from 0); deterministic apart from dates relative to `today`."""
    first, surname, language, second = PEOPLE[n % len(PEOPLE)]
    source, groups = PROFILES[n % len(PROFILES)]
    return {
        "name": f"Demo {first} {surname} {n + 1:02d}",
        "date_of_birth": date(1970 + (n * 3) % 35, 1 + n % 12, 1 + (n * 7) % 28).isoformat(),
        "email": f"demo.{n + 1:02d}@example.org" if n % 3 else None,
        "phone": f"+44 7700 900{n + 100:03d}" if n % 2 else None,
        "home_municipality": MUNICIPALITIES[n % len(MUNICIPALITIES)],
        "languages": [language, second],
        "residence_permit_date": (today - timedelta(days=30 + 41 * n)).isoformat(),
        "source": source,
        "target_groups": groups,
    }


def _call(method: str, url: str, body: dict | None = None, headers: dict[str, str] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def seed(url: str, count: int, today: date | None = None) -> list[dict[str, Any]]:
    """Register clients until the server holds at least `count`; returns the registrations made."""
    today = today or today_in_finland()
    existing = _call("GET", f"{url}/clients/count")["clients"]
    made = []
    for n in range(existing, count):
        client = demo_client(n, today)
        organisation = "employment-region" if "unemployed_jobseeker" in client["target_groups"] else "raseborg"
        accepted = _call("POST", f"{url}/clients", client, {"X-Organisation": organisation})
        made.append({**accepted, "home_municipality": client["home_municipality"], "languages": client["languages"]})
    return made


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m intake.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8101", help="intake's base URL")
    parser.add_argument("--count", type=int, default=12, help="clients the server should hold at least")
    args = parser.parse_args(argv)
    try:
        made = seed(args.url.rstrip("/"), args.count)
    except urllib.error.URLError as exc:  # HTTPError included: the body names fields, never values
        detail = exc.read().decode(errors="replace") if isinstance(exc, urllib.error.HTTPError) else exc.reason
        print(f"intake at {args.url} refused or did not answer: {detail}", file=sys.stderr)
        return 1
    for m in made:
        print(f"registered client {m['client_id']} ({m['home_municipality']}, {'/'.join(m['languages'])})")
    print(f"{len(made)} demo clients registered; intake at {args.url} holds at least {args.count}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
