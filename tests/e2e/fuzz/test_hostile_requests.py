"""Hand-written hostile requests against every service as a running process (tests/e2e/fuzz/hostile.py
says which): each gets a 4xx that says what is wrong without echoing the value, and none changes the
state of the service it was sent to (every table's rows, before and after, see state.py). A request's
effect lands there first: other services change only through its events, which are in its event store."""

from __future__ import annotations

import json
from urllib.parse import quote
from uuid import uuid4

import httpx
import pytest

from services.intake.tests.factories import body as registration_body
from tests.e2e.fuzz import state
from tests.e2e.fuzz.conftest import REGISTRAR, STRANGER
from tests.e2e.fuzz.hostile import MARKER, UNICODE, Hostile, Route, cases, out_of_range, today

pytestmark = pytest.mark.e2e


def routes(service: str, seeded) -> list[Route]:
    owner = seeded.owner
    if service == "intake":
        return [
            Route("POST", "/registrations/refugee-placement", REGISTRAR,
                  registration_body("refugee_placement", home_municipality="hango")),
            Route("POST", "/clients/{client_id}/relationship-end", owner,
                  {"ended_on": today(), "reason": "moved_away"}),
            Route("POST", "/clients/{client_id}/jobseeker-status", "employment-region",
                  {"registered": True, "on": today()}),
            Route("POST", "/clients/{client_id}/erasure", owner, {"basis": "client_request"}),
            Route("PATCH", "/clients/{client_id}/personal-data", owner, {"languages": ["sv"]}),
            Route("GET", "/clients/{client_id}", owner),
            Route("GET", "/clients/{client_id}/events", owner),
            Route("GET", "/internal/clients/{client_id}/contact", "notifications-service"),
            Route("POST", "/internal/contacts", "notifications-service",
                  {"reads": [{"client_id": str(seeded.client_id), "purpose": "notification_welcome"}]}),
        ]
    if service == "assessment":
        return [
            Route("POST", "/cases/{assessment_id}/interview", owner,
                  {"scheduled_at": f"{today(7)}T09:00:00+02:00", "place": "karis", "language": "sv",
                   "cancellation_instructions_given": True}),
            Route("POST", "/cases/{assessment_id}/interview/held", owner, {"held_on": today()}),
            Route("POST", "/cases/{assessment_id}/missed-appointments", owner,
                  {"missed_on": today(), "kind": "no_show", "justified": False, "age": 30}),
            Route("POST", "/cases/{assessment_id}/notes", owner, {"text": "a note"}),
            Route("GET", "/cases/{assessment_id}", owner),
            Route("GET", "/clients/{client_id}/case", owner),
        ]
    if service == "planning":
        return [
            Route("POST", "/plans/{plan_id}/extensions", owner, {"until": today(400), "reason": "unable_to_carry_out"}),
            Route("POST", "/plans/{plan_id}/reviews", owner, {"reviewed_on": today(), "occasion": "scheduled"}),
            Route("POST", "/plans/{plan_id}/end", owner, {"ended_on": today(), "reason": "moved_away"}),
            Route("GET", "/plans/{plan_id}", owner),
            Route("GET", "/clients/{client_id}/plans", owner),
        ]
    if service == "guidance":
        return [
            Route("POST", "/referrals/{referral_id}/acceptance", "provider", {"starts_on": today()}),
            Route("POST", "/referrals/{referral_id}/cancellation", owner, {"reason": "client_withdrew"}),
            Route("POST", "/clients/{client_id}/study-agreements", "employment-region",
                  {"service_code": seeded.service_code}),
            Route("POST", "/visits", owner, {"client_id": str(seeded.client_id), "visited_on": today(),
                                             "mode": "drop_in", "topics": ["courses"], "language": "sv",
                                             "interpreter": "none"}),
            Route("GET", "/referrals/{referral_id}", owner),
            Route("GET", "/clients/{client_id}/visits", owner),
        ]
    if service == "notifications":
        return [
            Route("PUT", "/clients/{client_id}/opt-outs/sms", owner),
            Route("DELETE", "/clients/{client_id}/opt-outs/email", owner),
            Route("GET", "/clients/{client_id}/notifications", owner),
            Route("GET", "/letters/{notification_id}.pdf", owner),
        ]
    assert service == "audit"
    return [Route("POST", "/admin/dead-letters/redrive", "operator", {"partition": 0, "offset": 0})]


EXTRA = {
    "assessment": [("GET", "/cases?due_before=2026-02-30"), ("GET", "/cases?due_before=99999-01-01"),
                   ("GET", "/cases?after_due_on=0000-00-00"), ("GET", "/cases?limit=-1"),
                   ("GET", "/cases?limit=99999999999999999999999"), ("GET", "/cases?state=%00")],
    "planning": [("GET", "/plans?limit=-1"), ("GET", "/plans?limit=99999999999999999999999")],
    "guidance": [("GET", "/referrals?limit=0"), ("GET", "/referrals?client_id=not-a-uuid"),
                 ("GET", "/visits/counts?from_on=2026-02-30"), ("GET", "/catalogue/services/..%2F..%2Fetc")],
    "intake": [("GET", "/clients?limit=-1"), ("GET", "/clients?after=not-a-uuid")],
    "audit": [],
    "notifications": [("GET", "/letters/..%2F..%2F..%2Fetc%2Fpasswd.pdf")],
}
"""Queries with impossible values, as the route's owner."""


