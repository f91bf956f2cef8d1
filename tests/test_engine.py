"""The engine on a graph: a derivative needed more than once is derived once, so steps grow
linearly with the sharing depth; the expression-level `derive` takes nodes and its own results.
Every derivative here is checked by central differences too."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable
from itertools import pairwise

import numpy as np
import pytest
from conftest import assert_gradient_correct

from matcalc import MatcalcError, Options, derive, diff, evaluate, gradcheck, parse
from matcalc.expr import Hadamard, Pending, Sum, Symbol
from matcalc.finite_differences import random_env
from matcalc.traversal import preorder, symbol_names


def nested_squares(depth: int) -> str:
    text = "X^2"
    for _ in range(depth - 1):
        text = f"({text})^2"
    return f"tr({text})"


def nested_cubes(depth: int) -> str:
    return nested_squares(depth).replace("^2", "^3")


def nested_hadamard(depth: int) -> str:
    text = "X"
    for _ in range(depth):
        text = f"({text} ⊙ {text})"
    return f"sum({text})"


@pytest.mark.parametrize("family", [nested_squares, nested_hadamard, nested_cubes])
def test_steps_grow_linearly_with_sharing_depth(family: Callable[[int], str]) -> None:
    """On main before the engine on a graph, nested squares took 4, 8, 16, 32, 64 steps."""
    found = []
    for depth in range(1, 7):
        derivation = diff(family(depth), "X")
        found.append(len(derivation.steps))
        assert_gradient_correct(derivation)
    assert all(later - earlier <= 4 for earlier, later in pairwise(found)), found


@pytest.mark.parametrize("text", [nested_squares(6), nested_hadamard(6), nested_cubes(4)])
def test_each_operation_is_rewritten_at_most_once_per_operand(text: str) -> None:
    """An operation's rule is applied once per operand that leads to the variable, and once
    per use of df/dG in the rule below it where that operation is the objective's own."""
    derivation = diff(text, "X")
    used = Counter(step.function for step in derivation.steps if step.function is not None)
    assert max(used.values()) <= 3, used.most_common(1)
    assert_gradient_correct(derivation)


def test_a_shared_value_is_named_and_derived_once() -> None:
    derivation = diff("||exp(X W) ⊙ exp(X W) - Y||_F^2", "W")
    assert [(str(b.name), str(b.value)) for b in derivation.where][:1] == [("H1", "exp(X W)")]
    chains = [step for step in derivation.steps if step.rule == "multivariable chain rule"]
    assert [str(step.block) for step in chains] == ["H1"]
    assert_gradient_correct(derivation)


def test_a_derivative_used_often_keeps_a_name() -> None:
    derivation = diff(nested_squares(6), "X")
    kept = [b for b in derivation.where if b.derivative_of is not None]
    assert kept and all(str(b.name).startswith("G") for b in kept)
    assert f"where {kept[0].name} = df/d{kept[0].derivative_of} = " in derivation.text()
    assert r"\frac{df}{dH" in derivation.latex()
    assert_gradient_correct(derivation)


@pytest.mark.parametrize("depth", [8, 32])
def test_a_graph_of_shared_levels_derives_in_linear_time(depth: int) -> None:
    """sum(E) with E = E' ⊙ E' at every level: 2^depth occurrences of X as a tree, `depth`
    distinct values as a graph; the derivation is linear in `depth`."""
    level = Symbol("X")
    for _ in range(depth):
        level = Hadamard(level, level)
    derivation = derive(Sum(level), "X", {"X": (3, 4)})
    assert len(derivation.steps) == 3 * depth + 4
    if depth <= 8:
        assert derivation.objective == parse(nested_hadamard(depth))
        env = random_env(derivation.shapes.symbols, low=0.9, high=1.0)
        assert gradcheck(derivation, env) < 1e-6


def test_derive_takes_nodes_and_options() -> None:
    options = Options(layout="numerator", first_tag=5)
    from_nodes = derive(parse("||X - D R||_F^2"), "D", None, options)
    from_text = diff("||X - D R||_F^2", "D", layout="numerator", first_tag=5)
    assert from_nodes.result == from_text.result
    assert [s.tag for s in from_nodes.steps] == [s.tag for s in from_text.steps]
    assert from_nodes.steps[0].tag == 5
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(options, "layout", "denominator")  # noqa: B010
    assert_gradient_correct(from_nodes)


def test_a_result_can_be_fed_back_in() -> None:
    """⟨df/dW, V⟩ differentiated by X: a mixed second derivative in direction V."""
    first = diff("sum(exp(X W))", "W")
    assert not any(isinstance(node, Pending) for node in preorder(first.result))
    inner = Sum(Hadamard(Symbol("V"), first.result))
    second = derive(inner, "X", first.shapes)
    assert str(second.result) == "exp(X W) V^T + ((X V) ⊙ exp(X W)) W^T"
    assert second.shapes.symbols["V"] == first.shapes.symbols["W"]
    assert_gradient_correct(second)


def test_derive_on_shapes_of_a_derivation_keeps_symmetry() -> None:
    first = diff("tr(A S)", "S", shapes={"S": ("n", "n", "symmetric")})
    again = derive(first.objective, "S", first.shapes)
    assert again.result == first.result
    assert_gradient_correct(again)


def test_values_evaluate_with_the_where_list() -> None:
    derivation = diff(nested_squares(6), "X")
    env = random_env(derivation.shapes.symbols, derivation.objective, seed=4)
    value = evaluate(derivation.result, env, where=derivation.where)
    x = env["X"]
    assert np.allclose(value, 64 * np.linalg.matrix_power(x.T, 63))


def test_a_result_with_named_values_is_written_out_when_fed_back() -> None:
    first = diff("||tanh(tanh(X W1) W2) W3 - Y||_F^2", "W3")
    assert [str(b.name) for b in first.result_where] == ["H1"]
    again = derive(Sum(first.result), "W2", first.shapes, where=first.where)
    assert "H1" not in symbol_names(again.objective)
    assert_gradient_correct(again)


def test_a_jacobian_too_long_to_write_is_refused_in_one_line() -> None:
    with pytest.raises(MatcalcError, match="more than 32 terms"):
        diff("((x x^T + A)^2 + B)^2 a", "x")
