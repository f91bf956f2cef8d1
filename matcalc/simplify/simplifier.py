"""The simplifier: an expression as collected terms, products expanded over sums, scalars in
front, transposes pushed onto symbols; Hadamard products and function arguments kept as they are.
Along the way a matrix meets its inverse as `I`, inverses and transposes commute (`X^{-T}`), and
det and logdet of an inverse or a transpose are rewritten in terms of the matrix itself. It counts
the named rewrites (`rewrites.REWRITES`) that changed the expression, for the step to say them.
"""

from __future__ import annotations

from collections import Counter
from fractions import Fraction
from functools import reduce

from matcalc.errors import ErrorKind, MatcalcError
from matcalc.expr import (
    ONE,
    ZERO,
    Add,
    CrossEntropy,
    Det,
    Diag,
    Dim,
    Div,
    Expr,
    FrobSq,
    Hadamard,
    HadamardDiv,
    HadamardPow,
    Identity,
    Inverse,
    Kron,
    LayerNorm,
    LogDet,
    LogSoftmax,
    LogSumExp,
    MatMul,
    Mean,
    Neg,
    Norm,
    Number,
    Ones,
    Power,
    Softmax,
    Sum,
    SumCols,
    SumRows,
    Symbol,
    Trace,
    Transpose,
    Vec,
)
from matcalc.limits import MAX_TERMS
from matcalc.operations import factors as dim_factors
from matcalc.shapes import SCALAR, Shape, Shapes, count, size_problem
from matcalc.simplify.atoms import WHOLE, inner_product, square, vanishes
from matcalc.simplify.blocks import hadamard_of_krons, kron_times_vec, mixed_product, read_back
from matcalc.simplify.factor import EUCLIDEAN, factor, sum_of, term_expr
from matcalc.simplify.identities import Look, cancelled, divides, sigmoid_form
from matcalc.simplify.rewrites import REWRITE_NAMES
from matcalc.simplify.terms import (
    UNIT,
    Term,
    collected,
    flattened,
    hadamard_factors,
    inverse_run,
    inverted,
    matrix,
    product,
    scalar,
    scalars_move,
)


def _divides(term: Expr) -> bool:
    """Whether a term of a sum, its sign aside, divides by something elementwise."""
    return divides(term.arg if isinstance(term, Neg) else term)


def _vec_of(term: Term, shape: Shape, shapes: Shapes) -> Expr | None:
    """M where the term's matrix is vec(M) with M of `shape`."""
    match term.factors:
        case (Vec(inner),) if shapes.of(inner) == shape:
            return inner
    return None


def _is_kron(term: Expr) -> bool:
    """Whether a term of a sum, its sign aside, is a Kronecker product."""
    return isinstance(term.arg if isinstance(term, Neg) else term, Kron)


class TooManyTerms(Exception):
    """Expanding would pass MAX_TERMS terms."""


Memo = dict[tuple[Expr, bool], tuple[tuple[Term, ...], tuple[tuple[str, int], ...]]]
"""Expressions already expanded, by whether products were multiplied out: their terms and the
rewrites counted on the way, for simplifiers of the same shapes to share (the closed forms of
one derivation write the same values many times)."""

SMALL = 2
"""Expressions of fewer nodes are expanded again rather than looked up in the memo."""


