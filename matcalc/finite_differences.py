"""Numerical check of a derived gradient: central differences in a random direction.

For a random direction U, ⟨df/dX, U⟩ must equal (f(X + εU) − f(X − εU)) / 2ε, in float64, with
the symbolic dimensions given distinct sizes (3, 4, 5, …) so that no mix-up of dimensions hides.
"""

from __future__ import annotations

import math
import reprlib
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import numpy as np

from matcalc.definitions import Definition
from matcalc.derivation import Derivation
from matcalc.errors import ErrorKind, MatcalcError
from matcalc.expr import ZERO, Expr, Func, MatMul, Transpose
from matcalc.functions import is_generic
from matcalc.limits import MAX_ENTRIES, deep_recursion
from matcalc.numeric import evaluate
from matcalc.shapes import Shape, show
from matcalc.sharing import Binding
from matcalc.traversal import preorder


def random_env(
    symbols: Mapping[str, Shape],
    expr: Expr | None = None,
    *,
    seed: int = 0,
    low: float = -1.0,
    high: float = 1.0,
    symmetric: Collection[str] = (),
) -> dict[str, Any]:
    """Random values for every symbol (distinct sizes 3, 4, 5, … per named dimension; the
    `symmetric` ones made symmetric), and sin and cos for every generic function g and its g'
    in `expr`."""
    rng = np.random.default_rng(seed)
    sizes: dict[int | str, int] = {}
    env: dict[str, Any] = {}
    for name, shape in symbols.items():
        dims = [d if isinstance(d, int) else sizes.setdefault(d, 3 + len(sizes)) for d in shape]
        if math.prod(dims) > MAX_ENTRIES:
            raise MatcalcError(
                f"{name} is {show(shape)}, too large to evaluate or check (more than "
                f"{MAX_ENTRIES:,} entries)",
                ErrorKind.VALUE,
            )
        env[name] = rng.uniform(low, high, size=dims)
        if name in symmetric:
            env[name] = (env[name] + env[name].T) / 2
    for name in _generic_functions(expr) if expr is not None else ():
        env[name], env[name + "'"] = np.sin, np.cos
    return env


def _generic_functions(expr: Expr) -> set[str]:
    return {
        node.name.rstrip("'")
        for node in preorder(expr)
        if isinstance(node, Func) and is_generic(node.name)
    }


def directional_derivatives(
    objective: Expr,
    gradient: Expr,
    wrt: str,
    symbols: Mapping[str, Shape],
    env: Mapping[str, Any],
    *,
    seed: int = 0,
    epsilon: float = 1e-6,
    symmetric: bool = False,
    where: Sequence[Binding] = (),
    functions: Mapping[str, Definition] | None = None,
) -> tuple[float, float]:
    """(the central difference of `objective` along a random U, ⟨gradient, U⟩); U is symmetric
    for a `symmetric` variable, which moves only among symmetric matrices. `where` holds the
    named values the gradient uses, `functions` the user's functions both use."""
    numeric, analytic, _ = _along(
        objective, gradient, wrt, symbols, env, seed, epsilon, symmetric, where, functions
    )
    return numeric, analytic


