"""Speed against the targets of issue #6, as tables: derivation time and printed size against
depth, matcalc against SymPy's MatrixExpr.diff, the command line against `import sympy`, and the
generated NumPy gradient against JAX and PyTorch.

    python -m pip install ".[bench]" && python benchmarks/speed.py

Times are the best of repeated runs (timeit's advice on a shared machine), taken in turns
where several are compared in one process; in float64; JAX's compilation and every first call
are left out. Without JAX or PyTorch their columns say so
and the rest still runs.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import sympy

import matcalc

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from networks import network

DEPTHS = (8, 16, 32, 64, 128)
SIZES = (256, 1024)
MLP = "||tanh(X W1) W2 - Y||_F^2"


def best_times(
    runs: Mapping[Any, Callable[[], Any]], repeat: int, setup: Callable[[], Any] = lambda: None
) -> dict[Any, float]:
    """The shortest wall time of each run over `repeat` rounds, after a round to warm up. Each
    round takes the runs in turn, so that a slow spell of the shared machine falls on all of
    them alike, and the shortest time is timeit's advice for such a machine, where longer times
    come from the neighbours rather than from the code. The garbage collector is off while
    timing, as timeit has it; `setup` runs before each timing."""
    for run in runs.values():
        run()
    times: dict[Any, list[float]] = {key: [] for key in runs}
    for _ in range(repeat):
        for key, run in runs.items():
            setup()
            gc.collect()
            gc.disable()
            start = time.perf_counter()
            run()
            times[key].append(time.perf_counter() - start)
            gc.enable()
    return {key: min(found) for key, found in times.items()}


def best_time(run: Callable[[], Any], repeat: int) -> float:
    return best_times({"": run}, repeat)[""]


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def depth() -> list[str]:
    lines = [
        "## 1. Derivation time and printed size against depth",
        f"`matcalc.diff` of the L-layer network `{network(3)}`-style objective with respect to W1",
        "(parse, derive, simplify); sizes are characters of the result with its named values, and",
        "of the whole text derivation.",
        "",
        "| L | time | result | derivation text | time / time(L/2) |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    objectives = {layers: network(layers) for layers in DEPTHS}
    runs = {layers: lambda e=text: matcalc.diff(e, "W1") for layers, text in objectives.items()}
    times = best_times(runs, repeat=25)
    for layers in DEPTHS:
        derivation = matcalc.diff(network(layers), "W1")
        result = len(str(derivation.result)) + sum(len(str(b.value)) for b in derivation.where)
        ratio = f"{times[layers] / times[layers // 2]:.2f}" if layers // 2 in times else ""
        lines.append(
            f"| {layers} | {times[layers] * 1e3:.1f} ms | {result:,} | "
            f"{len(derivation.text()):,} | {ratio} |"
        )
    ratio, longest = times[128] / times[64], times[128]
    lines += [
        "",
        f"time(128) / time(64) = {ratio:.2f} (target ≤ 2.3: {verdict(ratio <= 2.3)}); "
        f"time(128) = {longest:.3f} s (target ≤ 0.5 s: {verdict(longest <= 0.5)})",
    ]
    return lines


def _sympy_objectives(length: int) -> dict[str, tuple[str, Callable[[], Any]]]:
    """Each kind of objective both can do, in matcalc's notation and as SymPy builds it."""
    n = sympy.Symbol("n")
    X, B = sympy.MatrixSymbol("X", n, n), sympy.MatrixSymbol("B", n, n)
    chain = sympy.MatMul(*(sympy.MatrixSymbol(f"A{i}", n, n) for i in range(1, length + 1)))
    product = " ".join(f"A{i}" for i in range(1, length + 1))
    return {
        "linear chain, tr(A1 … AL X)": (f"tr({product} X)", lambda: sympy.Trace(chain * X)),
        "Frobenius norm, ||A1 … AL X - B||_F^2": (
            f"||{product} X - B||_F^2",
            lambda: sympy.Trace((chain * X - B).T * (chain * X - B)),
        ),
        "trace of a quadratic, tr(X^T A1 … AL X)": (
            f"tr(X^T {product} X)",
            lambda: sympy.Trace(X.T * chain * X),
        ),
    }


