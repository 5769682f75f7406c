"""What the console derives from the trail's events: a client's state per part, open due dates and
the working group's follow-up figures. Pure functions over `Fact`s, so any past period can be
recomputed from the trail. Types they do not know are shown on timelines and otherwise ignored."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any
from uuid import UUID


@dataclass(frozen=True)
class Fact:
    """One event of the trail as the console reads it: ids, type and payload (codes and dates only)."""

    seq: int
    type: str
    producer: str
    organisation: str
    client_id: UUID
    occurred_at: datetime
    payload: dict[str, Any]

    def day(self, name: str) -> date | None:
        value = self.payload.get(name)
        try:
            return date.fromisoformat(value[:10]) if isinstance(value, str) else None
        except ValueError:
            return None


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def half_year(day: date) -> str:
    return f"{day.year}H{1 if day.month <= 6 else 2}"


# A client's state per part ------------------------------------------------------------------------
PARTS = ("intake", "assessment", "plan", "referrals", "messages")


def client_state(facts: list[Fact]) -> dict[str, str]:
    """The current state of each part of one client's process, from its events in trail order."""
    state = {part: "nothing yet" for part in PARTS}
    referrals: dict[str, str] = {}
    sent = failed = 0
    for f in facts:
        p = f.payload
        if f.type in ("ClientRegistered", "ClientSourceAdded") and p.get("state"):
            owner = p.get("responsible_organisation")
            state["intake"] = f"{p['state']}" + (f", responsible {owner}" if owner else "")
        elif f.type == "ResponsibilityAssigned":
            state["intake"] = f"responsible {p.get('responsible_organisation')} from {p.get('effective_on')}"
        elif f.type == "ClientRelationshipEnded":
            state["intake"] = f"relationship ended {p.get('ended_on')} ({p.get('reason')})"
        elif f.type == "ClientErased":
            state["intake"] = f"erased {p.get('erased_on')}"
        elif f.type == "InitialInterviewScheduled":
            state["assessment"] = f"initial interview scheduled, due {p.get('due_on')}"
        elif f.type == "AssessmentStarted":
            state["assessment"] = f"started {p.get('started_on')}"
        elif f.type == "AssessmentCompleted":
            need = "plan needed" if p.get("plan_needed") else "no plan needed"
            state["assessment"] = f"completed {p.get('completed_on')}, {need}"
        elif f.type == "PlanIssued":
            state["plan"] = f"issued, {p.get('starts_on')} to {p.get('ends_on')}"
        elif f.type == "PlanExtended":
            state["plan"] = f"extended until {p.get('until')} ({p.get('reason')})"
        elif f.type == "PlanEnded":
            state["plan"] = f"ended {p.get('ended_on')} ({p.get('reason')})"
        elif f.type in ("ReferralMade", "ReferralAccepted", "ReferralCompleted") and p.get("referral_id"):
            referrals[p["referral_id"]] = {"ReferralMade": "made", "ReferralAccepted": "accepted",
                                           "ReferralCompleted": "completed"}[f.type]
        elif f.type == "NotificationSent":
            sent += 1
        elif f.type == "NotificationFailed" and p.get("final", True):
            failed += 1
    if referrals:
        counts = Counter(referrals.values())
        state["referrals"] = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    if sent or failed:
        state["messages"] = f"{sent} delivered, {failed} failed"
    return state


# Deadlines ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Due:
    """An open due date: what is due, for which client, by when (None: "without delay"), and who owns it."""

    what: str
    rule: str
    client_id: UUID
    due_on: date | None
    organisation: str
    subject: str = ""


@dataclass
class _Client:
    owner: str | None = None
    municipality: str | None = None
    assessment_due: date | None = None
    languages: tuple[str, ...] = ()
    open: dict[tuple[str, str], Due] = field(default_factory=dict)


def _owner(c: _Client, f: Fact) -> str:
    return c.owner or f.organisation


