"""A client's whole journey through the running system (`tests/support/system.py`), step by step over HTTP,
each step as the organisation that owns it would make it:

    registration (intake)                           the sending organisation's system
    interview booked, held, LUVN's confirmation,    the responsible organisation's officer (LUVN confirms
    competence, completion (assessment)             its own participation, R6)
    plan issued, referral, review, extension, end   the responsible organisation's officer (planning, guidance)
    the course accepted, started, completed         the provider, with its own credential (guidance)
    erasure (intake)                                the responsible organisation's officer

Every step is safe to retry: the registration carries the scenario's `Idempotency-Key` (a retry gets the first
answer), the others read the state first and do only what is still missing, so a step repeated after a time-out
or a crash does nothing twice. `call` retries a step as a whole on a lost connection or a 5xx. Every command
carries the scenario's correlation id (`X-Correlation-Id`), so the audit trail links the whole journey.

`await walk(system, scenario)` drives one client from registration to erasure and returns what each step
produced; a load generator runs many at once, all through one `Api(system, senders=8)`: one `httpx.AsyncClient`,
at most 8 requests in flight whatever the number of journeys (tests/support/load.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time as clock_time, timedelta
from typing import Any, TypeVar

import httpx

from assessment.domain.rules import R28_TOPICS
from backbone.clock import FINLAND, today_in_finland
from guidance.service_layer.catalogue import seed_data
from tests.support.people import Person, invent

T = TypeVar("T")

COMPETENCE = {"education_level": "upper_secondary", "work_experience_fields": ["retail"],
              "language_skills": [{"language": "sv", "level": "a2"}], "native_language_literacy": "good",
              "work_ability": "full", "service_needs": ["integration_training", "civic_orientation"]}
COURSE = "civic_orientation"  # continuous admission, ar/ru/en (R21): the client must know one of those
COURSE_PROVIDER = "provider:mbi-raseborg"
LOAD_COURSE = "civic_orientation.load"
"""The course a load refers its clients to (`open_course`): civic orientation as in the catalogue, by the same
provider, without a limit on places. The catalogue's course takes 20 at a time and waitlists the rest, so a
load of thousands would queue behind it, and walks given up under a fault would hold their places for ever."""
REGISTRATION_PATHS = {"employment_region_jobseeker": "/registrations/jobseeker",
                      "kela_notification": "/registrations/kela-notification",
                      "refugee_placement": "/registrations/refugee-placement",
                      "municipal_newcomer_notice": "/registrations/newcomer-notice",
                      "authority_contact": "/registrations/authority-contact",
                      "own_request": "/public/contact-requests"}


class StepFailed(AssertionError):
    """A step was refused (4xx) or did not reach its state in time: retrying it would not help."""


@dataclass(frozen=True)
class Scenario:
    """One client: who sends the registration, what it says, and who is then responsible."""

    name: str
    source: str
    sender: str  # the organisation whose system sends the registration ("public": the person, on the public form)
    responsible: str  # the organisation expected to be responsible (R5, agreements)
    facts: dict[str, Any]  # the source's own fields besides `source`, `home_municipality` and `person`
    person: Person
    luvn: bool  # R6: LUVN takes part (the client's target groups)
    place: str = "karis"  # where the initial interview is booked (a service point, phone or remote)
    reachable_by_sms: bool = True  # False: the person gave no phone number, so messages go by e-mail
    correlation_id: uuid.UUID = field(default_factory=uuid.uuid4)
    idempotency_key: str = field(default_factory=lambda: f"journey-{uuid.uuid4()}")

    @property
    def language(self) -> str:
        return self.person.languages[0]

    def registration(self) -> dict[str, Any]:
        person = self.person.personal_data()
        if not self.reachable_by_sms:
            del person["phone"]
        return {"source": self.source, "home_municipality": self.person.home_municipality, **self.facts,
                "person": person}


def scenario(name: str, *, source: str, sender: str, responsible: str, home: str, languages: tuple[str, ...],
             luvn: bool, facts: dict[str, Any], place: str = "karis", reachable_by_sms: bool = True,
             seed: str | None = None) -> Scenario:
    """A scenario with a new invented person living in `home` and knowing `languages` (first preferred)."""
    person = invent(seed, languages=languages)
    postal = {"raseborg": ("10600", "Ekenäs"), "hango": ("10900", "Hangö"), "inga": ("10210", "Ingå")}[home]
    person = type(person)(**{**person.__dict__, "home_municipality": home, "postal_code": postal[0],
                             "post_office": postal[1]})
    return Scenario(name, source, sender, responsible, facts, person, luvn, place, reachable_by_sms)


def standard_scenarios(*, inga_in_force: bool = False) -> dict[str, Scenario]:
    """One scenario per source and responsible organisation: the employment region's jobseeker (R5), Raseborg's
    refugee (LUVN, R6), Hanko's newcomer (Raseborg by agreement), Inkoo's Kela notification (Inkoo while its
    agreement is pending) and an authority's contact about an Inkoo resident (Raseborg once it is in force), who
    gave no phone number (every message by e-mail)."""
    today = today_in_finland()
    permit = (today - timedelta(days=200)).isoformat()
    made = [
        scenario("employment-region-jobseeker", source="employment_region_jobseeker", sender="employment-region",
                 responsible="employment-region", home="raseborg", languages=("ar", "en"), luvn=False,
                 facts={"first_permit_date": permit, "registered_on": today.isoformat(), "service_point": "karis"}),
        scenario("raseborg-refugee-placement", source="refugee_placement", sender="raseborg", responsible="raseborg",
                 home="raseborg", languages=("uk", "ru"), luvn=True,
                 place="ekenas", facts={"first_permit_date": permit, "protection": "international_protection",
                                        "placed_on": (today - timedelta(days=20)).isoformat()}),
        scenario("hango-newcomer-by-agreement", source="municipal_newcomer_notice", sender="hango",
                 responsible="raseborg", home="hango", languages=("ru", "fi"), luvn=False, place="hanko",
                 facts={"first_permit_date": permit, "native_language": "ru", "target_groups": ["family_member"],
                        "moved_in_on": (today - timedelta(days=10)).isoformat()}),
    ]
    if inga_in_force:
        made.append(scenario(
            "inga-authority-contact-agreement-in-force", source="authority_contact", sender="luvn",
            responsible="raseborg", home="inga", languages=("en", "sv"), luvn=False, place="phone",
            reachable_by_sms=False,
            facts={"first_permit_date": permit, "consent_given_on": today.isoformat(), "needs_assessment": True}))
    else:
        made.append(scenario(
            "inga-kela-agreement-pending", source="kela_notification", sender="kela", responsible="inga",
            home="inga", languages=("ar", "sv"), luvn=True, place="inkoo",
            facts={"first_permit_date": permit, "benefit": "social_assistance", "non_temporary": True,
                   "decided_on": (today - timedelta(days=5)).isoformat()}))
    return {s.name: s for s in made}


def own_request_scenario() -> Scenario:
    """The person's own request (the public form, R2: asks for an assessment): a resident of Raseborg who reads
    English and Finnish, interviewed remotely; Raseborg, their home municipality, is responsible. Not one of the load's scenarios: the
    form is limited to a few requests a minute per address."""
    permit = (today_in_finland() - timedelta(days=300)).isoformat()
    return scenario("raseborg-own-request", source="own_request", sender="public", responsible="raseborg",
                    home="raseborg", languages=("en", "fi"), luvn=False, place="remote",
                    facts={"first_permit_date": permit, "asks_for_assessment": True})


@dataclass
class Journey:
    """What the steps produced, filled in as the client goes."""

    scenario: Scenario
    client_id: uuid.UUID | None = None
    registration_event_ids: list[uuid.UUID] = field(default_factory=list)
    assessment_id: uuid.UUID | None = None
    interview_id: uuid.UUID | None = None
    plan_id: uuid.UUID | None = None
    referral_id: uuid.UUID | None = None
    erasure_event_ids: list[uuid.UUID] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)


class Api:
    """HTTP calls as the organisations make them: the System's URLs and credentials, one shared client."""

    def __init__(self, system, http: httpx.AsyncClient | None = None, *, attempts: int = 8,
                 wait_s: float = 60, senders: int | None = None, longest_poll_s: float = 0.2) -> None:
        """`attempts`: how often `call` runs a step before giving up; `wait_s`: how long a step waits for another
        service to have consumed what it needs (raise both under load or while services are killed).
        `senders`: at most this many requests in flight at once, however many journeys share this Api (a load's
        senders; a journey waiting for another service holds none between its probes); `longest_poll_s`: how far
        the pause between a waiting step's probes grows (x1.5 from 0.2 s), so many waiting journeys do not crowd
        out the ones that can go on."""
        self.system = system
        self.http = http or httpx.AsyncClient(timeout=30)
        self.attempts = attempts
        self.wait_s = wait_s
        self.longest_poll_s = longest_poll_s
        self.senders: asyncio.Semaphore | contextlib.nullcontext = (
            asyncio.Semaphore(senders) if senders else contextlib.nullcontext())
        self.requests = 0  # sent, each retry counted again
        self.step_retries = 0  # steps `call` ran again after a lost connection, a time-out or a 5xx

    def headers(self, service: str, principal: str, role: str = "officer", **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.system.token(service, principal, role)}", **extra}

    async def request(self, method: str, service: str, path: str, principal: str, role: str = "officer", *,
                      json: Any = None, params: dict | None = None, headers: dict[str, str] | None = None
                      ) -> httpx.Response:
        async with self.senders:
            self.requests += 1
            return await self.http.request(method, self.system.url(service) + path, json=json, params=params,
                                           headers=self.headers(service, principal, role, **(headers or {})))

    async def ok(self, method: str, service: str, path: str, principal: str, role: str = "officer", *,
                 expect: tuple[int, ...] = (200, 201), **kwargs: Any) -> Any:
        """The answer's JSON; a 5xx raises `httpx.HTTPStatusError` (retried by `call`), another status StepFailed."""
        resp = await self.request(method, service, path, principal, role, **kwargs)
        if resp.status_code >= 500:
            resp.raise_for_status()
        if resp.status_code not in expect:
            raise StepFailed(f"{method} {service}{path} as {principal}/{role}: {resp.status_code} {resp.text}")
        return resp.json() if resp.content else None

    async def call(self, step: Callable[[], Awaitable[T]]) -> T:
        """Run a step, again as a whole after a lost connection, a time-out or a 5xx (it is retry-safe)."""
        delay = 0.2
        for attempt in range(self.attempts):
            try:
                return await step()
            except (httpx.TransportError, httpx.HTTPStatusError):
                if attempt == self.attempts - 1:
                    raise
                self.step_retries += 1
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        raise AssertionError("unreachable")

    async def until(self, probe: Callable[[], Awaitable[T | None]], *, what: str) -> T:
        """`eventually`, within this Api's `wait_s`, its probes' pauses growing to `longest_poll_s`."""
        return await eventually(probe, timeout=self.wait_s, what=what, longest_wait_s=self.longest_poll_s)

    async def close(self) -> None:
        await self.http.aclose()


