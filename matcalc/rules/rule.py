"""The Rule record, the Site it applies at, and the helpers the table's entries are written with."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import TypeVar

from matcalc.expr import ONE, Expr, Hadamard, MatMul, Symbol
from matcalc.functions import NONE_DEFINED
from matcalc.shapes import SCALAR, Shape, Shapes
from matcalc.traversal import subexpression


class Kind(Enum):
    """What a step does; rearrangements of signs and scalars carry no tag."""

    MATRIX_TO_MATRIX = "matrix-to-matrix"
    MATRIX_TO_SCALAR = "matrix-to-scalar"
    REARRANGEMENT = "rearrangement"


@dataclass(frozen=True, slots=True)
class Site:
    """Where a rule applies: the operation `node`, and the path from it down to the input H."""

    node: Expr
    path: tuple[int, ...]
    shapes: Shapes
    defined: Mapping[str, Expr] = field(default_factory=lambda: NONE_DEFINED)
    """The derivatives of the user's functions, by name (functions.derivative)."""

    @property
    def child(self) -> Expr:
        return subexpression(self.node, self.path)

    @property
    def other(self) -> Expr:
        """The other operand of a binary operation."""
        return self.node.children()[1 - self.path[0]]

    def scalar(self, expr: Expr) -> bool:
        return self.shapes.of(expr) == SCALAR


@dataclass(frozen=True, slots=True)
class Assumption:
    """What a step's derivative needs to hold: `wording`, with `{}` where `subject` goes."""

    wording: str
    subject: Expr

    def sentence(self, show: Callable[[Expr], str]) -> str:
        return self.wording.format(show(self.subject))


Vjp = Callable[[Site, Expr], Expr]
Condition = Callable[[Site], bool]
Requirement = Callable[[Site], Assumption | None]
Proof = tuple[str, ...]
Path = tuple[int, ...]
_T = TypeVar("_T")
Pair = tuple[_T, _T]


def always(site: Site) -> bool:
    """The default `when`: the node's type and the input's path are enough."""
    return True


def nothing(site: Site) -> Assumption | None:
    """The default `assumes`: the derivative holds wherever the operation is defined."""
    return None


X, W, C, G = Symbol("X"), Symbol("W"), Symbol("C"), Symbol("G")
a, g, x = Symbol("a"), Symbol("g"), Symbol("x")
alpha, lam = Symbol("alpha"), Symbol("lambda")
"""The examples' names: matrices upper case, column vectors lower case, scalars Greek, as
`shapes.infer` reads them."""

CHAIN = r"\frac{df}{dX_{i,j}}&=\sum_{k,\ell}\frac{df}{dG_{k,\ell}}\cdot\frac{dG_{k,\ell}}{dX_{i,j}}"
"""The multivariable chain rule, the first line of most proofs."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One operation's chain rule: df/dX from df/dG, with its name, example and proof."""

    name: str
    node: type[Expr]
    kind: Kind
    vjp: Vjp
    example: Expr
    """The operation on named symbols, G(X) in `matcalc rules`."""
    proof: Proof
    input: Expr = X
    """The part of `example` the rule differentiates by."""
    path: Path | None = None
    """Where the input sits below `node`; None: any one operand."""
    when: Condition = always
    assumes: Requirement = nothing
    cites: str | None = None
    """The Matrix Cookbook's equation for this rule, where it has one."""
    remark: str | None = None
    """What the justification adds to the seed's sentence."""
    shapes: Mapping[str, Shape] = field(default_factory=dict, compare=False)
    """The example's shapes where the naming convention cannot tell them (a Kronecker
    product multiplies its factors' sizes, which must be known)."""

    def __repr__(self) -> str:
        return f"<Rule {self.name}: {self.letter}: {self.input} ↦ {self.example}>"

    def applies(self, site: Site) -> bool:
        fits = len(site.path) == 1 if self.path is None else site.path == self.path
        return fits and type(site.node) is self.node and self.when(site)

    @property
    def letter(self) -> str:
        """The seed names a matrix-to-scalar function f and a matrix-to-matrix one G."""
        return "f" if self.kind is Kind.MATRIX_TO_SCALAR else "G"

    @property
    def wording(self) -> str:
        """The seed's sentence, with `{function}` standing for "G: H ↦ G(H)"."""
        if self.kind is Kind.REARRANGEMENT:
            return "we've moved a sign or a scalar, with {function}"
        cited = f" (Matrix Cookbook eq. ({self.cites}))" if self.cites else ""
        remark = f"; {self.remark}" if self.remark else ""
        return (
            f"we've used the framework with the {self.kind.value} function {{function}}"
            f"{cited}{remark}"
        )


def mirrored(
    node: type[Expr],
    kind: Kind,
    *,
    names: Pair[str],
    vjps: Pair[Vjp],
    examples: Pair[Expr],
    proofs: Pair[Proof],
    inputs: Pair[Expr] = (X, X),
    paths: Pair[Path | None] = (None, None),
    whens: Pair[Condition] = (always, always),
    assumes: Requirement = nothing,
) -> Pair[Rule]:
    """An operation's two mirror-image rules (left and right operand, row and column), each
    field written once as the pair of their values."""

    def side(i: int) -> Rule:
        return Rule(
            names[i],
            node,
            kind,
            vjps[i],
            example=examples[i],
            proof=proofs[i],
            input=inputs[i],
            path=paths[i],
            when=whens[i],
            assumes=assumes,
        )

    return side(0), side(1)


def mul(left: Expr, right: Expr) -> Expr:
    """A product that leaves out a factor of 1 (df/df = 1 at the objective)."""
    if left == ONE:
        return right
    if right == ONE:
        return left
    return MatMul(left, right)


def times(derivative: Callable[[Site], Expr]) -> Vjp:
    """The vjp of a scalar function or of a scalar input: df/dG times `derivative(site)`."""
    return lambda site, d_g: mul(d_g, derivative(site))


def elementwise(derivative: Callable[[Site], Expr]) -> Vjp:
    """The vjp of an elementwise function: df/dG ⊙ `derivative(site)`, entry by entry."""
    return lambda site, d_g: Hadamard(d_g, derivative(site))
