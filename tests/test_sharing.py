"""Named values: an L-layer network derives in blocks, one per named value, and prints in size
linear in L, in text, LaTeX and JSON; every result is checked by central differences."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest
from conftest import TOLERANCE
from networks import network

from matcalc import Derivation, MatcalcError, diff, evaluate, gradcheck, parse
from matcalc.expr import Func, Symbol
from matcalc.finite_differences import random_env
from matcalc.traversal import preorder


def assert_correct(derivation: Derivation) -> None:
    """Central differences at weights of variance 1/fan-in, with which the gradient neither
    vanishes nor blows up through the layers."""
    env = random_env(derivation.shapes.symbols, derivation.objective, seed=3)
    for name, value in env.items():
        if name.startswith("W"):
            env[name] = np.sqrt(3) * value / np.sqrt(value.shape[0])
    assert gradcheck(derivation, env, seed=3) < TOLERANCE


def test_two_layers_name_the_inner_value() -> None:
    derivation = diff(network(2), "W1")
    assert [(str(b.name), str(b.value)) for b in derivation.where] == [("H1", "tanh(X W1)")]
    assert str(derivation.result) == (
        "2 X^T ((((tanh(H1 W2) - Y) ⊙ (1 - tanh(H1 W2)^{∘2})) W2^T) ⊙ (1 - H1^{∘2}))"
    )
    lines = derivation.text().splitlines()
    assert lines[:3] == [
        f"f = {network(2)}",
        "shapes: X m×n, W1 n×p, W2 p×q, Y m×q",
        "where H1 = tanh(X W1)",
    ]
    assert [line for line in lines if line.startswith("df/d")] == [
        "df/dW1",
        "df/dH1",
        "df/dW1",
        f"df/dW1 = {derivation.result}",
    ]
    assert lines[-1] == "  where H1 = tanh(X W1)"
    assert "  = X^T (df/dH1 ⊙ (1 - H1^{∘2}))" in lines  # the first block stops at H1
    assert_correct(derivation)


def test_every_layer_is_derived_once() -> None:
    derivation = diff(network(4), "W1")
    assert [str(b.name) for b in derivation.where] == ["H1", "H2", "H3"]
    assert str(derivation.where[2].value) == "tanh(H2 W3)"
    blocks = [step.block for step in derivation.steps]
    assert [str(b) for b in dict.fromkeys(blocks)] == ["None", "H1", "H2", "H3"]
    assert blocks[-1] is None and derivation.steps[-2].rule == "substitution"
    assert_correct(derivation)


def repeated_forward_values(derivation: Derivation) -> list[str]:
    """Values of five names or more (tanh(tanh(X W1) W2): symbols and functions) that the
    result and its named values write more than once, other than a value that only wraps a
    smaller one written more often still (2 H^T around H^T)."""
    roots = [derivation.result, *(b.value for b in derivation.result_where)]
    seen: Counter[str] = Counter()
    for root in roots:
        for node in preorder(root):
            names = [n for n in preorder(node) if isinstance(n, Symbol | Func)]
            if len(names) >= 5:
                seen[str(node)] += 1
    return [
        value
        for value, count in seen.items()
        if count > 1 and not any(seen[other] > count and other in value for other in seen)
    ]


@pytest.mark.parametrize("layer", [1, 2, 3, 4])
def test_every_layer_writes_each_forward_value_once(layer: int) -> None:
    derivation = diff(network(4), f"W{layer}")
    assert repeated_forward_values(derivation) == []
    assert_correct(derivation)


def test_the_inner_network_is_written_once() -> None:
    derivation = diff("||tanh(tanh(X W1) W2) W3 - Y||_F^2", "W3")
    assert str(derivation.result) == "2 H1^T H1 W3 - 2 H1^T Y"
    assert [(str(b.name), str(b.value)) for b in derivation.where] == [
        ("H1", "tanh(tanh(X W1) W2)")
    ]
    assert str(derivation.steps[0].expression) == "H1^T df/d(H1 W3)"
    assert "  where H1 = tanh(tanh(X W1) W2)" in derivation.text().splitlines()
    assert json.loads(json.dumps(derivation.to_dict()))["where"][0]["name"] == "H1"
    assert_correct(derivation)


@pytest.mark.parametrize("layers", [8, 16, 32])
def test_deep_networks_are_right(layers: int) -> None:
    assert_correct(diff(network(layers), "W1"))


def _sizes(layers: int, layer: int) -> list[int]:
    derivation = diff(network(layers), f"W{layer}")
    return [
        len(str(derivation.result)) + sum(len(str(b.value)) for b in derivation.result_where),
        len(derivation.text()),
        len(derivation.latex()),
        len(json.dumps(derivation.to_dict(), ensure_ascii=False)),
    ]


@pytest.mark.parametrize("which", ["first", "middle", "last"])
def test_printed_size_grows_linearly_with_depth(which: str) -> None:
    """By the first, the middle and the last layer's weight: each doubling from 8 to 16 to 32
    layers adds about twice what the one before added, up to the extra digit of names such
    as W10 and H10: the size is a + b L, not a + b L²."""

    def layer(layers: int) -> int:
        return {"first": 1, "middle": layers // 2, "last": layers}[which]

    s8, s16, s32 = (_sizes(layers, layer(layers)) for layers in (8, 16, 32))
    for a, b, c in zip(s8, s16, s32, strict=True):
        first, second = b - a, c - b
        assert 1.8 * first <= second <= 2.3 * first, (a, b, c)
        assert c / 32 <= 1.2 * (b / 16)
    for layers in (8, 16, 32):
        derivation = diff(network(layers), f"W{layer(layers)}")
        assert repeated_forward_values(derivation) == []
        assert_correct(derivation)


def test_a_value_used_twice_is_derived_through_both_uses() -> None:
    derivation = diff("sum(exp(tanh(X W)) ⊙ tanh(X W))", "W")
    assert [str(b.value) for b in derivation.where] == ["tanh(X W)"]
    chain = [s for s in derivation.steps if s.rule == "multivariable chain rule"]
    assert [str(s.block) for s in chain] == ["H1"]
    assert_correct(derivation)


def test_named_results_round_trip_and_evaluate() -> None:
    derivation = diff("sum(log(2 + exp(-y ⊙ (X w))))", "w")
    assert parse(str(derivation.result)) == derivation.result
    env = random_env(derivation.shapes.symbols, derivation.objective)
    del env["H1"]
    with pytest.raises(MatcalcError):  # H1 is not an input
        evaluate(derivation.result, env)
    value = evaluate(derivation.result, env, where=derivation.where)
    X, y, w = env["X"], env["y"], env["w"]
    t = np.exp(-y * (X @ w))
    assert np.allclose(value, -X.T @ (t / (2 + t) * y))
    assert_correct(derivation)


def test_names_do_not_clash_with_the_objectives() -> None:
    derivation = diff("||tanh(tanh(H1 W) W) - H2||_F^2", "W")
    assert [str(b.name) for b in derivation.where] == ["Z1", "Z2", "Z3"]
    assert [str(b.value) for b in derivation.result_where] == [
        "tanh(H1 W)",
        "(tanh(Z1 W) - H2) ⊙ (1 - tanh(Z1 W)^{∘2})",
    ]
    assert_correct(derivation)
