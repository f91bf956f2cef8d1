"""Shapes: naming conventions, declarations, unification, and conflicts that name both shapes."""

from __future__ import annotations

from typing import Any

import pytest

import matcalc
from matcalc import ErrorKind, MatcalcError, diff, parse
from matcalc.declarations import convention, declarations, declared_shape
from matcalc.shapes import infer

INFERRED = [
    ("||g(X W) - Y||_F^2", {}, {"X": ("m", "n"), "W": ("n", "p"), "Y": ("m", "p")}),
    ("a^T G a", {}, {"a": ("m", 1), "G": ("m", "m")}),
    ("lambda ||X||_F^2", {}, {"lambda": (1, 1), "X": ("m", "n")}),
    ("α ||x||^2", {}, {"α": (1, 1), "x": ("m", 1)}),
    ("sum(C + x^T)", {}, {"C": ("m", "n"), "x": ("n", 1)}),
    ("||X W||_F^2", {"X": (3, 4)}, {"X": (3, 4), "W": (4, "m")}),
    ("||X W||_F^2", {"W": ("k", "n")}, {"X": ("m", "k"), "W": ("k", "n")}),
    ("sum(b + C)", {"b": (1, "n")}, {"b": (1, "n"), "C": ("m", "n")}),
    ("||X||_F^2", {"Z": ("p",)}, {"X": ("m", "n"), "Z": ("p", 1)}),
]


@pytest.mark.parametrize(("text", "declared", "expected"), INFERRED, ids=[r[0] for r in INFERRED])
def test_inferred_shapes(text: str, declared: dict, expected: dict) -> None:
    shapes = {name: declared_shape(name, spec) for name, spec in declared.items()}
    expr = parse(text)
    assert infer(expr, shapes).symbols == expected
    assert parse(str(expr)) == expr


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("X", "matrix"),
        ("W1", "matrix"),
        ("x", "vector"),
        ("bias", "vector"),
        ("x_2", "vector"),
        ("lambda", "scalar"),
        ("sigma_1", "scalar"),
        ("α", "scalar"),
        ("Σ", "scalar"),
    ],
)
def test_conventions(name: str, kind: str) -> None:
    assert convention(name) == kind


@pytest.mark.parametrize(
    ("spec", "shape"),
    [
        (("m", "n"), ("m", "n")),
        (("n",), ("n", 1)),
        ((), (1, 1)),
        ("scalar", (1, 1)),
        ("3,4", (3, 4)),
        ((3, "n"), (3, "n")),
        ("1, n", (1, "n")),
    ],
)
def test_declarations(spec: object, shape: tuple) -> None:
    assert declared_shape("X", spec) == shape  # type: ignore[arg-type]


def test_conflict_names_both_shapes_and_the_subexpression() -> None:
    with pytest.raises(MatcalcError) as caught:
        infer(parse("||X W - Y||_F^2"), {"X": (3, 4), "W": (4, 5), "Y": (3, 6)})
    message = caught.value.message
    assert "in X W - Y" in message and "X W is 3×5" in message and "Y is 3×6" in message


def test_a_dimension_is_never_silently_one() -> None:
    with pytest.raises(MatcalcError, match="x is m×1, W is n×p"):
        infer(parse("sum(x W)"))


REFUSED = [
    ("tr(X)", {"X": (3, 4)}, "in tr(X): it needs a square matrix; X is 3×4"),
    ("det(x)", {}, "in det(x): it needs a square matrix; x is m×1"),
    ("logdet(X)", {"X": ("m", "n")}, "in logdet(X): it needs a square matrix; X is m×n"),
    ("sum(inv(X))", {"X": (3, 4)}, "in X^{-1}: it needs a square matrix; X is 3×4"),
    (
        "sum(diag(X))",
        {"X": (3, 4)},
        "in diag(X): diag takes a column vector or a square matrix; X is 3×4",
    ),
    (
        "sum(diag(x^T))",
        {},
        "in diag(x^T): diag takes a column vector or a square matrix; x^T is 1×m",
    ),
    (
        "||X||_1",
        {},
        "in ||X||_1: ||·||_1 of a matrix would be an induced norm; write ||X||_F for the "
        "Frobenius norm; X is m×n",
    ),
    (
        "||X||_2^2",
        {},
        "in ||X||_2^2: ||·||_2^2 of a matrix would be an induced norm; write ||X||_F^2 for the "
        "Frobenius norm; X is m×n",
    ),
]


@pytest.mark.parametrize(("text", "declared", "message"), REFUSED, ids=[r[0] for r in REFUSED])
def test_an_operation_refuses_its_argument_in_its_words(
    text: str, declared: dict, message: str
) -> None:
    with pytest.raises(MatcalcError) as caught:
        infer(parse(text), declared)
    assert caught.value.message == message


