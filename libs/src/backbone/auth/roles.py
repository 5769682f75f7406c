"""Who may hold which role, and what a credential's label must be."""

from __future__ import annotations

import re

from contracts.topics import OPERATOR, SERVICES, principals

ROLES: tuple[str, ...] = ("officer", "system", "operator", "service", "provider")
"""The roles a credential can carry:

- ``officer``: a person at an organisation using a desk application (the credential is the desk's).
- ``system``: an organisation's own system calling the API (case management, batch transfers).
- ``operator``: watches the system (health, lag, dead letters); sees no personal data.
- ``service``: another backbone service calling this one; the principal is that service's name.
- ``provider``: a course organiser of guidance's catalogue (a school, an association) answering the
  referrals made to it; the principal is ``provider:<provider code>``.
"""

PROVIDER_PREFIX = "provider:"
_PROVIDER = re.compile(r"^provider:[a-z][a-z0-9-]{1,40}$")


def is_provider(principal: str) -> bool:
    """Whether `principal` names a provider, `provider:<code>` (the code as in guidance's catalogue)."""
    return bool(_PROVIDER.fullmatch(principal))

LABEL_MAX = 200


def roles_for(principal: str) -> tuple[str, ...]:
    """A service calls as `service`, the operator as `operator`, an organisation as `officer` or `system`."""
    if principal in SERVICES:
        return ("service",)
    if principal == OPERATOR:
        return ("operator",)
    if is_provider(principal):
        return ("provider",)
    return ("officer", "system")


def check_principal_and_role(principal: str, role: str) -> None:
    """Raise ValueError naming the field when the principal, the role or the pair is not allowed."""
    if principal not in principals() and not is_provider(principal):
        raise ValueError(f"principal: {principal!r} is not one of {', '.join(principals())} or provider:<code>")
    if role not in ROLES:
        raise ValueError(f"role: {role!r} is not one of {', '.join(ROLES)}")
    if role not in roles_for(principal):
        raise ValueError(f"role: {principal} may hold {' or '.join(roles_for(principal))}, not {role}")


def check_label(label: str) -> str:
    """The label without surrounding blanks; raise ValueError when it is empty or too long."""
    label = label.strip()
    if not 1 <= len(label) <= LABEL_MAX:
        raise ValueError(f"label: must say which system or desk holds the credential, 1 to {LABEL_MAX} characters")
    return label
