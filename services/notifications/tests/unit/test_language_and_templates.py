from datetime import UTC, datetime

import pytest

from contracts.vocabulary import Language
from notifications.domain import language
from notifications.domain.offices import office_of
from notifications.domain.templates import REQUIRED_LANGUAGES, TemplateError, catalogue, languages_of, template
from notifications.domain.triggers import TRIGGERS

pytestmark = pytest.mark.unit

SAMPLE = {"name": "Test Person", "municipality": "hango", "home_municipality": "hango",
          "scheduled_at": "2026-03-10T09:30:00+00:00", "interpreter": True, "language": "ar",
          "assessment_due_on": "2026-03-12", "starts_on": None, "ends_on": "2027-03-01", "until": "2027-09-01",
          "due_on": "2026-06-01", "service_code": "civic_orientation.ar", "referred_on": "2026-03-01",
          "window_ends_on": "2028-01-31", "queue_position": 3, "expected_start": None, **office_of("hango")}


def test_every_template_exists_in_swedish_finnish_and_english():
    for code in {t.template for t in TRIGGERS}:
        assert set(REQUIRED_LANGUAGES) <= languages_of(code), code


def test_every_template_speaks_all_twelve_programme_languages():
    """The programme's people speak these twelve languages: no client of theirs gets a fallback."""
    for code, versions in catalogue().items():
        assert set(versions) == {lang.value for lang in Language}, (code, {lang.value for lang in Language} ^ set(versions))
    assert {t.template for t in TRIGGERS} <= set(catalogue())


def test_every_language_version_has_the_same_placeholders_and_phrases_as_the_english_one():
    """A translation may word things its own way, but must say the same things: every value the English version
    shows (time, place, interpreter, how to cancel, the office), and a phrase for every code."""
    import re

    def shown(text: str | None) -> set[str]:
        return set(re.findall(r"\$\{(\w+)\}", text or ""))

    for code, versions in catalogue().items():
        english = versions["en"]
        for lang_code, t in versions.items():
            for part in ("subject", "text", "sms"):
                assert shown(getattr(t, part)) == shown(getattr(english, part)), (code, lang_code, part)
            assert set(t.phrases) == set(english.phrases), (code, lang_code)


def test_every_template_renders_in_every_language_it_has_with_no_placeholder_left():
    for code, versions in catalogue().items():
        for lang_code, t in versions.items():
            r = t.render(SAMPLE)
            assert "${" not in r.subject + r.text + (r.sms or ""), (code, lang_code)
            assert "Test Person" in r.text, (code, lang_code)


def test_a_template_a_trigger_may_send_by_sms_has_an_sms_text_in_every_language():
    for trigger in TRIGGERS:
        if "sms" in trigger.channels:
            for lang_code, t in catalogue()[trigger.template].items():
                assert t.sms, (trigger.template, lang_code)


def test_a_missing_value_is_refused_not_sent_half_filled():
    with pytest.raises(TemplateError, match="placeholder"):
        template("interview_invitation", "en").render({"name": "x"})


def test_the_client_s_first_language_wins_when_the_template_has_it():
    choice = language.choose(["ar", "sv"], "hango", languages_of("welcome"))
    assert (choice.language, choice.fell_back, choice.right_to_left) == ("ar", False, True)


def test_then_the_next_preferred_language():
    choice = language.choose(["so", "ru"], "raseborg", languages_of("welcome"))
    assert (choice.language, choice.fell_back) == ("ru", True)


def test_then_the_municipality_s_language_swedish_or_finnish():
    assert language.choose(["so"], "raseborg", languages_of("plan_issued")).language == "sv"
    assert language.choose(["so"], "inga", languages_of("plan_issued")).language == "sv"
    assert language.choose(["so"], "hango", languages_of("plan_issued")).language == "fi"


def test_then_english_when_the_municipality_s_language_is_missing():
    assert language.choose(["th"], "hango", {"en", "sv"}).language == "en"


def test_every_other_language_falls_back_visibly():
    """A client whose only language has no version of the template gets the municipality's language, and the
    choice says it is a fallback: for each template, a language it lacks (Somali, Farsi, Turkish)."""
    for code, versions in catalogue().items():
        for lang_code in ("so", "fa", "tr"):
            assert lang_code not in versions, code
            choice = language.choose([lang_code], "hango", versions)
            assert (choice.language, choice.fell_back) == ("fi", True), (code, lang_code)
        for lang_code in versions:
            assert (language.choose([lang_code], "hango", versions).fell_back) is False, (code, lang_code)


def test_nothing_at_all_is_refused():
    with pytest.raises(LookupError):
        language.choose(["ar"], "hango", {"de"})


def test_dates_and_times_are_written_in_helsinki_time():
    r = template("interview_invitation", "fi").render({**SAMPLE, "scheduled_at":
                                                      datetime(2026, 3, 10, 9, 30, tzinfo=UTC).isoformat()})
    assert "10.3.2026 klo 11:30" in r.sms


def test_r26_the_invitation_says_time_place_interpreter_and_how_to_cancel_in_every_language():
    for lang_code, t in catalogue()["interview_invitation"].items():
        for part in (t.render(SAMPLE).text, t.render(SAMPLE).sms):
            assert "10.3.2026" in part and "11:30" in part, lang_code
            assert office_of("hango")["place"] in part, lang_code
            assert office_of("hango")["cancel_phone"] in part, lang_code
            assert t.phrases["interpreter_true"] in part, lang_code


def test_the_html_part_is_escaped_and_right_to_left_for_arabic():
    r = template("welcome", "ar").render({**SAMPLE, "name": "<b>x</b>"})
    html = r.html()
    assert 'dir="rtl"' in html and 'lang="ar"' in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html
