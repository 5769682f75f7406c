"""How a send attempt failed: for good, or for now (GOV.UK Notify's permanent and temporary failures)."""

from __future__ import annotations


class SendFailed(Exception):
    """An attempt failed. `permanent`: the same request will never succeed (a refused address, a
    rejected number); otherwise it may on a later try. `reason` is a `FailureReason` value; the
    message names classes and status codes only, never an address or a text."""

    def __init__(self, reason: str, detail: str, *, permanent: bool) -> None:
        self.reason, self.detail, self.permanent = reason, detail, permanent
        super().__init__(f"{reason}: {detail}")


class ClientGone(Exception):
    """Intake no longer has the person (erased): nothing may be sent."""
