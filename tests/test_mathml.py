"""MathML for the browser page and notebooks: well-formed MathML Core, node by node what the
LaTeX printer writes (read back into LaTeX here), the seed's derivations exactly, and whole
derivations as HTML."""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET
from fractions import Fraction

import pytest
from conftest import assert_gradient_correct, assert_well_formed
from hypothesis import given, settings
from hypothesis import strategies as st
from test_latex_input import KINDS, _extended, _leaves

import matcalc
from matcalc import Derivation, Expr, latex
from matcalc.expr import (
    NODE_KINDS,
    Add,
    CrossEntropy,
    Div,
    FrobSq,
    Func,
    Hadamard,
    HadamardDiv,
    HadamardPow,
    Identity,
    Inverse,
    Kron,
    LayerNorm,
    LogSoftmax,
    LogSumExp,
    MatMul,
    Mean,
    Neg,
    Norm,
    Number,
    Ones,
    Pending,
    Power,
    Softmax,
    Sum,
    Symbol,
    Transpose,
    Vec,
)
from matcalc.functions import FUNCTIONS
from matcalc.operations import OPERATIONS, Operation
from matcalc.printing.html import STYLE
from matcalc.printing.mathml import (
    _from_latex,
    derivation_mathml,
    math,
    mathml,
    mathml_of_latex,
    proof_mathml,
)
from matcalc.rules import statement

CORE = frozenset(
    "math mrow mi mn mo mtext mspace ms mfrac msqrt mroot msub msup msubsup munder mover "
    "munderover mmultiscripts mprescripts none mtable mtr mtd mstyle mpadded mphantom merror "
    "semantics annotation annotation-xml".split()
)
"""The elements of MathML Core, which Chromium renders."""

# MathML read back into LaTeX, as the LaTeX printer writes each form -------------------------

NAMED = frozenset("det exp log sin cos tan arcsin arccos arctan tanh".split())
"""The operator names LaTeX has commands of its own for, \\det; the others are \\operatorname."""

SIGNS = {
    "−": "-",
    "⋅": r"\cdot",
    "⊙": r"\odot",
    "⊘": r"\oslash",
    "⊗": r"\otimes",
    "∘": r"\circ",
    "×": r"\times",
    "‖": r"\Vert",
    "∑": r"\sum",
    "\u2062": " ",  # invisible times: a number before what it multiplies, `2 X`
    "′": "'",
    "∈": r"\in",
    "↦": r"\mapsto",
    "∇": r"\nabla",
}

GREEK_FORMS = {"ϵ": "epsilon", "ε": "varepsilon", "ϑ": "vartheta", "ϕ": "phi", "φ": "varphi"}


def tex(element: ET.Element) -> str:
    """The LaTeX that `element` stands for."""
    kids = list(element)
    text = element.text or ""
    match element.tag:
        case "math" | "mrow":
            last = len(kids) - 1
            return "".join(_in_row(kid, at == 0, at == last) for at, kid in enumerate(kids))
        case "mi":
            return _identifier(text)
        case "mn":
            return r"\mathbf{1}" if text == "𝟏" else text
        case "mo":
            return "".join(SIGNS.get(sign, sign) for sign in text)
        case "mtext":
            return rf"\text{{{text}}}"
        case "mspace":
            return r"\,"
        case "mfrac":
            return rf"\frac{{{tex(kids[0])}}}{{{tex(kids[1])}}}"
        case "msqrt":
            return rf"\sqrt{{{''.join(map(tex, kids))}}}"
        case "msub" | "munder":
            return f"{_base(kids[0])}_{{{tex(kids[1])}}}"
        case "msup":
            return f"{_base(kids[0])}^{{{tex(kids[1])}}}"
        case "msubsup":
            return f"{_base(kids[0])}_{{{tex(kids[1])}}}^{{{tex(kids[2])}}}"
    raise AssertionError(f"no LaTeX for <{element.tag}>")


