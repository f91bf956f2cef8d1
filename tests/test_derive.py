"""Every derivative: the expected closed form, checked by central differences too."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from cases import DERIVATIVES, SEED, Case, rows, written
from conftest import assert_gradient_correct

from matcalc import MatcalcError, Session, diff, gradcheck, parse


@pytest.mark.parametrize("case", rows(DERIVATIVES))
def test_closed_form_and_numbers(case: Case) -> None:
    derivation = diff(case.expression, case.wrt, shapes=case.shapes)
    where = [(str(b.name), str(b.value)) for b in derivation.result_where]
    assert written(str(derivation.result), where) == case.result
    assert derivation.shapes.of(derivation.result) == derivation.shape
    assert_gradient_correct(derivation, positive=case.positive)


@pytest.mark.parametrize("case", rows(DERIVATIVES))
def test_round_trip_of_objective_and_result(case: Case) -> None:
    derivation = diff(case.expression, case.wrt, shapes=case.shapes)
    for expr in (derivation.objective, derivation.result, derivation.factored()):
        assert parse(str(expr)) == expr


@pytest.mark.parametrize("case", rows(DERIVATIVES))
def test_every_step_prints(case: Case) -> None:
    derivation = diff(case.expression, case.wrt, shapes=case.shapes)
    data = json.loads(json.dumps(derivation.to_dict()))
    assert len(data["steps"]) == len(derivation.steps) > 0
    assert all(step["latex"] and step["justification"] for step in data["steps"])
    where = [(named["name"], named["value"]) for named in data["where"]]
    assert written(data["result"], where) == case.result
    assert derivation.steps[-1].expression == derivation.result


@pytest.mark.parametrize("case", rows(DERIVATIVES))
def test_factored_form_is_equal(case: Case) -> None:
    derivation = diff(case.expression, case.wrt, shapes=case.shapes)
    assert_gradient_correct(derivation, positive=case.positive, result=derivation.factored())


@pytest.mark.parametrize(
    ("expression", "wrt", "factored"),
    [
        pytest.param("||X - D R||_F^2", "D", "2 (D R - X) R^T", id="dictionary-D"),
        pytest.param("||X - D R||_F^2", "R", "2 D^T (D R - X)", id="dictionary-R"),
        pytest.param("x^T A x", "x", "(A + A^T) x", id="vector-quadratic"),
        pytest.param("||g(X W) - Y||_F^2", "W", "2 X^T ((g(X W) - Y) ⊙ g'(X W))", id="one-term"),
    ],
)
def test_factored_form(expression: str, wrt: str, factored: str) -> None:
    derivation = diff(expression, wrt)
    assert str(derivation.factored()) == factored
    assert_gradient_correct(derivation, result=derivation.factored())


def test_each_occurrence_has_its_own_path() -> None:
    derivation = diff("x^T A x", "x")
    first = derivation.steps[0]
    assert first.rule == "multivariable chain rule"
    assert str(first.expression) == "df/dx₁ + df/dx₂"
    assert [s.rule for s in derivation.steps[1:-1]] == [
        "transpose",
        "right matrix multiplication",
        "right matrix multiplication",
        "left matrix multiplication",
    ]
    assert_gradient_correct(derivation)


def test_zero_gradient_for_a_declared_variable_that_does_not_occur() -> None:
    derivation = diff("||X||_F^2", "W", shapes={"W": ("m", "n")})
    assert str(derivation.result) == "0"
    assert derivation.shape == ("m", "n")
    assert_gradient_correct(derivation)


def test_a_gradient_of_the_wrong_shape_is_caught() -> None:
    wrong = diff("sum(lambda ⊙ X)", "lambda")
    right = diff("sum(lambda ⊙ X)", "X")
    with pytest.raises(MatcalcError, match="the gradient has shape"):
        gradcheck(replace(right, result=wrong.result))


def test_session_numbers_tags_across_derivations() -> None:
    session = Session()
    tags = []
    for _, case in SEED:
        derivation = session.diff(case.expression, case.wrt)
        tags += [step.tag for step in derivation.steps if step.tag is not None]
    assert tags == list(range(1, 11))
    derivation = session.diff("sum(X)", "X")
    assert derivation.steps[0].tag == 11
    assert_gradient_correct(derivation)


def test_gradient_shape_is_the_variable_shape() -> None:
    derivation = diff("||A x - b||_2^2", "x", shapes={"A": (3, 4)})
    assert derivation.shape == (4, 1)
    assert_gradient_correct(derivation)


@pytest.mark.parametrize(
    "expression",
    [pytest.param("sum(step(X))", id="step"), pytest.param("sum(sign(X))", id="sign")],
)
def test_piecewise_constant_functions_are_not_differentiated(expression: str) -> None:
    with pytest.raises(MatcalcError, match="piecewise constant"):
        diff(expression, "X")


# (id, case, the notes the derivation must give, in order)
DOMAINS = [
    (
        "log",
        Case("sum(log(X W))", "W", "X^T (1 ⊘ (X W))", positive=True),
        ["log needs the entries of X W to be positive"],
    ),
    (
        "sqrt",
        Case("||sqrt(X) - Y||_F^2", "X", "2 ((sqrt(X) - Y) ⊙ (1 ⊘ (2 sqrt(X))))", positive=True),
        ["sqrt needs the entries of X to be positive"],
    ),
    (
        "abs-and-division",
        Case("sum(abs(X) ⊘ (A B))", "X", "1 ⊘ (A B) ⊙ sign(X)", positive=True),
        [
            "abs is not differentiable where an entry of X is 0; there sign(0) = 0 is used, "
            "a subgradient",
            "division needs the entries of A B to be nonzero",
        ],
    ),
    (
        "relu",
        Case("||relu(X W) - Y||_F^2", "W", "2 X^T ((relu(X W) - Y) ⊙ step(X W))"),
        [
            "relu is not differentiable where an entry of X W is 0; there step(0) = 1/2 is "
            "used, a subgradient"
        ],
    ),
    (
        "scalar-denominator",
        Case("sum(X / (a^T x))", "x", "-sum(X) a / (a^T x)^2", positive=True),
        ["division needs a^T x to be nonzero"],
    ),
    (
        "arcsin",
        Case("sum(arcsin(X / 2))", "X", "(1 ⊘ sqrt(1 - (X / 2)^{∘2})) / 2"),
        ["arcsin needs the entries of X / 2 to lie strictly between -1 and 1"],
    ),
    (
        "tan",
        Case("sum(tan(X))", "X", "tan(X)^{∘2} + 1"),
        ["tan needs the entries of X to stay off the odd multiples of π/2"],
    ),
    (
        "euclidean-norm",
        Case("||x||_2", "x", "x / ||x||_2"),
        ["the norm needs x to be nonzero"],
    ),
    (
        "one-norm",
        Case("||A x||_1", "x", "A^T sign(A x)"),
        [
            "the 1-norm is not differentiable where an entry of A x is 0; there sign(0) = 0 is "
            "used, a subgradient"
        ],
    ),
    (
        "invertible",
        Case("logdet(X)", "X", "X^{-T}", positive=True),
        ["the formula needs X to be invertible"],
    ),
    ("smooth", Case("sum(exp(X) ⊘ 2)", "X", "exp(X) / 2"), []),
    ("number-denominator", Case("sum(X / 2)", "X", "ones(m, n) / 2"), []),
    ("not-on-the-path", Case("sum(log(A) ⊙ X)", "X", "log(A)", positive=True), []),
]


@pytest.mark.parametrize(("case", "notes"), [d[1:] for d in DOMAINS], ids=[d[0] for d in DOMAINS])
def test_domain_notes(case: Case, notes: list[str]) -> None:
    derivation = diff(case.expression, case.wrt, shapes=case.shapes)
    where = [(str(b.name), str(b.value)) for b in derivation.result_where]
    assert written(str(derivation.result), where) == case.result
    assert [a.sentence(str) for a in derivation.assumptions] == notes
    lines = derivation.text().splitlines()
    assert [line for line in lines if line.startswith("note: ")] == [f"note: {n}" for n in notes]
    assert lines[-1].startswith(f"df/d{case.wrt} = ")
    assert derivation.latex().count("\n\nNote: ") == len(notes)
    assert derivation.to_dict()["assumptions"] == notes
    assert_gradient_correct(derivation, positive=case.positive)
