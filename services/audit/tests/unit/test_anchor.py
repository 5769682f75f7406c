from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from audit.domain.anchor import Anchor, BadAnchor, check_anchors, new_signing_key, open_anchor, public_key, sign, \
    signing_key, verify_key_of

pytestmark = pytest.mark.unit

KEY = new_signing_key()
PUBLIC = public_key(verify_key_of(signing_key(KEY)))
AT = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


def test_a_signed_anchor_opens_with_the_public_key():
    anchor = Anchor(7, bytes(range(32)), AT)

    assert open_anchor(sign(anchor, signing_key(KEY)), PUBLIC) == anchor


@pytest.mark.parametrize("field,value", [("seq", 8), ("hash", "00" * 32), ("signed_at", "2027-01-01T00:00:00+00:00")])
def test_changing_any_part_of_the_statement_breaks_the_signature(field, value):
    message = json.loads(sign(Anchor(7, bytes(range(32)), AT), signing_key(KEY)))
    statement = json.loads(message["statement"])
    statement[field] = value
    message["statement"] = json.dumps(statement, sort_keys=True, separators=(",", ":"))

    with pytest.raises(BadAnchor, match="signature"):
        open_anchor(json.dumps(message).encode(), PUBLIC)


def test_an_anchor_signed_with_another_key_does_not_open():
    with pytest.raises(BadAnchor, match="signature"):
        open_anchor(sign(Anchor(1, bytes(32), AT), signing_key(new_signing_key())), PUBLIC)


@pytest.mark.parametrize("message", [b"", b"not json", b"{}", b'{"statement": 1, "signature": "x"}'])
def test_a_malformed_message_is_refused_without_repeating_it(message):
    with pytest.raises(BadAnchor, match="malformed") as err:
        open_anchor(message, PUBLIC)
    assert "not json" not in str(err.value)


def h(n: int) -> bytes:
    return bytes([n]) * 32


def test_anchors_that_match_the_stored_hashes_hold():
    assert check_anchors([Anchor(2, h(2), AT), Anchor(4, h(4), AT)], {1: h(1), 2: h(2), 3: h(3), 4: h(4)}, 4) == (2, None)


def test_the_first_anchored_record_that_differs_is_named_with_the_last_that_matched():
    held, broken = check_anchors([Anchor(4, h(4), AT), Anchor(2, h(2), AT), Anchor(6, h(6), AT)],
                                 {2: h(2), 4: h(9), 6: h(9)}, 6)

    assert (held, broken.seq) == (1, 4) and "the last anchored record that matches is 2" in broken.what


def test_an_anchored_record_beyond_the_end_of_the_trail_is_named_missing():
    held, broken = check_anchors([Anchor(5, h(5), AT)], {3: h(3)}, 3)

    assert (held, broken.seq, broken.event_id) == (0, 4, None) and broken.what.startswith("missing")
