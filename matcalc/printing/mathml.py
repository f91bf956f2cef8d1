"""Expressions and derivations as presentation MathML, the MathML Core that browsers render
natively: node by node as printing/latex.py writes them, with the same symbols and the same
parentheses, for the browser page and for notebooks (VS Code typesets no LaTeX in HTML)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from html import escape, unescape
from typing import TYPE_CHECKING, assert_never

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
from matcalc.operations import Placement, operation_of
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
from matcalc.printing.latex_derivation import Lines, derivation_parts

if TYPE_CHECKING:
    from collections.abc import Sequence

    from matcalc.derivation import Derivation
    from matcalc.rules import Rule


# the steps of a derivation share most of their subtrees: each is written out once
@lru_cache(maxsize=4096)
def mathml(expr: Expr) -> str:
    """`expr` as one MathML element, without the surrounding `<math>`."""
    node = as_node(expr)
    match node:
        case Symbol(name):
            return _name(name)
        case Number(value):
            if (written := scientific(value)) is not None:  # 1×10^{-300}, as LaTeX has it
                mantissa, exponent = written.split("e")
                return _row(_number(mantissa), _mo("×"), _sup(_mn("10"), _number(exponent)))
            exact = decimal(value)
            if exact is not None:
                return _number(exact)
            return _frac(_number(str(value.numerator)), _mn(str(value.denominator)))
        case Ones(rows, cols):
            return _sub(_mn("𝟏"), _row(_dim(rows), _mo("×"), _dim(cols)))
        case Identity():
            return _mi("I")
        case Transpose(Inverse(arg)):
            return _sup(_group(arg, postfix_wraps(arg)), _row(_mo("−"), _mi("T")))
        case Norm(arg, norm) if norm not in ("norm1", "norm2"):
            mark = norm_subscript(norm)
            bar = _mo("‖")
            return _row(bar, mathml(arg), _sub(bar, _tokens(mark)) if mark else bar)
        case Applied():
            operation = operation_of(node)
            place = operation.latex.placement
            arguments = (_placed(kid, place) for kid in node.children())
            return _from_latex(operation.latex.template, *arguments)
        case Transpose(arg):
            return _sup(_group(arg, postfix_wraps(arg)), _mi("T"))
        case Neg(arg):
            return _row(_mo("−"), _at(arg, HADAMARD))
        case Add(terms):
            signs = {"": [], " - ": [_mo("−")], " + ": [_mo("+")]}
            parts = []
            for sign, term, layer in sum_parts(terms):
                parts += [*signs[sign], _at(term, layer)]
            return _row(*parts)
        case MatMul(left, right):
            joint = _mo("\u2062") if isinstance(left, Number) else _mo("⋅")  # invisible times
            return _row(_at(left, PRODUCT), joint, _at(right, POSTFIX))
        case Div(num, den):
            return _frac(mathml(num), mathml(den))
        case Hadamard(left, right):
            return _row(_operand(left, True), _mo("⊙"), _operand(right, False))
        case HadamardDiv(left, right):
            return _row(_operand(left, True), _mo("⊘"), _operand(right, False))
        case Kron(left, right):
            return _row(_factor(left, True), _mo("⊗"), _factor(right, False))
        case HadamardPow(base, exponent):
            return _sup(_group(base, postfix_wraps(base)), _row(_mo("∘"), _mn(str(exponent))))
        case Power(base, exponent):
            wrap = power_base_needs_parentheses(base) or postfix_wraps(base)
            return _sup(_group(base, wrap), mathml(exponent))
        case Func(name, arg):
            return _function(name, arg)
        case FrobSq(arg, norm):
            mark = norm_subscript(norm)
            bar, two = _mo("‖"), _mn("2")
            squared = _sup(_sub(bar, _tokens(mark)), two) if mark else _sup(bar, two)
            return _row(bar, mathml(arg), squared)
        case Pending(of, wrt, _, occurrence):
            below = mathml(wrt) if isinstance(wrt, Symbol) else _grouped(mathml(wrt))
            if occurrence:
                below = _sub(below, _grouped(_mn(str(occurrence))))
            return _derivative(_grouped(mathml(of)), below)
        case _:
            assert_never(node)


def math(expr: Expr, *, display: bool = False) -> str:
    """`expr` in a `<math>` element, set apart as a block with `display`."""
    block = ' display="block"' if display else ""
    return f"<math{block}>{mathml(expr)}</math>"


def _name(name: str) -> str:
    """A symbol as latex.py names it: `H_{1}`, `\\lambda`, a longer name in italics."""
    stem, sub = name_parts(name)
    if stem in GREEK:
        stem = _greek(stem)
    elif len(stem) > 1 or name == "e":  # \mathit: one letter is in italics already
        stem = stem.translate(_ITALIC)
    return _sub(_mi(stem), _tokens(sub)) if sub else _mi(stem)


_ITALIC = {
    **{ord(c): 0x1D434 + i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZ")},
    **{ord(c): 0x1D44E + i for i, c in enumerate("abcdefghijklmnopqrstuvwxyz")},
    ord("h"): 0x210E,  # italic h has its own place, before the Mathematical Alphanumerics
    **{c: 0x1D6E2 + c - 0x391 for c in range(0x391, 0x3AA) if c != 0x3A2},  # Α–Ω
    **{c: 0x1D6FC + c - 0x3B1 for c in range(0x3B1, 0x3CA)},  # α–ω
}
"""Latin and Greek letters as Mathematical Italic ones: `\\mathit`, which MathML Core writes
in the text."""

_GREEK_FORMS = {"epsilon": "ϵ", "varepsilon": "ε", "vartheta": "ϑ", "phi": "ϕ", "varphi": "φ"}
"""The letters of LaTeX's commands whose Unicode names are not the commands' words."""


def _greek(word: str) -> str:
    """`lambda` → `λ`, `Sigma` → `Σ`, as LaTeX's \\lambda and \\Sigma print."""
    if word in _GREEK_FORMS:
        return _GREEK_FORMS[word]
    case = "CAPITAL" if word[0].isupper() else "SMALL"
    return unicodedata.lookup(f"GREEK {case} LETTER {word.upper().replace('LAMBDA', 'LAMDA')}")


