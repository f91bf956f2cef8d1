"""User text is parsed by the grammar, never run: no module of the package calls eval, exec,
compile, sympify or parse_expr, and none of them ever sees a user's text."""

from __future__ import annotations

import ast
import builtins
import contextlib
import io
from pathlib import Path
from typing import Any

import pytest
import sympy
import sympy.parsing.sympy_parser
from conftest import assert_gradient_correct

import matcalc
from matcalc import MatcalcError, diff
from matcalc.cli import main
from matcalc.functions import _custom_class, _derivative_template

PACKAGE = Path(matcalc.__file__).parent
RUNS_TEXT = {"eval", "exec", "compile", "__import__", "sympify", "parse_expr", "S", "lambdify"}
"""Calls that turn a string into code or into a SymPy expression."""


def _called_names(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            match node.func:
                case ast.Name(id=name) | ast.Attribute(attr=name):
                    names.add(name)
    return names


@pytest.mark.parametrize(
    "module", sorted(p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py"))
)
def test_no_module_calls_what_runs_text(module: str) -> None:
    tree = ast.parse((PACKAGE / module).read_text(encoding="utf-8"))
    assert not _called_names(tree) & RUNS_TEXT


def test_the_scan_finds_such_calls() -> None:
    tree = ast.parse("import sympy as sp\nsp.sympify(text)\neval(text)\n")
    assert _called_names(tree) & RUNS_TEXT == {"sympify", "eval"}


MARK = "Zqx"
HOSTILE = [
    f"||tanh({MARK} W) - Y||_F^2",
    f"sum(sigmoid({MARK}) ⊙ relu({MARK}) + log(exp({MARK})))",
    f"sum(abs({MARK}) + sqrt(exp({MARK})))",
    f"sum({MARK.lower()}({MARK}))",  # an unknown function
    f"__import__('os').system('echo {MARK}')",
    f"sum(exec({MARK}))",
    f"{MARK}; import os",
]


def test_user_text_never_reaches_what_runs_text(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    def spy(original: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            seen.extend(str(a) for a in args if isinstance(a, str | bytes))
            return original(*args, **kwargs)

        return wrapper

    for owner, name in [
        (builtins, "eval"),
        (builtins, "exec"),
        (builtins, "compile"),
        (sympy, "sympify"),
        (sympy.parsing.sympy_parser, "parse_expr"),
    ]:
        monkeypatch.setattr(owner, name, spy(getattr(owner, name)))
    _derivative_template.cache_clear()  # so that SymPy works the derivatives out again
    _custom_class.cache_clear()
    derived = []
    for text in HOSTILE:
        with contextlib.suppress(MatcalcError):
            derived.append(diff(text, MARK))
            derived[-1].latex()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            main(["diff", text, "--wrt", MARK, "--format", "json"])
    assert len(derived) == 3
    assert not [s for s in seen if MARK in s]
    for derivation in derived:
        assert_gradient_correct(derivation, positive=True)
