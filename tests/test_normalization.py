"""mean and layernorm (issue 15): a dimension's name standing for its size, layer norm's
derivative against the textbook's formula written in NumPy, second order through them, and the
generated code."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from conftest import assert_gradient_correct

import matcalc
from matcalc import MatcalcError
from matcalc.errors import ErrorKind


def _layernorm_vjp(z: Any, g: Any) -> Any:
    """The textbook's layer-norm backward along rows: (g - mean(g) - y mean(g y)) / σ."""
    mu = z.mean(axis=1, keepdims=True)
    sigma = z.std(axis=1, keepdims=True)
    y = (z - mu) / sigma
    return (g - g.mean(axis=1, keepdims=True) - y * (g * y).mean(axis=1, keepdims=True)) / sigma


def test_a_dimension_name_is_its_size_and_says_so() -> None:
    derivation = matcalc.diff("sum(X) / m", "X", shapes={"X": ("m", "n")})
    assert str(derivation.result) == "ones(m, n) / m"
    assert "m is read as a number: the size of the dimension m" in derivation.text()
    assert [name for name, _, _ in derivation.symbol_shapes] == ["X"]
    x = np.random.default_rng(0).normal(size=(3, 4))
    assert matcalc.evaluate(derivation.objective, {"X": x}, shapes=derivation.shapes) == (
        pytest.approx(x.sum() / 3)
    )
    assert_gradient_correct(derivation)


def test_a_dimension_named_like_a_symbol_cannot_be_a_size() -> None:
    with pytest.raises(MatcalcError) as caught:
        matcalc.diff("mean(X) + m^T m", "X", shapes={"X": ("m", "n"), "m": ("k", 1)})
    assert caught.value.kind is ErrorKind.NAME
    assert "the dimension m is also the name of a symbol" in caught.value.message


def test_inferred_dimensions_avoid_the_names_of_symbols() -> None:
    derivation = matcalc.diff("mean(X) + sum(m)", "X")
    assert str(derivation.result) == "ones(n, p) / (n p)"
    assert_gradient_correct(derivation)


def test_layernorm_agrees_with_the_textbook_backward() -> None:
    derivation = matcalc.diff("sum(G ⊙ layernorm(Z))", "Z")
    rng = np.random.default_rng(1)
    z, g = rng.normal(size=(3, 5)), rng.normal(size=(3, 5))
    ours = matcalc.evaluate(derivation, {"Z": z, "G": g})
    np.testing.assert_allclose(ours, _layernorm_vjp(z, g), rtol=1e-12, atol=1e-12)


def test_layernorm_of_a_column_normalises_its_entries() -> None:
    x = np.random.default_rng(2).normal(size=(5, 1))
    value = matcalc.evaluate("layernorm(x)", {"x": x})
    np.testing.assert_allclose(np.ravel(value), np.ravel((x - x.mean()) / x.std()))
    derivation = matcalc.diff("||layernorm(x) - y||_2^2", "x")
    assert "mean 0 and variance 1" in derivation.text()
    assert_gradient_correct(derivation)


@pytest.mark.parametrize(
    ("objective", "wrt"),
    [
        ("sum(Y ⊙ layernorm(X W))", "W"),
        ("mean((layernorm(X W1) W2 - Y)^{∘2})", "W1"),
        ("b^T layernorm(x)", "x"),
    ],
)
def test_second_order_through_mean_and_layernorm(objective: str, wrt: str) -> None:
    derivation = matcalc.hessian(objective, wrt, direction="V")
    assert matcalc.gradcheck(derivation) < 1e-6


def test_the_hessian_of_a_mean_squared_error() -> None:
    derivation = matcalc.hessian("mean((X w - y)^{∘2})", "w")
    assert str(derivation.result) == "2 X^T X / m"
    assert matcalc.gradcheck(derivation) < 1e-6


