"""Why intake refuses a command: always a rule id, and words without personal data."""

from __future__ import annotations

from backbone.errors import Rejected


class Refused(Rejected):
    """A command a rule forbids. `rule` is a law.md id (R7, R30...) or an ownership rule
    (`ownership.source`, `ownership.client`...); the message names fields, never values."""


class NotFound(LookupError):
    """No such client, or it is gone (erased or merged into another)."""

    def __init__(self, what: str) -> None:
        self.what = what
        super().__init__(what)


class Unchanged(Refused):
    """A command that would change nothing (a move to where the person lives already): answered as
    such, never as a success. `rule` starts with `unchanged.`."""


class PreconditionFailed(Exception):
    """An edit based on a version of the data that is no longer current (If-Match did not match)."""
