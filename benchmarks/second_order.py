"""Second order against the targets of issue #14: the Hessian-vector product ∇²f[V] of the
L-layer network ||tanh(… tanh(X W1) W2 …) - Y||_F^2 by W1, against the first-order derivation.

    python benchmarks/second_order.py [--repeat N]

For L = 8, 16, 32, 64: the time of `matcalc.diff(network(L), "W1")` and of
`matcalc.hessian(network(L), "W1", direction="V")` (parse, derive, simplify; the best of N rounds,
both taken in turns with the garbage collector off, as benchmarks/speed.py does), the HVP's
printed size (its result with the named values it uses, its text derivation, its LaTeX), and
the HVP once checked numerically at L = 8, in float64 with distinct sizes 3, 4, 5, …: from f
alone, ⟨W, ∇²f[V]⟩ against a mixed second central difference of f evaluated by
`matcalc.evaluate`, and by `matcalc.gradcheck`, against central differences of the gradient.

Targets: HVP time ≤ 4× the first-order time at every L; HVP time and each printed size linear in
L (time(2L) / time(L) ≤ 2.3, as benchmarks/sharing.py has it); the numerical check within 1e-6.
Exit code 1 if a target is missed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
from sharing import DEPTHS, TARGET_RATIO, printed_size
from speed import best_times, machine, verdict

import matcalc
from matcalc.finite_differences import random_env

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from networks import network

TARGET_FACTOR = 4.0
"""The HVP's time over the first-order derivation's, at the most."""

TARGET_ERROR = 1e-6
"""The numerical check's relative error, at the most."""

CHECK_DEPTH = 8
EPSILON = 2e-4
"""The larger step of the mixed second difference. Its truncation, of order ε², is large for
the deep network (about 1e-4 relative at ε = 1e-4), so the differences at ε and ε/2 are
extrapolated (Richardson), which leaves a truncation of order ε⁴; the rounding, of order
(machine ε) |f| / ε², stays near 1e-7 relative."""


def hvp(layers: int) -> matcalc.Derivation:
    return matcalc.hessian(network(layers), "W1", direction="V")


def first_order(layers: int) -> matcalc.Derivation:
    return matcalc.diff(network(layers), "W1")


