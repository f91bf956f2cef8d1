"""The parity rows shared by run_matcalc.py and run_tensorgrad.py, with their NumPy reference.

Each row has an id, the objective in matcalc's notation, the variable, the kind of derivative
("grad", "hessian" for a column's Hessian, "hvp" for a Hessian-vector product in direction V),
the sizes of every input (distinct sizes 3, 4, 5, ...), how inputs are drawn, and the objective
written in NumPy, f(env) -> float, whose central differences are the reference both tools are
checked against. Vectors are 1-D arrays here; each runner converts them as its tool needs.

This module is imported by the runners; it is not run on its own.
"""

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

TIMEOUT = 120
"""Seconds each row's subprocess may take, its imports (of torch and tensorgrad, or of matcalc)
included."""


def run_in_subprocess(script, row_id):
    """One row measured by `script --row ROW` in a process of its own: its JSON record, or
    what went wrong (a crash, a timeout), with the wall time."""
    t0 = time.perf_counter()
    try:
        p = subprocess.run(
            [sys.executable, script, "--row", row_id],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
        if p.returncode == 0 and p.stdout.strip():
            rec = json.loads(p.stdout.strip().splitlines()[-1])
        else:
            rec = {"id": row_id, "crashed": True, "returncode": p.returncode}
        if p.stderr.strip():
            rec["stderr_tail"] = p.stderr[-2000:]
    except subprocess.TimeoutExpired:
        rec = {"id": row_id, "timeout": True, "timeout_s": TIMEOUT}
    rec["wall_s_subprocess"] = time.perf_counter() - t0
    return rec


def trim(text, n=400):
    """`text` on one line, cut to `n` characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 3] + "..."


def failure(rec, width):
    """The summary line of a row whose subprocess timed out or crashed; None otherwise."""
    rid = f"{rec['id']:>{width}}"
    if rec.get("timeout"):
        return f"{rid}  timeout after {TIMEOUT} s"
    if rec.get("crashed"):
        return f"{rid}  crashed (exit code {rec['returncode']})"
    return None


def write_results(path, meta, results):
    """The run's records and what it ran on, as JSON at `path`."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w") as fh:
        json.dump({"meta": meta, "rows": results}, fh, indent=1, ensure_ascii=False)
    print(f"wrote {out}")


TENSORGRAD_LAYERNORM_EPS = 1e-5
"""The epsilon under the square root of tensorgrad's layer norm (row 13), as run_tensorgrad.py
builds it; matcalc's layernorm has none."""


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _log_softmax_rows(z):
    m = z.max(axis=-1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))


def _softmax_rows(z):
    return np.exp(_log_softmax_rows(z))


def _layernorm_rows(z, eps):
    mu = z.mean(axis=-1, keepdims=True)
    var = ((z - mu) ** 2).mean(axis=-1, keepdims=True)
    return (z - mu) / np.sqrt(var + eps)


def _layernorm_objective(eps):
    return lambda e: float(np.sum(e["Y"] * _layernorm_rows(e["X"] @ e["W"], eps)))


def _attention(e):
    d = e["Q"].shape[1]
    return _softmax_rows(e["Q"] @ e["K"].T / np.sqrt(d)) @ e["V"]