def _in_row(element: ET.Element, first: bool, last: bool) -> str:
    """An element of a row; a fence that stretches is \\left at the row's start, \\right at
    its end, and nowhere else."""
    fence = element.text in ("(", "|", ")") and element.get("stretchy") != "false"
    if element.tag != "mo" or not fence:
        return tex(element)
    assert first or last, "a fence that stretches inside a row"
    return (r"\left" if first else r"\right") + (element.text or "")


def _base(element: ET.Element) -> str:
    """A script's base, braced where it has a script of its own: `{H_{1}}_{(2)}`."""
    written = tex(element)
    return f"{{{written}}}" if element.tag in ("msub", "msup", "msubsup") else written


def _identifier(text: str) -> str:
    if text == "ℝ":
        return r"\mathbb{R}"
    plain = unicodedata.normalize("NFKC", text)  # Mathematical Italic letters as plain ones
    if plain != text:
        return rf"\mathit{{{plain}}}"
    if len(text) == 1 and "GREEK" in unicodedata.name(text):
        word = GREEK_FORMS.get(text) or unicodedata.name(text).split()[-1].lower()
        capital = "CAPITAL" in unicodedata.name(text)
        return "\\" + (word.capitalize() if capital else word).replace("lamda", "lambda")
    if len(text) == 1:
        return text
    if text in NAMED:
        return "\\" + text
    name = text.replace("_", r"\_").replace("′", "'")
    return rf"\operatorname{{{name}}}"


def normalised(written: str) -> str:
    """LaTeX without spaces, and a script of one character without braces: `X^{T}` is `X^T`."""
    return re.sub(r"([_^])\{([^{}\\])\}", r"\1\2", re.sub(r"\s+", "", written))


def read_back(expr: Expr) -> str:
    return tex(ET.fromstring(math(expr)))


def assert_core(element: ET.Element) -> None:
    """Every element inside each <math> is one of MathML Core's."""
    for found in element.iter("math"):
        assert {inner.tag for inner in found.iter()} <= CORE


# node by node -----------------------------------------------------------------------------

X, Y, A, W1, H1 = Symbol("X"), Symbol("Y"), Symbol("A"), Symbol("W1"), Symbol("H1")
NODES = [
    *KINDS,
    Pending(Symbol("f"), MatMul(X, Symbol("W")), (0,)),
    Pending(FrobSq(X, "F"), H1, (0,), occurrence=2),
    Pending(FrobSq(X, "F"), Symbol("x"), (0,), occurrence=1),
    Number(Fraction(1, 10**300)),
    Number(Fraction(-3, 2 * 10**20)),
    Number(Fraction(1, 3)),
    Number(Fraction(-5, 2)),
    Ones("m·n", 1),
    Transpose(Ones("m", "n")),
    Identity("n"),
    Kron(Identity("n"), MatMul(Transpose(A), A)),
    Kron(Identity("m·n"), Kron(A, X)),
    Vec(MatMul(A, X)),
    Norm(X, "F"),
    Norm(Symbol("x"), "norm2"),
    Norm(Symbol("x"), "1"),
    FrobSq(MatMul(A, X), "F"),
    FrobSq(Symbol("x"), ""),
    Transpose(FrobSq(X, "F")),
    Softmax(X),
    LogSoftmax(MatMul(X, Symbol("W"))),
    LogSumExp(X),
    Mean(X),
    LayerNorm(X),
    CrossEntropy(X, Y),
    Symbol("lambda"),
    Symbol("Sigma"),
    Symbol("λ"),
    Symbol("varphi"),
    Symbol("alpha_1"),
    H1,
    Symbol("W_2"),
    Symbol("x_ab"),
    Symbol("logits"),
    Symbol("αβ"),
    Symbol("e"),
    Transpose(W1),
    HadamardPow(W1, 2),
    Inverse(W1),
    Transpose(Inverse(W1)),
    Power(Symbol("x"), Number(Fraction(1, 2))),
    Func("sigmoid", X),
    Func("g'", X),
    Func("g''", X),
    Func("phi'", X),
    Func("abs", X),
    Func("sqrt", Symbol("x")),
    # where parentheses go
    Hadamard(Sum(X), Y),
    Hadamard(MatMul(Number(Fraction(2)), A), MatMul(A, X)),
    HadamardDiv(X, Add((X, Y))),
    Kron(A, Kron(X, Y)),
    Kron(MatMul(A, X), Sum(Y)),
    MatMul(Y, MatMul(Sum(X), Symbol("y"))),
    MatMul(Add((X, Y)), Neg(X)),
    Add((X, Neg(Neg(Y)), Neg(Add((X, Y))))),
    Neg(Hadamard(X, Y)),
    Power(Sum(X), Number(Fraction(2))),
    Power(Number(Fraction(-2)), Number(Fraction(2))),
    Power(Norm(X, "F"), Number(Fraction(2))),
    Power(Norm(Symbol("x"), "norm2"), Number(Fraction(2))),
    Transpose(Transpose(X)),
    Transpose(MatMul(A, X)),
    Inverse(Transpose(A)),
    Div(Add((X, Y)), Number(Fraction(2))),
]
"""An expression of every node kind, every operation, the forms of names and numbers, and
the places where the printers' parentheses go."""


