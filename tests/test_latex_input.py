"""LaTeX input: matcalc's own LaTeX reads back to the expression it was printed from, the
forms papers use read as the plain notation does, and every mistake is a MatcalcError that
points at its column."""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

import pytest
from conftest import TOLERANCE
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from objectives import Objective, objectives

import matcalc
from matcalc import ErrorKind, MatcalcError, parse
from matcalc.declarations import GREEK
from matcalc.derive import inferred
from matcalc.expr import (
    NODE_KINDS,
    Add,
    CrossEntropy,
    Det,
    Diag,
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
    LayerNorm,
    LogDet,
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
    SumCols,
    SumRows,
    Symbol,
    Trace,
    Transpose,
    Vec,
)
from matcalc.hints import ALIASES, CHARACTERS
from matcalc.latex_input import looks_like_latex, parse_latex, parse_latex_located
from matcalc.latex_tokens import GREEK_LETTERS, KNOWN_COMMANDS
from matcalc.limits import MAX_DEPTH, MAX_TOKENS
from matcalc.printing.latex import latex
from matcalc.shapes import fill_sizes, infer
from matcalc.traversal import preorder, replace_nodes


def _row(
    name: str,
    written: str,
    plain: str,
    wrt: str,
    result: str,
    *,
    shapes: dict[str, Any] | None = None,
    positive: bool = False,
) -> Any:
    return pytest.param(written, plain, wrt, result, shapes, positive, id=name)


