"""What the printers share: one precedence table, mirroring the grammar's layers."""

from __future__ import annotations

import re
from fractions import Fraction
from typing import assert_never

from matcalc.expr import (
    Add,
    Applied,
    Div,
    Expr,
    FrobSq,
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
    Pending,
    Power,
    Symbol,
    Transpose,
)
from matcalc.operations import Placement, operation_of

SUM, NEG, HADAMARD, KRONECKER, PRODUCT, POSTFIX, ATOM = 10, 20, 30, 35, 40, 50, 60

_PRECEDENCE: dict[type[Expr], int] = {
    Add: SUM,
    Neg: NEG,
    Hadamard: HADAMARD,
    HadamardDiv: HADAMARD,
    Kron: KRONECKER,
    MatMul: PRODUCT,
    Div: PRODUCT,
    Transpose: POSTFIX,
    HadamardPow: POSTFIX,
    Inverse: POSTFIX,
    Power: POSTFIX,
    Pending: POSTFIX,
}


def precedence(expr: Expr) -> int:
    """How tightly `expr` binds when printed; atoms (names, calls, norms) bind tightest."""
    return _PRECEDENCE.get(type(expr), ATOM)


def needs_parentheses(child: Expr, least: int) -> bool:
    """Whether `child` must be parenthesised where the grammar expects layer `least` or tighter."""
    return precedence(child) < least


def power_base_needs_parentheses(base: Expr) -> bool:
    """A power's base is parenthesised unless it is an atom: `(X^T)^2`, `(x^T x)^2`, and a norm
    with bars is too, as `||x||_2^2` would read as the squared norm node."""
    negative = isinstance(base, Number) and base.value < 0
    barred = isinstance(base, Norm) and base.norm not in ("norm1", "norm2")
    return needs_parentheses(base, POSTFIX + 1) or negative or barred


def norm_subscript(norm: str) -> str:
    """How a norm written `||·||_F`, `||·||_2`, `||·||_1`, `norm2(·)` or `norm1(·)` is marked."""
    return {"norm1": "1", "norm2": ""}.get(norm, norm)


def sum_parts(terms: tuple[Expr, ...]) -> list[tuple[str, Expr, int]]:
    """Each term of a sum with the sign printed before it and the layer it is printed at:
    `X - D R` is `Add(X, Neg(D R))`, printed with a minus in place of the Neg."""
    parts = [("", terms[0], NEG)]
    for term in terms[1:]:
        if isinstance(term, Neg):
            parts.append((" - ", term.arg, HADAMARD if isinstance(term.arg, Neg) else NEG))
        else:
            parts.append((" + ", term, HADAMARD))
    return parts


def elementwise_needs_parentheses(operand: Expr, *, left: bool) -> bool:
    """Whether an operand of ⊙ or ⊘ is parenthesised: looser operators must be, and products
    are too for the reader (`y ⊙ (X w)`), though the grammar does not need it; a number
    factor (`2 A ⊙ B`) reads the same either way."""
    match operand:
        case MatMul(Number(), _) | Div(_, Number()):
            pass
        case MatMul() | Div() | Kron():
            return True
    return needs_parentheses(operand, HADAMARD if left else POSTFIX)


def kronecker_needs_parentheses(operand: Expr, *, left: bool) -> bool:
    """Whether an operand of ⊗ is parenthesised: products are not (`eye(n) ⊗ A^T A`), looser
    operators and ⊙ are, and a right operand that is itself a ⊗, which would read otherwise."""
    if isinstance(operand, Kron):
        return not left
    return needs_parentheses(operand, PRODUCT)


LONG_NUMBER = 12
"""A number whose decimal takes more characters than this is written in scientific form."""