def test_the_table_has_every_node_kind_and_every_operation() -> None:
    kinds = {type(expr) for expr in NODES}
    assert kinds == set(NODE_KINDS)
    assert {operation.node for operation in OPERATIONS} <= kinds


@pytest.mark.parametrize("expr", NODES, ids=lambda expr: f"{type(expr).__name__}:{expr}")
def test_each_node_reads_back_as_the_latex_printer_writes_it(expr: Expr) -> None:
    found = ET.fromstring(math(expr))
    assert_core(found)
    assert normalised(tex(found)) == normalised(latex(expr))


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.name)
def test_every_operation_has_a_mathml_form(operation: Operation) -> None:
    """An operation added to the table with a notation MathML has no form for fails here."""
    node = operation.build(*[X, Y][: operation.arity])
    assert normalised(read_back(node)) == normalised(latex(node))


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_function_has_a_mathml_form(name: str) -> None:
    expr = Func(name, MatMul(X, Symbol("W")))
    assert normalised(read_back(expr)) == normalised(latex(expr))


@pytest.mark.parametrize("rule", matcalc.RULES, ids=lambda rule: rule.name)
def test_every_rule_statement_reads_back(rule: matcalc.Rule) -> None:
    for expr in statement(rule):
        assert normalised(read_back(expr)) == normalised(latex(expr))


def test_a_notation_with_no_mathml_form_is_refused() -> None:
    with pytest.raises(ValueError, match="no MathML form"):
        _from_latex(r"\mathbb{E}\left({0}\right)", "<mi>X</mi>")


def test_math_is_one_element_in_a_math_element_a_block_on_display() -> None:
    assert math(Symbol("x")) == "<math><mi>x</mi></math>"
    assert math(Symbol("x"), display=True) == '<math display="block"><mi>x</mi></math>'
    assert mathml(Symbol("logits")) == "<mi>𝑙𝑜𝑔𝑖𝑡𝑠</mi>"
    assert mathml(H1) == "<msub><mi>H</mi><mn>1</mn></msub>"
    assert mathml(Number(Fraction(1, 3))) == "<mfrac><mn>1</mn><mn>3</mn></mfrac>"


# random expressions ---------------------------------------------------------------------------


