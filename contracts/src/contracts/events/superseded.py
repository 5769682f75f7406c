"""Superseded versions of events, kept so that old messages stay readable, and their upcasters.

Each upcaster turns version N of an event into version N+1; the registry chains them up to the
latest. The latest versions live in their area's module.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, ClassVar
from uuid import UUID

from contracts.events.base import Event
from contracts.events.intake import ClientRegistered, IntakeEvent, TargetGroups
from contracts.vocabulary import LanguageCode, Municipality, Organisation, RegistrationSource, TargetGroup


class ClientRegisteredV1(IntakeEvent):
    """A person became known to integration services (v1: a single language, no state)."""

    TYPE: ClassVar[str] = "ClientRegistered"
    VERSION: ClassVar[int] = 1

    client_id: UUID
    home_municipality: Municipality
    language: LanguageCode
    target_groups: TargetGroups
    window_ends_on: date
    source: RegistrationSource
    responsible_organisation: Organisation


# The groups for which the programme asks for a multi-sector (now: LUVN-participating) assessment.
_LUVN_GROUPS = frozenset(
    {
        TargetGroup.INTERNATIONAL_PROTECTION,
        TargetGroup.SOCIAL_ASSISTANCE,
        TargetGroup.UNACCOMPANIED_MINOR,
        TargetGroup.TRAFFICKING_VICTIM,
    }
)


def upcast_client_registered_v1(old: ClientRegisteredV1) -> ClientRegistered:
    """Read a v1 registration as v2: one language becomes a list; state and LUVN follow the groups.

    v1 producers set no assessment target, so `assessment_due_on` stays unknown (None).
    """
    return ClientRegistered(
        client_id=old.client_id,
        home_municipality=old.home_municipality,
        languages=(old.language,),
        target_groups=old.target_groups,
        window_ends_on=old.window_ends_on,
        source=old.source,
        responsible_organisation=old.responsible_organisation,
        luvn_participation_required=not _LUVN_GROUPS.isdisjoint(old.target_groups),
        state="to_be_assessed" if old.target_groups else "guidance_only",
        assessment_due_on=None,
    )


EVENTS: tuple[type[Event], ...] = (ClientRegisteredV1,)
UPCASTERS: dict[type[Event], Callable[[Any], Event]] = {ClientRegisteredV1: upcast_client_registered_v1}
