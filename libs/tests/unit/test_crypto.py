from __future__ import annotations

import base64
import os
from datetime import date
from uuid import uuid4

import pytest

from backbone.crypto import (
    BlindIndex,
    MasterKeyring,
    VaultDataError,
    VaultKeyError,
    decrypt,
    encrypt,
    identity_code_key,
    name_birth_municipality_key,
    new_data_key,
)

pytestmark = pytest.mark.unit

BORN = date(1990, 1, 1)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _keyring(*ids: str) -> tuple[MasterKeyring, dict[str, str]]:
    keys = {kid: _b64(os.urandom(32)) for kid in ids}
    return MasterKeyring.from_setting(",".join(f"{kid}:{key}" for kid, key in keys.items())), keys


class TestMasterKeyring:
    def test_wraps_under_the_first_key_and_unwraps_the_same_data_key(self):
        ring, _ = _keyring("k2", "k1")
        data_key = new_data_key()

        key_id, wrapped = ring.wrap(data_key)

        assert (key_id, ring.current_id) == ("k2", "k2")
        assert wrapped != data_key and ring.unwrap(key_id, wrapped) == data_key

    def test_a_data_key_wrapped_under_k1_still_unwraps_after_k2_becomes_current(self):
        _, keys = _keyring("k1")
        before = MasterKeyring.from_setting(f"k1:{keys['k1']}")
        data_key = new_data_key()
        key_id, wrapped = before.wrap(data_key)

        after = MasterKeyring.from_setting(f"k2:{_b64(os.urandom(32))},k1:{keys['k1']}")

        assert after.current_id == "k2" and after.wrap(data_key)[0] == "k2"
        assert after.unwrap(key_id, wrapped) == data_key

    def test_refuses_an_unknown_key_id(self):
        ring, _ = _keyring("k1")
        _, wrapped = ring.wrap(new_data_key())

        with pytest.raises(VaultKeyError, match="no master key with id 'k9'; known ids: k1"):
            ring.unwrap("k9", wrapped)

    @pytest.mark.parametrize("damage", [lambda w: w[:-1] + bytes([w[-1] ^ 1]), lambda w: w[:-8], lambda w: b""])
    def test_refuses_a_damaged_wrapped_key(self, damage):
        ring, _ = _keyring("k1")
        _, wrapped = ring.wrap(new_data_key())

        with pytest.raises(VaultKeyError, match="does not unwrap under master key 'k1'"):
            ring.unwrap("k1", damage(wrapped))

    def test_refuses_a_key_wrapped_under_another_key_with_the_same_id(self):
        ring, _ = _keyring("k1")
        other, _ = _keyring("k1")

        with pytest.raises(VaultKeyError):
            ring.unwrap(*other.wrap(new_data_key()))

    def test_its_repr_shows_ids_only(self):
        ring, keys = _keyring("k2", "k1")

        assert repr(ring) == "MasterKeyring(ids=['k2', 'k1'])" and keys["k1"] not in repr(ring)


SECRET = _b64(b"S" * 32)


@pytest.mark.parametrize(("setting", "says"), [
    ("", "empty"),
    ("   ", "empty"),
    (SECRET, "entry 1 is not of the form id:base64-key"),
    (f"k1:{SECRET},{SECRET}", "entry 2 is not of the form"),
    (f"K1:{SECRET}", "entry 1: the id must match"),
    (f"{'k' * 17}:{SECRET}", "entry 1: the id must match"),
    (f"k-1:{SECRET}", "entry 1: the id must match"),
    (f":{SECRET}", "entry 1: the id must match"),
    (f"k1:{SECRET[:-2]}!!", "'k1' is not valid base64"),
    (f"k1:{_b64(b'S' * 16)}", "'k1' must be 32 bytes, not 16"),
    (f"k1:{SECRET},k1:{SECRET}", "unique"),
    (f"k1:{SECRET},", "entry 2 is not of the form"),
])  # fmt: skip
def test_bad_master_key_settings_are_refused_without_key_material(setting, says):
    with pytest.raises(ValueError, match=says) as refused:
        MasterKeyring.from_setting(setting)

    assert SECRET not in str(refused.value) and SECRET[:12] not in str(refused.value)