PAPERS = [
    _row(
        "network", r"\|g(XW) - Y\|_F^2", "||g(X W) - Y||_F^2", "W", "2 X^T ((g(X W) - Y) ⊙ g'(X W))"
    ),
    _row(
        "dictionary-left-right",
        r"\left\| X - DR \right\|_F^2",
        "||X - D R||_F^2",
        "D",
        "-2 X R^T + 2 D R R^T",
    ),
    _row("trace-quadratic", r"\operatorname{tr}(X^\top A X)", "tr(X^T A X)", "X", "A X + A^T X"),
    _row("mathrm-tr", r"\mathrm{tr}(A X B)", "tr(A X B)", "X", "A^T B^T"),
    _row("text-tr-mathsf", r"\text{tr}(X^{\mathsf T} X)", "tr(X^T X)", "X", "2 X"),
    _row("rm-tr-rm-T", r"{\rm tr}(X^{\rm T} A X)", "tr(X^T A X)", "X", "A X + A^T X"),
    _row("Tr-big", r"\mathrm{Tr}\big( A X \big)", "tr(A X)", "X", "A^T"),
    _row(
        "least-squares-half",
        r"\frac{1}{2}\|\mathbf{A}\mathbf{x} - \mathbf{b}\|_2^2",
        "1/2 ||A x - b||_2^2",
        "x",
        "A^T A x - A^T b",
    ),
    _row(
        "tfrac-quadratic-form",
        r"\tfrac{1}{2} \mathbf{x}^\top \mathbf{A} \mathbf{x}",
        "1/2 x^T A x",
        "x",
        "(A + A^T) x / 2",
    ),
    _row("dfrac-lVert", r"\dfrac{1}{2}\lVert X - Y \rVert_F^2", "1/2 ||X - Y||_F^2", "X", "X - Y"),
    _row(
        "frac-over-scalar",
        r"\frac{\|X\mathbf{w} - \mathbf{y}\|_2^2}{2}",
        "||X w - y||_2^2 / 2",
        "w",
        "X^T X w - X^T y",
    ),
    _row("logdet-bare", r"\log\det X", "logdet(X)", "X", "X^{-T}", positive=True),
    _row(
        "gaussian-likelihood",
        r"\log\det(\Sigma) + \operatorname{tr}(\Sigma^{-1} S)",
        "logdet(Σ) + tr(Σ^{-1} S)",
        "Σ",
        "Σ^{-T} - Σ^{-T} S^T Σ^{-T}",
        shapes={"Σ": ("n", "n")},
        positive=True,
    ),
    _row(
        "ln-det",
        r"\ln\det\left(X^\top X\right)",
        "logdet(X^T X)",
        "X",
        "2 X (X^T X)^{-1}",
        shapes={"X": (5, 3)},
    ),
    _row(
        "logdet-identity",
        r"\log \det (I + X^\top X)",
        "logdet(I + X^T X)",
        "X",
        "2 X (eye(n) + X^T X)^{-1}",
    ),
    _row(
        "logistic-loss",
        r"\mathbf{y}^\top \log \sigma(X \mathbf{w})",
        "y^T log(sigmoid(X w))",
        "w",
        "X^T (y ⊙ (1 - H1))",
    ),
    _row(
        "sigmoid-regression",
        r"\|\sigma(W \mathbf{x}) - \mathbf{y}\|^2",
        "||sigmoid(W x) - y||^2",
        "W",
        "2 ((sigmoid(W x) - y) ⊙ (sigmoid(W x) ⊙ (1 - sigmoid(W x)))) x^T",
    ),
    _row(
        "ones-sigma",
        r"\mathbf{1}^\top \sigma(X\mathbf{w})",
        "vector(1)^T sigmoid(X w)",
        "w",
        "X^T (sigmoid(X w) ⊙ (1 - sigmoid(X w)))",
    ),
    _row(
        "inverse-of-gram",
        r"\operatorname{tr}\left( (X^\top X)^{-1} \right)",
        "tr((X^T X)^{-1})",
        "X",
        "-2 X ((X^T X)^{-1})^2",
        shapes={"X": (5, 3)},
    ),
    _row(
        "bilinear-inverse",
        r"\mathbf{a}^\top X^{-1} \mathbf{b}",
        "a^T X^{-1} b",
        "X",
        "-X^{-T} a b^T X^{-T}",
        positive=True,
    ),
    _row(
        "inverse-transpose",
        r"\mathbf{a}^\top X^{-\top} \mathbf{b}",
        "a^T X^{-T} b",
        "X",
        "-X^{-T} b a^T X^{-T}",
        positive=True,
    ),
    _row(
        "hadamard-mask", r"\|X \odot M - Y\|_F^2", "||X ⊙ M - Y||_F^2", "X", "2 ((X ⊙ M - Y) ⊙ M)"
    ),
    _row(
        "hadamard-circ",
        r"\mathbf{1}^\top (X \circ X) \mathbf{1}",
        "vector(1)^T (X ⊙ X) vector(1)",
        "X",
        "2 ((ones(m, 1) ones(1, n)) ⊙ X)",
    ),
    _row(
        "hadamard-division",
        r"\|X \oslash Y\|_F^2",
        "||X ⊘ Y||_F^2",
        "X",
        "2 (X ⊘ Y ⊘ Y)",
        positive=True,
    ),
    _row("exp-inner", r"\exp(\mathbf{w}^\top \mathbf{x})", "exp(w^T x)", "w", "exp(w^T x) x"),
    _row(
        "softplus-margin",
        r"\log\left(1 + \exp\left(-y \, \mathbf{w}^\top\mathbf{x}\right)\right)",
        "log(1 + exp(-y w^T x))",
        "w",
        "-sigmoid(-y w^T x) y x",
        shapes={"y": "scalar"},
    ),
    _row(
        "two-layers",
        r"\|\tanh(W_2 \tanh(W_1 \mathbf{x})) - \mathbf{y}\|_2^2",
        "||tanh(W2 tanh(W1 x)) - y||_2^2",
        "W1",
        "2 ((W2^T ((tanh(W2 H1) - y) ⊙ (1 - tanh(W2 H1)^{∘2}))) ⊙ (1 - H1^{∘2})) x^T",
    ),
    _row(
        "ridge",
        r"\|XW - Y\|_F^2 + \lambda \|W\|_F^2",
        "||X W - Y||_F^2 + λ ||W||_F^2",
        "W",
        "2 X^T X W - 2 X^T Y + 2 λ W",
    ),
    _row("l1-norm", r"\|\mathbf{x}\|_1", "||x||_1", "x", "sign(x)", positive=True),
    _row(
        "l2-norm",
        r"\|A\mathbf{x} - \mathbf{b}\|_2",
        "||A x - b||_2",
        "x",
        "A^T (A x - b) / ||A x - b||_2",
    ),
    _row(
        "square-then-subscript",
        r"\|A\mathbf{x} - \mathbf{b}\|^2_2",
        "||A x - b||_2^2",
        "x",
        "2 A^T A x - 2 A^T b",
    ),
    _row("braced-marks", r"\|X\|_{F}^{2}", "||X||_F^2", "X", "2 X"),
    _row("frobenius-norm", r"\|X\|_F", "||X||_F", "X", "X / ||X||_F"),
    _row(
        "mahalanobis",
        r"(\mathbf{x} - \boldsymbol{\mu})^\top \boldsymbol{\Sigma}^{-1}"
        r" (\mathbf{x} - \boldsymbol{\mu})",
        "(x - μ)^T Σ^{-1} (x - μ)",
        "x",
        "(Σ^{-1} + Σ^{-T}) (x - μ)",
        shapes={"μ": ("n",), "Σ": ("n", "n")},
        positive=True,
    ),
    _row("bm-intercal", r"\bm{x}^\intercal \bm{A}\bm{x}", "x^T A x", "x", "A x + A^T x"),
    _row("prime-transpose", "x' A x", "x^T A x", "x", "A x + A^T x"),
    _row(
        "diag-trace",
        r"\operatorname{tr}(\operatorname{diag}(\mathbf{x}) A)",
        "tr(diag(x) A)",
        "x",
        "diag(A^T)",
    ),
    _row(
        "sqrt-norm",
        r"\sqrt{\mathbf{x}^\top \mathbf{x}}",
        "sqrt(x^T x)",
        "x",
        "x / sqrt(x^T x)",
        positive=True,
    ),
    _row(
        "absolute-value",
        r"\left| \mathbf{a}^\top \mathbf{x} \right|",
        "abs(a^T x)",
        "x",
        "sign(a^T x) a",
        positive=True,
    ),
    _row(
        "det-gram",
        r"\det\left(X^\top X\right)",
        "det(X^T X)",
        "X",
        "2 det(X^T X) X (X^T X)^{-1}",
        shapes={"X": (5, 3)},
    ),
    _row("trace-cube", r"\operatorname{tr}(X^3)", "tr(X^3)", "X", "3 (X^T)^2"),
    _row("times-scalar", r"3 \times \|X\|_F^2", "3 ||X||_F^2", "X", "6 X"),
    _row(
        "thin-spaces",
        r"\operatorname{tr}\!\left(X^{\top} \, A \; X\right) \quad",
        "tr(X^T A X)",
        "X",
        "A X + A^T X",
    ),
    _row(
        "gaussian-kernel",
        r"\exp\left(-\frac{1}{2}\|\mathbf{x}\|^2\right)",
        "exp(-1/2 ||x||^2)",
        "x",
        "-exp(-1 / 2 ||x||^2) x",
    ),
    _row(
        "softplus",
        r"\mathbf{1}^\top \operatorname{softplus}(X \mathbf{w})",
        "vector(1)^T softplus(X w)",
        "w",
        "X^T sigmoid(X w)",
    ),
    _row("cdot-products", r"\operatorname{tr}(A \cdot X \cdot B)", "tr(A X B)", "X", "A^T B^T"),
    _row(
        "mathbf-subscripts",
        r"\|\mathbf{W}_2 \sigma(\mathbf{W}_1 \mathbf{x}) - \mathbf{y}\|_2^2",
        "||W2 sigmoid(W1 x) - y||_2^2",
        "W2",
        "2 W2 sigmoid(W1 x) sigmoid(W1 x)^T - 2 y sigmoid(W1 x)^T",
    ),
    _row(
        "layer-superscripts",
        r"\|W^{(2)} \tanh(W^{(1)} \mathbf{x}) - \mathbf{y}\|_2^2",
        "||W2 tanh(W1 x) - y||_2^2",
        "W1",
        "2 ((W2^T (W2 tanh(W1 x) - y)) ⊙ (1 - tanh(W1 x)^{∘2})) x^T",
    ),
    _row(
        "lasso",
        r"\frac{1}{2} \| \mathbf{y} - X\boldsymbol\beta \|_2^2 + \lambda \|\boldsymbol\beta\|_1",
        "1/2 ||y - X β||_2^2 + λ ||β||_1",
        "β",
        "-X^T y + X^T X β + λ sign(β)",
        shapes={"β": ("n",)},
        positive=True,
    ),
    _row(
        "escaped-braces",
        r"\mathbf{1}^\top \exp\{-X\mathbf{w}\}",
        "vector(1)^T exp(-X w)",
        "w",
        "-X^T exp(-X w)",
    ),
    _row(
        "capitalised-relu",
        r"\|\mathrm{ReLU}(X W) - Y\|_F^2",
        "||relu(X W) - Y||_F^2",
        "W",
        "2 X^T ((relu(X W) - Y) ⊙ step(X W))",
    ),
    _row("frac-spaced-digits", r"\frac 1 2 \|X - Y\|_F^2", "1/2 ||X - Y||_F^2", "X", "X - Y"),
    _row(
        "frac-single-tokens",
        r"\frac\lambda 2 \|W\|_F^2 + \frac x2 \|W\|_F^2",
        "λ/2 ||W||_F^2 + x/2 ||W||_F^2",
        "W",
        "λ W + x W",
        shapes={"x": "scalar"},
    ),
    _row(
        "frac-digit-and-group",
        r"\frac 1{2} \mathbf{x}^\top A \mathbf{x}",
        "1/2 x^T A x",
        "x",
        "(A + A^T) x / 2",
    ),
    _row(
        "sqrt-single-token",
        r"\sqrt 2 \, \|X - Y\|_F",
        "sqrt(2) ||X - Y||_F",
        "X",
        "sqrt(2) (X - Y) / ||X - Y||_F",
    ),
    _row(
        "euler-quadratic",
        r"e^{\mathbf{x}^\top A \mathbf{x}}",
        "exp(x^T A x)",
        "x",
        "exp(x^T A x) A x + exp(x^T A x) A^T x",
    ),
    _row(
        "euler-softplus",
        r"\log\left(1 + e^{-y \, \mathbf{w}^\top \mathbf{x}}\right)",
        "log(1 + exp(-y w^T x))",
        "w",
        "-sigmoid(-y w^T x) y x",
        shapes={"y": "scalar"},
    ),
    _row(
        "euler-upright-gaussian",
        r"\mathrm{e}^{-\frac12 \|\mathbf{x} - \boldsymbol{\mu}\|^2}",
        "exp(-1/2 ||x - μ||^2)",
        "x",
        "-exp(-1 / 2 ||x - μ||^2) (x - μ)",
    ),
    _row(
        "display-math",
        r"$$\left\|X - D R\right\|_{\mathrm{F}}^2$$",
        "||X - D R||_F^2",
        "R",
        "-2 D^T X + 2 D^T D R",
    ),
]
"""LaTeX as papers write it, the same objective in the plain notation, the variable, and the
derivative matcalc gives (a Gram matrix X^T X is made of a tall X, so that it is invertible)."""


