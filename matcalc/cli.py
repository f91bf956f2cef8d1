"""The `matcalc` command: `diff` derives and prints, `hessian` the second derivative, `codegen`
writes a Python function for f and its derivatives, `rules` lists the rule table, `notation`
the notation.

Only the public API is used here. Exit codes: 0 done, 1 a `--check` that disagrees, 2 a user
error (the message, then the line and a caret under the place), 70 a bug (one line, no
traceback), 130 interrupted. Output that the terminal cannot encode comes out in ASCII.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NoReturn, TypeVar

import matcalc
from matcalc.cli_check import Check, check

T = TypeVar("T")

INTERNAL_ERROR = 70
"""sysexits.h's EX_SOFTWARE: matcalc itself went wrong."""

EXAMPLES = {
    "diff": [
        ('"||X - D R||_F^2" --wrt D', "the dictionary-learning gradient, step by step"),
        ('"||X - D R||_F^2" --wrt D --wrt R', "both gradients, tags running on"),
        ('"||g(X W) - Y||_F^2" --wrt W --check', "checked against central differences"),
        ('"||A x - b||_2^2" --wrt x --shape A=m,n --factored', "a declared shape; factored"),
        ('"x^T A x" --wrt x --format json', "JSON: result, shapes, steps"),
        ("--latex '\\|X W - Y\\|_F^2' --wrt W", "the objective in LaTeX"),
        ('--wrt X -- "-sum(log(X))"', "an objective that starts with a minus sign"),
        ("--wrt X --file objective.txt", "the objective from a file (or - for stdin)"),
    ],
    "hessian": [
        ('"x^T A x" --wrt x', "the Hessian of a column variable, n×n"),
        ('"||A X B - C||_F^2" --wrt X --direction V', "the Hessian-vector product ∇²f[V]"),
        ('"||A X - B||_F^2" --wrt X --check', "the Hessian of vec(X), checked"),
    ],
    "codegen": [
        ('"||X - D R||_F^2" --wrt D --wrt R', "f, df/dD and df/dR as a Python function"),
        ('"sum(softplus(-y ⊙ (X w)))" --wrt w --hessian', "f, the gradient and the Hessian"),
        ('"||tanh(X W1) W2 - Y||_F^2" --wrt W1 --hessian --direction V', "f, grad, hvp(V)"),
    ],
    "rules": [("--proofs", "every rule with its proof in index notation")],
    "serve": [
        ("", "the playground at http://127.0.0.1:8765/"),
        ("--port 0 --open", "on a free port, opened in the browser"),
    ],
    "notation": [("", "operators, functions, norms, shapes and conventions")],
}
"""Each command's examples for its --help: arguments after `matcalc COMMAND`, and what they do."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run `matcalc ARGV…`: print what the command gives, or the error; the exit code."""
    root = parser()
    ascii_only = False
    try:
        try:
            args = parsed(root, argv)
        except SystemExit as done:  # --help, --version, or a usage error already printed
            return done.code if isinstance(done.code, int) else 2
        ascii_only = getattr(args, "ascii", False)
        if not hasattr(args, "run"):  # `matcalc` alone
            root.print_help()
            return 0
        output: str
        status: int
        output, status = args.run(args, sys.stdin)
        write(sys.stdout, output, ascii_only=ascii_only)
        return status
    except matcalc.MatcalcError as error:
        write(sys.stderr, f"matcalc: {error}", ascii_only=ascii_only)
        return 2
    except KeyboardInterrupt:
        write(sys.stderr, "matcalc: interrupted")
        return 130
    except BrokenPipeError:  # the reader has gone, as `| head` does: nothing left to say
        _discard(sys.stdout)
        return 141
    except Exception as bug:  # a bug in matcalc: said in one line, never a traceback
        write(sys.stderr, internal_error(bug))
        return INTERNAL_ERROR


def _discard(stream: IO[str]) -> None:
    """Send what is still buffered for a closed pipe nowhere, so that exiting does not fail."""
    with contextlib.suppress(OSError, ValueError):  # ValueError: not a file (a StringIO)
        os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())


def internal_error(bug: Exception) -> str:
    """The line a bug gets: what was raised, and a request to report it."""
    said = " ".join(str(bug).split())
    said = said if len(said) <= 200 else said[:200] + "…"
    return (
        f"matcalc: internal error: {type(bug).__name__}: {said} "
        "(a bug in matcalc: please report it, with the command that caused it)"
    )