@pytest.mark.parametrize(
    "text", ["||X||_F + norm1(X) + norm2(X) + ||X||_F^2", "||x||_1 + ||x||_2 + ||x||_2^2"]
)
def test_only_barred_numbered_norms_need_a_vector(text: str) -> None:
    assert set(infer(parse(text)).symbols.values()) <= {("m", "n"), ("m", 1)}


# Declarations as diff takes them: one reading, every form checked -------------------------

ACCEPTED = [
    ({"X": ("m", "n")}, {"X": ("m", "n")}, set()),
    (
        {"X": "m, n", "x": "n", "lambda": "scalar"},
        {"X": ("m", "n"), "x": ("n", 1), "lambda": (1, 1)},
        set(),
    ),
    ({" X ": [3, "n"], "s": ()}, {"X": (3, "n"), "s": (1, 1)}, set()),
    (
        {"S": "n,n,symmetric", "T": ("k", "k", "symmetric")},
        {"S": ("n", "n"), "T": ("k", "k")},
        {"S", "T"},
    ),
    ({"b": " 1 , n ", "α": ("scalar",)}, {"b": (1, "n"), "α": (1, 1)}, set()),
    (None, {}, set()),
    ({}, {}, set()),
]


@pytest.mark.parametrize(
    ("spec", "shapes", "symmetric"), ACCEPTED, ids=[str(a[0]) for a in ACCEPTED]
)
def test_declarations_read_every_form(spec: object, shapes: dict, symmetric: set) -> None:
    assert declarations(spec) == (shapes, frozenset(symmetric), frozenset())


def test_targets_are_declared_to_sum_to_one() -> None:
    """Rows of a matrix, or a column's entries: probabilities, one-hot labels."""
    found = declarations({"Y": "m,k,rows-sum-to-one", "y": ("n", "sums-to-one"), "X": "m,n"})
    assert found == ({"Y": ("m", "k"), "y": ("n", 1), "X": ("m", "n")}, frozenset(), {"Y", "y"})


# (id, spec, kind, words)
REFUSED_DECLARATIONS = [
    ("rows-of-a-column", {"y": "n,rows-sum-to-one"}, ErrorKind.SHAPE, "y=n,sums-to-one"),
    ("sum-of-a-matrix", {"Y": "m,k,sums-to-one"}, ErrorKind.SHAPE, "Y=m,k,rows-sum-to-one"),
    ("rows-of-one-entry", {"Y": "m,1,rows-sum-to-one"}, ErrorKind.SHAPE, "Y=n,sums-to-one"),
    ("none", {"X": None}, ErrorKind.SHAPE, 'X: a shape is written "m,n", ("m", "n")'),
    ("bytes", {"X": b"m,n"}, ErrorKind.SHAPE, "not b'm,n'"),
    ("int", {"X": 3}, ErrorKind.SHAPE, "not 3"),
    ("float", {"X": 3.0}, ErrorKind.SHAPE, "not 3.0"),
    ("dict", {"X": {"m": 1}}, ErrorKind.SHAPE, "not {'m': 1}"),
    ("nested", {"X": [["m"], "n"]}, ErrorKind.SHAPE, "not [['m'], 'n']"),
    ("none-inside", {"X": ("m", None)}, ErrorKind.SHAPE, "not ('m', None)"),
    ("bool-inside", {"X": (True, 3)}, ErrorKind.SHAPE, "not (True, 3)"),
    ("float-inside", {"X": (2.5, 3)}, ErrorKind.SHAPE, "not (2.5, 3)"),
    (
        "words-as-a-dimension",
        {"X": "m n"},
        ErrorKind.SHAPE,
        "a dimension is a positive integer or a name, not 'm n'",
    ),
    ("zero", {"X": (0, 3)}, ErrorKind.SHAPE, "not 0"),
    ("superscript-digit", {"X": "²,3"}, ErrorKind.SHAPE, "not '²'"),
    ("scalar-as-a-dimension", {"X": "scalar, n"}, ErrorKind.SHAPE, "not 'scalar'"),
    ("symmetric-alone", {"S": "symmetric"}, ErrorKind.SHAPE, "S: a symmetric matrix is square"),
    ("symmetric-rectangle", {"S": "m,n,symmetric"}, ErrorKind.SHAPE, "square"),
    ("three-dimensions", {"X": "m,n,p"}, ErrorKind.SHAPE, "at most two dimensions, got 3"),
    ("twice", {"X": "m,n", " X": (3, 4)}, ErrorKind.NAME, "X is declared twice"),
    ("not-a-name", {"X Y": "m,n"}, ErrorKind.NAME, "'X Y' is not a name matcalc reads"),
    ("empty-name", {"": "m,n"}, ErrorKind.NAME, "'' is not a name matcalc reads"),
    ("digit-first", {"1X": "m,n"}, ErrorKind.NAME, "'1X' is not a name"),
    (
        "number-as-a-name",
        {3: "m,n"},
        ErrorKind.NAME,
        'a declared name is a string such as "X", not 3',
    ),
    ("a-string", "X=m,n", ErrorKind.SHAPE, "shapes map names to shapes"),
    ("pairs", [("X", "m,n")], ErrorKind.SHAPE, "shapes map names to shapes"),
]


