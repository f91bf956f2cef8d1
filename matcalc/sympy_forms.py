"""SymPy both ways: matcalc's expressions as SymPy matrix expressions, and back.

`to_sympy` writes each node as SymPy's own matrix expression (MatrixSymbol, MatMul, Trace,
HadamardProduct, …), built unevaluated, so that it keeps the structure matcalc wrote; a 1×1
value becomes a SymPy scalar where SymPy wants one, as its entry M[0, 0]. `from_sympy` walks a
SymPy objective's nodes (it never reads text) and gives matcalc's expression and the shapes to
declare. SymPy is imported only when a conversion runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any, assert_never

from matcalc.errors import ErrorKind, MatcalcError
from matcalc.expr import (
    ONE,
    ZERO,
    Add,
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
    as_node,
    number,
)
from matcalc.functions import FUNCTIONS, PLACEHOLDER, is_generic
from matcalc.functions import from_sympy as elementwise_from_sympy
from matcalc.limits import deep_recursion
from matcalc.parser import parse
from matcalc.shapes import SCALAR, Shape, Shapes, fill_sizes, infer
from matcalc.sharing import Binding, inlined
from matcalc.traversal import distinct, replace_nodes

if TYPE_CHECKING:
    import sympy

Declared = dict[str, tuple[int | str, ...] | str]
"""Shapes to declare, as `matcalc.diff(shapes=…)` takes them: {"X": ("m", "n"), "x": ("n",)}."""

_NATIVE: dict[str, Callable[[Any, Any], Any]] = {
    "sigmoid": lambda sp, x: 1 / (1 + sp.exp(-x)),
    "softplus": lambda sp, x: sp.log(1 + sp.exp(x)),
    "relu": lambda sp, x: sp.Max(x, 0),
    "step": lambda sp, x: sp.Heaviside(x),
    "sign": lambda sp, x: sp.sign(x),
}
"""The functions SymPy has no class for, or that matcalc defines for itself, written in SymPy's
own terms, so that SymPy can evaluate and differentiate them (step(0) = 1/2 in both)."""


def _formula(sp: Any, name: str, x: Any) -> Any:
    """The named function `name` at `x`, in SymPy's terms."""
    native = _NATIVE.get(name)
    if native is not None:
        return native(sp, x)
    definition = FUNCTIONS[name].sympy
    assert definition is not None, name
    return definition(sp, x)


@deep_recursion
def to_sympy(
    expr: Expr, shapes: Shapes | None = None, where: Sequence[Binding] = ()
) -> sympy.Basic:
    """`expr` as a SymPy matrix expression (a SymPy scalar when it is 1×1 and SymPy writes it so).

    `shapes` gives the symbols' shapes (a Derivation's own; inferred from the naming convention
    when absent); the named values in `where` are written out. Dimensions are positive integer
    Symbols; a symmetric declaration has no SymPy form and is not kept.
    """
    import sympy

    if where:
        expr = inlined(expr, where)
    if shapes is None:
        shapes = infer(expr)
        expr = fill_sizes(expr, shapes)
    return _Writer(sympy, shapes).convert(expr)


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
            case Neg(arg):
                if isinstance(arg, Number):
                    return -kids[0]
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
                    return sp.Abs(kids[0])
                if norm in ("norm1", "1"):
                    return self._entry_sum(self._function("abs", kids[0]))
                return sp.sqrt(self._squares(kids[0]))
            case Trace():
                return sp.Trace(kids[0]) if self._is_matrix(kids[0]) else kids[0]
            case Det():
                return sp.Determinant(kids[0]) if self._is_matrix(kids[0]) else kids[0]
            case LogDet():
                inner = sp.Determinant(kids[0]) if self._is_matrix(kids[0]) else kids[0]
                return sp.log(sp.Abs(inner))
            case Inverse():
                if self._is_matrix(kids[0]):
                    return sp.Inverse(kids[0])
                return self._inverse_of_scalar(kids[0])
            case Diag(arg):
                return self._diagonal(self._shape(arg), kids[0])
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
            return _formula(sp, name, x)
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


