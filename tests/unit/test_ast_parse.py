"""The test session's `ast.parse` (tests/support/ast_parse.py): a parse that a garbage collection
re-enters from a finalizer builds its tree, where the interpreter's own parse on CPython 3.11 before
3.11.8 raises `SystemError: AST constructor recursion depth mismatch`; errors pass through unchanged."""

from __future__ import annotations

import ast
import gc
import inspect
import json

import pytest

from tests.support import ast_parse

pytestmark = pytest.mark.unit

SOURCE = inspect.getsource(json.decoder)
"""A module of some size: its tree takes many allocations to build, so collections run inside it."""


class ParsesWhenCollected:
    """Garbage whose finalizer parses, as a finalizer that formats a traceback does on 3.11 (the caret
    lines), from a deeper stack than the parse it interrupts."""

    def __init__(self, parse) -> None:
        self.parse = parse
        self.me = self  # a cycle: only the cyclic collector frees it, at an allocation of its choosing

    def __del__(self) -> None:
        def deeper(n: int) -> None:
            if n:
                return deeper(n - 1)
            self.parse("x = [1, (2, {3: 4})]")
        deeper(20)


def parse_among_garbage(parse, times: int = 5) -> list[str]:
    """Parses SOURCE `times` times, each with garbage that parses when collected and a collection
    after every allocation; returns each outcome (the tree dumped, or the error)."""
    outcomes = []
    threshold = gc.get_threshold()
    gc.set_threshold(1)
    try:
        for _ in range(times):
            ParsesWhenCollected(parse)
            try:
                outcomes.append(ast.dump(parse(SOURCE)))
            except SystemError as error:
                outcomes.append(f"SystemError: {error}")
    finally:
        gc.set_threshold(*threshold)
        gc.collect()
    return outcomes


def test_a_parse_that_a_collection_re_enters_builds_its_tree():
    expected = ast.dump(ast_parse._interpreter_parse(SOURCE))
    assert parse_among_garbage(ast_parse.parse) == [expected] * 5
    assert gc.isenabled()


def test_the_interpreters_own_parse_fails_there_exactly_on_the_affected_releases():
    outcomes = parse_among_garbage(ast_parse._interpreter_parse)
    if ast_parse.affected():
        assert outcomes and all("AST constructor recursion depth mismatch" in o for o in outcomes), outcomes
    else:
        assert outcomes == [ast.dump(ast_parse._interpreter_parse(SOURCE))] * 5


def test_the_session_parses_with_it_where_the_interpreter_has_the_race():
    assert (ast.parse is ast_parse.parse) is ast_parse.affected()


@pytest.mark.parametrize(("version", "affected"), [
    ((3, 11, 0), True), ((3, 11, 7), True), ((3, 11, 8), False), ((3, 11, 14), False),
    ((3, 10, 13), False), ((3, 12, 0), False), ((3, 13, 1), False),
])
def test_the_releases_with_the_race_are_3_11_0_to_3_11_7(version, affected):
    assert ast_parse.affected(version) is affected


def test_errors_pass_through_and_collection_is_back_on_afterwards():
    with pytest.raises(SyntaxError):
        ast_parse.parse("def (:")
    assert gc.isenabled()
    nested = "x = " + "[" * 5000 + "]" * 5000
    with pytest.raises((RecursionError, MemoryError, SyntaxError)) as raised:
        ast_parse._interpreter_parse(nested)
    with pytest.raises(raised.type):
        ast_parse.parse(nested)
    assert gc.isenabled()


def test_collection_stays_off_after_a_parse_when_it_was_off_before():
    gc.disable()
    try:
        ast_parse.parse("x = 1")
        assert not gc.isenabled()
    finally:
        gc.enable()
