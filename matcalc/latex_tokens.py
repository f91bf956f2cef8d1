"""What LaTeX's tokens mean before they are parsed: the commands matcalc reads, delimiters and
the bars that open or close, and the errors a token can be the cause of (an unknown command,
`tanh` without its backslash, a parenthesis left open). Aliases and advice that the plain
parser gives too are matcalc/hints.py's."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Collection, Iterator

from lark import Token
from lark.exceptions import UnexpectedCharacters
from lark.lark import PostLex

from matcalc.declarations import GREEK
from matcalc.errors import ErrorKind, MatcalcError, Span
from matcalc.functions import FUNCTIONS
from matcalc.hints import ALIASES, CHARACTERS, LATEX_ADVICE, LATEX_FUNCTIONS
from matcalc.limits import MAX_TOKENS
from matcalc.operations import BY_NAME
from matcalc.parse_errors import token_span
from matcalc.parser import KNOWN_FUNCTIONS


def _greek_letters() -> dict[str, str]:
    """Command word to the letter, as the plain notation writes it: `alpha` → "α",
    `varepsilon` → "ε", `Sigma` → "Σ"; so `\\alpha` and the plain α are one name."""
    letters = {}
    for word in GREEK:
        spelled = word.removeprefix("var").upper().replace("LAMBDA", "LAMDA")
        letters[word] = unicodedata.lookup(f"GREEK SMALL LETTER {spelled}")
    for code in range(ord("Α"), ord("Ω") + 1):
        if unicodedata.category(letter := chr(code)) == "Lu":
            word = unicodedata.name(letter).split()[-1].lower().replace("lamda", "lambda")
            letters[word.capitalize()] = letter
    return letters


GREEK_LETTERS = _greek_letters()
KNOWN_COMMANDS = sorted(
    {*GREEK_LETTERS, *LATEX_FUNCTIONS, "sigma", "sqrt", "frac", "dfrac", "tfrac", "sum"}
    | {"cdot", "odot", "circ", "oslash", "times", "top", "intercal", "mathsf", "mathrm"}
    | {"mathbf", "mathit", "boldsymbol", "bm", "text", "operatorname", "left", "right"}
    | {"Vert", "lVert", "rVert", "vert", "lvert", "rvert", "quad", "qquad", "big", "Big"}
)
"""Commands the grammar reads, for hints (tests/test_latex_input.py reads each)."""

SUBSCRIPT = re.compile(r"\s*_\s*(?:\{\s*([A-Za-z0-9]+)\s*\}|([A-Za-z0-9]))$")
"""A name's subscript, at the end of its token: W_1, x_{ij}."""
_FONT = re.compile(
    r"\\([A-Za-z]+)\s*(?:\{\s*([^{}]*?)\s*\}|(\\[A-Za-z]+)|\s+([A-Za-z]))"
    r"|\{\s*\\([A-Za-z]+)\s+([^{}]*?)\s*\}"
)
UPRIGHT_FONTS = ("mathrm", "text", "textrm", "mathsf", "textsf", "rm", "operatorname")
"""Fonts that set letters upright, as function names and Euler's number are."""


def font_parts(written: str) -> tuple[str, str] | None:
    """The font and what it holds: `\\mathbf{W}` → ("mathbf", "W"), `{\\rm tr}` → ("rm", "tr")."""
    found = _FONT.fullmatch(written)
    if found is None:
        return None
    if found.group(5) is not None:
        return found.group(5), found.group(6)
    return found.group(1), next(g for g in found.group(2, 3, 4) if g is not None)


_CHARACTER_HINTS = {
    "_": "a subscript goes on a name (W_1, \\mathbf{x}_i) or a norm (\\|x\\|_2)",
    "^": "after ^ comes T, \\top, {-1}, {-T}, {\\circ k}, one character or a group: X^{-1/2}",
    "\\": "a backslash starts a command such as \\frac or \\mathbf",
}
"""Characters LaTeX reads elsewhere, where the grammar cannot go on; hints.CHARACTERS holds
those that neither notation reads."""

CLOSING = {
    "LPAR": ("RPAR", ")"),
    "LSQB": ("RSQB", "]"),
    "LBRACE": ("RBRACE", "}"),
    "_LEFT_PAREN": ("_RIGHT_PAREN", "\\right)"),
    "_LEFT_BRACKET": ("_RIGHT_BRACKET", "\\right]"),
    "_LEFT_BRACE": ("_RIGHT_BRACE", "\\}"),
    "_NORM_OPEN": ("NORM_CLOSE", "a closing bar \\|"),
    "_LEFT_NORM": ("RIGHT_NORM", "\\right\\|"),
    "_ABS_OPEN": ("_ABS_CLOSE", "a closing bar |"),
    "_LEFT_ABS": ("_RIGHT_ABS", "\\right|"),
}
"""Each opening delimiter: the closing one it takes, and how that is written."""
CLOSERS = {closer for closer, _ in CLOSING.values()}
OPERAND_ENDS = {"LETTER", "GREEK_LETTER", "FONT", "COMMAND", "NUMBER", "ONES", "FRAC_DIGITS"}
OPERAND_ENDS |= {"TRANSPOSE", "INVERSE", "INVERSE_TRANSPOSE", "HADAMARD_POW", "LAYER"}
OPERAND_ENDS |= CLOSERS


