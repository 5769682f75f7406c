"""SMS segments: GSM-7 (160 septets, 153 per part) or UCS-2 (70 code units, 67 per part).

A message is GSM-7 when every character is in the GSM 03.38 default alphabet or its extension
table (an extension character costs two septets: escape + character); otherwise the whole message
goes as UCS-2, counted in UTF-16 code units. A part never splits an escape pair or a surrogate pair,
which is how handsets and providers cut long messages, so a part may carry one unit less.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

SINGLE = {"gsm7": 160, "ucs2": 70}
PART = {"gsm7": 153, "ucs2": 67}

Encoding = Literal["gsm7", "ucs2"]


@dataclass(frozen=True)
class Segments:
    encoding: Encoding
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    count: int


def encoding_of(text: str) -> Encoding:
    return "gsm7" if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text) else "ucs2"


def _costs(text: str, encoding: Encoding) -> list[int]:
    if encoding == "gsm7":
        return [2 if c in GSM7_EXTENSION else 1 for c in text]
    return [2 if ord(c) > 0xFFFF else 1 for c in text]


def count(text: str) -> Segments:
    """How many segments `text` takes, in which encoding. An empty text is one (empty) segment."""
    encoding = encoding_of(text)
    costs = _costs(text, encoding)
    units = sum(costs)
    if units <= SINGLE[encoding]:
        return Segments(encoding, units, 1)
    parts, room = 1, PART[encoding]
    for cost in costs:
        if cost > room:  # an escape or surrogate pair is never split across parts
            parts, room = parts + 1, PART[encoding]
        room -= cost
    return Segments(encoding, units, parts)
