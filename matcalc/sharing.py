"""Named values: the value of an elementwise function inside another gets a name of its own.

In `||tanh(tanh(X W1) W2) - Y||_F^2` the gradient uses `tanh(X W1)` once for each layer it
passes, and writes it out each time: the result of an L-layer network grows as L². Naming the
inner values (`where H1 = tanh(X W1)`) keeps every expression the size of one layer, the
derivation linear in L, and lets the derivative with respect to each named value be worked out
once and reused, as reverse-mode differentiation does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain, count

from matcalc.expr import Expr, Func, Symbol, along, occurrences
from matcalc.shapes import Shapes


@dataclass(frozen=True, slots=True)
class Binding:
    """`name = value`, the value written in terms of the names bound before it."""

    name: Symbol
    value: Expr


@dataclass(frozen=True, slots=True)
class Named:
    """An objective as `body` with the values in `where` named (innermost first)."""

    body: Expr
    where: tuple[Binding, ...]
    shapes: Shapes


def named_values(objective: Expr, variable: Symbol, shapes: Shapes) -> Named:
    """Name each elementwise function application that lies on a path from the objective to
    `variable` inside another one on that path; no path has two, no name is given."""
    chosen: set[Expr] = set()
    for path in occurrences(objective, variable):
        functions = [node for node in along(objective, path) if isinstance(node, Func)]
        chosen.update(functions[1:])
    if not chosen:
        return Named(objective, (), shapes)
    prefix = _prefix(shapes.symbols)
    where: list[Binding] = []
    names: dict[Expr, Symbol] = {}

    def rewritten(node: Expr) -> Expr:
        if node in names:
            return names[node]
        kids = node.children()
        new = tuple(rewritten(kid) for kid in kids)
        value = node if new == kids else node.rebuild(new)
        if node not in chosen:
            return value
        names[node] = Symbol(f"{prefix}{len(where) + 1}")
        where.append(Binding(names[node], value))
        return names[node]

    body = rewritten(objective)
    symbols = {**shapes.symbols, **{names[node].name: shapes.of(node) for node in names}}
    return Named(body, tuple(where), Shapes(symbols, shapes.bindings, shapes.symmetric))


def _prefix(taken: Iterable[str]) -> str:
    """The first of H, Z, V, …, HH, HHH, … that no name already used has followed by digits."""
    used = {name.rstrip("0123456789") for name in taken if name[-1:].isdigit()}
    candidates = chain("HZVQK", ("H" * length for length in count(2)))
    return next(prefix for prefix in candidates if prefix not in used)