def opened(token: Token) -> str:
    """What `token` opens: `\\log|\\det` a bar, `\\log\\left|\\det` a \\left|, ( a (."""
    if token.type == "LOG_ABS_DET":
        return "_LEFT_ABS" if "\\left" in token else "_ABS_OPEN"
    return token.type


class Bars(PostLex):
    """Types each bar that may open or close: it closes the innermost open bar of its kind when
    it follows an operand (`\\|x\\|`), and opens otherwise (`\\|x\\| \\|y\\|` is a product)."""

    always_accept = ("BAR", "BAR_MARKED", "ABS_BAR")

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        open_kinds: list[str] = []
        previous = ""
        for token in stream:
            if token.type in self.always_accept:
                kind = "_ABS_OPEN" if token.type == "ABS_BAR" else "_NORM_OPEN"
                closes = token.type == "BAR_MARKED" or previous in OPERAND_ENDS
                if token.type == "BAR_MARKED" or (closes and open_kinds and open_kinds[-1] == kind):
                    kind = CLOSING[kind][0]  # a marked bar closes, or the parser says it can't
                token = Token.new_borrow_pos(kind, token, token)
            if opened(token) in CLOSING:
                open_kinds.append(opened(token))
            elif token.type in CLOSERS and open_kinds:
                open_kinds.pop()
            previous = token.type
            yield token


def read_tokens(lexed: Iterator[Token], text: str, defined: Collection[str]) -> list[Token]:
    """The lexer's tokens of `text`, checked for commands matcalc does not know and for letters
    that LaTeX sets apart (`tanh(x)` without its backslash); past MAX_TOKENS the rest is
    refused unread."""
    tokens: list[Token] = []
    try:
        for token in lexed:
            tokens.append(token)
            if len(tokens) > MAX_TOKENS:
                raise MatcalcError(
                    f"the expression is longer than {MAX_TOKENS:,} names, numbers and operators",
                    ErrorKind.PARSE,
                    token_span(text, token),
                )
    except UnexpectedCharacters as error:
        _check_tokens(tokens, text, defined)
        found = text[error.pos_in_stream or 0]
        hint = _CHARACTER_HINTS.get(found) or CHARACTERS.get(found)
        hint = f"; {hint}" if hint else ""
        span = Span(error.line, error.column, text)
        raise MatcalcError(f"unexpected character {found!r}{hint}", ErrorKind.PARSE, span) from None
    _check_tokens(tokens, text, defined)
    return tokens


def _check_tokens(tokens: list[Token], text: str, defined: Collection[str]) -> None:
    """Refuse unknown commands, and letters or digits that LaTeX sets as separate factors."""
    run: list[Token] = []  # one-letter names side by side
    for before, token, after in zip([None, *tokens], tokens, [*tokens[1:], None], strict=False):
        if token.type in ("COMMAND", "OPERATOR", "CALL") and token.startswith("\\"):
            _check_command(token, text, defined)
        touching = after if after is not None and after.start_pos == token.end_pos else None
        numerator = before is not None and before.type == "FRAC"  # \frac x2 is x / 2
        if token.type == "LETTER" and touching and touching.type == "NUMBER" and not numerator:
            raise MatcalcError(
                f"{token}{touching} reads as {token} times {touching} in LaTeX: write "
                f"{token}_{touching} for a name with a number",
                ErrorKind.PARSE,
                token_span(text, token),
            )
        run = [*run, token] if token.type in ("LETTER", "CALL") and len(token) == 1 else []
        if run and (touching is None or touching.type not in ("LETTER", "CALL")):
            _check_word(run, text, defined)
            run = []


def _check_word(run: list[Token], text: str, defined: Collection[str]) -> None:
    """Letters side by side that spell a function: LaTeX sets `tanh` as t a n h."""
    word = "".join(str(token).rstrip("'") for token in run)
    if len(word) > 1 and (ALIASES.get(word, word) in KNOWN_FUNCTIONS or word in defined):
        command = f"\\{word}" if word in LATEX_FUNCTIONS else f"\\operatorname{{{word}}}"
        raise MatcalcError(
            f"{word} reads as the product {' '.join(word)} in LaTeX: write {command}",
            ErrorKind.PARSE,
            token_span(text, run[0]),
        )


