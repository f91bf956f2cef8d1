"""The `matcalc` command: `diff` derives and prints, `codegen` writes a Python function for f and
its gradients, `rules` lists the rule table.

Only the public API is used here; a user error is one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import matcalc


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = parser().parse_args(argv)
    except SystemExit as done:  # --help, or a usage error already printed
        return done.code if isinstance(done.code, int) else 2
    try:
        output = args.run(args)
    except matcalc.MatcalcError as error:
        print(f"matcalc: {error.one_line()}", file=sys.stderr)
        return 2
    print(output)
    return 0


class _ArgumentParser(argparse.ArgumentParser):
    """Usage errors in one line, like every other error."""

    def error(self, message: str) -> NoReturn:
        if "required: expression" in message or "unrecognized arguments: -" in message:
            message += "; an objective that starts with '-' goes after --, as in "
            message += "matcalc diff --wrt X -- '-sum(X)'"
        print(f"matcalc: usage error: {message}", file=sys.stderr)
        raise SystemExit(2)


def parser() -> argparse.ArgumentParser:
    """The command line's arguments: `diff` and `rules` (the notebook magic reads them too)."""
    root = _ArgumentParser(
        prog="matcalc",
        description="Symbolic matrix calculus that shows its work.",
    )
    commands = root.add_subparsers(required=True, metavar="COMMAND")

    diff = commands.add_parser("diff", help="differentiate a scalar objective, step by step")
    diff.add_argument("--wrt", required=True, metavar="VAR", help="the variable")
    _problem(diff)
    diff.add_argument(
        "--layout",
        choices=["denominator", "numerator"],
        default="denominator",
        help="denominator (default): df/dX has X's shape; numerator: its transpose",
    )
    diff.add_argument(
        "--unconstrained",
        action="store_true",
        help="for a symmetric variable, the unconstrained gradient G instead of (G + G^T)/2",
    )
    diff.add_argument("--format", choices=["text", "latex", "json"], default="text")
    diff.add_argument(
        "--factored",
        action="store_true",
        help="also give the result with common factors pulled out",
    )
    diff.add_argument(
        "--check",
        action="store_true",
        help="evaluate the result on random inputs against central finite differences",
    )
    diff.add_argument(
        "--proofs",
        action="store_true",
        help="append the index-notation proof of every rule the derivation used",
    )
    diff.add_argument(
        "--standalone",
        action="store_true",
        help="with --format latex: a complete LaTeX document",
    )
    diff.set_defaults(run=_diff, command="diff")

    codegen = commands.add_parser(
        "codegen",
        help="write a Python function returning f and its gradients (NumPy, PyTorch, JAX, …)",
    )
    codegen.add_argument(
        "--wrt",
        required=True,
        action="append",
        metavar="VAR",
        help="a variable; give --wrt once per gradient wanted",
    )
    _problem(codegen)
    codegen.add_argument(
        "--name", default="f_and_grad", help="the function's name (default: f_and_grad)"
    )
    codegen.set_defaults(run=_codegen, command="codegen")

    rules = commands.add_parser("rules", help="list the rule table")
    rules.add_argument("--format", choices=["text", "latex"], default="text")
    rules.add_argument("--proofs", action="store_true", help="each rule's proof after its line")
    rules.set_defaults(run=_rules, command="rules")
    return root


def _problem(command: argparse.ArgumentParser) -> None:
    """The objective and what says how to read it: shapes, functions, naming."""
    command.add_argument("expression", help='the objective, e.g. "||X - D R||_F^2"')
    command.add_argument(
        "--shape",
        action="append",
        default=[],
        metavar="VAR=DIMS",
        help="declare a shape: X=m,n (matrix), x=n (column vector), b=1,n (row), "
        "lambda=scalar, S=n,n,symmetric",
    )
    command.add_argument(
        "--define",
        action="append",
        default=[],
        metavar="F(x)=FORMULA",
        help='a scalar function of your own, used elementwise: "phi(x) = log(1 + exp(x))"',
    )
    command.add_argument(
        "--convention",
        choices=["seed", "matrixcalculus"],
        default="seed",
        help="how undeclared names are read: seed (Greek scalars, lower-case vectors, upper-case "
        "matrices) or matrixcalculus (a-g scalars, h-z vectors, A-Z matrices)",
    )


