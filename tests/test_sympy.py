"""SymPy both ways (matcalc/sympy_forms.py): every SymPy form is evaluated by SymPy itself on
random matrices of distinct sizes and compared with matcalc.evaluate; the round trip is exact
or differs only by the normalisations listed here; an objective built in SymPy derives, and its
gradient agrees with central differences (and with SymPy's own derivative where it has one)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pytest
import sympy as sp
from cases import DERIVATIVES, Case, rows
from conftest import assert_gradient_correct, well_conditioned
from hypothesis import given
from objectives import Objective, objectives
from sympy.core.function import AppliedUndef
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.diagonal import DiagMatrix, DiagonalOf
from sympy.matrices.expressions.matexpr import MatrixElement

from matcalc import Derivation, MatcalcError, derive, diff, evaluate, parse
from matcalc.cookbook import IDENTITIES, CookbookIdentity
from matcalc.errors import ErrorKind
from matcalc.expr import Expr, Pending, Symbol, Vec
from matcalc.finite_differences import random_env
from matcalc.functions import FUNCTIONS
from matcalc.shapes import Shape, Shapes, infer
from matcalc.sympy_forms import from_sympy, is_sympy, to_sympy
from matcalc.sympy_forms.writer import formula
from matcalc.traversal import preorder

Env = dict[str, Any]


def sympy_value(expr: Any, env: Mapping[str, Any], symbols: Mapping[str, Shape]) -> Any:
    """SymPy's own value of `expr`: dimensions, matrices and scalars put in as SymPy numbers
    and explicit matrices, every generic function made sin (as random_env makes g), then each
    node worked out from the leaves up."""
    sizes: dict[str, int] = {}
    for name, shape in symbols.items():
        for dim, size in zip(shape, np.reshape(env[name], shape_of(env[name])).shape, strict=True):
            if isinstance(dim, str):
                sizes[dim] = size
    values: dict[Any, Any] = {}
    for atom in expr.atoms(sp.MatrixSymbol, sp.Symbol):
        name = str(atom.name)
        if isinstance(atom, sp.MatrixSymbol):
            values[atom] = sp.ImmutableMatrix(np.reshape(env[name], shape_of(env[name])))
        elif name in env and atom not in values:
            values[atom] = sp.Float(float(np.asarray(env[name]).item()))
        elif name in sizes:
            values[atom] = sp.Integer(sizes[name])
    for applied in expr.atoms(AppliedUndef):
        expr = expr.replace(applied.func, sp.sin)
    expr = expr.replace(lambda e: isinstance(e, sp.Derivative), lambda e: e.doit())
    value = _explicit(expr, values)
    if isinstance(value, sp.MatrixBase):
        return np.array(value.tolist(), dtype=np.float64)
    return float(value)


def shape_of(value: Any) -> tuple[int, int]:
    array = np.asarray(value)
    return (array.shape[0], 1) if array.ndim == 1 else (1, 1) if array.ndim == 0 else array.shape


def _explicit(e: Any, done: dict[Any, Any]) -> Any:
    """`e` with every matrix expression made an explicit matrix, from the leaves up; `done`
    holds the values of the symbols at first, then of each node worked out."""
    if e in done:
        return done[e]
    if not e.args or isinstance(e, sp.Lambda | sp.MatrixBase):
        found = e
    elif isinstance(e, DiagonalOf):  # SymPy's diagonals have no shape on explicit matrices
        inner = _explicit(e.arg, done)
        found = sp.ImmutableMatrix([[inner[i, i]] for i in range(inner.rows)])
    elif isinstance(e, DiagMatrix):
        found = sp.diag(*_explicit(e.args[0], done))
    else:
        found = e.func(*(_explicit(arg, done) for arg in e.args)).doit()
        if isinstance(found, sp.MatrixExpr) and not isinstance(found, sp.MatrixBase):
            found = sp.ImmutableMatrix(found.as_explicit())
    done[e] = found
    return found


def inputs(
    symbols: Mapping[str, Shape],
    expr: Expr,
    seed: int,
    positive: bool,
    symmetric: Any = (),
    sum_to_one: Any = (),
) -> Env:
    low, high = (0.5, 1.5) if positive else (-1.0, 1.0)
    env = random_env(
        symbols, expr, seed=seed, low=low, high=high, symmetric=symmetric, sum_to_one=sum_to_one
    )
    return well_conditioned(env)


def assert_same_value(expr: Expr, derivation: Derivation, env: Env) -> None:
    """The SymPy form of `expr`, which may use the derivation's named values, has matcalc's
    value."""
    symbols = derivation.shapes.symbols
    ours = evaluate(expr, env, shapes=symbols, where=derivation.where)
    theirs = sympy_value(to_sympy(expr, derivation.shapes, derivation.where), env, symbols)
    np.testing.assert_allclose(np.reshape(theirs, np.shape(ours)), ours, rtol=1e-9, atol=1e-11)


# --- the SymPy form evaluates to matcalc's numbers -------------------------------------------


@pytest.mark.parametrize("case", rows(DERIVATIVES))
def test_sympy_form_of_objective_and_result_has_the_same_value(case: Case) -> None:
    derivation = diff(case.expression, case.wrt, shapes=case.shapes)
    assert_gradient_correct(derivation, positive=case.positive)
    shapes = derivation.shapes
    env = inputs(shapes.symbols, derivation.objective, 0, case.positive, (), shapes.sum_to_one)
    written = [e for e in (derivation.objective, derivation.result) if _in_sympy(e)]
    assert derivation.result in written, "every result has a SymPy form"
    for expr in written:
        assert_same_value(expr, derivation, env)


def _in_sympy(expr: Expr) -> bool:
    """Whether SymPy can write `expr`: it has no vec of a matrix expression."""
    return not any(isinstance(node, Vec) for node in preorder(expr))


def _cookbook_shapes(identity: CookbookIdentity) -> dict[str, Any]:
    shapes: dict[str, Any] = dict(identity.shapes)
    for name in identity.symmetric:
        side = 5 if "X" in shapes else "k"
        shapes[name] = (side, side, "symmetric")
    return shapes


NOT_IN_SYMPY: dict[str, str] = {}
"""Cookbook identities whose result SymPy cannot represent, with why: none. Every node kind a
Cookbook result uses (products, transposes, inverses, powers, traces, determinants, norms, the
named value of eq. (125)) has a SymPy matrix expression."""


@pytest.mark.parametrize(
    "identity", IDENTITIES, ids=[f"({i.equation}) {i.objective} by {i.wrt}" for i in IDENTITIES]
)
def test_cookbook_results_round_trip_through_sympy(identity: CookbookIdentity) -> None:
    """SymPy round trip on the Cookbook cases: matcalc's result, written in SymPy, has the same
    value, and read back it is the same expression up to the normalisations below."""
    assert identity.equation not in NOT_IN_SYMPY
    derivation = diff(identity.objective, identity.wrt, shapes=_cookbook_shapes(identity))
    assert_gradient_correct(derivation)
    symbols = derivation.shapes.symbols
    env = inputs(symbols, derivation.objective, 1, False, identity.symmetric)
    assert_same_value(derivation.objective, derivation, env)
    assert_same_value(derivation.result, derivation, env)
    written = to_sympy(derivation.result, derivation.shapes, derivation.where)
    back, declared = from_sympy(written)
    assert to_sympy(back, infer(back, _declared(declared))) == written
    expected = evaluate(derivation.result, env, shapes=symbols, where=derivation.where)
    np.testing.assert_allclose(evaluate(back, env, shapes=symbols), expected, rtol=1e-9)


def _declared(declared: Mapping[str, Any]) -> dict[str, Shape]:
    from matcalc.declarations import declared_shape

    return {name: declared_shape(name, spec) for name, spec in declared.items()}


# --- the round trip ---------------------------------------------------------------------------

EXACT = [
    "x^T A x",
    "(a^T x) a",
    "tr(A X^{-1} B)",
    "tr(X^3)",
    "logdet(X)",
    "det(A X^{-1})",
    "log(det(X))",
    "sum(X ⊘ C)",
    "sum(1 ⊘ X)",
    "sum(2 ⊘ X)",
    "sum(X^{∘3}) / 2",
    "sum(exp(X W))",
    "sum(g(X) ⊙ h'(X))",
    "tanh(x^T x) + g'(x^T x)",
    "sum(sigmoid(X) ⊙ softplus(X) ⊙ relu(X))",
    "sum(arcsin(X) + arccos(X) + arctan(X) + tan(X) + sin(X) + cos(X))",
    "sum(sqrt(X) + log(X) + abs(X) + step(X) + sign(X))",
    "a^T diag(X) + sum(diag(x) A)",
    "alpha^beta + lambda^2 + (x^T x)^{1/2}",
    "sum(X) lambda^{-2}",
    "-2 tr(X) - -a^T X a",
    "(-2) X + 3 Y",
    "tr((X W)^T Y) + sum(X W - Y)",
    "sum(x (x^T x))",
    "sum(eye(n) + ones(n, n) + X)",
]
"""Read back, each of these is exactly what was written."""

NORMALISED = [
    ("squared-norm", "||X - D R||_F^2", "tr((X - D R)^T (X - D R))"),
    ("norm", "||x||_2", "tr(x^T x)^{0.5}"),
    ("one-norm", "||x||_1", "sum(abs(x))"),
    ("scalar-broadcast", "sum(1 + exp(X))", "sum(1 ones(m, n) + exp(X))"),
    ("column-broadcast", "sum(C + x)", "sum(C + x ones(1, n))"),
    ("row-broadcast", "sum(C + x^T)", "sum(C + ones(m, 1) x^T)"),
    ("sum-rows", "sum(sum_rows(X) A)", "sum(ones(1, m) X A)"),
    ("sum-cols", "sum(A sum_cols(X))", "sum(A (X ones(p, 1)))"),
    ("scalar-hadamard", "sum(lambda ⊙ X)", "sum(lambda X)"),
    ("hadamard-by-scalar", "sum(X ⊘ lambda)", "sum(X / lambda)"),
    ("scalar-hadamard-scalar", "lambda ⊙ alpha", "lambda alpha"),
    ("scalar-transpose", "lambda^T tr(X)", "lambda tr(X)"),
    ("scalar-trace", "tr(lambda) tr(X)", "lambda tr(X)"),
    ("scalar-sqrt", "sqrt(x^T x)", "(x^T x)^{0.5}"),
    ("scalar-sigmoid", "sigmoid(lambda)", "(1 + exp(-lambda))^{-1}"),
]
"""What changes on the way back, each by one stated normalisation: a squared norm comes back as
the trace SymPy writes it with, a norm as the square root of that or the sum of |entries|;
broadcasting and sum_rows/sum_cols as products with all-ones matrices; an elementwise operation
with a scalar as a scalar multiple or quotient; a transpose, trace, determinant, diag or sum of
a scalar as the scalar; sqrt and sigmoid of a scalar as
SymPy's formula for them."""


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_each_named_function_is_written_in_sympys_own_classes_with_numpys_values(
    name: str,
) -> None:
    """The one table's SymPy form of each function uses only SymPy's classes, so SymPy
    evaluates it, and its values are the table's NumPy values (step(0) = 1/2, sign(0) = 0)."""
    x = sp.Symbol("x", real=True)
    written = formula(sp, name, x)
    assert all(type(f).__module__.startswith("sympy.") for f in written.atoms(sp.Function))
    points = np.array([-1.3, -0.4, 0.0, 0.3, 0.7, 2.1])
    with np.errstate(all="ignore"):
        expected = FUNCTIONS[name].numpy(np, points)
    finite = np.isfinite(expected)
    assert finite.sum() >= 3
    values = [float(written.subs(x, sp.Float(point))) for point in points[finite]]
    np.testing.assert_allclose(values, expected[finite], rtol=1e-12, atol=1e-15)