def unchanged(before, infra) -> None:
    changed = state.changes(before, state.snapshot(infra, tuple(before)))
    assert changed == [], "state changed by refused requests:\n" + "\n".join(changed)


def hostile_cases(service: str, seeded) -> list[Hostile]:
    ids = {"client_id": str(seeded.client_id), "assessment_id": str(seeded.assessment_id),
           "plan_id": str(seeded.plan_id), "referral_id": str(seeded.referral_id)}
    prefixes = {"intake": ("", "/clients"), "notifications": ("", "/letters"), "guidance": ("", "/catalogue")}
    found = cases(routes(service, seeded), ids, STRANGER, free_text=frozenset({"text", "note"}),
                  traversal_prefixes=prefixes.get(service, ("",)))
    found += [Hostile("impossible query", method, path, seeded.owner) for method, path in EXTRA[service]]
    if service == "audit":
        found += [Hostile("out-of-range redrive", "POST", "/admin/dead-letters/redrive", "operator",
                          json_body={"partition": p, "offset": o})
                  for p, o in ((-1, 0), (0, -1), (2**31, 0), (0, 2**63), (0, 2**70), (1.5, 0), ("0", "0"))]
    return found


def send(http: httpx.Client, base: str, tokens: dict[str, str], case: Hostile, cookie: bool = False) -> httpx.Response:
    headers = dict(case.headers)
    if case.who is not None:
        if cookie:
            headers["Cookie"] = f"console_session={tokens[case.who]}"
        else:
            headers["Authorization"] = f"Bearer {tokens[case.who]}"
    headers.setdefault("X-Purpose", "fuzz")
    if case.json_body is not None:
        return http.request(case.method, base + case.path, content=json.dumps(case.json_body).encode(),
                            headers={"Content-Type": "application/json", **headers})
    return http.request(case.method, base + case.path, content=case.content, headers=headers)


def problems_of(case: Hostile, resp: httpx.Response) -> list[str]:
    problems = []
    if case.method == "GET" and resp.status_code == 200 and not case.html and resp.text.strip() == "[]":
        return []  # a list filtered to what the caller may see: nothing of another's client, nothing revealed
    if not 400 <= resp.status_code < 500:
        problems.append(f"{case.describe()} -> {resp.status_code}: {resp.text[:300]}")
    elif not case.html:
        try:
            detail = resp.json().get("detail")
        except (ValueError, AttributeError):
            detail = None
        if not detail:
            problems.append(f"{case.describe()} -> {resp.status_code} without a detail: {resp.text[:200]}")
    if MARKER in resp.text:
        problems.append(f"{case.describe()} -> {resp.status_code} echoes the value back")
    return problems


def run_all(http, base, tokens, found, *, cookie=False) -> list[str]:
    problems = []
    for case in found:
        try:
            resp = send(http, base, tokens, case, cookie=cookie)
        except httpx.HTTPError as err:
            problems.append(f"{case.describe()} -> no answer ({type(err).__name__})")
            continue
        problems += problems_of(case, resp)
    return problems


@pytest.mark.parametrize("service", ["intake", "assessment", "planning", "guidance", "notifications", "audit"])
def test_hostile_requests_are_refused_with_a_4xx_and_change_nothing(infra, fuzz_services, tokens, seeded, service):
    found = hostile_cases(service, seeded)
    before = state.settled(infra, (service,))

    with httpx.Client(timeout=120) as http:
        problems = run_all(http, fuzz_services[service].url, tokens[service], found)

    assert problems == [], f"{len(problems)} of {len(found)} hostile requests answered wrongly:\n" + "\n".join(problems)
    unchanged(before, infra)


def test_dates_out_of_any_range_are_refused_and_change_nothing(infra, fuzz_services, tokens, seeded):
    """Year 1, 1900, 2200 and 9999 in a valid format, on every dated command of every service."""
    before = state.settled(infra, ("intake", "assessment", "planning", "guidance"))
    problems = []
    with httpx.Client(timeout=120) as http:
        for service in ("intake", "assessment", "planning", "guidance"):
            problems += run_all(http, fuzz_services[service].url, tokens[service],
                                out_of_range(routes(service, seeded), {
                                    "client_id": str(seeded.client_id), "assessment_id": str(seeded.assessment_id),
                                    "plan_id": str(seeded.plan_id), "referral_id": str(seeded.referral_id)}))
    assert problems == [], "\n".join(problems)
    unchanged(before, infra)


