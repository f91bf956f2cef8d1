"""A closed form written through a named column p = c s a (a number, scalar factors, one
factor a): each term with a factor a, a^T or diag(a) and the scalars s to spare takes p in its
place, so the Hessian of log(sum(exp(x))) reads `diag(p) - p p^T`, and that of ||x||_2
`(I - p p^T) / ||x||_2`, p being the gradient."""

from __future__ import annotations

from fractions import Fraction

from matcalc.expr import Diag, Expr, Symbol, Transpose
from matcalc.shapes import Shapes
from matcalc.simplify.factor import sum_of
from matcalc.simplify.simplifier import Simplifier, TooManyTerms
from matcalc.simplify.terms import Powers, Term


def through(expr: Expr, value: Expr, name: Symbol, shapes: Shapes) -> Expr | None:
    """`expr` with `name` in place of the column `value` where a term holds it; None where no
    term does, or where `value` is not one factor with a number and scalars."""
    try:
        (term,) = Simplifier(shapes, expand=True).terms(value)
        terms = Simplifier(shapes, expand=True).terms(expr)
    except (TooManyTerms, ValueError):
        return None
    if len(term.factors) != 1 or shapes.of(value)[1] != 1:
        return None
    (a,) = term.factors
    places = {a: name, Transpose(a): Transpose(name), Diag(a): Diag(name)}
    written = [_written(t, places, term) for t in terms]
    if all(w is t for w, t in zip(written, terms, strict=True)):
        return None
    return sum_of(written)


def _written(t: Term, places: dict[Expr, Expr], value: Term) -> Term:
    """`t` with as many of its factors a, a^T, diag(a) written by the name as its scalars have
    `value`'s scalars to spare, each taking them once."""
    sites = [i for i, f in enumerate(t.factors) if f in places]
    times = min([len(sites), *(_spare(t.scalars, base, e) for base, e in value.scalars)])
    if times == 0:
        return t
    factors = list(t.factors)
    for i in sites[:times]:
        factors[i] = places[factors[i]]
    scalars = _less(t.scalars, value.scalars, times)
    return Term(t.coefficient / value.coefficient**times, scalars, tuple(factors))


def _spare(scalars: Powers, base: Expr, exponent: Fraction) -> int:
    """How many times `scalars` hold base^exponent."""
    held = dict(scalars).get(base, Fraction(0))
    ratio = held / exponent
    return int(ratio) if ratio > 0 else 0


def _less(scalars: Powers, taken: Powers, times: int) -> Powers:
    less = dict(taken)
    return tuple(
        (base, e - times * less.get(base, Fraction(0)))
        for base, e in scalars
        if e != times * less.get(base, Fraction(0))
    )
