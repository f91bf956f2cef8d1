"""The function-like operations, tr(X), det(X), inv(X), sum(X), …, in one table: the shape of
each, how it is written in the input, in LaTeX and in array-API code, and what NumPy makes of it.

The parser, the shape inference, the printers, the evaluator and the code writer read it here, so an
operation is described once. NumPy is passed in by the evaluation, which imports it: loading
this module does not (the command line never needs it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from types import ModuleType
from typing import TYPE_CHECKING, TypeGuard

from matcalc.expr import (
    NODE_KINDS,
    Applied,
    CrossEntropy,
    Det,
    Diag,
    Dim,
    Expr,
    Inverse,
    LayerNorm,
    LogDet,
    LogSoftmax,
    LogSumExp,
    Mean,
    Norm,
    Softmax,
    Sum,
    SumCols,
    SumRows,
    Trace,
    Vec,
)

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike, NDArray

    Array = NDArray[np.float64]

KINDS = tuple(kind for kind in NODE_KINDS if issubclass(kind, Applied))
"""The node kinds of the operations in the table: every kind of `Applied` node."""

Shape = tuple[Dim, Dim]
"""Rows by columns. Defined here, under shapes.py, for the rows' shape rules; shapes.py
re-exports it and SCALAR."""
SCALAR: Shape = (1, 1)

Unify = Callable[[Dim, Dim], Dim]
"""Makes two dimensions one, or raises Mismatch."""


PRODUCT_SIGN = "·"
"""Joins the factors of a dimension that is a product of names, as `m·n` (shown `mn`)."""


def dim_product(a: Dim, b: Dim) -> Dim:
    """The dimension a·b: a size if both are sizes, else its factors, sizes first then names in
    order, joined by PRODUCT_SIGN, so that equal products are equal dimensions."""
    if isinstance(a, int) and isinstance(b, int):
        return a * b
    size, names = 1, []
    for dim in (a, b):
        for factor in (dim,) if isinstance(dim, int) else dim.split(PRODUCT_SIGN):
            if isinstance(factor, int) or factor.isdigit():
                size *= int(factor)
            else:
                names.append(factor)
    if not names:
        return size
    factors = ([str(size)] if size != 1 else []) + sorted(names)
    return PRODUCT_SIGN.join(factors)


def factors(dim: Dim) -> list[Dim]:
    """The factors of a dimension: itself, or the names and sizes of a product (m·n)."""
    if not is_product(dim):
        return [dim]
    return [int(f) if f.isdigit() else f for f in dim.split(PRODUCT_SIGN)]


def is_product(dim: Dim) -> TypeGuard[str]:
    """Whether `dim` is a product of names (m·n), not one name or a size to be inferred (?·1)."""
    return isinstance(dim, str) and PRODUCT_SIGN in dim and not dim.startswith("?")


def dim_with(dim: Dim, sizes: Callable[[str], Dim]) -> Dim:
    """The dimension with `sizes` put in for its names: a product of names multiplied out
    where its factors' sizes are known (m·n is 12 once m and n are 3 and 4)."""
    found: Dim = 1
    for factor in factors(dim):
        found = dim_product(found, factor if isinstance(factor, int) else sizes(factor))
    return found


class Mismatch(Exception):
    """Raised by a shape rule; `shapes.infer` turns it into a MatcalcError naming the
    subexpression. Defined here, below shapes.py, so that the table's rules can raise it."""


class Placement(Enum):
    """How an argument is set into a notation, and so when it is parenthesised."""

    ENCLOSED = "enclosed"
    """Inside the notation's own parentheses or bars, as printed: tr(X W)."""
    POSTFIX = "postfix"
    """Under a postfix operator: parenthesised unless it binds tighter, (X W)^{-1}."""
    PREFIX = "prefix"
    """After an operator sign: parenthesised unless a name, ∑ (X W)."""


@dataclass(frozen=True, slots=True)
class Notation:
    """A way of writing an operation: `{0}` (then `{1}`, …) marks where each argument goes,
    replaced rather than formatted, so that LaTeX's braces stay as they are written."""

    template: str
    placement: Placement = Placement.ENCLOSED

    def written(self, *arguments: str) -> str:
        """The notation with the arguments, each already printed and parenthesised, put in."""
        # in one pass: an argument's own text may hold `{1}` (LaTeX's \mathbf{1})
        return re.sub(r"\{(\d)\}", lambda found: arguments[int(found.group(1))], self.template)