@pytest.mark.parametrize(("written", "plain", "wrt", "result", "shapes", "positive"), PAPERS)
def test_paper_latex_reads_as_the_plain_notation(
    written: str, plain: str, wrt: str, result: str, shapes: Any, positive: bool
) -> None:
    expr = parse_latex(written)
    assert expr == parse(plain)
    typed = inferred(expr, shapes, "seed")
    derivation = matcalc.derive(fill_sizes(expr, typed), wrt, typed)
    assert str(derivation.result) == result
    for seed in (0, 1):
        error = matcalc.gradcheck(derivation, seed=seed, positive=positive)
        assert error < TOLERANCE, f"{derivation.result}: relative error {error:.2e}"


def test_the_table_has_thirty_rows_or_more() -> None:
    assert len(PAPERS) >= 30


# --- matcalc's own LaTeX reads back -------------------------------------------------------


def _as_printed(expr: Expr) -> Expr:
    """`expr` with the pairs of nodes the LaTeX printer writes alike made one: norm1(x) and
    ||x||_1 are both \\Vert x\\Vert_1, and norm2(x)^2 and ||x||^2 are both \\Vert x\\Vert^{2}
    (the same operation and the same number, written apart only in the plain notation). Of a
    matrix, \\Vert X\\Vert_1 reads as the induced norm, which shapes refuse: norm1(X), the sum
    of magnitudes, is the one of the pair that every shape takes. Likewise lambda and λ are
    both \\lambda, which reads as λ."""

    def one(node: Expr) -> Expr | None:
        match node:
            case Symbol(name) if name in GREEK and name in GREEK_LETTERS:
                return Symbol(GREEK_LETTERS[name])
            case Norm(arg, "1"):
                return Norm(_as_printed(arg), "norm1")
            case Power(Norm(arg, "norm2"), Number(value)) if value == 2:
                return FrobSq(_as_printed(arg), "")
        return None

    return replace_nodes(expr, one)


def _bars_misplaced(expr: Expr) -> bool:
    """Whether a bar may be read as closing where it opens: inside a norm, a number juxtaposed
    with a norm, \\Vert 2 \\Vert x\\Vert - y\\Vert, reads as well as (\\Vert 2\\Vert) x
    (\\Vert -y\\Vert). The printer could write 2\\cdot there; bars alone cannot say."""
    norms = [node for node in preorder(expr) if isinstance(node, Norm | FrobSq)]
    return any(
        isinstance(node, MatMul)
        and isinstance(node.left, Number)
        and latex(node.right).startswith("\\Vert")
        for norm in norms
        for node in preorder(norm.arg)
    )


def _assert_reads_back(expr: Expr, sized: Any, defined: tuple[str, ...] = ()) -> None:
    """latex(expr) reads back to expr (with `sized` writing in the sizes \\mathbf{1} and I
    leave to be inferred)."""
    assume(not _bars_misplaced(expr))
    written = latex(expr)
    assert sized(parse_latex(written, defined)) == _as_printed(expr), written


