"""Immutable expression nodes.

Constructors build exactly what was written: `X - D R` is `Add(X, Neg(D R))` and `(X W)^T`
stays a transpose of a product until the simplifier pushes it onto the symbols. A pending
derivative df/dH is a node too (`Pending`), so every step of a derivation is an ordinary
expression that every printer can print.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import Field, dataclass
from dataclasses import fields as dataclass_fields
from fractions import Fraction
from operator import attrgetter
from typing import Any, ClassVar, TypeAlias, TypeVar, cast, dataclass_transform, get_args

from matcalc.errors import ErrorKind, MatcalcError
from matcalc.limits import MAX_EXACT_DIGITS, deep_recursion

_N = TypeVar("_N", bound="Expr")
_EXACT_BITS = int(MAX_EXACT_DIGITS / 0.30103)
"""MAX_EXACT_DIGITS in bits: a number's bit length is free to read, its digits are not."""

Dim = int | str
"""A dimension: a known size, or a symbolic name such as "m"."""

_set = object.__setattr__
"""Sets a field of a frozen node, once, as it is built."""


class Expr:
    """Base of all nodes: structural equality, a hash computed once, generic traversal."""

    __slots__ = ("_children", "_hash", "_pending", "_size", "_values")
    _children: tuple[Expr, ...]
    _hash: int
    _size: int
    _pending: bool
    _values: tuple[Any, ...]
    __match_args__: ClassVar[tuple[str, ...]] = ()
    _operands: ClassVar[bool] = False
    """Whether every field is an operand, so that the fields are the children (set by `node`)."""

    _fields: ClassVar[Callable[..., tuple[Any, ...]]] = staticmethod(lambda node: ())
    """The node's field values, in order (each node class has its own, from `node`)."""

    def __post_init__(self) -> None:
        # every node is built here, many thousands of times in a derivation: no generators
        fields = self._fields(self)
        kids = fields if self._operands else self._gathered(fields)
        size, pending = 1, False
        try:
            for child in kids:
                size += child._size
                if child._pending:
                    pending = True
        except AttributeError:  # a field of no expression, built by hand: derive refuses it
            kids = self._gathered(fields)
            size = 1 + sum(child._size for child in kids)
            pending = any(child._pending for child in kids)
        _set(self, "_values", fields)
        _set(self, "_children", kids)
        _set(self, "_hash", hash((type(self).__name__, *fields)))
        _set(self, "_size", size)
        _set(self, "_pending", pending)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        return (
            type(self) is type(other)
            and self._hash == other._hash
            and self._values == other._values
        )

    @property
    def size(self) -> int:
        """The number of nodes, counted once when the node is built."""
        return self._size

    @property
    def has_pending(self) -> bool:
        """Whether a pending derivative is somewhere inside, worked out once when built."""
        return self._pending

    def children(self) -> tuple[Expr, ...]:
        """The subexpressions, in the order they are written (gathered once, when built)."""
        return self._children

    def _gathered(self, fields: tuple[Any, ...]) -> tuple[Expr, ...]:
        out: list[Expr] = []
        operands = True  # every field an operand: the fields are the children
        for value in fields:
            if isinstance(value, Expr):
                out.append(value)
            else:
                operands = False
                if isinstance(value, tuple) and value and isinstance(value[0], Expr):
                    out.extend(value)
        return fields if operands else tuple(out)

    def rebuild(self, children: tuple[Expr, ...]) -> Expr:
        """The same node with new children (in the order of `children()`)."""
        if self._values is self._children:  # every field an operand
            return type(self)(*children)
        values: list[Any] = []
        taken = 0
        for value in self._values:
            if isinstance(value, Expr):
                values.append(children[taken])
                taken += 1
            elif isinstance(value, tuple) and value and isinstance(value[0], Expr):
                values.append(children[taken : taken + len(value)])
                taken += len(value)
            else:
                values.append(value)
        return type(self)(*values)

    @deep_recursion
    def __str__(self) -> str:
        from matcalc.printing.text import text

        return text(self)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self}>"

    @deep_recursion
    def _repr_latex_(self) -> str:
        from matcalc.printing.latex import latex

        return f"${latex(self)}$"


