"""The scalar functions that apply elementwise, and their derivatives.

A single lower-case letter (`g`, `h`) is a generic function whose derivative is written `g'`.
Every named function carries its NumPy implementation and its SymPy definition; SymPy works
out the derivative (imported only when a derivation needs it), and `derivative` turns SymPy's
answer back into matcalc nodes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from types import MappingProxyType
from typing import Any

from matcalc.errors import ErrorKind, MatcalcError
from matcalc.expr import (
    ONE,
    Add,
    Div,
    Expr,
    Func,
    Hadamard,
    HadamardDiv,
    HadamardPow,
    MatMul,
    Neg,
    Number,
    Symbol,
    number,
)
from matcalc.traversal import replace_nodes


@dataclass(frozen=True, slots=True)
class Elementwise:
    """A named scalar function: how NumPy computes it, how SymPy defines it, how LaTeX writes it."""

    name: str
    numpy: Callable[[Any, Any], Any]
    sympy: Callable[[Any, Any], Any] | None
    latex: str
    domain: str | None = None
    """Where the derivative holds, if not everywhere: a sentence with `{}` for the argument."""
    array_api: str = ""
    """Python source for generated code, in array-API calls on `xp`, `{0}` the argument's name;
    empty: `xp.<name>({0})`."""

    sympy_builtin: Callable[[Any, Any], Any] | None = None
    """The function in SymPy's own classes, which SymPy can evaluate (lambdify), for a function
    `sympy` defines by its derivative or leaves out; None: `sympy` is one already."""

    @property
    def source(self) -> str:
        return self.array_api or f"xp.{self.name}({{0}})"


def _custom(sp: Any, name: str, x: Any) -> Any:
    """`name(x)` as a SymPy function whose derivative is given in `_CUSTOM_DERIVATIVES`."""
    return _custom_class(sp, name)(x)


@cache
def _custom_class(sp: Any, name: str) -> Any:
    rule = _CUSTOM_DERIVATIVES[name]
    return type(name, (sp.Function,), {"fdiff": lambda self, argindex=1: rule(sp, self.args[0])})


_CUSTOM_DERIVATIVES: dict[str, Callable[[Any, Any], Any]] = {
    "sigmoid": lambda sp, x: _custom(sp, "sigmoid", x) * (1 - _custom(sp, "sigmoid", x)),
    "softplus": lambda sp, x: _custom(sp, "sigmoid", x),
    "relu": lambda sp, x: sp.Heaviside(x),
}
"""Functions SymPy does not define, given as SymPy defines its own: by their derivative."""

FUNCTIONS: dict[str, Elementwise] = {
    entry.name: entry
    for entry in (
        Elementwise("exp", lambda np, x: np.exp(x), lambda sp, x: sp.exp(x), r"\exp"),
        Elementwise(
            "log",
            lambda np, x: np.log(x),
            lambda sp, x: sp.log(x),
            r"\log",
            "log needs the entries of {} to be positive",
        ),
        Elementwise("sin", lambda np, x: np.sin(x), lambda sp, x: sp.sin(x), r"\sin"),
        Elementwise("cos", lambda np, x: np.cos(x), lambda sp, x: sp.cos(x), r"\cos"),
        Elementwise(
            "tan",
            lambda np, x: np.tan(x),
            lambda sp, x: sp.tan(x),
            r"\tan",
            "tan needs the entries of {} to stay off the odd multiples of π/2",
        ),
        Elementwise(
            "arcsin",
            lambda np, x: np.arcsin(x),
            lambda sp, x: sp.asin(x),
            r"\arcsin",
            "arcsin needs the entries of {} to lie strictly between -1 and 1",
            "xp.asin({0})",
        ),
        Elementwise(
            "arccos",
            lambda np, x: np.arccos(x),
            lambda sp, x: sp.acos(x),
            r"\arccos",
            "arccos needs the entries of {} to lie strictly between -1 and 1",
            "xp.acos({0})",
        ),
        Elementwise(
            "arctan",
            lambda np, x: np.arctan(x),
            lambda sp, x: sp.atan(x),
            r"\arctan",
            array_api="xp.atan({0})",
        ),
        Elementwise("tanh", lambda np, x: np.tanh(x), lambda sp, x: sp.tanh(x), r"\tanh"),
        Elementwise(
            "sigmoid",
            lambda np, x: 1 / (1 + np.exp(-x)),
            lambda sp, x: _custom(sp, "sigmoid", x),
            r"\sigma",
            array_api="xp.exp(-xp.logaddexp(xp.zeros_like({0}), -{0}))",
            sympy_builtin=lambda sp, x: 1 / (1 + sp.exp(-x)),
        ),
        Elementwise(
            "softplus",
            lambda np, x: np.logaddexp(0, x),
            lambda sp, x: _custom(sp, "softplus", x),
            r"\operatorname{softplus}",
            array_api="xp.logaddexp(xp.zeros_like({0}), {0})",
            sympy_builtin=lambda sp, x: sp.log(1 + sp.exp(x)),
        ),
        Elementwise(
            "relu",
            lambda np, x: np.maximum(x, 0),
            lambda sp, x: _custom(sp, "relu", x),
            r"\operatorname{relu}",
            "relu is not differentiable where an entry of {} is 0; there step(0) = 1/2 is used, "
            "a subgradient",
            "xp.where({0} > 0, {0}, xp.zeros_like({0}))",
            sympy_builtin=lambda sp, x: sp.Max(x, 0),
        ),
        Elementwise(
            "sqrt",
            lambda np, x: np.sqrt(x),
            lambda sp, x: sp.sqrt(x),
            r"\sqrt",
            "sqrt needs the entries of {} to be positive",
        ),
        Elementwise(
            "abs",
            lambda np, x: np.abs(x),
            lambda sp, x: sp.Abs(x),
            r"\operatorname{abs}",
            "abs is not differentiable where an entry of {} is 0; there sign(0) = 0 is used, "
            "a subgradient",
        ),
        Elementwise(
            "step",
            lambda np, x: np.heaviside(x, 0.5),
            None,
            r"\operatorname{step}",
            array_api="(xp.sign({0}) + 1) / 2",
            sympy_builtin=lambda sp, x: sp.Heaviside(x),
        ),
        Elementwise(
            "sign",
            lambda np, x: np.sign(x),
            None,
            r"\operatorname{sign}",
            sympy_builtin=lambda sp, x: sp.sign(x),
        ),
    )
}
"""Named elementwise functions. `step` and `sign` are piecewise constant: they appear in
derivatives (of relu and abs) but have no derivative of their own. step(0) = 1/2, as in
SymPy's Heaviside."""


