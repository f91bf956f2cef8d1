"""Closed forms: products expanded over sums, like terms collected, scalars in front,
transposes pushed onto symbols; Hadamard products and function arguments kept as they are.

An expression becomes a list of terms `c · s1^e1 s2^e2 … · F1 F2 …` (a number, powers of scalar
factors, then matrix factors in order), collected in the order the terms first arise;
`closed_form` prints that list back as an expression, with negative powers under a `/`, and
`factored_form` pulls out common factors. Along the way a matrix meets its inverse as `I`,
inverses and transposes commute (`X^{-T}`), and det and logdet of an inverse or a transpose
are rewritten in terms of the matrix itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import reduce
from math import gcd

from matcalc.errors import ErrorKind, MatcalcError
from matcalc.expr import (
    ONE,
    ZERO,
    Add,
    Det,
    Diag,
    Div,
    Expr,
    FrobSq,
    Func,
    Hadamard,
    HadamardDiv,
    HadamardPow,
    Identity,
    Inverse,
    LogDet,
    MatMul,
    Neg,
    Norm,
    Number,
    Ones,
    Pending,
    Power,
    Sum,
    SumCols,
    SumRows,
    Symbol,
    Trace,
    Transpose,
    number,
    preorder,
    transposed,
)
from matcalc.limits import MAX_POWER, MAX_TERMS
from matcalc.shapes import SCALAR, Shapes

Powers = tuple[tuple[Expr, Fraction], ...]
"""Scalar factors with their exponents, sorted by how they print, no exponent zero."""


@dataclass(frozen=True, slots=True)
class Term:
    """`coefficient · scalars · factors`: scalars commute and are kept sorted, factors do not."""

    coefficient: Fraction
    scalars: Powers
    factors: tuple[Expr, ...]

    @property
    def monomial(self) -> tuple[Powers, tuple[Expr, ...]]:
        return self.scalars, self.factors

    def times(self, other: Term) -> Term:
        factors = self.factors + other.factors
        # I M = M I = M: an identity stays only where it is all there is
        kept = tuple(f for f in factors if not isinstance(f, Identity)) or factors[:1]
        scalars = _powers((*self.scalars, *other.scalars))
        return Term(self.coefficient * other.coefficient, scalars, kept)

    def scaled(self, by: Fraction) -> Term:
        return Term(self.coefficient * by, self.scalars, self.factors)

    def raised(self, exponent: Fraction) -> Term | None:
        """This scalar term to a power, if that is again a term: (2 s)^2 is 4 s^2."""
        whole = exponent.denominator == 1 and abs(exponent) <= MAX_POWER
        if self.factors or not (whole or self.coefficient == 1):
            return None
        powers = tuple((base, e * exponent) for base, e in self.scalars)
        return Term(self.coefficient ** int(exponent) if whole else Fraction(1), powers, ())


def _powers(pairs: Powers) -> Powers:
    totals: dict[Expr, Fraction] = {}
    for base, exponent in pairs:
        totals[base] = totals.get(base, Fraction(0)) + exponent
    return tuple(sorted(((b, e) for b, e in totals.items() if e), key=lambda p: str(p[0])))


def _scalar(expr: Expr, exponent: Fraction = Fraction(1)) -> Term:
    return Term(Fraction(1), ((expr, exponent),), ())


_UNIT = Term(Fraction(1), (), ())


def signs_out(expr: Expr) -> Expr:
    """Minus signs moved out of products, elementwise products, quotients and transposes, and
    double minuses dropped, as the seed writes `-2 (X - D R) R^T`."""
    kids = expr.children()
    if not kids:
        return expr
    moved = tuple(signs_out(child) for child in kids)
    if any(new is not old for new, old in zip(moved, kids, strict=True)):
        expr = expr.rebuild(moved)
    return lift_sign(expr)


def lift_sign(expr: Expr) -> Expr:
    """`expr` with a minus sign of its children moved out (their own signs are out already)."""
    match expr:
        case Neg(Neg(inner)):
            return inner
        case MatMul(Neg(a), b) | MatMul(a, Neg(b)):
            return _negated(MatMul(a, b))
        case Hadamard(Neg(a), b) | Hadamard(a, Neg(b)):
            return _negated(Hadamard(a, b))
        case Div(Neg(a), b):
            return _negated(Div(a, b))
        case Transpose(Neg(a)):
            return Neg(Transpose(a))
    return expr


def _negated(expr: Expr) -> Expr:
    return lift_sign(Neg(lift_sign(expr)))


@dataclass(frozen=True, slots=True)
class ClosedForm:
    """A simplified expression; `expanded` is False when multiplying out its products of sums
    would pass MAX_TERMS terms, so that they were kept as they are and common factors pulled out."""

    expr: Expr
    expanded: bool


def closed_form(expr: Expr, shapes: Shapes) -> ClosedForm:
    """The expanded, collected closed form of `expr`, or a factored one past MAX_TERMS terms."""
    terms, expanded = _bounded_terms(expr, shapes)
    return ClosedForm(_sum_of(terms) if expanded else _factored(terms), expanded)


def factored_form(expr: Expr, shapes: Shapes) -> Expr:
    """The closed form with a common number and common left and right factors pulled out:
    `-2 X R^T + 2 D R R^T` becomes `2 (D R - X) R^T`."""
    return _factored(_bounded_terms(expr, shapes)[0])


def _bounded_terms(expr: Expr, shapes: Shapes) -> tuple[list[Term], bool]:
    """`expr` as collected terms, and whether its products of sums were multiplied out."""
    try:
        return _Simplifier(shapes, expand=True).terms(expr), True
    except _TooManyTerms:
        return _Simplifier(shapes, expand=False).terms(expr), False


class _TooManyTerms(Exception):
    """Expanding would pass MAX_TERMS terms."""


def _factored(terms: list[Term]) -> Expr:
    if not terms:
        return ZERO
    outside, rest = _factor(terms)
    return _term_expr(outside.times(rest))


def _factor(terms: list[Term]) -> tuple[Term, Term]:
    """What every term shares: (the number and scalar factors, the rest as matrix factors with
    one sum between the common left and right factors, its positive terms first)."""
    content = _content(terms)
    if all(t.coefficient < 0 for t in terms):
        content = -content
    scalars = terms[0].scalars if all(t.scalars == terms[0].scalars for t in terms) else ()
    outside = Term(content, scalars, ())
    if len(terms) == 1:
        return outside, Term(Fraction(1), (), terms[0].factors)
    shortest = min(len(t.factors) for t in terms)
    prefix = _common_run([t.factors for t in terms], shortest - 1)
    suffix = _common_run(
        [t.factors[len(prefix) :][::-1] for t in terms], shortest - 1 - len(prefix)
    )
    inner = [
        Term(
            t.coefficient / content,
            t.scalars[len(scalars) :],
            t.factors[len(prefix) : len(t.factors) - len(suffix)],
        )
        for t in terms
    ]
    inner.sort(key=lambda t: t.coefficient < 0)
    return outside, Term(Fraction(1), (), (*prefix, _sum_of(inner), *suffix[::-1]))


_WHOLE = (Symbol, Func, FrobSq, Norm, Ones, Identity, Transpose, Pending)
"""Kinds of atom that the simplifier leaves as they are."""


class _Simplifier:
    """Expands with `expand`, and gives up past MAX_TERMS terms; without it, a product keeps
    an operand that is a sum whole, so the number of terms cannot grow by multiplying."""

    def __init__(self, shapes: Shapes, *, expand: bool):
        self.shapes = shapes
        self.expand = expand

    def closed(self, expr: Expr) -> Expr:
        return _sum_of(self.terms(expr))

    def terms(self, expr: Expr) -> list[Term]:
        """`expr` as collected terms."""
        return _collect(self._expand(expr))

    def _expand(self, expr: Expr) -> list[Term]:
        match expr:
            case Number(value):
                return [Term(value, (), ())]
            case Neg(arg):
                return [t.scaled(Fraction(-1)) for t in self._expand(arg)]
            case Add(terms) if all(self.shapes.of(t) == self.shapes.of(expr) for t in terms):
                return self._bounded(_collect([t for term in terms for t in self._expand(term)]))
            case MatMul(left, right):
                return self._product([left, right])
            case Power(base, Number(value)) if self.shapes.of(base) != SCALAR:
                return self._product([base] * int(value))
            case Power(base, Number(value)):
                return self._raised(base, value)
            case HadamardPow(base, k) if self.shapes.of(base) == SCALAR:
                return self._raised(base, Fraction(k))
            case Inverse(arg) if self.shapes.of(arg) == SCALAR:
                return self._raised(arg, Fraction(-1))
            case Div(num, Number(value)) | HadamardDiv(num, Number(value)) if value:
                return [t.scaled(1 / value) for t in self._expand(num)]
            case Div(num, den) | HadamardDiv(num, den) if self.shapes.of(den) == SCALAR:
                reciprocal = self._raised(den, Fraction(-1))
                return [t.times(r) for t in self._expand(num) for r in reciprocal]
            case Inverse(arg):
                return self._inverse(arg)
            case Det(Inverse(arg)) | Det(Transpose(Inverse(arg))):
                return self._raised(Det(arg), Fraction(-1))
            case LogDet(Inverse(arg)) | LogDet(Transpose(Inverse(arg))):
                return [t.scaled(Fraction(-1)) for t in self._expand(LogDet(arg))]
            case FrobSq(arg, norm) if norm in _EUCLIDEAN:
                # ||x||_2^2 is ||x||_2 squared, to cancel with ||x||_2 elsewhere
                return [_scalar(Norm(arg, norm), Fraction(2))]
            case Det(Transpose(arg)) | LogDet(Transpose(arg)) | Trace(Transpose(arg)):
                return self._expand(expr.rebuild((arg,)))
            case Transpose(arg):
                return [self._transposed(t) for t in self._expand(arg)]
            case Sum(Hadamard(left, right)) if self._inner_product(left, right):
                # of two columns, sum(a ⊙ b) is a^T b; of two rows, a b^T
                if self.shapes.of(left)[1] == 1:
                    return self._expand(MatMul(Transpose(left), right))
                return self._expand(MatMul(left, Transpose(right)))
            case Hadamard(left, right) if SCALAR in (self.shapes.of(left), self.shapes.of(right)):
                # a scalar multiplies every entry: λ ⊙ X is λ X
                return self._expand(MatMul(left, right))
            case Hadamard(Ones(), other) | Hadamard(other, Ones()):
                return self._expand(other)
            case Ones(rows, cols) if (rows, cols) == SCALAR:
                return [Term(Fraction(1), (), ())]
            case _:
                return self._atom(expr)

    def _inner_product(self, left: Expr, right: Expr) -> bool:
        """Whether sum(left ⊙ right) reads better as a product: two vectors, neither all ones."""
        shape = self.shapes.of(left)
        ones = isinstance(left, Ones) or isinstance(right, Ones)
        return 1 in shape and shape == self.shapes.of(right) and not ones

    def _operand(self, expr: Expr) -> list[Term]:
        """Terms of a product's operand; a 1×1 product of matrices becomes one scalar factor."""
        terms = self._expand(expr)
        if self.shapes.of(expr) != SCALAR:
            return terms
        return [
            Term(t.coefficient, t.scalars, ()).times(_scalar(_product(t.factors)))
            if t.factors
            else t
            for t in terms
        ]

    def _product(self, operands: list[Expr]) -> list[Term]:
        """The terms of a product, where a matrix next to its inverse cancels."""
        product = [_UNIT]
        for operand in operands:
            terms = self._operand(operand)
            if not self.expand:
                terms = self._whole(operand, terms)
            product = self._bounded([self._joined(a, b) for a in product for b in terms])
        return product

    def _joined(self, left: Term, right: Term) -> Term:
        """left · right, where a product next to its inverse across the join becomes I:
        X X^{-1}, X^{-1} X, X^T X^{-T}, (A B)^{-1} A B."""
        term = left.times(right)
        split = sum(not isinstance(f, Identity) for f in left.factors)
        kept = [(f, _inverted(f)) for f in term.factors[:split]]
        for factor in term.factors[split:]:
            kept.append((factor, _inverted(factor)))
            while (run := _inverse_run(kept)) is not None:
                del kept[-run:]
        if len(kept) == len(term.factors):
            return term
        factors = tuple(f for f, _ in kept) or (Identity(self.shapes.of(term.factors[0])[0]),)
        return Term(term.coefficient, term.scalars, factors)

    def _raised(self, base: Expr, exponent: Fraction) -> list[Term]:
        """A scalar to a number's power: a single term is raised factor by factor, anything
        else is one scalar factor with that exponent."""
        match base:
            case MatMul(left, right) if self.shapes.of(left) == SCALAR == self.shapes.of(right):
                return [
                    a.times(b)
                    for a in self._raised(left, exponent)
                    for b in self._raised(right, exponent)
                ]
        terms = _collect(self._operand(base))
        if not terms:
            return [] if exponent > 0 else [_scalar(ZERO, exponent)]
        if len(terms) == 1 and (raised := terms[0].raised(exponent)) is not None:
            return [raised]
        return [_scalar(_sum_of(terms), exponent)]

    def _inverse(self, arg: Expr) -> list[Term]:
        """(c A B)^{-1} = B^{-1} A^{-1} / c for square A and B; (X^{-1})^{-1} = X,
        (X^T)^{-1} = X^{-T}, I^{-1} = I."""
        terms = self.terms(arg)
        if len(terms) != 1 or not all(_square(self.shapes.of(f)) for f in terms[0].factors):
            return self._atom(Inverse(_sum_of(terms)))
        (term,) = terms
        inverse = [Term(1 / term.coefficient, tuple((b, -e) for b, e in term.scalars), ())]
        for factor in reversed(term.factors):
            match factor:
                case Inverse(inner):
                    factors = self._expand(inner)
                case Transpose(inner):
                    factors = [Term(Fraction(1), (), (Transpose(Inverse(inner)),))]
                case Identity():
                    factors = [Term(Fraction(1), (), (factor,))]
                case _:
                    factors = self._atom(Inverse(factor))
            inverse = [a.times(b) for a in inverse for b in factors]
        return inverse

    def _bounded(self, terms: list[Term]) -> list[Term]:
        if self.expand and len(terms) > MAX_TERMS:
            raise _TooManyTerms
        return terms

    def _whole(self, expr: Expr, terms: list[Term]) -> list[Term]:
        """The terms of a product's operand, as one factor if there are several."""
        if len(terms) < 2:
            return terms
        outside, rest = _factor(_collect(terms))
        if self.shapes.of(expr) == SCALAR:
            return [outside.times(_scalar(_product(rest.factors)))]
        return [outside.times(rest)]

    def _atom(self, expr: Expr) -> list[Term]:
        """An expression the expansion does not open, with its number and scalars pulled out."""
        outside, atom = self._canonical_atom(expr)
        if _vanishes(atom):
            return []
        if self.shapes.of(atom) == SCALAR:
            return [outside.times(_scalar(atom))]
        return [outside.times(Term(Fraction(1), (), (atom,)))]

    def _canonical_atom(self, expr: Expr) -> tuple[Term, Expr]:
        match expr:
            case Hadamard(left, right):
                (a, left), (b, right) = self._inside(left), self._inside(right)
                for one, other in ((left, right), (right, left)):
                    # 1 ⊙ Y is Y, and so is ones ⊙ Y when Y has the whole shape
                    full = self.shapes.of(other) == self.shapes.of(expr)
                    if one == ONE or (isinstance(one, Ones) and full):
                        return a.times(b), other
                return a.times(b), Hadamard(left, right)
            case HadamardDiv(left, right):
                a, left = self._inside(left)
                if isinstance(left, Ones) and self.shapes.of(right) != SCALAR:
                    left = ONE
                return a, HadamardDiv(left, self.closed(right))
            case HadamardPow(base, exponent):
                return _UNIT, HadamardPow(self.closed(base), exponent)
            case Trace(arg):
                a, arg = self._inside(arg)
                return a, Trace(self._shortest_cycle(arg))
            case Sum(arg) | SumRows(arg) | SumCols(arg):
                a, arg = self._inside(arg)
                return a, expr.rebuild((arg,))
            case Det(arg) | LogDet(arg) | Inverse(arg):
                return _UNIT, expr.rebuild((self.closed(arg),))
            case Diag(arg):
                a, arg = self._inside(arg)
                match arg:
                    case Identity(n):  # the diagonal of I is a column of ones, and back
                        return a, Ones(n, 1)
                    case Ones(n, 1) if n != 1:
                        return a, Identity(n)
                return a, Diag(arg)
            case Power(base, exponent):
                return _UNIT, Power(self.closed(base), self.closed(exponent))
            case Div(num, den):
                a, num = self._inside(num)
                return a, Div(num, self.closed(den))
            case Add(terms):
                # a broadcast sum (C + x, 1 - y) stays whole: (C + x) W is not C W + x W
                return _UNIT, Add(tuple(self._shaped(term) for term in terms))
            case _ if isinstance(expr, _WHOLE):
                return _UNIT, expr
        raise AssertionError(f"no simplification for {type(expr).__name__}")

    def _shaped(self, term: Expr) -> Expr:
        """A broadcast sum's term in closed form; a zero matrix stays a matrix, `0 ones(m, n)`,
        for the sum to keep its shape."""
        closed = self.closed(term)
        rows, cols = self.shapes.of(term)
        if closed == ZERO and (rows, cols) != SCALAR:
            return MatMul(ZERO, Ones(rows, cols))
        return closed

    def _inside(self, expr: Expr) -> tuple[Term, Expr]:
        """An operand kept whole, in factored form: (its number and scalars, the rest)."""
        terms = self.terms(expr)
        if not terms:
            return _UNIT, ZERO
        if len(terms) == 1 and not terms[0].factors:
            scalars = Term(Fraction(1), terms[0].scalars, ())
            return Term(terms[0].coefficient, (), ()), _term_expr(scalars)
        outside, rest = _factor(terms)
        return outside, _product(rest.factors)

    def _transposed(self, term: Term) -> Term:
        factors = tuple(self._transpose_atom(f) for f in reversed(term.factors))
        terms = [Term(term.coefficient, term.scalars, ())]
        for factor in factors:
            terms = [a.times(b) for a in terms for b in factor]
        assert len(terms) == 1
        return terms[0]

    def _transpose_atom(self, atom: Expr) -> list[Term]:
        match atom:
            case Transpose(inner):  # a factor kept whole stays one factor
                return self._whole(inner, self._expand(inner))
            case Ones(rows, cols):
                return [Term(Fraction(1), (), (Ones(cols, rows),))]
            case Identity() | Symbol() | Inverse() | Diag() if self._symmetric(atom):
                return [Term(Fraction(1), (), (atom,))]
            case Hadamard(left, right):
                return self._atom(Hadamard(Transpose(left), Transpose(right)))
            case HadamardDiv(left, right):
                return self._atom(HadamardDiv(Transpose(left), Transpose(right)))
            case HadamardPow(base, exponent):
                return self._atom(HadamardPow(Transpose(base), exponent))
            case Add(terms):
                swapped = Add(tuple(Transpose(term) for term in terms))
                return self._whole(swapped, self._expand(swapped))
        return [Term(Fraction(1), (), (Transpose(atom),))]

    def _shortest_cycle(self, product: Expr) -> Expr:
        """The trace's product turned cyclically (tr(A B C) = tr(C A B)) to where the most
        cancels, as tr(X^{-1} A X) = tr(A); unchanged if no turn is shorter."""
        factors = _flattened(product)
        best = factors
        for turn in range(1, len(factors)):
            turned = factors[turn:] + factors[:turn]
            cancelled = self._joined(_UNIT, Term(Fraction(1), (), turned)).factors
            if len(cancelled) < len(best):
                best = cancelled
        return product if best is factors else _product(best)

    def _symmetric(self, atom: Expr) -> bool:
        """I, a matrix declared symmetric, and the inverse of a symmetric matrix (S^{-1},
        (X^T S X)^{-1}) are their own transposes."""
        match atom:
            case Identity():
                return True
            case Symbol(name):
                return name in self.shapes.symmetric
            case Inverse(arg):
                return self._symmetric(arg) or self.closed(Transpose(arg)) == arg
            case Diag(arg):
                return self.shapes.of(arg)[1] == 1
        return False

    def linear_terms(self, expr: Expr, u: Symbol) -> list[Term]:
        """The terms of M, where `expr` = M u is linear in the column `u`."""
        return _collect([m for term in self.terms(expr) for m in self._linear(term, u)])

    def _linear(self, term: Term, u: Symbol) -> list[Term]:
        for base, exponent in term.scalars:
            if _holds(base, u):
                return self._through_scalar(term, base, exponent, u)
        outside = Term(term.coefficient, term.scalars, term.factors[:-1])
        match term.factors[-1:]:
            case (last,) if last == u:
                identity = Identity(self.shapes.of(u)[0])
                return [
                    outside
                    if outside.factors
                    else outside.times(Term(Fraction(1), (), (identity,)))
                ]
            case (Hadamard(left, right),):
                inner, other = (left, right) if _holds(left, u) else (right, left)
                diagonal = outside.times(Term(Fraction(1), (), (Diag(other),)))
                return [diagonal.times(m) for m in self.linear_terms(inner, u)]
            case (HadamardDiv(inner, other),) if not _holds(other, u):
                reciprocal = Diag(HadamardDiv(ONE, other))
                diagonal = outside.times(Term(Fraction(1), (), (reciprocal,)))
                return [diagonal.times(m) for m in self.linear_terms(inner, u)]
        raise MatcalcError(
            f"{_term_expr(term)} is not a matrix times {u}: this Jacobian has no matrix form here",
            ErrorKind.NOT_DIFFERENTIABLE,
        )

    def _through_scalar(
        self, term: Term, scalar: Expr, exponent: Fraction, u: Symbol
    ) -> list[Term]:
        """(w^T u) F = F w^T u, (r u) F = F r u and sum(w ⊙ M u) F = F w^T M u."""
        factors = _flattened(scalar)
        rest = Term(term.coefficient, tuple(p for p in term.scalars if p[0] != scalar), ())
        rest = rest.times(Term(Fraction(1), (), term.factors))
        match scalar:
            case _ if exponent != 1:
                pass
            case Sum(Hadamard(left, right)):
                inner, other = (left, right) if _holds(left, u) else (right, left)
                row = rest.times(Term(Fraction(1), (), (Transpose(other),)))
                return [row.times(m) for m in self.linear_terms(inner, u)]
            case _ if factors[0] == Transpose(u):
                return [rest.times(self._transposed(Term(Fraction(1), (), factors[1:])))]
            case _ if factors[-1] == u:
                return [rest.times(Term(Fraction(1), (), factors[:-1]))]
        raise MatcalcError(
            f"{scalar} is not linear in {u}: this Jacobian has no matrix form here",
            ErrorKind.NOT_DIFFERENTIABLE,
        )


