"""The rules of functions of a matrix: elementwise powers and functions, norms, trace,
determinants, inverse, powers, diag and sums."""

from __future__ import annotations

from fractions import Fraction

from matcalc.expr import (
    ONE,
    Add,
    Det,
    Diag,
    Div,
    Expr,
    FrobSq,
    Func,
    HadamardPow,
    Identity,
    Inverse,
    LogDet,
    MatMul,
    Neg,
    Norm,
    Number,
    Ones,
    Power,
    Sum,
    SumCols,
    SumRows,
    Trace,
    Transpose,
    number,
)
from matcalc.functions import FUNCTIONS, derivative
from matcalc.rules.rule import (
    CHAIN,
    Assumption,
    G,
    Kind,
    Rule,
    Site,
    X,
    alpha,
    elementwise,
    g,
    lam,
    mul,
    times,
    x,
)


def _function_domain(site: Site) -> Assumption | None:
    assert isinstance(site.node, Func)
    entry = FUNCTIONS.get(site.node.name)
    return Assumption(entry.domain, site.child) if entry and entry.domain else None


def _g_prime(site: Site) -> Expr:
    """g'(X), the derivative of the elementwise function, at its argument."""
    assert isinstance(site.node, Func)
    return derivative(site.node.name, site.child, site.defined)


def _one_norm(site: Site) -> bool:
    return isinstance(site.node, Norm) and site.node.norm in ("1", "norm1")


def _invertible(site: Site) -> Assumption:
    return Assumption("the formula needs {} to be invertible", site.child)


def _pow_derivative(site: Site) -> Expr:
    assert isinstance(site.node, HadamardPow)
    base, k = site.node.base, site.node.exponent
    if k == 1:
        return ONE
    return MatMul(number(k), base if k == 2 else HadamardPow(base, k - 1))


def _scaled(k: Fraction, expr: Expr) -> Expr:
    """k · expr with the sign of k outside, as the printers write it."""
    scaled = mul(number(abs(k)), expr)
    return Neg(scaled) if k < 0 else scaled


def _scalar_power_derivative(site: Site) -> Expr:
    """d(s^p)/ds: p s^(p-1), written without a power of 0, 1 or -1."""
    assert isinstance(site.node, Power)
    base, exponent = site.node.base, site.node.exponent
    if not isinstance(exponent, Number):
        return MatMul(exponent, Power(base, Add((exponent, Neg(ONE)))))
    k = exponent.value
    lowered = {Fraction(0): ONE, Fraction(1): base, Fraction(-1): Div(ONE, base)}.get(k - 1)
    return _scaled(k, lowered if lowered is not None else Power(base, number(k - 1)))


def _power_domain(site: Site) -> Assumption | None:
    assert isinstance(site.node, Power)
    match site.node.exponent:
        case Number(value) if value.denominator == 1 and value >= 0:
            return None
        case Number(value) if value.denominator == 1:
            return Assumption("a negative power needs {} to be nonzero", site.child)
    return Assumption("a power that is not whole needs {} to be positive", site.child)


def _matrix_power(site: Site, d_g: Expr) -> Expr:
    """Σ_r (X^T)^r dG (X^T)^(k-1-r): the product rule over the k factors of X^k."""
    assert isinstance(site.node, Power) and isinstance(site.node.exponent, Number)
    k = int(site.node.exponent.value)
    transposed = Transpose(site.child)

    def power(r: int) -> Expr:
        return ONE if r == 0 else transposed if r == 1 else Power(transposed, number(r))

    terms = tuple(mul(mul(power(r), d_g), power(k - 1 - r)) for r in range(k))
    return terms[0] if k == 1 else Add(terms)


def _inverse_transpose(expr: Expr) -> Expr:
    return Transpose(Inverse(expr))


def _ones_like_input(site: Site) -> Ones:
    rows, cols = site.shapes.of(site.child)
    return Ones(rows, cols)


