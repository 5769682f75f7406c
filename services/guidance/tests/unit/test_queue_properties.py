"""A start's queue never loses or reorders a client across accept, cancel and waitlist moves."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guidance.domain.queue import StartQueue, expected_start

pytestmark = pytest.mark.unit

operations = st.lists(st.one_of(
    st.tuples(st.just("admit"), st.integers(0, 30)),
    st.tuples(st.just("leave"), st.integers(0, 30)),
    st.tuples(st.just("resize"), st.integers(1, 8)),
), max_size=80)


@settings(max_examples=300, deadline=None)
@given(capacity=st.integers(1, 6), ops=operations)
def test_a_queue_never_loses_or_reorders_a_client(capacity, ops):
    people = [UUID(int=n + 1) for n in range(31)]
    queue = StartQueue(capacity)
    arrived: list[UUID] = []  # everyone admitted and not gone, in the order they arrived
    for op, arg in ops:
        if op == "admit":
            person = people[arg]
            position = queue.admit(person)
            if person not in arrived:
                arrived.append(person)
            assert (position is None) == (person in queue.holders)
        elif op == "leave":
            person = people[arg]
            before = list(queue.waiting)
            promoted, moved = queue.leave(person)
            if person in arrived:
                arrived.remove(person)
            assert promoted == [p for p in before if p in queue.holders]  # the first waiting, in order
            assert all(p in queue.waiting for p in moved)
        else:
            queue.resize(arg)
        # nobody lost, nobody twice, nobody who left
        assert sorted(queue.holders + queue.waiting) == sorted(arrived)
        assert len(set(queue.holders + queue.waiting)) == len(queue.holders) + len(queue.waiting)
        # the queue is in arrival order
        assert queue.waiting == [p for p in arrived if p in queue.waiting]
        # nobody waits while a place is free
        assert not queue.waiting or queue.free == 0
        assert [queue.position(p) for p in queue.waiting] == list(range(1, len(queue.waiting) + 1))


def test_a_full_start_queues_instead_of_dropping():
    queue = StartQueue(2)
    first, second, third, fourth = (uuid4() for _ in range(4))

    assert [queue.admit(p) for p in (first, second, third, fourth)] == [None, None, 1, 2]
    assert queue.leave(second) == ([third], [fourth])
    assert queue.position(fourth) == 1 and queue.holders == [first, third]


def test_a_waiting_person_who_leaves_moves_those_behind_up():
    queue = StartQueue(1)
    a, b, c, d = (uuid4() for _ in range(4))
    for p in (a, b, c, d):
        queue.admit(p)

    assert queue.leave(c) == ([], [d])
    assert queue.waiting == [b, d]


def test_a_smaller_capacity_takes_no_place_away():
    queue = StartQueue(3)
    people = [uuid4() for _ in range(4)]
    for p in people:
        queue.admit(p)

    assert queue.resize(1) == [] and queue.holders == people[:3] and queue.waiting == people[3:]
    assert queue.resize(5) == people[3:]


def test_expected_start_is_the_first_later_start_whose_free_places_reach_the_position():
    later = [(date(2026, 8, 17), 2), (date(2027, 1, 11), 3)]

    assert expected_start(1, later) == date(2026, 8, 17)
    assert expected_start(2, later) == date(2026, 8, 17)
    assert expected_start(3, later) == date(2027, 1, 11)
    assert expected_start(6, later) is None
    assert expected_start(1, []) is None