@given(objectives())
def test_latex_of_random_objectives_reads_back(objective: Objective) -> None:
    def sized(parsed: Expr) -> Expr:
        parsed = _as_printed(parsed)
        return fill_sizes(parsed, infer(parsed, objective.shapes))

    _assert_reads_back(objective.expr, sized)


NAMES = ["X", "Y", "x", "A1", "W_i", "x_ab", "λ", "σ", "lambda1", "Σ", "logits", "PA1", "e", "g"]
"""Names of every kind; a Greek name is drawn as its letter, which \\lambda reads back as."""
FUNCTIONS = ["exp", "log", "tanh", "sigmoid", "softplus", "relu", "abs", "sqrt", "step"]
FUNCTIONS += ["sign", "tan", "arctan", "g", "g'", "h", "phi"]
DECIMALS = [Fraction(0), Fraction(1), Fraction(2), Fraction(1, 2), Fraction(5, 4), Fraction(10)]
EXPONENTS = [Fraction(2), Fraction(-2), Fraction(1, 3), Fraction(-1, 2), Fraction(3, 2)]


def _leaves() -> st.SearchStrategy[Expr]:
    dims = st.sampled_from([1, 3, "m", "n"])
    return st.one_of(
        st.sampled_from(NAMES).map(Symbol),
        st.sampled_from(DECIMALS).map(Number),
        st.builds(Ones, dims, dims),
        st.just(Identity("n")),
    )


