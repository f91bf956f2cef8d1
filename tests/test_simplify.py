"""Closed forms: rows of (input, closed form), each checked to keep the value."""

from __future__ import annotations

import numpy as np
import pytest

from matcalc import evaluate, parse
from matcalc.finite_differences import random_env
from matcalc.shapes import infer
from matcalc.simplify import closed_form, factored_form, signs_out

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
    ("(A + B) (C + E)", "A C + A E + B C + B E"),
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
    ("2 (X + Y) / 4", "X / 2 + Y / 2"),
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
