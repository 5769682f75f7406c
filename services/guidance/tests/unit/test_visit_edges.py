"""The guidance log's rules at their edges: no visitor at all on a client's visit, the interpreter as the
API hands it over (a string built at run time, compared by value), and the refusals' words (mutation
testing, issue 17)."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from contracts.events.guidance import AnonymousVisitRecorded, CounsellingTopic, CounsellingVisitRecorded
from guidance.domain.errors import Refused
from guidance.domain.visits import check_interpreter, check_place, visit_event
from services.guidance.tests.factories import client

pytestmark = pytest.mark.unit

OPEN = {("karis", "drop_in"), ("karis", "appointment")}


def built(word: str) -> str:
    """The same word as a new string object, as a parsed request carries it (never the interned literal)."""
    return "".join(list(word))


def visit(**changes):
    values = {"visit_id": uuid4(), "client": client(), "visited_on": date(2026, 3, 17), "mode": "drop_in",
              "place": "karis", "topics": (CounsellingTopic.HOUSING,), "language": "ar", "interpreter": "none",
              "visitors": 1, "open_places": OPEN}
    return visit_event(**{**values, **changes})


def test_R1_a_clients_visit_of_no_one_is_refused_too():
    with pytest.raises(Refused, match="^visit.visitors: visitors: a client's visit is one person"):
        visit(visitors=0)


def test_R1_an_anonymous_visit_of_one_is_recorded_as_a_count():
    event = visit(client=None, visitors=1)

    assert isinstance(event, AnonymousVisitRecorded) and event.visitors == 1


def test_R27_a_relative_named_in_a_parsed_request_is_refused():
    with pytest.raises(Refused, match="^R27: interpreter: a relative must not act as interpreter"):
        check_interpreter(built("relative"), "ar", client())


def test_R27_no_interpreter_named_in_a_parsed_request_needs_the_clients_language():
    with pytest.raises(Refused, match="^R27: interpreter: the visit is not in a language the client knows"):
        check_interpreter(built("none"), "fi", client())
    check_interpreter(built("none"), "ar", client())


def test_R27_a_professional_interpreter_for_someone_who_is_not_a_client():
    event = visit(client=None, interpreter="professional", language="th")

    assert isinstance(event, AnonymousVisitRecorded) and event.interpreter is True


def test_R27_a_professional_named_in_a_parsed_request_is_recorded_as_an_interpreter():
    event = visit(interpreter=built("professional"), language="fi")

    assert isinstance(event, CounsellingVisitRecorded) and event.interpreter is True


def test_the_place_refusals_name_the_field_and_the_kind_of_hours():
    with pytest.raises(Refused, match="^visit.place: place: phone and remote guidance have no place$"):
        check_place("remote", "karis", OPEN)
    with pytest.raises(Refused, match="^visit.place: place: a drop-in or an appointment names its place$"):
        check_place("appointment", None, OPEN)
    with pytest.raises(Refused, match="^visit.place: place: guidance has no drop-in hours there$"):
        check_place("drop_in", "hango", OPEN)


def test_phone_guidance_has_no_place_and_needs_no_opening_hours():
    check_place("phone", None, set())
    assert visit(mode="phone", place=None).place is None
