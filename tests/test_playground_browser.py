"""The playground in a real browser: Debian's Chromium driven by Playwright, against
`matcalc serve` on a free loopback port. It types the seed's objective and reads the typeset
steps and result, switches the variable, declares a shape, opens a proof, gets a caret under a
typo, runs the numerical check, and reloads from the address; any console error fails it.

It takes the README's pictures: docs/playground.png, and docs/notebook.png (a notebook's HTML
output, the MathML derivation, rendered by Chromium), written into docs/ when
MATCALC_SCREENSHOTS=1 and into a temporary folder otherwise. With no Chromium or Playwright the
tests are skipped, unless MATCALC_REQUIRE_BROWSER=1 (CI) makes that a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import assert_gradient_correct, running

import matcalc

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
"""Chromium as root on a machine with no network: without the networking flags it keeps trying
to reach Google's hosts."""

DOCS = Path(__file__).parents[1] / "docs"
NOTEBOOK = Path(__file__).parents[1] / "notebooks" / "01-seed-walkthrough.ipynb"
SEED = "||X - D R||_F^2"
TIMEOUT_MS = 30_000


def _browser_or_skip() -> Any:
    missing = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing = "Playwright for Python is not installed"
    if CHROMIUM is None:
        missing = "no Chromium (apt-get install chromium)"
    if missing is not None:
        if os.environ.get("MATCALC_REQUIRE_BROWSER") == "1":
            pytest.fail(missing)
        pytest.skip(missing)
    return sync_playwright


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_playwright = _browser_or_skip()
    with sync_playwright() as playwright:
        found = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield found
        found.close()


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with running() as server:
        yield server.url


@pytest.fixture
def pictures(tmp_path: Path) -> Path:
    return DOCS if os.environ.get("MATCALC_SCREENSHOTS") == "1" else tmp_path


@pytest.fixture
def page(browser: Any, url: str) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1200, "height": 1500})
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    opened = context.new_page()
    opened.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    opened.on("console", lambda message: errors.append(message.text) if message.type == "error"
              else None)  # fmt: skip
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert errors == [], errors


def result_is(page: Any, text: str, derivation: matcalc.Derivation) -> None:
    """The typeset result is the one whose text form is `text`: `derivation`'s, the same
    problem derived here and checked by numbers."""
    assert str(derivation.result) == text
    assert_gradient_correct(derivation)
    page.wait_for_function(
        "text => document.getElementById('result').dataset.text === text"
        " && !document.body.classList.contains('working')",
        arg=text,
    )


def test_the_playground_derives_as_you_type(page: Any, url: str, pictures: Path) -> None:
    page.goto(url)
    page.fill("#expression", "")
    page.type("#expression", SEED, delay=15)
    result_is(page, "-2 X R^T + 2 D R R^T", matcalc.diff(SEED, "D"))
    # typeset: the steps are MathML, tagged as the seed tags them, with its sentences
    steps = page.locator("#derivation math[display='block']").first
    assert steps.locator("mfrac").count() > 0 and steps.locator("msup").count() > 0
    tags = page.locator("#derivation .matcalc-tag").all_text_contents()
    assert [tag.strip() for tag in tags if tag.strip()] == ["(1)", "(2)", "(3)"]
    assert "we've used the framework" in page.inner_text("#derivation")
    assert page.locator("#result math").count() == 1
    assert "def f_and_grad(X, D, R)" in page.inner_text("#code")
    assert page.input_value("#wrt") == "D"
    for button, copied in [
        ("#copy-text", "-2 X R^T + 2 D R R^T"),
        ("#copy-latex", matcalc.latex(matcalc.parse("-2 X R^T + 2 D R R^T"))),
        ("#copy-code", page.inner_text("#code")),
    ]:
        page.locator(button).click()
        page.wait_for_selector("#copied:has-text('copied')")
        assert page.evaluate("navigator.clipboard.readText()") == copied

    page.select_option("#wrt", "R")
    result_is(page, "-2 D^T X + 2 D^T D R", matcalc.diff(SEED, "R"))

    # a symbolic shape declared: X is k×n, so D is k×p
    row = page.locator("#symbols tr[data-name='X']")
    row.locator("select.kind").select_option("matrix")
    row.locator("input.rows").fill("k")
    row.locator("input.rows").press("Tab")
    page.wait_for_function(
        "() => document.querySelector(\"#symbols tr[data-name='D'] input.rows\").value === 'k'"
    )
    result_is(page, "-2 D^T X + 2 D^T D R", matcalc.diff(SEED, "R", shapes={"X": "k,n"}))
    assert page.locator("#symbols tr[data-name='X']").evaluate(
        "node => node.classList.contains('declared')"
    )

    proof = page.locator("#derivation details").first
    assert not proof.evaluate("node => node.open")
    proof.locator("summary").click()
    assert proof.evaluate("node => node.open")
    assert proof.locator("math").first.is_visible()

    page.locator("#check").click()
    page.wait_for_function(
        "() => /relative error/.test(document.getElementById('check-result').textContent)"
    )
    assert page.inner_text("#check-result").startswith("agrees with central differences")
    page.screenshot(path=str(pictures / "playground.png"), full_page=False)

    address = page.url
    assert "wrt=R" in address and "shape=X%3Dk%2Cn" in address
    page.reload()
    result_is(page, "-2 D^T X + 2 D^T D R", matcalc.diff(SEED, "R", shapes={"X": "k,n"}))
    assert page.input_value("#expression") == SEED
    assert page.input_value("#wrt") == "R"
    assert page.locator("#symbols tr[data-name='X'] input.rows").input_value() == "k"
    assert page.url == address

    # a size typed on a row still inferred declares that row, as the kind it was inferred
    row = page.locator("#symbols tr[data-name='D']")
    row.locator("input.cols").fill("q")
    row.locator("input.cols").press("Tab")
    page.wait_for_function(
        "() => document.querySelector(\"#symbols tr[data-name='R'] input.rows\").value === 'q'"
    )
    result_is(
        page, "-2 D^T X + 2 D^T D R", matcalc.diff(SEED, "R", shapes={"X": "k,n", "D": "k,q"})
    )
    assert "shape=D%3Dk%2Cq" in page.url


