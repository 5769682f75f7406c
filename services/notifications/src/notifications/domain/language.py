"""Which language a message is written in (after RapidPro's per-contact language with fallback).

The client's preferred languages in order, then the language of the home municipality (Swedish in
Raseborg and Inkoo, Finnish in Hanko), then English; the first that has the template wins. A choice
other than the client's first language is a fallback, recorded as such, so it is visible.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

MUNICIPALITY_LANGUAGE = {"raseborg": "sv", "hango": "fi", "inga": "sv"}
"""The majority official language of each municipality of the region."""
DEFAULT_MUNICIPALITY_LANGUAGE = "sv"
LAST_RESORT = "en"
RIGHT_TO_LEFT = frozenset({"ar", "fa", "he", "ur", "ps", "ckb", "yi"})


@dataclass(frozen=True)
class LanguageChoice:
    language: str
    wanted: str | None  # the client's first language (None when none is known)

    @property
    def fell_back(self) -> bool:
        return self.language != self.wanted

    @property
    def right_to_left(self) -> bool:
        return self.language in RIGHT_TO_LEFT


def order(preferred: Iterable[str], municipality: str | None) -> tuple[str, ...]:
    """The languages to try, best first, without repeats."""
    chain = [*preferred, MUNICIPALITY_LANGUAGE.get(municipality or "", DEFAULT_MUNICIPALITY_LANGUAGE), LAST_RESORT]
    return tuple(dict.fromkeys(chain))


def choose(preferred: Iterable[str], municipality: str | None, available: Collection[str]) -> LanguageChoice:
    preferred = tuple(preferred)
    for language in order(preferred, municipality):
        if language in available:
            return LanguageChoice(language, preferred[0] if preferred else None)
    raise LookupError("template: not available in the client's languages, the municipality's language or English")
