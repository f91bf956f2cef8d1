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

from matcalc.errors import ErrorKind, MatcalcError, Span
from matcalc.expr import (
    ONE,
    Add,
    Div,
    Expr,
    Func,
    Hadamard,
    HadamardDiv,
    HadamardPow,
    Inverse,
    MatMul,
    Neg,
    Number,
    Power,
    Symbol,
    Transpose,
)
from matcalc.functions import FUNCTIONS, from_sympy, is_generic, piecewise_constant
from matcalc.limits import MAX_DERIVATIVE_SIZE
from matcalc.parser import KNOWN_FUNCTIONS, parse
from matcalc.traversal import replace_nodes, symbol_names


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

CALL = re.compile(r"(?<![\w'])([a-z][a-z0-9_]+)\s*\(")
"""A name written as a call, `psi(`, in a formula's text."""


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
    names = tuple(name for name in functions if isinstance(name, str))
    for name, body in functions.items():
        if isinstance(body, Definition) and body.name != name:
            raise MatcalcError(f"functions[{name!r}] defines {body.name}", ErrorKind.NAME)
        found.append(body if isinstance(body, Definition) else definition(name, body, names))
    return tuple(found)


def definition(name: object, text: object, others: tuple[str, ...] = ()) -> Definition:
    """`name` defined by the formula `text`, whose one free name is its parameter; the CLI's
    `phi(x) = log(1 + exp(x))` is `definition("phi", "log(1 + exp(x))")`. `others` are the names
    of the user's other functions, which the formula may not call."""
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
    _refuse_calls(name, text, {name, *others})
    try:
        body = parse(text)
    except MatcalcError as error:
        raise MatcalcError(f"in {name}: {error.message}", error.kind, error.span) from None
    # x^{-1} is 1 / x: a scalar's reciprocal, in the nodes every reader of a formula knows
    body = replace_nodes(body, _reciprocal)
    free = symbol_names(body)
    if len(free) > 1:
        raise MatcalcError(
            f"{name}: a definition has one variable, but {text!r} has {', '.join(free)}",
            ErrorKind.NAME,
        )
    return Definition(name, free[0] if free else "x", body)


def _reciprocal(node: Expr) -> Expr | None:
    """1 / x for x^{-1}, for `replace_nodes`."""
    match node:
        case Inverse(arg):
            return Div(ONE, replace_nodes(arg, _reciprocal))
    return None


def _refuse_calls(name: str, text: str, defined: set[str]) -> None:
    """A formula calling a user's function, itself or another, is refused where the call is:
    a definition is a formula in its variable, and one calling another could go round."""
    for call in CALL.finditer(text):
        if call.group(1) in defined:
            start = call.start(1)
            line = text.count("\n", 0, start) + 1
            column = start - (text.rfind("\n", 0, start) + 1) + 1
            raise MatcalcError(
                f"in {name}: a definition may not call itself or another of the user's "
                f"functions, as {call.group(1)}: write the formula out",
                ErrorKind.NAME,
                Span(line, column, text),
            )


def parse_definition(text: str, others: tuple[str, ...] = ()) -> Definition:
    """`phi(x) = log(1 + exp(x))`, as written after --define; `others` are the names of the
    user's other functions, which the formula may not call."""
    head, sep, body = text.partition("=")
    name, open_, rest = head.strip().partition("(")
    parameter = rest.strip().removesuffix(")").strip()
    if not sep or not open_ or not rest.strip().endswith(")") or not parameter.isidentifier():
        raise MatcalcError(
            f"--define {text!r}: write it as phi(x) = log(1 + exp(x))", ErrorKind.PARSE
        )
    found = definition(name.strip(), body.strip(), others)
    if symbol_names(found.body) not in ([], [parameter]):
        raise MatcalcError(
            f"--define {text!r}: the formula may use only its variable {parameter}",
            ErrorKind.NAME,
        )
    return Definition(found.name, parameter, found.body)


def derivative_template(found: Definition) -> Expr:
    """The derivative of the definition, worked out by SymPy, in matcalc nodes. A formula that
    is nowhere finite or real, or whose derivative is not, is refused here: SymPy folds 1/(x - x)
    to an infinity, which nothing downstream should meet as a number."""
    size = derivative_size(found.body, found.parameter)
    if size > MAX_DERIVATIVE_SIZE:
        raise MatcalcError(
            f"{found.name}: the derivative of this formula would have about {size:,} parts, "
            f"more than the {MAX_DERIVATIVE_SIZE:,} a definition may have; nest it less deeply, "
            "or write the nesting in the objective, where matcalc's own rules derive it",
            ErrorKind.VALUE,
        )
    import sympy

    x = sympy.Symbol("x", real=True)
    body = _to_sympy(sympy, found, found.body, x)
    _check_real(sympy, body, f"{found.name}: {found.body}")
    derivative = sympy.diff(body, x)
    _check_real(sympy, derivative, f"{found.name}: the derivative of {found.body}")
    return from_sympy(sympy, derivative, x)


def _check_real(sp: Any, value: Any, what: str) -> None:
    """Refuses a SymPy expression that holds an infinity, an undefined value or √-1."""
    if value.has(sp.zoo, sp.oo, -sp.oo, sp.nan):
        raise MatcalcError(
            f"{what} is not finite: a part of it is infinite or undefined, as 1/0 or log(0)",
            ErrorKind.VALUE,
        )
    if value.has(sp.I):
        raise MatcalcError(
            f"{what} is not real: a part of it is complex, as log(-1) or (-1)^x",
            ErrorKind.VALUE,
        )


def derivative_size(expr: Expr, parameter: str) -> int:
    """About how many nodes the derivative of `expr` has, written out as a tree: each node's
    derivative holds, for each operand, the operand's derivative and about a copy of the node
    (the product rule, the chain rule); a constant part has none."""
    sizes: dict[Expr, tuple[int, int]] = {}

    def measure(e: Expr) -> tuple[int, int]:
        if e not in sizes:
            kids = [measure(k) for k in e.children()]
            size = 1 + sum(s for s, _ in kids)
            varies = isinstance(e, Symbol) and e.name == parameter
            grown = sum(d + size for _, d in kids if d)
            sizes[e] = (size, 1 + grown if varies or grown else 0)
        return sizes[e]

    return measure(expr)[1]


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
        case Inverse(arg):
            return 1 / go(arg)
        case Transpose(arg):
            return go(arg)
        case Func(name, arg) if (entry := FUNCTIONS.get(name)) and entry.sympy is not None:
            return entry.sympy(sp, go(arg))
        case Func(name) if name in FUNCTIONS:
            error = piecewise_constant(name)
            raise MatcalcError(f"{found.name}: {error.message}", error.kind)
    usable = sorted(name for name, entry in FUNCTIONS.items() if entry.sympy is not None)
    raise MatcalcError(
        f"{found.name}: {expr} is not a scalar formula; a definition may use +, -, *, /, ^, "
        f"numbers, its variable and the functions {', '.join(usable)}",
        ErrorKind.PARSE,
    )


def derivative_templates(functions: Mapping[str, Definition]) -> dict[str, Expr]:
    """The derivatives of the user's functions, by name, for the rules to use."""
    return {name: derivative_template(found) for name, found in functions.items()}
