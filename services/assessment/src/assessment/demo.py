"""`python -m assessment.demo --url http://127.0.0.1:8102`: carry demo clients through assessment over HTTP.

Run with assessment's settings in the environment (`make run` does), after intake's demo registered its
clients: it issues itself one-hour `officer` credentials for each organisation in assessment's database
(label "demo seeder", revoked when it is done), waits for the cases intake's registrations opened, then
books an initial interview for some (with an interpreter where the client knows neither Finnish nor
Swedish, R27) and carries some of those through the interview (R28), LUVN's confirmation (R6) and a
completed assessment (R4). Safe to run again: it only makes up what is missing up to `--book` booked
cases and `--complete` completed assessments.
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

from backbone.auth.temporary import issue_temporary, revoke_temporary, with_connection
from backbone.clock import today_in_finland
from contracts.topics import ORGANISATIONS
from contracts.vocabulary import Organisation
from assessment.config import AssessmentSettings
from assessment.domain.rules import R28_TOPICS, interpreter_needed

PLACES = ("karis", "ekenas", "hanko", "inkoo", "phone")
COMPETENCE = {"education_level": "upper_secondary", "work_experience_fields": ["retail"],
              "language_skills": [{"language": "sv", "level": "a2"}], "native_language_literacy": "good",
              "work_ability": "full", "service_needs": ["integration_training", "civic_orientation"]}


def _call(method: str, url: str, token: str, body: dict | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def all_cases(url: str, token: str) -> list[dict]:
    """Every case the caller sees, page by page, soonest due first."""
    cases: list[dict] = []
    while True:
        after = f"&after_due_on={cases[-1]['due_on']}&after={cases[-1]['assessment_id']}" if cases else ""
        page = _call("GET", f"{url}/cases?limit=500{after}", token)
        cases += page
        if len(page) < 500:
            return cases


def wait_for_cases(url: str, operator: str, timeout: float = 60) -> list[dict]:
    """The cases, once their number has stopped growing for two seconds (intake's events are consumed)."""
    deadline, seen, stable_since = time.monotonic() + timeout, -1, time.monotonic()
    while time.monotonic() < deadline:
        cases = all_cases(url, operator)
        if len(cases) != seen:
            seen, stable_since = len(cases), time.monotonic()
        elif cases and time.monotonic() - stable_since >= 2:
            return cases
        time.sleep(0.5)
    return all_cases(url, operator)


def booking(detail: dict, n: int) -> dict:
    languages = detail["client_languages"] or ["fi"]
    when = (datetime.now(UTC) + timedelta(days=1 + n % 4)).replace(hour=8 + n % 6, minute=0, second=0, microsecond=0)
    body = {"scheduled_at": when.isoformat(), "place": PLACES[n % len(PLACES)], "language": languages[0],
            "cancellation_instructions_given": True}
    if interpreter_needed(languages):
        body |= {"language": "fi", "interpreter": {"language": languages[0], "mode": "on_site"}}
    return body


def carry(url: str, tokens: dict[str, str], *, book: int, complete: int) -> list[str]:
    """Bring the number of booked cases up to `book` and of completed assessments up to `complete`; one line
    per step taken (none when a previous run got there already)."""
    today = today_in_finland().isoformat()
    done: list[str] = []
    cases = wait_for_cases(url, tokens["operator"])
    completed = sum(c["status"] == "completed" for c in cases)
    booked = sum(c["status"] != "open" for c in cases)
    to_complete = [c for c in cases if c["status"] in ("scheduled", "started")]
    to_complete += [c for c in cases if c["status"] == "open"][:max(0, book - booked)]
    for n, summary in enumerate(to_complete):
        officer = tokens[summary["responsible_organisation"]]
        base = f"{url}/cases/{summary['assessment_id']}"
        detail = _call("GET", base, officer)
        if detail["status"] == "open":
            _call("POST", f"{base}/interview", officer, booking(detail, n))
            done.append(f"{summary['assessment_id']}  interview booked ({summary['responsible_organisation']})")
        if completed >= complete:
            continue
        try:
            if _call("GET", base, officer)["status"] == "scheduled":
                _call("POST", f"{base}/interview/held", officer, {"held_on": today,
                                                                  "information_given": sorted(R28_TOPICS)})
            if detail["luvn_required"] and detail["luvn_confirmed_on"] is None:
                _call("POST", f"{base}/luvn-confirmation", tokens["luvn"], {"confirmed_on": today})
            _call("PUT", f"{base}/competence", officer, COMPETENCE)
            _call("POST", f"{base}/completion", officer, {"completed_on": today})
        except urllib.error.HTTPError as refused:
            if not 400 <= refused.code < 500:
                raise
            continue  # a case the demo cannot finish (booked by another client of the API, say): take the next
        completed += 1
        done.append(f"{summary['assessment_id']}  assessment completed")
    return done


async def _issue(database_url: str) -> dict[str, str]:
    async def work(conn):
        officers = [o for o in ORGANISATIONS if o != Organisation.KELA]
        tokens = await issue_temporary(conn, officers, role="officer", label="demo seeder")
        return tokens | {"operator": (await issue_temporary(conn, ["operator"], role="operator",
                                                            label="demo seeder"))["operator"]}
    return await with_connection(database_url, work)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assessment.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8102", help="assessment's base URL")
    parser.add_argument("--book", type=int, default=4, help="cases to book an interview for")
    parser.add_argument("--complete", type=int, default=2, help="of those, assessments to complete")
    args = parser.parse_args(argv)
    database_url = AssessmentSettings().database_url.get_secret_value()
    tokens = asyncio.run(_issue(database_url))
    try:
        done = carry(args.url.rstrip("/"), tokens, book=args.book, complete=args.complete)
    except urllib.error.URLError as exc:  # HTTPError included: the body names fields or rules, never values
        detail = exc.read().decode(errors="replace") if isinstance(exc, urllib.error.HTTPError) else exc.reason
        print(f"assessment at {args.url} refused or did not answer: {detail}", file=sys.stderr)
        return 1
    finally:
        asyncio.run(with_connection(database_url, lambda conn: revoke_temporary(conn, tokens)))
    for line in done:
        print(line)
    print(f"{len(done)} demo assessment steps; see the cases with GET {args.url}/cases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
