"""Numbers for expressions, with NumPy: the gradient w.r.t. X has X's shape."""

from __future__ import annotations

import reprlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from fractions import Fraction
from functools import partial
from typing import Any, assert_never

import numpy as np
from numpy.typing import NDArray

from matcalc.declarations import Spec, declared_shape
from matcalc.definitions import Definition, definitions, derivative_template
from matcalc.derivation import Derivation
from matcalc.errors import ErrorKind, MatcalcError
from matcalc.expr import (
    ZERO,
    Add,
    Applied,
    Dim,
    Div,
    Expr,
    FrobSq,
    Func,
    Hadamard,
    HadamardDiv,
    HadamardPow,
    Identity,
    Kron,
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
from matcalc.functions import FUNCTIONS, PLACEHOLDER, is_generic
from matcalc.limits import MAX_ENTRIES, deep_recursion
from matcalc.operations import Mismatch, dim_with, operation_of
from matcalc.parser import parse
from matcalc.shapes import Shape, Shapes, infer, show
from matcalc.sharing import Binding, bindings
from matcalc.traversal import replace_nodes, symbol_names

Array = NDArray[np.float64]

Functions = Mapping[str, str | Definition]
"""The user's functions by name, as `diff` takes them: a formula as text, or a Definition."""


@deep_recursion
def evaluate(
    expr: str | Expr | Derivation,
    env: Mapping[str, Any],
    *,
    shapes: Mapping[str, Spec] | Shapes | None = None,
    where: Sequence[Binding] = (),
    functions: Functions | None = None,
) -> Array | float:
    """The value of `expr` with the variables bound in `env`.

    Vectors may be 1-D arrays or (n, 1) columns, scalars Python numbers. A generic function `g`
    and its derivative `g'` are callables in `env` (`{"g": np.tanh, "g'": ...}`). `shapes`
    (as `diff` takes them, or a Derivation's) lets a result that holds `ones(m, n)` read m and n
    off the arrays. `where` holds the named values `expr` uses (a Derivation's), worked out
    first, in order. `functions` are the user's, as `diff` takes them. A Derivation is its
    result with its own shapes, named values and functions; a zero result is the zero matrix of
    its shape. A 1×1 result is a float; a column result is 1-D when the vectors in `env` were.
    """
    defined = {found.name: found for found in definitions(functions)}
    where = bindings(where)
    if isinstance(expr, Derivation):
        shapes = expr.shapes if shapes is None else shapes
        where = (*expr.result_where, *where)
        defined = {**expr.functions, **defined}
        expr = expr.result if expr.result != ZERO else MatMul(ZERO, Ones(*expr.shape))
    elif isinstance(expr, str):
        expr = parse(expr, defined)
    elif not isinstance(expr, Expr):
        raise MatcalcError(
            f"evaluate takes an expression (text or nodes) or a Derivation, not "
            f"{type(expr).__name__}",
            ErrorKind.VALUE,
        )
    if not isinstance(env, Mapping):
        raise MatcalcError(f"env maps names to values, not {type(env).__name__}", ErrorKind.VALUE)
    symbolic = _symbolic(shapes)
    arrays = {name: _as_matrix(name, v) for name, v in env.items() if not callable(v)}
    for name in arrays.keys() & symbolic.keys():
        _check_kind(name, np.ndim(env[name]), symbolic[name])
    callables = {**elementwise_functions(defined), **{n: v for n, v in env.items() if callable(v)}}
    for binding in where:
        arrays[binding.name.name] = _matrix(binding.value, arrays, callables, symbolic)
    value = _matrix(expr, arrays, callables, symbolic)
    if value.shape == (1, 1):
        return float(value[0, 0])
    one_d = any(np.ndim(v) == 1 for v in env.values() if not callable(v))
    return value[:, 0] if one_d and value.shape[1] == 1 else value


def _check_kind(name: str, ndim: int, shape: Shape) -> None:
    """A number may stand only for a scalar, a 1-D array only for a vector: otherwise the
    array is blamed here, rather than another whose dimension it set to 1."""
    if (ndim == 0 and shape != (1, 1)) or (ndim == 1 and shape[1] != 1):
        given = "a number" if ndim == 0 else "a 1-D array"
        raise MatcalcError(f"{name} is {show(shape)}, but its value is {given}", ErrorKind.SHAPE)


def _matrix(
    expr: Expr,
    arrays: Mapping[str, Array],
    functions: Mapping[str, Callable[[Array], Any]],
    symbolic: Mapping[str, Shape],
) -> Array:
    sizes, typed = _bind_dimensions(expr, arrays, symbolic)
    sized = _sized(expr, sizes, arrays)
    return _Evaluator(arrays, functions, sizes, symbolic, typed).value(sized)


def _symbolic(shapes: Mapping[str, Spec] | Shapes | None) -> dict[str, Shape]:
    """The declared shapes by name: a Derivation's own, or declarations as `diff` takes them."""
    if shapes is None:
        return {}
    if isinstance(shapes, Shapes):
        return dict(shapes.symbols)
    if not isinstance(shapes, Mapping):
        raise MatcalcError(
            f"shapes maps names to shapes, as {{'X': ('m', 'n')}}, not {type(shapes).__name__}",
            ErrorKind.SHAPE,
        )
    return {name: declared_shape(name, spec) for name, spec in shapes.items()}


def elementwise_functions(defined: Mapping[str, Definition]) -> dict[str, Callable[[Array], Any]]:
    """Each of the user's functions, and its derivative `name'`, as a callable applied entry
    by entry: what `env` takes for a function (`{**elementwise_functions(d.functions), **env}`)."""
    found: dict[str, Callable[[Array], Any]] = {}
    for name, given in defined.items():
        found[name] = partial(_entrywise, given.body, given.parameter, given.name)
        found[f"{name}'"] = partial(_derivative, given)
    return found


def _derivative(given: Definition, values: Array) -> Array:
    """The derivative of the user's function at `values`, entry by entry (SymPy works it out)."""
    return _entrywise(derivative_template(given), PLACEHOLDER.name, f"{given.name}'", values)


def _entrywise(body: Expr, parameter: str, name: str, values: Array) -> Array:
    """A scalar formula in `parameter` applied to every entry of `values` at once."""

    def v(node: Expr) -> Any:
        match node:
            case Symbol(found) if found == parameter:
                return values
            case Number(value):
                return float(value)
            case Add(terms):
                return sum((v(t) for t in terms[1:]), start=v(terms[0]))
            case Neg(arg):
                return -v(arg)
            case MatMul(a, b) | Hadamard(a, b):
                return v(a) * v(b)
            case Div(a, b) | HadamardDiv(a, b):
                return v(a) / v(b)
            case Power(a, b):
                return v(a) ** v(b)
            case HadamardPow(a, k):
                return v(a) ** k
            case Transpose(arg):
                return v(arg)
            case Func(function, arg) if function in FUNCTIONS:
                return FUNCTIONS[function].numpy(np, v(arg))
        raise MatcalcError(
            f"{name}: {node} is not a scalar formula in {parameter}", ErrorKind.VALUE
        )

    return np.asarray(v(body), dtype=np.float64) + np.zeros_like(values)


def _as_matrix(name: str, value: Any) -> Array:
    """`value` as a float64 matrix; a complex value is refused, where NumPy would drop its
    imaginary part."""
    try:
        if value is None:  # NumPy would read it as nan
            raise TypeError(name)
        given = np.asarray(value)
        array = None if np.iscomplexobj(given) else given.astype(np.float64)
    except OverflowError:
        raise MatcalcError(
            f"{name} is beyond the largest float, about 1.8e308", ErrorKind.VALUE
        ) from None
    except (TypeError, ValueError) as error:
        raise MatcalcError(
            f"{name} is not an array of real numbers ({type(value).__name__})", ErrorKind.VALUE
        ) from error
    if array is None:
        raise MatcalcError(f"{name} is complex; matcalc evaluates real numbers", ErrorKind.VALUE)
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
) -> tuple[dict[str, int], Shapes]:
    """Sizes of the named dimensions, read off the arrays, and the shapes of `expr` with them;
    arrays whose shapes do not fit the expression are a MatcalcError here rather than a NumPy
    error later."""
    sizes: dict[str, int] = {}
    for name, shape in symbolic.items():
        if name in arrays:
            for dim, size in zip(shape, arrays[name].shape, strict=True):
                if isinstance(dim, int) and dim != size:
                    raise MatcalcError(
                        f"{name} has shape {arrays[name].shape}, but is declared {show(shape)}",
                        ErrorKind.SHAPE,
                    )
                if isinstance(dim, str) and sizes.setdefault(dim, size) != size:
                    raise MatcalcError(
                        f"{name} has shape {arrays[name].shape}, "
                        f"but dimension {dim} is {sizes[dim]}",
                        ErrorKind.SHAPE,
                    )
    names = set(symbol_names(expr))
    given = {n: (a.shape[0], a.shape[1]) for n, a in arrays.items() if n in names}
    typed = infer(_sized(expr, sizes, arrays), given)
    sizes.update({d: v for d, v in typed.bindings.items() if isinstance(v, int)})
    return sizes, typed


