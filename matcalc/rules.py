"""THE rule table: one entry per operation, as in the seed's formula list.

Each entry says which operation it matches, how df/dX follows from df/dG (`vjp`, one line),
what kind of step it is, and how it is proved in index notation. The engine, the
justifications, `matcalc rules` and the table-driven numerical test all read `RULES`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from fractions import Fraction
from typing import TypeVar

from matcalc.errors import ErrorKind, MatcalcError
from matcalc.expr import (
    ONE,
    Add,
    Det,
    Diag,
    Div,
    Expr,
    FrobSq,
    Func,
    Hadamard,
    HadamardDiv,
    HadamardPow,
    Identity,
    Inverse,
    LogDet,
    MatMul,
    Neg,
    Norm,
    Number,
    Ones,
    Pending,
    Power,
    Sum,
    SumCols,
    SumRows,
    Symbol,
    Trace,
    Transpose,
    number,
    occurrences,
    subexpression,
    transposed,
)
from matcalc.functions import FUNCTIONS, derivative
from matcalc.shapes import SCALAR, Shapes, infer


class Kind(Enum):
    """What a step does; rearrangements of signs and scalars carry no tag."""

    MATRIX_TO_MATRIX = "matrix-to-matrix"
    MATRIX_TO_SCALAR = "matrix-to-scalar"
    REARRANGEMENT = "rearrangement"


@dataclass(frozen=True, slots=True)
class Site:
    """Where a rule applies: the operation `node`, and the path from it down to the input H."""

    node: Expr
    path: tuple[int, ...]
    shapes: Shapes

    @property
    def child(self) -> Expr:
        return subexpression(self.node, self.path)

    @property
    def other(self) -> Expr:
        """The other operand of a binary operation."""
        return self.node.children()[1 - self.path[0]]

    def scalar(self, expr: Expr) -> bool:
        return self.shapes.of(expr) == SCALAR


Vjp = Callable[[Site, Expr], Expr]
Proof = tuple[str, ...]
Path = tuple[int, ...]
_T = TypeVar("_T")
Pair = tuple[_T, _T]


@dataclass(frozen=True, slots=True)
class Assumption:
    """What a step's derivative needs to hold: `wording`, with `{}` where `subject` goes."""

    wording: str
    subject: Expr

    def sentence(self, show: Callable[[Expr], str]) -> str:
        return self.wording.format(show(self.subject))


def _function_domain(site: Site) -> Assumption | None:
    assert isinstance(site.node, Func)
    entry = FUNCTIONS.get(site.node.name)
    return Assumption(entry.domain, site.child) if entry and entry.domain else None


def _g_prime(site: Site) -> Expr:
    """g'(X), the derivative of the elementwise function, at its argument."""
    assert isinstance(site.node, Func)
    return derivative(site.node.name, site.child)


def _one_norm(site: Site) -> bool:
    return isinstance(site.node, Norm) and site.node.norm in ("1", "norm1")


def _invertible(site: Site) -> Assumption:
    return Assumption("the formula needs {} to be invertible", site.child)


def _nonzero(site: Site) -> Assumption | None:
    """A denominator that is not a number must not be zero."""
    denominator = site.node.children()[1]
    if isinstance(denominator, Number):
        return None
    if site.scalar(denominator):
        return Assumption("division needs {} to be nonzero", denominator)
    return Assumption("division needs the entries of {} to be nonzero", denominator)


X, W, C, G = Symbol("X"), Symbol("W"), Symbol("C"), Symbol("G")
a, g, x = Symbol("a"), Symbol("g"), Symbol("x")
alpha, lam = Symbol("alpha"), Symbol("lambda")
"""The examples' names: matrices upper case, column vectors lower case, scalars Greek, as
`shapes.infer` reads them."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One operation's chain rule: df/dX from df/dG, with its name, example and proof."""

    name: str
    node: type[Expr]
    kind: Kind
    vjp: Vjp
    example: Expr
    proof: tuple[str, ...]
    input: Expr = X
    path: tuple[int, ...] | None = None
    when: Callable[[Site], bool] = lambda site: True
    assumes: Callable[[Site], Assumption | None] = lambda site: None
    cites: str | None = None
    """The Matrix Cookbook's equation for this rule, where it has one."""
    remark: str | None = None
    """What the justification adds to the seed's sentence."""

    def applies(self, site: Site) -> bool:
        fits = len(site.path) == 1 if self.path is None else site.path == self.path
        return fits and type(site.node) is self.node and self.when(site)

    @property
    def letter(self) -> str:
        """The seed names a matrix-to-scalar function f and a matrix-to-matrix one G."""
        return "f" if self.kind is Kind.MATRIX_TO_SCALAR else "G"

    @property
    def wording(self) -> str:
        """The seed's sentence, with `{function}` standing for "G: H ↦ G(H)"."""
        if self.kind is Kind.REARRANGEMENT:
            return "we've moved a sign or a scalar, with {function}"
        cited = f" (Matrix Cookbook eq. ({self.cites}))" if self.cites else ""
        remark = f"; {self.remark}" if self.remark else ""
        return (
            f"we've used the framework with the {self.kind.value} function {{function}}"
            f"{cited}{remark}"
        )


