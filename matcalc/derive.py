"""The engine: rewrite one pending derivative per step by one rule of the table, and record it.

Start from df/dX (a sum over X's occurrences when X occurs more than once), then repeatedly take
the first pending df/dH, find the operation G(H) one level up, and replace df/dH by the rule's
expression in df/dG. The chain ends at the objective, where df/df = 1. Then simplify.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from matcalc.cookbook import known_identity
from matcalc.definitions import Definition, defined, definition
from matcalc.errors import ErrorKind, MatcalcError
from matcalc.expr import (
    ONE,
    ZERO,
    Add,
    Div,
    Expr,
    MatMul,
    Pending,
    Symbol,
    Transpose,
    number,
    replace_at,
    replace_nodes,
    symbol_names,
    with_paths,
)
from matcalc.limits import MAX_DERIVATION, MAX_TERMS
from matcalc.parser import parse_located
from matcalc.rules import RULES_BY_NAME, Assumption, Kind, Rule, rule_for
from matcalc.shapes import (
    NAMINGS,
    SCALAR,
    Shape,
    Shapes,
    declared_shape,
    fill_sizes,
    infer,
    is_symmetric,
    show,
)
from matcalc.shapes import convention as kind_of
from matcalc.sharing import Binding, Named, named_values
from matcalc.simplify import closed_form, factored_form, lift_sign, linear_map, signs_out

ShapeSpec = Mapping[str, Sequence[int | str] | str]
"""Declared shapes: {"X": ("m", "n"), "x": ("n",), "lambda": (), "S": ("n", "n", "symmetric")};
ints allowed."""

MULTIVARIABLE_CHAIN_RULE = "multivariable chain rule"
SUBSTITUTION = "substitution"
SIMPLIFICATION = "simplification"
SYMMETRIC_VARIABLE = "symmetric variable"
NUMERATOR_LAYOUT = "numerator layout"
JACOBIAN = "Jacobian"
LAYOUTS = ("denominator", "numerator")
"""The gradient's layout: the variable's shape (the seed's), or its transpose."""


@dataclass(frozen=True, slots=True)
class Step:
    """One line of a derivation: the expression after applying `rule`, and why.

    `tag` is None for steps that only move signs or scalars, and for the final simplification.
    `function` is (H, G(H)) for the seed's "we've used the framework with G: H ↦ G(H)", and
    `wording` is that sentence with `{function}` in its place, for every printer to fill in.
    """

    tag: int | None
    rule: str
    expression: Expr
    wording: str
    function: tuple[Expr, Expr] | None = None
    letter: str = "G"
    assumption: Assumption | None = None
    block: Symbol | None = None
    """The named value whose derivative the step works out (matcalc/sharing.py); None: the
    variable's."""

    @property
    def justification(self) -> str:
        return self.sentence(str, "{}: {} ↦ {}")

    def sentence(self, show: Callable[[Expr], str], form: str) -> str:
        """The wording with the function written by `form` from (letter, H, G(H)) in `show`."""
        if self.function is None:
            return self.wording
        h, p = self.function
        return self.wording.format(function=form.format(self.letter, show(h), show(p)))


@dataclass(frozen=True)
class Derivation:
    """The derivative of a scalar objective with respect to one variable, step by step."""

    objective: Expr
    wrt: Symbol
    shapes: Shapes
    steps: tuple[Step, ...]
    result: Expr
    layout: str = "denominator"
    citation: str | None = None
    """The known identity the result is, as "Matrix Cookbook eq. (101)"."""
    jacobian_of: Expr | None = None
    """For a column objective y: y itself; the derivation is of f = u^T y."""
    cotangent: Symbol | None = None
    """For a Jacobian, the column u in f = u^T y."""
    functions: Mapping[str, Definition] = field(default_factory=dict)
    """The user's functions the objective uses."""
    where: tuple[Binding, ...] = ()
    """The named values the steps and the result use, innermost first (matcalc/sharing.py)."""

    def factored(self) -> Expr:
        """The result with common factors pulled out, e.g. `2 (D R - X) R^T`."""
        return factored_form(self.result, self.shapes)

    @property
    def assumptions(self) -> tuple[Assumption, ...]:
        """Where the result holds, if not everywhere: each condition once, in step order."""
        found = (step.assumption for step in self.steps if step.assumption is not None)
        return tuple(dict.fromkeys(found))

    @property
    def shape(self) -> Shape:
        """The result's shape: the variable's own, or its transpose in numerator layout."""
        rows, cols = self.shapes.symbols[self.wrt.name]
        if self.cotangent is not None:
            rows, cols = rows, self.shapes.symbols[self.cotangent.name][0]
        return (cols, rows) if self.layout == "numerator" else (rows, cols)

    @property
    def result_name(self) -> str:
        """`df/dX`, or `d(A exp(x))/dx` for a Jacobian."""
        if self.jacobian_of is None:
            return f"df/d{self.wrt.name}"
        from matcalc.printing.text import text

        return f"d({text(self.jacobian_of)})/d{self.wrt.name}"

    @property
    def layout_sentence(self) -> str:
        """Which layout the result is in, said in every output."""
        name, size = self.wrt.name, show(self.shape)
        if self.jacobian_of is not None:
            per = "a row" if self.layout == "numerator" else "a column"
            return f"{self.result_name} is {size}, {per} per entry ({self.layout} layout)"
        if self.layout == "numerator":
            return (
                f"df/d{name} is {show(self.shape)}, the transpose of {name}'s shape "
                "(numerator layout)"
            )
        return f"df/d{name} has the shape of {name}, {show(self.shape)} (denominator layout)"

    @property
    def rules(self) -> tuple[Rule, ...]:
        """The rules of the table the steps used, each once, in the order first used."""
        used = (RULES_BY_NAME.get(step.rule) for step in self.steps)
        return tuple(dict.fromkeys(rule for rule in used if rule is not None))

    def text(self, *, proofs: bool = False) -> str:
        """The steps in plain text; `proofs` appends the index-notation proof of each rule used."""
        from matcalc.printing.text import derivation_text

        return derivation_text(self, proofs=proofs)

    def latex(self, *, proofs: bool = False, standalone: bool = False) -> str:
        """An align* with a tag per step and the seed's sentences; `proofs` appends each rule's
        proof, `standalone` makes a complete LaTeX document."""
        from matcalc.printing.latex import derivation_latex, document

        body = derivation_latex(self, proofs=proofs)
        return document(body) if standalone else body

    def _repr_latex_(self) -> str:
        return self.latex()

    def _repr_html_(self) -> str:
        from matcalc.printing.html import derivation_html

        return derivation_html(self)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, str]:
        """What a notebook shows: HTML with each rule's proof folded, LaTeX, and plain text."""
        return {
            "text/plain": self.text(),
            "text/latex": self.latex(),
            "text/html": self._repr_html_(),
        }

    def to_python(self, name: str = "f_and_grad") -> str:
        """Python source of `name(inputs…)`, returning f and this gradient, in array-API calls
        (NumPy, and PyTorch, JAX, … arrays through array-api-compat)."""
        from matcalc.generate import python_function

        return python_function([self], name)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: expression, wrt, result (text and LaTeX) and the steps."""
        from matcalc.printing.latex import latex
        from matcalc.printing.text import text

        return {
            "expression": text(self.objective),
            "wrt": self.wrt.name,
            "shape": show(self.shape),
            "layout": self.layout,
            "result": text(self.result),
            "citation": self.citation,
            "result_latex": latex(self.result),
            "assumptions": [assumption.sentence(text) for assumption in self.assumptions],
            "where": [
                {"name": b.name.name, "value": text(b.value), "latex": latex(b.value)}
                for b in self.where
            ],
            "steps": [
                {
                    "tag": step.tag,
                    "rule": step.rule,
                    "expression": text(step.expression),
                    "latex": latex(step.expression),
                    "justification": step.justification,
                }
                for step in self.steps
            ],
        }

    def __str__(self) -> str:
        return self.text()


def diff(
    expr: str,
    wrt: str,
    *,
    shapes: ShapeSpec | None = None,
    layout: str = "denominator",
    symmetrise: bool = True,
    convention: str = "seed",
    functions: Mapping[str, str | Definition] | None = None,
    first_tag: int = 1,
) -> Derivation:
    """Differentiate the scalar objective `expr` with respect to the variable `wrt`.

    `layout="numerator"` gives the transpose of the gradient. For a variable declared symmetric
    the result is the gradient among symmetric matrices, (G + G^T)/2 of the unconstrained
    gradient G; `symmetrise=False` gives G itself. `convention="matrixcalculus"` reads
    undeclared names as matrixcalculus.org does: a–g scalars, h–z vectors, A–Z matrices.
    `functions` defines scalar functions used elementwise: {"phi": "log(1 + exp(x))"}.
    """
    _check(layout, convention)
    definitions = {
        name: found if isinstance(found, Definition) else definition(name, found)
        for name, found in (functions or {}).items()
    }
    objective, spans = parse_located(expr, definitions)
    declared = {name: declared_shape(name, spec) for name, spec in (shapes or {}).items()}
    symmetric = frozenset(name for name, spec in (shapes or {}).items() if is_symmetric(spec))
    typed = infer(objective, declared, lambda node: spans.get(id(node)), symmetric, convention)
    objective = fill_sizes(objective, typed)
    variable = Symbol(wrt.strip())
    jacobian_of, cotangent = None, None
    if typed.of(objective) != SCALAR:
        jacobian_of, cotangent = objective, _cotangent(objective, variable, typed)
        objective = MatMul(Transpose(cotangent), objective)
        declared = {**typed.symbols, cotangent.name: typed.of(jacobian_of)}
        typed = infer(objective, declared, symmetric=symmetric)
    if variable.name not in typed.symbols:
        kind = kind_of(variable.name, convention)
        example = {"scalar": "scalar", "vector": "n"}.get(kind, "m,n")
        raise MatcalcError(
            f"{variable.name!r} does not occur in {objective}; declare its shape "
            f"(--shape {variable.name}={example}) to get a zero gradient",
            ErrorKind.NAME,
        )
    named = named_values(objective, variable, typed)
    typed = named.shapes
    with defined(definitions):
        steps = _bounded(_chain(named, variable, typed, first_tag))
    result = _simplified(steps, typed)
    citation = None
    if cotangent is not None:
        transposed = linear_map(result, cotangent, typed)
        jacobian = Transpose(transposed) if layout == "numerator" else transposed
        result = _rewritten(steps, jacobian, typed, JACOBIAN)
    else:
        if variable.name not in symmetric and layout == "denominator":
            citation = _cite(steps, objective, variable, typed)
        if variable.name in symmetric and symmetrise:
            result = _rewritten(steps, Div(Add((result, Transpose(result))), number(2)), typed)
        if layout == "numerator":
            result = _rewritten(steps, Transpose(result), typed, NUMERATOR_LAYOUT)
    return Derivation(
        objective,
        variable,
        typed,
        tuple(steps),
        result,
        layout,
        citation,
        jacobian_of,
        cotangent,
        definitions,
        named.where,
    )


def _check(layout: str, convention: str) -> None:
    if layout not in LAYOUTS:
        raise MatcalcError(
            f"unknown layout {layout!r}: use denominator or numerator", ErrorKind.VALUE
        )
    if convention not in NAMINGS:
        raise MatcalcError(
            f"unknown convention {convention!r}: use {' or '.join(NAMINGS)}", ErrorKind.VALUE
        )


def _simplified(steps: list[Step], shapes: Shapes) -> Expr:
    """The closed form of the last step, recorded as a step of its own when it differs."""
    last = steps[-1].expression
    closed = closed_form(last, shapes)
    if closed.expr != last:
        wording = _simplification_wording(closed.expanded)
        steps.append(Step(None, SIMPLIFICATION, closed.expr, wording))
    return closed.expr


def _cite(steps: list[Step], objective: Expr, variable: Symbol, shapes: Shapes) -> str | None:
    """The Cookbook identity the result is, also said in the last step's justification."""
    identity = known_identity(objective, variable.name, shapes)
    if identity is None or not set(identity.symmetric) <= shapes.symmetric:
        return None
    if identity.citation not in steps[-1].wording:
        wording = f"{steps[-1].wording}; the result is {identity.citation}"
        steps[-1] = replace(steps[-1], wording=wording)
    return identity.citation


