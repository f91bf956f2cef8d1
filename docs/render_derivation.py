"""Draws docs/derivation.png, the README's picture of a typeset derivation: the seed's
neural-network example as matcalc's LaTeX printer writes it, set by matplotlib's mathtext.

    python -m pip install matplotlib && python docs/render_derivation.py
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

import matcalc

OBJECTIVE, WRT = "||g(X W) - Y||_F^2", "W"


def main() -> None:
    derivation = matcalc.diff(OBJECTIVE, WRT)
    rows = [
        (r"\frac{df}{dW}" if i == 0 else "", matcalc.latex(step.expression), step.tag)
        for i, step in enumerate(derivation.steps)
    ]
    form = r"${}: {}\mapsto {}$"
    sentences = [
        f"For ({step.tag}) {step.sentence(matcalc.latex, form)}."
        for step in derivation.steps
        if step.tag is not None
    ]
    height = 0.62 * len(rows) + 0.34 * len(sentences) + 0.4
    figure = plt.figure(figsize=(10.5, height), dpi=150)
    y = 1 - 0.35 / height
    for left, right, tag in rows:
        figure.text(0.02, y, f"${left}$" if left else "", fontsize=15, va="center")
        figure.text(0.07, y, f"$= {right}$", fontsize=15, va="center")
        figure.text(0.97, y, f"({tag})" if tag else "", fontsize=13, va="center", ha="right")
        y -= 0.62 / height
    for sentence in sentences:
        figure.text(0.02, y, sentence, fontsize=11, va="center")
        y -= 0.34 / height
    figure.savefig(Path(__file__).with_name("derivation.png"), facecolor="white")


if __name__ == "__main__":
    main()
