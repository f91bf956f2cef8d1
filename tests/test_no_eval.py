"""User text is parsed by the grammar, never run: no module of the package calls eval, exec,
compile, sympify or parse_expr, and none of them ever sees a user's text."""

from __future__ import annotations

import ast
import builtins
import contextlib
import io
import re
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sympy
import sympy.parsing.sympy_parser
from conftest import assert_gradient_correct

import matcalc
import matcalc.generate
from matcalc import ErrorKind, MatcalcError, diff
from matcalc.cli import main
from matcalc.expr import Hadamard, Symbol
from matcalc.functions import _custom_class, _derivative_template
from matcalc.generate import python_function, to_function
from matcalc.shapes import Shapes

PACKAGE = Path(matcalc.__file__).parent
RUNS_TEXT = {"eval", "exec", "compile", "__import__", "sympify", "parse_expr", "S", "lambdify"}
"""Calls that turn a string into code or into a SymPy expression."""

AUDITED = {"generate.py": Counter({"compile": 1})}
"""The one place allowed to compile code: generate.to_function compiles the source that
python_function has just written from expression nodes (Derivation.to_function), once it has
audited it, never the user's text; nothing at its top level runs, the function is made from
its compiled body. test_to_function_compiles_only_written_source checks what it is given."""


def _called_names(tree: ast.AST) -> Counter[str]:
    names: Counter[str] = Counter()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            match node.func:
                case ast.Attribute(value=ast.Name(id="re"), attr="compile"):
                    pass  # a regular expression, not code
                case ast.Name(id=name) | ast.Attribute(attr=name):
                    names[name] += 1
    return names


def _runs_text(tree: ast.AST) -> Counter[str]:
    return Counter({name: n for name, n in _called_names(tree).items() if name in RUNS_TEXT})