def write(stream: IO[str], text: str, *, ascii_only: bool = False) -> None:
    """`text` and a newline on `stream`, in ASCII if asked or if the stream cannot encode it."""
    if ascii_only or not encodable(text, stream):
        text = matcalc.to_ascii(text)
    print(text, file=stream)


def encodable(text: str, stream: IO[str]) -> bool:
    """Whether `stream` can take `text` as it is (a cp1252 console cannot take ⊙)."""
    try:
        text.encode(getattr(stream, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def parsed(root: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """`argv` read by `root` (`parser()`); arguments it does not take are a usage error that
    says what each one is (the notebook magic reads its line so too)."""
    args, extra = root.parse_known_args(argv)
    if extra:
        root.error(unrecognized(extra, getattr(args, "command", None), root))
    return args


OPTION = re.compile(r"--?[A-Za-z][A-Za-z0-9-]*(=.*)?", re.DOTALL)
"""An argument written as an option is, as --latex or -h; an objective such as -sum(X) is not."""


def unrecognized(extra: Sequence[str], command: str | None, root: argparse.ArgumentParser) -> str:
    """Why the arguments `extra` were not taken: an option of another command, or an objective
    that starts with '-', which goes after --."""
    message = f"unrecognized arguments: {' '.join(extra)}"
    options = _options_by_command(root)
    for argument in extra:
        flag = argument.partition("=")[0]
        owners = [name for name, flags in options.items() if flag in flags and name != command]
        if owners and command is not None:
            message += f"; {flag} is an option of matcalc {' and '.join(owners)}, not of {command}"
        elif argument.startswith("-") and not OPTION.fullmatch(argument):
            message += "; an objective that starts with '-' goes after --, as in "
            message += "matcalc diff --wrt X -- '-sum(X)'"
    return message


def _options_by_command(root: argparse.ArgumentParser) -> dict[str, set[str]]:
    """Each command's option strings (--latex, --check, …)."""
    found: dict[str, set[str]] = {}
    for action in root._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, command in action.choices.items():
                found[name] = {flag for a in command._actions for flag in a.option_strings}
    return found


class _ArgumentParser(argparse.ArgumentParser):
    """Usage errors in one line, like every other error; help in ASCII where need be."""

    def error(self, message: str) -> NoReturn:
        one_line = message.replace("\n", "\\n")  # an argument may hold a line break
        write(sys.stderr, f"matcalc: usage error: {one_line}")
        raise SystemExit(2)

    def _print_message(self, message: str, file: Any = None) -> None:
        if message:
            write(file or sys.stdout, message.rstrip("\n"))


def parser() -> argparse.ArgumentParser:
    """The command line's arguments (the notebook magic reads them too)."""
    root = _ArgumentParser(
        prog="matcalc",
        description="Symbolic matrix calculus that shows its work.",
        epilog=_examples(*EXAMPLES) + "\n\n" + matcalc.notation_summary(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    root.add_argument("--version", action="version", version=f"matcalc {matcalc.__version__}")
    shared = _ArgumentParser(add_help=False)
    shared.add_argument(
        "--ascii",
        action="store_true",
        help="print in ASCII (.* for ⊙, |-> for ↦), as where the terminal cannot show Unicode",
    )
    commands = root.add_subparsers(metavar="COMMAND")

    def command(name: str, text: str) -> argparse.ArgumentParser:
        return commands.add_parser(
            name,
            help=text,
            description=text[0].upper() + text[1:] + ".",
            epilog=_examples(name),
            parents=[shared],
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    diff = command("diff", "differentiate a scalar objective, step by step")
    _derivative(diff, "the variable; give --wrt once per derivative wanted")
    diff.set_defaults(run=_diff, command="diff")

    hessian = command(
        "hessian",
        "the second derivative: a Hessian, a Hessian-vector product or Kronecker products",
    )
    _derivative(hessian, "the variable; give --wrt once per Hessian wanted")
    hessian.add_argument(
        "--direction",
        metavar="V",
        help="the Hessian-vector product ∇²f[V] in the direction V (the variable's shape), "
        "not the whole Hessian",
    )
    hessian.set_defaults(run=_diff, command="hessian")

    codegen = command(
        "codegen", "write a Python function returning f and its gradients (NumPy, PyTorch, JAX, …)"
    )
    codegen.add_argument(
        "--wrt",
        required=True,
        action="append",
        metavar="VAR",
        help="a variable; give --wrt once per gradient wanted",
    )
    _problem(codegen)
    codegen.add_argument(
        "--name",
        help="the function's name (default: f_and_grad; f_grad_hess or f_grad_hvp with --hessian)",
    )
    codegen.add_argument(
        "--hessian",
        action="store_true",
        help="also return each second derivative: the Hessian of a scalar or column variable, "
        "of vec(X) for a matrix (as Kronecker products), or with --direction a function hvp(V)",
    )
    codegen.add_argument(
        "--direction",
        metavar="V",
        help="with --hessian: return hvp(V), the Hessian-vector product, for any V",
    )
    codegen.set_defaults(run=_codegen, command="codegen")

    rules = command("rules", "list the rule table")
    rules.add_argument("--format", choices=["text", "latex"], default="text")
    rules.add_argument("--proofs", action="store_true", help="each rule's proof after its line")
    rules.set_defaults(run=_rules, command="rules")

    listed = command("notation", "summarise the notation an objective is written in")
    listed.set_defaults(run=_notation, command="notation")

    serve = command("serve", "serve the playground, a page that derives as you type")
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="the address to listen on (default 127.0.0.1: this machine only)",
    )
    serve.add_argument("--port", type=_port, default=8765, help="the port (default 8765; 0: any)")
    serve.add_argument("--open", action="store_true", help="open the page in a browser")
    serve.set_defaults(run=_serve, command="serve")
    return root


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"a port is a number from 0 to 65535, not {text!r}")
    return int(text)


def _derivative(command: argparse.ArgumentParser, wrt: str) -> None:
    """The arguments of `diff` and `hessian`: the variable, the problem, how to show the result."""
    command.add_argument("--wrt", required=True, action="append", metavar="VAR", help=wrt)
    _problem(command)
    command.add_argument(
        "--latex",
        action="store_true",
        help=r"read the objective as LaTeX: \|X W - Y\|_F^2, \operatorname{tr}(X^\top A X)",
    )
    command.add_argument(
        "--layout",
        choices=["denominator", "numerator"],
        default="denominator",
        help="denominator (default): df/dX has X's shape; numerator: its transpose",
    )
    command.add_argument(
        "--unconstrained",
        action="store_true",
        help="for a symmetric variable, the unconstrained gradient G instead of (G + G^T)/2",
    )
    command.add_argument("--format", choices=["text", "latex", "json"], default="text")
    command.add_argument(
        "--factored",
        action="store_true",
        help="also give the result with common factors pulled out",
    )
    command.add_argument(
        "--check",
        action="store_true",
        help="evaluate the result on random inputs against central finite differences (of f, "
        "or for second order of the gradient); exit code 1 if they disagree",
    )
    command.add_argument(
        "--proofs",
        action="store_true",
        help="append the index-notation proof of every rule the derivation used",
    )
    command.add_argument(
        "--standalone",
        action="store_true",
        help="with --format latex: a complete LaTeX document",
    )


def _examples(*commands: str) -> str:
    lines = ["examples:"]
    for name in commands:
        for example, what in EXAMPLES[name]:
            lines += [f"  # {what}", f"  matcalc {name} {example}".rstrip()]
    return "\n".join(lines)


def _problem(command: argparse.ArgumentParser) -> None:
    """The objective and what says how to read it: shapes, functions, naming."""
    command.add_argument(
        "expression",
        nargs="?",
        help='the objective, e.g. "||X - D R||_F^2"; - or none: read it from standard input',
    )
    command.add_argument("--file", metavar="PATH", help="read the objective from a file (UTF-8)")
    command.add_argument(
        "--shape",
        action="append",
        default=[],
        metavar="VAR=DIMS",
        help="declare a shape: X=m,n (matrix), x=n (column vector), b=1,n (row), "
        "lambda=scalar, S=n,n,symmetric, Y=m,k,rows-sum-to-one (probabilities, one-hot rows), "
        "y=n,sums-to-one",
    )
    command.add_argument(
        "--define",
        action="append",
        default=[],
        metavar="F(x)=FORMULA",
        help='a scalar function of your own, used elementwise: "phi(x) = log(1 + exp(x))"',
    )
    command.add_argument(
        "--convention",
        choices=["seed", "matrixcalculus"],
        default="seed",
        help="how undeclared names are read: seed (Greek scalars, lower-case vectors, upper-case "
        "matrices) or matrixcalculus (a-g scalars, h-z vectors, A-Z matrices)",
    )


def objective(args: argparse.Namespace, stdin: IO[str] | None) -> str:
    """The objective: the argument, the --file, or standard input (for `-`, or for none given
    when input is piped in)."""
    if args.file is not None:
        if args.expression is not None:
            raise matcalc.MatcalcError("give the objective as an argument or with --file, not both")
        try:
            return Path(args.file).read_text(encoding="utf-8-sig").rstrip()
        except OSError as error:
            raise matcalc.MatcalcError(f"--file {args.file}: {error.strerror}") from None
        except UnicodeDecodeError:
            raise matcalc.MatcalcError(f"--file {args.file}: not UTF-8 text") from None
    if args.expression is not None and args.expression != "-":
        return str(args.expression)
    if stdin is None or (args.expression is None and stdin.isatty()):
        raise matcalc.MatcalcError(
            "no objective: give it as an argument, with --file PATH, or on standard input"
        )
    try:
        return _utf8(stdin).rstrip()
    except UnicodeError:
        raise matcalc.MatcalcError("standard input: not UTF-8 text") from None
    except OSError as error:
        raise matcalc.MatcalcError(f"cannot read standard input: {error}") from None


def _utf8(stdin: IO[str]) -> str:
    """Standard input read as UTF-8, as --file reads its file, a byte-order mark dropped: its
    bytes where it has them, else its text (lone surrogates stand for bytes it could not
    decode)."""
    buffer = getattr(stdin, "buffer", None)
    raw = buffer.read() if buffer is not None else stdin.read().encode("utf-8", "surrogateescape")
    text: str = raw.decode("utf-8-sig")
    return text


def problem_options(args: argparse.Namespace) -> dict[str, Any]:
    """The problem's options read off the arguments: shapes, convention, the user's functions
    (the playground's API reads its requests the same way)."""
    names = tuple(text.partition("(")[0].strip() for text in args.define)  # each may call none
    definitions = [matcalc.parse_definition(text, names) for text in args.define]
    return {
        "shapes": _shapes(args.shape),
        "convention": args.convention,
        "functions": _once(
            "--define", [(found.name, found) for found in definitions], matcalc.ErrorKind.NAME
        ),
    }


def _shapes(declarations: list[str]) -> dict[str, str]:
    named = []
    for declaration in declarations:
        name, sep, dims = declaration.partition("=")
        if not sep or not name.strip() or not dims.strip():
            raise matcalc.MatcalcError(
                f"--shape {declaration!r}: write VAR=m,n, VAR=n or VAR=scalar",
                matcalc.ErrorKind.SHAPE,
            )
        named.append((name.strip(), dims))
    return _once("--shape", named, matcalc.ErrorKind.SHAPE)


def _once(flag: str, named: list[tuple[str, T]], kind: matcalc.ErrorKind) -> dict[str, T]:
    """The declarations by name; a name declared twice is an error that names it."""
    found: dict[str, T] = {}
    for name, value in named:
        if name in found:
            raise matcalc.MatcalcError(
                f"{flag} declares {name} more than once; declare each name once", kind
            )
        found[name] = value
    return found


@dataclass(frozen=True)
class Result:
    """One derivative that `matcalc diff` was asked for, with the extras asked for."""

    derivation: matcalc.Derivation
    factored: matcalc.Expr | None
    check: Check | None


def results(args: argparse.Namespace, stdin: IO[str] | None) -> tuple[Result, ...]:
    """The derivations that `matcalc diff` arguments ask for, one per --wrt, tags running on
    (the notebook magic uses it too)."""
    text = objective(args, stdin)
    if args.standalone and args.format != "latex":
        raise matcalc.MatcalcError("--standalone goes with --format latex")
    options = {"layout": args.layout, "symmetrise": not args.unconstrained}
    if args.latex:
        options["notation"] = "latex"
    session = matcalc.Session()
    found = []
    for wrt in args.wrt:
        if getattr(args, "command", "diff") == "hessian":
            options["direction"] = args.direction
            derivation = session.hessian(text, wrt, **options, **problem_options(args))
        else:
            derivation = session.diff(text, wrt, **options, **problem_options(args))
        found.append(
            Result(
                derivation,
                derivation.factored() if args.factored else None,
                check(derivation) if args.check else None,
            )
        )
    return tuple(found)


def rendered(found: Sequence[Result], args: argparse.Namespace, *, ascii_only: bool) -> str:
    """What `matcalc diff` prints for `found`, in the format asked for (the magic's text)."""
    if args.format == "json":
        return json.dumps(json_value(found), ensure_ascii=ascii_only, indent=2)
    return "\n\n".join(
        _latex(result, args) if args.format == "latex" else _text(result, args) for result in found
    )


def json_value(found: Sequence[Result]) -> dict[str, Any] | list[dict[str, Any]]:
    """The JSON form: one derivation's dict, or a list of them for several --wrt."""
    values = []
    for result in found:
        data = result.derivation.to_dict()
        if result.factored is not None:
            data["factored"] = str(result.factored)
        if result.check is not None:
            data["check"] = result.check.to_dict()
        values.append(data)
    return values[0] if len(values) == 1 else values


def _latex(result: Result, args: argparse.Namespace) -> str:
    out = result.derivation.latex(proofs=args.proofs)
    if result.factored is not None:
        out += f"\n\nFactored: ${matcalc.latex(result.factored)}$"
    if result.check is not None:
        out += f"\n\n{result.check.sentence()}"
    return matcalc.latex_document(out) if args.standalone else out


def _text(result: Result, args: argparse.Namespace) -> str:
    out = result.derivation.text(proofs=args.proofs)
    if result.factored is not None:
        out += f"\n   factored: {result.factored}"
    if result.check is not None:
        out += "\n" + result.check.sentence()
    return out


def status(found: Sequence[Result]) -> int:
    """1 if a --check disagreed, else 0."""
    return 1 if any(r.check is not None and not r.check.agrees for r in found) else 0


def _diff(args: argparse.Namespace, stdin: IO[str] | None) -> tuple[str, int]:
    found = results(args, stdin)
    out = rendered(found, args, ascii_only=args.ascii)
    if args.format == "json" and not encodable(out, sys.stdout):
        out = rendered(found, args, ascii_only=True)  # escaped, not transliterated
    return out, status(found)


def _codegen(args: argparse.Namespace, stdin: IO[str] | None) -> tuple[str, int]:
    if args.direction is not None and not args.hessian:
        raise matcalc.MatcalcError("--direction goes with --hessian", matcalc.ErrorKind.VALUE)
    source: str = matcalc.codegen(
        objective(args, stdin),
        args.wrt,
        args.name,
        hessian=args.hessian,
        direction=args.direction,
        **problem_options(args),
    )
    return source.rstrip("\n"), 0


def _serve(args: argparse.Namespace, stdin: IO[str] | None) -> tuple[str, int]:
    from matcalc.web.server import serve

    def ready(line: str) -> None:
        write(sys.stdout, line)
        sys.stdout.flush()

    try:
        serve(args.host, args.port, open_browser=args.open, ready=ready)
    except OSError as error:
        raise matcalc.MatcalcError(
            f"cannot serve on {args.host}:{args.port}: {error.strerror or error}"
        ) from None
    except KeyboardInterrupt:
        return "matcalc: stopped", 0
    return "", 0


def _notation(args: argparse.Namespace, stdin: IO[str] | None) -> tuple[str, int]:
    return matcalc.notation_summary(), 0


def _rules(args: argparse.Namespace, stdin: IO[str] | None) -> tuple[str, int]:
    lines = []
    for rule in matcalc.RULES:
        x, g, d_x = matcalc.statement(rule)
        letter = rule.letter
        if args.format == "latex":
            lines.append(
                rf"\textbf{{{rule.name}}}: "
                rf"${letter}: {matcalc.latex(x)}\mapsto {matcalc.latex(g)}$, "
                rf"$\frac{{df}}{{d{matcalc.latex(x)}}} = {matcalc.latex(d_x)}$"
            )
            if args.proofs:
                lines += [matcalc.proof_latex(rule), ""]
        else:
            mapping = f"{letter}: {x} ↦ {g}"
            cited = f"   (Matrix Cookbook eq. ({rule.cites}))" if rule.cites else ""
            lines.append(f"{rule.name:36} {mapping:26} df/d{x} = {d_x}{cited}")
            if args.proofs:
                lines += [f"    {line}" for line in rule.proof] + [""]
    lines += ["", "second order (the second part of a derivation uses the rules above):"]
    for found in matcalc.SECOND_ORDER:
        cited = f"   (Matrix Cookbook eq. ({found.cites}))" if found.cites else ""
        if args.format == "latex":
            lines.append(rf"\textbf{{{found.name}}}: ${found.latex}$")
        else:
            lines.append(f"{found.name:36} {found.statement}{cited}")
    return "\n".join(lines).rstrip(), 0
