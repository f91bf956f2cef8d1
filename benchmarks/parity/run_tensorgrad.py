"""Run every parity row (rows.py) through tensorgrad and write the results as JSON.

tensorgrad needs an environment of its own (CI does not run this script):

    python3.11 -m venv /tmp/tensorgrad-venv
    /tmp/tensorgrad-venv/bin/pip install numpy tensorgrad==0.3.0 torch==2.12.1

torch is pinned to 2.12.1 because tensorgrad evaluates its expressions through torch's named
tensors, which torch 2.13 removed. Then, from the repository root:

    /tmp/tensorgrad-venv/bin/python benchmarks/parity/run_tensorgrad.py [--out FILE]
    /tmp/tensorgrad-venv/bin/python benchmarks/parity/run_tensorgrad.py --row 9   # one row

Each row runs in its own subprocess with a timeout, and prints one line: whether it could be
written and derived, the best of 5 times and the check. The results go to --out (default:
tensorgrad_results.json in the current directory).

For each row (and 13-fused, row 13 through tensorgrad's fused F.layer_norm): build the
objective with tensorgrad's API (named edges); time Derivative(objective, variable).simplify()
on freshly built expressions, the first call and the best of the next 5; print it
(to_index_free and to_index of .simplify() and of .full_simplify(), and the repr); evaluate it
with tensorgrad.extras.evaluate (torch named tensors, float64), falling back to tensorgrad's
compiler, and with the compiler alone; compare with central differences of the row's NumPy
objective (for row 13, with tensorgrad's epsilon under the square root).
"""

import argparse
import importlib.metadata as md
import json
import sys
import time
import traceback
from fractions import Fraction

import rows as R


