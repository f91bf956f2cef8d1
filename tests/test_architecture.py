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
    "rules",
    "cookbook",
    "simplify.terms",
    "simplify.atoms",
    "simplify.factor",
    "simplify.rewrites",
    "simplify.simplifier",
    "simplify.closed",
    "simplify.signs",
    "simplify.jacobian",
    "simplify",
    "sharing",
    "sympy_forms.writer",
    "sympy_forms.reader",
    "sympy_forms",
    "notes",
    "derivation",
    "engine",
    "derive",
    "session",
    "printing",
    "printing.text",
    "printing.latex",
    "printing.html",
    "printing.json",
    "printing.ascii",
    "printing.python",
    "numeric",
    "finite_differences",
    "generate",
]
"""Each module imports, at load time, only modules listed before it. Imports inside a function
(the display hooks) and under `if TYPE_CHECKING:` are not at load time, so they are not read."""


def _module_imports(module: str) -> set[str]:
    path = PACKAGE / (module.replace(".", "/") + ".py")
    if not path.exists():
        path = PACKAGE / module.replace(".", "/") / "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("matcalc."):
            found.add(node.module.removeprefix("matcalc."))
        if isinstance(node, ast.Import):
            found |= {a.name.removeprefix("matcalc.") for a in node.names if "matcalc." in a.name}
    return found


@pytest.mark.parametrize("module", LAYERS)
def test_modules_import_only_lower_layers(module: str) -> None:
    allowed = set(LAYERS[: LAYERS.index(module)])
    assert _module_imports(module) <= allowed


def test_cli_imports_only_the_public_api() -> None:
    assert _module_imports("cli") == set()
    assert "import matcalc" in (PACKAGE / "cli.py").read_text(encoding="utf-8")


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
