"""Identities of The Matrix Cookbook (Petersen & Pedersen, version of November 15, 2012),
section 2, in matcalc's notation: what a derivation cites when its objective is one of them.

An identity is found by the objective's form, whatever its symbols are called: `tr(P W Q)`
with respect to W is eq. (101), `tr(A X B)` with respect to X. The closed forms are the
Cookbook's own; the tests check each against central differences and against matcalc's result.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache

from matcalc.declarations import declared_shape
from matcalc.expr import Expr, Symbol
from matcalc.parser import parse
from matcalc.shapes import Shape, Shapes, infer
from matcalc.traversal import replace_nodes, symbol_names


@dataclass(frozen=True, slots=True, eq=False)
class CookbookIdentity:
    """d/d`wrt` of `objective` is `closed_form`: equation `equation` of the Cookbook."""

    equation: str
    objective: str
    wrt: str
    closed_form: str
    shapes: Mapping[str, tuple[int | str, ...]] = field(default_factory=dict)
    symmetric: tuple[str, ...] = ()
    """Constants the Cookbook assumes symmetric for this closed form."""

    @property
    def citation(self) -> str:
        return f"Matrix Cookbook eq. ({self.equation})"


SQUARE = {"X": ("n", "n")}
TALL = {"X": (5, 3)}
"""X^T C X is invertible only when X has more rows than columns."""
ALL_SQUARE = {"A": ("n", "n"), "B": ("n", "n"), "X": ("n", "n")}

IDENTITIES: tuple[CookbookIdentity, ...] = (
    # 2.1 determinants
    CookbookIdentity("49", "det(X)", "X", "det(X) (X^{-1})^T"),
    CookbookIdentity("51", "det(A X B)", "X", "det(A X B) (X^{-1})^T", ALL_SQUARE),
    CookbookIdentity("52", "det(X^T A X)", "X", "2 det(X^T A X) X^{-T}", ALL_SQUARE),
    CookbookIdentity(
        "54",
        "det(X^T A X)",
        "X",
        "det(X^T A X) (A X (X^T A X)^{-1} + A^T X (X^T A^T X)^{-1})",
        TALL,
    ),
    CookbookIdentity("57", "logdet(X)", "X", "(X^{-1})^T"),
    CookbookIdentity("58", "det(X^3)", "X", "3 det(X^3) X^{-T}"),
    # 2.2 inverses
    CookbookIdentity("61", "a^T X^{-1} b", "X", "-X^{-T} a b^T X^{-T}"),
    CookbookIdentity("62", "det(X^{-1})", "X", "-det(X^{-1}) (X^{-1})^T"),
    CookbookIdentity("63", "tr(A X^{-1} B)", "X", "-(X^{-1} B A X^{-1})^T"),
    CookbookIdentity("64", "tr((X + A)^{-1})", "X", "-((X + A)^{-1} (X + A)^{-1})^T"),
    # 2.4 matrices, vectors and scalar forms
    CookbookIdentity("69", "x^T a", "x", "a"),
    CookbookIdentity("69", "a^T x", "x", "a"),
    CookbookIdentity("70", "a^T X b", "X", "a b^T"),
    CookbookIdentity("71", "a^T X^T b", "X", "b a^T"),
    CookbookIdentity("72", "a^T X a", "X", "a a^T"),
    CookbookIdentity("72", "a^T X^T a", "X", "a a^T"),
    CookbookIdentity("77", "b^T X^T X c", "X", "X (b c^T + c b^T)"),
    CookbookIdentity("78", "(B x + b)^T C (D x + d)", "x", "B^T C (D x + d) + D^T C^T (B x + b)"),
    CookbookIdentity("81", "x^T B x", "x", "(B + B^T) x"),
    CookbookIdentity("82", "b^T X^T D X c", "X", "D^T X b c^T + D X c b^T"),
    CookbookIdentity("83", "(X b + c)^T D (X b + c)", "X", "(D + D^T) (X b + c) b^T"),
    CookbookIdentity("84", "(x - A s)^T W (x - A s)", "s", "-2 A^T W (x - A s)", symmetric=("W",)),
    CookbookIdentity("85", "(x - s)^T W (x - s)", "x", "2 W (x - s)", symmetric=("W",)),
    CookbookIdentity("86", "(x - s)^T W (x - s)", "s", "-2 W (x - s)", symmetric=("W",)),
    CookbookIdentity("87", "(x - A s)^T W (x - A s)", "x", "2 W (x - A s)", symmetric=("W",)),
    CookbookIdentity("88", "(x - A s)^T W (x - A s)", "A", "-2 W (x - A s) s^T", symmetric=("W",)),
    CookbookIdentity("91", "a^T X^3 b", "X", "a b^T (X^2)^T + X^T a b^T X^T + (X^2)^T a b^T"),
    CookbookIdentity(
        "94",
        "(A x)^T (A x) / ((B x)^T (B x))",
        "x",
        "2 A^T A x / (x^T B^T B x) - 2 (x^T A^T A x) B^T B x / (x^T B^T B x)^2",
    ),
    CookbookIdentity("96", "x^T A x + b^T x", "x", "(A + A^T) x + b"),
    # 2.5 traces
    CookbookIdentity("99", "tr(X)", "X", "eye(n)", SQUARE),
    CookbookIdentity("100", "tr(X A)", "X", "A^T"),
    CookbookIdentity("101", "tr(A X B)", "X", "A^T B^T"),
    CookbookIdentity("102", "tr(A X^T B)", "X", "B A"),
    CookbookIdentity("103", "tr(X^T A)", "X", "A"),
    CookbookIdentity("104", "tr(A X^T)", "X", "A"),
    CookbookIdentity("106", "tr(X^2)", "X", "2 X^T"),
    CookbookIdentity("107", "tr(X^2 B)", "X", "(X B + B X)^T"),
    CookbookIdentity("108", "tr(X^T B X)", "X", "B X + B^T X"),
    CookbookIdentity("109", "tr(B X X^T)", "X", "B X + B^T X"),
    CookbookIdentity("110", "tr(X X^T B)", "X", "B X + B^T X"),
    CookbookIdentity("111", "tr(X B X^T)", "X", "X B^T + X B"),
    CookbookIdentity("112", "tr(B X^T X)", "X", "X B^T + X B"),
    CookbookIdentity("113", "tr(X^T X B)", "X", "X B^T + X B"),
    CookbookIdentity("114", "tr(A X B X)", "X", "A^T X^T B^T + B^T X^T A^T"),
    CookbookIdentity("115", "tr(X^T X)", "X", "2 X"),
    CookbookIdentity("115", "tr(X X^T)", "X", "2 X"),
    CookbookIdentity("116", "tr(B^T X^T C X B)", "X", "C^T X B B^T + C X B B^T"),
    CookbookIdentity("117", "tr(X^T B X C)", "X", "B X C + B^T X C^T"),
    CookbookIdentity("118", "tr(A X B X^T C)", "X", "A^T C^T X B^T + C A X B"),
    CookbookIdentity("119", "tr((A X B + C) (A X B + C)^T)", "X", "2 A^T (A X B + C) B^T"),
    CookbookIdentity("120", "tr(X) tr(X)", "X", "2 tr(X) eye(n)", SQUARE),
    CookbookIdentity("121", "tr(X^3)", "X", "3 (X^2)^T"),
    CookbookIdentity("122", "tr(A X^3)", "X", "(A X^2)^T + (X A X)^T + (X^2 A)^T"),
    CookbookIdentity(
        "123",
        "tr(B^T X^T C X X^T C X B)",
        "X",
        "C X X^T C X B B^T + C^T X B B^T X^T C^T X + C X B B^T X^T C X + C^T X X^T C^T X B B^T",
    ),
    CookbookIdentity("124", "tr(A X^{-1} B)", "X", "-X^{-T} A^T B^T X^{-T}"),
    CookbookIdentity(
        "125",
        "tr((X^T C X)^{-1} A)",
        "X",
        "-(C X (X^T C X)^{-1}) (A + A^T) (X^T C X)^{-1}",
        TALL,
        symmetric=("C",),
    ),
    CookbookIdentity(
        "126",
        "tr((X^T C X)^{-1} (X^T B X))",
        "X",
        "-2 C X (X^T C X)^{-1} X^T B X (X^T C X)^{-1} + 2 B X (X^T C X)^{-1}",
        TALL,
        symmetric=("B", "C"),
    ),
    # 2.6 and 2.7 norms
    CookbookIdentity("129", "||x - a||_2", "x", "(x - a) / ||x - a||_2"),
    CookbookIdentity("131", "||x||_2^2", "x", "2 x"),
    CookbookIdentity("132", "||X||_F^2", "X", "2 X"),
)


def _kind(shape: Shape) -> str:
    rows, cols = shape
    if shape == (1, 1):
        return "scalar"
    if cols == 1:
        return "column"
    if rows == 1:
        return "row"
    return "square" if rows == cols else "matrix"


def normalised(objective: Expr, wrt: str, shapes: Shapes) -> Expr:
    """`objective` with the variable called `·0` and every other symbol named by its order of
    appearance and its kind, so that `tr(P W Q)` w.r.t. W and `tr(A X B)` w.r.t. X agree."""
    others = [name for name in symbol_names(objective) if name != wrt]
    names = {wrt: "·0", **{name: f"·{i}" for i, name in enumerate(others, 1)}}

    def rename(node: Expr) -> Expr | None:
        if isinstance(node, Symbol):
            return Symbol(f"{names[node.name]}{_kind(shapes.symbol(node.name))}")
        return None

    return replace_nodes(objective, rename)


_NAME = r"[A-Za-z][A-Za-z0-9_]*(?![A-Za-z0-9_(])"


def _signature(text: str) -> str:
    """The objective's text with every name made `_`: `tr(_ _ _)` for tr(A X B)."""
    return re.sub(_NAME, "_", text)