async def eventually(probe: Callable[[], Awaitable[T | None]], *, timeout: float = 60, what: str,
                     longest_wait_s: float = 0.2) -> T:
    """`probe()` until it returns something, pausing 0.2 s, then 1.5 times longer each time up to `longest_wait_s`;
    StepFailed after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    wait = min(0.2, longest_wait_s)
    while True:
        found = await probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise StepFailed(f"{what}: not within {timeout} s")
        await asyncio.sleep(wait)
        wait = min(wait * 1.5, longest_wait_s)


def _corr(s: Scenario) -> dict[str, str]:
    return {"X-Correlation-Id": str(s.correlation_id)}


# --- intake ----------------------------------------------------------------------------------------------

async def register(api: Api, j: Journey) -> uuid.UUID:
    """The sender's system registers the person; a retry with the same Idempotency-Key gets the first answer."""
    s = j.scenario
    if s.source == "own_request":
        return await ask_on_the_public_form(api, j)
    answer = await api.ok("POST", "intake", REGISTRATION_PATHS[s.source], s.sender, "system", json=s.registration(),
                          headers={"Idempotency-Key": s.idempotency_key, **_corr(s)})
    j.client_id = uuid.UUID(answer["client_id"])
    j.registration_event_ids = [uuid.UUID(e) for e in answer["event_ids"]]
    j.steps.append("registered")
    return j.client_id


