"""Invented people are valid and varied, and the bus scan's detector finds each of their details while
real envelopes, sealed ingress messages, ids and timestamps pass clean."""

from __future__ import annotations

import functools
import importlib.util
import json
import re
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.fi import hetu

from contracts.envelope import Envelope
from contracts.ingress import IngressMessage, PersonalData, birth_date_of, sealing_context
from contracts.registry import CATALOGUE
from contracts.sealing import generate_private_key, public_key, seal
from contracts.vocabulary import Language, Municipality
from intake.demo import demo_client
from tests.support.people import DOMAINS, NAME_PARTS, NAMES, invent, people
from tests.support.pii_scan import SOUGHT_NAMES, STOP_WORDS, findings

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = public_key(generate_private_key())


def kinds(data: bytes | str) -> set[str]:
    return {finding.split(" at offset ")[0] for finding in findings(data)}


def personal_data(person) -> PersonalData:
    return PersonalData.model_validate(person.personal_data())


class TestInvent:
    def test_the_same_seed_gives_the_same_person_and_another_seed_another(self):
        assert invent(7) == invent(7) and invent("seven") == invent("seven")
        assert len({invent(seed) for seed in range(50)}) == 50

    def test_identity_codes_are_valid_encode_the_birth_date_and_use_every_century_sign(self):
        crowd = [invent(seed) for seed in range(600)]

        assert all(hetu.is_valid(p.identity_code) for p in crowd)
        assert all(birth_date_of(p.identity_code) == p.date_of_birth for p in crowd)
        assert {p.identity_code[6] for p in crowd} == set("-YXWVUABCDEF")

    def test_an_overridden_birth_date_gets_a_matching_identity_code(self):
        person = invent(3, date_of_birth=date(2023, 5, 1))

        assert person.identity_code[:7] in {f"010523{sign}" for sign in "ABCDEF"}
        assert hetu.is_valid(person.identity_code) and person.name == invent(3).name

    @given(person=people())
    def test_contact_details_cannot_reach_anyone(self, person):
        assert person.email.rsplit("@", 1)[1] in DOMAINS
        assert re.fullmatch(r"\+358 (4[0-6]|50) 000 \d{4}", person.phone)
        assert (person.postal_code, person.home_municipality) in {
            ("10600", "raseborg"), ("10300", "raseborg"), ("10900", "hango"), ("10210", "inga")}

    @given(person=people())
    def test_every_invented_person_is_valid_personal_data_of_an_ingress_message(self, person):
        assert personal_data(person).identity_code == person.identity_code

    def test_names_and_languages_cover_every_programme_language_and_script(self):
        crowd = [invent(seed) for seed in range(600)]

        assert {p.languages[0] for p in crowd} == {language.value for language in Language}
        assert {p.home_municipality for p in crowd} == {m.value for m in Municipality}
        assert set(NAMES) == {language.value for language in Language}
        assert {p.name.split()[0] for p in crowd} | {p.name.split()[1] for p in crowd} <= NAME_PARTS


class TestWhatTheScanLooksFor:
    def test_every_invented_name_part_is_looked_for(self):
        assert {part.casefold() for part in NAME_PARTS} <= SOUGHT_NAMES

    def test_every_name_part_is_one_word_of_at_least_four_characters(self):
        assert all(len(part) >= 4 and " " not in part and "-" not in part for part in NAME_PARTS)

    def test_no_code_of_the_vocabulary_or_topics_is_looked_for_as_a_name(self):
        from contracts import topics, vocabulary

        codes = {str(m.value).casefold() for enum in vars(vocabulary).values()
                 if isinstance(enum, type) and issubclass(enum, vocabulary.StrEnum) for m in enum}
        codes |= set(topics.SERVICES) | set(topics.ORGANISATIONS) | {topics.OPERATOR}
        words = {word for code in codes for word in re.split(r"[^\w]+|_", code) if word}

        assert not words & SOUGHT_NAMES
        assert STOP_WORDS.isdisjoint(SOUGHT_NAMES)


FIELDS = ("name", "identity_code", "email", "phone", "street_address")
EXPECTED = {"name": "name", "identity_code": "identity code", "email": "e-mail address",
            "phone": "phone number", "street_address": "street address"}