_LEFT_RIGHT = ("langle", "rangle")
"""Delimiters after \\left or \\right that have a hint of their own."""


def _check_command(token: Token, text: str, defined: Collection[str]) -> None:
    word = command_word(token)
    if word is None and token.type == "COMMAND":  # \operatorname with no name in braces
        word = re.sub(r"[\s\\]|_.*", "", token)
    if word is None or (word in GREEK_LETTERS and token.type != "CALL"):
        return
    if token.type == "CALL" and word in GREEK_LETTERS and word not in ("sigma", *defined):
        raise MatcalcError(
            f"\\{word}( reads as a call of a function {word}: write \\{word} \\cdot (…) for a "
            "product, or declare the function",
            ErrorKind.PARSE,
            token_span(text, token),
        )
    name = ALIASES.get(word, word)
    if word != "sigma" and name not in FUNCTIONS and name not in BY_NAME and name not in defined:
        following = re.match(r"\s*\\([A-Za-z]+)", text[token.end_pos or 0 :])
        if word in ("left", "right") and following and following.group(1) in _LEFT_RIGHT:
            word = following.group(1)  # \left\langle: say what \langle is
        raise MatcalcError(_unknown_command(word), ErrorKind.PARSE, token_span(text, token))


def command_word(token: Token) -> str | None:
    """`\\exp` → "exp", `\\log\\det` → "logdet"; None for a name in braces (\\operatorname{tr})."""
    found = re.fullmatch(r"\\((?:log|ln)\s*\\det|[A-Za-z]+)'*", re.sub(r"\s*_.*", "", token))
    if found is None or found.group(1) == "operatorname":
        return None
    return re.sub(r"[\s\\]", "", found.group(1))


_FONT_WORDS = ("mathbf", "mathit", "boldsymbol", "bm", "mathrm", "mathsf", "text")


def _unknown_command(word: str) -> str:
    hint = next((hint for words, hint in LATEX_ADVICE.items() if word in words), None)
    if hint is None and word in KNOWN_COMMANDS:  # known, but what follows is not its argument
        usage = "\\operatorname{tr}(X)" if word == "operatorname" else "\\mathbf{x}, \\mathbf{W}_1"
        what = "a function's name" if word == "operatorname" else "one name"
        return f"\\{word} cannot be read here: it holds {what}, as in {usage}"
    if hint is None and (close := difflib.get_close_matches(word, KNOWN_COMMANDS, n=1)):
        hint = f"did you mean \\{close[0]}?"
    return f"unknown command \\{word}; {hint or 'its functions are ' + ', '.join(KNOWN_FUNCTIONS)}"


def latex_syntax_error(text: str, before: list[Token], token: Token) -> MatcalcError:
    """An error at `token`, naming the delimiter left open or crossed where there is one."""
    unclosed: list[Token] = []
    for seen in before:
        if opened(seen) in CLOSING:
            unclosed.append(seen)
        elif seen.type in CLOSERS and unclosed:
            unclosed.pop()
    closing = CLOSING[opened(unclosed[-1])][1] if unclosed else ""
    if token.type == "$END" and unclosed:
        message = f"{unclosed[-1]} is never closed: close it with {closing}"
        return MatcalcError(message, ErrorKind.PARSE, token_span(text, unclosed[-1]))
    if token.type == "$END":
        message = "the expression ends too early: expected an operand"
    elif token.type in CLOSERS and unclosed and CLOSING[opened(unclosed[-1])][0] == token.type:
        message = _missing_operand(before[-1], unclosed[-1], token)
    elif token.type in CLOSERS:
        where = (
            f"{unclosed[-1]} at column {unclosed[-1].column}, which {closing} closes"
            if unclosed
            else ""
        )
        message = f"{token} does not close {where or 'anything open'}"
    elif before and before[-1].type in ("SUM", "OPERATOR", "SQRT", "FRAC"):
        message = f"unexpected {token} after {before[-1]}"
    elif token.type in ("TRANSPOSE", "INVERSE", "INVERSE_TRANSPOSE", "HADAMARD_POW"):
        message = f"unexpected {token}: a superscript follows an operand"
    else:
        operand = not before or before[-1].type not in OPERAND_ENDS
        message = f"unexpected {token}" + (": expected an operand" if operand else "")
    return MatcalcError(message, ErrorKind.PARSE, token_span(text, token))


def _missing_operand(last: Token, opener: Token, closer: Token) -> str:
    """What is missing where `closer` rightly closes `opener` but comes too early."""
    if last is opener:
        return f"nothing between {opener} and {closer}: expected an operand"
    if last.type in ("SUM", "OPERATOR", "SQRT", "FRAC"):
        return f"{last} needs an operand before {closer}"
    return f"unexpected {closer}: expected an operand before it"
