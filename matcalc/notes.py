"""Readings that may surprise, said next to the result: `*` between matrices, a whole power of
a matrix, a convention's scalar letters, a letter that only looks Latin. Each is a `Note`,
worded once and shown by every printer in its own notation."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

from matcalc.declarations import convention
from matcalc.expr import Expr, Hadamard, HadamardPow, MatMul, Number, Power, Symbol
from matcalc.shapes import SCALAR, Shapes
from matcalc.traversal import distinct, symbol_names


@dataclass(frozen=True, slots=True)
class Note:
    """`wording` with a `{}` for each of `subjects`, which printers show as expressions."""

    wording: str
    subjects: tuple[Expr, ...] = ()

    def sentence(self, show: Callable[[Expr], str]) -> str:
        return self.wording.format(*map(show, self.subjects))


def matrix_power_notes(objective: Expr, shapes: Shapes) -> tuple[Note, ...]:
    """`(X - D R)^2` is a whole power of a matrix, where an entrywise square may be meant."""
    return tuple(
        _matrix_power(node)
        for node in distinct(objective)
        if isinstance(node, Power) and shapes.of(node.base) != SCALAR
    )


def convention_notes(objective: Expr, declared: Collection[str], naming: str) -> tuple[Note, ...]:
    """The names that matrixcalculus.org's convention makes scalars (a–g), unless declared."""
    scalars = [
        name
        for name in symbol_names(objective)
        if naming == "matrixcalculus"
        and name not in declared
        and name.isascii()
        and convention(name, naming) == "scalar"
    ]
    if not scalars:
        return ()
    verb = "is a scalar" if len(scalars) == 1 else "are scalars"
    return (
        Note(
            f"{', '.join(scalars)} {verb} by the matrixcalculus convention (a–g); declare "
            f"--shape {scalars[0]}=n for a vector"
        ),
    )


def star_notes(products: Iterable[tuple[Expr, Expr]], shapes: Shapes) -> tuple[Note, ...]:
    """`X * Y` between two matrices is their matrix product, where NumPy would multiply
    entrywise: said once per product."""
    return tuple(
        dict.fromkeys(
            Note(
                "{}, written with *, is the matrix product; the entrywise product is {}",
                (MatMul(left, right), Hadamard(left, right)),
            )
            for left, right in products
            if SCALAR not in (shapes.of(left), shapes.of(right))
        )
    )


def lookalike_notes(lookalikes: Iterable[tuple[str, str]]) -> tuple[Note, ...]:
    """A name written with a letter that looks Latin but is not: `Χ` (Greek Chi) for X."""
    return tuple(dict.fromkeys(Note("{} is " + what, (Symbol(name),)) for name, what in lookalikes))


def _matrix_power(node: Power) -> Note:
    """`(X - D R)^2` multiplies the matrix by itself; its entrywise square is another node."""
    match node.exponent:
        case Number(k) if k.denominator == 1 and k > 1:
            return Note(
                "{} is a matrix power, the matrix times itself; the entrywise power is {}",
                (node, HadamardPow(node.base, int(k))),
            )
    return Note("{} is a power of a square matrix, not of its entries", (node,))