def _tokens(written: str) -> str:
    """A subscript or a size as LaTeX sets it: digits a number, each letter a name (`ab` is
    a times b), and a product's · a \\cdot."""
    parts = [
        _mn(found) if found.isdigit() else _mi(found) if found.isalpha() else _mo(found)
        for found in re.findall(r"\d+|.", written.replace("·", "⋅"))
    ]
    return _row(*parts)


def _function(name: str, arg: Expr) -> str:
    inner = mathml(arg)
    if name == "sqrt":
        return _element("msqrt", inner)
    if name == "abs":
        return _row(_mo("|"), inner, _mo("|"))
    stem = name.rstrip("'")
    if name in FUNCTIONS:
        head = _from_latex(FUNCTIONS[name].latex)
    elif len(stem) > 1:  # a function of the user's own, \operatorname{phi'}: upright
        head = _mi(name.replace("'", "′"))
    elif stem != name:  # g'', each prime an operator of its own, set close
        head = _row(_mi(stem), *[_mo("′")] * (len(name) - len(stem)))
    else:
        head = _mi(name)
    return _row(head, _grouped(inner))


def _placed(expr: Expr, placement: Placement) -> str:
    """An operation's argument, parenthesised where its notation needs it."""
    return _group(expr, argument_wrapped(expr, placement))


def _at(expr: Expr, least: int) -> str:
    return _group(expr, typeset_wraps(expr, least))


def _factor(expr: Expr, left: bool) -> str:
    """A Kronecker factor; an identity with its size, `I_{n}`."""
    if (identity := sized_identity(expr)) is not None:
        return _sub(_mi("I"), _dim(identity.n))
    return _group(expr, typeset_factor_wraps(expr, left=left))


def _dim(dim: Dim) -> str:
    return _tokens(str(dim))


def _operand(expr: Expr, left: bool) -> str:
    return _group(expr, typeset_operand_wraps(expr, left=left))


def _group(expr: Expr, wrap: bool) -> str:
    """In parentheses that stretch, LaTeX's \\left( … \\right)."""
    return _row(_mo("("), mathml(expr), _mo(")")) if wrap else mathml(expr)


