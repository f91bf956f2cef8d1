"""Shapes: every expression is a matrix, with vectors and scalars as thin cases.

Vectors are columns (n×1), `x^T` is a row (1×n), scalars are 1×1. Dimensions are sizes (ints)
or names ("m"). Undeclared symbols get variables that unification binds; a declared name binds
only to a size, never to another name, and nothing but a 1 is silently made 1.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from functools import reduce
from typing import assert_never

from matcalc.declarations import convention
from matcalc.errors import ErrorKind, MatcalcError, Span
from matcalc.expr import (
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
    Norm,
    Number,
    Ones,
    Pending,
    Power,
    Symbol,
    Transpose,
    as_node,
)
from matcalc.functions import FUNCTIONS
from matcalc.limits import MAX_POWER
from matcalc.operations import (
    BY_NAME,
    PRODUCT_SIGN,
    Mismatch,
    Unify,
    dim_product,
    factors,
    known_dims,
    operation_of,
)
from matcalc.operations import SCALAR as SCALAR
from matcalc.operations import Shape as Shape
from matcalc.traversal import distinct, replace_nodes, symbol_names

_PRETTY_DIMS = ["m", "n", "p", "q", "r", "s", "t", "u", "v", "w", "k", "l"]


def show(shape: Shape) -> str:
    """`m×n`, `n×1`, `1×1`; a product of one-letter names as `mn`, as in `mn×mn`."""
    return f"{show_dim(shape[0])}×{show_dim(shape[1])}"


def show_dim(dim: Dim) -> str:
    """A dimension as written: `m·n` is `mn` when each factor is one letter or a size first,
    `n·n` is `n²`."""
    if isinstance(dim, int) or PRODUCT_SIGN not in dim:
        return str(dim)
    factors = dim.split(PRODUCT_SIGN)
    powers = [f + _power(factors.count(f)) for f in dict.fromkeys(factors)]
    if all(len(f) == 1 or f.isdigit() for f in factors):
        return "".join(powers)
    return PRODUCT_SIGN.join(powers)


def _power(count: int) -> str:
    return str(count).translate(_SUPERSCRIPTS) if count > 1 else ""


_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def is_scalar(shape: Shape) -> bool:
    return shape == SCALAR


def _operands(expr: Expr) -> tuple[Expr, ...]:
    """What the shape of `expr` is worked out from: its children, and for df/dH, H."""
    return (expr.wrt,) if isinstance(expr, Pending) else expr.children()


def _rule(expr: Expr, kids: list[Shape], unify: Unify, symbol: Callable[[str], Shape]) -> Shape:
    """The shape of `expr` from its children's shapes: one case per node kind, and one for the
    operations of matcalc/operations.py, whose rows hold their shape rules."""
    node = as_node(expr)
    match node:
        case Symbol(name):
            return symbol(name)
        case Number():
            return SCALAR
        case Ones(rows, cols):
            return (rows, cols)
        case Identity(n):
            return (n, n)
        case Pending():  # df/dH, of H's shape
            return kids[0]
        case Transpose():
            return (kids[0][1], kids[0][0])
        case Neg() | Func() | HadamardPow():
            return kids[0]
        case Add():
            return (
                _broadcast([k[0] for k in kids], unify),
                _broadcast([k[1] for k in kids], unify),
            )
        case MatMul():
            left, right = kids
            if is_scalar(left):
                return right
            if is_scalar(right):
                return left
            try:
                unify(left[1], right[0])
            except Mismatch:
                raise Mismatch("the inner dimensions of a matrix product must agree") from None
            return (left[0], right[1])
        case Div():
            if not is_scalar(kids[1]):
                raise Mismatch("only division by a scalar is defined")
            return kids[0]
        case Hadamard() | HadamardDiv():
            if is_scalar(kids[0]) or is_scalar(kids[1]):
                return kids[1] if is_scalar(kids[0]) else kids[0]
            try:
                return (unify(kids[0][0], kids[1][0]), unify(kids[0][1], kids[1][1]))
            except Mismatch:
                raise Mismatch(
                    "elementwise operands must have the same shape, or one be a scalar"
                ) from None
        case Kron():
            a, b, c, d = known_dims("a Kronecker product", *kids)
            return (dim_product(a, c), dim_product(b, d))
        case FrobSq(_, norm) | Norm(_, norm) if norm in ("1", "2") and 1 not in kids[0]:
            # bars with a number are, on a matrix, an induced norm; the table's are entrywise
            power = "^2" if isinstance(node, FrobSq) else ""
            raise Mismatch(
                f"||·||_{norm}{power} of a matrix would be an induced norm; write ||X||_F{power} "
                "for the Frobenius norm"
            )
        case FrobSq():
            return SCALAR
        case Power():
            base, exponent = kids
            if not is_scalar(exponent):
                raise Mismatch("an exponent must be a scalar")
            if is_scalar(base):
                return SCALAR
            match node.exponent:
                case Number(value) if value.denominator == 1 and 0 < value <= MAX_POWER:
                    pass
                case Number(value) if value.denominator == 1 and -MAX_POWER <= value < -1:
                    raise Mismatch(
                        f"a matrix power's exponent is from 1 to {MAX_POWER}, or -1 for the "
                        f"inverse: write X^{{{value}}} as (X^{{-1}})^{-value}"
                    )
                case _:
                    raise Mismatch(
                        f"a matrix power needs a whole exponent from 1 to {MAX_POWER}; for "
                        "entrywise powers write X.^k"
                    )
            try:
                return (unify(base[0], base[1]), unify(base[0], base[1]))
            except Mismatch:
                raise Mismatch(
                    "a power needs a scalar or a square matrix; for entrywise powers write X.^k"
                ) from None
        case Applied():
            return operation_of(node).shape(unify, *kids)
        case _:
            assert_never(node)


def _broadcast(dims: list[Dim], unify: Unify) -> Dim:
    """One axis of a broadcast sum: sizes of 1 stretch, the others must agree."""
    full = [d for d in dims if d != 1]
    if not full:
        return 1
    result = full[0]
    for d in full[1:]:
        try:
            result = unify(result, d)
        except Mismatch:
            raise Mismatch("terms of a sum must have the same shape, or broadcast") from None
    return result


@dataclass
class Shapes:
    """The shapes of one problem's symbols, and of any expression built from them."""

    symbols: dict[str, Shape]
    bindings: dict[str, Dim] = field(default_factory=dict)
    symmetric: frozenset[str] = frozenset()
    """Names declared symmetric: S^T is S."""
    sum_to_one: frozenset[str] = frozenset()
    """Names declared to sum to one, as probabilities and one-hot labels do: a column's
    entries, or each row of a matrix (sum(y) = 1, sum_cols(Y) = ones)."""
    _memo: dict[Expr, Shape] = field(default_factory=dict, repr=False)

    def declared(self, name: str) -> tuple[str, ...]:
        """What the symbol was declared to be beyond its shape: "symmetric", "sums to one" (a
        column), "rows sum to one" (a matrix)."""
        found = ["symmetric"] if name in self.symmetric else []
        if name in self.sum_to_one:
            found.append("sums to one" if self.symbols[name][1] == 1 else "rows sum to one")
        return tuple(found)

    def table(self, names: Iterable[str]) -> tuple[tuple[str, Shape, tuple[str, ...]], ...]:
        """Each of `names` that is a symbol (not a dimension's name, standing for its size),
        with its shape and what it was declared to be."""
        return tuple(
            (name, self.symbols[name], self.declared(name))
            for name in names
            if name in self.symbols
        )

    def with_symbols(self, symbols: dict[str, Shape]) -> Shapes:
        """The same declarations over `symbols`: a problem's named values added or left out."""
        return Shapes(symbols, dict(self.bindings), self.symmetric, self.sum_to_one)

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{name} {show(shape)}{' symmetric' * (name in self.symmetric)}"
            for name, shape in self.symbols.items()
        )
        return f"<Shapes {shown}>"

    def of(self, expr: Expr) -> Shape:
        """The shape of `expr` (which must be well shaped)."""
        shape = self._memo.get(expr)
        if shape is None:
            kids = [self.of(operand) for operand in _operands(expr)]
            shape = _rule(expr, kids, _same, self.symbol)
            self._memo[expr] = shape
        return shape

    def symbol(self, name: str) -> Shape:
        """A symbol's shape; a dimension's name that is no symbol is its size, a scalar."""
        shape = self.symbols.get(name)
        if shape is None:
            if name not in dimensions(self.symbols):
                raise KeyError(name)
            return SCALAR
        return shape

    def is_size(self, expr: Expr) -> bool:
        """Whether `expr` is a dimension's name standing for its size (the m of 1/m)."""
        return (
            isinstance(expr, Symbol)
            and expr.name not in self.symbols
            and (expr.name in dimensions(self.symbols))
        )