def linear_map(expr: Expr, u: Symbol, shapes: Shapes) -> Expr:
    """M such that `expr` = M u, for an `expr` linear in the column `u`: a Jacobian's transpose
    from the gradient of u^T y."""
    return _sum_of(_Simplifier(shapes, expand=True).linear_terms(expr, u))


def _holds(expr: Expr, symbol: Symbol) -> bool:
    return any(node == symbol for node in preorder(expr))


def _flattened(product: Expr) -> tuple[Expr, ...]:
    match product:
        case MatMul(left, right):
            return _flattened(left) + _flattened(right)
    return (product,)


def _vanishes(atom: Expr) -> bool:
    """Zero because a factor is: 0, 0 ⊙ Y, 0 ⊘ Y, 0^{∘k}, sum(0), 0 / c."""
    match atom:
        case Hadamard(left, right):
            return ZERO in (left, right)
        case (
            HadamardDiv(left, _)
            | HadamardPow(left, _)
            | Div(left, _)
            | Sum(left)
            | SumRows(left)
            | SumCols(left)
        ):
            return left == ZERO
    return atom == ZERO


def _collect(terms: list[Term]) -> list[Term]:
    """Add up like terms, keeping the order in which each first arose; drop zeros."""
    totals: dict[tuple[Powers, tuple[Expr, ...]], Fraction] = {}
    for term in terms:
        totals[term.monomial] = totals.get(term.monomial, Fraction(0)) + term.coefficient
    return [Term(c, s, f) for (s, f), c in totals.items() if c != 0]


