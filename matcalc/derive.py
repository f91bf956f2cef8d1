"""The expression-level core: `derive(objective, wrt, shapes, options)` names what is shared,
runs the engine, simplifies, and says what the result is (a Jacobian, a symmetric gradient,
numerator layout, a Matrix Cookbook identity); its result can be fed back in."""

from __future__ import annotations

import reprlib
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from matcalc.cookbook import known_identity
from matcalc.declarations import NAME_FORMS, NAMINGS, declarations, is_name
from matcalc.declarations import convention as kind_of
from matcalc.definitions import Definition, derivative_templates
from matcalc.derivation import LAYOUTS, Derivation, Options, Step
from matcalc.engine import accumulate
from matcalc.errors import ErrorKind, MatcalcError, Span
from matcalc.expr import (
    Add,
    Div,
    Expr,
    Func,
    LogSoftmax,
    MatMul,
    Softmax,
    Symbol,
    Transpose,
    number,
)
from matcalc.functions import FUNCTIONS, is_generic
from matcalc.limits import deep_recursion
from matcalc.notes import Note, convention_notes, matrix_power_notes
from matcalc.parser import IDENTITY_NAMES, KNOWN_FUNCTIONS
from matcalc.shapes import SCALAR, Shape, Shapes, fill_sizes, infer, show
from matcalc.sharing import (
    Binding,
    bindings,
    in_order,
    inlined,
    named_values,
    prefix_for,
    renamer,
    repeated_values,
)
from matcalc.simplify import closed_form, linear_map
from matcalc.simplify.simplifier import Memo
from matcalc.traversal import distinct, replace_nodes, symbol_names

ShapeSpec = Mapping[str, Sequence[int | str] | str]
"""Declared shapes: {"X": ("m", "n"), "x": ("n",), "lambda": (), "S": ("n", "n", "symmetric")};
ints allowed."""

DEFAULT = Options()
"""The seed's way: denominator layout, symmetric gradients, its naming, tags from 1."""

SIMPLIFICATION = "simplification"
SYMMETRIC_VARIABLE = "symmetric variable"
NUMERATOR_LAYOUT = "numerator layout"
JACOBIAN = "Jacobian"


@deep_recursion
def derive(
    objective: Expr,
    wrt: str | Symbol,
    shapes: Shapes | ShapeSpec | None = None,
    options: Options = DEFAULT,
    where: Sequence[Binding] = (),
) -> Derivation:
    """The derivative of the scalar `objective` (or the Jacobian of a column) by `wrt`.

    `shapes` declares shapes as `diff` takes them, or is a Derivation's own `shapes`, so that
    its result can be differentiated again; undeclared names follow `options.convention`.
    `where` holds the named values `objective` uses (a Derivation's `where`): they are written
    out first, since they depend on the variables.
    """
    check(options)
    _check_names(objective, options.definitions)
    _check_where(where, options.definitions)
    variable = variable_named(wrt)
    shapes_given = shapes
    if where:
        objective = inlined(objective, where)
        if isinstance(shapes, Shapes):
            bound = {b.name.name for b in where}
            symbols = {k: v for k, v in shapes.symbols.items() if k not in bound}
            shapes = shapes.with_symbols(symbols)
    typed = inferred(objective, shapes, options.convention)
    # the derivative is by every matrix, not along the declared constraint: a gradient that
    # used sum(y) = 1 for the variable itself would not differentiate again rightly
    typed.sum_to_one = typed.sum_to_one - {variable.name}
    objective = fill_sizes(objective, typed)  # ones(?) and I read their sizes off their places
    if variable.name not in typed.symbols:
        _not_a_variable(variable.name, options.definitions)
        kind = kind_of(variable.name, options.convention)
        example = {"scalar": "scalar", "vector": "n"}.get(kind, "m,n")
        raise MatcalcError(
            f"{variable.name!r} does not occur in {objective}; declare its shape "
            f"(--shape {variable.name}={example}) to get a zero gradient",
            ErrorKind.NAME,
        )
    objective, stable = _stable_logs(objective)
    notes = _notes(objective, typed, shapes_given, options.convention) + stable
    return derived(objective, variable, typed, options, notes)


