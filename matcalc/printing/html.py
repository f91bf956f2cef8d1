"""HTML for notebooks: the tagged derivation, its sentences, and each rule's proof folded away in
a <details> block, as the seed's "Proof" blocks; the math is left to the notebook's typesetter."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from matcalc.printing.latex_derivation import proof_latex

if TYPE_CHECKING:
    from matcalc.derivation import Derivation


def derivation_html(derivation: Derivation) -> str:
    """The derivation's LaTeX as HTML: each align* displayed (a second derivative has two), each
    sentence a paragraph, then a collapsible proof per rule used."""
    parts = [
        f"<div>$${escape(chunk, quote=False)}$$</div>"
        if chunk.startswith("\\begin{align*}")
        else f"<p>{escape(chunk, quote=False)}</p>"
        for chunk in derivation.latex().split("\n\n")
    ]
    for rule in derivation.rules:
        proof = escape(proof_latex(rule), quote=False)
        parts.append(
            f"<details><summary>Proof ({escape(rule.name)})</summary>$${proof}$$</details>"
        )
    return '<div class="matcalc-derivation">\n' + "\n".join(parts) + "\n</div>"
