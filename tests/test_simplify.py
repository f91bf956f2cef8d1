"""Closed forms: rows of (input, closed form), each checked to keep the value, and the named
rewrites that each closed form says it made."""

from __future__ import annotations

import re
from fractions import Fraction

import numpy as np
import pytest
from conftest import assert_gradient_correct, well_conditioned

from matcalc import diff, evaluate, gradcheck, parse
from matcalc.expr import MatMul, Number, Symbol
from matcalc.finite_differences import random_env
from matcalc.limits import MAX_POWER, MAX_TERMS
from matcalc.shapes import infer
from matcalc.simplify import REWRITES, closed_form, factored_form, signs_out
from matcalc.traversal import symbol_names

ROWS = [
    ("X^T (2 (g(X W) - Y) ⊙ g'(X W))", "2 X^T ((g(X W) - Y) ⊙ g'(X W))"),
    ("(-2 (X - D R)) R^T", "-2 X R^T + 2 D R R^T"),
    ("D^T (-2 (X - D R))", "-2 D^T X + 2 D^T D R"),
    ("(X W)^T", "W^T X^T"),
    ("((A B)^T)^T", "A B"),
    ("(A + B)^T C", "A^T C + B^T C"),
    ("(2 A)^T", "2 A^T"),
    ("(A ⊙ B)^T", "A^T ⊙ B^T"),
    ("g(X W)^T", "g(X W)^T"),
    ("(A + B) (C + E)", "(A + B) (C + E)"),
    ("(A + B) (C + E) - B E", "A C + A E + B C"),
    ("X - X", "0"),
    ("X + X - 3 X", "-X"),
    ("X / 2 + X / 3", "5 X / 6"),
    ("(a^T x) X + X (a^T x)", "2 (a^T x) X"),
    ("X (lambda Y)", "lambda X Y"),
    ("(2 X) ⊙ (3 Y)", "6 (X ⊙ Y)"),
    ("(X - Y) ⊙ C + (X - Y) ⊙ C", "2 ((X - Y) ⊙ C)"),
    ("sum(lambda X ⊙ X)", "lambda sum(X ⊙ X)"),
    ("ones(m, m) ⊙ X", "X"),
    ("ones(m, m) ⊘ X", "1 ⊘ X"),
    ("2 (X + Y) / 4", "(X + Y) / 2"),
    # inverses, traces, determinants and scalar powers
    ("X X^{-1} A", "A"),
    ("A (X B)^{-1} X", "A B^{-1}"),
    ("(X^T)^{-1}", "X^{-T}"),
    ("((X^{-1})^{-1})^T", "X^T"),
    ("tr(X^{-1} A X)", "tr(A)"),
    ("tr(A^T)", "tr(A)"),
    ("logdet(X^{-1})", "-logdet(X)"),
    ("det(X^{-1}) det(X^T)", "1"),
    ("X X X", "X^3"),
    (" ".join(["X"] * 35), "X^32 X^3"),
    (" ".join(["(X + A)^{-1}"] * 65), "((X + A)^{-1})^32 ((X + A)^{-1})^32 (X + A)^{-1}"),
    ("(a^T x) (a^T x) X", "(a^T x)^2 X"),
    ("X / ||x||_2^3 ||x||_2", "X / ||x||_2^2"),
    ("(2 lambda)^2 X / lambda", "4 lambda X"),
    ("sum(x ⊙ y) X", "x^T y X"),
    ("sum(ones(m, 1) ⊙ y)", "sum(y)"),
]


@pytest.mark.parametrize(("text", "closed"), ROWS, ids=[r[0] for r in ROWS])
def test_closed_form(text: str, closed: str) -> None:
    expr = parse(text)
    shapes = infer(expr, {"X": ("m", "m"), "Y": ("m", "m"), "A": ("m", "m"), "B": ("m", "m")})
    result = closed_form(expr, shapes).expr
    assert str(result) == closed
    assert parse(str(expr)) == expr and parse(closed) == result
    assert closed_form(result, shapes).expr == result
    env = random_env(shapes.symbols, expr)
    for form in (result, factored_form(expr, shapes)):
        assert np.allclose(
            evaluate(form, env, shapes=shapes.symbols), evaluate(expr, env, shapes=shapes.symbols)
        )


SIGNS = [
    ("(-A) B", "-A B"),
    ("A (-B) C", "-A B C"),
    ("(-A) ⊙ (-B)", "A ⊙ B"),
    ("(-A)^T", "-A^T"),
    ("(-A) / 2", "-A / 2"),
    ("-(-A)", "A"),
    ("g(-A) - (-B)", "g(-A) + B"),
]


