"""Generated code for second order: f, the gradient and the Hessian, or f, the gradient and a
function hvp(V), run on NumPy and on array_api_strict, checked against central differences of
the generated gradient, and computing each shared value once."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from typing import Any

import array_api_strict
import numpy as np
import pytest
from conftest import TOLERANCE, well_conditioned

import matcalc
from matcalc import ErrorKind, MatcalcError, codegen, evaluate, hessian
from matcalc.derivation import Derivation
from matcalc.finite_differences import random_env
from matcalc.generate import python_function, to_function
from matcalc.printing.python_writer import identifier
from matcalc.traversal import symbol_names

STEP = 1e-5

HVP_SYMMETRIC = "(V A + A V + A^T V + V A^T) / 2"
KRONECKER_SYMMETRIC = "(A^T ⊗ B) / 2 + (B^T ⊗ A) / 2 + (B ⊗ A^T) / 2 + (A ⊗ B^T) / 2"
CASES = [
    # id, objective, variable, direction, kind, the result's text (None: checked by numbers)
    ("quadratic", "x^T A x", "x", None, "Hessian", "A + A^T"),
    ("least-squares", "||A x - b||_2^2", "x", None, "Hessian", "2 A^T A"),
    ("log-sum-exp", "log(sum(exp(x)))", "x", None, "Hessian", None),
    ("logistic", "sum(log(1 + exp(-y ⊙ (X w))))", "w", None, "Hessian", None),
    ("kronecker", "||A X - B||_F^2", "X", None, "Hessian of vec", "2 (eye(p) ⊗ A^T A)"),
    ("scalar", "sum(exp(λ x))", "λ", None, "second derivative", "x^T (x ⊙ exp(λ x))"),
    ("hvp-sandwich", "||A X B - C||_F^2", "X", "V", "Hessian-vector product", "2 A^T A V B B^T"),
    ("hvp-logdet", "logdet(X)", "X", "V", "Hessian-vector product", "-X^{-T} V^T X^{-T}"),
    ("hvp-network", "||tanh(X W1) W2 - Y||_F^2", "W1", "V", "Hessian-vector product", None),
    ("hvp-logistic", "sum(log(1 + exp(-y ⊙ (X w))))", "w", "v", "Hessian-vector product", None),
    ("hvp-generic", "sum(g(X W))", "W", "V", "Hessian-vector product", "X^T ((X V) ⊙ g''(X W))"),
    ("hvp-symmetric", "tr(S A S)", "S", "V", "Hessian-vector product", HVP_SYMMETRIC),
    ("kronecker-symmetric", "tr(S A S B)", "S", None, "Hessian of vec", KRONECKER_SYMMETRIC),
]
"""The results whose text is None are long; their code's shape is pinned in SHARED below."""

SHAPES = {
    "tr(S A S)": {"S": ("n", "n", "symmetric")},
    "tr(S A S B)": {"S": ("n", "n", "symmetric")},
}
"""Declarations: S symmetric, its gradient and Hessian among symmetric matrices."""


def _inputs(derivation: Derivation, seed: int) -> dict[str, Any]:
    """Float64 inputs of distinct sizes 3, 4, 5, … in [0.5, 1.5], square matrices with 3 I
    added (logdet's argument positive definite enough), those declared symmetric symmetric;
    vectors 1-D, scalars 0-D; a generic g is sin, with its derivatives."""
    names = [*symbol_names(derivation.objective)]
    symbols = {n: derivation.shapes.symbols[n] for n in names}
    symmetric = derivation.shapes.symmetric & set(names)
    env = random_env(symbols, derivation.result, seed=seed, low=0.5, high=1.5, symmetric=symmetric)
    env = well_conditioned(env)
    for name, shape in symbols.items():
        if shape == (1, 1):
            env[name] = np.reshape(env[name], ())
        elif shape[1] == 1:
            env[name] = env[name][:, 0]
    return env