async def ask_on_the_public_form(api: Api, j: Journey) -> uuid.UUID:
    """The person asks for an assessment on the public form (no credential) and is given a reference; the
    responsible organisation's officer finds the client behind it in intake's worklist of contact requests.
    The reference is the registration's correlation id: the journey's later steps carry it on."""
    s = j.scenario
    resp = await api.http.post(api.system.url("intake") + REGISTRATION_PATHS[s.source], json=s.registration(),
                               headers={"Accept-Language": s.language})
    if resp.status_code >= 500:
        resp.raise_for_status()
    if resp.status_code != 202:
        raise StepFailed(f"public form: {resp.status_code} {resp.text}")
    assert resp.json()["language"] == s.language, "the acknowledgement is in the person's language"
    j.scenario = s = replace(s, correlation_id=uuid.UUID(resp.json()["reference"]))
    [request] = await api.ok("GET", "intake", "/worklist/contact-requests", s.responsible,
                             params={"reference": str(s.correlation_id)})
    j.client_id = uuid.UUID(request["client_id"])
    j.registration_event_ids = [uuid.UUID(request["event_id"])]
    j.steps.append("registered")
    return j.client_id


async def erase(api: Api, j: Journey) -> list[uuid.UUID]:
    """The responsible organisation's officer erases the client on request; done already is done."""
    s = j.scenario
    resp = await api.request("POST", "intake", f"/clients/{j.client_id}/erasure", s.responsible,
                             json={"basis": "client_request"}, headers=_corr(s))
    if resp.status_code >= 500:
        resp.raise_for_status()
    if resp.status_code == 200:
        j.erasure_event_ids = [uuid.UUID(e) for e in resp.json()["event_ids"]]
    elif not await _erased(api, j):  # a retry after the erasure went through finds the client gone
        raise StepFailed(f"erasure: {resp.status_code} {resp.text}")
    j.steps.append("erased")
    return j.erasure_event_ids


