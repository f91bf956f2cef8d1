"""The Matrix Cookbook's section 2, identity by identity: matcalc's result against central
differences, against the Cookbook's own closed form, and by its text; and the citation."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from cases import written
from conftest import assert_gradient_correct, well_conditioned

from matcalc import diff, evaluate, parse
from matcalc.cookbook import IDENTITIES, CookbookIdentity
from matcalc.finite_differences import random_env

RESULTS = {
    ("49", "det(X)", "X"): "det(X) X^{-T}",
    ("51", "det(A X B)", "X"): "det(A X B) X^{-T}",
    ("52", "det(X^T A X)", "X"): "2 det(X^T A X) X^{-T}",
    (
        "54",
        "det(X^T A X)",
        "X",
    ): "det(X^T A X) A X (X^T A X)^{-1} + det(X^T A X) A^T X (X^T A X)^{-T}",
    ("57", "logdet(X)", "X"): "X^{-T}",
    ("58", "det(X^3)", "X"): "3 det(X^3) X^{-T}",
    ("61", "a^T X^{-1} b", "X"): "-X^{-T} a b^T X^{-T}",
    ("62", "det(X^{-1})", "X"): "-X^{-T} / det(X)",
    ("63", "tr(A X^{-1} B)", "X"): "-X^{-T} A^T B^T X^{-T}",
    ("64", "tr((X + A)^{-1})", "X"): "-((X + A)^{-T})^2",
    ("69", "x^T a", "x"): "a",
    ("69", "a^T x", "x"): "a",
    ("70", "a^T X b", "X"): "a b^T",
    ("71", "a^T X^T b", "X"): "b a^T",
    ("72", "a^T X a", "X"): "a a^T",
    ("72", "a^T X^T a", "X"): "a a^T",
    ("77", "b^T X^T X c", "X"): "X c b^T + X b c^T",
    ("78", "(B x + b)^T C (D x + d)", "x"): "B^T C D x + B^T C d + D^T C^T B x + D^T C^T b",
    ("81", "x^T B x", "x"): "B x + B^T x",
    ("82", "b^T X^T D X c", "X"): "D X c b^T + D^T X b c^T",
    ("83", "(X b + c)^T D (X b + c)", "X"): "D X b b^T + D c b^T + D^T X b b^T + D^T c b^T",
    ("84", "(x - A s)^T W (x - A s)", "s"): "-2 A^T W x + 2 A^T W A s",
    ("85", "(x - s)^T W (x - s)", "x"): "2 W x - 2 W s",
    ("86", "(x - s)^T W (x - s)", "s"): "-2 W x + 2 W s",
    ("87", "(x - A s)^T W (x - A s)", "x"): "2 W x - 2 W A s",
    ("88", "(x - A s)^T W (x - A s)", "A"): "-2 W x s^T + 2 W A s s^T",
    ("91", "a^T X^3 b", "X"): "a b^T (X^T)^2 + X^T a b^T X^T + (X^T)^2 a b^T",
    (
        "94",
        "(A x)^T (A x) / ((B x)^T (B x))",
        "x",
    ): "2 A^T A x / (x^T B^T B x) - 2 (x^T A^T A x) B^T B x / (x^T B^T B x)^2",
    ("96", "x^T A x + b^T x", "x"): "A x + A^T x + b",
    ("99", "tr(X)", "X"): "eye(n)",
    ("100", "tr(X A)", "X"): "A^T",
    ("101", "tr(A X B)", "X"): "A^T B^T",
    ("102", "tr(A X^T B)", "X"): "B A",
    ("103", "tr(X^T A)", "X"): "A",
    ("104", "tr(A X^T)", "X"): "A",
    ("106", "tr(X^2)", "X"): "2 X^T",
    ("107", "tr(X^2 B)", "X"): "B^T X^T + X^T B^T",
    ("108", "tr(X^T B X)", "X"): "B X + B^T X",
    ("109", "tr(B X X^T)", "X"): "B^T X + B X",
    ("110", "tr(X X^T B)", "X"): "B^T X + B X",
    ("111", "tr(X B X^T)", "X"): "X B^T + X B",
    ("112", "tr(B X^T X)", "X"): "X B + X B^T",
    ("113", "tr(X^T X B)", "X"): "X B + X B^T",
    ("114", "tr(A X B X)", "X"): "A^T X^T B^T + B^T X^T A^T",
    ("115", "tr(X^T X)", "X"): "2 X",
    ("115", "tr(X X^T)", "X"): "2 X",
    ("116", "tr(B^T X^T C X B)", "X"): "C X B B^T + C^T X B B^T",
    ("117", "tr(X^T B X C)", "X"): "B X C + B^T X C^T",
    ("118", "tr(A X B X^T C)", "X"): "A^T C^T X B^T + C A X B",
    ("119", "tr((A X B + C) (A X B + C)^T)", "X"): "2 A^T A X B B^T + 2 A^T C B^T",
    ("120", "tr(X) tr(X)", "X"): "2 tr(X) eye(n)",
    ("121", "tr(X^3)", "X"): "3 (X^T)^2",
    ("122", "tr(A X^3)", "X"): "A^T (X^T)^2 + X^T A^T X^T + (X^T)^2 A^T",
    (
        "123",
        "tr(B^T X^T C X X^T C X B)",
        "X",
    ): "C X X^T C X B B^T + C X B B^T X^T C X + C^T X B B^T X^T C^T X + C^T X X^T C^T X B B^T",
    ("124", "tr(A X^{-1} B)", "X"): "-X^{-T} A^T B^T X^{-T}",
    (
        "125",
        "tr((X^T C X)^{-1} A)",
        "X",
    ): "-H2 A (X^T C X)^{-1} - H2 A^T (X^T C X)^{-1}; H2 = C X (X^T C X)^{-1}",
    (
        "126",
        "tr((X^T C X)^{-1} (X^T B X))",
        "X",
    ): "-2 C X (X^T C X)^{-1} X^T B X (X^T C X)^{-1} + 2 B X (X^T C X)^{-1}",
    ("129", "||x - a||_2", "x"): "(x - a) / ||x - a||_2",
    ("131", "||x||_2^2", "x"): "2 x",
    ("132", "||X||_F^2", "X"): "2 X",
}
"""matcalc's closed form for each identity (equation, objective, variable)."""


