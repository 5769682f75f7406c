from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.errors import ContractError
from contracts.ingress import sealing_context
from contracts.sealing import SUITE_DESCRIPTION, SealError, generate_private_key, key_id, open_sealed, public_key, seal, \
    seal_v1

pytestmark = pytest.mark.unit

PERSONAL = "Anna Virtanen, 010190-123A".encode()
PRIVATE = generate_private_key()  # one key pair for the module: X25519 generation is cheap but not free
PUBLIC = public_key(PRIVATE)


def _context() -> bytes:
    return uuid.uuid4().bytes


def _body(token: str) -> bytes:
    encoded = token.split(".")[2]
    return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))


def _with_body(token: str, body: bytes) -> str:
    version, kid, _ = token.split(".")
    return f"{version}.{kid}.{base64.urlsafe_b64encode(body).rstrip(b'=').decode()}"


class TestKeys:
    def test_keys_are_base64_of_32_raw_bytes_and_the_id_is_16_hex_digits(self):
        assert len(base64.b64decode(PRIVATE)) == len(base64.b64decode(PUBLIC)) == 32
        assert len(key_id(PUBLIC)) == 16 and int(key_id(PUBLIC), 16) >= 0

    def test_a_bad_key_is_refused_without_echoing_it(self):
        short = base64.b64encode(b"secret-key-material").decode()

        with pytest.raises(ValueError) as refused:
            seal(short, PERSONAL, context=b"m")

        assert "19" in str(refused.value) and short not in str(refused.value)


class TestSeal:
    def test_opens_with_the_private_key_for_the_same_context(self):
        context = _context()

        token = seal(PUBLIC, PERSONAL, context=context)

        assert open_sealed([PRIVATE], token, context=context) == PERSONAL

    def test_the_token_is_ascii_names_the_key_and_hides_the_plaintext(self):
        token = seal(PUBLIC, PERSONAL, context=_context())

        assert token.isascii() and token.startswith(f"v2.{key_id(PUBLIC)}.")
        assert b"Virtanen" not in _body(token) and "Virtanen" not in token

    def test_sealing_twice_gives_different_tokens(self):
        context = _context()

        assert seal(PUBLIC, PERSONAL, context=context) != seal(PUBLIC, PERSONAL, context=context)

    @settings(max_examples=60, deadline=None)
    @given(plaintext=st.binary(max_size=2048), context=st.binary(max_size=64))
    def test_any_bytes_round_trip_under_any_context(self, plaintext, context):
        assert open_sealed([PRIVATE], seal(PUBLIC, plaintext, context=context), context=context) == plaintext


@pytest.fixture(params=[seal, seal_v1], ids=["v2", "v1"])
def sealer(request):
    """Every check of opening holds for today's v2 seals and the legacy v1 ones intake still opens."""
    return request.param


