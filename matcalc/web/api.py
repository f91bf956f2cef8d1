"""The playground's JSON API: a request's fields checked, then the command line's own path run
on them, so that each answer is what `--format json` prints, with the derivation typeset in
MathML beside it; every failure is a JSON error, never a traceback. Only the public API and the
command line's functions are used here."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import matcalc
from matcalc.cli import Result, internal_error, json_value, problem_options, results


@dataclass(frozen=True)
class Field:
    """A request field: the JSON type it takes, its default (None: required) and, where it is
    one of a few words, those."""

    kind: type
    default: Any
    choices: tuple[str, ...] = ()


_PROBLEM = {
    "expression": Field(str, None),
    "shapes": Field(dict, {}),
    "functions": Field(list, []),
    "convention": Field(str, "seed", ("seed", "matrixcalculus")),
    "notation": Field(str, "auto", ("auto", "latex")),
}
_DERIVATIVE = {
    **_PROBLEM,
    "wrt": Field(str, None),
    "layout": Field(str, "denominator", ("denominator", "numerator")),
    "symmetrise": Field(bool, True),
}
_SECOND = {"hessian": Field(bool, False), "direction": Field(str, "")}

FIELDS: dict[str, dict[str, Field]] = {
    "symbols": _PROBLEM,
    "diff": _DERIVATIVE,
    "hessian": {**_DERIVATIVE, "direction": Field(str, "")},
    "check": {**_DERIVATIVE, **_SECOND},
    "codegen": {**_PROBLEM, "wrt": Field(str, None), **_SECOND, "name": Field(str, "")},
}
"""Each endpoint's fields: an empty direction or name is none."""

BAD_REQUEST = "bad request"
"""The kind of error of a request the API cannot read, beside matcalc's own kinds."""


class RequestError(Exception):
    """A request that is not the API's: not JSON, not an object, a field missing or wrong."""


def answer(endpoint: str, body: bytes) -> tuple[int, dict[str, Any]]:
    """The HTTP status and the JSON object for a POST of `body` to /api/`endpoint`."""
    try:
        fields = _fields(endpoint, body)
        return 200, _ENDPOINTS[endpoint](fields)
    except RequestError as error:
        return 400, error_json(BAD_REQUEST, str(error))
    except matcalc.MatcalcError as error:  # an answer, not a failed request
        return 200, matcalc_error_json(error)
    except Exception as bug:  # a bug in matcalc: said in one line, as the command line does
        return 500, error_json("internal error", internal_error(bug).removeprefix("matcalc: "))


def error_json(kind: str, message: str) -> dict[str, Any]:
    """The JSON of an error: its kind and what is wrong."""
    return {"error": {"kind": kind, "message": message}}


def matcalc_error_json(error: matcalc.MatcalcError) -> dict[str, Any]:
    """A MatcalcError's JSON: kind, message, and where it has one the line, the column and the
    caret under it, as the command line prints them."""
    found = error_json(error.kind.value, error.message)
    if error.span is not None:
        caret = error.span.caret().split("\n")
        found["error"] |= {
            "line": error.line,
            "column": error.column,
            "source": caret[0],
            "caret": caret[1],
        }
    return found


def _fields(endpoint: str, body: bytes) -> dict[str, Any]:
    """The request's fields with their defaults, each checked against FIELDS."""
    try:
        request = json.loads(body)
    except (UnicodeDecodeError, ValueError) as error:
        raise RequestError(f"the request is not JSON: {error}") from None
    except RecursionError:  # nested past Python's stack
        raise RequestError("the request is nested too deeply to read") from None
    if not isinstance(request, dict):
        raise RequestError('the request is a JSON object, such as {"expression": "x^T x"}')
    known = FIELDS[endpoint]
    if unknown := sorted(set(request) - set(known)):
        raise RequestError(
            f"/api/{endpoint} takes no field {', '.join(map(repr, unknown))}: its fields are "
            f"{', '.join(known)}"
        )
    found: dict[str, Any] = {}
    for name, field in known.items():
        value = request.get(name, field.default)
        if value is None:
            raise RequestError(f"/api/{endpoint} needs the field {name!r}")
        if type(value) is not field.kind:  # bool is no int here, nor int a bool
            raise RequestError(f"the field {name!r} is {_json_type(field.kind)}")
        if field.choices and value not in field.choices:
            raise RequestError(f"the field {name!r} is one of {', '.join(field.choices)}")
        found[name] = value
    _check_shapes(found["shapes"])
    if not all(isinstance(text, str) for text in found["functions"]):
        raise RequestError('the field "functions" is a list of texts such as "phi(x) = x^2"')
    if found.get("direction") and not found.get("hessian", endpoint == "hessian"):
        raise RequestError('"direction" goes with "hessian": true')
    return found


