"""Jacobians in matrix form: M such that an expression linear in a column u is M u."""

from __future__ import annotations

from fractions import Fraction

from matcalc.errors import ErrorKind, MatcalcError
from matcalc.expr import ONE, Diag, Expr, Hadamard, HadamardDiv, Identity, Sum, Symbol, Transpose
from matcalc.limits import MAX_TERMS
from matcalc.shapes import Shapes
from matcalc.simplify.factor import sum_of, term_expr
from matcalc.simplify.simplifier import Simplifier, TooManyTerms
from matcalc.simplify.terms import Term, collect, flattened, matrix
from matcalc.traversal import preorder


def linear_map(expr: Expr, u: Symbol, shapes: Shapes) -> Expr:
    """M such that `expr` = M u, for an `expr` linear in the column `u`: a Jacobian's transpose
    from the gradient of u^T y."""
    try:
        return sum_of(_linear_terms(Simplifier(shapes, expand=True), expr, u))
    except TooManyTerms:
        raise MatcalcError(
            f"this Jacobian's matrix would have more than {MAX_TERMS} terms; differentiate a "
            f"scalar such as v^T y instead",
            ErrorKind.NOT_DIFFERENTIABLE,
        ) from None


def _linear_terms(simplifier: Simplifier, expr: Expr, u: Symbol) -> list[Term]:
    """The terms of M, where `expr` = M u is linear in the column `u`."""
    terms = simplifier.terms(expr)
    return collect([m for term in terms for m in _linear(simplifier, term, u)])


def _linear(simplifier: Simplifier, term: Term, u: Symbol) -> list[Term]:
    for base, exponent in term.scalars:
        if _holds(base, u):
            return _through_scalar(simplifier, term, base, exponent, u)
    outside = Term(term.coefficient, term.scalars, term.factors[:-1])
    match term.factors[-1:]:
        case (last,) if last == u:
            identity = Identity(simplifier.shapes.of(u)[0])
            return [outside if outside.factors else outside.times(matrix(identity))]
        case (Hadamard(left, right),):
            inner, other = (left, right) if _holds(left, u) else (right, left)
            diagonal = outside.times(matrix(Diag(other)))
            return [diagonal.times(m) for m in _linear_terms(simplifier, inner, u)]
        case (HadamardDiv(inner, other),) if not _holds(other, u):
            diagonal = outside.times(matrix(Diag(HadamardDiv(ONE, other))))
            return [diagonal.times(m) for m in _linear_terms(simplifier, inner, u)]
    raise MatcalcError(
        f"{term_expr(term)} is not a matrix times {u}: this Jacobian has no matrix form here",
        ErrorKind.NOT_DIFFERENTIABLE,
    )


def _through_scalar(
    simplifier: Simplifier, term: Term, scalar: Expr, exponent: Fraction, u: Symbol
) -> list[Term]:
    """(w^T u) F = F w^T u, (r u) F = F r u and sum(w ⊙ M u) F = F w^T M u."""
    factors = flattened(scalar)
    rest = Term(term.coefficient, tuple(p for p in term.scalars if p[0] != scalar), ())
    rest = rest.times(matrix(*term.factors))
    match scalar:
        case _ if exponent != 1:
            pass
        case Sum(Hadamard(left, right)):
            inner, other = (left, right) if _holds(left, u) else (right, left)
            row = rest.times(matrix(Transpose(other)))
            return [row.times(m) for m in _linear_terms(simplifier, inner, u)]
        case _ if factors[0] == Transpose(u):
            return [rest.times(simplifier.transpose_term(matrix(*factors[1:])))]
        case _ if factors[-1] == u:
            return [rest.times(matrix(*factors[:-1]))]
    raise MatcalcError(
        f"{scalar} is not linear in {u}: this Jacobian has no matrix form here",
        ErrorKind.NOT_DIFFERENTIABLE,
    )


def _holds(expr: Expr, symbol: Symbol) -> bool:
    return any(node == symbol for node in preorder(expr))
