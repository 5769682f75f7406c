"""Every page in every language: the right language and direction, the visible fallback, the language
from the URL first, content from the law and the programme, services and hours from the catalogue."""

from __future__ import annotations

import re
from datetime import date, time

import pytest

from guide import i18n
from guide.catalogue import OpeningHours, ProgrammeCatalogue, ServiceInfo
from guide.config import GuideSettings
from guide.tests.unit.conftest import mounted

pytestmark = pytest.mark.unit

SLUG = {"home": ""} | {page: page for page in i18n.PAGES if page != "home"}


def html_lang(page: str) -> tuple[str, str]:
    found = re.search(r'<html lang="([a-z]+)" dir="(ltr|rtl)">', page)
    assert found, page[:200]
    return found[1], found[2]


def text_of(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)).replace("&#39;", "'")


@pytest.mark.parametrize("language", i18n.COMPLETE)
@pytest.mark.parametrize("page", i18n.PAGES)
async def test_every_page_of_a_complete_language_is_in_that_language(guide, language, page):
    response = await guide.get(f"/guide/{language}/{SLUG[page]}")

    assert response.status_code == 200
    assert html_lang(response.text) == (language, "ltr")
    assert 'class="notice"' not in response.text


@pytest.mark.parametrize("language", i18n.PARTIAL)
@pytest.mark.parametrize("page", i18n.REQUIRED_PAGES)
async def test_the_required_pages_of_a_partial_language_are_in_that_language(guide, language, page):
    response = await guide.get(f"/guide/{language}/{SLUG[page]}")

    assert html_lang(response.text) == (language, "rtl" if language == "ar" else "ltr")
    assert 'class="notice"' not in response.text


@pytest.mark.parametrize("language", i18n.PARTIAL)
async def test_a_page_a_partial_language_lacks_is_shown_in_english_with_a_notice_in_the_readers_language(
        guide, language):
    response = await guide.get(f"/guide/{language}/plan")

    assert html_lang(response.text) == ("en", "ltr")
    notice = re.search(r'<p class="notice" lang="([a-z]+)" dir="(ltr|rtl)">([^<]+)</p>', response.text)
    assert notice and notice[1] == language and notice[2] == i18n.direction(language)
    assert notice[3] == i18n.Translator(language)("fallback.notice", language="English")


@pytest.mark.parametrize(("header", "language"), [
    ("ar,en;q=0.8", "ar"), ("sv-FI,fi;q=0.9", "sv"), ("so,fi;q=0.5", "fi"), ("en;q=0.2,uk;q=0.9", "uk"),
    ("de-DE", "de"), ("ckb", "ku"), ("so", "en"), ("", "en"), ("fi;q=oops,ru", "ru"),
])
async def test_the_start_address_sends_the_reader_to_the_first_choice_of_accept_language(guide, header, language):
    response = await guide.get("/guide/", headers={"Accept-Language": header})

    assert response.status_code == 303 and response.headers["location"] == f"/guide/{language}/"


async def test_the_language_in_the_address_wins_over_accept_language(guide):
    response = await guide.get("/guide/fi/rights", headers={"Accept-Language": "ar"})

    assert html_lang(response.text) == ("fi", "ltr")


async def test_an_unknown_language_is_not_found(guide):
    assert (await guide.get("/guide/xx/")).status_code == 404
    assert (await guide.get("/guide/flyer/xx.pdf")).status_code == 404


async def test_the_switcher_links_every_language_to_the_same_page_by_its_own_name(guide):
    page = (await guide.get("/guide/sv/rights")).text

    for language in i18n.LANGUAGES:
        assert (f'<a href="/guide/{language}/rights" lang="{language}" dir="{i18n.direction(language)}" '
                f'hreflang="{language}"') in page
        assert f">{i18n.ENDONYMS[language]}</a>" in page


async def test_pages_load_nothing_from_elsewhere_and_say_so_in_their_headers(guide):
    for page in i18n.PAGES:
        response = await guide.get(f"/guide/en/{SLUG[page]}")
        assert not re.search(r'(src|href|action)="(https?:)?//', response.text), page
        assert "<script" not in response.text
        assert "default-src 'none'" in response.headers["content-security-policy"]
    css = await guide.get("/guide/static/guide.css")
    assert css.status_code == 200 and "url(" not in css.text and "@import" not in css.text