def _sized(expr: Expr, sizes: Mapping[str, int], arrays: Mapping[str, Array]) -> Expr:
    """`expr` with the known sizes written into its all-ones and identity matrices, and for
    the dimensions' names that stand for their sizes (the m of sum(X) / m)."""

    def size(dim: Dim) -> Dim:
        return dim_with(dim, lambda name: sizes.get(name, name))

    def sized(node: Expr) -> Expr | None:
        match node:
            case Ones(rows, cols):
                return Ones(size(rows), size(cols))
            case Identity(n):
                return Identity(size(n))
            case Symbol(name) if name in sizes and name not in arrays:
                return Number(Fraction(sizes[name]))
        return None

    return replace_nodes(expr, sized)


@contextmanager
def _singular(node: Expr) -> Iterator[None]:
    """NumPy's LinAlgError, where `node` needs an inverse of a singular matrix, as a
    MatcalcError naming the matrix and the node."""
    try:
        yield
    except np.linalg.LinAlgError:
        raise MatcalcError(
            f"{node.children()[0]} is singular where {node} is evaluated", ErrorKind.VALUE
        ) from None


class _Evaluator:
    def __init__(
        self,
        arrays: Mapping[str, Array],
        functions: Mapping[str, Callable[[Array], Any]],
        sizes: Mapping[str, int],
        symbolic: Mapping[str, Shape],
        typed: Shapes,
    ):
        self.arrays, self.functions, self.sizes = arrays, functions, sizes
        self.symbolic, self.typed = symbolic, typed
        self.declared = Shapes(dict(symbolic))
        """The shapes as declared, with names for sizes: a softmax's axis follows them."""

    def _column(self, expr: Expr) -> bool:
        """Whether `expr` is a column as declared (a matrix given one column is none); as
        given where something in it is not declared."""
        try:
            return self.declared.of(expr)[1] == 1
        except (KeyError, Mismatch):
            return self.typed.of(expr)[1] == 1

    def value(self, expr: Expr) -> Array:
        v = self.value
        node = as_node(expr)
        self._room(node)
        match node:
            case Symbol(name):
                if name not in self.arrays:
                    raise MatcalcError(
                        f"no value for {name}; a derivation's result, which may use named "
                        "values (H1 = …), evaluates with evaluate(derivation, env)",
                        ErrorKind.VALUE,
                    )
                return self.arrays[name]
            case Number(value):
                return np.full((1, 1), float(value))
            case Ones(rows, cols):
                return np.ones((self._size(rows), self._size(cols)))
            case Identity(n):
                return np.eye(self._size(n))
            case Applied():
                arguments = [v(kid) for kid in node.children()]
                column = self._column(node.children()[0])
                with _singular(node):
                    return operation_of(node).value(*arguments, column=column)
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
            case Kron(left, right):
                return np.asarray(np.kron(v(left), v(right)), dtype=np.float64)
            case HadamardPow(base, exponent):
                return v(base) ** exponent
            case Func(name, arg):
                return self._applied(name, v(arg))
            case FrobSq(arg):
                return np.full((1, 1), float(np.sum(v(arg) ** 2)))
            case Power(base, exponent):
                b, e = v(base), v(exponent)
                if b.shape == (1, 1):
                    return np.asarray(b ** e[0, 0], dtype=np.float64)
                with _singular(node):
                    power = np.linalg.matrix_power(b, int(e[0, 0]))
                return np.asarray(power, dtype=np.float64)
            case Pending():
                raise MatcalcError("a pending derivative has no value", ErrorKind.VALUE)
            case _:
                assert_never(node)

    def _room(self, node: Expr) -> None:
        """A MatcalcError, before anything is allocated, where `node`'s value would have more
        than MAX_ENTRIES entries (a pending derivative has no value, and is refused below)."""
        if isinstance(node, Pending):
            return
        rows, cols = (
            self.sizes.get(d, d) if isinstance(d, str) else d for d in self.typed.of(node)
        )
        if isinstance(rows, int) and isinstance(cols, int) and rows * cols > MAX_ENTRIES:
            raise MatcalcError(
                f"{reprlib.repr(str(node))} is {rows}×{cols}, too large to evaluate "
                f"(more than {MAX_ENTRIES:,} entries)",
                ErrorKind.VALUE,
            )

    def _applied(self, name: str, argument: Array) -> Array:
        """The elementwise function `name` applied to `argument`: what a callable in env
        returns must be real numbers in the argument's shape."""
        function = self._function(name)
        found = function(argument)
        try:
            value = None if np.iscomplexobj(found) else np.asarray(found, dtype=np.float64)
        except (TypeError, ValueError):
            value = None
        if value is None or value.shape != argument.shape:
            given = reprlib.repr(found) if value is None else f"shape {value.shape}"
            raise MatcalcError(
                f"{name} gives {given} for an argument of shape {argument.shape}: an "
                "elementwise function returns real numbers in its argument's shape",
                ErrorKind.VALUE,
            )
        return value

    def _size(self, dim: Dim) -> int:
        size = dim_with(dim, self._named_size)
        assert isinstance(size, int)
        return size

    def _named_size(self, dim: str) -> int:
        if dim not in self.sizes:
            holders = [name for name, shape in self.symbolic.items() if dim in shape]
            hint = " or ".join(holders) or "the shapes, as evaluate(derivation, env) does"
            raise MatcalcError(
                f"the size of dimension {dim} is unknown: give {hint}", ErrorKind.VALUE
            )
        return self.sizes[dim]

    def _function(self, name: str) -> Callable[[Array], Any]:
        if name in self.functions:
            return self.functions[name]
        if name in FUNCTIONS:
            return lambda x: FUNCTIONS[name].numpy(np, x)
        if is_generic(name):
            message = f"{name} is a generic function: pass it in env as a callable"
        else:
            message = f"{name} has no formula: pass it in functions, or a callable in env"
        raise MatcalcError(message, ErrorKind.VALUE)
