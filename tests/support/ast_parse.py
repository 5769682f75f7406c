"""`ast.parse` made safe for a test session on CPython 3.11 before 3.11.8.

Those releases keep the AST constructor's recursion depth in state the whole interpreter shares
(CPython gh-106905; 3.11.8 gives each parse its own). Each parse sets that depth to its own starting
value and, once the tree is built, checks that it came back there. The constructor runs no Python code
of its own, but an allocation inside it may start a garbage collection, and a collection runs Python
code: finalizers, weakref callbacks, gc callbacks. If that code parses too, in the same thread or in
another thread it hands the GIL to, the shared depth is reset under the first parse, which then raises
`SystemError: AST constructor recursion depth mismatch` for a tree it built correctly.

A test session parses a lot: hypothesis and schemathesis read predicates, lambdas and signatures while
they generate, pytest rewrites test modules, and on 3.11 every formatted traceback parses its lines to
place its carets. Pytest's hook for exceptions raised in `__del__` formats one as soon as a collection
meets such an object, so garbage left by an earlier test (an asyncio transport of a closed loop, say)
could fail a later test that happened to be parsing. The depth of the caller's stack plays no part:
one thread parsing near the recursion limit gets a RecursionError, never this SystemError.

`install()` replaces `ast.parse` with one that holds automatic collection off while the interpreter's
own parse runs, so no Python code runs inside the constructor and no other parse can begin there.
Nothing is caught or retried: every error, a SyntaxError or a real RecursionError, is raised as the
interpreter raises it. On the releases without the race it changes nothing.
"""

from __future__ import annotations

import ast
import gc
import sys
import threading
from typing import Any

FIXED_IN = (3, 11, 8)
"""The first 3.11 release whose AST constructor counts each parse's depth apart (gh-106905)."""

_interpreter_parse = ast.parse
_lock = threading.Lock()
_inside = 0
_collecting = True


def affected(version: tuple[int, ...] = tuple(sys.version_info[:3])) -> bool:
    """Whether this CPython shares the AST constructor's depth between parses."""
    return sys.implementation.name == "cpython" and (3, 11) <= version[:2] < (3, 12) and version < FIXED_IN


def parse(*args: Any, **kwargs: Any) -> ast.AST:
    """`ast.parse`, with automatic garbage collection off until the tree is built."""
    global _inside, _collecting
    with _lock:
        if _inside == 0:
            _collecting = gc.isenabled()
            gc.disable()
        _inside += 1
    try:
        return _interpreter_parse(*args, **kwargs)
    finally:
        with _lock:
            _inside -= 1
            if _inside == 0 and _collecting:
                gc.enable()


def install() -> bool:
    """Puts `parse` in place of `ast.parse` on the affected releases; says whether it did."""
    if not affected():
        return False
    ast.parse = parse
    return True