def _extended(kids: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    nonzero = kids.filter(lambda kid: kid != Number(Fraction(0)))
    exponent = st.one_of(
        st.sampled_from(EXPONENTS).map(Number),
        st.sampled_from(NAMES).map(Symbol),
        kids.map(lambda kid: Func("tanh", kid)),
    )
    return st.one_of(
        *(kids.map(kind) for kind in (Transpose, Neg, Inverse, Trace, Det, LogDet, Diag)),
        *(kids.map(kind) for kind in (Sum, SumRows, SumCols)),
        st.lists(kids, min_size=2, max_size=3).map(lambda terms: Add(tuple(terms))),
        *(st.builds(kind, kids, kids) for kind in (MatMul, Hadamard)),
        *(st.builds(kind, kids, nonzero) for kind in (Div, HadamardDiv)),
        st.builds(HadamardPow, kids, st.integers(1, 12)),
        st.builds(Power, kids, exponent),
        st.builds(Func, st.sampled_from(FUNCTIONS), kids),
        st.builds(FrobSq, kids, st.sampled_from(["F", "2", ""])),
        st.builds(Norm, kids, st.sampled_from(["F", "2", "1", "norm1", "norm2"])),
    )


EXPRESSIONS = st.recursive(_leaves(), _extended, max_leaves=12)
"""Expressions of every node kind the parser builds (Pending, df/dH, is never input), shapes
aside: reading back is a matter of notation."""


@settings(max_examples=500)
@given(EXPRESSIONS)
def test_latex_of_random_expressions_reads_back(expr: Expr) -> None:
    def sized(parsed: Expr) -> Expr:  # I carries no size in LaTeX: all are I_n here
        return _as_printed(replace_nodes(parsed, lambda node: _identity(node)))

    _assert_reads_back(expr, sized, defined=("phi",))


def _identity(node: Expr) -> Expr | None:
    return Identity("n") if isinstance(node, Identity) else None


KINDS = [
    Symbol("x"),
    Number(Fraction(5, 2)),
    Ones("m", "n"),
    Identity("n"),
    Transpose(Symbol("X")),
    Neg(Symbol("X")),
    Add((Symbol("X"), Neg(Symbol("Y")))),
    MatMul(Symbol("A"), Symbol("X")),
    Div(Symbol("X"), Symbol("λ")),
    Hadamard(Symbol("X"), Symbol("Y")),
    HadamardDiv(Symbol("X"), Symbol("Y")),
    HadamardPow(Symbol("X"), 3),
    Power(Symbol("A"), Number(Fraction(2))),
    Func("exp", Symbol("X")),
    FrobSq(Symbol("X"), "F"),
    Inverse(Symbol("A")),
    Trace(Symbol("A")),
    Det(Symbol("A")),
    LogDet(Symbol("A")),
    Diag(Symbol("x")),
    Norm(Symbol("x"), "2"),
    Sum(Symbol("X")),
    SumRows(Symbol("X")),
    SumCols(Symbol("X")),
    Kron(Symbol("A"), MatMul(Symbol("B"), Symbol("C"))),
    Vec(Symbol("X")),
    Softmax(MatMul(Symbol("X"), Symbol("W"))),
    LogSoftmax(Symbol("x")),
    LogSumExp(Symbol("X")),
    CrossEntropy(MatMul(Symbol("X"), Symbol("W")), Symbol("Y")),
    Mean(Symbol("X")),
    LayerNorm(MatMul(Symbol("X"), Symbol("W"))),
]


@pytest.mark.parametrize("expr", KINDS, ids=lambda expr: type(expr).__name__)
def test_each_node_kind_reads_back(expr: Expr) -> None:
    parsed = parse_latex(latex(expr))
    assert replace_nodes(parsed, _identity) == expr


def test_the_kinds_are_every_node_kind_but_pending() -> None:
    assert {type(expr) for expr in KINDS} == set(NODE_KINDS) - {Pending}


def test_a_derivation_reads_back_from_its_latex() -> None:
    derivation = matcalc.diff("||g(X W) - Y||_F^2", "W")
    for step in derivation.steps:
        if not step.expression.has_pending:
            assert parse_latex(latex(step.expression)) == step.expression
    assert parse_latex(latex(derivation.result)) == derivation.result
    assert str(derivation.result) == "2 X^T ((g(X W) - Y) ⊙ g'(X W))"
    assert matcalc.gradcheck(derivation) < TOLERANCE


# --- names, calls and spellings --------------------------------------------------------------

SAME = [
    (r"\mathbf{x}", r"\boldsymbol{x}", r"\bm{x}", r"\mathrm{x}", r"\mathit{x}", "x", r"\bm x"),
    (r"W_1", r"W_{1}", r"\mathbf{W}_1", r"\mathbf{W}_{1}", "W_{ 1 }"),
    (r"x_i", r"x_{i}", r"\mathbf{x}_i"),
    (r"\lambda", r"\boldsymbol{\lambda}", r"\boldsymbol\lambda"),
    (r"\Sigma", "Σ", r"\boldsymbol{\Sigma}"),
    (r"\mathit{logits}", r"\mathrm{logits}", r"\text{logits}"),
    (r"X^T", r"X^\top", r"X^{\top}", r"X^{T}", r"X^{\mathsf T}", r"X^{\mathsf{T}}", r"X'"),
    (r"X^T", r"X^\intercal", r"X^{\intercal}", r"X^{\rm T}", r"X^{\!\top}", r"X^\mathsf{T}"),
    (r"X^{-1}", r"X^-1", r"\left(X\right)^{-1}", r"{X}^{-1}"),
    (r"X^{-T}", r"X^{-\top}", r"X^{-\mathsf{T}}", r"\left(X^{-1}\right)^T"),
    (r"X \odot Y", r"X \circ Y", "X ⊙ Y"),
    (r"X \oslash Y", "X ⊘ Y"),
    (r"X^{\circ 2}", r"X^{\circ2}", r"X^{\odot 2}", "X^{∘2}"),
    (r"X W", "XW", r"X \cdot W", r"X\,W", "X*W"),
    (r"\frac{1}{2}", r"\tfrac{1}{2}", r"\dfrac{1}{2}", r"\frac12", "1/2"),
    (r"\frac{1}{2}", r"\frac 1 2", r"\frac1 2", r"\frac 12", r"\frac 1{2}", r"\frac{1}2"),
    (r"\frac{\alpha}{\beta}", r"\frac\alpha\beta", r"\frac \alpha {\beta}", r"\frac{\alpha}\beta"),
    (r"\frac{x}{2}", r"\frac x2", r"\frac x 2", r"\frac{x}2"),
    (r"\frac{a}{b}", r"\frac a b", r"\frac ab", r"\frac a{b}"),
    (r"\sqrt{2}", r"\sqrt 2", r"\sqrt2", r"\sqrt{ 2 }"),
    (r"\sqrt{x}", r"\sqrt x", r"\sqrt{\mathbf{x}}", r"\sqrt\mathbf{x}"),
    (r"\operatorname{tr}(X)", r"\mathrm{tr}(X)", r"\text{tr}(X)", r"\operatorname{Tr}(X)"),
    (r"\operatorname{tr}(X)", r"\tr(X)", r"\Tr X", r"\operatorname{tr} X", r"{\rm tr}(X)"),
    (r"\log(x)", r"\ln(x)", r"\log x", r"\log\left(x\right)", r"\log\big(x\big)", r"\ln x"),
    (r"\log\det(X)", r"\log\det X", r"\ln\det X", r"\log\left|\det\left(X\right)\right|"),
    (r"\log\det(X)", r"\log|\det X|", r"\log\lvert\det(X)\rvert", r"\operatorname{logdet}(X)"),
    (r"\|x\|_2^2", r"\|x\|^2_2", r"\left\|x\right\|_2^2", r"\lVert x\rVert_2^2", r"\|x\|_{2}^{2}"),
    (r"\|X\|_F^2", r"\Vert X\Vert_F^2", r"||X||_F^2", "‖X‖_F^2", r"\|X\|_{\mathrm{F}}^2"),
    (r"\|x\|", r"\Vert x\Vert", r"\left\Vert x\right\Vert", r"\lVert x\rVert"),
    (r"|x|", r"\left|x\right|", r"\lvert x\rvert", r"\vert x\vert", r"\operatorname{abs}(x)"),
    (r"\sigma(x)", r"\sigma\left(x\right)", r"\sigma (x)", r"\operatorname{sigmoid}(x)"),
    (r"\mathbf{1}", r"\mathbb{1}", r"\mathbf 1", r"\boldsymbol{1}"),
    (
        r"(X)",
        r"\left(X\right)",
        r"[X]",
        r"\left[X\right]",
        r"{X}",
        r"\big(X\big)",
        r"\Bigl(X\Bigr)",
    ),
    (r"X", r"$X$", r"$$X$$", r"\[X\]", r"\(X\)", r"\displaystyle X", r"X \quad", r"X\;"),
    (r"\exp(x)", r"\exp\{x\}", r"\exp\left\{x\right\}", r"\exp\left[x\right]", r"\exp[x]"),
    (r"\operatorname{relu}(x)", r"\mathrm{ReLU}(x)", r"\operatorname{ReLU}(x)", r"\text{ReLU}(x)"),
    (r"\operatorname{tr}(X)", r"\trace(X)", r"\mathrm{Trace}(X)", r"\operatorname{trace} X"),
    (r"\operatorname{sign}(x)", r"\operatorname{sgn}(x)", r"\mathrm{sgn}(x)"),
    (r"W_1 x", r"W^{(1)} x", r"W^{[1]} x", r"\mathbf{W}^{(1)} \mathbf{x}"),
    (r"W_l", r"W^{(l)}", r"W^{[l]}"),
    (r"\exp(x)", r"e^{x}", r"e^x", r"e ^ {x}", r"\mathrm{e}^{x}", r"{\rm e}^x", r"\text{e}^{x}"),
    (r"\exp(2)", r"e^2", r"e^{2}"),
    (r"\|X\|_F^2", r"\|X\|_F^2.", r"\|X\|_F^2,", r"\|X\|_F^2\,."),
]


@pytest.mark.parametrize("spellings", SAME, ids=[spellings[0] for spellings in SAME])
def test_spellings_mean_the_same(spellings: tuple[str, ...]) -> None:
    first = parse_latex(spellings[0])
    for other in spellings[1:]:
        assert parse_latex(other) == first, other


def test_a_name_in_a_font_is_that_name() -> None:
    assert parse_latex(r"\mathbf{x}^\top \mathbf{A}\mathbf{x}") == parse("x^T A x")
    assert parse_latex(r"\mathbf{W}_1 \boldsymbol{\theta}") == parse("W1 θ")
    assert parse_latex(r"\lambda_1 x_{ij}") == parse("lambda1 x_ij")
    assert parse_latex(r"\Sigma^{-1}") == Inverse(Symbol("Σ"))


def test_letters_are_names_of_their_own() -> None:
    assert parse_latex("XW") == MatMul(Symbol("X"), Symbol("W"))
    assert parse_latex("ABC") == parse("A B C")


def test_identity_and_ones_take_their_size_where_written() -> None:
    assert parse_latex(r"I_n") == Identity("n")
    assert parse_latex(r"\mathbf{I}_{3}") == Identity(3)
    assert parse_latex(r"\mathbf{1}_n") == Ones("n", 1)
    assert parse_latex(r"\mathbf{1}_{m \times n}") == Ones("m", "n")
    assert parse_latex(r"\mathbf{1}_{m\times 1}^\top X") == parse("ones(m, 1)^T X")


def test_users_functions_are_called() -> None:
    phi = Func("phi", Symbol("x"))
    assert parse_latex(r"\operatorname{phi}(x)", defined=["phi"]) == phi
    assert parse_latex(r"\phi(x)", defined=["phi"]) == phi
    assert parse_latex(r"\mathrm{phi}(x)", defined=["phi"]) == phi
    assert parse_latex(r"g'(x) h(y)") == parse("g'(x) h(y)")


def test_an_operator_takes_the_operand_after_it() -> None:
    assert parse_latex(r"\log\det X + \det X^{-1}") == parse("logdet(X) + det(X^{-1})")
    assert parse_latex(r"2 \exp x") == parse("2 exp(x)")
    assert parse_latex(r"\exp{x}") == parse("exp(x)")
    assert parse_latex(r"\sum X + \sum_{\text{rows}} Y") == parse("sum(X) + sum_rows(Y)")
    assert parse_latex(r"\left(\sum X\right) Y") == parse("sum(X) Y")
    assert parse_latex(r"\sum \left(X Y\right)") == parse("sum(X Y)")
    assert parse_latex(r"\sum_{\text{columns}} X") == parse("sum_cols(X)")


def test_times_scales() -> None:
    assert parse_latex(r"2 \times X") == parse("2 X")
    assert parse_latex(r"\lambda \times \|W\|_F^2") == parse("λ ||W||_F^2")
    assert parse_latex(r"X \times \operatorname{tr}(A)") == parse("X tr(A)")


def test_bars_open_and_close_by_where_they_stand() -> None:
    assert parse_latex(r"\|x\| \|y\|") == parse("norm2(x) norm2(y)")
    assert parse_latex(r"\|\|x\|_2 y\|") == Norm(
        MatMul(Norm(Symbol("x"), "2"), Symbol("y")), "norm2"
    )
    assert parse_latex(r"|a| |b|") == parse("abs(a) abs(b)")
    assert parse_latex(r"\|(2 \|x\|)\|_F") == Norm(
        MatMul(Number(Fraction(2)), parse("norm2(x)")), "F"
    )
    assert parse_latex(r"\|x\|_1^2") == Power(Norm(Symbol("x"), "1"), Number(Fraction(2)))


def test_spans_point_into_the_latex() -> None:
    text = r"\frac{1}{2}\|\mathbf{x}\|^2 + \lambda"
    expr, spans = parse_latex_located(text)
    assert isinstance(expr, Add)
    found = {str(node): spans[id(node)].column for node in preorder(expr) if id(node) in spans}
    assert found["x"] == text.index(r"\mathbf") + 1
    assert found["λ"] == text.index(r"\lambda") + 1


def test_a_shape_error_points_into_the_latex() -> None:
    text = r"\operatorname{tr}(\mathbf{x})"
    expr, spans = parse_latex_located(text)
    with pytest.raises(MatcalcError) as caught:
        inferred(expr, {"x": ("n",)}, "seed", lambda node: spans.get(id(node)))
    assert caught.value.kind is ErrorKind.SHAPE


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (r"\frac{1}{2} x", True),
        (r"\operatorname{tr}(X)", True),
        (r"\mathbf{x}^T A x", True),
        (r"\left( X \right)", True),
        (r"\lVert x \rVert", True),
        (r"X\,W", True),
        (r"\sigma(X)", True),
        ("||X - D R||_F^2", False),
        (r"\|X - D R\|_F^2", False),  # the plain notation reads \| too
        (r"X \odot Y + A^\top \cdot B", False),
        (r"\sum X", False),
        ("tr(X^T A X)", False),
    ],
)
def test_looks_like_latex(text: str, expected: bool) -> None:
    assert looks_like_latex(text) is expected
    if expected:  # what is taken for LaTeX reads as LaTeX
        parse_latex(text)


