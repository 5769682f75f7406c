"""Fuzz one service's HTTP API from its own OpenAPI document with schemathesis, over real HTTP.

For every operation, requests that fit the document (positive) and requests that do not (negative) are
generated, each sent with a credential drawn from several organisations and roles (or none). A second
round sends them with the path's ids set to the seeded client's real records and a credential of an
organisation that has no part in that client. Findings are collected, not raised inside hypothesis
(no shrinking, so a bounded run stays bounded):

- any 5xx, or no answer at all;
- a 4xx whose body does not say what is wrong (`detail` missing or empty);
- a 2xx to a request the document says is invalid (negative mode);
- a 2xx to a write by the organisation with no part in the client, on the client's own records.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import negative_data_rejection

SEEDED_PARAMETERS = ("client_id", "assessment_id", "plan_id", "referral_id")
"""Path parameters the second round fills with the seeded client's records."""

OPEN_TO_OTHERS = {"POST /clients/{client_id}/claims"}
"""Writes another organisation may make about a client by design: a municipality claims a client who
moved there (the claim is then accepted or objected to; it hands nothing over by itself)."""

CLIENT_SIDE_ERRORS = (requests.exceptions.InvalidHeader, requests.exceptions.InvalidURL, UnicodeError, ValueError)
"""Requests the HTTP client refuses to send (a NUL in a header, say): nothing reached the service."""

NOT_WRONG = {"header: violates `required` (was Authorization)"}
"""What schemathesis counts as invalid but is not: the credential it left out is the one `send` adds."""
NOT_WRONG_ON_READS = {"query: violates `additionalProperties`"}
"""A read ignores query parameters it does not know, as HTTP APIs commonly do; it changes nothing."""


@dataclass
class Findings:
    sent: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    callers: set[str] = field(default_factory=set)

    def add(self, problem: str) -> None:
        if len(self.problems) < 200 and problem not in self.problems:
            self.problems.append(problem)


def _detail_is_given(response: requests.Response) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and bool(body.get("detail"))


def _describe(case, who: str) -> str:
    body = repr(case.body)[:300] if case.body is not None else "-"
    return (f"{case.method} {case.formatted_path} as {who} query={case.query!r:.200} "
            f"headers={ {k: v for k, v in (case.headers or {}).items() if k.lower() != 'authorization'}!r:.200} "
            f"body={body}")


def fuzz(service: str, url: str, tokens: dict[str, str], identities: list[str], *, examples: int,
         stranger: str | None = None, seeded: dict[str, str] | None = None) -> Findings:
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json", timeout=30)
    findings = Findings()
    session = requests.Session()
    callers = [*identities, "nobody"]

    def send(case, who: str, mode: GenerationMode, hostile: bool) -> None:
        headers: dict[str, Any] = {} if who == "nobody" else {"Authorization": f"Bearer {tokens[who]}"}
        try:
            response = case.call(base_url=url, session=session, headers=headers, timeout=60)
        except CLIENT_SIDE_ERRORS:
            return
        except requests.exceptions.RequestException as err:
            findings.add(f"{service}: no answer ({type(err).__name__}) to {_describe(case, who)}")
            return
        findings.sent += 1
        findings.callers.add(who)
        status = response.status_code
        findings.statuses[status] = findings.statuses.get(status, 0) + 1
        if status >= 500:
            findings.add(f"{service}: {status} to {_describe(case, who)}: {response.text[:300]}")
        elif 400 <= status < 500 and status not in (405,) and not _detail_is_given(response):
            findings.add(f"{service}: {status} without a detail to {_describe(case, who)}: {response.text[:200]}")
        elif 200 <= status < 300 and mode is GenerationMode.NEGATIVE:
            try:  # schemathesis' own judgement of whether the request really was invalid once serialised
                case.validate_response(response, checks=[negative_data_rejection], headers=headers)
            except (AssertionError, FailureGroup) as failure:
                if not _only_harmless(str(failure), case.method):
                    findings.add(f"{service}: {status} to an invalid request {_describe(case, who)}: "
                                 f"{str(failure)[:300]}")
        elif 200 <= status < 300 and hostile and case.method.upper() != "GET" \
                and f"{case.method.upper()} {case.operation.path}" not in OPEN_TO_OTHERS:
            findings.add(f"{service}: {status} to {stranger}'s write on another organisation's client: "
                         f"{_describe(case, who)}")

    turn = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        started = time.monotonic()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            # Each run starts the callers' list at the next one: hypothesis draws the first first, so even a
            # run of one example per operation sends as every caller over a service's operations.
            rotated = callers[turn % len(callers):] + callers[:turn % len(callers)]
            turn += 1
            run(operation.as_strategy(generation_mode=mode), st.sampled_from(rotated),
                lambda case, who, mode=mode: send(case, who, mode, False), examples)
        names = {p.name for p in operation.path_parameters} if hasattr(operation, "path_parameters") else set()
        fixed = {name: seeded[name] for name in names if seeded and name in seeded}
        if stranger and fixed:
            run(operation.as_strategy(generation_mode=GenerationMode.POSITIVE, path_parameters=fixed),
                st.just(stranger), lambda case, who: send(case, who, GenerationMode.POSITIVE, True), examples)
        findings.seconds[f"{operation.method.upper()} {operation.path}"] = round(time.monotonic() - started, 1)
    return findings


def _only_harmless(failure: str, method: str) -> bool:
    """Whether every invalid part schemathesis names is one that is not wrong to accept (see NOT_WRONG)."""
    parts = set(re.findall(r"^\s*- (\w+: violates .*?)\s*$", failure, re.MULTILINE))
    harmless = NOT_WRONG | (NOT_WRONG_ON_READS if method.upper() in ("GET", "HEAD") else set())
    return bool(parts) and parts <= harmless


def run(cases, callers, send, examples: int) -> None:
    @settings(max_examples=examples, deadline=None, database=None, derandomize=False,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=cases, who=callers)
    def each(case, who) -> None:
        send(case, who)

    try:
        each()
    except Unsatisfiable:  # nothing to make invalid (an operation without parameters or body)
        pass