def is_generic(name: str) -> bool:
    """`g`, `h`, `g'`: a single letter, possibly primed, stands for any smooth function."""
    return len(name.rstrip("'")) == 1 and name[0].islower()


NONE_DEFINED: Mapping[str, Expr] = MappingProxyType({})


def derivative(name: str, arg: Expr, defined: Mapping[str, Expr] = NONE_DEFINED) -> Expr:
    """The elementwise derivative of function `name` at `arg`, as a matcalc expression;
    `defined` holds the derivatives of the user's functions (`--define`), as templates in
    PLACEHOLDER."""
    if is_generic(name):
        return Func(name + "'", arg)
    template = defined.get(name) or _derivative_template(name)
    return replace_nodes(template, lambda node: arg if node == PLACEHOLDER else None)


PLACEHOLDER = Symbol("·x·")
"""Where the argument goes in a derivative worked out once per function."""


@cache
def _derivative_template(name: str) -> Expr:
    entry = FUNCTIONS[name]
    if entry.sympy is None:
        raise piecewise_constant(name)
    import sympy

    x = sympy.Symbol("x", real=True)
    return from_sympy(sympy, sympy.diff(entry.sympy(sympy, x), x), x)


def piecewise_constant(name: str) -> MatcalcError:
    """The error for differentiating `step` or `sign`."""
    return MatcalcError(
        f"{name} is piecewise constant: its derivative is zero almost everywhere and "
        "undefined at its jumps",
        ErrorKind.NOT_DIFFERENTIABLE,
    )