@dataclass(frozen=True, slots=True)
class Operation:
    """One function-like operation: its node, its name in the input (`tr` in `tr(X)`), its shape,
    and its notation in text, LaTeX and array-API code (`{0}` the argument's variable;
    `code_scalar` when the argument is 1×1 or taken entry by entry, `code_column` when it is a
    column)."""

    node: type[Applied]
    name: str
    shape: Callable[..., Shape]
    """The result's shape from the arguments', dimensions equated by `unify`; raises Mismatch,
    saying what the operation needs, when the argument does not fit."""
    text: Notation
    latex: Notation
    code: str
    numpy: Callable[..., ArrayLike]
    """The value, from NumPy (the module, passed in) and the arguments as arrays."""
    arity: int = 1
    numpy_column: Callable[..., ArrayLike] | None = None
    """The value where the first argument is declared a column, if it differs."""
    code_scalar: str | None = None
    code_column: str | None = None
    barred: tuple[str, ...] = ()
    """For a norm: the subscripts of the norms written with bars that are this same operation
    (||x||_1 is norm1(x)), so that they share its shape rule, code and value. Of a matrix,
    ||X||_1 and ||X||_2 would be induced norms: shapes.py refuses them."""

    def build(self, *args: Expr) -> Applied:
        """The node for the operation written with arguments `args`."""
        if issubclass(self.node, Norm):
            (arg,) = args
            return Norm(arg, self.name)
        return self.node(*args)

    def source(self, arguments: list[str], *, scalar: bool, column: bool) -> str:
        """Array-API code for the operation on the variables `arguments`."""
        if scalar and self.code_scalar is not None:
            return self.code_scalar.format(*arguments)
        if column and self.code_column is not None:
            return self.code_column.format(*arguments)
        return self.code.format(*arguments)

    def value(self, *arrays: Array, column: bool = False) -> Array:
        """The operation on the arguments' values, a scalar as a 1×1 array; `column`: the first
        argument is a column as declared (softmax works over its entries, not along rows)."""
        import numpy as np

        numpy = self.numpy_column if column and self.numpy_column is not None else self.numpy
        found = np.asarray(numpy(np, *arrays), dtype=np.float64)
        return found.reshape(1, 1) if found.ndim == 0 else found


def _call(name: str) -> Notation:
    return Notation(f"{name}({{0}})")


def _side(unify: Unify, arg: Shape) -> Dim:
    """The side of a square matrix: tr, det, logdet and inv take no other."""
    try:
        return unify(arg[0], arg[1])
    except Mismatch:
        raise Mismatch("it needs a square matrix") from None


def _of_square(unify: Unify, arg: Shape) -> Shape:
    _side(unify, arg)
    return SCALAR


def _inverse(unify: Unify, arg: Shape) -> Shape:
    side = _side(unify, arg)
    return (side, side)


def _diag(unify: Unify, arg: Shape) -> Shape:
    """diag(x) of a column is square; diag(X) of a square matrix is a column."""
    rows, cols = arg
    if cols == 1:
        return (rows, rows)
    try:
        return (unify(rows, cols), 1)
    except Mismatch:
        raise Mismatch("diag takes a column vector or a square matrix") from None


def _scalar(unify: Unify, arg: Shape) -> Shape:
    return SCALAR


def _vec(unify: Unify, arg: Shape) -> Shape:
    return (dim_product(*known_dims("vec", arg)), 1)


def _same(unify: Unify, arg: Shape) -> Shape:
    return arg


def _several(unify: Unify, arg: Shape) -> Shape:
    """A shape whose rows (a column's entries) can be normalised: not a single number."""
    if arg == SCALAR:
        raise Mismatch("layernorm normalises the entries of a row or of a column, not a scalar")
    return arg


def _normalised(axis: int) -> str:
    """Array-API code for layernorm along `axis` (1: each row, 0: a column's entries)."""
    kept = f"axis={axis}, keepdims=True"
    return f"(({{0}} - xp.mean({{0}}, {kept})) / xp.std({{0}}, {kept}))"


def _logsumexp(unify: Unify, arg: Shape) -> Shape:
    """Of a column (or a row), a scalar; of a matrix, a column: one value for each row."""
    return SCALAR if arg[1] == 1 else (arg[0], 1)


