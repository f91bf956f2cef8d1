"""Every node kind is known to every module that must know each one: the printers, the shape
rule, the evaluator and the code writer (mypy checks their matches; this checks them running)."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from functools import partial
from typing import TypeVar, get_args

import numpy as np
import pytest

import matcalc.expr
from matcalc import MatcalcError, evaluate, parse
from matcalc.expr import (
    NODE_KINDS,
    Add,
    Applied,
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
    Node,
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
)
from matcalc.operations import BY_NAME, KINDS, OPERATIONS, Mismatch, Operation, operation_of
from matcalc.printing.latex import latex
from matcalc.printing.python import python_source
from matcalc.printing.text import text
from matcalc.shapes import Shape, Shapes

_T = TypeVar("_T")

A, X, Y, x, s = Symbol("A"), Symbol("X"), Symbol("Y"), Symbol("x"), Symbol("s")
DECLARED: dict[str, Shape] = {"A": (3, 3), "X": (3, 4), "Y": (3, 4), "x": (3, 1), "s": (1, 1)}

EXAMPLES: dict[type[Expr], tuple[Expr, Shape]] = {
    Symbol: (X, (3, 4)),
    Number: (Number(Fraction(1, 2)), (1, 1)),
    Ones: (Add((X, Ones(3, 4))), (3, 4)),  # code for a constant alone has no array to go by
    Identity: (MatMul(Identity(3), X), (3, 4)),
    Transpose: (Transpose(X), (4, 3)),
    Neg: (Neg(X), (3, 4)),
    Add: (Add((X, Neg(Y))), (3, 4)),
    MatMul: (MatMul(A, X), (3, 4)),
    Div: (Div(X, s), (3, 4)),
    Hadamard: (Hadamard(X, Y), (3, 4)),
    HadamardDiv: (HadamardDiv(X, Y), (3, 4)),
    HadamardPow: (HadamardPow(X, 3), (3, 4)),
    Power: (Power(A, Number(Fraction(2))), (3, 3)),
    Func: (Func("exp", X), (3, 4)),
    FrobSq: (FrobSq(X), (1, 1)),
    Inverse: (Inverse(A), (3, 3)),
    Trace: (Trace(A), (1, 1)),
    Det: (Det(A), (1, 1)),
    LogDet: (LogDet(A), (1, 1)),
    Diag: (Diag(x), (3, 3)),
    Norm: (Norm(X, "F"), (1, 1)),
    Sum: (Sum(X), (1, 1)),
    SumRows: (SumRows(X), (1, 4)),
    SumCols: (SumCols(X), (3, 1)),
    Kron: (Kron(x, MatMul(A, X)), (9, 4)),
    Vec: (Vec(X), (12, 1)),
    Softmax: (Softmax(X), (3, 4)),
    LogSoftmax: (LogSoftmax(x), (3, 1)),
    LogSumExp: (LogSumExp(X), (3, 1)),
    CrossEntropy: (CrossEntropy(X, Y), (1, 1)),
    Mean: (Mean(X), (1, 1)),
    LayerNorm: (LayerNorm(X), (3, 4)),
    Pending: (Pending(Trace(A), A, (0,)), (3, 3)),
}
"""A small well-shaped expression holding each node kind, and its shape."""

_rng = np.random.default_rng(3)
ENV = {name: _rng.uniform(0.5, 1.5, size=shape) for name, shape in DECLARED.items()}
ENV["A"] = ENV["A"] + 3 * np.eye(3)


def _handled(module: str, kind: str, work: Callable[[], _T]) -> _T:
    """What `work` gives, or a failure naming the node kind and the module that lacks it."""
    try:
        return work()
    except Exception as error:  # any failure here is a missing case
        pytest.fail(f"{module} does not handle {kind}: {type(error).__name__}: {error}")


def _example(kind: type[Expr]) -> tuple[Expr, Shape]:
    if kind not in EXAMPLES:
        pytest.fail(f"tests/test_nodes.py has no example of {kind.__name__} in EXAMPLES")
    return EXAMPLES[kind]


@pytest.mark.parametrize("kind", get_args(Node), ids=lambda kind: kind.__name__)
def test_every_module_handles_the_node_kind(kind: type[Expr]) -> None:
    example, shape = _example(kind)
    name = kind.__name__
    printed = _handled("matcalc/printing/text.py", name, lambda: text(example))
    if kind is not Pending:  # df/dA is printed for reading, not for parsing
        assert parse(printed) == example, f"text of {name} does not parse back: {printed}"
    assert _handled("matcalc/printing/latex.py", name, lambda: latex(example))
    shapes = Shapes(dict(DECLARED))
    found = _handled("matcalc/shapes.py", name, lambda: shapes.of(example))
    assert found == shape, f"the shape rule gives {name} {found}, not {shape}"
    if kind is Pending:
        with pytest.raises(MatcalcError, match="pending derivative"):
            evaluate(example, ENV)
        with pytest.raises(MatcalcError, match="pending derivative"):
            python_source(example, [], shapes, {})
        return
    value = _handled("matcalc/numeric.py", name, lambda: evaluate(example, ENV))
    assert np.shape(value) == (() if shape == (1, 1) else shape), f"value of {name}"
    source = _handled(
        "matcalc/printing/python.py", name, lambda: python_source(example, [], shapes, {})
    )
    assert "return f" in source


def test_the_union_holds_every_node_class() -> None:
    defined = {
        value
        for value in vars(matcalc.expr).values()
        if isinstance(value, type)
        and issubclass(value, Expr)
        and value not in (Expr, Applied)  # the bases of every node, and of function-like ones
        and value.__module__ == matcalc.expr.__name__
    }
    missing = sorted(cls.__name__ for cls in defined - set(NODE_KINDS))
    assert not missing, f"node classes not in matcalc.expr.Node: {', '.join(missing)}"
    assert set(NODE_KINDS) == defined
    assert set(EXAMPLES) == defined, "EXAMPLES has an example of each node class"


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.name)
def test_each_operation_is_called_by_its_name(operation: Operation) -> None:
    node = parse(f"{operation.name}({', '.join(['A'] * operation.arity)})")
    assert isinstance(node, operation.node)
    assert operation_of(node) is operation
    assert parse(text(node)) == node


def test_the_table_has_a_row_for_each_operation_kind() -> None:
    rows = {operation.node for operation in OPERATIONS}
    missing = sorted(kind.__name__ for kind in set(KINDS) - rows)
    assert not missing, f"matcalc/operations.py has no row for {', '.join(missing)}"


ARGUMENT_SHAPES: list[Shape] = [(1, 1), (3, 1), (1, 3), (3, 3), (3, 4)]
"""Arguments tried on each row's shape rule: a scalar, a column, a row, square and wide."""


