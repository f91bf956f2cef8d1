"""The notebook magic: `%load_ext matcalc`, then `%matcalc diff "||X W - Y||_F^2" --wrt W` shows
the derivation (typeset, each rule's proof folded), `%matcalc codegen …` prints the code for f
and its gradients, and `%matcalc rules` the rule table."""

from __future__ import annotations

import shlex
import sys
from typing import Any

import matcalc
from matcalc.cli import derivation_of, parser


def load_ipython_extension(ipython: Any) -> None:
    """Register %matcalc; IPython calls this for `%load_ext matcalc`."""
    ipython.register_magic_function(matcalc_magic, "line", "matcalc")


def matcalc_magic(line: str) -> Any:
    """`%matcalc diff …` gives the Derivation, which the notebook displays; `%matcalc codegen …`
    and `%matcalc rules …` print what the command line does. Errors are one line, as there."""
    try:
        args = parser().parse_args(shlex.split(line))
    except SystemExit:  # argparse has said what is wrong, in one line
        return None
    except ValueError as error:  # unbalanced quotes
        print(f"matcalc: usage error: {error}", file=sys.stderr)
        return None
    try:
        if args.command == "diff":  # the notebook displays the Derivation itself
            return derivation_of(args)
        print(args.run(args))
    except matcalc.MatcalcError as error:
        print(f"matcalc: {error.one_line()}", file=sys.stderr)
    return None
