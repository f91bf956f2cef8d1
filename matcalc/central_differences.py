"""A central difference, (f(x + εU) − f(x − εU)) / 2ε, of a scalar or an array-valued f, and
the rounding it may carry: the numbers that `gradcheck` compares a derivative with, an objective's
for a gradient and a gradient's for a second derivative."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from matcalc.errors import ErrorKind, MatcalcError
from matcalc.numeric import Array


def central_difference(
    f: Callable[[Array], Array],
    x: Array,
    direction: Array,
    epsilon: float,
    what: str,
    name: str,
) -> tuple[Array, float]:
    """(f(x + εU) − f(x − εU)) / 2ε, scalar or array, and the rounding it may carry
    (`round_off`, in the Frobenius norm for an array). `what` and `name` say what f is in
    the error raised where it is not real: "the objective", "f"."""
    at = f(x)

    def difference(step: float) -> Array:
        return (f(x + step * direction) - f(x - step * direction)) / (2 * step)

    numeric = difference(epsilon)
    others = [difference(epsilon / 2), difference(2 * epsilon)]
    if not all(np.all(np.isfinite(found)) for found in (at, numeric, *others)):
        shown = f"{float(at)}" if at.size == 1 else "not finite"
        raise MatcalcError(
            f"{what} is not real at the sampled inputs ({name} is {shown} there or beside "
            "them): they are outside its domain, so there is nothing to compare",
            ErrorKind.VALUE,
        )
    spread = max(norm(numeric - other) for other in others)
    return numeric, round_off(spread, norm(at), epsilon)


def norm(value: float | Array) -> float:
    """The absolute value of a number, the Frobenius norm of an array."""
    return float(np.linalg.norm(value))


ULPS = 4
"""Units in the last place of f that its evaluation may lose, at the least."""

MARGIN = 4
"""How far past the rounding it shows a central difference's rounding may reach: it is drawn
anew at each step, and its estimates can fall short."""


def round_off(spread: float, f: float, epsilon: float) -> float:
    """What rounding alone may make of a central difference: at least a few units in the last
    place of f over 2ε, and a few times as much as the difference moves when ε is halved or
    doubled (`spread`), which truncation, of order ε², cannot explain but rounding, of order
    1/ε, does. So a right zero gradient, whose difference is all rounding, agrees even where f
    is computed with cancellation (tr(X^{-1} A X) - tr(A)); a wrong gradient does not, however
    large f is."""
    least = ULPS * float(np.finfo(np.float64).eps) * abs(f) / epsilon
    return MARGIN * spread + least
