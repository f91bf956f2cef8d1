"""Numerical check of a derivation: central differences in a random direction.

For a random direction U, ⟨df/dX, U⟩ must equal (f(X + εU) − f(X − εU)) / 2ε, in float64, with
the symbolic dimensions given distinct sizes (3, 4, 5, …) so that no mix-up of dimensions hides.
A second derivative applied to U must equal (∇f(X + εU) − ∇f(X − εU)) / 2ε, entry by entry.
"""

from __future__ import annotations

import math
import reprlib
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

import numpy as np

from matcalc.central_differences import central_difference, norm
from matcalc.definitions import Definition
from matcalc.derivation import Derivation
from matcalc.errors import ErrorKind, MatcalcError
from matcalc.expr import ZERO, Dim, Expr, Func, MatMul, Transpose
from matcalc.functions import is_generic
from matcalc.limits import MAX_ENTRIES, deep_recursion
from matcalc.numeric import Array, evaluate
from matcalc.operations import dim_with
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
    sum_to_one: Collection[str] = (),
) -> dict[str, Any]:
    """Random values for every symbol (distinct sizes 3, 4, 5, … per named dimension; the
    `symmetric` ones made symmetric, the `sum_to_one` ones positive and scaled to sum to one
    over a column or along each row), and sin and cos for every generic function g and its g'
    in `expr` (`generic_functions`)."""
    rng = np.random.default_rng(seed)
    sizes: dict[Dim, int] = {}
    env: dict[str, Any] = {}
    for name, shape in symbols.items():
        dims = [_size(d, sizes) for d in shape]
        if math.prod(dims) > MAX_ENTRIES:
            raise MatcalcError(
                f"{name} is {show(shape)}, too large to evaluate or check (more than "
                f"{MAX_ENTRIES:,} entries)",
                ErrorKind.VALUE,
            )
        env[name] = rng.uniform(low, high, size=dims)
        if name in symmetric:
            env[name] = (env[name] + env[name].T) / 2
        if name in sum_to_one:
            weights = rng.uniform(0.5, 1.5, size=dims)
            axis = 0 if dims[1] == 1 else 1
            env[name] = weights / weights.sum(axis=axis, keepdims=True)
    return {**env, **(generic_functions(expr) if expr is not None else {})}


def _size(dim: Dim, sizes: dict[Dim, int]) -> int:
    """A dimension's size: its own, the next distinct one for a name (3, 4, 5, …), the product
    of its factors' for a product of names (m·n, of a Kronecker product)."""
    size = dim_with(dim, lambda name: sizes.setdefault(name, 3 + len(sizes)))
    assert isinstance(size, int)
    return size


def _negative_sine(x: Array) -> Array:
    return -np.sin(x)


def _negative_cosine(x: Array) -> Array:
    return -np.cos(x)


_SINE_DERIVATIVES = (np.sin, np.cos, _negative_sine, _negative_cosine)


