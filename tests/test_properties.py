"""Properties of random objectives over the whole rule table (tests/objectives.py): the gradient
matches central differences, simplifying keeps the value, the text round-trips, every step has
LaTeX, and the output is the same every time."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
from conftest import assert_differences_agree
from hypothesis import given, settings
from hypothesis import strategies as st
from objectives import Objective, objectives

from matcalc import Derivation, MatcalcError, diff, evaluate, latex, parse
from matcalc.derive import SIMPLIFICATION
from matcalc.shapes import infer
from matcalc.simplify import closed_form


def derive(objective: Objective, seeds: tuple[int, ...] = (0,)) -> Derivation:
    """The derivation, its gradient checked against central differences at each seed."""
    derivation = diff(str(objective.expr), objective.wrt, shapes=objective.shapes)
    for seed in seeds:
        assert_differences_agree(derivation, objective.env(derivation.shapes.symbols, seed), seed)
    return derivation


@given(objectives())
def test_gradient_matches_central_differences(objective: Objective) -> None:
    derive(objective, seeds=(0, 1, 2))


@given(objectives())
def test_simplification_keeps_the_value(objective: Objective) -> None:
    derivation = derive(objective)
    symbols = derivation.shapes.symbols
    env = objective.env(symbols, seed=0)
    chain_end = [s for s in derivation.steps if s.rule != SIMPLIFICATION][-1].expression
    where = derivation.where
    expected = evaluate(chain_end, env, shapes=symbols, where=where)
    for form in (derivation.result, derivation.factored()):
        value = evaluate(form, env, shapes=symbols, where=where)
        assert np.allclose(value, expected, rtol=1e-9, atol=1e-12)
    shapes = infer(objective.expr, derivation.shapes.symbols)
    simplified = closed_form(objective.expr, shapes).expr
    assert np.allclose(
        evaluate(simplified, env, shapes=symbols),
        evaluate(objective.expr, env, shapes=symbols),
        rtol=1e-9,
    )


@given(objectives())
def test_text_round_trips(objective: Objective) -> None:
    derivation = derive(objective)
    assert parse(str(objective.expr)) == objective.expr
    for expr in (derivation.result, derivation.factored()):
        try:
            parsed = parse(str(expr))
        except MatcalcError as error:  # a result can outgrow what matcalc takes as input
            assert "longer than" in error.message or "nested more than" in error.message
        else:
            assert parsed == expr, str(expr)


@given(objectives())
def test_every_step_has_latex(objective: Objective) -> None:
    derivation = derive(objective)
    document = derivation.latex()
    for step in derivation.steps:
        line = latex(step.expression)
        assert line and line in document
        assert line.count("{") == line.count("}")
        assert line.count(r"\left") == line.count(r"\right")
    assert document.count(r"\tag{") == sum(s.tag is not None for s in derivation.steps)


def outputs(objective: Objective) -> str:
    derivation = derive(objective)
    return "\n".join(
        [derivation.text(), derivation.latex(), json.dumps(derivation.to_dict(), sort_keys=True)]
    )


@given(objectives())
def test_same_output_every_time(objective: Objective) -> None:
    assert outputs(objective) == outputs(objective)


WORKER = """
import json, sys
from matcalc import diff
for case in json.load(sys.stdin):
    d = diff(case["expression"], case["wrt"], shapes=case["shapes"])
    print(d.text()); print(d.latex()); print(json.dumps(d.to_dict(), sort_keys=True))
"""


@settings(max_examples=2)
@given(st.lists(objectives(), min_size=40, max_size=40))
def test_same_output_whatever_the_hash_seed(batch: list[Objective]) -> None:
    cases = json.dumps(
        [{"expression": str(o.expr), "wrt": o.wrt, "shapes": o.shapes} for o in batch]
    )
    runs = {
        subprocess.run(
            [sys.executable, "-c", WORKER],
            input=cases,
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("0", "1", "4242")
    }
    assert len(runs) == 1
    assert runs.pop() == "".join(outputs(o) + "\n" for o in batch)