class TestFindsPersonalData:
    @given(person=people(), ascii_only=st.booleans())
    def test_every_detail_of_an_invented_person_is_found_in_json(self, person, ascii_only):
        for field in FIELDS:
            document = json.dumps({"client": str(uuid.uuid4()), field: getattr(person, field)}, ensure_ascii=ascii_only)

            assert EXPECTED[field] in kinds(document), field

    @given(person=people())
    def test_a_person_leaked_into_a_dead_letter_reason_is_found(self, person):
        reason = f"handler failed: ValueError: no client {person.name} born {person.identity_code}"

        assert kinds(reason.encode()) == {"name", "identity code"}

    def test_reports_kind_and_offset_never_the_value(self):
        person = invent(1)
        document = json.dumps({"id": str(uuid.uuid4()), "hetu": person.identity_code})

        found = findings(document)

        assert found == [f"identity code at offset {document.index(person.identity_code)}"]
        assert person.identity_code not in " ".join(found)

    def test_the_demo_clients_of_intake_are_found(self):
        for n in range(12):
            assert "name" in kinds(json.dumps(demo_client(n, date(2026, 3, 2)))), n

    @pytest.mark.parametrize("text", [
        "puh. +358 50 000 1234", "tel +358-40-000-5678", "+358400001234", "+44 7700 900123",
        "ANNELIE brunnhuber", "Pawłowska,Kowalczyk", "\u0627\u0644\u0646\u062c\u0627\u0631 يوسف",
        "sent to eeva.1234@example.org.", "131052-308T", "131052a308t", "010594Y9032", "010594-9021", "020110F4517",
        "Esimerkkitie 12 B 4", "10600 Ekenäs",
    ])
    def test_finds_details_however_they_are_written(self, text):
        assert findings(text)


class TestLeavesTheBusAlone:
    @pytest.mark.parametrize("text", [
        "2026-03-02T09:30:00+00:00", "2026-03-02T09:30:00.123456+02:00", "2026-03-02", "+2026-03-02",
        "f47ac10b-58cc-4372-a567-0e02b2c3d479", "0190a6b8-2f3e-7c1a-9b2d-4e5f60718293",
        "0190a6b8-ebba-7c1a-9b2d-4e5f60718293", "ebba0a6b-2f3e-7c1a-9b2d-4e5f6071abbe",
        "1.2.3", "v2.14.0", "1.0.0+20260302", "3.14159", "+1234.5678", "+12345678.5", "1e+12345678",
        "-12345678.25", "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "131052-308U", "310252-308Y", "dlq.offset=123456", "officer-17", "R15", "employment-region",
        "integration.intake.v1", "deadletter.audit.v1", "ClientRegistered", "own_request_or_authority_contact",
        "Inga", "hango", "karis", "service_agreement 3", "example.org",
    ])
    def test_ids_times_versions_numbers_and_codes_are_not_personal_data(self, text):
        assert findings(json.dumps({"value": text})) == []

    def test_envelopes_of_every_event_version_carry_no_personal_data(self):
        for _ in range(50):
            for envelope in envelopes():
                assert findings(envelope.to_bytes()) == [], envelope.type
                assert findings(envelope.key()) == []

    @settings(max_examples=60)
    @given(person=people())
    def test_a_sealed_registration_carries_no_personal_data(self, person):
        message_id = uuid.uuid4()
        sealed = seal(PUBLIC, personal_data(person).model_dump_json().encode(), context=sealing_context(message_id))
        message = IngressMessage(message_id=message_id, type="Registration", sent_at=datetime.now(UTC), sealed=sealed,
                                 body={"source": "refugee_placement", "home_municipality": person.home_municipality,
                                       "first_permit_date": "2025-09-01", "protection": "family_member",
                                       "placed_on": "2025-10-01", "target_groups": ["family_member"]})

        assert findings(message.to_bytes()) == []


@functools.cache
def contract_factories() -> ModuleType:
    """contracts/tests/conftest.py keeps a valid instance of every event version up to date: reuse it, not a copy."""
    spec = importlib.util.spec_from_file_location("contract_factories", ROOT / "contracts" / "tests" / "conftest.py")
    factories = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(factories)
    return factories


def envelopes() -> list[Envelope]:
    """One envelope of every version of every event in the catalogue, with fresh ids."""
    factories = contract_factories()
    return [factories.wrap(factories.make_event(type_, version), correlation_id=uuid.uuid4(), causation_id=uuid.uuid4())
            for type_ in CATALOGUE.types() for version in CATALOGUE.versions(type_)]