@pytest.mark.parametrize(("text", "moved"), SIGNS, ids=[r[0] for r in SIGNS])
def test_signs_move_out_and_keep_the_value(text: str, moved: str) -> None:
    expr = parse(text)
    result = signs_out(expr)
    assert str(result) == moved
    shapes = infer(expr, {"A": ("m", "m"), "B": ("m", "m"), "C": ("m", "m")})
    env = random_env(shapes.symbols, expr)
    assert np.allclose(evaluate(result, env), evaluate(expr, env))


PRODUCT_OF_SUMS = "||(A + B)(C + D)(E + F)(G + H)(J + K) X||_F^2"
THIRTY_TERMS = "||" + " + ".join(f"A{i} X" for i in range(1, 31)) + "||_F^2"
KEPT_FACTORED = [
    (
        PRODUCT_OF_SUMS,
        "X",
        "2 (J^T + K^T) (G^T + H^T) (E^T + F^T) (C^T + D^T) (A^T + B^T) "
        "(A + B) (C + D) (E + F) (G + H) (J + K) X",
    ),
    (
        PRODUCT_OF_SUMS,
        "A",
        "2 (A + B) (C + D) (E + F) (G + H) (J + K) X X^T "
        "(J^T + K^T) (G^T + H^T) (E^T + F^T) (C^T + D^T)",
    ),
    (
        THIRTY_TERMS,
        "X",
        "2 ("
        + " + ".join(f"A{i}^T" for i in range(1, 31))
        + ") ("
        + " + ".join(f"A{i}" for i in range(1, 31))
        + ") X",
    ),
]


@pytest.mark.parametrize(
    ("text", "wrt", "result"), KEPT_FACTORED, ids=["5-sums-X", "5-sums-A", "30-terms-X"]
)
def test_past_the_term_limit_sums_stay_whole_and_the_output_says_so(
    text: str, wrt: str, result: str
) -> None:
    derivation = diff(text, wrt)
    assert str(derivation.result) == result
    assert parse(result) == derivation.result
    assert f"more than {MAX_TERMS} terms" in derivation.steps[-1].wording
    assert f"more than {MAX_TERMS} terms" in derivation.text()
    assert_gradient_correct(derivation)


def test_within_the_term_limit_products_are_expanded() -> None:
    derivation = diff(THIRTY_TERMS, "A7")
    assert str(derivation.result) == " + ".join(f"2 A{i} X X^T" for i in range(1, 31))
    assert derivation.steps[-1].wording == "we've expanded products"
    assert_gradient_correct(derivation)


@pytest.mark.parametrize("copies", [32, 33, 35, 40])
@pytest.mark.parametrize("factor", ["inv(X + A)", "inv(X)"])
def test_a_long_product_of_inverses_keeps_its_powers_within_the_limit(
    factor: str, copies: int
) -> None:
    """The derivative of tr of k inverses has runs of k + 1 equal factors: a power of a matrix
    past MAX_POWER would be one nothing reads back, so a run is split (X^32 X^3)."""
    derivation = diff(f"tr({' '.join([factor] * copies)})", "X")
    powers = [int(p) for p in re.findall(r"\^(\d+)", str(derivation.result))]
    assert powers and max(powers) == MAX_POWER
    assert parse(str(derivation.result)) == derivation.result
    rng = np.random.default_rng(copies)
    env = {"X": np.eye(4) + 0.03 * rng.standard_normal((4, 4))}
    if "A" in factor:
        env["A"] = 0.03 * rng.standard_normal((4, 4))
    assert gradcheck(derivation, env) < 1e-6
    _value, gradient = derivation.to_function()(**env)
    assert np.allclose(gradient, derivation.evaluate(env))


def test_expanding_stops_at_the_limit() -> None:
    sums = " ".join(f"(A{i} + B{i})" for i in range(1, 7))  # 2^6 = 64 terms in full
    expr = parse(sums)
    shapes = infer(expr, {name: ("m", "m") for name in symbol_names(expr)})
    closed = closed_form(expr, shapes)
    assert not closed.expanded and closed.expr == expr
    assert f"more than {MAX_TERMS} terms" in closed.sentence
    env = random_env(shapes.symbols, expr)
    assert np.allclose(evaluate(closed.expr, env), evaluate(expr, env))


