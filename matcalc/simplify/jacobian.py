"""Jacobians in matrix form: M such that an expression linear in a column u is M u.

Each term of the expression holds u once, in a factor or in a scalar. A 1×1 run of factors is
a scalar and moves to the front; a 1×1 product is its own trace, which turns cyclically until u
is last (`u^T a = a^T u`); elementwise products and diagonals become products with diag(…)
(`w ⊙ u = diag(w) u`, `diag(u v^T) = diag(v) u`, `(c u^T) ⊙ R = diag(c) R diag(u)`). Each
rewrite leaves u in a smaller place, until it stands alone at the end.
"""

from __future__ import annotations

from matcalc.errors import ErrorKind, MatcalcError
from matcalc.expr import (
    ONE,
    Diag,
    Expr,
    Hadamard,
    HadamardDiv,
    Identity,
    MatMul,
    Number,
    Ones,
    Sum,
    SumCols,
    SumRows,
    Symbol,
    Trace,
    Transpose,
)
from matcalc.limits import MAX_TERMS
from matcalc.shapes import SCALAR, Shape, Shapes
from matcalc.simplify.factor import sum_of, term_expr
from matcalc.simplify.simplifier import Simplifier, TooManyTerms
from matcalc.simplify.terms import UNIT, Term, collect, flattened, matrix, product, scalar
from matcalc.traversal import preorder


def linear_map(expr: Expr, u: Symbol, shapes: Shapes) -> Expr:
    """M such that `expr` = M u, for a column or scalar `expr` linear in the column `u`: a
    Jacobian's transpose from the gradient of u^T y."""
    simplifier = Simplifier(shapes, expand=True)
    try:
        terms = _Linear(simplifier, u).column(expr)
        return sum_of(collect([_diagonals_merged(simplifier.shapes, t) for t in terms]))
    except TooManyTerms:
        raise MatcalcError(
            f"this Jacobian's matrix would have more than {MAX_TERMS} terms; differentiate a "
            f"scalar such as v^T y instead",
            ErrorKind.NOT_DIFFERENTIABLE,
        ) from None