def _round_trip(text: str) -> tuple[Expr, Expr, Any, Env]:
    expr = parse(text)
    shapes = infer(expr)
    written = to_sympy(expr, shapes)
    back, declared = from_sympy(written)
    assert {name: _declared(declared)[name] for name in declared} == {
        name: shapes.symbols[name] for name in declared
    }
    env = well_conditioned(random_env(shapes.symbols, expr, seed=3, low=0.2, high=0.9))
    return expr, back, written, env


@pytest.mark.parametrize("text", EXACT)
def test_round_trip_is_exact(text: str) -> None:
    expr, back, written, env = _round_trip(text)
    assert back == expr, f"{text} came back as {back}"
    symbols = infer(expr).symbols
    np.testing.assert_allclose(
        sympy_value(written, env, symbols), evaluate(expr, env, shapes=symbols), rtol=1e-9
    )


@pytest.mark.parametrize(("text", "expected"), [pytest.param(*r[1:], id=r[0]) for r in NORMALISED])
def test_round_trip_normalises(text: str, expected: str) -> None:
    expr, back, written, env = _round_trip(text)
    assert back != expr
    assert str(back) == expected
    symbols = infer(expr).symbols
    value = evaluate(expr, env, shapes=symbols)
    np.testing.assert_allclose(evaluate(back, env, shapes=symbols), value, rtol=1e-9)
    np.testing.assert_allclose(sympy_value(written, env, symbols), value, rtol=1e-9)
    assert to_sympy(back, infer(back)) == written  # the normal form is SymPy's form


