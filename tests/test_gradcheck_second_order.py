"""The numerical check of second derivatives: the second derivative applied to a random U
against central differences of the gradient, (∇f(X + εU) − ∇f(X − εU)) / 2ε. It must pass
each kind's right result, in either layout and for a symmetric variable, and fail a wrong one:
a factor off, a transposed term, a dropped term."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

from matcalc import Derivation, ErrorKind, MatcalcError, gradcheck, hessian, parse
from matcalc.cli import main
from matcalc.expr import MatMul, Number

TOLERANCE = 1e-6
"""What `--check` accepts (matcalc/cli.py)."""

SQUARE = {"A": "n,n", "X": "n,n", "B": "n,n", "C": "n,n"}
"""Every matrix n×n, so that a transposed term has the right shape and only numbers tell."""

SYMMETRIC = {"S": ("n", "n", "symmetric")}

RIGHT = [
    (
        "scalar",
        "lambda^3 + sin(lambda)",
        "lambda",
        {},
        "second derivative",
        "6 lambda - sin(lambda)",
    ),
    ("quadratic", "x^T A x", "x", {}, "Hessian", "A + A^T"),
    ("least-squares", "||A x - b||_2^2", "x", {}, "Hessian", "2 A^T A"),
    ("log-sum-exp", "log(sum(exp(x)))", "x", {}, "Hessian", "diag(H2) - H2 H2^T"),
    (
        "logistic",
        "sum(log(1 + exp(-y ⊙ (X w))))",
        "w",
        {},
        "Hessian",
        "X^T diag(y ⊙ (H1 ⊙ (1 - H1)) ⊙ y) X",
    ),
    (
        "least-squares-both-sides",
        "||A X B - C||_F^2",
        "X",
        {"direction": "V"},
        "Hessian-vector product",
        "2 A^T A V B B^T",
    ),
    (
        "least-squares-numerator",
        "||A X B - C||_F^2",
        "X",
        {"direction": "V", "layout": "numerator"},
        "Hessian-vector product",
        "2 B B^T V^T A^T A",
    ),
    (
        "logdet",
        "logdet(X)",
        "X",
        {"direction": "V"},
        "Hessian-vector product",
        "-X^{-T} V^T X^{-T}",
    ),
    (
        "trace-quadratic",
        "tr(X^T A X)",
        "X",
        {"direction": "V"},
        "Hessian-vector product",
        "A^T V + A V",
    ),
    (
        "network-first-layer",
        "||tanh(X W1) W2 - Y||_F^2",
        "W1",
        {"direction": "V"},
        "Hessian-vector product",
        "2 X^T ((((X V) ⊙ (1 - tanh(X W1)^{∘2})) W2 W2^T - 2 ((X V) ⊙ ((tanh(X W1) W2 - Y) "
        "W2^T) ⊙ tanh(X W1))) ⊙ (1 - tanh(X W1)^{∘2}))",
    ),
    (
        "network-second-layer",
        "||tanh(X W1) W2 - Y||_F^2",
        "W2",
        {"direction": "V"},
        "Hessian-vector product",
        "2 tanh(X W1)^T tanh(X W1) V",
    ),
    (
        "symmetric",
        "tr(S A S)",
        "S",
        {"direction": "V", "shapes": SYMMETRIC},
        "Hessian-vector product",
        "(V A + A V + A^T V + V A^T) / 2",
    ),
    (
        "symmetric-elementwise",
        "sum(exp(S))",
        "S",
        {"direction": "V", "shapes": SYMMETRIC},
        "Hessian-vector product",
        "(V ⊙ exp(S) + V ⊙ exp(S)^T) / 2",
    ),
    (
        "generic-function",
        "sum(g(X))",
        "X",
        {"direction": "V"},
        "Hessian-vector product",
        "V ⊙ g''(X)",
    ),
    ("kronecker-least-squares", "||A X - B||_F^2", "X", {}, "Hessian of vec", "2 (eye(p) ⊗ A^T A)"),
    ("kronecker-trace", "tr(X^T A X)", "X", {}, "Hessian of vec", "eye(n) ⊗ (A + A^T)"),
]
"""(id, objective, variable, hessian's options, kind, the result's text). The symmetric rows
need U symmetric: the symmetrised ∇²f[V] of sum(exp(S)) is the change of the gradient only
along symmetric directions."""


def _derived(objective: str, wrt: str, options: dict[str, Any]) -> Derivation:
    return hessian(objective, wrt, **options)


@pytest.mark.parametrize(
    ("objective", "wrt", "options", "kind", "text"),
    [pytest.param(*row[1:], id=row[0]) for row in RIGHT],
)
def test_a_right_second_derivative_agrees(
    objective: str, wrt: str, options: dict[str, Any], kind: str, text: str
) -> None:
    derivation = _derived(objective, wrt, options)
    assert (derivation.kind, str(derivation.result)) == (kind, text)
    errors = [gradcheck(derivation, seed=seed) for seed in range(3)]
    assert max(errors) < TOLERANCE, errors


@pytest.mark.parametrize(
    ("objective", "wrt", "options"), [pytest.param(*row[1:4], id=row[0]) for row in RIGHT]
)
@pytest.mark.parametrize("factor", [Fraction(2), Fraction(1001, 1000)], ids=["twice", "0.1%-off"])
def test_a_scaled_second_derivative_disagrees(
    objective: str, wrt: str, options: dict[str, Any], factor: Fraction
) -> None:
    """The relative error of c R against R is |c − 1| / c: 1/2 for twice the result, and
    1/1001 for a result 0.1% too large, which the rounding allowance does not hide."""
    derivation = _derived(objective, wrt, options)
    wrong = replace(derivation, result=MatMul(Number(factor), derivation.result))
    expected = float((factor - 1) / factor)
    for seed in (0, 1):
        assert gradcheck(wrong, seed=seed) == pytest.approx(expected, rel=1e-2)


WRONG = [
    ("scalar-sign", "lambda^3 + sin(lambda)", "lambda", {}, "6 lambda + sin(lambda)"),
    ("scalar-the-gradient", "lambda^3 + sin(lambda)", "lambda", {}, "3 lambda^2 + cos(lambda)"),
    ("quadratic-transposed-term", "x^T A x", "x", {}, "A + A"),
    ("quadratic-dropped-term", "x^T A x", "x", {}, "A^T"),
    ("least-squares-transposed", "||A x - b||_2^2", "x", {"shapes": {"A": "n,n"}}, "2 A A^T"),
    ("log-sum-exp-dropped-term", "log(sum(exp(x)))", "x", {}, "diag(exp(x)) / sum(exp(x))"),
    (
        "logistic-without-labels",
        "sum(log(1 + exp(-y ⊙ (X w))))",
        "w",
        {},
        "X^T diag(exp(X w) ⊘ (1 + exp(X w))^{∘2}) X",
    ),
    (
        "both-sides-transposed-factor",
        "||A X B - C||_F^2",
        "X",
        {"direction": "V", "shapes": SQUARE},
        "2 A A^T V B B^T",
    ),
    (
        "both-sides-transposed-direction",
        "||A X B - C||_F^2",
        "X",
        {"direction": "V", "shapes": SQUARE},
        "2 A^T A V^T B B^T",
    ),
    (
        "numerator-given-denominator",
        "||A X B - C||_F^2",
        "X",
        {"direction": "V", "layout": "numerator", "shapes": SQUARE},
        "2 A^T A V B B^T",
    ),
    ("logdet-transposed", "logdet(X)", "X", {"direction": "V"}, "-X^{-1} V X^{-1}"),
    ("logdet-sign", "logdet(X)", "X", {"direction": "V"}, "X^{-T} V^T X^{-T}"),
    ("trace-dropped-term", "tr(X^T A X)", "X", {"direction": "V"}, "A V"),
    (
        "network-gauss-newton",
        "||tanh(X W1) W2 - Y||_F^2",
        "W1",
        {"direction": "V"},
        "2 X^T ((((X V) ⊙ (1 - tanh(X W1)^{∘2})) W2 W2^T) ⊙ (1 - tanh(X W1)^{∘2}))",
    ),
    (
        "network-transposed-factor",
        "||tanh(X W1) W2 - Y||_F^2",
        "W2",
        {"direction": "V", "shapes": {"W1": "n,n", "W2": "n,n"}},
        "2 tanh(X W1)^T tanh(X W1) V^T",
    ),
    (
        "symmetric-not-symmetrised",
        "tr(S A S)",
        "S",
        {"direction": "V", "shapes": SYMMETRIC},
        "V A^T + A^T V",
    ),
    ("generic-first-derivative", "sum(g(X))", "X", {"direction": "V"}, "V ⊙ g'(X)"),
    ("large-gradient", "1e6 sum(X) + sum(X^{∘2})", "X", {"direction": "V"}, "2.01 V"),
    (
        "kronecker-factors-swapped",
        "||A X - B||_F^2",
        "X",
        {"shapes": {"X": "n,n"}},
        "2 (A^T A ⊗ eye(n))",
    ),
    ("kronecker-dropped-term", "tr(X^T A X)", "X", {}, "eye(n) ⊗ A"),
    (
        "kronecker-factors-swapped-square",
        "tr(X^T A X)",
        "X",
        {"shapes": {"X": "n,n"}},
        "(A + A^T) ⊗ eye(n)",
    ),
]
"""(id, objective, variable, hessian's options, a wrong result of the right shape)."""


@pytest.mark.parametrize(
    ("objective", "wrt", "options", "wrong"), [pytest.param(*row[1:], id=row[0]) for row in WRONG]
)
def test_a_wrong_second_derivative_disagrees(
    objective: str, wrt: str, options: dict[str, Any], wrong: str
) -> None:
    derivation = _derived(objective, wrt, options)
    assert gradcheck(derivation) < TOLERANCE
    mistaken = replace(derivation, result=parse(wrong))
    errors = [gradcheck(mistaken, seed=seed) for seed in (0, 1)]
    assert min(errors) > 1e-3, errors


def test_a_result_of_the_wrong_shape_is_a_shape_error() -> None:
    derivation = _derived("||A X B - C||_F^2", "X", {"direction": "V"})
    with pytest.raises(MatcalcError, match=r"has shape \(5, 4\), but X is \(4, 5\)") as caught:
        gradcheck(replace(derivation, result=parse("V^T")))
    assert caught.value.kind is ErrorKind.SHAPE


def test_a_gradient_not_real_at_the_inputs_is_a_value_error() -> None:
    """sqrt(X) is real on [0.5, 1.5], not on [-1, 1]: there is nothing to compare there."""
    derivation = _derived("sum(sqrt(X))", "X", {"direction": "V"})
    assert gradcheck(derivation, positive=True) < TOLERANCE
    with (
        np.errstate(invalid="ignore"),
        pytest.raises(MatcalcError, match="the gradient is not real at the sampled") as caught,
    ):
        gradcheck(derivation)
    assert caught.value.kind is ErrorKind.VALUE


@pytest.mark.parametrize(
    "arguments",
    [
        ["hessian", "x^T A x", "--wrt", "x", "--check"],
        ["hessian", "||A X B - C||_F^2", "--wrt", "X", "--direction", "V", "--check"],
        ["hessian", "||A X - B||_F^2", "--wrt", "X", "--check"],
    ],
    ids=["hessian", "hessian-vector-product", "kronecker"],
)
def test_the_command_line_checks_a_second_derivative(
    arguments: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(arguments) == 0
    assert "check: agrees with central differences" in capsys.readouterr().out


@pytest.mark.parametrize(
    "options",
    [{}, {"direction": "v"}, {"direction": "v", "layout": "numerator"}],
    ids=["hessian", "hessian-vector-product", "numerator"],
)
def test_inputs_given_with_one_dimensional_vectors(options: dict[str, Any]) -> None:
    """env as `evaluate` takes it: vectors 1-D, no value for the direction, which the check
    draws; a column result, computed 1-D, is compared as the column it is."""
    rng = np.random.default_rng(3)
    env = {"x": rng.normal(size=4), "b": rng.normal(size=3), "A": rng.normal(size=(3, 4))}
    derivation = _derived("||A x - b||_2^2", "x", options)
    assert gradcheck(derivation, env) < TOLERANCE
    wrong = replace(derivation, result=MatMul(Number(Fraction(2)), derivation.result))
    assert gradcheck(wrong, env) == pytest.approx(0.5, rel=1e-2)
