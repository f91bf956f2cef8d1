"""Second order by table: every Hessian, Hessian-vector product and Kronecker form matches the
mixed second central difference of the objective itself, and shows its derivation.

The check is independent of matcalc's differentiation: f is the objective's own value
(`matcalc.evaluate` on `matcalc.parse` of its text), and ⟨W, ∇²f[V]⟩ for random W, V is the
mixed difference [f(X+hW+hV) - f(X+hW-hV) - f(X-hW+hV) + f(X-hW-hV)] / 4h², extrapolated
(Richardson) so that its h² error is gone.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from cases import written
from conftest import well_conditioned
from second_order_cases import ALL, NO_KRONECKER, SecondCase, rows

import matcalc
from matcalc import Derivation, MatcalcError
from matcalc.expr import Add
from matcalc.finite_differences import random_env
from matcalc.traversal import symbol_names

STEP = 1e-3
"""h for the mixed difference, on inputs of size about 1; with h/2 and Richardson's
extrapolation its error is of order h⁴ = 1e-12, and rounding about eps |f| / h² = 1e-10 |f|."""

TOLERANCE = 1e-6
"""Agreement asked of the two, relative to the larger: a result off by a factor, a transposed
term or a missing term is off by far more (`test_a_wrong_result_fails_the_check`)."""


def hessian(case: SecondCase) -> Derivation:
    return matcalc.hessian(case.objective, case.wrt, direction=case.direction, shapes=case.shapes)


def inputs(d: Derivation, case: SecondCase, seed: int, **extra: Any) -> dict[str, Any]:
    """Random values for the objective's symbols, sizes 3, 4, 5, …, in the case's domain, and
    the `extra` ones."""
    objective = matcalc.parse(case.objective)
    symbols = {name: d.shapes.symbols[name] for name in symbol_names(objective)}
    low, high = (0.5, 1.5) if case.domain == "positive" else (-1.0, 1.0)
    env = random_env(  # the result's generic functions too: g'' where it writes one
        symbols,
        Add((objective, d.result)),
        seed=seed,
        low=low,
        high=high,
        symmetric=d.shapes.symmetric,
    )
    return {**(well_conditioned(env) if case.domain == "positive" else env), **extra}


def directions(d: Derivation, env: dict[str, Any], seed: int) -> tuple[Any, Any]:
    """Two random unit directions W, V of the variable's shape, symmetric for a symmetric one."""
    rng = np.random.default_rng(seed + 100)
    found = []
    for _ in range(2):
        u = rng.normal(size=np.shape(env[d.wrt.name]))
        if d.wrt.name in d.shapes.symmetric:
            u = (u + u.T) / 2
        found.append(u / np.linalg.norm(u))
    return found[0], found[1]


def mixed_difference(case: SecondCase, env: dict[str, Any], w: Any, v: Any) -> tuple[float, float]:
    """(⟨W, ∇²f[V]⟩ by differences of f alone, the rounding that estimate may carry)."""
    objective = matcalc.parse(case.objective)
    x = env[case.wrt]

    def f(point: Any) -> float:
        return float(matcalc.evaluate(objective, {**env, case.wrt: point}))

    def at(h: float) -> float:
        return (
            f(x + h * w + h * v)
            - f(x + h * w - h * v)
            - f(x - h * w + h * v)
            + f(x - h * w - h * v)
        ) / (4 * h * h)

    coarse, fine = at(STEP), at(STEP / 2)
    rounding = 64 * np.finfo(np.float64).eps * max(abs(f(x)), 1.0) / (STEP / 2) ** 2
    return (4 * fine - coarse) / 3, rounding


def applied(d: Derivation, env: dict[str, Any], v: Any) -> Any:
    """∇²f[V] as the derivation gives it, of the variable's shape, whatever its kind."""
    if d.kind == "Hessian-vector product":
        assert d.direction is not None
        return np.asarray(matcalc.evaluate(d, {**env, d.direction.name: v}))
    value = np.asarray(matcalc.evaluate(d, env), dtype=np.float64)
    if d.kind == "second derivative":
        return value.reshape(np.shape(v)) * v
    if d.kind == "Hessian":
        return value @ v
    assert d.kind == "Hessian of vec"
    return (value @ v.reshape(-1, order="F")).reshape(v.shape, order="F")


