"""Random well-typed scalar objectives over the rule table, for the property tests.

An objective is built from the outside in: each operation is asked for an expression of a
given shape holding a given number of occurrences of the variable, and picks an operation of
the rule table that gives that shape, with operands of fitting shapes. Dimensions are the
names m, n, p, q, which the gradient check sizes 3, 4, 5, 6: no two are equal by accident.
Whatever must stay positive (under log and sqrt, in a denominator) is built to be positive.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
from hypothesis import strategies as st

from matcalc.expr import (
    Add,
    Det,
    Diag,
    Div,
    Expr,
    FrobSq,
    Func,
    Hadamard,
    HadamardDiv,
    HadamardPow,
    Identity,
    Inverse,
    LogDet,
    MatMul,
    Neg,
    Norm,
    Number,
    Ones,
    Power,
    Sum,
    SumCols,
    SumRows,
    Symbol,
    Trace,
    Transpose,
)
from matcalc.finite_differences import random_env

Shape = tuple[int | str, int | str]
SCALAR: Shape = (1, 1)
DIMS = ("m", "n", "p", "q")
VARIABLES = {"X": ("m", "n"), "x": ("m", 1), "lambda": SCALAR}
SMOOTH = ("exp", "sin", "cos", "tanh", "sigmoid", "arctan", "softplus", "g", "h")
KINKED = ("abs", "relu")
POSITIVE_ONLY = ("log", "sqrt")
BOUNDED = ("tan", "arcsin", "arccos")
"""Defined, or smooth, only on (-1, 1) or so: their argument is tanh(…) / 2."""


@dataclass(frozen=True)
class Objective:
    """A scalar objective, its variable, every symbol's declared shape, and which symbols
    must be given positive values."""

    expr: Expr
    wrt: str
    shapes: dict[str, tuple[int | str, ...]]
    positive: frozenset[str]

    def env(self, symbols: dict[str, Any], seed: int) -> dict[str, Any]:
        """Random values for a check: entries in [-1, 1], and in [0.5, 1.5] where positive."""
        env = random_env(symbols, self.expr, seed=seed)
        rng = np.random.default_rng(seed + 7)
        for name in self.positive:
            env[name] = rng.uniform(0.5, 1.5, size=np.shape(env[name]))
        return env


@dataclass
class _Builder:
    draw: Any
    wrt: str
    shapes: dict[str, tuple[int | str, ...]] = field(default_factory=dict)
    positive: set[str] = field(default_factory=set)

    @property
    def variable_shape(self) -> Shape:
        return VARIABLES[self.wrt]

    def constant(self, shape: Shape, *, positive: bool = False) -> Expr:
        """A fresh symbol of `shape`, named by its kind: A1 a matrix, a1 a vector, c1 a scalar."""
        stem = "c" if shape == SCALAR else "a" if shape[1] == 1 else "A"
        name = f"{'P' if positive else ''}{stem}{len(self.shapes) + 1}"
        self.shapes[name] = shape
        if positive:
            self.positive.add(name)
        return Symbol(name)

    def dim(self) -> str:
        return self.draw(st.sampled_from(DIMS))

    def split(self, k: int, parts: int) -> list[int]:
        """`k` occurrences shared out over `parts` operands."""
        cuts = sorted(self.draw(st.integers(0, k)) for _ in range(parts - 1))
        return [b - a for a, b in zip([0, *cuts], [*cuts, k], strict=True)]

    def expr(self, shape: Shape, k: int, depth: int) -> Expr:
        """An expression of `shape` in which the variable occurs `k` times."""
        if depth <= 0 or self.draw(st.integers(0, 5)) == 0:
            return self.leaf(shape, k)
        choices = [self.transpose, self.negation, self.addition, self.product, self.scaling]
        choices += [self.hadamard, self.division, self.power, self.function]
        if shape == SCALAR:
            choices += [self.reduction, self.quadratic_form, self.quotient, self.square_to_scalar]
        if shape[0] == shape[1] and shape != SCALAR:
            choices += [self.inverse, self.diagonal]
        if shape[1] == 1 and shape != SCALAR:
            choices.append(self.diagonal)
        if shape[0] == 1 or shape[1] == 1:
            choices.append(self.sum_along)
        if shape[0] != 1 and shape[1] != 1:
            choices += [self.broadcast, self.broadcast]  # rarer than the rest otherwise
        make = self.draw(st.sampled_from(choices))
        return make(shape, k, depth - 1)

    def leaf(self, shape: Shape, k: int) -> Expr:
        if k == 0:
            if shape == SCALAR and self.draw(st.booleans()):
                return Number(Fraction(self.draw(st.sampled_from([2, 3, 5]))))
            known = {*self.variable_shape, 1}  # a dimension only ones() has cannot be sized
            if set(shape) <= known and self.draw(st.integers(0, 9)) == 0:
                return Ones(*shape)
            return self.constant(shape)
        bridges = [self.bridge(shape) for _ in range(k)]
        return bridges[0] if k == 1 else Add(tuple(bridges))

    def bridge(self, shape: Shape) -> Expr:
        """The variable, taken to `shape` by constant factors on either side where needed."""
        expr: Expr = Symbol(self.wrt)
        rows, cols = self.variable_shape
        if rows != shape[0]:
            expr = MatMul(self.constant((shape[0], rows)), expr)
        if cols != shape[1]:
            expr = MatMul(expr, self.constant((cols, shape[1])))
        return expr

    def transpose(self, shape: Shape, k: int, depth: int) -> Expr:
        return Transpose(self.expr((shape[1], shape[0]), k, depth))

    def negation(self, shape: Shape, k: int, depth: int) -> Expr:
        return Neg(self.expr(shape, k, depth))

    def addition(self, shape: Shape, k: int, depth: int) -> Expr:
        ks = self.split(k, self.draw(st.integers(2, 3)))
        return Add(tuple(self.expr(shape, part, depth) for part in ks))

    def broadcast(self, shape: Shape, k: int, depth: int) -> Expr:
        small = self.draw(st.sampled_from([(1, shape[1]), (shape[0], 1), SCALAR]))
        whole, broadcast = self.split(k, 2)
        terms = [self.expr(shape, whole, depth), self.expr(small, broadcast, depth)]
        return Add(tuple(terms if self.draw(st.booleans()) else terms[::-1]))

    def product(self, shape: Shape, k: int, depth: int) -> Expr:
        inner = self.draw(st.sampled_from([*DIMS, 1]))
        left, right = self.split(k, 2)
        return MatMul(
            self.expr((shape[0], inner), left, depth), self.expr((inner, shape[1]), right, depth)
        )

    def scaling(self, shape: Shape, k: int, depth: int) -> Expr:
        scalar, matrix = self.split(k, 2)
        factors = [self.expr(SCALAR, scalar, depth), self.expr(shape, matrix, depth)]
        return MatMul(*(factors if self.draw(st.booleans()) else factors[::-1]))

    def hadamard(self, shape: Shape, k: int, depth: int) -> Expr:
        left, right = self.split(k, 2)
        other = SCALAR if self.draw(st.integers(0, 4)) == 0 else shape
        return Hadamard(self.expr(shape, left, depth), self.expr(other, right, depth))

    def division(self, shape: Shape, k: int, depth: int) -> Expr:
        top, bottom = self.split(k, 2)
        return HadamardDiv(self.expr(shape, top, depth), self.positive_expr(shape, bottom, depth))

    def quotient(self, shape: Shape, k: int, depth: int) -> Expr:
        top, bottom = self.split(k, 2)
        numerator = self.expr(self.draw(st.sampled_from([shape, ("m", "n")])), top, depth)
        return Sum(Div(numerator, self.positive_expr(SCALAR, bottom, depth)))

    def power(self, shape: Shape, k: int, depth: int) -> Expr:
        exponent = self.draw(st.integers(1, 3))
        if shape == SCALAR and self.draw(st.booleans()):
            return self.scalar_power(k, depth)
        if shape[0] == shape[1] and shape != SCALAR and self.draw(st.booleans()):
            return Power(Div(self.expr(shape, k, depth), Number(Fraction(4))), Number(exponent))
        return HadamardPow(self.expr(shape, k, depth), exponent)

    def scalar_power(self, k: int, depth: int) -> Expr:
        """s^2, s^3, a positive s to -2 or 1/2 or a variable exponent, or 1/s as s^{-1}."""
        kind = self.draw(st.sampled_from(["variable", "reciprocal", "signed", "positive"]))
        if kind == "signed":
            return Power(self.expr(SCALAR, k, depth), Number(self.draw(st.sampled_from([2, 3]))))
        base, exponent = self.split(k, 2) if kind == "variable" else (k, 0)
        positive = self.positive_expr(SCALAR, base, depth)
        if kind == "reciprocal":
            return Inverse(positive)
        if kind == "variable":
            return Power(positive, Func("tanh", self.expr(SCALAR, exponent, depth)))
        value = self.draw(st.sampled_from([Fraction(-2), Fraction(1, 2), Fraction(3, 2)]))
        return Power(positive, Number(value))

    def function(self, shape: Shape, k: int, depth: int) -> Expr:
        name = self.draw(st.sampled_from(SMOOTH + KINKED + POSITIVE_ONLY + BOUNDED))
        if name in POSITIVE_ONLY:
            return Func(name, self.positive_expr(shape, k, depth))
        if name in BOUNDED:
            return Func(name, Div(Func("tanh", self.expr(shape, k, depth)), Number(Fraction(2))))
        return Func(name, self.expr(shape, k, depth))

    def positive_expr(self, shape: Shape, k: int, depth: int) -> Expr:
        """An expression whose entries are positive for positive constants."""
        if k == 0 and self.draw(st.booleans()):
            return self.constant(shape, positive=True)
        if self.draw(st.booleans()):
            return Func("exp", Func("tanh", self.expr(shape, k, depth)))
        square = HadamardPow(self.expr(shape, k, depth), 2)
        return Add((square, self.constant(shape, positive=True)))

    def reduction(self, shape: Shape, k: int, depth: int) -> Expr:
        inner = self.draw(st.sampled_from([("m", "n"), ("n", 1), (1, "p"), SCALAR]))
        # Hypothesis draws the first of a list more often: the rarer kinds come first
        kind = self.draw(st.sampled_from(["norm", "sum", "squared norm"]))
        if kind == "sum":
            return Sum(self.expr(inner, k, depth))
        vector = inner[1] == 1  # ||X||_2 and ||X||_1 of a matrix are induced norms
        if kind == "norm":
            norms = ["1", "2", "F", "norm1", "norm2"] if vector else ["F", "norm1", "norm2"]
            return Norm(self.expr(inner, k, depth), self.draw(st.sampled_from(norms)))
        norms = ["F", "2", ""] if vector else ["F"]
        return FrobSq(self.expr(inner, k, depth), self.draw(st.sampled_from(norms)))

    def quadratic_form(self, shape: Shape, k: int, depth: int) -> Expr:
        d = self.dim()
        a = self.constant((d, 1))
        return MatMul(MatMul(Transpose(a), self.expr((d, d), k, depth)), a)

    def invertible(self, d: int | str, k: int, depth: int) -> Expr:
        """I + tanh(E) / 10: diagonally dominant for sizes up to 6, so invertible, det > 0."""
        small = Div(Func("tanh", self.expr((d, d), k, depth)), Number(Fraction(10)))
        return Add((Identity(d), small))

    def square_to_scalar(self, shape: Shape, k: int, depth: int) -> Expr:
        d = self.dim()
        kind = self.draw(st.sampled_from([Trace, Det, LogDet]))
        if kind is Trace:
            return Trace(self.expr((d, d), k, depth))
        return kind(self.invertible(d, k, depth))

    def diagonal(self, shape: Shape, k: int, depth: int) -> Expr:
        """diag of a column (a square result), or of a square matrix (a column result)."""
        if shape[1] == 1:
            return Diag(self.expr((shape[0], shape[0]), k, depth))
        return Diag(self.expr((shape[0], 1), k, depth))

    def inverse(self, shape: Shape, k: int, depth: int) -> Expr:
        return Inverse(self.invertible(shape[0], k, depth))

    def sum_along(self, shape: Shape, k: int, depth: int) -> Expr:
        if shape[0] == 1 if shape != SCALAR else self.draw(st.booleans()):
            return SumRows(self.expr((self.dim(), shape[1]), k, depth))
        return SumCols(self.expr((shape[0], self.dim()), k, depth))


@st.composite
def objectives(draw: Any, max_depth: int = 4) -> Objective:
    """A random scalar objective in which the variable occurs one to three times."""
    wrt = draw(st.sampled_from(sorted(VARIABLES)))
    builder = _Builder(draw, wrt)
    builder.shapes[wrt] = VARIABLES[wrt]
    occurrences = draw(st.integers(1, 3))
    expr = builder.expr(SCALAR, occurrences, draw(st.integers(1, max_depth)))
    return Objective(expr, wrt, dict(builder.shapes), frozenset(builder.positive))
