"""Text to expression nodes: the grammar file holds the notation, this module builds nodes."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedInput, VisitError
from lark.lark import PostLex

from matcalc.errors import ErrorKind, MatcalcError, Span
from matcalc.expr import (
    Add,
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
    Power,
    Sum,
    Symbol,
    Transpose,
)
from matcalc.functions import FUNCTIONS, is_generic
from matcalc.hints import SLIPS, arguments, lookalikes_in
from matcalc.limits import MAX_DEPTH, MAX_INPUT, MAX_NUMBER_DIGITS, MAX_TOKENS, deep_recursion
from matcalc.operations import BY_NAME, dim_product
from matcalc.parse_errors import mixed_scripts, syntax_error, token_span, unknown_function
from matcalc.shapes import PLACEHOLDER

KNOWN_FUNCTIONS = sorted([*FUNCTIONS, *BY_NAME, "ones", "eye", "vector", "matrix", "kron"])
IDENTITY_NAMES = ("I", "eye")
"""Names that stand for the identity matrix of whatever size fits."""


@cache
def grammar_text(name: str) -> str:
    """The grammar file `name`.lark: beside the package when installed, in grammar/ in the
    source tree."""
    here = Path(__file__).parent
    for folder in (here / "grammar", here.parent / "grammar"):
        if (folder / f"{name}.lark").exists():
            return (folder / f"{name}.lark").read_text(encoding="utf-8")
    raise FileNotFoundError(f"{name}.lark is missing from the installation")


@cache
def lalr(name: str, postlex: type[PostLex] | None = None) -> Lark:
    """The LALR parser of grammar `name`, with positions; a post-lexer needs the basic lexer.
    cache=True keeps the built tables in the temp folder: start-up is speed too."""
    lexing: dict[str, Any] = {"lexer": "basic", "postlex": postlex()} if postlex else {}
    return Lark(grammar_text(name), parser="lalr", propagate_positions=True, cache=True, **lexing)


Spans = dict[int, Span]
"""Where each node built from the text starts, keyed by the node's id."""


@dataclass(frozen=True)
class Parsed:
    """An objective as read: its expression, where each node starts, and what may surprise in
    the reading, for the notes: each product written with `*` (left, right, where), which
    NumPy would take entrywise, and each name with a letter that only looks Latin (the name,
    what the letter is, where)."""

    expr: Expr
    spans: Spans
    starred: tuple[tuple[Expr, Expr, Span], ...]
    lookalikes: tuple[tuple[str, str, Span], ...]


@deep_recursion
def parse(text: str, defined: Collection[str] = ()) -> Expr:
    """Parse the seed's notation, or its ASCII spellings (`*`, `'`, `.*`), into an expression;
    `defined` names the user's own functions."""
    return read(text, defined).expr


@deep_recursion
def parse_located(text: str, defined: Collection[str] = ()) -> tuple[Expr, Spans]:
    """Parse, and also say where in the text each node starts (for error messages)."""
    parsed = read(text, defined)
    return parsed.expr, parsed.spans


@deep_recursion
def read(text: str, defined: Collection[str] = ()) -> Parsed:
    """Parse, saying where each node starts and what the notes should point out."""
    if not text.strip():
        raise MatcalcError("the expression is empty", ErrorKind.PARSE)
    if len(text) > MAX_INPUT:
        raise MatcalcError(
            f"the expression is longer than {MAX_INPUT:,} characters", ErrorKind.PARSE
        )
    try:
        tree = _parse_counted(text, defined)
    except UnexpectedInput as error:
        raise syntax_error(text, error) from None
    check_depth(tree, text)
    builder = Builder(text, defined)
    try:
        expr = builder.transform(tree)
    except VisitError as error:
        raise error.orig_exc from None
    return Parsed(expr, builder.spans, tuple(builder.starred), tuple(builder.lookalikes))


def _parse_counted(text: str, defined: Collection[str] = ()) -> Tree[Token]:
    """The parse tree, token by token: past MAX_TOKENS the rest is refused unparsed, and
    tokens that only make sense apart are refused where they meet."""
    interactive = lalr("matcalc").parse_interactive(text)
    previous = None
    for count, token in enumerate(interactive.iter_parse(), 1):
        if count > MAX_TOKENS:
            raise MatcalcError(
                f"the expression is longer than {MAX_TOKENS:,} names, numbers and operators",
                ErrorKind.PARSE,
                Span(token.line or 1, token.column or 1, text),
            )
        if previous is not None:
            _check_neighbours(text, previous, token, defined)
        previous = token
    # what lark's untyped feed_eof() feeds: the end, placed at line 1, column 1
    tree: Tree[Token] = interactive.feed_token(Token("$END", "", 0, 1, 1))
    return tree


