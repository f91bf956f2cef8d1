"""Derivative cases shared by the tests: (objective, wrt, closed form, shapes, positive inputs)."""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest


class Case(NamedTuple):
    expression: str
    wrt: str
    result: str
    shapes: dict[str, Any] | None = None
    positive: bool = False


def written(result: str, where: list[tuple[str, str]]) -> str:
    """A result with the values it names: `X^T (1 ⊘ H1); H1 = exp(X w)`."""
    return "".join([result, *(f"; {name} = {value}" for name, value in where)])


def rows(cases: list[tuple[str, Case]]) -> list[Any]:
    return [pytest.param(case, id=name) for name, case in cases]


SEED = [
    ("neural-network", Case("||g(X W) - Y||_F^2", "W", "2 X^T ((g(X W) - Y) ⊙ g'(X W))")),
    ("dictionary-D", Case("||X - D R||_F^2", "D", "-2 X R^T + 2 D R R^T")),
    ("dictionary-R", Case("||X - D R||_F^2", "R", "-2 D^T X + 2 D^T D R")),
]

ROWS = {"Y": ("m", "k", "rows-sum-to-one")}
"""Targets whose rows sum to one, as one-hot labels' do."""

SOFTMAX_FAMILY = [
    # the softmax family (issue 15): each through the rule table, checked numerically
    (
        "softmax-of-a-vector",
        Case("b^T softmax(x)", "x", "softmax(x) ⊙ b - softmax(x)^T b softmax(x)"),
    ),
    (
        "softmax-of-each-row",
        Case("sum(B ⊙ softmax(X))", "X", "softmax(X) ⊙ (B - sum_cols(softmax(X) ⊙ B))"),
    ),
    (
        "softmax-of-a-product",
        Case("sum(B ⊙ softmax(X W))", "W", "X^T (softmax(X W) ⊙ (B - sum_cols(softmax(X W) ⊙ B)))"),
    ),
    (
        "softmax-of-a-vector-product",
        Case("b^T softmax(A x)", "x", "A^T (softmax(A x) ⊙ b) - softmax(A x)^T b A^T softmax(A x)"),
    ),
    ("log-softmax-of-a-vector", Case("b^T log_softmax(x)", "x", "b - sum(b) softmax(x)")),
    (
        "log-softmax-of-each-row",
        Case("sum(B ⊙ log_softmax(X W))", "W", "X^T B - X^T diag(sum_cols(B)) softmax(X W)"),
    ),
    ("logsumexp-of-a-vector", Case("logsumexp(x)", "x", "softmax(x)")),
    ("logsumexp-of-a-product", Case("logsumexp(A x)", "x", "A^T softmax(A x)")),
    ("logsumexp-of-each-row", Case("sum(logsumexp(X W))", "W", "X^T softmax(X W)")),
    ("weighted-logsumexp-of-rows", Case("b^T logsumexp(X W)", "W", "X^T diag(b) softmax(X W)")),
    (
        "cross-entropy-by-logits",
        Case("cross_entropy(Z, Y)", "Z", "diag(sum_cols(Y)) softmax(Z) - Y"),
    ),
    ("cross-entropy-by-targets", Case("cross_entropy(Z, Y)", "Y", "-log_softmax(Z)")),
    (
        "multinomial-logistic-regression",
        Case("cross_entropy(X W, Y)", "W", "X^T diag(sum_cols(Y)) softmax(X W) - X^T Y"),
    ),
    (
        "multinomial-logistic-by-inputs",
        Case("cross_entropy(X W, Y)", "X", "diag(sum_cols(Y)) softmax(X W) W^T - Y W^T"),
    ),
    (
        "multinomial-logistic-bias",
        Case(
            "cross_entropy(X W + ones(m, 1) b^T, Y)",
            "b",
            "softmax(X W + ones(m, 1) b^T)^T diag(sum_cols(Y)) ones(m, 1) - Y^T ones(m, 1)",
        ),
    ),
    (
        "multinomial-logistic-with-bias",
        Case(
            "cross_entropy(X W + ones(m, 1) b^T, Y)",
            "W",
            "X^T diag(sum_cols(Y)) softmax(X W + ones(m, 1) b^T) - X^T Y",
        ),
    ),
    (
        "cross-entropy-of-a-vector",
        Case("cross_entropy(A x, y)", "x", "sum(y) A^T softmax(A x) - A^T y"),
    ),
    (
        "ridge-multinomial",
        Case(
            "cross_entropy(X W, Y) + lambda ||W||_F^2",
            "W",
            "X^T diag(sum_cols(Y)) softmax(X W) - X^T Y + 2 lambda W",
        ),
    ),
    (
        "two-layer-mlp-out",
        Case(
            "cross_entropy(relu(X W1) W2, Y)",
            "W2",
            "relu(X W1)^T diag(sum_cols(Y)) softmax(relu(X W1) W2) - relu(X W1)^T Y",
        ),
    ),
    (
        "two-layer-mlp-in",
        Case(
            "cross_entropy(tanh(X W1) W2, Y)",
            "W1",
            "X^T (((diag(sum_cols(Y)) softmax(tanh(X W1) W2) - Y) W2^T) ⊙ (1 - tanh(X W1)^{∘2}))",
        ),
    ),
    (
        "mlp-with-biases-b1",
        Case(
            "cross_entropy(tanh(X W1 + ones(m, 1) b1^T) W2 + ones(m, 1) b2^T, Y)",
            "b1",
            (
                "((W2 (softmax(tanh(X W1 + ones(m, 1) b1^T) W2 + ones(m, 1) b2^T)^T "
                "diag(sum_cols(Y)) - Y^T)) ⊙ (1 - tanh(X W1 + ones(m, 1) b1^T)^T^{∘2})) ones(m, 1)"
            ),
        ),
    ),
    (
        "mlp-with-biases-b2",
        Case(
            "cross_entropy(tanh(X W1 + ones(m, 1) b1^T) W2 + ones(m, 1) b2^T, Y)",
            "b2",
            (
                "softmax(tanh(X W1 + ones(m, 1) b1^T) W2 + ones(m, 1) b2^T)^T diag(sum_cols(Y)) "
                "ones(m, 1) - Y^T ones(m, 1)"
            ),
        ),
    ),
    (
        "mlp-with-biases-W1",
        Case(
            "cross_entropy(tanh(X W1 + ones(m, 1) b1^T) W2 + ones(m, 1) b2^T, Y)",
            "W1",
            (
                "X^T (((diag(sum_cols(Y)) softmax(tanh(X W1 + ones(m, 1) b1^T) W2 + ones(m, 1) "
                "b2^T) - Y) W2^T) ⊙ (1 - tanh(X W1 + ones(m, 1) b1^T)^{∘2}))"
            ),
        ),
    ),
    (
        "attention-by-V",
        Case(
            "sum(B ⊙ (softmax(Q K^T / sqrt(d)) V))",
            "V",
            "softmax(Q K^T / sqrt(d))^T B",
            {"d": "scalar"},
            positive=True,
        ),
    ),
    (
        "attention-by-Q",
        Case(
            "sum(B ⊙ (softmax(Q K^T / sqrt(d)) V))",
            "Q",
            (
                "(softmax(Q K^T / sqrt(d)) ⊙ (B V^T - sum_cols(softmax(Q K^T / sqrt(d)) ⊙ (B "
                "V^T)))) K / sqrt(d)"
            ),
            {"d": "scalar"},
            positive=True,
        ),
    ),
    (
        "attention-by-K",
        Case(
            "sum(B ⊙ (softmax(Q K^T / sqrt(d)) V))",
            "K",
            (
                "(softmax(Q K^T / sqrt(d))^T ⊙ (V B^T - sum_cols(softmax(Q K^T / sqrt(d)) ⊙ (B "
                "V^T))^T)) Q / sqrt(d)"
            ),
            {"d": "scalar"},
            positive=True,
        ),
    ),
    (
        "self-attention-value-projection",
        Case(
            "||softmax(X A X^T) X V - Y||_F^2",
            "V",
            written("H1 softmax(X A X^T) X V - H1 Y", [("H1", "2 X^T softmax(X A X^T)^T")]),
        ),
    ),
    (
        "self-attention-query-key",
        Case(
            "||softmax(X A X^T) X V - Y||_F^2",
            "A",
            (
                "X^T (softmax(X A X^T) ⊙ (G1 - sum_cols(softmax(X A X^T) ⊙ G1))) X; H1 = "
                "softmax(X A X^T); G1 = 2 softmax(X A X^T) X V V^T X^T - 2 Y V^T X^T"
            ),
        ),
    ),
    (
        "negative-entropy",
        Case(
            "sum(softmax(x) ⊙ log_softmax(x))",
            "x",
            "softmax(x) ⊙ log_softmax(x) - softmax(x)^T log_softmax(x) softmax(x)",
        ),
    ),
    ("logsumexp-dual", Case("logsumexp(x) - b^T x", "x", "softmax(x) - b")),
    # the textbook forms of issue 15: logistic regression spelled four ways, log σ, traces by a
    # scalar, ⊙ in either order, tiny coefficients, and more ML objectives
    ("logistic-softplus", Case("sum(softplus(X w)) - y^T X w", "w", "X^T sigmoid(X w) - X^T y")),
    (
        "logistic-plus-minus-labels",
        Case("sum(softplus(-y ⊙ (X w)))", "w", "-X^T (sigmoid(-y ⊙ (X w)) ⊙ y)"),
    ),
    (
        "logistic-log-one-plus-exp",
        Case("sum(log(1 + exp(-y ⊙ (X w))))", "w", "-X^T (sigmoid(-y ⊙ (X w)) ⊙ y)"),
    ),
    (
        "logistic-cross-entropy",
        Case(
            "-(y^T log(sigmoid(X w)) + (1 - y)^T log(1 - sigmoid(X w)))",
            "w",
            "X^T H1 - X^T y; H1 = sigmoid(X w)",
        ),
    ),
    ("log-sigmoid", Case("sum(log(sigmoid(X w)))", "w", "X^T (1 - H1); H1 = sigmoid(X w)")),
    (
        "log-one-minus-sigmoid",
        Case("sum(log(1 - sigmoid(X w)))", "w", "-X^T H1; H1 = sigmoid(X w)"),
    ),
    ("trace-by-a-scalar", Case("tr(A + tau B)", "tau", "tr(B)")),
    ("trace-scaled-by-a-scalar", Case("tr(exp(tau) A)", "tau", "exp(tau) tr(A)")),
    ("hadamard-in-either-order", Case("sum(A ⊙ X ⊙ B) + sum(B ⊙ X ⊙ A)", "X", "2 (B ⊙ A)")),
    (
        "tiny-coefficients",
        Case("1e-300 sum(X) + 3e-12 tr(X)", "X", "ones(m, m) / 1e300 + 3 eye(m) / 1e12"),
    ),
    (
        "temperature-softmax",
        Case(
            "b^T softmax(A x / tau)",
            "x",
            "A^T (softmax(A x / tau) ⊙ b - softmax(A x / tau)^T b softmax(A x / tau)) / tau",
        ),
    ),
    (
        "kl-divergence",
        Case(
            "cross_entropy(z, p) + sum(p ⊙ log(p))",
            "z",
            "softmax(z) - p",
            {"p": ("n", "sums-to-one")},
        ),
    ),
    (
        "ridge-multinomial-textbook",
        Case(
            "cross_entropy(X W, Y) + lambda ||W||_F^2",
            "W",
            "X^T softmax(X W) - X^T Y + 2 lambda W",
            ROWS,
        ),
    ),
    (
        "two-layer-relu-with-bias",
        Case(
            "cross_entropy(relu(X W1 + ones(m, 1) b1^T) W2, Y)",
            "W1",
            (
                "X^T (((softmax(relu(X W1 + ones(m, 1) b1^T) W2) - Y) W2^T) ⊙ step(X W1 + ones(m, "
                "1) b1^T))"
            ),
            ROWS,
        ),
    ),
    (
        "attention-output-projection",
        Case(
            "cross_entropy(softmax(X Q (X K)^T) X V W, Y)",
            "W",
            written(
                "V^T X^T H1^T softmax(H1 X V W) - V^T X^T H1^T Y", [("H1", "softmax(X Q K^T X^T)")]
            ),
            ROWS,
        ),
    ),
    (
        "attention-values-under-cross-entropy",
        Case(
            "cross_entropy(softmax(X Q (X K)^T) X V W, Y)",
            "V",
            written(
                "X^T H1^T softmax(H1 X V W) W^T - X^T H1^T Y W^T", [("H1", "softmax(X Q K^T X^T)")]
            ),
            ROWS,
        ),
    ),
    (
        "logsumexp-minus-linear",
        Case("sum(logsumexp(X W)) - sum(Y ⊙ (X W))", "W", "X^T softmax(X W) - X^T Y", ROWS),
    ),
    ("log-partition-of-a-vector", Case("logsumexp(A x + b)", "x", "A^T softmax(A x + b)")),
    (
        "entropy-of-softmax-rows",
        Case(
            "sum(softmax(X W) ⊙ log_softmax(X W))",
            "W",
            "X^T (softmax(X W) ⊙ (log_softmax(X W) - sum_cols(softmax(X W) ⊙ log_softmax(X W))))",
        ),
    ),
    (
        "cross-entropy-written-with-log",
        Case("-sum(Y ⊙ log(softmax(X W)))", "W", "-X^T Y + X^T softmax(X W)", ROWS),
    ),
    # targets declared to sum to one (probabilities, one-hot labels): the textbook forms
    ("cross-entropy-of-probability-rows", Case("cross_entropy(Z, Y)", "Z", "softmax(Z) - Y", ROWS)),
    (
        "multinomial-logistic-textbook",
        Case("cross_entropy(X W, Y)", "W", "X^T softmax(X W) - X^T Y", ROWS),
    ),
    (
        "multinomial-logistic-bias-textbook",
        Case(
            "cross_entropy(X W + ones(m, 1) b^T, Y)",
            "b",
            "softmax(X W + ones(m, 1) b^T)^T ones(m, 1) - Y^T ones(m, 1)",
            ROWS,
        ),
    ),
    (
        "cross-entropy-of-a-probability-vector",
        Case("cross_entropy(A x, y)", "x", "A^T softmax(A x) - A^T y", {"y": ("n", "sums-to-one")}),
    ),
    (
        "mlp-textbook",
        Case(
            "cross_entropy(relu(X W1) W2, Y)",
            "W2",
            "relu(X W1)^T softmax(relu(X W1) W2) - relu(X W1)^T Y",
            ROWS,
        ),
    ),
    (
        "mlp-textbook-hidden",
        Case(
            "cross_entropy(tanh(X W1) W2, Y)",
            "W1",
            "X^T (((softmax(tanh(X W1) W2) - Y) W2^T) ⊙ (1 - tanh(X W1)^{∘2}))",
            ROWS,
        ),
    ),
]
"""Softmax, log_softmax, logsumexp and cross-entropy, alone and in ML objectives."""


