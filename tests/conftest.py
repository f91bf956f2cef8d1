"""Shared helpers: every derivative a test produces is checked by numbers as well as by text."""

from __future__ import annotations

from dataclasses import replace

import pytest

from matcalc import Derivation, Expr, gradcheck, parse

TOLERANCE = 1e-6


def assert_gradient_correct(
    derivation: Derivation, *, positive: bool = False, result: Expr | None = None
) -> None:
    """Central differences agree with the derived gradient (or with `result`, another form of
    it), for two random draws."""
    if result is not None:
        derivation = replace(derivation, result=result)
    for seed in (0, 1):
        error = gradcheck(derivation, seed=seed, positive=positive)
        assert error < TOLERANCE, f"{derivation.result}: relative error {error:.2e}"


def assert_round_trip(text: str) -> None:
    expr = parse(text)
    assert parse(str(expr)) == expr, f"{text!r} printed as {str(expr)!r}"


@pytest.fixture
def check() -> object:
    return assert_gradient_correct