def mul(left: Expr, right: Expr) -> Expr:
    """A product that leaves out a factor of 1 (df/df = 1 at the objective)."""
    if left == ONE:
        return right
    if right == ONE:
        return left
    return MatMul(left, right)


def inner(site: Site, d_g: Expr, x: Expr) -> Expr:
    """⟨df/dG, X⟩ = sum(df/dG ⊙ X), the scalar a scalar input receives."""
    return mul(d_g, x) if site.scalar(x) else Sum(Hadamard(d_g, x))


def times(derivative: Callable[[Site], Expr]) -> Vjp:
    """The vjp of a scalar function or of a scalar input: df/dG times `derivative(site)`."""
    return lambda site, d_g: mul(d_g, derivative(site))


def elementwise(derivative: Callable[[Site], Expr]) -> Vjp:
    """The vjp of an elementwise function: df/dG ⊙ `derivative(site)`, its entries' derivatives."""
    return lambda site, d_g: Hadamard(d_g, derivative(site))


def mirrored(
    node: type[Expr],
    kind: Kind,
    *,
    names: Pair[str],
    vjps: Pair[Vjp],
    examples: Pair[Expr],
    proofs: Pair[Proof],
    inputs: Pair[Expr] = (X, X),
    paths: Pair[Path | None] = (None, None),
    whens: Pair[Callable[[Site], bool]] = (lambda site: True, lambda site: True),
    assumes: Callable[[Site], Assumption | None] = lambda site: None,
) -> Pair[Rule]:
    """An operation's two mirror-image rules (left and right operand, row and column), each
    field written once as the pair of their values."""

    def side(i: int) -> Rule:
        return Rule(
            names[i],
            node,
            kind,
            vjps[i],
            example=examples[i],
            proof=proofs[i],
            input=inputs[i],
            path=paths[i],
            when=whens[i],
            assumes=assumes,
        )

    return side(0), side(1)


def _unbroadcast(site: Site, d_x: Expr) -> Expr:
    """A scalar operand of an elementwise operation meets every entry: its derivative sums them."""
    return Sum(d_x) if site.scalar(site.child) and not site.scalar(site.node) else d_x


def _neither_scalar(site: Site) -> bool:
    return not site.scalar(site.node.children()[0]) and not site.scalar(site.node.children()[1])


def _is_quadratic_form(site: Site) -> bool:
    match site.node:
        case MatMul(MatMul(Transpose(a), g), b) if a == b:
            rows, cols = site.shapes.of(a)
            return cols == 1 and rows != 1 and site.scalar(site.node) and not site.scalar(g)
    return False


def _broadcast_along(axis: int) -> Callable[[Site], bool]:
    """Whether the input is a row (axis 0) or a column (axis 1) repeated along that axis."""
    across = 1 - axis

    def broadcast(site: Site) -> bool:
        part, whole = site.shapes.of(site.child), site.shapes.of(site.node)
        repeated = part[axis] == 1 and whole[axis] != 1
        return repeated and part[across] == whole[across] and part != SCALAR

    return broadcast


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


def _ones_like(site: Site, expr: Expr) -> Ones:
    rows, cols = site.shapes.of(expr)
    return Ones(rows, cols)


_CHAIN = (
    r"\frac{df}{dX_{i,j}}&=\sum_{k,\ell}\frac{df}{dG_{k,\ell}}\cdot\frac{dG_{k,\ell}}{dX_{i,j}}"
)

