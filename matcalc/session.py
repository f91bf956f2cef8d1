"""Text in: `diff` reads an objective (matcalc's notation, LaTeX, or a SymPy matrix expression)
and the user's declarations, then calls `derive`; a `Session` runs the tags of several
derivations on, as the equations of one article do."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from matcalc.declarations import declared_shape
from matcalc.definitions import Definition, definitions
from matcalc.derivation import Derivation, Options
from matcalc.derive import ShapeSpec, check, derive, inferred
from matcalc.errors import ErrorKind, MatcalcError
from matcalc.expr import Expr
from matcalc.limits import deep_recursion
from matcalc.notes import Note, lookalike_notes, star_notes
from matcalc.parser import Parsed, read
from matcalc.second_order import second_derivative
from matcalc.shapes import Shape, Shapes, show
from matcalc.traversal import symbol_names

NOTATIONS = ("auto", "plain", "latex")
"""How `diff` reads text: plain is matcalc's notation, latex is LaTeX math as papers and
matcalc's own LaTeX output write it, auto is LaTeX where the text is unambiguously LaTeX."""


@deep_recursion
def diff(
    expr: str | Any,
    wrt: str | Any,
    *,
    shapes: ShapeSpec | None = None,
    layout: str = "denominator",
    symmetrise: bool = True,
    convention: str = "seed",
    functions: Mapping[str, str | Definition] | None = None,
    first_tag: int = 1,
    notation: str = "auto",
    **unknown: Any,
) -> Derivation:
    """Differentiate the scalar objective `expr` with respect to the variable `wrt`.

    `layout="numerator"` gives the transpose of the gradient. For a variable declared symmetric
    the result is the gradient among symmetric matrices, (G + G^T)/2 of the unconstrained
    gradient G; `symmetrise=False` gives G itself. `convention="matrixcalculus"` reads
    undeclared names as matrixcalculus.org does: a–g scalars, h–z vectors, A–Z matrices.
    `functions` defines scalar functions used elementwise: {"phi": "log(1 + exp(x))"}.
    `notation="latex"` reads `expr` as LaTeX (`\\operatorname{tr}(X^\\top A X)`); the default
    does so where the text is unambiguously LaTeX. `expr` may also be a SymPy matrix
    expression, whose symbols bring their shapes, and `wrt` one of its symbols.
    """
    diff_options(unknown, "diff")
    problem = _problem(
        expr,
        wrt,
        shapes,
        Options(layout, symmetrise, convention, (), first_tag),
        functions,
        notation,
    )
    return problem.noted(derive(problem.objective, problem.wrt, problem.shapes, problem.options))


@deep_recursion
def hessian(
    expr: str | Any,
    wrt: str | Any,
    *,
    direction: str | None = None,
    shapes: ShapeSpec | None = None,
    layout: str = "denominator",
    symmetrise: bool = True,
    convention: str = "seed",
    functions: Mapping[str, str | Definition] | None = None,
    first_tag: int = 1,
    notation: str = "auto",
    **unknown: Any,
) -> Derivation:
    """The second derivative of the scalar objective `expr` by `wrt`, with diff's options.

    By a scalar it is a scalar; by a column x, the Hessian (n×n); with `direction="V"`, the
    Hessian-vector product ∇²f[V], of the variable's shape (V is declared so unless `shapes`
    declares it); by a matrix X with no direction, the Hessian of vec(X) (column-major) as a sum
    of Kronecker products, or a MatcalcError where it has no such form. The derivation shows
    the gradient's steps, then those of the gradient of ⟨V, df/dX⟩, tags running on.
    """
    diff_options(unknown, "hessian", hessian)
    problem = _problem(
        expr,
        wrt,
        shapes,
        Options(layout, symmetrise, convention, (), first_tag),
        functions,
        notation,
    )
    return problem.noted(
        second_derivative(
            problem.objective, problem.wrt, problem.shapes, problem.options, direction
        )
    )


