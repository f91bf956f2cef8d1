"""One direction of dependency, and a command line that loads only what its path needs."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import matcalc

PACKAGE = Path(matcalc.__file__).parent

LAYERS = [
    "errors",
    "limits",
    "expr",
    "traversal",
    "operations",
    "functions",
    "declarations",
    "shapes",
    "hints",
    "parse_errors",
    "parser",
    "latex_tokens",
    "latex_input",
    "definitions",
    "rules.rule",
    "rules.arithmetic",
    "rules.matrix_functions",
    "rules.softmax",
    "rules.normalization",
    "rules.kronecker",
    "rules.second_order",
    "rules",
    "cookbook",
    "simplify.terms",
    "simplify.atoms",
    "simplify.blocks",
    "simplify.factor",
    "simplify.products",
    "simplify.rewrites",
    "simplify.identities",
    "simplify.simplifier",
    "simplify.closed",
    "simplify.signs",
    "simplify.jacobian",
    "simplify.kronecker",
    "simplify.through",
    "simplify",
    "sharing",
    "sympy_forms.writer",
    "sympy_forms.reader",
    "sympy_forms",
    "notes",
    "derivation",
    "engine",
    "derive",
    "second_order",
    "session",
    "printing",
    "printing.text",
    "printing.latex",
    "printing.latex_derivation",
    "printing.mathml",
    "printing.html",
    "printing.json",
    "printing.ascii",
    "notation",
    "printing.python_writer",
    "printing.python",
    "numeric",
    "central_differences",
    "finite_differences",
    "generate",
]
"""Each module imports only modules listed before it, at load time and inside its functions
alike, except the imports in REACHING_UP. Imports under `if TYPE_CHECKING:` never run, so they
are not read."""

DISPLAY = (
    "a display hook or printed form: the node or derivation written by its printer (text, "
    "LaTeX, HTML, JSON), loaded when first asked for, so the core never loads printers at "
    "import (SymPy's core/_print_helpers.py)"
)
CONVENIENCE = (
    "a convenience of Derivation: hands the derivation to a higher layer (NumPy values, "
    "generated code), loaded only when called, so a derivation needs neither"
)
REACHING_UP: dict[tuple[str, str, str], str] = {
    ("expr", "Expr.__str__", "printing.text"): DISPLAY,
    ("expr", "Expr._repr_latex_", "printing.latex"): DISPLAY,
    ("derivation", "Derivation.text", "printing.text"): DISPLAY,
    ("derivation", "Derivation.latex", "printing.latex_derivation"): DISPLAY,
    ("derivation", "Derivation.html", "printing.html"): DISPLAY,
    ("derivation", "Derivation.to_dict", "printing.json"): DISPLAY,
    ("derivation", "Derivation.to_python", "generate"): CONVENIENCE,
    ("derivation", "Derivation.to_function", "generate"): CONVENIENCE,
    ("derivation", "Derivation.evaluate", "numeric"): CONVENIENCE,
}
"""The imports allowed to reach up the layers, as (module, function, imported module), each
with its reason. Every one is inside a function: none runs when its module loads."""

LOAD_TIME = "<load time>"
"""Where an import that runs when its module loads is said to be."""


def _source(module: str) -> str:
    path = PACKAGE / (module.replace(".", "/") + ".py")
    if not path.exists():
        path = PACKAGE / module.replace(".", "/") / "__init__.py"
    return path.read_text(encoding="utf-8")


def _is_module(name: str) -> bool:
    path = PACKAGE / name.replace(".", "/")
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _targets(node: ast.AST) -> set[str]:
    """The matcalc modules that an import statement or an `importlib.import_module("…")` names,
    without the `matcalc.` prefix; the package itself, the public API, is `matcalc`."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
        assert node.level == 0, "matcalc imports its modules by absolute name"
        names = [node.module or "", *(f"{node.module}.{alias.name}" for alias in node.names)]
    elif isinstance(node, ast.Call) and ast.unparse(node.func).endswith("import_module"):
        assert node.args and isinstance(node.args[0], ast.Constant), "a literal module name"
        names = [str(node.args[0].value)]
    else:
        return set()
    inside = {name.removeprefix("matcalc.") for name in names if name.startswith("matcalc.")}
    found = {name for name in inside if _is_module(name)}
    return found or ({"matcalc"} if "matcalc" in names else set())