class _Linear:
    """The rewrites to M u, for one column u. Each method returns the terms of a matrix."""

    def __init__(self, simplifier: Simplifier, u: Symbol):
        self.simplifier = simplifier
        self.u = u

    def column(self, expr: Expr) -> list[Term]:
        """N with `expr` = N u, for a column or 1×1 `expr`."""
        return [n for term in self.simplifier.terms(expr) for n in self._term(term)]

    def _term(self, term: Term) -> list[Term]:
        """N with `term` = N u: P F S where F holds u is (S P) N_F for a column F and a 1×1 S,
        P tr(F S) for a row F, P (F S) for a matrix F."""
        at, outside = self._holder(term)
        if isinstance(at, Expr):
            return _times([outside.times(matrix(*term.factors))], self._scalar(at))
        before, held, after = term.factors[:at], term.factors[at], term.factors[at + 1 :]
        front = outside.times(matrix(*before))
        rows, cols = self._shape(held)
        if cols == 1:
            return _times([front.times(_one_by_one(after))], self._column_atom(held))
        if rows == 1:
            return _times([front], self._trace(matrix(held, *after)))
        if self._shape(product(term.factors)) == SCALAR:  # a 1×1 term is its own trace
            return self._trace(term)
        return _times([front], self._times_column(held, product(after)))

    def _column_atom(self, atom: Expr) -> list[Term]:
        """N with `atom` = N u, for a column that holds u."""
        match atom:
            case _ if atom == self.u:
                return [matrix(Identity(self._shape(self.u)[0]))]
            case Hadamard() | HadamardDiv():  # w ⊙ x = diag(w) x
                inner, other = self._apart(atom)
                return _times([matrix(Diag(other))], self.column(inner))
            case Diag(square):
                return self._diagonal(square)
            case SumCols(arg):
                return self.column(MatMul(arg, Ones(self._shape(arg)[1], 1)))
            case Transpose(SumRows(arg)):
                return self.column(MatMul(Transpose(arg), Ones(self._shape(arg)[0], 1)))
        raise self._no_rule(atom)

    def _scalar(self, value: Expr) -> list[Term]:
        """The row r with the scalar `value` = r u."""
        match value:
            case MatMul():
                return self._trace(matrix(*flattened(value)))
            case Trace(arg):
                return [r for term in self.simplifier.terms(arg) for r in self._trace(term)]
            case Diag(arg) if self._shape(arg) == SCALAR:  # a 1×1 matrix is its own diagonal
                return self.column(arg)
            case Sum(Hadamard() | HadamardDiv() as elementwise):  # sum(L ⊙ R) = tr(R^T L)
                inner, other = self._apart(elementwise)
                other_t = self.simplifier.transpose_term(matrix(other))
                return [
                    r for t in self.simplifier.terms(inner) for r in self._trace(other_t.times(t))
                ]
            case Sum(arg):  # sum(X) = tr(1 1^T X)
                rows, cols = self._shape(arg)
                ones = matrix(Ones(cols, rows))
                return [r for t in self.simplifier.terms(arg) for r in self._trace(ones.times(t))]
        raise self._no_rule(value)

    def _trace(self, term: Term) -> list[Term]:
        """The row r with tr(`term`) = r u, turning the product cyclically: tr(W F) = W N_F for
        a column F, tr(F W) = W^T N_{F^T} for a row F, tr(W diag(v)) = diag(W)^T v and
        tr(W (L ⊙ R)) = tr((W ⊙ R^T) L)."""
        at, outside = self._holder(term)
        if isinstance(at, Expr):
            rest = Term(outside.coefficient, outside.scalars, ())
            return _times([rest.times(self._traced(term.factors))], self._scalar(at))
        held = term.factors[at]
        around = term.factors[at + 1 :] + term.factors[:at]
        rows, cols = self._shape(held)
        if cols == 1:
            return _times([outside.times(matrix(*around))], self._column_atom(held))
        if rows == 1:
            transpose = self.simplifier.transpose_term
            front = outside.times(transpose(matrix(*around)))
            return _times([front], self._term(transpose(matrix(held))))
        match held:
            case Diag(inner):
                diagonal = Transpose(
                    self._diagonal_of(product(around) if around else Identity(rows))
                )
                return _times(self._terms(outside, diagonal), self.column(inner))
            case Hadamard() | HadamardDiv():
                inner, other = self._apart(held)
                weights = self._terms(outside, _hadamard(around, Transpose(other)))
                return [
                    r
                    for w in weights
                    for t in self.simplifier.terms(inner)
                    for r in self._trace(w.times(t))
                ]
        raise self._no_rule(held)

    def _times_column(self, atom: Expr, column: Expr) -> list[Term]:
        """N with `atom` `column` = N u, for a matrix `atom` that holds u: diag(v) s = diag(s) v,
        (L ⊙ R) s = diag(L diag(s) R^T)."""
        match atom:
            case Diag(inner):
                return _times([matrix(Diag(column))], self.column(inner))
            case Hadamard() | HadamardDiv():
                inner, other = self._apart(atom)
                return self._diagonal(MatMul(MatMul(inner, Diag(column)), Transpose(other)))
        raise self._no_rule(atom)

    def _diagonal(self, square: Expr) -> list[Term]:
        """N with diag(`square`) = N u: diag(a b^T) = a ⊙ b, diag(A diag(v) B) = (A ⊙ B^T) v,
        diag(L ⊙ R) = diag(L) ⊙ diag(R)."""
        return [n for term in self.simplifier.terms(square) for n in self._term_diagonal(term)]

    def _term_diagonal(self, term: Term) -> list[Term]:
        """N with diag(`term`) = N u."""
        at, outside = self._holder(term)
        factors = term.factors
        if isinstance(at, Expr):
            return _times([outside.times(matrix(Diag(product(factors))))], self._scalar(at))
        transpose = self.simplifier.transpose_term
        columns = [i for i in range(1, len(factors)) if self._shape(product(factors[:i]))[1] == 1]
        if columns:  # diag(L R) = L ⊙ R^T for a column L and a row R
            split = next((i for i in columns if i > at), columns[-1])
            column, row = matrix(*factors[:split]), matrix(*factors[split:])
            if split > at:
                weights = matrix(Diag(term_expr(transpose(row))))
                return _times([weights], self._term(outside.times(column)))
            weights = matrix(Diag(product(column.factors)))
            return _times([weights], self._term(outside.times(transpose(row))))
        held, rows = factors[at], self._shape(factors[0])[0]
        before, after = factors[:at], factors[at + 1 :]
        match held:
            case Diag(inner) if self._shape(inner)[1] == 1:
                after_t = Transpose(product(after)) if after else Identity(rows)
                hadamard = self._terms(outside, _hadamard(before, after_t))
                return _times(hadamard, self.column(inner))
            case Hadamard() | HadamardDiv() if (opened := self._opened(held)) is not None:
                around = [outside.times(matrix(*before)).times(t) for t in opened]
                return [n for t in around for n in self._term_diagonal(t.times(matrix(*after)))]
            case Hadamard() | HadamardDiv() if len(factors) == 1:
                inner, other = self._apart(held)
                diagonal = outside.times(matrix(Diag(Diag(other))))
                return _times([diagonal], self._diagonal(inner))
        raise self._no_rule(held)

    def _opened(self, elementwise: Hadamard | HadamardDiv) -> list[Term] | None:
        """L ⊙ R as products, if each term of L is a scalar times a matrix, the outer product
        of a column and a row, or a diagonal matrix: (c r) ⊙ R = diag(c) R diag(r^T),
        diag(v) ⊙ R = diag(v ⊙ diag(R)). None otherwise."""
        inner, other = self._apart(elementwise)
        opened = []
        for term in self.simplifier.terms(inner):
            at, outside = self._holder(term)
            factors = term.factors
            columns = [
                i for i in range(1, len(factors)) if self._shape(product(factors[:i]))[1] == 1
            ]
            if isinstance(at, Expr):
                part = matrix(Hadamard(product(factors), other))
                opened.append(Term(term.coefficient, term.scalars, ()).times(part))
            elif columns:
                column, row = product(factors[: columns[0]]), matrix(*factors[columns[0] :])
                row_t = term_expr(self.simplifier.transpose_term(row))
                opened.append(outside.times(matrix(Diag(column), other, Diag(row_t))))
            elif len(factors) == 1 and isinstance(factors[0], Diag):
                opened.append(outside.times(matrix(Diag(Hadamard(factors[0].arg, Diag(other))))))
            else:
                return None
        return opened

    def _holder(self, term: Term) -> tuple[Expr | int, Term]:
        """Where u is in `term`: its scalar factor or the index of its matrix factor, with the
        number and the other scalars. u must be there exactly once, to the first power."""
        scalars = [(base, e) for base, e in term.scalars if self._holds(base)]
        factors = [i for i, f in enumerate(term.factors) if self._holds(f)]
        if len(scalars) + len(factors) != 1 or (scalars and scalars[0][1] != 1):
            raise MatcalcError(
                f"{term_expr(term)} is not linear in {self.u}, so it is not a Jacobian's matrix "
                f"times {self.u}",
                ErrorKind.NOT_DIFFERENTIABLE,
            )
        rest = tuple(p for p in term.scalars if not self._holds(p[0]))
        outside = Term(term.coefficient, rest, ())
        return (scalars[0][0] if scalars else factors[0]), outside

    def _apart(self, elementwise: Hadamard | HadamardDiv) -> tuple[Expr, Expr]:
        """The operand of nested elementwise products and quotients that holds u, and what
        multiplies it: (L ⊙ A) ⊘ B is L ⊙ (A ⊘ B)."""
        match elementwise:
            case Hadamard(left, right):
                inner, other = (left, right) if self._holds(left) else (right, left)
            case HadamardDiv(inner, other):
                pass
        if self._holds(other):
            raise self._no_rule(elementwise)
        deeper, more = (
            (inner, ONE) if not isinstance(inner, Hadamard | HadamardDiv) else self._apart(inner)
        )
        match elementwise, more:
            case HadamardDiv(), _:
                return deeper, HadamardDiv(more, other)
            case _, HadamardDiv(Number(1), divisor):  # (1 ⊘ B) ⊙ A = A ⊘ B
                return deeper, HadamardDiv(other, divisor)
        return deeper, other if more == ONE else Hadamard(more, other)

    def _terms(self, outside: Term, expr: Expr) -> list[Term]:
        return [outside.times(t) for t in self.simplifier.terms(expr)]

    def _traced(self, factors: tuple[Expr, ...]) -> Term:
        """tr(F1 … Fk) as a scalar factor: the product itself when it is 1×1."""
        if not factors:
            return UNIT
        whole = product(factors)
        return scalar(whole if self._shape(whole) == SCALAR else Trace(whole))

    def _diagonal_of(self, square: Expr) -> Expr:
        """diag(`square`), where the diagonal of diag(v) is v."""
        match square:
            case Diag(column) if self._shape(column)[1] == 1:
                return column
        return Diag(square)

    def _shape(self, expr: Expr) -> Shape:
        return self.simplifier.shapes.of(expr)

    def _holds(self, expr: Expr) -> bool:
        return any(node == self.u for node in preorder(expr))

    def _no_rule(self, expr: Expr) -> MatcalcError:
        return MatcalcError(
            f"this Jacobian has no matrix form that matcalc can write: no rule writes {expr} as "
            f"a matrix times {self.u}; differentiate a scalar such as v^T y instead",
            ErrorKind.NOT_DIFFERENTIABLE,
        )


