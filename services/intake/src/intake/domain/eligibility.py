"""Who must be assessed (R2, R3) and who is offered guidance only (R1). Pure: the day is passed in.

The 3-year window runs from the **first residence permit / residence card / registration of right
of residence**, not from the day of moving to Finland as the programme text says (law.md, "Where the
programme and the statute differ"): both dates are stored, the permit date decides.
No name, identity code or date of birth enters here: the caller passes `under_23` instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from contracts.vocabulary import ClientState, TargetGroup

WINDOW_YEARS = 3

Reason = tuple[str, str]
"""A reason code and the rule id that gives it, e.g. ("window_expired", "R2")."""


@dataclass(frozen=True)
class PersonFacts:
    """What eligibility depends on; codes, dates and a flag only, never who the person is."""

    first_permit_date: date
    target_groups: tuple[TargetGroup, ...] = ()
    """Any collection of codes is accepted; stored as a tuple without repeats."""
    under_23: bool = False
    moved_on: date | None = None
    """Stored for the record; never decisive (the window runs from `first_permit_date`)."""

    def __post_init__(self) -> None:
        groups = tuple(dict.fromkeys(TargetGroup(group) for group in self.target_groups))
        object.__setattr__(self, "target_groups", groups)

    def qualifying_groups(self) -> tuple[TargetGroup, ...]:
        """The target groups that count (R2): an unaccompanied minor or young person only under 23."""
        if self.under_23:
            return self.target_groups
        return tuple(group for group in self.target_groups if group != TargetGroup.UNACCOMPANIED_MINOR)


@dataclass(frozen=True)
class Eligibility:
    """The decision for one day: to be assessed (R2/R3) or guidance only (R1)."""

    state: ClientState
    window_ends_on: date
    reason: Reason
    rules_applied: tuple[str, ...]
    qualifying_groups: tuple[TargetGroup, ...] = field(default=())

    @property
    def guidance_available(self) -> bool:
        """R1: guidance and counselling are for every immigrant, whatever the reason or time in Finland."""
        return True


def window_ends_on(first_permit_date: date) -> date:
    """R2/R11: three years after the first residence permit; from 29 February, the 28th."""
    year = first_permit_date.year + WINDOW_YEARS
    try:
        return first_permit_date.replace(year=year)
    except ValueError:  # 29 February: the month of the due year has no such day, so its last day
        return date(year, 3, 1) - timedelta(days=1)


def decide_eligibility(facts: PersonFacts, day: date) -> Eligibility:
    """R1-R3 on `day`. The window's last day is `window_ends_on` (permit date + 3 years) itself."""
    return decide_on_window(facts.qualifying_groups(), window_ends_on(facts.first_permit_date), day)


def decide_on_window(groups: tuple[TargetGroup, ...], ends_on: date, day: date) -> Eligibility:
    """R1-R3 for qualifying `groups` (see `PersonFacts.qualifying_groups`) and a known window end."""
    state, reason = _decide(groups, within_window=day <= ends_on)
    rules = ("R1", "R2", "R3") if TargetGroup.TRAFFICKING_VICTIM in groups else ("R1", "R2")
    return Eligibility(state, ends_on, reason, rules, groups)


def _decide(groups: tuple[TargetGroup, ...], *, within_window: bool) -> tuple[ClientState, Reason]:
    if not groups:
        return "guidance_only", ("no_qualifying_target_group", "R2")
    if within_window:
        return "to_be_assessed", ("target_group_within_window", "R2")
    if TargetGroup.TRAFFICKING_VICTIM in groups:
        return "to_be_assessed", ("trafficking_victim_after_window", "R3")
    return "guidance_only", ("window_expired", "R2")
