"""What people bring from matrixcalculus.org and from papers: its syntax and naming, Jacobians,
layouts, symmetric variables and their own functions. Every result is checked by numbers too."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import numpy as np
import pytest
from cases import written
from conftest import TOLERANCE, assert_gradient_correct, well_conditioned

from matcalc import Derivation, MatcalcError, diff, evaluate, gradcheck
from matcalc.finite_differences import random_env

# matrixcalculus.org/documentation: "Valid input examples are", all nine, in its syntax
MATRIXCALCULUS = [
    ("0.5*x'*A*x", "x", "(A + A^T) x / 2"),
    ("A*exp(x)", "x", "A diag(exp(x))"),
    ("(y.*v)'*x", "x", "y ⊙ v"),
    ("a^b", "a", "a^{b - 1} b"),
    ("norm1(A*x-y)", "x", "A^T sign(A x - y)"),
    ("norm2(A*x-y)^2", "x", "2 A^T A x - 2 A^T y"),
    (
        "sum(log(exp(-y.*(X*w)) + vector(1)))",
        "w",
        "-X^T (1 ⊘ (H1 + ones(m, 1)) ⊙ H1 ⊙ y); H1 = exp(-y ⊙ (X w))",
    ),
    ("tr(A*X'*B*X*C)", "X", "B X C A + B^T X A^T C^T"),
    ("log(det(inv(X)))", "X", "-X^{-T}"),
]


def _well_conditioned(derivation: Derivation, seed: int) -> dict[str, Any]:
    """Random values in [0.5, 1.5] (a^b needs a > 0), with 3 I added to square matrices so
    that det(inv(X)) is positive and every inverse is well conditioned."""
    symbols = dict(derivation.shapes.symbols)
    return well_conditioned(random_env(symbols, derivation.objective, seed=seed, low=0.5, high=1.5))


@pytest.mark.parametrize(("expression", "wrt", "result"), MATRIXCALCULUS)
def test_every_matrixcalculus_example(expression: str, wrt: str, result: str) -> None:
    derivation = diff(expression, wrt, convention="matrixcalculus", layout="numerator")
    if derivation.jacobian_of is None:  # a gradient: compare in its usual, denominator layout
        derivation = diff(expression, wrt, convention="matrixcalculus")
    where = [(str(b.name), str(b.value)) for b in derivation.result_where]
    assert written(str(derivation.result), where) == result
    for seed in (0, 1):
        assert gradcheck(derivation, _well_conditioned(derivation, seed), seed=seed) < TOLERANCE


def test_matrixcalculus_naming() -> None:
    derivation = diff("a*x'*B*x + c", "x", convention="matrixcalculus")
    assert str(derivation.result) == "a B x + a B^T x"
    assert_gradient_correct(derivation)
    shapes = derivation.shapes.symbols
    assert shapes["a"] == shapes["c"] == (1, 1)
    assert shapes["x"][1] == 1 and shapes["B"] == (shapes["x"][0],) * 2
    with pytest.raises(MatcalcError, match="convention"):
        diff("a^b", "a", convention="sympy")


def test_gradient_with_respect_to_a_vector() -> None:
    derivation = diff("||A x - b||_2^2 + x^T B x", "x")
    assert str(derivation.result) == "2 A^T A x - 2 A^T b + B x + B^T x"
    assert derivation.shape == ("n", 1)
    assert_gradient_correct(derivation)


def test_gradient_with_respect_to_a_scalar() -> None:
    derivation = diff("||Y - exp(lambda X)||_F^2", "lambda")
    assert str(derivation.result) == "-2 sum((Y - exp(lambda X)) ⊙ exp(lambda X) ⊙ X)"
    assert derivation.shape == (1, 1)
    assert_gradient_correct(derivation)


SYMMETRIC = {"S": "n,n,symmetric"}


@pytest.mark.parametrize(
    ("expression", "symmetrised", "unconstrained"),
    [
        ("tr(A S)", "(A^T + A) / 2", "A^T"),
        ("logdet(S)", "S^{-1}", "S^{-1}"),
        ("x^T S x + tr(B S C)", "x x^T + (B^T C^T + C B) / 2", "x x^T + B^T C^T"),
        ("||S - A||_F^2", "2 S - A - A^T", "2 S - 2 A"),
    ],
)
def test_gradient_with_respect_to_a_symmetric_matrix(
    expression: str, symmetrised: str, unconstrained: str
) -> None:
    derivation = diff(expression, "S", shapes=SYMMETRIC)
    assert str(derivation.result) == symmetrised
    assert derivation.steps[-1].rule in ("symmetric variable", "simplification")
    loose = diff(expression, "S", shapes=SYMMETRIC, symmetrise=False)
    assert str(loose.result) == unconstrained
    for found in (derivation, loose):  # both agree with differences along symmetric directions
        for seed in (0, 1):
            env = _well_conditioned(found, seed) if "logdet" in expression else None
            assert gradcheck(found, env, seed=seed) < TOLERANCE
    env = random_env(dict(derivation.shapes.symbols), symmetric={"S"})
    value = np.asarray(np.atleast_2d(_value(derivation, env)))
    np.testing.assert_allclose(value, value.T)


def _value(derivation: Derivation, env: dict[str, Any]) -> Any:
    return evaluate(derivation.result, env, shapes=derivation.shapes.symbols)


def test_a_symmetric_matrix_must_be_square() -> None:
    with pytest.raises(MatcalcError, match="square"):
        diff("tr(S)", "S", shapes={"S": "m,n,symmetric"})


@pytest.mark.parametrize(
    ("expression", "wrt", "numerator", "sentence"),
    [
        ("tr(A X B)", "X", "B A", "df/dX is p×n, the transpose of X's shape (numerator layout)"),
        ("x^T A x", "x", "x^T A^T + x^T A", "df/dx is 1×m"),
        ("lambda^2", "lambda", "2 lambda", "df/dlambda is 1×1"),
    ],
)
def test_numerator_layout_is_the_transpose_and_says_so(
    expression: str, wrt: str, numerator: str, sentence: str
) -> None:
    derivation = diff(expression, wrt, layout="numerator")
    assert str(derivation.result) == numerator
    assert sentence in derivation.text()
    assert "numerator" in derivation.latex() and derivation.to_dict()["layout"] == "numerator"
    assert_gradient_correct(derivation)
    assert "(denominator layout)" in diff(expression, wrt).text()


@pytest.mark.parametrize(
    ("expression", "wrt", "numerator", "denominator"),
    [
        ("A*exp(x)", "x", "A diag(exp(x))", "diag(exp(x)) A^T"),
        (
            "tanh(W x + b)",
            "x",
            "diag(1 - tanh(W x + b)^{∘2}) W",
            "W^T diag(1 - tanh(W x + b)^{∘2})",
        ),
        ("(a^T x) b", "x", "b a^T", "a b^T"),
        ("x / ||x||_2", "x", "eye(m) / ||x||_2 - x x^T / (||x||_2)^3", None),
        ("exp(lambda) a", "lambda", "exp(lambda) a", "exp(lambda) a^T"),
    ],
)
def test_jacobian_of_a_column(
    expression: str, wrt: str, numerator: str, denominator: str | None
) -> None:
    derivation = diff(expression, wrt, layout="numerator")
    assert str(derivation.result) == numerator
    assert derivation.text().splitlines()[-1] == f"d({derivation.jacobian_of})/d{wrt} = {numerator}"
    assert_gradient_correct(derivation)
    transposed = diff(expression, wrt)
    assert str(transposed.result) == (denominator or numerator)
    assert_gradient_correct(transposed)


def test_a_matrix_valued_objective_is_refused() -> None:
    with pytest.raises(MatcalcError, match="Jacobian"):
        diff("X W", "W")


@pytest.mark.parametrize(
    ("definition", "result"),
    [
        ("log(1 + exp(x))", "X^T sigmoid(X W)"),
        ("t^3 / 3 + sin(t)", "X^T (X W)^{∘2} + X^T cos(X W)"),
        ("2^x", "log(2) X^T exp((X W) ⊙ log(2))"),
    ],
)
def test_user_defined_function(definition: str, result: str) -> None:
    derivation = diff("sum(phi(X W))", "W", functions={"phi": definition})
    assert str(derivation.result) == result
    lines = derivation.text().splitlines()
    assert lines[1] == "shapes: X m×n, W n×p"
    assert lines[2].startswith("where phi(")
    assert r"\operatorname{phi}" in derivation.latex()
    assert_gradient_correct(derivation)


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ("tr(x)", "not a scalar formula"),
        ("x + y", "one variable"),
        ("__import__('os')", "syntax error"),
    ],
)
def test_bad_definitions_are_errors(definition: str, message: str) -> None:
    with pytest.raises(MatcalcError, match=message):
        diff("sum(phi(X))", "X", functions={"phi": definition})


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "matcalc", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def test_define_from_the_command_line() -> None:
    run = _cli("diff", "sum(phi(X W))", "--wrt", "W", "--define", "phi(x) = log(1 + exp(x))")
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[-1] == "df/dW = X^T sigmoid(X W)"
    bad = _cli("diff", "sum(phi(X))", "--wrt", "X", "--define", "phi = x")
    assert bad.returncode == 2 and len(bad.stderr.splitlines()) == 1


def test_layout_convention_and_symmetry_from_the_command_line() -> None:
    run = _cli("diff", "A*exp(x)", "--wrt", "x", "--convention", "matrixcalculus")
    assert run.stdout.splitlines()[-1] == "d(A exp(x))/dx = diag(exp(x)) A^T"
    run = _cli("diff", "tr(A S)", "--wrt", "S", "--shape", "S=n,n,symmetric", "--unconstrained")
    assert run.stdout.splitlines()[-1] == "df/dS = A^T"
    run = _cli("diff", "tr(A X)", "--wrt", "X", "--layout", "numerator")
    assert run.stdout.splitlines()[-2:] == [
        "layout: df/dX is m×n, the transpose of X's shape (numerator layout)",
        "df/dX = A",
    ]


def test_sizes_of_ones_and_identity_come_from_their_use() -> None:
    derivation = diff("x^T I x + sum(matrix(2) ⊙ X)", "x")
    assert str(derivation.result) == "2 x"
    assert_gradient_correct(derivation)
    by_matrix = diff("x^T I x + sum(matrix(2) ⊙ X)", "X")
    assert str(by_matrix.result) == "2 ones(n, p)"
    assert_gradient_correct(by_matrix)
    with pytest.raises(MatcalcError, match="cannot be told"):
        diff("sum(vector(1)) + sum(x)", "x")


def test_one_norm_says_sign_is_a_subgradient() -> None:
    derivation = diff("norm1(A*x-y)", "x", convention="matrixcalculus")
    (step,) = [s for s in derivation.steps if s.rule == "1-norm"]
    assert step.justification.endswith("; sign is a subgradient where an entry is 0")
    assert str(derivation.result) == "A^T sign(A x - y)"
    assert_gradient_correct(derivation)
