"""The notation: both dialects, precedence as a mathematician reads it, and the round trip."""

from __future__ import annotations

from fractions import Fraction

import pytest
from conftest import assert_round_trip
from hypothesis import given, settings
from hypothesis import strategies as st

from matcalc import parse
from matcalc.expr import (
    Add,
    Div,
    Expr,
    FrobSq,
    Func,
    Hadamard,
    HadamardDiv,
    HadamardPow,
    MatMul,
    Neg,
    Number,
    Ones,
    Sum,
    SumCols,
    SumRows,
    Symbol,
    Transpose,
)

X, W, Y, D, R, C = (Symbol(n) for n in "XWYDRC")
a, x = Symbol("a"), Symbol("x")


def n(value: int | str) -> Number:
    return Number(Fraction(value))


SPELLINGS = [
    ("X W", "X·W", "X \\cdot W", "X*W", "X @ W"),
    ("W^T", "Wᵀ", "W^\\top", "W'", "W^{T}"),
    ("X ⊙ C", "X .* C", "X \\odot C"),
    ("X ⊘ C", "X ./ C", "X \\oslash C"),
    ("||G||_F^2", "‖G‖_F^2", "\\Vert G \\Vert_F^2", "\\|G\\|_F^2", "||G||_{F}^{2}"),
    ("||x||_2^2", "‖x‖_2^2", "||x||_{2}^2"),
    ("||x||_2", "‖x‖_2", "\\Vert x \\Vert_2", "||x||_{2}"),
    ("||x||_1", "‖x‖_1", "\\Vert x \\Vert_{1}", "||x||_{1}"),
    ("||X||_F", "‖X‖_F", "\\Vert X \\Vert_F", "\\|X\\|_F"),
    ("sum(G)", "\\sum G"),
    ("X^{∘2}", "X.^2", "X^{\\circ 2}"),
]


@pytest.mark.parametrize("spellings", SPELLINGS, ids=[s[0] for s in SPELLINGS])
def test_spellings_mean_the_same(spellings: tuple[str, ...]) -> None:
    first = parse(spellings[0])
    for other in spellings[1:]:
        assert parse(other) == first, other


PRECEDENCE = [
    ("a^T G a", MatMul(MatMul(Transpose(a), Symbol("G")), a)),
    (
        "-2 X R^T + 2 D R R^T",
        Add(
            (
                Neg(MatMul(MatMul(n(2), X), Transpose(R))),
                MatMul(MatMul(MatMul(n(2), D), R), Transpose(R)),
            )
        ),
    ),
    ("2 X^T ((X - Y) ⊙ C)", MatMul(MatMul(n(2), Transpose(X)), Hadamard(Add((X, Neg(Y))), C))),
    ("X W ⊙ C", Hadamard(MatMul(X, W), C)),
    ("X - D R", Add((X, Neg(MatMul(D, R))))),
    ("X + W - Y", Add((X, W, Neg(Y)))),
    ("(X + W) - Y", Add((Add((X, W)), Neg(Y)))),
    ("X (W Y)", MatMul(X, MatMul(W, Y))),
    ("(X W) Y", MatMul(MatMul(X, W), Y)),
    ("X W^T", MatMul(X, Transpose(W))),
    ("(X W)^T", Transpose(MatMul(X, W))),
    ("X / 2 W", MatMul(Div(X, n(2)), W)),
    ("g(X W)", Func("g", MatMul(X, W))),
    ("g'(X)", Func("g'", X)),
    ("x (a x)", MatMul(x, MatMul(a, x))),
    ("1 + exp(X)", Add((n(1), Func("exp", X)))),
    ("1 - x", Add((n(1), Neg(x)))),
    ("0.5 ||X||_F^2", MatMul(n("0.5"), FrobSq(X, "F"))),
    ("||x||^2", FrobSq(x, "")),
    ("-X ⊙ Y", Neg(Hadamard(X, Y))),
    ("X ⊘ C ⊙ Y", Hadamard(HadamardDiv(X, C), Y)),
    ("X^{∘3}^T", Transpose(HadamardPow(X, 3))),
    ("ones(m, 3)", Ones("m", 3)),
    ("sum_rows(X) + sum_cols(X)^T", Add((SumRows(X), Transpose(SumCols(X))))),
    ("1e-3 X", MatMul(n("0.001"), X)),
    ("lambda X", MatMul(Symbol("lambda"), X)),
    ("λ X", MatMul(Symbol("λ"), X)),
]


@pytest.mark.parametrize(("text", "tree"), PRECEDENCE, ids=[p[0] for p in PRECEDENCE])
def test_precedence(text: str, tree: Expr) -> None:
    assert parse(text) == tree
    assert_round_trip(text)


PRINTED = [
    ("X' * W", "X^T W"),
    ("X - -Y", "X - (-Y)"),
    ("\\Vert X \\Vert_F^2", "||X||_F^2"),
    ("(A ⊙ B) ⊙ C", "A ⊙ B ⊙ C"),
    ("1 ⊘ (2 X)", "1 ⊘ (2 X)"),
    ("(X W) Y", "X W Y"),
    ("X.^2", "X^{∘2}"),
]


@pytest.mark.parametrize(("text", "printed"), PRINTED, ids=[p[0] for p in PRINTED])
def test_printed_form(text: str, printed: str) -> None:
    assert str(parse(text)) == printed
    assert parse(printed) == parse(text)


names = st.sampled_from(["X", "W", "Y", "x", "a", "lambda", "W1", "x_2", "α"])
numbers = st.fractions(min_value=0, max_value=100, max_denominator=8).filter(
    lambda f: all(p in (2, 5) for p in _prime_factors(f.denominator))
)
functions = st.sampled_from(["g", "h", "g'", "exp", "log", "tanh", "sigmoid", "relu", "abs"])


def _prime_factors(k: int) -> set[int]:
    found, p = set(), 2
    while k > 1:
        while k % p == 0:
            found.add(p)
            k //= p
        p += 1
    return found


def _nodes(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    two = st.tuples(children, children)
    quotient = two.filter(lambda p: p[1] != Number(Fraction(0)))  # `/ 0` is refused on input
    return st.one_of(
        children.map(Transpose),
        children.map(Neg),
        st.lists(children, min_size=2, max_size=4).map(lambda t: Add(tuple(t))),
        two.map(lambda p: MatMul(*p)),
        quotient.map(lambda p: Div(*p)),
        two.map(lambda p: Hadamard(*p)),
        quotient.map(lambda p: HadamardDiv(*p)),
        st.tuples(children, st.integers(1, 5)).map(lambda p: HadamardPow(*p)),
        st.tuples(functions, children).map(lambda p: Func(*p)),
        st.tuples(children, st.sampled_from(["F", "2", ""])).map(lambda p: FrobSq(*p)),
        children.map(Sum),
        children.map(SumRows),
        children.map(SumCols),
    )


expressions = st.recursive(
    st.one_of(names.map(Symbol), numbers.map(Number), st.just(Ones("m", 3))),
    _nodes,
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(expressions)
def test_round_trip_of_random_expressions(expr: Expr) -> None:
    assert parse(str(expr)) == expr
