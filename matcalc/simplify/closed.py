"""Closed forms as the engine records them: the simplified expression, whether its products
were multiplied out, and the rewrites that made it, in the words of the simplification step."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from matcalc.expr import Expr
from matcalc.shapes import Shapes
from matcalc.simplify.factor import factored, sum_of
from matcalc.simplify.products import products_of_sums
from matcalc.simplify.rewrites import REWRITES, sentence
from matcalc.simplify.simplifier import Memo, Simplifier, TooManyTerms
from matcalc.simplify.terms import Term

NONE: Mapping[Expr, Expr] = MappingProxyType({})
"""No named values to look through."""


@dataclass(frozen=True, slots=True)
class ClosedForm:
    """A simplified expression; `expanded` is False when multiplying out its products of sums
    would pass MAX_TERMS terms, so that they were kept as they are and common factors pulled out.
    `applied` names the rewrites that changed it, in table order, and `like_terms` is how many
    terms were collected with a like term."""

    expr: Expr
    expanded: bool
    applied: tuple[str, ...] = ()
    like_terms: int = 0

    @property
    def sentence(self) -> str:
        """The simplification step's justification: "we've expanded products and …"."""
        counts = dict.fromkeys(self.applied, 1)
        if "collect terms" in counts:
            counts["collect terms"] = self.like_terms
        return sentence(counts, self.expanded)


def closed_form(
    expr: Expr, shapes: Shapes, values: Mapping[Expr, Expr] = NONE, memo: Memo | None = None
) -> ClosedForm:
    """The expanded, collected closed form of `expr`, or a factored one past MAX_TERMS terms;
    `values` holds the values of the names `expr` uses, which identities may look through, and
    `memo` what earlier closed forms of the same shapes worked out."""
    simplifier, terms = _bounded_terms(expr, shapes, values, memo)
    if simplifier.expand:
        grouped = products_of_sums(terms)
        if grouped != terms:
            simplifier.applied["products of sums"] += 1
        result = sum_of(grouped)
    else:
        result = factored(terms)
    applied = simplifier.applied if result != expr else Counter[str]()
    names = tuple(r.name for r in REWRITES if applied[r.name])
    return ClosedForm(result, simplifier.expand, names, applied["collect terms"])


def factored_form(expr: Expr, shapes: Shapes) -> Expr:
    """The closed form with a common number and common left and right factors pulled out:
    `-2 X R^T + 2 D R R^T` becomes `2 (D R - X) R^T`."""
    return factored(_bounded_terms(expr, shapes)[1])


def _bounded_terms(
    expr: Expr, shapes: Shapes, values: Mapping[Expr, Expr] = NONE, memo: Memo | None = None
) -> tuple[Simplifier, list[Term]]:
    """`expr` as collected terms, by a simplifier that multiplied out its products of sums if
    that gives at most MAX_TERMS terms."""

    def look(name: Expr) -> Expr:
        return values.get(name, name)

    try:
        simplifier = Simplifier(shapes, expand=True, look=look, memo=memo)
        return simplifier, simplifier.terms(expr)
    except TooManyTerms:
        simplifier = Simplifier(shapes, expand=False, look=look, memo=memo)
        return simplifier, simplifier.terms(expr)