RULES: tuple[Rule, ...] = (
    *mirrored(
        MatMul,
        Kind.MATRIX_TO_MATRIX,
        names=("right matrix multiplication", "left matrix multiplication"),
        vjps=(
            lambda s, dG: mul(dG, transposed(s.other)),
            lambda s, dG: mul(transposed(s.other), dG),
        ),
        examples=(MatMul(X, W), MatMul(W, X)),
        paths=((0,), (1,)),
        whens=(_neither_scalar, _neither_scalar),
        proofs=(
            (
                _CHAIN,
                r"&=\sum_{k,\ell}\frac{df}{dG_{k,\ell}}\cdot\frac{d}{dX_{i,j}}\sum_m X_{k,m}W_{m,\ell}",
                r"&=\sum_\ell \frac{df}{dG_{i,\ell}}\cdot W_{j,\ell}",
                r"\implies \frac{df}{dX}&=\frac{df}{dG}\cdot W^T",
            ),
            (
                _CHAIN,
                r"&=\sum_{k,\ell}\frac{df}{dG_{k,\ell}}\cdot\frac{d}{dX_{i,j}}\sum_m W_{k,m}X_{m,\ell}",
                r"&=\sum_k W_{k,i}\cdot\frac{df}{dG_{k,j}}",
                r"\implies \frac{df}{dX}&=W^T\cdot\frac{df}{dG}",
            ),
        ),
    ),
    Rule(
        "scalar multiple",
        MatMul,
        Kind.REARRANGEMENT,
        lambda s, dG: mul(s.other, dG),
        example=MatMul(alpha, X),
        proof=(
            _CHAIN,
            r"&=\sum_{k,\ell}\frac{df}{dG_{k,\ell}}\cdot\frac{d}{dX_{i,j}}\alpha X_{k,\ell}",
            r"\implies \frac{df}{dX}&=\alpha\frac{df}{dG}",
        ),
        when=lambda s: s.scalar(s.other),
    ),
    Rule(
        "scalar factor",
        MatMul,
        Kind.MATRIX_TO_MATRIX,
        lambda s, dG: inner(s, dG, s.other),
        example=MatMul(lam, X),
        proof=(
            r"\frac{df}{d\lambda}&=\sum_{k,\ell}\frac{df}{dG_{k,\ell}}\cdot\frac{d(\lambda X_{k,\ell})}{d\lambda}",
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
            _CHAIN,
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
            _CHAIN,
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
        inputs=(Transpose(x), x),
        whens=(_broadcast_along(0), _broadcast_along(1)),
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
            _CHAIN,
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
        lambda s, dG: Neg(Div(inner(s, dG, s.other), MatMul(s.child, s.child))),
        example=Div(C, lam),
        proof=(
            r"\frac{df}{d\lambda}&=\sum_{k,\ell}\frac{df}{dG_{k,\ell}}\cdot\frac{d}{d\lambda}\frac{C_{k,\ell}}{\lambda}",
            r"&=-\sum_{k,\ell}\frac{df}{dG_{k,\ell}}\frac{C_{k,\ell}}{\lambda^2}",
            r"\implies \frac{df}{d\lambda}&=-\sum\left(\frac{df}{dG}\odot C\right)/(\lambda\lambda)",
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
            _CHAIN,
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
        paths=((0,), (1,)),
        assumes=_nonzero,
        proofs=(
            (
                _CHAIN,
                r"&=\frac{df}{dG_{i,j}}\cdot\frac{1}{C_{i,j}}",
                r"\implies\frac{df}{dX}&=\frac{df}{dG}\oslash C",
            ),
            (
                _CHAIN,
                r"&=-\frac{df}{dG_{i,j}}\cdot\frac{C_{i,j}}{X_{i,j}^2}",
                r"\implies\frac{df}{dX}&=-\left(\frac{df}{dG}\odot C\right)\oslash X^{\circ 2}",
            ),
        ),
    ),
    Rule(
        "elementwise power",
        HadamardPow,
        Kind.MATRIX_TO_MATRIX,
        elementwise(_pow_derivative),
        example=HadamardPow(X, 3),
        proof=(
            _CHAIN,
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
            _CHAIN,
            r"&=\sum_{k,\ell}\frac{df}{dG_{k,\ell}}\cdot 1_{k=i,\ell=j}\frac{d}{dX_{i,j}}g(X_{k,\ell})",
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
        times(lambda s: _ones_like(s, s.child)),
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
            r"\frac{df}{dX_{i,j}}&=\sum_{\ell}\frac{df}{dG_{1,\ell}}\cdot\frac{d}{dX_{i,j}}\sum_k X_{k,\ell}",
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
            r"\frac{df}{dX_{i,j}}&=\sum_{k}\frac{df}{dG_{k,1}}\cdot\frac{d}{dX_{i,j}}\sum_\ell X_{k,\ell}",
            r"&=\frac{df}{dG_{i,1}}",
            r"\implies \frac{df}{dX}&=\frac{df}{dG}\cdot\vec 1^T",
        ),
    ),
)

RULES_BY_NAME: dict[str, Rule] = {rule.name: rule for rule in RULES}

RULES_FOR: dict[type[Expr], tuple[Rule, ...]] = {}
for _rule in RULES:
    RULES_FOR[_rule.node] = (*RULES_FOR.get(_rule.node, ()), _rule)
del _rule


def rule_for(objective: Expr, path: tuple[int, ...], shapes: Shapes) -> tuple[Rule, Site]:
    """The rule that takes df/dH, for the H at `path`, one operation up; patterns that span
    two operations (the quadratic form) are tried first."""
    for depth in (2, 1):
        if len(path) < depth:
            continue
        site = Site(subexpression(objective, path[:-depth]), path[-depth:], shapes)
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
    site = Site(node, occurrences(node, rule.input)[0], infer(node))
    d_g = ONE if rule.kind is Kind.MATRIX_TO_SCALAR else Pending(Symbol("f"), Symbol("G"), ())
    return site.child, node, rule.vjp(site, d_g)
