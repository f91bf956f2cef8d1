"""The notebooks run from a clean kernel (nbclient) without error, and what they show for the
derivations is what is stored in them.

After a change that alters a derivation, record the notebooks' outputs again with
`python tests/test_notebooks.py`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))
COMPARED = ("text/plain", "text/latex", "text/html")
"""What must match: the text, the LaTeX, and the HTML with its MathML."""


def execute(path: Path) -> Any:
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3").execute(cwd=str(path.parent))
    return notebook


def shown(notebook: Any) -> list[list[str]]:
    """Per code cell, its outputs' text and LaTeX, and its printed text."""
    cells = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        seen: list[str] = []
        printed = False  # the kernel may cut printed text into pieces anywhere: join them
        for output in cell.outputs:
            if output.output_type == "stream" and printed:
                seen[-1] += output.text
            elif output.output_type == "stream":
                seen.append(output.text)
            printed = output.output_type == "stream"
            for mime in COMPARED:
                if mime in output.get("data", {}):
                    seen.append(output["data"][mime])
        cells.append(seen)
    return cells


def test_there_are_four_notebooks() -> None:
    assert [path.name for path in NOTEBOOKS] == [
        "01-seed-walkthrough.ipynb",
        "02-formula-list.ipynb",
        "03-machine-learning-gallery.ipynb",
        "04-second-order.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_notebook_runs_and_shows_what_is_stored(path: Path) -> None:
    stored = shown(nbformat.read(path, as_version=4))
    fresh = shown(execute(path))
    assert any(stored), "the notebook is stored without its outputs"
    assert fresh == stored


def record() -> None:
    """Execute every notebook and store its outputs."""
    for path in NOTEBOOKS:
        nbformat.write(execute(path), path)
        print(f"recorded {path.name}")


if __name__ == "__main__":
    sys.exit(record())


def test_html_export_typesets_the_derivations() -> None:
    """nbconvert's HTML holds each derivation as MathML, which a browser typesets with no
    script (tests/test_playground_browser.py looks), tagged, with each rule's proof in a
    <details> block."""
    from nbconvert import HTMLExporter

    html, _ = HTMLExporter().from_notebook_node(nbformat.read(NOTEBOOKS[0], as_version=4))
    assert html.count('<math display="block">') >= 3
    for tag in range(1, 11):
        assert f'<mtd class="matcalc-tag"><mtext>({tag})</mtext></mtd>' in html
    assert html.count("<summary>Proof (") >= 12
    assert "For (8) we've used the framework with the matrix-to-matrix function" in html


SEED_STEPS = [
    "(1) left matrix multiplication: we've used the framework with the matrix-to-matrix function "
    "G: W ↦ X W",
    "(2) elementwise function application: we've used the framework with the matrix-to-matrix "
    "function G: X W ↦ g(X W)",
    "(3) matrix addition: we've used the framework with the matrix-to-matrix function "
    "G: g(X W) ↦ g(X W) - Y",
    "(4) squared Frobenius norm: we've used the framework with the matrix-to-scalar function "
    "f: g(X W) - Y ↦ ||g(X W) - Y||_F^2",
    "(5) right matrix multiplication: we've used the framework with the matrix-to-matrix function "
    "G: D ↦ D R",
    "(6) matrix addition: we've used the framework with the matrix-to-matrix function "
    "G: -D R ↦ X - D R",
    "(7) squared Frobenius norm: we've used the framework with the matrix-to-scalar function "
    "f: X - D R ↦ ||X - D R||_F^2",
    "(8) left matrix multiplication: we've used the framework with the matrix-to-matrix function "
    "G: R ↦ D R",
    "(9) matrix addition: we've used the framework with the matrix-to-matrix function "
    "G: -D R ↦ X - D R",
    "(10) squared Frobenius norm: we've used the framework with the matrix-to-scalar function "
    "f: X - D R ↦ ||X - D R||_F^2",
]
"""The article's steps: its tags, and the function G (or f) of each."""


def test_seed_walkthrough_follows_the_article_step_for_step() -> None:
    stored = shown(nbformat.read(NOTEBOOKS[0], as_version=4))
    printed = "\n".join(text for cell in stored for text in cell)
    listed = [line for line in printed.splitlines() if line.startswith("(")]
    assert listed == SEED_STEPS
    assert printed.count("relative error below 1e-6: True") == 3


def test_second_order_notebook_shows_its_results_checked() -> None:
    """The stored notebook shows the closed forms the issue names, every numeric check True,
    Newton's method converged and the conjugate-gradient step equal to a dense solve."""
    stored = shown(nbformat.read(NOTEBOOKS[3], as_version=4))
    printed = "\n".join(text for cell in stored for text in cell)
    assert "d²f/dw² = X^T diag(y ⊙ (H1 ⊙ (1 - H1)) ⊙ y) X + lambda eye(n)" in printed
    assert "d²f/dvec(X)² = 2 (eye(n) ⊗ A^T A)" in printed
    assert "d²f/dx² = A + A^T" in printed
    assert printed.count(": True") == 11
    assert "False" not in printed
    assert "|g| = 7.2e-09" in printed
    assert "CG step agrees with the dense solve: True" in printed
    assert "check: agrees with central differences" in printed