ROWS = [
    dict(
        id="1",
        label="||X w - y||_2^2 by w",
        expr="||X w - y||_2^2",
        wrt="w",
        kind="grad",
        sizes={"X": (5, 4), "w": (4,), "y": (5,)},
        f=lambda e: float(np.sum((e["X"] @ e["w"] - e["y"]) ** 2)),
    ),
    dict(
        id="2",
        label="||A X B - C||_F^2 by X",
        expr="||A X B - C||_F^2",
        wrt="X",
        kind="grad",
        sizes={"A": (3, 4), "X": (4, 5), "B": (5, 6), "C": (3, 6)},
        f=lambda e: float(np.sum((e["A"] @ e["X"] @ e["B"] - e["C"]) ** 2)),
    ),
    dict(
        id="3",
        label="tr(X^T A X) by X",
        expr="tr(X^T A X)",
        wrt="X",
        kind="grad",
        sizes={"X": (4, 3), "A": (4, 4)},
        f=lambda e: float(np.trace(e["X"].T @ e["A"] @ e["X"])),
    ),
    dict(
        id="4",
        label="x^T A x by x",
        expr="x^T A x",
        wrt="x",
        kind="grad",
        sizes={"x": (4,), "A": (4, 4)},
        f=lambda e: float(e["x"] @ e["A"] @ e["x"]),
    ),
    dict(
        id="5",
        label="logdet(X) by X (X positive definite in the check)",
        expr="logdet(X)",
        wrt="X",
        kind="grad",
        sizes={"X": (4, 4)},
        draw={"X": "spd"},
        f=lambda e: float(np.linalg.slogdet(e["X"])[1]),
    ),
    dict(
        id="6",
        label="tr(A X^{-1} B) by X",
        expr="tr(A X^{-1} B)",
        wrt="X",
        kind="grad",
        sizes={"A": (3, 4), "X": (4, 4), "B": (4, 3)},
        draw={"X": "well-conditioned"},
        f=lambda e: float(np.trace(e["A"] @ np.linalg.inv(e["X"]) @ e["B"])),
    ),
    dict(
        id="7",
        label="logistic loss sum(log(1 + exp(-y ⊙ (X w)))) by w",
        expr="sum(log(1 + exp(-y ⊙ (X w))))",
        wrt="w",
        kind="grad",
        sizes={"X": (5, 4), "w": (4,), "y": (5,)},
        draw={"y": "pm1"},
        f=lambda e: float(np.sum(np.log1p(np.exp(-e["y"] * (e["X"] @ e["w"]))))),
    ),
    dict(
        id="8",
        label="sum(log(sigmoid(X w))) by w",
        expr="sum(log(sigmoid(X w)))",
        wrt="w",
        kind="grad",
        sizes={"X": (5, 4), "w": (4,)},
        f=lambda e: float(np.sum(np.log(_sigmoid(e["X"] @ e["w"])))),
    ),
    dict(
        id="9",
        label="cross_entropy(X W, Y) = -sum(Y ⊙ log_softmax(X W)), rows, by W",
        expr="cross_entropy(X W, Y)",
        wrt="W",
        kind="grad",
        sizes={"X": (5, 3), "W": (3, 4), "Y": (5, 4)},
        f=lambda e: float(-np.sum(e["Y"] * _log_softmax_rows(e["X"] @ e["W"]))),
    ),
    dict(
        id="10",
        label="logsumexp(x) by x (vector)",
        expr="logsumexp(x)",
        wrt="x",
        kind="grad",
        sizes={"x": (5,)},
        f=lambda e: float(np.log(np.sum(np.exp(e["x"])))),
    ),
    dict(
        id="11",
        label="||tanh(X W1) W2 - Y||_F^2 by W1",
        expr="||tanh(X W1) W2 - Y||_F^2",
        wrt="W1",
        kind="grad",
        sizes={"X": (6, 3), "W1": (3, 4), "W2": (4, 5), "Y": (6, 5)},
        f=lambda e: float(np.sum((np.tanh(e["X"] @ e["W1"]) @ e["W2"] - e["Y"]) ** 2)),
    ),
    dict(
        id="12",
        label="||relu(X W1) W2 - Y||_F^2 by W1",
        expr="||relu(X W1) W2 - Y||_F^2",
        wrt="W1",
        kind="grad",
        sizes={"X": (6, 3), "W1": (3, 4), "W2": (4, 5), "Y": (6, 5)},
        f=lambda e: float(np.sum((np.maximum(e["X"] @ e["W1"], 0) @ e["W2"] - e["Y"]) ** 2)),
    ),
    dict(
        id="13",
        label="sum(Y ⊙ layernorm(X W)) by W (rows, no affine part, no epsilon)",
        expr="sum(Y ⊙ layernorm(X W))",
        wrt="W",
        kind="grad",
        sizes={"X": (5, 3), "W": (3, 4), "Y": (5, 4)},
        # matcalc's layernorm has no epsilon, so the reference has eps = 0. tensorgrad's
        # construction puts TENSORGRAD_LAYERNORM_EPS under the square root (as tensorgrad's own
        # layer norm does) and is checked against the same objective with that epsilon.
        f=_layernorm_objective(0.0),
        tensorgrad_f=_layernorm_objective(TENSORGRAD_LAYERNORM_EPS),
    ),
    dict(
        id="14Q",
        label="attention sum(Y ⊙ (softmax(Q K^T / sqrt(d)) V)) by Q",
        expr="sum(Y ⊙ (softmax(Q K^T / sqrt(d)) V))",
        wrt="Q",
        kind="grad",
        sizes={"Q": (3, 4), "K": (5, 4), "V": (5, 6), "Y": (3, 6)},
        scalar_d="Q",
        f=lambda e: float(np.sum(e["Y"] * _attention(e))),
    ),
    dict(
        id="14K",
        label="attention ... by K",
        expr="sum(Y ⊙ (softmax(Q K^T / sqrt(d)) V))",
        wrt="K",
        kind="grad",
        sizes={"Q": (3, 4), "K": (5, 4), "V": (5, 6), "Y": (3, 6)},
        scalar_d="Q",
        f=lambda e: float(np.sum(e["Y"] * _attention(e))),
    ),
    dict(
        id="14V",
        label="attention ... by V",
        expr="sum(Y ⊙ (softmax(Q K^T / sqrt(d)) V))",
        wrt="V",
        kind="grad",
        sizes={"Q": (3, 4), "K": (5, 4), "V": (5, 6), "Y": (3, 6)},
        scalar_d="Q",
        f=lambda e: float(np.sum(e["Y"] * _attention(e))),
    ),
    dict(
        id="15a",
        label="tr(A ⊗ X) by X",
        expr="tr(A ⊗ X)",
        wrt="X",
        kind="grad",
        sizes={"A": (3, 3), "X": (4, 4)},
        mc_shapes={"A": ("m", "m"), "X": ("n", "n")},
        f=lambda e: float(np.trace(np.kron(e["A"], e["X"]))),
    ),
    dict(
        id="15b",
        label="||A ⊗ X - C||_F^2 by X",
        expr="||A ⊗ X - C||_F^2",
        wrt="X",
        kind="grad",
        sizes={"A": (2, 3), "X": (4, 5), "C": (8, 15)},
        mc_shapes={"A": ("m", "n"), "X": ("p", "q")},
        f=lambda e: float(np.sum((np.kron(e["A"], e["X"]) - e["C"]) ** 2)),
    ),
    dict(
        id="16a",
        label="Hessian of x^T A x by x",
        expr="x^T A x",
        wrt="x",
        kind="hessian",
        sizes={"x": (4,), "A": (4, 4)},
        f=lambda e: float(e["x"] @ e["A"] @ e["x"]),
    ),
    dict(
        id="16b",
        label="Hessian-vector product of ||A X B - C||_F^2 by X in direction V",
        expr="||A X B - C||_F^2",
        wrt="X",
        kind="hvp",
        sizes={"A": (3, 4), "X": (4, 5), "B": (5, 6), "C": (3, 6), "V": (4, 5)},
        f=lambda e: float(np.sum((e["A"] @ e["X"] @ e["B"] - e["C"]) ** 2)),
    ),
    dict(
        id="17",
        label="sum(sqrt(X)) by X (X positive)",
        expr="sum(sqrt(X))",
        wrt="X",
        kind="grad",
        sizes={"X": (3, 4)},
        draw={"X": "positive"},
        f=lambda e: float(np.sum(np.sqrt(e["X"]))),
    ),
    dict(
        id="18",
        label="mean((X w - y)^{∘2}) by w",
        expr="mean((X w - y)^{∘2})",
        wrt="w",
        kind="grad",
        sizes={"X": (5, 4), "w": (4,), "y": (5,)},
        f=lambda e: float(np.mean((e["X"] @ e["w"] - e["y"]) ** 2)),
    ),
]

