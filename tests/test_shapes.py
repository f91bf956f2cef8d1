"""Shapes: naming conventions, declarations, unification, and conflicts that name both shapes."""

from __future__ import annotations

import pytest

from matcalc import MatcalcError, parse
from matcalc.shapes import convention, declared_shape, infer

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