def test_generated_code_of_layernorm_and_mean() -> None:
    derivation = matcalc.diff("mean((layernorm(X W1) W2 - Y)^{∘2})", "W1")
    function = derivation.to_function()
    rng = np.random.default_rng(3)
    env = {
        "X": rng.normal(size=(6, 3)),
        "W1": rng.normal(size=(3, 4)),
        "W2": rng.normal(size=(4, 2)),
        "Y": rng.normal(size=(6, 2)),
    }
    f, gradient = function(**env)
    z = env["X"] @ env["W1"]
    h = (z - z.mean(axis=1, keepdims=True)) / z.std(axis=1, keepdims=True)
    residual = h @ env["W2"] - env["Y"]
    assert f == pytest.approx(np.mean(residual**2), rel=1e-12)
    upstream = 2 * residual @ env["W2"].T / residual.size
    expected = env["X"].T @ _layernorm_vjp(z, upstream)
    np.testing.assert_allclose(gradient, expected, rtol=1e-10, atol=1e-12)


# the hostile hunt's findings (issue 15), each checked by numbers where it derives
@pytest.mark.parametrize(
    ("objective", "wrt", "shapes", "result"),
    [
        (
            "tr(layernorm(A)^T layernorm(A) X)",
            "X",
            None,
            "layernorm(A)^T layernorm(A)",
        ),
        ("||x ⊗ x||_2", "x", {"x": ("n",)}, "2 (x^T x) x / ||x ⊗ x||_2"),
        ("tr((X ⊗ y)^T (X ⊗ y))", "X", {"X": ("m", "k"), "y": ("n",)}, "2 (y^T y) X"),
        ("tr(m X)", "X", {"X": ("m", "m")}, "m eye(m)"),
    ],
)
def test_edges_found_by_the_hunt(
    objective: str, wrt: str, shapes: dict[str, Any] | None, result: str
) -> None:
    derivation = matcalc.diff(objective, wrt, shapes=shapes)
    assert str(derivation.result) == result
    assert_gradient_correct(derivation)


def test_the_hessian_of_a_kronecker_square() -> None:
    derivation = matcalc.hessian("(x ⊗ x)^T (x ⊗ x)", "x", shapes={"x": ("n",)})
    assert str(derivation.result) == "8 x x^T + 4 (x^T x) eye(n)"
    assert matcalc.gradcheck(derivation) < 1e-6
    assert "H2 occurs 2 times" in derivation.text()  # the name the block has after numbering


@pytest.mark.parametrize(
    ("shapes", "words"),
    [
        ({"X": ("m·n", "p")}, "known only inside a product of sizes"),
        ({"X": ("exp", "n")}, "the name of a function or a matrix of matcalc"),
    ],
)
def test_sizes_that_cannot_stand_for_themselves(shapes: dict[str, Any], words: str) -> None:
    with pytest.raises(MatcalcError) as caught:
        matcalc.diff("mean(X)", "X", shapes=shapes)
    assert caught.value.kind is ErrorKind.NAME
    assert words in caught.value.message


def test_code_for_a_size_no_input_has_is_refused_clearly() -> None:
    derivation = matcalc.diff("sum(X ⊗ ones(p, q))", "X", shapes={"X": ("m", "n"), "A": ("p", "q")})
    assert str(derivation.result) == "p q ones(m, n)"
    assert_gradient_correct(derivation)
    with pytest.raises(MatcalcError) as caught:
        derivation.to_function()
    assert "the size p is no input's size" in caught.value.message


def test_a_size_named_like_a_symbol_stays_written_as_a_sum() -> None:
    """sum(ones(x, n)) with x also a vector's name is left as it is, not refused (review)."""
    derivation = matcalc.diff(
        "sum(ones(x, n)) sum(X) + x^T x", "X", shapes={"X": ("x", "n"), "x": ("n",)}
    )
    assert str(derivation.result) == "sum(ones(x, n)) ones(x, n)"
    assert_gradient_correct(derivation)


@pytest.mark.parametrize("objective", ["||layernorm(x)||_2^2", "||layernorm(x)||_2"])
def test_a_normalised_columns_length_is_constant(objective: str) -> None:
    """y^T y of a normalised column is its length, also where the product writes y^T (2 y):
    these objectives are constant, their gradients 0."""
    derivation = matcalc.diff(objective, "x")
    assert str(derivation.result) == "0"
    assert_gradient_correct(derivation)