@cache
def _by_signature() -> dict[str, list[CookbookIdentity]]:
    """The identities by the signature of their objectives, written as matcalc prints them; only
    those that can match are parsed, so that a derivation does not pay for all of them."""
    index: dict[str, list[CookbookIdentity]] = {}
    for identity in IDENTITIES:
        index.setdefault(_signature(identity.objective), []).append(identity)
    return index


@cache
def _largest() -> int:
    """More nodes than any identity has, read off their texts without parsing them all (each
    character makes at most two nodes: `X-Y` is X + (-Y)), so a derivation pays nothing for an
    objective too large to be one."""
    return 2 * max(len(identity.objective) for identity in IDENTITIES)


def _key(identity: CookbookIdentity) -> Expr:
    objective = parse(identity.objective)
    declared = {n: declared_shape(n, spec) for n, spec in identity.shapes.items()}
    return normalised(objective, identity.wrt, infer(objective, declared))


def known_identity(objective: Expr, wrt: str, shapes: Shapes) -> CookbookIdentity | None:
    """The Cookbook identity that `objective` differentiated by `wrt` is, if any."""
    if objective.size > _largest():  # no identity is that long: not worth printing it
        return None
    candidates = _by_signature().get(_signature(str(objective)), [])
    if not candidates:
        return None
    key = normalised(objective, wrt, shapes)
    return next((identity for identity in candidates if _key(identity) == key), None)
