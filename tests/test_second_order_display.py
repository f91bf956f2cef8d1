"""Second-order derivations in LaTeX, HTML and JSON: the gradient's part, then the second part
with its tags running on, the result's name, the Kronecker form as a named untagged step; every
LaTeX string rendered by KaTeX, and every derivation checked by a mixed second central
difference of f (issue 14)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any

import numpy as np
import pytest
from second_order_cases import ALL, SecondCase
from test_hessian import TOLERANCE, disagreement
from test_hessian import hessian as table_hessian
from test_katex import math_of, render

from matcalc import Derivation, diff, evaluate, hessian, latex, parse_latex
from matcalc.printing.latex_derivation import result_name_latex
from matcalc.printing.text import text

SIZES = (3, 4, 5, 6)
STEP = 1e-4

# (objective, variable, options, kind, result name in LaTeX, result in LaTeX)
CASES = [
    pytest.param(
        "lambda^3 + sin(lambda)",
        "lambda",
        {},
        "second derivative",
        r"\frac{d^2 f}{d\lambda^2}",
        r"6 \lambda - \sin(\lambda)",
        id="second-derivative",
    ),
    pytest.param(
        "x^T A x",
        "x",
        {},
        "Hessian",
        r"\frac{d^2 f}{dx^2}",
        "A + A^T",
        id="hessian",
    ),
    pytest.param(
        "log(sum(exp(x)))",
        "x",
        {},
        "Hessian",
        r"\frac{d^2 f}{dx^2}",
        None,  # written through named values, whose form is the engine's to choose
        id="hessian-named-values",
    ),
    pytest.param(
        "logdet(X)",
        "X",
        {"direction": "V"},
        "Hessian-vector product",
        r"\nabla^2 f[V]",
        r"-X^{-T}\cdot V^T\cdot X^{-T}",
        id="hvp",
    ),
    pytest.param(
        "||A X B - C||_F^2",
        "X",
        {"direction": "V"},
        "Hessian-vector product",
        r"\nabla^2 f[V]",
        r"2 A^T\cdot A\cdot V\cdot B\cdot B^T",
        id="hvp-two-sided",
    ),
    pytest.param(
        "||A X - B||_F^2",
        "X",
        {"shapes": {"X": ("m", "n")}},
        "Hessian of vec",
        r"\frac{d^2 f}{d\operatorname{vec}(X)^2}",
        r"2 \left(I_{n}\otimes A^T\cdot A\right)",
        id="kronecker",
    ),
]


def _made(expression: str, wrt: str, options: dict[str, Any]) -> Derivation:
    derivation = hessian(expression, wrt, **options)
    assert_second_differences_agree(derivation)
    return derivation


def _size(dim: int | str, sizes: dict[str, int]) -> int:
    """A dimension's size: its own, or the next of SIZES for the next name."""
    if isinstance(dim, int):
        return dim
    if dim not in sizes:
        sizes[dim] = SIZES[len(sizes)]
    return sizes[dim]


def assert_second_differences_agree(derivation: Derivation, seed: int = 0) -> None:
    """⟨W, H V⟩ from the result against the mixed central difference
    (f(x+hV+hW) − f(x+hV−hW) − f(x−hV+hW) + f(x−hV−hW)) / 4h², f alone evaluated, at 3, 4, 5."""
    rng = np.random.default_rng(seed)
    bound = {b.name.name for b in derivation.where}
    sizes: dict[str, int] = {}
    env: dict[str, Any] = {}
    for name, shape in derivation.shapes.symbols.items():
        if name not in bound:
            rows, cols = (_size(dim, sizes) for dim in shape)
            env[name] = 0.3 * rng.standard_normal((rows, cols)) + 3 * np.eye(rows, cols)
    wrt = derivation.wrt.name
    x = env[wrt]
    v, w = rng.standard_normal(x.shape), rng.standard_normal(x.shape)
    if derivation.direction is not None:
        env[derivation.direction.name] = v

    def f(point: np.ndarray) -> float:
        return float(evaluate(derivation.objective, {**env, wrt: point}, shapes=derivation.shapes))

    h = STEP
    numeric = (
        f(x + h * (v + w)) - f(x + h * (v - w)) - f(x - h * (v - w)) + f(x - h * (v + w))
    ) / (4 * h * h)
    value = np.atleast_2d(np.asarray(derivation.evaluate(env), dtype=float))
    match derivation.kind:
        case "Hessian-vector product":
            analytic = float(np.sum(w * value))
        case "Hessian of vec":
            analytic = float(w.reshape(-1, order="F") @ value @ v.reshape(-1, order="F"))
        case _:
            analytic = float(w.reshape(-1) @ value @ v.reshape(-1))
    assert abs(numeric - analytic) <= 1e-5 * max(1.0, abs(numeric)), (numeric, analytic)


def _tags(latex_text: str) -> list[int]:
    return [int(tag) for tag in re.findall(r"\\tag\{(\d+)\}", latex_text)]


