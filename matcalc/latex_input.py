"""LaTeX to expression nodes: matcalc's own LaTeX output and the forms papers use.

grammar/latex.lark holds the notation; the plain parser's builder makes the nodes, so that
`\\|X - D R\\|_F^2` and `||X - D R||_F^2` are equal expressions. A letter is a name of its own,
as LaTeX sets it (`XW` is X W); a name in a font is that name whatever the font: `\\mathbf{x}`,
`\\boldsymbol{x}` and `x` are all Symbol("x"), as matcalc tells a vector from a matrix by its
shape, not by its typeface. What a reader could take two ways (`\\sum X Y`) is refused.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from fractions import Fraction
from functools import cache
from typing import Any

from lark import Token, Tree, v_args
from lark.exceptions import UnexpectedToken, VisitError

from matcalc.declarations import GREEK, convention
from matcalc.errors import ErrorKind, MatcalcError
from matcalc.expr import (
    Det,
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
    Symbol,
    Trace,
    Transpose,
)
from matcalc.functions import FUNCTIONS
from matcalc.hints import ALIASES
from matcalc.latex_tokens import (
    CLOSERS,
    CLOSING,
    GREEK_LETTERS,
    SUBSCRIPT,
    UPRIGHT_FONTS,
    Bars,
    command_word,
    font_parts,
    latex_syntax_error,
    opened,
    read_tokens,
)
from matcalc.limits import MAX_INPUT, deep_recursion
from matcalc.operations import BY_NAME
from matcalc.parse_errors import end_of, token_span
from matcalc.parser import (
    IDENTITY_NAMES,
    KNOWN_FUNCTIONS,
    Builder,
    Spans,
    check_depth,
    grammar_text,
    lalr,
)
from matcalc.traversal import preorder


@cache
def _plain_commands() -> frozenset[str]:
    """The commands the plain notation reads as well (\\odot, \\cdot, ^\\top, \\sum, …)."""
    return frozenset(re.findall(r"\\\\([A-Za-z]+)", grammar_text("matcalc")))


def looks_like_latex(text: str) -> bool:
    """Whether `text` is unambiguously LaTeX: it uses a command the plain notation does not read
    (\\frac, \\operatorname, \\mathbf, \\left, \\lVert, …) or a LaTeX space (`\\,`). Text whose
    only commands both read (`\\|X\\|_F^2`, `X \\odot Y`, `X^\\top`) is left to the plain parser."""
    commands = re.findall(r"\\([A-Za-z]+|[,;:!])", text)
    return any(command not in _plain_commands() for command in commands)


@deep_recursion
def parse_latex(text: str, defined: Collection[str] = ()) -> Expr:
    """Parse LaTeX math into an expression, as `parse` does the plain notation; `defined` names
    the user's own functions (`\\operatorname{phi}(x)`, or `\\phi(x)` when phi is defined)."""
    return parse_latex_located(text, defined)[0]


@deep_recursion
def parse_latex_located(text: str, defined: Collection[str] = ()) -> tuple[Expr, Spans]:
    """Parse LaTeX, and also say where in the text each node starts (for error messages)."""
    if not isinstance(text, str):
        message = f'LaTeX is text, such as r"\\|X\\|_F^2", not {type(text).__name__}'
        raise MatcalcError(message, ErrorKind.PARSE)
    if len(text) > MAX_INPUT:
        raise MatcalcError(
            f"the expression is longer than {MAX_INPUT:,} characters", ErrorKind.PARSE
        )
    # a period or comma at the end belongs to the sentence the formula was copied from
    lexed = lalr("latex", Bars).lex(re.sub(r"[.,]\s*$", lambda end: " " * len(end.group()), text))
    tokens = read_tokens(lexed, text, defined)
    if not tokens:
        raise MatcalcError("the expression is empty", ErrorKind.PARSE)
    interactive = lalr("latex", Bars).parse_interactive()
    end = Token("$END", "", len(text), *end_of(text))
    for index, token in enumerate([*tokens, end]):
        try:
            fed = interactive.feed_token(token)
        except UnexpectedToken:
            raise latex_syntax_error(text, tokens[:index], token) from None
    tree: Tree[Token] = fed
    check_depth(tree, text)
    builder = _LatexBuilder(text, defined, tokens)
    try:
        return builder.exponentials_apart(builder.transform(tree)), builder.spans
    except VisitError as error:
        raise error.orig_exc from None