def _stable_logs(objective: Expr) -> tuple[Expr, tuple[Note, ...]]:
    """`log(softmax(Z))` read as `log_softmax(Z)`: the same function, whose derivative and
    code need no division by a softmax that rounds to 0; each said in a note."""
    found: list[Note] = []

    def stable(node: Expr) -> Expr | None:
        if isinstance(node, Func) and node.name == "log" and isinstance(node.arg, Softmax):
            written = LogSoftmax(node.arg.arg)
            found.append(
                Note("{} is read as {}, the same function without overflow", (node, written))
            )
            return written
        return None

    read = replace_nodes(objective, stable)  # fills `found`
    return read, tuple(dict.fromkeys(found))


def derived(
    objective: Expr,
    variable: Symbol,
    typed: Shapes,
    options: Options = DEFAULT,
    notes: tuple[Note, ...] = (),
) -> Derivation:
    """`derive`'s work on an objective it has checked and typed, every value written out:
    second order hands it the gradient's own, which needs neither again."""
    jacobian_of, cotangent = None, None
    if typed.of(objective) != SCALAR:
        jacobian_of, cotangent = objective, _cotangent(objective, variable, typed)
        objective = MatMul(Transpose(cotangent), objective)
        declared = {**typed.symbols, cotangent.name: typed.of(jacobian_of)}
        typed = infer(objective, declared, symmetric=typed.symmetric, sum_to_one=typed.sum_to_one)
    templates = derivative_templates(options.definitions)
    named = named_values(objective, variable, typed, templates)
    memo: Memo = {}  # the blocks' closed forms and the result's share their work
    accumulated = accumulate(named, variable, options.first_tag, templates, memo)
    shapes = accumulated.shapes
    steps = list(accumulated.steps)
    values: dict[Expr, Expr] = {b.name: b.value for b in named.where}
    result = _simplified(steps, named.written_out(steps[-1].expression), shapes, values, memo)
    citation = None
    if cotangent is not None:  # the Jacobian is read off u, which the kept derivatives hold
        transposed = linear_map(inlined(result, accumulated.derivatives), cotangent, shapes)
        jacobian = Transpose(transposed) if options.layout == "numerator" else transposed
        result = rewritten(steps, jacobian, shapes, JACOBIAN)
    else:
        result, citation = _gradient(steps, result, objective, variable, shapes, options)
    where = (*named.where, *accumulated.derivatives)  # each after those it uses already
    # the blocks' steps come before the kept derivatives' names (G1 = df/dH1) do
    blocks = len(accumulated.steps) - 1 if accumulated.derivatives else 0
    result, where, steps, shapes = _name_repeats(
        result, where, steps, shapes, prefix_for(typed.symbols), blocks
    )
    return Derivation(
        objective,
        variable,
        shapes,
        tuple(steps),
        result,
        options.layout,
        citation,
        jacobian_of,
        cotangent,
        options.definitions,
        where,
        notes,
    )


def _check_names(objective: Expr, defined: Mapping[str, object]) -> None:
    """Nodes built by hand hold what the parser's nodes hold: each field the value its
    declaration says (an expression where one goes), a symbol's a name, a function one of the
    table's, a generic g or the user's own (all the later stages, and the code they write,
    rely on it)."""
    if not isinstance(objective, Expr):
        raise MatcalcError(
            f"derive takes an expression (matcalc.parse's; matcalc.diff takes text), not "
            f"{type(objective).__name__}",
            ErrorKind.VALUE,
        )
    for node in distinct(objective):
        _check_fields(node)
        match node:
            case Symbol(name) if not (isinstance(name, str) and is_name(name)):
                raise MatcalcError(f"{name!r} is not a name matcalc reads", ErrorKind.NAME)
            case Func(name) if not (isinstance(name, str) and _known(name, defined)):
                raise MatcalcError(f"unknown function {name!r}", ErrorKind.NAME)


def _check_fields(node: Expr) -> None:
    """Each field of a hand-built node holds what the node's class declares for it."""
    for name, declared in _declared_fields(type(node)):
        value = getattr(node, name)
        origin = typing.get_origin(declared)
        if origin is tuple:
            kind = typing.get_args(declared)[0]
            fits = isinstance(value, tuple) and all(isinstance(item, kind) for item in value)
        else:
            fits = isinstance(value, declared)
        if not fits:
            what = "an expression" if declared is Expr or origin is tuple else f"a {declared}"
            raise MatcalcError(
                f"a {type(node).__name__} node's {name} is {reprlib.repr(value)}, where "
                f"{what} goes: build nodes from expressions (matcalc.parse gives them)",
                ErrorKind.VALUE,
            )


