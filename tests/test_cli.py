"""The command line: the derivation in text, LaTeX and JSON; the rule table; exit codes; errors
with a caret; ASCII output; several variables; the objective from stdin or a file; help."""

from __future__ import annotations

import inspect
import io
import json
import os
import shlex
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from cases import DERIVATIVES
from conftest import assert_gradient_correct

import matcalc
from matcalc import (
    RULES,
    SECOND_ORDER,
    ErrorKind,
    MatcalcError,
    Session,
    diff,
    gradcheck,
    parse,
    to_ascii,
)
from matcalc.cli import EXAMPLES, main
from matcalc.notation import NOTATION, notation_summary


def run(
    *args: str, input: str | None = None, encoding: str = "utf-8"
) -> subprocess.CompletedProcess[str]:
    """`matcalc ARGS` in a fresh interpreter whose standard streams use `encoding`."""
    return subprocess.run(
        [sys.executable, "-m", "matcalc", *args],
        capture_output=True,
        input=input,
        text=True,
        encoding=encoding,
        timeout=60,
        env={**os.environ, "PYTHONIOENCODING": encoding},
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
    listed, typeset = done.stdout.splitlines(), latex.stdout.splitlines()
    first = len(RULES)
    assert len(listed) == len(typeset) == first + 2 + len(SECOND_ORDER)
    for rule, line, tex in zip(RULES, listed[:first], typeset[:first], strict=True):
        assert line.startswith(rule.name) and rule.name in tex
        if rule.cites:
            assert f"Matrix Cookbook eq. ({rule.cites})" in line
    assert listed[first + 1].startswith("second order")
    for found, line, tex in zip(SECOND_ORDER, listed[-5:], typeset[-5:], strict=True):
        assert line.startswith(found.name) and found.statement in line and found.latex in tex


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
    assert data["check"]["agrees"] is True and data["check"]["inputs"] == inputs
    assert 0 <= data["check"]["relative_error"] < data["check"]["tolerance"] == 1e-6
    assert_gradient_correct(diff(expression, "D"), positive=inputs == "[0.5, 1.5]")


def test_check_of_a_zero_gradient_agrees() -> None:
    done = run("diff", "tr(X^{-1} A X)", "--wrt", "X", "--check")
    assert done.returncode == 0, done.stdout
    lines = done.stdout.splitlines()
    assert lines[-2] == "df/dX = 0"
    assert lines[-1].startswith("check: agrees with central differences")
    derivation = diff("tr(X^{-1} A X)", "X")
    assert all(gradcheck(derivation, seed=seed) < 1e-6 for seed in range(5))


@pytest.mark.parametrize("wrong", ["A^T", "1e-3 A", "X"])
def test_check_on_the_scale_of_f_still_tells_a_wrong_gradient(wrong: str) -> None:
    derivation = replace(diff("tr(X^{-1} A X)", "X"), result=parse(wrong))
    assert gradcheck(derivation) > 1e-3


def _disagreeing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every derivation the command line makes gets the wrong result 2 X R^T."""
    right = Session.diff

    def wrong(self: Session, *args: Any, **options: Any) -> matcalc.Derivation:
        return replace(right(self, *args, **options), result=parse("2 X R^T"))

    monkeypatch.setattr(Session, "diff", wrong)


def test_check_that_disagrees_exits_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _disagreeing(monkeypatch)
    assert main(["diff", "||X - D R||_F^2", "--wrt", "D", "--check"]) == 1
    assert capsys.readouterr().out.splitlines()[-1].startswith("check: DISAGREES")
    assert main(["diff", "||X - D R||_F^2", "--wrt", "D", "--check", "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["check"]["agrees"] is False and data["check"]["relative_error"] > 1e-6
    assert main(["diff", "||X - D R||_F^2", "--wrt", "D"]) == 0  # nothing checked, nothing said


# errors


def test_user_error_shows_the_line_and_a_caret() -> None:
    done = run("diff", "sum(X ⊙ ⊙ Y)", "--wrt", "X")
    assert done.returncode == 2 and done.stdout == ""
    message, line, caret = done.stderr.splitlines()
    assert message.startswith("matcalc: syntax error at line 1, column 9: ")
    assert line == "sum(X ⊙ ⊙ Y)" and caret == " " * 8 + "^"
    assert "Traceback" not in done.stderr


def test_an_error_without_a_place_is_one_line() -> None:
    done = run("diff", "||X||_F^2", "--wrt", "Y")
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1
    assert done.stderr.startswith("matcalc: ")


@pytest.mark.parametrize(
    ("raised", "said", "code"),
    [
        (RuntimeError("boom"), "matcalc: internal error: RuntimeError: boom (a bug in matcalc", 70),
        (RecursionError(), "matcalc: internal error: RecursionError", 70),
        (ValueError("a\nlong\n" + "x" * 500), "matcalc: internal error: ValueError: a long xx", 70),
        (KeyboardInterrupt(), "matcalc: interrupted", 130),
    ],
)
def test_a_bug_is_one_line_and_exit_70(
    raised: BaseException, said: str, code: int, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    def fail(*args: Any, **kwargs: Any) -> None:
        raise raised

    monkeypatch.setattr(Session, "diff", fail)
    assert main(["diff", "||X - D R||_F^2", "--wrt", "D"]) == code
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(said) and err.count("\n") == 1


# ASCII


def test_output_falls_back_to_ascii_where_unicode_cannot_be_encoded() -> None:
    done = run("diff", "sum(X ⊙ X)", "--wrt", "X", encoding="cp1252")
    assert done.returncode == 0, done.stderr
    assert done.stdout.isascii()
    lines = done.stdout.splitlines()
    assert lines[0] == "f = sum(X .* X)" and lines[-1] == "df/dX = 2 X"
    assert (
        "    (2) elementwise matrix multiplication: we've used the framework with the "
        "matrix-to-matrix function G: X |-> X .* X" in lines
    )
    assert run("diff", "sum(X ⊙ X)", "--wrt", "X", "--ascii").stdout == done.stdout
    derivation = diff("sum(X ⊙ X)", "X")
    assert parse(lines[0].removeprefix("f = ")) == derivation.objective
    assert_gradient_correct(derivation, result=parse(lines[-1].removeprefix("df/dX = ")))


def test_ascii_errors_keep_the_caret_under_the_place() -> None:
    done = run("diff", "sum(X ⊙ ⊙ Y)", "--wrt", "X", encoding="cp1252")
    assert done.returncode == 2 and done.stderr.isascii()
    message, line, caret = done.stderr.splitlines()
    assert message.startswith("matcalc: syntax error at line 1, column 9: ")
    assert line == "sum(X .* .* Y)" and line[caret.index("^") :] == ".* Y)"


def test_ascii_json_is_escaped_not_transliterated() -> None:
    args = ("diff", "||g(X W) - Y||_F^2", "--wrt", "W", "--format", "json")
    done, forced, plain = run(*args, encoding="cp1252"), run(*args, "--ascii"), run(*args)
    assert done.returncode == forced.returncode == 0
    assert done.stdout == forced.stdout and done.stdout.isascii() and "\\u2299" in done.stdout
    data = json.loads(done.stdout)
    assert data == json.loads(plain.stdout) and "⊙" in data["result"]
    assert_gradient_correct(diff(data["expression"], "W"), result=parse(data["result"]))


@pytest.mark.parametrize("args", [["--help"], ["diff", "--help"], ["notation"], ["rules"], []])
def test_help_notation_and_rules_print_where_unicode_cannot_be_encoded(args: list[str]) -> None:
    done = run(*args, encoding="cp1252")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() and done.stdout.isascii() and done.stderr == ""


@pytest.mark.parametrize("case", [case for _, case in DERIVATIVES])
def test_ascii_results_parse_back_to_the_same_expression(case: Any) -> None:
    derivation = diff(case.expression, case.wrt, shapes=case.shapes)
    spelled = to_ascii(str(derivation.result))
    assert spelled.isascii() and parse(spelled) == derivation.result
    assert parse(to_ascii(str(derivation.objective))) == derivation.objective
    assert_gradient_correct(derivation, positive=case.positive)


def test_ascii_greek_letters_read_back_as_other_scalars() -> None:
    """A Greek letter prints as its name, which the parser reads as a scalar of that name: the
    same expression up to renaming, so the same derivative once the names are swapped back."""
    derivation = diff("tr(Λ X) + α sum(X)", "X")
    spelled = to_ascii(str(derivation.result))
    assert spelled == "Lambda eye(m) + alpha ones(m, m)"
    assert parse(spelled) != derivation.result
    renamed = parse(spelled.replace("Lambda", "Λ").replace("alpha", "α"))
    assert renamed == derivation.result
    assert_gradient_correct(derivation, result=renamed)


@pytest.mark.parametrize(
    ("text", "spelled"),
    [
        ("X ⊙ Y ⊘ Z", "X .* Y ./ Z"),
        ("1 - H1^{∘2}", "1 - H1.^2"),
        ("G: X ↦ X W", "G: X |-> X W"),
        ("m×n, …", "mxn, ..."),
        ("‖x‖_2 + 2 λ", "||x||_2 + 2 lambda"),
        ("df/dX₁₂ + Wᵀ", "df/dX_12 + W^T"),
        ("Χ ⊗ Y ∇", "Chi \\otimes Y nabla"),
        ("A ⊕ B", "A \\u2295 B"),
        ("sum(X ⊙ ⊙ Y)\n        ^", "sum(X .* .* Y)\n         ^"),
        ("⊙\n    ^", ".*\n     ^"),
    ],
)
def test_transliteration_table(text: str, spelled: str) -> None:
    assert to_ascii(text) == spelled


# several variables


def test_several_wrt_derive_each_with_tags_running_on() -> None:
    done = run("diff", "||X - D R||_F^2", "--wrt", "D", "--wrt", "R")
    assert done.returncode == 0, done.stderr
    session = Session()
    expected = [session.diff("||X - D R||_F^2", wrt).text() for wrt in ("D", "R")]
    assert done.stdout == "\n\n".join(expected) + "\n"
    assert "(3) squared Frobenius norm" in done.stdout and "(6) squared Frobenius" in done.stdout
    for derivation in session.derivations:
        assert_gradient_correct(derivation)


def test_several_wrt_in_json_are_a_list() -> None:
    args = ("diff", "||X - D R||_F^2", "--format", "json", "--check", "--factored")
    both = json.loads(run(*args, "--wrt", "D", "--wrt", "R").stdout)
    one = json.loads(run(*args, "--wrt", "D").stdout)
    assert isinstance(both, list) and isinstance(one, dict)
    assert [data["wrt"] for data in both] == ["D", "R"] and both[0] == one
    assert [step["tag"] for step in both[1]["steps"] if step["tag"]] == [4, 5, 6]
    assert [data["factored"] for data in both] == ["2 (D R - X) R^T", "2 D^T (D R - X)"]
    for data in both:
        assert data["check"]["agrees"] is True
        derivation = diff(data["expression"], data["wrt"])
        assert parse(data["result"]) == derivation.result
        assert_gradient_correct(derivation, result=parse(data["factored"]))


# where the objective comes from


@pytest.mark.parametrize("args", [[], ["-"]])
def test_objective_from_standard_input(args: list[str]) -> None:
    done = run("diff", *args, "--wrt", "X", input="sum(X ⊙\n    X)\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "f = sum(X ⊙ X)"
    assert done.stdout.splitlines()[-1] == "df/dX = 2 X"
    assert_gradient_correct(diff("sum(X ⊙ X)", "X"))


def test_errors_in_standard_input_point_at_their_line() -> None:
    done = run("diff", "--wrt", "X", input="sum(X ⊙\n  X +)\n")
    assert done.returncode == 2
    message, line, caret = done.stderr.splitlines()
    assert message.startswith("matcalc: syntax error at line 2, column 6: ")
    assert line == "  X +)" and caret == "     ^"
    empty = run("diff", "--wrt", "X", input="")
    assert empty.returncode == 2 and "the expression is empty" in empty.stderr


def test_no_objective_at_a_terminal_is_an_error(
    monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Terminal("sum(X)"))
    assert main(["diff", "--wrt", "X"]) == 2
    assert "no objective: give it as an argument, with --file" in capsys.readouterr().err
    assert main(["diff", "-", "--wrt", "X"]) == 0  # asked for: read even from a terminal
    assert capsys.readouterr().out.splitlines()[-1] == "df/dX = ones(m, n)"
    assert_gradient_correct(diff("sum(X)", "X"))


def test_unreadable_standard_input_is_a_user_error(
    monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    class Closed(io.StringIO):
        def read(self, size: int | None = -1) -> str:
            raise OSError("reading from stdin while output is captured")

    monkeypatch.setattr(sys, "stdin", Closed())
    assert main(["diff", "-", "--wrt", "X"]) == 2
    assert capsys.readouterr().err.startswith("matcalc: value error: cannot read standard input")


def test_objective_from_a_file(tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "objective.txt"
    path.write_text("||X -\n  D R||_F^2\n", encoding="utf-8")
    assert main(["diff", "--file", str(path), "--wrt", "D"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "df/dD = -2 X R^T + 2 D R R^T"
    assert_gradient_correct(diff(path.read_text(encoding="utf-8"), "D"))
    assert main(["codegen", "--file", str(path), "--wrt", "D"]) == 0
    assert capsys.readouterr().out.startswith(matcalc.codegen("||X - D R||_F^2", "D"))
    assert main(["diff", "sum(X)", "--file", str(path), "--wrt", "X"]) == 2
    assert "not both" in capsys.readouterr().err
    assert main(["diff", "--file", str(tmp_path / "missing"), "--wrt", "X"]) == 2
    assert "No such file or directory" in capsys.readouterr().err
    path.write_bytes(b"sum(X \xff)")
    assert main(["diff", "--file", str(path), "--wrt", "X"]) == 2
    assert "not UTF-8 text" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (["--shape", "X=m,n", "--shape", "X=n,m"], "shape error: --shape declares X more than"),
        (["--shape", "X=m,n", "--shape", " X =m,n"], "shape error: --shape declares X more than"),
        (["--define", "phi(x) = x", "--define", "phi(y) = y^2"], "name error: --define declares"),
    ],
)
def test_a_name_declared_twice_is_an_error(flags: list[str], said: str, capsys: Any) -> None:
    assert main(["diff", "sum(phi(X))", "--wrt", "X", *flags]) == 2
    assert capsys.readouterr().err.startswith(f"matcalc: {said}")


@pytest.mark.skipif(
    "notation" not in inspect.signature(matcalc.diff).parameters,
    reason="matcalc.diff does not take notation= yet",
)
def test_latex_objective(capsys: Any) -> None:
    assert main(["diff", "--latex", r"\|X W - Y\|_F^2", "--wrt", "W"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == "df/dW = 2 X^T X W - 2 X^T Y"
    derivation = diff("||X W - Y||_F^2", "W")
    assert out == derivation.text() + "\n"
    assert_gradient_correct(derivation)


# help, version, notation


def test_version(capsys: Any) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"matcalc {matcalc.__version__}\n"


def test_matcalc_alone_prints_the_help(capsys: Any) -> None:
    assert main([]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("usage: matcalc") and err == ""
    assert main(["--help"]) == 0
    assert capsys.readouterr().out == out


@pytest.mark.parametrize("command", list(EXAMPLES))
def test_every_help_example_runs(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "objective.txt").write_text("sum(log(X))", encoding="utf-8")
    assert main([command, "--help"]) == 0
    help_text = capsys.readouterr().out
    assert "examples:" in help_text
    for example, what in EXAMPLES[command]:
        line = f"matcalc {command} {example}".rstrip()
        assert f"  # {what}\n  {line}\n" in help_text + "\n"
        if "--latex" in example and "notation" not in inspect.signature(matcalc.diff).parameters:
            continue
        if command == "serve":  # runs until stopped: tests/test_serve_cli.py starts and stops it
            continue
        derives = command in ("diff", "hessian")  # each derivative checked by numbers
        checked = ["--check"] if derives else []
        argv = shlex.split(line)[1:]
        if "--" in argv:
            argv[argv.index("--") : argv.index("--")] = checked
        else:
            argv += checked
        assert main(argv) == 0, line
        out = capsys.readouterr().out
        assert out.strip()
        if derives:
            agreed = (
                out.count('"agrees": true') if "json" in example else out.count("check: agrees")
            )
            assert agreed == example.count("--wrt"), out


def test_notation_spellings_parse_to_the_same_expression() -> None:
    for what, seed, others in NOTATION:
        expected = parse(seed)
        for spelling in [to_ascii(seed), *others]:
            assert parse(spelling) == expected, (what, spelling)
        assert ", ".join(dict.fromkeys([seed, to_ascii(seed), *others])) in notation_summary()


def test_notation_lists_every_named_function() -> None:
    from matcalc.functions import FUNCTIONS

    listed = notation_summary().split("Functions, applied to each entry:\n")[1].split(";")[0]
    assert " ".join(listed.split()) == ", ".join(FUNCTIONS)
    for name in FUNCTIONS:
        if name in {"step", "sign"}:  # piecewise constant: no derivative of their own
            with pytest.raises(MatcalcError) as error:
                diff(f"sum({name}(X))", "X")
            assert error.value.kind is ErrorKind.NOT_DIFFERENTIABLE
            derivation = diff(f"sum({name}(A) ⊙ X)", "X")
            assert str(derivation.result) == f"{name}(A)"
            assert_gradient_correct(derivation)
        else:
            derivation = diff(f"sum({name}(X))", "X")
            assert_gradient_correct(derivation, positive=name in {"log", "sqrt"})


def test_notation_command(capsys: Any) -> None:
    assert main(["notation"]) == 0
    out = capsys.readouterr().out
    assert out == notation_summary() + "\n"
    assert "X ⊙ C, X .* C" in out and "--shape X=m,n" in out and "denominator layout" in out
    assert main(["--help"]) == 0
    assert notation_summary() in capsys.readouterr().out


def test_a_check_that_cannot_be_computed_is_valid_json_and_says_why() -> None:
    from matcalc.cli_check import NOT_REAL, Check

    found = Check(float("nan"), "[0.5, 1.5]")
    assert not found.agrees and "DISAGREES" not in found.sentence()
    assert found.sentence().startswith(f"check: not checked: {NOT_REAL}")
    data = json.loads(json.dumps(found.to_dict(), allow_nan=False))
    assert data == {
        "relative_error": None,
        "agrees": False,
        "tolerance": 1e-6,
        "inputs": "[0.5, 1.5]",
        "reason": NOT_REAL,
        "differences_of": "f",
    }


def test_a_second_derivative_is_checked_against_differences_of_the_gradient(capsys: Any) -> None:
    assert main(["hessian", "log(sum(exp(x)))", "--wrt", "x", "--check"]) == 0
    assert (
        capsys.readouterr()
        .out.splitlines()[-1]
        .startswith("check: agrees with central differences of the gradient, relative error")
    )
    assert main(["hessian", "x^T A x", "--wrt", "x", "--check", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["check"]["agrees"] and data["check"]["differences_of"] == "the gradient"


@pytest.mark.parametrize(
    "argv", [["--help"], ["rules", "--proofs"], ["diff", "sum(X)", "--wrt", "X"]]
)
def test_a_reader_that_has_gone_gets_no_traceback(argv: list[str]) -> None:
    """`matcalc --help | true`: the pipe is closed before matcalc writes; nothing more is said."""
    command = " ".join(map(shlex.quote, [sys.executable, "-m", "matcalc", *argv]))
    shown = subprocess.run(
        f"{command} | true; exit ${{PIPESTATUS[0]}}",
        shell=True,
        executable="/bin/bash",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert shown.stderr == ""
    assert shown.returncode == 141
