"""Generated code: f and its gradients run on NumPy and on array_api_strict (the array API
standard and nothing more), and agree with central differences and with matcalc's own numbers."""

from __future__ import annotations

import importlib.util
import itertools
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import array_api_strict
import numpy as np
import pytest
from cases import DERIVATIVES, Case
from conftest import TOLERANCE, well_conditioned
from networks import network

from matcalc import MatcalcError, codegen, diff, evaluate
from matcalc.finite_differences import random_env, relative_error
from matcalc.shapes import is_scalar

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
    env = well_conditioned(random_env(symbols, derivation.objective, seed=seed, low=low, high=high))
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
        derivation = diff(expression, name, **options)
        symbols = derivation.shapes.symbols
        expected = evaluate(derivation.result, plain, shapes=symbols, where=derivation.where)
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
