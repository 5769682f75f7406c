"""SMS segments at their edges: the last character of the Basic Multilingual Plane and the first beyond
it, and the counts' frozen result (mutation testing, issue 17)."""

import dataclasses

import pytest

from notifications.domain.segments import PART, SINGLE, count, encoding_of

pytestmark = pytest.mark.unit


def test_the_segment_sizes():
    assert (SINGLE, PART) == ({"gsm7": 160, "ucs2": 70}, {"gsm7": 153, "ucs2": 67})


@pytest.mark.parametrize(("text", "expected"), [
    ("\uffff" * 70, ("ucs2", 70, 1)),        # U+FFFF, the last BMP code point: one UTF-16 unit
    ("\uffff" * 71, ("ucs2", 71, 2)),
    ("\U00010000" * 35, ("ucs2", 70, 1)),    # U+10000, the first beyond: a surrogate pair, two units
    ("\U00010000" * 36, ("ucs2", 72, 2)),
    ("😀" * 34 + "ب" * 2, ("ucs2", 70, 1)),
])
def test_utf16_code_units_either_side_of_the_basic_plane(text, expected):
    s = count(text)
    assert (s.encoding, s.units, s.count) == expected


def test_surrogate_pairs_fill_parts_exactly_when_they_fit():
    # 67 units a part: 33 pairs (66 units) and one more pair does not fit, so it opens the next part.
    assert count("😀" * 66).count == 2  # 132 units: 33 + 33 pairs
    assert count("😀" * 67).count == 3


def test_escape_pairs_fill_parts_exactly_when_they_fit():
    # 153 septets a part: 76 "€" (152 septets) fill one, and the 77th opens the next.
    assert count("€" * 152).count == 2
    assert count("€" * 153).count == 3


def test_the_encoding_is_gsm7_only_when_every_character_is_in_it():
    assert encoding_of("Åsa € [x]") == "gsm7"
    assert encoding_of("Åsa ç") == "ucs2"
    assert encoding_of("ç" + "a" * 10) == "ucs2"


def test_a_count_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        count("hej").count = 2  # type: ignore[misc]


@pytest.mark.parametrize(("text", "expected"), [
    ("a" * 154, ("gsm7", 154, 1)),  # longer than a part of a long message, still one single segment
    ("a" * 159, ("gsm7", 159, 1)),
    ("€" * 79, ("gsm7", 158, 1)),
    ("ب" * 68, ("ucs2", 68, 1)),
    ("ب" * 69, ("ucs2", 69, 1)),
])
def test_a_text_between_a_parts_size_and_a_single_segments_size_is_one_segment(text, expected):
    s = count(text)
    assert (s.encoding, s.units, s.count) == expected
