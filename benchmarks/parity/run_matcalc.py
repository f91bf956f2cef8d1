"""Run every parity row (rows.py) through matcalc and write the results as JSON.

From the repository root, with matcalc importable (e.g. installed in editable mode):

    python benchmarks/parity/run_matcalc.py [--out matcalc_results.json]
    python benchmarks/parity/run_matcalc.py --row 9    # one row, its JSON record on stdout

Each row runs in its own subprocess with a timeout, and prints one line: whether it derived,
the best of 5 times, matcalc's gradcheck, the same-input check and the result. The results go
to --out (default: matcalc_results.json in the current directory).

For each row: matcalc.diff(expr, wrt) (matcalc.hessian for a Hessian, direction="V" for the
Hessian-vector product); its time, the first call and the best of the next 5 (parse, derive,
simplify); the result with its named values; matcalc.gradcheck(derivation) (matcalc's own
check, on its own random inputs); and the same-input check: derivation.evaluate(env) on the
inputs of rows.inputs, against central differences of the row's NumPy objective.
"""

import argparse
import json
import subprocess
import sys
import time
import traceback
from pathlib import Path

import numpy as np
import rows as R

import matcalc

POSITIVE = {"17", "14Q", "14K", "14V"}
"""Rows whose gradcheck draws its inputs from [0.5, 1.5] (sqrt of X; sqrt of d)."""


def shapes_of(row):
    return {"d": "scalar"} if row.get("scalar_d") else row.get("mc_shapes")


def call(row):
    shapes = shapes_of(row)
    if row["kind"] == "grad":
        return matcalc.diff(row["expr"], row["wrt"], shapes=shapes)
    if row["kind"] == "hessian":
        return matcalc.hessian(row["expr"], row["wrt"], shapes=shapes)
    if row["kind"] == "hvp":
        return matcalc.hessian(row["expr"], row["wrt"], direction="V", shapes=shapes)
    raise ValueError(row["kind"])


def call_text(row):
    """The call that `call` makes, as text."""
    function = "diff" if row["kind"] == "grad" else "hessian"
    text = f'matcalc.{function}("{row["expr"]}", "{row["wrt"]}"'
    if row["kind"] == "hvp":
        text += ', direction="V"'
    if shapes_of(row):
        text += f", shapes={shapes_of(row)}"
    return text + ")"


def run_row(row_id):
    row = R.BY_ID[row_id]
    rec = {key: row[key] for key in ("id", "label", "expr", "wrt", "kind")}
    rec["call"] = call_text(row)
    if row.get("mc_shapes"):
        try:  # what happens without the declared shapes
            matcalc.diff(row["expr"], row["wrt"])
            rec["without_shapes"] = "succeeds"
        except Exception as e:
            rec["without_shapes"] = f"{type(e).__name__}: {e}"
    times = []
    try:
        for _ in range(6):  # the first call is the cold one; best of the next 5 is the warm time
            t0 = time.perf_counter()
            d = call(row)
            times.append(time.perf_counter() - t0)
    except Exception as e:
        rec["ok"] = False
        rec["error_type"] = type(e).__name__
        rec["error"] = str(e)
        rec["time_to_error_s"] = time.perf_counter() - t0
        return rec
    rec["ok"] = True
    rec["time_first_s"] = times[0]
    rec["time_best5_s"] = min(times[1:])
    rec["result"] = str(d.result)
    rec["where"] = [f"{b.name} = {b.value}" for b in d.result_where]
    rec["kind_reported"] = d.kind
    try:
        rec["factored"] = str(d.factored())
    except Exception as e:
        rec["factored"] = f"(failed: {type(e).__name__}: {R.trim(e, 150)})"
    rec["notes"] = [str(n) for n in d.notes]
    rec["assumptions"] = [str(a) for a in d.assumptions] if d.assumptions else []
    try:
        rec["gradcheck"] = matcalc.gradcheck(d, positive=row_id in POSITIVE)
    except Exception as e:
        rec["gradcheck_error"] = f"{type(e).__name__}: {R.trim(e)}"
    env = R.inputs(row, seed=0)
    ref = R.reference(row, env)
    columns = {
        k: (v.reshape(-1, 1) if isinstance(v, np.ndarray) and v.ndim == 1 else v)
        for k, v in env.items()
    }
    try:
        val = np.asarray(d.evaluate(columns), dtype=float).reshape(ref.shape)
        rec["check_same_inputs"] = R.relative_error(val, ref)
    except Exception as e:
        rec["check_same_inputs_error"] = f"{type(e).__name__}: {R.trim(e)}"
        rec["traceback"] = traceback.format_exc()[-1200:]
    return rec


def number(x):
    return f"{x:.1e}" if isinstance(x, float) else str(x)


def summary(rec):
    if (failed := R.failure(rec, 4)) is not None:
        return failed
    if not rec["ok"]:
        return f"{rec['id']:>4}  error  {R.trim(rec['error'], 160)}"
    gradcheck = rec.get("gradcheck", rec.get("gradcheck_error"))
    check = rec.get("check_same_inputs", rec.get("check_same_inputs_error"))
    return (
        f"{rec['id']:>4}  ok  best5 {rec['time_best5_s'] * 1e3:.1f} ms  "
        f"gradcheck {number(gradcheck)}  check {number(check)}  {R.trim(rec['result'], 160)}"
    )


def git(*args):
    """A git command's output in the directory matcalc was imported from ("" outside git)."""
    where = Path(matcalc.__file__).parent
    p = subprocess.run(["git", "-C", str(where), *args], capture_output=True, text=True)
    return p.stdout.strip() if p.returncode == 0 else ""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--row", help="run this row only and print its record as JSON")
    parser.add_argument("--out", default="matcalc_results.json", help="where to write the JSON")
    args = parser.parse_args()
    if args.row:
        print(json.dumps(run_row(args.row), ensure_ascii=False))
        return
    results = []
    for row in R.ROWS:
        rec = R.run_in_subprocess(__file__, row["id"])
        print(summary(rec), flush=True)
        results.append(rec)
    meta = {
        "python": sys.version,
        "matcalc": getattr(matcalc, "__version__", "?"),
        "matcalc_file": matcalc.__file__,
        "matcalc_git_head": git("rev-parse", "HEAD"),
        "matcalc_git_changes": git("status", "--porcelain"),
        "numpy": np.__version__,
        "timeout_s_per_row": R.TIMEOUT,
    }
    R.write_results(args.out, meta, results)


if __name__ == "__main__":
    main()