def _along(
    objective: Expr,
    gradient: Expr,
    wrt: str,
    symbols: Mapping[str, Shape],
    env: Mapping[str, Any],
    seed: int,
    epsilon: float,
    symmetric: bool,
    where: Sequence[Binding],
    functions: Mapping[str, Definition] | None = None,
) -> tuple[float, float, float]:
    """The two directional derivatives of `directional_derivatives`, and the rounding the
    central difference may carry (`round_off`)."""
    if wrt not in env:
        raise MatcalcError(f"env has no value for {wrt}, the variable", ErrorKind.VALUE)
    x = np.asarray(env[wrt], dtype=np.float64)
    if gradient == ZERO:  # 0 stands for the zero matrix of the variable's shape
        value = np.zeros_like(x)
    else:
        found = evaluate(gradient, env, shapes=symbols, where=where, functions=functions)
        value = np.asarray(found, dtype=np.float64)
        if value.ndim == 0 and x.size == 1:  # a 1×1 value comes back as a float
            value = value.reshape(x.shape)
    if value.shape != x.shape:
        raise MatcalcError(
            f"the gradient has shape {value.shape} but {wrt} has {x.shape}", ErrorKind.SHAPE
        )
    direction = np.random.default_rng(seed + 1).normal(size=x.shape)
    if symmetric:
        direction = (direction + direction.T) / 2

    def f(point: Any) -> float:
        return float(evaluate(objective, {**env, wrt: point}, shapes=symbols, functions=functions))

    def difference(step: float) -> float:
        return (f(x + step * direction) - f(x - step * direction)) / (2 * step)

    at = f(x)
    numeric = difference(epsilon)
    others = [difference(epsilon / 2), difference(2 * epsilon)]
    if not all(math.isfinite(found) for found in (at, numeric, *others)):
        raise MatcalcError(
            f"the objective is not real at the sampled inputs (f is {at} there or beside "
            "them): they are outside its domain, so there is nothing to compare",
            ErrorKind.VALUE,
        )
    spread = max(abs(numeric - other) for other in others)
    analytic = float(np.sum(value * direction))
    return numeric, analytic, round_off(spread, at, epsilon)


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


def relative_error(numeric: float, analytic: float, noise: float = 0.0) -> float:
    """How far apart a central difference and ⟨gradient, U⟩ are beyond the difference's
    rounding `noise` (`round_off`), relative to the larger of them; 1e-8 keeps two
    round-off-sized values from counting as far apart."""
    apart = max(0.0, abs(numeric - analytic) - noise)
    return apart / max(abs(numeric), abs(analytic), 1e-8)


@deep_recursion
def gradcheck(
    derivation: Derivation,
    env: Mapping[str, Any] | None = None,
    *,
    seed: int = 0,
    positive: bool = False,
) -> float:
    """The relative error of the derivation's result against central differences, beyond what
    rounding f can explain (`relative_error`, `round_off`): 0 for a zero gradient that is right.

    `positive` draws inputs from [0.5, 1.5] instead of [-1, 1], for log and sqrt. Where the
    objective is not real at the inputs (log of a negative number), a MatcalcError says so.
    """
    _check_arguments(derivation, env, seed)
    symbols, symmetric = derivation.shapes.symbols, derivation.shapes.symmetric
    if env is None:
        low, high = (0.5, 1.5) if positive else (-1.0, 1.0)
        env = random_env(
            symbols, derivation.objective, seed=seed, low=low, high=high, symmetric=symmetric
        )
    result = derivation.result
    if derivation.layout == "numerator":
        result = Transpose(result)
    # the Jacobian's transpose times u: d(u^T y)/dx; a zero Jacobian is the number 0
    if derivation.cotangent is not None and derivation.result != ZERO:
        result = MatMul(result, derivation.cotangent)
    return relative_error(
        *_along(
            derivation.objective,
            result,
            derivation.wrt.name,
            symbols,
            env,
            seed,
            1e-6,
            derivation.wrt.name in symmetric,
            derivation.where,
            derivation.functions,
        )
    )


def _check_arguments(derivation: object, env: object, seed: object) -> None:
    """gradcheck's arguments must be of their kinds: a clear error rather than NumPy's."""
    if not isinstance(derivation, Derivation):
        raise MatcalcError(
            f"gradcheck takes a Derivation (matcalc.diff's), not {reprlib.repr(derivation)}",
            ErrorKind.VALUE,
        )
    if env is not None and not isinstance(env, Mapping):
        raise MatcalcError(f"env maps names to values, not {reprlib.repr(env)}", ErrorKind.VALUE)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise MatcalcError(
            f"seed is a whole number from 0, not {reprlib.repr(seed)}", ErrorKind.VALUE
        )