async def test_drop_in_and_appointment_hours_come_from_the_catalogue_source():
    source = ProgrammeCatalogue(hours=[OpeningHours("karis", "drop_in", 1, time(17, 45), time(19, 5)),
                                       OpeningHours("inga", "appointment", 5, time(8, 15), time(9, 0))])
    async with mounted(source) as guide:
        home = text_of((await guide.get("/guide/en/")).text)
        help_page = text_of((await guide.get("/guide/sv/help")).text)

    assert "Karis (Karjaa) Monday 17:45–19:05" in home and "Inkoo" not in home.split("Drop-in hours")[1]
    assert "Karis måndag 17:45–19:05" in help_page and "Ingå fredag 08:15–09:00" in help_page
    assert "12:30" not in home  # the programme's example hours are not in any template


async def test_services_come_from_the_catalogue_source():
    source = ProgrammeCatalogue(services=[
        ServiceInfo("integration_training", "employment_region", ("karis",), ("sv",), ("slow",),
                    start_dates=(date(2027, 3, 1),)),
        ServiceInfo("a_new_course", "volunteers", ("hango",), ("ar",), continuous=True)])
    async with mounted(source) as guide:
        page = text_of((await guide.get("/guide/fi/studies")).text)

    assert "Kotoutumiskoulutus Raaseporin työllisyysalue Karjaa ruotsi hidas 1.3.2027" in page
    assert "A new course Vapaaehtoiset Hanko arabia – Voit aloittaa milloin vain" in page  # no label: its words
    table = page.split("Tahti Alkaa", 1)[1]
    assert "Kielikahvila" not in table and "Toisto" not in table  # only what the source publishes


@pytest.mark.parametrize(("status", "says"), [("pending", "preparing an agreement"),
                                               ("in_force", "Inkoo and Raseborg have an agreement")])
async def test_inkoo_is_described_as_its_agreement_stands(status, says):
    async with mounted(settings=GuideSettings(inga_agreement=status)) as guide:
        page = text_of((await guide.get("/guide/en/responsibility")).text)

    assert says in page
    assert "Hanko and Raseborg have an agreement" in page  # Hanko: by agreement, either way
    assert "jobseeker" in page and "employment region" in page


async def test_R1_guidance_is_for_everyone_whatever_the_reason_or_time_in_finland(guide):
    for language in i18n.PAGE_LANGUAGES:
        page = (await guide.get(f"/guide/{language}/help")).text
        assert i18n.Translator(language)("help.everyone") in page


async def test_R14_R15_R16_a_plan_lasts_a_year_two_in_all_and_can_be_extended_by_two(guide):
    page = text_of((await guide.get("/guide/en/plan")).text)

    assert "first plan lasts at most one year" in page and "together last at most two years" in page
    assert "up to two more years" in page and "every six months" in page  # R13


async def test_R23_the_clients_duties_are_listed(guide):
    page = text_of((await guide.get("/guide/en/rights")).text)

    for duty in ("take part when we make and check your plan", "do what the plan says",
                 "go to the courses and services you agreed on", "tell us when your life changes"):
        assert duty in page


async def test_R24_R25_R26_the_consequences_of_no_shows_and_refusals_are_stated(guide):
    en = text_of((await guide.get("/guide/en/rights")).text)
    sv = text_of((await guide.get("/guide/sv/rights")).text)

    assert "second time within 12 months" in en and "no unemployment benefit for 7 days" in en  # R24
    assert "up to 20 percent" in en  # R25
    assert "at most 56.70 euros" in en and "under 18 never pay" in en and "how to cancel" in en  # R26
    assert "högst 56,70 euro" in sv


async def test_R27_an_interpreter_is_arranged_and_a_relative_may_not_interpret(guide):
    for language in i18n.PAGE_LANGUAGES:
        page = (await guide.get(f"/guide/{language}/rights")).text
        _ = i18n.Translator(language)
        assert _("rights.interpreter") in page and _("rights.interpreter_relative") in page


async def test_R29_data_is_deleted_four_years_after_the_client_relationship_ends(guide):
    page = text_of((await guide.get("/guide/en/rights")).text)

    assert "deleted four years after" in page and "only if you agree" in page
