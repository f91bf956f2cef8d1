"""What a notebook shows: the derivation typeset, its sentences, each rule's proof folded (the
%matcalc magic: tests/test_magic.py)."""

from __future__ import annotations

from conftest import assert_gradient_correct

from matcalc import diff


def test_mimebundle_has_html_latex_and_text() -> None:
    derivation = diff("||X - D R||_F^2", "D")
    assert_gradient_correct(derivation)
    bundle = derivation._repr_mimebundle_()
    assert bundle["text/plain"] == derivation.text()
    assert bundle["text/latex"] == derivation.latex()
    html = bundle["text/html"]
    assert html.count("<details>") == len(derivation.rules) == 4
    assert "<summary>Proof (squared Frobenius norm)</summary>" in html
    assert "&amp;= -2 X\\cdot R^T + 2 D\\cdot R\\cdot R^T" in html  # & escaped for HTML
    assert html.count("<p>For (") == 3
