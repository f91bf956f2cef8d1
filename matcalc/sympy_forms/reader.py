"""SymPy objectives read as matcalc's expressions, with the shapes to declare for them.

Only SymPy's nodes are walked, never text, each distinct node once.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from functools import reduce
from typing import Any

from matcalc.errors import ErrorKind, MatcalcError
from matcalc.expr import (
    ONE,
    ZERO,
    Add,
    Det,
    Diag,
    Div,
    Expr,
    Func,
    Hadamard,
    HadamardDiv,
    HadamardPow,
    Identity,
    Inverse,
    Kron,
    LogDet,
    MatMul,
    Neg,
    Number,
    Ones,
    Power,
    Sum,
    Symbol,
    Trace,
    Transpose,
    number,
)
from matcalc.functions import FUNCTIONS, PLACEHOLDER, is_generic
from matcalc.functions import from_sympy as elementwise_from_sympy
from matcalc.limits import MAX_DEPTH, deep_recursion
from matcalc.parser import parse
from matcalc.shapes import SCALAR
from matcalc.sympy_forms.writer import formula
from matcalc.traversal import distinct, replace_nodes

Declared = dict[str, tuple[int | str, ...] | str]
"""Shapes to declare, as `matcalc.diff(shapes=…)` takes them: {"X": ("m", "n"), "x": ("n",)}."""


@deep_recursion
def from_sympy(expr: Any) -> tuple[Expr, Declared]:
    """matcalc's expression for the SymPy objective `expr`, and the shapes to declare for it.

    Only SymPy's nodes are walked, never text: MatrixSymbol, MatMul, MatAdd, Transpose,
    Inverse, MatPow, Trace, Determinant, HadamardProduct, HadamardPower, KroneckerProduct,
    Identity, OneMatrix,
    ZeroMatrix, DiagMatrix, DiagonalOf, elementwise functions, a 1×1 value's entry [0, 0],
    numbers, scalar Symbols, and the scalar functions matcalc knows. Anything else is a
    MatcalcError naming it.
    """
    import sys

    if "sympy" not in sys.modules:  # then it cannot be a SymPy object
        raise MatcalcError(f"not a SymPy expression: {type(expr).__name__}", ErrorKind.VALUE)
    import sympy

    if not isinstance(expr, sympy.Basic):
        raise MatcalcError(
            f"not a SymPy expression: {type(expr).__name__}; give a SymPy expression "
            "built from MatrixSymbol and Symbol",
            ErrorKind.VALUE,
        )
    reader = _Reader(sympy)
    found = reader.read(expr)
    if _nesting(found) > MAX_DEPTH:  # a SymPy product of many factors is one node
        raise _too_deep()
    return found, reader.declared


def _too_deep() -> MatcalcError:
    return MatcalcError(
        f"the SymPy expression's operations are nested more than {MAX_DEPTH} deep",
        ErrorKind.VALUE,
    )


def _nesting(expr: Expr) -> int:
    """How deep operations are nested in `expr`: 0 for a symbol or a number."""
    depth: dict[Expr, int] = {}
    for node in distinct(expr):
        kids = node.children()
        depth[node] = 1 + max(depth[kid] for kid in kids) if kids else 0
    return depth[expr]


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
        self.depth = 0
        x = sp.Symbol("x", real=True)
        self.classes = {
            written.func: name
            for name in FUNCTIONS
            if (written := formula(sp, name, x)).args == (x,) and written.func is not sp.Pow
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
            (sp.KroneckerProduct, lambda e: self._folded(Kron, e.args)),
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
            if self.depth > MAX_DEPTH:  # a leaf may sit under MAX_DEPTH operations
                raise _too_deep()
            self.depth += 1
            found = self._read(e)
            self.depth -= 1
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

    def _folded(self, node: Callable[[Expr, Expr], Expr], args: Any) -> Expr:
        """A product of several arguments, left to right."""
        return reduce(node, (self.read(arg) for arg in args))

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
            if body == formula(sp, name, x):
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