def dimensions(symbols: Mapping[str, Shape]) -> frozenset[str]:
    """The names of the dimensions of `symbols`' shapes, a product's factors each (not the
    sizes still to be inferred)."""
    return frozenset(
        factor
        for shape in symbols.values()
        for dim in shape
        if isinstance(dim, str) and not dim.startswith("?")
        for factor in dim.split(PRODUCT_SIGN)
    )


RESERVED = frozenset({*FUNCTIONS, *BY_NAME, "eye", "ones", "I", "vector", "matrix", "kron"})
"""Names a size cannot print as: they read back as functions or matrices."""


def size_problem(name: str, symbols: Mapping[str, Shape]) -> str | None:
    """Why the dimension `name` cannot stand for its size, or None where it can: it must be a
    whole dimension of a symbol's shape (not only a factor of a product), and not be named
    like a symbol, a function or a matrix of matcalc."""
    if name in symbols or name in RESERVED:
        what = "a symbol" if name in symbols else "a function or a matrix of matcalc"
        return f"is also the name of {what}, so it cannot stand for its size"
    if all(name not in shape for shape in symbols.values()):
        return "is known only inside a product of sizes, so its own size is unknown"
    return None


def count(dims: Iterable[Dim], symbols: Mapping[str, Shape]) -> Expr:
    """The number of entries across `dims`, as a scalar to divide by: a size as a number, a
    dimension's name as itself (it stands for its size), a product of names multiplied; an
    error where a name cannot stand for its size (`size_problem`)."""
    size, names = 1, []
    for factor in (f for dim in dims for f in factors(dim)):
        if isinstance(factor, int):
            size *= factor
        elif (problem := size_problem(factor, symbols)) is not None:
            raise MatcalcError(
                f"the dimension {factor} {problem}: declare the shapes with a name of its own "
                "for each dimension",
                ErrorKind.NAME,
            )
        else:
            names.append(Symbol(factor))
    found: list[Expr] = [Number(Fraction(size))] if size != 1 or not names else []
    return reduce(MatMul, [*found, *names])