def _grouped(math: str) -> str:
    """In parentheses that do not stretch, LaTeX's ( … ): `d(X W)`, `tanh(x)`."""
    return _row(_mo("(", stretchy="false"), math, _mo(")", stretchy="false"))


def _derivative(of: str, by: str) -> str:
    return _frac(_row(_mi("d"), of), _row(_mi("d"), by))


# LaTeX notations of the operation table and of the functions, read into MathML ---------------

_LATEX_TOKEN = re.compile(
    r"\\left(?P<left>[(|])|\\right(?P<right>[)|])|\\operatorname\{(?P<name>(?:\\_|\w)+)\}"
    r"|\\text\{(?P<text>\w+)\}|\\(?P<command>[A-Za-z]+)|\{(?P<slot>\d)\}|(?P<script>[_^])"
    r"|(?P<open>\{)|(?P<close>\})|(?P<space>\s+)|(?P<sign>[-,\w])"
)

_NAMED_OPERATORS = frozenset(
    "arccos arcsin arctan arg cos cosh cot coth csc deg det dim exp gcd hom inf ker lg lim "
    "liminf limsup ln log max min Pr sec sin sinh sup tan tanh".split()
)
"""LaTeX's own operator names, \\det and \\log: upright, as \\operatorname{tr}."""

_SIGNS = {"sum": "∑", "Vert": "‖"}


def _from_latex(template: str, *arguments: str) -> str:
    """An operation's or a function's LaTeX, `\\operatorname{tr}\\left({0}\\right)`, as MathML,
    with `arguments` (MathML already) for `{0}`, `{1}`; ValueError for what it does not know,
    so that a test catches a notation added without a MathML form."""
    tokens: list[tuple[str, str]] = []
    at = 0
    while at < len(template):
        found = _LATEX_TOKEN.match(template, at)
        if found is None or found.lastgroup is None:
            raise ValueError(f"no MathML form for {template[at:]!r} in {template!r}")
        if found.lastgroup != "space":
            tokens.append((found.lastgroup, found[found.lastgroup]))
        at = found.end()
    return _row(*_Reader(template, tokens, arguments).read(None))


class _Reader:
    """Reads a notation's tokens into MathML elements, a script onto the element before it."""

    def __init__(
        self, template: str, tokens: list[tuple[str, str]], arguments: tuple[str, ...]
    ) -> None:
        self.template, self.tokens, self.arguments = template, tokens, arguments

    def read(self, closing: str | None) -> list[str]:
        """The elements up to the token `closing` (`close`, `right`, or None for the end),
        which is consumed, a \\right's delimiter with the elements."""
        parts: list[str] = []
        while self.tokens:
            kind, value = self.tokens.pop(0)
            if kind == closing:
                return [*parts, _mo(value)] if kind == "right" else parts
            match kind:
                case "left":
                    parts.append(_row(_mo(value), *self.read("right")))
                case "open":
                    parts.append(_row(*self.read("close")))
                case "script" if parts and self.tokens:
                    first, written = self.tokens.pop(0)
                    script = self.read("close") if first == "open" else [self.atom(first, written)]
                    parts.append(_scripted(value, parts.pop(), _row(*script)))
                case _:
                    parts.append(self.atom(kind, value))
        if closing is not None:
            raise ValueError(f"unbalanced braces or delimiters in {self.template!r}")
        return parts

    def atom(self, kind: str, value: str) -> str:
        match kind:
            case "name":
                return _mi(value.replace("\\_", "_"))
            case "text":
                return _element("mtext", escape(value))
            case "slot":
                return self.arguments[int(value)]
            case "command" if value in _SIGNS:
                return _mo(_SIGNS[value])
            case "command" if value in _NAMED_OPERATORS:
                return _mi(value)
            case "command" if value.lower() in GREEK:
                return _mi(_greek(value))
            case "sign" if value.isdigit():
                return _mn(value)
            case "sign" if value.isalpha():
                return _mi(value)
            case "sign":
                return _mo("−" if value == "-" else value)
        raise ValueError(f"no MathML form for {kind} {value!r} in {self.template!r}")


