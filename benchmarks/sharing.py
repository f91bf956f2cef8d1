"""Shared derivatives are derived once: steps and time against depth for the sharing families of
issue #12, and the L-layer network by its first, middle and last weight.

    python benchmarks/sharing.py

Families, each nested `depth` deep:
- nested squares, tr((…(X^2)^2…)^2): the matrix-power rule uses df/dG twice at every level;
- nested cubes, tr((…(X^3)^3…)^3): it uses df/dG three times;
- nested X ⊙ X, sum(E) with E = E' ⊙ E' at every level: a value used twice at every level
  (built as an expression whose levels are shared, through `matcalc.derive`: its text would
  hold 2^depth copies of X);
- a network, ||tanh(… tanh(X W1) W2 …) - Y||_F^2, by W1, by the middle weight and by the last.

Times are the best of repeated runs, the depths taken in turns and the garbage collector off,
as timeit advises on a shared machine. Targets: time(2k) / time(k) ≤ 2.3 for k = 8, 16, 32
(steps linear too), and depth 32
in under 0.5 s. Exit code 1 if a target is missed.
"""

from __future__ import annotations

import functools
import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matcalc
from matcalc.expr import Hadamard, Sum, Symbol

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from networks import network

DEPTHS = (8, 16, 32, 64)
TARGET_RATIO = 2.3
TARGET_SECONDS = 0.5


def best_times(runs: dict[int, Callable[[], Any]], repeat: int = 15) -> dict[int, float]:
    """The shortest wall time of each run over `repeat` rounds, after one to warm up; each round
    takes the runs in turn, so that a slow spell of the shared machine falls on all depths
    alike rather than on one of them."""
    for run in runs.values():
        run()
    times: dict[int, list[float]] = {key: [] for key in runs}
    for _ in range(repeat):
        for key, run in runs.items():
            gc.collect()
            gc.disable()
            start = time.perf_counter()
            run()
            times[key].append(time.perf_counter() - start)
            gc.enable()
    return {key: min(found) for key, found in times.items()}


def nested_powers(power: int) -> Callable[[int], matcalc.Derivation]:
    def derive(depth: int) -> matcalc.Derivation:
        text = "X"
        for _ in range(depth):
            text = f"({text})^{power}" if text != "X" else f"X^{power}"
        return matcalc.diff(f"tr({text})", "X")

    return derive


def nested_hadamard(depth: int) -> matcalc.Derivation:
    level = Symbol("X")
    for _ in range(depth):
        level = Hadamard(level, level)
    return matcalc.derive(Sum(level), "X")


def network_by(which: str) -> Callable[[int], matcalc.Derivation]:
    def derive(depth: int) -> matcalc.Derivation:
        layer = {"first": 1, "middle": depth // 2, "last": depth}[which]
        return matcalc.diff(network(depth), f"W{layer}")

    return derive


FAMILIES: dict[str, Callable[[int], matcalc.Derivation]] = {
    "nested squares tr((…(X^2)^2…)^2)": nested_powers(2),
    "nested cubes tr((…(X^3)^3…)^3)": nested_powers(3),
    "nested X ⊙ X, sum(E ⊙ E) at every level": nested_hadamard,
    "network by W1": network_by("first"),
    "network by the middle weight": network_by("middle"),
    "network by the last weight": network_by("last"),
}


def printed_size(derivation: matcalc.Derivation) -> int:
    """Characters of the result and the named values it uses."""
    return len(str(derivation.result)) + sum(
        len(str(b.name)) + len(str(b.value)) for b in derivation.result_where
    )


def main() -> int:
    met = True
    print("| family | depth | steps | time | time / time(depth/2) | result + where |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for family, derive in FAMILIES.items():
        seconds = best_times({depth: functools.partial(derive, depth) for depth in DEPTHS})
        for depth in DEPTHS:
            derivation = derive(depth)
            before = seconds.get(depth // 2)
            ratio = "" if before is None else f"{seconds[depth] / before:.2f}"
            if before is not None and seconds[depth] / before > TARGET_RATIO:
                met = False
            if depth == 32 and seconds[depth] > TARGET_SECONDS:
                met = False
            size = printed_size(derivation) if "X ⊙ X" not in family else "—"
            print(
                f"| {family} | {depth} | {len(derivation.steps)} | {seconds[depth] * 1000:.1f} ms "
                f"| {ratio} | {size} |"
            )
    print()
    print("targets:", "met" if met else "MISSED")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