class TestOpenSealed:
    def test_refuses_a_token_sealed_to_a_key_intake_does_not_hold(self, sealer):
        stranger = generate_private_key()
        token = sealer(public_key(stranger), PERSONAL, context=b"m")

        with pytest.raises(SealError, match=f"key id {key_id(public_key(stranger))}, which is not among"):
            open_sealed([PRIVATE], token, context=b"m")

    def test_refuses_a_token_whose_key_id_was_changed_to_intakes(self, sealer):
        stranger = public_key(generate_private_key())
        token = sealer(stranger, PERSONAL, context=b"m").replace(key_id(stranger), key_id(PUBLIC))

        with pytest.raises(SealError, match="cannot be opened"):
            open_sealed([PRIVATE], token, context=b"m")

    def test_refuses_a_box_lifted_into_another_message(self, sealer):
        token = sealer(PUBLIC, PERSONAL, context=_context())

        with pytest.raises(SealError, match="cannot be opened") as refused:
            open_sealed([PRIVATE], token, context=_context())

        assert "Virtanen" not in str(refused.value)

    def test_refuses_a_box_with_any_single_bit_flipped(self, sealer):
        context = _context()
        token = sealer(PUBLIC, b"Anna", context=context)
        body = _body(token)

        for bit in range(len(body) * 8):
            flipped = bytearray(body)
            flipped[bit // 8] ^= 1 << (bit % 8)
            with pytest.raises(SealError, match="cannot be opened"):
                open_sealed([PRIVATE], _with_body(token, bytes(flipped)), context=context)

    def test_refuses_a_truncated_or_extended_box(self, sealer):
        context = _context()
        token = sealer(PUBLIC, PERSONAL, context=context)

        for body in (_body(token)[:-1], _body(token) + b"\x00"):
            with pytest.raises(SealError, match="cannot be opened"):
                open_sealed([PRIVATE], _with_body(token, body), context=context)

    def test_opens_boxes_sealed_to_the_current_and_to_the_previous_key(self, sealer):
        new = generate_private_key()
        old_box = sealer(PUBLIC, b"sealed before rotation", context=b"m1")
        new_box = sealer(public_key(new), b"sealed after rotation", context=b"m2")

        assert open_sealed([new, PRIVATE], old_box, context=b"m1") == b"sealed before rotation"
        assert open_sealed([new, PRIVATE], new_box, context=b"m2") == b"sealed after rotation"

    def test_is_a_contract_error_with_its_own_dead_letter_code(self, sealer):
        with pytest.raises(ContractError) as refused:
            open_sealed([PRIVATE], "garbage", context=b"m")

        assert refused.value.code == "unreadable_sealed_part"


KID = "0123456789abcdef"


@pytest.mark.parametrize(("token", "says"), [
    ("", "not a sealed token"),
    ("Anna Virtanen", "not a sealed token"),
    (f"v3.{KID}.AAAA", "not a sealed token"),
    (f"V2.{KID}.AAAA", "not a sealed token"),
    ("v1.", "malformed"),
    (f"v1.{KID}", "malformed"),
    (f"v1.{KID[:-1]}.AAAA", "malformed"),
    (f"v1.{KID.upper()}.AAAA", "malformed"),
    (f"v1.{KID}.AA+/", "malformed"),
    (f"v1.{KID}.AAAA.AAAA", "malformed"),
    (f"v1.{KID}.AAAA ", "malformed"),
    (f"v1.{KID}.AAAAA", "not valid base64url"),
    (f"v1.{KID}.{'A' * 78}", "shorter than any sealed box"),
    (f"v2.{KID}.{'A' * 62}", "shorter than any sealed box"),
    (f"v2.{KID[:-1]}.AAAA", "malformed"),
])  # fmt: skip
def test_malformed_tokens_are_refused_saying_what_is_wrong(token, says):
    with pytest.raises(SealError, match=says):
        open_sealed([PRIVATE], token, context=b"m")



VECTORS = json.loads((Path(__file__).parents[3] / "docs" / "seal-test-vectors.json").read_text(encoding="utf-8"))


class TestPublishedVectors:
    """docs/seal-test-vectors.json, which integrators check their own HPKE implementation against."""

    @pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: v["name"])
    def test_each_vector_opens_to_its_plaintext_with_its_message_id_as_info(self, vector):
        info = sealing_context(uuid.UUID(vector["message_id"]))
        assert info.hex() == vector["info_hex"] and info.decode() == vector["info"]
        assert public_key(vector["private_key"]) == vector["public_key"] and key_id(vector["public_key"]) == vector["key_id"]
        body = bytes.fromhex(vector["enc_hex"]) + bytes.fromhex(vector["ciphertext_hex"])
        assert vector["token"] == f"v2.{vector['key_id']}.{base64.urlsafe_b64encode(body).rstrip(b'=').decode()}"

        assert open_sealed([vector["private_key"]], vector["token"], context=info) == bytes.fromhex(vector["plaintext_hex"])

    @pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: v["name"])
    def test_each_vector_refuses_another_message_id(self, vector):
        with pytest.raises(SealError, match="cannot be opened"):
            open_sealed([vector["private_key"]], vector["token"], context=sealing_context(uuid.uuid4()))

    def test_the_vectors_name_the_suite_intake_seals_with(self):
        assert VECTORS["suite"] == SUITE_DESCRIPTION
        assert (SUITE_DESCRIPTION["kem_id"], SUITE_DESCRIPTION["kdf_id"], SUITE_DESCRIPTION["aead_id"]) == (0x20, 1, 2)
        assert len(VECTORS["vectors"]) >= 3


class TestRfc9180:
    """The v2 seal is plain RFC 9180 HPKE: a box made by the bare suite opens, and the other way round."""

    def test_the_bare_hpke_suite_interoperates_with_the_token(self):
        from cryptography.hazmat.primitives import hpke
        from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

        suite = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
        info = sealing_context(uuid.uuid4())
        raw = suite.encrypt(PERSONAL, X25519PublicKey.from_public_bytes(base64.b64decode(PUBLIC)), info=info)
        token = f"v2.{key_id(PUBLIC)}.{base64.urlsafe_b64encode(raw).rstrip(b'=').decode()}"
        assert open_sealed([PRIVATE], token, context=info) == PERSONAL

        ours = _body(seal(PUBLIC, PERSONAL, context=info))
        assert len(ours) == 32 + len(PERSONAL) + 16
        private = X25519PrivateKey.from_private_bytes(base64.b64decode(PRIVATE))
        assert suite.decrypt(ours, private, info=info) == PERSONAL