@pytest.mark.parametrize(
    ("spec", "kind", "words"), [pytest.param(*r[1:], id=r[0]) for r in REFUSED_DECLARATIONS]
)
def test_a_declaration_that_is_not_one_says_what_is_accepted(
    spec: object, kind: ErrorKind, words: str
) -> None:
    for attempt in (lambda: declarations(spec), lambda: diff("sum(X) + sum(S)", "X", shapes=spec)):  # type: ignore[arg-type]
        with pytest.raises(MatcalcError) as caught:
            attempt()
        assert caught.value.kind is kind
        assert words in caught.value.message, caught.value.message


def test_a_stripped_name_is_the_name(check: Any) -> None:
    derivation = diff("||X W||_F^2", "W", shapes={" X": (3, 4), "W ": ("4", "5")})
    assert derivation.shapes.symbols == {"X": (3, 4), "W": (4, 5)}
    check(derivation)


# Inferred dimensions never take a name the user wrote ------------------------------------

# (objective, variable, declared, shapes, result)
OWN_DIMENSIONS = [
    ("sum(X ones(m, 1))", "X", None, {"X": ("n", "m")}, "ones(n, 1) ones(1, m)"),
    ("tr(X eye(m) Y)", "X", None, {"X": ("n", "m"), "Y": ("m", "n")}, "Y^T"),
    ("sum(ones(1, n) X ones(p, 1))", "X", None, {"X": ("n", "p")}, "ones(n, 1) ones(1, p)"),
    (
        "||A x - b||_2^2",
        "x",
        {"A": ("n", "m")},
        {"A": ("n", "m"), "x": ("m", 1), "b": ("n", 1)},
        "2 A^T A x - 2 A^T b",
    ),
    (
        "sum(X W ones(p, 1)) + sum(Z)",
        "W",
        {"X": ("n", "m")},
        {"X": ("n", "m"), "W": ("m", "p"), "Z": ("q", "r")},
        "X^T ones(n, 1) ones(1, p)",
    ),
]


@pytest.mark.parametrize(
    ("text", "wrt", "declared", "shapes", "result"),
    OWN_DIMENSIONS,
    ids=[r[0] for r in OWN_DIMENSIONS],
)
def test_inferred_dimensions_avoid_the_names_the_user_wrote(
    text: str, wrt: str, declared: dict | None, shapes: dict, result: str, check: Any
) -> None:
    derivation = diff(text, wrt, shapes=declared)
    assert derivation.shapes.symbols == shapes
    assert str(derivation.result) == result
    check(derivation)


def test_numbered_dimensions_follow_when_every_letter_is_taken(check: Any) -> None:
    letters = "m n p q r s t u v w k l d1 d2".split()
    declared = {f"A{i}": (d, d) for i, d in enumerate(letters)}
    derivation = diff("sum(X Y)", "X", shapes=declared)
    assert (derivation.shapes.symbols["X"], derivation.shapes.symbols["Y"]) == (
        ("d3", "d4"),
        ("d4", "d5"),
    )
    check(derivation)


def test_symbols_are_listed_in_reading_order_with_their_inferred_shapes() -> None:
    assert matcalc.symbols("||X - D R||_F^2") == (
        ("X", ("m", "n"), ()),
        ("D", ("m", "p"), ()),
        ("R", ("p", "n"), ()),
    )
    declared = matcalc.symbols(
        "x^T S x + sum(y)", shapes={"S": "k,k,symmetric", "y": "q,sums-to-one"}
    )
    assert declared == (
        ("x", ("k", 1), ()),
        ("S", ("k", "k"), ("symmetric",)),
        ("y", ("q", 1), ("sums to one",)),
    )
    assert [name for name, _, _ in matcalc.symbols("a^T X b", convention="matrixcalculus")] == [
        "a", "X", "b",
    ]  # fmt: skip
    assert matcalc.symbols("a^T X b", convention="matrixcalculus")[0][1] == (1, 1)
    with pytest.raises(matcalc.MatcalcError, match="syntax error at line 1, column 10"):
        matcalc.symbols("||X - D R|_F^2")
