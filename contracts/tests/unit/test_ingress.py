"""What organisations send to intake: identity codes, the person, each source's facts, the message."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest
from pydantic import ValidationError
from stdnum.fi import hetu

from contracts.ingress import (
    REGISTRATION,
    IngressMessage,
    InvalidIngressMessage,
    PersonalData,
    birth_date_of,
    identity_code,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("born", [date(1899, 12, 31), date(1952, 10, 13), date(2001, 2, 28), date(2019, 7, 1)])
@pytest.mark.parametrize("sign_choice", range(6))
def test_an_invented_identity_code_is_valid_and_encodes_its_birth_date(born, sign_choice):
    code = identity_code(born, 123, sign_choice)

    assert hetu.is_valid(code) and birth_date_of(code) == born


def test_a_temporary_identity_code_is_accepted():
    code = identity_code(date(1990, 4, 2), 950)

    assert PersonalData(name="A B", identity_code=code, date_of_birth=date(1990, 4, 2), languages=["ar"])


def test_a_birth_date_the_identity_code_contradicts_is_refused_naming_the_field():
    with pytest.raises(ValidationError, match="identity_code: does not encode date_of_birth"):
        PersonalData(name="A B", identity_code=identity_code(date(1990, 4, 2), 123), date_of_birth=date(1990, 4, 3),
                     languages=["ar"])


def test_a_newcomer_notice_is_for_a_foreign_native_language():
    facts = {"source": "municipal_newcomer_notice", "home_municipality": "inga", "first_permit_date": "2025-01-01",
             "moved_in_on": "2025-02-01"}

    assert REGISTRATION.validate_python({**facts, "native_language": "ar"}).native_language == "ar"
    with pytest.raises(ValidationError, match="native_language"):
        REGISTRATION.validate_python({**facts, "native_language": "sv"})


def test_an_invalid_message_names_the_fields_never_the_values():
    message = IngressMessage(message_id=uuid4(), type="Registration", sent_at=datetime.now(UTC),
                             body={"source": "kela_notification", "home_municipality": "Secret Street 1"},
                             sealed="v1.x.y")

    with pytest.raises(InvalidIngressMessage) as refused:
        message.registration()

    assert "home_municipality" in str(refused.value) and "Secret Street" not in str(refused.value)
    with pytest.raises(InvalidIngressMessage) as broken:
        IngressMessage.from_bytes(b'{"message_id": "Secret Street 1"}')
    assert "message_id" in str(broken.value) and "Secret Street" not in str(broken.value)