@pytest.mark.parametrize("command", KNOWN_COMMANDS)
def test_every_known_command_is_read(command: str) -> None:
    uses = {
        "left": r"\left( x \right)",
        "right": r"\left( x \right)",
        "lVert": r"\lVert x \rVert",
        "rVert": r"\lVert x \rVert",
        "lvert": r"\lvert x \rvert",
        "rvert": r"\lvert x \rvert",
        "Vert": r"\Vert x \Vert",
        "vert": r"\vert x \vert",
        "frac": r"\frac{x}{2}",
        "dfrac": r"\dfrac{x}{2}",
        "tfrac": r"\tfrac{x}{2}",
        "sqrt": r"\sqrt{x}",
        "top": r"x^\top",
        "intercal": r"x^\intercal",
        "mathsf": r"x^{\mathsf T}",
        "operatorname": r"\operatorname{tr}(X)",
        "big": r"\big(x\big)",
        "Big": r"\Big(x\Big)",
        "quad": r"x \quad",
        "qquad": r"x \qquad",
    }
    binary = {"cdot", "odot", "circ", "oslash", "times"}
    fonts = {"mathbf", "mathit", "mathrm", "boldsymbol", "bm", "text"}
    if command in binary:
        text = rf"2 \{command} x"
    elif command in fonts:
        text = rf"\{command}{{x}}"
    elif command in GREEK_LETTERS:
        text = rf"\{command}"
    else:
        text = uses.get(command, rf"\{command}(x)")
    assert isinstance(parse_latex(text), Expr), text