async def _erased(api: Api, j: Journey) -> bool:
    resp = await api.request("GET", "intake", f"/clients/{j.client_id}", "operator", "operator")
    return resp.status_code == 404 or (resp.status_code == 200 and resp.json()["erased"] is True)


# --- assessment --------------------------------------------------------------------------------------------

async def case_of(api: Api, j: Journey) -> dict:
    """The client's assessment case once assessment has opened it (from intake's event)."""
    s = j.scenario

    async def probe() -> dict | None:
        resp = await api.request("GET", "assessment", f"/clients/{j.client_id}/case", s.responsible)
        if resp.status_code >= 500:
            resp.raise_for_status()
        return resp.json() if resp.status_code == 200 else None

    case = await api.until(probe, what=f"{s.name}: assessment case")
    j.assessment_id = uuid.UUID(case["assessment_id"])
    return case


def interview_time(today: date | None = None) -> datetime:
    """10:00 Helsinki time on the next working day (Monday to Friday) after today."""
    day = (today or today_in_finland()) + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, clock_time(10, 0), tzinfo=FINLAND).astimezone(UTC)


async def book_interview(api: Api, j: Journey) -> uuid.UUID:
    """Book the initial interview in Finnish or Swedish with an interpreter in the client's language (R27) unless the
    client knows Finnish or Swedish; the client is told how to cancel (R26). Not again once booked."""
    s = j.scenario
    case = await case_of(api, j)
    if case["status"] == "open":
        body: dict[str, Any] = {"scheduled_at": interview_time().isoformat(), "place": s.place,
                                "language": s.language, "cancellation_instructions_given": True}
        if s.language not in ("fi", "sv"):
            body |= {"language": "fi", "interpreter": {"language": s.language, "mode": "on_site"}}
        await api.ok("POST", "assessment", f"/cases/{j.assessment_id}/interview", s.responsible, json=body,
                     headers=_corr(s))
        case = await case_of(api, j)
    j.interview_id = uuid.UUID(case["interview"]["interview_id"])
    j.steps.append("interview booked")
    return j.interview_id


async def assess(api: Api, j: Journey, *, note: str | None = None) -> uuid.UUID:
    """The interview held with every R28 topic told, LUVN's confirmation where it takes part (R6), a note, the
    competence, and the completion (R4: a plan is needed). Each only if not done yet."""
    s = j.scenario
    today = today_in_finland().isoformat()
    base = f"/cases/{j.assessment_id}"
    case = await case_of(api, j)
    if case["status"] == "scheduled":
        await api.ok("POST", "assessment", f"{base}/interview/held", s.responsible,
                     json={"held_on": today, "information_given": sorted(R28_TOPICS)}, headers=_corr(s))
        case = await case_of(api, j)
    if case["luvn_required"] and case["luvn_confirmed_on"] is None:
        await api.ok("POST", "assessment", f"{base}/luvn-confirmation", "luvn", json={"confirmed_on": today},
                     headers=_corr(s))
    if note is not None:
        notes = await api.ok("GET", "assessment", f"{base}/notes", s.responsible)
        if not any(n["text"] == note for n in notes):
            await api.ok("POST", "assessment", f"{base}/notes", s.responsible, json={"text": note}, headers=_corr(s))
    if case["competence"] is None:
        await api.ok("PUT", "assessment", f"{base}/competence", s.responsible, json=COMPETENCE, headers=_corr(s))
    if case["completed_on"] is None:
        await api.ok("POST", "assessment", f"{base}/completion", s.responsible, json={"completed_on": today},
                     headers=_corr(s))
    j.steps.append("assessed")
    return j.assessment_id


