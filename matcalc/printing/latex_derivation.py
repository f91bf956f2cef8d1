"""A derivation in LaTeX: an align* with a tag per step and the seed's sentences; for a second
derivative, the gradient's align*, the sentence on what is differentiated again, and the second
part's; the shapes, the layout, the proofs, a whole document. The steps and the sentences are
laid out once, for any `Typesetting`: LaTeX here, MathML in printing/mathml.py."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol, TypeVar

from matcalc.expr import (
    Dim,
    Expr,
    Kron,
    MatMul,
    Symbol,
    Transpose,
    Vec,
)
from matcalc.notes import Note
from matcalc.operations import factors
from matcalc.printing.latex import latex
from matcalc.printing.text import second_order_head, text
from matcalc.rules import Assumption
from matcalc.rules.second_order import KRONECKER_FORM
from matcalc.shapes import SCALAR

if TYPE_CHECKING:
    from matcalc.derivation import Derivation, Step
    from matcalc.rules import Rule
    from matcalc.sharing import Binding


class Typesetting(Protocol):
    """A notation to set a derivation in: an expression and each formula of the derivation's own
    as math, and the words and the inline math (between `opening` and `closing`) of a sentence."""

    opening: str
    closing: str
    equals: str
    """An equals sign between two sides, in math."""
    mapsto: str
    """`G: H ↦ G(H)` in math, with `{}` for G, H and G(H), as `Step.sentence` fills it in."""

    def expr(self, expr: Expr) -> str:
        """An expression, as its printer writes it."""

    def words(self, words: str) -> str:
        """Words of a sentence, outside its math."""

    def plain(self, written: str) -> str:
        """A name or a number, set as it is written: `f`, `i`, a size."""

    def derivative(self, of: str, by: str) -> str:
        """`df/dX`, `of` and `by` written after the d's as they are (`f`, `(X W)`)."""

    def second_derivative(self, by: str) -> str:
        """`d²f/dx²`."""

    def grouped(self, math: str) -> str:
        """In parentheses that do not stretch, as after the d of `d(X W)`."""

    def indexed(self, base: str, index: str) -> str:
        """`x_i`."""

    def hessian_times(self, direction: str) -> str:
        """`∇²f[V]`."""

    def vec(self, math: str, *, stretchy: bool) -> str:
        """`vec(X)`, its parentheses as tall as what they hold where `stretchy`."""

    def member(self, name: str, size: str | None) -> str:
        """`X ∈ ℝ^{size}`, or `X ∈ ℝ` without a size."""

    def times(self, rows: str, cols: str) -> str:
        """A shape, `m×n`."""

    def product(self, factors: list[str]) -> str:
        """A size that is a product, `m n`."""

    def pair(self, first: str, second: str) -> str:
        """`(i, j)`."""

    def applied(self, matrix: str, vector: str) -> str:
        """A matrix before the vector it multiplies, a thin space apart."""


class LatexTypesetting:
    """LaTeX, with inline math in `$…$`."""

    opening = closing = "$"
    equals = " = "
    mapsto = r"{}: {}\mapsto {}"

    def expr(self, expr: Expr) -> str:
        return latex(expr)

    def words(self, words: str) -> str:
        return words

    def plain(self, written: str) -> str:
        return written

    def derivative(self, of: str, by: str) -> str:
        return rf"\frac{{d{of}}}{{d{by}}}"

    def second_derivative(self, by: str) -> str:
        return rf"\frac{{d^2 f}}{{d{by}^2}}"

    def grouped(self, math: str) -> str:
        return f"({math})"

    def indexed(self, base: str, index: str) -> str:
        """`x_i`, and `{x_{1}}_i` for a name with an index of its own (no double subscript)."""
        return f"{{{base}}}_{index}" if "_" in base else f"{base}_{index}"

    def hessian_times(self, direction: str) -> str:
        return rf"\nabla^2 f[{direction}]"

    def vec(self, math: str, *, stretchy: bool) -> str:
        return (
            rf"\operatorname{{vec}}\left({math}\right)"
            if stretchy
            else rf"\operatorname{{vec}}({math})"
        )

    def member(self, name: str, size: str | None) -> str:
        return rf"{name} \in \mathbb{{R}}" + (f"^{{{size}}}" if size is not None else "")

    def times(self, rows: str, cols: str) -> str:
        return rf"{rows}\times {cols}"

    def product(self, factors: list[str]) -> str:
        return " ".join(factors)

    def pair(self, first: str, second: str) -> str:
        return f"({first}, {second})"

    def applied(self, matrix: str, vector: str) -> str:
        return rf"{matrix}\,{vector}"


LATEX = LatexTypesetting()