# --- mistakes: a MatcalcError of the right kind, at the right column --------------------------

ERRORS = [
    ("", ErrorKind.PARSE, None, "empty"),
    ("   ", ErrorKind.PARSE, None, "empty"),
    ("$ $", ErrorKind.PARSE, None, "empty"),
    (r"\foo(X)", ErrorKind.PARSE, 1, r"unknown command \\foo"),
    (r"x + \mathcal X \foo", ErrorKind.PARSE, 16, r"unknown command \\foo"),
    (r"\min_W \|X W - Y\|_F^2", ErrorKind.PARSE, 1, "paste what is minimised"),
    (r"\nabla_X f", ErrorKind.PARSE, 1, "works out its derivative"),
    (r"\sinh(x)", ErrorKind.PARSE, 1, r"unknown command \\sinh"),
    (r"\hat{y}", ErrorKind.PARSE, 1, "decorated name"),
    (r"\farc{1}{2}", ErrorKind.PARSE, 1, r"did you mean \\frac"),
    (r"\left( X - Y", ErrorKind.PARSE, 1, r"\\left\( is never closed: close it with \\right\)"),
    (r"\left( X - Y )", ErrorKind.PARSE, 14, r"\) does not close \\left\( at column 1"),
    (r"(X - Y", ErrorKind.PARSE, 1, r"\( is never closed"),
    (r"X - Y)", ErrorKind.PARSE, 6, "does not close anything open"),
    (r"\|X - Y", ErrorKind.PARSE, 1, r"\\\| is never closed"),
    (r"\left\| X \right)", ErrorKind.PARSE, 11, r"does not close \\left\\\|"),
    (r"\|X\|_\infty", ErrorKind.PARSE, 4, "matcalc reads the norms"),
    (r"\frac{1}{2", ErrorKind.PARSE, 9, r"\{ is never closed"),
    (r"\frac{1}{0} x", ErrorKind.VALUE, 10, "division by zero"),
    (r"X^{", ErrorKind.PARSE, 3, "never closed"),
    (r"X +", ErrorKind.PARSE, 4, "ends too early"),
    (r"X^10", ErrorKind.PARSE, 3, r"10 is 1 and then 0: write \{10\}"),
    (r"\frac{1}23", ErrorKind.PARSE, 9, r"23 is 2 and then 3: write \{23\}"),
    (r"\sqrt 25", ErrorKind.PARSE, 7, r"25 is 2 and then 5: write \{25\}"),
    (r"\sqrt x2", ErrorKind.PARSE, 7, "write x_2"),
    (r"x_{i,j}", ErrorKind.PARSE, 2, "subscript"),
    (r"f(x) = x^2", ErrorKind.PARSE, 6, "not an equation"),
    (r"\sum_{i} x_i", ErrorKind.PARSE, 1, "sums over indices"),
    (r"\sum_{i=1}^{n} x_i", ErrorKind.PARSE, 1, "sums over indices"),
    (r"\sum X^2", ErrorKind.PARSE, 1, "ambiguous"),
    (r"\sum X Y", ErrorKind.PARSE, 1, "ambiguous"),
    (r"2 \sum X \cdot Y", ErrorKind.PARSE, 3, "ambiguous"),
    (r"\log x \, y", ErrorKind.PARSE, 1, "ambiguous"),
    (r"A \times B", ErrorKind.PARSE, 3, "Kronecker or a cross product"),
    (r"tanh(X W)", ErrorKind.PARSE, 1, r"reads as the product t a n h in LaTeX: write \\tanh"),
    (r"\operatorname{tr}(X) + tr(Y)", ErrorKind.PARSE, 24, r"write \\tr"),
    (r"W1 x", ErrorKind.PARSE, 1, "write W_1"),
    (r"\lambda(x + y)", ErrorKind.PARSE, 1, r"write \\lambda \\cdot"),
    (r"\mathrm{tr} X", ErrorKind.PARSE, 1, "write its argument in parentheses"),
    (r"\mathbf{x + y}", ErrorKind.PARSE, 1, "a name in a font"),
    (r"\mathbf{1}_{m, n, p}", ErrorKind.PARSE, 1, r"\\mathbf\{1\}_\{m \\times n\}"),
    (r"\mathbf{1}_{}^\top X \mathbf{1}", ErrorKind.PARSE, 1, r"write the ones as \\mathbf\{1\}"),
    (r"X^{\circ -1}", ErrorKind.PARSE, 2, r"not -1: write 1 \\oslash X"),
    (r"X^{\circ 0.5}", ErrorKind.PARSE, 2, r"not 0.5: write \\exp\(0.5 \\log\(X\)\)"),
    (r"\frac{}{}", ErrorKind.PARSE, 7, r"nothing between \{ and \}: expected an operand"),
    (r"W^{()}", ErrorKind.PARSE, 5, r"nothing between \( and \): expected an operand"),
    (r"\operatorname{tr}(\exp)", ErrorKind.PARSE, 23, r"\\exp needs an operand before \)"),
    (r"\mathbf{\mathbf{X}}", ErrorKind.PARSE, 1, r"\\mathbf cannot be read here: it holds one"),
    (r"\operatorname{\mathrm{tr}}(X)", ErrorKind.PARSE, 1, "holds a function's name"),
    (r"\operatorname{foo}(x)", ErrorKind.NAME, 1, "unknown function foo"),
    (r"\sqrt[3]{x}", ErrorKind.PARSE, 6, r"unexpected \["),
    (r"X^{T", ErrorKind.PARSE, 3, "never closed"),
    (r"\left X", ErrorKind.PARSE, 1, r"\\left and \\right take a delimiter"),
    (r"X \cdot \cdot Y", ErrorKind.PARSE, 9, r"unexpected \\cdot: expected an operand"),
    (r"\|x\|\|", ErrorKind.PARSE, 6, r"\\\| is never closed"),
    ("x\n+ \\foo", ErrorKind.PARSE, 3, r"unknown command \\foo"),
    (r"\sigma'(z)", ErrorKind.NAME, 1, "only a generic one-letter function"),
    (r"\mathbb{E}[x]", ErrorKind.PARSE, 1, "names a set or an operator"),
    (r"(A B)^{(1)}", ErrorKind.PARSE, 6, "numbers a layer, which goes on a name"),
    (r"\langle A, X \rangle", ErrorKind.PARSE, 1, r"write \\operatorname\{tr\}\(A\^\\top B\)"),
    (r"\left\langle A, X \right\rangle", ErrorKind.PARSE, 1, "an inner product is a trace"),
    (r"x.y", ErrorKind.PARSE, 2, "unexpected character '.'"),
    ("X − Y", ErrorKind.PARSE, 3, "write the minus sign as -"),
    (r"e^{x} + e^\top y", ErrorKind.PARSE, 9, r"e is also a name here: write \\exp"),
    (r"\mathbf{e}^\top \mathbf{x} + e^{x}", ErrorKind.PARSE, 1, "e is also a name here"),
    (r"X \top", ErrorKind.PARSE, 3, r"a transpose is a superscript: X\^\\top"),
    (r"\ln (x) + sgn(x)", ErrorKind.PARSE, 11, r"write \\operatorname\{sgn\}"),
]