def inner(w: Any, h: Any) -> float:
    return float(np.sum(np.asarray(w) * np.asarray(h).reshape(np.shape(w))))


def disagreement(d: Derivation, case: SecondCase, seed: int, **extra: Any) -> float:
    """How far ⟨W, ∇²f[V]⟩ by the derivation is from the mixed difference, beyond its
    rounding, relative to the larger of the two (0: they agree)."""
    env = inputs(d, case, seed, **extra)
    w, v = directions(d, env, seed)
    numeric, rounding = mixed_difference(case, env, w, v)
    analytic = inner(w, applied(d, env, v))
    assert math.isfinite(numeric) and math.isfinite(analytic), (numeric, analytic)
    apart = max(0.0, abs(numeric - analytic) - rounding)
    return apart / max(abs(numeric), abs(analytic), 1e-8)


@pytest.mark.parametrize("case", rows(ALL))
def test_second_derivative_matches_mixed_differences(case: SecondCase) -> None:
    d = hessian(case)
    for seed in (0, 1):
        error = disagreement(d, case, seed)
        assert error < TOLERANCE, f"{d.result}: relative error {error:.2e} (seed {seed})"


@pytest.mark.parametrize("case", rows(ALL))
def test_result_text(case: SecondCase) -> None:
    d = hessian(case)
    text = written(str(d.result), [(str(b.name), str(b.value)) for b in d.result_where])
    if case.expected is not None:
        assert text == case.expected
    assert matcalc.parse(str(d.result)) == d.result  # the printed form reads back


KINDS = {
    "scalar": "second derivative",
    "column": "Hessian",
    "direction": "Hessian-vector product",
    "kronecker": "Hessian of vec",
}


@pytest.mark.parametrize("name, case", ALL, ids=str)
def test_kind(name: str, case: SecondCase) -> None:
    d = hessian(case)
    assert d.kind == KINDS[name.split("-")[0]]
    assert d.gradient is not None and d.gradient.kind == "gradient"
    assert (d.direction is not None) == (case.direction is not None or d.vectorised)


def square(d: Derivation, env: dict[str, Any]) -> Any:
    return np.atleast_2d(np.asarray(matcalc.evaluate(d, env), dtype=np.float64))


MATRICES = [(n, c) for n, c in ALL if n.startswith(("column-", "kronecker-"))]


@pytest.mark.parametrize("case", rows(MATRICES))
def test_hessian_matrix_is_symmetric(case: SecondCase) -> None:
    d = hessian(case)
    for seed in (0, 1):
        h = square(d, inputs(d, case, seed))
        assert h.shape[0] == h.shape[1] > 1
        assert np.allclose(h, h.T, rtol=1e-10, atol=1e-12), f"{d.result} is not symmetric"