def _problem_options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "shapes": _shapes(args.shape),
        "convention": args.convention,
        "functions": {found.name: found for found in map(matcalc.parse_definition, args.define)},
    }


def _shapes(declarations: list[str]) -> dict[str, str]:
    shapes: dict[str, str] = {}
    for declaration in declarations:
        name, sep, dims = declaration.partition("=")
        if not sep or not name.strip() or not dims.strip():
            raise matcalc.MatcalcError(
                f"--shape {declaration!r}: write VAR=m,n, VAR=n or VAR=scalar",
                matcalc.ErrorKind.SHAPE,
            )
        shapes[name.strip()] = dims
    return shapes


def derivation_of(args: argparse.Namespace) -> matcalc.Derivation:
    """The derivation that `matcalc diff` arguments ask for (the notebook magic uses it too)."""
    return matcalc.diff(
        args.expression,
        args.wrt,
        layout=args.layout,
        symmetrise=not args.unconstrained,
        **_problem_options(args),
    )


def _codegen(args: argparse.Namespace) -> str:
    source: str = matcalc.codegen(args.expression, args.wrt, args.name, **_problem_options(args))
    return source.rstrip("\n")


def _diff(args: argparse.Namespace) -> str:
    derivation = derivation_of(args)
    if args.format == "json":
        data = derivation.to_dict()
        if args.factored:
            data["factored"] = str(derivation.factored())
        if args.check:
            data["check"] = _check(derivation)
        return json.dumps(data, ensure_ascii=False, indent=2)
    if args.standalone and args.format != "latex":
        raise matcalc.MatcalcError("--standalone goes with --format latex", matcalc.ErrorKind.VALUE)
    if args.format == "latex":
        out = derivation.latex(proofs=args.proofs)
        if args.factored:
            out += f"\n\nFactored: ${matcalc.latex(derivation.factored())}$"
        if args.check:
            out += f"\n\n{_check(derivation)}"
        return matcalc.latex_document(out) if args.standalone else out
    out = derivation.text(proofs=args.proofs)
    if args.factored:
        out += f"\n   factored: {derivation.factored()}"
    if args.check:
        out += "\n" + _check(derivation)
    return out


def _check(derivation: matcalc.Derivation) -> str:
    """The relative error of the result against central differences, on random inputs with
    distinct sizes (3, 4, 5, …), in float64; inputs in [0.5, 1.5] where [-1, 1] leave the
    domain (log, sqrt)."""
    import numpy as np

    with np.errstate(all="ignore"):
        error = matcalc.gradcheck(derivation)
        inputs = "[-1, 1]"
        if not error < 1e-6:
            error, inputs = matcalc.gradcheck(derivation, positive=True), "[0.5, 1.5]"
    verdict = "agrees" if error < 1e-6 else "DISAGREES"
    return (
        f"check: {verdict} with central differences, relative error {error:.1e} "
        f"(random inputs in {inputs}, float64)"
    )


def _rules(args: argparse.Namespace) -> str:
    lines = []
    for rule in matcalc.RULES:
        x, g, d_x = matcalc.statement(rule)
        letter = rule.letter
        if args.format == "latex":
            lines.append(
                rf"\textbf{{{rule.name}}}: "
                rf"${letter}: {matcalc.latex(x)}\mapsto {matcalc.latex(g)}$, "
                rf"$\frac{{df}}{{d{matcalc.latex(x)}}} = {matcalc.latex(d_x)}$"
            )
            if args.proofs:
                lines += [matcalc.proof_latex(rule), ""]
        else:
            mapping = f"{letter}: {x} ↦ {g}"
            cited = f"   (Matrix Cookbook eq. ({rule.cites}))" if rule.cites else ""
            lines.append(f"{rule.name:36} {mapping:26} df/d{x} = {d_x}{cited}")
            if args.proofs:
                lines += [f"    {line}" for line in rule.proof] + [""]
    return "\n".join(lines).rstrip()
