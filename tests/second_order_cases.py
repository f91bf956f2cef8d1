"""Second-order cases shared by the tests: (objective, wrt, direction, shapes, expected text,
input domain), each checked by numbers in tests/test_hessian.py.

Expected text is the result with the named values it uses (`cases.written`); None where the
form is long and only its value is pinned down. `domain` is "positive" for inputs in
[0.5, 1.5] with 3 I added to square matrices (log, inverse, log-det, det), else [-1, 1].
"""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest

SYMMETRIC_N = {"S": ("n", "n", "symmetric")}


class SecondCase(NamedTuple):
    objective: str
    wrt: str
    direction: str | None = None
    shapes: dict[str, Any] | None = None
    expected: str | None = None
    domain: str = "any"


def rows(cases: list[tuple[str, SecondCase]]) -> list[Any]:
    """pytest params, each named by its case's id."""
    return [pytest.param(case, id=name) for name, case in cases]


SCALAR = [
    ("lambda-squared-quadratic", SecondCase("lambda^2 x^T x", "lambda", expected="2 (x^T x)")),
    ("exp-times-trace", SecondCase("exp(lambda) tr(A)", "lambda", expected="exp(lambda) tr(A)")),
    ("sin", SecondCase("sin(lambda)", "lambda", expected="-sin(lambda)")),
    ("cube", SecondCase("λ^3", "λ", expected="6 λ")),
    (
        "log-times-sum",
        SecondCase("log(λ) sum(X)", "λ", expected="-sum(X) / λ^2", domain="positive"),
    ),
    ("scaled-least-squares", SecondCase("||λ X - Y||_F^2", "λ", expected="2 sum(X ⊙ X)")),
    (
        "log-one-plus-square",
        SecondCase("log(1 + λ^2)", "λ", expected="2 / (1 + λ^2) - 4 λ^2 / (1 + λ^2)^2"),
    ),
    # right, though (x^T x)^2 exp(λ x^T x) would read better
    (
        "exp-of-scaled-quadratic",
        SecondCase("exp(λ x^T x)", "λ", expected="exp(λ x^T x) (x^T x) x^T x"),
    ),
]

COLUMN = [
    # the closed forms issue 14 names
    ("quadratic-form", SecondCase("x^T A x", "x", expected="A + A^T")),
    ("quadratic-form-symmetric", SecondCase("x^T S x", "x", shapes=SYMMETRIC_N, expected="2 S")),
    (
        "quadratic-form-symmetric-A",
        SecondCase("x^T A x", "x", shapes={"A": ("n", "n", "symmetric")}, expected="2 A"),
    ),
    ("least-squares", SecondCase("||A x - b||_2^2", "x", expected="2 A^T A")),
    (
        "ridge",
        SecondCase("||A x - b||_2^2 + lambda x^T x", "x", expected="2 A^T A + 2 lambda eye(n)"),
    ),
    (
        "half-quadratic-plus-linear",
        SecondCase("x^T A x / 2 + c^T x", "x", expected="(A + A^T) / 2"),
    ),
    ("squared-inner-product", SecondCase("(a^T x)^2", "x", expected="2 a a^T")),
    ("quartic", SecondCase("x^T x x^T x", "x", expected="8 x x^T + 4 (x^T x) eye(m)")),
    ("quartic-power", SecondCase("(x^T x)^2", "x", expected="8 x x^T + 4 (x^T x) eye(m)")),
    (
        # issue 14's target: diag(p) - p p^T with p = exp(x) / sum(exp(x)) named p
        "log-sum-exp",
        SecondCase(
            "log(sum(exp(x)))", "x", expected="diag(H2) - H2 H2^T; H1 = exp(x); H2 = H1 / sum(H1)"
        ),
    ),
    (
        # issue 14's target: X^T diag(s ⊙ (1 - s)) X with s named s; y^{∘2} enters too, as it
        # must for y not in {±1}
        "logistic-loss",
        SecondCase(
            "sum(log(1 + exp(-y ⊙ (X w))))",
            "w",
            expected="X^T diag(y ⊙ (H1 ⊙ (1 - H1)) ⊙ y) X; H1 = sigmoid(-y ⊙ (X w))",
        ),
    ),
    ("sum-exp-linear", SecondCase("sum(exp(A x))", "x", expected="A^T diag(exp(A x)) A")),
    (
        "euclidean-norm",
        SecondCase("||x||_2", "x", expected="(eye(m) - H1 H1^T) / ||x||_2; H1 = x / ||x||_2"),
    ),
    ("cubes", SecondCase("sum(x^{∘3})", "x", expected="6 diag(x)")),
    (
        "log-barrier",
        SecondCase("sum(log(x))", "x", expected="-diag(1 ⊘ x^{∘2})", domain="positive"),
    ),
    (
        "tanh-least-squares",
        SecondCase(
            "||tanh(A x) - b||_2^2",
            "x",
            expected=(
                "2 A^T diag(1 - H3^{∘2})^2 A - 4 A^T diag((H3 - b) ⊙ H3) diag(1 - H3^{∘2}) A; "
                "H3 = tanh(A x)"
            ),
        ),
    ),
    ("linear", SecondCase("sum(A x)", "x", expected="0")),
    ("inverse-quadratic", SecondCase("1 / (x^T x)", "x", domain="positive")),
    ("softplus-sum", SecondCase("sum(log(1 + exp(A x)))", "x")),
    (
        "logistic-ridge",
        SecondCase(
            "sum(log(1 + exp(-y ⊙ (X w)))) + lambda w^T w",
            "w",
            expected=(
                "X^T diag(y ⊙ (H1 ⊙ (1 - H1)) ⊙ y) X + 2 lambda eye(n); H1 = sigmoid(-y ⊙ (X w))"
            ),
        ),
    ),
    ("hadamard-quadratic-form", SecondCase("x^T (A ⊙ B) x", "x", expected="A ⊙ B + A^T ⊙ B^T")),
    ("reciprocals", SecondCase("sum(1 ⊘ x)", "x", domain="positive")),
    ("tanh-sum", SecondCase("sum(tanh(x))", "x", expected="-2 diag(tanh(x) ⊙ (1 - tanh(x)^{∘2}))")),
    ("exp-quadratic-form", SecondCase("exp(x^T A x)", "x")),
    ("rational", SecondCase("sum(x ⊘ (1 + x ⊙ x))", "x")),
    ("rayleigh-quotient", SecondCase("||A x||_2^2 / (x^T x)", "x", domain="positive")),
]