KRON = {"A": ("p", "q"), "X": ("m", "n")}
"""A Kronecker product's factors, declared: it multiplies their sizes."""

KRONECKER = [
    # ⊗ and vec through the rule table (issue 15), the Kronecker algebra of the simplifier
    ("kron-trace", Case("tr(A ⊗ X)", "X", "tr(A) eye(m)", {"A": ("p", "p"), "X": ("m", "m")})),
    (
        "kron-trace-by-left",
        Case("tr(A ⊗ X)", "A", "tr(X) eye(p)", {"A": ("p", "p"), "X": ("m", "m")}),
    ),
    (
        "kron-trace-of-gram",
        Case("tr(A ⊗ (X^T X))", "X", "2 tr(A) X", {"A": ("p", "p"), "X": ("m", "n")}),
    ),
    ("kron-sum-by-left", Case("sum(A ⊗ X)", "A", "sum(X) ones(p, q)", KRON)),
    ("kron-sum-by-right", Case("sum(A ⊗ X)", "X", "sum(A) ones(m, n)", KRON)),
    (
        "kron-weighted-sum",
        Case(
            "sum(B ⊙ (A ⊗ X))",
            "X",
            "(ones(1, p) ⊗ eye(m)) (B ⊙ (A ⊗ ones(m, n))) (ones(q, 1) ⊗ eye(n))",
            KRON,
        ),
    ),
    (
        "kron-weighted-sum-by-left",
        Case(
            "sum(B ⊙ (A ⊗ X))",
            "A",
            "(eye(p) ⊗ ones(1, m)) (B ⊙ (ones(p, q) ⊗ X)) (eye(q) ⊗ ones(n, 1))",
            KRON,
        ),
    ),
    (
        "kron-least-squares",
        Case(
            "||A ⊗ X - C||_F^2",
            "X",
            "2 sum(A ⊙ A) X - 2 (ones(1, p) ⊗ eye(m)) (C ⊙ (A ⊗ ones(m, n))) (ones(q, 1) ⊗ eye(n))",
            KRON,
        ),
    ),
    ("kron-squared-entries", Case("sum((A ⊗ X) ⊙ (A ⊗ X))", "X", "2 sum(A ⊙ A) X", KRON)),
    (
        "kron-inner-product",
        Case("tr((A ⊗ B)^T (A ⊗ X))", "X", "sum(A ⊙ A) B", {**KRON, "B": ("m", "n")}),
    ),
    (
        "kron-of-a-product",
        Case(
            "||A ⊗ (X W) - C||_F^2",
            "W",
            "2 sum(A ⊙ A) X^T X W - 2 X^T (ones(1, p) ⊗ eye(m)) (C ⊙ (A ⊗ ones(m, k))) "
            "(ones(q, 1) ⊗ eye(k))",
            {**KRON, "W": ("n", "k")},
        ),
    ),
    (
        "kron-bilinear",
        Case(
            "y^T (A ⊗ X) z",
            "X",
            "(ones(1, p) ⊗ eye(m)) ((y z^T) ⊙ (A ⊗ ones(m, n))) (ones(q, 1) ⊗ eye(n))",
            KRON,
        ),
    ),
    (
        "kron-elementwise-function",
        Case(
            "sum(exp(A ⊗ X))",
            "X",
            "(ones(1, p) ⊗ eye(m)) (exp(A ⊗ X) ⊙ (A ⊗ ones(m, n))) (ones(q, 1) ⊗ eye(n))",
            KRON,
        ),
    ),
    ("vec-norm", Case("||vec(X)||_2^2", "X", "2 X", {"X": ("m", "n")})),
    (
        "vec-inner-product",
        Case(
            "x^T vec(X)",
            "X",
            "(ones(1, n) ⊗ eye(m)) diag(x) (eye(n) ⊗ ones(m, 1))",
            {"X": ("m", "n")},
        ),
    ),
    (
        "vec-quadratic-form",
        Case(
            "vec(X)^T (B ⊗ A) vec(X)",
            "X",
            "A X B^T + A^T X B",
            {"A": ("m", "m"), "B": ("n", "n"), "X": ("m", "n")},
        ),
    ),
    (
        "vec-one-sided",
        Case("||(eye(n) ⊗ A) vec(X)||_2^2", "X", "2 A^T A X", {"A": ("p", "m"), "X": ("m", "n")}),
    ),
    (
        "vec-least-squares",
        Case(
            "||(B^T ⊗ A) vec(X) - c||_2^2",
            "X",
            "2 A^T A X B B^T - 2 (ones(1, n) ⊗ eye(m)) diag((B ⊗ A^T) c) (eye(n) ⊗ ones(m, 1))",
            {"A": ("p", "m"), "B": ("n", "q"), "X": ("m", "n")},
        ),
    ),
]

