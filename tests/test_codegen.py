"""Generated code: f and its gradients run on NumPy and on array_api_strict (the array API
standard and nothing more), and agree with central differences and with matcalc's own numbers."""

from __future__ import annotations

import importlib.util
import inspect
import itertools
import subprocess
import sys
import traceback
from collections.abc import Callable, Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

import array_api_strict
import numpy as np
import pytest
from cases import DERIVATIVES, Case
from conftest import TOLERANCE, well_conditioned
from networks import network

from matcalc import ErrorKind, MatcalcError, codegen, diff, evaluate
from matcalc.finite_differences import random_env, relative_error
from matcalc.generate import python_function, to_function
from matcalc.printing.ascii import to_ascii
from matcalc.shapes import is_scalar
from matcalc.traversal import symbol_names

_counter = itertools.count()


def load(source: str, directory: Path, name: str = "f_and_grad") -> Callable[..., Any]:
    """The generated function, imported from a file as a user would."""
    path = directory / f"generated_{next(_counter)}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    function: Callable[..., Any] = getattr(module, name)
    return function


def inputs(
    expression: str, wrt: list[str], seed: int, positive: bool = True, **options: Any
) -> dict[str, Any]:
    """Random inputs, in [0.5, 1.5] where `positive` (log, sqrt and powers need it) and in
    [-0.9, 0.9] otherwise; square matrices with 3 I added so that inverses are well
    conditioned; vectors 1-D, scalars 0-D."""
    derivation = diff(expression, wrt[0], **options)
    symbols = {n: s for n, s in derivation.shapes.symbols.items() if n not in _named(derivation)}
    low, high = (0.5, 1.5) if positive else (-0.9, 0.9)
    env = random_env(
        symbols,
        derivation.objective,
        seed=seed,
        low=low,
        high=high,
        sum_to_one=derivation.shapes.sum_to_one,
    )
    env = well_conditioned(env)
    for name, value in list(env.items()):
        if callable(value):
            continue
        if is_scalar(symbols[name]):
            env[name] = np.reshape(value, ())
        elif symbols[name][1] == 1:
            env[name] = value[:, 0]
    return env


def _named(derivation: Any) -> set[str]:
    return {binding.name.name for binding in derivation.where}


def _arguments(env: Mapping[str, Any], convert: Callable[[Any], Any]) -> dict[str, Any]:
    """The generated function's arguments: arrays converted, g and g' as g and g_prime."""
    arguments: dict[str, Any] = {}
    for name, value in env.items():
        key = name.replace("'", "_prime")
        key = f"{key}_" if key == "lambda" else key
        if callable(value):
            arguments[key] = _elementwise(value, convert)
        else:
            arguments[key] = convert(value)
    return arguments


def _elementwise(function: Callable[[Any], Any], convert: Callable[[Any], Any]) -> Any:
    return lambda x: convert(function(np.asarray(_numpy(x))))


def _numpy(value: Any) -> np.ndarray:
    if isinstance(value, float | int | np.ndarray):
        return np.asarray(value, dtype=np.float64)
    return np.from_dlpack(value)


def check(
    function: Callable[..., Any],
    expression: str,
    wrt: list[str],
    env: Mapping[str, Any],
    convert: Callable[[Any], Any],
    **options: Any,
) -> None:
    """f against matcalc's value; each gradient in its variable's shape, against central
    differences of the generated f in a random direction, and against matcalc's result."""
    outputs = function(**_arguments(env, convert))
    f, gradients = _numpy(outputs[0]), [_numpy(g) for g in outputs[1:]]
    plain = {k: (v if callable(v) else np.asarray(v)) for k, v in env.items()}
    assert f.shape == ()
    objective = diff(expression, wrt[0], **options)
    value = evaluate(objective.objective, plain, shapes=objective.shapes.symbols)
    assert np.isclose(float(f), value, rtol=1e-10)
    rng = np.random.default_rng(7)
    for name, gradient in zip(wrt, gradients, strict=True):
        x = np.asarray(env[name], dtype=np.float64)
        assert gradient.shape == x.shape, name
        direction = rng.normal(size=x.shape)
        step = 1e-6

        def value_at(point: np.ndarray, name: str = name) -> float:
            moved = {**env, name: point}
            return float(_numpy(function(**_arguments(moved, convert))[0]))

        numeric = (value_at(x + step * direction) - value_at(x - step * direction)) / (2 * step)
        analytic = float(np.sum(gradient * direction))
        assert relative_error(numeric, analytic) < TOLERANCE, (name, numeric, analytic)
        expected = evaluate(diff(expression, name, **options), plain)
        assert np.allclose(gradient, np.reshape(expected, x.shape), rtol=1e-9, atol=1e-12)


