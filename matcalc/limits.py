"""The sizes matcalc accepts, in one place: past them a clear error or a note, never a crash.

Each limit is far above what a person writes by hand and low enough that the work up to it
takes well under a second (benchmarks/robustness.py measures the worst cases).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from types import FrameType
from typing import ParamSpec, TypeVar

_P = ParamSpec("_P")
_R = TypeVar("_R")

MAX_INPUT = 100_000
"""Characters in an objective."""

MAX_TOKENS = 2_000
"""Names, numbers, operators and brackets in an objective."""

MAX_NUMBER_DIGITS = 400
"""Digits of a number in an objective, counting the zeros its exponent stands for: 1e-300 and
all of float64's range are kept exact, 1e5000 is refused (Python will not print an integer of
more than 4,300 digits)."""

MAX_EXACT_DIGITS = 4000
"""Digits of any number a derivation works with, such as a product of the objective's constants
or a power of one: past it, a clear error rather than a number no one can print (Python will
not write an integer of more than 4,300 digits)."""

MAX_DERIVATIVE_SIZE = 3_000
"""Nodes that a definition's derivative may have, as `derivative_size` estimates it before SymPy
works it out: the derivative of a chain nested k deep holds k copies of its inside, so its size
and SymPy's time grow with k^2 and faster. The limit is far above a formula written by hand
(softplus's derivative has under 20) and keeps the worst case within a second."""

MAX_DEPTH = 300
"""Operations nested inside each other, e.g. exp(exp(…)) or A1 A2 … (one level per factor):
enough for a 128-layer network, tanh(… tanh(X W1) W2 …) W128, which nests 2 levels a layer."""

STACK_FRAMES = 5_000
"""Python frames that matcalc's own calls may use beyond their caller's: parsing, simplifying
and printing recurse on the nesting, and objectives nested MAX_DEPTH deep take up to about
2,000 frames (tests/test_limits.py)."""

MAX_DERIVATION = 300_000
"""Nodes written out over all the steps of one derivation."""

MAX_TERMS = 32
"""Terms an expanded closed form may have; past it products of sums are kept factored."""

MAX_POWER = 32
"""The largest whole power of a matrix (its derivative has that many terms), and the largest
exponent to which the simplifier raises a number (2^32 is already 10 digits)."""

MAX_ENTRIES = 10**8
"""Entries of one matrix that evaluation or a numerical check makes (800 MB of float64):
past it, a clear error before anything is allocated."""


def deep_recursion(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """`function`, given STACK_FRAMES frames beyond its caller's while it runs: Python's recursion
    limit is raised for the call if it is lower, and put back after, so that importing or using
    matcalc leaves the interpreter's settings as they were. The limit being one for all threads,
    calls from several threads at once may see each other's."""

    @functools.wraps(function)
    def within(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        if _inside:  # an outer call has made room already
            return function(*args, **kwargs)
        before = sys.getrecursionlimit()
        _inside.append(True)
        try:
            sys.setrecursionlimit(max(before, _depth() + STACK_FRAMES))
            return function(*args, **kwargs)
        finally:
            sys.setrecursionlimit(before)
            _inside.pop()

    return within


_inside: list[bool] = []
"""Non-empty while a call made with `deep_recursion` runs: calls within it only pass through.
(The recursion limit is one for the whole interpreter, so this is too.)"""


def _depth() -> int:
    """How many frames the caller is deep."""
    frame: FrameType | None = sys._getframe(1)
    depth = 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    return depth