def against_sympy() -> list[str]:
    lines = [
        "## 2. matcalc against SymPy's MatrixExpr.diff",
        "Both with respect to X, both from a built expression (matcalc from its text, which",
        "includes parsing); SymPy's cache is cleared before each run.",
        "",
        "| objective | L | matcalc | SymPy | SymPy / matcalc |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    X = sympy.MatrixSymbol("X", sympy.Symbol("n"), sympy.Symbol("n"))
    cases = [(n, *case) for n in (4, 8, 16) for case in _sympy_objectives(n).items()]
    runs: dict[tuple[str, int, str], Callable[[], Any]] = {}
    for length, name, (text, build) in cases:
        runs["matcalc", length, name] = lambda t=text: matcalc.diff(t, "X")
        runs["sympy", length, name] = lambda b=build: b().diff(X)
    times = best_times(runs, repeat=9, setup=sympy.core.cache.clear_cache)
    worst = float("inf")
    for length, name, _ in cases:
        ours, theirs = times["matcalc", length, name], times["sympy", length, name]
        worst = min(worst, theirs / ours)
        lines.append(
            f"| {name} | {length} | {ours * 1e3:.2f} ms | {theirs * 1e3:.1f} ms | "
            f"{theirs / ours:.0f}× |"
        )
    lines += ["", f"smallest speed-up {worst:.0f}× (target ≥ 10×: {verdict(worst >= 10)})"]
    return lines


def command_line() -> list[str]:
    seed = ["matcalc", "diff", "||X - D R||_F^2", "--wrt", "D"]
    commands = {
        "seed": seed,
        "sympy": [sys.executable, "-c", "import sympy"],
        "python": [sys.executable, "-c", "pass"],
    }
    runs = {
        key: lambda c=command: subprocess.run(c, check=True, capture_output=True)
        for key, command in commands.items()
    }
    walls = best_times(runs, repeat=20)
    ours, sympy_import, python = walls["seed"], walls["sympy"], walls["python"]
    ratio = ours / sympy_import
    return [
        "## 3. The command line against `import sympy`",
        "",
        "| command | wall time |",
        "| --- | ---: |",
        f'| `{" ".join(seed[:2])} "{seed[2]}" {" ".join(seed[3:])}` | {ours:.3f} s |',
        f'| `python -c "import sympy"` | {sympy_import:.3f} s |',
        f'| `python -c "pass"` | {python:.3f} s |',
        "",
        f"matcalc / import sympy = {ratio:.2f} (target ≤ 0.6: {verdict(ratio <= 0.6)})",
    ]


def _generated(directory: Path) -> Callable[..., Any]:
    """The generated f and gradients of the MLP loss, imported as a user would."""
    path = directory / "mlp_gradient.py"
    path.write_text(matcalc.codegen(MLP, ["W1", "W2"]), encoding="utf-8")
    sys.path.insert(0, str(directory))
    import mlp_gradient  # type: ignore[import-not-found]

    function: Callable[..., Any] = mlp_gradient.f_and_grad
    return function


def _numpy_f(arrays: dict[str, np.ndarray]) -> Callable[[], Any]:
    X, W1, W2, Y = (arrays[k] for k in ("X", "W1", "W2", "Y"))
    return lambda: np.sum((np.tanh(X @ W1) @ W2 - Y) ** 2)


def _matcalc(arrays: dict[str, np.ndarray]) -> Callable[[], Any]:
    generated = _generated(Path(tempfile.mkdtemp()))
    X, W1, W2, Y = (arrays[k] for k in ("X", "W1", "W2", "Y"))
    return lambda: generated(X, W1, W2, Y)


def _matcalc_torch(arrays: dict[str, np.ndarray]) -> Callable[[], Any]:
    import torch

    generated = _generated(Path(tempfile.mkdtemp()))
    X, W1, W2, Y = (torch.from_numpy(arrays[k]) for k in ("X", "W1", "W2", "Y"))
    return lambda: generated(X, W1, W2, Y)


def _jax(arrays: dict[str, np.ndarray]) -> Callable[[], Any]:
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    def loss(W1: Any, W2: Any, X: Any, Y: Any) -> Any:
        return jnp.sum((jnp.tanh(X @ W1) @ W2 - Y) ** 2)

    gradient = jax.jit(jax.grad(loss, argnums=(0, 1)))
    values = [jnp.asarray(arrays[k]) for k in ("W1", "W2", "X", "Y")]
    return lambda: jax.block_until_ready(gradient(*values))


def _torch(arrays: dict[str, np.ndarray]) -> Callable[[], Any]:
    import torch

    X, Y = torch.from_numpy(arrays["X"]), torch.from_numpy(arrays["Y"])
    W1 = torch.from_numpy(arrays["W1"]).requires_grad_()
    W2 = torch.from_numpy(arrays["W2"]).requires_grad_()

    def run() -> Any:
        loss = torch.sum((torch.tanh(X @ W1) @ W2 - Y) ** 2)
        return torch.autograd.grad(loss, (W1, W2))

    return run


CONTESTANTS = {
    "f": _numpy_f,
    "matcalc": _matcalc,
    "jax": _jax,
    "torch": _torch,
    "matcalc-torch": _matcalc_torch,
}


def contestant_time(who: str, n: int) -> float:
    """In this process, which runs nothing else: the best time of one contestant."""
    rng = np.random.default_rng(0)
    arrays = {k: rng.normal(size=(n, n)) / np.sqrt(n) for k in ("X", "W1", "W2", "Y")}
    return best_time(CONTESTANTS[who](arrays), repeat=200 if n <= 256 else 30)


def _alone(who: str, n: int) -> float | None:
    """The contestant's time in a fresh process of its own, so that no library's threads
    (OpenMP's, XLA's) wait on the cores while another one runs; None if not installed."""
    done = subprocess.run(
        [sys.executable, __file__, "--time", who, str(n)], capture_output=True, text=True
    )
    if done.returncode != 0:
        if "ModuleNotFoundError" in done.stderr:
            return None
        raise RuntimeError(done.stderr)
    return float(done.stdout)


def gradients() -> list[str]:
    lines = [
        "## 4. The generated NumPy gradient against JAX and PyTorch",
        f"f = `{MLP}` with X, W1, W2, Y all n×n, float64, gradients with respect to W1 and W2.",
        "matcalc: the function `matcalc codegen` writes (f and both gradients), on NumPy arrays;",
        "f alone: NumPy's np.sum((np.tanh(X @ W1) @ W2 - Y) ** 2). JAX: jax.jit(jax.grad(f,",
        "argnums=(0, 1))); PyTorch: torch.autograd.grad of the loss, on the CPU; the last",
        "column runs matcalc's same generated function on PyTorch tensors. Each in a process",
        "of its own.",
        "",
        "| n | f alone | matcalc f and gradients | gradient / f | JAX | PyTorch | "
        "matcalc / JAX | matcalc / PyTorch | matcalc's code on PyTorch |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    notes = []
    for n in SIZES:
        f_alone, ours, *times, on_torch = (_alone(who, n) for who in CONTESTANTS)
        assert f_alone is not None and ours is not None
        shown = [f"{t * 1e3:.2f} ms" if t else "not installed" for t in (*times, on_torch)]
        ratios = [f"{ours / t:.2f}" if t else "" for t in times]
        lines.append(
            f"| {n} | {f_alone * 1e3:.2f} ms | {ours * 1e3:.2f} ms | {ours / f_alone:.2f} | "
            f"{shown[0]} | {shown[1]} | {ratios[0]} | {ratios[1]} | {shown[2]} |"
        )
        cheap = ours / f_alone <= 3
        fast = all(t is None or ours <= 1.1 * t for t in times)
        notes.append(
            f"n = {n}: gradient / f ≤ 3 {verdict(cheap)}; ≤ 1.1× JAX and PyTorch {verdict(fast)}"
        )
    return [*lines, "", *notes]


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown CPU",
    )
    return (
        f"Machine: {cpu}, {os.cpu_count()} cores; Python {sys.version.split()[0]}, "
        f"NumPy {np.__version__}, SymPy {sympy.__version__}, matcalc {matcalc.__version__}"
    )


def main() -> int:
    if sys.argv[1:2] == ["--time"]:
        print(contestant_time(sys.argv[2], int(sys.argv[3])))
        return 0
    sections = [[machine()], depth(), against_sympy(), command_line(), gradients()]
    print("\n\n".join("\n".join(section) for section in sections))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