def _called(function: Callable[..., Any], env: dict[str, Any]) -> Any:
    """The generated function of `env`, each value passed by its name in the code (λ is
    lambda_)."""
    return function(**{identifier(name): value for name, value in env.items()})


def _strict(value: Any) -> Any:
    """`value` as array_api_strict's array; a function of arrays, as one of its arrays."""
    if callable(value):
        return lambda x: array_api_strict.asarray(value(_numpy(x)))
    return array_api_strict.asarray(value)


def _numpy(value: Any) -> np.ndarray:
    return np.asarray(np.from_dlpack(value), dtype=np.float64)


def _moved(env: dict[str, Any], name: str, by: np.ndarray) -> dict[str, Any]:
    return {**env, name: env[name] + by}


def _direction(derivation: Derivation, x: np.ndarray) -> np.ndarray:
    """A random direction of x's shape; symmetric for a symmetric variable, whose gradient is
    among symmetric matrices."""
    u = np.random.default_rng(5).normal(size=np.shape(x))
    return (u + u.T) / 2 if derivation.wrt.name in derivation.shapes.symmetric else u


def _close(numeric: np.ndarray, analytic: np.ndarray) -> bool:
    """Agreement to TOLERANCE, relative to the larger of the analytic value and 1."""
    scale = max(1.0, float(np.max(np.abs(analytic))))
    return bool(np.max(np.abs(numeric - analytic)) / scale < TOLERANCE)


def _check(function: Callable[..., Any], derivation: Derivation, env: dict[str, Any]) -> list[Any]:
    """f against matcalc's value, the gradient against central differences of the generated
    f, and the Hessian (or hvp) against central differences of the generated gradient, in
    random directions; the outputs, in NumPy, for comparison across backends."""
    name = derivation.wrt.name
    f, grad, second = _called(function, env)
    assert np.shape(f) == () and np.isclose(float(f), evaluate(derivation.objective, env))
    x = env[name]
    assert np.shape(grad) == np.shape(x)
    u = _direction(derivation, x)
    ahead, behind = (_called(function, _moved(env, name, s * STEP * u)) for s in (1, -1))
    numeric_f = (ahead[0] - behind[0]) / (2 * STEP)
    assert _close(np.asarray(numeric_f), np.asarray(np.sum(grad * u)))
    numeric = (np.asarray(ahead[1]) - np.asarray(behind[1])) / (2 * STEP)
    kind = derivation.kind
    if kind == "Hessian-vector product":
        product = second(u)
        assert np.shape(product) == np.shape(x)
        assert _close(numeric, product)
        assert _close(2 * second(u) - second(3 * u), -second(u))  # linear in V, called again
        return [f, grad, product]
    if kind == "Hessian of vec":  # vec stacks the columns: NumPy's order "F"
        side = x.size
        assert np.shape(second) == (side, side)
        product = np.reshape(second @ np.reshape(u, -1, order="F"), x.shape, order="F")
    else:
        side = x.size
        assert np.shape(second) == ((side, side) if kind == "Hessian" else ())
        product = np.reshape(np.reshape(second, (side, side)) @ np.reshape(u, -1), x.shape)
    assert _close(numeric, product)
    assert _close(np.reshape(second, (side, side)).T, np.reshape(second, (side, side)))
    return [f, grad, second]


