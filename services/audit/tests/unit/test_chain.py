import dataclasses
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from audit.domain.chain import GENESIS, Entry, Head, chain_hash, encode, seal, verify

pytestmark = pytest.mark.unit

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def entry(**overrides) -> Entry:
    fields = dict(event_id=uuid.uuid4(), type="ClientRegistered", schema_version=2, producer="intake",
                  organisation="raseborg", actor="officer-17", client_id=uuid.uuid4(), occurred_at=T0,
                  recorded_at=T0, topic="integration.intake.v1", partition=1, offset=41,
                  envelope=b'{"payload":{}}', received_at=T0 + timedelta(seconds=1))
    fields.update(overrides)
    return Entry(**fields)


def chain(n: int) -> list:
    records, head = [], Head()
    for _ in range(n):
        record = seal(head, entry())
        records.append(record)
        head = Head(record.seq, record.hash)
    return records


def head_of(records) -> Head:
    return Head(records[-1].seq, records[-1].hash) if records else Head()


class TestSeal:
    def test_the_first_record_is_number_one_and_links_to_the_genesis_hash(self):
        record = seal(Head(), entry())

        assert (record.seq, record.prev_hash, len(record.hash)) == (1, GENESIS, 32)

    def test_each_record_links_to_the_hash_of_the_one_before(self):
        first, second = chain(2)

        assert (second.seq, second.prev_hash) == (2, first.hash)

    @pytest.mark.parametrize("field", [f.name for f in dataclasses.fields(Entry)])
    def test_changing_any_field_changes_the_hash(self, field):
        original = entry()
        value = getattr(original, field)
        changed = {uuid.UUID: uuid.uuid4(), str: "x", int: 7, bytes: b"{}", datetime: T0 - timedelta(days=1)}

        altered = dataclasses.replace(original, **{field: changed[type(value)]})

        assert chain_hash(GENESIS, 1, altered) != chain_hash(GENESIS, 1, original)

    def test_the_position_in_the_chain_is_part_of_the_hash(self):
        e = entry()

        assert chain_hash(GENESIS, 1, e) != chain_hash(GENESIS, 2, e)

    def test_field_boundaries_cannot_be_shifted_to_forge_the_same_encoding(self):
        a = entry(type="AB", producer="C")

        b = dataclasses.replace(a, type="A", producer="BC")

        assert encode(1, a) != encode(1, b)

    def test_the_same_instant_in_another_zone_hashes_the_same(self):
        helsinki = timezone(timedelta(hours=2))
        e = entry()

        moved = dataclasses.replace(e, occurred_at=e.occurred_at.astimezone(helsinki))

        assert chain_hash(GENESIS, 1, moved) == chain_hash(GENESIS, 1, e)

    def test_refuses_times_without_a_zone(self):
        with pytest.raises(ValueError):
            seal(Head(), entry(received_at=datetime(2026, 3, 1, 9, 30)))


class TestVerify:
    def test_an_intact_chain_has_no_break(self):
        records = chain(5)

        assert verify(records, head_of(records)) is None

    def test_an_empty_trail_has_no_break(self):
        assert verify([], Head()) is None

    def test_names_the_record_whose_fields_were_altered(self):
        records = chain(5)
        records[2] = dataclasses.replace(records[2], entry=dataclasses.replace(records[2].entry, actor="officer-99"))

        broken = verify(records, head_of(records))

        assert (broken.seq, broken.event_id) == (3, records[2].entry.event_id)
        assert "altered" in broken.what

    def test_names_the_record_whose_stored_hash_was_replaced(self):
        records = chain(4)
        records[1] = dataclasses.replace(records[1], hash=bytes(32))

        assert verify(records).seq == 2

    def test_names_the_record_whose_link_was_rewritten(self):
        records = chain(4)
        records[3] = dataclasses.replace(records[3], prev_hash=records[1].hash)

        broken = verify(records)

        assert (broken.seq, broken.what) == (4, "prev_hash is not the hash of record 3")

    def test_a_record_rehashed_after_altering_it_breaks_the_link_of_the_next(self):
        records = chain(4)
        forged = dataclasses.replace(records[1].entry, actor="officer-99")
        records[1] = seal(Head(1, records[0].hash), forged)

        assert verify(records).seq == 3

    def test_names_a_missing_record_by_its_number(self):
        records = chain(5)
        del records[2]

        broken = verify(records, head_of(records))

        assert (broken.seq, broken.event_id) == (3, None)
        assert broken.what == "missing: the next record stored is 4"

    def test_detects_records_out_of_order(self):
        records = chain(4)
        records[1], records[2] = records[2], records[1]

        assert verify(records).seq == 2

    def test_detects_a_repeated_record(self):
        records = chain(3)

        broken = verify(records + [records[2]])

        assert (broken.seq, broken.what) == (3, "out of order: found after record 3")

    def test_detects_records_cut_off_the_end_through_the_head(self):
        records = chain(5)

        broken = verify(records[:3], head_of(records))

        assert (broken.seq, broken.event_id) == (4, None)

    def test_detects_a_record_appended_behind_the_heads_back(self):
        records = chain(4)

        broken = verify(records, head_of(records[:3]))

        assert (broken.seq, broken.event_id) == (4, records[3].entry.event_id)

    def test_detects_a_last_record_that_differs_from_the_one_the_head_recorded(self):
        records = chain(3)
        other = seal(Head(2, records[1].hash), entry())

        broken = verify(records[:2] + [other], head_of(records))

        assert broken.seq == 3 and "head" in broken.what

    def test_a_trail_that_does_not_start_at_genesis_breaks_at_record_one(self):
        records = chain(2)
        records[0] = seal(Head(0, b"\x01" * 32), records[0].entry)

        assert verify(records).what == "prev_hash is not the genesis hash"
