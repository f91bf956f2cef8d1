"""The user's own functions: formulas SymPy's answer must be written back from (constants,
fractional powers, reciprocals), formulas refused with their kind and words, and the bound on
how large a definition's derivative may grow."""

from __future__ import annotations

import time

import numpy as np
import pytest
from conftest import assert_gradient_correct

from matcalc import ErrorKind, MatcalcError, diff, evaluate, parse, parse_definition
from matcalc.definitions import derivative_size
from matcalc.limits import MAX_DERIVATIVE_SIZE

DERIVED = [
    ("exp(1) x", "exp(1) ones(m, n)", lambda x: np.e * np.ones_like(x)),
    ("arctan(1) x", "arctan(1) ones(m, n)", lambda x: np.pi / 4 * np.ones_like(x)),
    ("arcsin(1) x^2", "4 arctan(1) X", lambda x: np.pi * x),
    ("x^2.5", "5 sqrt(X)^{∘3} / 2", lambda x: 2.5 * x**1.5),
    ("x^(-3/2)", "-3 (1 ⊘ (2 sqrt(X)^{∘5}))", lambda x: -1.5 * x**-2.5),
    ("x^(1/3)", "1 ⊘ (3 exp(2 log(X) / 3))", lambda x: x ** (-2 / 3) / 3),
    ("x^exp(1)", "exp(1) (exp(exp(1) ⊙ log(X)) ⊘ X)", lambda x: np.e * x ** (np.e - 1)),
    ("x^-1", "-1 ⊘ X^{∘2}", lambda x: -1 / x**2),
    ("exp(x)^{-1}", "-exp(-X)", lambda x: -np.exp(-x)),
    ("(1 + x^-1)^-1", "1 ⊘ (X^{∘2} ⊙ (1 + 1 ⊘ X)^{∘2})", lambda x: 1 / (1 + x) ** 2),
]


@pytest.mark.parametrize(("body", "result", "formula"), DERIVED, ids=[r[0] for r in DERIVED])
def test_a_definition_whose_derivative_has_constants_or_fractional_powers(
    body: str, result: str, formula: object
) -> None:
    """SymPy writes e, π and x^{3/2} in its own terms; each comes back as matcalc nodes."""
    derivation = diff("sum(phi(X))", "X", functions={"phi": body})
    assert str(derivation.result) == result
    assert parse(result) == derivation.result
    assert_gradient_correct(derivation, positive=True)
    x = np.random.default_rng(0).uniform(0.5, 1.5, (3, 4))
    assert callable(formula)
    assert np.allclose(derivation.evaluate({"X": x}), formula(x))


def test_a_reciprocal_in_a_definition_evaluates() -> None:
    """x^{-1} is kept as 1 / x, which the evaluator of a user's function reads."""
    x = np.random.default_rng(1).uniform(0.5, 1.5, (3, 4))
    value = evaluate("sum(phi(X))", {"X": x}, functions={"phi": "x^-1 + exp(x)^{-1}"})
    assert np.isclose(value, np.sum(1 / x + np.exp(-x)))


REFUSED = [
    ({"phi": "1/(x-x)"}, ErrorKind.VALUE, "phi: 1 / (x - x) is not finite"),
    ({"phi": "log(0)"}, ErrorKind.VALUE, "phi: log(0) is not finite"),
    ({"phi": "x + 1/(2 - 2)"}, ErrorKind.VALUE, "is not finite: a part of it is infinite"),
    ({"phi": "0^x"}, ErrorKind.VALUE, "the derivative of 0^{x} is not finite"),
    ({"phi": "(-1)^x"}, ErrorKind.VALUE, "the derivative of (-1)^{x} is not real"),
    ({"phi": "log(-1) x"}, ErrorKind.VALUE, "is not real"),
    ({"phi": "phi(x)"}, ErrorKind.NAME, "may not call itself or another of the user's functions"),
    (
        {"phi": "psi(x)", "psi": "exp(x)"},
        ErrorKind.NAME,
        "in phi: a definition may not call itself or another of the user's functions, as psi",
    ),
    ({"phi": "1 + exp(phi (x))"}, ErrorKind.NAME, "as phi"),
    ({"phi": "sign(x)"}, ErrorKind.NOT_DIFFERENTIABLE, "phi: sign is piecewise constant"),
    ({"phi": "x step(x)"}, ErrorKind.NOT_DIFFERENTIABLE, "phi: step is piecewise constant"),
]