def _cross_entropy(unify: Unify, logits: Shape, target: Shape) -> Shape:
    try:
        unify(logits[0], target[0]), unify(logits[1], target[1])
    except Mismatch:
        raise Mismatch("cross_entropy takes logits and targets of the same shape") from None
    return SCALAR


def _lse(np: ModuleType, a: Array, axis: int) -> Array:
    """logsumexp along `axis` (0: a column's entries, 1: each row's), kept, shifted by the
    largest entry so that no exp overflows (by none where that is infinite: logsumexp of
    [inf, 0] is inf, of nothing -inf)."""
    top = np.max(a, axis=axis, keepdims=True, initial=-np.inf)
    shift = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):  # log 0 = -inf: every entry -inf, or none at all
        found: Array = shift + np.log(np.exp(a - shift).sum(axis=axis, keepdims=True))
    return found


def _rows_lse(axis: int) -> str:
    """Array-API code for logsumexp of the argument `{0}` along `axis` (kept), shifted by the
    largest entry."""
    top = f"xp.max({{0}}, axis={axis}, keepdims=True)"
    return f"({top} + xp.log(xp.sum(xp.exp({{0}} - {top}), axis={axis}, keepdims=True)))"


def known_dims(operation: str, *shapes: Shape) -> tuple[Dim, ...]:
    """The dimensions of `shapes`, which a product of sizes needs known: declared, or read off
    the objective, not yet to be inferred (`?…`)."""
    dims = tuple(d for shape in shapes for d in shape)
    if any(isinstance(d, str) and d.startswith("?") for d in dims):
        raise Mismatch(
            f"{operation} multiplies its argument's sizes, so they must be known: declare "
            "the shapes (--shape X=m,n)"
        )
    return dims