def generic_functions(expr: Expr) -> dict[str, Callable[[Array], Array]]:
    """Values for each generic function g of `expr`: g is sin, g' cos, g'' -sin, and so on,
    from g to g' or to the most primes `expr` writes (a second derivative's g'')."""
    primes: dict[str, int] = {}
    for node in preorder(expr):
        if isinstance(node, Func) and is_generic(node.name):
            name = node.name.rstrip("'")
            primes[name] = max(primes.get(name, 1), len(node.name) - len(name))
    return {
        name + "'" * k: _SINE_DERIVATIVES[k % 4]
        for name, most in primes.items()
        for k in range(most + 1)
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
    x = _variable(env, wrt)
    value = _value(gradient, env, symbols, where, functions, x.shape)
    if value.shape != x.shape:
        raise MatcalcError(
            f"the gradient has shape {value.shape} but {wrt} has {x.shape}", ErrorKind.SHAPE
        )
    direction = _direction(x.shape, seed, symmetric)

    def f(point: Any) -> Array:
        return np.asarray(
            evaluate(objective, {**env, wrt: point}, shapes=symbols, functions=functions),
            dtype=np.float64,
        )

    numeric, noise = central_difference(f, x, direction, epsilon, "the objective", "f")
    return float(numeric), float(np.sum(value * direction)), noise


def _variable(env: Mapping[str, Any], wrt: str) -> Array:
    if wrt not in env:
        raise MatcalcError(f"env has no value for {wrt}, the variable", ErrorKind.VALUE)
    return np.asarray(env[wrt], dtype=np.float64)


def _value(
    expr: Expr,
    env: Mapping[str, Any],
    symbols: Mapping[str, Shape],
    where: Sequence[Binding],
    functions: Mapping[str, Definition] | None,
    shape: tuple[int, ...],
) -> Array:
    """The value of `expr` in float64; 0 stands for the zero matrix of `shape`, and a 1×1
    value, which comes back as a float, is given `shape` when that is 1×1."""
    if expr == ZERO:
        return np.zeros(shape)
    found = evaluate(expr, env, shapes=symbols, where=where, functions=functions)
    value = np.asarray(found, dtype=np.float64)
    return value.reshape(shape) if value.ndim == 0 and math.prod(shape) == 1 else value


def _direction(shape: tuple[int, ...], seed: int, symmetric: bool) -> Array:
    """The random direction U of the check: symmetric for a variable that is."""
    direction = np.random.default_rng(seed + 1).normal(size=shape)
    return (direction + direction.T) / 2 if symmetric else direction


def relative_error(numeric: float | Array, analytic: float | Array, noise: float = 0.0) -> float:
    """How far apart a central difference and ⟨gradient, U⟩ (or, for a second derivative, two
    arrays, in the Frobenius norm) are beyond the difference's rounding `noise` (`round_off`),
    relative to the larger of them; 1e-8 keeps two round-off-sized values from counting as far
    apart."""
    apart = max(0.0, norm(np.subtract(numeric, analytic)) - noise)
    return apart / max(norm(numeric), norm(analytic), 1e-8)


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
    A second derivative is checked against central differences of its gradient's result, all
    entries at once (`_second_order_error`).

    `positive` draws inputs from [0.5, 1.5] instead of [-1, 1], for log and sqrt. Where the
    objective is not real at the inputs (log of a negative number), a MatcalcError says so.
    """
    _check_arguments(derivation, env, seed)
    shapes = derivation.shapes
    symbols, symmetric = shapes.symbols, shapes.symmetric
    if env is None:
        low, high = (0.5, 1.5) if positive else (-1.0, 1.0)
        env = random_env(
            symbols,
            derivation.objective,
            seed=seed,
            low=low,
            high=high,
            symmetric=symmetric,
            sum_to_one=shapes.sum_to_one,
        )
        if derivation.gradient is not None:
            env |= generic_functions(derivation.result)
    if derivation.gradient is not None:
        return _second_order_error(derivation, env, seed, 1e-6)
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


def _second_order_error(
    derivation: Derivation, env: Mapping[str, Any], seed: int, epsilon: float
) -> float:
    """How far the second derivative applied to a random U is from (∇f(X + εU) − ∇f(X − εU))
    / 2ε, ∇f being the gradient's result with its named values: relative, in the Frobenius
    norm, beyond what rounding ∇f can explain."""
    gradient = derivation.gradient
    assert gradient is not None
    wrt = derivation.wrt.name
    x = _as_matrix(_variable(env, wrt))
    direction = _direction(x.shape, seed, wrt in derivation.shapes.symmetric)
    symbols, where, functions = gradient.shapes.symbols, gradient.where, gradient.functions

    def differentiated(point: Array) -> Array:
        moved = {**env, wrt: point}
        return _as_matrix(_value(gradient.result, moved, symbols, where, functions, x.shape))

    numeric, noise = central_difference(differentiated, x, direction, epsilon, "the gradient", "∇f")
    return relative_error(numeric, _applied(derivation, env, direction), noise)


def _applied(derivation: Derivation, env: Mapping[str, Any], direction: Array) -> Array:
    """The second derivative applied to the direction U, in U's shape: d²f/dt² u, H u,
    ∇²f[U] (transposed back from numerator layout), or the Hessian of vec(X) times vec(U),
    unstacked (column-major)."""
    values = {**env}
    if derivation.direction is not None:
        values[derivation.direction.name] = direction
    numerator = derivation.layout == "numerator"
    side = direction.size
    shape = {"second derivative": (1, 1), "Hessian": (side, side), "Hessian of vec": (side, side)}
    expected = shape.get(derivation.kind, direction.T.shape if numerator else direction.shape)
    found = _as_matrix(
        _value(
            derivation.result,
            values,
            derivation.shapes.symbols,
            derivation.where,
            derivation.functions,
            expected,
        )
    )
    if found.shape != expected:
        raise MatcalcError(
            f"the {derivation.kind} has shape {found.shape}, but {derivation.wrt} is "
            f"{direction.shape}, so it must be {expected}",
            ErrorKind.SHAPE,
        )
    match derivation.kind:
        case "second derivative":
            return found * direction
        case "Hessian":
            return found @ direction
        case "Hessian of vec":
            vec = direction.reshape(-1, 1, order="F")
            return (found @ vec).reshape(direction.shape, order="F")
    return found.T if numerator else found


def _as_matrix(value: Array) -> Array:
    """A column given or computed 1-D (as `evaluate` gives where env's vectors are) as n×1."""
    return value.reshape(-1, 1) if value.ndim == 1 else value


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
