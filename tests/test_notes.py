"""Every derivation says how it read the input: each symbol's shape in text, LaTeX and JSON,
and a note wherever a reading may surprise (a matrix power, a convention's scalar letters,
`*` between matrices, a letter that only looks Latin)."""

from __future__ import annotations

import pytest
from conftest import assert_gradient_correct

import matcalc
from matcalc import diff


def test_the_seed_states_its_shapes_in_every_output() -> None:
    derivation = diff("||X - D R||_F^2", "D")
    assert derivation.text().splitlines()[:2] == [
        "f = ||X - D R||_F^2",
        "shapes: X m×n, D m×p, R p×n",
    ]
    assert (
        r"Shapes: $X \in \mathbb{R}^{m\times n}$, $D \in \mathbb{R}^{m\times p}$, "
        r"$R \in \mathbb{R}^{p\times n}$." in derivation.latex()
    )
    assert derivation.to_dict()["shapes"] == {
        "X": {"rows": "m", "cols": "n", "symmetric": False, "sums_to_one": False},
        "D": {"rows": "m", "cols": "p", "symmetric": False, "sums_to_one": False},
        "R": {"rows": "p", "cols": "n", "symmetric": False, "sums_to_one": False},
    }
    assert derivation.to_dict()["notes"] == []
    assert str(derivation.result) == "-2 X R^T + 2 D R R^T"
    assert_gradient_correct(derivation)


def test_scalars_symmetric_matrices_and_numbers_are_said_as_declared() -> None:
    derivation = diff("λ tr(S A) + x^T x", "S", shapes={"S": "n,n,symmetric", "x": (3,)})
    assert derivation.text().splitlines()[1] == "shapes: λ scalar, S n×n symmetric, A n×n, x 3×1"
    latex = derivation.latex()
    assert r"$\lambda \in \mathbb{R}$" in latex
    assert r"$S \in \mathbb{R}^{n\times n}$ symmetric" in latex
    assert r"$x \in \mathbb{R}^{3\times 1}$" in latex
    assert derivation.to_dict()["shapes"]["S"]["symmetric"] is True
    assert_gradient_correct(derivation)


def test_a_variable_absent_from_the_objective_is_listed_with_its_shape() -> None:
    derivation = diff("sum(X)", "Y", shapes={"Y": (3, 4)})
    assert derivation.text().splitlines()[1] == "shapes: X m×n, Y 3×4"
    assert str(derivation.result) == "0"
    assert_gradient_correct(derivation)


def test_a_matrix_power_is_noted_with_the_entrywise_spelling() -> None:
    derivation = diff("||(X - D R)^2||_F^2", "D")
    note = (
        "note: (X - D R)^2 is a matrix power, the matrix times itself; the entrywise power "
        "is (X - D R)^{∘2}"
    )
    assert note in derivation.text().splitlines()
    assert derivation.text().splitlines()[1] == "shapes: X m×m, D m×n, R n×m"
    assert (
        r"Note: $\left(X - D\cdot R\right)^{2}$ is a matrix power" in derivation.latex()
        or r"Note: $(X - D" in derivation.latex()
    )
    assert derivation.to_dict()["notes"] == [note.removeprefix("note: ")]
    assert_gradient_correct(derivation)


def test_a_power_of_a_scalar_is_not_noted() -> None:
    derivation = diff("(x^T x)^2", "x")
    assert derivation.notes == ()
    assert_gradient_correct(derivation)


@pytest.mark.parametrize(
    ("expression", "shapes", "note"),
    [
        (
            "a x^T A x + b",
            {},
            "a, b are scalars by the matrixcalculus convention (a–g); declare --shape a=n "
            "for a vector",
        ),
        (
            "a x^T A x + b^T x",
            {"b": "n"},
            "a is a scalar by the matrixcalculus convention (a–g); declare --shape a=n for a "
            "vector",
        ),
    ],
)
def test_the_conventions_scalar_letters_are_noted(
    expression: str, shapes: dict[str, str], note: str
) -> None:
    derivation = diff(expression, "x", convention="matrixcalculus", shapes=shapes)
    assert f"note: {note}" in derivation.text().splitlines()
    assert_gradient_correct(derivation)


def test_the_seed_convention_adds_no_note() -> None:
    assert diff("α x^T A x", "x").notes == ()


def test_every_public_object_has_a_short_repr() -> None:
    session = matcalc.Session()
    derivation = session.diff("||X - D R||_F^2", "D")
    assert repr(derivation) == "<Derivation df/dD = -2 X R^T + 2 D R R^T>"
    assert_gradient_correct(derivation)
    assert repr(derivation.steps[0]) == "<Step (1) right matrix multiplication: df/d(D R) R^T>"
    assert repr(derivation.result) == "<Add -2 X R^T + 2 D R R^T>"
    assert repr(matcalc.RULES[0]) == "<Rule right matrix multiplication: G: X ↦ X W>"
    assert repr(session) == "<Session of 1 derivations, next tag (4)>"
    assert repr(derivation.shapes) == "<Shapes X m×n, D m×p, R p×n>"
    assert repr(matcalc.diff("tr(S)", "S", shapes={"S": "3,3,symmetric"}).shapes) == (
        "<Shapes S 3×3 symmetric>"
    )
    assert all(len(repr(found)) < 120 for found in [derivation, *derivation.steps, session])


def test_star_between_matrices_is_noted_once_per_product() -> None:
    derivation = diff("sum(X * Y) + sum(X * Y) + 2 * tr(X * Y^T)", "X")
    notes = [note.sentence(str) for note in derivation.notes]
    assert notes == [
        "X Y, written with *, is the matrix product; the entrywise product is X ⊙ Y",
        "X Y^T, written with *, is the matrix product; the entrywise product is X ⊙ Y^T",
    ]
    assert_gradient_correct(derivation)


def test_a_greek_letter_that_looks_latin_is_noted() -> None:
    derivation = diff("sum(X ⊙ Χ)", "X")
    assert derivation.text().splitlines()[1:3] == [
        "shapes: X m×n, Χ scalar",
        "note: Χ is the Greek capital Chi, not the Latin X",
    ]
    assert "Note: $\\Chi$ is the Greek capital Chi, not the Latin X." in derivation.latex()
    assert_gradient_correct(derivation)