class TestDataEncryption:
    def test_round_trips_for_the_same_client(self):
        data_key, client = new_data_key(), uuid4()

        blob = encrypt(data_key, "Anna Virtanen".encode(), client_id=client)

        assert b"Virtanen" not in blob and decrypt(data_key, blob, client_id=client) == "Anna Virtanen".encode()

    def test_a_blob_moved_to_another_client_does_not_decrypt(self):
        data_key = new_data_key()
        blob = encrypt(data_key, b"Anna", client_id=uuid4())

        with pytest.raises(VaultDataError, match="does not decrypt") as refused:
            decrypt(data_key, blob, client_id=uuid4())

        assert "Anna" not in str(refused.value)

    def test_any_flipped_bit_is_detected(self):
        data_key, client = new_data_key(), uuid4()
        blob = encrypt(data_key, b"Anna", client_id=client)

        for bit in range(len(blob) * 8):
            damaged = bytearray(blob)
            damaged[bit // 8] ^= 1 << (bit % 8)
            with pytest.raises(VaultDataError):
                decrypt(data_key, bytes(damaged), client_id=client)

    def test_another_data_key_or_a_truncated_blob_is_refused(self):
        data_key, client = new_data_key(), uuid4()
        blob = encrypt(data_key, b"Anna", client_id=client)

        for key, damaged in ((new_data_key(), blob), (data_key, blob[:11]), (data_key, b"")):
            with pytest.raises(VaultDataError):
                decrypt(key, damaged, client_id=client)

    def test_data_keys_are_fresh_32_byte_keys(self):
        assert len(new_data_key()) == 32 and new_data_key() != new_data_key()


class TestBlindIndex:
    def test_is_an_hmac_that_depends_on_key_kind_and_value(self):
        index = BlindIndex.from_setting(SECRET)

        digest = index.digest("identity_code", "010190-123A")

        assert len(digest) == 32 and digest == index.digest("identity_code", "010190-123A")
        assert digest != index.digest("name_birth_municipality", "010190-123A")
        assert digest != index.digest("identity_code", "010190-123B")
        assert digest != BlindIndex(os.urandom(32)).digest("identity_code", "010190-123A")

    def test_kind_and_value_cannot_be_shifted_into_each_other(self):
        index = BlindIndex(os.urandom(32))

        assert index.digest("ab", "c") != index.digest("a", "bc")
        with pytest.raises(ValueError):
            index.digest("a\x00b", "c")

    @pytest.mark.parametrize("setting", ["not base64!", _b64(b"short"), ""])
    def test_a_bad_key_setting_is_refused_without_echoing_it(self, setting):
        with pytest.raises(ValueError) as refused:
            BlindIndex.from_setting(setting)

        assert not setting or setting not in str(refused.value)
        assert "<hidden>" in repr(BlindIndex(os.urandom(32)))


class TestNormalisers:
    def test_identity_codes_match_whatever_their_case_and_surrounding_space(self):
        assert identity_code_key("  010190-123a\n") == identity_code_key("010190-123A") == "010190-123A"

    @pytest.mark.parametrize(("one", "other"), [
        ("Müller", "Muller"),
        ("  ANNA  Virtanen", "anna virtanen"),
        ("Virtanen Anna", "Anna\tVirtanen"),
        ("Ｖｉｒｔａｎｅｎ", "Virtanen"),  # full-width forms, NFKC
        ("Strauß", "STRAUSS"),
        ("José Ñúñez", "jose nunez"),
        ("مُحَمَّد علي", "علي محمد"),  # harakat and word order
        ("محمد\u200cعلی", "محمدعلی"),  # Persian zero-width non-joiner
        ("Ольга Ёлкина", "ЕЛКИНА ОЛЬГА"),
        ("Nguyễn Văn An", "nguyen van an"),
    ])  # fmt: skip
    def test_names_that_an_officer_would_call_the_same_get_the_same_key(self, one, other):
        key = name_birth_municipality_key(one, BORN, "raseborg")

        assert key == name_birth_municipality_key(other, BORN, "raseborg")

    @pytest.mark.parametrize("name", ["محمد علي", "Ольга Ёлкина", "สมชาย ใจดี", "王小明", "김민준", "Αλέξανδρος Παππάς"])
    def test_names_in_any_script_keep_their_letters(self, name):
        key = name_birth_municipality_key(name, BORN, "Raseborg")

        words = key.split("\x1f")[0].split(" ")
        assert len(words) == len(name.split()) and all(words)
        assert key.endswith("\x1f1990-01-01\x1fraseborg")

    def test_different_people_get_different_keys(self):
        anna = name_birth_municipality_key("Anna Virtanen", BORN, "raseborg")

        assert anna != name_birth_municipality_key("Anna Virtanen", date(1990, 1, 2), "raseborg")
        assert anna != name_birth_municipality_key("Anna Virtanen", BORN, "hango")
        assert anna != name_birth_municipality_key("Anni Virtanen", BORN, "raseborg")
        assert name_birth_municipality_key("สมชาย", BORN, "hango") != name_birth_municipality_key("สมศรี", BORN, "hango")

    @pytest.mark.parametrize("name", ["", "   ", "\u200c\u200f", "\u0301"])
    def test_a_name_with_no_letters_left_is_refused(self, name):
        with pytest.raises(ValueError, match="empty once normalised"):
            name_birth_municipality_key(name, BORN, "raseborg")