def open_deadlines(facts: list[Fact]) -> list[Due]:
    """Due dates not yet met, from the trail's events: R8 assessment start, R9 initial interview,
    R10 plan after an assessment that needs one, R12 referral within a month of the plan, R13 plan
    review every 6 months. A client whose relationship ended or who was erased has none."""
    clients: dict[UUID, _Client] = defaultdict(_Client)
    for f in facts:
        c, p = clients[f.client_id], f.payload

        def opened(kind: str, rule: str, due: date | None, subject: str = "") -> None:
            c.open[(kind, subject)] = Due(kind, rule, f.client_id, due, _owner(c, f), subject)

        def closed(kind: str, subject: str = "") -> None:
            c.open.pop((kind, subject), None)

        if p.get("responsible_organisation"):
            c.owner = p["responsible_organisation"]
        if f.type in ("ClientRegistered", "ClientSourceAdded") and f.day("assessment_due_on"):
            if ("assessment start", "") not in c.open and not c.assessment_due:
                opened("assessment start", "R8", f.day("assessment_due_on"))
            c.assessment_due = c.assessment_due or f.day("assessment_due_on")
        elif f.type == "InitialInterviewScheduled":
            opened("initial interview", "R9", f.day("due_on"))
        elif f.type == "AssessmentStarted":
            closed("assessment start")
            closed("initial interview")
        elif f.type == "AssessmentCompleted":
            closed("assessment start")
            closed("initial interview")
            if p.get("plan_needed"):
                opened("plan", "R10", None)
        elif f.type == "PlanIssued" and p.get("plan_id"):
            closed("plan")
            start = f.day("starts_on") or f.occurred_at.date()
            opened("referral", "R12", add_months(start, 1), p["plan_id"])
            opened("plan review", "R13", add_months(start, 6), p["plan_id"])
        elif f.type == "ReferralMade" and p.get("plan_id"):
            closed("referral", p["plan_id"])
        elif f.type in ("PlanReviewed", "PlanExtended") and p.get("plan_id"):
            reviewed = f.day("reviewed_on") or f.occurred_at.date()
            opened("plan review", "R13", add_months(reviewed, 6), p["plan_id"])
        elif f.type == "PlanEnded" and p.get("plan_id"):
            closed("referral", p["plan_id"])
            closed("plan review", p["plan_id"])
        elif f.type in ("ClientRelationshipEnded", "ClientErased"):
            c.open.clear()
    # Whoever is responsible now owns what is still open, also what opened under a previous owner.
    dues = [replace(d, organisation=c.owner or d.organisation) for c in clients.values() for d in c.open.values()]
    return sorted(dues, key=lambda d: (d.due_on or date.min, d.what, str(d.client_id)))


# Follow-up figures --------------------------------------------------------------------------------
FIGURES: dict[str, str] = {
    "registrations": "Registrations by source",
    "on-time": "Initial interviews and assessments on time",
    "plans": "Plans issued and extended, by ground",
    "referrals": "Referrals within 1 month of the plan",
    "reviews-overdue": "Plan reviews overdue",
    "counselling": "Counselling visits by place and topic",
    "messages": "Messages delivered and failed, by channel and language",
}


@dataclass(frozen=True)
class Row:
    label: str
    value: float
    unit: str = ""  # "" for counts, "%" for shares


