"""Shared helpers: every derivative a test produces is checked by numbers as well as by text."""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, reject, settings

from matcalc import Derivation, Expr, evaluate, gradcheck, parse
from matcalc.cli import main
from matcalc.finite_differences import directional_derivatives
from matcalc.web.server import Playground

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


def well_conditioned(env: dict[str, Any]) -> dict[str, Any]:
    """`env` with 3 I added to its square matrices, so that every inverse is well conditioned
    and, for values in [0.5, 1.5], every determinant positive."""
    return {
        name: value + 3 * np.eye(value.shape[0])
        if not callable(value) and np.ndim(value) == 2 and value.shape[0] == value.shape[1] > 1
        else value
        for name, value in env.items()
    }


STEPS = (1e-5, 1e-6, 1e-7)
"""Central-difference steps. One must agree with the formula: a large one where the objective's
value swamps its gradient in round-off (cos(λ³) at λ = 0.02), a small one where the objective
turns so fast that the step's own error shows (sin(exp(||…||²)))."""


def assert_differences_agree(derivation: Derivation, env: dict[str, Any], seed: int = 0) -> None:
    """Inside a Hypothesis test: the gradient matches central differences at `env`, allowing
    for round-off; points where differences say nothing are set aside."""
    symbols = derivation.shapes.symbols
    with np.errstate(over="ignore", invalid="ignore"):
        value = abs(float(evaluate(derivation.objective, env, shapes=symbols)))
    assume(value < 1e8)  # past that, as in exp(exp(5)), differences are all round-off
    estimates = {}
    for step in STEPS:
        with np.errstate(invalid="ignore", divide="ignore"):
            numeric, analytic = directional_derivatives(
                derivation.objective,
                derivation.result,
                derivation.wrt.name,
                symbols,
                env,
                seed=seed,
                epsilon=step,
                where=derivation.where,
            )
        if not np.isfinite(analytic):  # as G/||G|| where G = 0: only where a note says so
            assert derivation.assumptions, f"{derivation.result} is undefined here"
            reject()
        round_off = 1e-15 * max(value, 1.0) / step
        if abs(numeric - analytic) <= 1e-6 * max(abs(numeric), abs(analytic)) + round_off:
            return
        estimates[step] = numeric
    # differences that disagree with each other say nothing: sin(exp(16)) turns over within
    # any step
    spread = max(estimates.values()) - min(estimates.values())
    assume(spread <= 1e-3 * max(abs(e) for e in estimates.values()))
    raise AssertionError(f"{derivation.result}: {analytic} by the formula, {estimates}")


def assert_round_trip(text: str) -> None:
    expr = parse(text)
    assert parse(str(expr)) == expr, f"{text!r} printed as {str(expr)!r}"


@pytest.fixture
def check() -> object:
    return assert_gradient_correct


@dataclass(frozen=True)
class Ran:
    """What the command line did: exit code, stdout and stderr."""

    code: int
    out: str
    err: str


def cli(*argv: str, stdin: str = "") -> Ran:
    """`matcalc ARGV…` in this process, with `stdin` as its standard input."""
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(argv))
    finally:
        sys.stdin = saved
    return Ran(code, out.getvalue(), err.getvalue())


def assert_well_formed(html: str) -> ET.Element:
    """`html` parses as XML in a <div>, holding no entities but XML's (MathML, typeset by the
    browser)."""
    assert set(re.findall(r"&([#\w]+);", html)) <= {"amp", "lt", "gt", "quot"}
    return ET.fromstring(f"<div>{html}</div>")


@contextlib.contextmanager
def running(
    time_limit: float = 20.0, workers: int = 2, connections: int = 256
) -> Iterator[Playground]:
    """The playground served on a free loopback port from a thread, until the block ends."""
    server = Playground("127.0.0.1", 0, workers, time_limit, connections)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