def _scripted(sign: str, base: str, script: str) -> str:
    """A sub- or superscript; under or over a large operator (∑), which MathML sets to the
    side in running text, as LaTeX does."""
    if base == _mo("∑"):
        return _element("munder" if sign == "_" else "mover", base + script)
    return _sub(base, script) if sign == "_" else _sup(base, script)


# elements -------------------------------------------------------------------------------------


def _element(tag: str, content: str, **attributes: str) -> str:
    said = "".join(f' {name}="{escape(value)}"' for name, value in attributes.items())
    return f"<{tag}{said}>{content}</{tag}>"


def _mi(name: str) -> str:
    return _element("mi", escape(name))


def _mn(number: str) -> str:
    return _element("mn", escape(number))


def _mo(sign: str, **attributes: str) -> str:
    return _element("mo", escape(sign), **attributes)


def _number(written: str) -> str:
    """A number written in decimals, its sign a minus: `−2.5`."""
    if written.startswith("-"):
        return _row(_mo("−"), _mn(written[1:]))
    return _mn(written)


def _row(*parts: str) -> str:
    """The parts as one element: the one part itself, or an `<mrow>` of them."""
    return parts[0] if len(parts) == 1 else _element("mrow", "".join(parts))


def _frac(num: str, den: str) -> str:
    return _element("mfrac", num + den)


def _sub(base: str, script: str) -> str:
    return _element("msub", base + script)


def _sup(base: str, script: str) -> str:
    """A superscript; on a subscripted base both scripts together, as LaTeX's `W_{1}^T`."""
    if base.startswith("<msub>"):
        return _element("msubsup", base.removeprefix("<msub>").removesuffix("</msub>") + script)
    return _element("msup", base + script)


# derivations ----------------------------------------------------------------------------------


class MathmlTypesetting:
    """MathML in HTML: inline math in `<math>…</math>`, words escaped."""

    opening, closing = "<math>", "</math>"
    equals = _mo("=")
    mapsto = "<mi>{}</mi><mo>:</mo>{}<mo>↦</mo>{}"

    def expr(self, expr: Expr) -> str:
        return mathml(expr)

    def words(self, words: str) -> str:
        return escape(words, quote=False)

    def plain(self, written: str) -> str:
        return _tokens(written)

    def derivative(self, of: str, by: str) -> str:
        return _derivative(of, by)

    def second_derivative(self, by: str) -> str:
        return _frac(_row(_sup(_mi("d"), _mn("2")), _mi("f")), _row(_mi("d"), _sup(by, _mn("2"))))

    def grouped(self, math: str) -> str:
        return _grouped(math)

    def indexed(self, base: str, index: str) -> str:
        return _sub(base, index)

    def hessian_times(self, direction: str) -> str:
        brackets = _mo("[", stretchy="false"), _mo("]", stretchy="false")
        return _row(_sup(_mo("∇"), _mn("2")), _mi("f"), brackets[0], direction, brackets[1])

    def vec(self, math: str, *, stretchy: bool) -> str:
        return _row(_mi("vec"), _row(_mo("("), math, _mo(")")) if stretchy else _grouped(math))

    def member(self, name: str, size: str | None) -> str:
        reals = _mi("ℝ")
        return _row(name, _mo("∈"), _sup(reals, size) if size is not None else reals)

    def times(self, rows: str, cols: str) -> str:
        return _row(rows, _mo("×"), cols)

    def product(self, factors: list[str]) -> str:
        return _row(*factors)

    def pair(self, first: str, second: str) -> str:
        return _grouped(_row(first, _mo(","), second))

    def applied(self, matrix: str, vector: str) -> str:
        return _row(matrix, _element("mspace", "", width="0.1667em"), vector)


MATHML = MathmlTypesetting()