NORMALIZATION = [
    # mean and layer norm (issue 15): a dimension's name stands for its size
    ("mean-squared-error", Case("mean((X w - y)^{∘2})", "w", "2 X^T (X w - y) / m")),
    ("mean-of-a-matrix", Case("mean(X)", "X", "ones(m, n) / (m n)")),
    ("mean-of-a-vector", Case("mean(x)", "x", "ones(m, 1) / m")),
    ("mean-of-a-product", Case("mean(X W)", "W", "X^T ones(m, p) / (m p)")),
    ("mean-of-sizes", Case("mean(X)", "X", "ones(3, 4) / 12", {"X": (3, 4)})),
    (
        "size-as-a-scalar",
        Case("sum(X) / m + mean(X)", "X", "ones(m, n) / m + ones(m, n) / (m n)", {"X": ("m", "n")}),
    ),
    (
        "mean-logistic-loss",
        Case("mean(log(1 + exp(-y ⊙ (X w))))", "w", "-X^T (sigmoid(-y ⊙ (X w)) ⊙ y) / m"),
    ),
    (
        "mean-relu-network",
        Case(
            "mean((relu(X W1) W2 - Y)^{∘2})",
            "W1",
            "2 X^T (((relu(X W1) W2 - Y) W2^T) ⊙ step(X W1)) / (m q)",
        ),
    ),
    (
        "layernorm-of-a-vector",
        Case(
            "b^T layernorm(x)",
            "x",
            written(
                "b / H1 - (sum(b) ones(m, 1) + layernorm(x)^T b layernorm(x)) / (m H1)",
                [("H1", "sqrt(sum((x - sum(x) / m)^{∘2}) / m)")],
            ),
        ),
    ),
    (
        "layernorm-along-rows",
        Case(
            "sum(Y ⊙ layernorm(X W))",
            "W",
            "X^T diag(sqrt(sum_cols((X W - sum_cols(X W) / n)^{∘2}) / n))^{-1} (Y - sum_cols(Y) "
            "/ n - diag(sum_cols(Y ⊙ layernorm(X W))) layernorm(X W) / n)",
        ),
    ),
    (
        "layer-normed-network",
        Case(
            "||layernorm(X W1) W2 - Y||_F^2",
            "W1",
            written(
                "X^T diag(sqrt(sum_cols((X W1 - sum_cols(X W1) / p)^{∘2}) / p))^{-1} (G1 - "
                "sum_cols(G1) / p - diag(sum_cols(G1 ⊙ layernorm(X W1))) layernorm(X W1) / p)",
                [("H1", "layernorm(X W1)"), ("G1", "2 layernorm(X W1) W2 W2^T - 2 Y W2^T")],
            ),
        ),
    ),
    (
        "layer-normed-network-last",
        Case(
            "||layernorm(X W1) W2 - Y||_F^2",
            "W2",
            "2 layernorm(X W1)^T layernorm(X W1) W2 - 2 layernorm(X W1)^T Y",
        ),
    ),
    (
        "layernorm-gain",
        Case(
            "||layernorm(X W) diag(g) + b^T - Y||_F^2",
            "g",
            "2 diag(layernorm(X W)^T (layernorm(X W) diag(g) + b^T - Y))",
        ),
    ),
    (
        "layernorm-bias",
        Case(
            "||layernorm(X W) diag(g) + b^T - Y||_F^2",
            "b",
            "2 sum_rows(layernorm(X W) diag(g) + b^T - Y)^T",
        ),
    ),
    (
        "layernorm-affine-weights",
        Case(
            "||layernorm(X W) diag(g) + b^T - Y||_F^2",
            "W",
            written(
                "X^T diag(sqrt(sum_cols((X W - sum_cols(X W) / p)^{∘2}) / p))^{-1} (G1 - "
                "sum_cols(G1) / p - diag(sum_cols(G1 ⊙ layernorm(X W))) layernorm(X W) / p)",
                [("H1", "layernorm(X W)"), ("G1", "2 (layernorm(X W) diag(g) + b^T - Y) diag(g)")],
            ),
        ),
    ),
]

