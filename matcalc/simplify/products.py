"""Terms that multiply out a product of two sums, put back as that product where it is shorter:
x x^T - x u^T - u x^T + u u^T is (x - u)(x - u)^T, and A x - A u + A^T x - A^T u is
(A + A^T)(x - u). Such terms split, at one place, into a left part from one set and a right part
from another, every pair present, with coefficients a_i b_j: the grid of an outer product."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

from matcalc.expr import Add, Expr, Neg, Transpose
from matcalc.simplify.factor import factor, sum_of
from matcalc.simplify.terms import Powers, Term

Part = tuple[Expr, ...]


def products_of_sums(terms: list[Term]) -> list[Term]:
    """`terms` with each grid of terms that is shorter as a product of two sums written so."""
    while True:
        size = sum_of(terms).size
        for grid, product in _grids(terms):
            shorter = [t for t in terms if t not in grid] + [product]
            if sum_of(shorter).size < size:
                terms = shorter
                break
        else:
            return terms


def _grids(terms: list[Term]) -> Iterator[tuple[list[Term], Term]]:
    """Each set of at least four terms (of the same scalar factors and number of matrix factors)
    that is the product of a sum of left parts and a sum of right parts, with that product."""
    groups: dict[tuple[Powers, int], list[Term]] = {}
    for term in terms:
        if len(term.factors) >= 2:
            groups.setdefault((term.scalars, len(term.factors)), []).append(term)
    for (scalars, length), group in groups.items():
        if len(group) < 4:
            continue
        for split in range(1, length):
            table: dict[Part, dict[Part, Term]] = {}
            for term in group:
                table.setdefault(term.factors[:split], {})[term.factors[split:]] = term
            by_rights: dict[frozenset[Part], list[Part]] = {}
            for left, row in table.items():
                by_rights.setdefault(frozenset(row), []).append(left)
            for lefts in by_rights.values():
                rights = list(table[lefts[0]])
                if len(lefts) >= 2 and len(rights) >= 2:
                    found = _outer(lefts, rights, table, scalars)
                    if found is not None:
                        yield found


def _outer(
    lefts: list[Part], rights: list[Part], table: dict[Part, dict[Part, Term]], scalars: Powers
) -> tuple[list[Term], Term] | None:
    """The grid's terms and their product, if the coefficients are a_i b_j."""
    first = table[lefts[0]]
    b = [first[right].coefficient for right in rights]
    a = [table[left][rights[0]].coefficient / b[0] for left in lefts]
    if any(
        table[left][right].coefficient != a_i * b_j
        for left, a_i in zip(lefts, a, strict=True)
        for right, b_j in zip(rights, b, strict=True)
    ):
        return None
    sign = Fraction(1)
    if a[0] < 0:  # each sum begins as the terms did, with a plus: -(x - u), not (u - x)
        a, sign = [-c for c in a], -sign
    if b[0] < 0:
        b, sign = [-c for c in b], -sign
    outside_left, left_sum = factor([Term(c, (), part) for c, part in zip(a, lefts, strict=True)])
    outside_right, right_sum = factor(
        [Term(c, (), part) for c, part in zip(b, rights, strict=True)]
    )
    coefficient = sign * outside_left.coefficient * outside_right.coefficient
    factors = tuple(map(_transposed_sum, (*left_sum.factors, *right_sum.factors)))
    grid = [table[left][right] for left in lefts for right in rights]
    return grid, Term(coefficient, scalars, factors)


def _transposed_sum(factor: Expr) -> Expr:
    """A sum of transposes as the transpose of the sum: x^T - u^T is (x - u)^T."""
    if not isinstance(factor, Add):
        return factor
    inner = []
    for term in factor.terms:
        sign, body = (True, term.arg) if isinstance(term, Neg) else (False, term)
        if not isinstance(body, Transpose):
            return factor
        inner.append(Neg(body.arg) if sign else body.arg)
    return Transpose(Add(tuple(inner)))
