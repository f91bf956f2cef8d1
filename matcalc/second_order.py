"""Second order: the derivative of the gradient through the same rule table.

`second_derivative` derives df/dX, then the gradient of a scalar made from it: f₂ = ⟨V, df/dX⟩
for a direction V gives the Hessian-vector product ∇²f[V]; f₂ = u^T df/dx for any column u gives
the Hessian of a column variable; df/dt itself gives the second derivative by a scalar. For a
matrix variable with no direction, the Hessian of vec(X) is read off ∇²f[V] as Kronecker
products. Tags run on from the gradient's, and the named values are one list for both parts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from matcalc.derivation import Derivation, Options, Step
from matcalc.derive import DEFAULT, ShapeSpec, derive, renamed_step
from matcalc.errors import ErrorKind, MatcalcError
from matcalc.expr import Expr, MatMul, Symbol, Trace, Transpose, Vec
from matcalc.limits import deep_recursion
from matcalc.shapes import SCALAR, Shapes, show
from matcalc.sharing import Binding, in_order, inlined, renamer
from matcalc.simplify import closed_form
from matcalc.simplify.kronecker import VEC_OF_PRODUCT, kronecker_form
from matcalc.traversal import symbol_names

KRONECKER_FORM = "Kronecker form"
SECOND_ORDER = "second order"


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
    gradient = derive(objective, wrt, shapes, replace(options, layout="denominator"))
    if gradient.jacobian_of is not None:
        raise MatcalcError(
            f"a Hessian is of a scalar objective, but {gradient.jacobian_of} is "
            f"{show(gradient.shapes.of(gradient.jacobian_of))}",
            ErrorKind.SHAPE,
        )
    variable = gradient.wrt
    kind = gradient.shapes.symbols[variable.name]
    tags = [step.tag for step in gradient.steps if step.tag is not None]
    later = replace(options, first_tag=max(tags, default=options.first_tag - 1) + 1)
    typed = _without(gradient.shapes, gradient.where)
    vectorised = direction is None and kind != SCALAR and kind[1] != 1
    if direction is None and not vectorised:  # d²f/dt², or the Jacobian of df/dx
        v = None
        second = derive(
            gradient.result, variable, typed, replace(later, layout="numerator"), gradient.where
        )
        inner: Expr = second.objective
    else:
        v = _direction(direction, variable, typed, vectorised)
        inner = _inner(v, gradient.result, kind)
        second = derive(
            inner, variable, typed, replace(later, layout="denominator"), gradient.where
        )
    gradient = _renamed(gradient, second.where)
    steps = (*gradient.steps, *(replace(step, order=2) for step in second.steps))
    result = second.result
    if vectorised:
        assert v is not None
        result = kronecker_form(inlined(result, _with(second.where, v)), v, second.shapes)
        steps += (Step(None, KRONECKER_FORM, MatMul(result, Vec(v)), _KRONECKER, order=2),)
    elif v is not None and options.layout == "numerator":
        result = closed_form(Transpose(result), second.shapes).expr
    if v is not None or kind == SCALAR:
        inner = _inner(v, gradient.result, kind) if v is not None else gradient.result
    else:
        inner = MatMul(Transpose(second.cotangent or variable), gradient.result)
    shapes_all = Shapes(
        {**gradient.shapes.symbols, **second.shapes.symbols},
        second.shapes.bindings,
        second.shapes.symmetric,
    )
    return Derivation(
        gradient.objective,
        variable,
        shapes_all,
        steps,
        result,
        options.layout,
        None,
        None,
        second.cotangent,
        gradient.functions,
        in_order([*second.where, *gradient.where]),
        gradient.notes,
        gradient,
        v,
        inner,
        vectorised,
    )


_KRONECKER = (
    f"vec(A V B) = (B^T ⊗ A) vec(V) ({VEC_OF_PRODUCT}): each term of the line above, linear in "
    "V, is a Kronecker product times vec(V), with vec stacking columns; the terms with the "
    "same right factor share one Kronecker product, and the matrix that multiplies vec(V) is "
    "the Hessian of vec(X)"
)


def _inner(v: Symbol, gradient: Expr, kind: tuple[object, object]) -> Expr:
    """⟨V, G⟩: v G for a scalar, v^T g for a column, tr(V^T G) for a matrix."""
    if kind == SCALAR:
        return MatMul(v, gradient)
    if kind[1] == 1:
        return MatMul(Transpose(v), gradient)
    return Trace(MatMul(Transpose(v), gradient))


def _direction(
    given: str | Symbol | None, variable: Symbol, typed: Shapes, vectorised: bool
) -> Symbol:
    """The direction V, of the variable's shape (and symmetric with it); a fresh name for the
    Kronecker form, which only reads it."""
    shape = typed.symbols[variable.name]
    if given is None:
        taken = set(typed.symbols)
        first = "v" if shape[1] == 1 else "V"
        name = next(n for n in (first, *(f"{first}{i}" for i in range(1, 99))) if n not in taken)
    else:
        name = given.name if isinstance(given, Symbol) else given
        if not isinstance(name, str) or not name.strip().isidentifier():
            raise MatcalcError(f'the direction is a name such as "V", not {name!r}', ErrorKind.NAME)
        name = name.strip()
        if name == variable.name:
            raise MatcalcError(
                f"the direction {name} is the variable itself; name another symbol",
                ErrorKind.NAME,
            )
        declared = typed.symbols.get(name)
        if declared is not None and declared != shape:
            raise MatcalcError(
                f"the direction {name} is {show(declared)}, but it must have the variable "
                f"{variable.name}'s shape, {show(shape)}",
                ErrorKind.SHAPE,
            )
    typed.symbols[name] = shape
    if variable.name in typed.symmetric:
        typed.symmetric = typed.symmetric | {name}
    return Symbol(name)


def _without(shapes: Shapes, where: Sequence[Binding]) -> Shapes:
    """The shapes of the objective's own symbols: not the gradient's named values."""
    bound = {b.name.name for b in where}
    symbols = {k: v for k, v in shapes.symbols.items() if k not in bound}
    return Shapes(symbols, dict(shapes.bindings), shapes.symmetric)


def _with(where: Sequence[Binding], v: Symbol) -> tuple[Binding, ...]:
    """The named values that hold V, to be written out: the Kronecker form reads V off."""
    return tuple(b for b in where if v.name in symbol_names(inlined(b.value, where)))


def _renamed(gradient: Derivation, where: Sequence[Binding]) -> Derivation:
    """The gradient's derivation with each named value called as the second part calls the same
    value, and the others by names the second part does not use."""
    theirs = {inlined(b.value, where): b.name for b in where}
    taken = {b.name.name for b in where} | set(gradient.shapes.symbols)
    names: dict[Symbol, Symbol] = {}
    for binding in gradient.where:
        value = inlined(binding.value, gradient.where)
        name = theirs.get(value)
        if name is None:
            name = _fresh(binding.name.name, taken)
        names[binding.name] = name
        taken.add(name.name)
    rename = renamer({old: new for old, new in names.items()})
    symbols = {
        names.get(Symbol(k), Symbol(k)).name: shape for k, shape in gradient.shapes.symbols.items()
    }
    return replace(
        gradient,
        shapes=Shapes(symbols, gradient.shapes.bindings, gradient.shapes.symmetric),
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
    stem = name.rstrip("0123456789")
    return Symbol(next(f"{stem}{i}" for i in range(1, 10_000) if f"{stem}{i}" not in taken))
