"""A derivation in LaTeX: an align* with a tag per step and the seed's sentences; for a second
derivative, the gradient's align*, the sentence on what is differentiated again, and the second
part's; the shapes, the layout, the proofs, a whole document."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from matcalc.expr import (
    Dim,
    Expr,
    Kron,
    MatMul,
    Symbol,
    Transpose,
    Vec,
)
from matcalc.operations import PRODUCT_SIGN
from matcalc.printing.latex import latex
from matcalc.printing.text import second_order_head, text
from matcalc.rules.second_order import KRONECKER_FORM
from matcalc.shapes import SCALAR

if TYPE_CHECKING:
    from matcalc.derivation import Derivation, Step
    from matcalc.rules import Rule
    from matcalc.sharing import Binding


def step_justification(step: Step) -> str:
    """The step's sentence with the function G: H ↦ G(H) in inline math."""
    return step.sentence(latex, r"${}: {}\mapsto {}$")


def proof_latex(rule: Rule) -> str:
    """The rule's proof in index notation, as an align*."""
    return "\\begin{align*}\n" + " \\\\\n".join(rule.proof) + "\n\\end{align*}"


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
    wrt = latex(derivation.wrt)
    first = [step for step in derivation.steps if step.order == 1]
    opening = rf"\frac{{df}}{{d{wrt}}} &= \frac{{d({latex(derivation.objective)})}}{{d{wrt}}}"
    parts = [_align([opening, *_step_lines(derivation, first)])]
    if derivation.gradient is not None:
        parts += _second_part(derivation)
    notes = [f"Shapes: {shapes_latex(derivation)}."]
    notes += [f"Note: {note.sentence(_inline)}." for note in derivation.notes]
    if derivation.where:
        named = ", ".join(f"${binding_latex(b)}$" for b in derivation.where)
        notes.append(f"Here {named}.")
    notes += [
        f"For ({step.tag}) {step_justification(step)}."
        for step in derivation.steps
        if step.tag is not None
    ]
    notes += [
        f"{KRONECKER_FORM.name.capitalize()}: "
        f"{_kronecker_sentence(derivation, step.justification)}."
        for step in derivation.steps
        if step.rule == KRONECKER_FORM.name
    ]
    notes += [f"Note: {assumption.sentence(_inline)}." for assumption in derivation.assumptions]
    if derivation.citation:
        notes.append(f"The result is {derivation.citation}.")
    notes.append(f"Layout: {_layout(derivation)}.")
    if proofs:
        notes += [f"Proof ({rule.name}).\n{proof_latex(rule)}" for rule in derivation.rules]
    return "\n\n".join([*parts, *notes])


def _align(lines: list[str]) -> str:
    return "\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}"


def _step_lines(derivation: Derivation, steps: list[Step]) -> list[str]:
    """A line per step, `&= …`, with the derivative a block works out written before its first
    line (of f₂ in the second part), and `vec(∇²f[V])` before the Kronecker form."""
    lines, block = [], derivation.wrt
    for step in steps:
        f = "f_2" if step.order == 2 else "f"
        tag = rf" \tag{{{step.tag}}}" if step.tag is not None else ""
        head = ""
        if step.rule == KRONECKER_FORM.name:
            head = rf"\operatorname{{vec}}\left({_hvp(derivation)}\right) "
        elif (step.block or derivation.wrt) != block:
            block = step.block or derivation.wrt
            head = rf"\frac{{d{f}}}{{d{latex(block)}}} "
        lines.append(f"{head}&= {latex(step.expression)}{tag}")
    return lines


def _second_part(derivation: Derivation) -> list[str]:
    """The text printer's sentence on what the second part differentiates, in LaTeX, then the
    second part's align*, ending in the result where its name differs from the head's."""
    said, _, says, _ = second_order_head(derivation, _inline)
    sentence = _math_in(f"{said}; {says}".rstrip(":") + ":", _second_order_names(derivation))
    wrt = latex(derivation.wrt)
    assert derivation.second_objective is not None
    inner = latex(derivation.second_objective)
    lines = [rf"{_second_head(derivation)} &= \frac{{d({inner})}}{{d{wrt}}}"]
    lines += _step_lines(derivation, [step for step in derivation.steps if step.order == 2])
    if derivation.kind in ("Hessian", "Hessian of vec"):
        lines.append(f"{result_name_latex(derivation)} &= {latex(derivation.result)}")
    return [sentence, _align(lines)]