def builders():
    """Each row's builder: a function returning a dict with the objective, the variable, the
    Variables by name, a note on how the objective is written, and converters for inputs that
    are not plain matrices or vectors. Each call builds fresh objects, so that timing sees no
    cached state."""
    import sympy as sp
    import tensorgrad.functions as F
    from tensorgrad import Delta, Ones, Variable

    m, n, p, q, k, dd = sp.symbols("m n p q k d")
    eps = R.TENSORGRAD_LAYERNORM_EPS

    def b1():
        X, w, y = Variable("X", i=m, j=n), Variable("w", j=n), Variable("y", i=m)
        r = X @ w - y
        return dict(
            obj=F.frobenius2(r),
            wrt=w,
            vars=dict(X=X, w=w, y=y),
            how="r = X @ w - y; F.frobenius2(r)",
        )

    def b2():
        A, X = Variable("A", i=m, j=n), Variable("X", j=n, k=p)
        B, C = Variable("B", k=p, l=q), Variable("C", i=m, l=q)
        return dict(
            obj=F.frobenius2(A @ X @ B - C),
            wrt=X,
            vars=dict(A=A, X=X, B=B, C=C),
            how="F.frobenius2(A @ X @ B - C)",
        )

    def b3():
        X, A = Variable("X", i=m, j=n), Variable("A", i=m, k=m)
        return dict(
            obj=X @ A @ X.rename(i="k"),
            wrt=X,
            vars=dict(X=X, A=A),
            how="X(i,j) @ A(i,k) @ X.rename(i='k')  (= sum X_ij A_ik X_kj)",
        )

    def b4():
        x, A = Variable("x", i=n), Variable("A", i=n, j=n)
        return dict(
            obj=x @ A @ x.rename(i="j"),
            wrt=x,
            vars=dict(x=x, A=A),
            how="x(i) @ A(i,j) @ x.rename(i='j')",
        )

    def b5():
        X = Variable("X", i=n, j=n)
        return dict(obj=F.log(F.det(X)), wrt=X, vars=dict(X=X), how="F.log(F.det(X))")

    def b6():
        # F.inverse(X) keeps X's edge names, such that edges with the same name cancel:
        # evaluated, inverse(X)[j=b, k=a] = (X^{-1})[a, b] (tensorgrad/extras/evaluate.py), so
        # the matrix X^{-1} enters through edge k on its left and edge j on its right.
        A, X, B = Variable("A", i=m, k=n), Variable("X", j=n, k=n), Variable("B", j=n, i=m)
        return dict(
            obj=A @ F.inverse(X) @ B,
            wrt=X,
            vars=dict(A=A, X=X, B=B),
            how="A(i,k) @ F.inverse(X(j,k)) @ B(j,i): F.inverse keeps X's edge names, "
            "same-named edges cancel, so the matrix X^{-1} is entered via edge k on the left "
            "and j on the right (A(i,j) @ F.inverse(X(j,k)) @ B(k,i) is tr(A X^{-T} B))",
        )

    def b7():
        X, w, y = Variable("X", i=m, j=n), Variable("w", j=n), Variable("y", i=m)
        return dict(
            obj=F.sum(F.log(1 + F.exp(-y * (X @ w)))),
            wrt=w,
            vars=dict(X=X, w=w, y=y),
            how="F.sum(F.log(1 + F.exp(-y * (X @ w))))  (* is elementwise)",
        )

    def b8():
        X, w = Variable("X", i=m, j=n), Variable("w", j=n)
        return dict(
            obj=F.sum(F.log(F.sigmoid(X @ w))),
            wrt=w,
            vars=dict(X=X, w=w),
            how="F.sum(F.log(F.sigmoid(X @ w)))",
        )

    def b9():
        X, W, Y = Variable("X", i=m, j=n), Variable("W", j=n, c=k), Variable("Y", i=m, c=k)
        return dict(
            obj=F.sum(F.cross_entropy(X @ W, Y, dim="c")),
            wrt=W,
            vars=dict(X=X, W=W, Y=Y),
            how="F.sum(F.cross_entropy(X @ W, Y, dim='c'))  "
            "(cross_entropy = -sum_c Y * log_softmax)",
        )

    def b10():
        x = Variable("x", i=n)
        return dict(
            obj=F.log(F.sum(F.exp(x))),
            wrt=x,
            vars=dict(x=x),
            how="F.log(F.sum(F.exp(x)))  (no logsumexp function in tensorgrad.functions)",
        )

    def two_layers(activation):
        X, W1 = Variable("X", i=m, j=n), Variable("W1", j=n, h=p)
        W2, Y = Variable("W2", h=p, c=q), Variable("Y", i=m, c=q)
        return dict(
            obj=F.frobenius2(getattr(F, activation)(X @ W1) @ W2 - Y),
            wrt=W1,
            vars=dict(X=X, W1=W1, W2=W2, Y=Y),
            how=f"F.frobenius2(F.{activation}(X @ W1) @ W2 - Y)",
        )

    def b13():
        X, W, Y = Variable("X", i=m, j=n), Variable("W", j=n, c=k), Variable("Y", i=m, c=k)
        Z = X @ W
        mu = F.mean(Z, "c", keepdims=True)
        Zc = Z - mu
        var = F.mean(F.pow(Zc, 2), "c", keepdims=True)
        ln = Zc * F.pow(var + eps, Fraction(-1, 2))
        return dict(
            obj=F.sum(Y * ln),
            wrt=W,
            vars=dict(X=X, W=W, Y=Y),
            how="from primitives (tensorgrad's F.layer_norm is an opaque fused cell with "
            "weight and bias): Zc = Z - F.mean(Z,'c',keepdims=True); "
            "var = F.mean(F.pow(Zc,2),'c',keepdims=True); "
            f"F.sum(Y * Zc * F.pow(var + {eps}, -1/2))",
        )

    def b13_fused():
        X, W, Y = Variable("X", i=m, j=n), Variable("W", j=n, c=k), Variable("Y", i=m, c=k)
        ln = F.layer_norm(X @ W, dim="c", weight=Ones(c=k), bias=0 * Ones(c=k), eps=eps)
        return dict(
            obj=F.sum(Y * ln),
            wrt=W,
            vars=dict(X=X, W=W, Y=Y),
            how="F.sum(Y * F.layer_norm(X @ W, dim='c', weight=Ones(c=k), bias=0*Ones(c=k), "
            f"eps={eps}))",
        )

    def b14(which):
        def build():
            Q, K = Variable("Q", s=m, d=dd), Variable("K", t=n, d=dd)
            V, Y = Variable("V", t=n, e=p), Variable("Y", s=m, e=p)
            scores = (Q @ K) * F.pow(Delta(dd), Fraction(-1, 2))
            att = F.softmax(scores, dim="t")
            vs = dict(Q=Q, K=K, V=V, Y=Y)
            return dict(
                obj=F.sum(Y * (att @ V)),
                wrt=vs[which],
                vars=vs,
                how="scores = (Q(s,d) @ K(t,d)) * F.pow(Delta(d), -1/2)  (Delta(d) with no "
                "edges is the size of d); F.sum(Y * (F.softmax(scores, dim='t') @ V(t,e)))",
            )

        return build

    def b15a():
        A, X = Variable("A", i=m, j=m), Variable("X", k=n, l=n)
        K4 = F.kronecker(A, X)  # the tensor product, edges i, j, k, l (not flattened)
        return dict(
            obj=K4 @ Delta(m, "i", "j") @ Delta(n, "k", "l"),
            wrt=X,
            vars=dict(A=A, X=X),
            how="F.kronecker(A(i,j), X(k,l)) is the tensor product (4 edges; the docstring "
            "says to flatten it yourself for the matrix Kronecker product); trace of the "
            "flattened matrix = contraction with Delta(m,'i','j') @ Delta(n,'k','l')",
        )

    def b15b():
        A, X = Variable("A", i=m, j=n), Variable("X", k=p, l=q)
        C4 = Variable("C", i=m, k=p, j=n, l=q)
        return dict(
            obj=F.frobenius2(F.kronecker(A, X) - C4),
            wrt=X,
            vars=dict(A=A, X=X, C=C4),
            how="F.frobenius2(F.kronecker(A(i,j), X(k,l)) - C4(i,k,j,l)); the (m p)x(n q) "
            "matrix C is passed as the 4-tensor C.reshape(m,p,n,q) (the Frobenius norm does "
            "not see the reshape)",
            convert={
                "C": lambda a, e: a.reshape(
                    e["A"].shape[0], e["X"].shape[0], e["A"].shape[1], e["X"].shape[1]
                )
            },
        )

    def b16a():
        x, A = Variable("x", i=n), Variable("A", i=n, j=n)
        return dict(
            obj=x @ A @ x.rename(i="j"),
            wrt=x,
            vars=dict(x=x, A=A),
            how="f = x @ A @ x.rename(i='j'); H = f.grad(x).grad(x, {'i': 'i2'})",
        )

    def b16b():
        A, X = Variable("A", i=m, j=n), Variable("X", j=n, k=p)
        B, C = Variable("B", k=p, l=q), Variable("C", i=m, l=q)
        V = Variable("V", j=n, k=p)
        return dict(
            obj=F.frobenius2(A @ X @ B - C),
            wrt=X,
            vars=dict(A=A, X=X, B=B, C=C, V=V),
            how="f = F.frobenius2(A @ X @ B - C); hvp = (f.grad(X) @ V).grad(X)",
        )

    def b17():
        X = Variable("X", i=m, j=n)
        return dict(obj=F.sum(F.sqrt(X)), wrt=X, vars=dict(X=X), how="F.sum(F.sqrt(X))")

    def b18():
        X, w, y = Variable("X", i=m, j=n), Variable("w", j=n), Variable("y", i=m)
        return dict(
            obj=F.mean(F.pow(X @ w - y, 2)),
            wrt=w,
            vars=dict(X=X, w=w, y=y),
            how="F.mean(F.pow(X @ w - y, 2))",
        )

    return {
        "1": b1,
        "2": b2,
        "3": b3,
        "4": b4,
        "5": b5,
        "6": b6,
        "7": b7,
        "8": b8,
        "9": b9,
        "10": b10,
        "11": lambda: two_layers("tanh"),
        "12": lambda: two_layers("relu"),
        "13": b13,
        "13-fused": b13_fused,
        "14Q": b14("Q"),
        "14K": b14("K"),
        "14V": b14("V"),
        "15a": b15a,
        "15b": b15b,
        "16a": b16a,
        "16b": b16b,
        "17": b17,
        "18": b18,
    }


