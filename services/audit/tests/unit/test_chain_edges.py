"""The chain's format pinned byte for byte, and the Verifier's edges: what mutation testing of
audit/domain/chain.py showed the first tests let through."""

import dataclasses
import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from audit.domain.chain import FORMAT, GENESIS, Break, Entry, Head, Record, Verifier, chain_hash, encode, seal, \
    verify

pytestmark = pytest.mark.unit

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
EVENT = uuid.UUID("00000000-0000-4000-8000-000000000001")
CLIENT = uuid.UUID("00000000-0000-4000-8000-000000000002")


def fixed_entry(**overrides) -> Entry:
    fields = dict(event_id=EVENT, type="ClientRegistered", schema_version=2, producer="intake",
                  organisation="raseborg", actor="officer-17", client_id=CLIENT, occurred_at=T0,
                  recorded_at=T0, topic="integration.intake.v1", partition=1, offset=41,
                  envelope='{"payload":{"name":"Åsa"}}'.encode(), received_at=T0 + timedelta(seconds=1))
    fields.update(overrides)
    return Entry(**fields)


def chain(n: int) -> list[Record]:
    records, head = [], Head()
    for i in range(n):
        record = seal(head, fixed_entry(event_id=uuid.uuid4(), offset=i))
        records.append(record)
        head = Head(record.seq, record.hash)
    return records


def copied(data: bytes) -> bytes:
    """Equal bytes in a new object, as a database driver returns them."""
    return bytes(bytearray(data))


def read_back(records: list[Record]) -> list[Record]:
    return [dataclasses.replace(r, prev_hash=copied(r.prev_hash), hash=copied(r.hash)) for r in records]


def head_of(records: list[Record]) -> Head:
    return Head(records[-1].seq, copied(records[-1].hash))


class TestFormat:
    def test_genesis_is_32_zero_bytes(self):
        assert GENESIS == b"\x00" * 32

    def test_the_encoding_is_the_documented_one(self):
        fields = [b"audit-trail/v1", b"1", str(EVENT).encode(), b"ClientRegistered", b"2", b"intake", b"raseborg",
                  b"officer-17", str(CLIENT).encode(), b"2026-03-01T09:30:00.000000+00:00",
                  b"2026-03-01T09:30:00.000000+00:00", b"integration.intake.v1", b"1", b"41",
                  b"2026-03-01T09:30:01.000000+00:00", '{"payload":{"name":"Åsa"}}'.encode()]
        expected = b"".join(len(f).to_bytes(4, "big") + f for f in fields)

        assert FORMAT == b"audit-trail/v1"
        assert encode(1, fixed_entry()) == expected

    def test_the_first_records_hash_is_pinned(self):
        # A change here breaks every stored trail: the hash of the first record of a fixed entry.
        expected = hashlib.sha256(bytes(32) + encode(1, fixed_entry())).hexdigest()

        record = seal(Head(), fixed_entry())

        assert record.hash.hex() == expected
        assert expected == "9419c500c0cd86e4d5dd97fdac89aafe3c5829d359ecc358288a8c14b84abf6d"

    def test_a_head_by_default_is_before_record_one_at_genesis(self):
        assert (Head().seq, Head().hash) == (0, GENESIS)

    @pytest.mark.parametrize("field", ["occurred_at", "recorded_at", "received_at"])
    def test_refuses_each_time_without_a_zone(self, field):
        with pytest.raises(ValueError, match="audit trail times must be timezone-aware"):
            encode(1, fixed_entry(**{field: datetime(2026, 3, 1, 9, 30)}))

    @pytest.mark.parametrize("value", [
        fixed_entry(), Head(), Break(1, None, "x"), seal(Head(), fixed_entry()),
    ], ids=["Entry", "Head", "Break", "Record"])
    def test_entries_records_heads_and_breaks_cannot_be_changed_in_place(self, value):
        name = dataclasses.fields(value)[0].name

        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(value, name, getattr(value, name))


class TestReadBack:
    """Hashes read from the store are equal to, not the same objects as, the ones sealed."""

    def test_an_intact_chain_read_back_verifies_with_its_head(self):
        records = read_back(chain(4))

        assert verify(records, head_of(records)) is None

    def test_an_intact_chain_verifies_without_a_head(self):
        assert verify(read_back(chain(3))) is None

    def test_the_link_is_compared_by_value(self):
        records = read_back(chain(3))
        records[2] = dataclasses.replace(records[2], prev_hash=copied(records[0].hash))

        assert verify(records) == Break(3, records[2].entry.event_id, "prev_hash is not the hash of record 2")

    def test_the_last_record_is_compared_with_the_heads_hash_by_value(self):
        records = read_back(chain(3))
        other = seal(Head(2, records[1].hash), fixed_entry(event_id=uuid.uuid4()))

        broken = verify(records[:2] + [other], head_of(records))

        assert broken == Break(3, other.entry.event_id, "its hash differs from the one the head recorded")


