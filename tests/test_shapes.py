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