@given(objectives(max_depth=3))
def test_random_objectives_round_trip_to_the_same_sympy_form(objective: Objective) -> None:
    """Over random objectives of the whole rule table: reading back and writing again gives
    the same SymPy expression, and the expression read back has the same value."""
    shapes = infer(objective.expr, _declared(objective.shapes))
    written = to_sympy(objective.expr, shapes)
    back, declared = from_sympy(written)
    assert to_sympy(back, infer(back, _declared(declared))) == written
    env = objective.env(shapes.symbols, seed=0)
    with np.errstate(all="ignore"):
        value = evaluate(objective.expr, env, shapes=shapes.symbols)
        again = evaluate(back, env, shapes=shapes.symbols)
    np.testing.assert_allclose(again, value, rtol=1e-9, equal_nan=True)


def test_sympy_form_keeps_what_was_written() -> None:
    """Built unevaluated: (X W)^T stays a transpose of a product, 2 (3 X) two products."""
    m, n, p = (sp.Symbol(d, integer=True, positive=True) for d in "mnp")
    x_, w_ = sp.MatrixSymbol("X", m, n), sp.MatrixSymbol("W", n, p)
    assert to_sympy(parse("(X W)^T")) == sp.Transpose(sp.MatMul(x_, w_))
    assert to_sympy(parse("2 (3 X)")) == sp.MatMul(2, sp.MatMul(3, x_))
    assert to_sympy(parse("sum(X)")) == sp.MatMul(sp.OneMatrix(1, m), x_, sp.OneMatrix(n, 1))
    assert to_sympy(parse("diag(x)")) == DiagMatrix(sp.MatrixSymbol("x", m, 1))
    assert to_sympy(parse("x^T x x")) == sp.MatMul(
        MatrixElement(sp.MatMul(sp.Transpose(xs := sp.MatrixSymbol("x", m, 1)), xs), 0, 0), xs
    )