@dataclass(frozen=True, slots=True)
class Line:
    """A line of aligned steps: what it is equal to (empty where the line before goes on), the
    expression, and the step's tag."""

    head: str
    expression: str
    tag: int | None = None


Lines = tuple[Line, ...]
"""Aligned steps, as an align* sets them."""


def _inline(t: Typesetting, math: str) -> str:
    """`math` set in a sentence."""
    return f"{t.opening}{math}{t.closing}"


def proof_latex(rule: Rule) -> str:
    """The rule's proof in index notation, as an align*."""
    return _align(list(rule.proof))


def document(body: str) -> str:
    """`body` as a complete LaTeX document."""
    return "\n".join(
        [
            r"\documentclass{article}",
            r"\usepackage{amsmath,amssymb}",
            r"\begin{document}",
            body,
            r"\end{document}",
        ]
    )


def derivation_latex(derivation: Derivation, *, proofs: bool = False) -> str:
    """An `align*` with a `\\tag` per numbered step, then the seed's "For (n) we've used …",
    and with `proofs` the proof of each rule used. A second derivative has two: the gradient's
    steps, then, after the sentence saying what is differentiated again, the second part's."""
    parts = [
        part if isinstance(part, str) else _align([_aligned(line) for line in part])
        for part in derivation_parts(derivation, LATEX)
    ]
    if proofs:
        parts += [f"Proof ({rule.name}).\n{proof_latex(rule)}" for rule in derivation.rules]
    return "\n\n".join(parts)


def derivation_parts(derivation: Derivation, t: Typesetting) -> list[Lines | str]:
    """The derivation set in `t`: its aligned steps (a second derivative's two, with the sentence
    on what is differentiated again between them), then its sentences."""
    wrt = t.expr(derivation.wrt)
    first = [step for step in derivation.steps if step.order == 1]
    objective = t.derivative(t.grouped(t.expr(derivation.objective)), wrt)
    opening = Line(t.derivative(t.plain("f"), wrt), objective)
    parts: list[Lines | str] = [(opening, *_step_lines(derivation, first, t))]
    if derivation.gradient is not None:
        parts += _second_part(derivation, t)
    return parts + _sentences(derivation, t)


def _aligned(line: Line) -> str:
    tag = rf" \tag{{{line.tag}}}" if line.tag is not None else ""
    head = f"{line.head} " if line.head else ""
    return f"{head}&= {line.expression}{tag}"


def _align(lines: list[str]) -> str:
    return "\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}"


def _sentences(derivation: Derivation, t: Typesetting) -> list[str]:
    """The shapes, the notes, the named values, what each numbered step used, the Kronecker
    form, the assumptions, the identity the result is, and the layout."""

    def show(expr: Expr) -> str:
        return _inline(t, t.expr(expr))

    notes = [f"Shapes: {_shapes(derivation, t)}."]
    notes += [f"Note: {_worded(note, t).sentence(show)}." for note in derivation.notes]
    if derivation.where:
        named = ", ".join(_inline(t, _binding(binding, t)) for binding in derivation.where)
        notes.append(f"Here {named}.")
    form = _inline(t, t.mapsto)
    notes += [
        f"For ({step.tag}) {_worded(step, t).sentence(t.expr, form)}."
        for step in derivation.steps
        if step.tag is not None
    ]
    notes += [
        f"{KRONECKER_FORM.name.capitalize()}: "
        f"{_kronecker_sentence(derivation, step.justification, t)}."
        for step in derivation.steps
        if step.rule == KRONECKER_FORM.name
    ]
    notes += [
        f"Note: {_worded(assumption, t).sentence(show)}." for assumption in derivation.assumptions
    ]
    if derivation.citation:
        notes.append(f"The result is {t.words(derivation.citation)}.")
    notes.append(f"Layout: {_layout(derivation, t)}.")
    return notes


_Worded = TypeVar("_Worded", Note, Assumption, "Step")


def _worded(said: _Worded, t: Typesetting) -> _Worded:
    """`said` with its wording's words set in `t`, before the math goes in."""
    return replace(said, wording=t.words(said.wording))


def _step_lines(derivation: Derivation, steps: list[Step], t: Typesetting) -> list[Line]:
    """A line per step, with the derivative a block works out written before its first line
    (of f₂ in the second part), and `vec(∇²f[V])` before the Kronecker form."""
    lines, block = [], derivation.wrt
    for step in steps:
        f = t.indexed(t.plain("f"), t.plain("2")) if step.order == 2 else t.plain("f")
        head = ""
        if step.rule == KRONECKER_FORM.name:
            head = t.vec(_hvp(derivation, t), stretchy=True)
        elif (step.block or derivation.wrt) != block:
            block = step.block or derivation.wrt
            head = t.derivative(f, t.expr(block))
        lines.append(Line(head, t.expr(step.expression), step.tag))
    return lines


