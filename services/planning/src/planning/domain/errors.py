"""Why planning refuses a command: always a rule id, and words without personal data."""

from __future__ import annotations

from backbone.errors import Rejected


class Refused(Rejected):
    """A command a rule forbids. `rule` is a law.md id (R10-R19, R23, R25...), an ownership rule
    (`ownership.plan`), a state rule (`state.plan`) or a field (`field.until`); the message names fields,
    never values."""


class NotFound(LookupError):
    """No such plan or client, or it is gone (erased)."""

    def __init__(self, what: str) -> None:
        self.what = what
        super().__init__(what)
