"""Generated code: f and its gradients as a Python function on any array-API arrays."""

from __future__ import annotations

import keyword
from collections.abc import Sequence
from typing import Any

from matcalc.derivation import Derivation
from matcalc.errors import ErrorKind, MatcalcError
from matcalc.expr import Transpose
from matcalc.limits import deep_recursion
from matcalc.printing.python import Gradient, python_source
from matcalc.session import diff


@deep_recursion
def codegen(expr: str, wrt: str | Sequence[str], name: str = "f_and_grad", **options: Any) -> str:
    """Python source of `name(inputs…)`, which returns f and df/dW for each W in `wrt`, in that
    order; `options` are diff's (shapes, functions, convention, …)."""
    names = [wrt] if isinstance(wrt, str) else list(wrt)
    if not names:
        raise MatcalcError("name at least one variable to differentiate by", ErrorKind.VALUE)
    return python_function([diff(expr, w, **options) for w in names], name)


@deep_recursion
def python_function(derivations: Sequence[Derivation], name: str = "f_and_grad") -> str:
    """The source for derivations of one objective: their factored results, which reuse
    common factors such as the residual, each in its variable's shape."""
    first = derivations[0]
    if first.jacobian_of is not None:
        raise MatcalcError(
            f"code is written for a scalar objective; {first.jacobian_of} is a column",
            ErrorKind.SHAPE,
        )
    if not name.isidentifier() or keyword.iskeyword(name):
        raise MatcalcError(f"{name!r} is not a Python name for the function", ErrorKind.VALUE)
    gradients = []
    for derivation in derivations:
        result = derivation.factored()
        if derivation.layout == "numerator":
            result = Transpose(result)
        gradients.append(Gradient(derivation.wrt, result, derivation.where, derivation.shapes))
    functions = {k: v for d in derivations for k, v in d.functions.items()}
    return python_source(first.objective, gradients, first.shapes, functions, name)
