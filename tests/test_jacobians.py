"""Jacobians of columns, by vectors and by scalars, in both layouts: each printed result is
checked against central differences of the column function, one entry of the variable at a
time, and by its text; a derivative with no matrix form is a clean error that says so."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from typing import Any, NamedTuple

import numpy as np
import pytest
from conftest import TOLERANCE, assert_differences_agree, well_conditioned
from hypothesis import given, reject
from hypothesis import strategies as st
from objectives import VARIABLES, Objective, _Builder

from matcalc import Derivation, MatcalcError, diff, evaluate, gradcheck, parse
from matcalc.errors import ErrorKind
from matcalc.expr import ZERO, MatMul, Symbol, Transpose
from matcalc.finite_differences import random_env
from matcalc.shapes import infer
from matcalc.simplify import linear_map

STEP = 1e-6
SCALAR_T = {"t": "scalar"}
SOFTPLUS = {"phi": "log(1 + exp(x))"}


class Case(NamedTuple):
    expression: str
    wrt: str
    denominator: str
    numerator: str
    shapes: dict[str, Any] | None = None
    functions: dict[str, str] | None = None


CASES = [
    # by a scalar: a row in denominator layout (1×m, as Derivation.shape says), a column in
    # numerator layout
    ("scaled-column", Case("t x", "t", "x^T", "x", SCALAR_T)),
    (
        "exp-of-scaled-column",
        Case("exp(t x)", "t", "x^T ⊙ exp(t x)^T", "x ⊙ exp(t x)", SCALAR_T),
    ),
    (
        "inverse-of-a-pencil",
        Case(
            "(A + t B)^{-1} b",
            "t",
            "-b^T (A + t B)^{-T} B^T (A + t B)^{-T}",
            "-(A + t B)^{-1} B (A + t B)^{-1} b",
            SCALAR_T,
        ),
    ),
    ("square-of-scalar", Case("t^2 x", "t", "2 t x^T", "2 t x", SCALAR_T)),
    ("sine-of-scalar", Case("sin(t) a", "t", "cos(t) a^T", "cos(t) a", SCALAR_T)),
    ("pencil-times-column", Case("(A + t B) x", "t", "x^T B^T", "B x", SCALAR_T)),
    (
        "logdet-of-a-pencil",
        Case(
            "logdet(A + t B) x",
            "t",
            "sum((A + t B)^{-T} ⊙ B) x^T",
            "sum((A + t B)^{-T} ⊙ B) x",
            SCALAR_T,
        ),
    ),
    (
        "sigmoid-by-scalar",
        Case(
            "sigmoid(t x + b)",
            "t",
            "x^T ⊙ (sigmoid(t x + b)^T ⊙ (1 - sigmoid(t x + b)^T))",
            "x ⊙ (sigmoid(t x + b) ⊙ (1 - sigmoid(t x + b)))",
            SCALAR_T,
        ),
    ),
    (
        "layer-by-scalar",
        Case(
            "A tanh(t W x)",
            "t",
            "x^T W^T diag(1 - tanh(t W x)^{∘2}) A^T",
            "A diag(1 - tanh(t W x)^{∘2}) W x",
            SCALAR_T,
        ),
    ),
    # by a vector
    (
        "rank-one-update-inverse",
        Case(
            "(A + x x^T)^{-1} b",
            "x",
            "-b^T (A + x x^T)^{-T} x (A + x x^T)^{-T} - (A + x x^T)^{-1} b x^T (A + x x^T)^{-T}",
            "-b^T (A + x x^T)^{-T} x (A + x x^T)^{-1} - (A + x x^T)^{-1} x b^T (A + x x^T)^{-T}",
        ),
    ),
    (
        "diagonal-times-product",
        Case("diag(x) A x", "x", "diag(A x) + A^T diag(x)", "diag(A x) + diag(x) A"),
    ),
    ("matrix-times", Case("A x", "x", "A^T", "A")),
    ("design-times-weights", Case("X w", "w", "X^T", "X")),
    ("transpose-times", Case("X^T y", "y", "X", "X^T")),
    ("hadamard", Case("x ⊙ y", "x", "diag(y)", "diag(y)")),
    ("exp", Case("exp(x)", "x", "diag(exp(x))", "diag(exp(x))")),
    (
        "softplus-defined",
        Case(
            "phi(x)",
            "x",
            "diag(sigmoid(x))",
            "diag(sigmoid(x))",
            functions=SOFTPLUS,
        ),
    ),
    (
        "normalised",
        Case(
            "x / ||x||_2",
            "x",
            "eye(m) / ||x||_2 - x x^T / (||x||_2)^3",
            "eye(m) / ||x||_2 - x x^T / (||x||_2)^3",
        ),
    ),
    (
        "scaled-by-squared-norm",
        Case("(x^T x) x", "x", "2 x x^T + x^T x eye(m)", "2 x x^T + x^T x eye(m)"),
    ),
    (
        "sigmoid-layer-by-bias",
        Case(
            "sigmoid(W x + b)",
            "b",
            "diag(sigmoid(W x + b) ⊙ (1 - sigmoid(W x + b)))",
            "diag(sigmoid(W x + b) ⊙ (1 - sigmoid(W x + b)))",
        ),
    ),
    (
        "sigmoid-layer-by-input",
        Case(
            "sigmoid(W x + b)",
            "x",
            "W^T diag(sigmoid(W x + b) ⊙ (1 - sigmoid(W x + b)))",
            "diag(sigmoid(W x + b) ⊙ (1 - sigmoid(W x + b))) W",
        ),
    ),
    ("outer-product-times", Case("x x^T b", "x", "b^T x eye(m) + b x^T", "b^T x eye(m) + x b^T")),
    ("quotient-by-variable", Case("y ⊘ x", "x", "-diag(y ⊘ x^{∘2})", "-diag(y ⊘ x^{∘2})")),
    ("diagonal-of-outer", Case("diag(x x^T)", "x", "2 diag(x)", "2 diag(x)")),
    ("diagonal-sandwich", Case("diag(A diag(x) B)", "x", "A^T ⊙ B", "A ⊙ B^T")),
    (
        "hadamard-with-outer",
        Case(
            "(A ⊙ (x x^T)) z",
            "x",
            "diag(A diag(x) z) + diag(z) A^T diag(x)",
            "diag(A diag(x) z) + diag(x) A diag(z)",
        ),
    ),
    (
        "quotient-by-outer",
        Case(
            "(A ⊘ (y x^T)) z",
            "x",
            "-diag(z) (A^T ⊘ (x y^T)^{∘2}) diag(y)",
            "-diag(y) (A ⊘ (y x^T)^{∘2}) diag(z)",
        ),
    ),
    ("quadratic-times", Case("(x^T A x) b", "x", "A x b^T + A^T x b^T", "b x^T A^T + b x^T A")),
    ("sum-times", Case("sum(x) a", "x", "ones(m, 1) a^T", "a ones(1, m)")),
    ("inner-sum-times", Case("sum(A ⊙ (x y^T)) b", "x", "A y b^T", "b y^T A^T")),
    (
        "trace-of-hadamard-times",
        Case("tr((A ⊙ (x y^T)) B) c", "x", "(B^T ⊙ A) y c^T", "c y^T (B ⊙ A^T)"),
    ),
    ("broadcast-scalar", Case("x + t", "t", "ones(1, m)", "ones(m, 1)", SCALAR_T)),
    (
        "determinant-times",
        Case(
            "det(A + t B) x",
            "t",
            "det(A + t B) sum((A + t B)^{-T} ⊙ B) x^T",
            "det(A + t B) sum((A + t B)^{-T} ⊙ B) x",
            SCALAR_T,
        ),
    ),
    (
        "sum-of-exp-times",
        Case("sum(exp(t X)) a", "t", "sum(exp(t X) ⊙ X) a^T", "sum(exp(t X) ⊙ X) a", SCALAR_T),
    ),
    ("square-of-scaled", Case("(t A)^2 b", "t", "2 t b^T (A^T)^2", "2 t A^2 b", SCALAR_T)),
    ("rank-one-of-exp", Case("(exp(x)^T a) b", "x", "(a ⊙ exp(x)) b^T", "b (a^T ⊙ exp(x)^T)")),
    ("diagonal-scaled", Case("diag((x^T a) B)", "x", "a diag(B^T)^T", "diag(B^T) a^T")),
    (
        "diagonal-of-sandwiched-hadamard",
        Case(
            "diag(A (diag(x) ⊙ B) C)",
            "x",
            "diag(diag(B)) (A^T ⊙ C)",
            "(A ⊙ C^T) diag(diag(B))",
        ),
    ),
    (
        "diagonal-of-hadamard-of-sandwich",
        Case(
            "diag((A diag(x) B) ⊙ C)",
            "x",
            "(A^T ⊙ B) diag(diag(C))",
            "diag(diag(C)) (A ⊙ B^T)",
        ),
    ),
    (
        "diagonal-of-mixed-hadamard",
        Case(
            "diag(A (((x^T a) B + x b^T) ⊙ C) D)",
            "x",
            "a diag(D^T (C^T ⊙ B^T) A^T)^T + A^T ⊙ (C diag(b) D)",
            "diag(D^T (C^T ⊙ B^T) A^T) a^T + A ⊙ (D^T diag(b) C^T)",
        ),
    ),
    ("diagonal-of-a-scalar", Case("diag(x^T a) b", "x", "a b^T", "b a^T")),
    ("diagonal-of-outer-times", Case("diag(a b^T x c^T)", "x", "b (a^T ⊙ c^T)", "(a ⊙ c) b^T")),
    ("trace-of-product-times", Case("tr(x a^T B) c", "x", "B^T a c^T", "c a^T B")),
    (
        "trace-of-sum-times",
        Case(
            "tr((x^T a) B + x b^T C) c",
            "x",
            "tr(B) a c^T + C^T b c^T",
            "tr(B) c a^T + c b^T C",
        ),
    ),
    (
        "diagonal-of-hadamard-product",
        Case("diag(B (A ⊙ (x y^T)) C)", "x", "B^T ⊙ (A diag(y) C)", "B ⊙ (C^T diag(y) A^T)"),
    ),
]


def _sizes(derivation: Derivation, env: dict[str, Any]) -> dict[Any, int]:
    """The number each dimension of the derivation stands for in `env`."""
    sizes: dict[Any, int] = {1: 1}
    for name, shape in derivation.shapes.symbols.items():
        if name in env:
            sizes.update(zip(shape, np.shape(env[name]), strict=True))
    return sizes


def assert_jacobian_agrees(derivation: Derivation, functions: dict[str, str] | None) -> None:
    """The printed result's value is the Jacobian that central differences of the column
    y = `jacobian_of` give, one entry of the variable at a time: column i of dy/dx in
    numerator layout, row i in denominator layout; its shape is `derivation.shape`."""
    assert derivation.jacobian_of is not None
    printed = str(derivation.result)
    assert parse(printed) == derivation.result, f"{printed!r} does not read back"
    symbols = derivation.shapes.symbols
    for seed in (0, 1):
        env = well_conditioned(random_env(symbols, derivation.jacobian_of, seed=seed))
        variable = np.asarray(env[derivation.wrt.name], dtype=np.float64)

        def column(point: Any, env: dict[str, Any] = env) -> Any:
            at = {**env, derivation.wrt.name: point}
            value = evaluate(derivation.jacobian_of, at, shapes=symbols, functions=functions)
            return np.asarray(value, dtype=np.float64).reshape(-1)

        differences = []
        for i in range(variable.size):
            step = np.zeros(variable.size)
            step[i] = STEP
            step = step.reshape(variable.shape)
            differences.append((column(variable + step) - column(variable - step)) / (2 * STEP))
        numerator = np.stack(differences, axis=1)
        expected = numerator if derivation.layout == "numerator" else numerator.T
        found = evaluate(
            printed, env, shapes=derivation.shapes, where=derivation.where, functions=functions
        )
        sizes = _sizes(derivation, env)
        shape = tuple(sizes[dim] for dim in derivation.shape)
        assert shape == expected.shape, f"Derivation.shape {derivation.shape} is {shape}"
        value = np.broadcast_to(np.asarray(found, dtype=np.float64), shape)
        scale = max(1.0, float(np.max(np.abs(expected))))
        np.testing.assert_allclose(value, expected, rtol=1e-6, atol=1e-7 * scale)


@pytest.mark.parametrize("layout", ["denominator", "numerator"])
@pytest.mark.parametrize("case", [pytest.param(c, id=name) for name, c in CASES])
def test_jacobian(case: Case, layout: str) -> None:
    derivation = diff(
        case.expression,
        case.wrt,
        shapes=case.shapes,
        functions=case.functions,
        layout=layout,
    )
    expected = case.numerator if layout == "numerator" else case.denominator
    assert str(derivation.result) == expected
    assert derivation.steps[-1].rule == "Jacobian"
    assert_jacobian_agrees(derivation, case.functions)


U = Symbol("u")

LINEAR = [
    # what the derivations above reach seldom or never, written in u directly
    ("trace-of-product", "tr(u a^T B) c", "c a^T B"),
    ("trace-of-sum", "tr((u^T a) B + u b^T C) c", "tr(B) c a^T + c b^T C"),
    ("trace-of-diagonal", "tr(diag(u) B) c", "c diag(B)^T"),
    ("trace-of-identity-diagonal", "tr(diag(u)) a", "a ones(1, m)"),
    ("trace-of-diagonal-hadamard", "tr(diag(u) ⊙ B) c", "c diag(B^T)^T"),
    ("trace-of-outer-hadamard", "tr((u a^T) ⊙ B) c", "c (a^T ⊙ diag(B^T)^T)"),
    ("trace-of-scalars", "tr(sum(u) + u^T a) b", "b ones(1, m) + b a^T"),
    ("column-sums", "sum_cols(u a^T)", "a^T ones(n, 1) eye(m)"),
    ("row-sums", "sum_rows(a u^T)^T", "a^T ones(n, 1) eye(m)"),
    ("diagonal-of-sum", "diag((u^T a) B + u b^T)", "diag(B) a^T + diag(b)"),
    ("diagonal-of-outer", "diag(a b^T u c^T)", "(c ⊙ a) b^T"),
    (
        "diagonal-of-opened-hadamard",
        "diag(A (((u^T a) B + u b^T) ⊙ C) D)",
        "diag(A (B ⊙ C) D) a^T + A ⊙ (D^T diag(b) C^T)",
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"), [pytest.param(t, e, id=name) for name, t, e in LINEAR]
)
def test_linear_map(text: str, expected: str) -> None:
    """M with `text` = M u, checked by its text and on random values."""
    expr = parse(text)
    shapes = infer(expr, {"u": ("m", 1)})
    found = linear_map(expr, U, shapes)
    assert str(found) == expected
    for seed in (0, 1):
        env = random_env(shapes.symbols, expr, seed=seed)
        np.testing.assert_allclose(
            evaluate(MatMul(found, U), env, shapes=shapes.symbols),
            evaluate(expr, env, shapes=shapes.symbols),
            rtol=1e-12,
        )


def _no_rule(expr: str) -> str:
    return (
        f"this Jacobian has no matrix form that matcalc can write: no rule writes {expr} as a "
        f"matrix times u; differentiate a scalar such as v^T y instead"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "u^T u a",
            "u^T u is not linear in u, so it is not a Jacobian's matrix times u",
            id="quadratic",
        ),
        pytest.param("exp(u)", _no_rule("exp(u)"), id="function"),
        pytest.param("||u||_2 a", _no_rule("||u||_2"), id="norm"),
        pytest.param("u ⊙ u", _no_rule("u ⊙ u"), id="hadamard-square"),
        pytest.param("exp(u a^T) b", _no_rule("exp(u a^T)"), id="function-times-column"),
        pytest.param("tr(exp(u a^T)) b", _no_rule("exp(u a^T)"), id="trace-of-function"),
        pytest.param("diag(exp(u a^T))", _no_rule("exp(u a^T)"), id="diagonal-of-function"),
    ],
)
def test_linear_map_refuses_what_is_not_a_matrix_times_u(text: str, message: str) -> None:
    expr = parse(text)
    with pytest.raises(MatcalcError) as raised:
        linear_map(expr, U, infer(expr, {"u": ("m", 1)}))
    assert raised.value.message == message
    assert raised.value.kind is ErrorKind.NOT_DIFFERENTIABLE


def test_a_jacobian_of_too_many_terms_is_refused() -> None:
    pieces = " + ".join(f"a{i} t B{i}" for i in range(3))
    shapes = {
        "t": "scalar",
        **{f"a{i}": "p,1" for i in range(3)},
        **{f"B{i}": "1,p" for i in range(3)},
    }
    with pytest.raises(MatcalcError) as raised:
        diff(f"diag((({pieces}) / 4)^3)", "t", shapes=shapes)
    assert raised.value.message == (
        "this Jacobian's matrix would have more than 32 terms; differentiate a scalar such as "
        "v^T y instead"
    )


@st.composite
def columns(draw: Any) -> Objective:
    """A random column of p entries in which x (m×1) or lambda (a scalar) occurs one to three
    times, built by tests/objectives.py's builder over the whole rule table."""
    wrt = draw(st.sampled_from(["x", "lambda"]))
    builder = _Builder(draw, wrt)
    builder.shapes[wrt] = VARIABLES[wrt]
    expr = builder.expr(("p", 1), draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    return Objective(expr, wrt, dict(builder.shapes), frozenset(builder.positive))


@given(columns(), st.sampled_from(["denominator", "numerator"]))
def test_random_jacobians_match_central_differences(objective: Objective, layout: str) -> None:
    """M u, or M^T u in numerator layout, is the gradient of u^T y; a Jacobian that matcalc
    cannot write (past 32 terms, or a form no rule reaches) is a clean error that says so."""
    try:
        derivation = diff(
            str(objective.expr), objective.wrt, shapes=objective.shapes, layout=layout
        )
    except MatcalcError as error:
        assert error.kind is ErrorKind.NOT_DIFFERENTIABLE and "Jacobian" in error.message
        reject()
    assert derivation.cotangent is not None
    transposed = Transpose(derivation.result) if layout == "numerator" else derivation.result
    gradient = ZERO if derivation.result == ZERO else MatMul(transposed, derivation.cotangent)
    env = objective.env(derivation.shapes.symbols, seed=0)
    assert_differences_agree(replace(derivation, result=gradient), env)


DEEP = "diag((eye(p) + tanh((eye(p) + tanh(A x b^T) / 10)^{-1}) / 10)^{-1})"
"""Its Jacobian holds u inside diag(u) between two matrices inside ⊙ inside a product: no rule
writes that as a matrix times u (a random column objective found it)."""


def test_a_jacobian_no_rule_writes_says_so_and_its_scalar_derives() -> None:
    shapes = {"A": "p,m", "b": "p,1"}
    with pytest.raises(MatcalcError) as raised:
        diff(DEEP, "x", shapes=shapes)
    assert raised.value.kind is ErrorKind.NOT_DIFFERENTIABLE
    assert raised.value.message.startswith(
        "this Jacobian has no matrix form that matcalc can write: no rule writes "
    )
    assert raised.value.message.endswith("; differentiate a scalar such as v^T y instead")
    scalar = diff(f"v^T {DEEP}", "x", shapes=shapes)
    for seed in (0, 1):
        assert gradcheck(scalar, seed=seed) < TOLERANCE


def test_a_jacobian_by_a_scalar_is_a_row_in_denominator_layout() -> None:
    derivation = diff("t x", "t", shapes=SCALAR_T)
    assert derivation.shape == (1, "m")
    assert derivation.layout_sentence == "d(t x)/dt is 1×m, a column per entry (denominator layout)"
    assert diff("t x", "t", shapes=SCALAR_T, layout="numerator").shape == ("m", 1)


def test_the_command_line_prints_a_jacobian_by_a_scalar() -> None:
    command = [sys.executable, "-m", "matcalc", "diff", "exp(t x)", "--wrt", "t"]
    done = subprocess.run(
        [*command, "--shape", "t=scalar"], capture_output=True, text=True, encoding="utf-8"
    )
    assert done.returncode == 0, done.stderr
    assert "d(exp(t x))/dt = x^T ⊙ exp(t x)^T" in done.stdout.splitlines()


@pytest.mark.parametrize(
    ("expression", "wrt", "shapes", "message"),
    [
        pytest.param(
            "X W",
            "W",
            None,
            "the Jacobian d(X W)/dW has no matrix form: X W is m×p and W is n×p, so it has "
            "4 indices; differentiate a scalar of it instead, such as sum(V ⊙ (X W))",
            id="matrix-by-matrix",
        ),
        pytest.param(
            "A x",
            "A",
            None,
            "the Jacobian d(A x)/dA has no matrix form: A x is m×1 and A is m×n, so it has "
            "3 indices; differentiate a scalar of it instead, such as sum(V ⊙ (A x))",
            id="column-by-matrix",
        ),
        pytest.param(
            "x^T A",
            "x",
            None,
            "matcalc writes the Jacobian of a column by a column or a scalar, but x^T A is 1×n "
            "and x is m×1: differentiate (x^T A)^T",
            id="row-by-column",
        ),
        pytest.param(
            "X W",
            "t",
            SCALAR_T,
            "matcalc writes the Jacobian of a column by a column or a scalar, but X W is m×p "
            "and t is 1×1: differentiate a scalar such as sum(V ⊙ (X W))",
            id="matrix-by-scalar",
        ),
        pytest.param(
            "a",
            "x",
            {"x": "1,n"},
            "matcalc writes the Jacobian of a column by a column or a scalar, but a is m×1 "
            "and x is 1×n: declare x a column",
            id="column-by-row",
        ),
    ],
)
def test_a_derivative_that_is_no_jacobian_says_why(
    expression: str, wrt: str, shapes: dict[str, str] | None, message: str
) -> None:
    with pytest.raises(MatcalcError) as raised:
        diff(expression, wrt, shapes=shapes)
    assert raised.value.message == message
    assert raised.value.kind is ErrorKind.SHAPE
