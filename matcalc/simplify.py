"""Closed forms: products expanded over sums, like terms collected, scalars in front,
transposes pushed onto symbols; Hadamard products and function arguments kept as they are.

An expression becomes a list of terms `c · s1 s2 … · F1 F2 …` (a number, scalar factors, then
matrix factors in order), collected in the order the terms first arise; `closed_form` prints
that list back as an expression and `factored_form` pulls out common factors.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import reduce
from math import gcd

from matcalc.expr import (
    ONE,
    ZERO,
    Add,
    Det,
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
    Pending,
    Sum,
    SumCols,
    SumRows,
    Symbol,
    Trace,
    Transpose,
    number,
)
from matcalc.limits import MAX_TERMS
from matcalc.shapes import SCALAR, Shapes


@dataclass(frozen=True, slots=True)
class Term:
    """`coefficient · scalars · factors`: scalars commute and are kept sorted, factors do not."""

    coefficient: Fraction
    scalars: tuple[Expr, ...]
    factors: tuple[Expr, ...]

    @property
    def monomial(self) -> tuple[tuple[Expr, ...], tuple[Expr, ...]]:
        return self.scalars, self.factors

    def times(self, other: Term) -> Term:
        scalars = tuple(sorted((*self.scalars, *other.scalars), key=str))
        factors = self.factors + other.factors
        # I M = M I = M: an identity stays only where it is all there is
        kept = tuple(f for f in factors if not isinstance(f, Identity)) or factors[:1]
        return Term(self.coefficient * other.coefficient, scalars, kept)

    def scaled(self, by: Fraction) -> Term:
        return Term(self.coefficient * by, self.scalars, self.factors)


_UNIT = Term(Fraction(1), (), ())


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


@dataclass(frozen=True, slots=True)
class ClosedForm:
    """A simplified expression; `expanded` is False when multiplying out its products of sums
    would pass MAX_TERMS terms, so that they were kept as they are and common factors pulled out."""

    expr: Expr
    expanded: bool


def closed_form(expr: Expr, shapes: Shapes) -> ClosedForm:
    """The expanded, collected closed form of `expr`, or a factored one past MAX_TERMS terms."""
    terms, expanded = _bounded_terms(expr, shapes)
    return ClosedForm(_sum_of(terms) if expanded else _factored(terms), expanded)


def factored_form(expr: Expr, shapes: Shapes) -> Expr:
    """The closed form with a common number and common left and right factors pulled out:
    `-2 X R^T + 2 D R R^T` becomes `2 (D R - X) R^T`."""
    return _factored(_bounded_terms(expr, shapes)[0])


def _bounded_terms(expr: Expr, shapes: Shapes) -> tuple[list[Term], bool]:
    """`expr` as collected terms, and whether its products of sums were multiplied out."""
    try:
        return _Simplifier(shapes, expand=True).terms(expr), True
    except _TooManyTerms:
        return _Simplifier(shapes, expand=False).terms(expr), False


class _TooManyTerms(Exception):
    """Expanding would pass MAX_TERMS terms."""


def _factored(terms: list[Term]) -> Expr:
    if not terms:
        return ZERO
    outside, rest = _factor(terms)
    return _term_expr(outside.times(rest))


def _factor(terms: list[Term]) -> tuple[Term, Term]:
    """What every term shares: (the number and scalar factors, the rest as matrix factors with
    one sum between the common left and right factors, its positive terms first)."""
    content = _content(terms)
    if all(t.coefficient < 0 for t in terms):
        content = -content
    scalars = terms[0].scalars if all(t.scalars == terms[0].scalars for t in terms) else ()
    outside = Term(content, scalars, ())
    if len(terms) == 1:
        return outside, Term(Fraction(1), (), terms[0].factors)
    shortest = min(len(t.factors) for t in terms)
    prefix = _common_run([t.factors for t in terms], shortest - 1)
    suffix = _common_run(
        [t.factors[len(prefix) :][::-1] for t in terms], shortest - 1 - len(prefix)
    )
    inner = [
        Term(
            t.coefficient / content,
            t.scalars[len(scalars) :],
            t.factors[len(prefix) : len(t.factors) - len(suffix)],
        )
        for t in terms
    ]
    inner.sort(key=lambda t: t.coefficient < 0)
    return outside, Term(Fraction(1), (), (*prefix, _sum_of(inner), *suffix[::-1]))


_WHOLE = (Symbol, Func, FrobSq, Norm, Ones, Identity, Transpose, Pending)
"""Kinds of atom that the simplifier leaves as they are."""


class _Simplifier:
    """Expands with `expand`, and gives up past MAX_TERMS terms; without it, a product keeps
    an operand that is a sum whole, so the number of terms cannot grow by multiplying."""

    def __init__(self, shapes: Shapes, *, expand: bool):
        self.shapes = shapes
        self.expand = expand

    def closed(self, expr: Expr) -> Expr:
        return _sum_of(self.terms(expr))

    def terms(self, expr: Expr) -> list[Term]:
        """`expr` as collected terms."""
        return _collect(self._expand(expr))

    def _expand(self, expr: Expr) -> list[Term]:
        match expr:
            case Number(value):
                return [Term(value, (), ())]
            case Neg(arg):
                return [t.scaled(Fraction(-1)) for t in self._expand(arg)]
            case Add(terms) if all(self.shapes.of(t) == self.shapes.of(expr) for t in terms):
                return self._bounded(_collect([t for term in terms for t in self._expand(term)]))
            case MatMul(left, right):
                lefts, rights = self._operand(left), self._operand(right)
                if not self.expand:
                    lefts, rights = self._whole(left, lefts), self._whole(right, rights)
                return self._bounded([a.times(b) for a in lefts for b in rights])
            case Div(num, Number(value)) | HadamardDiv(num, Number(value)) if value:
                return [t.scaled(1 / value) for t in self._expand(num)]
            case Transpose(arg):
                return [self._transposed(t) for t in self._expand(arg)]
            case Hadamard(left, right) if SCALAR in (self.shapes.of(left), self.shapes.of(right)):
                # a scalar multiplies every entry: λ ⊙ X is λ X
                return self._expand(MatMul(left, right))
            case Hadamard(Ones(), other) | Hadamard(other, Ones()):
                return self._expand(other)
            case Ones(rows, cols) if (rows, cols) == SCALAR:
                return [Term(Fraction(1), (), ())]
            case _:
                return self._atom(expr)

    def _operand(self, expr: Expr) -> list[Term]:
        """Terms of a product's operand; a 1×1 product of matrices becomes one scalar factor."""
        terms = self._expand(expr)
        if self.shapes.of(expr) != SCALAR:
            return terms
        return [
            Term(t.coefficient, (*t.scalars, _product(t.factors)), ()) if t.factors else t
            for t in terms
        ]

    def _bounded(self, terms: list[Term]) -> list[Term]:
        if self.expand and len(terms) > MAX_TERMS:
            raise _TooManyTerms
        return terms

    def _whole(self, expr: Expr, terms: list[Term]) -> list[Term]:
        """The terms of a product's operand, as one factor if there are several."""
        if len(terms) < 2:
            return terms
        outside, rest = _factor(_collect(terms))
        if self.shapes.of(expr) == SCALAR:
            return [outside.times(Term(Fraction(1), (_product(rest.factors),), ()))]
        return [outside.times(rest)]

    def _atom(self, expr: Expr) -> list[Term]:
        """An expression the expansion does not open, with its number and scalars pulled out."""
        outside, atom = self._canonical_atom(expr)
        if _vanishes(atom):
            return []
        if self.shapes.of(atom) == SCALAR:
            return [outside.times(Term(Fraction(1), (atom,), ()))]
        return [outside.times(Term(Fraction(1), (), (atom,)))]

    def _canonical_atom(self, expr: Expr) -> tuple[Term, Expr]:
        match expr:
            case Hadamard(left, right):
                (a, left), (b, right) = self._inside(left), self._inside(right)
                for one, other in ((left, right), (right, left)):
                    # 1 ⊙ Y is Y, and so is ones ⊙ Y when Y has the whole shape
                    full = self.shapes.of(other) == self.shapes.of(expr)
                    if one == ONE or (isinstance(one, Ones) and full):
                        return a.times(b), other
                return a.times(b), Hadamard(left, right)
            case HadamardDiv(left, right):
                a, left = self._inside(left)
                if isinstance(left, Ones) and self.shapes.of(right) != SCALAR:
                    left = ONE
                return a, HadamardDiv(left, self.closed(right))
            case HadamardPow(base, exponent):
                return _UNIT, HadamardPow(self.closed(base), exponent)
            case Sum(arg) | SumRows(arg) | SumCols(arg) | Trace(arg):
                a, arg = self._inside(arg)
                return a, expr.rebuild((arg,))
            case Det(arg) | LogDet(arg) | Inverse(arg):
                return _UNIT, expr.rebuild((self.closed(arg),))
            case Div(num, den):
                a, num = self._inside(num)
                return a, Div(num, self.closed(den))
            case Add(terms):
                # a broadcast sum (C + x, 1 - y) stays whole: (C + x) W is not C W + x W
                return _UNIT, Add(tuple(self._shaped(term) for term in terms))
            case _ if isinstance(expr, _WHOLE):
                return _UNIT, expr
        raise AssertionError(f"no simplification for {type(expr).__name__}")

    def _shaped(self, term: Expr) -> Expr:
        """A broadcast sum's term in closed form; a zero matrix stays a matrix, `0 ones(m, n)`,
        for the sum to keep its shape."""
        closed = self.closed(term)
        rows, cols = self.shapes.of(term)
        if closed == ZERO and (rows, cols) != SCALAR:
            return MatMul(ZERO, Ones(rows, cols))
        return closed

    def _inside(self, expr: Expr) -> tuple[Term, Expr]:
        """An operand kept whole, in factored form: (its number and scalars, the rest)."""
        terms = self.terms(expr)
        if not terms:
            return _UNIT, ZERO
        if len(terms) == 1 and not terms[0].factors:
            return Term(terms[0].coefficient, (), ()), _product(terms[0].scalars)
        outside, rest = _factor(terms)
        return outside, _product(rest.factors)

    def _transposed(self, term: Term) -> Term:
        factors = tuple(self._transpose_atom(f) for f in reversed(term.factors))
        terms = [Term(term.coefficient, term.scalars, ())]
        for factor in factors:
            terms = [a.times(b) for a in terms for b in factor]
        assert len(terms) == 1
        return terms[0]

    def _transpose_atom(self, atom: Expr) -> list[Term]:
        match atom:
            case Transpose(inner):
                return self._expand(inner)
            case Ones(rows, cols):
                return [Term(Fraction(1), (), (Ones(cols, rows),))]
            case Identity():
                return [Term(Fraction(1), (), (atom,))]
            case Hadamard(left, right):
                return self._atom(Hadamard(Transpose(left), Transpose(right)))
            case HadamardDiv(left, right):
                return self._atom(HadamardDiv(Transpose(left), Transpose(right)))
            case HadamardPow(base, exponent):
                return self._atom(HadamardPow(Transpose(base), exponent))
            case Add(terms):
                transposed = Add(tuple(Transpose(term) for term in terms))
                return self._whole(transposed, self._expand(transposed))
        return [Term(Fraction(1), (), (Transpose(atom),))]


