"""Shared helpers: every derivative a test produces is checked by numbers as well as by text."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, settings

from matcalc import Derivation, Expr, gradcheck, parse

TOLERANCE = 1e-6

settings.register_profile(
    "ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "long", max_examples=20_000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
"""Property tests run 300 examples each; HYPOTHESIS_PROFILE=long runs 20,000 (README)."""


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