def _cotangent(objective: Expr, variable: Symbol, shapes: Shapes) -> Symbol:
    """A fresh column u for the Jacobian of a column `objective`: d(u^T y)/dx = J^T u."""
    rows, cols = shapes.of(objective)
    kind = shapes.symbols.get(variable.name, SCALAR)
    if cols != 1 or kind[1] != 1:
        raise MatcalcError(
            f"the objective must be a scalar, or a column differentiated by a vector or a "
            f"scalar (its Jacobian), but {objective} is {rows}×{cols}",
            ErrorKind.SHAPE,
        )
    taken = set(shapes.symbols)
    return Symbol(next(n for n in ("u", "v", "w", *(f"u{i}" for i in range(99))) if n not in taken))


def _rewritten(
    steps: list[Step], expr: Expr, shapes: Shapes, rule: str = SYMMETRIC_VARIABLE
) -> Expr:
    """The closed form of `expr`, recorded as a step when it differs from the last."""
    result = closed_form(expr, shapes).expr
    if result != steps[-1].expression:
        steps.append(Step(None, rule, result, _REWRITINGS[rule]))
    return result


_REWRITINGS = {
    JACOBIAN: "this is M u for every u, with M the Jacobian's transpose: dy/dx = M^T in "
    "numerator layout (a row per entry of y), M in denominator layout",
    SYMMETRIC_VARIABLE: "the variable is symmetric, so its gradient among symmetric matrices is "
    "the symmetric part (G + G^T)/2 of the gradient G above",
    NUMERATOR_LAYOUT: "in numerator layout the derivative of a scalar is the transpose of its "
    "gradient",
}


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