def _second_head(derivation: Derivation) -> str:
    """What the second part's steps are equal to, as the text printer's head says."""
    if derivation.kind == "Hessian":
        return rf"\frac{{df_2}}{{d{latex(derivation.wrt)}}}"
    if derivation.kind == "second derivative":
        return result_name_latex(derivation)
    return _hvp(derivation)


def _hvp(derivation: Derivation) -> str:
    assert derivation.direction is not None
    return rf"\nabla^2 f[{latex(derivation.direction)}]"


def result_name_latex(derivation: Derivation) -> str:
    """The result's name, as `Derivation.result_name` in LaTeX: `\\frac{df}{dX}`,
    `\\frac{d^2 f}{dx^2}`, `\\nabla^2 f[V]`, `\\frac{d^2 f}{d\\operatorname{vec}(X)^2}`."""
    name = latex(derivation.wrt)
    match derivation.kind:
        case "gradient":
            return rf"\frac{{df}}{{d{name}}}"
        case "Jacobian":
            assert derivation.jacobian_of is not None
            return rf"\frac{{d({latex(derivation.jacobian_of)})}}{{d{name}}}"
        case "Hessian-vector product":
            return _hvp(derivation)
        case "Hessian of vec":
            return rf"\frac{{d^2 f}}{{d\operatorname{{vec}}({name})^2}}"
    return rf"\frac{{d^2 f}}{{d{name}^2}}"


def _second_order_names(derivation: Derivation) -> dict[str, str]:
    """The text printer's notation in its second-order sentences, each with its LaTeX."""
    name, wrt = derivation.wrt.name, latex(derivation.wrt)
    names = {
        f"df/d{name}": rf"\frac{{df}}{{d{wrt}}}",
        f"d(f₂)/d{name}": rf"\frac{{df_2}}{{d{wrt}}}",
        "df/dH": r"\frac{df}{dH}",
        "d(f₂)/dH": r"\frac{df_2}{dH}",
        "f₂": "f_2",
        name: wrt,
    }
    for symbol in (derivation.direction, derivation.cotangent):
        if symbol is not None:
            names[symbol.name] = latex(symbol)
    if derivation.direction is not None:
        names[f"∇²f[{derivation.direction.name}]"] = _hvp(derivation)
    return names


def _kronecker_sentence(derivation: Derivation, justification: str) -> str:
    """The Kronecker step's justification with its formulas in LaTeX: the identity
    vec(A V B) = (B^T ⊗ A) vec(V), then vec(V) and vec(X)."""
    a, v, b = Symbol("A"), Symbol("V"), Symbol("B")
    left, right = Vec(MatMul(MatMul(a, v), b)), MatMul(Kron(Transpose(b), a), Vec(v))
    identity = {f"{text(left)} = {text(right)}": f"{latex(left)} = {latex(right)}"}
    said = _math_in(justification, identity)
    names = {text(Vec(x)): latex(Vec(x)) for x in (v, derivation.wrt)}
    return _math_in(said, names | {x.name: latex(x) for x in (v, derivation.wrt)})


def _math_in(sentence: str, forms: dict[str, str]) -> str:
    """`sentence` with each text form in `forms` (a whole word, the longest first) set as its
    LaTeX in `$…$`, outside the math already there; `$a$ = $b$` becomes `$a = b$`."""
    words = sorted(forms, key=len, reverse=True)
    pattern = re.compile("|".join(rf"(?<!\w){re.escape(word)}(?!\w)" for word in words))
    pieces = re.split(r"(\$[^$]*\$)", sentence)
    set_ = [
        piece if piece.startswith("$") else pattern.sub(lambda m: f"${forms[m[0]]}$", piece)
        for piece in pieces
    ]
    return "".join(set_).replace("$ = $", " = ")


