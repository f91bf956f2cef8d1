"""The notebook magic: `%load_ext matcalc`, then `%matcalc diff "||X W - Y||_F^2" --wrt W`
shows the derivation (typeset, each rule's proof folded) with every flag of `matcalc diff`, and
`%matcalc hessian …` a second derivative;
`%%matcalc diff --wrt W` takes the objective from the cell, over several lines. `%matcalc
codegen …`, `rules` and `notation` print what the command line does."""

from __future__ import annotations

import argparse
import html
import shlex
import sys
from collections.abc import Sequence
from typing import Any

import matcalc
from matcalc.cli import Result, internal_error, json_value, parsed, parser, rendered, results


def load_ipython_extension(ipython: Any) -> None:
    """Register %matcalc and %%matcalc; IPython calls this for `%load_ext matcalc`."""
    ipython.register_magic_function(matcalc_magic, "line_cell", "matcalc")


class Shown:
    """What `%matcalc diff` displays when it is more than one plain derivation: the command
    line's text, and the richest form of it a notebook can show (HTML, LaTeX or JSON)."""

    def __init__(self, bundle: dict[str, Any]) -> None:
        self.bundle = bundle

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        return self.bundle

    def __repr__(self) -> str:
        return str(self.bundle["text/plain"])


def matcalc_magic(line: str, cell: str | None = None) -> Any:
    """`%matcalc diff …` (or `hessian …`) gives what the notebook displays: the Derivation
    itself, or a `Shown` for several --wrt, --format, --factored or --check; the other commands
    print. With a cell,
    the cell's text is the objective. Errors are said as on the command line, without a
    traceback, and give None."""
    try:
        args = parsed(parser(), shlex.split(line))
    except SystemExit:  # argparse has said what is wrong, or given the help asked for
        return None
    except ValueError as error:  # unbalanced quotes
        print(f"matcalc: usage error: {error}", file=sys.stderr)
        return None
    try:
        return _run(args, cell)
    except matcalc.MatcalcError as error:
        print(f"matcalc: {error}", file=sys.stderr)
    except Exception as bug:  # a bug in matcalc: one line, as on the command line
        print(internal_error(bug), file=sys.stderr)
    return None


def _run(args: argparse.Namespace, cell: str | None) -> Any:
    if not hasattr(args, "run"):  # `%matcalc` alone
        parser().print_help()
        return None
    if cell is not None and cell.strip():
        if not hasattr(args, "expression"):
            raise matcalc.MatcalcError(f"%%matcalc {args.command} takes no cell")
        if args.expression not in (None, "-") or args.file is not None:
            raise matcalc.MatcalcError(
                "give the objective in the cell or on the %%matcalc line, not both"
            )
        args.expression = cell.strip()
    if args.command not in ("diff", "hessian"):
        output, _ = args.run(args, None)
        print(output)
        return None
    found = results(args, None)
    plain = args.format == "text" and not (args.factored or args.check or args.proofs or args.ascii)
    if plain and len(found) == 1:
        return found[0].derivation
    return Shown(_bundle(found, args))


def _bundle(found: Sequence[Result], args: argparse.Namespace) -> dict[str, Any]:
    text = rendered(found, args, ascii_only=args.ascii)
    if args.ascii:
        return {"text/plain": matcalc.to_ascii(text)}
    if args.format == "json":
        return {"text/plain": text, "application/json": json_value(found)}
    if args.format == "latex":
        return {"text/plain": text} if args.standalone else {"text/plain": text, "text/latex": text}
    return {"text/plain": text, "text/html": "\n".join(map(_html, found))}


def _html(result: Result) -> str:
    """A derivation's HTML, with the factored form and the check under it."""
    parts = [result.derivation.html()]
    if result.factored is not None:
        parts.append(f"<p>Factored: {matcalc.mathml(result.factored)}</p>")
    if result.check is not None:
        parts.append(f"<p>{html.escape(result.check.sentence())}</p>")
    return "\n".join(parts)
