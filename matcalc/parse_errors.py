"""What the parser says about text it cannot read: lark's errors in words, with the hint for
the slip where one is known (matcalc/hints.py), at the line and column."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from matcalc.declarations import GREEK
from matcalc.errors import ErrorKind, MatcalcError, Span
from matcalc.hints import (
    SLIPS,
    character_hint,
    close_names,
    latin_lookalike,
    lookalikes_in,
    plain_latin,
    token_hint,
)


def syntax_error(text: str, error: UnexpectedInput) -> MatcalcError:
    """What lark could not read, in words, with a hint where one is known."""
    line, column = max(error.line, 1), max(error.column, 1)
    if isinstance(error, UnexpectedEOF) or (
        isinstance(error, UnexpectedToken) and error.token.type == "$END"
    ):
        line, column = end_of(text)
        message = f"the expression ends too early: {_expected(error)}"
        if text.rstrip().endswith(("||", "‖", "\\Vert")):
            message = (
                "a norm closes with its subscript: ||G||_F, ||x||_2, ||x||_1, or squared, ||G||_F^2"
            )
    elif isinstance(error, UnexpectedCharacters):
        at = error.pos_in_stream or 0
        found = text[at]
        if latin_lookalike(found) is not None:
            return _lookalike_error(text, at, Span(line, column, text))
        message = f"unexpected character {found!r}"
        hint = character_hint(text, at)
        if found == "^":
            hint = (
                "after ^ matcalc reads T (transpose), {-1} (inverse), {-T}, {∘k} "
                "(elementwise power) or an exponent such as 2, {-1/2} or b"
            )
        message += f"; {hint}" if hint else ""
    else:
        assert isinstance(error, UnexpectedToken)
        hint = token_hint(text, error.token.start_pos or 0)
        message = f"unexpected {_describe(error.token)}: {hint or _expected(error)}"
    return MatcalcError(message, ErrorKind.PARSE, Span(line, column, text))


def _lookalike_error(text: str, at: int, span: Span) -> MatcalcError:
    """A letter that looks Latin but that the grammar does not read (Cyrillic х, fullwidth
    Ｘ): say which it is, and the word in Latin letters."""
    start, end = at, at + 1
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
        start -= 1
    while end < len(text) and (text[end].isalnum() or text[end] == "_"):
        end += 1
    word = text[start:end]
    _, what = lookalikes_in(text[at])[0]
    return MatcalcError(
        f"{text[at]!r} in {word} is {what}; write {plain_latin(word)}", ErrorKind.NAME, span
    )


def end_of(text: str) -> tuple[int, int]:
    """The line and column just past the last character that is not a space."""
    lines = text.rstrip().splitlines() or [""]
    return len(lines), len(lines[-1]) + 1


_TERMINAL_NAMES = {
    "RPAR": "')'",
    "LPAR": "'('",
    "NORM_CLOSE": "a closing '||_F^2'",
    "NAME": "a name",
    "NUMBER": "a number",
    "FUNCTION": "a function",
    "NORM_OPEN": "'||'",
    "COMMA": "','",
    "MINUS": "'-'",
    "SUM_OP": "'+' or '-'",
}


def _describe(token: Token) -> str:
    if token.type == "NORM_CLOSE" or token.type == "NORM_OPEN":
        return f"norm bar {str(token)!r}"
    return f"{str(token)!r}"


def _expected(error: UnexpectedInput) -> str:
    expected = getattr(error, "expected", None) or getattr(error, "allowed", None) or set()
    if "NORM_CLOSE" in expected:
        return "expected the closing bar of a norm, as in ||G||_F^2"
    if "RPAR" in expected and len(expected) < 12:
        return "expected ')' to close a parenthesis"
    if {"NAME", "NUMBER"} & set(expected):
        return "expected an operand (a name, a number, a function call or a parenthesis)"
    names = sorted(_TERMINAL_NAMES.get(name, name) for name in expected)
    return "expected " + " or ".join(names) if names else "the expression is incomplete"


def unknown_function(
    name: str, args: list[str], known_names: Sequence[str], defined: Collection[str] = ()
) -> str:
    """An unknown function's message: what to write if it is a known slip (`trace`, `mean`,
    `sigma`) or a Greek scalar's name, else the known names within a small edit distance."""
    if name.endswith("'"):
        return f"{name}: only a generic one-letter function such as g has a primed derivative g'"
    known = f"(known: {', '.join(known_names)}, or a single letter such as g for any function)"
    if name in SLIPS:
        return f"unknown function {name}: write {SLIPS[name].advice(args)}"
    if name in GREEK:
        product = f"{name} ({', '.join(args) or 'X'})"
        return f"{name} is a scalar's name, not a function: write {product}, with a space"
    close = close_names(name, [*known_names, *defined, *SLIPS])
    if not close:
        return f"unknown function {name} {known}"
    fixes = [SLIPS[c].written(args) if c in SLIPS else f"{c}({', '.join(args)})" for c in close]
    return f"unknown function {name}; did you mean {' or '.join(fixes)}? {known}"


def token_span(text: str, token: Token, offset: int = 0) -> Span:
    """Where `token` starts, or `offset` characters into it."""
    return Span(token.line or 1, (token.column or 1) + offset, text)


def mixed_scripts(text: str, before: Token, token: Token, side: Token) -> MatcalcError:
    """`WΧ`: a Latin letter touching one that only looks Latin."""
    at, what = lookalikes_in(str(side))[0]
    written = text[before.start_pos : token.end_pos]
    return MatcalcError(
        f"{written} mixes scripts: {side[at]} is {what}; write {plain_latin(written)}",
        ErrorKind.NAME,
        token_span(text, side, at),
    )