def _check_neighbours(text: str, before: Token, token: Token, defined: Collection[str]) -> None:
    """Refuse what two tokens mean side by side but was surely not meant: `1.2.3` (1.2 times
    .3), `2 .5`, `X.5`, `WΧ` (W times a Greek Chi), `Tr(X)` (a matrix Tr times X), `exp (X)`
    (a function's name as a symbol)."""
    touching = before.end_pos == token.start_pos
    if token.type == "NUMBER" and token.startswith("."):
        message = None
        if before.type == "NUMBER" and touching:
            message = "a number has one decimal point"
        elif before.type == "NUMBER":
            message = f"a number after a number: write {before}{token}, or {before} * 0{token}"
        elif before.type == "NAME" and touching:
            message = f"a point after {before}: write {before} 0{token} for a product"
        elif before.type == "HADAMARD_POW" and before[-1].isdigit():
            message = f"a number after the power {before}: write {before} * 0{token} for a product"
        if message is not None:
            raise MatcalcError(message, ErrorKind.PARSE, token_span(text, token))
    words = ("NAME", "FUNCTION")  # letters: a digit after Χ is a product, which a note shows
    if touching and before.type in words and token.type in words:
        for side in (before, token):
            if lookalikes_in(str(side)):
                raise mixed_scripts(text, before, token, side)
    if before.type == "NAME" and token.type == "LPAR":
        name = str(before)
        args = arguments(text, token.start_pos or 0) or []
        if not touching and _is_function(name, defined):
            raise MatcalcError(
                f"{name} is a function: write {name}({', '.join(args) or '…'}), with no space "
                "before the parenthesis (a name, a space and a parenthesis are a product)",
                ErrorKind.NAME,
                token_span(text, before),
            )
        fix = _function_fix(name.lower(), args, defined)
        if touching and fix is not None:
            raise MatcalcError(
                f"{name}(…) would be {name} times a parenthesis; functions are written in lower "
                f"case: {fix}",
                ErrorKind.NAME,
                token_span(text, before),
            )


def _is_function(name: str, defined: Collection[str]) -> bool:
    """Whether a name is one of the functions, which are never symbols (`I` and `eye` are the
    identity)."""
    return name not in IDENTITY_NAMES and (name in KNOWN_FUNCTIONS or name in defined)


def _function_fix(name: str, args: list[str], defined: Collection[str]) -> str | None:
    """How a call to `name` is written, if it is a function or a slip of one."""
    if name in SLIPS:
        return SLIPS[name].written(args)
    if name in KNOWN_FUNCTIONS or name in defined:
        return f"{name}({', '.join(args) or '…'})"
    return None


def check_depth(tree: Tree[Token], text: str) -> None:
    """Refuse operations nested more than MAX_DEPTH deep: every later stage recurses on them."""
    stack = [(tree, 1)]
    while stack:
        subtree, depth = stack.pop()
        operands = [child for child in subtree.children if isinstance(child, Tree)]
        if operands and depth > MAX_DEPTH:
            meta = subtree.meta
            raise MatcalcError(
                f"operations are nested more than {MAX_DEPTH} deep here",
                ErrorKind.PARSE,
                Span(getattr(meta, "line", 1), getattr(meta, "column", 1), text),
            )
        stack.extend((operand, depth + 1) for operand in operands)


