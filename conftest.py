"""Fixtures shared by every test folder: the real Kafka and PostgreSQL (see tests/support/infra.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

# Import the real `contracts` package before pytest imports contracts/tests/conftest.py: under
# --import-mode=importlib that conftest's dotted name would otherwise register the folder
# contracts/ as a namespace package called `contracts`, hiding contracts/src/contracts.
import contracts  # noqa: F401
import guide  # noqa: F401  (the same for guide/tests/: the public guide's package is guide/src/guide)
from tests.support import ast_parse
from tests.support.infra import Infra, provide

pytest_plugins = ("tests.support.route_tables",)  # the `publish` fixture: events on the bus, as their producers

# On CPython 3.11 before 3.11.8 two parses can meet inside the AST constructor and one fails with a
# SystemError (hypothesis and schemathesis parse while they generate): see tests/support/ast_parse.py.
ast_parse.install()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `after_all` run last, the others keeping their order (sort is stable)."""
    items.sort(key=lambda item: item.get_closest_marker("after_all") is not None)


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    provided = provide()
    yield provided
    provided.close()


@pytest.fixture
def unique() -> str:
    """A fresh id per test, so tests sharing one broker and database need no clean-up."""
    return uuid.uuid4().hex[:12]