def shapes_latex(derivation: Derivation) -> str:
    """`$X \\in \\mathbb{R}^{m\\times n}$, …`: each symbol's shape, as a paper declares it."""
    parts = []
    for name, (rows, cols), declared in derivation.symbol_shapes:
        space = "" if (rows, cols) == SCALAR else rf"^{{{_dim(rows)}\times {_dim(cols)}}}"
        said = "".join(f" {words}" for words in declared)
        parts.append(rf"${latex(Symbol(name))} \in \mathbb{{R}}{space}$" + said)
    return ", ".join(parts)


def _dim(dim: Dim) -> str:
    return latex(Symbol(dim)) if isinstance(dim, str) else str(dim)


def _layout(derivation: Derivation) -> str:
    if derivation.gradient is not None:
        return _second_order_layout(derivation)
    name, (rows, cols) = latex(derivation.wrt), derivation.shape
    size = rf"${rows}\times {cols}$"
    if derivation.jacobian_of is not None:
        per = "a row" if derivation.layout == "numerator" else "a column"
        y = latex(derivation.jacobian_of)
        return rf"{derivation.layout}, $\frac{{d({y})}}{{d{name}}}$ is {size}, {per} per entry"
    if derivation.layout == "numerator":
        return rf"numerator, $\frac{{df}}{{d{name}}}$ is {size}, the transpose of ${name}$'s shape"
    return rf"denominator, $\frac{{df}}{{d{name}}}$ has the shape of ${name}$, {size}"


def _second_order_layout(derivation: Derivation) -> str:
    """What a second derivative is, as `Derivation.layout_sentence` says."""
    name, result = latex(derivation.wrt), f"${result_name_latex(derivation)}$"
    size = r"${}\times {}$".format(*map(_size, derivation.shape))
    match derivation.kind:
        case "second derivative":
            return f"{result} is the second derivative, a scalar"
        case "Hessian":
            return (
                f"{result} is the Hessian, {size}: entry $(i, j)$ is the second partial "
                f"derivative by ${_indexed(name, 'i')}$ and ${_indexed(name, 'j')}$"
            )
        case "Hessian of vec":
            hvp = rf"$\operatorname{{vec}}\left({_hvp(derivation)}\right)$"
            vec_x = rf"$\operatorname{{vec}}({name})$"
            vec_v = rf"\operatorname{{vec}}({latex(derivation.direction or Symbol('V'))})"
            return (
                f"{result} is the Hessian of {vec_x}, {size}, where vec stacks the columns of "
                f"${name}$ (column-major): {hvp} is ${result_name_latex(derivation)}\\,{vec_v}$"
            )
    v = latex(derivation.direction or Symbol("V"))
    shape = (
        "its transpose (numerator layout)"
        if derivation.layout == "numerator"
        else f"${name}$'s shape"
    )
    return (
        f"{result} is the Hessian applied to ${v}$, the derivative of "
        rf"$\frac{{df}}{{d{name}}}$ in the direction ${v}$; it has {shape}, {size}"
    )


def _indexed(name: str, index: str) -> str:
    """`x_i`, and `{x_{1}}_i` for a name with an index of its own (no double subscript)."""
    return f"{{{name}}}_{index}" if "_" in name else f"{name}_{index}"


def _size(dim: Dim) -> str:
    """A dimension, a product `m·n` written `m n`."""
    if isinstance(dim, int):
        return str(dim)
    return " ".join(_dim(int(f) if f.isdigit() else f) for f in dim.split(PRODUCT_SIGN))


def _inline(expr: Expr) -> str:
    return f"${latex(expr)}$"


def binding_latex(binding: Binding) -> str:
    """`H_1 = \\tanh(X\\cdot W_1)`, or for a derivative kept whole `G_1 = \\frac{df}{dH_1} = …`."""
    of = binding.derivative_of
    derivative = rf"\frac{{df}}{{d{latex(of)}}} = " if of is not None else ""
    return f"{latex(binding.name)} = {derivative}{latex(binding.value)}"
