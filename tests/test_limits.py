"""Hostile and huge input: a MatcalcError or a derivation, never a crash, a RecursionError or a
traceback; the limits in matcalc/limits.py hold with room to spare."""

from __future__ import annotations

import contextlib
import inspect
import io
import subprocess
import sys
from collections.abc import Iterator

import numpy as np
import pytest
from conftest import assert_differences_agree, assert_gradient_correct
from fuzz import NOISE, VALID, mutate
from hypothesis import example, given
from hypothesis import strategies as st

from matcalc import Derivation, MatcalcError, diff, evaluate, limits
from matcalc.cli import main
from matcalc.finite_differences import random_env
from matcalc.limits import MAX_DEPTH, MAX_INPUT, MAX_TOKENS, STACK_FRAMES


def derive_everything(expression: str, wrt: str, **shapes: tuple[int | str, ...]) -> Derivation:
    """The derivation with every output the package makes of it."""
    derivation = diff(expression, wrt, shapes=shapes or None)
    derivation.text(), derivation.latex(), derivation.to_dict(), derivation.factored()
    return derivation


def test_five_thousand_nested_parentheses() -> None:
    with pytest.raises(MatcalcError, match="longer than 2,000 names, numbers and operators"):
        diff("sum(" + "(" * 5000 + "X" + ")" * 5000 + ")", "X")


def test_many_nested_parentheses_within_the_limits_are_fine() -> None:
    derivation = derive_everything("||" + "(" * 900 + "X - Y" + ")" * 900 + "||_F^2", "X")
    assert str(derivation.result) == "2 X - 2 Y"
    assert_gradient_correct(derivation)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("sum(" + " + ".join(["X"] * 24_999) + ")", id="100k-long-sum"),
        pytest.param("sum(X" + " " * (MAX_INPUT - 8) + ")", id="100k-mostly-spaces"),
        pytest.param("X" * (MAX_INPUT + 1), id="one-character-too-many"),
        pytest.param("(" * MAX_INPUT, id="100k-open-parentheses"),
    ],
)
def test_a_hundred_thousand_characters(text: str) -> None:
    assert len(text) >= MAX_INPUT - 10
    try:
        derivation = derive_everything(text, "X")
    except MatcalcError as error:
        assert "longer than" in error.message
    else:
        assert str(derivation.result) == "ones(m, n)"
        assert_gradient_correct(derivation)


@contextlib.contextmanager
def stack_room(frames: int) -> Iterator[None]:
    """Allow only `frames` Python frames beyond those already in use."""
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack(0)) + frames)
    try:
        yield
    finally:
        sys.setrecursionlimit(before)


def nested(depth: int) -> dict[str, str]:
    """An objective per kind of operation, its operations nested `depth` deep."""
    inner = depth - 1  # sum(...) is the outermost operation
    return {
        "functions": "sum(" + "exp(" * inner + "X" + ")" * inner + ")",
        "generic": "sum(" + "g(" * inner + "X" + ")" * inner + ")",
        "negations": "sum(" + "-" * inner + "X" + ")",
        "transposes": "sum(X" + "^T" * inner + ")",
        "powers": "sum(X" + "^{∘2}" * inner + ")",
        "divisions": "sum(X" + " / alpha" * inner + ")",
        "inverses": "sum(X" + "^{-1}" * inner + ")",
        "sums": "||" + "(A + " * inner + "X" + ")" * inner + "||_F^2",
    }


TOO_LONG = {"powers", "divisions", "inverses"}
"""Kinds whose derivative writes the nested part out at every level: past some depth their
derivation is refused by its size (MAX_DERIVATION), still without running out of stack."""