@v_args(meta=True)
class Builder(Transformer[Token, Expr]):
    """A table of constructors, one per grammar alias, that also records where nodes start."""

    def __init__(self, text: str, defined: Collection[str] = ()):
        super().__init__()
        self.text = text
        self.defined = defined
        self.spans: Spans = {}
        self.sizes = 0
        self.starred: list[tuple[Expr, Expr, Span]] = []
        self.lookalikes: list[tuple[str, str, Span]] = []

    def _size(self) -> str:
        """A size to be inferred, one per use: `vector(1)` here need not be `vector(1)` there."""
        self.sizes += 1
        return f"{PLACEHOLDER}{self.sizes}"

    def _at(self, meta: Any, expr: Expr) -> Expr:
        if not getattr(meta, "empty", True):
            self.spans.setdefault(id(expr), Span(meta.line, meta.column, self.text))
        return expr

    def _token_at(self, token: Token, expr: Expr) -> Expr:
        self.spans.setdefault(id(expr), Span(token.line or 1, token.column or 1, self.text))
        return expr

    def symbol(self, meta: Any, children: list[Token]) -> Expr:
        token = children[0]
        name = str(token)
        if name in IDENTITY_NAMES:
            return self._token_at(token, Identity(self._size()))
        if _is_function(name, self.defined):
            raise MatcalcError(
                f"{name} is a function: write {name}(X), its argument in parentheses right "
                "after the name",
                ErrorKind.NAME,
                token_span(self.text, token),
            )
        self.lookalikes += [
            (name, what, token_span(self.text, token, at)) for at, what in lookalikes_in(name)
        ]
        return self._token_at(token, Symbol(name))

    def number(self, meta: Any, children: list[Token]) -> Expr:
        token = children[0]
        return self._token_at(token, Number(_exact(str(token), token_span(self.text, token))))

    def add(self, meta: Any, children: list[Any]) -> Expr:
        terms = [children[0]]
        for op, term in zip(children[1::2], children[2::2], strict=True):
            terms.append(Neg(term) if op == "-" else term)
            if op == "-":
                self.spans[id(terms[-1])] = self.spans.get(
                    id(term), Span(op.line, op.column, self.text)
                )
        return self._at(meta, Add(tuple(terms)))

    def neg(self, meta: Any, children: list[Expr]) -> Expr:
        return self._at(meta, Neg(children[0]))

    def hadamard(self, meta: Any, children: list[Any]) -> Expr:
        return self._at(meta, Hadamard(children[0], children[2]))

    def kron(self, meta: Any, children: list[Any]) -> Expr:
        return self._at(meta, Kron(children[0], children[2]))

    def hadamard_div(self, meta: Any, children: list[Any]) -> Expr:
        return self._at(meta, HadamardDiv(children[0], self._divisor(children[2])))

    def matmul(self, meta: Any, children: list[Any]) -> Expr:
        if len(children) == 3 and children[1] == "*":
            self.starred.append((children[0], children[2], token_span(self.text, children[1])))
        return self._at(meta, MatMul(children[0], children[-1]))

    def div(self, meta: Any, children: list[Expr]) -> Expr:
        return self._at(meta, Div(children[0], self._divisor(children[1])))

    def _divisor(self, expr: Expr) -> Expr:
        if expr == Number(Fraction(0)):
            raise MatcalcError("division by zero", ErrorKind.VALUE, self.spans.get(id(expr)))
        return expr

    def transpose(self, meta: Any, children: list[Any]) -> Expr:
        return self._at(meta, Transpose(children[0]))

    def inverse(self, meta: Any, children: list[Any]) -> Expr:
        return self._at(meta, Inverse(children[0]))

    def inverse_transpose(self, meta: Any, children: list[Any]) -> Expr:
        return self._at(meta, Transpose(Inverse(children[0])))

    def hadamard_pow(self, meta: Any, children: list[Any]) -> Expr:
        token = children[1]
        written = re.sub(r"^\.?\^\s*\{?\s*(∘|\\circ|\\odot)?|[\s{}]", "", token)
        span = token_span(self.text, token)
        value = _exact(written, span) if _DECIMAL.fullmatch(written) else None
        if value is None or value.denominator != 1 or value < 1:
            base = self.text[meta.start_pos : token.start_pos].strip()
            raise MatcalcError(
                f"an elementwise power takes a whole exponent 1, 2, 3, …, not {written}: "
                + self._entrywise_fix(base, written, value),
                ErrorKind.PARSE,
                span,
            )
        return self._at(meta, HadamardPow(children[0], int(value)))

    def _entrywise_fix(self, base: str, written: str, value: Fraction | None) -> str:
        """How to write an entrywise power with exponent `written` of `base` (as written)."""
        if value is not None and value.denominator == 1 and value < 0:
            return f"write 1 ./ {base}" + (f".^{-value}" if value < -1 else "")
        if value == 0:
            return "a power 0 is all ones: write ones(m, n)"
        fix = f"write exp({written} log({base})) (for positive entries)"
        if value is not None:
            fix += f", or define a function p(x) = x^{written} and write p({base})"
        return fix

    def power(self, meta: Any, children: list[Any]) -> Expr:
        base, exponent = children[0], _constant(children[-1])
        if exponent == Number(Fraction(-1)):
            return self._at(meta, Inverse(base))
        return self._at(meta, Power(base, exponent))

    def norm(self, meta: Any, children: list[Any]) -> Expr:
        close = str(children[2])
        subscript = next((kind for kind in "F12" if kind in close.split("^")[0]), "")
        if "^" not in close:
            return self._at(meta, Norm(children[1], subscript))
        return self._at(meta, FrobSq(children[1], subscript))

    def sum_sign(self, meta: Any, children: list[Any]) -> Expr:
        return self._at(meta, Sum(children[1]))

    def call(self, meta: Any, children: list[Any]) -> Expr:
        token, args = children[0], children[1:]
        name = str(token)
        span = Span(token.line, token.column, self.text)
        if name == "ones":
            rows, cols = _dims(args, 2, "ones(m, n) takes two dimensions", span, self.spans)
            return self._at(meta, Ones(rows, cols))
        if name == "eye":
            usage = "eye(n) takes one dimension"
            return self._at(meta, Identity(_dims(args, 1, usage, span, self.spans)[0]))
        if name == "kron":  # the Kronecker product spelt as a call, as NumPy and Julia do
            if len(args) != 2:
                raise MatcalcError(
                    "kron takes 2 arguments: kron(A, B) is A ⊗ B", ErrorKind.PARSE, span
                )
            return self._at(meta, Kron(args[0], args[1]))
        if name in ("vector", "matrix") and len(args) == 1:
            cols = 1 if name == "vector" else self._size()
            ones = Ones(self._size(), cols)
            return self._at(meta, ones if args[0] == Number(Fraction(1)) else MatMul(args[0], ones))
        operation = BY_NAME.get(name)
        if operation is None and not (
            name in FUNCTIONS or is_generic(name) or name in self.defined
        ):
            written = arguments(self.text, token.end_pos or 0) or []
            message = unknown_function(name, written, KNOWN_FUNCTIONS, self.defined)
            raise MatcalcError(message, ErrorKind.NAME, span)
        arity = operation.arity if operation is not None else 1
        if len(args) != arity:
            wanted = "one argument" if arity == 1 else f"{arity} arguments"
            raise MatcalcError(f"{name} takes {wanted}, not {len(args)}", ErrorKind.PARSE, span)
        if operation is not None:
            return self._at(meta, operation.build(*args))
        return self._at(meta, Func(name, args[0]))