def _check_shapes(shapes: Mapping[str, object]) -> None:
    if not all(isinstance(spec, str) for spec in shapes.values()):
        raise RequestError(
            'the field "shapes" maps names to shapes written as on the command line: '
            '{"X": "m,n", "x": "n", "t": "scalar", "S": "n,n,symmetric"}'
        )


def _json_type(kind: type) -> str:
    return {str: "a text", bool: "true or false", dict: "an object", list: "a list"}[kind]


def _arguments(fields: Mapping[str, Any], command: str, check: bool = False) -> argparse.Namespace:
    """The command line's arguments for the request: what `matcalc COMMAND --format json
    --factored` (and `--check`) would be given."""
    return argparse.Namespace(
        command=command,
        expression=fields["expression"],
        file=None,
        wrt=[fields.get("wrt", "")],
        shape=[f"{name}={spec}" for name, spec in fields["shapes"].items()],
        define=list(fields["functions"]),
        convention=fields["convention"],
        latex=fields["notation"] == "latex",
        layout=fields.get("layout", "denominator"),
        unconstrained=not fields.get("symmetrise", True),
        direction=fields.get("direction") or None,
        format="json",
        standalone=False,
        proofs=False,
        factored=True,
        check=check,
    )


def _symbols(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Each symbol in reading order with its inferred shape: the page's table and variables."""
    options = problem_options(_arguments(fields, "diff"))
    found = matcalc.symbols(fields["expression"], notation=fields["notation"], **options)
    return {
        "symbols": [
            {"name": name, "rows": rows, "cols": cols, "declared": list(declared)}
            for name, (rows, cols), declared in found
        ]
    }


def _derived(command: str, check: bool = False) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """The endpoint that runs `matcalc COMMAND --format json --factored` (and `--check`)."""

    def run(fields: Mapping[str, Any]) -> dict[str, Any]:
        second = command == "hessian" or fields.get("hessian", False)
        args = _arguments(fields, "hessian" if second else "diff", check)
        (found,) = results(args, None)
        data = json_value([found])
        assert isinstance(data, dict)
        return data | {"mathml": _typeset(found)}

    return run


def _typeset(found: Result) -> dict[str, Any]:
    """The derivation, the result, its factored form and its named values in MathML."""
    derivation, factored = found.derivation, found.factored
    assert factored is not None  # asked for, as --factored
    return {
        "derivation": derivation.html(),
        "result": matcalc.mathml(derivation.result),
        "factored": matcalc.mathml(factored),
        "where": [
            {"name": b.name.name, "value": matcalc.mathml(b.value)} for b in derivation.result_where
        ],
    }


def _codegen(fields: Mapping[str, Any]) -> dict[str, Any]:
    """`matcalc codegen`'s source: f and the derivative, or with "hessian" the Hessian or
    with a direction hvp(V)."""
    args = _arguments(fields, "codegen")
    source: str = matcalc.codegen(
        fields["expression"],
        [fields["wrt"]],
        fields["name"] or None,
        hessian=fields["hessian"],
        direction=fields["direction"] or None,
        notation=fields["notation"],
        **problem_options(args),
    )
    return {"source": source}


_ENDPOINTS: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    "symbols": _symbols,
    "diff": _derived("diff"),
    "hessian": _derived("hessian"),
    "check": _derived("diff", check=True),
    "codegen": _codegen,
}