def _torch() -> Callable[[Any], Any]:
    """Torch tensors, where PyTorch is installed (the benchmark extra; CI has not got it)."""
    torch = pytest.importorskip("torch")
    return lambda value: torch.asarray(np.asarray(value), dtype=torch.float64)


BACKENDS: dict[str, Callable[[], Callable[[Any], Any]]] = {
    "numpy": lambda: np.asarray,
    "array_api_strict": lambda: array_api_strict.asarray,
    "torch": _torch,
}
"""How each backend makes its arrays from NumPy's: array_api_strict has the array API standard
and nothing more, so code that runs on it uses only the standard."""


OBJECTIVES = [
    ("network-3", network(3), ["W1", "W2", "W3"]),
    ("mlp", "||tanh(X W1) W2 - Y||_F^2", ["W1", "W2"]),
    ("seed", "||g(X W) - Y||_F^2", ["W"]),
    ("dictionary", "||X - D R||_F^2", ["D", "R"]),
    ("ridge", "||A x - b||_2^2 + lambda x^T x", ["x", "lambda"]),
    ("logistic", "sum(log(1 + exp(-y ⊙ (X w))))", ["w"]),
    ("softmax-like", "sum(softplus(X W) - relu(X W)) + sum(sigmoid(X W))", ["W"]),
    ("traces", "tr(A X B) + logdet(X) + tr(X^{-1}) + det(X)", ["X"]),
    ("powers", "a^T X^3 b + sum(X^{∘3}) + ||X||_F + norm1(X a)", ["X", "a"]),
    ("diag-sums", "sum(diag(x) A) + sum(sum_rows(A) ⊙ x^T) + sum(sum_cols(A)) ", ["x"]),
    ("identity-ones", "x^T (A + eye(n)) x + sum(X ones(n, 1))", ["x", "X"]),
]


def _cases() -> list[Any]:
    """Every derivative case whose objective is a scalar and whose functions are known."""
    found = []
    for name, case in DERIVATIVES:
        try:
            derivation = diff(case.expression, case.wrt, shapes=case.shapes)
        except MatcalcError:
            continue
        if derivation.jacobian_of is None:
            found.append(pytest.param(case, id=name))
    return found


@pytest.mark.parametrize(
    ("expression", "wrt"), [o[1:] for o in OBJECTIVES], ids=[o[0] for o in OBJECTIVES]
)
@pytest.mark.parametrize("backend", ["numpy", "array_api_strict", "torch"])
def test_generated_gradients(expression: str, wrt: list[str], backend: str, tmp_path: Path) -> None:
    convert = BACKENDS[backend]()
    function = load(codegen(expression, wrt), tmp_path)
    for seed in (0, 1):
        check(function, expression, wrt, inputs(expression, wrt, seed, positive=False), convert)


@pytest.mark.parametrize("case", _cases())
def test_every_derivative_case_runs(case: Case, tmp_path: Path) -> None:
    options = {"shapes": case.shapes}
    function = load(codegen(case.expression, case.wrt, **options), tmp_path)
    env = inputs(case.expression, [case.wrt], 0, case.positive, **options)
    check(function, case.expression, [case.wrt], env, np.asarray, **options)


def test_gradients_reuse_the_forward_values(tmp_path: Path) -> None:
    source = codegen(network(3), ["W1", "W2", "W3"])
    lines = [line.strip() for line in source.splitlines()]
    assert sum("xp.tanh(" in line for line in lines) == 3  # each layer's value once
    assert sum(line.endswith("- Y") for line in lines) == 1  # one residual
    assert "H1 = xp.tanh(X @ W1)" in lines and "H2 = xp.tanh(H1 @ W2)" in lines


def test_user_functions_are_written_entry_by_entry(tmp_path: Path) -> None:
    functions = {"phi": "log(1 + exp(x))"}
    expression = "sum(phi(X W))"
    function = load(codegen(expression, "W", functions=functions), tmp_path)
    env = inputs(expression, ["W"], 0, functions=functions)
    plain = {k: np.asarray(v) for k, v in env.items()}
    f, gradient = function(**plain)
    X, W = plain["X"], plain["W"]
    assert np.isclose(f, np.sum(np.log1p(np.exp(X @ W))))
    assert np.allclose(gradient, X.T @ (1 / (1 + np.exp(-X @ W))))