@v_args(meta=True)
class _LatexBuilder(Builder):
    """The plain parser's builder, reading LaTeX's tokens. It refuses a product whose left
    factor ends in an operator's operand without parentheses (`\\sum X Y`, `\\log x \\, y`):
    whether the product belongs to the operand is anybody's guess."""

    def __init__(self, text: str, defined: Collection[str], tokens: list[Token]):
        super().__init__(text, defined)
        self.tokens = tokens
        self.bare: dict[int, tuple[int, Expr]] = {}
        """Nodes that end in an operator's operand written without parentheses, with where the
        operand ends and the operator's node."""
        self.euler: list[Expr] = []
        """Each e written bare or upright (`\\mathrm{e}`) right before ^: Euler's number (kept
        here, so that no later node takes its id)."""

    def symbol(self, meta: Any, children: list[Token]) -> Expr:
        token = children[0]
        stem, sub = self._name(token)
        if stem in IDENTITY_NAMES:
            size: int | str = self._size() if not sub else int(sub) if sub.isdigit() else sub
            return self._token_at(token, Identity(size))
        name = stem + sub if sub.isdigit() else f"{stem}_{sub}" if sub else stem
        made = self._token_at(token, Symbol(name))
        if name == "e" and self._euler(token):
            self.euler.append(made)
        return made

    def _euler(self, token: Token) -> bool:
        """Whether an e is Euler's number: bare or upright (`\\mathrm{e}`, not `\\mathbf{e}`),
        and raised to a power (not transposed: `e^\\top x` is a vector's)."""
        font = font_parts(token.strip())
        upright = token.type == "LETTER" or (font is not None and font[0] in UPRIGHT_FONTS)
        after = next((t for t in self.tokens if (t.start_pos or 0) >= (token.end_pos or 0)), None)
        return upright and after is not None and after.type == "CIRCUMFLEX"

    def power(self, meta: Any, children: list[Any]) -> Expr:
        """`e^{x}` is the exponential, as every paper means it."""
        if any(children[0] is e for e in self.euler):
            return self._at(meta, Func("exp", children[-1]))
        return super().power(meta, children)

    def exponentials_apart(self, expr: Expr) -> Expr:
        """`expr`, unless it uses e both as Euler's number and as a name: which is meant where
        is anybody's guess."""
        if self.euler:
            named = next((n for n in preorder(expr) if n == Symbol("e")), None)
            if named is not None:
                raise MatcalcError(
                    "e^{…} reads as the exponential, but e is also a name here: write "
                    "\\exp(…) for the exponential, and another name, or \\mathit{e}, for e",
                    ErrorKind.PARSE,
                    self.spans.get(id(named)),
                )
        return expr

    def _name(self, token: Token) -> tuple[str, str]:
        """The name and its subscript: `\\mathbf{W}_1` → ("W", "1"), `\\lambda` → ("λ", ""),
        `\\lambda_1` → ("lambda", "1") (the plain notation puts no index on a Greek letter)."""
        sub = SUBSCRIPT.search(token)
        head = token[: sub.start()].strip() if sub else token.strip()
        subscript = (sub.group(1) or sub.group(2)) if sub else ""
        if token.type == "COMMAND":
            return _greek(head[1:], subscript), subscript
        if token.type != "FONT":
            return head, subscript
        font, inner = font_parts(head) or ("", "")
        if inner.startswith("\\") and inner[1:] in GREEK_LETTERS:
            return _greek(inner[1:], subscript), subscript
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*|[α-ωΑ-Ω]", inner):
            message = f"{head}: matcalc reads a name in a font, such as \\mathbf{{x}}"
            raise MatcalcError(message, ErrorKind.PARSE, token_span(self.text, token))
        if font == "mathbb" and inner not in IDENTITY_NAMES:
            message = f"{head} names a set or an operator (\\mathbb{{E}}), not a matrix"
            raise MatcalcError(message, ErrorKind.PARSE, token_span(self.text, token))
        if font in UPRIGHT_FONTS and ALIASES.get(inner, inner) in KNOWN_FUNCTIONS:
            message = f"{inner} is a function: write its argument in parentheses, {head}(…)"
            raise MatcalcError(message, ErrorKind.PARSE, token_span(self.text, token))
        return inner, subscript

    def digit(self, meta: Any, children: list[Token]) -> Expr:
        """A number as an argument of ^, \\frac or \\sqrt, where TeX takes one character."""
        token = children[0]
        if len(token) > 1:
            message = (
                f"LaTeX takes one character as an argument, so {token} is {token[0]} and then "
                f"{token[1:]}: write {{{token}}}"
            )
            raise MatcalcError(message, ErrorKind.PARSE, token_span(self.text, token))
        return self.number(meta, children)

    def _entrywise_fix(self, base: str, written: str, value: Fraction | None) -> str:
        """How LaTeX writes an entrywise power with exponent `written` of `base`."""
        if value is not None and value.denominator == 1 and value < 0:
            return f"write 1 \\oslash {base}" + (f"^{{\\circ {-value}}}" if value < -1 else "")
        if value == 0:
            return "a power 0 is all ones: write \\mathbf{1}_{m \\times n}"
        fix = f"write \\exp({written} \\log({base})) (for positive entries)"
        if value is not None:
            fix += (
                f", or define a function p(x) = x^{written} and write \\operatorname{{p}}({base})"
            )
        return fix

    def layer(self, meta: Any, children: list[Any]) -> Expr:
        """`W^{(1)}` is the name W1, as papers number layers: a power would be W^1 = W."""
        base, mark = children
        index = re.sub(r"[\s^{}()\[\]]", "", mark)
        if not isinstance(base, Symbol):
            message = f"{mark} numbers a layer, which goes on a name: W^{{(1)}}"
            raise MatcalcError(message, ErrorKind.PARSE, token_span(self.text, mark))
        name = base.name + index if index.isdigit() else f"{base.name}_{index}"
        return self._at(meta, Symbol(name))

    def neg(self, meta: Any, children: list[Any]) -> Expr:
        return self._at(meta, Neg(children[-1]))

    def matmul(self, meta: Any, children: list[Any]) -> Expr:
        return self._ending(super().matmul(meta, self._unambiguous(children)), children[-1])

    def hadamard(self, meta: Any, children: list[Any]) -> Expr:
        return self._ending(super().hadamard(meta, self._unambiguous(children)), children[-1])

    def hadamard_div(self, meta: Any, children: list[Any]) -> Expr:
        made = super().hadamard_div(meta, self._unambiguous(children))
        return self._ending(made, children[-1])

    def div(self, meta: Any, children: list[Any]) -> Expr:
        return self._ending(super().div(meta, self._unambiguous(children)), children[-1])

    def times(self, meta: Any, children: list[Any]) -> Expr:
        left, op, right = self._unambiguous(children)
        exponent = _power_of_ten(right)
        if isinstance(left, Number) and exponent is not None:  # 2.5 \times 10^{-300}
            return self._at(meta, Number(left.value * Fraction(10) ** exponent))
        if not (_scalar(left) or _scalar(right)):
            raise MatcalcError(
                "\\times between matrices may mean a Kronecker or a cross product: write "
                "A B or A \\cdot B for the matrix product",
                ErrorKind.PARSE,
                token_span(self.text, op),
            )
        return self._ending(self._at(meta, MatMul(left, right)), right)

    def _unambiguous(self, children: list[Any]) -> list[Any]:
        """The factors of a product, unless the left one ends in a bare operand that nothing
        closes: is `\\sum X Y` the sum of X Y, or (\\sum X) Y?"""
        end, operator = self.bare.get(id(children[0]), (0, None))
        after = next((t for t in self.tokens if (t.start_pos or 0) >= end), None)
        if operator is not None and (after is None or after.type not in CLOSERS):
            raise MatcalcError(
                "an operator before a product, without parentheses, is ambiguous: write "
                "\\sum \\left(X Y\\right) or \\left(\\sum X\\right) Y, \\log(x y) or \\log(x) y",
                ErrorKind.PARSE,
                self.spans.get(id(operator)),
            )
        return children

    def _ending(self, made: Expr, last: Expr) -> Expr:
        """`made`, whose last factor is `last`, ends in a bare operand if `last` does."""
        if id(last) in self.bare:
            self.bare[id(made)] = self.bare[id(last)]
        return made

    def frac(self, meta: Any, children: list[Any]) -> Expr:
        return super().div(meta, children[1:])

    def frac_digits(self, meta: Any, children: list[Token]) -> Expr:
        digits = re.findall(r"\d", children[0])
        parts = [self._token_at(children[0], Number(Fraction(d))) for d in digits]
        return super().div(meta, parts)

    def sqrt(self, meta: Any, children: list[Any]) -> Expr:
        return self._at(meta, Func("sqrt", children[1]))

    def absolute(self, meta: Any, children: list[Any]) -> Expr:
        return self._at(meta, Func("abs", children[0]))

    def logdet(self, meta: Any, children: list[Any]) -> Expr:
        return self._at(meta, LogDet(children[1]))

    def call(self, meta: Any, children: list[Any]) -> Expr:
        token, args = children[0], children[1:]
        named = Token.new_borrow_pos("FUNCTION", self._function(token), token)
        return super().call(meta, [named, *args])

    def _function(self, token: Token) -> str:
        """The function's name: `\\ln` → "log", `\\sigma` → "sigmoid", `\\mathrm{ReLU}` →
        "relu" (papers capitalise), `g'` and `\\sigma'` keep their primes."""
        word, primes = command_word(token), "'" * token.count("'")
        if word is None:  # \operatorname{log\_softmax} is log_softmax
            parts = font_parts(token.strip())
            word = (parts[1] if parts else token.rstrip("'")).replace("\\_", "_")
        name = ALIASES.get(word, word)
        if name == "sigma" and "sigma" not in self.defined and token.startswith("\\"):
            name = "sigmoid"
        known = (*FUNCTIONS, *BY_NAME, *self.defined)
        if name not in known and name.lower() in known:
            name = name.lower()
        return name + primes

    def bare_call(self, meta: Any, children: list[Any]) -> Expr:
        applied = self.call(meta, children)
        if not self._enclosed(children[0], meta):
            self.bare[id(applied)] = (meta.end_pos, applied)
        return applied

    def sum_sign(self, meta: Any, children: list[Any]) -> Expr:
        token, operand = children
        marks = re.sub(r"\\sum|\\limits|\\(text|mathrm|rm)|[\s{}]", "", token)
        kinds = {"": Sum, "_rows": SumRows, "_columns": SumCols, "_cols": SumCols}
        if marks not in kinds:
            raise MatcalcError(
                f"{token} sums over indices, which matcalc does not read: write \\sum X for the "
                "sum of every entry, \\sum_{\\text{rows}} X or \\sum_{\\text{columns}} X",
                ErrorKind.PARSE,
                token_span(self.text, token),
            )
        enclosed = self._enclosed(token, meta)
        if not enclosed and isinstance(operand, Transpose | Inverse | Power | HadamardPow):
            raise MatcalcError(
                f"{self.text[token.start_pos : meta.end_pos]} is ambiguous: write "
                "\\sum \\left(X^2\\right) or \\left(\\sum X\\right)^2",
                ErrorKind.PARSE,
                token_span(self.text, token),
            )
        summed = self._at(meta, kinds[marks](operand))
        if not enclosed:
            self.bare[id(summed)] = (meta.end_pos, summed)
        return summed

    def _enclosed(self, token: Token, meta: Any) -> bool:
        """Whether the operand after `token` is one parenthesis, as in `\\sum (X Y)`."""
        start = token.end_pos or 0
        inside = [t for t in self.tokens if start <= (t.start_pos or 0) < meta.end_pos]
        depth = 0
        for index, seen in enumerate(inside):
            depth += (opened(seen) in CLOSING) - (seen.type in CLOSERS)
            if depth == 0:
                return index == len(inside) - 1 and opened(inside[0]) in CLOSING
        return False

    def norm(self, meta: Any, children: list[Any]) -> Expr:
        arg, close = children
        found = re.search(r"_\s*(?:\{((?:[^{}]|\{[^{}]*\})*)\}|(\\[A-Za-z]+|.))", close)
        written = (found.group(1) or found.group(2)) if found else ""
        sub = re.sub(r"\\(mathrm|text|rm|operatorname|mathsf)|[\s{}]", "", written)
        if sub not in ("", "F", "2", "1"):
            raise MatcalcError(
                "matcalc reads the norms \\|X\\|_F, \\|x\\|_2, \\|x\\|_1 and \\|x\\|, "
                f"not _{written}",
                ErrorKind.PARSE,
                token_span(self.text, close),
            )
        if "^" not in close:
            return self._at(meta, Norm(arg, sub or "norm2"))
        if sub == "1":  # (||x||_1)^2, as the plain notation reads ||x||_1^2
            return self._at(meta, Power(self._at(meta, Norm(arg, "1")), Number(Fraction(2))))
        return self._at(meta, FrobSq(arg, sub))

    def ones(self, meta: Any, children: list[Token]) -> Expr:
        token = children[0]
        found = re.search(r"_\s*(?:\{([^{}]*)\}|(.))", token)
        if found is None:
            return self._at(meta, Ones(self._size(), 1))
        written = found.group(1) if found.group(1) is not None else found.group(2)
        dims = [d.strip() for d in re.split(r"\\times|×|,", written)]
        if len(dims) > 2 or not all(re.fullmatch(r"[1-9]\d*|[A-Za-z]\w*", d) for d in dims):
            message = "write the ones as \\mathbf{1}, \\mathbf{1}_n or \\mathbf{1}_{m \\times n}"
            raise MatcalcError(message, ErrorKind.PARSE, token_span(self.text, token))
        rows, cols = (int(d) if d.isdigit() else d for d in (*dims, "1")[:2])
        return self._at(meta, Ones(rows, cols))


def _power_of_ten(expr: Expr) -> int | None:
    """k for 10^{k} with k a whole number, as scientific notation writes it; else None."""
    match expr:
        case Power(Number(base), Number(k)) if base == 10 and k.denominator == 1:
            return int(k)
        case Power(Number(base), Neg(Number(k))) if base == 10 and k.denominator == 1:
            return -int(k)
    return None


def _greek(word: str, subscript: str) -> str:
    """The name a Greek command stands for: the letter, as the plain notation writes it,
    or with an index the word (`lambda1`), as the plain notation writes that."""
    return word if subscript and word in GREEK else GREEK_LETTERS[word]


def _scalar(expr: Expr) -> bool:
    """Whether `expr` is a scalar whatever the shapes: a number, a Greek name, a norm, …."""
    match expr:
        case Number() | FrobSq() | Norm() | Trace() | Det() | LogDet() | Sum():
            return True
        case Symbol(name):
            return convention(name) == "scalar"
        case Neg(arg) | Power(arg, _) | Func(_, arg):
            return _scalar(arg)
        case MatMul(left, right) | Div(left, right):
            return _scalar(left) and _scalar(right)
    return False
