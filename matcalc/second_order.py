"""Second order: the derivative of the gradient through the same rule table.

`second_derivative` derives df/dX, then the gradient of a scalar made from it: f₂ = ⟨V, df/dX⟩
for a direction V gives the Hessian-vector product ∇²f[V]; f₂ = u^T df/dx for any column u gives
the Hessian of a column variable; df/dt itself gives the second derivative by a scalar. For a
matrix variable with no direction, the Hessian of vec(X) is read off ∇²f[V] as Kronecker
products. Tags run on from the gradient's, and the named values are one list for both parts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace

from matcalc.declarations import NAME_FORMS, declarations, is_name
from matcalc.derivation import Derivation, Options, Step
from matcalc.derive import (
    DEFAULT,
    NUMERATOR_LAYOUT,
    SYMMETRIC_VARIABLE,
    ShapeSpec,
    check,
    derive,
    derived,
    inferred,
    renamed_step,
    rewritten,
    variable_named,
)
from matcalc.errors import ErrorKind, MatcalcError
from matcalc.expr import ZERO, Expr, Func, MatMul, Symbol, Trace, Transpose, Vec
from matcalc.limits import deep_recursion
from matcalc.parser import IDENTITY_NAMES, KNOWN_FUNCTIONS
from matcalc.rules.second_order import KRONECKER_FORM as KRONECKER
from matcalc.rules.second_order import THROUGH_GRADIENT as THROUGH
from matcalc.shapes import SCALAR, Shapes, show
from matcalc.sharing import (
    Binding,
    in_order,
    inlined,
    prefix_for,
    renamer,
    substituted,
    written_values,
)
from matcalc.simplify.kronecker import kronecker_form
from matcalc.simplify.through import through
from matcalc.traversal import preorder, symbol_names

KRONECKER_FORM = KRONECKER.name
THROUGH_GRADIENT = THROUGH.name


@deep_recursion
def second_derivative(
    objective: Expr,
    wrt: str | Symbol,
    shapes: Shapes | ShapeSpec | None = None,
    options: Options = DEFAULT,
    direction: str | Symbol | None = None,
) -> Derivation:
    """d²f/dt² of a scalar t, the Hessian of a column x, ∇²f[V] in a direction V (of the
    variable's shape, declared so unless `shapes` declares it), or, for a matrix X and no
    direction, the Hessian of vec(X) as a sum of Kronecker products."""
    check(options)
    symmetric = shapes.symmetric if isinstance(shapes, Shapes) else declarations(shapes)[1]
    name = variable_named(wrt).name
    unconstrained = not options.symmetrise and name in symmetric
    if unconstrained:  # the gradient as a function of every matrix, to differentiate again
        declared = _scalar(objective, shapes, options)
        shapes = declared.with_symbols(dict(declared.symbols))
        shapes.symmetric = symmetric - {name}
    try:
        gradient = derive(objective, wrt, shapes, replace(options, layout="denominator"))
    except MatcalcError:
        _scalar(objective, shapes, options)  # what is wrong first, where the objective is not
        raise
    if gradient.jacobian_of is not None:
        _scalar(objective, shapes, options)
    variable = gradient.wrt
    kind = gradient.shapes.symbols[variable.name]
    tags = [step.tag for step in gradient.steps if step.tag is not None]
    later = replace(options, first_tag=max(tags, default=options.first_tag - 1) + 1)
    vectorised = direction is None and kind != SCALAR and kind[1] != 1
    v = None
    if direction is not None or vectorised:
        typed = _without(gradient.shapes, gradient.where)
        v = _direction(direction, variable, typed, symbol_names(gradient.objective))
        if v.name in {b.name.name for b in gradient.where}:  # the gradient's H1 is not V
            gradient = _renamed(gradient, (), avoid={v.name})
    typed = _without(gradient.shapes, gradient.where)
    if v is None:  # d²f/dt², or the Jacobian of df/dx
        second = derived(
            inlined(gradient.result, gradient.where),
            variable,
            typed,
            replace(later, layout="numerator"),
        )
    else:
        typed.symbols[v.name] = kind
        if variable.name in symmetric and not unconstrained:  # among symmetric matrices
            typed.symmetric = typed.symmetric | {v.name}
        second = derived(
            inlined(_inner(v, gradient.result, kind), gradient.where),
            variable,
            typed,
            replace(later, layout="denominator"),
        )
    gradient = _renamed(gradient, second.where)
    shapes_all = second.shapes.with_symbols({**gradient.shapes.symbols, **second.shapes.symbols})
    shapes_all.symmetric = shapes_all.symmetric | symmetric
    steps = [*gradient.steps, *(step.at_order(2) for step in second.steps)]
    own = {b.name for b in second.where}  # the gradient's values the second part names too
    extra = [b for b in gradient.where if b.name not in own]
    where = in_order([*second.where, *extra]) if extra else second.where
    result = second.result
    if unconstrained:
        result = rewritten(
            steps, result, shapes_all, SYMMETRIC_VARIABLE, wording=_SYMMETRIC, order=2
        )
    if vectorised:
        assert v is not None
        result = kronecker_form(inlined(result, _with(second.where, v)), v, shapes_all)
        steps.append(Step(None, KRONECKER_FORM, MatMul(result, Vec(v)), KRONECKER.wording, order=2))
    elif v is not None and options.layout == "numerator":
        result = rewritten(
            steps, Transpose(result), shapes_all, NUMERATOR_LAYOUT, wording=_NUMERATOR, order=2
        )
    elif v is None and kind[1] == 1 and kind != SCALAR:
        result, where = _through_gradient(result, gradient, where, shapes_all, steps)
    if v is not None:
        inner = _inner(v, gradient.result, kind)
    elif kind == SCALAR:
        inner = gradient.result
    else:
        inner = MatMul(Transpose(second.cotangent or variable), gradient.result)
    return Derivation(
        objective=gradient.objective,
        wrt=variable,
        shapes=shapes_all,
        steps=tuple(steps),
        result=result,
        layout=options.layout,
        cotangent=second.cotangent,
        functions=gradient.functions,
        where=where,
        notes=gradient.notes,
        gradient=gradient,
        direction=v,
        second_objective=inner,
        vectorised=vectorised,
    )


def _scalar(objective: Expr, shapes: Shapes | ShapeSpec | None, options: Options) -> Shapes:
    """The objective's shapes, or the error that a Hessian is of a scalar objective."""
    declared = inferred(objective, shapes, options.convention)
    if declared.of(objective) != SCALAR:
        raise MatcalcError(
            f"a Hessian is of a scalar objective, but {objective} is "
            f"{show(declared.of(objective))}",
            ErrorKind.SHAPE,
        )
    return declared


def _through_gradient(
    result: Expr,
    gradient: Derivation,
    where: tuple[Binding, ...],
    shapes: Shapes,
    steps: list[Step],
) -> tuple[Expr, tuple[Binding, ...]]:
    """The Hessian written through the gradient's value where it holds it with the scalars to
    spare (`diag(p) - p p^T`), recorded as a step; and the gradient's function values that it
    writes more than once named (s = sigmoid(…) in `diag(s ⊙ (1 - s))`)."""
    taken = set(shapes.symbols) | {b.name.name for b in where}
    forward = [b.name.name for b in where if b.derivative_of is None]
    prefix = forward[0].rstrip("0123456789") if forward else prefix_for(taken)
    name = _fresh(prefix, taken)
    found = through(inlined(result, where), inlined(gradient.result, where), name, shapes)
    if found is not None:
        shapes.symbols[name.name] = shapes.of(gradient.result)
        where = in_order([*where, Binding(name, gradient.result)])
        taken.add(name.name)
        result = found
        wording = f"{THROUGH.wording} ({name} = df/d{gradient.wrt})"
        steps.append(Step(None, THROUGH_GRADIENT, result, wording, order=2))
    shared = _shared_functions(result, gradient.result, where)
    if shared:
        names: dict[Expr, Symbol] = {}
        for value in shared:
            fresh = _fresh(prefix, taken)
            taken.add(fresh.name)
            shapes.symbols[fresh.name] = shapes.of(value)
            names[value] = fresh
        rename = renamer(names)
        result = rename(result)
        where = in_order(
            [
                *(replace(b, value=rename(b.value)) for b in where),
                *(Binding(n, v) for v, n in names.items()),
            ]
        )
        steps[-1] = replace(steps[-1], expression=rename(steps[-1].expression))
    return result, where


def _shared_functions(result: Expr, gradient: Expr, where: Sequence[Binding]) -> list[Expr]:
    """The elementwise function values, not of a name alone, that the gradient writes and the
    result writes more than once."""
    in_gradient = {n for n in preorder(inlined(gradient, where)) if isinstance(n, Func)}
    counts = Counter(n for n in preorder(result) if isinstance(n, Func))
    return [
        value
        for value, count in counts.items()
        if count > 1 and value in in_gradient and not isinstance(value.arg, Symbol)
    ]


_SYMMETRIC = (
    "the variable is symmetric: the unconstrained second derivative, worked out for every "
    "matrix, is written with S^T = S at the symmetric point"
)
_NUMERATOR = "in numerator layout the Hessian-vector product is transposed, as the gradient is"


def _inner(v: Symbol, gradient: Expr, kind: tuple[object, object]) -> Expr:
    """⟨V, G⟩: v G for a scalar, v^T g for a column, tr(V^T G) for a matrix (0 for G = 0)."""
    if gradient == ZERO:
        return ZERO
    if kind == SCALAR:
        return MatMul(v, gradient)
    if kind[1] == 1:
        return MatMul(Transpose(v), gradient)
    return Trace(MatMul(Transpose(v), gradient))


def _direction(
    given: str | Symbol | None, variable: Symbol, typed: Shapes, used: Iterable[str]
) -> Symbol:
    """The direction V, of the variable's shape (and symmetric with it), a name the objective
    does not use; a fresh one where none is given (the Kronecker form only reads it)."""
    shape = typed.symbols[variable.name]
    if given is None:
        taken = set(typed.symbols)
        first = "v" if shape[1] == 1 else "V"
        name = next(n for n in (first, *(f"{first}{i}" for i in range(1, 99))) if n not in taken)
    else:
        name = given.name if isinstance(given, Symbol) else given
        if not isinstance(name, str) or not is_name(name.strip()):
            raise MatcalcError(
                f'the direction is a name such as "V", not {name!r}: a name is {NAME_FORMS}',
                ErrorKind.NAME,
            )
        name = name.strip()
        if name in KNOWN_FUNCTIONS or name in IDENTITY_NAMES:
            raise MatcalcError(
                f"the direction {name} is the name of a function or of the identity; name a "
                "symbol such as V",
                ErrorKind.NAME,
            )
        if name in set(used):
            what = "the variable itself" if name == variable.name else "a symbol of the objective"
            raise MatcalcError(
                f"the direction {name} is {what}; name a symbol of its own, such as V",
                ErrorKind.NAME,
            )
        declared = typed.symbols.get(name)
        if declared is not None and declared != shape:
            raise MatcalcError(
                f"the direction {name} is {show(declared)}, but it must have the variable "
                f"{variable.name}'s shape, {show(shape)}",
                ErrorKind.SHAPE,
            )
    return Symbol(name)


def _without(shapes: Shapes, where: Sequence[Binding]) -> Shapes:
    """The shapes of the objective's own symbols: not the gradient's named values."""
    bound = {b.name.name for b in where}
    symbols = {k: v for k, v in shapes.symbols.items() if k not in bound}
    return shapes.with_symbols(symbols)


def _with(where: Sequence[Binding], v: Symbol) -> tuple[Binding, ...]:
    """The named values that hold V, to be written out: the Kronecker form reads V off."""
    return tuple(b for b in where if v.name in symbol_names(inlined(b.value, where)))


def _renamed(
    gradient: Derivation, where: Sequence[Binding], avoid: Iterable[str] = ()
) -> Derivation:
    """The gradient's derivation with each named value called as the second part calls the same
    value, and the others by names the second part does not use, nor `avoid`."""
    theirs: dict[Expr, Expr] = {b.value: b.name for b in where}
    written: tuple[dict[Expr, Expr], dict[Expr, Expr]] | None = None
    taken = {b.name.name for b in where} | set(gradient.shapes.symbols) | set(avoid)
    names: dict[Symbol, Symbol] = {}
    renaming: dict[Expr, Expr] = {}
    for binding in gradient.where:
        # the same value in the second part's names, or else written out in full
        name = theirs.get(substituted(binding.value, renaming))
        if name is None:
            if written is None:
                values = written_values(where).items()
                written = ({v: n for n, v in values}, written_values(gradient.where))
            name = written[0].get(written[1][binding.name])
        if not isinstance(name, Symbol):
            name = _fresh(binding.name.name, taken)
        names[binding.name] = renaming[binding.name] = name
        taken.add(name.name)
    if all(old == new for old, new in names.items()):
        return gradient
    rename = renamer(renaming)
    symbols = {
        names.get(Symbol(k), Symbol(k)).name: shape for k, shape in gradient.shapes.symbols.items()
    }
    return replace(
        gradient,
        shapes=gradient.shapes.with_symbols(symbols),
        steps=tuple(renamed_step(step, rename) for step in gradient.steps),
        result=rename(gradient.result),
        where=tuple(
            Binding(
                names[b.name],
                rename(b.value),
                None if b.derivative_of is None else names[b.derivative_of],
            )
            for b in gradient.where
        ),
    )


def _fresh(name: str, taken: set[str]) -> Symbol:
    """The name's letters with the first number that is not taken."""
    stem = name.rstrip("0123456789")
    return Symbol(next(f"{stem}{i}" for i in range(1, 10_000) if f"{stem}{i}" not in taken))
