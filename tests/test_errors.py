"""Malformed input: a MatcalcError that says what, where and what to do; never a crash."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from matcalc import ErrorKind, MatcalcError, Options, derive, diff, parse
from matcalc.errors import CARET_WIDTH
from matcalc.expr import Symbol

# (id, expression, wrt, shapes, kind, (line, column) or None, words the message must hold)
MALFORMED: list[
    tuple[str, str, str, dict[str, Any] | None, ErrorKind, tuple[int, int] | None, str]
] = [
    ("unclosed-norm", "||X - D R", "D", None, ErrorKind.PARSE, (1, 10), "closing bar"),
    ("unsquared-norm", "||X - D R||", "D", None, ErrorKind.PARSE, (1, 12), "squared"),
    ("unclosed-parenthesis", "(X W", "W", None, ErrorKind.PARSE, (1, 5), "')'"),
    ("extra-parenthesis", "||X||_F^2)", "X", None, ErrorKind.PARSE, (1, 10), "')'"),
    ("dangling-plus", "||X||_F^2 +", "X", None, ErrorKind.PARSE, (1, 12), "operand"),
    ("leading-plus", "+ ||X||_F^2", "X", None, ErrorKind.PARSE, (1, 1), "'+'"),
    ("dangling-hadamard", "sum(X ⊙)", "X", None, ErrorKind.PARSE, (1, 8), "')'"),
    ("leading-product", "* sum(X)", "X", None, ErrorKind.PARSE, (1, 1), "'*'"),
    ("empty", "", "X", None, ErrorKind.PARSE, None, "empty"),
    ("blank", "   ", "X", None, ErrorKind.PARSE, None, "empty"),
    ("stray-character", "sum(X $ W)", "X", None, ErrorKind.PARSE, (1, 7), "'$'"),
    ("non-square-power", "sum(X^2)", "X", {"X": (3, 4)}, ErrorKind.SHAPE, (1, 5), "square"),
    ("vector-power", "sum(x^2)", "x", None, ErrorKind.SHAPE, (1, 5), ".^k"),
    ("matrix-exponent", "sum(alpha^X)", "X", None, ErrorKind.SHAPE, (1, 5), "scalar"),
    ("fractional-matrix-power", "tr(X^0.5)", "X", None, ErrorKind.SHAPE, (1, 4), "whole"),
    ("dangling-power", "tr(X^)", "X", None, ErrorKind.PARSE, (1, 6), "operand"),
    ("matrix-power-limit", "tr(X^33)", "X", None, ErrorKind.SHAPE, (1, 4), "1 to 32"),
    ("unclosed-call", "sum(g(X)", "X", None, ErrorKind.PARSE, (1, 9), "')'"),
    ("empty-parentheses", "sum(())", "X", None, ErrorKind.PARSE, (1, 6), "operand"),
    ("second-line", "||X||_F^2\n+ * Y", "X", None, ErrorKind.PARSE, (2, 3), "'*'"),
    ("misspelt-function", "sum(tnah(X))", "X", None, ErrorKind.NAME, (1, 5), "did you mean tanh"),
    (
        "misspelt-sigmoid",
        "sum(sigmod(X))",
        "X",
        None,
        ErrorKind.NAME,
        (1, 5),
        "did you mean sigmoid",
    ),
    ("primed-named-function", "sum(exp'(X))", "X", None, ErrorKind.NAME, (1, 5), "g'"),
    ("too-many-arguments", "sum(X, Y)", "X", None, ErrorKind.PARSE, (1, 1), "one argument"),
    (
        "ones-without-dimensions",
        "sum(ones(m) X)",
        "X",
        None,
        ErrorKind.PARSE,
        (1, 5),
        "two dimensions",
    ),
    ("ones-zero", "sum(ones(0, 3) X)", "X", None, ErrorKind.PARSE, (1, 10), "from 1 up, not 0"),
    ("eye-negative", "tr(eye(-2) X)", "X", None, ErrorKind.PARSE, (1, 8), "from 1 up, not -2"),
    ("negative-power", "tr(X^{-2})", "X", None, ErrorKind.SHAPE, (1, 4), "as (X^{-1})^2"),
    ("non-scalar-objective", "X W", "W", None, ErrorKind.SHAPE, None, "scalar"),
    (
        "inner-dimensions",
        "||X W||_F^2",
        "W",
        {"X": (3, 4), "W": (5, 6)},
        ErrorKind.SHAPE,
        (1, 3),
        "3×4",
    ),
    ("two-columns", "sum(x y)", "x", None, ErrorKind.SHAPE, (1, 5), "x is m×1, y is n×1"),
    (
        "hadamard-shapes",
        "sum(X ⊙ W)",
        "X",
        {"X": (3, 4), "W": (4, 5)},
        ErrorKind.SHAPE,
        (1, 5),
        "4×5",
    ),
    (
        "declared-names-differ",
        "sum(X W)",
        "X",
        {"X": ("m", "n"), "W": ("p", "q")},
        ErrorKind.SHAPE,
        (1, 5),
        "m×n",
    ),
    ("divide-by-matrix", "sum(X / Y)", "X", None, ErrorKind.SHAPE, (1, 5), "division by a scalar"),
    ("spectral-norm", "||X||_2^2", "X", None, ErrorKind.SHAPE, (1, 1), "||X||_F^2"),
    (
        "sum-shapes",
        "||X + W||_F^2",
        "X",
        {"X": (3, 4), "W": (4, 3)},
        ErrorKind.SHAPE,
        (1, 3),
        "3×4",
    ),
    ("wrt-absent", "||X||_F^2", "W", None, ErrorKind.NAME, None, "--shape W=m,n"),
    (
        "three-dimensions",
        "||X||_F^2",
        "X",
        {"X": ("m", "n", "p")},
        ErrorKind.SHAPE,
        None,
        "at most two",
    ),
    (
        "bad-dimension",
        "||X||_F^2",
        "X",
        {"X": ("m", "-1")},
        ErrorKind.SHAPE,
        None,
        "positive integer",
    ),
    (
        "piecewise-constant",
        "sum(sign(X))",
        "X",
        None,
        ErrorKind.NOT_DIFFERENTIABLE,
        None,
        "piecewise",
    ),
    # the variable
    (
        "wrt-empty",
        "sum(X)",
        "",
        None,
        ErrorKind.NAME,
        None,
        "the variable to differentiate by is empty",
    ),
    ("wrt-blank", "sum(X)", " ", None, ErrorKind.NAME, None, "is empty"),
    (
        "wrt-two-names",
        "sum(X)",
        "X Y",
        None,
        ErrorKind.NAME,
        None,
        "'X Y' is not a variable matcalc reads",
    ),
    ("wrt-digit-first", "sum(X)", "1X", None, ErrorKind.NAME, None, "a name is a letter, then"),
    # numbers
    ("two-decimal-points", "1.2.3 sum(X)", "X", None, ErrorKind.PARSE, (1, 4), "one decimal point"),
    ("spaced-decimal-point", "2 .5 sum(X)", "X", None, ErrorKind.PARSE, (1, 3), "write 2.5"),
    ("huge-number", "sum(X) / 1e5000", "X", None, ErrorKind.PARSE, (1, 10), "more than 400 digits"),
    ("tiny-number", "1e-5000 sum(X)", "X", None, ErrorKind.PARSE, (1, 1), "1e-300 is fine"),
    ("long-number", "sum(X) + " + "7" * 4400, "X", None, ErrorKind.PARSE, (1, 10), "400 digits"),
    # letters that only look Latin
    (
        "cyrillic-letter",
        "sum(х)",
        "x",
        None,
        ErrorKind.NAME,
        (1, 5),
        "the Cyrillic small ha, not the Latin x",
    ),
    ("mixed-scripts", "sum(WΧ)", "W", None, ErrorKind.NAME, (1, 6), "mixes scripts"),
    ("fullwidth-letter", "sum(Ｘ)", "X", None, ErrorKind.NAME, (1, 5), "write X"),
    # slips, and what to write instead
    ("average", "sum(average(X))", "X", None, ErrorKind.NAME, (1, 5), "mean(X)"),
    ("sigma", "sum(sigma(X))", "X", None, ErrorKind.NAME, (1, 5), "sigmoid(X)"),
    ("capital-trace", "Tr(A X)", "X", None, ErrorKind.NAME, (1, 1), "tr(A X)"),
    ("function-as-a-name", "sum(exp X)", "X", None, ErrorKind.NAME, (1, 5), "exp is a function"),
    ("single-bars", "|x|_1", "x", None, ErrorKind.PARSE, (1, 1), "||x||_1"),
    ("python-power", "sum(X**2)", "X", None, ErrorKind.PARSE, (1, 7), "X.^2"),
    ("numpy-transpose", "sum(X.T W)", "X", None, ErrorKind.PARSE, (1, 6), "X^T"),
    ("numpy-prefix", "sum(np.exp(X))", "X", None, ErrorKind.PARSE, (1, 7), "exp(X)"),
    # declarations
    (
        "declared-twice",
        "sum(X)",
        "X",
        {"X": "m,n", " X": (3, 4)},
        ErrorKind.NAME,
        None,
        "declared twice",
    ),
    ("shape-none", "sum(X)", "X", {"X": None}, ErrorKind.SHAPE, None, 'a shape is written "m,n"'),
    ("shape-bytes", "sum(X)", "X", {"X": b"3,4"}, ErrorKind.SHAPE, None, "not b'3,4'"),
    ("shape-int", "sum(X)", "X", {"X": 3}, ErrorKind.SHAPE, None, "not 3"),
]


@pytest.mark.parametrize(
    ("expression", "wrt", "shapes", "kind", "where", "words"),
    [pytest.param(*row[1:], id=row[0]) for row in MALFORMED],
)
def test_malformed_input(
    expression: str,
    wrt: str,
    shapes: dict[str, Any] | None,
    kind: ErrorKind,
    where: tuple[int, int] | None,
    words: str,
) -> None:
    with pytest.raises(MatcalcError) as caught:
        diff(expression, wrt, shapes=shapes)
    error = caught.value
    assert isinstance(error, ValueError)
    assert error.kind is kind, str(error)
    assert words in error.message, error.message
    if where is None:
        return
    assert (error.line, error.column) == where, str(error)
    line = expression.splitlines()[where[0] - 1]
    if len(line) <= CARET_WIDTH:
        source_line, caret = str(error).splitlines()[-2:]
        assert source_line == line
        assert caret == " " * (where[1] - 1) + "^"


@pytest.mark.parametrize(
    ("expression", "wrt"),
    [pytest.param(row[1], row[2], id=row[0]) for row in MALFORMED if row[3] is None],
)
def test_cli_says_the_error_and_exits_2(expression: str, wrt: str) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "matcalc", "diff", expression, "--wrt", wrt],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2
    assert run.stdout == ""
    with pytest.raises(MatcalcError) as caught:
        diff(expression, wrt)
    assert run.stderr == f"matcalc: {caught.value}\n"  # the message, the line and a caret
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize(
    ("functions", "kind", "words"),
    [
        ({"ff": None}, ErrorKind.VALUE, 'ff: a formula is text, as "log(1 + exp(x))", not None'),
        ({"ff": b"x"}, ErrorKind.VALUE, "ff: a formula is text, as"),
        ({"ff": 3}, ErrorKind.VALUE, "ff: a formula is text, as"),
        ({3: "x"}, ErrorKind.NAME, "3: a defined function's name is a lower-case word"),
        ({"Ff": "x"}, ErrorKind.NAME, "'Ff': a defined function's name is a lower-case word"),
        ("ff", ErrorKind.VALUE, "functions map names to formulas"),
        ([("ff", "x")], ErrorKind.VALUE, "functions map names to formulas"),
    ],
)
def test_functions_that_are_not_definitions_are_refused(
    functions: Any, kind: ErrorKind, words: str
) -> None:
    with pytest.raises(MatcalcError) as caught:
        diff("sum(ff(X))", "X", functions=functions)
    assert caught.value.kind is kind
    assert caught.value.message.startswith(words)


def test_a_formula_with_a_mistake_says_which_function_it_is_in() -> None:
    with pytest.raises(MatcalcError) as caught:
        diff("sum(ff(X))", "X", functions={"ff": "log(1 +"})
    assert caught.value.kind is ErrorKind.PARSE
    assert caught.value.message.startswith("in ff: the expression ends too early")
    assert caught.value.column == 8


@pytest.mark.parametrize("wrt", [None, 3, b"X", Symbol(""), Symbol("X Y")])
def test_derive_refuses_a_variable_that_is_not_a_name(wrt: Any) -> None:
    with pytest.raises(MatcalcError) as caught:
        derive(parse("sum(X)"), wrt)
    assert caught.value.kind is ErrorKind.NAME


@pytest.mark.parametrize("wrt", [" W ", Symbol("W"), "W\t"])
def test_a_variable_is_read_stripped(wrt: Any, check: Any) -> None:
    derivation = derive(parse("||X W||_F^2"), wrt, {"X": (3, 4), "W": (4, 5)})
    assert derivation.wrt == Symbol("W")
    check(derivation)


@pytest.mark.parametrize(
    "options",
    [
        Options(first_tag=0),
        Options(first_tag="1"),  # type: ignore[arg-type]
        Options(functions=None),  # type: ignore[arg-type]
        Options(functions=("x",)),  # type: ignore[arg-type]
    ],
)
def test_options_that_cannot_be_are_refused(options: Options) -> None:
    with pytest.raises(MatcalcError):
        derive(parse("sum(X)"), "X", None, options)


def test_the_spelling_a_negative_matrix_power_is_told_to_take_is_right(check: Any) -> None:
    derivation = diff("tr((X^{-1})^2)", "X")
    assert str(derivation.result) == "-2 (X^{-T})^3"
    check(derivation)