@deep_recursion
def symbols(
    expr: str | Any,
    *,
    shapes: ShapeSpec | None = None,
    convention: str = "seed",
    functions: Mapping[str, str | Definition] | None = None,
    notation: str = "auto",
) -> tuple[tuple[str, Shape, tuple[str, ...]], ...]:
    """Each symbol of the objective in reading order, its shape as `diff` infers it from the
    same options, and what it was declared to be ("symmetric", "rows sum to one"): the table
    of a problem's symbols, before a variable is chosen."""
    if _is_sympy(expr):  # its symbols bring their shapes
        expr, shapes = _from_sympy(expr, shapes)
    parsed, _, typed = _typed(expr, shapes, Options(convention=convention), functions, notation)
    return typed.table(dict.fromkeys(symbol_names(parsed.expr)))


@dataclass(frozen=True)
class _Problem:
    """An objective read from the user's text, with what `derive` takes and the notes on how
    the text was read."""

    objective: Expr
    wrt: str | Any
    shapes: ShapeSpec | None
    options: Options
    notes: tuple[Note, ...]

    def noted(self, derivation: Derivation) -> Derivation:
        return replace(derivation, notes=self.notes + derivation.notes)


def _problem(
    expr: str | Any,
    wrt: str | Any,
    shapes: ShapeSpec | None,
    options: Options,
    functions: Mapping[str, str | Definition] | None,
    notation: str,
) -> _Problem:
    """The objective read in its notation (or from SymPy), its symbols' shapes inferred, and the
    variable checked to occur in it as read."""
    if _is_sympy(expr):
        expr, shapes = _from_sympy(expr, shapes)
    if _is_sympy(wrt):
        wrt, shapes = _sympy_variable(wrt, shapes)
    parsed, options, typed = _typed(expr, shapes, options, functions, notation)
    if isinstance(wrt, str) and wrt.strip() not in typed.symbols:
        _explain_absence(wrt.strip(), parsed, expr, notation)
    notes = lookalike_notes((name, what) for name, what, _ in parsed.lookalikes) + star_notes(
        ((left, right) for left, right, _ in parsed.starred), typed
    )
    return _Problem(parsed.expr, wrt, shapes, options, notes)


def _typed(
    expr: str | Expr,
    shapes: ShapeSpec | None,
    options: Options,
    functions: Mapping[str, str | Definition] | None,
    notation: str,
) -> tuple[Parsed, Options, Shapes]:
    """The objective read in its notation, the options with the user's functions, and every
    symbol's shape."""
    known = definitions(functions)
    options = replace(options, functions=known)
    check(options)  # before the text is read: the convention reads it
    parsed = _read(expr, notation, {found.name for found in known})
    typed = inferred(
        parsed.expr, shapes, options.convention, lambda node: parsed.spans.get(id(node))
    )
    return parsed, options, typed


def _explain_absence(name: str, parsed: Parsed, text: object, notation: str) -> None:
    """A variable missing from the objective because of how it was read: a lookalike letter
    (`Χ` for X), or LaTeX read as matcalc's notation, where `XW` is one name."""
    if parsed.lookalikes:
        letter, what, span = parsed.lookalikes[0]
        raise MatcalcError(
            f"{name!r} does not occur in the objective: its {letter} is {what}",
            ErrorKind.NAME,
            span,
        )
    if notation == "auto" and isinstance(text, str) and "\\" in text:
        raise MatcalcError(
            f"{name!r} does not occur in {parsed.expr}, read in matcalc's notation, where a "
            "run of letters is one name; if this is LaTeX, where XW is X times W, pass "
            '--latex (notation="latex")',
            ErrorKind.NAME,
        )


def _read(expr: object, notation: str, defined: set[str]) -> Parsed:
    """The objective read in its notation, with what the notes point out."""
    if isinstance(expr, Expr):
        return Parsed(expr, {}, (), ())
    if not isinstance(expr, str):
        raise MatcalcError(
            f'the objective is text, such as "||X - D R||_F^2", not {type(expr).__name__}',
            ErrorKind.PARSE,
        )
    if notation not in NOTATIONS:
        raise MatcalcError(
            f"unknown notation {notation!r}: use {', '.join(NOTATIONS)}", ErrorKind.VALUE
        )
    if notation == "latex" or (notation == "auto" and "\\" in expr):
        from matcalc.latex_input import looks_like_latex, parse_latex_located  # LaTeX only

        if notation == "latex" or looks_like_latex(expr):
            return Parsed(*parse_latex_located(expr, defined), (), ())
    return read(expr, defined)


