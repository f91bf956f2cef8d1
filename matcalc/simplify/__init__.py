"""Closed forms: products expanded over sums, like terms collected, scalars in front, transposes
pushed onto symbols; Hadamard products and function arguments kept as they are.

An expression becomes a list of terms `c · s1^e1 s2^e2 … · F1 F2 …` (`terms`), made by the
simplifier (`simplifier`), which counts the named rewrites it makes (`rewrites`); `closed_form`
prints the terms back as an expression (`factor`) and says which rewrites made it (`closed`).
`signs` moves minus signs out, and `jacobian` reads a Jacobian's matrix off a linear expression.
"""

from matcalc.simplify.closed import ClosedForm, closed_form, factored_form
from matcalc.simplify.jacobian import linear_map
from matcalc.simplify.rewrites import REWRITES, Rewrite
from matcalc.simplify.signs import lift_sign, signs_out

__all__ = [
    "REWRITES",
    "ClosedForm",
    "Rewrite",
    "closed_form",
    "factored_form",
    "lift_sign",
    "linear_map",
    "signs_out",
]