# --- planning ------------------------------------------------------------------------------------------------

async def plan_of(api: Api, j: Journey) -> dict:
    """The client's plan once planning has opened it (from assessment's `AssessmentCompleted`), in detail."""
    s = j.scenario

    async def probe() -> list | None:
        plans = await api.ok("GET", "planning", f"/clients/{j.client_id}/plans", s.responsible)
        return plans or None

    plans = await api.until(probe, what=f"{s.name}: plan opened")
    j.plan_id = uuid.UUID(plans[0]["plan_id"])
    return await api.ok("GET", "planning", f"/plans/{j.plan_id}", s.responsible)


def _has(plan: dict, event_type: str) -> bool:
    return any(e["type"] == event_type for e in plan["events"])


async def issue_plan(api: Api, j: Journey, *, note: str | None = None, course: str = COURSE) -> uuid.UUID:
    """The plan drawn up for half a year with the course, agreed in the client's language (R19, R23)."""
    s = j.scenario
    today = today_in_finland()
    plan = await plan_of(api, j)
    if not _has(plan, "PlanIssued"):
        body = {"starts_on": today.isoformat(), "ends_on": (today + timedelta(days=182)).isoformat(),
                "goals": ["employment", "language_skills"], "services": [course], "job_search_obligation": True,
                "follow_up": ["review_meetings"], "reasons": ["language_first"],
                "agreement": {"agreed_on": today.isoformat(), "language": s.language, "interpreter": False}}
        if note is not None:
            body["note"] = note
        await api.ok("POST", "planning", f"/plans/{j.plan_id}/issue", s.responsible, json=body, headers=_corr(s))
    j.steps.append("plan issued")
    return j.plan_id


async def refer(api: Api, j: Journey, *, note: str | None = None, course: str = COURSE) -> uuid.UUID:
    """The plan's course referred (R12: within a month of drawing up), in a language the client knows (R21)."""
    s = j.scenario
    language = next(lang for lang in s.person.languages if lang in ("ar", "ru", "en"))
    made = await api.ok("GET", "guidance", "/referrals", s.responsible, params={"client_id": str(j.client_id)})
    mine = [r for r in made if r["service_code"] == course and r.get("plan_id") == str(j.plan_id)]
    if mine:
        j.referral_id = uuid.UUID(mine[0]["referral_id"])
    else:
        body = {"client_id": str(j.client_id), "service_code": course, "language": language,
                "plan_id": str(j.plan_id)}
        if note is not None:
            body["note"] = note

        async def made() -> dict | None:  # guidance learns of the plan from planning's PlanIssued: until then 404
            resp = await api.request("POST", "guidance", "/referrals", s.responsible, json=body, headers=_corr(s))
            if resp.status_code >= 500:
                resp.raise_for_status()
            if resp.status_code == 404 and "plan" in resp.text:
                return None
            if resp.status_code != 201:
                raise StepFailed(f"POST guidance/referrals: {resp.status_code} {resp.text}")
            return resp.json()

        answer = await api.until(made, what=f"{s.name}: guidance knows the plan")
        j.referral_id = uuid.UUID(answer["subject_id"])
    j.steps.append("referred")
    return j.referral_id


async def open_course(api: Api, code: str = LOAD_COURSE, *, like: str = COURSE) -> None:
    """Publish `code` in guidance's catalogue as Raseborg's officer: the catalogue's `like`, without a limit on
    places. Nothing if it is there already (the databases outlive a run)."""
    resp = await api.request("GET", "guidance", f"/catalogue/services/{code}", "raseborg")
    if resp.status_code == 200:
        return
    [spec] = [dict(s) for s in seed_data()["services"] if s["service_code"] == like]
    del spec["service_code"]
    await api.ok("PUT", "guidance", f"/catalogue/services/{code}", "raseborg", json={**spec, "capacity": None})