def from_sympy(sp: Any, e: Any, x: Any) -> Expr:
    """SymPy's scalar expression in `x` as an elementwise matcalc expression."""
    if e == x:
        return PLACEHOLDER
    if e.is_Rational:
        value = Fraction(int(e.p), int(e.q))
        return Neg(number(-value)) if value < 0 else number(value)
    if e == sp.E:
        return Func("exp", ONE)
    if e == sp.pi:  # π = 4 arctan(1), exactly, in the functions matcalc has
        return MatMul(number(4), Func("arctan", ONE))
    if e.is_Add:
        terms = [from_sympy(sp, t, x) for t in e.as_ordered_terms()]
        return Add(tuple(terms))
    if e.is_Mul:
        return _product(sp, e, x)
    if e.is_Pow:
        return _power(sp, e.base, e.exp, x)
    if isinstance(e, sp.Heaviside):
        return Func("step", from_sympy(sp, e.args[0], x))
    name = type(e).__name__.lower()
    if name in FUNCTIONS and len(e.args) == 1:
        return Func(name, from_sympy(sp, e.args[0], x))
    raise MatcalcError(
        f"cannot express the derivative {e} elementwise", ErrorKind.NOT_DIFFERENTIABLE
    )


def _product(sp: Any, e: Any, x: Any) -> Expr:
    coeff, factors = e.as_coeff_mul()
    coeff = Fraction(int(coeff.p), int(coeff.q))
    # a function's value before a sum, as textbooks write σ(x) (1 - σ(x))
    numerator = sorted(
        (from_sympy(sp, f, x) for f in factors if not _is_reciprocal(f)),
        key=lambda f: isinstance(f, Add),
    )
    denominator = [_power(sp, f.base, -f.exp, x) for f in factors if _is_reciprocal(f)]
    negative = coeff < 0
    coeff = abs(coeff)
    if coeff.numerator != 1:
        numerator.insert(0, number(coeff.numerator))
    if coeff.denominator != 1:
        denominator.insert(0, number(coeff.denominator))
    result = _hadamard_chain(numerator) if numerator else ONE
    if denominator:
        result = HadamardDiv(result, _hadamard_chain(denominator))
    return Neg(result) if negative else result


def _is_reciprocal(f: Any) -> bool:
    return bool(f.is_Pow and f.exp.is_negative)


def _hadamard_chain(factors: list[Expr]) -> Expr:
    """`c f1 ⊙ f2 ⊙ ...`: a leading number scales, the other factors multiply elementwise."""
    if isinstance(factors[0], Number) and len(factors) > 1:
        return MatMul(factors[0], _hadamard_chain(factors[1:]))
    result = factors[0]
    for factor in factors[1:]:
        result = Hadamard(result, factor)
    return result


def _power(sp: Any, base: Any, exp: Any, x: Any) -> Expr:
    """base^exp elementwise: a whole power as X^{∘k}, a half-whole one as sqrt(X)^{∘k}, any
    other as exp(exp log base), which holds where SymPy's real power does, for a positive base."""
    if exp.is_Rational and exp < 0:
        return HadamardDiv(ONE, _power(sp, base, -exp, x))
    if exp.is_Rational and exp.q in (1, 2):
        inner = from_sympy(sp, base, x) if exp.q == 1 else Func("sqrt", from_sympy(sp, base, x))
        return inner if exp.p == 1 else HadamardPow(inner, int(exp.p))
    log = Func("log", from_sympy(sp, base, x))
    if exp.is_Rational:  # b^{p/q} = exp(p log(b) / q), a whole numerator over a denominator
        return Func("exp", Div(_hadamard_chain([number(int(exp.p)), log]), number(int(exp.q))))
    if not exp.is_Number:  # b^e = exp(e log b), elementwise
        return Func("exp", _hadamard_chain([from_sympy(sp, exp, x), log]))
    raise MatcalcError(
        f"cannot express the power {base}**{exp} elementwise", ErrorKind.NOT_DIFFERENTIABLE
    )