def _imports(source: str) -> set[tuple[str, str]]:
    """(where, imported module) for each matcalc import in `source`: where is the qualified
    name of the function it sits in, or LOAD_TIME."""
    found: set[tuple[str, str]] = set()

    def visit(node: ast.AST, scope: tuple[str, ...], in_function: bool) -> None:
        where = ".".join(scope) if in_function else LOAD_TIME
        found.update((where, target) for target in _targets(node))
        kids = list(ast.iter_child_nodes(node))
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            kids = list(node.orelse)
        for kid in kids:
            if isinstance(kid, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                function = in_function or not isinstance(kid, ast.ClassDef)
                visit(kid, (*scope, kid.name), function)
            else:
                visit(kid, scope, in_function)

    visit(ast.parse(source), (), False)
    return found


def _upward(module: str, source: str) -> set[tuple[str, str]]:
    """The imports in `source`, read as `module`'s, of modules not listed before it, less those
    in REACHING_UP."""
    below = set(LAYERS[: LAYERS.index(module)])
    return {
        (where, target)
        for where, target in _imports(source)
        if target not in below and (module, where, target) not in REACHING_UP
    }


@pytest.mark.parametrize("module", LAYERS)
def test_modules_import_only_lower_layers(module: str) -> None:
    assert _upward(module, _source(module)) == set()


def test_each_import_reaching_up_is_inside_a_function_and_still_made() -> None:
    for module, where, target in REACHING_UP:
        assert where != LOAD_TIME and LAYERS.index(target) > LAYERS.index(module)
        assert (where, target) in _imports(_source(module)), (module, where, target)


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("from matcalc.numeric import evaluate", {(LOAD_TIME, "numeric")}),
        ("def f():\n    from matcalc.numeric import evaluate", {("f", "numeric")}),
        ("class D:\n    def f(self):\n        import matcalc.generate", {("D.f", "generate")}),
        ("class D:\n    from matcalc.generate import to_function", {(LOAD_TIME, "generate")}),
        ("def f():\n    from matcalc import numeric", {("f", "numeric")}),
        ("def f():\n    from matcalc import diff", {("f", "matcalc")}),
        ("def f():\n    importlib.import_module('matcalc.numeric')", {("f", "numeric")}),
        ("if TYPE_CHECKING:\n    from matcalc.numeric import evaluate", set()),
        ("def f():\n    def g():\n        from matcalc.printing import text",
         {("f.g", "printing"), ("f.g", "printing.text")}),
    ],
    ids=["load-time", "function", "method", "class-body", "submodule", "public-api", "dynamic",
         "typing-only", "nested"],
)  # fmt: skip
def test_an_upward_import_is_found_wherever_it_runs(
    source: str, found: set[tuple[str, str]]
) -> None:
    assert _imports(source) == found
    assert _upward("definitions", source) == found


def test_cli_imports_only_the_public_api() -> None:
    assert {target for _, target in _imports(_source("cli"))} == {
        "matcalc",
        "cli_check",
        "web.server",
    }
    assert {target for _, target in _imports(_source("cli_check"))} == {"matcalc"}


def test_the_playground_uses_the_public_api_and_the_command_line_only() -> None:
    """The server hands requests to the API, which runs the command line's own path on them."""
    assert {target for _, target in _imports(_source("web.server"))} == {"matcalc", "web.api"}
    assert {target for _, target in _imports(_source("web.api"))} == {"matcalc", "cli"}


def _modules_after(expression: str) -> set[str]:
    code = (
        "import sys, contextlib, io\n"
        "from matcalc.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    main(['diff', {expression!r}, '--wrt', 'W'])\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    return set(run.stdout.split())


def test_seed_example_needs_neither_sympy_nor_numpy() -> None:
    loaded = _modules_after("||g(X W) - Y||_F^2")
    assert "sympy" not in loaded and "numpy" not in loaded


def test_named_function_brings_in_sympy() -> None:
    assert "sympy" in _modules_after("||tanh(X W) - Y||_F^2")