def derivation_mathml(derivation: Derivation, head: str = "") -> str:
    """The derivation as HTML with MathML: each part's steps a table of block math (a second
    derivative has two), each sentence a paragraph, and each rule's proof folded in a
    `<details>` under the sentence of the first step that uses it (the rules of unnumbered
    steps at the end), all in one <div>, after `head` (a notebook's <style>). Classes name the
    parts for a stylesheet; nothing is styled inline."""
    numbered = iter([step for step in derivation.steps if step.tag is not None])
    unproved = {rule.name: rule for rule in derivation.rules}
    parts = [head] if head else []
    for part in derivation_parts(derivation, MATHML):
        if not isinstance(part, str):
            parts.append(_steps(part))
            continue
        parts.append(f'<p class="matcalc-sentence">{part}</p>')
        if part.startswith("For ("):  # the numbered steps' sentences, in their order
            rule = unproved.pop(next(numbered).rule, None)
            parts += [] if rule is None else [_proof(rule)]
    parts += [_proof(rule) for rule in unproved.values()]
    return '<div class="matcalc-derivation">\n' + "\n".join(parts) + "\n</div>"


def _steps(lines: Lines) -> str:
    """A table with a row per line: what it is equal to, `=`, the expression, and the tag in
    a cell of its own (MathML Core has no labelled rows)."""
    rows = "".join(
        "<mtr>"
        f"<mtd>{line.head}</mtd><mtd>{_mo('=')}</mtd><mtd>{line.expression}</mtd>"
        f'<mtd class="matcalc-tag">{_tag(line.tag)}</mtd>'
        "</mtr>"
        for line in lines
    )
    return _table(rows, "matcalc-lines matcalc-steps")


def _table(rows: str, classes: str) -> str:
    """Aligned lines as block math, in display style (fractions full size, as in align*)."""
    table = _element("mtable", rows, displaystyle="true", **{"class": classes})
    return _element("math", table, display="block")


def _tag(tag: int | None) -> str:
    return _element("mtext", f"({tag})") if tag is not None else ""


def _proof(rule: Rule) -> str:
    summary = f"<summary>Proof ({escape(rule.name, quote=False)})</summary>"
    return f'<details class="matcalc-proof">{summary}{proof_mathml(rule.proof)}</details>'


def proof_mathml(lines: Sequence[str]) -> str:
    """Aligned LaTeX lines, `left &= right` (a rule's proof), as a table of block math laid
    out as the steps are, each side read by latex2mathml."""
    rows = "".join(
        f"<mtr><mtd>{mathml_of_latex(left)}</mtd><mtd>{_mo('=') if right.startswith('=') else ''}"
        f"</mtd><mtd>{mathml_of_latex(right.removeprefix('='))}</mtd></mtr>"
        for left, right in (line.split("&") for line in lines)
    )
    return _table(rows, "matcalc-lines")


_BOLD = {
    **{ord(c): 0x1D400 + i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZ")},
    **{ord(c): 0x1D41A + i for i, c in enumerate("abcdefghijklmnopqrstuvwxyz")},
    **{ord(c): 0x1D7CE + i for i, c in enumerate("0123456789")},
}
"""Letters and digits as Mathematical Bold ones: `\\mathbf`, which MathML Core writes in the
text."""


@lru_cache(maxsize=2048)  # the rule table's proofs, shown again with every derivation
def mathml_of_latex(tex: str) -> str:
    """Hand-written LaTeX, a side of a proof's line or a second-order rule's statement, as
    MathML elements (no `<math>`), read by latex2mathml; which reads an operator name only of
    letters (`\\operatorname{log\\_softmax}` is set as text), writes characters as
    references, and marks bold with an attribute MathML Core does not know."""
    from xml.etree.ElementTree import tostring

    from latex2mathml.converter import convert_to_element

    if not tex.strip():
        return ""
    tex = re.sub(
        r"\\operatorname\{(\w*\\_[\w\\]*)\}",
        lambda found: "\\text{" + found[1].replace("\\_", "_") + "}",
        tex,
    )
    math = convert_to_element(tex)
    for element in math.iter():  # its text holds character references, as `&#x02211;`
        text = unescape(element.text or "")
        bold = element.attrib.pop("mathvariant", None) == "bold"
        element.text = text.translate(_BOLD) if bold else text
        if element.tag == "mi" and text == "⟹":  # \implies, an arrow between its sides
            element.tag = "mo"
    return "".join(tostring(child, encoding="unicode") for child in math)