PRODUCTS_OF_SUMS = [
    # a product of sums kept where that is shorter (issue 15)
    ("outer-product-kept", Case("tr(A (x - u)(x - u)^T)", "A", "(x - u) (x - u)^T")),
    (
        "gaussian-precision",
        Case("(x - u)^T S^{-1} (x - u)", "S", "-S^{-T} (x - u) (x - u)^T S^{-T}"),
    ),
    (
        "gaussian-covariance",
        Case(
            "logdet(S) + (x - u)^T S^{-1} (x - u)",
            "S",
            "S^{-T} - S^{-T} (x - u) (x - u)^T S^{-T}",
        ),
    ),
    ("shifted-quadratic", Case("(x - u)^T A (x - u)", "x", "(A + A^T) (x - u)")),
    ("outer-product-fit", Case("||(x - u)(x - u)^T - C||_F^2", "C", "2 C - 2 (x - u) (x - u)^T")),
]

DERIVATIVES = [
    *SEED,
    # one rule at a time
    ("right-multiplication", Case("sum(X W)", "X", "ones(m, p) W^T")),
    ("left-multiplication", Case("sum(X W)", "W", "X^T ones(m, p)")),
    ("transpose", Case("||X^T W||_F^2", "X", "2 W W^T X")),
    ("hadamard", Case("||X ⊙ C||_F^2", "X", "2 (X ⊙ C ⊙ C)")),
    ("elementwise-division", Case("sum(X ⊘ C)", "X", "1 ⊘ C")),
    ("elementwise-division-denominator", Case("sum(C ⊘ X)", "X", "-C ⊘ X^{∘2}", positive=True)),
    ("elementwise-power", Case("sum(X^{∘3})", "X", "3 X^{∘2}")),
    ("elementwise-square", Case("sum(X^{∘2} ⊙ C)", "X", "2 (C ⊙ X)")),
    ("elementwise-first-power", Case("sum(X^{∘1} ⊙ C)", "X", "C")),
    ("addition", Case("||X + C||_F^2", "X", "2 X + 2 C")),
    ("subtraction", Case("||C - X||_F^2", "X", "-2 C + 2 X")),
    ("negation", Case("sum(-X W)", "W", "-X^T ones(m, p)")),
    ("scalar-multiple", Case("3 ||X||_F^2", "X", "6 X")),
    ("scalar-division", Case("||X||_F^2 / 2", "X", "X")),
    ("fraction", Case("||X||_F^2 / 3", "X", "2 X / 3")),
    ("decimal", Case("0.5 ||X W||_F^2", "W", "X^T X W")),
    (
        "row-broadcast",
        Case("||C + b||_F^2", "b", "2 sum_rows(C + b)", {"b": ("1", "n"), "C": ("m", "n")}),
    ),
    ("column-broadcast", Case("||C + x||_F^2", "x", "2 sum_cols(C + x)", {"C": ("m", "n")})),
    ("scalar-broadcast", Case("sum(1 + exp(X))", "X", "exp(X)")),
    ("broadcast-not-distributed", Case("||X W - x||_F^2", "X", "2 (X W - x) W^T")),
    ("broadcast-transposed", Case("||(C + x^T)^T W||_F^2", "W", "2 (C + x^T) (C^T + x) W")),
    ("vector-broadcast", Case("sum(1 - y)", "y", "-ones(m, 1)")),
    ("frobenius-vector", Case("||A x - b||_2^2", "x", "2 A^T A x - 2 A^T b")),
    ("euclidean-plain", Case("||x||^2", "x", "2 x")),
    ("matrix-sum", Case("sum(X)", "X", "ones(m, n)")),
    ("quadratic-form", Case("a^T G a", "G", "a a^T")),
    ("quadratic-form-in-sum", Case("a^T G a + ||G||_F^2", "G", "a a^T + 2 G")),
    ("not-a-quadratic-form", Case("sum(x^T x x)", "x", "2 sum(x) x + x^T x ones(m, 1)")),
    ("scalar-in-a-quadratic-form", Case("x^T lambda x", "lambda", "x^T x")),
    ("scalar-variable", Case("lambda ||X||_F^2", "lambda", "||X||_F^2")),
    ("scalar-hadamard", Case("sum(lambda ⊙ X)", "X", "lambda ones(m, n)")),
    ("scalar-hadamard-scalar", Case("sum(lambda ⊙ X)", "lambda", "sum(X)")),
    ("scalar-variable-inside", Case("||lambda X - Y||_F^2", "lambda", "2 sum((lambda X - Y) ⊙ X)")),
    (
        "scalar-denominator",
        Case("sum(X) / lambda", "lambda", "-sum(X) / lambda^2", positive=True),
    ),
    # elementwise functions with their real derivatives
    ("exp", Case("sum(exp(X W))", "W", "X^T exp(X W)")),
    ("log", Case("sum(log(X))", "X", "1 ⊘ X", positive=True)),
    ("sin", Case("sum(sin(X))", "X", "cos(X)")),
    ("cos", Case("sum(cos(X))", "X", "-sin(X)")),
    ("tanh", Case("||tanh(X W) - Y||_F^2", "W", "2 X^T ((tanh(X W) - Y) ⊙ (1 - tanh(X W)^{∘2}))")),
    ("sigmoid", Case("sum(sigmoid(X))", "X", "sigmoid(X) ⊙ (1 - sigmoid(X))")),
    ("tan", Case("sum(tan(X))", "X", "tan(X)^{∘2} + 1")),
    ("arcsin", Case("sum(arcsin(X))", "X", "1 ⊘ sqrt(1 - X^{∘2})")),
    ("arccos", Case("sum(arccos(X))", "X", "-1 ⊘ sqrt(1 - X^{∘2})")),
    ("arctan", Case("sum(arctan(X W))", "W", "X^T (1 ⊘ ((X W)^{∘2} + 1))")),
    (
        "softplus",
        Case("||softplus(X W) - Y||_F^2", "W", "2 X^T ((softplus(X W) - Y) ⊙ sigmoid(X W))"),
    ),
    ("relu", Case("||relu(X W) - Y||_F^2", "W", "2 X^T ((relu(X W) - Y) ⊙ step(X W))")),
    ("sqrt", Case("sum(sqrt(X))", "X", "1 ⊘ (2 sqrt(X))", positive=True)),
    ("abs", Case("sum(abs(X))", "X", "sign(X)")),
    ("generic-h", Case("sum(h(X))", "X", "h'(X)")),
    # the variable occurring more than once: the contributions are summed
    ("gram", Case("sum(X^T X)", "X", "2 X ones(n, n)")),
    ("vector-quadratic", Case("x^T A x", "x", "A x + A^T x")),
    ("hadamard-square", Case("sum(X ⊙ X)", "X", "2 X")),
    ("product-of-functions", Case("sum(g(X) ⊙ h(X))", "X", "h(X) ⊙ g'(X) + g(X) ⊙ h'(X)")),
    ("residual", Case("||X W - X||_F^2", "X", "2 X W W^T - 2 X W^T - 2 X W + 2 X")),
    ("two-norms", Case("||X W||_F^2 + ||X||_F^2", "X", "2 X W W^T + 2 X")),
    # objectives from machine learning
    ("ridge", Case("||X w - y||_2^2 + lambda ||w||^2", "w", "2 X^T X w - 2 X^T y + 2 lambda w")),
    (
        "two-layer",
        Case(
            "||tanh(X W1) W2 - Y||_F^2",
            "W1",
            "2 X^T (((tanh(X W1) W2 - Y) W2^T) ⊙ (1 - tanh(X W1)^{∘2}))",
        ),
    ),
    (
        "bias-row",
        Case(
            "||tanh(X W + b) - Y||_F^2",
            "b",
            "2 sum_rows((tanh(X W + b) - Y) ⊙ (1 - tanh(X W + b)^{∘2}))",
            {"b": "1,p"},
        ),
    ),
    (
        "logistic",
        Case(
            "sum(log(1 + exp(-y ⊙ (X w))))",
            "w",
            "-X^T (sigmoid(-y ⊙ (X w)) ⊙ y)",
        ),
    ),
    (
        "declared-sizes",
        Case("||X - D R||_F^2", "D", "-2 X R^T + 2 D R R^T", {"X": (3, 4), "D": (3, 5)}),
    ),
    # norms, not squared
    ("euclidean-norm", Case("||A x - b||_2", "x", "A^T (A x - b) / ||A x - b||_2")),
    ("frobenius-norm", Case("||X - D R||_F", "D", "(D R - X) R^T / ||X - D R||_F")),
    ("one-norm", Case("||A x - b||_1", "x", "A^T sign(A x - b)")),
    (
        "norm-times-scalar",
        Case("lambda ||X||_F + sum(X)", "X", "lambda X / ||X||_F + ones(m, n)"),
    ),
    # traces, determinants and inverses, with the Matrix Cookbook's closed forms
    ("trace", Case("tr(X)", "X", "eye(m)")),
    ("trace-of-product", Case("tr(A X B)", "X", "A^T B^T")),
    ("trace-quadratic", Case("tr(X^T A X)", "X", "A X + A^T X")),
    ("bilinear-form", Case("a^T X b", "X", "a b^T")),
    ("quadratic-form-vector", Case("x^T A x", "x", "A x + A^T x")),
    ("log-determinant", Case("logdet(X)", "X", "X^{-T}", positive=True)),
    ("determinant", Case("det(X)", "X", "det(X) X^{-T}", positive=True)),
    ("trace-with-inverse", Case("tr(A X^{-1})", "X", "-X^{-T} A^T X^{-T}", positive=True)),
    ("inverse-spelling", Case("tr(A inv(X) B)", "X", "-X^{-T} A^T B^T X^{-T}", positive=True)),
    # scalar algebra: powers, products and quotients of scalar subexpressions
    ("norm-cubed", Case("||x||_2^3", "x", "3 ||x||_2 x")),
    ("squared-inner-product", Case("(a^T x)^2", "x", "2 (a^T x) a")),
    (
        "rayleigh-quotient",
        Case(
            "(x^T A x) / (x^T x)",
            "x",
            "(A + A^T) x / (x^T x) - 2 (x^T A x) x / (x^T x)^2",
        ),
    ),
    ("log-quadratic", Case("log(x^T A x)", "x", "(A + A^T) x / (x^T A x)", positive=True)),
    ("scalar-power-base", Case("alpha^beta", "alpha", "alpha^{beta - 1} beta", positive=True)),
    ("scalar-power-exponent", Case("alpha^beta", "beta", "alpha^{beta} log(alpha)", positive=True)),
    ("negative-power", Case("sum(X) lambda^{-2}", "lambda", "-2 sum(X) / lambda^3", positive=True)),
    ("square-root-power", Case("(x^T x)^{1/2}", "x", "x / (x^T x)^{0.5}")),
    ("reciprocal", Case("sum(X) lambda^{-1}", "lambda", "-sum(X) / lambda^2", positive=True)),
    ("norm-over-norm", Case("||x||_2^2 / ||x||_2", "x", "x / ||x||_2")),
    ("product-of-traces", Case("tr(X) tr(X)", "X", "2 tr(X) eye(m)")),
    # matrix powers, inverses and their simplification
    ("matrix-square", Case("tr(X^2)", "X", "2 X^T")),
    ("matrix-cube", Case("tr(A X^3)", "X", "A^T (X^T)^2 + X^T A^T X^T + (X^T)^2 A^T")),
    (
        "log-det-of-inverse",
        Case("log(det(inv(X^T X)))", "X", "-2 X (X^T X)^{-1}", {"X": (5, 3)}),
    ),
    ("logdet-of-inverse", Case("logdet(X^{-1})", "X", "-X^{-T}", positive=True)),
    ("inverse-cancels", Case("tr(X X^{-1} A)", "A", "eye(m)", positive=True)),
    ("det-of-power", Case("det(X^3)", "X", "3 det(X^3) X^{-T}", positive=True)),
    ("inverse-transpose", Case("tr(A (X^T)^{-1})", "X", "-X^{-T} A X^{-T}", positive=True)),
    # diag, identity and all-ones matrices whose sizes come from their use
    ("diagonal-matrix", Case("||diag(x) A - B||_F^2", "x", "2 diag((diag(x) A - B) A^T)")),
    ("diagonal-of-matrix", Case("a^T diag(X)", "X", "diag(a)")),
    ("diagonal-trace", Case("sum(diag(X A))", "X", "A^T")),
    ("bare-identity", Case("x^T I x", "x", "2 x")),
    (
        "sized-ones",
        Case(
            "sum(log(exp(X w) + vector(1)))", "w", "X^T (1 ⊘ (H1 + ones(m, 1)) ⊙ H1); H1 = exp(X w)"
        ),
    ),
    # zeros: a zero matrix that is broadcast against keeps its shape
    ("zero-broadcast", Case("||0 W - x||_F^2", "x", "-2 sum_cols(0 ones(m, n) - x)")),
    ("zero-reduction", Case("||sum_cols(0 W) - x||_F^2", "x", "2 x")),
    (
        "zero-factors",
        Case("sum((X - X)^{∘2} + 0 X ⊙ Y + (X - X) ⊘ exp(Y) + X)", "X", "ones(m, n)"),
    ),
    *SOFTMAX_FAMILY,
    *KRONECKER,
    *NORMALIZATION,
    *PRODUCTS_OF_SUMS,
]
