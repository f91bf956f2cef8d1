"""What a notebook shows: the derivation typeset, its sentences, each rule's proof folded (the
%matcalc magic: tests/test_magic.py)."""

from __future__ import annotations

from conftest import assert_gradient_correct, assert_well_formed

from matcalc import diff
from matcalc.printing.mathml import mathml


def test_mimebundle_has_html_latex_and_text() -> None:
    derivation = diff("||X - D R||_F^2", "D")
    assert_gradient_correct(derivation)
    bundle = derivation._repr_mimebundle_()
    assert bundle["text/plain"] == derivation.text()
    assert bundle["text/latex"] == derivation.latex()
    html = bundle["text/html"]
    assert html == derivation.html()
    assert_well_formed(html)
    assert html.count('<details class="matcalc-proof">') == len(derivation.rules) == 4
    assert "<summary>Proof (squared Frobenius norm)</summary>" in html
    assert f"<mtd>{mathml(derivation.result)}</mtd>" in html  # the closed form's row
    assert html.count('<p class="matcalc-sentence">For (') == 3
