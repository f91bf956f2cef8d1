"""Terms `c · s1^e1 s2^e2 … · F1 F2 …` (a number, powers of scalar factors, then matrix factors
in order), like terms collected, and the runs of factors that make `I` (M^{-1} next to M)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import reduce

from matcalc.expr import (
    ONE,
    Add,
    Expr,
    Hadamard,
    Identity,
    Inverse,
    MatMul,
    Transpose,
    transposed,
)
from matcalc.limits import MAX_POWER

Powers = tuple[tuple[Expr, Fraction], ...]
"""Scalar factors with their exponents, sorted by how they print, no exponent zero."""


@dataclass(frozen=True, slots=True)
class Term:
    """`coefficient · scalars · factors`: scalars commute and are kept sorted, factors do not."""

    coefficient: Fraction
    scalars: Powers
    factors: tuple[Expr, ...]

    def times(self, other: Term) -> Term:
        factors = self.factors + other.factors
        # I M = M I = M: an identity stays only where it is all there is
        kept = tuple(f for f in factors if not isinstance(f, Identity)) or factors[:1]
        scalars = _powers((*self.scalars, *other.scalars))
        return Term(self.coefficient * other.coefficient, scalars, kept)

    def scaled(self, by: Fraction) -> Term:
        return Term(self.coefficient * by, self.scalars, self.factors)

    def raised(self, exponent: Fraction) -> Term | None:
        """This scalar term to a power, if that is again a term: (2 s)^2 is 4 s^2."""
        whole = exponent.denominator == 1 and abs(exponent) <= MAX_POWER
        if self.factors or not (whole or self.coefficient == 1):
            return None
        powers = tuple((base, e * exponent) for base, e in self.scalars)
        return Term(self.coefficient ** int(exponent) if whole else Fraction(1), powers, ())


def _powers(pairs: Powers) -> Powers:
    totals: dict[Expr, Fraction] = {}
    for base, exponent in pairs:
        totals[base] = totals.get(base, Fraction(0)) + exponent
    return tuple(sorted(((b, e) for b, e in totals.items() if e), key=lambda p: str(p[0])))


def scalar(expr: Expr, exponent: Fraction = Fraction(1)) -> Term:
    """The term that is the scalar `expr` to a power."""
    return Term(Fraction(1), ((expr, exponent),), ())


def matrix(*factors: Expr) -> Term:
    """The term that is the product of `factors`."""
    return Term(Fraction(1), (), factors)


UNIT = Term(Fraction(1), (), ())


@dataclass(frozen=True, slots=True)
class Collected:
    """Like terms added up, how many terms had a like term, and how many lone zeros were dropped."""

    terms: list[Term]
    like: int
    zeros: int


def collected(terms: list[Term]) -> Collected:
    """`collect`, and what it did: how many terms had a like term, how many zeros it dropped.
    Terms are alike up to the order of ⊙ and + inside their factors (A ⊙ B and B ⊙ A); the
    first one written stays."""
    if len(terms) == 1:  # most sums are one term: nothing to collect
        zero = terms[0].coefficient == 0
        return Collected([] if zero else terms, 0, int(zero))
    totals: dict[object, Fraction] = {}
    counts: dict[object, int] = {}
    first: dict[object, Term] = {}
    for term in terms:
        alike: tuple[object, ...] = term.factors
        if any(isinstance(factor, Hadamard | Add) for factor in alike):
            alike = tuple(map(_alike, term.factors))
        key = (term.scalars, alike)
        first.setdefault(key, term)
        totals[key] = totals.get(key, Fraction(0)) + term.coefficient
        counts[key] = counts.get(key, 0) + 1
    kept = [Term(c, first[k].scalars, first[k].factors) for k, c in totals.items() if c != 0]
    like = sum(n for n in counts.values() if n > 1)
    zeros = sum(1 for m, n in counts.items() if n == 1 and totals[m] == 0)
    return Collected(kept, like, zeros)


def _alike(factor: Expr) -> object:
    """What a factor is, up to the order of the operands of ⊙ and the terms of + in it: those
    in an order of their own (by hash: equal operands sort together, and a tie of unequal ones
    can only leave two like terms apart)."""
    match factor:
        case Hadamard():
            return "⊙", tuple(sorted(map(_alike, hadamard_factors(factor)), key=hash))
        case Add(terms):
            return "+", tuple(sorted(map(_alike, terms), key=hash))
    return factor


def hadamard_factors(expr: Expr) -> list[Expr]:
    """The operands of a chain of elementwise products, nested ones opened."""
    if isinstance(expr, Hadamard):
        return [*hadamard_factors(expr.left), *hadamard_factors(expr.right)]
    return [expr]


def collect(terms: list[Term]) -> list[Term]:
    """Add up like terms, keeping the order in which each first arose; drop zeros."""
    return collected(terms).terms


def flattened(product: Expr) -> tuple[Expr, ...]:
    """The factors of a product, outermost products opened."""
    match product:
        case MatMul(left, right):
            return flattened(left) + flattened(right)
    return (product,)


def product(factors: tuple[Expr, ...]) -> Expr:
    """The factors multiplied together, left to right; 1 for none."""
    return reduce(MatMul, factors) if factors else ONE


def inverse_run(factors: list[tuple[Expr, tuple[Expr, ...] | None]]) -> int | None:
    """How many factors at the end of `factors` make I: `M^{-1} A B` or `A B M^{-1}` where
    M = A B, and the same transposed. Each factor comes with what it is the inverse of."""
    n = len(factors)
    for j in range(n - 1, -1, -1):
        inverted_product = factors[j][1]
        if inverted_product is None:
            continue
        k = len(inverted_product)
        if (
            j == n - 1
            and k < n
            and tuple(f for f, _ in factors[n - 1 - k : n - 1]) == inverted_product
        ):
            return k + 1
        if n - 1 - j == k and tuple(f for f, _ in factors[j + 1 :]) == inverted_product:
            return k + 1
    return None


def inverted(factor: Expr) -> tuple[Expr, ...] | None:
    """The factors F1 … Fk of which `factor` is the inverse (F1 … Fk)^{-1}, if it is one."""
    match factor:
        case Inverse(m):
            return flattened(m)
        case Transpose(Inverse(m)):
            return tuple(transposed(f) for f in reversed(flattened(m)))
    return None


def scalars_move(left: Term, right: Term) -> bool:
    """Whether left · right moves scalars of `right` in front of the matrix factors of `left`,
    or a denominator of `left` past the factors of `right`: X (c Y) = c X Y, (X / c) Y = X Y / c."""
    if left.factors and (right.scalars or right.coefficient != 1):
        return True
    below = left.coefficient.denominator != 1 or any(e < 0 for _, e in left.scalars)
    return below and bool(right.factors)
