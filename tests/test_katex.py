"""A real renderer reads the LaTeX: every string the test suite's derivations, results, rules and
proofs emit goes through KaTeX (the npm package, under Node.js) with errors on.

KaTeX is installed on first use into the user's cache folder. Without Node.js the test is
skipped, except where MATCALC_REQUIRE_KATEX is set (CI sets it), where that is a failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cases import DERIVATIVES
from hypothesis import given, settings
from objectives import Objective, objectives
from test_parity import MATRIXCALCULUS

from matcalc import RULES, SECOND_ORDER, Derivation, diff, gradcheck, hessian, latex, statement
from matcalc.cli_check import TOLERANCE
from matcalc.cookbook import IDENTITIES
from matcalc.printing.text import text

KATEX = "katex@0.16.47"
RENDER = Path(__file__).parent / "katex" / "render.js"
ALIGN = re.compile(r"\\begin\{align\*\}.*?\\end\{align\*\}", re.DOTALL)
INLINE = re.compile(r"\$([^$]+)\$")


def _katex() -> Path:
    """The katex module's folder, installed into the cache on first use."""
    if "MATCALC_KATEX" in os.environ:
        return Path(os.environ["MATCALC_KATEX"])
    if shutil.which("node") is None or shutil.which("npm") is None:
        if os.environ.get("MATCALC_REQUIRE_KATEX"):
            pytest.fail("Node.js and npm are needed to render LaTeX with KaTeX")
        pytest.skip("Node.js is not installed")
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "matcalc" / KATEX
    module = cache / "node_modules" / "katex"
    if not module.is_dir():
        install = ["npm", "install", "--silent", "--no-save", "--prefix", str(cache), KATEX]
        subprocess.run(install, check=True, timeout=600, capture_output=True)
    return module


def render(pieces: list[tuple[str, bool]]) -> list[dict[str, Any]]:
    """The pieces KaTeX fails on, each (LaTeX, display mode)."""
    items = [{"tex": tex, "display": display} for tex, display in pieces]
    done = subprocess.run(
        ["node", str(RENDER), str(_katex())],
        input=json.dumps(items),
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    failures: list[dict[str, Any]] = json.loads(done.stdout)
    return failures


def math_of(document: str) -> list[tuple[str, bool]]:
    """The math in a LaTeX derivation: its align* block, displayed, and the $…$ of its sentences."""
    blocks = [(block, True) for block in ALIGN.findall(document)]
    return blocks + [(inline, False) for inline in INLINE.findall(ALIGN.sub("", document))]


def derivations() -> list[Derivation]:
    """Every kind of derivation the tests make: the shared cases, the Cookbook's identities,
    matrixcalculus.org's examples, both layouts, a symmetric variable and a user's function."""
    found = [diff(c.expression, c.wrt, shapes=c.shapes) for _, c in DERIVATIVES]
    for identity in IDENTITIES:
        shapes: dict[str, Any] = dict(identity.shapes)
        shapes.update({name: (5, 5, "symmetric") for name in identity.symmetric})
        found.append(diff(identity.objective, identity.wrt, shapes=shapes))
    for expression, wrt, _ in MATRIXCALCULUS:
        for layout in ("denominator", "numerator"):
            found.append(diff(expression, wrt, convention="matrixcalculus", layout=layout))
    for expression, wrt in [("tanh(W x + b)", "x"), ("x / ||x||_2", "x"), ("tr(A X B)", "X")]:
        found.append(diff(expression, wrt, layout="numerator"))
    found.append(diff("tr(A S)", "S", shapes={"S": "n,n,symmetric"}))
    found.append(diff("tr(A S)", "S", shapes={"S": "n,n,symmetric"}, symmetrise=False))
    found.append(diff("sum(phi(X W))", "W", functions={"phi": "log(1 + exp(x))"}))
    found.append(diff("||(X - D R)^2||_F^2", "D"))  # a note with a matrix power
    found.append(diff("sum(X * Y) + sum(X ⊙ Χ)", "X"))  # notes on * and a lookalike letter
    found.append(diff("λ tr(S A) + x^T x", "S", shapes={"S": "n,n,symmetric", "x": (3,)}))
    return found + second_derivations()


def second_derivations() -> list[Derivation]:
    """Each kind of second derivative: by a scalar, a column's Hessian (written through the
    gradient, and the logistic one), HVPs in both layouts and of a symmetric variable, a
    Kronecker form."""
    return [
        hessian("lambda^3 + sin(lambda)", "lambda"),
        hessian("log(sum(exp(x)))", "x"),
        hessian("sum(log(1 + exp(-y ⊙ (X w))))", "w"),
        hessian("||A X B - C||_F^2", "X", direction="V"),
        hessian("logdet(X)", "X", direction="V", layout="numerator"),
        hessian("||A X - B||_F^2", "X", shapes={"X": "m,n"}),
        hessian("tr(S A S)", "S", direction="V", shapes={"S": "n,n,symmetric"}),
    ]


def test_the_second_derivatives_rendered_are_right() -> None:
    for derivation in second_derivations():
        assert gradcheck(derivation, positive=True) < TOLERANCE, derivation


def test_katex_renders_every_derivation_result_and_rule() -> None:
    pieces: list[tuple[str, bool]] = []
    for derivation in derivations():
        pieces += math_of(derivation.latex(proofs=True))
        pieces += [(latex(derivation.result), True), (latex(derivation.factored()), True)]
    for rule in RULES:
        x, g, d_x = statement(rule)
        pieces += [(latex(x), False), (latex(g), False), (latex(d_x), False)]
        pieces.append(("\\begin{aligned}" + "\\\\\n".join(rule.proof) + "\\end{aligned}", True))
    pieces += [(found.latex, True) for found in SECOND_ORDER]
    assert len(pieces) > 1000
    failures = render(pieces)
    assert not failures, "\n".join(f"{f['error']}\n    {f['tex']}" for f in failures[:10])


@settings(max_examples=30)  # a Node.js process each: the fixed table above is the bulk
@given(objectives())
def test_katex_renders_random_derivations(objective: Objective) -> None:
    derivation = diff(text(objective.expr), objective.wrt, shapes=objective.shapes)
    failures = render(math_of(derivation.latex(proofs=True)))
    assert not failures, failures[0]


def test_katex_reports_what_it_cannot_render() -> None:
    """The renderer says no where it should, so that the test above can fail."""
    failures = render([(r"\frac{1}{", True), (r"x^T \odot y", False), (r"\notacommand{x}", False)])
    assert [f["tex"] for f in failures] == [r"\frac{1}{", r"\notacommand{x}"]
