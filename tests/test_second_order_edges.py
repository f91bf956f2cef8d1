"""Edges of the second-order features that the hostile-input hunt and the review of issue 14
found broken, in test_hostile's style: each now a clean error of the right kind or a right
answer checked by numbers."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from test_hostile import SECONDS, Check, Ran, api, cli, derived, printed, refused

import matcalc
from matcalc import ErrorKind, MatcalcError


def either(*checks: Check) -> Check:
    """The outcome passes one of `checks`."""

    def check(outcome: Any) -> None:
        failures = []
        for one in checks:
            try:
                one(outcome)
            except AssertionError as failure:
                failures.append(str(failure))
            else:
                return
        pytest.fail("\n".join(failures))

    return check


def ascii_that_reads_back(outcome: Any) -> None:
    """--ascii printed no escaped character, and the result line reads back as the result."""
    assert isinstance(outcome, Ran) and outcome.code == 0, outcome
    assert "\\u" not in outcome.out, outcome.out
    result = outcome.out.splitlines()[-1].split(" = ", 1)[1]
    assert matcalc.parse(result) == matcalc.parse("2 (eye(p) ⊗ A^T A)")


def no_first_tag(outcome: Any) -> None:
    """The message lists the options Session.hessian takes, and not first_tag, which it
    refuses."""
    refused(ErrorKind.VALUE, "direction")(outcome)
    assert "first_tag" not in str(outcome), outcome


def unconstrained(expr: str, direction: str | None = None) -> Callable[[], Any]:
    """The unconstrained second derivative of `expr` by the symmetric S."""
    return api(
        lambda: matcalc.hessian(
            expr, "S", direction=direction, shapes={"S": "n,n,symmetric"}, symmetrise=False
        )
    )


def hvp_by_hand(derivation: Any) -> None:
    """The unconstrained HVP of tr(S A S) is V A^T + A^T V, the derivative of the unconstrained
    gradient S A^T + A^T S along a symmetric V (independent of gradcheck)."""
    assert not isinstance(derivation, MatcalcError), derivation
    rng = np.random.default_rng(0)
    a, s, v = rng.standard_normal((3, 4, 4))
    s, v = s + s.T, v + v.T
    found = derivation.evaluate({"A": a, "S": s, "V": v})
    assert np.allclose(found, v @ a.T + a.T @ v, rtol=1e-12, atol=1e-12), found


CASES: list[tuple[str, Callable[[], Any], Check]] = [
    (
        "a direction named as the gradient's named value",
        lambda: cli(
            "hessian",
            "||tanh(tanh(X W1) W2) - Y||_F^2",
            "--wrt",
            "W1",
            "--direction",
            "H1",
            "--check",
        ),
        either(derived(), refused(ErrorKind.NAME, "H1")),
    ),
    (
        "an unconstrained HVP of a symmetric variable",
        unconstrained("tr(S A S)", "V"),
        hvp_by_hand,
    ),
    (
        "an unconstrained HVP of a symmetric variable, by gradcheck",
        unconstrained("tr(S A S)", "V"),
        derived(),
    ),
    (
        "an unconstrained Kronecker form of a symmetric variable (V^T: none)",
        lambda: cli(
            "hessian",
            "tr(S A S)",
            "--wrt",
            "S",
            "--shape",
            "S=n,n,symmetric",
            "--unconstrained",
            "--check",
        ),
        refused(ErrorKind.NOT_DIFFERENTIABLE, "commutation matrix"),
    ),
    (
        "a zero Hessian by a non-square variable absent from the objective",
        lambda: cli("hessian", "tr(X)", "--wrt", "Y", "--shape", "Y=3,4", "--check"),
        derived("0 (eye(4) ⊗ eye(3))"),
    ),
    (
        "a zero HVP by a symbolic non-square variable",
        api(lambda: matcalc.hessian("sum(A)", "X", shapes={"X": "m,n"}, direction="V")),
        derived("0"),
    ),
    (
        "a Hessian of a matrix objective",
        lambda: cli("hessian", "X^T X", "--wrt", "X"),
        refused(ErrorKind.SHAPE, "a Hessian is of a scalar objective"),
    ),
    (
        "a Kronecker product in ASCII",
        lambda: cli("hessian", "||A X - B||_F^2", "--wrt", "X", "--ascii"),
        ascii_that_reads_back,
    ),
    (
        "kron(A, B)",
        lambda: cli("diff", "sum(kron(A, B))", "--wrt", "A"),
        refused(ErrorKind.SHAPE, "declare the shapes"),
    ),
    (
        "the notation summary",
        lambda: cli("notation"),
        printed("⊗", "vec("),
    ),
    (
        "an option Session.hessian does not take",
        api(lambda: matcalc.Session().hessian("x^T A x", "x", foo=1)),
        no_first_tag,
    ),
    (
        "a row variable's Hessian, with no eye(1) factor",
        api(lambda: matcalc.hessian("x A x^T", "x", shapes={"x": (1, "n")})),
        derived("A^T + A"),
    ),
    (
        "a 1×1 factor holding V, which matcalc does not turn",
        api(lambda: matcalc.hessian("(a^T X b)^2", "X")),
        refused(ErrorKind.NOT_DIFFERENTIABLE, "cannot write", "--direction"),
    ),
    (
        "a column's HVP in numerator layout, the transpose of the denominator one",
        api(lambda: matcalc.hessian("||x||_2", "x", direction="v", layout="numerator")),
        derived("v^T / ||x||_2 - v^T x x^T / (||x||_2)^3"),
    ),
    (
        "an option hessian does not take",
        api(lambda: matcalc.hessian("x^T A x", "x", foo=1)),
        refused(ErrorKind.VALUE, "foo"),
    ),
]


@pytest.mark.parametrize(
    ("run", "check"), [pytest.param(run, check, id=name) for name, run, check in CASES]
)
def test_second_order_edge(run: Callable[[], Any], check: Check) -> None:
    start = time.perf_counter()
    try:
        outcome = run()
    except TypeError as error:
        pytest.fail(f"not a MatcalcError: {error}")
    assert time.perf_counter() - start < SECONDS
    check(outcome)
