"""evaluate(): NumPy values, vectors as 1-D or columns, generic functions from the environment."""

from __future__ import annotations

import numpy as np
import pytest

from matcalc import MatcalcError, diff, evaluate

rng = np.random.default_rng(7)
X, W, Y = rng.normal(size=(3, 4)), rng.normal(size=(4, 5)), rng.normal(size=(3, 5))


def test_seed_objective_value() -> None:
    value = evaluate("||g(X W) - Y||_F^2", {"X": X, "W": W, "Y": Y, "g": np.tanh})
    assert isinstance(value, float)
    assert value == pytest.approx(np.sum((np.tanh(X @ W) - Y) ** 2))


def test_gradient_has_the_variable_shape_for_1d_vectors() -> None:
    A, x = rng.normal(size=(4, 4)), rng.normal(size=4)
    derivation = diff("x^T A x", "x")
    gradient = evaluate(derivation.result, {"A": A, "x": x})
    assert np.shape(gradient) == (4,)
    assert np.allclose(gradient, (A + A.T) @ x)


def test_column_vectors_stay_columns() -> None:
    A, x = rng.normal(size=(4, 4)), rng.normal(size=(4, 1))
    assert np.shape(evaluate("A x", {"A": A, "x": x})) == (4, 1)


def test_scalars_broadcast() -> None:
    assert np.allclose(evaluate("1 - X", {"X": X}), 1 - X)
    assert evaluate("lambda ||X||_F^2", {"lambda": 2.0, "X": X}) == pytest.approx(2 * np.sum(X**2))


def test_ones_take_their_size_from_the_derivation() -> None:
    derivation = diff("sum(X W)", "W")
    gradient = evaluate(derivation.result, {"X": X, "W": W}, shapes=derivation.shapes.symbols)
    assert np.allclose(gradient, X.T @ np.ones((3, 5)))


def test_generic_derivative_comes_from_the_environment() -> None:
    derivation = diff("||g(X W) - Y||_F^2", "W")
    env = {"X": X, "W": W, "Y": Y, "g": np.tanh, "g'": lambda z: 1 - np.tanh(z) ** 2}
    expected = 2 * X.T @ ((np.tanh(X @ W) - Y) * (1 - np.tanh(X @ W) ** 2))
    assert np.allclose(evaluate(derivation.result, env), expected)


@pytest.mark.parametrize(
    ("expression", "env", "words"),
    [
        ("X W", {"X": X}, "no value for W"),
        ("g(X)", {"X": X}, "generic function"),
        ("X W", {"X": X, "W": X}, "inner dimensions"),
        ("sum(ones(m, 3) X)", {"X": X}, "size of dimension m"),
    ],
)
def test_evaluation_errors(expression: str, env: dict, words: str) -> None:
    with pytest.raises(MatcalcError, match=words):
        evaluate(expression, env)