def test_named_values_are_written_out() -> None:
    derivation = diff("sum(log(2 + exp(-y ⊙ (X w))))", "w")
    assert derivation.result_where, "the gradient names exp(-y ⊙ (X w))"
    written = to_sympy(derivation.result, derivation.shapes, derivation.where)
    assert not any(str(s.name).startswith("H") for s in written.atoms(sp.MatrixSymbol))
    assert_gradient_correct(derivation)
    env = inputs(derivation.shapes.symbols, derivation.objective, 0, False)
    assert_same_value(derivation.result, derivation, env)


def test_shapes_are_inferred_when_not_given() -> None:
    written = to_sympy(parse("||X - D R||_F^2"))
    m, n, p = (sp.Symbol(d, integer=True, positive=True) for d in "mnp")
    shapes = {str(s.name): s.shape for s in written.atoms(sp.MatrixSymbol)}
    assert shapes == {"X": (m, n), "D": (m, p), "R": (p, n)}


# --- objectives built in SymPy ----------------------------------------------------------------

m, n, p = (sp.Symbol(d, integer=True, positive=True) for d in "mnp")
X, C = sp.MatrixSymbol("X", m, n), sp.MatrixSymbol("C", m, n)
D, R = sp.MatrixSymbol("D", m, p), sp.MatrixSymbol("R", p, n)
A, S = sp.MatrixSymbol("A", n, n), sp.MatrixSymbol("S", n, n)
W, Y = sp.MatrixSymbol("W", n, p), sp.MatrixSymbol("Y", m, p)
x, y = sp.MatrixSymbol("x", n, 1), sp.MatrixSymbol("y", m, 1)
lam, t = sp.Symbol("lambda"), sp.Symbol("t")