@dataclass_transform(frozen_default=True, eq_default=False)
def node(cls: type[_N]) -> type[_N]:
    """A node class: frozen and slotted, with Expr's equality, cached hash and printing; it
    reads its fields with one getter, and knows whether its fields are its children."""
    made = dataclass(frozen=True, slots=True, eq=False, repr=False)(cls)
    names = made.__match_args__
    getter = attrgetter(*names)
    read: Callable[[Expr], tuple[Any, ...]] = (
        (lambda e: (getter(e),)) if len(names) == 1 else getter
    )
    made._fields = staticmethod(read)
    own_children = made._gathered is not Expr._gathered
    declared: tuple[Field[Any], ...] = dataclass_fields(cast(Any, made))
    made._operands = all(f.type == "Expr" for f in declared) and not own_children
    return made


@node
class Symbol(Expr):
    """A named variable or constant: matrix, vector or scalar by its shape."""

    name: str


@node
class Number(Expr):
    """A scalar constant, kept exact, of at most MAX_EXACT_DIGITS digits."""

    value: Fraction

    def __post_init__(self) -> None:
        Expr.__post_init__(self)
        bits = max(self.value.numerator.bit_length(), self.value.denominator.bit_length())
        if bits > _EXACT_BITS:
            raise MatcalcError(
                f"a number of more than {MAX_EXACT_DIGITS:,} digits arises from the objective's "
                "constants; scale the objective so that its constants are smaller",
                ErrorKind.VALUE,
            )


@node
class Ones(Expr):
    """The all-ones matrix of a given shape (the seed's vector of 1s)."""

    rows: Dim
    cols: Dim


@node
class Identity(Expr):
    """The identity matrix of size n×n."""

    n: Dim


@node
class Transpose(Expr):
    arg: Expr


@node
class Neg(Expr):
    arg: Expr


@node
class Add(Expr):
    """A sum of two or more terms; a scalar, row or column term is broadcast."""

    terms: tuple[Expr, ...]


@node
class MatMul(Expr):
    """A product: a matrix product, or a scalar multiple when a factor is 1×1."""

    left: Expr
    right: Expr


@node
class Div(Expr):
    """Division by a scalar."""

    num: Expr
    den: Expr


@node
class Hadamard(Expr):
    """Elementwise product ⊙."""

    left: Expr
    right: Expr


@node
class Kron(Expr):
    """The Kronecker product A ⊗ B: the block matrix of blocks a_ij B."""

    left: Expr
    right: Expr


@node
class HadamardDiv(Expr):
    """Elementwise division ⊘."""

    left: Expr
    right: Expr


@node
class HadamardPow(Expr):
    """Elementwise integer power X^{∘k}."""

    base: Expr
    exponent: int


@node
class Power(Expr):
    """A power: any power of a scalar (`s^2`, `a^b`), or a whole power X^k of a square matrix."""

    base: Expr
    exponent: Expr


@node
class Func(Expr):
    """A scalar function applied elementwise; `g'` is the derivative of a generic `g`."""

    name: str
    arg: Expr


@node
class FrobSq(Expr):
    """Squared norm ||G||²: Frobenius for matrices, Euclidean for vectors.

    `norm` keeps how it was written ("F", "2" or "") so that printing gives it back.
    """

    arg: Expr
    norm: str = "F"


class Applied(Expr):
    """A function-like operation, tr(X), det(X), X^{-1}, sum(X), …: a kind of node whose notation,
    shape and value a row of matcalc/operations.py gives, so that every module that needs them
    has one case for all such nodes."""

    __slots__ = ()


@node
class Inverse(Applied):
    """The inverse X^{-1} of a square matrix."""

    arg: Expr


@node
class Trace(Applied):
    """The trace tr(X) of a square matrix."""

    arg: Expr


@node
class Det(Applied):
    """The determinant det(X) of a square matrix."""

    arg: Expr


@node
class LogDet(Applied):
    """log |det(X)| of a square matrix."""

    arg: Expr


@node
class Diag(Applied):
    """diag(x), the diagonal matrix of a column x; diag(X), the diagonal of a square X as a
    column. Which one is told by the argument's shape."""

    arg: Expr


