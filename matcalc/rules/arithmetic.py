"""The rules of matrix arithmetic: products, the quadratic form, transpose, negation, sums
(broadcast too) and quotients, and the elementwise product and division."""

from __future__ import annotations

from matcalc.expr import (
    Add,
    Div,
    Expr,
    Hadamard,
    HadamardDiv,
    HadamardPow,
    MatMul,
    Neg,
    Number,
    Sum,
    SumCols,
    SumRows,
    Transpose,
    transposed,
)
from matcalc.rules.rule import (
    CHAIN,
    Assumption,
    C,
    Condition,
    G,
    Kind,
    Rule,
    Site,
    W,
    X,
    a,
    alpha,
    lam,
    mirrored,
    mul,
    times,
    x,
)
from matcalc.shapes import SCALAR


def _inner(site: Site, d_g: Expr, factor: Expr) -> Expr:
    """⟨df/dG, C⟩ = sum(df/dG ⊙ C), what a scalar input receives through its matrix factor C."""
    return mul(d_g, factor) if site.scalar(factor) else Sum(Hadamard(d_g, factor))


def _unbroadcast(site: Site, d_x: Expr) -> Expr:
    """A scalar operand of an elementwise operation meets every entry: its derivative sums them."""
    return Sum(d_x) if site.scalar(site.child) and not site.scalar(site.node) else d_x


def _neither_scalar(site: Site) -> bool:
    return not site.scalar(site.node.children()[0]) and not site.scalar(site.node.children()[1])


def _is_quadratic_form(site: Site) -> bool:
    match site.node:
        case MatMul(MatMul(Transpose(left), middle), right) if left == right:
            rows, cols = site.shapes.of(left)
            return cols == 1 and rows != 1 and site.scalar(site.node) and not site.scalar(middle)
    return False


def _broadcast_along(axis: int) -> Condition:
    """Whether the input is a row (axis 0) or a column (axis 1) repeated along that axis."""
    across = 1 - axis

    def broadcast(site: Site) -> bool:
        part, whole = site.shapes.of(site.child), site.shapes.of(site.node)
        repeated = part[axis] == 1 and whole[axis] != 1
        return repeated and part[across] == whole[across] and part != SCALAR

    return broadcast


def _nonzero(site: Site) -> Assumption | None:
    """A denominator that is not a number must not be zero."""
    denominator = site.node.children()[1]
    if isinstance(denominator, Number):
        return None
    if site.scalar(denominator):
        return Assumption("division needs {} to be nonzero", denominator)
    return Assumption("division needs the entries of {} to be nonzero", denominator)