def test_refusals() -> None:
    with pytest.raises(MatcalcError, match="scalar objective"):
        codegen("A exp(x)", "x")
    with pytest.raises(MatcalcError, match="not a Python name"):
        codegen("sum(X)", "X", name="1f")
    with pytest.raises(MatcalcError, match="at least one variable"):
        codegen("sum(X)", [])


def test_command_line_writes_the_same_code() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "matcalc", "codegen", "||X - D R||_F^2", "--wrt", "D", "--wrt", "R"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout == codegen("||X - D R||_F^2", ["D", "R"])


def test_command_line_refuses_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    from matcalc.cli import main

    assert main(["codegen", "A exp(x)", "--wrt", "x"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "scalar objective" in err


@pytest.mark.parametrize("backend", ["numpy", "array_api_strict"])
def test_to_function_is_the_generated_code_ready_to_call(backend: str) -> None:
    expression, wrt = network(3), ["W1", "W2", "W3"]
    function = to_function([diff(expression, w) for w in wrt])
    assert function.__matcalc_source__ == codegen(expression, wrt)
    assert function.__name__ == "f_and_grad" and "X: m×n matrix" in (function.__doc__ or "")
    for seed in (0, 1):
        env = inputs(expression, wrt, seed, positive=False)
        check(function, expression, wrt, env, BACKENDS[backend]())


def test_a_failure_inside_generated_code_shows_its_line() -> None:
    function = to_function(diff("tr(inv(X))", "X"), name="loss")
    assert function.__name__ == "loss"
    with pytest.raises(np.linalg.LinAlgError) as raised:
        function(np.zeros((3, 3)))
    assert "<matcalc generated loss" in "".join(traceback.format_tb(raised.tb))
    assert "xp.linalg.inv(X)" in "".join(traceback.format_tb(raised.tb))
    X = well_conditioned({"X": np.random.default_rng(8).uniform(-1, 1, size=(3, 3))})["X"]
    gradient = function(X)[1]
    assert np.allclose(gradient, -np.linalg.matrix_power(np.linalg.inv(X).T, 2))
    assert differences_of(lambda point: float(function(point)[0]), X, gradient) < TOLERANCE


M34, M35, M45, M54, M64 = (np.ones(shape) for shape in [(3, 4), (3, 5), (4, 5), (5, 4), (6, 4)])
WRONG_SIZES = [
    (
        "rows",
        "||X - D R||_F^2",
        ["D"],
        {},
        (M34, M45, M54),
        r"D has shape \(4, 5\), not m×p = \(3, 5\) \(m from X\)",
    ),
    (
        "rows-and-columns",
        "||X - D R||_F^2",
        ["D", "R"],
        {},
        (M34, M35, M64),
        r"R has shape \(6, 4\), not p×n = \(5, 4\) \(p from D, n from X\)",
    ),
    (
        "1-D",
        "||A x - b||_2^2",
        ["x"],
        {},
        (M34, np.ones(5), np.ones(3)),
        r"x has 5 entries, not n = 4 \(n from A\)",
    ),
    (
        "column",
        "||A x - b||_2^2",
        ["x"],
        {},
        (M34, np.ones((4, 1)), np.ones((4, 1))),
        r"b has 4 entries, not m = 3 \(m from A\)",
    ),
    ("square", "tr(X^{-1})", ["X"], {}, (M34,), r"X has shape \(3, 4\), not (\w+)×\1 = \(3, 3\)$"),
    (
        "declared",
        "tr(A X)",
        ["X"],
        {"A": (3, 4)},
        (M35, np.ones((5, 3))),
        r"A has shape \(3, 5\), not 3×4$",
    ),
]
"""Arrays whose sizes disagree: the generated code names the argument, its shape and the
dimensions, with the arrays they come from."""


@pytest.mark.parametrize(
    ("expression", "wrt", "shapes", "arrays", "words"),
    [pytest.param(*row[1:], id=row[0]) for row in WRONG_SIZES],
)
def test_wrong_sizes_are_a_value_error_naming_the_argument(
    expression: str, wrt: list[str], shapes: dict[str, Any], arrays: tuple[Any, ...], words: str
) -> None:
    function = load_function(expression, wrt, shapes=shapes)
    assert "Raises ValueError naming the argument" in (function.__doc__ or "")
    with pytest.raises(ValueError, match=words) as raised:
        function(*arrays)
    assert type(raised.value) is ValueError  # the code does not import matcalc
    env = inputs(expression, wrt, 0, shapes=shapes)
    check(function, expression, wrt, env, np.asarray, shapes=shapes)


def test_a_generic_function_is_documented_as_a_keyword() -> None:
    function = load_function("||g(X W) - Y||_F^2", ["W"])
    assert "g: the elementwise function g, a callable, passed as g=" in (function.__doc__ or "")
    assert [p.kind for p in inspect.signature(function).parameters.values()][-2:] == [
        inspect.Parameter.KEYWORD_ONLY
    ] * 2
    env = inputs("||g(X W) - Y||_F^2", ["W"], 0, positive=False)
    check(function, "||g(X W) - Y||_F^2", ["W"], env, np.asarray)


@pytest.mark.parametrize("backend", ["numpy", "array_api_strict"])
def test_one_derivation_or_a_tuple_is_taken_as_a_list_is(backend: str) -> None:
    expression = "||X - D R||_F^2"
    one, both = diff(expression, "D"), (diff(expression, "D"), diff(expression, "R"))
    assert to_function(one).__matcalc_source__ == to_function([one]).__matcalc_source__
    assert python_function(both) == python_function(list(both)) == codegen(expression, ("D", "R"))
    for function, wrt in [(to_function(one), ["D"]), (to_function(both), ["D", "R"])]:
        check(function, expression, wrt, inputs(expression, wrt, 0), BACKENDS[backend]())


DERIVATION = diff("||X - D R||_F^2", "D")
REFUSED = [
    (
        "none",
        lambda: to_function(None),
        ErrorKind.VALUE,
        "a Derivation or a list of them, not None",
    ),
    ("text", lambda: to_function("D"), ErrorKind.VALUE, "a Derivation or a list of them, not 'D'"),
    ("empty", lambda: to_function(()), ErrorKind.VALUE, "at least one derivation"),
    ("numbers", lambda: to_function([DERIVATION, 1]), ErrorKind.VALUE, "not 1"),
    ("text-source", lambda: python_function(["D"]), ErrorKind.VALUE, "Derivations .*, not 'D'"),
    ("int-name", lambda: DERIVATION.to_function(3), ErrorKind.VALUE, "3 is not a Python name"),
    ("keyword-name", lambda: DERIVATION.to_function("class"), ErrorKind.VALUE, "'class' is not"),
    ("none-name", lambda: DERIVATION.to_python(None), ErrorKind.VALUE, "None is not a Python name"),
    ("codegen-name", lambda: codegen("sum(X)", "X", name=3), ErrorKind.VALUE, "not a Python name"),
    ("none-wrt", lambda: codegen("tr(X)", None), ErrorKind.NAME, 'a name such as "X", not None'),
    ("int-wrt", lambda: codegen("tr(X)", 3), ErrorKind.NAME, "not 3"),
    ("none-in-wrt", lambda: codegen("tr(X)", ["X", None]), ErrorKind.NAME, "not None"),
    (
        "different-functions",
        lambda: to_function(
            [
                diff("sum(phi(X))", "X", functions={"phi": "exp(x)"}),
                diff("sum(phi(X))", "X", functions={"phi": "log(x)"}),
            ]
        ),
        ErrorKind.VALUE,
        "one objective, with the same shapes and functions; these have different functions",
    ),
    (
        "different-shapes",
        lambda: python_function(
            [diff("sum(X W)", "X", shapes={"X": (3, 4)}), diff("sum(X W)", "W")]
        ),
        ErrorKind.VALUE,
        "these have different shapes",
    ),
]
"""Arguments of the wrong kind: each a MatcalcError of its kind, never a TypeError."""


@pytest.mark.parametrize(
    ("call", "kind", "words"), [pytest.param(*row[1:], id=row[0]) for row in REFUSED]
)
def test_wrong_arguments_are_clean_errors(
    call: Callable[[], Any], kind: ErrorKind, words: str
) -> None:
    with pytest.raises(MatcalcError, match=words) as raised:
        call()
    assert raised.value.kind is kind


def exact_trace(X: np.ndarray) -> Fraction:
    return sum((Fraction(v) for v in np.diag(X)), Fraction(0))


def exact_sum(X: np.ndarray) -> Fraction:
    return sum((Fraction(v) for v in X.ravel()), Fraction(0))


BIG = 99999999999999999999
EXACT = [
    (f"{BIG} tr(X) - {BIG - 1} tr(X)", exact_trace),
    (f"({BIG} - {BIG - 1}) sum(X)", exact_sum),
    (f"{BIG} (tr(X) + sum(X)) - {BIG - 1} tr(X)", lambda X: exact_trace(X) + BIG * exact_sum(X)),
    ("tr(X) / 3 + 2 tr(X) / 3", exact_trace),
    ("10^20 sum(X) + sum(X) - 10^20 sum(X)", exact_sum),
]
"""Objectives whose coefficients cancel: in floats, 99999999999999999999 and
99999999999999999998 are both 1e20, and f would be 0."""


@pytest.mark.parametrize(("expression", "exact"), EXACT, ids=[row[0] for row in EXACT])
def test_f_keeps_exact_coefficients(
    expression: str, exact: Callable[[np.ndarray], Fraction]
) -> None:
    function = load_function(expression, ["X"])
    X = np.random.default_rng(5).uniform(-1, 1, size=(4, 4))
    f, gradient = function(X)
    truth = exact(X)
    assert abs(Fraction(float(f)) - truth) <= 4 * np.finfo(float).eps * abs(truth)
    assert differences_of(lambda point: float(function(point)[0]), X, gradient) < TOLERANCE


def differences_of(f: Callable[[np.ndarray], float], x: np.ndarray, gradient: Any) -> float:
    """The relative error of ⟨gradient, U⟩ against a central difference of f along a random U."""
    direction = np.random.default_rng(11).normal(size=x.shape)
    step = 1e-6
    numeric = (f(x + step * direction) - f(x - step * direction)) / (2 * step)
    return relative_error(numeric, float(np.sum(np.asarray(gradient) * direction)))


def load_function(expression: str, wrt: list[str], **options: Any) -> Callable[..., Any]:
    return to_function([diff(expression, w, **options) for w in wrt])


SCALAR_OBJECTIVES = [
    ("square", "alpha^2", ["alpha"]),
    ("log-product", "log(alpha beta)", ["alpha", "beta"]),
    ("generic", "g(alpha) beta + exp(beta)", ["alpha", "beta"]),
    ("constant-gradient", "3 alpha + beta^2", ["alpha", "beta"]),
]


@pytest.mark.parametrize(
    ("expression", "wrt"), [o[1:] for o in SCALAR_OBJECTIVES], ids=[o[0] for o in SCALAR_OBJECTIVES]
)
def test_scalar_inputs_may_be_python_numbers(expression: str, wrt: list[str]) -> None:
    function = load_function(expression, wrt)
    point = {name: value for name, value in (("alpha", 1.25), ("beta", 0.75)) if name in expression}

    def call(convert: Callable[[Any], Any] = np.asarray, **values: Any) -> tuple[Any, ...]:
        generic = {"g": np.sin, "g_prime": np.cos} if "g(alpha)" in expression else {}
        callables = {name: _elementwise(f, convert) for name, f in generic.items()}
        return tuple(function(**values, **callables))

    floats = call(**point)
    assert all(type(value) is float for value in floats)
    integers = {name: round(value + 1) for name, value in point.items()}  # ints are numbers too
    assert call(**integers) == call(**{name: float(value) for name, value in integers.items()})
    env = {**point, "g": np.sin, "g'": np.cos}
    assert floats[0] == pytest.approx(evaluate(expression, env), rel=1e-14)
    for name, gradient in zip(wrt, floats[1:], strict=True):
        step = 1e-6
        ahead = call(**{**point, name: point[name] + step})[0]
        behind = call(**{**point, name: point[name] - step})[0]
        assert relative_error((ahead - behind) / (2 * step), gradient) < TOLERANCE, name
    for convert in (np.asarray, array_api_strict.asarray):
        arrays = call(convert, **{k: convert(v) for k, v in point.items()})
        assert [np.shape(a) for a in arrays] == [()] * len(arrays)
        assert np.allclose([float(a) for a in arrays], floats, rtol=1e-14)


@pytest.mark.parametrize("backend", ["numpy", "array_api_strict"])
def test_a_python_number_may_stand_for_a_scalar_among_arrays(backend: str) -> None:
    expression, wrt = "||A x - b||_2^2 + lambda x^T x + log(lambda)", ["x", "lambda"]
    function = load_function(expression, wrt)
    env = inputs(expression, wrt, 0)
    env["lambda"] = 0.75
    convert = BACKENDS[backend]()
    arrays = {k: (v if k == "lambda" else convert(v)) for k, v in env.items()}
    _, grad_x, grad_lambda = function(
        **{k.replace("lambda", "lambda_"): v for k, v in arrays.items()}
    )
    assert np.shape(grad_lambda) == () and np.shape(grad_x) == np.shape(env["x"])
    check(function, expression, wrt, env, lambda v: v if np.ndim(v) == 0 else convert(v))


def test_a_variable_absent_from_the_objective_has_a_zero_gradient() -> None:
    shapes = {"Y": (3, 3), "y": ("k",)}
    function = load_function("sum(X)", ["X", "Y", "y"], shapes=shapes)
    X = np.random.default_rng(2).normal(size=(4, 5))
    _, _, grad_Y, grad_y = function(X, np.ones((3, 3)), np.ones(6))
    assert np.array_equal(grad_Y, np.zeros((3, 3))) and np.array_equal(grad_y, np.zeros(6))
    zero = evaluate(diff("sum(X)", "Y", shapes=shapes), {"X": X})
    assert np.array_equal(grad_Y, zero)
    env = {"X": X, "Y": np.ones((3, 3)), "y": np.ones(6)}
    check(function, "sum(X)", ["X", "Y", "y"], env, np.asarray, shapes=shapes)


def test_the_command_line_writes_a_zero_gradient_for_an_absent_variable() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "matcalc",
            "codegen",
            "sum(X)",
            "--wrt",
            "X",
            "--wrt",
            "Y",
            "--shape",
            "Y=3,3",
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "grad_Y = xp.zeros_like(Y)" in done.stdout


@pytest.mark.parametrize("backend", ["numpy", "array_api_strict"])
def test_an_objective_that_cancels_is_a_zero_array(backend: str) -> None:
    function = load_function("tr(X) - tr(X) + sum(Y)", ["X", "Y"])
    X, Y = np.ones((3, 3)), np.arange(20.0).reshape(4, 5)
    convert = BACKENDS[backend]()
    f, grad_X, grad_Y = function(convert(X), convert(Y))
    assert float(f) == 190.0 and np.shape(f) == ()
    assert np.array_equal(_numpy(grad_X), np.zeros((3, 3)))
    assert np.array_equal(_numpy(grad_Y), np.ones((4, 5)))


def test_more_refusals() -> None:
    with pytest.raises(MatcalcError, match="at least one derivation"):
        python_function([])
    with pytest.raises(MatcalcError, match="one objective"):
        python_function([diff("sum(X)", "X"), diff("tr(X)", "X")])
    with pytest.raises(MatcalcError, match="beyond the largest float"):
        codegen("sum(X) / 1e399", "X")  # the parser keeps up to 400 digits exact


@pytest.mark.parametrize(
    ("expression", "wrt", "parameters"),
    [
        (
            "sum(values) + f^T f + sum(dtype) + sum(xp) + sum(f_and_grad)",
            ["f", "xp"],
            ["values", "f_", "dtype_", "xp_", "f_and_grad"],
        ),
        ("numpy^2 numbers + log(value) + f", ["numbers", "f"], ["numpy", "numbers", "value", "f_"]),
    ],
)
def test_names_of_the_code_own_are_left_to_it(
    expression: str, wrt: list[str], parameters: list[str]
) -> None:
    """A symbol named like a name the code uses is renamed, and a function may be named f."""
    shapes = (
        {name: () for name in ("numpy", "numbers", "value", "f")} if "numpy" in expression else {}
    )
    function = to_function([diff(expression, w, shapes=shapes) for w in wrt], name="f")
    assert list(inspect.signature(function).parameters) == parameters
    rng = np.random.default_rng(4)
    derivation = diff(expression, wrt[0], shapes=shapes)
    sizes = iter(range(3, 9))
    point = [
        1.0 + rng.uniform()
        if derivation.shapes.symbols[n] == (1, 1)
        else rng.uniform(size=next(sizes))
        for n in symbol_names(derivation.objective)
    ]
    outputs = function(*point)
    position = {name: index for index, name in enumerate(symbol_names(derivation.objective))}
    for name, gradient in zip(wrt, outputs[1:], strict=True):

        def f(value: np.ndarray, at: int = position[name]) -> float:
            return float(function(*point[:at], value, *point[at + 1 :])[0])

        assert differences_of(f, np.asarray(point[position[name]]), gradient) < TOLERANCE, name


ASCII_NAMES = [
    ("greek", "sum(λ X)", ["λ", "X"], ["lambda_", "X"]),
    ("greek-and-its-name", "sum(α X) + alpha sum(X)", ["X", "α"], ["alpha_", "X", "alpha"]),
    (
        "greek-and-the-keyword",
        "λ tr(X) + lambda sum(X)",
        ["λ", "lambda"],
        ["lambda__", "X", "lambda_"],
    ),
]
"""The code's names are ASCII, and distinct: a Greek letter is its name, after any symbol
already so named, so that the code read in ASCII (matcalc.to_ascii) is the same code."""


@pytest.mark.parametrize(
    ("expression", "wrt", "parameters"), [pytest.param(*row[1:], id=row[0]) for row in ASCII_NAMES]
)
def test_names_in_code_are_ascii_and_distinct(
    expression: str, wrt: list[str], parameters: list[str], tmp_path: Path
) -> None:
    source = codegen(expression, wrt)
    function = load(to_ascii(source), tmp_path)
    assert list(inspect.signature(function).parameters) == parameters
    assert to_function([diff(expression, w) for w in wrt]).__matcalc_source__ == source
    env = inputs(expression, wrt, 0)
    order = symbol_names(diff(expression, wrt[0]).objective)
    point = [env[name] for name in order]
    outputs = function(*point)
    for name, gradient in zip(wrt, outputs[1:], strict=True):
        at = order.index(name)

        def f(value: np.ndarray, at: int = at) -> float:
            return float(function(*point[:at], value, *point[at + 1 :])[0])

        assert differences_of(f, np.asarray(point[at]), gradient) < TOLERANCE, name
        expected = evaluate(diff(expression, name), env)
        assert np.allclose(gradient, expected, rtol=1e-9)


M4 = np.ones((4, 4))
NOT_ARRAYS = [
    ("1-D-for-a-matrix", (np.ones(3), M35, M54), r"^X is m×n, a 2-D array; got \(3,\)$"),
    ("float-for-a-matrix", (2.0, M35, M54), "^X is m×n, a 2-D array; got float$"),
    ("list-for-a-matrix", (M34, [[1.0]], M54), "^D is m×p, a 2-D array; got list$"),
    ("none-for-a-matrix", (M34, M35, None), "^R is p×n, a 2-D array; got NoneType$"),
    ("3-D", (np.ones((3, 4, 1)), M35, M54), r"got \(3, 4, 1\)$"),
    ("strings", (np.full((3, 4), "a"), M35, M54), "^X holds <U1, not real numbers$"),
    ("complex", (M34, M35 * 1j, M54), "^D holds complex128, not real numbers$"),
]
"""Arguments that are not real arrays of their kind: the documented ValueError naming the
argument, before NumPy's IndexError, AttributeError or broadcast error."""


@pytest.mark.parametrize(
    ("arrays", "words"), [pytest.param(*row[1:], id=row[0]) for row in NOT_ARRAYS]
)
def test_an_argument_not_an_array_of_its_kind_is_a_value_error_naming_it(
    arrays: tuple[Any, ...], words: str
) -> None:
    function = load_function("||X - D R||_F^2", ["D"])
    with pytest.raises(ValueError, match=words) as raised:
        function(*arrays)
    assert type(raised.value) is ValueError
    check(function, "||X - D R||_F^2", ["D"], inputs("||X - D R||_F^2", ["D"], 0), np.asarray)


@pytest.mark.parametrize("x", [M4[:3, :3], np.ones((3, 2)), np.ones((1, 1, 3)), 3.0])
def test_a_vector_is_1d_or_a_column(x: Any) -> None:
    function = load_function("x^T A x", ["x"])
    with pytest.raises(ValueError, match=r"^x is a vector of m entries, 1-D or a column; got "):
        function(x, M4[:3, :3])
    for given in (np.ones(3), np.ones((3, 1))):
        env = {
            "x": given * np.array([0.5, -1.0, 2.0]).reshape(given.shape),
            "A": M4[:3, :3] + np.eye(3),
        }
        check(function, "x^T A x", ["x"], env, np.asarray)
