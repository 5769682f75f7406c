"""Why guidance refuses a command: always a rule id, and words that name fields, never values."""

from __future__ import annotations

from backbone.errors import Rejected


class Refused(Rejected):
    """A command a rule forbids. `rule` is a law.md id (R12, R21, R22, R27...), a programme rule
    (`programme.swedish_training`), an ownership rule (`ownership.client`, `ownership.provider`) or a
    state rule (`referral.state`)."""


class NotFound(LookupError):
    """No such client, referral, service or plan, or one the caller may not see."""

    def __init__(self, what: str) -> None:
        self.what = what
        super().__init__(what)
