"""Command handlers: load the client, let the domain decide, keep vault and events in one transaction.

Every handler takes the command and `Deps`; a refusal raises `Refused` naming its rule, and nothing
of a refused command is kept. A conflict with a concurrent writer is retried from a fresh load.

The handlers live in sibling modules by use case (`registration`, `changes`, `duplicates`, `erasure`,
`jobs`, with what they share in `base`); this is the module the entrypoints and bootstrap import.
"""

from __future__ import annotations

from intake.service_layer.base import Deps, Outcome
from intake.service_layer.changes import (
    accept_unopposed_claims,
    change_home_municipality,
    change_jobseeker_status,
    claim_responsibility,
    decide_claim,
    decide_proposed_change,
    end_relationship,
    update_personal_data,
)
from intake.service_layer.duplicates import resolve_duplicate
from intake.service_layer.erasure import erase, erase_expired
from intake.service_layer.jobs import forget_idempotency_keys, review_responsibilities
from intake.service_layer.registration import register

__all__ = [
    "Deps",
    "Outcome",
    "accept_unopposed_claims",
    "claim_responsibility",
    "decide_claim",
    "decide_proposed_change",
    "change_home_municipality",
    "change_jobseeker_status",
    "end_relationship",
    "erase",
    "erase_expired",
    "forget_idempotency_keys",
    "register",
    "update_personal_data",
    "resolve_duplicate",
    "review_responsibilities",
]
