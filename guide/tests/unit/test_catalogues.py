"""Every text is in the catalogues: each message translated in each complete language, the partial
languages' required pages complete, and no template holding text of its own."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from guide import contact, i18n
from guide.web import NAV

pytestmark = pytest.mark.unit

PACKAGE = Path(i18n.__file__).parent
TEMPLATES = sorted((PACKAGE / "templates").glob("*.html"))
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def used_keys() -> set[str]:
    """The literal message keys the templates and the code pass to `_` (Babel's extractors)."""
    found = extract_from_dir(str(PACKAGE), method_map=[("templates/**.html", "jinja2"), ("**.py", "python")],
                             keywords={"_": None})
    keys = {message for _, _, message, _, _ in found if isinstance(message, str)}
    assert {"help.topic_permits", "contact.sent", "hours.drop_in"} <= keys, "the extractor missed the templates"
    return keys


def dynamic_keys() -> set[str]:
    """Keys the templates build from a name: each page's title and menu entry, the form's fields."""
    keys = {f"{page}.title" for page in i18n.PAGES} | {f"nav.{page}" for page in NAV}
    keys |= {f"contact.{name}" for name in contact.FIELDS} | {f"error.{name}" for name in contact.FIELDS}
    keys |= {f"municipality.{code}" for code in contact.MUNICIPALITIES}
    keys |= {"responsibility.inga_pending", "responsibility.inga_in_force", "fallback.notice"}
    return keys


@pytest.mark.parametrize("language", i18n.COMPLETE)
def test_every_message_is_translated_in_each_complete_language(language):
    english = i18n.messages("en")

    own = i18n.messages(language)

    assert sorted(set(english) - set(own)) == []
    assert sorted(set(own) - set(english)) == []
    for key, text in own.items():
        assert text.strip(), key
        assert PLACEHOLDER.findall(text) == PLACEHOLDER.findall(english[key]), key


def test_every_key_the_templates_and_code_use_is_in_the_catalogue():
    english = set(i18n.messages("en"))

    assert sorted((used_keys() | dynamic_keys()) - english) == []


@pytest.mark.parametrize("language", i18n.PARTIAL)
def test_a_partial_language_has_the_frame_and_the_required_pages_in_full(language):
    english = i18n.messages("en")
    own = i18n.messages(language)

    needed = {k for k in english if k.startswith(i18n.SHARED_PREFIXES)
              or k.split(".")[0] in i18n.REQUIRED_PAGES}
    assert sorted(needed - set(own)) == []
    for key in own:
        assert PLACEHOLDER.findall(own[key]) == PLACEHOLDER.findall(english[key]), key
    assert all(i18n.has_page(language, page) for page in i18n.REQUIRED_PAGES)


def test_every_one_of_the_programmes_twelve_languages_has_pages_of_its_own():
    """No reader of the programme's languages gets only a notice: each is complete or partial."""
    from contracts.vocabulary import Language

    assert set(i18n.PAGE_LANGUAGES) == {lang.value for lang in Language} == set(i18n.LANGUAGES)
    assert not set(i18n.COMPLETE) & set(i18n.PARTIAL)


@pytest.mark.parametrize("language", [lang for lang in i18n.PAGE_LANGUAGES if lang != "en"])
def test_each_languages_fallback_notice_is_in_its_own_words(language):
    own = i18n.messages(language)

    assert own["fallback.notice"] != i18n.messages("en")["fallback.notice"]
    assert PLACEHOLDER.findall(own["fallback.notice"]) == ["language"]


@pytest.mark.parametrize("language", i18n.PARTIAL)
def test_a_partial_languages_pages_are_not_english_left_untranslated(language):
    """A translation may keep names and examples, but not whole English sentences."""
    english, own = i18n.messages("en"), i18n.messages(language)
    same = [k for k in own if own[k] == english[k] and len(english[k].split()) > 3]

    assert same == []


def test_the_catalogues_are_kept_as_po_files_only():
    assert sorted(p.name for p in (PACKAGE / "locales").rglob("*") if p.is_file()) == ["guide.po"] * len(
        i18n.LANGUAGES)


class _Text(HTMLParser):
    READABLE = ("alt", "title", "aria-label", "placeholder")

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_data(self, data: str) -> None:
        data = re.sub(r'[\w-]+="[^"]*"', "", data)  # attributes a macro writes into a tag are not text
        if re.search(r"[^\W\d_]", data):
            self.found.append(data.strip())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in self.READABLE and value and re.search(r"[^\W\d_]", value):
                self.found.append(f"{name}={value}")


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_no_template_holds_text_of_its_own(template):
    source = template.read_text()
    # Jinja's own syntax out; what is left is HTML, whose text must all come from an expression.
    html = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", "", source, flags=re.S)
    parser = _Text()

    parser.feed(html)

    assert parser.found == []


def test_the_text_check_would_find_a_word_left_in_a_template():
    parser = _Text()
    parser.feed('<p>{{ _("x") }}</p><p>Öppet</p><img alt="QR">'.replace('{{ _("x") }}', ""))

    assert parser.found == ["Öppet", "alt=QR"]