def _simplification_wording(expanded: bool) -> str:
    if expanded:
        return "we've expanded products and collected terms"
    return (
        f"expanding the products would give more than {MAX_TERMS} terms, so the sums inside "
        "them are kept whole; we've collected terms and pulled out common factors"
    )


def _chain(named: Named, variable: Symbol, shapes: Shapes, tag: int) -> Iterator[Step]:
    """df/d(variable), then df/dH for each named value H it flows into, one block each and
    each in terms of the next; the last puts them back into the first."""
    blocks = [variable, *_downstream(named.where, variable)]
    owners: list[tuple[Symbol | None, Expr]] = [
        (b.name, b.value) for b in named.where if b.name in blocks
    ]
    owners.append((None, named.body))
    uses: dict[Expr, list[Use]] = {block: [] for block in blocks}
    for owner, value in owners:
        for node, path in with_paths(value):
            if node in uses:
                uses[node].append((owner, path))
    within = dict(owners)
    ends: dict[Expr, Expr] = {}
    for block in blocks:
        last = None
        for step in _block(named.body, block, uses[block], within, shapes, tag):
            tag += step.tag is not None
            last = step
            yield step if block is not variable else replace(step, block=None)
        assert last is not None
        ends[block] = last.expression
    if len(blocks) > 1:
        yield Step(
            None,
            SUBSTITUTION,
            _put_back(blocks, ends),
            "we've put each derivative with respect to a named value, worked out above, back "
            "where it is used, from the last to the first",
        )