def _vanishes(atom: Expr) -> bool:
    """Zero because a factor is: 0, 0 ⊙ Y, 0 ⊘ Y, 0^{∘k}, sum(0), 0 / c."""
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
        ):
            return left == ZERO
    return atom == ZERO


def _collect(terms: list[Term]) -> list[Term]:
    """Add up like terms, keeping the order in which each first arose; drop zeros."""
    totals: dict[tuple[tuple[Expr, ...], tuple[Expr, ...]], Fraction] = {}
    for term in terms:
        totals[term.monomial] = totals.get(term.monomial, Fraction(0)) + term.coefficient
    return [Term(c, s, f) for (s, f), c in totals.items() if c != 0]


def _content(terms: list[Term]) -> Fraction:
    """The largest positive number that divides every coefficient."""
    numerators = reduce(gcd, (t.coefficient.numerator for t in terms))
    denominators = reduce(
        lambda a, b: a * b // gcd(a, b), (t.coefficient.denominator for t in terms)
    )
    return Fraction(abs(numerators), denominators)


def _common_run(sequences: list[tuple[Expr, ...]], limit: int) -> tuple[Expr, ...]:
    run: list[Expr] = []
    for position in range(max(limit, 0)):
        candidates = {seq[position] for seq in sequences}
        if len(candidates) != 1:
            break
        run.append(sequences[0][position])
    return tuple(run)


def _product(factors: tuple[Expr, ...]) -> Expr:
    return reduce(MatMul, factors) if factors else ONE


def _term_expr(term: Term) -> Expr:
    """`c s1 … F1 …` as nodes: numbers first, a fraction as `p … / q`, a minus outside."""
    body = (*term.scalars, *term.factors)
    value = abs(term.coefficient)
    parts = body if value.numerator == 1 and body else (number(value.numerator), *body)
    expr = _product(parts)
    if value.denominator != 1:
        expr = Div(expr, number(value.denominator))
    return Neg(expr) if term.coefficient < 0 else expr


def _sum_of(terms: list[Term]) -> Expr:
    if not terms:
        return ZERO
    exprs = [_term_expr(t) for t in terms]
    return exprs[0] if len(exprs) == 1 else Add(tuple(exprs))
