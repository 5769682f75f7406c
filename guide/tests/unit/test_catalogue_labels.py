"""Every code that can reach the guide from a catalogue has a label in each complete language: the codes of
guidance's seeded catalogue (read from guidance's own data file, so the test follows the data), the
places and kinds guidance's contract allows, and the codes of the guide's stand-in catalogue; no label is
left that no code uses; and a code with no label is shown in words, never raw."""

from __future__ import annotations

import json
import re
from datetime import date
from importlib.resources import files

import pytest

from contracts.events.guidance import Place, ServiceKind
from guide import i18n
from guide.catalogue import PROGRAMME_HOURS, PROGRAMME_SERVICES, ProgrammeCatalogue, RowSource, ServiceInfo
from guide.tests.unit.conftest import mounted
from guide.web import _label, readable

pytestmark = pytest.mark.unit

LABELLED = ("service", "provider", "place", "pace", "kind")
"""The prefixes `_label` is called with (kind: the fallback of a service code)."""


def seeded() -> dict:
    return json.loads((files("guidance") / "data" / "catalogue.json").read_text(encoding="utf-8"))


def seeded_keys() -> set[str]:
    data = seeded()
    keys: set[str] = set()
    for s in data["services"]:
        keys |= {f"service.{s['service_code']}", f"provider.{s['provider_code']}", f"kind.{s['kind']}"}
        keys |= {f"place.{p}" for p in s["places"]} | {f"pace.{p}" for p in s["paces"]}
        keys |= {f"pace.{start['pace']}" for start in s.get("starts", ()) if "pace" in start}
    keys |= {f"place.{h['place']}" for h in data["opening_hours"]}
    return keys


def stand_in_keys() -> set[str]:
    keys: set[str] = set()
    for s in PROGRAMME_SERVICES:
        keys |= {f"service.{s.code}", f"provider.{s.provider}"} | {f"place.{p}" for p in s.places}
        keys |= {f"pace.{p}" for p in s.pace}
    return keys | {f"place.{h.place}" for h in PROGRAMME_HOURS}


def contract_keys() -> set[str]:
    """What an officer may publish later: any place and kind of guidance's contract."""
    return {f"place.{p.value}" for p in Place} | {f"kind.{k.value}" for k in ServiceKind}


def test_the_seeded_catalogue_is_read_from_guidance_and_has_its_codes():
    keys = seeded_keys()

    assert {"service.integration_training.karis", "provider.mbi-raseborg", "place.hango", "place.inga",
            "pace.slow", "kind.language_cafe"} <= keys
    assert len([k for k in keys if k.startswith("service.")]) == len(seeded()["services"])


@pytest.mark.parametrize("language", i18n.COMPLETE)
def test_every_code_of_guidances_seeded_catalogue_has_a_label(language):
    own = i18n.messages(language)

    assert sorted(seeded_keys() - set(own)) == []


@pytest.mark.parametrize("language", i18n.COMPLETE)
def test_every_place_and_kind_guidance_may_publish_has_a_label(language):
    assert sorted(contract_keys() - set(i18n.messages(language))) == []


@pytest.mark.parametrize("language", i18n.COMPLETE)
def test_every_code_of_the_stand_in_catalogue_has_a_label(language):
    assert sorted(stand_in_keys() - set(i18n.messages(language))) == []


@pytest.mark.parametrize("language", i18n.PAGE_LANGUAGES)
def test_every_place_guidance_may_publish_has_a_label_in_every_page_language(language):
    places = {k for k in seeded_keys() | stand_in_keys() | contract_keys() if k.startswith("place.")}

    assert sorted(places - set(i18n.messages(language))) == []


def test_no_catalogue_label_is_left_that_no_code_uses():
    labels = {k for k in i18n.messages("en") if k.split(".")[0] in LABELLED}

    assert sorted(labels - seeded_keys() - stand_in_keys() - contract_keys()) == []


def test_a_label_is_plain_words_not_a_code():
    for language in i18n.COMPLETE:
        for key, text in i18n.messages(language).items():
            if key.split(".")[0] in LABELLED:
                assert not re.search(r"[a-z]_[a-z]|\.[a-z]", text), (language, key, text)