class Simplifier:
    """Expands with `expand`, and gives up past MAX_TERMS terms; without it, a product keeps
    an operand that is a sum whole, so the number of terms cannot grow by multiplying.
    `applied` counts the rewrites that changed the expression (a part that comes out as it
    went in counts none). `memo` holds what simplifiers of the same shapes worked out before;
    an expansion that looked through a named value (a sigmoid's) is not kept, since another
    simplifier may look elsewhere."""

    def __init__(
        self,
        shapes: Shapes,
        *,
        expand: bool,
        look: Look = lambda expr: expr,
        memo: Memo | None = None,
        spread: bool = False,
    ):
        self.shapes = shapes
        self.expand = expand
        self.spread = spread
        """Whether elementwise products are multiplied out over the sums among their factors."""
        self.look = look
        self.applied: Counter[str] = Counter()
        self.memo: Memo = {} if memo is None else memo
        self._looks = 0

    def _did(self, rewrite: str, times: int = 1) -> None:
        assert rewrite in REWRITE_NAMES, rewrite
        self.applied[rewrite] += times

    def _probe(self) -> Simplifier:
        """A simplifier like this one for trying something out, whose rewrites do not count."""
        return Simplifier(self.shapes, expand=self.expand, look=self.look, memo=self.memo)

    def _look(self, expr: Expr) -> Expr:
        self._looks += 1
        return self.look(expr)

    def closed(self, expr: Expr) -> Expr:
        """`expr` in closed form; rewrites inside it count only if it comes out changed."""
        before = self.applied.copy()
        result = sum_of(self.terms(expr))
        if self.applied != before and result == expr:
            self.applied = before
        return result

    def terms(self, expr: Expr) -> list[Term]:
        """`expr` as collected terms."""
        return self._collect(self._expand(expr))

    def _collect(self, terms: list[Term]) -> list[Term]:
        result = collected(terms)
        if result.like:
            self._did("collect terms", result.like)
        if result.zeros:
            self._did("drop zeros")
        return result.terms

    def _expand(self, expr: Expr) -> list[Term]:
        """`expr` as terms, as the memo has them (its rewrites counted again) or worked out."""
        if expr._size < SMALL:  # quicker worked out than looked up
            return self._expanded(expr)
        key = (expr, self.expand)
        known = self.memo.get(key)
        if known is not None:
            terms, counted = known
            for rewrite, times in counted:
                self.applied[rewrite] += times
            return list(terms)
        before, looks = dict(self.applied), self._looks
        result = self._expanded(expr)
        if self._looks == looks:
            counted = () if self.applied == before else self._since(before)
            self.memo[key] = (tuple(result), counted)
        return result

    def _spread(self, atom: Hadamard) -> list[Term] | None:
        """The elementwise product multiplied out over the first sum among its factors. Only
        where something divides and the result is shorter, as (a ⊘ s - b ⊘ (1 - s)) ⊙ s ⊙
        (1 - s), whose quotients cancel; in a spreading simplifier (trying it out), always."""
        factors = hadamard_factors(atom)
        sums = [i for i, factor in enumerate(factors) if isinstance(factor, Add)]
        if not self.spread:  # a quotient, or Kronecker products to meet: a cheap look first
            krons = any(isinstance(factor, Kron) for factor in factors)
            sums = [
                i
                for i in sums
                if any(map(_divides, factors[i].children()))
                or (krons and any(map(_is_kron, factors[i].children())))
            ]
        shape = self.shapes.of(atom) if sums else SCALAR
        at = next(
            (
                i
                for i in sums
                if all(self.shapes.of(t) in (shape, SCALAR) for t in factors[i].children())
            ),
            None,
        )
        if at is None:
            return None
        total = factors[at]
        assert isinstance(total, Add)
        if not self.spread:
            trial = Simplifier(self.shapes, expand=True, look=self.look, spread=True)
            try:
                terms = trial._spread(atom)
            except TooManyTerms:  # multiplied out, it would not be the shorter
                return None
            meet = trial.applied["Kronecker products"]  # (A ⊗ X) ⊙ (A ⊗ 1) = (A ⊙ A) ⊗ X
            if terms is None or (sum_of(terms).size >= atom.size and not meet):
                return None
            self._did("expand")
            for rewrite in ("cancel quotients", "Kronecker products"):
                if trial.applied[rewrite]:
                    self._did(rewrite)
            return terms
        rest = factors[:at] + factors[at + 1 :]
        found: list[Term] = []
        for term in total.terms:
            sign, body = (Fraction(-1), term.arg) if isinstance(term, Neg) else (Fraction(1), term)
            product = reduce(Hadamard, [body, *rest])
            found += [t.scaled(sign) for t in self._expand(product)]
        return self._collect(found)

    def _ones(self, expr: Expr) -> Expr:
        """The all-ones of `expr`'s shape: 1 for a scalar."""
        shape = self.shapes.of(expr)
        return ONE if shape == SCALAR else Ones(*shape)

    def _sums_to_one(self, expr: Expr) -> bool:
        """A softmax, or a name declared to sum to one (over a column, or along each row), or
        the negation of one."""
        if isinstance(expr, Neg):
            expr = expr.arg
        if isinstance(expr, Symbol):
            return expr.name in self.shapes.sum_to_one
        return isinstance(expr, Softmax)

    def _countable(self, *dims: Dim) -> bool:
        """Whether the sizes of `dims` can be written: numbers, or names that stand for their
        sizes (a size written only in ones(m, n) has no value to take)."""
        symbols = self.shapes.symbols
        return all(
            isinstance(f, int) or size_problem(f, symbols) is None
            for dim in dims
            for f in dim_factors(dim)
        )

    def _since(self, before: dict[str, int]) -> tuple[tuple[str, int], ...]:
        """The rewrites counted since `before`, with how many times."""
        return tuple(
            (rewrite, times - before.get(rewrite, 0))
            for rewrite, times in self.applied.items()
            if times != before.get(rewrite, 0)
        )

    def _expanded(self, expr: Expr) -> list[Term]:
        match expr:
            case Hadamard() | HadamardDiv() if shorter := sigmoid_form(expr, self._look):
                self._did("sigmoid")
                return self._expand(shorter)
            case Sum(Hadamard(Identity(n), other) | Hadamard(other, Identity(n))) if self.shapes.of(
                other
            ) == SCALAR and self._countable(n):
                self._did("sums")  # a number spread over the identity: sum(eye(n) ⊙ c) = n c
                return self._expand(MatMul(count([n], self.shapes.symbols), other))
            case Sum(Hadamard(Identity(), other) | Hadamard(other, Identity())) if (
                self.shapes.of(other) != SCALAR
            ):
                self._did("traces")
                return self._expand(Trace(other))
            case Sum(arg) if self._sums_to_one(arg) and self.shapes.of(arg)[1] == 1:
                self._did("sums to one")
                return [Term(Fraction(-1 if isinstance(arg, Neg) else 1), (), ())]
            case SumCols(arg) if self._sums_to_one(arg) and self.shapes.of(arg)[1] != 1:
                self._did("sums to one")
                ones = self._expand(Ones(self.shapes.of(arg)[0], 1))
                return [t.scaled(Fraction(-1)) for t in ones] if isinstance(arg, Neg) else ones
            case Sum(LayerNorm()):
                self._did("normalised")  # each row (a column's entries) sums to 0
                return []
            case SumCols(LayerNorm(rows)) if self.shapes.of(rows)[1] != 1:
                self._did("normalised")
                return []
            case MatMul(Transpose(LayerNorm(a)), LayerNorm(b)) if (
                a == b and self.shapes.of(a)[1] == 1
            ):
                self._did("normalised")  # a normalised column's squares sum to its length
                return self._expand(count([self.shapes.of(a)[0]], self.shapes.symbols))
            case Sum(Ones(rows, cols)) if self._countable(rows, cols):
                self._did("sums")
                return self._expand(count([rows, cols], self.shapes.symbols))
            case Trace(Identity(n) | Ones(n, _)) | Sum(Identity(n)) if self._countable(n):
                self._did("sums")  # tr(eye(n)) = tr(ones(n, n)) = sum(eye(n)) = n
                return self._expand(count([n], self.shapes.symbols))
            case SumCols(Ones(rows, cols)) if cols != 1 and self._countable(cols):
                self._did("sums")  # sum_cols(ones(m, n)) = n ones(m, 1)
                return self._product([count([cols], self.shapes.symbols), Ones(rows, 1)])
            case SumRows(Ones(rows, cols)) if rows != 1 and self._countable(rows):
                self._did("sums")
                return self._product([count([rows], self.shapes.symbols), Ones(1, cols)])
            case Sum(Transpose(arg)):
                self._did("drop transposes")
                return self._expand(Sum(arg))
            case Number(value):
                return [Term(value, (), ())]
            case Neg(arg):
                terms = self._expand(arg)
                if len(terms) > 1:
                    self._did("expand")
                return [t.scaled(Fraction(-1)) for t in terms]
            case Add(terms) if all(self.shapes.of(t) == self.shapes.of(expr) for t in terms):
                expanded = [t for term in terms for t in self._expand(term)]
                return self._bounded(self._collect(expanded))
            case MatMul(left, right):
                # A (B C) loses its brackets; A (c B) and X (a^T x) move a scalar instead
                if isinstance(right, MatMul) and self._matrices(right.left, right):
                    self._did("drop brackets")
                return self._product([left, right], written=True)
            case Power(base, Number(value)) if self.shapes.of(base) != SCALAR:
                return self._product([base] * int(value))
            case Power(base, Number(value)):
                return self._raised(base, value)
            case HadamardPow(base, k) if self.shapes.of(base) == SCALAR:
                self._did("scalar operations")
                return self._raised(base, Fraction(k))
            case Inverse(arg) if self.shapes.of(arg) == SCALAR:
                return self._raised(arg, Fraction(-1))
            case Div(num, Number(value)) | HadamardDiv(num, Number(value)) if value:
                if isinstance(expr, HadamardDiv):
                    self._did("scalar operations")
                terms = self._expand(num)
                if abs(value) != 1 and any(abs(t.coefficient) != 1 for t in terms):
                    self._did("fold numbers")
                return [t.scaled(1 / value) for t in terms]
            case Div(num, den) | HadamardDiv(num, den) if self.shapes.of(den) == SCALAR:
                if isinstance(expr, HadamardDiv):
                    self._did("scalar operations")
                reciprocal = self._raised(den, Fraction(-1))
                return [self._times(t, r) for t in self._expand(num) for r in reciprocal]
            case Inverse(arg):
                return self._inverse(arg)
            case Det(Inverse(arg)) | Det(Transpose(Inverse(arg))):
                self._did("inverse determinants")
                return self._raised(Det(arg), Fraction(-1))
            case LogDet(Inverse(arg)) | LogDet(Transpose(Inverse(arg))):
                self._did("inverse determinants")
                return [t.scaled(Fraction(-1)) for t in self._expand(LogDet(arg))]
            case FrobSq(arg, norm) if norm in EUCLIDEAN:
                # ||x||_2^2 is ||x||_2 squared, to cancel with ||x||_2 elsewhere
                return [scalar(Norm(arg, norm), Fraction(2))]
            case Det(Transpose(arg)) | LogDet(Transpose(arg)) | Trace(Transpose(arg)):
                self._did("drop transposes")
                return self._expand(expr.rebuild((arg,)))
            case Transpose(arg):
                terms = [self.transpose_term(t) for t in self._expand(arg)]
                if terms != [matrix(expr)]:
                    self._did("push transposes")
                return terms
            case Sum(Hadamard(left, right)) if inner_product(self.shapes, left, right):
                # of two columns, sum(a ⊙ b) is a^T b; of two rows, a b^T
                self._did("inner products")
                if self.shapes.of(left)[1] == 1:
                    return self._expand(MatMul(Transpose(left), right))
                return self._expand(MatMul(left, Transpose(right)))
            case Hadamard(left, right) if SCALAR in (self.shapes.of(left), self.shapes.of(right)):
                # a scalar multiplies every entry: λ ⊙ X is λ X
                self._did("scalar operations")
                return self._expand(MatMul(left, right))
            case Hadamard(Ones(), other) | Hadamard(other, Ones()):
                self._did("absorb identities")
                return self._expand(other)
            case Ones(rows, cols) if (rows, cols) == SCALAR:
                self._did("absorb identities")
                return [UNIT]
            case Identity(1):
                self._did("absorb identities")
                return [UNIT]
            case Kron(left, right) if self.expand:
                return self._kron(left, right)
            case _:
                return self._atom(expr)

    def _matrices(self, *exprs: Expr) -> bool:
        return all(self.shapes.of(e) != SCALAR for e in exprs)

    def _operand(self, expr: Expr) -> list[Term]:
        """Terms of a product's operand; a 1×1 product of matrices becomes one scalar factor."""
        terms = self._expand(expr)
        if self.shapes.of(expr) != SCALAR:
            return terms
        return [
            self._times(Term(t.coefficient, t.scalars, ()), self._scalar_of(t.factors))
            if t.factors
            else t
            for t in terms
        ]

    def _scalar_of(self, factors: tuple[Expr, ...]) -> Term:
        """A 1×1 product as one scalar factor; ones(1, m) M ones(n, 1), ones(1, m) x and
        x^T ones(m, 1) as the terms of sum(M) and sum(x). The factors of a product come here
        with its numbers taken out, so y^T y of a normalised column y, written y^T (2 y),
        meets the identity only here."""
        if len(factors) == 2 and isinstance(factors[0], Transpose):
            pair = MatMul(*factors)
            if (terms := self._expand(pair)) != [matrix(*factors)]:
                return self._one_scalar(terms)
        start = int(isinstance(factors[0], Ones))
        end = len(factors) - int(isinstance(factors[-1], Ones))
        if (start, end) == (0, len(factors)) or start >= end:
            return scalar(product(factors))
        self._did("sums")
        return self._one_scalar(self._collect(self._expand(Sum(product(factors[start:end])))))

    def _one_scalar(self, terms: list[Term]) -> Term:
        """The terms of a 1×1 value as one term whose matrix factors, if any, are one scalar
        factor (x^T y is a scalar, not factors that a sum could share with a matrix's)."""
        if not terms:
            return Term(Fraction(0), (), ())
        if len(terms) > 1:
            return scalar(sum_of(terms))
        (term,) = terms
        if not term.factors:
            return term
        return Term(term.coefficient, term.scalars, ()).times(scalar(product(term.factors)))

    def _product(self, operands: list[Expr], *, written: bool = False) -> list[Term]:
        """The terms of a product, where a matrix next to its inverse cancels; `written` if the
        operands were written next to each other, not as a power."""
        terms_of = [UNIT]
        for operand in operands:
            terms = self._operand(operand)
            if not self.expand:
                terms = self._whole(operand, terms)
            elif len(terms) > 1 and len(operands) > 1:
                self._did("expand")
            if UNIT in terms and len(operands) > 1:
                self._did("absorb identities")
            if written and any(
                a.factors and b.factors and a.factors[-1] == b.factors[0]
                for a in terms_of
                for b in terms
            ):
                self._did("collect powers")
            joined = [self._joined(a, b) for a in terms_of for b in terms]
            terms_of = self._bounded([t for term in joined for t in self._blocks_joined(term)])
        return terms_of

    def _kron(self, left: Expr, right: Expr) -> list[Term]:
        """A ⊗ B multiplied out over the terms of A and of B, as any product is: A ⊗ B is
        bilinear, and numbers and scalars come out in front."""
        lefts, rights = self._expand(left), self._expand(right)
        if len(lefts) * len(rights) > 1:
            self._did("expand")
        found = []
        for a in lefts:
            for b in rights:
                outside = Term(a.coefficient * b.coefficient, (*a.scalars, *b.scalars), ())
                kron = Kron(product(a.factors), product(b.factors))
                found += [self._times(outside, t) for t in self._atom(kron)]
        return self._bounded(self._collect(found))

    def _blocks_joined(self, term: Term) -> list[Term]:
        """The term with neighbouring Kronecker products multiplied factor by factor, a
        Kronecker product times vec(X) written as one vec, and the vecs in a column put back
        into their matrix, as often as that goes."""
        factors = term.factors
        if not any(isinstance(factor, Kron) for factor in factors):  # each needs one
            return [term]
        for i in range(len(factors) - 1):
            left, right = factors[i], factors[i + 1]
            merged = mixed_product(left, right, self.shapes) or kron_times_vec(
                left, right, self.shapes
            )
            width = 2
            if merged is None:
                middle, width = self._read_back(factors[i : i + 3]), 3
            else:
                middle = self._expand(merged)
            if middle is None:
                continue
            self._did("Kronecker products")
            before = Term(term.coefficient, term.scalars, factors[:i])
            after = matrix(*factors[i + width :])
            return [
                t
                for found in middle
                for t in self._blocks_joined(self._times(self._times(before, found), after))
            ]
        return [term]

    def _read_back(self, factors: tuple[Expr, ...]) -> list[Term] | None:
        """(ones(1, n) ⊗ eye(m)) diag(c) (eye(n) ⊗ ones(m, 1)) with each term vec(M) of c put
        back as M (m×n), the other terms left in place; None where no term is such a vec."""
        found = read_back(factors)
        if found is None:
            return None
        column, shape = found
        vecs = [(t, _vec_of(t, shape, self.shapes)) for t in self._expand(column)]
        if all(inner is None for _, inner in vecs):
            return None
        back = [
            self._times(Term(t.coefficient, t.scalars, ()), term)
            for t, inner in vecs
            if inner is not None
            for term in self._expand(inner)
        ]
        rest = [t for t, inner in vecs if inner is None]
        if not rest:
            return back
        left, _, right = factors
        outside, inner = factor(rest)  # diag(c v) = c diag(v)
        return [*back, outside.times(matrix(left, Diag(term_expr(inner)), right))]

    def _joined(self, left: Term, right: Term) -> Term:
        """left · right, where a product next to its inverse across the join becomes I:
        X X^{-1}, X^{-1} X, X^T X^{-T}, (A B)^{-1} A B."""
        if scalars_move(left, right):
            self._did("scalars first")
        term = self._times(left, right)
        split = sum(not isinstance(f, Identity) for f in left.factors)
        kept = [(f, inverted(f)) for f in term.factors[:split]]
        for added in term.factors[split:]:
            kept.append((added, inverted(added)))
            while (run := inverse_run(kept)) is not None:
                del kept[-run:]
        if len(kept) == len(term.factors):
            return term
        self._did("cancel inverses")
        factors = tuple(f for f, _ in kept) or (Identity(self.shapes.of(term.factors[0])[0]),)
        return Term(term.coefficient, term.scalars, factors)

    def _times(self, left: Term, right: Term) -> Term:
        """left · right, noting numbers multiplied, powers of a scalar collected, I absorbed."""
        term = left.times(right)
        if abs(left.coefficient) != 1 and abs(right.coefficient) != 1:
            self._did("fold numbers")
        if len(term.scalars) < len(left.scalars) + len(right.scalars):
            self._did("collect powers")
        elif term.scalars != left.scalars + right.scalars:
            self._did("sort scalars")
        if len(term.factors) < len(left.factors) + len(right.factors):
            self._did("absorb identities")
        return term

    def _raised(self, base: Expr, exponent: Fraction) -> list[Term]:
        """A scalar to a number's power: a single term is raised factor by factor, anything
        else is one scalar factor with that exponent."""
        match base:
            case MatMul(left, right) if self.shapes.of(left) == SCALAR == self.shapes.of(right):
                return [
                    self._times(a, b)
                    for a in self._raised(left, exponent)
                    for b in self._raised(right, exponent)
                ]
        terms = self._collect(self._operand(base))
        if not terms and exponent < 0:  # sum(X) / sum(X - X): undefined wherever X is
            said = "" if isinstance(base, Number) else f": {base} is 0"
            raise MatcalcError(f"division by zero{said}", ErrorKind.VALUE)
        if not terms:
            self._did("drop zeros")
            return [] if exponent > 0 else [scalar(ZERO, exponent)]
        if len(terms) == 1 and (raised := terms[0].raised(exponent)) is not None:
            if raised.coefficient != terms[0].coefficient:
                self._did("fold numbers")
            scalars = terms[0].scalars
            if exponent != 1 and (len(scalars) > 1 or any(e != 1 for _, e in scalars)):
                self._did("collect powers")
            return [raised]
        return [scalar(sum_of(terms), exponent)]

    def _inverse(self, arg: Expr) -> list[Term]:
        """(c A B)^{-1} = B^{-1} A^{-1} / c for square A and B; (X^{-1})^{-1} = X,
        (X^T)^{-1} = X^{-T}, I^{-1} = I."""
        terms = self.terms(arg)
        if len(terms) != 1 or not all(square(self.shapes.of(f)) for f in terms[0].factors):
            return self._atom(Inverse(sum_of(terms)))
        (term,) = terms
        single = term.coefficient == 1 and not term.scalars and len(term.factors) == 1
        if not single or isinstance(term.factors[0], Inverse | Transpose | Identity):
            self._did("invert products")
        inverse = [Term(1 / term.coefficient, tuple((b, -e) for b, e in term.scalars), ())]
        for each in reversed(term.factors):
            match each:
                case Inverse(inner):
                    factors = self._expand(inner)
                case Transpose(inner):
                    factors = [matrix(Transpose(Inverse(inner)))]
                case Identity():
                    factors = [matrix(each)]
                case Kron(left, right) if square(self.shapes.of(left)):
                    self._did("Kronecker products")
                    factors = self._atom(Kron(Inverse(left), Inverse(right)))
                case _:
                    factors = self._atom(Inverse(each))
            inverse = [a.times(b) for a in inverse for b in factors]
        return inverse

    def _bounded(self, terms: list[Term]) -> list[Term]:
        if self.expand and len(terms) > MAX_TERMS:
            raise TooManyTerms
        return terms

    def _whole(self, expr: Expr, terms: list[Term]) -> list[Term]:
        """The terms of a product's operand, as one factor if there are several."""
        if len(terms) < 2:
            return terms
        outside, rest = factor(self._collect(terms))
        if self.shapes.of(expr) == SCALAR:
            return [outside.times(scalar(product(rest.factors)))]
        return [outside.times(rest)]

    def _atom(self, expr: Expr) -> list[Term]:
        """An expression the expansion does not open, with its number and scalars pulled out."""
        outside, atom = self._canonical_atom(expr)
        if outside != UNIT:
            self._did("scalars first")
        if (
            isinstance(atom, Sum | SumRows | SumCols)
            and isinstance(atom.arg, LayerNorm | Ones)
            and atom != expr
        ):  # a sum that its argument's closed form lets go (of a layernorm, of ones)
            return [self._times(outside, t) for t in self._expand(atom)]
        if isinstance(atom, Kron) and SCALAR in map(self.shapes.of, atom.children()):
            self._did("Kronecker products")  # c ⊗ A = c A
            return [self._times(outside, t) for t in self._expand(MatMul(atom.left, atom.right))]
        if isinstance(atom, HadamardDiv) or (isinstance(atom, Hadamard) and divides(atom)):
            # signs and scalars are out of its factors
            shorter = cancelled(atom, self._ones(atom))
            if shorter is not None:
                self._did("cancel quotients")
                return [self._times(outside, term) for term in self._expand(shorter)]
        if isinstance(atom, Hadamard) and (spread := self._spread(atom)) is not None:
            return [self._times(outside, term) for term in spread]
        if vanishes(atom):
            self._did("drop zeros")
            return []
        if self.shapes.of(atom) == SCALAR:
            return [self._times(outside, scalar(atom))]
        return [outside.times(matrix(atom))]

    def _canonical_atom(self, expr: Expr) -> tuple[Term, Expr]:
        match expr:
            case Hadamard(left, right):
                (a, left), (b, right) = self._inside(left), self._inside(right)
                for one, other in ((left, right), (right, left)):
                    # 1 ⊙ Y is Y, and so is ones ⊙ Y when Y has the whole shape
                    full = self.shapes.of(other) == self.shapes.of(expr)
                    if one == ONE or (isinstance(one, Ones) and full):
                        self._did("absorb identities")
                        return self._times(a, b), other
                if (kron := hadamard_of_krons(left, right, self.shapes)) is not None:
                    self._did("Kronecker products")
                    c, kron_ = self._canonical_atom(kron)
                    return self._times(self._times(a, b), c), kron_
                return self._times(a, b), Hadamard(left, right)
            case HadamardDiv(left, right):
                a, left = self._inside(left)
                if isinstance(left, Ones) and self.shapes.of(right) != SCALAR:
                    self._did("absorb identities")
                    left = ONE
                return a, HadamardDiv(left, self.closed(right))
            case HadamardPow(base, exponent):
                return UNIT, HadamardPow(self.closed(base), exponent)
            case Trace(arg):
                a, arg = self._inside(arg)
                return a, Trace(self._shortest_cycle(arg))
            case Sum(arg) | SumRows(arg) | SumCols(arg):
                a, arg = self._inside(arg)
                return a, expr.rebuild((arg,))
            case (
                Det(arg)
                | LogDet(arg)
                | Inverse(arg)
                | Vec(arg)
                | Softmax(arg)
                | LogSoftmax(arg)
                | LogSumExp(arg)
                | Mean(arg)
                | LayerNorm(arg)
            ):
                return UNIT, expr.rebuild((self.closed(arg),))
            case CrossEntropy(logits, target):
                return UNIT, CrossEntropy(self.closed(logits), self.closed(target))
            case Kron(left, right):  # (a A) ⊗ (b B) = a b (A ⊗ B)
                (a, left), (b, right) = self._inside(left), self._inside(right)
                return self._times(a, b), Kron(left, right)
            case Diag(arg):
                a, arg = self._inside(arg)
                match arg:
                    case Identity(n):  # the diagonal of I is a column of ones, and back
                        self._did("absorb identities")
                        return a, Ones(n, 1)
                    case Ones(n, 1) if n != 1:
                        self._did("absorb identities")
                        return a, Identity(n)
                return a, Diag(arg)
            case Power(base, exponent):
                return UNIT, Power(self.closed(base), self.closed(exponent))
            case Div(num, den):
                a, num = self._inside(num)
                return a, Div(num, self.closed(den))
            case Add(terms):
                # a broadcast sum (C + x, 1 - y) stays whole: (C + x) W is not C W + x W
                return UNIT, Add(tuple(self._shaped(term) for term in terms))
            case _ if isinstance(expr, WHOLE):
                return UNIT, expr
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
        """An operand kept whole, in factored form: (its number and scalars, the rest). Rewrites
        that it undoes, as expanding `2 (X - Y)` to factor it again, do not count."""
        before = self.applied.copy()
        terms = self.terms(expr)
        if not terms:
            return UNIT, ZERO
        if len(terms) == 1 and not terms[0].factors:
            scalars = Term(Fraction(1), terms[0].scalars, ())
            outside, rest = Term(terms[0].coefficient, (), ()), term_expr(scalars)
        else:
            outside, factors = factor(terms)
            rest = product(factors.factors)
        if self.applied != before and term_expr(outside.times(matrix(rest))) == expr:
            self.applied = before
        return outside, rest

    def transpose_term(self, term: Term) -> Term:
        """The transpose of a term: its factors transposed in reverse order."""
        factors = tuple(self._transpose_atom(f) for f in reversed(term.factors))
        terms = [Term(term.coefficient, term.scalars, ())]
        for transposed in factors:
            terms = [a.times(b) for a in terms for b in transposed]
        assert len(terms) == 1
        return terms[0]

    def _transpose_atom(self, atom: Expr) -> list[Term]:
        match atom:
            case Transpose(inner):  # a factor kept whole stays one factor
                return self._whole(inner, self._expand(inner))
            case Ones(rows, cols):
                return [matrix(Ones(cols, rows))]
            case Identity() | Symbol() | Inverse() | Diag() if self._symmetric(atom):
                return [matrix(atom)]
            case Hadamard(left, right):
                return self._atom(Hadamard(Transpose(left), Transpose(right)))
            case HadamardDiv(left, right):
                return self._atom(HadamardDiv(Transpose(left), Transpose(right)))
            case HadamardPow(base, exponent):
                return self._atom(HadamardPow(Transpose(base), exponent))
            case Kron(left, right):  # (A ⊗ B)^T = A^T ⊗ B^T
                return self._atom(Kron(Transpose(left), Transpose(right)))
            case Add(terms):
                swapped = Add(tuple(Transpose(term) for term in terms))
                return self._whole(swapped, self._expand(swapped))
        return [matrix(Transpose(atom))]

    def _shortest_cycle(self, product_: Expr) -> Expr:
        """The trace's product turned cyclically (tr(A B C) = tr(C A B)) to where the most
        cancels, as tr(X^{-1} A X) = tr(A); unchanged if no turn is shorter."""
        factors = flattened(product_)
        best = factors
        probe = self._probe()
        for turn in range(1, len(factors)):
            turned = factors[turn:] + factors[:turn]
            cancelled = probe._joined(UNIT, matrix(*turned)).factors
            if len(cancelled) < len(best):
                best = cancelled
        if best is factors:
            return product_
        self._did("turn traces")
        self._did("cancel inverses")
        return product(best)

    def _symmetric(self, atom: Expr) -> bool:
        """I, a matrix declared symmetric, and the inverse of a symmetric matrix (S^{-1},
        (X^T S X)^{-1}) are their own transposes."""
        match atom:
            case Identity():
                return True
            case Symbol(name):
                return name in self.shapes.symmetric
            case Inverse(arg):
                return self._symmetric(arg) or self._probe().closed(Transpose(arg)) == arg
            case Diag(arg):
                return self.shapes.of(arg)[1] == 1
        return False