def _content(terms: list[Term]) -> Fraction:
    """The largest positive number that divides every coefficient."""
    numerators = reduce(gcd, (t.coefficient.numerator for t in terms))
    denominators = reduce(
        lambda a, b: a * b // gcd(a, b), (t.coefficient.denominator for t in terms)
    )
    return Fraction(abs(numerators), denominators)


def _common_run(sequences: list[tuple[Expr, ...]], limit: int) -> tuple[Expr, ...]:
    run: list[Expr] = []
    for position in range(max(limit, 0)):
        candidates = {seq[position] for seq in sequences}
        if len(candidates) != 1:
            break
        run.append(sequences[0][position])
    return tuple(run)


def _square(shape: tuple[object, object]) -> bool:
    return shape[0] == shape[1]


def _inverse_run(factors: list[tuple[Expr, tuple[Expr, ...] | None]]) -> int | None:
    """How many factors at the end of `factors` make I: `M^{-1} A B` or `A B M^{-1}` where
    M = A B, and the same transposed. Each factor comes with what it is the inverse of."""
    n = len(factors)
    for j in range(n - 1, -1, -1):
        product = factors[j][1]
        if product is None:
            continue
        k = len(product)
        if j == n - 1 and k < n and tuple(f for f, _ in factors[n - 1 - k : n - 1]) == product:
            return k + 1
        if n - 1 - j == k and tuple(f for f, _ in factors[j + 1 :]) == product:
            return k + 1
    return None