# --- the fallback for a code with no label -------------------------------------------------------------------

@pytest.mark.parametrize(("code", "kind", "shown"), [
    ("integration_training.karis", "integration_training", "Integrationsutbildning på finska"),  # its own
    ("integration_training.pojo", "", "Integrationsutbildning"),  # its dotted parent's (the stand-in's code)
    ("integration_training.karis.evening", "", "Integrationsutbildning på finska"),  # the nearest parent's
    ("short_course.digital_skills", "short_course", "Kort kurs"),  # no parent labelled: its kind's
    ("short_course.digital_skills", "", "Short course digital skills"),  # nothing labelled: its words
])
def test_a_service_code_without_a_label_falls_back_to_its_parent_then_its_kind_then_its_words(code, kind, shown):
    assert _label(i18n.Translator("sv"), "service", code, kind) == shown


def test_a_partial_language_without_a_label_shows_the_english_label_before_the_words():
    ru = i18n.Translator("ru")
    assert not ru.has("service.civic_orientation")  # else this test tests nothing

    assert _label(ru, "service", "civic_orientation") == "Civic orientation"
    assert _label(ru, "place", "hango") == ru("place.hango")


@pytest.mark.parametrize(("code", "shown"), [("mbi-pojo", "Mbi pojo"), ("new_provider.x-y", "New provider x y"),
                                             ("", "–"), ("karis", "Karis")])
def test_a_code_with_no_label_anywhere_is_shown_as_words(code, shown):
    assert readable(code) == shown
    assert _label(i18n.Translator("en"), "provider", code) == shown


def _rows() -> tuple[list[dict], list[dict]]:
    """The seeded data in the shape guidance's `public_catalogue` gives it to the guide."""
    data = seeded()
    services = [{"code": s["service_code"], "kind": s["kind"], "provider": s["provider_code"], "places": s["places"],
                 "languages": s["languages"], "pace": s["paces"], "continuous": s["continuous_admission"],
                 "start_dates": [st["starts_on"] for st in s.get("starts", ())]} for s in data["services"]]
    hours = [{"place": h["place"], "kind": h["kind"], "weekday": slot["weekday"], "start": slot["opens_at"],
              "end": slot["closes_at"]} for h in data["opening_hours"] for slot in h["slots"]]
    return services, hours


async def _rows_of(rows: list[dict]) -> list[dict]:
    return rows


@pytest.mark.parametrize("language", i18n.COMPLETE)
async def test_the_seeded_catalogue_is_shown_with_labels_and_no_code(language):
    services, hours = _rows()
    source = RowSource(services=lambda: _rows_of(services), hours=lambda: _rows_of(hours))
    async with mounted(source) as guide:
        studies = (await guide.get(f"/guide/{language}/studies")).text
        help_page = (await guide.get(f"/guide/{language}/help")).text
    _ = i18n.Translator(language)

    for s in services:
        assert _(f"service.{s['code']}") in studies and _(f"provider.{s['provider']}") in studies
        assert f">{s['code']}<" not in studies and f">{s['provider']}<" not in studies
    for h in hours:
        assert _(f"place.{h['place']}") in help_page
    assert not re.search(r">\s*[a-z][a-z0-9]*(?:[._-][a-z0-9]+)+\s*<", studies.split("<table", 1)[1])  # no code


async def test_a_new_service_code_is_shown_by_its_kind_on_the_page():
    source = ProgrammeCatalogue(services=[ServiceInfo("short_course.digital_skills", "employment-region", ("inga",),
                                                      ("fi",), ("normal",), start_dates=(date(2027, 2, 1),),
                                                      kind="short_course")], hours=[])
    async with mounted(source) as guide:
        page = (await guide.get("/guide/fi/studies")).text

    assert "Lyhytkurssi" in page and "Raaseporin työllisyysalue" in page and "Inkoo" in page
    assert "short_course" not in page and "employment-region" not in page