@pytest.mark.parametrize(("expression", "wrt", "options", "kind", "name", "result"), CASES)
def test_latex_has_both_parts_with_tags_running_on(
    expression: str, wrt: str, options: dict[str, Any], kind: str, name: str, result: str | None
) -> None:
    derivation = _made(expression, wrt, options)
    assert derivation.kind == kind
    out = derivation.latex()
    first, second = re.findall(r"\\begin\{align\*\}.*?\\end\{align\*\}", out, re.DOTALL)
    gradient = derivation.gradient
    assert gradient is not None
    # the gradient's part: its own steps, then its result; the second part's head and steps
    first_tags = [s.tag for s in derivation.steps if s.order == 1 and s.tag is not None]
    second_tags = [s.tag for s in derivation.steps if s.order == 2 and s.tag is not None]
    assert _tags(first) == first_tags and _tags(second) == second_tags
    assert _tags(out) == list(range(1, len(first_tags) + len(second_tags) + 1))
    assert second_tags and second_tags[0] == first_tags[-1] + 1
    for step in derivation.steps:
        assert latex(step.expression) in (first if step.order == 1 else second)
    df = rf"\frac{{df}}{{d{latex(derivation.wrt)}}}"
    assert first.startswith("\\begin{align*}\n" + df + " &=")
    said = f"${df} = {latex(gradient.result)}$"
    assert said in out.split(second)[0].split(first)[1]
    assert result_name_latex(derivation) == name and f"${name}$ is the" in out
    if result is not None:
        assert latex(derivation.result) == result
    if kind in ("Hessian", "Hessian of vec"):
        assert second.endswith(f"{name} &= {latex(derivation.result)}\n\\end{{align*}}")
    for step in derivation.steps:
        if step.tag is not None:
            assert f"For ({step.tag}) " in out
    assert out.isascii(), [c for c in out if not c.isascii()]  # ∇², f₂, ⊗, × all in LaTeX


def test_the_sentence_between_the_parts_says_what_is_differentiated() -> None:
    hvp = _made("logdet(X)", "X", {"direction": "V"}).latex()
    assert (
        r"$\frac{df}{dX} = X^{-T}$; with $V$ held fixed, $\nabla^2 f[V]$ is the gradient of "
        r"$f_2 = \operatorname{tr}\left(V^T\cdot X^{-T}\right)$" in hvp
    )
    assert (
        "\n" + r"\nabla^2 f[V] &= \frac{d(\operatorname{tr}\left(V^T\cdot X^{-T}\right))}{dX}"
        in hvp
    )
    column = _made("x^T A x", "x", {}).latex()
    assert r"for any column $u$, the gradient of $f_2 = u^T\cdot " in column
    assert "\n" + r"\frac{df_2}{dx} &= \frac{d(u^T\cdot " in column
    scalar = _made("lambda^3 + sin(lambda)", "lambda", {}).latex()
    assert r"; its derivative by $\lambda$ again:" in scalar
    layout = "Layout: $\\frac{d^2 f}{d\\lambda^2}$ is the second derivative, a scalar."
    assert scalar.endswith(layout)


def test_kronecker_form_is_a_named_untagged_step() -> None:
    derivation = _made("||A X - B||_F^2", "X", {"shapes": {"X": ("m", "n")}})
    out = derivation.latex()
    step = derivation.steps[-1]
    assert step.rule == "Kronecker form" and step.tag is None
    line = (
        r"\operatorname{vec}\left(\nabla^2 f[V]\right) &= 2 \left(I_{n}\otimes A^T\cdot A\right)"
        r"\cdot \operatorname{vec}\left(V\right) \\"
    )
    assert line in out
    sentence = (
        r"Kronecker form: $\operatorname{vec}\left(A\cdot V\cdot B\right) = \left(B^T\otimes "
        r"A\right)\cdot \operatorname{vec}\left(V\right)$ (Matrix Cookbook eq. (520))"
    )
    assert sentence in out
    assert r"$m n\times m n$, where vec stacks the columns of $X$ (column-major)" in out
    # I_{n} reads back as the identity of size n
    assert parse_latex(latex(derivation.result)) == derivation.result
    assert text(derivation.result) == "2 (eye(n) ⊗ A^T A)"


def test_identity_outside_a_kronecker_product_stays_bare() -> None:
    derivation = diff("tr(X)", "X")
    assert latex(derivation.result) == "I"


@pytest.mark.parametrize(("expression", "wrt", "options", "kind", "name", "result"), CASES)
def test_html_displays_both_parts_and_folds_the_proofs(
    expression: str, wrt: str, options: dict[str, Any], kind: str, name: str, result: str | None
) -> None:
    derivation = _made(expression, wrt, options)
    html = derivation._repr_html_()
    parts = ET.fromstring(html)  # well-formed: MathML, typeset by the browser
    assert [part.tag for part in parts].count("math") == 2  # the two parts' tables of steps
    assert html.count('class="matcalc-lines matcalc-steps"') == 2
    assert html.count('<details class="matcalc-proof">') == len(derivation.rules) > 0
    tagged = [step for step in derivation.steps if step.tag is not None]
    assert html.count('<p class="matcalc-sentence">For (') == len(tagged)
    between = parts[[part.tag for part in parts].index("math") + 1]  # a paragraph, opening
    assert between.tag == "p" and between[0][0].tag == "mfrac"  # with df/dx = …