def _shapes(identity: CookbookIdentity) -> dict[str, Any]:
    shapes: dict[str, Any] = dict(identity.shapes)
    for name in identity.symmetric:
        side = 5 if "X" in shapes else "k"
        shapes[name] = (side, side, "symmetric")
    return shapes


def _env(identity: CookbookIdentity, symbols: dict[str, Any], seed: int) -> dict[str, Any]:
    """Random values; square matrices get 3 I added, so that every inverse is well conditioned."""
    return well_conditioned(random_env(symbols, seed=seed, symmetric=identity.symmetric))


@pytest.mark.parametrize(
    "identity", IDENTITIES, ids=[f"({i.equation}) {i.objective} by {i.wrt}" for i in IDENTITIES]
)
def test_cookbook_identity(identity: CookbookIdentity) -> None:
    derivation = diff(identity.objective, identity.wrt, shapes=_shapes(identity))
    where = [(str(b.name), str(b.value)) for b in derivation.result_where]
    result = written(str(derivation.result), where)
    assert result == RESULTS[identity.equation, identity.objective, identity.wrt]
    symbols = derivation.shapes.symbols
    for seed in (0, 1):
        env = _env(identity, dict(symbols), seed)
        ours = evaluate(derivation.result, env, shapes=symbols, where=derivation.where)
        cookbook = evaluate(identity.closed_form, env, shapes=symbols)
        np.testing.assert_allclose(ours, cookbook, rtol=1e-9, atol=1e-12)
    assert_gradient_correct(derivation)
    assert derivation.citation is not None and derivation.citation.startswith("Matrix Cookbook")


def test_the_table_holds_forty_identities_of_section_2() -> None:
    distinct = {(i.objective, i.wrt) for i in IDENTITIES}
    assert len(distinct) >= 40
    kinds = {"det": 0, "X^{-1}": 0, "tr(": 0, "||": 0, "^T": 0}
    for identity in IDENTITIES:
        for kind in kinds:
            kinds[kind] += kind in identity.objective
    assert all(count >= 3 for count in kinds.values()), kinds


def test_identities_are_written_as_matcalc_prints_them() -> None:
    """Candidates are found by the printed text of the objective, so the table must hold it."""
    for identity in IDENTITIES:
        assert str(parse(identity.objective)) == identity.objective


def test_renamed_symbols_are_still_cited() -> None:
    derivation = diff("tr(P W Q)", "W")
    assert derivation.citation == "Matrix Cookbook eq. (101)"
    assert "the result is Matrix Cookbook eq. (101)" in derivation.text()
    assert str(derivation.result) == "P^T Q^T"
    assert_gradient_correct(derivation)
    longer = diff("tr(P W Q) + tr(W)", "W")
    assert longer.citation is None
    assert_gradient_correct(longer)


def test_symmetric_identities_are_cited_only_for_symmetric_constants() -> None:
    general = diff("(x - s)^T W (x - s)", "x")
    assert general.citation is None
    assert_gradient_correct(general)
    symmetric = diff("(x - s)^T W (x - s)", "x", shapes={"W": "k,k,symmetric"})
    assert symmetric.citation == "Matrix Cookbook eq. (85)"
    assert str(symmetric.factored()) == "2 W (x - s)"
    assert_gradient_correct(symmetric)
