"""The %matcalc and %%matcalc magics: every flag of `matcalc diff`, the same text as the command
line, a display a notebook shows, and errors said without a traceback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from conftest import assert_gradient_correct
from IPython.core.interactiveshell import InteractiveShell

import matcalc
from matcalc import Derivation, Session, diff, parse
from matcalc.cli import main
from matcalc.ipython import Shown, matcalc_magic


@pytest.fixture(scope="module")
def shell() -> Iterator[InteractiveShell]:
    """An IPython shell with `%load_ext matcalc` run."""
    found = InteractiveShell.instance()
    found.run_line_magic("load_ext", "matcalc")
    yield found
    InteractiveShell.clear_instance()


def cli(args: list[str], capsys: Any) -> str:
    """What `matcalc ARGS` prints, without its last newline."""
    assert main(args) == 0
    out: str = capsys.readouterr().out
    return out.removesuffix("\n")


def test_magic_gives_the_derivation() -> None:
    shown = matcalc_magic('diff "||X W - Y||_F^2" --wrt W --shape X=m,n')
    assert isinstance(shown, Derivation)
    assert str(shown.result) == "2 X^T X W - 2 X^T Y"
    assert_gradient_correct(shown)


def test_load_ext_registers_a_line_and_cell_magic() -> None:
    registered: list[tuple[Any, str, str]] = []

    class Shell:
        def register_magic_function(self, function: Any, kind: str, name: str) -> None:
            registered.append((function, kind, name))

    matcalc.load_ipython_extension(Shell())
    assert registered == [(matcalc_magic, "line_cell", "matcalc")]


@pytest.mark.parametrize(
    "flags",
    [
        ["--check"],
        ["--factored"],
        ["--proofs"],
        ["--wrt", "R"],
        ["--factored", "--check", "--wrt", "R"],
    ],
    ids=["check", "factored", "proofs", "two-wrt", "all"],
)
def test_magic_honours_the_flags_as_the_command_line_does(flags: list[str], capsys: Any) -> None:
    args = ["diff", "||X - D R||_F^2", "--wrt", "D", *flags]
    shown = matcalc_magic(" ".join(f"'{arg}'" for arg in args))
    assert isinstance(shown, Shown)
    bundle = shown._repr_mimebundle_()
    assert bundle["text/plain"] == repr(shown) == cli(args, capsys)
    session = Session()
    derivations = [session.diff("||X - D R||_F^2", wrt) for wrt in ("D", "R") if wrt in args]
    for derivation in derivations:
        assert derivation.text() in bundle["text/plain"]
        assert derivation._repr_html_() in bundle["text/html"]
        assert_gradient_correct(derivation)
    if "--check" in flags:
        assert bundle["text/html"].count("check: agrees with central differences") == len(
            derivations
        )
    if "--factored" in flags:
        factored = matcalc.mathml(parse("2 (D R - X) R^T"))
        assert f"<p>Factored: {factored}</p>" in bundle["text/html"]
        assert_gradient_correct(derivations[0], result=parse("2 (D R - X) R^T"))
    if "--proofs" in flags:
        assert "proof of squared Frobenius norm:" in bundle["text/plain"]


def test_magic_json_is_a_json_display(capsys: Any) -> None:
    args = ["diff", "||g(X W) - Y||_F^2", "--wrt", "W", "--format", "json", "--check"]
    bundle = matcalc_magic(" ".join(f"'{arg}'" for arg in args))._repr_mimebundle_()
    assert bundle["application/json"] == json.loads(cli(args, capsys))
    assert bundle["text/plain"] == cli(args, capsys)
    data = bundle["application/json"]
    assert data["check"]["agrees"] is True
    derivation = diff(data["expression"], "W")
    assert parse(data["result"]) == derivation.result
    assert_gradient_correct(derivation)


def test_magic_latex_is_a_latex_display(capsys: Any) -> None:
    args = ["diff", "||X - D R||_F^2", "--wrt", "R", "--format", "latex", "--factored"]
    bundle = matcalc_magic(" ".join(f"'{arg}'" for arg in args))._repr_mimebundle_()
    assert bundle["text/latex"] == bundle["text/plain"] == cli(args, capsys)
    derivation = diff("||X - D R||_F^2", "R")
    assert bundle["text/latex"].startswith(derivation.latex())
    assert_gradient_correct(derivation)
    standalone = matcalc_magic(" ".join(f"'{arg}'" for arg in [*args, "--standalone"]))
    assert set(standalone._repr_mimebundle_()) == {"text/plain"}


def test_magic_ascii_is_plain_ascii_text() -> None:
    shown = matcalc_magic('diff "sum(X ⊙ X)" --wrt X --ascii')
    bundle = shown._repr_mimebundle_()
    assert set(bundle) == {"text/plain"} and bundle["text/plain"].isascii()
    assert bundle["text/plain"].splitlines()[0] == "f = sum(X .* X)"
    assert_gradient_correct(diff("sum(X ⊙ X)", "X"))


def test_magic_check_that_disagrees_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    right = Session.diff

    def wrong(self: Session, *args: Any, **options: Any) -> Derivation:
        return replace(right(self, *args, **options), result=parse("2 X R^T"))

    monkeypatch.setattr(Session, "diff", wrong)
    shown = matcalc_magic('diff "||X - D R||_F^2" --wrt D --check')
    assert "check: DISAGREES with central differences" in shown._repr_mimebundle_()["text/html"]


def test_cell_magic_takes_the_objective_over_several_lines(shell: InteractiveShell) -> None:
    shown = shell.run_cell_magic("matcalc", "diff --wrt W", "||g(X W)\n  - Y||_F^2\n")
    assert isinstance(shown, Derivation)
    assert str(shown.result) == "2 X^T ((g(X W) - Y) ⊙ g'(X W))"
    assert shown == diff("||g(X W) - Y||_F^2", "W")
    assert_gradient_correct(shown)
    line = shell.run_line_magic("matcalc", 'diff "||g(X W) - Y||_F^2" --wrt W --check')
    assert "check: agrees" in line._repr_mimebundle_()["text/plain"]


@pytest.mark.parametrize(
    ("line", "cell", "said"),
    [
        ("diff --wrt X", "sum(X ⊙\n  X +)", "matcalc: syntax error at line 2, column 6: "),
        ('diff "sum(X)" --wrt X', "sum(X)", "matcalc: value error: give the objective in the"),
        ("rules", "sum(X)", "matcalc: value error: %%matcalc rules takes no cell"),
        ("diff --wrt X", "  \n", "matcalc: value error: no objective"),
    ],
)
def test_cell_magic_errors(
    line: str, cell: str, said: str, shell: InteractiveShell, capsys: Any
) -> None:
    assert shell.run_cell_magic("matcalc", line, cell) is None
    out, err = capsys.readouterr()
    assert err.startswith(said) and "Traceback" not in out + err


@pytest.mark.parametrize(
    ("line", "said", "lines"),
    [
        ('diff "||X W" --wrt W', "matcalc: syntax error at line 1, column 6", 3),
        ("diff", "matcalc: usage error", 1),
        ('diff "X --wrt W', "matcalc: usage error", 1),
        ('diff "||X||_F^2" --wrt X --shape X=m,n --shape X=n,m', "matcalc: shape error", 1),
    ],
)
def test_magic_errors_show_the_place_without_a_traceback(
    line: str, said: str, lines: int, capsys: Any
) -> None:
    assert matcalc_magic(line) is None
    err = capsys.readouterr().err
    assert err.startswith(said) and len(err.splitlines()) == lines
    if lines == 3:
        assert err.splitlines()[1:] == ["||X W", "     ^"]


def test_magic_bug_is_one_line(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(Session, "diff", fail)
    assert matcalc_magic('diff "sum(X)" --wrt X') is None
    err = capsys.readouterr().err
    assert err.startswith("matcalc: internal error: RuntimeError: boom") and err.count("\n") == 1


def test_magic_writes_code(capsys: Any) -> None:
    assert matcalc_magic('codegen "||X - D R||_F^2" --wrt D --wrt R') is None
    assert capsys.readouterr().out == matcalc.codegen("||X - D R||_F^2", ["D", "R"]).rstrip() + "\n"


def test_magic_lists_the_rules_and_the_notation(capsys: Any) -> None:
    assert matcalc_magic("rules") is None
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == len(matcalc.RULES) + 2 + len(matcalc.SECOND_ORDER)
    assert matcalc_magic("notation") is None
    assert capsys.readouterr().out.startswith("Notation:")
    assert matcalc_magic("") is None
    assert capsys.readouterr().out.startswith("usage: matcalc")


def test_magic_shows_a_second_derivative() -> None:
    shown = matcalc_magic('hessian "x^T A x" --wrt x')
    assert isinstance(shown, matcalc.Derivation) and str(shown.result) == "A + A^T"
    assert matcalc.gradcheck(shown) < 1e-6
    bundle = matcalc_magic('hessian "||A X B - C||_F^2" --wrt X --direction V --check')
    assert "agrees with central differences of the gradient" in bundle.bundle["text/plain"]
