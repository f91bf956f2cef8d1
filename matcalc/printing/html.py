"""HTML for notebooks and the page: the derivation with its math in MathML, which browsers
typeset with no script (VS Code typesets no LaTeX in HTML), each rule's proof folded away."""

from __future__ import annotations

from typing import TYPE_CHECKING

from matcalc.printing.mathml import derivation_mathml

if TYPE_CHECKING:
    from matcalc.derivation import Derivation

STYLE = (
    "<style>"
    ".matcalc-lines > mtr > mtd:first-child { text-align: right; }"
    ".matcalc-lines > mtr > mtd:nth-child(3) { text-align: left; }"
    ".matcalc-tag { padding-left: 2em; }"
    'math { font-family: "STIX Two Math", "Latin Modern Math", "DejaVu Math TeX Gyre", math; }'
    "</style>"
)
"""What MathML Core leaves to the page: its table cells are centred, and parentheses grow with
what they hold only in a math font. The playground's stylesheet has the same rules (its policy
refuses a <style> in its content, which it drops)."""


def derivation_html(derivation: Derivation) -> str:
    """The derivation as HTML with MathML, as `derivation_mathml` writes it, with the style that
    aligns its steps."""
    return derivation_mathml(derivation, head=STYLE)