def guide_cases() -> list[Hostile]:
    form = "name=A&email=a%40example.org&phone=&message=hello&home_municipality=hango&consent=on"
    out = [Hostile("huge form", "POST", "/guide/sv/contact", None, content=b"message=" + b"x" * 6_000_000,
                   headers={"Content-Type": "application/x-www-form-urlencoded"}, html=True),
           Hostile("form not UTF-8", "POST", "/guide/sv/contact", None, content=b"name=\xff\xfe&message=\xc3\x28",
                   headers={"Content-Type": "application/x-www-form-urlencoded"}, html=True),
           Hostile("JSON to the form", "POST", "/guide/sv/contact", None, content=b'{"name": [[[[[]]]]]}',
                   headers={"Content-Type": "application/json"}, html=True),
           Hostile("deep form keys", "POST", "/guide/sv/contact", None,
                   content=("a" + "[a]" * 5000 + "=1").encode(), headers={"Content-Type": "application/x-www-form-urlencoded"},
                   html=True)]
    for kind, bad in UNICODE.items():
        if kind == "very-long":
            bad = bad[:3000]
        content = form.replace("name=A", "name=" + quote(bad.encode("utf-8", "surrogatepass"))).encode()
        out.append(Hostile(f"form unicode {kind}", "POST", "/guide/sv/contact", None, content=content,
                           headers={"Content-Type": "application/x-www-form-urlencoded"}, html=True))
    for path in ("/guide/flyer/..%2F..%2F..%2Fetc%2Fpasswd.pdf", "/guide/flyer/sv.exe", "/guide/%00/",
                 "/guide/..%2F..%2Fpyproject.toml/", "/guide/static/..%2Fguide.css", "/guide/xx-invalid/help",
                 "/guide/" + "a" * 5000 + "/"):
        out.append(Hostile("guide path", "GET", path, None, html=True))
    return out


def test_the_public_guide_refuses_hostile_forms_and_paths(infra, fuzz_services, tokens):
    before = state.settled(infra, ("guidance", "intake"))  # the contact form registers through intake
    problems = []
    with httpx.Client(timeout=120) as http:
        for case in guide_cases():
            resp = send(http, fuzz_services["guidance"].url, {}, case)
            if resp.status_code >= 500 or resp.status_code < 400 and not case.method == "GET":
                problems.append(f"{case.describe()} -> {resp.status_code}")
            if resp.status_code < 300 and "root:" in resp.text:
                problems.append(f"{case.describe()} -> {resp.status_code} served a file outside the guide")
    assert problems == [], "\n".join(problems)
    unchanged(before, infra)


def test_the_console_refuses_hostile_requests(infra, fuzz_services, tokens, seeded):
    """The operator console (not in the OpenAPI document): ids, traversal, logins with hostile bodies."""
    found = [Hostile("nobody's event", "GET", f"/console/events/{uuid4()}", "operator", html=True),
             Hostile("nobody's dead letter", "GET", f"/console/dead-letters/{uuid4()}", "operator", html=True)]
    for bad in ("not-a-uuid", "%00", "a" * 5000, "..%2F..%2Fetc%2Fpasswd"):
        for page in ("events", "clients", "dead-letters"):
            found.append(Hostile(f"malformed id {bad[:12]!r}", "GET", f"/console/{page}/{bad}", "operator", html=True))
    for path in ("/console/static/..%2F..%2F..%2Fpyproject.toml", "/console/static/%2e%2e%2fsecrets.json",
                 "/console/static/" + "a" * 3000):
        found.append(Hostile("path traversal", "GET", path, "operator", html=True))
    for query in ("?since=2026-02-30", "?until=99999-01-01", "?client_id=not-a-uuid", "?correlation_id=%00"):
        found.append(Hostile("impossible query", "GET", "/console/log" + query, "operator", html=True))
    huge = b"token=" + b"x" * 6_000_000
    for content in (huge, b"token=\xff\xfe", b"[" * 100_000):
        found.append(Hostile("hostile login", "POST", "/console/login", None, content=content,
                             headers={"Content-Type": "application/x-www-form-urlencoded",
                                      "Origin": fuzz_services["audit"].url}, html=True))
    before = state.settled(infra, ("audit",))
    with httpx.Client(timeout=120) as http:
        problems = run_all(http, fuzz_services["audit"].url, tokens["audit"], found, cookie=True)
    assert problems == [], "\n".join(problems)
    unchanged(before, infra)


def test_the_console_shows_an_officer_nothing_of_another_organisations_client(fuzz_services, tokens, seeded):
    """The timeline is filtered to the officer's own organisation's events: Inkoo's officer gets the page with
    none of the Hanko client's events, which the operator sees."""
    url = f"{fuzz_services['audit'].url}/console/clients/{seeded.client_id}"
    with httpx.Client(timeout=120) as http:
        def page(who: str) -> httpx.Response:
            return http.get(url, headers={"Cookie": f"console_session={tokens['audit'][who]}"})
        operator, stranger = page("operator"), page(STRANGER)

    assert operator.status_code == 200 and "ClientRegistered" in operator.text
    assert stranger.status_code == 200 and "ClientRegistered" not in stranger.text
