"""Anchors pinned byte for byte, and their refusals and comparisons at the edges: what mutation
testing of audit/domain/anchor.py showed the first tests let through."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from audit.domain.anchor import FORMAT, Anchor, BadAnchor, check_anchors, new_signing_key, open_anchor, \
    public_key, sign, signing_key, verify_key_of
from audit.domain.chain import Break

pytestmark = pytest.mark.unit

KEY = signing_key(new_signing_key())
PUBLIC = public_key(verify_key_of(KEY))
HELSINKI = timezone(timedelta(hours=2))
AT = datetime(2026, 12, 1, 5, 0, 0, 250, tzinfo=HELSINKI)  # 03:00:00.000250 UTC


def h(n: int) -> bytes:
    return bytes([n]) * 32


def message_of(statement: dict) -> bytes:
    """A message signed with KEY around any statement, well-formed or not."""
    text = json.dumps(statement, sort_keys=True, separators=(",", ":"))
    signature = base64.b64encode(KEY.sign(text.encode())).decode()
    return json.dumps({"statement": text, "signature": signature}).encode()


class TestStatementAndMessage:
    def test_the_signed_statement_is_canonical_json_in_utc(self):
        statement = Anchor(7, bytes(range(32)), AT).statement()

        assert FORMAT == "audit-anchor/v1"
        assert statement == (b'{"format":"audit-anchor/v1","hash":"' + bytes(range(32)).hex().encode()
                             + b'","seq":7,"signed_at":"2026-12-01T03:00:00.000250+00:00"}')

    def test_the_published_message_is_the_statement_and_its_signature_with_sorted_keys(self):
        anchor = Anchor(7, bytes(range(32)), AT)

        message = sign(anchor, KEY)

        signature = base64.b64encode(KEY.sign(anchor.statement())).decode()
        assert message == json.dumps({"signature": signature, "statement": anchor.statement().decode()},
                                     sort_keys=True).encode()
        assert message.index(b'"signature"') < message.index(b'"statement"')

    def test_an_opened_anchor_keeps_the_instant_it_was_signed(self):
        opened = open_anchor(sign(Anchor(3, h(3), AT), KEY), PUBLIC)

        assert (opened.seq, opened.hash, opened.signed_at, opened.signed_at.utcoffset()) == \
            (3, h(3), AT, timedelta(0))

    def test_an_anchor_cannot_be_changed_in_place(self):
        with pytest.raises(dataclasses.FrozenInstanceError):
            Anchor(1, h(1), AT).seq = 2  # type: ignore[misc]


class TestKeys:
    def test_a_new_signing_key_is_32_random_bytes_in_base64(self):
        first, second = new_signing_key(), new_signing_key()

        assert len(base64.b64decode(first, validate=True)) == 32 and first != second
        assert len(base64.b64decode(verify_key_of(signing_key(first)), validate=True)) == 32

    def test_a_signing_key_with_characters_outside_base64_is_refused(self):
        with pytest.raises(binascii.Error, match="Only base64 data is allowed"):
            signing_key("!" + new_signing_key())

    def test_a_verify_key_with_characters_outside_base64_is_refused(self):
        with pytest.raises(binascii.Error, match="Only base64 data is allowed"):
            public_key("!" + verify_key_of(KEY))


class TestOpenRefuses:
    @pytest.mark.parametrize("message,error", [
        (b"[]", "TypeError"), (b'"statement"', "TypeError"), (b"{}", "KeyError"), (b"", "JSONDecodeError"),
        (b'{"statement": 1, "signature": "AAAA"}', "AttributeError"),
    ])
    def test_a_malformed_message_is_refused_naming_the_kind_of_fault(self, message, error):
        with pytest.raises(BadAnchor, match=rf"^malformed anchor message \({error}\)$"):
            open_anchor(message, PUBLIC)

    @pytest.mark.parametrize("noise", ["!", "\n", " "])
    def test_a_signature_with_characters_outside_base64_is_malformed(self, noise):
        outer = json.loads(sign(Anchor(1, h(1), AT), KEY))
        outer["signature"] = noise + outer["signature"]

        with pytest.raises(BadAnchor, match=r"^malformed anchor message \(Error\)$"):
            open_anchor(json.dumps(outer).encode(), PUBLIC)

    @pytest.mark.parametrize("fmt", ["audit-anchor/v0", "audit-anchor/v2", "", None])
    def test_a_signed_statement_of_another_format_is_refused(self, fmt):
        statement = {"seq": 1, "hash": h(1).hex(), "signed_at": "2026-12-01T03:00:00.000000+00:00"}
        if fmt is not None:
            statement["format"] = fmt

        with pytest.raises(BadAnchor, match="^anchor format is not audit-anchor/v1$"):
            open_anchor(message_of(statement), PUBLIC)

    def test_a_signature_that_does_not_verify_is_named(self):
        outer = json.loads(sign(Anchor(1, h(1), AT), KEY))
        outer["signature"] = base64.b64encode(bytes(64)).decode()

        with pytest.raises(BadAnchor, match="^anchor signature does not verify with the configured key$"):
            open_anchor(json.dumps(outer).encode(), PUBLIC)


class TestCheckAnchors:
    def test_no_anchors_hold_nothing_and_break_nothing(self):
        assert check_anchors([], {1: h(1)}, 1) == (0, None)

    def test_hashes_are_compared_by_value(self):
        stored = {n: bytes(bytearray(h(n))) for n in (1, 2, 3)}

        assert check_anchors([Anchor(3, h(3), AT), Anchor(1, h(1), AT)], stored, 3) == (2, None)

    def test_the_first_anchor_that_differs_names_no_earlier_match(self):
        held, broken = check_anchors([Anchor(1, h(1), AT), Anchor(2, h(2), AT)], {1: h(9), 2: h(2)}, 2)

        assert (held, broken) == (0, Break(1, None, "rewritten: its hash differs from the anchor signed at "
                                                    "2026-12-01T03:00:00+00:00 (the last anchored record that "
                                                    "matches is 0)"))

    def test_an_anchored_record_missing_inside_the_trail_is_named_by_its_own_number(self):
        held, broken = check_anchors([Anchor(1, h(1), AT), Anchor(2, h(2), AT)], {1: h(1), 3: h(3)}, 3)

        assert (held, broken) == (1, Break(2, None, "missing: record 2 was anchored at 2026-12-01T03:00:00+00:00 "
                                                    "but the trail ends at record 3"))

    def test_an_anchored_record_past_the_end_is_named_by_the_first_record_after_the_end(self):
        held, broken = check_anchors([Anchor(2, h(2), AT), Anchor(6, h(6), AT)], {1: h(1), 2: h(2), 6: h(6)}, 2)

        assert (held, broken) == (1, Break(3, None, "missing: record 6 was anchored at 2026-12-01T03:00:00+00:00 "
                                                    "but the trail ends at record 2"))

    def test_an_anchor_on_the_last_record_holds(self):
        assert check_anchors([Anchor(5, h(5), AT)], {5: h(5)}, 5) == (1, None)

    def test_an_anchor_one_past_the_last_record_is_missing(self):
        held, broken = check_anchors([Anchor(6, h(6), AT)], {6: h(6)}, 5)

        assert (held, broken.seq, broken.what[:8]) == (0, 6, "missing:")


@pytest.mark.parametrize("stored", [h(1), h(9)], ids=["smaller", "greater"])
def test_a_stored_hash_that_differs_either_way_is_rewritten(stored):
    held, broken = check_anchors([Anchor(3, h(5), AT)], {3: stored}, 3)

    assert (held, broken.seq, broken.what.startswith("rewritten")) == (0, 3, True)