BY_ID = {r["id"]: r for r in ROWS}


def inputs(row, seed=0):
    """Random float64 inputs in [-1, 1] (or as the row's `draw` says), one array per name; for
    the attention rows also d, the number of columns of Q."""
    rng = np.random.default_rng(seed)
    env = {}
    for name, shape in row["sizes"].items():
        how = row.get("draw", {}).get(name)
        if how == "spd":
            n = shape[0]
            m = rng.uniform(-1, 1, (n, n))
            env[name] = m @ m.T + n * np.eye(n)
        elif how == "well-conditioned":
            n = shape[0]
            env[name] = rng.uniform(-1, 1, (n, n)) + n * np.eye(n)
        elif how == "positive":
            env[name] = rng.uniform(0.5, 1.5, shape)
        elif how == "pm1":
            env[name] = rng.choice([-1.0, 1.0], size=shape)
        else:
            env[name] = rng.uniform(-1, 1, shape)
    if row.get("scalar_d"):
        env["d"] = float(env[row["scalar_d"]].shape[1])
    return env


def _f_at(row, env, value):
    return row["f"]({**env, row["wrt"]: value})


def fd_gradient(row, env, h=1e-6):
    """Central differences of f by the row's variable, in its shape."""
    x = env[row["wrt"]]
    g = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[k] = h
        g[k] = (_f_at(row, env, x + e) - _f_at(row, env, x - e)) / (2 * h)
    return g


def fd_mixed(row, env, direction, h=1e-4):
    """Central mixed second differences of f: entry k is d/dx_k d/dt f(x + t direction), so a
    Hessian times the direction (for a column, direction = e_l gives column l)."""
    x = env[row["wrt"]]
    v = h * direction
    out = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[k] = h
        out[k] = (
            _f_at(row, env, x + e + v)
            - _f_at(row, env, x + e - v)
            - _f_at(row, env, x - e + v)
            + _f_at(row, env, x - e - v)
        ) / (4 * h * h)
    return out


def fd_hessian(row, env):
    """The Hessian of f by a vector variable, column by column from fd_mixed."""
    x = env[row["wrt"]]
    n = x.size
    cols = []
    for col in range(n):
        d = np.zeros(n)
        d[col] = 1.0
        cols.append(fd_mixed(row, env, d.reshape(x.shape)).ravel())
    return np.stack(cols, axis=1)


def reference(row, env):
    """The central-difference value that a tool's derivative is compared with."""
    if row["kind"] == "grad":
        return fd_gradient(row, env)
    if row["kind"] == "hessian":
        return fd_hessian(row, env)
    if row["kind"] == "hvp":
        return fd_mixed(row, env, env["V"])
    raise ValueError(row["kind"])


def relative_error(found, expected):
    """||found - expected|| / ||expected|| (found reshaped to expected's shape if it has as many
    entries)."""
    found = np.asarray(found, dtype=float)
    expected = np.asarray(expected, dtype=float)
    if found.shape != expected.shape:
        if found.size == expected.size:
            found = found.reshape(expected.shape)
        else:
            raise ValueError(f"shape {found.shape} against {expected.shape}")
    return float(np.linalg.norm(found - expected) / max(np.linalg.norm(expected), 1e-8))
