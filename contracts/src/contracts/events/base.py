"""The base of every event payload, and the check that ties a rule id to its reason."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from contracts.vocabulary import Service


class Event(BaseModel):
    """An event payload: frozen, closed to unknown fields, and versioned.

    Subclasses set `TYPE` (past tense, e.g. "PlanIssued"), `VERSION` (from 1) and `PRODUCER`, the
    only service that may publish it. Ids, times and the actor live in the envelope. Fields are
    codes, dates and pseudonymous ids only: never names, identity codes, birth dates, addresses,
    phone numbers, e-mail addresses or free text.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    TYPE: ClassVar[str]
    VERSION: ClassVar[int]
    PRODUCER: ClassVar[Service]

    @classmethod
    def published_by(cls, producer: str) -> bool:
        """May `producer` publish this event? Only its `PRODUCER` (operations events: any service)."""
        return producer == cls.PRODUCER


def with_default_rule(data: Any, field: str, rules: Mapping[Any, str]) -> Any:
    """Fill in `rule` from `rules[data[field]]` when the caller left it out.

    Lets a domain model write `PlanExtended(plan_id=…, until=…, reason=…)` while the payload still
    names the rule for readers that do not know the mapping (audit, operators).
    """
    if not isinstance(data, dict) or "rule" in data:
        return data
    key = data.get(field)
    if isinstance(key, str) and key in rules:
        return {**data, "rule": rules[key]}
    return data


def check_rule(rule: str, expected: str, field: str) -> None:
    """Refuse a rule id that does not belong to the value of `field`."""
    if rule != expected:
        raise ValueError(f"rule must be {expected} for this {field}")
