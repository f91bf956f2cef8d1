"""THE rule table: one entry per operation, as in the seed's formula list.

Each entry says which operation it matches, how df/dX follows from df/dG (`vjp`, one line),
what kind of step it is, and how it is proved in index notation. The engine, the
justifications, `matcalc rules` and the table-driven numerical test all read `RULES`.
`rule.py` holds the record and its helpers; the entries are in `arithmetic.py` and
`matrix_functions.py`, `softmax.py`, `normalization.py` and `kronecker.py`, which together
keep the table's order.
"""

from __future__ import annotations

from collections.abc import Mapping

from matcalc.errors import ErrorKind, MatcalcError
from matcalc.expr import ONE, Expr, Pending, Symbol
from matcalc.functions import NONE_DEFINED
from matcalc.rules.arithmetic import ARITHMETIC
from matcalc.rules.kronecker import KRONECKER
from matcalc.rules.matrix_functions import MATRIX_FUNCTIONS
from matcalc.rules.normalization import NORMALIZATION
from matcalc.rules.rule import Assumption, Kind, Rule, Site, mul
from matcalc.rules.softmax import SOFTMAX
from matcalc.shapes import Shapes, infer
from matcalc.traversal import occurrences, subexpression

__all__ = [
    "RULES",
    "RULES_BY_NAME",
    "RULES_FOR",
    "Assumption",
    "Kind",
    "Rule",
    "Site",
    "mul",
    "rule_for",
    "statement",
]

RULES: tuple[Rule, ...] = (
    *ARITHMETIC,
    *MATRIX_FUNCTIONS,
    *SOFTMAX,
    *NORMALIZATION,
    *KRONECKER,
)

RULES_BY_NAME: dict[str, Rule] = {rule.name: rule for rule in RULES}

RULES_FOR: dict[type[Expr], tuple[Rule, ...]] = {}
for _rule in RULES:
    RULES_FOR[_rule.node] = (*RULES_FOR.get(_rule.node, ()), _rule)
del _rule


def rule_for(
    objective: Expr,
    path: tuple[int, ...],
    shapes: Shapes,
    defined: Mapping[str, Expr] = NONE_DEFINED,
) -> tuple[Rule, Site]:
    """The rule that takes df/dH, for the H at `path`, one operation up; patterns that span
    two operations (the quadratic form) are tried first. `defined` holds the derivatives of
    the user's functions."""
    for depth in (2, 1):
        if len(path) < depth:
            continue
        site = Site(subexpression(objective, path[:-depth]), path[-depth:], shapes, defined)
        for rule in RULES_FOR.get(type(site.node), ()):
            if rule.applies(site):
                return rule, site
    parent = subexpression(objective, path[:-1])
    raise MatcalcError(
        f"no rule differentiates {parent} with respect to its part "
        f"{subexpression(objective, path)}",
        ErrorKind.NOT_DIFFERENTIABLE,
    )


def statement(rule: Rule) -> tuple[Expr, Expr, Expr]:
    """The rule on its own example: (X, G(X), df/dX in terms of df/dG), for listing and proofs."""
    node = rule.example
    site = Site(node, occurrences(node, rule.input)[0], infer(node, rule.shapes))
    d_g = ONE if rule.kind is Kind.MATRIX_TO_SCALAR else Pending(Symbol("f"), Symbol("G"), ())
    return site.child, node, rule.vjp(site, d_g)