def _more(kids: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    """The node kinds that the LaTeX reader's strategy leaves out, and pending derivatives."""
    names = st.sampled_from(["H1", "x", "X", "W_2"]).map(Symbol)
    return st.one_of(
        _extended(kids),
        st.builds(Kron, kids, kids),
        *(kids.map(kind) for kind in (Vec, Softmax, LogSoftmax, LogSumExp, Mean, LayerNorm)),
        st.builds(CrossEntropy, kids, kids),
        st.builds(Pending, kids, names | kids, st.just((0,)), st.sampled_from([0, 2])),
    )


NUMBERS = [Fraction(1, 10**300), Fraction(1, 3), Fraction(-7, 4), Fraction(25 * 10**15)]
EXPRESSIONS = st.recursive(
    _leaves() | st.sampled_from(NUMBERS).map(Number) | st.just(Symbol("H1")),
    _more,
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(EXPRESSIONS)
def test_random_expressions_are_core_mathml_and_read_back_as_latex(expr: Expr) -> None:
    found = ET.fromstring(math(expr))
    assert_core(found)
    assert normalised(tex(found)) == normalised(latex(expr))


# the seed's derivations, exactly --------------------------------------------------------------

TIMES = "\u2062"  # invisible times, between a number and what it multiplies
DR = "<mrow><mi>D</mi><mo>⋅</mo><mi>R</mi></mrow>"
X_DR = f"<mrow><mi>X</mi><mo>−</mo>{DR}</mrow>"
SQUARED_F = "<msubsup><mo>‖</mo><mi>F</mi><mn>2</mn></msubsup>"
DICTIONARY = f"<mrow><mo>‖</mo>{X_DR}{SQUARED_F}</mrow>"
XW = "<mrow><mi>X</mi><mo>⋅</mo><mi>W</mi></mrow>"
OPEN, CLOSE = '<mo stretchy="false">(</mo>', '<mo stretchy="false">)</mo>'
G_XW = f"<mrow><mi>g</mi><mrow>{OPEN}{XW}{CLOSE}</mrow></mrow>"
G_PRIME_XW = f"<mrow><mrow><mi>g</mi><mo>′</mo></mrow><mrow>{OPEN}{XW}{CLOSE}</mrow></mrow>"
G_XW_Y = f"<mrow>{G_XW}<mo>−</mo><mi>Y</mi></mrow>"
NETWORK = f"<mrow><mo>‖</mo>{G_XW_Y}{SQUARED_F}</mrow>"
RT, DT, XT = (f"<msup><mi>{name}</mi><mi>T</mi></msup>" for name in "RDX")


def d(objective: str, by: str) -> str:
    """The pending derivative d(objective)/d(by), `by` in parentheses unless a name."""
    below = by if by.startswith("<mi>") else f"<mrow>{OPEN}{by}{CLOSE}</mrow>"
    top = f"<mrow><mi>d</mi><mrow>{OPEN}{objective}{CLOSE}</mrow></mrow>"
    return f"<mfrac>{top}<mrow><mi>d</mi>{below}</mrow></mfrac>"


def fenced(inner: str) -> str:
    return f"<mrow><mo>(</mo>{inner}<mo>)</mo></mrow>"


def twice(factor: str) -> str:
    return f"<mrow><mn>2</mn><mo>{TIMES}</mo>{factor}</mrow>"


def hadamard(left: str) -> str:
    """`left ⊙ g'(X W)`."""
    return f"<mrow>{left}<mo>⊙</mo>{G_PRIME_XW}</mrow>"


SEED = [
    pytest.param(
        "||X - D R||_F^2",
        "D",
        f"<mrow><mrow><mo>−</mo><mrow><mrow><mn>2</mn><mo>{TIMES}</mo><mi>X</mi></mrow><mo>⋅</mo>"
        f"{RT}</mrow></mrow><mo>+</mo><mrow><mrow><mrow><mn>2</mn><mo>{TIMES}</mo><mi>D</mi>"
        f"</mrow><mo>⋅</mo><mi>R</mi></mrow><mo>⋅</mo>{RT}</mrow></mrow>",
        [
            (None, d(DICTIONARY, "<mi>D</mi>")),
            (5, f"<mrow>{d(DICTIONARY, DR)}<mo>⋅</mo>{RT}</mrow>"),
            (
                None,
                f"<mrow><mo>−</mo><mrow>{d(DICTIONARY, f'<mrow><mo>−</mo>{DR}</mrow>')}<mo>⋅</mo>"
                f"{RT}</mrow></mrow>",
            ),
            (6, f"<mrow><mo>−</mo><mrow>{d(DICTIONARY, X_DR)}<mo>⋅</mo>{RT}</mrow></mrow>"),
            (
                7,
                f"<mrow><mo>−</mo><mrow><mrow><mn>2</mn><mo>{TIMES}</mo>{fenced(X_DR)}</mrow>"
                f"<mo>⋅</mo>{RT}</mrow></mrow>",
            ),
        ],
        id="dictionary-D",
    ),
    pytest.param(
        "||X - D R||_F^2",
        "R",
        f"<mrow><mrow><mo>−</mo><mrow><mrow><mn>2</mn><mo>{TIMES}</mo>{DT}</mrow><mo>⋅</mo>"
        f"<mi>X</mi></mrow></mrow><mo>+</mo><mrow><mrow><mrow><mn>2</mn><mo>{TIMES}</mo>{DT}"
        "</mrow><mo>⋅</mo><mi>D</mi></mrow><mo>⋅</mo><mi>R</mi></mrow></mrow>",
        [
            (None, d(DICTIONARY, "<mi>R</mi>")),
            (8, f"<mrow>{DT}<mo>⋅</mo>{d(DICTIONARY, DR)}</mrow>"),
            (
                None,
                f"<mrow><mo>−</mo><mrow>{DT}<mo>⋅</mo>"
                f"{d(DICTIONARY, f'<mrow><mo>−</mo>{DR}</mrow>')}</mrow></mrow>",
            ),
            (9, f"<mrow><mo>−</mo><mrow>{DT}<mo>⋅</mo>{d(DICTIONARY, X_DR)}</mrow></mrow>"),
            (
                10,
                f"<mrow><mo>−</mo><mrow>{DT}<mo>⋅</mo>"
                f"{fenced(f'<mrow><mn>2</mn><mo>{TIMES}</mo>{fenced(X_DR)}</mrow>')}</mrow></mrow>",
            ),
        ],
        id="dictionary-R",
    ),
    pytest.param(
        "||g(X W) - Y||_F^2",
        "W",
        f"<mrow>{twice(XT)}<mo>⋅</mo>{fenced(hadamard(fenced(G_XW_Y)))}</mrow>",
        [
            (None, d(NETWORK, "<mi>W</mi>")),
            (1, f"<mrow>{XT}<mo>⋅</mo>{d(NETWORK, XW)}</mrow>"),
            (2, f"<mrow>{XT}<mo>⋅</mo>{fenced(hadamard(d(NETWORK, G_XW)))}</mrow>"),
            (3, f"<mrow>{XT}<mo>⋅</mo>{fenced(hadamard(d(NETWORK, G_XW_Y)))}</mrow>"),
            (4, f"<mrow>{XT}<mo>⋅</mo>{fenced(hadamard(twice(fenced(G_XW_Y))))}</mrow>"),
        ],
        id="neural-network",
    ),
]
"""The seed's three derivations, tagged (1)–(10) in the article's order: the result and the
steps up to the closed form."""


STEP_ROW = re.compile(
    r'<mtr><mtd>(?:.*?)</mtd><mtd><mo>=</mo></mtd><mtd>(.*?)</mtd><mtd class="matcalc-tag">'
    r"(?:<mtext>\((\d+)\)</mtext>)?</mtd></mtr>"
)


def _seed() -> dict[str, Derivation]:
    """The seed's derivations in one session, so that tags run on as in the article."""
    session = matcalc.Session()
    return {
        "W": session.diff("||g(X W) - Y||_F^2", "W"),
        "D": session.diff("||X - D R||_F^2", "D"),
        "R": session.diff("||X - D R||_F^2", "R"),
    }


@pytest.mark.parametrize(("objective", "wrt", "result", "steps"), SEED)
def test_the_seed_derivations_exactly(
    objective: str, wrt: str, result: str, steps: list[tuple[int | None, str]]
) -> None:
    derivation = _seed()[wrt]
    assert derivation.objective == matcalc.parse(objective)
    assert_gradient_correct(derivation)
    assert math(derivation.result) == f"<math>{result}</math>"
    rows = STEP_ROW.findall(derivation_mathml(derivation))
    expected = [*steps, (None, result)]
    assert [(int(tag) if tag else None, row) for row, tag in rows] == expected


# whole derivations as HTML ------------------------------------------------------------------

DERIVATIONS = [
    pytest.param("diff", "||X - D R||_F^2", "D", {}, id="gradient"),
    pytest.param("diff", "sum(log(exp(X W) + 1))", "W", {}, id="named-values"),
    pytest.param("diff", "sum(X * Y) + sum(log(X))", "X", {}, id="notes-and-assumptions"),
    pytest.param("diff", "tr(X)", "X", {"layout": "numerator"}, id="citation-numerator"),
    pytest.param("diff", "A exp(x)", "x", {}, id="jacobian"),
    pytest.param("hessian", "x^T A x", "x", {}, id="hessian"),
    pytest.param("hessian", "lambda^3 + sin(lambda)", "lambda", {}, id="second-derivative"),
    pytest.param("hessian", "||A X B - C||_F^2", "X", {"direction": "V"}, id="hessian-vector"),
    pytest.param(
        "hessian", "||A X - B||_F^2", "X", {"shapes": {"X": ("m", "n")}}, id="hessian-of-vec"
    ),
]


def _made(how: str, objective: str, wrt: str, options: dict[str, object]) -> Derivation:
    """The derivation, checked by numbers."""
    derivation: Derivation = getattr(matcalc, how)(objective, wrt, **options)
    assert_gradient_correct(derivation, positive=True)
    return derivation


@pytest.mark.parametrize(("how", "objective", "wrt", "options"), DERIVATIONS)
def test_derivation_html_is_well_formed_with_a_row_per_step_and_a_proof_per_rule(
    how: str, objective: str, wrt: str, options: dict[str, object]
) -> None:
    derivation = _made(how, objective, wrt, options)
    html = derivation_mathml(derivation)
    assert not re.search(r"\sstyle=|<style|<script|\$", html)  # a page's strict CSP
    root = assert_well_formed(html)
    assert root[0].get("class") == "matcalc-derivation"
    assert_core(root)
    tables = [table for table in root.iter("mtable") if "matcalc-steps" in table.get("class", "")]
    assert len(tables) == (1 if derivation.gradient is None else 2)
    rows = [row for table in tables for row in table]
    lines = len(tables) + len(derivation.steps)  # each part opens with f or f₂ itself
    lines += derivation.kind in ("Hessian", "Hessian of vec")  # and ends in the result's name
    assert len(rows) == lines and all(len(row) == 4 for row in rows)
    assert [_text(row[1]) for row in rows] == ["="] * len(rows)
    assert [row[3].get("class") for row in rows] == ["matcalc-tag"] * len(rows)
    tags = [_text(row[3]) for row in rows if _text(row[3])]
    assert tags == [f"({step.tag})" for step in derivation.steps if step.tag is not None]
    proofs = root[0].findall("details")
    assert [p.get("class") for p in proofs] == ["matcalc-proof"] * len(derivation.rules)
    assert sorted(p.findtext("summary") or "" for p in proofs) == sorted(
        f"Proof ({rule.name})" for rule in derivation.rules
    )
    # each folded under the sentence of the first numbered step that uses it
    parts = list(root[0])
    numbered = {step.rule for step in derivation.steps if step.tag is not None}
    for place, part in enumerate(parts):
        if part.tag != "details":
            continue
        rule = (part.findtext("summary") or "").removeprefix("Proof (").removesuffix(")")
        before = parts[place - 1]
        if rule in numbered:
            first = next(s for s in derivation.steps if s.tag is not None and s.rule == rule)
            assert before.tag == "p" and (before.text or "").startswith(f"For ({first.tag})")
        else:  # the rules of unnumbered steps only, after the sentences
            assert all(later.tag == "details" for later in parts[place:])
    # a notebook's: with the style that aligns the steps, which a page's policy would refuse
    shown = derivation.html()
    assert shown == derivation_mathml(derivation, head=STYLE)
    assert shown == derivation._repr_mimebundle_()["text/html"]
    assert shown.replace(STYLE + "\n", "", 1) == html


@pytest.mark.parametrize(("how", "objective", "wrt", "options"), DERIVATIONS)
def test_the_html_says_what_the_latex_says(
    how: str, objective: str, wrt: str, options: dict[str, object]
) -> None:
    """Part by part: each step's row reads back as the align*'s line, each sentence has the
    LaTeX's words and its inline math reads back as the LaTeX's `$…$`."""
    derivation = _made(how, objective, wrt, options)
    parts = assert_well_formed(derivation_mathml(derivation))[0]
    said = [part for part in parts if part.tag != "details"]
    written = derivation.latex().split("\n\n")
    assert len(said) == len(written)
    for part, latex_part in zip(said, written, strict=True):
        if part.tag == "math":
            assert [_line(row) for row in part.iter("mtr")] == _align_lines(latex_part)
            continue
        assert part.tag == "p" and part.get("class") == "matcalc-sentence"
        words = [part.text or "", *(inner.tail or "" for inner in part)]
        latex_words = re.split(r"\$[^$]*\$", latex_part)
        assert words == latex_words
        maths = [normalised(tex(inner)) for inner in part]
        assert maths == [normalised(m) for m in re.findall(r"\$([^$]*)\$", latex_part)]


def _line(row: ET.Element) -> str:
    head, _, expression, tag = row
    tagged = f"\\tag{{{_text(tag)[1:-1]}}}" if _text(tag) else ""
    return normalised(f"{tex(head[0]) if len(head) else ''}&={tex(expression[0])}{tagged}")


def _align_lines(block: str) -> list[str]:
    inner = block.removeprefix("\\begin{align*}\n").removesuffix("\n\\end{align*}")
    return [normalised(line) for line in inner.split(" \\\\\n")]


def _text(element: ET.Element) -> str:
    return "".join(element.itertext())


# proofs -------------------------------------------------------------------------------------


@pytest.mark.parametrize("rule", matcalc.RULES, ids=lambda rule: rule.name)
def test_every_proof_converts_to_well_formed_core_mathml(rule: matcalc.Rule) -> None:
    found = assert_well_formed(proof_mathml(rule.proof))
    assert_core(found)
    rows = found.findall(".//mtr")
    assert len(rows) == len(rule.proof) and all(len(row) == 3 for row in rows)
    assert [_text(row[1]) for row in rows] == ["="] * len(rows)  # every line is `… &= …`
    _assert_converted(found)


@pytest.mark.parametrize("rule", matcalc.SECOND_ORDER, ids=lambda rule: rule.name)
def test_every_second_order_statement_converts(rule: matcalc.SecondOrderRule) -> None:
    found = assert_well_formed(f"<math>{mathml_of_latex(rule.latex)}</math>")
    assert_core(found)
    assert "=" in _text(found)
    _assert_converted(found)


def _assert_converted(found: ET.Element) -> None:
    """No LaTeX command or character reference is left as text, and no bold is an attribute
    (MathML Core has only mathvariant="normal")."""
    for element in found.iter():
        assert "\\" not in (element.text or "") and "&#" not in (element.text or "")
        assert element.get("mathvariant") in (None, "normal")


def test_operator_names_with_underscores_and_bold_ones_read_as_core_mathml() -> None:
    assert mathml_of_latex(r"\operatorname{log\_softmax}(X)").startswith(
        "<mrow><mtext>log_softmax</mtext>"
    )
    assert mathml_of_latex(r"\mathbf{1}").startswith("<mrow><mrow><mn>𝟏</mn>")
    assert mathml_of_latex(r"A \implies B") == "<mrow><mi>A</mi><mo>⟹</mo><mi>B</mi></mrow>"
    assert mathml_of_latex("") == ""