def _second_part(derivation: Derivation, t: Typesetting) -> list[Lines | str]:
    """The text printer's sentence on what the second part differentiates, set in `t`, then the
    second part's lines, ending in the result where its name differs from the head's."""
    said, _, says, _ = second_order_head(derivation, lambda expr: _inline(t, t.expr(expr)))
    sentence = _math_in(f"{said}; {says}".rstrip(":") + ":", _second_order_names(derivation, t), t)
    wrt = t.expr(derivation.wrt)
    assert derivation.second_objective is not None
    inner = t.expr(derivation.second_objective)
    lines = [Line(_second_head(derivation, t), t.derivative(t.grouped(inner), wrt))]
    lines += _step_lines(derivation, [step for step in derivation.steps if step.order == 2], t)
    if derivation.kind in ("Hessian", "Hessian of vec"):
        lines.append(Line(result_name(derivation, t), t.expr(derivation.result)))
    return [sentence, tuple(lines)]


def _second_head(derivation: Derivation, t: Typesetting) -> str:
    """What the second part's steps are equal to, as the text printer's head says."""
    if derivation.kind == "Hessian":
        return t.derivative(t.indexed(t.plain("f"), t.plain("2")), t.expr(derivation.wrt))
    if derivation.kind == "second derivative":
        return result_name(derivation, t)
    return _hvp(derivation, t)


def _hvp(derivation: Derivation, t: Typesetting) -> str:
    assert derivation.direction is not None
    return t.hessian_times(t.expr(derivation.direction))


def result_name_latex(derivation: Derivation) -> str:
    """The result's name, as `Derivation.result_name` in LaTeX: `\\frac{df}{dX}`,
    `\\frac{d^2 f}{dx^2}`, `\\nabla^2 f[V]`, `\\frac{d^2 f}{d\\operatorname{vec}(X)^2}`."""
    return result_name(derivation, LATEX)


def result_name(derivation: Derivation, t: Typesetting) -> str:
    """The result's name, as `Derivation.result_name`, set in `t`."""
    name = t.expr(derivation.wrt)
    match derivation.kind:
        case "gradient":
            return t.derivative(t.plain("f"), name)
        case "Jacobian":
            assert derivation.jacobian_of is not None
            return t.derivative(t.grouped(t.expr(derivation.jacobian_of)), name)
        case "Hessian-vector product":
            return _hvp(derivation, t)
        case "Hessian of vec":
            return t.second_derivative(t.vec(name, stretchy=False))
    return t.second_derivative(name)


def _second_order_names(derivation: Derivation, t: Typesetting) -> dict[str, str]:
    """The text printer's notation in its second-order sentences, each set in `t`."""
    name, wrt = derivation.wrt.name, t.expr(derivation.wrt)
    f, f2, h = t.plain("f"), t.indexed(t.plain("f"), t.plain("2")), t.plain("H")
    names = {
        f"df/d{name}": t.derivative(f, wrt),
        f"d(f₂)/d{name}": t.derivative(f2, wrt),
        "df/dH": t.derivative(f, h),
        "d(f₂)/dH": t.derivative(f2, h),
        "f₂": f2,
        name: wrt,
    }
    for symbol in (derivation.direction, derivation.cotangent):
        if symbol is not None:
            names[symbol.name] = t.expr(symbol)
    if derivation.direction is not None:
        names[f"∇²f[{derivation.direction.name}]"] = _hvp(derivation, t)
    return names


def _kronecker_sentence(derivation: Derivation, justification: str, t: Typesetting) -> str:
    """The Kronecker step's justification with its formulas set in `t`: the identity
    vec(A V B) = (B^T ⊗ A) vec(V), then vec(V) and vec(X)."""
    a, v, b = Symbol("A"), Symbol("V"), Symbol("B")
    left, right = Vec(MatMul(MatMul(a, v), b)), MatMul(Kron(Transpose(b), a), Vec(v))
    identity = {f"{text(left)} = {text(right)}": t.equals.join([t.expr(left), t.expr(right)])}
    names = {text(Vec(x)): t.expr(Vec(x)) for x in (v, derivation.wrt)}
    return _math_in(
        justification, identity | names | {x.name: t.expr(x) for x in (v, derivation.wrt)}, t
    )