def figures(facts: list[Fact], municipality: str, half: str) -> dict[str, list[Row]]:
    """Every follow-up figure for one municipality (the client's home municipality) and half-year
    (e.g. "2026H2"), each a list of labelled values, from the trail's events in order."""
    counts: dict[str, Counter] = {k: Counter() for k in FIGURES}
    home: dict[UUID, str] = {}
    langs: dict[UUID, str] = {}
    due: dict[UUID, date] = {}
    plans: dict[str, tuple[UUID, date]] = {}
    referred: dict[str, date] = {}
    assessed: set[UUID] = set()

    def here(client: UUID, day: date | None) -> bool:
        return day is not None and home.get(client) == municipality and half_year(day) == half

    for f in facts:
        p, c = f.payload, f.client_id
        if p.get("home_municipality"):
            home[c] = p["home_municipality"]
        if p.get("languages"):
            langs[c] = p["languages"][0]
        if f.type in ("ClientRegistered", "ClientSourceAdded"):
            if f.day("assessment_due_on") and c not in due:
                due[c] = f.day("assessment_due_on")
            day = f.day("registered_on") or f.occurred_at.date()
            if here(c, day):
                counts["registrations"][p.get("source", "unknown")] += 1
        elif f.type == "InitialInterviewScheduled" and here(c, f.day("due_on")):
            on_time = f.day("scheduled_at") is not None and f.day("scheduled_at") <= f.day("due_on")
            counts["on-time"]["initial interviews on time" if on_time else "initial interviews late"] += 1
        elif f.type == "AssessmentStarted" and c not in assessed and c in due and here(c, due[c]):
            assessed.add(c)
            on_time = f.day("started_on") is not None and f.day("started_on") <= due[c]
            counts["on-time"]["assessments on time" if on_time else "assessments late"] += 1
        elif f.type == "PlanIssued" and p.get("plan_id"):
            start = f.day("starts_on") or f.occurred_at.date()
            plans[p["plan_id"]] = (c, start)
            if here(c, start):
                counts["plans"]["issued"] += 1
        elif f.type == "PlanExtended" and here(c, f.occurred_at.date()):
            counts["plans"][f"extended: {p.get('reason', 'unknown')}"] += 1
        elif f.type == "ReferralMade" and p.get("plan_id") and p["plan_id"] not in referred:
            referred[p["plan_id"]] = f.day("referred_on") or f.occurred_at.date()
        elif f.type == "DeadlineMissed" and p.get("deadline") == "plan_review" and here(c, f.day("due_on")):
            counts["reviews-overdue"]["reviews overdue"] += 1
        elif f.type == "CounsellingVisitRecorded" and here(c, f.day("visited_on")):
            place = p.get("place") or p.get("mode") or "unknown"
            for topic in p.get("topics") or ("unknown",):
                counts["counselling"][f"{place} / {topic}"] += 1
        elif f.type == "NotificationSent" and here(c, f.occurred_at.date()):
            counts["messages"][f"delivered / {p.get('channel')} / {p.get('language')}"] += 1
        elif f.type == "NotificationFailed" and p.get("final", True) and here(c, f.occurred_at.date()):
            counts["messages"][f"failed / {p.get('channel')} / {langs.get(c, 'unknown')}"] += 1

    for plan_id, (client, start) in plans.items():
        if here(client, start):
            made = referred.get(plan_id)
            counts["referrals"]["within 1 month" if made and made <= add_months(start, 1) else "later or not yet"] += 1

    out: dict[str, list[Row]] = {k: [Row(label, n) for label, n in sorted(v.items())] for k, v in counts.items()}
    out["on-time"] = _shares(counts["on-time"], ("initial interviews", "assessments")) + out["on-time"]
    out["referrals"] = _shares(counts["referrals"], ("within 1 month",), total_of=("within 1 month",
                                                                                    "later or not yet")) + out["referrals"]
    return out


def _shares(c: Counter, kinds: tuple[str, ...], total_of: tuple[str, ...] | None = None) -> list[Row]:
    rows = []
    for kind in kinds:
        if total_of is not None:
            total, good = sum(c[t] for t in total_of), c[kind]
            label = f"share {kind}"
        else:
            good, total = c[f"{kind} on time"], c[f"{kind} on time"] + c[f"{kind} late"]
            label = f"share of {kind} on time"
        if total:
            rows.append(Row(label, round(100 * good / total, 1), "%"))
    return rows
