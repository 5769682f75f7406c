"""The guidance and counselling log: what a visit must record (R1, R27). Pure.

Guidance is for everyone (R1): a visit names a client, or nobody at all (an anonymous visit, counted
only). Interpretation (R27): the authority arranges it when the visit is not in a language the person
knows; a relative must not act as interpreter.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal
from uuid import UUID

from contracts.events.guidance import AnonymousVisitRecorded, CounsellingTopic, CounsellingVisitRecorded
from guidance.domain.errors import Refused
from guidance.domain.referral import ClientFacts

Interpreter = Literal["none", "professional", "relative"]
Mode = Literal["drop_in", "appointment", "phone", "remote"]


def check_interpreter(interpreter: Interpreter, language: str, client: ClientFacts | None) -> None:
    """R27: never a relative; and a client seen in a language they do not know needs an interpreter."""
    if interpreter == "relative":
        raise Refused("R27", "interpreter: a relative must not act as interpreter; arrange a professional one")
    if client is not None and interpreter == "none" and language not in client.languages:
        raise Refused("R27", "interpreter: the visit is not in a language the client knows; the authority "
                             "arranges an interpreter")


def check_place(mode: Mode, place: str | None, open_places: Collection[tuple[str, str]]) -> None:
    """Drop-in and appointments happen where guidance has such hours (data: the opening hours); phone and
    remote guidance have no place."""
    if mode in ("phone", "remote"):
        if place is not None:
            raise Refused("visit.place", "place: phone and remote guidance have no place")
        return
    if place is None:
        raise Refused("visit.place", "place: a drop-in or an appointment names its place")
    if (place, mode) not in open_places:
        raise Refused("visit.place", f"place: guidance has no {mode.replace('_', '-')} hours there")


def visit_event(*, visit_id: UUID, client: ClientFacts | None, visited_on, mode: Mode, place: str | None,
                topics: tuple[CounsellingTopic, ...], language: str, interpreter: Interpreter,
                visitors: int, open_places: Collection[tuple[str, str]]):
    """The event a visit publishes: a client's visit, or, for people who are not clients, a count (R1)."""
    check_interpreter(interpreter, language, client)
    check_place(mode, place, open_places)
    facts = {"visit_id": visit_id, "visited_on": visited_on, "mode": mode, "place": place, "topics": topics,
             "language": language, "interpreter": interpreter == "professional"}
    if client is None:
        return AnonymousVisitRecorded(**facts, visitors=visitors)
    if visitors != 1:
        raise Refused("visit.visitors", "visitors: a client's visit is one person; count others anonymously")
    return CounsellingVisitRecorded(**facts)