DIRECTION = [
    (
        "least-squares-two-sided",
        SecondCase("||A X B - C||_F^2", "X", "V", expected="2 A^T A V B B^T"),
    ),
    (
        "log-det",
        SecondCase("logdet(X)", "X", "V", expected="-X^{-T} V^T X^{-T}", domain="positive"),
    ),
    (
        "trace-inverse",
        SecondCase(
            "tr(X^{-1} A)",
            "X",
            "V",
            expected="X^{-T} A^T X^{-T} V^T X^{-T} + X^{-T} V^T X^{-T} A^T X^{-T}",
            domain="positive",
        ),
    ),
    ("trace-two-sided", SecondCase("tr(A X B X^T)", "X", "V", expected="A V B + A^T V B^T")),
    (
        "determinant",
        SecondCase(
            "det(X)",
            "X",
            "V",
            expected="det(X) sum(V ⊙ X^{-T}) X^{-T} - det(X) X^{-T} V^T X^{-T}",
            domain="positive",
        ),
    ),
    ("trace-quadratic", SecondCase("tr(X^T A X)", "X", "V", expected="A^T V + A V")),
    ("frobenius", SecondCase("||X||_F^2", "X", "V", expected="2 V")),
    ("trace-square", SecondCase("tr(X^2)", "X", "V", expected="2 V^T")),
    ("trace-cube", SecondCase("tr(X^3)", "X", "V", expected="3 X^T V^T + 3 V^T X^T")),
    ("network-first-layer", SecondCase("||tanh(X W1) W2 - Y||_F^2", "W1", "V")),
    (
        "network-second-layer",
        SecondCase("||tanh(X W1) W2 - Y||_F^2", "W2", "V", expected="2 tanh(X W1)^T tanh(X W1) V"),
    ),
    ("three-layer-middle", SecondCase("||tanh(tanh(X W1) W2) W3 - Y||_F^2", "W2", "V")),
    ("three-layer-first", SecondCase("||tanh(tanh(X W1) W2) W3 - Y||_F^2", "W1", "V")),
    (
        "symmetric-trace",
        SecondCase(
            "tr(S A S)", "S", "V", shapes=SYMMETRIC_N, expected="(V A + A V + A^T V + V A^T) / 2"
        ),
    ),
    ("sum-exp-product", SecondCase("sum(exp(X W))", "W", "V", expected="X^T ((X V) ⊙ exp(X W))")),
    ("softplus-network", SecondCase("sum(log(1 + exp(X W)))", "W", "V")),
    ("column-quadratic", SecondCase("x^T A x", "x", "v", expected="A^T v + A v")),
    ("column-least-squares", SecondCase("||A x - b||_2^2", "x", "v", expected="2 A^T A v")),
    ("column-logistic", SecondCase("sum(log(1 + exp(-y ⊙ (X w))))", "w", "v")),
    ("scalar-direction", SecondCase("sin(λ) tr(A)", "λ", "ν")),
    ("gram-penalty", SecondCase("||X^T X - B||_F^2", "X", "V")),
    ("linear-trace", SecondCase("tr(A X)", "X", "V", expected="0")),
    (
        "symmetric-log-det",
        SecondCase(
            "logdet(S)", "S", "V", SYMMETRIC_N, expected="-S^{-1} V S^{-1}", domain="positive"
        ),
    ),
    (
        "trace-of-inverse",
        SecondCase(
            "tr(X^{-1})",
            "X",
            "V",
            expected="(X^{-T})^2 V^T X^{-T} + X^{-T} V^T (X^{-T})^2",
            domain="positive",
        ),
    ),
    (
        "trace-gram-squared",
        SecondCase("tr((X^T X)^2)", "X", "V", expected="4 V X^T X + 4 X V^T X + 4 X X^T V"),
    ),
    ("squared-bilinear", SecondCase("(a^T X b)^2", "X", "V", expected="2 (b^T V^T a) a b^T")),
    ("matrix-square-fit", SecondCase("||X^2 - A||_F^2", "X", "V")),
    ("generic-function", SecondCase("sum(g(X W))", "W", "V", expected="X^T ((X V) ⊙ g''(X W))")),
]

