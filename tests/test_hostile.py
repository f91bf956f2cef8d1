"""Hostile and mistaken input, as a new user types it, at the command line and from Python:
each row ends in a clean error of the right kind (exit code 2, message and caret on stderr, no
traceback) or in a right answer checked by numbers; and each within 2 s."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import sympy
from conftest import Ran, assert_gradient_correct, cli

import matcalc
from matcalc import Derivation, ErrorKind, MatcalcError
from matcalc.expr import Func, Hadamard, Sum, Symbol, Transpose

SECONDS = 2.0


Check = Callable[[Any], None]


def refused(kind: ErrorKind, *words: str) -> Check:
    """The API raised MatcalcError of `kind` (the row's call raises it; see `api`), or the
    command line exited 2 with `kind`'s first word and `words` on stderr."""

    def check(outcome: Any) -> None:
        if isinstance(outcome, MatcalcError):
            assert outcome.kind is kind, outcome
            message = str(outcome)
        else:
            assert isinstance(outcome, Ran)
            assert outcome.code == 2, outcome
            assert outcome.out == ""
            assert outcome.err.startswith(f"matcalc: {kind.value}"), outcome.err
            message = outcome.err
        assert "Traceback" not in message
        for word in words:
            assert word in message, message

    return check


def caret_under(column: int) -> Check:
    """The command line's error shows the input line with a caret under `column`."""

    def check(outcome: Any) -> None:
        assert isinstance(outcome, Ran) and outcome.code == 2, outcome
        lines = outcome.err.splitlines()
        carets = [line for line in lines if line.strip() == "^"]
        assert carets, outcome.err
        assert carets[0].index("^") == column - 1, outcome.err

    return check


def derived(*results: str, **gradcheck: Any) -> Check:
    """A derivation whose result is the one of `results` (when given) and agrees with central
    differences; from the command line (run with --check), each result printed as
    `df/d… = result` and every check line saying that it agrees."""

    def check(outcome: Any) -> None:
        if isinstance(outcome, Ran):
            assert outcome.code == 0, outcome.err
            assert "Traceback" not in outcome.err
            lines = outcome.out.splitlines()
            checks = [line for line in lines if line.startswith("check:")]
            assert checks and all(" agrees " in line for line in checks), outcome.out
            for result in results:
                assert any(line.endswith(f" = {result}") for line in lines), outcome.out
            return
        assert isinstance(outcome, Derivation), outcome
        assert len(results) <= 1
        if results:
            assert str(outcome.result) == results[0]
        assert_gradient_correct(outcome, **gradcheck)

    return check


def printed(*pieces: str, code: int = 0) -> Check:
    """The command line exited with `code` and printed each of `pieces` on stdout."""

    def check(outcome: Any) -> None:
        assert isinstance(outcome, Ran), outcome
        assert outcome.code == code, outcome
        assert "Traceback" not in outcome.err
        for piece in pieces:
            assert piece in outcome.out, outcome.out

    return check


def api(call: Callable[[], Any]) -> Callable[[], Any]:
    """A Python call whose MatcalcError is its outcome, not a failure; any other exception is."""

    def run() -> Any:
        try:
            return call()
        except MatcalcError as error:
            return error

    return run


def evaluates_to(expected: Callable[[dict[str, Any]], Any]) -> Check:
    """The outcome is a pair (value, env) whose value is `expected(env)`."""

    def check(outcome: Any) -> None:
        assert not isinstance(outcome, MatcalcError), outcome
        value, env = outcome
        assert np.allclose(value, expected(env), rtol=1e-12, atol=1e-12)

    return check


RNG = np.random.default_rng(0)
X34 = RNG.standard_normal((3, 4))
ENV = {"X": X34, "A": RNG.standard_normal((3, 3)), "W1": RNG.standard_normal((4, 5))}
BIG = "9" * 5000


def _evaluate_named_result() -> tuple[Any, dict[str, Any]]:
    d = matcalc.diff("||tanh(tanh(X W1) W2) - Y||_F^2", "W2")
    env = {
        "X": X34,
        "W1": ENV["W1"],
        "W2": RNG.standard_normal((5, 2)),
        "Y": RNG.standard_normal((3, 2)),
    }
    return matcalc.evaluate(d, env), env


def _named_result_by_hand(env: dict[str, Any]) -> Any:
    h1 = np.tanh(env["X"] @ env["W1"])
    h2 = np.tanh(h1 @ env["W2"])
    return h1.T @ (2 * (h2 - env["Y"]) * (1 - h2**2))


def _network(layers: int) -> str:
    """The objective ||tanh(… tanh(X W1) W2 …) - Y||_F^2 of `layers` layers."""
    inner = "X W1"
    for i in range(1, layers + 1):
        inner = f"tanh({inner})" + (f" W{i + 1}" if i < layers else "")
    return f"||{inner} - Y||_F^2"


_SX = sympy.MatrixSymbol("X", 3, 3)
_KRON_SHAPES = {"X": (3, 4), "A": (3, 3)}


def _kronecker_through_sympy() -> tuple[Any, dict[str, Any]]:
    d = matcalc.hessian("||A X - B||_F^2", "X", shapes={"A": (3, 3), "X": (3, 4), "B": (3, 4)})
    value = d.to_sympy().subs({sympy.MatrixSymbol("A", 3, 3): sympy.Matrix(ENV["A"])}).doit()
    return np.array(value, dtype=float), ENV


ROWS: list[tuple[str, Callable[[], Any], Check]] = [
    # the variable
    ("empty wrt", lambda: cli("diff", "sum(X)", "--wrt", ""), refused(ErrorKind.NAME)),
    ("blank wrt", lambda: cli("diff", "sum(X)", "--wrt", " "), refused(ErrorKind.NAME)),
    ("two words as wrt", lambda: cli("diff", "sum(X)", "--wrt", "X Y"), refused(ErrorKind.NAME)),
    ("a number as wrt", lambda: cli("diff", "sum(X)", "--wrt", "1"), refused(ErrorKind.NAME)),
    ("a function as wrt", lambda: cli("diff", "sum(X)", "--wrt", "sum"), refused(ErrorKind.NAME)),
    ("absent wrt", lambda: cli("diff", "tr(X)", "--wrt", "x"), refused(ErrorKind.NAME, "x")),
    ("wrt None", api(lambda: matcalc.diff("sum(X)", None)), refused(ErrorKind.NAME)),  # type: ignore[arg-type]
    ("wrt 3", api(lambda: matcalc.diff("sum(X)", 3)), refused(ErrorKind.NAME)),  # type: ignore[arg-type]
    # numbers
    ("1e5000", lambda: cli("diff", "1e5000 sum(X)", "--wrt", "X"), refused(ErrorKind.PARSE)),
    ("1e-5000", lambda: cli("diff", "1e-5000 sum(X)", "--wrt", "X"), refused(ErrorKind.PARSE)),
    ("5000 digits", lambda: cli("diff", f"{BIG} sum(X)", "--wrt", "X"), refused(ErrorKind.PARSE)),
    ("1.2.3", lambda: cli("diff", "1.2.3 sum(X)", "--wrt", "X"), refused(ErrorKind.PARSE)),
    ("1.2.3 caret", lambda: cli("diff", "1.2.3 sum(X)", "--wrt", "X"), caret_under(4)),
    (
        "constants whose product is too long",
        lambda: cli("diff", "1e399 " * 12 + "sum(X)", "--wrt", "X"),
        refused(ErrorKind.VALUE, "digits"),
    ),
    (
        "a power too long",
        lambda: cli("diff", "(1e300)^32 sum(X)", "--wrt", "X"),
        refused(ErrorKind.VALUE, "digits"),
    ),
    (
        "a denominator that is 0",
        lambda: cli("diff", "sum(X) / sum(X - X)", "--wrt", "X"),
        refused(ErrorKind.VALUE, "division by zero: sum(X - X) is 0"),
    ),
    (
        "0 to a negative power",
        lambda: cli("diff", "0^{-1} sum(X)", "--wrt", "X"),
        refused(ErrorKind.VALUE, "division by zero"),
    ),
    ("1e-300 is a number", api(lambda: matcalc.diff("1e-300 sum(X)", "X")), derived()),
    ("a long exact number", api(lambda: matcalc.diff(f"{'9' * 40} tr(X)", "X")), derived()),
    # text that is not an objective
    ("empty", lambda: cli("diff", "", "--wrt", "X"), refused(ErrorKind.PARSE, "empty")),
    ("blank", lambda: cli("diff", "   ", "--wrt", "X"), refused(ErrorKind.PARSE, "empty")),
    ("open parentheses", lambda: cli("diff", "(((((", "--wrt", "X"), refused(ErrorKind.PARSE)),
    ("a NUL byte", lambda: cli("diff", "sum(X)\x00", "--wrt", "X"), refused(ErrorKind.PARSE)),
    ("only an operator", lambda: cli("diff", "+", "--wrt", "X"), refused(ErrorKind.PARSE)),
    ("caret at the typo", lambda: cli("diff", "sum(X) + ) 2", "--wrt", "X"), caret_under(10)),
    ("objective None", api(lambda: matcalc.diff(None, "X")), refused(ErrorKind.PARSE)),  # type: ignore[arg-type]
    ("objective bytes", api(lambda: matcalc.diff(b"sum(X)", "X")), refused(ErrorKind.PARSE)),  # type: ignore[arg-type]
    (
        "a 100,000-character objective",
        lambda: cli("diff", "X+" * 50_000 + "X", "--wrt", "X"),
        refused(ErrorKind.PARSE, "longer"),
    ),
    # hints
    ("avg", lambda: cli("diff", "avg(X)", "--wrt", "X"), refused(ErrorKind.NAME, "mean(X)")),
    (
        "sigma",
        lambda: cli("diff", "sum(sigma(X))", "--wrt", "X"),
        refused(ErrorKind.NAME, "sigmoid"),
    ),
    ("trace", lambda: cli("diff", "trace(X)", "--wrt", "X"), refused(ErrorKind.NAME, "tr(")),
    ("Tr", lambda: cli("diff", "Tr(X)", "--wrt", "X"), refused(ErrorKind.NAME, "tr(")),
    ("|x|_1", lambda: cli("diff", "|x|_1", "--wrt", "x"), refused(ErrorKind.PARSE, "||x||_1")),
    ("**", lambda: cli("diff", "sum(X ** 2)", "--wrt", "X"), refused(ErrorKind.PARSE, "^")),
    (".T", lambda: cli("diff", "sum(X.T A)", "--wrt", "X"), refused(ErrorKind.PARSE, "^T")),
    ("np.", lambda: cli("diff", "np.sum(X)", "--wrt", "X"), refused(ErrorKind.PARSE, "np.")),
    # shapes
    (
        "repeated --shape",
        lambda: cli("diff", "sum(X)", "--wrt", "X", "--shape", "X=3,4", "--shape", "X=4,5"),
        refused(ErrorKind.SHAPE, "X"),
    ),
    (
        "four dimensions",
        lambda: cli("diff", "sum(X)", "--wrt", "X", "--shape", "X=a,b,c,d"),
        refused(ErrorKind.SHAPE),
    ),
    (
        "a zero dimension",
        lambda: cli("diff", "sum(X)", "--wrt", "X", "--shape", "X=0,3"),
        refused(ErrorKind.SHAPE),
    ),
    (
        "a negative dimension",
        lambda: cli("diff", "sum(X)", "--wrt", "X", "--shape", "X=-1,3"),
        refused(ErrorKind.SHAPE),
    ),
    (
        "shapes that do not fit",
        lambda: cli("diff", "sum(X Y)", "--wrt", "X", "--shape", "X=3,4", "--shape", "Y=5,6"),
        refused(ErrorKind.SHAPE),
    ),
    (
        "log det of a non-square",
        lambda: cli("diff", "log(det(X))", "--wrt", "X", "--shape", "X=3,4"),
        refused(ErrorKind.SHAPE),
    ),
    (
        "shape None",
        api(lambda: matcalc.diff("sum(X)", "X", shapes={"X": None})),  # type: ignore[dict-item]
        refused(ErrorKind.SHAPE),
    ),
    (
        "shape bytes",
        api(lambda: matcalc.diff("sum(X)", "X", shapes={"X": b"3,4"})),  # type: ignore[dict-item]
        refused(ErrorKind.SHAPE),
    ),
    (
        "shape int",
        api(lambda: matcalc.diff("sum(X)", "X", shapes={"X": 3})),  # type: ignore[dict-item]
        refused(ErrorKind.SHAPE),
    ),
    (
        "shapes a list",
        api(lambda: matcalc.diff("sum(X)", "X", shapes=["X"])),  # type: ignore[arg-type]
        refused(ErrorKind.SHAPE),
    ),
    (
        "the same name twice",
        api(lambda: matcalc.diff("sum(X)", "X", shapes={"X": "3,4", " X": "3,4"})),
        refused(ErrorKind.NAME, "X"),
    ),
    (
        "a derivation's own shapes",
        api(
            lambda: matcalc.diff(
                "||X - D R||_F^2", "R", shapes=matcalc.diff("||X - D R||_F^2", "D").shapes
            )
        ),
        derived("-2 D^T X + 2 D^T D R"),
    ),
    ("user dimension names", api(lambda: matcalc.diff("sum(X ones(m, 1))", "X")), derived()),
    # functions
    (
        "body None",
        api(lambda: matcalc.diff("sum(phi(X))", "X", functions={"phi": None})),  # type: ignore[dict-item]
        refused(ErrorKind.VALUE),
    ),
    (
        "body int",
        api(lambda: matcalc.diff("sum(phi(X))", "X", functions={"phi": 3})),  # type: ignore[dict-item]
        refused(ErrorKind.VALUE),
    ),
    (
        "body bytes",
        api(lambda: matcalc.diff("sum(phi(X))", "X", functions={"phi": b"x"})),  # type: ignore[dict-item]
        refused(ErrorKind.VALUE),
    ),
    (
        "functions a list",
        api(lambda: matcalc.diff("sum(phi(X))", "X", functions=["phi"])),  # type: ignore[arg-type]
        refused(ErrorKind.VALUE),
    ),
    (
        "a body cut short",
        lambda: cli("diff", "sum(phi(X))", "--wrt", "X", "--define", "phi(x) = x +"),
        refused(ErrorKind.PARSE),
    ),
    (
        "a body calling another --define",
        lambda: cli(
            "diff",
            "sum(phi(X))",
            "--wrt",
            "X",
            "--define",
            "phi(x) = psi(x)",
            "--define",
            "psi(x) = exp(x)",
        ),
        refused(ErrorKind.NAME, "may not call itself or another of the user's functions"),
    ),
    (
        "codegen's unknown option",
        api(lambda: matcalc.codegen("sum(X)", "X", foo=1)),
        refused(ErrorKind.VALUE, "codegen takes no option foo"),
    ),
    (
        "a LaTeX entry for the variable",
        lambda: cli("diff", "--latex", "X_{ij}", "--wrt", "X"),
        refused(ErrorKind.NAME, "'X' does not occur"),
    ),
    (
        "a body with a free name",
        lambda: cli("diff", "sum(phi(X))", "--wrt", "X", "--define", "phi(x) = exp(y)"),
        refused(ErrorKind.NAME, "y"),
    ),
    (
        "a body named as a built-in",
        lambda: cli("diff", "sum(tr(X))", "--wrt", "X", "--define", "tr(x) = x"),
        refused(ErrorKind.NAME, "tr"),
    ),
    # options
    (
        "an unknown layout",
        api(lambda: matcalc.diff("sum(X)", "X", layout="diagonal")),
        refused(ErrorKind.VALUE, "layout"),
    ),
    (
        "layout None",
        api(lambda: matcalc.diff("sum(X)", "X", layout=None)),  # type: ignore[arg-type]
        refused(ErrorKind.VALUE, "layout"),
    ),
    (
        "an unknown convention",
        api(lambda: matcalc.diff("sum(X)", "X", convention="numpy")),
        refused(ErrorKind.VALUE, "convention"),
    ),
    (
        "a format that is not there",
        lambda: cli("diff", "sum(X)", "--wrt", "X", "--format", "yaml"),
        lambda ran: None if ran.code == 2 and "usage" in ran.err else pytest.fail(ran.err),
    ),
    (
        "standalone text",
        lambda: cli("diff", "sum(X)", "--wrt", "X", "--standalone"),
        refused(ErrorKind.VALUE, "--standalone"),
    ),
    # answers that used to be errors or wrong
    (
        "Jacobian by a scalar",
        api(lambda: matcalc.diff("t x", "t", shapes={"t": "scalar"})),
        derived(),
    ),
    (
        "exp(t x) by t",
        api(lambda: matcalc.diff("exp(t x)", "t", shapes={"t": "scalar"})),
        derived(),
    ),
    (
        "(A + t B)^{-1} b by t",
        api(lambda: matcalc.diff("(A + t B)^{-1} b", "t", shapes={"t": "scalar"})),
        derived(),
    ),
    ("(A + x x^T)^{-1} b by x", api(lambda: matcalc.diff("(A + x x^T)^{-1} b", "x")), derived()),
    ("diag(x) A x by x", api(lambda: matcalc.diff("diag(x) A x", "x")), derived()),
    (
        "a zero Jacobian checks",
        lambda: cli("diff", "tr(X) a", "--wrt", "t", "--shape", "t=scalar", "--check"),
        printed("d(tr(X) a)/dt = 0", "agrees"),
    ),
    (
        "a zero gradient checks",
        lambda: cli("diff", "tr(X^{-1} A X)", "--wrt", "X", "--check"),
        printed("agrees"),
    ),
    (
        "two variables",
        lambda: cli("diff", "||X - D R||_F^2", "--wrt", "D", "--wrt", "R", "--check"),
        derived("-2 X R^T + 2 D R R^T", "-2 D^T X + 2 D^T D R"),
    ),
    (
        "codegen of an absent variable",
        lambda: cli("codegen", "sum(X)", "--wrt", "X", "--wrt", "Y", "--shape", "Y=3,3"),
        printed("def f_and_grad"),
    ),
    ("stdin", lambda: cli("diff", "--wrt", "X", "--check", stdin="sum(X ⊙ X)\n"), derived("2 X")),
    (
        "stdin empty",
        lambda: cli("diff", "-", "--wrt", "X", stdin=""),
        refused(ErrorKind.PARSE, "empty"),
    ),
    ("version", lambda: cli("--version"), printed(matcalc.__version__)),
    ("no arguments", lambda: cli(), printed("diff", "codegen", "rules")),
    (
        "LaTeX read as plain text",
        lambda: cli("diff", "\\|g(XW) - Y\\|_F^2", "--wrt", "W"),
        refused(ErrorKind.NAME, "--latex"),
    ),
    (
        "LaTeX asked for",
        lambda: cli("diff", "--latex", "\\|g(XW) - Y\\|_F^2", "--wrt", "W", "--check"),
        derived("2 X^T ((g(X W) - Y) ⊙ g'(X W))"),
    ),
    (
        "a hand-built function with no name",
        api(lambda: matcalc.derive(Sum(Func("g; import os", Symbol("X"))), "X")),
        refused(ErrorKind.NAME, "unknown function"),
    ),
    (
        "a hand-built symbol that is code",
        api(lambda: matcalc.derive(Sum(Hadamard(Symbol("X"), Symbol("Q=__import__('os')"))), "X")),
        refused(ErrorKind.NAME, "is not a name"),
    ),
    (
        "text into derive",
        api(lambda: matcalc.derive("sum(X)", "X")),  # type: ignore[arg-type]
        refused(ErrorKind.VALUE, "matcalc.diff takes text"),
    ),
    (
        "to_sympy with where that is text",
        api(lambda: matcalc.to_sympy(matcalc.parse("sum(X)"), where="junk")),  # type: ignore[arg-type]
        refused(ErrorKind.VALUE, "where holds a derivation's named values"),
    ),
    (
        "unsized ones into derive",
        api(lambda: matcalc.derive(matcalc.parse_latex(r"\mathbf{1}^\top X \mathbf{1}"), "X")),
        derived(),
    ),
    (
        "a lookalike for the variable",
        lambda: cli("diff", "sum(Χ)", "--wrt", "X"),
        refused(ErrorKind.NAME, "Greek capital Chi", "\n    ^"),
    ),
    (
        "a lookalike letter",
        api(lambda: matcalc.diff("sum(Χ)", "Χ")),
        lambda d: None if any("Chi" in n.sentence(str) for n in d.notes) else pytest.fail(d.notes),
    ),
    (
        "* between matrices",
        api(lambda: matcalc.diff("sum(X * Y)", "X")),
        lambda d: None if any("⊙" in n.sentence(str) for n in d.notes) else pytest.fail(d.notes),
    ),
    # options and hand-built nodes from Python
    (
        "an option diff does not take",
        api(lambda: matcalc.Session().diff("sum(X)", "X", foo=1)),
        refused(ErrorKind.VALUE, "foo", "shapes"),
    ),
    (
        "a first tag for a Session",
        api(lambda: matcalc.Session().diff("sum(X)", "X", first_tag=5)),
        refused(ErrorKind.VALUE, "next_tag"),
    ),
    (
        "options None",
        api(lambda: matcalc.derive(Sum(Symbol("X")), "X", None, None)),  # type: ignore[arg-type]
        refused(ErrorKind.VALUE, "matcalc.Options"),
    ),
    (
        "options text",
        api(lambda: matcalc.derive(Sum(Symbol("X")), "X", None, "junk")),  # type: ignore[arg-type]
        refused(ErrorKind.VALUE, "matcalc.Options"),
    ),
    (
        "options a dict",
        api(lambda: matcalc.derive(Sum(Symbol("X")), "X", None, {"layout": "numerator"})),  # type: ignore[arg-type]
        refused(ErrorKind.VALUE, "matcalc.Options"),
    ),
    (
        "symmetrise not a bool",
        api(lambda: matcalc.diff("sum(X)", "X", symmetrise="no")),  # type: ignore[arg-type]
        refused(ErrorKind.VALUE, "symmetrise", "True or False"),
    ),
    (
        "a node holding None",
        api(lambda: matcalc.derive(Sum(None), "X")),  # type: ignore[arg-type]
        refused(ErrorKind.VALUE, "Sum", "None", "an expression"),
    ),
    (
        "a node holding text",
        api(lambda: matcalc.derive(Sum(Transpose("X")), "X")),  # type: ignore[arg-type]
        refused(ErrorKind.VALUE, "Transpose", "'X'", "an expression"),
    ),
    (
        "where text",
        api(lambda: matcalc.derive(Sum(Symbol("X")), "X", where="junk")),  # type: ignore[arg-type]
        refused(ErrorKind.VALUE, "where"),
    ),
    (
        "where numbers",
        api(lambda: matcalc.derive(Sum(Symbol("X")), "X", where=[1, 2])),  # type: ignore[list-item]
        refused(ErrorKind.VALUE, "Bindings"),
    ),
    (
        "to_sympy with junk shapes",
        api(lambda: matcalc.to_sympy(matcalc.parse("X R^T"), "junk")),  # type: ignore[arg-type]
        refused(ErrorKind.SHAPE, "shapes map names"),
    ),
    (
        "a SymPy variable of another shape",
        api(
            lambda: matcalc.diff(
                sympy.Trace(sympy.MatrixSymbol("X", 3, 3) * sympy.MatrixSymbol("A", 3, 3)),
                sympy.MatrixSymbol("X", 4, 4),
            )
        ),
        refused(ErrorKind.SHAPE, "4×4", "3×3"),
    ),
    (
        "a SymPy variable of its shape",
        api(
            lambda: matcalc.diff(
                sympy.Trace(sympy.MatrixSymbol("X", 3, 3) * sympy.MatrixSymbol("A", 3, 3)),
                sympy.MatrixSymbol("X", 3, 3),
            )
        ),
        derived("A^T"),
    ),
    (
        "a function as the variable",
        lambda: cli("diff", "sum(exp(X))", "--wrt", "exp"),
        refused(ErrorKind.NAME, "exp is a function's name"),
    ),
    (
        "ones as the variable",
        lambda: cli("diff", "sum(ones(3, 3) X)", "--wrt", "ones"),
        refused(ErrorKind.NAME, "ones is a function's name"),
    ),
    (
        "a symmetric scalar",
        lambda: cli("diff", "α^2 tr(X)", "--wrt", "α", "--shape", "α=scalar,symmetric", "--check"),
        derived("2 tr(X) α"),
    ),
    (
        "a symmetric scalar from Python",
        api(lambda: matcalc.diff("α^2 tr(X)", "α", shapes={"α": "scalar,symmetric"})),
        derived("2 tr(X) α"),
    ),
    # the command line's edges
    (
        "--latex to codegen",
        lambda: cli("codegen", "sum(X)", "--wrt", "X", "--latex"),
        lambda ran: (
            None
            if ran.code == 2
            and "option of matcalc diff" in ran.err
            and "starts with '-'" not in ran.err
            else pytest.fail(ran.err)
        ),
    ),
    (
        "an objective starting with -",
        lambda: cli("diff", "--wrt", "X", "-sum(X)"),
        lambda ran: None if ran.code == 2 and "goes after --" in ran.err else pytest.fail(ran.err),
    ),
    (
        "a check outside the domain",
        lambda: cli("diff", "sum(log(X - 2))", "--wrt", "X", "--check"),
        printed("check: not checked", "not real", code=1),
    ),
    (
        "stdin with a byte-order mark",
        lambda: cli("diff", "--wrt", "X", "--check", stdin="\ufeffsum(X ⊙ X)\n"),
        derived("2 X"),
    ),
    (
        "stdin not UTF-8",
        lambda: cli("diff", "--wrt", "X", stdin="sum(X)\udcff\n"),
        refused(ErrorKind.VALUE, "standard input: not UTF-8 text"),
    ),
    # using results
    (
        "evaluate a result with named values",
        api(_evaluate_named_result),
        evaluates_to(_named_result_by_hand),
    ),
    (
        "evaluate a result with ones(m, n)",
        api(lambda: (matcalc.evaluate(matcalc.diff("sum(X)", "X"), {"X": X34}), {})),
        evaluates_to(lambda env: np.ones((3, 4))),
    ),
    (
        "evaluate with a Derivation's shapes",
        api(
            lambda: (
                matcalc.evaluate("sum(X)", {"X": X34}, shapes=matcalc.diff("sum(X)", "X").shapes),
                {},
            )
        ),
        evaluates_to(lambda env: X34.sum()),
    ),
    (
        "evaluate a user's function",
        api(
            lambda: (
                matcalc.evaluate("sum(phi(X))", {"X": X34}, functions={"phi": "log(1 + exp(x))"}),
                {},
            )
        ),
        evaluates_to(lambda env: np.log1p(np.exp(X34)).sum()),
    ),
    (
        "exact coefficients in code",
        api(
            lambda: (
                matcalc.diff(
                    "99999999999999999999 tr(X) - 99999999999999999998 tr(X)",
                    "X",
                    shapes={"X": (3, 3)},
                ).to_function()(ENV["A"])[0],
                {},
            )
        ),
        evaluates_to(lambda env: np.trace(ENV["A"])),
    ),
    (
        "Python floats in code",
        api(lambda: (matcalc.diff("log(α β)", "α").to_function()(2.0, 3.0)[1], {})),
        evaluates_to(lambda env: 0.5),
    ),
    # second order: the direction
    (
        "the variable as direction",
        lambda: cli("hessian", "x^T A x", "--wrt", "x", "--direction", "x"),
        refused(ErrorKind.NAME, "the variable itself"),
    ),
    (
        "the objective's symbol as direction",
        lambda: cli("hessian", "x^T A x", "--wrt", "x", "--direction", "A"),
        refused(ErrorKind.NAME, "a symbol of the objective"),
    ),
    (
        "a function as direction",
        lambda: cli("hessian", "x^T A x", "--wrt", "x", "--direction", "exp"),
        refused(ErrorKind.NAME, "exp", "function"),
    ),
    (
        "an empty direction",
        lambda: cli("hessian", "x^T A x", "--wrt", "x", "--direction", ""),
        refused(ErrorKind.NAME, "the direction is a name"),
    ),
    (
        "direction 3",
        api(lambda: matcalc.hessian("x^T A x", "x", direction=3)),  # type: ignore[arg-type]
        refused(ErrorKind.NAME, "the direction is a name"),
    ),
    (
        "direction bytes",
        api(lambda: matcalc.Session().hessian("x^T A x", "x", direction=b"v")),
        refused(ErrorKind.NAME, "the direction is a name"),
    ),
    (
        "a direction of another shape",
        lambda: cli("hessian", "x^T A x", "--wrt", "x", "--direction", "V", "--shape", "V=3,3"),
        refused(ErrorKind.SHAPE, "must have the variable x's shape"),
    ),
    (
        "a Greek direction",
        lambda: cli("hessian", "x^T A x", "--wrt", "x", "--direction", "ν", "--check"),
        derived("A^T ν + A ν"),
    ),
    (
        "a direction for a scalar",
        lambda: cli("hessian", "α^3 tr(X)", "--wrt", "α", "--direction", "v", "--check"),
        derived("6 tr(X) v α"),
    ),
    (
        "a Session's hessian by a direction",
        api(lambda: matcalc.Session().hessian("||A X B - C||_F^2", "X", direction="V")),
        derived("2 A^T A V B B^T"),
    ),
    # second order: the objective and the variable
    (
        "a Hessian of a column",
        lambda: cli("hessian", "A x", "--wrt", "x"),
        refused(ErrorKind.SHAPE, "a Hessian is of a scalar objective"),
    ),
    (
        "a Hessian by an absent variable",
        lambda: cli("hessian", "tr(X)", "--wrt", "Y"),
        refused(ErrorKind.NAME, "'Y' does not occur"),
    ),
    (
        "a zero Hessian of vec",
        lambda: cli("hessian", "tr(X)", "--wrt", "Y", "--shape", "Y=3,3", "--check"),
        derived("0 (eye(3) ⊗ eye(3))"),
    ),
    (
        "a zero Hessian of a column",
        lambda: cli("hessian", "a^T x", "--wrt", "x", "--check"),
        derived("0"),
    ),
    (
        "a symmetric variable's Kronecker form",
        lambda: cli("hessian", "tr(S A S)", "--wrt", "S", "--shape", "S=n,n,symmetric", "--check"),
        derived("(A^T ⊗ eye(n)) / 2 + (eye(n) ⊗ (A + A^T)) / 2 + (A ⊗ eye(n)) / 2"),
    ),
    (
        "a numerator-layout HVP",
        lambda: cli(
            "hessian",
            "||A X B - C||_F^2",
            "--wrt",
            "X",
            "--direction",
            "V",
            "--layout",
            "numerator",
            "--check",
        ),
        derived("2 B B^T V^T A^T A"),
    ),
    (
        "logdet has no Kronecker form",
        lambda: cli("hessian", "logdet(X)", "--wrt", "X"),
        refused(ErrorKind.NOT_DIFFERENTIABLE, "commutation matrix", "--direction V"),
    ),
    (
        "det has no Kronecker form",
        lambda: cli("hessian", "det(X)", "--wrt", "X"),
        refused(ErrorKind.NOT_DIFFERENTIABLE, "sum(V ⊙ X^{-T})", "--direction V"),
    ),
    ("det by a direction", api(lambda: matcalc.hessian("det(X)", "X", direction="V")), derived()),
    (
        "g'' of a generic g",
        lambda: cli("hessian", "sum(g(A x))", "--wrt", "x", "--check"),
        derived("A^T diag(g''(A x)) A"),
    ),
    (
        "a user's function twice",
        lambda: cli(
            "hessian",
            "sum(phi(A x))",
            "--wrt",
            "x",
            "--define",
            "phi(x) = log(1 + exp(x))",
            "--check",
        ),
        derived("A^T diag(H1 ⊙ (1 - H1)) A"),
    ),
    (
        "relu twice",
        lambda: cli("hessian", "sum(relu(A x))", "--wrt", "x"),
        refused(ErrorKind.NOT_DIFFERENTIABLE, "step is piecewise constant"),
    ),
    (
        "an HVP of a 32-layer network",
        api(lambda: matcalc.hessian(_network(32), "W1", direction="V")),
        derived(),
    ),
    (
        "a SymPy objective's Hessian",
        api(lambda: matcalc.hessian(sympy.Trace(_SX.T * sympy.MatrixSymbol("A", 3, 3) * _SX), _SX)),
        derived("eye(3) ⊗ (A + A^T)"),
    ),
    # Kronecker products and vec in the input
    (
        "⊗ of undeclared shapes",
        lambda: cli("diff", "sum(A ⊗ B)", "--wrt", "A"),
        refused(ErrorKind.SHAPE, "declare the shapes"),
    ),
    ("⊗ caret", lambda: cli("diff", "sum(A ⊗ B)", "--wrt", "A"), caret_under(5)),
    (
        "\\otimes in plain text",
        lambda: cli("hessian", "sum(A \\otimes B)", "--wrt", "A"),
        refused(ErrorKind.SHAPE, "Kronecker"),
    ),
    (
        "kron(A, B) differentiated",
        lambda: cli(
            "diff",
            "sum(kron(A, B))",
            "--wrt",
            "B",
            "--shape",
            "A=2,3",
            "--shape",
            "B=4,5",
            "--check",
        ),
        derived("sum(A) ones(4, 5)"),
    ),
    (
        "kron of one",
        lambda: cli("diff", "sum(kron(A))", "--wrt", "A"),
        refused(ErrorKind.PARSE, "kron takes 2"),
    ),
    (
        "⊗ differentiated",
        lambda: cli(
            "diff", "sum(A ⊗ B)", "--wrt", "A", "--shape", "A=2,3", "--shape", "B=4,5", "--check"
        ),
        derived("sum(B) ones(2, 3)"),
    ),
    (
        "⊗ twice",
        lambda: cli("diff", "sum(A ⊗⊗ B)", "--wrt", "A"),
        refused(ErrorKind.PARSE, "'⊗'"),
    ),
    ("⊗ twice caret", lambda: cli("diff", "sum(A ⊗⊗ B)", "--wrt", "A"), caret_under(8)),
    (
        "vec of undeclared shapes",
        lambda: cli("hessian", "vec(X)^T vec(X)", "--wrt", "X"),
        refused(ErrorKind.SHAPE, "vec multiplies"),
    ),
    (
        "vec differentiated twice",
        lambda: cli("hessian", "vec(X)^T vec(X)", "--wrt", "X", "--shape", "X=3,4", "--check"),
        derived("2 (eye(4) ⊗ eye(3))"),
    ),
    (
        "vec of two",
        lambda: cli("diff", "sum(vec(X, Y))", "--wrt", "X"),
        refused(ErrorKind.PARSE, "vec takes one argument"),
    ),
    (
        "vec of named sizes against a number",
        lambda: cli(
            "diff", "x^T x + x^T vec(X)", "--wrt", "x", "--shape", "x=12", "--shape", "X=m,n"
        ),
        refused(ErrorKind.SHAPE, "vec(X) is mn×1"),
    ),
    # the softmax family (issue 15)
    (
        "cross-entropy of vec against a number",
        lambda: cli(
            "diff", "cross_entropy(vec(X), y)", "--wrt", "y", "--shape", "y=12", "--shape", "X=m,n"
        ),
        refused(ErrorKind.SHAPE, "logits and targets of the same shape"),
    ),
    (
        "cross-entropy of one argument",
        lambda: cli("diff", "cross_entropy(Z)", "--wrt", "Z"),
        refused(ErrorKind.PARSE, "cross_entropy takes 2 arguments"),
    ),
    (
        "cross-entropy of mismatched shapes",
        lambda: cli("diff", "cross_entropy(X W, y)", "--wrt", "W"),
        refused(ErrorKind.SHAPE, "same shape"),
    ),
    (
        "rows of one entry summing to one",
        lambda: cli("diff", "sum(Y)", "--wrt", "Y", "--shape", "Y=m,1,rows-sum-to-one"),
        refused(ErrorKind.SHAPE, "Y=n,sums-to-one"),
    ),
    (
        "a factor divided twice and multiplied once",
        api(lambda: matcalc.diff("sum(log(X ⊙ X))", "X")),
        derived(),
    ),
    (
        "⊗ and vec beside the variable",
        api(
            lambda: matcalc.hessian(
                "sum(A ⊗ B) vec(A)^T vec(A) tr(X^T X)", "X", shapes={"A": (2, 2), "B": (2, 2)}
            )
        ),
        derived(),
    ),
    (
        "evaluate a chain of ⊗",
        api(lambda: (matcalc.evaluate("A ⊗ X ⊗ vec(X)", ENV, shapes=_KRON_SHAPES), ENV)),
        evaluates_to(
            lambda env: np.kron(np.kron(env["A"], env["X"]), env["X"].reshape(-1, 1, order="F"))
        ),
    ),
    (
        "a Kronecker Hessian through SymPy",
        api(_kronecker_through_sympy),
        evaluates_to(lambda env: 2 * np.kron(np.eye(4), env["A"].T @ env["A"])),
    ),
    (
        "a dimension of 5,000 digits",
        lambda: cli("diff", "x^T x", "--wrt", "x", "--shape", "x=1" + "0" * 5000),
        refused(ErrorKind.SHAPE, "a dimension has at most 400 digits"),
    ),
    # second-order code
    (
        "--direction without --hessian",
        lambda: cli("codegen", "x^T A x", "--wrt", "x", "--direction", "v"),
        refused(ErrorKind.VALUE, "--direction goes with --hessian"),
    ),
    (
        "codegen's direction is the variable",
        lambda: cli("codegen", "x^T A x", "--wrt", "x", "--hessian", "--direction", "x"),
        refused(ErrorKind.NAME, "the variable itself"),
    ),
    (
        "codegen of a Hessian without Kronecker form",
        lambda: cli("codegen", "logdet(X)", "--wrt", "X", "--hessian"),
        refused(ErrorKind.NOT_DIFFERENTIABLE, "--direction V"),
    ),
    (
        "an HVP in code",
        api(
            lambda: (
                matcalc.hessian("x^T A x", "x", direction="v").to_function()(
                    ENV["X"][:, 0], ENV["A"]
                )[2](ENV["X"][:, 1]),
                ENV,
            )
        ),
        evaluates_to(lambda env: (env["A"] + env["A"].T) @ env["X"][:, 1]),
    ),
]


@pytest.mark.parametrize(("run", "check"), [row[1:] for row in ROWS], ids=[row[0] for row in ROWS])
def test_hostile_input(run: Callable[[], Any], check: Check) -> None:
    start = time.perf_counter()
    outcome = run()
    assert time.perf_counter() - start < SECONDS
    check(outcome)


def test_the_table_is_large_enough() -> None:
    assert len(ROWS) >= 120