@node
class Norm(Applied):
    """A norm, not squared: `||X||_F` and `||x||_2` (Euclidean), `||x||_1` (sum of magnitudes)."""

    arg: Expr
    norm: str


@node
class Vec(Applied):
    """vec(X): the columns of X stacked into one column (column-major, as the Cookbook's)."""

    arg: Expr


@node
class Sum(Applied):
    """Sum of all entries."""

    arg: Expr


@node
class SumRows(Applied):
    """Sum over the rows: an m×n matrix to its 1×n row of column sums."""

    arg: Expr


@node
class SumCols(Applied):
    """Sum over the columns: an m×n matrix to its m×1 column of row sums."""

    arg: Expr


@node
class Softmax(Applied):
    """softmax over the entries of a column, or over each row of a matrix (samples in rows,
    as in X W): exp of each entry over the sum of exp along its row."""

    arg: Expr


@node
class LogSoftmax(Applied):
    """log(softmax(Z)), computed as Z minus logsumexp along each row (or over a column)."""

    arg: Expr


@node
class LogSumExp(Applied):
    """log of the sum of exp: of a column's entries (a scalar), or along each row of a matrix
    (a column)."""

    arg: Expr


@node
class CrossEntropy(Applied):
    """cross_entropy(Z, Y) = -sum(Y ⊙ log_softmax(Z)): logits Z, targets Y of Z's shape."""

    logits: Expr
    target: Expr


@node
class Mean(Applied):
    """The mean of all entries."""

    arg: Expr


@node
class LayerNorm(Applied):
    """layernorm: each row of a matrix (the entries of a column) less its mean, over its
    standard deviation (the population one: no epsilon, no affine part)."""

    arg: Expr


@node
class Pending(Expr):
    """The derivative df/dH not yet worked out; `path` locates this H inside f, or inside the
    value named `within` when H is part of a named value (matcalc/sharing.py).

    `occurrence` numbers the occurrences of a variable that occurs more than once (0: not needed).
    An empty `path` stands for the derivative with respect to a whole named value, worked out
    in a block of its own (and for df/dG in the rule table's statements): nothing to rewrite.
    """

    of: Expr
    wrt: Expr
    path: tuple[int, ...]
    occurrence: int = 0
    within: Symbol | None = None

    def __post_init__(self) -> None:
        Expr.__post_init__(self)
        # printed d(f)/dH: its size is what writing it out takes, not its (absent) children
        object.__setattr__(self, "_size", 1 + self.of.size + self.wrt.size)
        object.__setattr__(self, "_pending", bool(self.path))

    def _gathered(self, fields: tuple[Any, ...]) -> tuple[Expr, ...]:
        return ()

    def rebuild(self, children: tuple[Expr, ...]) -> Expr:
        return self


ZERO = Number(Fraction(0))
ONE = Number(Fraction(1))


def number(value: int | Fraction) -> Number:
    """A Number from an int or a Fraction."""
    return Number(Fraction(value))


def transposed(expr: Expr) -> Expr:
    """X^T, and for X = A^T, A itself rather than A^T^T."""
    return expr.arg if isinstance(expr, Transpose) else Transpose(expr)


Node: TypeAlias = (
    Symbol
    | Number
    | Ones
    | Identity
    | Transpose
    | Neg
    | Add
    | MatMul
    | Div
    | Hadamard
    | Kron
    | HadamardDiv
    | HadamardPow
    | Power
    | Func
    | FrobSq
    | Inverse
    | Trace
    | Det
    | LogDet
    | Diag
    | Norm
    | Vec
    | Sum
    | SumRows
    | SumCols
    | Softmax
    | LogSoftmax
    | LogSumExp
    | CrossEntropy
    | Mean
    | LayerNorm
    | Pending
)
"""Every node kind, a closed union: a module that must know each kind matches `as_node(expr)`
case by case and ends in `assert_never`, so mypy names the module that lacks a new kind."""

NODE_KINDS: tuple[type[Node], ...] = get_args(Node)
"""The classes of `Node`, for `isinstance`."""


def as_node(expr: Expr) -> Node:
    """`expr` as a member of the closed union `Node` (every node is one)."""
    assert isinstance(expr, NODE_KINDS), f"{type(expr).__name__} is not in the union Node"
    return expr
