"""Minus signs moved out of products, as the seed writes `-2 (X - D R) R^T`."""

from __future__ import annotations

from matcalc.expr import Div, Expr, Hadamard, MatMul, Neg, Transpose


def signs_out(expr: Expr) -> Expr:
    """Minus signs moved out of products, elementwise products, quotients and transposes, and
    double minuses dropped, as the seed writes `-2 (X - D R) R^T`."""
    kids = expr.children()
    if not kids:
        return expr
    moved = tuple(signs_out(child) for child in kids)
    if any(new is not old for new, old in zip(moved, kids, strict=True)):
        expr = expr.rebuild(moved)
    return lift_sign(expr)


def lift_sign(expr: Expr) -> Expr:
    """`expr` with a minus sign of its children moved out (their own signs are out already)."""
    match expr:
        case Neg(Neg(inner)):
            return inner
        case MatMul(Neg(a), b) | MatMul(a, Neg(b)):
            return _negated(MatMul(a, b))
        case Hadamard(Neg(a), b) | Hadamard(a, Neg(b)):
            return _negated(Hadamard(a, b))
        case Div(Neg(a), b):
            return _negated(Div(a, b))
        case Transpose(Neg(a)):
            return Neg(Transpose(a))
    return expr


def _negated(expr: Expr) -> Expr:
    return lift_sign(Neg(lift_sign(expr)))