@pytest.mark.parametrize("case", rows(ALL))
def test_hessian_vector_products_are_symmetric(case: SecondCase) -> None:
    """⟨W, ∇²f[V]⟩ = ⟨V, ∇²f[W]⟩, for every kind of result."""
    d = hessian(case)
    for seed in (0, 1):
        env = inputs(d, case, seed)
        w, v = directions(d, env, seed)
        one, other = inner(w, applied(d, env, v)), inner(v, applied(d, env, w))
        assert one == pytest.approx(other, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("case", rows(ALL))
def test_derivation_prints_and_tags_run_on(case: SecondCase) -> None:
    d = hessian(case)
    assert d.gradient is not None
    first = d.steps[: len(d.gradient.steps)]
    second = d.steps[len(d.gradient.steps) :]
    assert [s.order for s in first] == [1] * len(first) and second
    assert all(s.order == 2 for s in second)
    last = max(s.tag for s in d.gradient.steps if s.tag is not None)
    tags = [s.tag for s in second if s.tag is not None]
    # none where the second part only moves scalars (d(2λ)/dλ) or the gradient is constant
    assert tags == list(range(last + 1, last + 1 + len(tags)))
    text, latex = d.text(), d.latex()
    assert d.result_name in text and str(d.result) in text
    assert all(f"\\tag{{{tag}}}" in latex for tag in (*range(1, last + 1), *tags))
    assert d.to_dict()["result"] == str(d.result)


@pytest.mark.parametrize("case", rows(NO_KRONECKER))
def test_no_kronecker_form_names_the_direction(case: SecondCase) -> None:
    with pytest.raises(MatcalcError, match="--direction") as raised:
        hessian(case)
    assert raised.value.kind == matcalc.ErrorKind.NOT_DIFFERENTIABLE
    # the Hessian-vector product it points to exists, and is right
    with_direction = case._replace(direction="V")
    d = hessian(with_direction)
    assert disagreement(d, with_direction, 0) < TOLERANCE


def test_the_table_is_large_enough() -> None:
    assert len(ALL) >= 40
    assert len({(c.objective, c.wrt, c.direction, str(c.shapes)) for _, c in ALL}) == len(ALL)


WRONG: list[tuple[str, str, str]] = [
    # (case, what it is not, how it is wrong)
    ("column-quadratic-form", "2 A", "only right for a symmetric A"),
    ("column-least-squares", "A^T A", "half"),
    ("column-ridge", "2 A^T A", "the ridge term missing"),
    ("column-quartic", "8 x x^T", "a term missing"),
    ("column-log-sum-exp", "diag(exp(x)) / sum(exp(x))", "the rank-one term missing"),
    ("direction-least-squares-two-sided", "2 A^T A V", "B B^T missing"),
    ("direction-log-det", "-X^{-1} V X^{-1}", "transposed"),
    ("direction-trace-two-sided", "A V B + A^T V B", "a transpose missing"),
    ("direction-symmetric-trace", "V A", "a term missing"),
    ("direction-network-second-layer", "tanh(X W1)^T tanh(X W1) V", "half"),
    ("kronecker-least-squares-left", "2 (A^T A ⊗ eye(n))", "factors swapped"),
    ("kronecker-trace-two-sided", "B ⊗ A + B^T ⊗ A^T", "each factor transposed"),
    ("scalar-sin", "sin(lambda)", "the sign"),
    ("scalar-log-times-sum", "sum(X) / λ^2", "the sign"),
]


@pytest.mark.parametrize("name, wrong, how", WRONG, ids=[w[0] + ": " + w[2] for w in WRONG])
def test_a_wrong_result_fails_the_check(name: str, wrong: str, how: str) -> None:
    case = dict(ALL)[name]
    d = hessian(case)
    assert disagreement(d, case, 0) < TOLERANCE
    bad = replace(d, result=matcalc.parse(wrong))
    assert disagreement(bad, case, 0) > 1e3 * TOLERANCE, how


def test_a_wrong_second_derivative_fails_by_any_small_factor() -> None:
    """Off by one part in 10⁴, the result already fails: the check is that tight."""
    case = dict(ALL)["direction-network-first-layer"]
    d = hessian(case)
    scaled = matcalc.parse(f"1.0001 ({d.result})")
    assert disagreement(replace(d, result=scaled), case, 0) > TOLERANCE


@pytest.mark.parametrize("case", rows(ALL))
def test_numerator_layout_is_the_transpose(case: SecondCase) -> None:
    """In numerator layout ∇²f[V] comes transposed; a Hessian, symmetric, is the same matrix."""
    d = hessian(case)
    flipped = matcalc.hessian(
        case.objective, case.wrt, direction=case.direction, shapes=case.shapes, layout="numerator"
    )
    assert flipped.layout == "numerator" and flipped.kind == d.kind
    env = inputs(d, case, 0)
    _, v = directions(d, env, 0)
    if d.kind == "Hessian-vector product":
        assert d.direction is not None
        env[d.direction.name] = v
    one, other = matcalc.evaluate(d, env), matcalc.evaluate(flipped, env)
    assert np.allclose(np.transpose(one), other, rtol=1e-10, atol=1e-12)