OPERATIONS = (
    Operation(
        Trace,
        "tr",
        _of_square,
        _call("tr"),
        Notation(r"\operatorname{tr}\left({0}\right)"),
        "xp.linalg.trace({0})",
        lambda np, a: np.trace(a),
        code_scalar="{0}",
    ),
    Operation(
        Det,
        "det",
        _of_square,
        _call("det"),
        Notation(r"\det\left({0}\right)"),
        "xp.linalg.det({0})",
        lambda np, a: np.linalg.det(a),
        code_scalar="{0}",
    ),
    Operation(
        LogDet,
        "logdet",
        _of_square,
        _call("logdet"),
        Notation(r"\log\left|\det\left({0}\right)\right|"),
        "xp.linalg.slogdet({0}).logabsdet",
        lambda np, a: np.linalg.slogdet(a)[1],
        code_scalar="xp.log(xp.abs({0}))",
    ),
    Operation(
        Inverse,
        "inv",
        _inverse,
        Notation("{0}^{-1}", Placement.POSTFIX),
        Notation("{0}^{-1}", Placement.POSTFIX),
        "xp.linalg.inv({0})",
        lambda np, a: np.linalg.inv(a),
        code_scalar="1 / {0}",
    ),
    Operation(
        Diag,
        "diag",
        _diag,
        _call("diag"),
        Notation(r"\operatorname{diag}\left({0}\right)"),
        "xp.reshape(xp.linalg.diagonal({0}), (-1, 1))",
        lambda np, a: np.diag(a[:, 0]) if a.shape[1] == 1 else np.diag(a).reshape(-1, 1),
        code_column="xp.eye({0}.shape[0], dtype=dtype) * {0}.T",
    ),
    Operation(
        Vec,
        "vec",
        _vec,
        _call("vec"),
        Notation(r"\operatorname{vec}\left({0}\right)"),
        "xp.reshape({0}.T, (-1, 1))",
        lambda np, a: a.reshape(-1, 1, order="F"),
        code_scalar="{0}",
    ),
    Operation(
        Sum,
        "sum",
        _scalar,
        _call("sum"),
        Notation(r"\sum {0}", Placement.PREFIX),
        "xp.sum({0})",
        lambda np, a: np.sum(a),
    ),
    Operation(
        SumRows,
        "sum_rows",
        lambda unify, arg: (1, arg[1]),
        _call("sum_rows"),
        Notation(r"\sum_{\text{rows}} {0}", Placement.PREFIX),
        "xp.sum({0}, axis=0, keepdims=True)",
        lambda np, a: a.sum(axis=0, keepdims=True),
    ),
    Operation(
        SumCols,
        "sum_cols",
        lambda unify, arg: (arg[0], 1),
        _call("sum_cols"),
        Notation(r"\sum_{\text{columns}} {0}", Placement.PREFIX),
        "xp.sum({0}, axis=1, keepdims=True)",
        lambda np, a: a.sum(axis=1, keepdims=True),
    ),
    Operation(
        Softmax,
        "softmax",
        _same,
        _call("softmax"),
        Notation(r"\operatorname{softmax}\left({0}\right)"),
        f"xp.exp({{0}} - {_rows_lse(1)})",
        lambda np, a: np.exp(a - _lse(np, a, 1)),
        numpy_column=lambda np, a: np.exp(a - _lse(np, a, 0)),
        code_scalar="xp.ones_like({0})",
        code_column=f"xp.exp({{0}} - {_rows_lse(0)})",
    ),
    Operation(
        LogSoftmax,
        "log_softmax",
        _same,
        _call("log_softmax"),
        Notation(r"\operatorname{log\_softmax}\left({0}\right)"),
        f"({{0}} - {_rows_lse(1)})",
        lambda np, a: a - _lse(np, a, 1),
        numpy_column=lambda np, a: a - _lse(np, a, 0),
        code_scalar="xp.zeros_like({0})",
        code_column=f"({{0}} - {_rows_lse(0)})",
    ),
    Operation(
        LogSumExp,
        "logsumexp",
        _logsumexp,
        _call("logsumexp"),
        Notation(r"\operatorname{logsumexp}\left({0}\right)"),
        _rows_lse(1),
        lambda np, a: _lse(np, a, 1),
        numpy_column=lambda np, a: _lse(np, a, 0)[0, 0],
        code_scalar="{0}",
        code_column=f"xp.reshape({_rows_lse(0)}, ())",
    ),
    Operation(
        CrossEntropy,
        "cross_entropy",
        _cross_entropy,
        Notation("cross_entropy({0}, {1})"),
        Notation(r"\operatorname{cross\_entropy}\left({0}, {1}\right)"),
        f"-xp.sum({{1}} * ({{0}} - {_rows_lse(1)}))",
        lambda np, z, y: -np.sum(y * (z - _lse(np, z, 1))),
        arity=2,
        numpy_column=lambda np, z, y: -np.sum(y * (z - _lse(np, z, 0))),
        code_scalar="xp.zeros_like({0})",
        code_column=f"-xp.sum({{1}} * ({{0}} - {_rows_lse(0)}))",
    ),
    Operation(
        Mean,
        "mean",
        _scalar,
        _call("mean"),
        Notation(r"\operatorname{mean}\left({0}\right)"),
        "xp.mean({0})",
        lambda np, a: np.mean(a),
        code_scalar="{0}",
    ),
    Operation(
        LayerNorm,
        "layernorm",
        _several,
        _call("layernorm"),
        Notation(r"\operatorname{layernorm}\left({0}\right)"),
        _normalised(1),
        lambda np, a: (a - a.mean(axis=1, keepdims=True)) / a.std(axis=1, keepdims=True),
        numpy_column=lambda np, a: (
            (a - a.mean(axis=0, keepdims=True)) / a.std(axis=0, keepdims=True)
        ),
        code_column=_normalised(0),
    ),
    Operation(
        Norm,
        "norm1",
        _scalar,
        _call("norm1"),
        Notation(r"\Vert {0}\Vert_1"),
        "xp.linalg.vector_norm({0}, ord=1)",
        lambda np, a: np.sum(np.abs(a)),
        barred=("1",),
    ),
    Operation(
        Norm,
        "norm2",
        _scalar,
        _call("norm2"),
        Notation(r"\Vert {0}\Vert"),
        "xp.linalg.vector_norm({0})",
        lambda np, a: np.sqrt(np.sum(a**2)),
        barred=("F", "2"),
    ),
)
"""Each function-like operation once."""

BY_NAME = {operation.name: operation for operation in OPERATIONS}
"""The operations by the name they are called by in the input."""

_BY_NODE = {
    (operation.node, written): operation
    for operation in OPERATIONS
    for written in ((operation.name, *operation.barred) if operation.node is Norm else ("",))
}


def operation_of(node: Applied) -> Operation:
    """The table's row for `node`; a norm written with bars, ||x||_1, is its call's, norm1."""
    return _BY_NODE[type(node), node.norm if isinstance(node, Norm) else ""]