def _inverted(factor: Expr) -> tuple[Expr, ...] | None:
    """The factors F1 … Fk of which `factor` is the inverse (F1 … Fk)^{-1}, if it is one."""
    match factor:
        case Inverse(m):
            return _flattened(m)
        case Transpose(Inverse(m)):
            return tuple(transposed(f) for f in reversed(_flattened(m)))
    return None


def _product(factors: tuple[Expr, ...]) -> Expr:
    return reduce(MatMul, factors) if factors else ONE


def _runs(factors: tuple[Expr, ...]) -> tuple[Expr, ...]:
    """Equal neighbours as a power: `X X X` is `X^3`."""
    out: list[tuple[Expr, int]] = []
    for factor in factors:
        if out and out[-1][0] == factor:
            out[-1] = (factor, out[-1][1] + 1)
        else:
            out.append((factor, 1))
    return tuple(_power(factor, Fraction(count)) for factor, count in out)


_EUCLIDEAN = ("F", "2")
"""Norms written with bars whose square is a sum of squares, ||x||_2^2 as the parser reads it."""


def _power(base: Expr, exponent: Fraction) -> Expr:
    match base:
        case Norm(arg, norm) if norm in _EUCLIDEAN and exponent == 2:
            return FrobSq(arg, norm)
    return base if exponent == 1 else Power(base, number(exponent))


