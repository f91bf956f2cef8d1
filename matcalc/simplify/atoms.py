"""What the simplifier knows of the expressions it does not open: which it keeps as they are,
which are zero, and when a sum of an elementwise product is an inner product."""

from __future__ import annotations

from matcalc.expr import (
    ZERO,
    Diag,
    Div,
    Expr,
    FrobSq,
    Func,
    Hadamard,
    HadamardDiv,
    HadamardPow,
    Identity,
    Norm,
    Ones,
    Pending,
    Sum,
    SumCols,
    SumRows,
    Symbol,
    Transpose,
)
from matcalc.shapes import Shapes

WHOLE = (Symbol, Func, FrobSq, Norm, Ones, Identity, Transpose, Pending)
"""Kinds of atom that the simplifier leaves as they are."""


def vanishes(atom: Expr) -> bool:
    """Zero because a factor is: 0, 0 ⊙ Y, 0 ⊘ Y, 0^{∘k}, sum(0), 0 / c, diag(0)."""
    match atom:
        case Hadamard(left, right):
            return ZERO in (left, right)
        case (
            HadamardDiv(left, _)
            | HadamardPow(left, _)
            | Div(left, _)
            | Sum(left)
            | SumRows(left)
            | SumCols(left)
            | Diag(left)
        ):
            return left == ZERO
    return atom == ZERO


def inner_product(shapes: Shapes, left: Expr, right: Expr) -> bool:
    """Whether sum(left ⊙ right) reads better as a product: two vectors, neither all ones."""
    shape = shapes.of(left)
    ones = isinstance(left, Ones) or isinstance(right, Ones)
    return 1 in shape and shape == shapes.of(right) and not ones


def square(shape: tuple[object, object]) -> bool:
    return shape[0] == shape[1]
