"""matcalc: symbolic matrix calculus that shows its work.

>>> from matcalc import diff
>>> print(diff("||X - D R||_F^2", wrt="D").result)
-2 X R^T + 2 D R R^T
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from matcalc.definitions import Definition, parse_definition
from matcalc.derivation import Derivation, Options, Step
from matcalc.derive import derive
from matcalc.errors import ErrorKind, MatcalcError
from matcalc.expr import Expr
from matcalc.limits import deep_recursion
from matcalc.parser import parse
from matcalc.printing.ascii import to_ascii
from matcalc.printing.latex import latex as _latex
from matcalc.printing.latex_derivation import document as latex_document
from matcalc.printing.latex_derivation import proof_latex
from matcalc.printing.mathml import math as _mathml
from matcalc.rules import RULES, Rule, statement
from matcalc.rules.second_order import SECOND_ORDER, SecondOrderRule
from matcalc.session import Session, diff, hessian, symbols

if TYPE_CHECKING:
    from matcalc.finite_differences import gradcheck
    from matcalc.generate import codegen, to_function
    from matcalc.latex_input import parse_latex
    from matcalc.notation import notation_summary
    from matcalc.numeric import evaluate
    from matcalc.sympy_forms import from_sympy, to_sympy

__all__ = [
    "RULES",
    "SECOND_ORDER",
    "Definition",
    "Derivation",
    "ErrorKind",
    "Expr",
    "MatcalcError",
    "Options",
    "Rule",
    "SecondOrderRule",
    "Session",
    "Step",
    "codegen",
    "derive",
    "diff",
    "evaluate",
    "from_sympy",
    "gradcheck",
    "hessian",
    "latex",
    "latex_document",
    "mathml",
    "notation_summary",
    "parse",
    "parse_definition",
    "parse_latex",
    "proof_latex",
    "statement",
    "symbols",
    "to_ascii",
    "to_function",
    "to_sympy",
]
__version__ = "0.1.0"

latex = deep_recursion(_latex)
"""`expr` as LaTeX math (no surrounding `$`), with the stack that deep expressions need."""

mathml = deep_recursion(_mathml)
"""`expr` as a MathML `<math>` element (`display=True`: a block), which browsers typeset."""

_LAZY = {
    "parse_latex": "matcalc.latex_input",
    "notation_summary": "matcalc.notation",
    "from_sympy": "matcalc.sympy_forms",
    "to_sympy": "matcalc.sympy_forms",
    "evaluate": "matcalc.numeric",
    "gradcheck": "matcalc.finite_differences",
    "codegen": "matcalc.generate",
    "to_function": "matcalc.generate",
}


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext matcalc` in a notebook: the %matcalc magic (matcalc/ipython.py)."""
    from matcalc.ipython import load_ipython_extension as load

    load(ipython)


def __getattr__(name: str) -> Any:
    """NumPy loads only when numbers are asked for, code writing only when code is: derivations
    need neither."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'matcalc' has no attribute {name!r}")
