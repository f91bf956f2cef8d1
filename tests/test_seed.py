"""The seed article's worked examples, tags (1)–(10), step for step."""

from __future__ import annotations

from conftest import assert_gradient_correct

from matcalc import Session, parse

NEURAL_NETWORK = [
    (1, "left matrix multiplication", "W", "X W", "X^T df/d(X W)"),
    (2, "elementwise function application", "X W", "g(X W)", "X^T (df/d(g(X W)) ⊙ g'(X W))"),
    (3, "matrix addition", "g(X W)", "g(X W) - Y", "X^T (df/d(g(X W) - Y) ⊙ g'(X W))"),
    (
        4,
        "squared Frobenius norm",
        "g(X W) - Y",
        "||g(X W) - Y||_F^2",
        "X^T (2 (g(X W) - Y) ⊙ g'(X W))",
    ),
    (None, "simplification", None, None, "2 X^T ((g(X W) - Y) ⊙ g'(X W))"),
]
DICTIONARY_D = [
    (5, "right matrix multiplication", "D", "D R", "df/d(D R) R^T"),
    (None, "negation", "D R", "-D R", "-df/d(-D R) R^T"),
    (6, "matrix addition", "-D R", "X - D R", "-df/d(X - D R) R^T"),
    (7, "squared Frobenius norm", "X - D R", "||X - D R||_F^2", "-2 (X - D R) R^T"),
    (None, "simplification", None, None, "-2 X R^T + 2 D R R^T"),
]
DICTIONARY_R = [
    (8, "left matrix multiplication", "R", "D R", "D^T df/d(D R)"),
    (None, "negation", "D R", "-D R", "-D^T df/d(-D R)"),
    (9, "matrix addition", "-D R", "X - D R", "-D^T df/d(X - D R)"),
    (10, "squared Frobenius norm", "X - D R", "||X - D R||_F^2", "-D^T (2 (X - D R))"),
    (None, "simplification", None, None, "-2 D^T X + 2 D^T D R"),
]


def test_the_article_in_one_session() -> None:
    session = Session()
    for (expression, wrt), expected in [
        (("||g(X W) - Y||_F^2", "W"), NEURAL_NETWORK),
        (("||X - D R||_F^2", "D"), DICTIONARY_D),
        (("||X - D R||_F^2", "R"), DICTIONARY_R),
    ]:
        derivation = session.diff(expression, wrt)
        got = [
            (
                step.tag,
                step.rule,
                str(step.function[0]) if step.function else None,
                str(step.function[1]) if step.function else None,
                str(step.expression),
            )
            for step in derivation.steps
        ]
        assert got == expected
        assert_gradient_correct(derivation)


def test_justifications_in_the_seed_words() -> None:
    derivation = Session().diff("||g(X W) - Y||_F^2", "W")
    assert_gradient_correct(derivation)
    assert derivation.steps[0].justification == (
        "we've used the framework with the matrix-to-matrix function G: W ↦ X W"
    )
    assert derivation.steps[3].justification == (
        "we've used the framework with the matrix-to-scalar function "
        "f: g(X W) - Y ↦ ||g(X W) - Y||_F^2"
    )


def test_latex_is_tagged_in_the_seed_notation() -> None:
    session = Session()
    derivations = [
        session.diff(e, w)
        for e, w in [
            ("||g(X W) - Y||_F^2", "W"),
            ("||X - D R||_F^2", "D"),
            ("||X - D R||_F^2", "R"),
        ]
    ]
    latex = "\n".join(derivation.latex() for derivation in derivations)
    for derivation in derivations:
        assert_gradient_correct(derivation)
    for tag in range(1, 11):
        assert f"\\tag{{{tag}}}" in latex
        assert f"For ({tag}) we've used the framework" in latex
    assert r"\frac{df}{dW} &= \frac{d(\Vert g(X\cdot W) - Y\Vert_F^2)}{dW}" in latex
    assert r"X^T\cdot \frac{d(\Vert g(X\cdot W) - Y\Vert_F^2)}{d(X\cdot W)} \tag{1}" in latex
    assert r"\odot g'(X\cdot W)" in latex
    assert r"-2 X\cdot R^T + 2 D\cdot R\cdot R^T" in latex
    assert r"$G: W\mapsto X\cdot W$" in latex


def test_results_parse_back() -> None:
    session = Session()
    for e, w in [("||g(X W) - Y||_F^2", "W"), ("||X - D R||_F^2", "D"), ("||X - D R||_F^2", "R")]:
        derivation = session.diff(e, w)
        assert parse(str(derivation.result)) == derivation.result
        assert_gradient_correct(derivation)
