"""`python -m planning.demo --url http://127.0.0.1:8103`: carry the demo clients' plans to issued, one extended.

Run with planning's settings in the environment (`make run` does). It issues itself short-lived credentials in
planning's database (label "demo seeder", one hour, revoked when it is done), waits for plans to draw up (they
open when assessment completes a demo client's assessment with a need for a plan), then, through the same API
the officers use, issues each with the client's agreement in their own language and extends the first one
issued within the 2-year maximum (R14). Safe to run again: only plans still to be drawn up are issued, and an
extension is made only while no plan has one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import urllib.error
import urllib.request
from datetime import date, timedelta
from typing import Any

import asyncpg

from backbone.auth.temporary import issue_temporary, revoke_temporary, with_connection
from backbone.clock import today_in_finland
from contracts.topics import ORGANISATIONS
from planning.config import PlanningSettings

SERVICES = ("civic_orientation.{language}", "integration_training.sv")
LABEL = "demo seeder"


async def issue_demo_credentials(conn: asyncpg.Connection) -> dict[str, str]:
    """One-hour officer tokens for every organisation, and an operator's to read every worklist."""
    tokens = await issue_temporary(conn, ORGANISATIONS, role="officer", label=LABEL)
    return tokens | await issue_temporary(conn, ["operator"], role="operator", label=LABEL)


def _call(method: str, url: str, token: str, body: dict | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def issue_body(language: str, today: date) -> dict[str, Any]:
    """A plan of half a year from today, agreed in the client's language, with content for any group (R19)."""
    return {"starts_on": today.isoformat(), "ends_on": (today + timedelta(days=182)).isoformat(),
            "goals": ["employment", "working_life_readiness", "language_skills"],
            "services": [s.format(language=language) for s in SERVICES], "job_search_obligation": True,
            "follow_up": ["review_meetings", "provider_reports"], "reasons": ["language_first", "work_trial_after"],
            "agreement": {"agreed_on": today.isoformat(), "language": language, "interpreter": False}}


def carry(url: str, tokens: dict[str, str], *, wait_s: float, today: date | None = None) -> list[str]:
    """Issue every plan to be drawn up and extend one; returns what was done, one line each."""
    today = today or today_in_finland()
    deadline = time.monotonic() + wait_s
    while not (waiting := _call("GET", f"{url}/plans?view=to_draw_up&limit=500", tokens["operator"])):
        if time.monotonic() > deadline or _call("GET", f"{url}/plans?view=in_force&limit=1", tokens["operator"]):
            return []
        time.sleep(2)
    done = []
    for plan in waiting:
        owner = tokens[plan["owner"]]
        detail = _call("GET", f"{url}/plans/{plan['plan_id']}", owner)
        language = (detail["client_languages"] or ["sv"])[0]
        _call("POST", f"{url}/plans/{plan['plan_id']}/issue", owner, issue_body(language, today))
        done.append(f"plan {plan['plan_id']} issued by {plan['owner']} (agreed in {language})")
    first = waiting[0]
    extended = _call("GET", f"{url}/plans/{first['plan_id']}", tokens[first["owner"]])
    if not any(e["type"] == "PlanExtended" for e in extended["events"]):
        until = (today + timedelta(days=364)).isoformat()
        _call("POST", f"{url}/plans/{first['plan_id']}/extensions", tokens[first["owner"]],
              {"until": until, "reason": "continued_within_maximum"})
        done.append(f"plan {first['plan_id']} extended until {until} (R14)")
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m planning.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8103", help="planning's base URL")
    parser.add_argument("--wait", type=float, default=60.0, help="seconds to wait for plans to draw up")
    args = parser.parse_args(argv)
    database_url = PlanningSettings().database_url.get_secret_value()
    tokens = asyncio.run(with_connection(database_url, issue_demo_credentials))
    try:
        done = carry(args.url.rstrip("/"), tokens, wait_s=args.wait)
    except urllib.error.URLError as exc:
        detail = exc.read().decode(errors="replace") if isinstance(exc, urllib.error.HTTPError) else exc.reason
        print(f"planning at {args.url} refused or did not answer: {detail}", file=sys.stderr)
        return 1
    finally:
        asyncio.run(with_connection(database_url, lambda conn: revoke_temporary(conn, tokens)))
    for line in done:
        print(line)
    if not done:
        print(f"no plans to draw up within {args.wait:.0f} s: they open when assessment completes an assessment "
              "with a need for a plan")
    return 0


if __name__ == "__main__":
    sys.exit(main())
