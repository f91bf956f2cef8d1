"""The rule table, walked entry by entry: each rule's df/dX against central differences."""

from __future__ import annotations

import numpy as np
import pytest

from matcalc import RULES, Rule
from matcalc.expr import ONE, Expr, Func, Hadamard, Sum, Symbol
from matcalc.finite_differences import directional_derivatives, random_env, relative_error
from matcalc.functions import FUNCTIONS
from matcalc.parser import parse
from matcalc.rules import RULES_BY_NAME, RULES_FOR, Kind, Site, rule_for
from matcalc.shapes import infer
from matcalc.traversal import occurrences, replace_at

TOLERANCE = 1e-6


def _instance(rule: Rule, example: Expr | None = None) -> tuple[Expr, Site, dict[str, object]]:
    """The rule's example with its input renamed Z, the site of Z, and the shapes."""
    node = example or rule.example
    typed = infer(node, rule.shapes)
    path = occurrences(node, rule.input)[0]
    z_shape = typed.of(rule.input)
    node = replace_at(node, path, Symbol("Z"))
    typed = infer(node, {**typed.symbols, "Z": z_shape})
    return node, Site(node, path, typed), dict(typed.symbols)


def _check(rule: Rule, node: Expr, site: Site, symbols: dict[str, object], positive: bool) -> float:
    """⟨K, G(Z)⟩ for a random K (or the scalar G itself) against the rule's df/dZ = vjp(K)."""
    if rule.kind is Kind.MATRIX_TO_SCALAR:
        objective, gradient = node, rule.vjp(site, ONE)
    else:
        shapes = {**symbols, "K": site.shapes.of(node)}
        objective = Sum(Hadamard(Symbol("K"), node))
        gradient = rule.vjp(site, Symbol("K"))
        symbols = shapes
    low, high = (0.5, 1.5) if positive else (-1.0, 1.0)
    env = random_env(symbols, objective, low=low, high=high)  # type: ignore[arg-type]
    return relative_error(*directional_derivatives(objective, gradient, "Z", symbols, env))  # type: ignore[arg-type]


@pytest.mark.parametrize("rule", RULES, ids=[r.name for r in RULES])
def test_rule_against_finite_differences(rule: Rule) -> None:
    """Each entry's example is built from nodes of the rule's kind, is what its printed text
    parses to, holds its input once, has shapes, and its df/dX agrees with central differences."""
    assert type(rule.example) is rule.node
    assert parse(str(rule.example)) == rule.example
    assert len(occurrences(rule.example, rule.input)) == 1
    node, site, symbols = _instance(rule)
    assert rule.applies(site)
    assert _check(rule, node, site, symbols, positive=True) < TOLERANCE


@pytest.mark.parametrize("name", [n for n, f in FUNCTIONS.items() if f.sympy is not None])
def test_every_elementwise_function(name: str) -> None:
    rule = next(r for r in RULES if r.node.__name__ == "Func")
    node, site, symbols = _instance(rule, Func(name, Symbol("X")))
    assert _check(rule, node, site, symbols, positive=name in {"log", "sqrt"}) < TOLERANCE


@pytest.mark.parametrize("rule", RULES, ids=[r.name for r in RULES])
def test_exactly_one_rule_applies_to_each_example(rule: Rule) -> None:
    node, site, _ = _instance(rule)
    applicable = [r for r in RULES_FOR[type(site.node)] if r.applies(site)]
    assert applicable == [rule]
    assert rule_for(node, site.path, site.shapes)[0] is rule


@pytest.mark.parametrize("rule", RULES, ids=[r.name for r in RULES])
def test_every_rule_has_a_proof_and_a_sentence(rule: Rule) -> None:
    assert rule.proof and all(line.strip() for line in rule.proof)
    assert "{function}" in rule.wording


def test_every_rule_has_its_own_name() -> None:
    """The engine and the printers find a rule by its name."""
    assert len(RULES_BY_NAME) == len(RULES)


def test_scalar_factor_differs_from_matrix_multiplication() -> None:
    """lambda X with lambda the variable must sum, not multiply by X^T."""
    rule = next(r for r in RULES if r.name == "scalar factor")
    node, site, symbols = _instance(rule)
    assert site.shapes.of(node) != (1, 1)
    assert _check(rule, node, site, symbols, positive=False) < TOLERANCE


def test_random_inputs_have_distinct_dimensions() -> None:
    env = random_env({"X": ("m", "n"), "W": ("n", "p")})
    assert np.shape(env["X"]) == (3, 4) and np.shape(env["W"]) == (4, 5)