ARITHMETIC: tuple[Rule, ...] = (
    *mirrored(
        MatMul,
        Kind.MATRIX_TO_MATRIX,
        names=("right matrix multiplication", "left matrix multiplication"),
        vjps=(
            lambda s, dG: mul(dG, transposed(s.other)),
            lambda s, dG: mul(transposed(s.other), dG),
        ),
        examples=(MatMul(X, W), MatMul(W, X)),
        proofs=(
            (
                CHAIN,
                r"&=\sum_{k,\ell}\frac{df}{dG_{k,\ell}}\cdot\frac{d}{dX_{i,j}}"
                r"\sum_m X_{k,m}W_{m,\ell}",
                r"&=\sum_\ell \frac{df}{dG_{i,\ell}}\cdot W_{j,\ell}",
                r"\implies \frac{df}{dX}&=\frac{df}{dG}\cdot W^T",
            ),
            (
                CHAIN,
                r"&=\sum_{k,\ell}\frac{df}{dG_{k,\ell}}\cdot\frac{d}{dX_{i,j}}"
                r"\sum_m W_{k,m}X_{m,\ell}",
                r"&=\sum_k W_{k,i}\cdot\frac{df}{dG_{k,j}}",
                r"\implies \frac{df}{dX}&=W^T\cdot\frac{df}{dG}",
            ),
        ),
        paths=((0,), (1,)),
        whens=(_neither_scalar, _neither_scalar),
    ),
    Rule(
        "scalar multiple",
        MatMul,
        Kind.REARRANGEMENT,
        lambda s, dG: mul(s.other, dG),
        example=MatMul(alpha, X),
        proof=(
            CHAIN,
            r"&=\sum_{k,\ell}\frac{df}{dG_{k,\ell}}\cdot\frac{d}{dX_{i,j}}\alpha X_{k,\ell}",
            r"\implies \frac{df}{dX}&=\alpha\frac{df}{dG}",
        ),
        when=lambda s: s.scalar(s.other),
    ),
    Rule(
        "scalar factor",
        MatMul,
        Kind.MATRIX_TO_MATRIX,
        lambda s, dG: _inner(s, dG, s.other),
        example=MatMul(lam, X),
        proof=(
            r"\frac{df}{d\lambda}&=\sum_{k,\ell}\frac{df}{dG_{k,\ell}}"
            r"\cdot\frac{d(\lambda X_{k,\ell})}{d\lambda}",
            r"&=\sum_{k,\ell}\frac{df}{dG_{k,\ell}}X_{k,\ell}",
            r"\implies \frac{df}{d\lambda}&=\sum\left(\frac{df}{dG}\odot X\right)",
        ),
        input=lam,
        when=lambda s: s.scalar(s.child) and not s.scalar(s.other),
    ),
    Rule(
        "quadratic form",
        MatMul,
        Kind.MATRIX_TO_SCALAR,
        times(lambda s: MatMul(s.node.children()[1], Transpose(s.node.children()[1]))),
        example=MatMul(MatMul(Transpose(a), G), a),
        proof=(
            r"\frac{df}{dG_{k,\ell}}&=\frac{\partial}{\partial G_{k,\ell}}\sum_{i,j}a_iG_{i,j}a_j",
            r"&=a_ka_\ell",
            r"\implies\frac{df}{dG}&=aa^T",
        ),
        input=G,
        path=(0, 1),
        when=_is_quadratic_form,
        cites="72",
    ),
    Rule(
        "transpose",
        Transpose,
        Kind.MATRIX_TO_MATRIX,
        lambda s, dG: Transpose(dG),
        example=Transpose(X),
        proof=(
            r"\frac{df}{dX_{i,j}}&=\sum_{k,\ell}\frac{df}{dG_{k,\ell}}\cdot\frac{dX_{\ell,k}}{dX_{i,j}}",
            r"&=\frac{df}{dG_{j,i}}",
            r"\implies \frac{df}{dX}&=\left(\frac{df}{dG}\right)^T",
        ),
    ),
    Rule(
        "negation",
        Neg,
        Kind.REARRANGEMENT,
        lambda s, dG: Neg(dG),
        example=Neg(X),
        proof=(
            CHAIN,
            r"&=\frac{df}{dG_{i,j}}\cdot\frac{d(-X_{i,j})}{dX_{i,j}}",
            r"\implies \frac{df}{dX}&=-\frac{df}{dG}",
        ),
    ),
    Rule(
        "matrix addition",
        Add,
        Kind.MATRIX_TO_MATRIX,
        lambda s, dG: dG,
        example=Add((X, C)),
        proof=(
            CHAIN,
            r"&=\sum_{k,\ell}\frac{df}{dG_{k,\ell}}\cdot 1_{k=i,\ell=j}",
            r"\implies \frac{df}{dX}&=\frac{df}{dG}",
        ),
        when=lambda s: s.shapes.of(s.child) == s.shapes.of(s.node),
    ),
    *mirrored(
        Add,
        Kind.MATRIX_TO_MATRIX,
        names=("row broadcasted addition", "column broadcasted addition"),
        vjps=(lambda s, dG: SumRows(dG), lambda s, dG: SumCols(dG)),
        examples=(Add((C, Transpose(x))), Add((C, x))),
        proofs=(
            (
                r"\frac{df}{dX_{1,j}}&=\sum_{k,\ell}\frac{df}{dG_{k,\ell}}\cdot\frac{d}{dX_{1,j}}(C_{k,\ell}+X_{1,\ell})",
                r"&=\sum_{k}\frac{df}{dG_{k,j}}",
                r"\implies \frac{df}{dX}&=\sum_{\text{rows}}\frac{df}{dG}",
            ),
            (
                r"\frac{df}{dX_{i,1}}&=\sum_{k,\ell}\frac{df}{dG_{k,\ell}}\cdot\frac{d}{dX_{i,1}}(C_{k,\ell}+X_{k,1})",
                r"&=\sum_{\ell}\frac{df}{dG_{i,\ell}}",
                r"\implies \frac{df}{dX}&=\sum_{\text{columns}}\frac{df}{dG}",
            ),
        ),
        inputs=(Transpose(x), x),
        whens=(_broadcast_along(0), _broadcast_along(1)),
    ),
    Rule(
        "scalar broadcasted addition",
        Add,
        Kind.MATRIX_TO_MATRIX,
        lambda s, dG: Sum(dG),
        example=Add((C, alpha)),
        proof=(
            r"\frac{df}{d\alpha}&=\sum_{k,\ell}\frac{df}{dG_{k,\ell}}\cdot\frac{d}{d\alpha}(C_{k,\ell}+\alpha)",
            r"\implies \frac{df}{d\alpha}&=\sum\frac{df}{dG}",
        ),
        input=alpha,
        when=lambda s: s.scalar(s.child) and not s.scalar(s.node),
    ),
    Rule(
        "division by a scalar",
        Div,
        Kind.REARRANGEMENT,
        lambda s, dG: Div(dG, s.other),
        example=Div(X, alpha),
        proof=(
            CHAIN,
            r"&=\frac{df}{dG_{i,j}}\cdot\frac{1}{\alpha}",
            r"\implies \frac{df}{dX}&=\frac{df}{dG}/\alpha",
        ),
        path=(0,),
        assumes=_nonzero,
    ),
    Rule(
        "scalar denominator",
        Div,
        Kind.MATRIX_TO_MATRIX,
        lambda s, dG: Neg(Div(_inner(s, dG, s.other), MatMul(s.child, s.child))),
        example=Div(C, lam),
        proof=(
            r"\frac{df}{d\lambda}&=\sum_{k,\ell}\frac{df}{dG_{k,\ell}}\cdot\frac{d}{d\lambda}\frac{C_{k,\ell}}{\lambda}",
            r"&=-\sum_{k,\ell}\frac{df}{dG_{k,\ell}}\frac{C_{k,\ell}}{\lambda^2}",
            r"\implies \frac{df}{d\lambda}&=-\sum\left(\frac{df}{dG}\odot C\right)"
            r"/(\lambda\lambda)",
        ),
        input=lam,
        path=(1,),
        assumes=_nonzero,
    ),
    Rule(
        "elementwise matrix multiplication",
        Hadamard,
        Kind.MATRIX_TO_MATRIX,
        lambda s, dG: _unbroadcast(s, Hadamard(dG, s.other)),
        example=Hadamard(X, C),
        proof=(
            CHAIN,
            r"&=\sum_{k,\ell}\frac{df}{dG_{k,\ell}}\cdot 1_{k=i,\ell=j}\cdot C_{k,\ell}",
            r"\implies\frac{df}{dX}&=\frac{df}{dG}\odot C",
        ),
    ),
    *mirrored(
        HadamardDiv,
        Kind.MATRIX_TO_MATRIX,
        names=("elementwise division", "elementwise division (denominator)"),
        vjps=(
            lambda s, dG: _unbroadcast(s, HadamardDiv(dG, s.other)),
            lambda s, dG: Neg(
                _unbroadcast(s, HadamardDiv(Hadamard(dG, s.other), HadamardPow(s.child, 2)))
            ),
        ),
        examples=(HadamardDiv(X, C), HadamardDiv(C, X)),
        proofs=(
            (
                CHAIN,
                r"&=\frac{df}{dG_{i,j}}\cdot\frac{1}{C_{i,j}}",
                r"\implies\frac{df}{dX}&=\frac{df}{dG}\oslash C",
            ),
            (
                CHAIN,
                r"&=-\frac{df}{dG_{i,j}}\cdot\frac{C_{i,j}}{X_{i,j}^2}",
                r"\implies\frac{df}{dX}&=-\left(\frac{df}{dG}\odot C\right)\oslash X^{\circ 2}",
            ),
        ),
        paths=((0,), (1,)),
        assumes=_nonzero,
    ),
)
