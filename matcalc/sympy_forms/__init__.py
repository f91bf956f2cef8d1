"""SymPy both ways: `to_sympy` writes matcalc's expressions as SymPy matrix expressions
(sympy_forms/writer.py), `from_sympy` reads a SymPy objective back with the shapes to declare
(sympy_forms/reader.py). Loading this package does not load SymPy."""

from __future__ import annotations

from matcalc.sympy_forms.reader import Declared, from_sympy
from matcalc.sympy_forms.writer import to_sympy

__all__ = ["Declared", "from_sympy", "is_sympy", "to_sympy"]


def is_sympy(value: object) -> bool:
    """Whether `value` is a SymPy expression (without importing SymPy when it was not)."""
    import sys

    sympy = sys.modules.get("sympy")
    return sympy is not None and isinstance(value, sympy.Basic)
