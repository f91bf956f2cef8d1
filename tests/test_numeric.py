"""evaluate(): NumPy values, vectors as 1-D or columns, generic functions from the environment,
a Derivation's result with its named values, shapes and user functions, and clean errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from conftest import TOLERANCE
from networks import network

from matcalc import Derivation, ErrorKind, MatcalcError, diff, evaluate
from matcalc.definitions import definition
from matcalc.expr import ZERO, Func, Symbol
from matcalc.finite_differences import relative_error
from matcalc.numeric import elementwise_functions

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


def differences_agree(derivation: Derivation, env: dict[str, Any], seed: int = 0) -> None:
    """evaluate(derivation, env) against a central difference of the objective, evaluated with
    the derivation's own functions, along a random direction."""
    gradient = np.asarray(evaluate(derivation, env))
    x = np.asarray(env[derivation.wrt.name], dtype=np.float64)
    assert gradient.shape == x.shape
    direction = np.random.default_rng(seed).normal(size=x.shape)
    step = 1e-6

    def f(point: np.ndarray) -> float:
        moved = {**env, derivation.wrt.name: point}
        return float(evaluate(derivation.objective, moved, functions=derivation.functions))

    numeric = (f(x + step * direction) - f(x - step * direction)) / (2 * step)
    assert relative_error(numeric, float(np.sum(gradient * direction))) < TOLERANCE


def network_env(layers: int, seed: int = 0) -> dict[str, Any]:
    """X 3×4, W1 4×5, W2 5×6, …, Y 3×(4 + layers): every dimension distinct."""
    draw = np.random.default_rng(seed).uniform
    env = {"X": draw(-1, 1, size=(3, 4)), "Y": draw(-1, 1, size=(3, 4 + layers))}
    env |= {f"W{k}": draw(-1, 1, size=(3 + k, 4 + k)) for k in range(1, layers + 1)}
    return env


def test_a_derivation_evaluates_its_named_values() -> None:
    derivation = diff(network(3), "W1")
    assert [str(b.name) for b in derivation.result_where] == ["H1", "H2"]
    env = network_env(3)
    X, W1, W2, W3, Y = (env[n] for n in ("X", "W1", "W2", "W3", "Y"))
    H1 = np.tanh(X @ W1)
    H2 = np.tanh(H1 @ W2)
    top = np.tanh(H2 @ W3)
    expected = 2 * X.T @ (((((top - Y) * (1 - top**2)) @ W3.T) * (1 - H2**2)) @ W2.T * (1 - H1**2))
    assert np.allclose(evaluate(derivation, env), expected)
    with pytest.raises(MatcalcError, match=r"no value for H\d.*evaluate\(derivation, env\)"):
        evaluate(derivation.result, env)
    differences_agree(derivation, env)


def test_a_kept_derivative_g1_is_evaluated_in_order() -> None:
    derivation = diff("tr(((((X^2)^2)^2)^2)^2)", "X")
    assert any(b.derivative_of is not None for b in derivation.result_where)
    X = np.random.default_rng(3).uniform(-0.5, 0.5, size=(3, 3))
    expected = 32 * np.linalg.matrix_power(X.T, 31)
    assert np.allclose(evaluate(derivation, {"X": X}), expected, rtol=1e-9, atol=0)
    differences_agree(derivation, {"X": X})


@pytest.mark.parametrize(
    "shapes",
    [
        pytest.param(lambda d: d.shapes, id="Shapes"),
        pytest.param(lambda d: {"X": ("m", "n"), "W": ("n", "p")}, id="declarations"),
        pytest.param(lambda d: {"X": "m,n", "W": "n,p"}, id="text-declarations"),
    ],
)
def test_ones_read_their_sizes_through_the_shapes(shapes: Callable[[Derivation], Any]) -> None:
    derivation = diff("sum(X W)", "W")
    assert str(derivation.result) == "X^T ones(m, p)"
    env = {"X": X, "W": W}
    expected = X.T @ np.ones((3, 5))
    assert np.allclose(evaluate(derivation.result, env, shapes=shapes(derivation)), expected)
    assert np.allclose(evaluate(derivation, env), expected)
    differences_agree(derivation, env)


def test_an_unknown_size_names_the_symbol_that_has_it() -> None:
    derivation = diff("sum(X W)", "W")
    with pytest.raises(MatcalcError, match="dimension p is unknown: give W"):
        evaluate(derivation, {"X": X})
    with pytest.raises(MatcalcError, match="dimension p is unknown: give the shapes"):
        evaluate(derivation.result, {"X": X, "W": W})