MATRIX_FUNCTIONS: tuple[Rule, ...] = (
    Rule(
        "elementwise power",
        HadamardPow,
        Kind.MATRIX_TO_MATRIX,
        elementwise(_pow_derivative),
        example=HadamardPow(X, 3),
        proof=(
            CHAIN,
            r"&=\frac{df}{dG_{i,j}}\cdot k X_{i,j}^{k-1}",
            r"\implies\frac{df}{dX}&=\frac{df}{dG}\odot k X^{\circ (k-1)}",
        ),
    ),
    Rule(
        "elementwise function application",
        Func,
        Kind.MATRIX_TO_MATRIX,
        elementwise(_g_prime),
        example=Func("g", X),
        proof=(
            CHAIN,
            r"&=\sum_{k,\ell}\frac{df}{dG_{k,\ell}}\cdot 1_{k=i,\ell=j}"
            r"\frac{d}{dX_{i,j}}g(X_{k,\ell})",
            r"&=\frac{df}{dG_{i,j}}\cdot g'(X_{i,j})",
            r"\implies\frac{df}{dX}&=\frac{df}{dG}\odot g'(X)",
        ),
        assumes=_function_domain,
    ),
    Rule(
        "squared Frobenius norm",
        FrobSq,
        Kind.MATRIX_TO_SCALAR,
        times(lambda s: MatMul(number(2), s.child)),
        example=FrobSq(G),
        proof=(
            r"\frac{df}{dG_{i,j}}&=\frac{d}{dG_{i,j}}\sum_{k,\ell}G_{k,\ell}^2",
            r"&=2G_{i,j}",
            r"\implies \frac{df}{dG}&=2G",
        ),
        input=G,
    ),
    Rule(
        "Frobenius or Euclidean norm",
        Norm,
        Kind.MATRIX_TO_SCALAR,
        times(lambda s: Div(s.child, s.node)),
        example=Norm(G, "F"),
        proof=(
            r"\frac{df}{dG_{i,j}}&=\frac{d}{dG_{i,j}}\Big(\sum_{k,\ell}G_{k,\ell}^2\Big)^{1/2}",
            r"&=\frac{G_{i,j}}{\Vert G\Vert_F}",
            r"\implies \frac{df}{dG}&=G/\Vert G\Vert_F",
        ),
        input=G,
        when=lambda s: not _one_norm(s),
        assumes=lambda s: Assumption("the norm needs {} to be nonzero", s.child),
    ),
    Rule(
        "1-norm",
        Norm,
        Kind.MATRIX_TO_SCALAR,
        times(lambda s: Func("sign", s.child)),
        example=Norm(g, "1"),
        proof=(
            r"\frac{df}{dg_i}&=\frac{d}{dg_i}\sum_k |g_k|",
            r"&=\operatorname{sign}(g_i)",
            r"\implies \frac{df}{dg}&=\operatorname{sign}(g)",
        ),
        input=g,
        when=_one_norm,
        remark="sign is a subgradient where an entry is 0",
        assumes=lambda s: Assumption(
            "the 1-norm is not differentiable where an entry of {} is 0; there sign(0) = 0 is "
            "used, a subgradient",
            s.child,
        ),
    ),
    Rule(
        "trace",
        Trace,
        Kind.MATRIX_TO_SCALAR,
        times(lambda s: Identity(s.shapes.of(s.child)[0])),
        example=Trace(G),
        proof=(
            r"\frac{df}{dG_{i,j}}&=\frac{d}{dG_{i,j}}\sum_k G_{k,k}",
            r"&=1_{i=j}",
            r"\implies \frac{df}{dG}&=I",
        ),
        input=G,
        cites="99",
    ),
    Rule(
        "determinant",
        Det,
        Kind.MATRIX_TO_SCALAR,
        times(lambda s: MatMul(s.node, _inverse_transpose(s.child))),
        example=Det(G),
        proof=(
            r"\frac{df}{dG_{i,j}}&=\frac{d}{dG_{i,j}}\sum_k G_{i,k}\operatorname{adj}(G)_{k,i}",
            r"&=\operatorname{adj}(G)_{j,i}=\det(G)\,(G^{-1})_{j,i}",
            r"\implies \frac{df}{dG}&=\det(G)\,G^{-T}",
        ),
        input=G,
        assumes=_invertible,
        cites="49",
    ),
    Rule(
        "log-determinant",
        LogDet,
        Kind.MATRIX_TO_SCALAR,
        times(lambda s: _inverse_transpose(s.child)),
        example=LogDet(G),
        proof=(
            r"\frac{df}{dG_{i,j}}&=\frac{1}{\det(G)}\frac{d\det(G)}{dG_{i,j}}",
            r"&=(G^{-1})_{j,i}",
            r"\implies \frac{df}{dG}&=G^{-T}",
        ),
        input=G,
        assumes=_invertible,
        cites="57",
    ),
    Rule(
        "inverse",
        Inverse,
        Kind.MATRIX_TO_MATRIX,
        lambda s, dG: Neg(mul(mul(_inverse_transpose(s.child), dG), _inverse_transpose(s.child))),
        example=Inverse(X),
        proof=(
            r"dG&=-X^{-1}\,dX\,X^{-1}\implies\frac{df}{dX_{i,j}}=-\sum_{k,\ell}\frac{df}{dG_{k,\ell}}(X^{-1})_{k,i}(X^{-1})_{j,\ell}",
            r"&=-\big(X^{-T}\tfrac{df}{dG}X^{-T}\big)_{i,j}",
            r"\implies \frac{df}{dX}&=-X^{-T}\frac{df}{dG}X^{-T}",
        ),
        when=lambda s: not s.scalar(s.child),
        assumes=_invertible,
    ),
    Rule(
        "reciprocal",
        Inverse,
        Kind.MATRIX_TO_MATRIX,
        lambda s, dG: Neg(Div(dG, MatMul(s.child, s.child))),
        example=Inverse(lam),
        proof=(
            r"\frac{df}{d\lambda}&=\frac{df}{dG}\cdot\frac{d\lambda^{-1}}{d\lambda}",
            r"\implies \frac{df}{d\lambda}&=-\frac{df}{dG}/(\lambda\lambda)",
        ),
        input=lam,
        when=lambda s: s.scalar(s.child),
        assumes=lambda s: Assumption("the reciprocal needs {} to be nonzero", s.child),
    ),
    Rule(
        "scalar power",
        Power,
        Kind.MATRIX_TO_MATRIX,
        times(_scalar_power_derivative),
        example=Power(lam, number(3)),
        proof=(
            r"\frac{df}{d\lambda}&=\frac{df}{dG}\cdot\frac{d\lambda^p}{d\lambda}",
            r"\implies \frac{df}{d\lambda}&=\frac{df}{dG}\,p\,\lambda^{p-1}",
        ),
        input=lam,
        path=(0,),
        when=lambda s: s.scalar(s.child),
        assumes=_power_domain,
    ),
    Rule(
        "power with a variable exponent",
        Power,
        Kind.MATRIX_TO_MATRIX,
        times(lambda s: MatMul(s.node, Func("log", s.other))),
        example=Power(alpha, lam),
        proof=(
            r"\frac{df}{d\lambda}&=\frac{df}{dG}\cdot\frac{d}{d\lambda}e^{\lambda\log\alpha}",
            r"\implies \frac{df}{d\lambda}&=\frac{df}{dG}\,\alpha^\lambda\log\alpha",
        ),
        input=lam,
        path=(1,),
        assumes=lambda s: Assumption(
            "a power with a variable exponent needs {} to be positive", s.other
        ),
    ),
    Rule(
        "matrix power",
        Power,
        Kind.MATRIX_TO_MATRIX,
        _matrix_power,
        example=Power(X, number(3)),
        proof=(
            r"dG&=\sum_{r=0}^{k-1}X^r\,dX\,X^{k-1-r}\implies\frac{df}{dX_{i,j}}=\sum_r\sum_{k,\ell}\frac{df}{dG_{k,\ell}}(X^r)_{k,i}(X^{k-1-r})_{j,\ell}",
            r"\implies \frac{df}{dX}&=\sum_{r=0}^{k-1}(X^T)^r\,\frac{df}{dG}\,(X^T)^{k-1-r}",
        ),
        path=(0,),
        when=lambda s: not s.scalar(s.child),
    ),
    Rule(
        "diagonal matrix",
        Diag,
        Kind.MATRIX_TO_MATRIX,
        lambda s, dG: Diag(dG),
        example=Diag(x),
        proof=(
            r"\frac{df}{dx_i}&=\sum_{k,\ell}\frac{df}{dG_{k,\ell}}\cdot\frac{d(1_{k=\ell}x_k)}{dx_i}",
            r"&=\frac{df}{dG_{i,i}}",
            r"\implies \frac{df}{dx}&=\operatorname{diag}\left(\frac{df}{dG}\right)",
        ),
        input=x,
        when=lambda s: s.shapes.of(s.child)[1] == 1,
    ),
    Rule(
        "diagonal of a matrix",
        Diag,
        Kind.MATRIX_TO_MATRIX,
        lambda s, dG: Diag(dG),
        example=Diag(X),
        proof=(
            r"\frac{df}{dX_{i,j}}&=\sum_k\frac{df}{dg_k}\cdot\frac{dX_{k,k}}{dX_{i,j}}",
            r"&=1_{i=j}\frac{df}{dg_i}",
            r"\implies \frac{df}{dX}&=\operatorname{diag}\left(\frac{df}{dg}\right)",
        ),
        when=lambda s: s.shapes.of(s.child)[1] != 1,
    ),
    Rule(
        "matrix sum",
        Sum,
        Kind.MATRIX_TO_SCALAR,
        times(_ones_like_input),
        example=Sum(G),
        proof=(
            r"\frac{df}{dG_{i,j}}&=\frac{d}{dG_{i,j}}\sum_{k,\ell}G_{k,\ell}",
            r"&=1",
            r"\implies \frac{df}{dG}&=\vec 1",
        ),
        input=G,
    ),
    Rule(
        "sum over rows",
        SumRows,
        Kind.MATRIX_TO_MATRIX,
        lambda s, dG: MatMul(Ones(s.shapes.of(s.child)[0], 1), dG),
        example=SumRows(X),
        proof=(
            r"\frac{df}{dX_{i,j}}&=\sum_{\ell}\frac{df}{dG_{1,\ell}}"
            r"\cdot\frac{d}{dX_{i,j}}\sum_k X_{k,\ell}",
            r"&=\frac{df}{dG_{1,j}}",
            r"\implies \frac{df}{dX}&=\vec 1\cdot\frac{df}{dG}",
        ),
    ),
    Rule(
        "sum over columns",
        SumCols,
        Kind.MATRIX_TO_MATRIX,
        lambda s, dG: MatMul(dG, Ones(1, s.shapes.of(s.child)[1])),
        example=SumCols(X),
        proof=(
            r"\frac{df}{dX_{i,j}}&=\sum_{k}\frac{df}{dG_{k,1}}"
            r"\cdot\frac{d}{dX_{i,j}}\sum_\ell X_{k,\ell}",
            r"&=\frac{df}{dG_{i,1}}",
            r"\implies \frac{df}{dX}&=\frac{df}{dG}\cdot\vec 1^T",
        ),
    ),
)
