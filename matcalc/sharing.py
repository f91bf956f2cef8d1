"""Named values: what a derivation calls by a name, so that each value is written, and each
derivative worked out, once.

Before the derivation, a value on the way to the variable gets a name (`where H1 = …`) when
its derivative would otherwise be worked out more than once: it occurs more than once, or the
rule of an operation applied to it uses df/dG more than once (X^2, X ⊙ X), and when it is an
elementwise function's value inside another (each layer of a network). Each name then has a
block of its own in the derivation, as reverse-mode differentiation keeps one derivative per
node. After it, a value of more than a few symbols that the result writes more than once is
named too, so that a result and its where-list hold each forward value once.
"""

from __future__ import annotations

import math
import reprlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import chain, count

from matcalc.errors import ErrorKind, MatcalcError
from matcalc.expr import Applied, Expr, Func, Number, Pending, Power, Symbol
from matcalc.rules import rule_for
from matcalc.shapes import Shapes
from matcalc.traversal import NOT_SEEN, distinct, replace_nodes, symbol_names, with_children


@dataclass(frozen=True, slots=True)
class Binding:
    """`name = value`, the value written in terms of the names bound before it; for a
    derivative's name, `derivative_of` is the value it is the derivative with respect to
    (G1 = df/dH1)."""

    name: Symbol
    value: Expr
    derivative_of: Symbol | None = None


def bindings(where: object) -> tuple[Binding, ...]:
    """`where` as a Derivation's named values, or a clear error for anything else (text, a
    number, a list of something else): evaluate, derive and to_sympy take it from users."""
    if isinstance(where, str | bytes) or not isinstance(where, list | tuple):
        raise MatcalcError(
            f"where holds a derivation's named values (its .where), not {reprlib.repr(where)}",
            ErrorKind.VALUE,
        )
    for binding in where:
        if not isinstance(binding, Binding):
            raise MatcalcError(
                f"where holds Bindings (a derivation's .where), not {reprlib.repr(binding)}",
                ErrorKind.VALUE,
            )
    return tuple(where)


@dataclass(frozen=True, slots=True)
class Named:
    """An objective as `body` with the values in `where` named (innermost first)."""

    body: Expr
    where: tuple[Binding, ...]
    shapes: Shapes
    small: Mapping[Expr, Expr] = field(default_factory=dict)
    """The values named only to share a derivative that are small, written out, by name: a
    result writes them out again, so that the simplifier sees through them."""

    def written_out(self, expr: Expr) -> Expr:
        """`expr` with the small shared values written out."""
        return substituted(expr, self.small) if self.small else expr


WRITTEN_OUT = 16
"""A value named only to share its derivative is written out again in the result when it
takes at most this many nodes (X^2, X ⊙ X), so that the simplifier sees through it."""

REPEATED = 5
"""A value that writes at least this many names (symbols, functions and operations such as
softmax, as the five of tanh(tanh(X W1) W2)), and that a result writes more than once, is
named."""

_D_G = Pending(Symbol("f"), Symbol("·G·"), ())
"""df/dG in a rule's formula, to count how many times the formula uses it."""


def named_values(
    objective: Expr, variable: Symbol, shapes: Shapes, defined: Mapping[str, Expr]
) -> Named:
    """Name the values on the way from the objective to `variable` whose derivative is needed
    more than once, and the elementwise functions' values inside other ones on that way;
    `defined` holds the derivatives of the user's functions."""
    live: set[Expr] = set()
    known: dict[Expr, int] = {}  # how many times each node writes df/dG: the objective's none
    for node in distinct(objective):  # each node after its operands
        known[node] = (node == _D_G) + sum(known[kid] for kid in node.children())
        if node == variable or not live.isdisjoint(node.children()):
            live.add(node)
    nodes = list(live)
    uses: Counter[Expr] = Counter({objective: 1})
    parent: dict[Expr, Expr] = {}
    inside_function: set[Expr] = set()
    chosen: dict[Expr, bool] = {}
    for node in sorted(nodes, key=lambda n: -n.size):  # each node after all that hold it
        if node is not objective and not isinstance(node, Symbol):
            if isinstance(node, Func) and node in inside_function:
                chosen[node] = False
            elif uses[node] > 1 or (
                parent[node] is not objective and _needs(node, live, shapes, defined, known) > 1
            ):
                chosen[node] = True
        written = 1 if node in chosen else uses[node]
        for kid in node.children():
            if kid in live:
                uses[kid] += written
                parent[kid] = node
                if isinstance(node, Func) or node in inside_function:
                    inside_function.add(kid)
    if not chosen:
        return Named(objective, (), shapes)
    prefix = prefix_for(shapes.symbols)
    where: list[Binding] = []
    names: dict[Expr, Symbol] = {}

    def name(node: Expr, value: Expr) -> Expr | None:
        if node not in chosen:
            return None
        names[node] = Symbol(f"{prefix}{len(where) + 1}")
        where.append(Binding(names[node], value))
        return names[node]

    body = rebuilt(objective, name)
    symbols = {**shapes.symbols, **{names[node].name: shapes.of(node) for node in names}}
    shared = frozenset(names[node] for node, is_shared in chosen.items() if is_shared)
    typed = shapes.with_symbols(symbols)
    return Named(body, tuple(where), typed, small_values(where, shared))