def _declared_fields(kind: type[Expr]) -> tuple[tuple[str, typing.Any], ...]:
    """A node class's fields with their declared types, read once per class."""
    if kind not in _FIELDS:
        hints = typing.get_type_hints(kind)
        _FIELDS[kind] = tuple((name, hints[name]) for name in kind.__match_args__)
    return _FIELDS[kind]


_FIELDS: dict[type[Expr], tuple[tuple[str, typing.Any], ...]] = {}


def _check_where(where: object, defined: Mapping[str, object]) -> None:
    """`where` is a Derivation's: Bindings of names to expressions matcalc could have read."""
    for binding in bindings(where):
        _check_names(binding.name, defined)
        _check_names(binding.value, defined)


def _not_a_variable(name: str, defined: Mapping[str, object]) -> None:
    """A variable that is a function's name, or the identity's, which no symbol can have."""
    if name in KNOWN_FUNCTIONS or name in defined:
        raise MatcalcError(
            f"{name} is a function's name, not a variable: differentiate by one of the "
            "objective's symbols",
            ErrorKind.NAME,
        )
    if name in IDENTITY_NAMES:
        raise MatcalcError(
            f"{name} is the identity matrix, not a variable: differentiate by one of the "
            "objective's symbols",
            ErrorKind.NAME,
        )


def _known(function: str, defined: Mapping[str, object]) -> bool:
    """A function of the table, the user's, or a generic g, or a derivative of one (g')."""
    stem = function.rstrip("'")
    return stem in FUNCTIONS or stem in defined or is_generic(function)


def _notes(
    objective: Expr, typed: Shapes, given: Shapes | ShapeSpec | None, naming: str
) -> tuple[Note, ...]:
    """Matrix powers, dimensions' names read as sizes, and the convention's scalars unless
    every shape came in a `Shapes`."""
    notes = matrix_power_notes(objective, typed) + _sizes(objective, typed)
    if isinstance(given, Shapes):
        return notes
    return notes + convention_notes(objective, {name.strip() for name in given or {}}, naming)


def _sizes(objective: Expr, typed: Shapes) -> tuple[Note, ...]:
    """A note for each dimension's name the objective uses as a number: its size."""
    sizes = set(symbol_names(objective)) - set(typed.symbols)
    return tuple(
        Note(f"{{}} is read as a number: the size of the dimension {name}", (Symbol(name),))
        for name in sorted(sizes)
    )


def _gradient(
    steps: list[Step],
    result: Expr,
    objective: Expr,
    variable: Symbol,
    shapes: Shapes,
    options: Options,
) -> tuple[Expr, str | None]:
    """The gradient as asked for: symmetrised for a symmetric variable, transposed in
    numerator layout; and the Cookbook identity it is, if any."""
    citation = None
    if variable.name in shapes.symmetric:
        if options.symmetrise:
            symmetrised = Div(Add((result, Transpose(result))), number(2))
            result = rewritten(steps, symmetrised, shapes)
    elif options.layout == "denominator":
        citation = _cite(steps, objective, variable, shapes)
    if options.layout == "numerator":
        result = rewritten(steps, Transpose(result), shapes, NUMERATOR_LAYOUT)
    return result, citation


def variable_named(wrt: object) -> Symbol:
    """The variable to differentiate by, if it is one name as the parser reads names."""
    name = wrt.name if isinstance(wrt, Symbol) else wrt
    if not isinstance(name, str):
        raise MatcalcError(
            f'the variable is a name such as "X", not {reprlib.repr(name)}', ErrorKind.NAME
        )
    if not name.strip():
        raise MatcalcError("the variable to differentiate by is empty; name one", ErrorKind.NAME)
    if not is_name(name.strip()):
        raise MatcalcError(
            f"{name!r} is not a variable matcalc reads: a name is {NAME_FORMS}", ErrorKind.NAME
        )
    return Symbol(name.strip())


