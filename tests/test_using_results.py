"""A result is something to use: call it (`to_function`), evaluate it (`evaluate`), hand it to
SymPy (`to_sympy`); and an objective may come in as LaTeX or as a SymPy matrix expression."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from conftest import assert_gradient_correct

import matcalc
from matcalc import ErrorKind, MatcalcError, diff

NETWORK = "||tanh(tanh(X W1) W2) - Y||_F^2"


def _inputs(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    sizes = {"X": (3, 4), "W1": (4, 5), "W2": (5, 2), "Y": (3, 2)}
    return {name: rng.standard_normal(size) / 2 for name, size in sizes.items()}


def test_to_function_gives_f_and_the_gradient_against_differences() -> None:
    derivation = diff(NETWORK, "W1")
    assert [b.name.name for b in derivation.result_where] == ["H1"]  # a named value inside
    function = derivation.to_function()
    assert "def f_and_grad(" in function.__matcalc_source__
    env = _inputs()
    f, gradient = function(env["X"], env["W1"], env["W2"], env["Y"])
    h = np.tanh(np.tanh(env["X"] @ env["W1"]) @ env["W2"]) - env["Y"]
    assert f == pytest.approx(np.sum(h**2), rel=1e-12)
    direction = np.random.default_rng(1).standard_normal(env["W1"].shape)
    step = 1e-6
    ahead, behind = (
        matcalc.evaluate(derivation.objective, {**env, "W1": env["W1"] + sign * step * direction})
        for sign in (1, -1)
    )
    numeric = (ahead - behind) / (2 * step)
    assert np.sum(gradient * direction) == pytest.approx(numeric, rel=1e-6)
    assert_gradient_correct(derivation)


def test_evaluate_reads_named_values_sizes_and_functions_from_the_derivation() -> None:
    derivation = diff("sum(phi(X W)) + sum(W)", "W", functions={"phi": "log(1 + exp(x))"})
    assert "ones(" in str(derivation.result)
    rng = np.random.default_rng(2)
    env = {"X": rng.standard_normal((3, 4)), "W": rng.standard_normal((4, 5))}
    sigmoid = 1 / (1 + np.exp(-(env["X"] @ env["W"])))
    expected = env["X"].T @ sigmoid + np.ones((4, 5))
    assert np.allclose(derivation.evaluate(env), expected, rtol=1e-12)
    assert np.allclose(matcalc.evaluate(derivation, env), expected, rtol=1e-12)
    assert_gradient_correct(derivation)


def test_to_sympy_evaluates_to_the_same_numbers() -> None:
    derivation = diff("tr(X^{-1} B) + tr(A X)", "X", shapes={"X": (3, 3), "A": (3, 3)})
    assert str(derivation.result) == "-X^{-T} B^T X^{-T} + A^T"
    form = derivation.to_sympy()
    rng = np.random.default_rng(3)
    env = {"X": rng.standard_normal((3, 3)) + 3 * np.eye(3)}
    env.update(A=rng.standard_normal((3, 3)), B=rng.standard_normal((3, 3)))
    symbols = {s.name: s for s in form.free_symbols}
    value = form.subs({symbols[n]: sympy.ImmutableMatrix(v) for n, v in env.items()}).doit()
    assert np.allclose(np.array(value, dtype=float), derivation.evaluate(env), rtol=1e-12)
    assert_gradient_correct(derivation)


def test_latex_from_a_paper_derives_as_the_plain_notation_does() -> None:
    plain = diff("||g(X W) - Y||_F^2", "W")
    for text in (r"\|g(X W) - Y\|_F^2", r"\left\| g(X\,W) - Y \right\|_F^2"):
        for notation in ("latex", "auto"):
            derivation = diff(text, "W", notation=notation)
            assert derivation.result == plain.result
    assert str(plain.result) == "2 X^T ((g(X W) - Y) ⊙ g'(X W))"
    assert_gradient_correct(plain)


def test_matcalcs_own_latex_reads_back() -> None:
    derivation = diff("tr(X^T A X) + ||X ⊙ B||_F^2 / 2", "X")
    again = diff(matcalc.latex(derivation.objective), "X", notation="latex")
    assert again.objective == derivation.objective
    assert again.result == derivation.result
    assert_gradient_correct(again)


def test_a_plain_objective_is_not_taken_for_latex() -> None:
    plain = diff("||X||_F^2 + tr(X^T A)", "X")
    assert diff(r"||X||_F^2 + tr(X^\top A)", "X").result == plain.result
    assert_gradient_correct(plain)
    with pytest.raises(MatcalcError) as raised:
        diff("sum(X)", "X", notation="markdown")
    assert raised.value.kind is ErrorKind.VALUE
    assert "notation" in str(raised.value)


def test_a_sympy_objective_brings_its_shapes() -> None:
    x = sympy.MatrixSymbol("X", 3, 4)
    a = sympy.MatrixSymbol("A", 3, 3)
    derivation = diff(sympy.Trace(x.T * a * x), x)
    assert derivation.text().splitlines()[:2] == ["f = tr(X^T A X)", "shapes: X 3×4, A 3×3"]
    assert str(derivation.result) == "A X + A^T X"
    assert_gradient_correct(derivation)
    with pytest.raises(MatcalcError) as raised:
        diff(sympy.Trace(x.T * a * x), "X", shapes={"X": (3, 4)})
    assert raised.value.kind is ErrorKind.NAME