def _is_sympy(value: object) -> bool:
    """Whether `value` is a SymPy expression; the SymPy bridge loads only once SymPy has."""
    if "sympy" not in sys.modules:
        return False
    from matcalc.sympy_forms import is_sympy

    return is_sympy(value)


def _from_sympy(expr: Any, shapes: ShapeSpec | None) -> tuple[Expr, ShapeSpec]:
    """A SymPy objective as an expression, with its symbols' shapes added to `shapes`."""
    from matcalc.sympy_forms import from_sympy

    objective, declared = from_sympy(expr)
    given = {name.strip() for name in shapes or {}}
    if clash := sorted(given & set(declared)):
        raise MatcalcError(
            f"{', '.join(clash)}: the SymPy objective gives the shape already; declare it once",
            ErrorKind.NAME,
        )
    return objective, {**declared, **(shapes or {})}


def _sympy_variable(wrt: Any, shapes: ShapeSpec | Shapes | None) -> tuple[str, Any]:
    """A SymPy variable's name, its shape declared with the others; a shape other than the
    objective's or the declared one for the same name is an error."""
    from matcalc.sympy_forms import from_sympy

    variable, declared = from_sympy(wrt)
    name = str(variable)
    if name not in declared:
        return name, shapes
    mine = declared_shape(name, declared[name])
    if isinstance(shapes, Shapes):
        theirs = shapes.symbols.get(name)
    else:
        given = {key.strip(): spec for key, spec in (shapes or {}).items()}
        theirs = declared_shape(name, given[name]) if name in given else None
    if theirs is not None and theirs != mine:
        raise MatcalcError(
            f"the variable {name} is {show(mine)}, but the objective's {name} is "
            f"{show(theirs)}; differentiate by the objective's own symbol",
            ErrorKind.SHAPE,
        )
    if theirs is not None or isinstance(shapes, Shapes):
        return name, shapes
    return name, {**(shapes or {}), name: declared[name]}


def diff_options(
    options: Mapping[str, Any],
    caller: str,
    of: Callable[..., Derivation] = diff,
    but: tuple[str, ...] = (),
) -> None:
    """A clear error for an option `of` (`diff`) does not take, or that the caller keeps for
    itself (`but`), before Python's TypeError: for the entry points that pass their `options`
    on (`Session.diff`, `Session.hessian`, `codegen`)."""
    taken = [
        name
        for name, parameter in inspect.signature(of).parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY and name not in but
    ]
    if unknown := sorted(set(options) - set(taken)):
        raise MatcalcError(
            f"{caller} takes no option {', '.join(unknown)}: its options are {', '.join(taken)}",
            ErrorKind.VALUE,
        )


class Session:
    """Derivations whose step tags run on, as the equations of one article do."""

    def __init__(self) -> None:
        self.next_tag = 1
        self.derivations: list[Derivation] = []

    def diff(self, expr: str, wrt: str, **options: Any) -> Derivation:
        """`diff` with the next free tag; `options` are diff's (shapes, layout, …), but for the
        first tag, which the session keeps (set `next_tag` to start elsewhere)."""
        known = {k: v for k, v in options.items() if k != "first_tag"}
        diff_options(known, "Session.diff", but=("first_tag",))
        return self._numbered(diff, expr, wrt, options)

    def hessian(self, expr: str, wrt: str, **options: Any) -> Derivation:
        """`hessian` with the next free tag; `options` are hessian's, but for the first tag."""
        known = {k: v for k, v in options.items() if k != "first_tag"}
        diff_options(known, "Session.hessian", hessian, but=("first_tag",))
        return self._numbered(hessian, expr, wrt, options)

    def _numbered(
        self, derive: Callable[..., Derivation], expr: str, wrt: str, options: dict[str, Any]
    ) -> Derivation:
        if "first_tag" in options:
            raise MatcalcError(
                f"a Session numbers the tags itself (next: ({self.next_tag})); set its "
                "next_tag to start elsewhere, or call matcalc.diff(first_tag=…)",
                ErrorKind.VALUE,
            )
        derivation = derive(expr, wrt, first_tag=self.next_tag, **options)
        tags = [step.tag for step in derivation.steps if step.tag is not None]
        self.next_tag = max(tags, default=self.next_tag - 1) + 1
        self.derivations.append(derivation)
        return derivation

    def __repr__(self) -> str:
        return f"<Session of {len(self.derivations)} derivations, next tag ({self.next_tag})>"