def check(options: Options) -> None:
    """A clear error for options that are not an `Options`, and for a layout, a naming
    convention, a tag, a symmetrise or functions that do not exist."""
    if not isinstance(options, Options):
        raise MatcalcError(
            f'options is a matcalc.Options, such as Options(layout="numerator"), not '
            f"{reprlib.repr(options)}",
            ErrorKind.VALUE,
        )
    if not isinstance(options.symmetrise, bool):
        raise MatcalcError(
            f"symmetrise is True or False, not {reprlib.repr(options.symmetrise)}",
            ErrorKind.VALUE,
        )
    if options.layout not in LAYOUTS:
        raise MatcalcError(
            f"unknown layout {options.layout!r}: use denominator or numerator", ErrorKind.VALUE
        )
    if options.convention not in NAMINGS:
        raise MatcalcError(
            f"unknown convention {options.convention!r}: use {' or '.join(NAMINGS)}",
            ErrorKind.VALUE,
        )
    if type(options.first_tag) is not int or options.first_tag < 1:
        raise MatcalcError(
            f"the first tag is a whole number from 1, not {options.first_tag!r}", ErrorKind.VALUE
        )
    functions = options.functions
    if not isinstance(functions, tuple) or not all(isinstance(f, Definition) for f in functions):
        raise MatcalcError(
            f"Options.functions is a tuple of Definitions, not {reprlib.repr(functions)}"
        )


def inferred(
    objective: Expr,
    shapes: Shapes | ShapeSpec | None,
    convention: str,
    locate: Callable[[Expr], Span | None] = lambda _: None,
) -> Shapes:
    """The shapes of `objective`'s symbols, from declarations as `diff` takes them or from a
    derivation's own `shapes`; `locate` places a shape error in the user's text."""
    if isinstance(shapes, Shapes):
        declared, symmetric, sum_to_one = shapes.symbols, shapes.symmetric, shapes.sum_to_one
    else:
        declared, symmetric, sum_to_one = declarations(shapes)
    return infer(objective, declared, locate, symmetric, convention, sum_to_one)


def _simplified(
    steps: list[Step], last: Expr, shapes: Shapes, values: Mapping[Expr, Expr], memo: Memo
) -> Expr:
    """The closed form of the last step, recorded as a step of its own when it differs; the
    step says which simplifications it made (identities may look through the named `values`)."""
    closed = closed_form(last, shapes, values, memo)
    if closed.expr != steps[-1].expression:
        steps.append(Step(None, SIMPLIFICATION, closed.expr, closed.sentence))
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
            _no_jacobian(objective, (rows, cols), variable.name, kind), ErrorKind.SHAPE
        )
    taken = set(shapes.symbols)
    return Symbol(next(n for n in ("u", "v", "w", *(f"u{i}" for i in range(99))) if n not in taken))


def _no_jacobian(objective: Expr, shape: Shape, name: str, kind: Shape) -> str:
    """Why this derivative is no Jacobian matcalc writes: with a matrix objective or variable
    it has three or four indices, which no matrix holds; a row is a column's transpose."""
    indices = sum(1 for dim in (*shape, *kind) if dim != 1)
    sizes = f"{objective} is {show(shape)} and {name} is {show(kind)}"
    if indices > 2:
        return (
            f"the Jacobian d({objective})/d{name} has no matrix form: {sizes}, so it has "
            f"{indices} indices; differentiate a scalar of it instead, such as "
            f"sum(V ⊙ ({objective}))"
        )
    fixes = []
    if shape[1] != 1:
        fixes.append(
            f"differentiate {Transpose(objective)}"
            if shape[0] == 1
            else f"differentiate a scalar such as sum(V ⊙ ({objective}))"
        )
    if kind[1] != 1:
        fixes.append(f"declare {name} a column")
    return (
        f"matcalc writes the Jacobian of a column by a column or a scalar, but {sizes}: "
        + " and ".join(fixes)
    )


def rewritten(
    steps: list[Step],
    expr: Expr,
    shapes: Shapes,
    rule: str = SYMMETRIC_VARIABLE,
    *,
    wording: str | None = None,
    order: int = 1,
) -> Expr:
    """The closed form of `expr`, recorded as an untagged step (`rule`, in its own words or
    `wording`) when it differs from the last."""
    result = closed_form(expr, shapes).expr
    if result != steps[-1].expression:
        said = _REWRITINGS[rule] if wording is None else wording
        steps.append(Step(None, rule, result, said, order=order))
    return result