class TestVerifier:
    def test_counts_the_records_that_held(self):
        verifier = Verifier()

        for record in chain(3):
            verifier.check(record)

        assert (verifier.count, verifier.last.seq, verifier.finish()) == (3, 3, None)

    def test_counts_nothing_before_the_first_record(self):
        verifier = Verifier(Head())

        assert (verifier.count, verifier.last, verifier.finish()) == (0, Head(), None)

    def test_the_first_break_stays_and_later_records_are_not_counted(self):
        records = chain(4)
        records[1] = dataclasses.replace(records[1], hash=bytes(32))
        verifier = Verifier()

        results = [verifier.check(r) for r in records]

        first = Break(2, records[1].entry.event_id, "altered: its fields do not match its hash")
        assert results == [None, first, first, first]
        assert (verifier.count, verifier.last.seq, verifier.finish()) == (1, 1, first)

    def test_a_break_is_not_replaced_by_the_heads_missing_records(self):
        records = chain(4)
        records[1] = dataclasses.replace(records[1], hash=bytes(32))

        broken = verify(records[:2], Head(4, records[3].hash))

        assert broken.seq == 2 and broken.what.startswith("altered")

    def test_names_records_cut_off_the_end_with_both_counts(self):
        records = chain(5)

        assert verify(records[:3], head_of(records)) == Break(
            4, None, "missing: the trail ends at record 3 but 5 records were appended")

    def test_an_empty_trail_whose_head_has_records_misses_record_one(self):
        records = chain(2)

        assert verify([], head_of(records)) == Break(
            1, None, "missing: the trail ends at record 0 but 2 records were appended")

    def test_names_a_record_appended_behind_the_heads_back_with_the_heads_end(self):
        records = chain(3)

        assert verify(records, head_of(records[:2])) == Break(
            3, records[2].entry.event_id, "not appended by the trail: its head ends at record 2")

    def test_a_record_ahead_of_the_expected_one_names_the_missing_one(self):
        records = chain(4)
        records[1], records[2] = records[2], records[1]

        assert verify(records) == Break(2, None, "missing: the next record stored is 3")

    def test_a_record_before_the_expected_one_is_out_of_order(self):
        records = chain(3)

        assert verify(records + [records[0]]) == Break(
            1, records[0].entry.event_id, "out of order: found after record 3")

    def test_the_second_record_links_to_record_one(self):
        records = chain(2)
        records[1] = dataclasses.replace(records[1], prev_hash=GENESIS)

        assert verify(records) == Break(2, records[1].entry.event_id, "prev_hash is not the hash of record 1")

    def test_stops_reading_at_the_first_break(self):
        records = chain(5)
        records[1] = dataclasses.replace(records[1], hash=bytes(32))
        read = []

        def stream():
            for r in records:
                read.append(r.seq)
                yield r

        assert verify(stream()).seq == 2
        assert read == [1, 2]


def test_chain_hash_covers_the_previous_hash():
    e = fixed_entry()

    assert chain_hash(GENESIS, 1, e) != chain_hash(b"\x01" * 32, 1, e)


def test_a_trail_longer_than_256_records_compares_numbers_by_value():
    # Past 256, equal ints read from the store are different objects: numbers must be compared by value.
    records = read_back(chain(300))
    last = records[-1]

    assert verify(records, Head(int(str(last.seq)), copied(last.hash))) is None
    assert verify(records[:299], Head(int(str(last.seq)), copied(last.hash))) == Break(
        300, None, "missing: the trail ends at record 299 but 300 records were appended")


@pytest.mark.parametrize("stored", [bytes(32), b"\xff" * 32], ids=["lowest", "highest"])
def test_a_stored_hash_that_differs_either_way_is_found(stored):
    records = chain(3)
    records[1] = dataclasses.replace(records[1], hash=stored)

    assert verify(records) == Break(2, records[1].entry.event_id, "altered: its fields do not match its hash")


@pytest.mark.parametrize("recorded", [bytes(32), b"\xff" * 32], ids=["lowest", "highest"])
def test_a_head_hash_that_differs_either_way_is_found(recorded):
    records = chain(3)

    assert verify(records, Head(3, recorded)) == Break(
        3, records[2].entry.event_id, "its hash differs from the one the head recorded")
