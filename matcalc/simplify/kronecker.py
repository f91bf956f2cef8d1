"""The Hessian of vec(X) read off a Hessian-vector product ∇²f[V]: a term L V R is
(R^T ⊗ L) vec(V) (Matrix Cookbook eq. (520)), and the terms with the same R share one
Kronecker product, `eye(n) ⊗ (A + A^T)`."""

from __future__ import annotations

from matcalc.errors import ErrorKind, MatcalcError
from matcalc.expr import ZERO, Add, Expr, Identity, Kron, MatMul, Symbol, Transpose
from matcalc.shapes import SCALAR, Shapes
from matcalc.simplify.closed import closed_form
from matcalc.simplify.factor import factor, sum_of, term_expr
from matcalc.simplify.simplifier import Simplifier, TooManyTerms
from matcalc.simplify.terms import Term, product
from matcalc.traversal import preorder, symbol_names


def kronecker_form(hvp: Expr, direction: Symbol, shapes: Shapes) -> Expr:
    """The matrix K with vec(hvp) = K vec(V), as a sum of Kronecker products; a MatcalcError
    where a term has V transposed or inside anything but a product, which no such sum writes."""
    rows, cols = shapes.of(direction)
    try:
        terms = Simplifier(shapes, expand=True).terms(hvp)
    except TooManyTerms:
        raise _none(hvp, direction, "it has too many terms to expand") from None
    groups: dict[Expr, list[Term]] = {}
    for term in terms:
        left, right = _around(term, direction, hvp)
        right_t = closed_form(Transpose(product(right)), shapes).expr if right else Identity(cols)
        # nothing multiplies a row V from the left but scalars: R^T ⊗ c is c R^T
        alone = () if rows == 1 else (Identity(rows),)
        left_term = Term(term.coefficient, term.scalars, left or alone)
        groups.setdefault(right_t, []).append(left_term)
    parts = [_kron(right_t, lefts, shapes) for right_t, lefts in groups.items()]
    if not parts:  # f is linear in X: the zero matrix, mn×mn
        return MatMul(ZERO, Kron(Identity(cols), Identity(rows)))
    return parts[0] if len(parts) == 1 else Add(tuple(parts))


def _around(term: Term, direction: Symbol, hvp: Expr) -> tuple[tuple[Expr, ...], tuple[Expr, ...]]:
    """The factors left and right of the one V in `term`, which nothing else may hold."""
    sites = [i for i, f in enumerate(term.factors) if f == direction]
    elsewhere = [
        f for i, f in enumerate(term.factors) if i not in sites and _holds(f, direction)
    ] + [base for base, _ in term.scalars if _holds(base, direction)]
    if len(sites) == 1 and not elsewhere:
        return term.factors[: sites[0]], term.factors[sites[0] + 1 :]
    found = next(iter(elsewhere), direction)
    if any(isinstance(f, Transpose) and f.arg == direction for f in preorder(found)):
        why = f"{direction} appears transposed, in {found}, which needs a commutation matrix"
    else:
        why = f"{direction} appears inside {found}, not as a factor of a product"
    raise _none(hvp, direction, why)


def _holds(expr: Expr, direction: Symbol) -> bool:
    return direction.name in symbol_names(expr)


def _kron(right_t: Expr, lefts: list[Term], shapes: Shapes) -> Expr:
    """Σ c L ⊗-multiplied by R^T, the common number outside: `2 (eye(n) ⊗ A^T A)`; the left
    factors a term and then its transposes, `A + A^T`. For a row variable L is 1×1, and
    R^T ⊗ L is L R^T."""
    outside, _ = factor(lefts)
    ordered = sorted(lefts, key=_transposes)
    inner = sum_of([t.scaled(1 / outside.coefficient) for t in ordered])
    if shapes.of(inner) == SCALAR:
        scaled = term_expr(Term(outside.coefficient, (), (inner,)))
        return closed_form(MatMul(scaled, right_t), shapes).expr
    return term_expr(Term(outside.coefficient, (), (Kron(right_t, inner),)))


def _transposes(term: Term) -> int:
    return sum(isinstance(node, Transpose) for f in term.factors for node in preorder(f))


def _none(hvp: Expr, direction: Symbol, why: str) -> MatcalcError:
    return MatcalcError(
        f"matcalc cannot write the Hessian of vec as a sum of Kronecker products here: in "
        f"∇²f[{direction}] = {hvp}, {why}; ask for the Hessian-vector product instead, with "
        f'--direction {direction} (direction="{direction}")',
        ErrorKind.NOT_DIFFERENTIABLE,
    )