@pytest.mark.parametrize(("functions", "kind", "words"), REFUSED, ids=[str(r[0]) for r in REFUSED])
def test_a_definition_refused_says_why(
    functions: dict[str, str], kind: ErrorKind, words: str
) -> None:
    with pytest.raises(MatcalcError) as error:
        diff("sum(phi(X))", "X", functions=functions)
    assert error.value.kind == kind
    assert words in error.value.message
    assert "nan" not in error.value.message and "pi" not in error.value.message.split()


def test_a_call_is_refused_where_it_is_written() -> None:
    with pytest.raises(MatcalcError) as error:
        parse_definition("phi(x) = 1 + phi(x)")
    assert error.value.kind == ErrorKind.NAME
    assert (error.value.line, error.value.column) == (1, 5)


def test_a_call_of_another_definition_is_refused_as_written_after_define() -> None:
    with pytest.raises(MatcalcError) as error:
        parse_definition("phi(x) = 2 psi(x)", ("phi", "psi"))
    assert error.value.kind == ErrorKind.NAME
    assert "may not call itself or another of the user's functions, as psi" in error.value.message
    assert (error.value.line, error.value.column) == (1, 3)


def test_the_functions_a_definition_may_use_are_the_differentiable_ones() -> None:
    with pytest.raises(MatcalcError) as error:
        diff("sum(phi(X))", "X", functions={"phi": "tr(x)"})
    listed = error.value.message.split("the functions ")[1].split(", ")
    assert "exp" in listed and "sign" not in listed and "step" not in listed


NESTED = {
    "fractions": lambda n: "1/(1+" * n + "x" + ")" * n,
    "exp": lambda n: "exp(" * n + "x" + ")" * n,
    "tanh": lambda n: "tanh(" * n + "x" + ")" * n,
    "sigmoid": lambda n: "sigmoid(" * n + "x" + ")" * n,
    "products": lambda n: " ".join(f"sin({k} x)" for k in range(1, n + 1)),
}


@pytest.mark.parametrize("kind", list(NESTED))
def test_a_definition_at_the_size_limit_takes_under_two_seconds(kind: str) -> None:
    """The largest nesting within MAX_DERIVATIVE_SIZE is derived in time; one more is refused
    at once, where SymPy took seconds (nested fractions n = 50: 2 s; exp 250 deep: 7 s)."""
    body = NESTED[kind]
    n = 1
    while derivative_size(parse(body(n + 1)), "x") <= MAX_DERIVATIVE_SIZE:
        n += 1
    start = time.perf_counter()
    derivation = diff("sum(phi(X))", "X", shapes={"X": (3, 4)}, functions={"phi": body(n)})
    assert time.perf_counter() - start < 2
    assert derivation.functions["phi"].body == parse(body(n))
    start = time.perf_counter()
    with pytest.raises(MatcalcError) as error:
        diff("sum(phi(X))", "X", functions={"phi": body(n + 1)})
    assert time.perf_counter() - start < 0.5
    assert error.value.kind == ErrorKind.VALUE
    assert f"more than the {MAX_DERIVATIVE_SIZE:,} a definition may have" in error.value.message


def test_the_hunts_slow_definitions_are_refused_at_once() -> None:
    for body in (NESTED["fractions"](50), NESTED["fractions"](100), NESTED["exp"](250)):
        start = time.perf_counter()
        with pytest.raises(MatcalcError, match="a definition may have"):
            diff("sum(phi(X))", "X", functions={"phi": body})
        assert time.perf_counter() - start < 0.5


def test_a_nested_definition_within_the_limit_is_right() -> None:
    derivation = diff("sum(phi(X))", "X", functions={"phi": NESTED["fractions"](8)})
    assert_gradient_correct(derivation, positive=True)


def test_derivative_size_grows_with_the_square_of_the_nesting() -> None:
    sizes = [derivative_size(parse(NESTED["exp"](n)), "x") for n in (10, 20, 40)]
    assert sizes[1] > 3 * sizes[0] and sizes[2] > 3 * sizes[1]
    assert derivative_size(parse("exp(2) + 3"), "x") == 0