@deep_recursion
def from_sympy(expr: Any) -> tuple[Expr, Declared]:
    """matcalc's expression for the SymPy objective `expr`, and the shapes to declare for it.

    Only SymPy's nodes are walked, never text: MatrixSymbol, MatMul, MatAdd, Transpose,
    Inverse, MatPow, Trace, Determinant, HadamardProduct, HadamardPower, Identity, OneMatrix,
    ZeroMatrix, DiagMatrix, DiagonalOf, elementwise functions, a 1×1 value's entry [0, 0],
    numbers, scalar Symbols, and the scalar functions matcalc knows. Anything else is a
    MatcalcError naming it.
    """
    import sys

    if "sympy" not in sys.modules:  # then it cannot be a SymPy object
        raise MatcalcError(f"not a SymPy expression: {type(expr).__name__}", ErrorKind.VALUE)
    import sympy

    if not isinstance(expr, sympy.Basic) or isinstance(expr, sympy.MatrixBase):
        raise MatcalcError(
            f"not a SymPy expression: {type(expr).__name__}; give a SymPy expression "
            "built from MatrixSymbol and Symbol",
            ErrorKind.VALUE,
        )
    reader = _Reader(sympy)
    return reader.read(expr), reader.declared


_SHOWN = 60
"""Characters of a SymPy expression that an error message shows."""


def _unsupported(sp_expr: Any, why: str = "matcalc has no form for it") -> MatcalcError:
    shown = str(sp_expr)
    if len(shown) > _SHOWN:
        shown = shown[: _SHOWN - 1] + "…"
    return MatcalcError(f"SymPy's {type(sp_expr).__name__} ({shown}): {why}", ErrorKind.VALUE)


