"""The engine: reverse accumulation, one pending derivative rewritten per step by one rule.

df/d(variable) is worked out in a block of its own, and so is df/dH for each named value H
downstream of it (matcalc/sharing.py): a block starts from the sites where its value occurs,
repeatedly takes the first pending df/dG, finds the operation one level up and rewrites df/dG
by that operation's rule, until it reaches f (df/df = 1) or the derivatives with respect to
named values, which their own blocks work out once. The blocks are then put back together.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace

from matcalc.derivation import Step
from matcalc.errors import ErrorKind, MatcalcError
from matcalc.expr import ONE, ZERO, Add, Expr, Pending, Symbol
from matcalc.limits import MAX_DERIVATION
from matcalc.rules import Kind, rule_for
from matcalc.shapes import Shapes
from matcalc.sharing import (
    Binding,
    Named,
    derivative_prefix,
    substituted,
)
from matcalc.simplify import closed_form, lift_sign, signs_out
from matcalc.simplify.simplifier import Memo
from matcalc.traversal import preorder, replace_at, replace_nodes, symbol_names, with_paths

KEPT = 24
"""A derivative used more than once keeps a name when writing it out again would add more than
this many nodes: small ones are written out, for the simplifier to see through them."""

MULTIVARIABLE_CHAIN_RULE = "multivariable chain rule"
SUBSTITUTION = "substitution"

Use = tuple[Symbol | None, tuple[int, ...]]
"""Where a variable or a named value occurs: in the value of a name (None: in f), at a path."""


@dataclass(frozen=True, slots=True)
class Accumulated:
    """The steps, and the derivatives kept whole under a name because the result would
    otherwise write them out more than once (G1 = df/dH1), each after those it uses."""

    steps: tuple[Step, ...]
    derivatives: tuple[Binding, ...]
    shapes: Shapes
    """The shapes of every symbol the steps use, the derivatives' names among them."""


def accumulate(
    named: Named, variable: Symbol, tag: int, defined: Mapping[str, Expr], memo: Memo | None = None
) -> Accumulated:
    """The blocks' steps for df/d(variable), then, where there are several blocks, the step
    that puts them back together; `defined` holds the derivatives of the user's functions, and
    `memo` keeps what the closed forms of the blocks work out, for the result's closed form."""
    shapes = named.shapes
    steps = _bounded(_blocks(named, variable, Context(shapes, defined), tag))
    ends = {step.block or variable: step.expression for step in steps}
    if len(ends) == 1:
        return Accumulated(tuple(steps), (), shapes)
    blocks = list(ends)
    shapes = shapes.with_symbols(dict(shapes.symbols))
    references = _references(ends)
    together, derivatives = _put_back(blocks, ends, references, named, shapes, memo)
    wording = (
        "we've put each derivative with respect to a named value, worked out above, back "
        "where it is used, from the last to the first"
    )
    if any(count > 1 for count in references.values()):
        wording += (
            "; one used more than once goes in closed form, with the small named values in it "
            "written out"
        )
    if derivatives:
        kept = ", ".join(f"{b.name} = df/d{b.derivative_of}" for b in derivatives)
        wording += f", or keeps a name where it is long ({kept})"
    steps.append(Step(None, SUBSTITUTION, together, wording))
    return Accumulated(tuple(steps), derivatives, shapes)


def _bounded(steps: Iterator[Step]) -> list[Step]:
    """The steps, as long as they write out at most MAX_DERIVATION nodes in all."""
    kept: list[Step] = []
    written = 0
    for step in steps:
        written += step.expression.size
        if written > MAX_DERIVATION:
            raise MatcalcError(
                f"the derivation is too long to show: its steps would hold more than "
                f"{MAX_DERIVATION:,} symbols and operations; differentiate a smaller objective",
                ErrorKind.VALUE,
            )
        kept.append(step)
    return kept


@dataclass(frozen=True, slots=True)
class Context:
    """What every step of one derivation reads: the shapes, the user's functions' derivatives."""

    shapes: Shapes
    defined: Mapping[str, Expr]


def _blocks(named: Named, variable: Symbol, context: Context, tag: int) -> Iterator[Step]:
    """df/d(variable), then df/dH for each named value H it flows into, one block each and
    each in terms of the next."""
    blocks = [variable, *_downstream(named.where, variable)]
    uses: dict[Expr, list[Use]] = {block: [] for block in blocks}
    owners: list[tuple[Symbol | None, Expr]] = [
        (b.name, b.value) for b in named.where if b.name in uses
    ]
    owners.append((None, named.body))
    for owner, value in owners:
        for node, path in with_paths(value):
            if node in uses:
                uses[node].append((owner, path))
    within = dict(owners)
    for block in blocks:
        for step in _block(named.body, block, uses[block], within, context, tag):
            tag += step.tag is not None
            if block is variable:  # its steps carry no block: the name is written out
                step = replace(
                    step, block=None, wording=step.wording.replace("{block}", str(block))
                )
            yield step


