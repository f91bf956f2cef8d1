"""The operations of modern ML against issue #15's target: a 4-block attention-and-MLP
objective, each block softmax(X Q (X K)^T / sqrt(d)) X V followed by tanh(· W), under a
softmax cross-entropy with targets declared to sum to one along each row.

    python benchmarks/attention.py [--repeat N]

For the output layer U and each block's W, Q, K and V: the time of `matcalc.diff` (parse,
derive, simplify; the best of N rounds, taken in turns with the garbage collector off, as
benchmarks/speed.py does), the steps, and the printed size of the result with the named values
it uses; each derivative once checked by `matcalc.gradcheck` (central differences, float64,
distinct sizes).

Targets: each derivation under 0.5 s; each check within 1e-6. Exit code 1 if one is missed.
"""

from __future__ import annotations

import sys

from speed import best_times, machine, verdict

import matcalc

BLOCKS = 4
TARGET_SECONDS = 0.5
TARGET_ERROR = 1e-6
SHAPES = {"Y": ("m", "k", "rows-sum-to-one"), "d": "scalar"}


def objective(blocks: int = BLOCKS) -> str:
    """The objective: `blocks` attention-and-MLP blocks on X, then softmax cross-entropy."""
    x = "X"
    for i in range(1, blocks + 1):
        attention = f"softmax({x} Q{i} ({x} K{i})^T / sqrt(d)) {x} V{i}"
        x = f"tanh(({attention}) W{i})"
    return f"cross_entropy({x} U, Y)"


def variables(blocks: int = BLOCKS) -> list[str]:
    return ["U", *(f"{p}{i}" for i in range(blocks, 0, -1) for p in "WVKQ")]


def main() -> int:
    repeat = int(sys.argv[2]) if sys.argv[1:2] == ["--repeat"] else 5
    text = objective()
    runs = {w: (lambda w=w: matcalc.diff(text, w, shapes=SHAPES)) for w in variables()}
    times = best_times(runs, repeat)
    lines = [
        machine(),
        "",
        f"## {BLOCKS} attention-and-MLP blocks under softmax cross-entropy",
        f"f = {text[:60]}… ({len(text):,} characters); best of {repeat} rounds",
        "",
        "| by | time | steps | result + where | check |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    missed = []
    for w, run in runs.items():
        derivation = run()
        printed = len(str(derivation.result)) + sum(
            len(f"{b.name} = {b.value}") for b in derivation.result_where
        )
        error = matcalc.gradcheck(derivation, positive=True)
        lines.append(
            f"| {w} | {times[w] * 1000:.0f} ms | {len(derivation.steps)} | {printed:,} | "
            f"{error:.1e} |"
        )
        if times[w] > TARGET_SECONDS:
            missed.append(f"{w}: {times[w]:.2f} s")
        if error > TARGET_ERROR:
            missed.append(f"{w}: check {error:.1e}")
    slowest = max(times.values())
    lines += [
        "",
        f"slowest {slowest * 1000:.0f} ms (target < {TARGET_SECONDS} s: "
        f"{verdict(slowest < TARGET_SECONDS)})",
    ]
    print("\n".join(lines))
    print()
    print("targets: met" if not missed else "targets MISSED:\n- " + "\n- ".join(missed))
    return 0 if not missed else 1


if __name__ == "__main__":
    raise SystemExit(main())
