"""Numbers for expressions, with NumPy: the gradient w.r.t. X has X's shape."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, assert_never

import numpy as np
from numpy.typing import NDArray

from matcalc.errors import ErrorKind, MatcalcError
from matcalc.expr import (
    Add,
    Applied,
    Div,
    Expr,
    FrobSq,
    Func,
    Hadamard,
    HadamardDiv,
    HadamardPow,
    Identity,
    MatMul,
    Neg,
    Number,
    Ones,
    Pending,
    Power,
    Symbol,
    Transpose,
    as_node,
)
from matcalc.functions import FUNCTIONS
from matcalc.limits import deep_recursion
from matcalc.operations import operation_of
from matcalc.parser import parse
from matcalc.shapes import Shape, infer
from matcalc.sharing import Binding
from matcalc.traversal import replace_nodes, symbol_names

Array = NDArray[np.float64]


@deep_recursion
def evaluate(
    expr: str | Expr,
    env: Mapping[str, Any],
    *,
    shapes: Mapping[str, Shape] | None = None,
    where: Sequence[Binding] = (),
) -> Array | float:
    """The value of `expr` with the variables bound in `env`.

    Vectors may be 1-D arrays or (n, 1) columns, scalars Python numbers. A generic function `g`
    and its derivative `g'` are callables in `env` (`{"g": np.tanh, "g'": ...}`). `shapes`
    (symbolic, as a Derivation has them) lets a result that holds `ones(m, n)` find m and n.
    `where` holds the named values `expr` uses (a Derivation's), worked out first, in order.
    A 1×1 result is a float; a column result is 1-D when the vectors in `env` were.
    """
    if isinstance(expr, str):
        expr = parse(expr)
    if where:
        env = dict(env)
        for binding in where:
            env[binding.name.name] = evaluate(binding.value, env, shapes=shapes)
    arrays = {name: _as_matrix(name, v) for name, v in env.items() if not callable(v)}
    functions: dict[str, Callable[[Array], Any]] = {n: v for n, v in env.items() if callable(v)}
    sizes = _bind_dimensions(expr, arrays, shapes or {})
    value = _Evaluator(arrays, functions, sizes).value(expr)
    if value.shape == (1, 1):
        return float(value[0, 0])
    one_d = any(np.ndim(v) == 1 for v in env.values() if not callable(v))
    return value[:, 0] if one_d and value.shape[1] == 1 else value


def _as_matrix(name: str, value: Any) -> Array:
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 0:
        return array.reshape(1, 1)
    if array.ndim == 1:
        return array.reshape(-1, 1)
    if array.ndim == 2:
        return array
    raise MatcalcError(
        f"{name} has {array.ndim} dimensions; matcalc handles matrices", ErrorKind.VALUE
    )


def _bind_dimensions(
    expr: Expr, arrays: Mapping[str, Array], symbolic: Mapping[str, Shape]
) -> dict[str, int]:
    """Sizes of the named dimensions, read off the arrays; arrays whose shapes do not fit the
    expression are a MatcalcError here rather than a NumPy error later."""
    sizes: dict[str, int] = {}
    for name, shape in symbolic.items():
        if name in arrays:
            for dim, size in zip(shape, arrays[name].shape, strict=True):
                if isinstance(dim, str) and sizes.setdefault(dim, size) != size:
                    raise MatcalcError(
                        f"{name} has shape {arrays[name].shape}, "
                        f"but dimension {dim} is {sizes[dim]}",
                        ErrorKind.SHAPE,
                    )
    names = set(symbol_names(expr))
    given = {n: (a.shape[0], a.shape[1]) for n, a in arrays.items() if n in names}
    typed = infer(_sized(expr, sizes), given)
    sizes.update({d: v for d, v in typed.bindings.items() if isinstance(v, int)})
    return sizes


def _sized(expr: Expr, sizes: Mapping[str, int]) -> Expr:
    """`expr` with the known sizes written into its all-ones and identity matrices."""

    def size(dim: int | str) -> int | str:
        return sizes.get(dim, dim) if isinstance(dim, str) else dim

    def sized(node: Expr) -> Expr | None:
        match node:
            case Ones(rows, cols):
                return Ones(size(rows), size(cols))
            case Identity(n):
                return Identity(size(n))
        return None

    return replace_nodes(expr, sized)


class _Evaluator:
    def __init__(
        self,
        arrays: Mapping[str, Array],
        functions: Mapping[str, Callable[[Array], Any]],
        sizes: Mapping[str, int],
    ):
        self.arrays, self.functions, self.sizes = arrays, functions, sizes

    def value(self, expr: Expr) -> Array:
        v = self.value
        node = as_node(expr)
        match node:
            case Symbol(name):
                if name not in self.arrays:
                    raise MatcalcError(f"no value for {name}", ErrorKind.VALUE)
                return self.arrays[name]
            case Number(value):
                return np.full((1, 1), float(value))
            case Ones(rows, cols):
                return np.ones((self._size(rows), self._size(cols)))
            case Identity(n):
                return np.eye(self._size(n))
            case Applied():
                return operation_of(node).value(*(v(kid) for kid in node.children()))
            case Transpose(arg):
                return v(arg).T
            case Neg(arg):
                return -v(arg)
            case Add(terms):
                return sum((v(t) for t in terms[1:]), start=v(terms[0]))
            case MatMul(left, right):
                a, b = v(left), v(right)
                return a * b if a.shape == (1, 1) or b.shape == (1, 1) else a @ b
            case Div(num, den):
                return v(num) / v(den)
            case Hadamard(left, right):
                return v(left) * v(right)
            case HadamardDiv(left, right):
                return v(left) / v(right)
            case HadamardPow(base, exponent):
                return v(base) ** exponent
            case Func(name, arg):
                return np.asarray(self._function(name)(v(arg)), dtype=np.float64)
            case FrobSq(arg):
                return np.full((1, 1), float(np.sum(v(arg) ** 2)))
            case Power(base, exponent):
                b, e = v(base), v(exponent)
                if b.shape == (1, 1):
                    return np.asarray(b ** e[0, 0], dtype=np.float64)
                return np.asarray(np.linalg.matrix_power(b, int(e[0, 0])), dtype=np.float64)
            case Pending():
                raise MatcalcError("a pending derivative has no value", ErrorKind.VALUE)
            case _:
                assert_never(node)

    def _size(self, dim: int | str) -> int:
        if isinstance(dim, int):
            return dim
        if dim not in self.sizes:
            raise MatcalcError(f"the size of dimension {dim} is unknown", ErrorKind.VALUE)
        return self.sizes[dim]

    def _function(self, name: str) -> Callable[[Array], Any]:
        if name in self.functions:
            return self.functions[name]
        if name in FUNCTIONS:
            return lambda x: FUNCTIONS[name].numpy(np, x)
        raise MatcalcError(
            f"{name} is a generic function: pass it in env as a callable", ErrorKind.VALUE
        )
