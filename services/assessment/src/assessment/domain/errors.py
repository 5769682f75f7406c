"""Why assessment refuses a command: always a rule id, and words without personal data."""

from __future__ import annotations

from backbone.errors import Rejected


class Refused(Rejected):
    """A command a rule forbids. `rule` is a law.md id (R6, R27, R28...), an ownership rule
    (`ownership.case`) or a step of the process (`process.*`); the message names fields, never values."""


class NotFound(LookupError):
    """No such case, or its client was erased."""

    def __init__(self, what: str) -> None:
        self.what = what
        super().__init__(what)
