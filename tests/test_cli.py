"""The command line: the derivation in text, LaTeX and JSON; the rule table; exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace

import pytest
from cases import DERIVATIVES
from conftest import assert_gradient_correct

from matcalc import RULES, diff, parse
from matcalc.cli import main


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "matcalc", *args], capture_output=True, text=True, timeout=60
    )


def test_text_shows_steps_and_closed_form() -> None:
    done = run("diff", "||X - D R||_F^2", "--wrt", "D")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "f = ||X - D R||_F^2"
    assert "  = df/d(D R) R^T" in lines
    assert any(
        line.strip().startswith("(1) right matrix multiplication: we've used") for line in lines
    )
    assert lines[-1] == "df/dD = -2 X R^T + 2 D R R^T"
    derivation = diff("||X - D R||_F^2", "D")
    assert_gradient_correct(derivation, result=parse(lines[-1].removeprefix("df/dD = ")))


def test_json_has_the_contract_fields(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "||g(X W) - Y||_F^2", "--wrt", "W", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) >= {"expression", "wrt", "result", "result_latex", "steps"}
    assert data["result"] == "2 X^T ((g(X W) - Y) ⊙ g'(X W))"
    assert [s["tag"] for s in data["steps"]] == [1, 2, 3, 4, None]
    assert set(data["steps"][0]) == {"tag", "rule", "expression", "latex", "justification"}
    derivation = diff(data["expression"], data["wrt"])
    assert parse(data["result"]) == derivation.result
    assert_gradient_correct(derivation)


def test_latex_is_an_align(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "||X - D R||_F^2", "--wrt", "R", "--format", "latex"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("\\begin{align*}")
    assert "\\tag{3}" in out and "For (1) we've used the framework" in out
    derivation = diff("||X - D R||_F^2", "R")
    assert derivation.latex() == out.rstrip("\n")
    assert_gradient_correct(derivation)


def test_shapes_and_factored_form(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["diff", "||A x - b||_2^2", "--wrt", "x", "--shape", "A=m,n", "--factored"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "df/dx = 2 A^T A x - 2 A^T b" in out
    assert "factored: 2 A^T (A x - b)" in out
    derivation = diff("||A x - b||_2^2", "x", shapes={"A": "m,n"})
    assert derivation.shape == ("n", 1)
    assert_gradient_correct(derivation)
    assert_gradient_correct(derivation, result=parse("2 A^T (A x - b)"))


def test_scalar_shape_declaration(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "||c X||_F^2", "--wrt", "c", "--shape", "c=scalar"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "df/dc = 2 c sum(X ⊙ X)"
    assert_gradient_correct(diff("||c X||_F^2", "c", shapes={"c": "scalar"}))


def test_bad_shape_flag_is_a_user_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "||X||_F^2", "--wrt", "X", "--shape", "X"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("matcalc: shape error") and len(err.splitlines()) == 1


def test_rules_lists_the_table() -> None:
    done = run("rules")
    assert done.returncode == 0
    assert "right matrix multiplication" in done.stdout
    assert "df/dX = df/dG W^T" in done.stdout
    assert "f: G ↦ ||G||_F^2" in done.stdout
    latex = run("rules", "--format", "latex")
    assert "\\mapsto" in latex.stdout
    listed = done.stdout.splitlines()
    assert len(listed) == len(RULES) == len(latex.stdout.splitlines())
    for rule, line, tex in zip(RULES, listed, latex.stdout.splitlines(), strict=True):
        assert line.startswith(rule.name) and rule.name in tex
        if rule.cites:
            assert f"Matrix Cookbook eq. ({rule.cites})" in line


def test_console_script_entry_point() -> None:
    from importlib.metadata import entry_points

    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "matcalc"]
    assert script.value == "matcalc.cli:main"


def test_missing_wrt_is_an_argparse_error() -> None:
    done = run("diff", "||X||_F^2")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr


def test_output_is_byte_identical_whatever_the_hash_seed() -> None:
    calls = [
        ["diff", case.expression, "--wrt", case.wrt, "--format", form, "--factored"]
        + [f"--shape={name}={','.join(map(str, dims)) or 'scalar'}" for name, dims in shapes]
        for _, case in DERIVATIVES
        for shapes in [(case.shapes or {}).items()]
        for form in ("text", "latex", "json")
    ]
    code = (
        "import json, sys\n"
        "from matcalc.cli import main\n"
        "for argv in json.loads(sys.stdin.read()):\n"
        "    main(argv)\n"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            input=json.dumps(calls).encode(),
            capture_output=True,
            timeout=120,
            env={**os.environ, "PYTHONHASHSEED": seed},
            check=True,
        ).stdout
        for seed in ("0", "1", "4242")
    }
    assert len(outputs) == 1
    assert outputs.pop().count(b"df/d") >= len(DERIVATIVES)


def test_proofs_of_the_rules_used() -> None:
    done = run("diff", "||X - D R||_F^2", "--wrt", "D", "--proofs")
    assert done.returncode == 0
    used = ["right matrix multiplication", "negation", "matrix addition", "squared Frobenius norm"]
    assert [line for line in done.stdout.splitlines() if line.startswith("proof of ")] == [
        f"proof of {name}:" for name in used
    ]
    assert_gradient_correct(diff("||X - D R||_F^2", "D"))
    latex = run("diff", "||X - D R||_F^2", "--wrt", "D", "--format", "latex", "--proofs")
    assert latex.stdout.count("\\begin{align*}") == 1 + len(used)
    proofs = run("rules", "--proofs").stdout
    assert all(line in proofs for rule in RULES for line in rule.proof)


def test_standalone_latex_document() -> None:
    done = run("diff", "tr(A X B)", "--wrt", "X", "--format", "latex", "--standalone")
    lines = done.stdout.splitlines()
    assert lines[0] == "\\documentclass{article}" and lines[-1] == "\\end{document}"
    assert "\\usepackage{amsmath,amssymb}" in lines and "\\begin{document}" in lines
    assert_gradient_correct(diff("tr(A X B)", "X"))
    refused = run("diff", "tr(X)", "--wrt", "X", "--standalone")
    assert refused.returncode == 2 and "--format latex" in refused.stderr


@pytest.mark.parametrize(
    ("expression", "inputs"),
    [("||X - D R||_F^2", "[-1, 1]"), ("sum(log(X D))", "[0.5, 1.5]")],
)
def test_check_against_central_differences(expression: str, inputs: str) -> None:
    done = run("diff", expression, "--wrt", "D", "--check")
    last = done.stdout.splitlines()[-1]
    assert done.returncode == 0 and last.startswith("check: agrees with central differences")
    assert f"random inputs in {inputs}, float64" in last
    error = float(last.split("relative error ")[1].split()[0])
    assert error < 1e-6
    data = json.loads(run("diff", expression, "--wrt", "D", "--check", "--format", "json").stdout)
    assert data["check"].startswith("check: agrees")
    assert_gradient_correct(diff(expression, "D"), positive=inputs == "[0.5, 1.5]")


def test_check_says_when_a_result_disagrees() -> None:
    from matcalc.cli import _check

    derivation = diff("||X - D R||_F^2", "D")
    wrong = replace(derivation, result=parse("2 X R^T"))
    assert _check(wrong).startswith("check: DISAGREES with central differences")
