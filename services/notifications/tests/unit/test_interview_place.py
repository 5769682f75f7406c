"""R26: the invitation and the reminder name where the interview is, from the booking's place code
(InitialInterviewScheduled v2), not from the home municipality's office."""

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from contracts.events.assessment import InitialInterviewScheduled, ServicePoint
from notifications.adapters.intake import Contact
from notifications.adapters.postgres import Message
from notifications.domain.offices import AT_A_DISTANCE, office_of, place_values, service_points
from notifications.domain.templates import TemplateError, catalogue
from notifications.domain.triggers import triggered
from notifications.service_layer.dispatch import compose
from notifications.service_layer.events import params_of

pytestmark = pytest.mark.unit

INTERVIEW_TEMPLATES = ("interview_invitation", "interview_reminder")
AT = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


def booked(place: str) -> InitialInterviewScheduled:
    return InitialInterviewScheduled(interview_id=uuid4(), assessment_id=uuid4(), scheduled_at=AT, place=place,
                                     responsible_organisation="raseborg", due_on=AT.date(), due_rule="R8",
                                     cancellation_instructions_given=True, language="fi", interpreter=True)


def message(template_code: str, params: dict, home: str = "inga") -> Message:
    return Message(uuid4(), uuid4(), uuid4(), uuid4(), template_code, ("sms", "email"), params, "raseborg", "sending",
                   None, None, 1, AT, AT, 1, home, ("sv",))


def contact(language: str) -> Contact:
    return Contact(name="Test Person", email="test@example.org", phone="+358 50 000 0000", address=None,
                   languages=(language,))


def test_every_place_an_interview_can_be_booked_at_has_an_address_or_is_at_a_distance():
    assert {p.value for p in ServicePoint} == set(service_points()) | set(AT_A_DISTANCE)


def test_both_interview_messages_take_the_place_code_from_the_booking():
    for trigger in triggered("InitialInterviewScheduled", booked("hanko")):
        assert params_of(trigger, booked("hanko"))["place"] == "hanko", trigger.template


@pytest.mark.parametrize("code", INTERVIEW_TEMPLATES)
def test_r26_a_service_point_booking_names_that_service_point_not_the_home_office_in_every_language(code):
    for language in catalogue()[code]:
        params = {**params_of(triggered("InitialInterviewScheduled", booked("karis"))[0], booked("karis")),
                  "interpreter": True}
        rendered = compose(message(code, params), contact(language))

        assert rendered.language == language
        for part in (rendered.text, rendered.sms):
            assert service_points()["karis"] in part, (code, language)
            assert office_of("inga")["place"] not in part, (code, language)
            assert office_of("inga")["cancel_phone"] in part, (code, language)  # cancelling stays the office's


@pytest.mark.parametrize("code", INTERVIEW_TEMPLATES)
@pytest.mark.parametrize("place", AT_A_DISTANCE)
def test_r26_an_interview_at_a_distance_is_said_in_words_in_every_language(code, place):
    for language, t in catalogue()[code].items():
        rendered = compose(message(code, {"scheduled_at": AT.isoformat(), "place": place, "interpreter": False,
                                          "language": "fi"}), contact(language))

        assert t.phrases[f"place_{place}"] in rendered.sms, (code, language)
        assert office_of("inga")["place"] not in rendered.text, (code, language)


def test_a_message_queued_without_a_place_keeps_the_home_municipalitys_office():
    assert place_values({"scheduled_at": AT.isoformat()}) == {}
    rendered = compose(message("interview_invitation", {"scheduled_at": AT.isoformat(), "interpreter": False,
                                                        "language": "sv"}), contact("sv"))
    assert office_of("inga")["place"] in rendered.sms


def test_an_unknown_place_code_fails_loudly_rather_than_sending_a_code():
    with pytest.raises(TemplateError, match="service point"):
        place_values({"place": "lohja"})