KRONECKER = [
    (
        "least-squares-left",
        SecondCase("||A X - B||_F^2", "X", shapes={"X": ("m", "n")}, expected="2 (eye(n) ⊗ A^T A)"),
    ),
    ("trace-quadratic", SecondCase("tr(X^T A X)", "X", expected="eye(n) ⊗ (A + A^T)")),
    ("least-squares-right", SecondCase("||X B - C||_F^2", "X", expected="2 (B B^T ⊗ eye(m))")),
    ("trace-two-sided", SecondCase("tr(A X B X^T)", "X", expected="B^T ⊗ A + B ⊗ A^T")),
    ("frobenius", SecondCase("||X||_F^2", "X", expected="2 (eye(n) ⊗ eye(m))")),
    ("least-squares-two-sided", SecondCase("||A X B - C||_F^2", "X", expected="2 (B B^T ⊗ A^T A)")),
    (
        "symmetric-trace",
        SecondCase(
            "tr(S A S)",
            "S",
            shapes=SYMMETRIC_N,
            expected="(A^T ⊗ eye(n)) / 2 + (eye(n) ⊗ (A + A^T)) / 2 + (A ⊗ eye(n)) / 2",
        ),
    ),
    ("linear-trace", SecondCase("tr(A X)", "X", expected="0 (eye(m) ⊗ eye(n))")),
    ("trace-quadratic-two-sided", SecondCase("tr(X^T A X B)", "X", expected="B ⊗ A^T + B^T ⊗ A")),
    (
        "two-least-squares",
        SecondCase(
            "||A X||_F^2 + ||X B||_F^2",
            "X",
            expected="2 (eye(p) ⊗ A^T A) + 2 (B B^T ⊗ eye(n))",
        ),
    ),
    (
        "symmetric-trace-two-sided",
        SecondCase(
            "tr(S A S B)",
            "S",
            shapes=SYMMETRIC_N,
            expected="(A^T ⊗ B) / 2 + (B^T ⊗ A) / 2 + (B ⊗ A^T) / 2 + (A ⊗ B^T) / 2",
        ),
    ),
]

ALL = [
    *(("scalar-" + name, case) for name, case in SCALAR),
    *(("column-" + name, case) for name, case in COLUMN),
    *(("direction-" + name, case) for name, case in DIRECTION),
    *(("kronecker-" + name, case) for name, case in KRONECKER),
]
"""Every case, its id saying its kind: scalar, column (Hessian), direction (HVP), kronecker."""

NO_KRONECKER = [
    ("log-det", SecondCase("logdet(X)", "X", domain="positive")),
    ("trace-inverse", SecondCase("tr(X^{-1} A)", "X", domain="positive")),
    ("determinant", SecondCase("det(X)", "X", domain="positive")),
    ("entrywise-exp", SecondCase("sum(exp(X))", "X")),
    ("trace-square", SecondCase("tr(X^2)", "X")),
]
"""No Kronecker form: ∇²f[V] holds V^T (a commutation matrix) or V inside ⊙ or sum."""