def _math_in(sentence: str, forms: dict[str, str], t: Typesetting) -> str:
    """`sentence` with each text form in `forms` (a whole word, the longest first) set as its
    math and the rest as words, outside the math already there; `$a$ = $b$` becomes `$a = b$`."""
    words = sorted(forms, key=len, reverse=True)
    pattern = re.compile("(" + "|".join(rf"(?<!\w){re.escape(word)}(?!\w)" for word in words) + ")")
    math = re.compile(f"({re.escape(t.opening)}.*?{re.escape(t.closing)})")
    set_ = []
    for index, piece in enumerate(math.split(sentence)):  # odd pieces: the math already set
        if index % 2:
            set_.append(piece)
            continue
        for found, part in enumerate(pattern.split(piece)):  # odd parts: a text form
            set_.append(_inline(t, forms[part]) if found % 2 else t.words(part))
    return "".join(set_).replace(f"{t.closing} = {t.opening}", t.equals)


def _shapes(derivation: Derivation, t: Typesetting) -> str:
    """`$X \\in \\mathbb{R}^{m\\times n}$, …`: each symbol's shape, as a paper declares it."""
    parts = []
    for name, (rows, cols), declared in derivation.symbol_shapes:
        size = None if (rows, cols) == SCALAR else t.times(_dim(rows, t), _dim(cols, t))
        said = "".join(f" {t.words(words)}" for words in declared)
        parts.append(_inline(t, t.member(t.expr(Symbol(name)), size)) + said)
    return ", ".join(parts)


def _dim(dim: Dim, t: Typesetting) -> str:
    return t.expr(Symbol(dim)) if isinstance(dim, str) else t.plain(str(dim))


def _layout(derivation: Derivation, t: Typesetting) -> str:
    if derivation.gradient is not None:
        return _second_order_layout(derivation, t)
    name, (rows, cols) = t.expr(derivation.wrt), derivation.shape
    size = _inline(t, t.times(t.plain(str(rows)), t.plain(str(cols))))
    if derivation.jacobian_of is not None:
        per = "a row" if derivation.layout == "numerator" else "a column"
        named = _inline(t, result_name(derivation, t))
        return f"{derivation.layout}, {named} is {size}, {per} per entry"
    gradient = _inline(t, t.derivative(t.plain("f"), name))
    if derivation.layout == "numerator":
        return f"numerator, {gradient} is {size}, the transpose of {_inline(t, name)}'s shape"
    return f"denominator, {gradient} has the shape of {_inline(t, name)}, {size}"


def _second_order_layout(derivation: Derivation, t: Typesetting) -> str:
    """What a second derivative is, as `Derivation.layout_sentence` says."""
    name, result = t.expr(derivation.wrt), _inline(t, result_name(derivation, t))
    size = _inline(t, t.times(*(_size(dim, t) for dim in derivation.shape)))
    match derivation.kind:
        case "second derivative":
            return f"{result} is the second derivative, a scalar"
        case "Hessian":
            i, j = t.plain("i"), t.plain("j")
            return (
                f"{result} is the Hessian, {size}: entry {_inline(t, t.pair(i, j))} is the second "
                f"partial derivative by {_inline(t, t.indexed(name, i))} and "
                f"{_inline(t, t.indexed(name, j))}"
            )
        case "Hessian of vec":
            hvp = _inline(t, t.vec(_hvp(derivation, t), stretchy=True))
            vec_x = _inline(t, t.vec(name, stretchy=False))
            direction = t.expr(derivation.direction or Symbol("V"))
            vec_v = t.vec(direction, stretchy=False)
            return (
                f"{result} is the Hessian of {vec_x}, {size}, where vec stacks the columns of "
                f"{_inline(t, name)} (column-major): {hvp} is "
                f"{_inline(t, t.applied(result_name(derivation, t), vec_v))}"
            )
    v = _inline(t, t.expr(derivation.direction or Symbol("V")))
    shape = (
        "its transpose (numerator layout)"
        if derivation.layout == "numerator"
        else f"{_inline(t, name)}'s shape"
    )
    gradient = _inline(t, t.derivative(t.plain("f"), name))
    return (
        f"{result} is the Hessian applied to {v}, the derivative of {gradient} in the direction "
        f"{v}; it has {shape}, {size}"
    )


def _size(dim: Dim, t: Typesetting) -> str:
    """A dimension, a product `m·n` written `m n`."""
    if isinstance(dim, int):
        return t.plain(str(dim))
    return t.product([_dim(factor, t) for factor in factors(dim)])


def _binding(binding: Binding, t: Typesetting) -> str:
    """`H_1 = \\tanh(X\\cdot W_1)`, or for a derivative kept whole `G_1 = \\frac{df}{dH_1} = …`."""
    of = binding.derivative_of
    sides = [t.expr(binding.name)]
    if of is not None:
        sides.append(t.derivative(t.plain("f"), t.expr(of)))
    return t.equals.join([*sides, t.expr(binding.value)])