@pytest.mark.parametrize("kind", nested(MAX_DEPTH))
def test_nesting_at_the_limit_derives_with_stack_to_spare(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # half of what matcalc's calls set aside is enough, whatever little the caller allows
    monkeypatch.setattr(limits, "STACK_FRAMES", STACK_FRAMES // 2)
    with stack_room(50):
        if kind in TOO_LONG:
            with pytest.raises(MatcalcError, match="too long to show"):
                derive_everything(nested(MAX_DEPTH)[kind], "X", X=(3, 3), A=(3, 3))
            return
        derivation = derive_everything(nested(MAX_DEPTH)[kind], "X", X=(3, 3), A=(3, 3))
    symbols = derivation.shapes.symbols
    env = random_env(symbols, derivation.objective, low=0.5, high=1.5)
    with np.errstate(all="ignore"):
        value = evaluate(derivation.objective, env, shapes=symbols)
        gradient = evaluate(derivation.result, env, shapes=symbols, where=derivation.where)
    if np.isfinite(value) and np.all(np.isfinite(gradient)):  # not exp nested 299 deep
        assert_gradient_correct(derivation, positive=True)


@pytest.mark.parametrize("kind", nested(MAX_DEPTH + 1))
def test_nesting_past_the_limit_is_refused(kind: str) -> None:
    with pytest.raises(MatcalcError, match=f"nested more than {MAX_DEPTH} deep"):
        diff(nested(MAX_DEPTH + 1)[kind], "X")


def test_importing_matcalc_changes_no_interpreter_setting() -> None:
    code = "import sys; before = sys.getrecursionlimit(); import matcalc; "
    code += "matcalc.diff('sum(' + 'exp(' * 299 + 'X' + ')' * 299 + ')', 'X').text(); "
    code += "print(before, sys.getrecursionlimit())"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    before, after = run.stdout.split()
    assert before == after, run.stderr


def test_long_products_are_refused_by_size_not_by_the_stack(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(limits, "STACK_FRAMES", STACK_FRAMES // 2)
    with stack_room(50), pytest.raises(MatcalcError, match="too long to show"):
        diff("sum(" + " ".join(["X"] * MAX_DEPTH) + ")", "X", shapes={"X": (3, 3)})


def test_token_limit_counts_tokens() -> None:
    def objective(terms: int) -> str:  # sum ( X + Y + … + Y ): 2 terms + 2 tokens
        return "sum(" + " + ".join(["X"] + ["Y"] * (terms - 1)) + ")"

    at_limit = (MAX_TOKENS - 2) // 2
    derivation = diff(objective(at_limit), "X")
    assert str(derivation.result) == "ones(m, n)"
    assert_gradient_correct(derivation)
    with pytest.raises(MatcalcError, match="longer than 2,000 names"):
        diff(objective(at_limit + 1), "X")


mutated = st.builds(mutate, st.sampled_from(VALID), st.randoms(use_true_random=False))
noise = st.text(alphabet=NOISE, max_size=40)


def check_where_defined(derivation: Derivation) -> None:
    """The gradient checks out, at random points where the objective is defined."""
    for seed in (0, 1):
        env = random_env(
            derivation.shapes.symbols, derivation.objective, seed=seed, low=0.5, high=1.5
        )
        with np.errstate(all="ignore"):
            defined = np.isfinite(evaluate(derivation.objective, env))
        if defined:
            assert_differences_agree(derivation, env, seed)


def derives_or_refuses(text: str) -> None:
    """A MatcalcError, or a derivation whose gradient checks out wherever it is defined."""
    for wrt in ("X", "W", "x"):
        with contextlib.suppress(MatcalcError):
            check_where_defined(derive_everything(text, wrt))


@given(mutated)
@example("|| 0 W - x || _F^2")  # the zero matrix 0 W once shrank to a 1×1 zero beside x
@example("|| g + ( X W ) - Y || _F^2")  # a gradient 2000 times below f: round-off at step 1e-6
def test_mutated_objectives(text: str) -> None:
    derives_or_refuses(text)


@given(noise)
def test_random_strings(text: str) -> None:
    derives_or_refuses(text)


@given(st.one_of(mutated, noise), st.sampled_from(["text", "latex", "json"]))
@example("-D", "text")  # argparse takes it for an option: a usage error, in one line too
def test_the_command_line_answers_in_one_line_or_exits_0(text: str, format: str) -> None:
    if text == "-":  # reads the objective from standard input (tests/test_cli.py)
        return
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["diff", text, "--wrt", "X", "--format", format])
    if code == 0:
        assert out.getvalue() and not err.getvalue()
        check_where_defined(diff(text, "X"))
    else:
        assert code == 2
        said = err.getvalue()
        if said.startswith("matcalc: usage error"):
            assert said.count("\n") == 1
        else:  # the message, and the line with a caret where the error has a place
            with pytest.raises(MatcalcError) as caught:
                diff(text, "X")
            assert said == f"matcalc: {caught.value}\n"


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("sum(" + "(" * 5000 + "X" + ")" * 5000 + ")", id="5000-parentheses"),
        pytest.param("sum(" + "-" * 5000 + "X)", id="5000-negations"),
        pytest.param("sum(" + " + ".join(["X"] * 24_999) + ")", id="100k-characters"),
    ],
)
def test_the_command_line_never_shows_a_traceback(text: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "matcalc", "diff", text, "--wrt", "X"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    with pytest.raises(MatcalcError) as caught:
        diff(text, "X")
    assert done.stderr == f"matcalc: {caught.value}\n"