def derive(row, built):
    """The unsimplified derivative node and the names its result edges take for the
    variable's edges, in the variable's edge order."""
    obj, x = built["obj"], built["wrt"]
    if row["kind"] == "grad":
        d = obj.grad(x)
        return d, [d.new_names[e] for e in x.edges]
    if row["kind"] == "hessian":
        (e,) = list(x.edges)
        h = obj.grad(x).grad(x, {e: e + "2"})
        return h, [e, e + "2"]
    if row["kind"] == "hvp":
        h = (obj.grad(x) @ built["vars"]["V"]).grad(x)
        return h, [h.new_names[e] for e in x.edges]
    raise ValueError(row["kind"])


def evaluate_result(expr, out_edges, built, env, row, mode):
    """The derivative's value as a NumPy array in the variable's shape (the Hessian as a
    matrix), the evaluator used and the errors met on the way. Mode "evaluate" uses
    tensorgrad.extras.evaluate (named torch tensors) and falls back to the compiler
    (compile_to_callable); mode "compile" uses the compiler only."""
    import torch
    from tensorgrad.compiler import compile_to_callable
    from tensorgrad.extras.evaluate import evaluate

    values = {}
    for name, var in built["vars"].items():
        a = env[name]
        if name in built.get("convert", {}):
            a = built["convert"][name](a, env)
        values[var] = torch.tensor(a, dtype=torch.float64).rename(*var.edges)
    errors = []
    res = None
    if mode == "evaluate":
        try:
            res = evaluate(expr, values)
            how = "tensorgrad.extras.evaluate"
        except Exception as e:
            errors.append(f"extras.evaluate: {type(e).__name__}: {e}")
    if res is None:
        unnamed = {v: t.rename(None) for v, t in values.items()}
        res = compile_to_callable(expr)(unnamed)
        how = "tensorgrad.compiler.compile_to_callable"
        if mode == "evaluate":
            how += " (extras.evaluate failed)"
    res = res.align_to(*out_edges).rename(None).detach().numpy()
    x = env[row["wrt"]]
    shape = (x.size, x.size) if row["kind"] == "hessian" else x.shape
    return res.reshape(shape), how, errors


