"""Fixtures of the end-to-end tests: the whole system as processes (tests/support/system.py)."""

from tests.support.system import system  # noqa: F401