_REWRITINGS = {
    JACOBIAN: "this is M u for every u, with M the Jacobian's transpose: dy/dx = M^T in "
    "numerator layout (a row per entry of y), M in denominator layout",
    SYMMETRIC_VARIABLE: "the variable is symmetric, so its gradient among symmetric matrices is "
    "the symmetric part (G + G^T)/2 of the gradient G above",
    NUMERATOR_LAYOUT: "in numerator layout the derivative of a scalar is the transpose of its "
    "gradient",
}


def _name_repeats(
    result: Expr,
    where: tuple[Binding, ...],
    steps: list[Step],
    shapes: Shapes,
    prefix: str,
    blocks: int = 0,
) -> tuple[Expr, tuple[Binding, ...], list[Step], Shapes]:
    """Each value of more than a few symbols that the result and its named values write more
    than once, named, in every step too; the names then numbered in the order they are bound.
    The first `blocks` steps were written before the kept derivatives had names (G1 = df/dH1):
    where no name bound before is numbered again, only the values named that hold none of
    those names can be in them."""
    found = repeated_values([result, *(b.value for b in where)], prefix, set(shapes.symbols))
    if not found:
        return result, where, steps, shapes
    named = renamer({node: binding.name for node, binding in found})
    fresh = {b.name for _, b in found}
    where_named = [_valued(b, named(b.value)) for b in where]
    holding = fresh | {b.name for b, old in zip(where_named, where, strict=True) if b is not old}
    # each found value goes just before its first use: the names bound before keep their numbers
    bound = in_order([*where_named, *(b for _, b in found)])
    forward = [b.name for b in bound if b.derivative_of is None]
    numbered = ((old, Symbol(f"{prefix}{i}")) for i, old in enumerate(forward, 1))
    numbering: dict[Expr, Expr] = {old: new for old, new in numbered if old != new}
    numbers = renamer(numbering)
    # naming, then numbering, in one pass: a value named is never a symbol to number
    rename = renamer({**{node: numbers(b.name) for node, b in found}, **numbering})

    old_shapes = {**shapes.symbols, **{b.name.name: shapes.of(node) for node, b in found}}
    symbols = {_symbol(numbers(Symbol(name))).name: shape for name, shape in old_shapes.items()}
    only_fresh = fresh.issuperset(numbering)  # the names bound before keep their numbers
    renamed = tuple(
        b
        if only_fresh and b.name not in holding
        else Binding(
            _symbol(numbers(b.name)),
            numbers(b.value),
            None if b.derivative_of is None else _symbol(numbers(b.derivative_of)),
        )
        for b in bound
    )
    earlier = rename
    if only_fresh:  # no name in the blocks is numbered
        kept = {b.name.name for b in where if b.derivative_of is not None}
        earlier = renamer(
            {node: numbers(b.name) for node, b in found if kept.isdisjoint(symbol_names(node))}
        )
    return (
        rename(result),
        renamed,
        [
            *(renamed_step(step, earlier) for step in steps[:blocks]),
            *(renamed_step(step, rename) for step in steps[blocks:]),
        ],
        shapes.with_symbols(symbols),
    )


def _valued(binding: Binding, value: Expr) -> Binding:
    """The binding with `value`: itself where that is its own."""
    return binding if value is binding.value else replace(binding, value=value)


def _symbol(expr: Expr) -> Symbol:
    assert isinstance(expr, Symbol), expr
    return expr


def renamed_step(step: Step, rename: Callable[[Expr], Expr]) -> Step:
    """The step with every name in it renamed by `rename`."""
    function = step.function and (rename(step.function[0]), rename(step.function[1]))
    assumption = step.assumption
    if assumption is not None:
        assumption = replace(assumption, subject=rename(assumption.subject))
    block = None if step.block is None else _symbol(rename(step.block))
    expression = rename(step.expression)
    if (expression, function, assumption, block) == (
        step.expression,
        step.function,
        step.assumption,
        step.block,
    ):
        return step
    return replace(
        step, expression=expression, function=function, assumption=assumption, block=block
    )