def _equal(a: Dim, b: Dim) -> Dim:
    if a != b:
        raise Mismatch("the dimensions differ")
    return a


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.name)
def test_each_row_has_a_shape_rule_its_value_keeps(operation: Operation) -> None:
    """The row's shape rule takes some argument, refuses others only with Mismatch, and gives
    the shape of the row's own value."""
    name, taken = operation.name, []
    for arg in ARGUMENT_SHAPES:
        args = [arg] * operation.arity  # the same shape for each argument
        try:
            shape = operation.shape(_equal, *args)
        except Mismatch:
            continue
        except Exception as error:  # a rule that fails otherwise is broken
            pytest.fail(f"the shape rule of {name} fails on {arg}: {type(error).__name__}: {error}")
        arrays = [_rng.uniform(0.5, 1.5, size=a) + 3 * np.eye(*a) for a in args]
        value = _handled(
            "matcalc/operations.py",
            f"{name} of {arg}",
            partial(operation.value, *arrays, column=arg[1] == 1),
        )
        assert value.shape == shape, (
            f"the shape rule of {name} gives {shape} for {arg}, not {value.shape}"
        )
        taken.append(arg)
    assert taken, f"the shape rule of {name} refuses every one of {ARGUMENT_SHAPES}"


def test_a_norm_with_bars_is_its_call() -> None:
    assert operation_of(Norm(x, "1")) is BY_NAME["norm1"]
    assert operation_of(Norm(X, "F")) is operation_of(Norm(x, "2")) is BY_NAME["norm2"]