async def complete_course(api: Api, j: Journey) -> uuid.UUID:
    """The provider accepts the person into today's start, starts and completes the course."""
    s = j.scenario
    path = f"/referrals/{j.referral_id}"
    steps = {"made": ("acceptance", {"starts_on": today_in_finland().isoformat()}),
             "accepted": ("start", {}), "started": ("completion", {"outcome": "completed"})}
    while True:
        state = (await api.ok("GET", "guidance", path, COURSE_PROVIDER, "provider"))["state"]
        if state == "completed":
            break
        if state not in steps:
            raise StepFailed(f"{s.name}: referral {state}")
        action, body = steps[state]
        await api.ok("POST", "guidance", f"{path}/{action}", COURSE_PROVIDER, "provider", json=body,
                     headers=_corr(s))
    j.steps.append("course completed")
    return j.referral_id


async def review(api: Api, j: Journey) -> uuid.UUID:
    """R13: the plan reviewed on the client's request."""
    s = j.scenario
    plan = await api.ok("GET", "planning", f"/plans/{j.plan_id}", s.responsible)
    if not _has(plan, "PlanReviewed"):
        await api.ok("POST", "planning", f"/plans/{j.plan_id}/reviews", s.responsible,
                     json={"reviewed_on": today_in_finland().isoformat(), "occasion": "client_request"},
                     headers=_corr(s))
    j.steps.append("reviewed")
    return j.plan_id


async def extend(api: Api, j: Journey) -> uuid.UUID:
    """R14: the plan continued to a year within the maximum."""
    s = j.scenario
    plan = await api.ok("GET", "planning", f"/plans/{j.plan_id}", s.responsible)
    if not _has(plan, "PlanExtended"):
        until = (today_in_finland() + timedelta(days=364)).isoformat()
        await api.ok("POST", "planning", f"/plans/{j.plan_id}/extensions", s.responsible,
                     json={"until": until, "reason": "continued_within_maximum"}, headers=_corr(s))
    j.steps.append("extended")
    return j.plan_id


async def end_plan(api: Api, j: Journey) -> uuid.UUID:
    s = j.scenario
    plan = await api.ok("GET", "planning", f"/plans/{j.plan_id}", s.responsible)
    if not _has(plan, "PlanEnded"):
        await api.ok("POST", "planning", f"/plans/{j.plan_id}/end", s.responsible,
                     json={"ended_on": today_in_finland().isoformat(), "reason": "employment"}, headers=_corr(s))
    j.steps.append("plan ended")
    return j.plan_id


async def referral_recorded(api: Api, j: Journey) -> dict:
    """The plan once planning has recorded the referral under it (from guidance's `ReferralMade`, R12)."""
    s = j.scenario

    async def probe() -> dict | None:
        plan = await api.ok("GET", "planning", f"/plans/{j.plan_id}", s.responsible)
        return plan if plan["referrals"] else None

    return await api.until(probe, what=f"{s.name}: referral recorded on the plan")


# --- the whole journey ----------------------------------------------------------------------------------------

async def walk(system, s: Scenario, *, api: Api | None = None, notes: bool = True, course: str = COURSE,
               before_erasure: Callable[[Journey], Awaitable[None]] | None = None) -> Journey:
    """One client from registration to erasure. Each step is retried as a whole on a lost connection or a 5xx;
    `notes` adds free text (the person's name) to assessment, the plan and the referral, so the erasure has
    personal data to destroy in every service. `course`: the catalogue's service the plan agrees and the client is
    referred to (a load's: `LOAD_COURSE`). `before_erasure` runs (e.g. assertions) before the last step."""
    own = api is None
    api = api or Api(system)
    j = Journey(s)
    text = f"Notes about {s.person.name}, reachable at {s.person.phone}." if notes else None
    try:
        await api.call(lambda: register(api, j))
        await api.call(lambda: book_interview(api, j))
        await api.call(lambda: assess(api, j, note=text))
        await api.call(lambda: issue_plan(api, j, note=text, course=course))
        await api.call(lambda: refer(api, j, note=text, course=course))
        await api.call(lambda: referral_recorded(api, j))
        await api.call(lambda: complete_course(api, j))
        await api.call(lambda: review(api, j))
        await api.call(lambda: extend(api, j))
        await api.call(lambda: end_plan(api, j))
        if before_erasure is not None:
            await before_erasure(j)
        await api.call(lambda: erase(api, j))
    finally:
        if own:
            await api.close()
    return j
