"""Expressions as LaTeX in the seed's notation: \\cdot, \\odot, \\otimes, ^T, \\Vert G\\Vert_F^2
(printing/latex_derivation.py sets them into derivations)."""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import assert_never

from matcalc.declarations import GREEK
from matcalc.expr import (
    Add,
    Applied,
    Dim,
    Div,
    Expr,
    FrobSq,
    Func,
    Hadamard,
    HadamardDiv,
    HadamardPow,
    Identity,
    Inverse,
    Kron,
    MatMul,
    Neg,
    Norm,
    Number,
    Ones,
    Pending,
    Power,
    Symbol,
    Transpose,
    as_node,
)
from matcalc.functions import FUNCTIONS
from matcalc.operations import PRODUCT_SIGN, Placement, operation_of
from matcalc.printing import (
    HADAMARD,
    POSTFIX,
    PRODUCT,
    argument_wrapped,
    decimal,
    name_parts,
    norm_subscript,
    postfix_wraps,
    power_base_needs_parentheses,
    scientific,
    sized_identity,
    sum_parts,
    typeset_factor_wraps,
    typeset_operand_wraps,
    typeset_wraps,
)


def _greek_command(letter: str) -> str:
    """`α` → `\\alpha`, `Σ` → `\\Sigma` (Unicode spells lambda "LAMDA")."""
    _, case, _, word = unicodedata.name(letter).split()[:4]
    word = word.lower().replace("lamda", "lambda")
    return "\\" + (word.capitalize() if case == "CAPITAL" else word)


# the steps of a derivation share most of their subtrees: each is written out once
@lru_cache(maxsize=4096)
def latex(expr: Expr) -> str:
    """`expr` as LaTeX math (no surrounding `$`)."""
    node = as_node(expr)
    match node:
        case Symbol(name):
            return _name(name)
        case Number(value):
            if (written := scientific(value)) is not None:  # 1\times 10^{-300}, which reads back
                mantissa, exponent = written.split("e")
                return rf"{mantissa}\times 10^{{{exponent}}}"
            exact = decimal(value)
            return (
                exact
                if exact is not None
                else rf"\frac{{{value.numerator}}}{{{value.denominator}}}"
            )
        case Ones(rows, cols):
            return rf"\mathbf{{1}}_{{{_dim(rows)}\times {_dim(cols)}}}"
        case Identity():
            return "I"
        case Transpose(Inverse(arg)):
            return f"{_group(arg, postfix_wraps(arg))}^{{-T}}"
        case Norm(arg, norm) if norm not in ("norm1", "norm2"):
            mark = norm_subscript(norm)
            return rf"\Vert {latex(arg)}\Vert{'_' + mark if mark else ''}"
        case Applied():
            operation = operation_of(node)
            place = operation.latex.placement
            return operation.latex.written(*(_placed(kid, place) for kid in node.children()))
        case Transpose(arg):
            return f"{_group(arg, postfix_wraps(arg))}^T"
        case Neg(arg):
            return "-" + _at(arg, HADAMARD)
        case Add(terms):
            return "".join(sign + _at(term, layer) for sign, term, layer in sum_parts(terms))
        case MatMul(left, right):
            joint = " " if isinstance(left, Number) else r"\cdot "
            return f"{_at(left, PRODUCT)}{joint}{_at(right, POSTFIX)}"
        case Div(num, den):
            return rf"\frac{{{latex(num)}}}{{{latex(den)}}}"
        case Hadamard(left, right):
            return rf"{_operand(left, True)}\odot {_operand(right, False)}"
        case HadamardDiv(left, right):
            return rf"{_operand(left, True)}\oslash {_operand(right, False)}"
        case Kron(left, right):
            return rf"{_factor(left, True)}\otimes {_factor(right, False)}"
        case HadamardPow(base, exponent):
            return rf"{_group(base, postfix_wraps(base))}^{{\circ {exponent}}}"
        case Power(base, exponent):
            wrap = power_base_needs_parentheses(base) or postfix_wraps(base)
            return f"{_group(base, wrap)}^{{{latex(exponent)}}}"
        case Func(name, arg):
            return _function(name, arg)
        case FrobSq(arg, norm):
            mark = norm_subscript(norm)
            return rf"\Vert {latex(arg)}\Vert{'_' + mark if mark else ''}^2"
        case Pending(of, wrt, _, occurrence):
            below = latex(wrt) if isinstance(wrt, Symbol) else f"({latex(wrt)})"
            if occurrence:  # a numbered H_{1} is grouped, {H_{1}}_{(2)}: no double subscript
                grouped = isinstance(wrt, Symbol) and "_" in below
                below = f"{{{below}}}" if grouped else below
                below += f"_{{({occurrence})}}"
            return rf"\frac{{d({latex(of)})}}{{d{below}}}"
        case _:
            assert_never(node)


def _name(name: str) -> str:
    stem, sub = name_parts(name)
    if stem in GREEK:
        stem = "\\" + stem
    elif len(stem) == 1 and not stem.isascii():
        stem = _greek_command(stem)
    elif len(stem) > 1 or name == "e":  # a bare e^{x} reads as Euler's number
        stem = rf"\mathit{{{stem}}}"
    return f"{stem}_{{{sub}}}" if sub else stem


def _function(name: str, arg: Expr) -> str:
    inner = latex(arg)
    if name == "sqrt":
        return rf"\sqrt{{{inner}}}"
    if name == "abs":
        return rf"\left|{inner}\right|"
    if name in FUNCTIONS:
        command = FUNCTIONS[name].latex
    elif len(name.rstrip("'")) > 1:  # a function of the user's own: phi
        command = rf"\operatorname{{{name}}}"
    else:
        command = name
    return rf"{command}({inner})"


def _placed(expr: Expr, placement: Placement) -> str:
    """An operation's argument, parenthesised where its notation needs it."""
    return _group(expr, argument_wrapped(expr, placement))


def _at(expr: Expr, least: int) -> str:
    return _group(expr, typeset_wraps(expr, least))


def _factor(expr: Expr, left: bool) -> str:
    """A Kronecker factor; an identity with its size, `I_{n}`, which no other factor gives and
    the LaTeX reader reads back."""
    if (identity := sized_identity(expr)) is not None:
        return f"I_{{{_dim(identity.n)}}}"
    return _group(expr, typeset_factor_wraps(expr, left=left))


def _dim(dim: Dim) -> str:
    r"""A size: a product of names as m\cdot p."""
    return str(dim).replace(PRODUCT_SIGN, r"\cdot ")


def _operand(expr: Expr, left: bool) -> str:
    return _group(expr, typeset_operand_wraps(expr, left=left))


def _group(expr: Expr, wrap: bool) -> str:
    return rf"\left({latex(expr)}\right)" if wrap else latex(expr)
