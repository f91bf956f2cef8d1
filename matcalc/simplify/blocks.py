"""The algebra of Kronecker products that the simplifier uses: the mixed product
(A ⊗ B)(C ⊗ D) = A C ⊗ B D, the elementwise one (A ⊗ B) ⊙ (C ⊗ D) = (A ⊙ C) ⊗ (B ⊙ D), an
identity or all-ones matrix written as a Kronecker product of the sizes it meets,
(C ⊗ A) vec(X) = vec(A X C^T), and a column put back into a matrix: (1^T ⊗ I) diag(vec(M))
(I ⊗ 1) = M. Each holds only where the factors' sizes agree, which is what these functions
check."""

from __future__ import annotations

from matcalc.expr import Diag, Dim, Expr, Hadamard, Identity, Kron, MatMul, Ones, Transpose, Vec
from matcalc.operations import dim_product
from matcalc.shapes import Shapes


def as_kron_like(expr: Expr, kron: Kron, shapes: Shapes) -> Kron | None:
    """`expr` as a Kronecker product with the factor sizes of `kron`: itself if it is one of
    those sizes, I_{pr} as I_p ⊗ I_r and ones(pr, qs) as ones(p, q) ⊗ ones(r, s); else None."""
    (p, q), (r, s) = shapes.of(kron.left), shapes.of(kron.right)
    match expr:
        case Kron(left, right) if (shapes.of(left), shapes.of(right)) == ((p, q), (r, s)):
            return expr
        case Identity(n) if p == q and r == s and n == dim_product(p, r):
            return Kron(Identity(p), Identity(r))
        case Ones(rows, cols) if (rows, cols) == (dim_product(p, r), dim_product(q, s)):
            return Kron(Ones(p, q), Ones(r, s))
    return None


def hadamard_of_krons(left: Expr, right: Expr, shapes: Shapes) -> Kron | None:
    """(A ⊗ B) ⊙ (C ⊗ D) = (A ⊙ C) ⊗ (B ⊙ D) for A, C of one size and B, D of another; one of
    the two may be an identity or all-ones matrix, split to match the other."""
    for kron, other in ((left, right), (right, left)):
        if isinstance(kron, Kron) and (split := as_kron_like(other, kron, shapes)) is not None:
            first, second = (kron, split) if kron is left else (split, kron)
            return Kron(Hadamard(first.left, second.left), Hadamard(first.right, second.right))
    return None


def mixed_product(left: Expr, right: Expr, shapes: Shapes) -> Kron | None:
    """(A ⊗ B)(C ⊗ D) = (A C) ⊗ (B D) where A C and B D are products."""
    if not (isinstance(left, Kron) and isinstance(right, Kron)):
        return None
    inner = shapes.of(left.left)[1], shapes.of(left.right)[1]
    if inner != (shapes.of(right.left)[0], shapes.of(right.right)[0]):
        return None
    return Kron(MatMul(left.left, right.left), MatMul(left.right, right.right))


def read_back(factors: tuple[Expr, ...]) -> tuple[Expr, tuple[Dim, Dim]] | None:
    """For the three factors (ones(1, n) ⊗ eye(m)) diag(c) (eye(n) ⊗ ones(m, 1)), which put the
    column c (mn×1) back into an m×n matrix column by column: c and (m, n)."""
    match factors:
        case (
            Kron(Ones(1, n), Identity(m)),
            Diag(column),
            Kron(Identity(n2), Ones(m2, 1)),
        ) if (m, n) == (m2, n2):
            return column, (m, n)
    return None


def kron_times_vec(left: Expr, right: Expr, shapes: Shapes) -> Vec | None:
    """(C ⊗ A) vec(X) = vec(A X C^T) (Matrix Cookbook eq. (520)) where the sizes agree."""
    match left, right:
        case Kron(c, a), Vec(x) if (shapes.of(a)[1], shapes.of(c)[1]) == shapes.of(x):
            return Vec(MatMul(MatMul(a, x), Transpose(c)))
    return None
