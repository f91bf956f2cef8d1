"""HTML for notebooks: the tagged derivation, its sentences, and each rule's proof folded away in
a <details> block, as the seed's "Proof" blocks; the math is left to the notebook's typesetter."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from matcalc.printing.latex import proof_latex

if TYPE_CHECKING:
    from matcalc.derivation import Derivation


def derivation_html(derivation: Derivation) -> str:
    """The derivation's LaTeX as HTML paragraphs, then a collapsible proof per rule used."""
    body, *sentences = derivation.latex().split("\n\n")
    parts = [f"<div>$${escape(body, quote=False)}$$</div>"]
    parts += [f"<p>{escape(sentence, quote=False)}</p>" for sentence in sentences]
    for rule in derivation.rules:
        proof = escape(proof_latex(rule), quote=False)
        parts.append(
            f"<details><summary>Proof ({escape(rule.name)})</summary>$${proof}$$</details>"
        )
    return '<div class="matcalc-derivation">\n' + "\n".join(parts) + "\n</div>"
