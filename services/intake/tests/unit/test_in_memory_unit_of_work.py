"""The in-memory unit of work keeps the same contract as the PostgreSQL one."""

from __future__ import annotations

import pytest

from intake.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from services.intake.tests.unit_of_work_contract import UnitOfWorkContract

pytestmark = pytest.mark.unit


class TestInMemoryUnitOfWork(UnitOfWorkContract):
    @pytest.fixture
    def make_uow(self):
        store = InMemoryStore()
        return lambda: InMemoryUnitOfWork(store)