def test_a_transposed_factor_kept_whole_stays_one_factor() -> None:
    """Found by the long property run: the transpose of (A2 S)^T, with S a sum of outer products
    kept whole inside a squared entry, expanded into three terms where one factor was due."""
    shapes = {"a3": ("n", 1), "a5": ("n", 1), "A4": (1, "m"), "A6": (1, "m"), "mu": ()}
    derivation = diff(
        "sum((A2 (a3 lambda A4 + a5 lambda A6)^T)^{∘2} / mu)", "lambda", shapes=shapes
    )
    assert str(derivation.result) == (
        "2 lambda (A4 A2^T A2 A4^T a3^T a3 + A4 A2^T A2 A6^T a5^T a3 + A6 A2^T A2 A4^T a3^T a5"
        " + A6 A2^T A2 A6^T a5^T a5) / mu"
    )
    assert_gradient_correct(derivation, positive=True)


SHAPES = {
    "A": ("m", "n"),
    "E": ("m", "n"),
    "B": ("n", "p"),
    "C": ("n", "p"),
    "D": ("p", "m"),
    "X": ("n", "n"),
    "Y": ("n", "n"),
    "x": ("n", 1),
    "y": ("n", 1),
}
"""m, n and p take the distinct sizes 3, 4 and 5 when evaluated (`random_env`)."""

REWRITTEN = [
    ("A (B + C)", "A B + A C", ("expand",)),
    ("A (B D)", "A B D", ("drop brackets",)),
    ("(A B)^T", "B^T A^T", ("push transposes",)),
    ("(X^T)^{-1}", "X^{-T}", ("invert products",)),
    ("tr(X^{-1} Y X)", "tr(Y)", ("turn traces", "cancel inverses")),
    ("A X X^{-1}", "A", ("cancel inverses",)),
    ("det(X^T)", "det(X)", ("drop transposes",)),
    ("logdet(X^{-1})", "-logdet(X)", ("inverse determinants",)),
    ("sum(x ⊙ y) A", "x^T y A", ("inner products",)),
    ("lambda ⊙ A", "lambda A", ("scalar operations",)),
    ("exp(E) ⊘ (1 + exp(E)) ⊙ A", "sigmoid(E) ⊙ A", ("sigmoid",)),
    ("A ⊘ (exp(-E) + 1)", "A ⊙ sigmoid(E)", ("sigmoid",)),
    ("sum(softmax(x)) A", "A", ("sums to one", "absorb identities")),
    ("sum_cols(softmax(X)) + x", "ones(n, 1) + x", ("sums to one",)),
    ("(A ⊙ E) ⊘ A + A", "E + A", ("cancel quotients",)),
    ("A ⊘ A", "ones(m, n)", ("cancel quotients",)),
    ("sum(eye(n) ⊙ X) A", "tr(X) A", ("traces",)),
    ("ones(1, m) A ones(n, 1) X", "sum(A) X", ("sums",)),
    ("ones(1, n) x y", "sum(x) y", ("sums",)),
    ("sum(ones(m, n)) X", "m n X", ("sums",)),
    ("tr(eye(n)) X", "n X", ("sums",)),
    ("sum(eye(n)) X", "n X", ("sums",)),
    ("tr(ones(n, n)) X", "n X", ("sums",)),
    ("sum(eye(n) ⊙ lambda) A", "lambda n A", ("sums", "sort scalars")),
    ("sum(A^T) X", "sum(A) X", ("drop transposes",)),
    ("x + sum(layernorm(A)) y", "x", ("normalised",)),
    ("layernorm(x)^T layernorm(x) X", "n X", ("normalised",)),
    ("sum_cols(layernorm(A)) + A ones(n, 1)", "A ones(n, 1)", ("normalised",)),
    ("(A ⊗ X) (B ⊗ Y)", "A B ⊗ X Y", ("Kronecker products",)),
    ("(X ⊗ Y)^{-1}", "X^{-1} ⊗ Y^{-1}", ("Kronecker products",)),
    ("(A ⊗ X) ⊙ (E ⊗ Y)", "(A ⊙ E) ⊗ (X ⊙ Y)", ("Kronecker products",)),
    ("eye(n·n) ⊙ (X ⊗ Y)", "(eye(n) ⊙ X) ⊗ (eye(n) ⊙ Y)", ("Kronecker products",)),
    ("(ones(1, n) ⊗ eye(m)) diag(vec(A)) (eye(n) ⊗ ones(m, 1))", "A", ("Kronecker products",)),
    ("A ⊗ (X + Y)", "A ⊗ X + A ⊗ Y", ("expand",)),
    (
        "(A ⊗ X - E ⊗ Y) ⊙ (A ⊗ X)",
        "(A ⊙ A) ⊗ (X ⊙ X) - (E ⊙ A) ⊗ (Y ⊙ X)",
        ("expand", "Kronecker products"),
    ),
    ("E ⊙ A + A ⊙ E", "2 (E ⊙ A)", ("collect terms",)),
    ("x (y^T x)", "y^T x x", ("scalars first",)),
    ("mu lambda A", "lambda mu A", ("sort scalars",)),
    ("(2 A) ⊙ (3 E)", "6 (A ⊙ E)", ("scalars first", "fold numbers")),
    ("X X X", "X^3", ("collect powers",)),
    ("ones(m, n) ⊙ A", "A", ("absorb identities",)),
    ("A + 0 E", "A", ("drop zeros",)),
    ("A B + 2 A B", "3 A B", ("collect terms",)),
    ("x x^T - x y^T - y x^T + y y^T", "(x - y) (x - y)^T", ("products of sums",)),
    ("A X B - A X C + E X B - E X C", "(A + E) X (B - C)", ("products of sums",)),
    ("(A + E)^T A + A^T A", "2 A^T A + E^T A", ("expand", "push transposes", "collect terms")),
    ("A (lambda B)", "lambda A B", ("scalars first",)),
    ("A (B (2 D))", "2 A B D", ("drop brackets", "scalars first")),
    ("g(A)^T", "g(A)^T", ()),
]