def _same(a: Dim, b: Dim) -> Dim:
    if a != b:
        raise Mismatch("the dimensions differ")
    return a


def infer(
    expr: Expr,
    declared: Mapping[str, Shape] | None = None,
    locate: Callable[[Expr], Span | None] = lambda _: None,
    symmetric: frozenset[str] = frozenset(),
    naming: str = "seed",
    sum_to_one: frozenset[str] = frozenset(),
) -> Shapes:
    """Infer every symbol's shape in `expr` from the declarations and the naming convention
    (`naming`, see `convention`); `symmetric` names the declared symmetric matrices, and
    `sum_to_one` those whose entries (a column) or rows (a matrix) sum to one."""
    sizes = _named_sizes(expr)
    written = frozenset(d for d in sizes if not d.startswith("?"))  # inferred ones avoid these
    solver = _Solver(dict(declared or {}), naming, written)
    solver.visit(expr, locate)
    order = [n for n in _symbols_in_order(expr, declared or {}) if n in solver.shapes]
    names = solver.names(order)
    bindings: dict[str, Dim] = {}
    placeholders = [d for d in sizes if d.startswith(PLACEHOLDER)]
    for d in [*solver.parent, *placeholders]:
        if not d.startswith("?") or d.startswith(PLACEHOLDER):
            root = solver.find(d)
            bindings[d] = names.get(root, root)
    return Shapes(solver.resolved(order), bindings, symmetric, sum_to_one)


PLACEHOLDER = "?·"
"""How a size to be inferred begins: `vector(1)`, `matrix(1)` and a bare `I` take their sizes
from where they are used."""


def _named_sizes(expr: Expr) -> list[str]:
    """The sizes of the all-ones and identity matrices in `expr` that are names: the user's
    (ones(m, 1)), and the placeholders of those whose sizes are to be inferred."""
    found = []
    for node in distinct(expr):
        if isinstance(node, Ones | Identity):
            dims = (node.rows, node.cols) if isinstance(node, Ones) else (node.n,)
            found += [d for d in dims if isinstance(d, str)]
    return found


def fill_sizes(expr: Expr, shapes: Shapes) -> Expr:
    """`expr` with the inferred sizes of its all-ones and identity matrices written in."""

    def size(dim: Dim, what: str) -> Dim:
        if not (isinstance(dim, str) and dim.startswith(PLACEHOLDER)):
            return dim
        found = shapes.bindings.get(dim, dim)
        if isinstance(found, str) and found.startswith("?"):
            raise MatcalcError(
                f"the size of {what} cannot be told from where it is used; write it with "
                "its size, as ones(n, 1) or eye(n)",
                ErrorKind.SHAPE,
            )
        return found

    def filled(node: Expr) -> Expr | None:
        match node:
            case Ones(rows, cols):
                what = "vector(…)" if cols == 1 else "matrix(…)"
                return Ones(size(rows, what), size(cols, what))
            case Identity(n):
                return Identity(size(n, "I"))
        return None

    return replace_nodes(expr, filled)