@pytest.mark.parametrize(("text", "kind", "column", "message"), ERRORS, ids=[e[0] for e in ERRORS])
def test_mistakes_are_matcalc_errors_at_their_column(
    text: str, kind: ErrorKind, column: int | None, message: str
) -> None:
    with pytest.raises(MatcalcError, match=message) as caught:
        parse_latex(text)
    assert caught.value.kind is kind
    assert caught.value.column == column


@pytest.mark.parametrize("given", [None, b"x", 3])
def test_latex_is_text(given: Any) -> None:
    with pytest.raises(MatcalcError, match="LaTeX is text") as caught:
        parse_latex(given)
    assert caught.value.kind is ErrorKind.PARSE


def test_a_multiline_error_has_its_line() -> None:
    with pytest.raises(MatcalcError) as caught:
        parse_latex("x\n+ \\foo")
    assert caught.value.line == 2


def test_sizes_past_the_limits_are_refused() -> None:
    with pytest.raises(MatcalcError, match="longer than"):
        parse_latex(" + ".join(["x"] * MAX_TOKENS))
    with pytest.raises(MatcalcError, match="longer than"):
        parse_latex("x" + " " * 100_001)
    with pytest.raises(MatcalcError, match="nested more than"):
        parse_latex(r"\exp(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1))


def test_deep_latex_that_the_plain_notation_takes_is_taken() -> None:
    depth = MAX_DEPTH // 2
    expr = parse("tanh(" * depth + "x" + ")" * depth)
    assert parse_latex(latex(expr)) == expr


def test_the_command_line_reads_a_spaced_fraction(capsys: pytest.CaptureFixture[str]) -> None:
    from matcalc.cli import main

    text = r"\frac 1 2 \|X - Y\|_F^2"
    assert main(["diff", "--latex", text, "--wrt", "X", "--check", "--format", "json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["result"] == "X - Y"
    assert found["check"]["agrees"] and found["check"]["relative_error"] < TOLERANCE


@pytest.mark.parametrize(("name", "function"), sorted(ALIASES.items()))
def test_an_alias_reads_as_its_function(name: str, function: str) -> None:
    assert parse_latex(rf"\operatorname{{{name}}}(X)") == parse(f"{function}(X)")


@pytest.mark.parametrize(("text", "character"), [("f = X^2", "="), ("X − Y", "−")])
def test_both_notations_give_one_advice_for_a_character(text: str, character: str) -> None:
    for reader in (parse, parse_latex):
        with pytest.raises(MatcalcError) as caught:
            reader(text)
        assert CHARACTERS[character] in caught.value.message


def test_e_is_a_name_where_no_power_follows_it_bare() -> None:
    e = Symbol("e")
    assert parse_latex(r"e^\top x") == MatMul(Transpose(e), Symbol("x"))
    assert parse_latex(r"e^{-1} + e^{\circ 2}") == parse("e^{-1} + e^{∘2}")
    assert parse_latex(r"\mathit{e}^{2} + e_1^2") == parse("e^2 + e1^2")
    assert parse_latex(r"\mathbf{e}^{2}") == Power(e, Number(Fraction(2)))
    squared = Add((Power(e, Number(Fraction(2))), e))
    assert latex(squared) == r"\mathit{e}^{2} + \mathit{e}"
    assert parse_latex(latex(squared)) == squared


def test_a_greek_command_is_the_greek_letter() -> None:
    assert parse_latex(r"\alpha \|x\|_2^2") == parse("α ||x||_2^2")
    assert parse_latex(r"\boldsymbol{\varepsilon} + \lambda_1") == parse("ε + lambda1")
    assert parse_latex(latex(parse("α x"))) == parse("α x")
    assert parse_latex(latex(parse("lambda x"))) == parse("λ x")  # both print \lambda
    derivation = matcalc.diff(r"\alpha^2 \|x\|_2^2", "α", notation="latex")
    assert str(derivation.result) == "2 ||x||_2^2 α"
    for seed in (0, 1):
        assert matcalc.gradcheck(derivation, seed=seed) < TOLERANCE


@pytest.mark.parametrize("text", ["1e-300 X", "-3e-40 sum(X)", "ones(m, n) / 1e300"])
def test_long_numbers_print_in_scientific_form_that_reads_back(text: str) -> None:
    """1e-300 prints as 1\\times 10^{-300}, which the reader takes for the same number."""
    expr = parse(text)
    written = latex(expr)
    assert r"\times 10^{" in written
    assert parse_latex(written) == expr