_DECIMAL = re.compile(r"-?(\d+(\.\d+)?([eE][-+]?\d+)?|\.\d+)")
"""A number as NUMBER reads it, or negated."""


def _exact(number: str, span: Span) -> Fraction:
    """A number as written, exactly, if it has at most MAX_NUMBER_DIGITS digits counting the
    zeros its exponent stands for."""
    mantissa, _, exponent = number.lower().partition("e")
    exponent = exponent.lstrip("+-").lstrip("0")
    if len(exponent) > len(str(MAX_NUMBER_DIGITS)) or (
        len(mantissa.replace(".", "")) + int(exponent or "0") > MAX_NUMBER_DIGITS
    ):
        raise MatcalcError(
            f"{number[:12]}{'…' if len(number) > 12 else ''} has more than {MAX_NUMBER_DIGITS} "
            "digits, counting the zeros of its exponent; matcalc keeps numbers exact, up to "
            "that size (1e-300 is fine, 1e5000 is not)",
            ErrorKind.PARSE,
            span,
        )
    return Fraction(number)


def _constant(expr: Expr) -> Expr:
    """A number written as `-2` or `(1 / 2)` in an exponent, as one Number."""
    match expr:
        case Neg(inner) if isinstance(negated := _constant(inner), Number):
            return Number(-negated.value)
        case Div(num, den):
            num, den = _constant(num), _constant(den)
            if isinstance(num, Number) and isinstance(den, Number) and den.value:
                return Number(num.value / den.value)
    return expr


def _dim(arg: Expr) -> int | str | None:
    """A dimension written as a name, a positive whole number, or a product of them (the
    m·n of a Kronecker product's size); None for anything else."""
    match arg:
        case Symbol(name):
            return name
        case Number(value) if value.denominator == 1 and value > 0:
            return int(value)
        case MatMul(left, right):
            first, second = _dim(left), _dim(right)
            if first is not None and second is not None:
                return dim_product(first, second)
    return None


def _dims(args: list[Expr], count: int, usage: str, span: Span, spans: Spans) -> list[int | str]:
    """Arguments that are dimensions: names or positive whole numbers."""
    dims: list[int | str] = []
    for arg in args:
        dim = _dim(arg)
        if dim is None:
            message = (
                f"a dimension is a name, a product of names (m·n) or a whole number from 1 up, "
                f"not {arg}: {usage}"
            )
            raise MatcalcError(message, ErrorKind.PARSE, spans.get(id(arg), span))
        dims.append(dim)
    if len(dims) != count:
        raise MatcalcError(usage, ErrorKind.PARSE, span)
    return dims