class _Reader:
    """Walks a SymPy expression, each distinct node once, gathering the symbols' shapes."""

    def __init__(self, sp: Any):
        from sympy.core.function import AppliedUndef
        from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
        from sympy.matrices.expressions.diagonal import DiagMatrix, DiagonalMatrix, DiagonalOf
        from sympy.matrices.expressions.matexpr import MatrixElement

        self.sp = sp
        self.declared: Declared = {}
        self.done: dict[Any, Expr] = {}
        x = sp.Symbol("x", real=True)
        self.classes = {
            formula.func: name
            for name in FUNCTIONS
            if (formula := _formula(sp, name, x)).args == (x,) and formula.func is not sp.Pow
        }
        """SymPy's function classes that are matcalc's named functions: exp, Abs, asin, …"""
        self.kinds: list[tuple[type, Callable[[Any], Expr]]] = [
            (sp.MatrixSymbol, self._matrix_symbol),
            (sp.Symbol, self._scalar_symbol),
            (sp.Rational, self._rational),
            (sp.Float, self._float),
            (MatrixElement, self._element),
            (sp.Identity, lambda e: Identity(self._dim(e, e.rows))),
            (sp.OneMatrix, lambda e: Ones(self._dim(e, e.rows), self._dim(e, e.cols))),
            (
                sp.ZeroMatrix,
                lambda e: MatMul(ZERO, Ones(self._dim(e, e.rows), self._dim(e, e.cols))),
            ),
            (sp.Transpose, lambda e: Transpose(self.read(e.arg))),
            (sp.Inverse, lambda e: Inverse(self.read(e.arg))),
            (sp.MatPow, self._matrix_power),
            (sp.MatAdd, self._sum),
            (sp.Add, self._sum),
            (sp.MatMul, self._product),
            (sp.Mul, self._product),
            (sp.HadamardProduct, self._hadamard),
            (sp.HadamardPower, self._hadamard_power),
            (sp.Trace, lambda e: Trace(self.read(e.arg))),
            (sp.Determinant, lambda e: Det(self.read(e.arg))),
            (ElementwiseApplyFunction, self._applied),
            (DiagMatrix, lambda e: Diag(self.read(e.args[0]))),
            (DiagonalOf, lambda e: Diag(self.read(e.args[0]))),
            (DiagonalMatrix, lambda e: Diag(Diag(self.read(e.args[0])))),
            (sp.Pow, self._power),
            (sp.log, self._log),
            (sp.Max, self._max),
            (AppliedUndef, self._undefined),
            (sp.Subs, self._derivative_at),
        ]
        """Each SymPy node kind matcalc reads, with how (Inverse before MatPow, of which it is
        a kind)."""

    def read(self, e: Any) -> Expr:
        found = self.done.get(e)
        if found is None:
            found = self._read(e)
            self.done[e] = found
        return found

    def _read(self, e: Any) -> Expr:
        sp = self.sp
        if e is sp.E:
            return Func("exp", ONE)
        if isinstance(e, sp.MatrixBase):
            raise _unsupported(e, "an explicit matrix; use a MatrixSymbol")
        for kind, reader in self.kinds:
            if isinstance(e, kind):
                return reader(e)
        name = self.classes.get(type(e))
        if name is not None and len(e.args) == 1:
            return Func(name, self.read(e.args[0]))
        raise _unsupported(e)

    def _declare(self, name: str, spec: tuple[int | str, ...] | str) -> None:
        if self.declared.setdefault(name, spec) != spec:
            raise MatcalcError(
                f"{name} has two shapes in the SymPy expression: {self.declared[name]} and {spec}",
                ErrorKind.SHAPE,
            )

    def _name(self, e: Any) -> Symbol:
        """e's name as a matcalc symbol, if matcalc reads that name back as the same symbol."""
        name = str(e.name)
        try:
            readable = parse(name) == Symbol(name)
        except MatcalcError:
            readable = False
        if not readable:
            raise _unsupported(e, f"the name {name!r} is not one matcalc reads as a symbol")
        return Symbol(name)

    def _dim(self, e: Any, dim: Any) -> int | str:
        if isinstance(dim, int | self.sp.Integer) and int(dim) > 0:
            return int(dim)
        if isinstance(dim, self.sp.Symbol) and str(dim.name).isidentifier():
            return str(dim.name)
        raise _unsupported(e, f"its dimension {dim} is neither a positive integer nor a name")

    def _matrix_symbol(self, e: Any) -> Expr:
        symbol = self._name(e)
        rows, cols = self._dim(e, e.rows), self._dim(e, e.cols)
        spec: tuple[int | str, ...] | str = (rows, cols)
        if (rows, cols) == SCALAR:
            spec = "scalar"
        elif cols == 1:
            spec = (rows,)
        self._declare(symbol.name, spec)
        return symbol

    def _scalar_symbol(self, e: Any) -> Expr:
        symbol = self._name(e)
        self._declare(symbol.name, "scalar")
        return symbol

    def _rational(self, e: Any) -> Expr:
        value = Fraction(int(e.p), int(e.q))
        return Neg(number(-value)) if value < 0 else number(value)

    def _float(self, e: Any) -> Expr:
        value = float(e)
        if value != value or value in (float("inf"), float("-inf")):
            raise _unsupported(e, "not a finite number")
        exact = Fraction(repr(abs(value)))  # the decimal Python writes for it: 0.1 is 1/10
        return Neg(Number(exact)) if value < 0 else Number(exact)

    def _element(self, e: Any) -> Expr:
        parent, row, col = e.args
        if parent.shape == (1, 1) and row == 0 and col == 0:
            return self.read(parent)
        raise _unsupported(e, "an entry of a matrix larger than 1×1")

    def _exponent(self, e: Any) -> Expr:
        """A numeric exponent as one Number, as matcalc's parser reads `s^{-2}`."""
        if isinstance(e, self.sp.Rational):
            return Number(Fraction(int(e.p), int(e.q)))
        return self.read(e)

    def _matrix_power(self, e: Any) -> Expr:
        base, exponent = e.args
        if not (isinstance(exponent, self.sp.Integer) and exponent != 0):
            raise _unsupported(e, "a matrix power needs a nonzero whole exponent")
        if exponent == -1:
            return Inverse(self.read(base))
        power = Power(self.read(base), number(abs(int(exponent))))
        return Inverse(power) if exponent < 0 else power

    def _power(self, e: Any) -> Expr:
        base, exponent = e.args
        if exponent == -1:
            return Inverse(self.read(base))
        return Power(self.read(base), self._exponent(exponent))

    def _sum(self, e: Any) -> Expr:
        return Add(tuple(self.read(term) for term in e.args))

    def _product(self, e: Any) -> Expr:
        """A product, left to right: a factor -1 as a sign, a last factor to the power -1
        after another as a division (as a / b is written), s (1 ⊘ G) as s ⊘ G, and 1^T G 1 as
        the sum of G's entries."""
        sp = self.sp
        args = list(e.args)
        match args:
            case [scale, sp.HadamardPower(base=base, exp=-1)] if not (
                scale.is_Matrix or (isinstance(scale, sp.Rational) and scale < 0)
            ):
                return HadamardDiv(self.read(scale), self.read(base))
            case [sp.OneMatrix(rows=1), middle, sp.OneMatrix(cols=1)]:
                return Sum(self.read(middle))
            case [*first, sp.Pow(exp=-1) as last] if any(arg != -1 for arg in first):
                divisor: Expr | None = self.read(last.base)
                args.pop()
            case _:
                divisor = None
        negative = False
        factors: list[Expr] = []
        for arg in args:
            if arg == -1:
                negative = not negative
            else:
                factors.append(self.read(arg))
        body = _chain(factors) if factors else ONE
        if divisor is not None:
            body = Div(body, divisor)
        return Neg(body) if negative else body

    def _hadamard(self, e: Any) -> Expr:
        """G1 ⊙ G2 ⊙ …, left to right; a factor to the power -1 as a division."""
        result: Expr | None = None
        for arg in e.args:
            reciprocal = isinstance(arg, self.sp.HadamardPower) and arg.exp == -1
            value = self.read(arg.base if reciprocal else arg)
            if result is None:
                result = HadamardDiv(ONE, value) if reciprocal else value
            else:
                result = HadamardDiv(result, value) if reciprocal else Hadamard(result, value)
        assert result is not None
        return result

    def _hadamard_power(self, e: Any) -> Expr:
        base, exponent = self.read(e.base), e.exp
        if exponent == self.sp.Rational(1, 2):
            return Func("sqrt", base)
        if not (isinstance(exponent, self.sp.Integer) and exponent != 0):
            raise _unsupported(e, "an elementwise power needs a nonzero whole exponent or 1/2")
        if exponent == -1:
            return HadamardDiv(ONE, base)
        power = HadamardPow(base, abs(int(exponent)))
        return HadamardDiv(ONE, power) if exponent < 0 else power

    def _log(self, e: Any) -> Expr:
        (arg,) = e.args
        if isinstance(arg, self.sp.Abs) and isinstance(arg.args[0], self.sp.Determinant):
            return LogDet(self.read(arg.args[0].arg))
        return Func("log", self.read(arg))

    def _max(self, e: Any) -> Expr:
        others = [arg for arg in e.args if arg != 0]
        if len(e.args) == 2 and len(others) == 1:
            return Func("relu", self.read(others[0]))
        raise _unsupported(e, "only max(s, 0), relu, has a matcalc form")

    def _undefined(self, e: Any) -> Expr:
        name = str(e.func.__name__)
        if len(e.args) != 1 or not name.isidentifier():
            raise _unsupported(e, "a function of one argument named by an identifier")
        return Func(name, self.read(e.args[0]))

    def _derivative_at(self, e: Any) -> Expr:
        """g'(s), written by SymPy as Subs(Derivative(g(x), x), x, s)."""
        body, variables, points = e.args
        if len(variables) == 1:
            found = self._generic_derivative(body, variables[0])
            if found is not None:
                return Func(found, self.read(points[0]))
        raise _unsupported(e, "only a generic function's derivative at a point, g'(s)")

    def _generic_derivative(self, body: Any, x: Any) -> str | None:
        """`g'` for Derivative(g(x), x), `g''` for the second, and so on; else None."""
        from sympy.core.function import AppliedUndef

        if not isinstance(body, self.sp.Derivative):
            return None
        inner = body.expr
        if not (isinstance(inner, AppliedUndef) and inner.args == (x,)):
            return None
        if body.variable_count != ((x, len(body.variables)),) or not is_generic(
            inner.func.__name__
        ):
            return None
        return str(inner.func.__name__) + "'" * len(body.variables)

    def _applied(self, e: Any) -> Expr:
        """A scalar function applied to each entry of a matrix: by name when the Lambda is one
        of matcalc's functions (or g, g'), else its formula written elementwise."""
        from sympy.core.function import AppliedUndef

        sp = self.sp
        function, arg = e.function, self.read(e.expr)
        if not isinstance(function, sp.Lambda):  # a function class, as in X.applyfunc(exp)
            variable = sp.Symbol("_x", real=True)
            function = sp.Lambda(variable, function(variable))
        if len(function.variables) != 1:
            raise _unsupported(e, "an elementwise function must be a Lambda of one variable")
        (x,) = function.variables
        body = function.expr
        if body == x:
            return arg
        for name in FUNCTIONS:
            if body == _formula(sp, name, x):
                return Func(name, arg)
        if isinstance(body, AppliedUndef) and body.args == (x,):
            return Func(str(body.func.__name__), arg)
        generic = self._generic_derivative(body, x)
        if generic is not None:
            return Func(generic, arg)
        try:
            template = elementwise_from_sympy(sp, body, x)
        except MatcalcError:
            raise _unsupported(e, "its formula has no elementwise matcalc form") from None
        return replace_nodes(template, lambda node: arg if node == PLACEHOLDER else None)


def _chain(factors: list[Expr]) -> Expr:
    """f1 f2 f3 … as matcalc writes a product, from the left."""
    result = factors[0]
    for factor in factors[1:]:
        result = MatMul(result, factor)
    return result


def is_sympy(value: object) -> bool:
    """Whether `value` is a SymPy expression (without importing SymPy when it was not)."""
    import sys

    sympy = sys.modules.get("sympy")
    return sympy is not None and isinstance(value, sympy.Basic)