def rebuilt(expr: Expr, after: Callable[[Expr, Expr], Expr | None]) -> Expr:
    """`expr` rebuilt from the leaves up, each distinct node once: `after(node, rebuilt)` may
    put something else in the rebuilt node's place."""
    done: dict[Expr, Expr] = {}
    for node in distinct(expr):
        value = with_children(node, tuple([done[kid] for kid in node.children()]))
        replaced = after(node, value)
        done[node] = value if replaced is None else replaced
    return done[expr]


def _needs(
    node: Expr,
    live: set[Expr],
    shapes: Shapes,
    defined: Mapping[str, Expr],
    known: dict[Expr, int],
) -> int:
    """How many times the derivations through `node`'s operands use df/d(node); `known` counts
    df/dG in the nodes met before, so that a formula's operands, which may be large (a
    gradient, differentiated again), are not walked again."""
    total = 0
    for index, kid in enumerate(node.children()):
        if kid in live:
            try:
                rule, site = rule_for(node, (index,), shapes, defined)
            except MatcalcError:  # the engine says so, with the whole objective
                return 1
            total += _occurrences(_D_G, rule.vjp(site, _D_G), known)
    return total


def _occurrences(target: Expr, expr: Expr, known: dict[Expr, int]) -> int:
    """How many times `target` is written in `expr`, each copy counted; `known` holds the
    counts of nodes met before and gains those of `expr`'s other nodes."""
    stack = [expr]
    while stack:
        node = stack[-1]
        if node in known:
            stack.pop()
            continue
        unknown = [kid for kid in node.children() if kid not in known]
        if unknown:
            stack.extend(unknown)
        else:
            known[node] = (node == target) + sum(known[kid] for kid in node.children())
            stack.pop()
    return known[expr]


def prefix_for(taken: Iterable[str], candidates: Iterable[str] = "HZVQK") -> str:
    """The first of `candidates`, HH, HHH, … that no name already used has followed by digits."""
    used = {name.rstrip("0123456789") for name in taken if name[-1:].isdigit()}
    letters = chain(candidates, ("H" * length for length in count(2)))
    return next(prefix for prefix in letters if prefix not in used)


def derivative_prefix(taken: Iterable[str]) -> str:
    """The letter of the names of derivatives kept whole in a result (G1 = df/dH1)."""
    return prefix_for(taken, "GJUPR")


def small_values(where: Iterable[Binding], names: frozenset[Symbol]) -> dict[Expr, Expr]:
    """The values of the names among `names` that are small, written out, by name."""
    return written_values(
        [b for b in where if b.name in names],
        lambda b, value: _expanded_size(value) <= WRITTEN_OUT,
    )


def written_values(
    where: Iterable[Binding], keep: Callable[[Binding, Expr], bool] = lambda b, value: True
) -> dict[Expr, Expr]:
    """The values of the names in `where` that `keep` keeps, each written out with those kept
    before it, by name (a value used many times is one shared node)."""
    values: dict[Expr, Expr] = {}
    for binding in where:
        value = substituted(binding.value, values)
        if keep(binding, value):
            values[binding.name] = value
    return values


def _expanded_size(expr: Expr) -> int:
    """The size of `expr` with its whole powers multiplied out, as the simplifier does to
    powers of matrices: (X^3)^3 is nine factors; past WRITTEN_OUT, some size past it."""
    if expr.size > 3 * WRITTEN_OUT // 2:  # multiplying out a power drops at most its number,
        return expr.size  # one node of its three or more: this one stays past WRITTEN_OUT
    sizes: dict[Expr, int] = {}
    for node in distinct(expr):
        inner = sum(sizes[kid] for kid in node.children())
        match node:
            case Power(base, Number(value)) if value.denominator == 1 and value > 0:
                inner = sizes[base] * int(value)
        sizes[node] = 1 + inner
    return sizes[expr]


def inlined(expr: Expr, where: Iterable[Binding]) -> Expr:
    """`expr` with every name in `where` replaced by its value, written out in full."""
    return substituted(expr, written_values(where))


