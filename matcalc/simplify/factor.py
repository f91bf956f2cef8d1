"""Terms back into an expression: the number first, negative powers under a `/`, terms over the
same denominator sharing it, and common factors pulled out (`2 (D R - X) R^T`)."""

from __future__ import annotations

from fractions import Fraction
from functools import reduce
from math import gcd

from matcalc.expr import ZERO, Add, Div, Expr, FrobSq, Neg, Norm, Power, number
from matcalc.limits import MAX_POWER
from matcalc.simplify.terms import Powers, Term, product

EUCLIDEAN = ("F", "2")
"""Norms written with bars whose square is a sum of squares, ||x||_2^2 as the parser reads it."""


def factored(terms: list[Term]) -> Expr:
    """The terms added up with a common number and common left and right factors pulled out."""
    if not terms:
        return ZERO
    outside, rest = factor(terms)
    return term_expr(outside.times(rest))


def factor(terms: list[Term]) -> tuple[Term, Term]:
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
    return outside, Term(Fraction(1), (), (*prefix, sum_of(inner), *suffix[::-1]))


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


def _runs(factors: tuple[Expr, ...]) -> tuple[Expr, ...]:
    """Equal neighbours as a power: `X X X` is `X^3`. A power of a matrix goes up to MAX_POWER
    only, the largest that reads back, so a longer run is several: 35 X's are `X^32 X^3`."""
    out: list[tuple[Expr, int]] = []
    for base in factors:
        if out and out[-1][0] == base and out[-1][1] < MAX_POWER:
            out[-1] = (base, out[-1][1] + 1)
        else:
            out.append((base, 1))
    return tuple(_power(base, Fraction(count)) for base, count in out)


def _power(base: Expr, exponent: Fraction) -> Expr:
    match base:
        case Norm(arg, norm) if norm in EUCLIDEAN and exponent == 2:
            return FrobSq(arg, norm)
    return base if exponent == 1 else Power(base, number(exponent))


def term_expr(term: Term) -> Expr:
    """`c s1 … F1 … / (q t1 …)` as nodes: the number first, a fraction's denominator and the
    negative powers under the `/`, a minus outside."""
    upper = [_power(base, e) for base, e in term.scalars if e > 0]
    lower = [_power(base, -e) for base, e in term.scalars if e < 0]
    body = (*upper, *_runs(term.factors))
    value = abs(term.coefficient)
    parts = body if value.numerator == 1 and body else (number(value.numerator), *body)
    expr = product(parts)
    if value.denominator != 1:
        lower.insert(0, number(value.denominator))
    if lower:
        expr = Div(expr, product(tuple(lower)))
    return Neg(expr) if term.coefficient < 0 else expr


def sum_of(terms: list[Term]) -> Expr:
    """The terms added up; terms over the same denominator share it: `A^T (A x - b) / ||…||`,
    `(A + A^T) / 2`."""
    if not terms:
        return ZERO
    over: dict[tuple[int, Powers], list[Term]] = {}
    for term in terms:
        lower = tuple(p for p in term.scalars if p[1] < 0)
        over.setdefault((term.coefficient.denominator, lower), []).append(term)
    exprs = []
    for (denominator, lower), group in over.items():
        if (denominator, lower) != (1, ()) and len(group) > 1:
            upper = [
                Term(t.coefficient * denominator, _positive(t.scalars), t.factors) for t in group
            ]
            outside, rest = factor(upper)
            below = Term(Fraction(1, denominator), lower, ())
            exprs.append(term_expr(outside.times(rest).times(below)))
        else:
            exprs.extend(term_expr(t) for t in group)
    return exprs[0] if len(exprs) == 1 else Add(tuple(exprs))


def _positive(scalars: Powers) -> Powers:
    return tuple(p for p in scalars if p[1] > 0)