Use = tuple[Symbol | None, tuple[int, ...]]
"""Where a variable or a named value occurs: in the value of a name (None: in f), at a path."""


def _downstream(where: tuple[Binding, ...], variable: Symbol) -> list[Symbol]:
    """The named values that depend on `variable`, innermost first."""
    found = {variable.name}
    for binding in where:
        if not found.isdisjoint(symbol_names(binding.value)):
            found.add(binding.name.name)
    return [binding.name for binding in where if binding.name.name in found]


def _put_back(blocks: list[Symbol], ends: dict[Expr, Expr]) -> Expr:
    """The first block's expression with each df/dH replaced by H's own block, last first."""
    done: dict[Expr, Expr] = {}
    for block in reversed(blocks):
        done[block] = replace_nodes(
            ends[block],
            lambda node: (
                done.get(node.wrt) if isinstance(node, Pending) and not node.path else None
            ),
        )
    return done[blocks[0]]


def _block(
    body: Expr,
    block: Symbol,
    sites: list[Use],
    within: Mapping[Symbol | None, Expr],
    shapes: Shapes,
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
            f"{block} occurs {len(sites)} times, so by the multivariable chain rule its "
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
        rule, site = rule_for(owner, pending.path, shapes)
        parent_path = pending.path[: len(pending.path) - len(site.path)]
        d_parent: Expr = ONE
        if parent_path:
            d_parent = Pending(body, site.node, parent_path, 0, pending.within)
        elif pending.within is not None:
            d_parent = Pending(body, pending.within, ())
        new = rule.vjp(site, d_parent)
        if pending.within is not None:  # a rule may use the named value itself: call it by name
            new = _by_name(new, owner, pending.within)
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


def _by_name(expr: Expr, value: Expr, name: Symbol) -> Expr:
    """`expr` with `value` written as its `name`."""
    return replace_nodes(expr, lambda node: name if node == value else None)


def _first_pending(expr: Expr) -> tuple[tuple[int, ...], Pending] | None:
    path: tuple[int, ...] = ()
    while not isinstance(expr, Pending):
        if not expr.has_pending:
            return None
        index, expr = next((i, c) for i, c in enumerate(expr.children()) if c.has_pending)
        path = (*path, index)
    return path, expr


class Session:
    """Derivations whose step tags run on, as the equations of one article do."""

    def __init__(self) -> None:
        self.next_tag = 1
        self.derivations: list[Derivation] = []

    def diff(self, expr: str, wrt: str, **options: Any) -> Derivation:
        """`diff` with the next free tag; `options` are diff's (shapes, layout, …)."""
        derivation = diff(expr, wrt, first_tag=self.next_tag, **options)
        tags = [step.tag for step in derivation.steps if step.tag is not None]
        self.next_tag = max(tags, default=self.next_tag - 1) + 1
        self.derivations.append(derivation)
        return derivation