@pytest.mark.parametrize(("text", "closed", "applied"), REWRITTEN, ids=[r[0] for r in REWRITTEN])
def test_named_rewrites(text: str, closed: str, applied: tuple[str, ...]) -> None:
    expr = parse(text)
    shapes = infer(expr, SHAPES)
    result = closed_form(expr, shapes)
    assert str(result.expr) == closed
    assert result.applied == applied
    env = well_conditioned(random_env(shapes.symbols, expr))
    assert np.allclose(
        evaluate(result.expr, env, shapes=shapes.symbols),
        evaluate(expr, env, shapes=shapes.symbols),
    )


def test_a_number_spread_over_an_identity_is_counted_not_traced() -> None:
    """Hypothesis found tr((A3 X a4 + A2)^{∘1}) by X written tr(1) A3^T a4^T, 1/p of the
    gradient: sum(eye(p) ⊙ c) for a number c is p c, where tr(c) is c."""
    shapes = {"X": ("m", "n"), "A2": ("p", "p"), "A3": (1, "m"), "a4": ("n", 1)}
    for objective in ["tr((A3 X a4 + A2)^{∘1})", "sum(eye(p) ⊙ (A3 X a4))"]:
        derivation = diff(objective, "X", shapes=shapes)
        assert str(derivation.result) == "p A3^T a4^T"
        assert_gradient_correct(derivation)


def test_every_named_rewrite_has_a_row() -> None:
    assert {name for row in REWRITTEN for name in row[2]} == {r.name for r in REWRITES}


SENTENCES = [
    ("A (B + C)", "we've expanded products"),
    ("X + X - 3 X", "we've collected 3 like terms"),
    (
        "(A + E)^T A + A^T A",
        "we've expanded products, pushed transposes onto the symbols and collected 2 like terms",
    ),
    (
        "tr(X^{-1} Y X)",
        "we've turned a trace cyclically and cancelled matrices against their inverses",
    ),
]


@pytest.mark.parametrize(("text", "sentence"), SENTENCES, ids=[r[0] for r in SENTENCES])
def test_the_sentence_lists_the_rewrites_in_table_order(text: str, sentence: str) -> None:
    expr = parse(text)
    assert closed_form(expr, infer(expr, SHAPES)).sentence == sentence


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (Fraction(1, 10**300), "1e-300"),
        (Fraction(3, 10**12), "3e-12"),
        (Fraction(25 * 10**20), "2.5e21"),
        (Fraction(1234567890123), "1234567890123"),
        (Fraction(123456789012), "123456789012"),
        (Fraction(1, 8), "0.125"),
    ],
)
def test_tiny_and_huge_numbers_print_in_scientific_form(value: Fraction, written: str) -> None:
    """Where that is shorter, and exactly: the text parses back to the same number."""
    assert str(Number(value)) == written
    assert parse(f"{written} X") == MatMul(Number(value), Symbol("X"))
