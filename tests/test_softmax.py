"""The softmax family beyond the case table: what the sums-to-one declaration changes, the
Hessian of softmax cross-entropy, and generated code at logits of ±800 against mpmath."""

from __future__ import annotations

from typing import Any

import mpmath
import numpy as np
import pytest

from matcalc import diff, evaluate, gradcheck, hessian
from matcalc.finite_differences import random_env

ROWS = {"Y": ("m", "k", "rows-sum-to-one")}


def test_the_textbook_form_needs_targets_that_sum_to_one() -> None:
    """X^T softmax(X W) - X^T Y is the gradient where Y's rows sum to one, and only there."""
    declared = diff("cross_entropy(X W, Y)", "W", shapes=ROWS)
    general = diff("cross_entropy(X W, Y)", "W")
    assert str(declared.result) == "X^T softmax(X W) - X^T Y"
    assert str(declared.factored()) == "X^T (softmax(X W) - Y)"
    symbols = general.shapes.symbols
    normalized = random_env(symbols, seed=2, sum_to_one={"Y"})
    assert np.allclose(normalized["Y"].sum(axis=1), 1)
    anywhere = random_env(symbols, seed=2)
    for env, agree in ((normalized, True), (anywhere, False)):
        ours = evaluate(declared.result, env, shapes=symbols)
        theirs = evaluate(general.result, env, shapes=symbols)
        assert np.allclose(ours, theirs) is agree
    assert gradcheck(declared, anywhere) > 1e-3  # the check sees it where Y does not sum to one
    assert gradcheck(declared) == 0  # gradcheck draws Y as declared


def test_the_declaration_is_stated() -> None:
    derivation = diff("cross_entropy(X W, Y)", "W", shapes=ROWS)
    assert "Y m×k rows sum to one" in derivation.text()
    assert "rows sum to one" in derivation.latex()
    assert derivation.to_dict()["shapes"]["Y"]["sums_to_one"] is True
    assert "sums to one" in derivation.steps[-1].wording


@pytest.mark.parametrize(
    ("shapes", "expected"),
    [
        ({"y": ("n", "sums-to-one")}, "diag(softmax(z)) - softmax(z) softmax(z)^T"),
        (None, "sum(y) diag(softmax(z)) - sum(y) softmax(z) softmax(z)^T"),
    ],
)
def test_the_hessian_of_softmax_cross_entropy(shapes: Any, expected: str) -> None:
    """diag(p) - p p^T, p = softmax(z), through the rule table: the Jacobian of softmax."""
    derivation = hessian("cross_entropy(z, y)", "z", shapes=shapes)
    assert str(derivation.result) == expected
    for seed in (0, 1):
        assert gradcheck(derivation, seed=seed) < 1e-6
    env = random_env(derivation.shapes.symbols, seed=3, sum_to_one=derivation.shapes.sum_to_one)
    z, y = env["z"][:, 0], env["y"][:, 0]
    p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    independent = y.sum() * (np.diag(p) - np.outer(p, p))
    ours = evaluate(derivation.result, env, shapes=derivation.shapes.symbols)
    np.testing.assert_allclose(ours, independent, rtol=1e-12, atol=1e-14)


def test_the_hessian_vector_product_is_per_sample() -> None:
    derivation = hessian("cross_entropy(Z, Y)", "Z", direction="V", shapes=ROWS)
    assert str(derivation.result) == "softmax(Z) ⊙ (V - sum_cols(softmax(Z) ⊙ V))"
    assert gradcheck(derivation) < 1e-6


def _reference(logits: np.ndarray, targets: np.ndarray) -> tuple[Any, list[list[Any]]]:
    """Cross-entropy and its gradient by the logits in 50-digit arithmetic, row by row."""
    mpmath.mp.dps = 50
    total, gradient = mpmath.mpf(0), []
    for z, y in zip(logits.tolist(), targets.tolist(), strict=True):
        exps = [mpmath.exp(mpmath.mpf(v)) for v in z]
        norm = mpmath.fsum(exps)
        total -= mpmath.fsum(
            t * (mpmath.mpf(v) - mpmath.log(norm)) for t, v in zip(y, z, strict=True)
        )
        gradient.append([e / norm * mpmath.fsum(y) - t for e, t in zip(exps, y, strict=True)])
    return total, gradient


