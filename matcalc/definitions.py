"""The user's own scalar functions: `phi(x) = log(1 + exp(x))`, applied elementwise.

A definition is parsed with matcalc's own grammar, never by SymPy from text; the parsed
formula is then built into a SymPy expression node by node, and SymPy differentiates it.
"""

from __future__ import annotations

import re
import reprlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from matcalc.errors import ErrorKind, MatcalcError
from matcalc.expr import (
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
    Power,
    Symbol,
    Transpose,
)
from matcalc.functions import FUNCTIONS, from_sympy, is_generic
from matcalc.parser import KNOWN_FUNCTIONS, parse
from matcalc.traversal import symbol_names


@dataclass(frozen=True)
class Definition:
    """`name(parameter) = body`, a scalar function of one scalar."""

    name: str
    parameter: str
    body: Expr

    def __str__(self) -> str:
        return f"{self.name}({self.parameter}) = {self.body}"


FUNCTION_NAME = re.compile(r"[a-z][a-z0-9_]+")
"""A defined function's name: what the grammar reads as a call, of two letters or more (one
letter, as g, is any function)."""


def definitions(functions: object) -> tuple[Definition, ...]:
    """The user's functions as `diff` takes them: {"phi": "log(1 + exp(x))"}, or Definitions
    under their names."""
    if functions is None:
        return ()
    if not isinstance(functions, Mapping):
        raise MatcalcError(
            'functions map names to formulas, as {"phi": "log(1 + exp(x))"}, not '
            f"{reprlib.repr(functions)}"
        )
    found = []
    for name, body in functions.items():
        if isinstance(body, Definition) and body.name != name:
            raise MatcalcError(f"functions[{name!r}] defines {body.name}", ErrorKind.NAME)
        found.append(body if isinstance(body, Definition) else definition(name, body))
    return tuple(found)


def definition(name: object, text: object) -> Definition:
    """`name` defined by the formula `text`, whose one free name is its parameter; the CLI's
    `phi(x) = log(1 + exp(x))` is `definition("phi", "log(1 + exp(x))")`."""
    if not isinstance(name, str) or not FUNCTION_NAME.fullmatch(name) or is_generic(name):
        raise MatcalcError(
            f"{reprlib.repr(name)}: a defined function's name is a lower-case word of two "
            "letters or more (letters, digits, _)",
            ErrorKind.NAME,
        )
    if name in KNOWN_FUNCTIONS:
        raise MatcalcError(f"{name} is matcalc's own function already", ErrorKind.NAME)
    if not isinstance(text, str):
        raise MatcalcError(
            f'{name}: a formula is text, as "log(1 + exp(x))", not {reprlib.repr(text)}'
        )
    try:
        body = parse(text)
    except MatcalcError as error:
        raise MatcalcError(f"in {name}: {error.message}", error.kind, error.span) from None
    free = symbol_names(body)
    if len(free) > 1:
        raise MatcalcError(
            f"{name}: a definition has one variable, but {text!r} has {', '.join(free)}",
            ErrorKind.NAME,
        )
    return Definition(name, free[0] if free else "x", body)


def parse_definition(text: str) -> Definition:
    """`phi(x) = log(1 + exp(x))`, as written after --define."""
    head, sep, body = text.partition("=")
    name, open_, rest = head.strip().partition("(")
    parameter = rest.strip().removesuffix(")").strip()
    if not sep or not open_ or not rest.strip().endswith(")") or not parameter.isidentifier():
        raise MatcalcError(
            f"--define {text!r}: write it as phi(x) = log(1 + exp(x))", ErrorKind.PARSE
        )
    found = definition(name.strip(), body.strip())
    if symbol_names(found.body) not in ([], [parameter]):
        raise MatcalcError(
            f"--define {text!r}: the formula may use only its variable {parameter}",
            ErrorKind.NAME,
        )
    return Definition(found.name, parameter, found.body)


def derivative_template(found: Definition) -> Expr:
    """The derivative of the definition, worked out by SymPy, in matcalc nodes."""
    import sympy

    x = sympy.Symbol("x", real=True)
    return from_sympy(sympy, sympy.diff(_to_sympy(sympy, found, found.body, x), x), x)


def _to_sympy(sp: Any, found: Definition, expr: Expr, x: Any) -> Any:
    """The formula as a SymPy expression, built node by node."""

    def go(e: Expr) -> Any:
        return _to_sympy(sp, found, e, x)

    match expr:
        case Symbol(name) if name == found.parameter:
            return x
        case Number(value):
            return sp.Rational(value.numerator, value.denominator)
        case Add(terms):
            return sp.Add(*(go(t) for t in terms))
        case Neg(arg):
            return -go(arg)
        case MatMul(a, b) | Hadamard(a, b):
            return go(a) * go(b)
        case Div(a, b) | HadamardDiv(a, b):
            return go(a) / go(b)
        case Power(a, b):
            return go(a) ** go(b)
        case HadamardPow(a, k):
            return go(a) ** k
        case Transpose(arg):
            return go(arg)
        case Func(name, arg) if (entry := FUNCTIONS.get(name)) and entry.sympy is not None:
            return entry.sympy(sp, go(arg))
    raise MatcalcError(
        f"{found.name}: {expr} is not a scalar formula; a definition may use +, -, *, /, ^, "
        f"numbers, its variable and the functions {', '.join(sorted(FUNCTIONS))}",
        ErrorKind.PARSE,
    )


def derivative_templates(functions: Mapping[str, Definition]) -> dict[str, Expr]:
    """The derivatives of the user's functions, by name, for the rules to use."""
    return {name: derivative_template(found) for name, found in functions.items()}
