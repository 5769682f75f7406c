"""The guidance log's rules: R1 (everyone, non-clients as counts only) and R27 (interpretation)."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from contracts.events.guidance import AnonymousVisitRecorded, CounsellingTopic, CounsellingVisitRecorded
from guidance.domain.errors import Refused
from guidance.domain.visits import visit_event
from services.guidance.tests.factories import client

pytestmark = pytest.mark.unit

OPEN = {("karis", "drop_in"), ("hango", "drop_in"), ("karis", "appointment"), ("hango", "appointment"),
        ("inga", "appointment"), ("ekenas", "appointment")}


def visit(**changes):
    values = {"visit_id": uuid4(), "client": client(), "visited_on": date(2026, 3, 17), "mode": "drop_in",
              "place": "karis", "topics": (CounsellingTopic.HOUSING,), "language": "ar", "interpreter": "none",
              "visitors": 1, "open_places": OPEN}
    return visit_event(**{**values, **changes})


def refusal(**changes) -> Refused:
    with pytest.raises(Refused) as caught:
        visit(**changes)
    return caught.value


def test_R1_a_client_visit_is_recorded_for_the_client():
    assert isinstance(visit(), CounsellingVisitRecorded)


def test_R1_someone_who_is_not_a_client_is_counted_without_a_person():
    event = visit(client=None, visitors=3, language="th")

    assert isinstance(event, AnonymousVisitRecorded) and event.visitors == 3


def test_R1_a_clients_visit_is_one_person():
    assert refusal(visitors=2).rule == "visit.visitors"


def test_R27_a_relative_must_not_interpret():
    error = refusal(interpreter="relative", language="fi")

    assert error.rule == "R27" and error.reason.startswith("interpreter:")


def test_R27_a_relative_must_not_interpret_for_someone_who_is_not_a_client_either():
    assert refusal(client=None, interpreter="relative").rule == "R27"


def test_R27_a_visit_in_a_language_the_client_does_not_know_needs_an_interpreter():
    assert refusal(language="fi").rule == "R27"
    event = visit(language="fi", interpreter="professional")
    assert event.interpreter is True


def test_R27_a_visit_in_the_clients_language_needs_none():
    assert visit(language="en").interpreter is False


@pytest.mark.parametrize(("mode", "place"), [("drop_in", "inga"), ("drop_in", "ekenas"), ("drop_in", None),
                                             ("appointment", None), ("phone", "karis")])
def test_drop_in_and_appointments_happen_where_guidance_has_such_hours(mode, place):
    assert refusal(mode=mode, place=place).rule == "visit.place"


@pytest.mark.parametrize(("mode", "place"), [("drop_in", "hango"), ("appointment", "inga"), ("remote", None)])
def test_visits_where_guidance_is_open(mode, place):
    assert visit(mode=mode, place=place).mode == mode
