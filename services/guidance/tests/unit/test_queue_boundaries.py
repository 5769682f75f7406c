"""A start's places and queue at their edges: an over-full start after a smaller capacity, several places
freed at once, and the expected start when later starts have no or negative free places. Each test fails
for a mutant of queue.py the property test can miss on an unlucky draw (mutation testing, issue 17)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from guidance.domain.queue import StartQueue, expected_start

pytestmark = pytest.mark.unit

A, B, C, D, E, F = (UUID(int=n) for n in range(1, 7))
AUGUST, JANUARY, MAY = date(2026, 8, 17), date(2027, 1, 11), date(2027, 5, 3)


def full(capacity: int, *people: UUID) -> StartQueue:
    queue = StartQueue(capacity)
    for person in people:
        queue.admit(person)
    return queue


class TestFree:
    def test_free_places_count_down_to_none(self):
        queue = StartQueue(2)
        assert queue.free == 2
        queue.admit(A)
        assert queue.free == 1
        queue.admit(B)
        assert queue.free == 0

    def test_an_over_full_start_has_no_free_place_not_a_negative_number(self):
        queue = full(3, A, B, C)
        queue.resize(1)

        assert queue.free == 0 and queue.holders == [A, B, C]

    def test_a_start_of_no_places_queues_the_first_comer(self):
        queue = StartQueue(0)

        assert queue.admit(A) == 1 and queue.holders == [] and queue.waiting == [A]


class TestAdmit:
    def test_the_last_free_place_is_given_and_the_next_comer_waits(self):
        queue = StartQueue(1)

        assert queue.admit(A) is None and queue.holders == [A]
        assert queue.admit(B) == 1 and queue.waiting == [B]

    def test_a_free_place_is_not_given_past_someone_waiting(self):
        queue = full(1, A, B)
        queue.capacity = 2  # a place freed without the queue being filled (as before a resize)

        assert queue.admit(C) == 2 and queue.waiting == [B, C] and queue.holders == [A]

    def test_admitting_someone_again_changes_nothing(self):
        queue = full(1, A, B, C)

        assert queue.admit(A) is None and queue.admit(C) == 2 and queue.admit(B) == 1
        assert (queue.holders, queue.waiting) == ([A], [B, C])

    def test_positions_count_from_one_and_none_for_a_holder_or_a_stranger(self):
        queue = full(1, A, B, C)

        assert [queue.position(p) for p in (A, B, C, D)] == [None, 1, 2, None]


class TestLeave:
    def test_a_holder_leaving_gives_the_place_to_the_first_waiting(self):
        queue = full(1, A, B, C, D)

        assert queue.leave(A) == ([B], [C, D])
        assert (queue.holders, queue.waiting) == ([B], [C, D])

    def test_a_holder_leaving_with_nobody_waiting_moves_nobody(self):
        queue = full(2, A, B)

        assert queue.leave(A) == ([], []) and queue.holders == [B] and queue.free == 1

    def test_a_holder_leaving_an_over_full_start_frees_no_place(self):
        queue = full(3, A, B, C, D)
        queue.resize(1)

        assert queue.leave(A) == ([], []) and queue.holders == [B, C] and queue.waiting == [D]

    def test_the_first_waiting_leaving_moves_everyone_behind(self):
        queue = full(1, A, B, C, D)

        assert queue.leave(B) == ([], [C, D]) and queue.waiting == [C, D]

    def test_the_last_waiting_leaving_moves_nobody(self):
        queue = full(1, A, B, C)

        assert queue.leave(C) == ([], []) and queue.waiting == [B]

    def test_a_stranger_leaving_changes_nothing(self):
        queue = full(1, A, B)

        assert queue.leave(E) == ([], []) and (queue.holders, queue.waiting) == ([A], [B])

    def test_two_places_freed_by_a_larger_capacity_then_a_leaver_fill_in_order(self):
        queue = full(1, A, B, C, D, E)
        queue.capacity = 3  # two places free, nobody promoted yet

        assert queue.leave(A) == ([B, C, D], [E])
        assert (queue.holders, queue.waiting) == ([B, C, D], [E])


class TestResize:
    def test_a_larger_capacity_promotes_several_in_queue_order(self):
        queue = full(1, A, B, C, D, E)

        assert queue.resize(4) == [B, C, D]
        assert (queue.holders, queue.waiting, queue.capacity) == ([A, B, C, D], [E], 4)

    def test_a_larger_capacity_than_the_queue_promotes_everyone(self):
        queue = full(1, A, B, C)

        assert queue.resize(6) == [B, C] and queue.waiting == [] and queue.free == 3

    def test_the_same_capacity_promotes_nobody(self):
        queue = full(2, A, B, C)

        assert queue.resize(2) == [] and queue.waiting == [C]


class TestExpectedStart:
    def test_the_free_places_of_earlier_starts_count(self):
        later = [(AUGUST, 1), (JANUARY, 1), (MAY, 1)]

        assert [expected_start(n, later) for n in (1, 2, 3, 4)] == [AUGUST, JANUARY, MAY, None]

    def test_the_starts_are_taken_in_date_order_whatever_order_they_come_in(self):
        assert expected_start(1, [(MAY, 5), (AUGUST, 1)]) == AUGUST
        assert expected_start(2, [(MAY, 5), (AUGUST, 1)]) == MAY

    def test_a_start_with_no_free_place_reaches_nobody(self):
        assert expected_start(1, [(AUGUST, 0), (JANUARY, 1)]) == JANUARY
        assert expected_start(1, [(AUGUST, 0)]) is None

    def test_an_over_full_start_takes_no_place_from_the_next(self):
        assert expected_start(1, [(AUGUST, -2), (JANUARY, 1)]) == JANUARY
        assert expected_start(2, [(AUGUST, -2), (JANUARY, 2)]) == JANUARY
        assert expected_start(3, [(AUGUST, -2), (JANUARY, 2)]) is None

    def test_the_first_waiting_is_reached_by_one_free_place(self):
        assert expected_start(1, [(AUGUST, 1)]) == AUGUST
        assert expected_start(2, [(AUGUST, 1)]) is None
