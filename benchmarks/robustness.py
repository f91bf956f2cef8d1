"""Worst cases against their time target: hostile input, the limits, and expressions whose
expansion blows up. Each must end in a derivation or a MatcalcError within 2 seconds.

    python benchmarks/robustness.py            # prints a table; exit code 1 if a target is missed

In-process times include every output (text, LaTeX, JSON, factored form); command-line times
are the wall time of `matcalc diff` in a fresh process, start-up included.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fuzz import VALID, mutate, noise
from test_limits import nested

from matcalc import MatcalcError, diff
from matcalc.limits import MAX_DEPTH

TARGET = 2.0
"""Seconds: the longest any one input may take."""

PRODUCT_OF_SUMS = "||(A + B)(C + D)(E + F)(G + H)(J + K) X||_F^2"
THIRTY_TERMS = "||" + " + ".join(f"A{i} X" for i in range(1, 31)) + "||_F^2"
HOSTILE = {
    "5,000 nested parentheses": "sum(" + "(" * 5000 + "X" + ")" * 5000 + ")",
    "5,000 nested negations": "sum(" + "-" * 5000 + "X)",
    "100,000 characters": "sum(" + " + ".join(["X"] * 24_999) + ")",
    "100,000 open parentheses": "(" * 100_000,
    **{f"{kind} nested {MAX_DEPTH} deep": text for kind, text in nested(MAX_DEPTH).items()},
    "5 sums multiplied": PRODUCT_OF_SUMS,
    "30-term sum in a norm": THIRTY_TERMS,
    "matrix power at the limit, det(X^32)": "det(X^32)",
    "matrix power at the limit, a^T X^32 b": "a^T X^32 b",
}


def derive(text: str, wrt: str = "X") -> str:
    """'derivation' or 'MatcalcError', after making every output of a derivation."""
    try:
        derivation = diff(text, wrt)
        derivation.text(), derivation.latex(), derivation.to_dict(), derivation.factored()
    except MatcalcError:
        return "MatcalcError"
    return "derivation"


def timed(run: object, *args: str) -> tuple[float, str]:
    start = time.perf_counter()
    outcome = run(*args)  # type: ignore[operator]
    return time.perf_counter() - start, outcome


def command_line(text: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "matcalc", "diff", text, "--wrt", "X"],
        capture_output=True,
        text=True,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return {0: "derivation", 2: "MatcalcError"}[done.returncode]


def main() -> int:
    derive("||X - D R||_F^2", "D")  # load the grammar and the rule table once
    rows: list[tuple[str, float, str]] = []
    for name, text in HOSTILE.items():
        rows.append((f"{name}, in process", *timed(derive, text)))
        rows.append((f"{name}, command line", *timed(command_line, text)))

    rng = random.Random(0)
    inputs = [mutate(rng.choice(VALID), rng) for _ in range(800)]
    inputs += [noise(rng) for _ in range(200)]
    times, outcomes = [], {"derivation": 0, "MatcalcError": 0}
    for text in inputs:
        for wrt in ("X", "W", "x"):
            seconds, outcome = timed(derive, text, wrt)
            times.append(seconds)
            outcomes[outcome] += 1
    rows.append(
        (f"1,000 mutated/random inputs × 3 variables: slowest of {len(times)}", max(times), "")
    )
    rows.append(("  same: total", sum(times), f"{outcomes}"))

    width = max(len(name) for name, _, _ in rows)
    for name, seconds, outcome in rows:
        print(f"{name:{width}}  {seconds:7.3f} s  {outcome}")
    missed = [name for name, seconds, _ in rows if seconds > TARGET and "total" not in name]
    if missed:
        print(f"over the {TARGET} s target: {', '.join(missed)}")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
