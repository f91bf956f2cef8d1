"""Shared helpers: every derivative a test produces is checked by numbers as well as by text."""

from __future__ import annotations

import pytest

from matcalc import Derivation, gradcheck, parse

TOLERANCE = 1e-6


def assert_gradient_correct(derivation: Derivation, *, positive: bool = False) -> None:
    """Central differences agree with the derived gradient, for two random draws."""
    for seed in (0, 1):
        error = gradcheck(derivation, seed=seed, positive=positive)
        assert error < TOLERANCE, f"{derivation.result}: relative error {error:.2e}"


def assert_round_trip(text: str) -> None:
    expr = parse(text)
    assert parse(str(expr)) == expr, f"{text!r} printed as {str(expr)!r}"


@pytest.fixture
def check() -> object:
    return assert_gradient_correct
