"""The guide's languages and its gettext catalogues (Babel), compiled from the .po files at import.

- complete: every page (sv, fi, en);
- partial: at least the pages in `REQUIRED_PAGES` and each page's frame (ru, et, ar, uk, ku in Kurmanji, th,
  tl, de, pl); any other page is shown in English with a visible notice in the reader's language.
Every one of the programme's twelve languages is at least partial: no reader gets only a notice.
Only .po files are kept in git; the .mo form is made in memory here.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES = Path(__file__).with_name("locales")
DOMAIN = "guide"

COMPLETE = ("sv", "fi", "en")
PARTIAL = ("ru", "et", "ar", "uk", "ku", "th", "tl", "de", "pl")
PAGE_LANGUAGES = COMPLETE + PARTIAL
LANGUAGES = PAGE_LANGUAGES
RTL = frozenset({"ar"})
ENDONYMS: dict[str, str] = {
    "sv": "svenska", "fi": "suomi", "en": "English", "ru": "русский", "et": "eesti", "ar": "العربية",
    "uk": "українська", "ku": "Kurdî", "th": "ไทย", "tl": "Tagalog", "de": "Deutsch", "pl": "polski",
}
"""Each language's name in itself, for the switcher (names, not texts to translate)."""

PAGES = ("home", "help", "responsibility", "plan", "studies", "rights", "contact")
REQUIRED_PAGES = ("home", "help", "rights", "contact")
"""The pages every partial language must have in full (the issue's minimum)."""
SHARED_PREFIXES = ("site.", "nav.", "fallback.", "place.", "hours.", "flyer.", "error.", "municipality.")
"""Keys every page language needs whatever pages it has: the frame of each page and the flyer."""


def direction(language: str) -> str:
    return "rtl" if language in RTL else "ltr"


@cache
def translations(language: str) -> Translations:
    with open(LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po", "rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


def messages(language: str) -> dict[str, str]:
    """The translated messages of a language's catalogue (empty translations left out)."""
    return {k: v for k, v in translations(language)._catalog.items() if isinstance(k, str) and k and v}


def has_page(language: str, page: str) -> bool:
    """Whether a language has every message of a page (keys `<page>.*`) that English has."""
    if language not in PAGE_LANGUAGES:
        return False
    own = messages(language)
    return all(key in own for key in messages("en") if key.startswith(page + "."))


@dataclass(frozen=True)
class Translator:
    """`_(key, **values)`: the message in `language`, with %(name)s placeholders filled in."""

    language: str

    def __call__(self, key: str, **values: object) -> str:
        text = messages(self.language).get(key)
        if text is None:
            raise KeyError(f"no message {key!r} in {self.language}")
        return text % values if values else text

    def has(self, key: str) -> bool:
        return key in messages(self.language)


def page_language(requested: str, page: str) -> str:
    """The language a page is shown in for a reader who asked for `requested`: theirs, else English."""
    return requested if has_page(requested, page) else "en"


def first_choice(accept_language: str | None) -> str:
    """The best language of an Accept-Language header that the guide knows (by quality, then order)."""
    offered: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        primary = {"ckb": "ku", "kmr": "ku", "fil": "tl"}.get(primary, primary)
        if primary in LANGUAGES and quality > 0:
            offered.append((-quality, position, primary))
    return min(offered)[2] if offered else "en"
