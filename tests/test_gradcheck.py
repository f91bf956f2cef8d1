"""The numerical check itself: it must fail a wrong gradient, however large f is, and pass a
right zero gradient, however much cancellation f is computed with."""

from __future__ import annotations

from dataclasses import replace

import pytest

from matcalc import diff, gradcheck, parse

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