def _one_by_one(factors: tuple[Expr, ...]) -> Term:
    """A 1×1 run of factors as one scalar factor, to move to the front; 1 for none."""
    return scalar(product(factors)) if factors else UNIT


def _hadamard(factors: tuple[Expr, ...], other: Expr) -> Expr:
    """product(`factors`) ⊙ `other`, where no factors stand for I: I ⊙ B = diag(diag(B))."""
    if factors:
        return Hadamard(product(factors), other)
    return Diag(Diag(other))


def _times(lefts: list[Term], rights: list[Term]) -> list[Term]:
    return [left.times(right) for left in lefts for right in rights]


def _diagonals_merged(shapes: Shapes, term: Term) -> Term:
    """diag(v) a = v ⊙ a and a^T diag(v) = a^T ⊙ v^T next to a vector a: a Jacobian by a
    scalar is a row or a column, and reads as an elementwise product."""
    factors = list(term.factors)
    i = 0
    while i + 1 < len(factors):
        left, right = factors[i], factors[i + 1]
        match left, right:
            case Diag(v), _ if _diagonal_matrix(shapes, left) and shapes.of(right)[1] == 1:
                factors[i : i + 2] = [Hadamard(v, right)]
            case _, Diag(v) if _diagonal_matrix(shapes, right) and shapes.of(left)[0] == 1:
                factors[i : i + 2] = [Hadamard(left, Transpose(v))]
            case _:
                i += 1
    return Term(term.coefficient, term.scalars, tuple(factors))


def _diagonal_matrix(shapes: Shapes, diagonal: Diag) -> bool:
    """Whether diag(v) is the diagonal matrix of a column v, not the diagonal of a matrix."""
    return shapes.of(diagonal.arg)[1] == 1 and shapes.of(diagonal)[0] != 1