@pytest.mark.parametrize(
    "module", sorted(p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py"))
)
def test_no_module_calls_what_runs_text(module: str) -> None:
    tree = ast.parse((PACKAGE / module).read_text(encoding="utf-8"))
    assert _runs_text(tree) == AUDITED.get(module, Counter())


def test_the_scan_finds_such_calls() -> None:
    tree = ast.parse("sp.sympify(text)\neval(text)\neval(more)\nre.compile(r'x')\nc.compile(t)\n")
    assert _runs_text(tree) == Counter({"sympify": 1, "eval": 2, "compile": 1})


def test_to_function_compiles_only_written_source(monkeypatch: pytest.MonkeyPatch) -> None:
    """What generate.to_function compiles and runs is python_function's source, whose every
    name is a Python identifier: read as a tree (ast.parse), audited, and that tree compiled."""
    compiled: list[Any] = []
    original = builtins.compile

    def spy(source: Any, filename: str, *args: Any, **kwargs: Any) -> Any:
        if filename.startswith("<matcalc"):
            compiled.append(source)
        return original(source, filename, *args, **kwargs)

    monkeypatch.setattr(builtins, "compile", spy)
    derivations = [diff(f"||tanh({MARK} W) - Y||_F^2", w) for w in (MARK, "W")]
    function = to_function(derivations)
    assert compiled[:1] == [python_function(derivations)] == [function.__matcalc_source__]
    assert len(compiled) == 2 and ast.dump(compiled[1]) == ast.dump(ast.parse(compiled[0]))
    names = {node.id for node in ast.walk(ast.parse(compiled[0])) if isinstance(node, ast.Name)}
    assert {MARK, "W", "Y"} <= names and all(name.isidentifier() for name in names)


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("    eval('1')", "a call of eval"),
        ("    __import__('os')", "a call of __import__"),
        ("    y = X.__dict__", "the name __dict__"),
        ("    import os", "the import 'import os'"),
        ("    X.__class__", "the name __class__"),
        ("    open('f')", "a call of open"),
        ("    del X", "a Delete statement"),
        ("    y = lambda: 0", "a Lambda"),
        ("    @print\n    def inner(): pass", "default values or decorators"),
    ],
)
def test_generated_code_is_audited_before_it_is_compiled(
    line: str, said: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Were anything but what the code writer writes to reach the source, it is refused and
    nothing is compiled or run: the audit is a gate, not a filter of the user's text."""
    compiled: list[Any] = []
    original = builtins.compile

    def spy(source: Any, filename: str, *args: Any, **kwargs: Any) -> Any:
        if filename.startswith("<matcalc") and not isinstance(source, str):
            compiled.append(source)
        return original(source, filename, *args, **kwargs)

    derivation = diff("sum(X ⊙ X)", "X")
    assert str(derivation.result) == "2 X"
    assert_gradient_correct(derivation)
    written = python_function([derivation])
    tampered = written.replace("    xp = ", f"{line}\n    xp = ", 1)
    assert tampered != written
    monkeypatch.setattr(builtins, "compile", spy)
    monkeypatch.setattr(matcalc.generate, "python_function", lambda *_: tampered)
    with pytest.raises(MatcalcError, match=f"the generated code holds {re.escape(said)}") as raised:
        to_function([derivation])
    assert raised.value.kind is ErrorKind.VALUE
    assert compiled == []


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


@pytest.mark.parametrize("dimension", ['n"); import os; ("', "n{__import__('os')}", "n m"])
def test_dimension_names_never_reach_compiled_code(
    dimension: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The generated size checks write dimension names into messages: a name that is not an
    identifier is refused at the declaration, or in a Shapes built by hand when the code is
    written, before anything is compiled."""
    compiled: list[str] = []
    original = builtins.compile

    def spy(source: Any, filename: str, *args: Any, **kwargs: Any) -> Any:
        compiled.append(filename)
        return original(source, filename, *args, **kwargs)

    monkeypatch.setattr(builtins, "compile", spy)
    with pytest.raises(MatcalcError, match="a dimension is a positive integer or a name"):
        to_function(diff("||X W||_F^2", "W", shapes={"X": (dimension, "k")}))
    derivation = diff("||X W||_F^2", "W", shapes={"X": ("rows", "k")})
    symbols = {**derivation.shapes.symbols, "X": (dimension, "k")}
    hand_built = Shapes(symbols, derivation.shapes.bindings, derivation.shapes.symmetric)
    by_hand = matcalc.derive(derivation.objective, "W", hand_built, matcalc.Options())
    with pytest.raises(MatcalcError, match="a dimension is a positive integer or a name") as raised:
        to_function(by_hand)
    assert raised.value.kind is ErrorKind.SHAPE
    assert not [name for name in compiled if name.startswith("<matcalc")]
    function = to_function(derivation)
    with pytest.raises(ValueError, match=r"W has shape \(5, 2\), not k×m = \(4, 2\) \(k from X\)"):
        function(np.ones((3, 4)), np.ones((5, 2)))
    assert_gradient_correct(derivation)


@pytest.mark.parametrize("name", ["Q=__import__('os')", "X; import os", "1X"])
def test_symbol_names_never_reach_compiled_code(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A symbol's name is a variable of the generated code: a hand-built node with a name that
    is not one is refused by derive, and a Derivation built by hand around one by the code
    writer, before anything is compiled."""
    compiled: list[str] = []
    original = builtins.compile

    def spy(source: Any, filename: str, *args: Any, **kwargs: Any) -> Any:
        compiled.append(filename)
        return original(source, filename, *args, **kwargs)

    monkeypatch.setattr(builtins, "compile", spy)
    objective = matcalc.parse("sum(X ⊙ Y)")
    with pytest.raises(MatcalcError, match="is not a name matcalc reads") as raised:
        matcalc.derive(objective.rebuild((Hadamard(Symbol("X"), Symbol(name)),)), "X")
    assert raised.value.kind is ErrorKind.NAME
    derivation = diff("sum(X ⊙ Y)", "X")
    symbols = {**derivation.shapes.symbols, name: derivation.shapes.symbols["Y"]}
    renamed = Shapes(symbols, derivation.shapes.bindings, derivation.shapes.symmetric)
    by_hand = replace(derivation, shapes=renamed)
    with pytest.raises(MatcalcError, match="is not a name that code can hold"):
        to_function(by_hand)
    assert not [found for found in compiled if found.startswith("<matcalc")]
    assert str(derivation.result) == "Y"
    assert_gradient_correct(derivation)