def _downstream(where: tuple[Binding, ...], variable: Symbol) -> list[Symbol]:
    """The named values that depend on `variable`, innermost first."""
    found = {variable.name}
    for binding in where:
        if not found.isdisjoint(symbol_names(binding.value)):
            found.add(binding.name.name)
    return [binding.name for binding in where if binding.name.name in found]


def _put_back(
    blocks: list[Symbol],
    ends: Mapping[Symbol, Expr],
    references: Counter[Expr],
    named: Named,
    shapes: Shapes,
    memo: Memo | None,
) -> tuple[Expr, tuple[Binding, ...]]:
    """The first block's expression with each df/dH replaced by H's own block, last first; a
    block written out more than once keeps a name, which joins `shapes`, where it is not
    small."""
    prefix = derivative_prefix(shapes.symbols)
    done: dict[Expr, Expr] = {}
    kept: list[Binding] = []
    for block in reversed(blocks):
        value = _referenced(ends[block], done)
        if references[block] > 1:  # written out again in closed form, or kept by a name
            value = closed_form(named.written_out(value), shapes, memo=memo).expr
            if value.size * (references[block] - 1) > KEPT:
                name = Symbol(f"{prefix}{len(kept) + 1}")
                kept.append(Binding(name, value, block))
                shapes.symbols[name.name] = shapes.of(block)
                value = name
        done[block] = value
    return done[blocks[0]], tuple(kept)


def _references(ends: Mapping[Symbol, Expr]) -> Counter[Expr]:
    """How many times the blocks' ends use each derivative with respect to a named value."""
    return Counter(
        node.wrt
        for end in ends.values()
        for node in preorder(end)
        if isinstance(node, Pending) and not node.path
    )


def _referenced(expr: Expr, done: Mapping[Expr, Expr]) -> Expr:
    """`expr` with each df/dH of a named value H replaced by `done[H]`."""

    def reference(node: Expr) -> Expr | None:
        if isinstance(node, Pending) and not node.path:
            return done.get(node.wrt)
        return None

    return replace_nodes(expr, reference)


def _block(
    body: Expr,
    block: Symbol,
    sites: list[Use],
    within: Mapping[Symbol | None, Expr],
    context: Context,
    tag: int,
) -> Iterator[Step]:
    """The steps that take df/d(block), at its `sites`, up to f, or up to the derivatives with
    respect to the named values whose `within` values it is part of."""
    if len(sites) > 1:
        expression: Expr = Add(
            tuple(Pending(body, block, path, i, name) for i, (name, path) in enumerate(sites, 1))
        )
        yield Step(
            tag,
            MULTIVARIABLE_CHAIN_RULE,
            expression,
            f"{{block}} occurs {len(sites)} times, so by the multivariable chain rule its "
            "derivative is the sum of the derivatives through each occurrence (numbered in "
            "reading order), the others held fixed",
            block=block,
        )
        tag += 1
    elif sites == [(None, ())]:
        yield Step(None, "identity", ONE, "the objective is the variable itself: df/df = 1")
        return
    elif sites:
        expression = Pending(body, block, sites[0][1], 0, sites[0][0])
    else:
        yield Step(None, "constant", ZERO, "the objective does not depend on the variable")
        return
    while (found := _first_pending(expression)) is not None:
        where, pending = found
        owner = within[pending.within]
        rule, site = rule_for(owner, pending.path, context.shapes, context.defined)
        parent_path = pending.path[: len(pending.path) - len(site.path)]
        d_parent: Expr = ONE
        if parent_path:
            d_parent = Pending(body, site.node, parent_path, 0, pending.within)
        elif pending.within is not None:
            d_parent = Pending(body, pending.within, ())
        new = rule.vjp(site, d_parent)
        if pending.within is not None and not parent_path:
            # the operation is the named value's own (tanh' as 1 - tanh(u)^{∘2}): call it by name
            new = substituted(new, {owner: pending.within})
        # the rest of the expression has its signs out already: only the path up needs a look
        expression = replace_at(expression, where, signs_out(new), lift_sign)
        tagged = rule.kind is not Kind.REARRANGEMENT
        yield Step(
            tag if tagged else None,
            rule.name,
            expression,
            rule.wording,
            (site.child, site.node),
            rule.letter,
            rule.assumes(site),
            block,
        )
        tag += tagged


def _first_pending(expr: Expr) -> tuple[tuple[int, ...], Pending] | None:
    """The first derivative still to work out (one with a path), and where it is."""
    if not expr.has_pending:
        return None
    path: tuple[int, ...] = ()
    while not isinstance(expr, Pending):
        index, expr = next((i, c) for i, c in enumerate(expr.children()) if c.has_pending)
        path = (*path, index)
    return path, expr