@pytest.mark.parametrize(
    ("expression", "wrt", "direction", "kind", "expected"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_generated_second_derivatives(
    expression: str, wrt: str, direction: str | None, kind: str, expected: str | None
) -> None:
    derivation = hessian(expression, wrt, direction=direction, shapes=SHAPES.get(expression))
    assert derivation.kind == kind
    if expected is not None:
        assert str(derivation.result) == expected
    function = to_function(derivation)
    source = function.__matcalc_source__
    assert source == derivation.to_python() == python_function([derivation])
    returned = "hvp" if direction else f"hess_{identifier(wrt)}"
    assert source.rstrip().endswith(f", {returned}")
    if direction:
        assert _closure_lines(source)
    for seed in (0, 1):
        env = _inputs(derivation, seed)
        in_numpy = _check(function, derivation, env)
        strict = {k: _strict(v) for k, v in env.items()}
        outputs = list(_called(function, strict))
        if direction:
            u = _direction(derivation, env[wrt])
            outputs[2] = outputs[2](array_api_strict.asarray(u))
        for mine, theirs in zip(outputs, in_numpy, strict=True):
            assert np.allclose(_numpy(mine), theirs, rtol=1e-12, atol=1e-12)


SHARED = [
    # objective, variable, direction, {code: how many times the source holds it}
    ("||tanh(X W1) W2 - Y||_F^2", "W1", "V", {"xp.tanh(": 1, "X @ W1": 1, "@ W2) - Y": 1}),
    ("log(sum(exp(x)))", "x", None, {"xp.exp(": 1, "xp.sum(": 1}),
    ("||A X B - C||_F^2", "X", "V", {"A.T": 1, "B.T": 1, "@ A\n": 1, "= B @ ": 1}),
    ("logdet(X)", "X", "V", {"xp.linalg.inv(": 1}),
    ("sum(log(1 + exp(-y ⊙ (X w))))", "w", "v", {"xp.exp(": 2, "X @ w": 1}),
]
"""The logistic loss computes exp(t) for f and exp(-t) for the sigmoid, once each."""


def _closure_lines(source: str) -> list[ast.Assign]:
    """The assignments in the body of the generated hvp(V), each checked to depend on V: one
    that does not would be computed again on every call."""
    tree = ast.parse(source)
    closures = [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)][1:]
    assert len(closures) == 1
    varying = {closures[0].args.args[0].arg}
    found = [node for node in closures[0].body if isinstance(node, ast.Assign)]
    for line in found:
        names = {node.id for node in ast.walk(line.value) if isinstance(node, ast.Name)}
        assert names & varying, ast.unparse(line)
        varying |= {target.id for target in line.targets if isinstance(target, ast.Name)}
    return found


@pytest.mark.parametrize(("expression", "wrt", "direction", "counts"), SHARED)
def test_shared_values_are_computed_once(
    expression: str, wrt: str, direction: str | None, counts: dict[str, int]
) -> None:
    """f, the gradient and the second derivative share their values, each computed once, and
    hvp(V) computes only what depends on V: what it shares with f comes from before it."""
    derivation = hessian(expression, wrt, direction=direction)
    source = derivation.to_python()
    for code, times in counts.items():
        assert source.count(code) == times, (code, source)
    if direction:
        assert _closure_lines(source)
    for seed in (0, 1):
        _check(to_function(derivation), derivation, _inputs(derivation, seed))


def test_the_closure_multiplies_by_the_direction_only() -> None:
    """A^T A V B B^T: A^T A and B B^T once, before hvp; two products a call."""
    source = hessian("||A X B - C||_F^2", "X", direction="V").to_python()
    (line,) = _closure_lines(source)
    assert re.fullmatch(r"2\.0 \* \(t\d+ @ V @ t\d+\)", ast.unparse(line.value))
    before = source[: source.index("def hvp(V):")]
    assert re.search(r"t\d+ = t\d+ @ A\n", before) and re.search(r"t\d+ = B @ t\d+\n", before)


def test_codegen_writes_hessians_and_hvps_of_several_variables() -> None:
    expression = "||tanh(X W1) W2 - Y||_F^2"
    source = codegen(expression, ["W1", "W2"], hessian=True, direction="V")
    assert "def f_grad_hvp(X, W1, W2, Y):" in source
    assert "def hvp_W1(V):" in source and "def hvp_W2(V):" in source  # each its own V
    assert source.rstrip().endswith("return f, grad_W1, grad_W2, hvp_W1, hvp_W2")
    assert source.count("xp.tanh(") == 1
    derivations = [hessian(expression, w, direction="V") for w in ("W1", "W2")]
    assert source == python_function(derivations, "f_grad_hvp")
    function = to_function(derivations)
    for index in (0, 1):
        env = _inputs(derivations[index], 0)

        def only(*args: Any, index: int = index, **kwargs: Any) -> tuple[Any, Any, Any]:
            f, *rest = function(*args, **kwargs)
            return f, rest[index], rest[2 + index]

        _check(only, derivations[index], env)
    hess = codegen("x^T A x", "x", hessian=True)
    assert "def f_grad_hess(x, A):" in hess and hess.rstrip().endswith("return f, grad_x, hess_x")
    assert codegen("x^T A x", "x") == codegen("x^T A x", "x", name="f_and_grad")


def test_the_direction_must_have_the_variables_shape() -> None:
    derivation = hessian("||A X B - C||_F^2", "X", direction="V")
    env = _inputs(derivation, 0)
    _, _, hvp = _called(to_function(derivation), env)
    with pytest.raises(ValueError, match=r"V is n×p = \(4, 5\), as X; got \(5, 4\)"):
        hvp(np.ones((5, 4)))
    with pytest.raises(ValueError, match=r"V is n×p = .*; got list"):
        hvp([[1.0]])
    vector = hessian("sum(log(1 + exp(-y ⊙ (X w))))", "w", direction="v")
    env = _inputs(vector, 0)
    _, grad, hvp = _called(to_function(vector), env)
    column = hvp(np.ones((grad.shape[0], 1)))
    assert column.shape == (grad.shape[0], 1) and np.allclose(
        column[:, 0], hvp(np.ones(grad.shape))
    )
    with pytest.raises(ValueError, match="v is a vector of 4 entries, as w"):
        hvp(np.ones(5))
    _check(to_function(vector), vector, env)


def test_refusals() -> None:
    with pytest.raises(MatcalcError, match="pass hessian=True") as raised:
        codegen("x^T A x", "x", direction="v")
    assert raised.value.kind is ErrorKind.VALUE
    with pytest.raises(MatcalcError, match="hessian is True or False"):
        codegen("x^T A x", "x", hessian="yes")
    with pytest.raises(MatcalcError, match="not both"):
        python_function([matcalc.diff("x^T A x", "x"), hessian("x^T A x", "x")])
    with pytest.raises(MatcalcError, match="the direction Y is a symbol of the objective"):
        codegen("tr(X^T Y) + ||X||_F^2", "X", hessian=True, direction="Y")
    with pytest.raises(MatcalcError, match="--direction"):
        codegen("logdet(X)", "X", hessian=True)


def test_the_audit_takes_the_nested_function_and_nothing_more(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """hvp(V) is a def inside the function; its parameter is an array, and a call of it, as
    of anything the code writer does not write, is refused before anything is compiled."""
    derivation = hessian("||A X B - C||_F^2", "X", direction="V")
    written = python_function([derivation])
    assert any(
        isinstance(node, ast.FunctionDef) and node.name == "hvp"
        for node in ast.walk(ast.parse(written))
    )
    for line, said in [
        ("        V()", "a call of V"),
        ("        nonlocal t4", "a Nonlocal statement"),
        ("        eval('1')", "a call of eval"),
    ]:
        tampered = written.replace(
            '"""\n        if getattr(V', f'"""\n{line}\n        if getattr(V', 1
        )
        assert tampered != written
        monkeypatch.setattr(matcalc.generate, "python_function", lambda *_, t=tampered: t)
        with pytest.raises(MatcalcError, match=f"the generated code holds {re.escape(said)}"):
            to_function([derivation])
    monkeypatch.undo()
    _check(to_function(derivation), derivation, _inputs(derivation, 0))
