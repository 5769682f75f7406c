"""Places and queues of one course start: who holds a place, who waits, in which order. Pure.

A start has a capacity. Admitting a referral gives it a place while places are free and queues it
otherwise, behind everyone already waiting. When a holder leaves (cancelled, rejected, completed
early), the first in the queue takes the place; a waiting referral that leaves just steps out. Nothing
else ever changes the order: the queue is first come, first served, and no one is lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from uuid import UUID


@dataclass
class StartQueue:
    """One start (or, with continuous admission, the service's places) and its queue."""

    capacity: int
    holders: list[UUID] = field(default_factory=list)
    waiting: list[UUID] = field(default_factory=list)

    @property
    def free(self) -> int:
        return max(self.capacity - len(self.holders), 0)

    def position(self, referral_id: UUID) -> int | None:
        """Place in the queue, from 1; None when not waiting."""
        return self.waiting.index(referral_id) + 1 if referral_id in self.waiting else None

    def admit(self, referral_id: UUID) -> int | None:
        """Give a place (returns None) or queue at the end (returns the queue position)."""
        if referral_id in self.holders:
            return None
        if referral_id in self.waiting:
            return self.position(referral_id)
        if self.free > 0 and not self.waiting:
            self.holders.append(referral_id)
            return None
        self.waiting.append(referral_id)
        return len(self.waiting)

    def leave(self, referral_id: UUID) -> tuple[list[UUID], list[UUID]]:
        """Take the referral out; returns (promoted to a place, still waiting but moved up)."""
        promoted: list[UUID] = []
        if referral_id in self.waiting:
            index = self.waiting.index(referral_id)
            self.waiting.remove(referral_id)
            return [], self.waiting[index:]
        if referral_id not in self.holders:
            return [], []
        self.holders.remove(referral_id)
        while self.free > 0 and self.waiting:
            first = self.waiting.pop(0)
            self.holders.append(first)
            promoted.append(first)
        return promoted, list(self.waiting) if promoted else []

    def resize(self, capacity: int) -> list[UUID]:
        """A new capacity (the catalogue changed); fills freed places from the queue, returns who got one.
        A smaller capacity takes no place away from anyone holding one."""
        self.capacity = capacity
        promoted = []
        while self.free > 0 and self.waiting:
            promoted.append(self.waiting.pop(0))
            self.holders.append(promoted[-1])
        return promoted


def expected_start(position: int, later_starts: Sequence[tuple[date, int]]) -> date | None:
    """The first later start (day, free places there) whose free places reach the `position`-th person
    waiting, counting the free places of the starts before it; None when none does."""
    reached = 0
    for starts_on, free in sorted(later_starts):
        reached += max(free, 0)
        if reached >= position:
            return starts_on
    return None
