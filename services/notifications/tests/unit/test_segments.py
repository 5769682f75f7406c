import pytest

from notifications.domain.segments import count

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("text", "expected"), [
    ("a" * 160, ("gsm7", 160, 1)),          # the last length of one GSM-7 segment
    ("a" * 161, ("gsm7", 161, 2)),          # the first of two: 153 + 8
    ("a" * 306, ("gsm7", 306, 2)),          # 2 × 153
    ("a" * 307, ("gsm7", 307, 3)),
    ("Hyvää päivää, Åsa! Öl?", ("gsm7", 22, 1)),  # Nordic letters are in the default alphabet
    ("€" * 80, ("gsm7", 160, 1)),           # extension characters cost two septets
    ("€" * 81, ("gsm7", 162, 2)),
    ("ب" * 70, ("ucs2", 70, 1)),            # Arabic: UCS-2, 70 in one segment
    ("ب" * 71, ("ucs2", 71, 2)),            # then 67 per segment
    ("ب" * 134, ("ucs2", 134, 2)),
    ("ب" * 135, ("ucs2", 135, 3)),
    ("Привет" * 12, ("ucs2", 72, 2)),       # Cyrillic
    ("สวัสดี" * 12, ("ucs2", 72, 2)),        # Thai
    ("a" * 69 + "ç", ("ucs2", 70, 1)),      # one lower-case ç (not in GSM-7) makes the whole text UCS-2
    ("", ("gsm7", 0, 1)),
])
def test_segments_at_the_boundaries(text, expected):
    s = count(text)
    assert (s.encoding, s.units, s.count) == expected


def test_an_escape_pair_is_never_split_across_parts():
    # 152 plain characters then "€": the pair does not fit in the first part's last septet.
    assert count("a" * 152 + "€" + "a" * 10).count == 2
    assert count("a" * 152 + "€" + "a" * 152).count == 3


def test_a_surrogate_pair_is_never_split_across_parts():
    assert count("ب" * 66 + "😀" + "ب" * 66).count == 3  # 66 | 😀 would straddle 67 → new part
