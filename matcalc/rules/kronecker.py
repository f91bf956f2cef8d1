"""The rules of the Kronecker product and of vec. A ⊗ B is the block matrix of blocks a_ij B,
so each entry of A (or of B) meets df/dG in one entry of every block (of one block): df/dA sums
df/dG ⊙ (1 ⊗ B) within each block, df/dB sums df/dG ⊙ (A ⊗ 1) over the blocks, and each sum is
a product with I ⊗ 1 or 1 ⊗ I on each side. vec reads df/dG back into X's shape the same way."""

from __future__ import annotations

from matcalc.expr import Diag, Expr, Hadamard, Identity, Kron, MatMul, Ones, Symbol, Vec
from matcalc.rules.rule import Kind, Rule, Site

A, B, X = Symbol("A"), Symbol("B"), Symbol("X")
"""The examples' factors; their shapes are declared (`Rule.shapes`): a Kronecker product
multiplies sizes, which the naming convention leaves unknown."""


def _left_factor(site: Site, d_g: Expr) -> Expr:
    """df/dA of A ⊗ B (A p×q, B r×s): (I_p ⊗ 1_r^T) (df/dG ⊙ (1_{p×q} ⊗ B)) (I_q ⊗ 1_s)."""
    left, right = site.node.children()
    (p, q), (r, s) = site.shapes.of(left), site.shapes.of(right)
    masked = Hadamard(d_g, Kron(Ones(p, q), right))
    return MatMul(MatMul(Kron(Identity(p), Ones(1, r)), masked), Kron(Identity(q), Ones(s, 1)))


def _right_factor(site: Site, d_g: Expr) -> Expr:
    """df/dB of A ⊗ B (A p×q, B r×s): (1_p^T ⊗ I_r) (df/dG ⊙ (A ⊗ 1_{r×s})) (1_q ⊗ I_s)."""
    left, right = site.node.children()
    (p, q), (r, s) = site.shapes.of(left), site.shapes.of(right)
    masked = Hadamard(d_g, Kron(left, Ones(r, s)))
    return MatMul(MatMul(Kron(Ones(1, p), Identity(r)), masked), Kron(Ones(q, 1), Identity(s)))


def _unvec(site: Site, d_g: Expr) -> Expr:
    """df/dX of vec(X) (X m×n): df/dG read back column by column, (1_n^T ⊗ I_m) diag(df/dG)
    (I_n ⊗ 1_m)."""
    m, n = site.shapes.of(site.child)
    return MatMul(MatMul(Kron(Ones(1, n), Identity(m)), Diag(d_g)), Kron(Identity(n), Ones(m, 1)))


KRONECKER: tuple[Rule, ...] = (
    Rule(
        "Kronecker product, left factor",
        Kron,
        Kind.MATRIX_TO_MATRIX,
        _left_factor,
        example=Kron(X, B),
        proof=(
            r"G_{(i,k),(j,\ell)}&=X_{i,j}B_{k,\ell}\implies\frac{df}{dX_{i,j}}"
            r"=\sum_{k,\ell}\frac{df}{dG_{(i,k),(j,\ell)}}B_{k,\ell}",
            r"&=\Big((I\otimes\vec 1^T)\Big(\frac{df}{dG}\odot(\mathbf{1}\otimes B)\Big)"
            r"(I\otimes\vec 1)\Big)_{i,j}",
            r"\implies\frac{df}{dX}&=(I\otimes\vec 1^T)\left(\frac{df}{dG}\odot"
            r"(\mathbf{1}\otimes B)\right)(I\otimes\vec 1)",
        ),
        path=(0,),
        shapes={"X": ("p", "q"), "B": ("r", "s")},
        remark="each entry of X scales one block, whose entries are summed",
    ),
    Rule(
        "Kronecker product, right factor",
        Kron,
        Kind.MATRIX_TO_MATRIX,
        _right_factor,
        example=Kron(A, X),
        proof=(
            r"G_{(i,k),(j,\ell)}&=A_{i,j}X_{k,\ell}\implies\frac{df}{dX_{k,\ell}}"
            r"=\sum_{i,j}\frac{df}{dG_{(i,k),(j,\ell)}}A_{i,j}",
            r"&=\Big((\vec 1^T\otimes I)\Big(\frac{df}{dG}\odot(A\otimes\mathbf{1})\Big)"
            r"(\vec 1\otimes I)\Big)_{k,\ell}",
            r"\implies\frac{df}{dX}&=(\vec 1^T\otimes I)\left(\frac{df}{dG}\odot"
            r"(A\otimes\mathbf{1})\right)(\vec 1\otimes I)",
        ),
        path=(1,),
        shapes={"A": ("p", "q"), "X": ("r", "s")},
        remark="each entry of X is in every block once, and the blocks are summed",
    ),
    Rule(
        "vectorization",
        Vec,
        Kind.MATRIX_TO_MATRIX,
        _unvec,
        example=Vec(X),
        proof=(
            r"G_{(j,i)}&=X_{i,j}\implies\frac{df}{dX_{i,j}}=\frac{df}{dG_{(j,i)}}",
            r"&=\Big((\vec 1^T\otimes I)\operatorname{diag}\Big(\frac{df}{dG}\Big)"
            r"(I\otimes\vec 1)\Big)_{i,j}",
            r"\implies\frac{df}{dX}&=(\vec 1^T\otimes I)\operatorname{diag}"
            r"\left(\frac{df}{dG}\right)(I\otimes\vec 1)",
        ),
        shapes={"X": ("m", "n")},
        remark="the derivative is read back into X's shape, column by column",
    ),
)