def _symbols_in_order(expr: Expr, declared: Mapping[str, Shape]) -> list[str]:
    return list(dict.fromkeys([*symbol_names(expr), *declared]))


class _Solver:
    """Union-find over dimensions, with variables only for undeclared symbols."""

    def __init__(
        self,
        declared: dict[str, Shape],
        naming: str = "seed",
        written: frozenset[str] = frozenset(),
    ):
        self.parent: dict[str, Dim] = {}
        self.written = written
        self.shapes = declared
        self.sizes = dimensions(declared)
        """The declared dimensions' names, which stand for their sizes where no symbol has
        the name (sum(X) / m)."""
        self.fresh = 0
        self.visited: dict[Expr, Shape] = {}
        self.naming = naming

    def symbol(self, name: str) -> Shape:
        if name not in self.shapes and name in self.sizes:  # a declared dimension's size
            return SCALAR
        if name not in self.shapes:
            kind = convention(name, self.naming)
            self.shapes[name] = (
                SCALAR
                if kind == "scalar"
                else (self.var(), 1)
                if kind == "vector"
                else (self.var(), self.var())
            )
        return self.shapes[name]

    def var(self) -> str:
        self.fresh += 1
        return f"?{self.fresh}"

    def find(self, d: Dim) -> Dim:
        while isinstance(d, str) and d in self.parent:
            d = self.parent[d]
        return d

    def unify(self, a: Dim, b: Dim) -> Dim:
        a, b = self.find(a), self.find(b)
        if a == b:
            return a
        for free, value in ((a, b), (b, a)):
            # a variable binds to anything, a declared name only to a size; nothing becomes 1;
            # a product of names (m·n, of vec(X)) is no name to bind
            if (
                isinstance(free, str)
                and value != 1
                and (free.startswith("?") or (isinstance(value, int) and PRODUCT_SIGN not in free))
            ):
                self.parent[free] = value
                return value
        raise Mismatch("the dimensions differ")

    def visit(self, expr: Expr, locate: Callable[[Expr], Span | None]) -> Shape:
        shape = self.visited.get(expr)
        if shape is None:  # a value met again has the shape it had: each is read once
            kids = [self.visit(operand, locate) for operand in _operands(expr)]
            try:
                shape = _rule(expr, kids, self.unify, self.symbol)
            except Mismatch as mismatch:
                raise self._error(expr, kids, str(mismatch), locate(expr)) from None
            self.visited[expr] = shape
        return (self.find(shape[0]), self.find(shape[1]))

    def _error(self, expr: Expr, kids: list[Shape], reason: str, span: Span | None) -> MatcalcError:
        names = self.names()
        parts = [
            f"{child} is {self._show(shape, names)}"
            for child, shape in zip(_operands(expr), kids, strict=True)
        ]
        return MatcalcError(f"in {expr}: {reason}; {', '.join(parts)}", ErrorKind.SHAPE, span)

    def _show(self, shape: Shape, names: Mapping[Dim, Dim]) -> str:
        rows, cols = (names.get(self.find(d), self.find(d)) for d in shape)
        return show((rows, cols))

    def names(self, order: Iterable[str] | None = None) -> dict[Dim, Dim]:
        """Readable names for the remaining variables, in order of first appearance."""
        taken = {d for shape in self.shapes.values() for d in shape if isinstance(d, str)}
        taken |= self.written | set(self.shapes)  # a dimension's name may stand for its size
        numbered = (f"d{i}" for i in itertools.count(1))
        pool = (n for n in itertools.chain(_PRETTY_DIMS, numbered) if n not in taken)
        names: dict[Dim, Dim] = {}
        for name in order if order is not None else self.shapes:
            for d in self.shapes[name]:
                root = self.find(d)
                if isinstance(root, str) and root.startswith("?") and root not in names:
                    names[root] = next(pool)
        return names

    def resolved(self, order: list[str]) -> dict[str, Shape]:
        names = self.names(order)
        result: dict[str, Shape] = {}
        for name in order:
            r, c = (self.find(d) for d in self.shapes[name])
            result[name] = (names.get(r, r), names.get(c, c))
        return result
