"""Find personal data in a Kafka key, value or header: `findings(data)` says what and where, never the value.

Looked for: valid Finnish identity codes, e-mail addresses, phone numbers in international format,
Finnish and Swedish street addresses, and the names of the invented people (`tests/support/people.py`)
and of intake's demo clients (`intake.demo`). Offsets count characters of the decoded text: UTF-8
(undecodable bytes replaced), JSON `\\uXXXX` escapes resolved, NFC-normalised.

Limits, chosen so that envelopes, UUIDs, timestamps and ciphertext never match:
- names: whole words only, case-insensitive; parts shorter than 4 characters and the words of
  `STOP_WORDS` (codes on the bus, or words such as "example" in e-mail domains) are not looked for,
  and neither are words inside runs of 40 or more base64 characters that hold a digit (sealed
  ingress payloads, tokens, hashes), where a random "-Anna-" would otherwise match now and then,
  nor inside UUIDs (one in 65,536 random UUIDs has "ebba" as its second group).
- phones: "+", then at least 8 digits with single spaces or dashes between them (so not "+00:00");
  not after a letter or digit ("1e+12345678"), not followed by a decimal part, not shaped like a
  date. National format ("050 000 1234") is not recognised: it cannot be told from other numbers.
- identity codes: candidates must pass `stdnum.fi.hetu` (temporary codes 900-999 included).
- street addresses: a word with a Finnish or Swedish street ending (-tie, -katu, -vägen, -gatan, ...)
  and a house number, or a postal code and a post office of western Uusimaa or a large city. Other
  countries' addresses are not recognised.
"""

from __future__ import annotations

import json
import re
import unicodedata

from stdnum.fi import hetu

from intake.demo import PEOPLE as DEMO_PEOPLE
from tests.support.people import NAME_PARTS

# Words that are codes on the bus (Inga is also a Swedish first name) or parts of e-mail domains.
STOP_WORDS = frozenset({"example", "demo", "inga", "hango", "kela", "luvn", "raseborg", "system"})
MIN_NAME_LENGTH = 4
DEMO_NAME_PARTS = frozenset(part for first, surname, *_ in DEMO_PEOPLE for part in (first, surname))
SOUGHT_NAMES = frozenset(
    name.casefold() for name in NAME_PARTS | DEMO_NAME_PARTS
    if len(name) >= MIN_NAME_LENGTH and name.casefold() not in STOP_WORDS
)
"""The casefolded names looked for."""

# A word: letters and digits plus the combining marks of Thai, Arabic and Latin (NFD) writing.
_WORD = re.compile(r"[\w\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u0e00-\u0e7f]+")
_BLOB = re.compile(r"(?<![A-Za-z0-9+/_=-])(?=[A-Za-z+/_=-]*\d)[A-Za-z0-9+/_=-]{40,}"
                   r"|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HETU = re.compile(r"(?<![0-9A-Za-z])[0-3]\d[01]\d{3}[-+A-FU-Ya-fu-y]\d{3}[0-9A-Ya-y](?![0-9A-Za-z])")
_EMAIL = re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?!\w)")
_PHONE = re.compile(r"(?<![\w+.])\+\d(?:[ -]?\d){7,}+(?![.,]\d)")
_DATE_LIKE = re.compile(r"\+\d{4}-\d{2}-\d{2}")
# A house number after a street name's usual ending, or a postal code before a post office of the region.
_HOUSE_NUMBER = re.compile(r"\s+\d{1,4}(?!\d)")
_STREET_ENDINGS = ("tie", "katu", "kuja", "polku", "kaari", "väylä", "rinne", "vägen", "gatan", "gränd", "stigen")
_POSTAL_CODE = re.compile(r"\d{5}\s+([^\W\d_]+)")
_POST_OFFICES = frozenset({
    "ekenäs", "tammisaari", "karis", "karjaa", "hangö", "hanko", "ingå", "inkoo", "raseborg", "raasepori", "pojo",
    "pohja", "lohja", "lojo", "kirkkonummi", "kyrkslätt", "siuntio", "sjundeå", "helsinki", "helsingfors", "espoo",
    "esbo", "vantaa", "vanda", "turku", "åbo"})
_JSON_ESCAPE = re.compile(r"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|\\u[0-9a-fA-F]{4}")


def decoded(data: bytes | str) -> str:
    """The text the offsets of `findings` refer to."""
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    if "\\u" in text:
        text = _JSON_ESCAPE.sub(lambda m: json.loads(f'"{m.group()}"'), text)
    return unicodedata.normalize("NFC", text)


def findings(data: bytes | str) -> list[str]:
    """What kinds of personal data `data` holds and at which offsets, e.g. "identity code at offset 120"."""
    text = decoded(data)
    found = [(m.start(), "identity code") for m in _HETU.finditer(text)
             if hetu.is_valid(m.group(), allow_temporary=True)]
    if "@" in text:
        found += [(m.start(), "e-mail address") for m in _EMAIL.finditer(text)]
    if "+" in text:
        found += [(m.start(), "phone number") for m in _PHONE.finditer(text) if not _DATE_LIKE.match(m.group())]
    found += [(offset, "street address") for offset in _addresses(text)]
    found += [(offset, "name") for offset in _names(text)]
    return [f"{kind} at offset {offset}" for offset, kind in sorted(found)]


def _names(text: str) -> list[int]:
    if SOUGHT_NAMES.isdisjoint(_WORD.findall(text.casefold())):  # the usual case, decided without match objects
        return []
    words = _BLOB.sub(lambda m: " " * len(m.group()), text)
    return [m.start() for m in _WORD.finditer(words) if m.group().casefold() in SOUGHT_NAMES]


def _addresses(text: str) -> list[int]:
    found = []
    for m in _HOUSE_NUMBER.finditer(text):  # cheaper than a case-insensitive pattern of street endings
        start = _word_start(text, m.start())
        street = text[start:m.start()].casefold()
        if any(street.endswith(ending) and len(street) > len(ending) for ending in _STREET_ENDINGS):
            found.append(start)
    for m in _POSTAL_CODE.finditer(text):
        if (m.start() == 0 or not text[m.start() - 1].isalnum()) and m.group(1).casefold() in _POST_OFFICES:
            found.append(m.start())
    return found


def _word_start(text: str, end: int) -> int:
    while end > 0 and text[end - 1].isalpha():
        end -= 1
    return end


SIMULATED_SENDER_MISTAKE = ("test.simulated-sender-mistake", b"person in clear")
"""A header on a message a test sends on an ingress topic with a person in clear, as a careless sender
might, to show the system never carries it further (issue 8). The bus scan skips such a message on the
ingress topic it was sent to, and only there: anywhere else it would be a leak."""
