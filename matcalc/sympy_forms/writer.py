"""matcalc's expressions written as SymPy matrix expressions.

Each node becomes SymPy's own (MatrixSymbol, MatMul, Trace, HadamardProduct, …), built
unevaluated so that it keeps what matcalc wrote; a 1×1 value becomes a SymPy scalar, its entry
M[0, 0], where SymPy wants one. SymPy is imported only when a conversion runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, assert_never

from matcalc.declarations import Spec, declarations
from matcalc.errors import ErrorKind, MatcalcError
from matcalc.expr import (
    ONE,
    Add,
    CrossEntropy,
    Det,
    Diag,
    Dim,
    Div,
    Expr,
    FrobSq,
    Func,
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
    Pending,
    Power,
    Softmax,
    Sum,
    SumCols,
    SumRows,
    Symbol,
    Trace,
    Transpose,
    Vec,
    as_node,
)
from matcalc.functions import FUNCTIONS, is_generic
from matcalc.limits import deep_recursion
from matcalc.rules.normalization import centred, deviation
from matcalc.shapes import SCALAR, Shape, Shapes, count, fill_sizes, infer
from matcalc.sharing import Binding, bindings, inlined
from matcalc.traversal import distinct

if TYPE_CHECKING:
    import sympy


def formula(sp: Any, name: str, x: Any) -> Any:
    """The named function `name` at `x` in SymPy's own classes, which SymPy can evaluate and
    differentiate."""
    entry = FUNCTIONS[name]
    definition = entry.sympy_builtin or entry.sympy
    assert definition is not None, name
    return definition(sp, x)


@deep_recursion
def to_sympy(
    expr: Expr, shapes: Shapes | Mapping[str, Spec] | None = None, where: Sequence[Binding] = ()
) -> sympy.Basic:
    """`expr` as a SymPy matrix expression (a SymPy scalar when it is 1×1 and SymPy writes it so).

    `shapes` gives the symbols' shapes (a Derivation's own, or declarations as `diff` takes
    them; anything else is refused); a symbol it lacks follows the naming convention, and
    shapes that do not fit are a MatcalcError. The named values in
    `where` are written out. Dimensions are positive integer Symbols; a symmetric declaration
    has no SymPy form and is not kept.
    """
    if not isinstance(expr, Expr):
        raise MatcalcError(
            f"to_sympy takes a matcalc expression, not {type(expr).__name__}", ErrorKind.VALUE
        )
    import sympy

    if where := bindings(where):
        expr = inlined(expr, where)
    declared = shapes.symbols if isinstance(shapes, Shapes) else declarations(shapes)[0]
    typed = infer(expr, declared)
    return _Writer(sympy, typed).convert(fill_sizes(expr, typed))


class _Writer:
    """Converts matcalc nodes to SymPy, each distinct node once, from the leaves up."""

    def __init__(self, sp: Any, shapes: Shapes):
        self.sp, self.shapes = sp, shapes
        self.variable = sp.Symbol("_x", real=True)
        """The argument of an elementwise function, bound in its Lambda."""

    def convert(self, expr: Expr) -> Any:
        done: dict[Expr, Any] = {}
        for node in distinct(expr):
            done[node] = self._node(node, [done[kid] for kid in node.children()])
        return done[expr]

    def _dim(self, dim: Dim) -> Any:
        return dim if isinstance(dim, int) else self.sp.Symbol(dim, integer=True, positive=True)

    def _shape(self, expr: Expr) -> Shape:
        return self.shapes.of(expr)

    def _scalar(self, value: Any) -> Any:
        """A 1×1 matrix expression as the SymPy scalar it holds, its entry [0, 0]; of -M, the
        negated entry of M, as a formula such as sigmoid's writes -x."""
        sp = self.sp
        if not isinstance(value, sp.MatrixExpr):
            return value
        if isinstance(value, sp.MatMul) and len(value.args) == 2 and value.args[0] == -1:
            return sp.Mul(-1, self._scalar(value.args[1]), evaluate=False)
        from sympy.matrices.expressions.matexpr import MatrixElement

        return MatrixElement(value, 0, 0)

    def _is_matrix(self, value: Any) -> bool:
        return isinstance(value, self.sp.MatrixExpr)

    def _ones(self, rows: Dim, cols: Dim) -> Any:
        return self.sp.OneMatrix(self._dim(rows), self._dim(cols))

    def _times(self, left: Any, right: Any) -> Any:
        """A product of two values, matrices or scalars, unevaluated."""
        if self._is_matrix(left) or self._is_matrix(right):
            return self.sp.MatMul(left, right)
        return self.sp.Mul(left, right, evaluate=False)

    def _inverse_of_scalar(self, value: Any) -> Any:
        return self.sp.Pow(self._scalar(value), -1, evaluate=False)

    def _node(self, expr: Expr, kids: list[Any]) -> Any:
        sp = self.sp
        node = as_node(expr)
        match node:
            case Symbol(name):
                rows, cols = self._shape(node)
                if self.shapes.is_size(node):  # the dimension itself
                    return self._dim(name)
                if (rows, cols) == SCALAR:
                    return sp.Symbol(name, real=True)
                return sp.MatrixSymbol(name, self._dim(rows), self._dim(cols))
            case Number(value):
                return sp.Rational(value.numerator, value.denominator)
            case Ones(rows, cols):
                return self._ones(rows, cols)
            case Identity(n):
                return sp.Identity(self._dim(n))
            case Transpose():
                return sp.Transpose(kids[0]) if self._is_matrix(kids[0]) else kids[0]
            case Neg():
                return self._times(sp.Integer(-1), kids[0])
            case Add(terms):
                return self._sum(node, terms, kids)
            case MatMul(left, right):
                return self._product(left, right, kids[0], kids[1])
            case Div():
                return self._times(kids[0], self._inverse_of_scalar(kids[1]))
            case Hadamard(left, right):
                if self._elementwise(left, right, kids):
                    return sp.HadamardProduct(*kids)
                return self._product(left, right, *kids)
            case HadamardDiv(left, right):
                return self._quotient(left, right, kids[0], kids[1])
            case Kron(left, right):
                if all(self._is_matrix(kid) for kid in kids):
                    return sp.KroneckerProduct(*kids)
                return self._product(left, right, *kids)
            case HadamardPow(_, exponent):
                if self._is_matrix(kids[0]):
                    return sp.HadamardPower(kids[0], exponent)
                return sp.Pow(kids[0], exponent, evaluate=False)
            case Power(base):
                if self._shape(base) == SCALAR:
                    return sp.Pow(self._scalar(kids[0]), self._scalar(kids[1]), evaluate=False)
                return sp.MatPow(kids[0], kids[1])
            case Func(name):
                return self._function(name, kids[0])
            case FrobSq():
                return self._squares(kids[0])
            case Norm(_, norm):
                if not self._is_matrix(kids[0]):
                    return sp.Abs(kids[0], evaluate=False)
                if norm in ("norm1", "1"):
                    return self._entry_sum(self._function("abs", kids[0]))
                return sp.Pow(self._squares(kids[0]), sp.Rational(1, 2), evaluate=False)
            case Trace():
                return sp.Trace(kids[0]) if self._is_matrix(kids[0]) else kids[0]
            case Det():
                return sp.Determinant(kids[0]) if self._is_matrix(kids[0]) else kids[0]
            case LogDet():
                inner = sp.Determinant(kids[0]) if self._is_matrix(kids[0]) else kids[0]
                # unevaluated: Abs simplifies signs by rewriting, which breaks on matrices
                return sp.log(sp.Abs(inner, evaluate=False), evaluate=False)
            case Inverse():
                if self._is_matrix(kids[0]):
                    return sp.Inverse(kids[0])
                return self._inverse_of_scalar(kids[0])
            case Diag(arg):
                return self._diagonal(self._shape(arg), kids[0])
            case Vec(arg):
                raise MatcalcError(
                    f"SymPy has no vec of a matrix expression, as in {node}", ErrorKind.VALUE
                )
            case Softmax() | LogSoftmax() | LogSumExp() | CrossEntropy():
                return self.convert(self._through_exp(node))
            case Mean(arg):
                return self.convert(Div(Sum(arg), count(self._shape(arg), self.shapes.symbols)))
            case LayerNorm(arg):
                return self.convert(self._through_sums(arg))
            case Sum():
                return self._entry_sum(kids[0])
            case SumRows(arg):
                if not self._is_matrix(kids[0]):
                    return kids[0]
                return sp.MatMul(self._ones(1, self._shape(arg)[0]), kids[0])
            case SumCols(arg):
                if not self._is_matrix(kids[0]):
                    return kids[0]
                return sp.MatMul(kids[0], self._ones(self._shape(arg)[1], 1))
            case Pending():
                raise MatcalcError(
                    f"SymPy cannot represent a pending derivative ({node}); convert a finished "
                    "result",
                    ErrorKind.VALUE,
                )
            case _:
                assert_never(node)

    def _through_exp(self, node: Softmax | LogSoftmax | LogSumExp | CrossEntropy) -> Expr:
        """The softmax family written with exp, log and sums, which SymPy has: over a column's
        entries, or along each row (a column of row totals times a row of ones)."""
        if isinstance(node, CrossEntropy):
            return Neg(Sum(Hadamard(node.target, LogSoftmax(node.logits))))
        arg = node.arg
        cols = self._shape(arg)[1]
        total = Sum(Func("exp", arg)) if cols == 1 else SumCols(Func("exp", arg))
        lse = Func("log", total)
        spread = lse if cols == 1 else MatMul(lse, Ones(1, cols))
        match node:
            case Softmax():
                return Func("exp", Add((arg, Neg(spread))))
            case LogSoftmax():
                return Add((arg, Neg(spread)))
        return lse

    def _through_sums(self, arg: Expr) -> Expr:
        """layernorm written with sums and sqrt, as its rule writes its parts: over a column's
        entries, or along each row (the deviations times a row of ones)."""
        cols = self._shape(arg)[1]
        spread = deviation(arg, self.shapes)
        if cols == 1:
            return Div(centred(arg, self.shapes), spread)
        return HadamardDiv(centred(arg, self.shapes), MatMul(spread, Ones(1, cols)))

    def _sum(self, expr: Expr, terms: tuple[Expr, ...], kids: list[Any]) -> Any:
        """A sum; scalar, row and column terms broadcast as SymPy writes it, times all-ones."""
        sp = self.sp
        rows, cols = self._shape(expr)
        if (rows, cols) == SCALAR:
            if all(self._is_matrix(kid) for kid in kids):
                return sp.MatAdd(*kids)
            return sp.Add(*(self._scalar(kid) for kid in kids), evaluate=False)
        written = []
        for term, kid in zip(terms, kids, strict=True):
            shape = self._shape(term)
            if shape == SCALAR:
                kid = sp.MatMul(self._scalar(kid), self._ones(rows, cols))
            elif shape[0] != rows:  # a row, repeated down the rows
                kid = sp.MatMul(self._ones(rows, 1), kid)
            elif shape[1] != cols:  # a column, repeated across the columns
                kid = sp.MatMul(kid, self._ones(1, cols))
            written.append(kid)
        return sp.MatAdd(*written)

    def _product(self, left: Expr, right: Expr, first: Any, second: Any) -> Any:
        """A matrix product where the shapes fit it, else a 1×1 factor as a scalar multiple."""
        sp = self.sp
        if self._is_matrix(first) and self._is_matrix(second):
            if self._shape(left)[1] == self._shape(right)[0]:
                return sp.MatMul(first, second)
            if self._shape(left) == SCALAR:
                return sp.MatMul(self._scalar(first), second)
            return sp.MatMul(first, self._scalar(second))
        return self._times(first, second)

    def _elementwise(self, left: Expr, right: Expr, kids: list[Any]) -> bool:
        """Whether two operands are matrices of one shape, as SymPy's elementwise ops want."""
        same = self._shape(left) == self._shape(right)
        return same and all(self._is_matrix(kid) for kid in kids)

    def _quotient(self, left: Expr, right: Expr, first: Any, second: Any) -> Any:
        """left ⊘ right: a Hadamard product with right's elementwise reciprocal."""
        sp = self.sp
        if self._elementwise(left, right, [first, second]):
            return sp.HadamardProduct(first, sp.HadamardPower(second, -1))
        if not self._is_matrix(second) or self._shape(right) == SCALAR:
            return self._times(first, self._inverse_of_scalar(second))
        reciprocal = sp.HadamardPower(second, -1)
        if left == ONE:
            return reciprocal
        return sp.MatMul(self._scalar(first), reciprocal)

    def _function(self, name: str, arg: Any) -> Any:
        """`name` applied to a scalar (a 1×1 matrix's entry), or to each entry of a matrix
        through a Lambda."""
        sp = self.sp
        if not self._is_matrix(arg) or arg.shape == (1, 1):
            value = self._scalar(arg)
            x = self.variable
            body = self._body(name, x)
            if isinstance(body, sp.Derivative):  # g'(s): g' at s, for any s
                return sp.Subs(body, x, value)
            with sp.evaluate(False):  # as written: SymPy would fold -1 into an entry M[0, 0]
                return body.xreplace({x: value})
        from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

        return ElementwiseApplyFunction(
            sp.Lambda(self.variable, self._body(name, self.variable)), arg
        )

    def _body(self, name: str, x: Any) -> Any:
        """`name`(x): a named function by its formula, a generic one (g, g') or one of the user's
        as SymPy's undefined function of that name."""
        sp = self.sp
        if is_generic(name):
            stem = name.rstrip("'")
            applied = sp.Function(stem)(x)
            primes = len(name) - len(stem)
            return sp.Derivative(applied, (x, primes)) if primes else applied
        if name in FUNCTIONS:
            return formula(sp, name, x)
        return sp.Function(name)(x)

    def _squares(self, arg: Any) -> Any:
        """The sum of squares of the entries of `arg`: tr(G^T G), or s^2 for a scalar."""
        sp = self.sp
        if not self._is_matrix(arg):
            return sp.Pow(arg, 2, evaluate=False)
        return sp.Trace(sp.MatMul(sp.Transpose(arg), arg))

    def _entry_sum(self, arg: Any) -> Any:
        """The sum of the entries, 1^T G 1, a 1×1 matrix expression."""
        if not self._is_matrix(arg):
            return arg
        rows, cols = arg.shape
        sp = self.sp
        return sp.MatMul(sp.OneMatrix(1, rows), arg, sp.OneMatrix(cols, 1))

    def _diagonal(self, shape: Shape, arg: Any) -> Any:
        if not self._is_matrix(arg) or shape == SCALAR:
            return arg
        from sympy.matrices.expressions.diagonal import DiagMatrix, DiagonalOf

        return DiagMatrix(arg) if shape[1] == 1 else DiagonalOf(arg)