def printed(expr):
    from tensorgrad.extras.to_index import to_index, to_index_free

    out = {}
    for name, fn in [("to_index_free", to_index_free), ("to_index", to_index)]:
        try:
            out[name] = R.trim(fn(expr), 300)
        except Exception as e:
            out[name] = f"(failed: {type(e).__name__}: {R.trim(e, 150)})"
    out["repr"] = R.trim(repr(expr), 300)
    return out


def run_row(row_id):
    import torch

    # tensorgrad builds its Delta and Zero constants in the default dtype
    torch.set_default_dtype(torch.float64)
    fused = row_id.endswith("-fused")
    row = R.BY_ID[row_id.removesuffix("-fused")]
    rec = {
        "id": row_id,
        "label": row["label"] + (" [fused F.layer_norm]" if fused else ""),
        "kind": row["kind"],
    }
    build = builders()[row_id]
    try:
        built = build()
    except Exception as e:
        rec["expressible"] = False
        rec["express_error"] = f"{type(e).__name__}: {R.trim(e)}"
        rec["traceback"] = traceback.format_exc()[-1500:]
        return rec
    rec["expressible"] = True
    rec["how"] = built["how"]
    times = []
    try:
        for _ in range(6):  # the first call is the cold one; best of the next 5 is the warm time
            fresh = build()
            t0 = time.perf_counter()
            d, out_edges = derive(row, fresh)
            simplified = d.simplify()
            times.append(time.perf_counter() - t0)
        rec["derivative"] = True
        rec["time_first_s"] = times[0]
        rec["time_best5_s"] = min(times[1:])
        t0 = time.perf_counter()
        full = d.full_simplify()
        rec["time_full_simplify_extra_s"] = time.perf_counter() - t0
    except Exception as e:
        rec["derivative"] = False
        rec["derive_error"] = f"{type(e).__name__}: {R.trim(e)}"
        rec["traceback"] = traceback.format_exc()[-1500:]
        return rec
    rec["printed_simplify"] = printed(simplified)
    rec["printed_full_simplify"] = printed(full)
    env = R.inputs(row, seed=0)
    # the objective tensorgrad was given: row 13 has tensorgrad's epsilon in its layer norm
    ref = R.reference({**row, "f": row.get("tensorgrad_f", row["f"])}, env)
    checks = [
        ("simplify", simplified, "evaluate"),
        ("full_simplify", full, "evaluate"),
        ("simplify_compiled", simplified, "compile"),
    ]
    for label, expr, mode in checks:
        try:
            val, how, errs = evaluate_result(expr, out_edges, fresh, env, row, mode)
            rec[f"check_{label}"] = {
                "relative_error": R.relative_error(val, ref),
                "evaluated_by": how,
                "evaluate_errors": errs,
            }
        except Exception as e:
            rec[f"check_{label}"] = {
                "error": f"{type(e).__name__}: {R.trim(e)}",
                "traceback": traceback.format_exc()[-1200:],
            }
    return rec


def check_text(check):
    if "error" in check:
        return "error"
    fallback = " (extras.evaluate failed: compiled)" if check["evaluate_errors"] else ""
    return f"{check['relative_error']:.1e}{fallback}"


def summary(rec):
    rid = f"{rec['id']:>8}"
    if (failed := R.failure(rec, 8)) is not None:
        return failed
    if not rec["expressible"]:
        return f"{rid}  not expressible: {R.trim(rec['express_error'], 160)}"
    if not rec["derivative"]:
        return f"{rid}  no derivative: {R.trim(rec['derive_error'], 160)}"
    return (
        f"{rid}  ok  best5 {rec['time_best5_s'] * 1e3:.1f} ms  "
        f"check {check_text(rec['check_simplify'])}, "
        f"compiled {check_text(rec['check_simplify_compiled'])}, "
        f"full_simplify {check_text(rec['check_full_simplify'])}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--row", help="run this row only and print its record as JSON")
    parser.add_argument("--out", default="tensorgrad_results.json", help="where to write the JSON")
    args = parser.parse_args()
    if args.row:
        print(json.dumps(run_row(args.row)))
        return
    ids = [r["id"] for r in R.ROWS]
    ids.insert(ids.index("13") + 1, "13-fused")
    results = []
    for rid in ids:
        rec = R.run_in_subprocess(__file__, rid)
        print(summary(rec), flush=True)
        results.append(rec)
    meta = {
        "python": sys.version,
        **{name: md.version(name) for name in ("tensorgrad", "torch", "sympy", "numpy")},
        "timeout_s_per_row": R.TIMEOUT,
    }
    R.write_results(args.out, meta, results)


if __name__ == "__main__":
    main()
