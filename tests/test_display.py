"""What a notebook shows: the derivation typeset, its sentences, each rule's proof folded; and
the %matcalc magic."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import assert_gradient_correct

import matcalc
from matcalc import Derivation, diff
from matcalc.ipython import matcalc_magic


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


def test_magic_gives_the_derivation() -> None:
    shown = matcalc_magic('diff "||X W - Y||_F^2" --wrt W --shape X=m,n')
    assert isinstance(shown, Derivation)
    assert str(shown.result) == "2 X^T X W - 2 X^T Y"
    assert_gradient_correct(shown)


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ('diff "||X W" --wrt W', "matcalc: syntax error"),
        ("diff", "matcalc: usage error"),
        ('diff "X --wrt W', "matcalc: usage error"),
    ],
)
def test_magic_errors_are_one_line(line: str, said: str, capsys: Any) -> None:
    assert matcalc_magic(line) is None
    err = capsys.readouterr().err
    assert err.startswith(said) and len(err.splitlines()) == 1


def test_magic_writes_code(capsys: Any) -> None:
    assert matcalc_magic('codegen "||X - D R||_F^2" --wrt D --wrt R') is None
    assert capsys.readouterr().out == matcalc.codegen("||X - D R||_F^2", ["D", "R"])


def test_magic_lists_the_rules(capsys: Any) -> None:
    assert matcalc_magic("rules") is None
    assert len(capsys.readouterr().out.splitlines()) == len(matcalc.RULES)


def test_load_ext_registers_the_magic() -> None:
    registered: list[tuple[Any, str, str]] = []

    class Shell:
        def register_magic_function(self, function: Any, kind: str, name: str) -> None:
            registered.append((function, kind, name))

    matcalc.load_ipython_extension(Shell())
    assert registered == [(matcalc_magic, "line", "matcalc")]