@pytest.mark.parametrize("scale", [1.0, 800.0])
def test_generated_code_is_stable_at_large_logits(scale: float) -> None:
    """The code of cross-entropy, its gradient and the rest of the family shifts each row by
    its largest logit: finite, and right to rounding, where exp alone would overflow."""
    f_and_grad = diff("cross_entropy(Z, Y)", "Z").to_function()
    rng = np.random.default_rng(0)
    logits = rng.choice([-1.0, 1.0], size=(3, 4)) * scale + rng.uniform(-1, 1, size=(3, 4))
    targets = rng.uniform(0, 1, size=(3, 4))
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # exp may underflow
        value, gradient = f_and_grad(logits, targets)
    total, expected = _reference(logits, targets)
    assert float(value) == pytest.approx(float(total), rel=1e-13)
    np.testing.assert_allclose(gradient, np.array(expected, dtype=float), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    "objective", ["sum(B ⊙ softmax(Z))", "sum(B ⊙ log_softmax(Z))", "b^T logsumexp(Z)"]
)
def test_the_family_is_finite_at_large_logits(objective: str) -> None:
    derivation = diff(objective, "Z")
    f_and_grad = derivation.to_function()
    rng = np.random.default_rng(1)
    env = {"Z": rng.choice([-800.0, 800.0], size=(3, 4)), "B": rng.uniform(size=(3, 4))}
    env["b"] = rng.uniform(size=3)
    names = [n for n in ("B", "b", "Z") if n in derivation.shapes.symbols]
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value, gradient = f_and_grad(**{n: env[n] for n in names})
    assert np.isfinite(value) and np.all(np.isfinite(gradient))
    matcalc_value = evaluate(derivation.objective, env, shapes=derivation.shapes.symbols)
    assert float(value) == pytest.approx(float(matcalc_value), rel=1e-12)


def test_a_factor_divided_twice_and_multiplied_once_cancels_once() -> None:
    """log(X ⊙ X) differentiates to (X ⊙ X) ⊘ (X ⊙ X)-style quotients: one X cancels each."""
    derivation = diff("sum(log(X ⊙ X))", "X")
    assert str(derivation.result) == "2 (1 ⊘ X)"
    assert gradcheck(derivation, positive=True) < 1e-6


@pytest.mark.parametrize(
    ("objective", "expected"),
    [("sum(y) (a^T y)", "ones(n, 1) a^T + a ones(1, n)"), ("sum(y)^2", "2 ones(n, 1) ones(1, n)")],
)
def test_the_variable_itself_is_differentiated_unconstrained(objective: str, expected: str) -> None:
    """A declaration that y sums to one is not used for y's own derivatives: the gradient
    differentiated again must be the gradient everywhere, not only where sum(y) = 1."""
    derivation = hessian(objective, "y", shapes={"y": ("n", "sums-to-one")})
    assert str(derivation.result) == expected
    assert gradcheck(derivation) < 1e-6


def test_log_of_softmax_is_read_as_log_softmax() -> None:
    """The same function: said in a note, and its code finite where softmax rounds to 0."""
    derivation = diff("-y^T log(softmax(z))", "z", shapes={"y": ("n", "sums-to-one")})
    assert str(derivation.objective) == "-y^T log_softmax(z)"
    assert "log(softmax(z)) is read as log_softmax(z)" in derivation.text()
    assert str(derivation.result) == "-y + softmax(z)"
    assert gradcheck(derivation) < 1e-6
    y, z = np.array([0.2, 0.3, 0.5]), np.array([800.0, -800.0, 0.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value, gradient = derivation.to_function()(y, z)
    np.testing.assert_allclose(gradient, [0.8, -0.3, -0.5], atol=1e-15)
    assert float(value) == pytest.approx(880.0)


@pytest.mark.parametrize(
    ("objective", "gradient"),
    [
        ("sum(log(sigmoid(z)) ⊙ log(sigmoid(z)))", [0.0, -1600.0, -2 * np.log(2) / 2]),
        ("sum(log(1 - sigmoid(z)))", [-1.0, 0.0, -0.5]),
    ],
)
def test_log_sigmoid_is_stable_through_a_named_value(objective: str, gradient: list[float]) -> None:
    """The result holds log(H1) with H1 = sigmoid(z): its code looks through the name."""
    f_and_grad = diff(objective, "z").to_function()
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        _, found = f_and_grad(np.array([800.0, -800.0, 0.0]))
    np.testing.assert_allclose(found, gradient, rtol=1e-12, atol=1e-12)


def test_the_axis_follows_the_declared_shape_at_run_time() -> None:
    """A matrix declared m×k and given one column at run time is still read along its rows:
    evaluate and the generated code agree (each row's softmax of one entry is 1)."""
    derivation = diff("sum(A ⊙ softmax(X))", "X", shapes={"X": ("m", "k"), "A": ("m", "k")})
    env = {"X": np.random.default_rng(0).normal(size=(4, 1)), "A": np.ones((4, 1))}
    value = evaluate(derivation.objective, env, shapes=derivation.shapes.symbols)
    generated, _ = derivation.to_function()(**env)
    assert value == pytest.approx(4.0) == float(generated)
    column = diff("sum(a ⊙ softmax(x))", "x")  # a declared column: over its entries
    env = {"x": env["X"][:, 0], "a": np.ones(4)}
    assert evaluate(column.objective, env) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ([np.inf, 0.0], np.inf),
        ([-np.inf, -np.inf], -np.inf),
        ([], -np.inf),
        ([800.0, 800.0], 800 + np.log(2)),
    ],
)
def test_logsumexp_evaluates_at_the_ends_of_the_reals(row: list[float], expected: float) -> None:
    value = evaluate("logsumexp(X)", {"X": np.array([row]).reshape(1, -1)})
    assert float(value) == pytest.approx(expected)