FUNCTIONS = {"phi": "log(1 + exp(x))", "cube": "x^3 / 3 - 2 x", "hat": "sqrt(x) exp(-x) + x^T"}
BY_NUMPY: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "phi": lambda z: np.log1p(np.exp(z)),
    "cube": lambda z: z**3 / 3 - 2 * z,
    "hat": lambda z: np.sqrt(z) * np.exp(-z) + z,
}
"""The same functions written in NumPy, to check the evaluation against."""


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_user_functions_are_evaluated_entry_by_entry(name: str) -> None:
    Z = rng.uniform(0.5, 1.5, size=(3, 4))
    found = definition(name, FUNCTIONS[name])
    expected = BY_NUMPY[name](Z)
    for functions in ({name: FUNCTIONS[name]}, {name: found}):
        assert np.allclose(evaluate(f"{name}(Z)", {"Z": Z}, functions=functions), expected)
    callables = elementwise_functions({name: found})
    assert sorted(callables) == [name, f"{name}'"]
    assert np.allclose(callables[name](Z), expected)
    assert np.allclose(evaluate(Func(name, Symbol("Z")), {"Z": Z, **callables}), expected)
    derivative = evaluate(Func(f"{name}'", Symbol("Z")), {"Z": Z}, functions={name: found})
    assert np.allclose(callables[f"{name}'"](Z), derivative)
    step = 1e-6
    central = (BY_NUMPY[name](Z + step) - BY_NUMPY[name](Z - step)) / (2 * step)
    assert np.allclose(derivative, central, rtol=1e-7)


@pytest.mark.parametrize("expression", ["sum(phi(X W))", "||cube(X W) - Y||_F^2"])
def test_a_derivation_with_user_functions_evaluates(expression: str) -> None:
    functions = {name: FUNCTIONS[name] for name in ("phi", "cube")}
    used = {name: f for name, f in functions.items() if name in expression}
    derivation = diff(expression, "W", functions=used)
    env = {"X": X, "W": W, "Y": Y}
    with pytest.raises(MatcalcError, match="has no formula: pass it in functions"):
        evaluate(derivation.objective, env)
    value = evaluate(derivation.objective, env, functions=used)
    cube = (X @ W) ** 3 / 3 - 2 * (X @ W)
    expected = np.sum(np.log1p(np.exp(X @ W))) if "phi" in used else np.sum((cube - Y) ** 2)
    assert value == pytest.approx(expected)
    for seed in (0, 1):
        differences_agree(derivation, env, seed)


def test_a_zero_gradient_has_the_variable_shape() -> None:
    matrix = diff("sum(X)", "Y", shapes={"Y": (3, 3)})
    assert matrix.result == ZERO
    assert np.array_equal(evaluate(matrix, {"X": X}), np.zeros((3, 3)))
    vector = diff("sum(X)", "y", shapes={"y": ("k",)})
    assert np.array_equal(evaluate(vector, {"X": X, "y": np.ones(5)}), np.zeros(5))
    differences_agree(vector, {"X": X, "y": np.ones(5)})


def test_numerator_layout_is_evaluated_as_derived() -> None:
    derivation = diff("||X - D R||_F^2", "D", layout="numerator")
    D, R = rng.normal(size=(3, 5)), rng.normal(size=(5, 4))
    value = evaluate(derivation, {"X": X, "D": D, "R": R})
    assert np.allclose(value, (2 * (D @ R - X) @ R.T).T)


