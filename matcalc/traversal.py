"""Walking expressions: nodes by path, each node in reading order or each distinct node once,
and replacing nodes. What reads a shared value reads it once, so a value used many times costs
no more than once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from operator import is_

from matcalc.expr import Expr, Symbol

NOT_SEEN = Symbol("·not seen·")
"""What a memo of rewritten nodes gives for a node it has not met."""


def subexpression(expr: Expr, path: tuple[int, ...]) -> Expr:
    """The node at `path` (child indices from the root)."""
    for index in path:
        expr = expr.children()[index]
    return expr


def along(expr: Expr, path: tuple[int, ...]) -> list[Expr]:
    """The nodes from `expr` down to the one at `path`, that one included."""
    nodes = [expr]
    for index in path:
        nodes.append(nodes[-1].children()[index])
    return nodes


def replace_at(
    expr: Expr, path: tuple[int, ...], new: Expr, fix: Callable[[Expr], Expr] = lambda e: e
) -> Expr:
    """`expr` with the node at `path` replaced by `new`, and `fix` applied to each node rebuilt
    above it (from the bottom up)."""
    if not path:
        return new
    kids = list(expr.children())
    kids[path[0]] = replace_at(kids[path[0]], path[1:], new, fix)
    return fix(expr.rebuild(tuple(kids)))


def with_paths(expr: Expr) -> Iterator[tuple[Expr, tuple[int, ...]]]:
    """Every node of `expr` with its path, parents before children, in reading order."""
    stack: list[tuple[Expr, tuple[int, ...]]] = [(expr, ())]
    while stack:
        node, path = stack.pop()
        yield node, path
        kids = node.children()
        stack.extend((kids[i], (*path, i)) for i in reversed(range(len(kids))))


def occurrences(expr: Expr, target: Expr) -> list[tuple[int, ...]]:
    """Paths of every occurrence of `target` in `expr`, in reading order."""
    return [path for node, path in with_paths(expr) if node == target]


def preorder(expr: Expr) -> Iterator[Expr]:
    """Every node of `expr`, parents before children, in reading order."""
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children()))


def symbol_names(expr: Expr) -> list[str]:
    """The names of the symbols in `expr`, each once, in reading order."""
    seen: set[Expr] = set()
    names: dict[str, None] = {}
    stack = [expr]
    while stack:
        node = stack.pop()
        if node not in seen:  # a shared value read once: its symbols are the same each time
            seen.add(node)
            if isinstance(node, Symbol):
                names[node.name] = None
            stack.extend(reversed(node.children()))
    return list(names)


def replace_nodes(expr: Expr, replacement: Callable[[Expr], Expr | None]) -> Expr:
    """`expr` with each node for which `replacement` gives an expression replaced by it; each
    distinct node is looked at once, so a value shared many times costs no more than once."""
    done: dict[Expr, Expr | None] = {}  # None: the node comes out as it is

    def replaced(node: Expr) -> Expr:
        found = done.get(node, NOT_SEEN)
        if found is None:  # `node` itself, not the equal node seen before, keeps its parents
            return node
        if found is NOT_SEEN:
            found = replacement(node)
            if found is None:
                kids = node.children()
                found = with_children(node, tuple([replaced(child) for child in kids]))
            done[node] = None if found is node else found
        return found

    return replaced(expr)


def with_children(node: Expr, kids: tuple[Expr, ...]) -> Expr:
    """`node` with the children `kids`: `node` itself where each is the one it has."""
    if all(map(is_, kids, node.children())):  # compared in C: this runs for every node renamed
        return node
    return node.rebuild(kids)


def distinct(*roots: Expr) -> list[Expr]:
    """Each distinct node of `roots` once, every node after its children, those of the first
    root first: linear in the number of distinct nodes even where a value is shared many times."""
    seen: set[Expr] = set()
    order: list[Expr] = []
    stack: list[tuple[Expr, bool]] = [(root, False) for root in reversed(roots)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
        elif node not in seen:
            seen.add(node)
            stack.append((node, True))
            stack.extend((kid, False) for kid in reversed(node.children()) if kid not in seen)
    return order