def substituted(expr: Expr, values: Mapping[Expr, Expr]) -> Expr:
    """`expr` with each node that is a key of `values` replaced by its value."""
    return replace_nodes(expr, values.get)


def repeated_values(roots: list[Expr], prefix: str, taken: set[str]) -> list[tuple[Expr, Binding]]:
    """Names for the subexpressions of at least REPEATED names that `roots` (a result and its
    named values) write more than once, each with the value it names, innermost first. The
    largest are named first: what they hold is then written once, inside them."""
    nodes = sorted(distinct(*roots), key=lambda n: n.size)
    # the counts below are kept by each node's place in `nodes`: a list index costs no hash
    place = {node: i for i, node in enumerate(nodes)}
    kids = [[place[kid] for kid in node.children()] for node in nodes]
    names_in = [0] * len(nodes)
    for i, node in enumerate(nodes):
        names_in[i] = isinstance(node, Symbol | Func | Applied) + sum(
            [names_in[k] for k in kids[i]]
        )
    copies = [0] * len(nodes)
    for root in roots:
        copies[place[root]] += 1
    written = copies.copy()
    for i in reversed(range(len(nodes))):  # each node after all that hold it
        for k in kids[i]:
            copies[k] += copies[i]
    inner = [0] * len(nodes)  # the most copies of a value to name inside each node
    for i in range(len(nodes)):
        for k in kids[i]:
            inner[i] = max(inner[i], inner[k], copies[k] if names_in[k] >= REPEATED else 0)
    tops = {place[root] for root in roots}
    chosen: list[Expr] = []
    for i in reversed(range(len(nodes))):
        node = nodes[i]
        # 2 T^T wraps T, which is written more often: T is the value to name
        big = names_in[i] >= REPEATED and not node.has_pending and i not in tops
        if written[i] > 1 and big and inner[i] <= copies[i]:
            chosen.append(node)
        once = 1 if chosen and chosen[-1] is node else written[i]
        for k in kids[i]:
            written[k] += once
    numbers = (f"{prefix}{i}" for i in count(1))
    names = {node: Symbol(next(n for n in numbers if n not in taken)) for node in reversed(chosen)}
    named = renamer(names)
    return [
        (node, Binding(names[node], node.rebuild(tuple(map(named, node.children())))))
        for node in names
    ]


def renamer(names: Mapping[Expr, Expr]) -> Callable[[Expr], Expr]:
    """A function that replaces each key of `names` by its value, inside pending derivatives
    too, remembering what it has done across calls (the steps of a derivation share most of
    their subtrees)."""
    done: dict[Expr, Expr | None] = {}  # None: the node comes out as it is
    smallest = min((key.size for key in names), default=math.inf)

    def rename(node: Expr) -> Expr:
        if node.size < smallest:  # too small to hold a key (or there is none)
            return node
        found = done.get(node, NOT_SEEN)
        if found is None:  # `node` itself, not the equal node seen before, keeps its parents
            return node
        if found is NOT_SEEN:
            if node in names:
                found = names[node]
            elif isinstance(node, Pending):
                of, wrt = rename(node.of), rename(node.wrt)
                within = node.within and names.get(node.within, node.within)
                within = within if isinstance(within, Symbol) else node.within
                unchanged = of is node.of and wrt is node.wrt and within is node.within
                found = node if unchanged else Pending(of, wrt, node.path, node.occurrence, within)
            else:
                found = with_children(node, tuple([rename(kid) for kid in node.children()]))
            done[node] = None if found is node else found
        return found

    return rename


def needed(expr: Expr, where: tuple[Binding, ...]) -> tuple[Binding, ...]:
    """The bindings of `where` that `expr` uses, directly or through another one, in order."""
    used = set(symbol_names(expr))
    found = []
    for binding in reversed(where):
        if binding.name.name in used:
            found.append(binding)
            used.update(symbol_names(binding.value))
            if binding.derivative_of is not None:  # G1 = df/dH1 says what H1 is
                used.add(binding.derivative_of.name)
    return tuple(reversed(found))


def in_order(bindings: Iterable[Binding]) -> tuple[Binding, ...]:
    """The bindings each after those its value uses, otherwise in the order given."""
    pending = {b.name.name: b for b in bindings}
    ordered: list[Binding] = []

    def place(binding: Binding) -> None:
        if pending.pop(binding.name.name, None) is None:
            return
        for name in symbol_names(binding.value):
            if name in pending:
                place(pending[name])
        ordered.append(binding)

    for binding in list(pending.values()):
        place(binding)
    return tuple(ordered)