@pytest.mark.parametrize(
    ("call", "kind", "words"),
    [
        (lambda: evaluate("X", None), ErrorKind.VALUE, "env maps names to values"),
        (lambda: evaluate("X", {"X": None}), ErrorKind.VALUE, "X is not an array"),
        (lambda: evaluate("X", {"X": "abc"}), ErrorKind.VALUE, "X is not an array"),
        (lambda: evaluate("X", {"X": np.ones((2, 2, 2))}), ErrorKind.VALUE, "3 dimensions"),
        (lambda: evaluate(None, {"X": X}), ErrorKind.VALUE, "not NoneType"),
        (lambda: evaluate(b"X", {"X": X}), ErrorKind.VALUE, "not bytes"),
        (lambda: evaluate("X", {"X": X}, shapes=3), ErrorKind.SHAPE, "shapes maps names"),
        (lambda: evaluate("X", {"X": X}, shapes={"X": None}), ErrorKind.SHAPE, "X: a shape"),
        (lambda: evaluate("X", {"X": X}, functions=[]), ErrorKind.VALUE, "functions map"),
        (lambda: evaluate("X", {"X": X}, functions={"phi": 3}), ErrorKind.VALUE, "not 3"),
        (lambda: evaluate("X", {"X": X}, functions={"phi": "x y"}), ErrorKind.NAME, "one var"),
        (lambda: evaluate("X", {"X": X}, functions={"tr": "x"}), ErrorKind.NAME, "own function"),
        (
            lambda: evaluate("sum(bad(X))", {"X": X}, functions={"bad": "tr(x)"}),
            ErrorKind.VALUE,
            "not a scalar formula",
        ),
        (
            lambda: evaluate("X W", {"X": X, "W": W}, shapes={"X": (3, 4), "W": (5, 5)}),
            ErrorKind.SHAPE,
            r"W has shape \(4, 5\), but is declared 5×5",
        ),
        (lambda: evaluate("sum(X)", {"X": 1j * X}), ErrorKind.VALUE, "X is complex"),
        (lambda: evaluate("a x", {"a": 2 + 0j, "x": [1, 2]}), ErrorKind.VALUE, "a is complex"),
        (lambda: evaluate("sum(X)", {"X": [[1, 2], [3]]}), ErrorKind.VALUE, "X is not an array"),
        (
            lambda: evaluate("tr(inv(X))", {"X": np.zeros((3, 3))}),
            ErrorKind.VALUE,
            r"X is singular where X\^\{-1\} is evaluated",
        ),
        (
            lambda: evaluate("sum(inv(X - A) A)", {"X": np.eye(3), "A": np.eye(3)}),
            ErrorKind.VALUE,
            r"X - A is singular where \(X - A\)\^\{-1\} is evaluated",
        ),
        (
            lambda: evaluate("tr(X^{-1} A)", {"X": np.ones((3, 3)), "A": np.eye(3)}),
            ErrorKind.VALUE,
            r"X is singular where X\^\{-1\} is evaluated",
        ),
        (
            lambda: evaluate("sum(ones(100000, 100000))", {}),
            ErrorKind.VALUE,
            r"ones\(100000, 100000\)' is 100000×100000, too large to evaluate",
        ),
        (lambda: evaluate("tr(eye(99999999999))", {}), ErrorKind.VALUE, "too large to evaluate"),
        (
            lambda: evaluate("sum(x x^T)", {"x": np.ones(20_000)}),
            ErrorKind.VALUE,
            "'x x\\^T' is 20000×20000, too large",
        ),
        (lambda: evaluate("sum(X)", {"X": X}, where="junk"), ErrorKind.VALUE, "where holds"),
        (
            lambda: evaluate("sum(X)", {"X": X}, where=[1, 2]),
            ErrorKind.VALUE,
            r"where holds Bindings \(a derivation.s \.where\), not 1",
        ),
        (lambda: evaluate("sum(X)", {"X": X}, where=None), ErrorKind.VALUE, "not None"),
        (
            lambda: evaluate(diff("α^2", "α"), {"α": 10**400}),
            ErrorKind.VALUE,
            "α is beyond the largest float",
        ),
        (
            lambda: evaluate("sum(g(X))", {"X": X, "g": lambda x: "abc"}),
            ErrorKind.VALUE,
            r"g gives 'abc' for an argument of shape \(3, 4\)",
        ),
        (
            lambda: evaluate("sum(g(X))", {"X": X, "g": lambda x: np.ones(7)}),
            ErrorKind.VALUE,
            r"g gives shape \(7,\) for an argument of shape \(3, 4\)",
        ),
        (
            lambda: evaluate(diff("||X - D R||_F^2", "D"), {"X": 2.0, "D": X, "R": W}),
            ErrorKind.SHAPE,
            "^shape error: X is m×n, but its value is a number$",
        ),
        (
            lambda: evaluate(diff("||X - D R||_F^2", "D"), {"X": Y[0], "D": X, "R": W}),
            ErrorKind.SHAPE,
            "X is m×n, but its value is a 1-D array",
        ),
    ],
)
def test_bad_arguments_are_clean_errors(
    call: Callable[[], Any], kind: ErrorKind, words: str
) -> None:
    with pytest.raises(MatcalcError, match=words) as raised:
        call()
    assert raised.value.kind is kind


def test_a_derivation_at_a_singular_point_is_a_clean_error() -> None:
    derivation = diff("logdet(X) + tr(X^{-1} A)", "X")
    with pytest.raises(MatcalcError, match="X is singular where X\\^\\{-1\\}") as raised:
        evaluate(derivation, {"X": np.zeros((3, 3)), "A": np.eye(3)})
    assert raised.value.kind is ErrorKind.VALUE
    A = rng.normal(size=(3, 3))
    point = rng.normal(size=(3, 3)) + 3 * np.eye(3)
    inverse = np.linalg.inv(point)
    expected = inverse.T - (inverse @ A @ inverse).T
    assert np.allclose(evaluate(derivation, {"X": point, "A": A}), expected)
    differences_agree(derivation, {"X": point, "A": A})


def test_a_callable_in_its_argument_shape_and_right_kinds_of_values_evaluate() -> None:
    """What the refusals above leave through: a generic g in shape, a number for a scalar and
    a 1-D array for a vector, checked against central differences."""
    derivation = diff("α ||g(A x) - b||_2^2", "x")
    env = {"α": 2.0, "A": X, "x": W[:, 0], "b": Y[:, 0], "g": np.tanh}
    env["g'"] = lambda z: 1 - np.tanh(z) ** 2
    differences_agree(derivation, env)