def _term_expr(term: Term) -> Expr:
    """`c s1 … F1 … / (q t1 …)` as nodes: the number first, a fraction's denominator and the
    negative powers under the `/`, a minus outside."""
    upper = [_power(base, e) for base, e in term.scalars if e > 0]
    lower = [_power(base, -e) for base, e in term.scalars if e < 0]
    body = (*upper, *_runs(term.factors))
    value = abs(term.coefficient)
    parts = body if value.numerator == 1 and body else (number(value.numerator), *body)
    expr = _product(parts)
    if value.denominator != 1:
        lower.insert(0, number(value.denominator))
    if lower:
        expr = Div(expr, _product(tuple(lower)))
    return Neg(expr) if term.coefficient < 0 else expr


def _sum_of(terms: list[Term]) -> Expr:
    """The terms added up; terms over the same denominator share it: `A^T (A x - b) / ||…||`,
    `(A + A^T) / 2`."""
    if not terms:
        return ZERO
    over: dict[tuple[int, Powers], list[Term]] = {}
    for term in terms:
        lower = tuple(p for p in term.scalars if p[1] < 0)
        over.setdefault((term.coefficient.denominator, lower), []).append(term)
    exprs = []
    for (denominator, lower), group in over.items():
        if (denominator, lower) != (1, ()) and len(group) > 1:
            upper = [
                Term(t.coefficient * denominator, _positive(t.scalars), t.factors) for t in group
            ]
            outside, rest = _factor(upper)
            below = Term(Fraction(1, denominator), lower, ())
            exprs.append(_term_expr(outside.times(rest).times(below)))
        else:
            exprs.extend(_term_expr(t) for t in group)
    return exprs[0] if len(exprs) == 1 else Add(tuple(exprs))


def _positive(scalars: Powers) -> Powers:
    return tuple(p for p in scalars if p[1] > 0)