@pytest.mark.parametrize(("expression", "wrt", "options", "kind", "name", "result"), CASES)
def test_json_says_order_kind_direction_gradient(
    expression: str, wrt: str, options: dict[str, Any], kind: str, name: str, result: str | None
) -> None:
    derivation = _made(expression, wrt, options)
    found = derivation.to_dict()
    assert json.loads(json.dumps(found)) == found
    gradient = derivation.gradient
    assert gradient is not None and derivation.second_objective is not None
    assert found["order"] == 2 and found["kind"] == kind
    assert found["direction"] == (
        options.get("direction") or ("V" if kind == "Hessian of vec" else None)
    )
    assert found["gradient"] == {
        "result": text(gradient.result),
        "result_latex": latex(gradient.result),
    }
    assert found["second_objective"] == text(derivation.second_objective)
    assert found["result_name"] == derivation.result_name
    assert found["result_name_latex"] == name
    orders = [step["order"] for step in found["steps"]]
    assert orders == sorted(orders) and set(orders) == {1, 2}
    assert [step["tag"] for step in found["steps"]] == [step.tag for step in derivation.steps]
    kronecker = [step for step in found["steps"] if step["rule"] == "Kronecker form"]
    assert len(kronecker) == (kind == "Hessian of vec") and all(s["tag"] is None for s in kronecker)


def test_json_of_a_gradient_keeps_its_keys() -> None:
    derivation = diff("||X - D R||_F^2", "D")
    found = derivation.to_dict()
    assert list(found) == [
        "expression", "wrt", "shape", "shapes", "notes", "layout", "result_name", "result",
        "citation", "result_latex", "assumptions", "where", "names", "steps",
    ]  # fmt: skip
    assert all(
        list(step) == ["tag", "rule", "expression", "latex", "justification"]
        for step in found["steps"]
    )
    assert found["result"] == "-2 X R^T + 2 D R R^T"
    assert derivation.latex().count(r"\begin{align*}") == 1


def test_katex_renders_every_second_order_string() -> None:
    pieces: list[tuple[str, bool]] = []
    for case in CASES:
        expression, wrt, options, *_ = case.values
        derivation = _made(expression, wrt, options)
        pieces += math_of(derivation.latex(proofs=True))
        found = derivation.to_dict()
        pieces += [(found["result_latex"], True), (found["result_name_latex"], False)]
        pieces += [
            (found["gradient"]["result_latex"], True),
            (found["second_objective_latex"], True),
        ]
        pieces += [(step["latex"], True) for step in found["steps"]]
        pieces += [(binding["latex"], True) for binding in found["names"]]
    assert len(pieces) > 150
    failures = render(pieces)
    assert not failures, "\n".join(f"{f['error']}\n    {f['tex']}" for f in failures[:10])


def _checked(case: SecondCase) -> Derivation:
    derivation = table_hessian(case)
    for seed in (0, 1):
        assert disagreement(derivation, case, seed) < TOLERANCE
    return derivation


@pytest.mark.parametrize("case", [pytest.param(case, id=name) for name, case in ALL])
def test_every_case_of_the_table_displays_in_latex_html_and_json(case: SecondCase) -> None:
    derivation = _checked(case)
    out = derivation.latex()
    assert out.count(r"\begin{align*}") == 2
    assert not re.search("[∇²₂⊗×]", out)  # the text notation, all set in LaTeX
    tags = [step.tag for step in derivation.steps if step.tag is not None]
    assert _tags(out) == tags == list(range(1, len(tags) + 1))
    assert f"${result_name_latex(derivation)}$ is the" in out
    html = derivation._repr_html_()
    assert html.count('class="matcalc-lines matcalc-steps"') == 2
    assert html.count('<details class="matcalc-proof">') == len(derivation.rules)
    ET.fromstring(html)
    found = derivation.to_dict()
    assert json.loads(json.dumps(found)) == found and found["order"] == 2
    assert [step["order"] for step in found["steps"]] == [s.order for s in derivation.steps]


def test_katex_renders_the_whole_table() -> None:
    pieces: list[tuple[str, bool]] = []
    for _, case in ALL:
        derivation = table_hessian(case)
        pieces += math_of(derivation.latex(proofs=True))
        found = derivation.to_dict()
        pieces += [(found["result_latex"], True), (found["result_name_latex"], False)]
        pieces += [(found["second_objective_latex"], True)]
        pieces += [(binding["latex"], True) for binding in found["names"]]
    assert len(pieces) > 1000
    failures = render(pieces)
    assert not failures, "\n".join(f"{f['error']}\n    {f['tex']}" for f in failures[:10])