def total(matrix: Any) -> Any:
    """The sum of the entries, as a SymPy user writes it: 1^T M 1."""
    return sp.OneMatrix(1, matrix.rows) * matrix * sp.OneMatrix(matrix.cols, 1)


def _network() -> Any:
    residual = (X * W).applyfunc(sp.tanh) - Y
    return sp.Trace(residual.T * residual)


SYMPY_OBJECTIVES: list[tuple[str, Callable[[], Any], Any, str, bool]] = [
    # (id, objective, variable, how matcalc reads it, positive inputs)
    ("dictionary", lambda: sp.Trace((X - D * R).T * (X - D * R)), D,
     "tr((-R^T D^T + X^T) (-D R + X))", False),
    ("quadratic-form", lambda: x.T * A * x, x, "x^T A x", False),
    ("log-determinant", lambda: sp.log(sp.Abs(sp.Determinant(A))), A, "logdet(A)", True),
    ("trace-of-inverse", lambda: sp.Trace(A * S.I), S, "tr(A S^{-1})", True),
    ("network", _network, W, "tr((-Y^T + tanh(W^T X^T)) (-Y + tanh(X W)))", False),
    ("sigmoid-lambda", lambda: total(ElementwiseApplyFunction(sp.Lambda(t, 1 / (1 + sp.exp(-t))),
     X * W)), W, "sum(sigmoid(X W))", False),
    ("hadamard", lambda: total(sp.HadamardProduct(X, X, C)), X, "sum(X^{∘2} ⊙ C)", False),
    ("hadamard-power", lambda: total(sp.HadamardPower(X, 3)), X, "sum(X^{∘3})", False),
    ("scalar-variable", lambda: lam * sp.Trace(X.T * X) + lam**2, lam,
     "lambda^2 + lambda tr(X^T X)", False),
    ("matrix-power", lambda: sp.Trace(A**3), A, "tr(A^3)", False),
    ("determinant", lambda: sp.Determinant(A), A, "det(A)", True),
    ("entry-of-1x1", lambda: MatrixElement(y.T * X * x, 0, 0) * sp.Trace(X.T * X), X,
     "y^T X x tr(X^T X)", False),
    ("polynomial-lambda", lambda: total(ElementwiseApplyFunction(sp.Lambda(t, t**2 + 2 * t), X)),
     X, "sum(X^{∘2} + 2 X)", False),
    ("generic-function", lambda: total(X.applyfunc(sp.Function("g"))), X, "sum(g(X))", False),
    ("diagonal", lambda: sp.Trace(DiagMatrix(x) * A), x, "tr(diag(x) A)", False),
    ("inverse", lambda: y.T * (X * X.T + sp.Identity(m)).I * y, X,
     "y^T (X X^T + eye(m))^{-1} y", False),
    ("log-of-exp", lambda: total((X.applyfunc(sp.exp) + sp.OneMatrix(m, n)).applyfunc(sp.log)),
     X, "sum(log(exp(X) + ones(m, n)))", False),
    ("norm", lambda: sp.sqrt(sp.Trace(X.T * X)), X, "tr(X^T X)^{0.5}", False),
    ("quotient", lambda: sp.Trace(X.T * X) / sp.Trace(C.T * X), X,
     "tr(C^T X)^{-1} tr(X^T X)", True),
    ("scaled", lambda: total(2 * X / 3 - X * lam), X,
     "((2 / 3) - lambda) ones(1, m) X ones(n, 1)", False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("build", "variable", "text", "positive"),
    [pytest.param(*row[1:], id=row[0]) for row in SYMPY_OBJECTIVES],
)
def test_objective_built_in_sympy_derives(
    build: Callable[[], Any], variable: Any, text: str, positive: bool
) -> None:
    """from_sympy then derive: the same derivation as the text matcalc reads it as, and a
    gradient that agrees with central differences."""
    objective, declared = from_sympy(build())
    assert str(objective) == text
    derivation = derive(objective, str(variable.name), declared)
    assert derivation.result == diff(text, str(variable.name), shapes=declared).result
    assert_gradient_correct(derivation, positive=positive)


AGREES_WITH_SYMPY = ["dictionary", "quadratic-form", "trace-of-inverse", "scalar-variable",
                     "matrix-power"]  # fmt: skip
"""Objectives whose derivative SymPy's own MatrixExpr.diff writes as a matrix expression
(of the others it gives array expressions, raises, or, for logdet and the quotient, gives a
wrong answer: 0, and only the first term of the quotient rule)."""


@pytest.mark.parametrize("name", AGREES_WITH_SYMPY)
def test_derivative_agrees_with_sympys_own(name: str) -> None:
    _, build, variable, _, positive = next(row for row in SYMPY_OBJECTIVES if row[0] == name)
    objective = build()
    expr, declared = from_sympy(objective)
    derivation = derive(expr, str(variable.name), declared)
    assert_gradient_correct(derivation, positive=positive)
    symbols = derivation.shapes.symbols
    env = inputs(symbols, derivation.objective, 2, positive)
    theirs = sympy_value(sp.diff(objective, variable), env, symbols)
    ours = evaluate(derivation.result, env, shapes=symbols, where=derivation.where)
    np.testing.assert_allclose(np.reshape(theirs, np.shape(ours)), ours, rtol=1e-9)


# --- what cannot be represented, either way ---------------------------------------------------


def test_a_pending_derivative_has_no_sympy_form() -> None:
    pending = Pending(Symbol("f"), Symbol("X"), ())
    with pytest.raises(MatcalcError, match="pending derivative") as error:
        to_sympy(pending, infer(Symbol("X")))
    assert error.value.kind is ErrorKind.VALUE


def test_to_sympy_says_what_does_not_fit() -> None:
    with pytest.raises(MatcalcError, match="inner dimensions") as error:
        to_sympy(parse("X Y"), Shapes({"X": (3, 4), "Y": (5, 6)}))
    assert error.value.kind is ErrorKind.SHAPE
    with pytest.raises(MatcalcError, match="not str") as error:
        to_sympy("X Y")  # type: ignore[arg-type]
    assert error.value.kind is ErrorKind.VALUE


VALUE, SHAPE = ErrorKind.VALUE, ErrorKind.SHAPE

NOT_READ: list[tuple[str, Callable[[], Any], ErrorKind, str]] = [
    ("text", lambda: "tr(X)", VALUE, "not a SymPy expression: str"),
    ("a-number", lambda: 42, VALUE, "not a SymPy expression: int"),
    ("explicit-matrix", lambda: sp.Trace(sp.ImmutableMatrix([[1, 2], [3, 4]])), VALUE,
     "an explicit matrix"),
    ("explicit-objective", lambda: sp.ImmutableMatrix([[1]]), VALUE, "an explicit matrix"),
    ("entry", lambda: X[1, 2], VALUE, "an entry of a matrix larger than 1×1"),
    ("pi", lambda: sp.pi * sp.Trace(A), VALUE, "Pi"),
    ("integral", lambda: sp.Integral(lam, lam), VALUE, "Integral"),
    ("identity-name", lambda: sp.Trace(sp.MatrixSymbol("I", n, n)), VALUE, "the name 'I'"),
    ("spaced-name", lambda: sp.Trace(sp.MatrixSymbol("my X", n, n)), VALUE,
     "the name 'my X'"),
    ("dimension", lambda: sp.Trace(sp.MatrixSymbol("B", n + 1, n + 1)), VALUE,
     "dimension n + 1 is neither"),
    ("two-shapes", lambda: sp.Trace(sp.MatrixSymbol("B", n, n)) + sp.Trace(
        sp.MatrixSymbol("B", m, m)), SHAPE, "B has two shapes"),
    ("root-of-matrix", lambda: sp.Trace(sp.MatPow(A, sp.Rational(1, 2))), VALUE,
     "whole exponent"),
    ("cube-root", lambda: total(sp.HadamardPower(X, sp.Rational(1, 3))), VALUE,
     "whole exponent or 1/2"),
    ("free-symbol-in-lambda", lambda: total(ElementwiseApplyFunction(sp.Lambda(t, lam * t), X)),
     VALUE, "no elementwise matcalc form"),
    ("max", lambda: sp.Max(lam, 1), VALUE, "only max(s, 0)"),
    ("infinity", lambda: sp.oo * sp.Trace(A), VALUE, "Infinity"),
]  # fmt: skip
"""SymPy objectives matcalc cannot read, each with the kind of its error and a piece of its
message."""


@pytest.mark.parametrize(
    ("build", "kind", "message"), [pytest.param(*r[1:], id=r[0]) for r in NOT_READ]
)
def test_what_matcalc_cannot_read_is_a_clear_error(
    build: Callable[[], Any], kind: ErrorKind, message: str
) -> None:
    with pytest.raises(MatcalcError) as error:
        from_sympy(build())
    assert message in error.value.message
    assert error.value.kind is kind


def _nested_exp(depth: int) -> Any:
    value = sp.Trace(A)
    for _ in range(depth):
        value = sp.exp(value)
    return value


@pytest.mark.parametrize(
    "build",
    [lambda: _nested_exp(301), lambda: _nested_exp(3_000), lambda: sp.Trace(sp.MatMul(*[A] * 400))],
    ids=["nested-301", "nested-3000", "product-of-400"],
)
def test_too_deep_is_a_clear_error(build: Callable[[], Any]) -> None:
    with pytest.raises(MatcalcError, match="nested more than 300 deep"):
        from_sympy(build())


def test_nested_as_deep_as_the_parser_takes_derives() -> None:
    objective, declared = from_sympy(_nested_exp(299))
    assert objective == parse("exp(" * 299 + "tr(A)" + ")" * 299)
    derivation = derive(objective, "A", declared)
    assert derivation.result.size < 20_000


def test_a_float_is_read_as_the_decimal_it_prints_as() -> None:
    objective, _ = from_sympy(sp.Float(0.1) * sp.Trace(A))
    assert str(objective) == "0.1 tr(A)"
    derivation = derive(objective, "A", {"A": ("n", "n")})
    assert str(derivation.result) == "eye(n) / 10"
    assert_gradient_correct(derivation)


def test_sympy_is_loaded_only_by_a_conversion() -> None:
    code = (
        "import sys\n"
        "from matcalc.sympy_forms import is_sympy\n"
        "print(is_sympy('X'), 'sympy' in sys.modules)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.stdout.split() == ["False", "False"], run.stderr
    assert is_sympy(X) and is_sympy(lam) and not is_sympy(parse("X"))
