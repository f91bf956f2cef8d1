"""The numerical check itself: it must fail a wrong gradient, however large f is, and pass a
right zero gradient, however much cancellation f is computed with."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from matcalc import ErrorKind, MatcalcError, diff, gradcheck, parse

TOLERANCE = 1e-6


@pytest.mark.parametrize(
    ("objective", "wrt", "wrong"),
    [
        ("1000 + sum(X)", "X", "0 X"),
        ("1000 + sum(X)", "X", "1.01 ones(m, n)"),
        ("1e6 + ||X - D R||_F^2", "D", "-2 X R^T + 2.01 D R R^T"),
        ("||X - D R||_F^2", "D", "-2 X R^T + 2.001 D R R^T"),
        ("tr(X^{-1} A X) - tr(A) + tr(X)", "X", "0 X"),
    ],
)
def test_a_wrong_gradient_disagrees(objective: str, wrt: str, wrong: str) -> None:
    """Beside a large constant too: the allowance is the difference's rounding, not a share
    of f. (Where f is a million times its change along U, as 1e6 + sum(X) / 1000, rounding
    does hide a wrong gradient for some directions: no central difference can tell.)"""
    derivation = diff(objective, wrt)
    assert gradcheck(derivation) < TOLERANCE
    assert all(gradcheck(replace(derivation, result=parse(wrong)), seed=s) > 1e-5 for s in (0, 1))


@pytest.mark.parametrize(
    "objective",
    [
        "tr(X^{-1} A X)",
        "tr(X^{-1} A X) - tr(A)",
        "det(X) - det(X^T)",
        "logdet(X^T X) - 2 logdet(X)",
    ],
)
def test_a_right_zero_gradient_agrees(objective: str) -> None:
    derivation = diff(objective, "X")
    assert str(derivation.result) == "0"
    assert max(gradcheck(derivation, seed=seed) for seed in range(40)) < TOLERANCE


DERIVATION = diff("||X - D R||_F^2", "D")
MISUSE = [
    ("env-missing-the-variable", (DERIVATION, {}), {}, "env has no value for D, the variable"),
    ("env-a-list", (DERIVATION, [1]), {}, r"env maps names to values, not \[1\]"),
    ("env-text", (DERIVATION, "x"), {}, "env maps names to values, not 'x'"),
    ("seed-none", (DERIVATION,), {"seed": None}, "seed is a whole number from 0, not None"),
    ("seed-negative", (DERIVATION,), {"seed": -1}, "not -1"),
    ("seed-fraction", (DERIVATION,), {"seed": 1.5}, "not 1.5"),
    ("seed-text", (DERIVATION,), {"seed": "a"}, "not 'a'"),
    ("text", ("sum(X)",), {}, "gradcheck takes a Derivation .*, not 'sum\\(X\\)'"),
    ("none", (None,), {}, "gradcheck takes a Derivation .*, not None"),
    (
        "huge",
        (diff("sum(X)", "X", shapes={"X": (10**23, 3)}),),
        {},
        "X is 100000000000000000000000×3, too large to evaluate or check",
    ),
    ("not-real", (diff("sum(log(X))", "X"),), {}, "the objective is not real at the sampled"),
    (
        "not-real-beside",
        (diff("sum(log(X - 1.5))", "X"),),
        {"positive": True},
        "not real at the sampled inputs",
    ),
]
"""Misuse and inputs with nothing to compare: a MatcalcError, never NumPy's or a silent nan."""


@pytest.mark.parametrize(
    ("arguments", "options", "words"), [pytest.param(*row[1:], id=row[0]) for row in MISUSE]
)
def test_misuse_is_a_clean_error(arguments: tuple, options: dict, words: str) -> None:
    with np.errstate(all="ignore"), pytest.raises(MatcalcError, match=words) as raised:
        gradcheck(*arguments, **options)
    assert raised.value.kind is ErrorKind.VALUE


def test_inside_the_domain_the_same_objective_is_checked() -> None:
    derivation = diff("sum(log(X))", "X")
    assert gradcheck(derivation, positive=True) < TOLERANCE
    assert gradcheck(derivation, {"X": np.full((3, 4), 2.0)}, seed=2**70) < TOLERANCE
    doubled = parse(f"2 ({derivation.result})")
    assert gradcheck(replace(derivation, result=doubled), positive=True) > 0.1