def test_a_typo_gets_a_caret_under_its_column(page: Any, url: str) -> None:
    page.goto(url)
    result_is(page, "-2 X R^T + 2 D R R^T", matcalc.diff(SEED, "D"))
    page.fill("#expression", "||X - D R|_F^2")
    page.wait_for_selector("#error:not([hidden])")
    assert page.inner_text("#error-message").startswith("syntax error at line 1, column 10")
    source, caret = page.inner_text("#error-caret").split("\n")
    assert source == "||X - D R|_F^2" and caret == " " * 9 + "^"
    # the caret's column sits under the input's: the same font, the same left edge
    box = page.locator("#error-caret").bounding_box()
    field = page.locator("#expression").bounding_box()
    assert abs(box["x"] - field["x"]) < 2
    assert page.locator("#answer").evaluate("node => node.classList.contains('stale')")
    page.fill("#expression", SEED)
    result_is(page, "-2 X R^T + 2 D R R^T", matcalc.diff(SEED, "D"))
    assert page.locator("#error").is_hidden()


def test_the_hessian_tab(page: Any, url: str) -> None:
    page.goto(f"{url}?e=x%5ET%20A%20x&wrt=x&tab=hessian")
    result_is(page, "A + A^T", matcalc.hessian("x^T A x", "x"))
    assert page.inner_text("#result-name").startswith("d²f/dx²")
    page.fill("#direction", "v")
    result_is(page, "A^T v + A v", matcalc.hessian("x^T A x", "x", direction="v"))
    assert "hvp" in page.inner_text("#code")
    page.locator("#check").click()
    page.wait_for_function(
        "() => /relative error/.test(document.getElementById('check-result').textContent)"
    )
    assert "of the gradient" in page.inner_text("#check-result")


def test_a_jacobian_is_named_as_one(page: Any, url: str) -> None:
    page.goto(f"{url}?e=A%20exp(x)&wrt=x")
    result_is(page, "diag(exp(x)) A^T", matcalc.diff("A exp(x)", "x"))
    assert page.inner_text("#result-name").startswith("d(A exp(x))/dx, ")


def test_a_notebook_shows_the_typeset_derivation(
    browser: Any, pictures: Path, tmp_path: Path
) -> None:
    html = tmp_path / "notebook.html"
    subprocess.run(
        [sys.executable, "-m", "nbconvert", "--to", "html", "--template", "basic",
         "--output", str(html), str(NOTEBOOK)],
        check=True, capture_output=True,
    )  # fmt: skip
    page = browser.new_page(viewport={"width": 1000, "height": 1300})
    page.goto(html.as_uri())
    derivation = page.locator(".matcalc-derivation").first
    derivation.scroll_into_view_if_needed()
    assert derivation.locator("math[display='block'] mtable").count() >= 1
    assert derivation.locator("mfrac").count() > 0
    derivation.screenshot(path=str(pictures / "notebook.png"))
    page.close()