def growth(values: dict[int, float], layers: int) -> float | None:
    """value(L) / value(L/2), or None at the first depth."""
    before = values.get(layers // 2)
    return None if before is None else values[layers] / before


def shown(ratio: float | None) -> str:
    return "" if ratio is None else f"{ratio:.2f}"


def timing(repeat: int) -> tuple[list[str], list[str]]:
    """The table of times, and the targets on times it misses."""
    runs: dict[tuple[str, int], Any] = {}
    for layers in DEPTHS:
        runs["first", layers] = lambda n=layers: first_order(n)
        runs["hvp", layers] = lambda n=layers: hvp(n)
    times = best_times(runs, repeat)
    first = {layers: times["first", layers] for layers in DEPTHS}
    second = {layers: times["hvp", layers] for layers in DEPTHS}
    lines = [
        "## HVP of the L-layer network by W1: time against depth",
        f"best of {repeat} rounds after one to warm up, both derivations taken in turns",
        "",
        "| L | first order | HVP | HVP / first order | first order(L) / (L/2) | HVP(L) / (L/2) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    missed = []
    for layers in DEPTHS:
        factor = second[layers] / first[layers]
        ratio = growth(second, layers)
        lines.append(
            f"| {layers} | {first[layers] * 1e3:.1f} ms | {second[layers] * 1e3:.1f} ms | "
            f"{factor:.2f} | {shown(growth(first, layers))} | {shown(ratio)} |"
        )
        if factor > TARGET_FACTOR:
            missed.append(f"HVP / first order at L = {layers}: {factor:.2f} > {TARGET_FACTOR:g}")
        if ratio is not None and ratio > TARGET_RATIO:
            missed.append(f"HVP time({layers}) / time({layers // 2}) = {ratio:.2f}")
    return lines, missed


def sizes() -> tuple[list[str], list[str]]:
    """The table of the HVP's printed sizes, and the targets on sizes it misses."""
    measures: dict[str, dict[int, float]] = {"result + where": {}, "text": {}, "LaTeX": {}}
    steps: dict[int, str] = {}
    for layers in DEPTHS:
        derivation = hvp(layers)
        steps[layers] = f"{len(first_order(layers).steps)} / {len(derivation.steps)}"
        measures["result + where"][layers] = printed_size(derivation)
        measures["text"][layers] = len(derivation.text())
        measures["LaTeX"][layers] = len(derivation.latex())
    lines = [
        "## HVP of the L-layer network by W1: printed size against depth",
        "characters of the result with the named values it uses, of the text derivation and of",
        "the LaTeX; each with its growth from L/2; the steps of the first-order derivation and of",
        "the HVP's (the gradient's, then the second part's: the work the time ratio reflects)",
        "",
        "| L | steps (first order / HVP) | result + where | growth | text | growth | LaTeX "
        "| growth |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    missed = []
    for layers in DEPTHS:
        cells = [f"{layers}", f"{steps[layers]}"]
        for measure, values in measures.items():
            ratio = growth(values, layers)
            cells += [f"{values[layers]:,.0f}", shown(ratio)]
            if ratio is not None and ratio > TARGET_RATIO:
                missed.append(f"{measure} size({layers}) / size({layers // 2}) = {ratio:.2f}")
        lines.append(f"| {' | '.join(cells)} |")
    return lines, missed


def mixed_difference(derivation: matcalc.Derivation, env: dict[str, Any], w: Any) -> float:
    """∂²f/∂s∂t at (0, 0) of f(X + sV + tW), by central differences in s and t at steps ε
    and ε/2, extrapolated to step 0."""
    x, v = env[derivation.wrt.name], env[str(derivation.direction)]

    def f(s: float, t: float) -> float:
        point = {**env, derivation.wrt.name: x + s * v + t * w}
        return float(matcalc.evaluate(derivation.objective, point, shapes=derivation.shapes))

    def difference(e: float) -> float:
        return (f(e, e) - f(e, -e) - f(-e, e) + f(-e, -e)) / (4 * e * e)

    return (4 * difference(EPSILON / 2) - difference(EPSILON)) / 3


def check() -> tuple[list[str], list[str]]:
    """⟨W, ∇²f[V]⟩ of the network at L = CHECK_DEPTH against the mixed second difference."""
    derivation = hvp(CHECK_DEPTH)
    assert derivation.kind == "Hessian-vector product" and derivation.direction is not None
    symbols = {name: shape for name, shape, _ in derivation.symbol_shapes}
    symbols[derivation.direction.name] = derivation.shapes.symbols[derivation.direction.name]
    env = random_env(symbols, derivation.objective, seed=0)
    product = np.asarray(matcalc.evaluate(derivation, env), dtype=np.float64)
    w = np.random.default_rng(1).normal(size=product.shape)
    analytic = float(np.sum(w * product))
    numeric = mixed_difference(derivation, env, w)
    error = abs(numeric - analytic) / max(abs(numeric), abs(analytic))
    checked = matcalc.gradcheck(derivation, env)
    sized = ", ".join(f"{name} {'×'.join(map(str, env[name].shape))}" for name in symbols)
    lines = [
        f"## Numerical check of the HVP at L = {CHECK_DEPTH}",
        f"{sized}, uniform in [-1, 1].",
        "",
        f"- from f alone: ⟨W, ∇²f[V]⟩ = {analytic:.10g}, mixed second central difference of f "
        f"(ε = {EPSILON:g} and ε/2, extrapolated) = {numeric:.10g}: relative error "
        f"{error:.1e} (target ≤ {TARGET_ERROR:g}: {verdict(error <= TARGET_ERROR)})",
        "- matcalc.gradcheck (∇²f[U] against central differences of the gradient's result): "
        f"relative error {checked:.1e} (target ≤ {TARGET_ERROR:g}: "
        f"{verdict(checked <= TARGET_ERROR)})",
    ]
    missed = [
        f"numerical check, {how}: {found:.1e}"
        for how, found in (("from f", error), ("gradcheck", checked))
        if found > TARGET_ERROR
    ]
    return lines, missed


def main() -> int:
    repeat = int(sys.argv[2]) if sys.argv[1:2] == ["--repeat"] else 25
    missed: list[str] = []
    sections = [[machine()]]
    for section in (timing(repeat), sizes(), check()):
        sections.append(section[0])
        missed += section[1]
    print("\n\n".join("\n".join(section) for section in sections))
    print()
    print("targets: met" if not missed else "targets MISSED:\n- " + "\n- ".join(missed))
    return 0 if not missed else 1


if __name__ == "__main__":
    raise SystemExit(main())