def scientific(value: Fraction) -> str | None:
    """`1e-300`, `2.5e10`: an exact decimal too long to read, as its significant digits and a
    power of ten, which parses back to the same number; None where that is no shorter, or
    there is no exact decimal."""
    plain = decimal(value)
    if plain is None or len(plain) <= LONG_NUMBER:
        return None
    places = len(plain.partition(".")[2])
    digits = str(abs(value.numerator) * 10**places // value.denominator)
    significant = digits.rstrip("0")
    exponent = len(digits) - places - 1
    mantissa = significant[0] + (f".{significant[1:]}" if len(significant) > 1 else "")
    written = f"{'-' if value < 0 else ''}{mantissa}e{exponent}"
    return written if len(written) < len(plain) else None


def decimal(value: Fraction) -> str | None:
    """The exact decimal of `value`, or None when it has none (1/3)."""
    rest, digits = value.denominator, 0
    for prime in (2, 5):
        count = 0
        while rest % prime == 0:
            rest, count = rest // prime, count + 1
        digits = max(digits, count)
    if rest != 1:
        return None
    if digits == 0:
        return str(value.numerator)
    scaled = abs(value.numerator * 10**digits // value.denominator)
    text = str(scaled).rjust(digits + 1, "0")
    return f"{'-' if value < 0 else ''}{text[:-digits]}.{text[-digits:]}"


def postfix_wraps(arg: Expr) -> bool:
    """A superscript on a superscript needs parentheses in LaTeX and MathML: (X^T)^{-1}; a
    squared norm ends in one, (\\Vert X\\Vert_F^2)^T, though the input reads ||X||_F^2^T."""
    return needs_parentheses(arg, POSTFIX + 1) or isinstance(arg, FrobSq) or is_prefix(arg)


def typeset_wraps(expr: Expr, least: int) -> bool:
    """Whether LaTeX and MathML parenthesise `expr` where the grammar expects layer `least`
    or tighter: as the grammar needs, and a prefix operation (`\\sum X`) inside anything
    tighter than a sign."""
    return needs_parentheses(expr, least) or (least > NEG and is_prefix(expr))


def typeset_operand_wraps(operand: Expr, *, left: bool) -> bool:
    """Whether LaTeX and MathML parenthesise an operand of ⊙ or ⊘ (a prefix operation too)."""
    return elementwise_needs_parentheses(operand, left=left) or is_prefix(operand)


def typeset_factor_wraps(factor: Expr, *, left: bool) -> bool:
    """Whether LaTeX and MathML parenthesise an operand of ⊗ (a prefix operation too)."""
    return kronecker_needs_parentheses(factor, left=left) or is_prefix(factor)


def is_prefix(expr: Expr) -> bool:
    """`\\sum X` reaches as far as the reader lets it: \\sum X^{2}, \\sum X\\cdot Y and
    Y\\cdot \\sum X\\cdot y read as sums of more than X, so inside anything tighter than a sum
    it is parenthesised."""
    return isinstance(expr, Applied) and operation_of(expr).latex.placement is Placement.PREFIX


_SIZE = re.compile(r"(\d+|[A-Za-z]\w*)(·(\d+|[A-Za-z]\w*))*")


def sized_identity(expr: Expr) -> Identity | None:
    """`expr` if it is an identity written with its size as a Kronecker factor, `I_{n}`, which
    no other factor gives and the LaTeX reader reads back: its size a product of names and
    numbers."""
    if isinstance(expr, Identity) and _SIZE.fullmatch(str(expr.n)):
        return expr
    return None


_NAME = re.compile(r"([A-Za-z]+|[α-ω])_?(\d*|[A-Za-z0-9]*)")


def name_parts(name: str) -> tuple[str, str]:
    """A symbol's name as the stem and the subscript it is typeset with: `H1` and `W_out` are
    H with 1 and W with out, `lambda` a stem alone."""
    match = _NAME.fullmatch(name)
    return (match.group(1), match.group(2)) if match else (name, "")


def argument_wrapped(expr: Expr, placement: Placement) -> bool:
    """Whether an operation's argument is parenthesised in its notation: never where the
    notation encloses it (`tr(…)`), after a postfix one where a superscript would stack
    (`(X^T)^{-1}`), after a prefix one unless it is a name (`\\sum (X + Y)`)."""
    match placement:
        case Placement.ENCLOSED:
            return False
        case Placement.POSTFIX:
            return postfix_wraps(expr)
        case Placement.PREFIX:
            return not isinstance(expr, Symbol)
        case _:
            assert_never(placement)
