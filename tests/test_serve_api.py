"""The playground's JSON API: every endpoint gives what `--format json` prints (each derivative
also checked by numbers), every error kind is a JSON error with its place, and the server keeps
its limits and keeps serving: oversized, malformed and slow requests, other hosts, many clients
at once."""

from __future__ import annotations

import json
import multiprocessing
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection
from typing import Any

import pytest
from conftest import assert_gradient_correct, assert_well_formed, cli, running
from networks import network

import matcalc
from matcalc.web.api import answer
from matcalc.web.server import MAX_BODY, Playground, Workers

SEED = "||X - D R||_F^2"


def api(endpoint: str, request: Any) -> tuple[int, dict[str, Any]]:
    return answer(endpoint, json.dumps(request).encode())


def cli_json(*argv: str) -> dict[str, Any]:
    ran = cli(*argv, "--format", "json")
    assert ran.code in (0, 1), ran.err
    found: dict[str, Any] = json.loads(ran.out)
    return found


# ---- the endpoints, in process --------------------------------------------------------------


def test_symbols_in_reading_order_with_their_shapes() -> None:
    status, found = api("symbols", {"expression": SEED})
    assert status == 200
    assert found == {
        "symbols": [
            {"name": "X", "rows": "m", "cols": "n", "declared": []},
            {"name": "D", "rows": "m", "cols": "p", "declared": []},
            {"name": "R", "rows": "p", "cols": "n", "declared": []},
        ]
    }
    _, found = api(
        "symbols", {"expression": "x^T S x", "shapes": {"S": "k,k,symmetric"}, "notation": "auto"}
    )
    assert found["symbols"] == [
        {"name": "x", "rows": "k", "cols": 1, "declared": []},
        {"name": "S", "rows": "k", "cols": "k", "declared": ["symmetric"]},
    ]
    _, found = api("symbols", {"expression": r"\operatorname{tr}(X^\top A X)", "notation": "latex"})
    assert [symbol["name"] for symbol in found["symbols"]] == ["X", "A"]


@pytest.mark.parametrize(
    ("request_", "argv", "result"),
    [
        ({"expression": SEED, "wrt": "D"}, ["diff", SEED, "--wrt", "D"], "-2 X R^T + 2 D R R^T"),
        ({"expression": SEED, "wrt": "R"}, ["diff", SEED, "--wrt", "R"], "-2 D^T X + 2 D^T D R"),
        (
            {"expression": "||g(X W) - Y||_F^2", "wrt": "W", "layout": "numerator"},
            ["diff", "||g(X W) - Y||_F^2", "--wrt", "W", "--layout", "numerator"],
            "2 ((g(X W)^T - Y^T) ⊙ g'(X W)^T) X",
        ),
        (
            {"expression": "x^T S x", "wrt": "S", "shapes": {"S": "n,n,symmetric"}},
            ["diff", "x^T S x", "--wrt", "S", "--shape", "S=n,n,symmetric"],
            "x x^T",
        ),
        (
            {"expression": "x^T A y", "wrt": "A", "convention": "matrixcalculus"},
            ["diff", "x^T A y", "--wrt", "A", "--convention", "matrixcalculus"],
            "x y^T",
        ),
        (
            {"expression": "sum(phi(X w))", "wrt": "w", "functions": ["phi(x) = x^3"]},
            ["diff", "sum(phi(X w))", "--wrt", "w", "--define", "phi(x) = x^3"],
            "3 X^T (X w)^{∘2}",
        ),
    ],
    ids=["seed-D", "seed-R", "numerator", "symmetric", "matrixcalculus", "function"],
)
def test_diff_is_what_format_json_prints(
    request_: dict[str, Any], argv: list[str], result: str
) -> None:
    status, found = api("diff", request_)
    assert status == 200, found
    assert found["result"] == result
    typeset = found.pop("mathml")
    assert found == cli_json(*argv, "--factored")
    assert_well_formed(typeset["derivation"])
    assert typeset["result"] == matcalc.mathml(matcalc.parse(result))
    derivation = matcalc.diff(
        request_["expression"],
        request_["wrt"],
        **{key: value for key, value in request_.items() if key not in ("expression", "wrt")}
        | ({"functions": {"phi": "x^3"}} if "functions" in request_ else {}),
    )
    assert str(derivation.result) == result
    assert_gradient_correct(derivation)
    assert found["factored"] == str(derivation.factored())
    assert_gradient_correct(derivation, result=derivation.factored())


def test_a_jacobian_is_named_as_one() -> None:
    status, found = api("diff", {"expression": "A exp(x)", "wrt": "x"})
    assert status == 200, found
    assert (found["result_name"], found["result"]) == ("d(A exp(x))/dx", "diag(exp(x)) A^T")
    derivation = matcalc.diff("A exp(x)", "x")
    assert (derivation.result_name, str(derivation.result)) == (
        found["result_name"],
        found["result"],
    )
    assert_gradient_correct(derivation)


@pytest.mark.parametrize(
    ("request_", "result", "kind"),
    [
        ({"expression": "x^T A x", "wrt": "x"}, "A + A^T", "Hessian"),
        (
            {"expression": "||A X B - C||_F^2", "wrt": "X", "direction": "V"},
            "2 A^T A V B B^T",
            "Hessian-vector product",
        ),
        ({"expression": "||A X - B||_F^2", "wrt": "X"}, "2 (eye(p) ⊗ A^T A)", "Hessian of vec"),
    ],
    ids=["hessian", "hvp", "kronecker"],
)
def test_hessian_is_what_format_json_prints(
    request_: dict[str, Any], result: str, kind: str
) -> None:
    status, found = api("hessian", request_)
    assert status == 200, found
    assert (found["result"], found["kind"]) == (result, kind)
    argv = ["hessian", request_["expression"], "--wrt", request_["wrt"], "--factored"]
    if "direction" in request_:
        argv += ["--direction", request_["direction"]]
    found.pop("mathml")
    assert found == cli_json(*argv)
    derivation = matcalc.hessian(
        request_["expression"], request_["wrt"], direction=request_.get("direction")
    )
    assert_gradient_correct(derivation)
    assert derivation.gradient is not None
    assert found["gradient"]["result"] == str(derivation.gradient.result)
    assert_gradient_correct(derivation.gradient)
    assert found["factored"] == str(derivation.factored())
    assert_gradient_correct(derivation, result=derivation.factored())


def test_check_measures_the_result_against_central_differences() -> None:
    status, found = api("check", {"expression": SEED, "wrt": "D"})
    assert status == 200
    assert found["check"]["agrees"] and found["check"]["relative_error"] < 1e-6
    assert found["check"]["differences_of"] == "f"
    status, found = api("check", {"expression": "x^T A x", "wrt": "x", "hessian": True})
    assert status == 200
    assert (found["result"], found["check"]["differences_of"]) == ("A + A^T", "the gradient")
    assert found["check"]["agrees"]


@pytest.mark.parametrize(
    ("request_", "options"),
    [
        ({"expression": SEED, "wrt": "D"}, {}),
        (
            {"expression": "||tanh(X W1) W2 - Y||_F^2", "wrt": "W1", "hessian": True,
             "direction": "V"},
            {"hessian": True, "direction": "V"},
        ),
    ],
    ids=["gradient", "hvp"],
)  # fmt: skip
def test_codegen_writes_what_codegen_writes(
    request_: dict[str, Any], options: dict[str, Any]
) -> None:
    status, found = api("codegen", request_)
    assert status == 200
    assert found == {
        "source": matcalc.codegen(request_["expression"], [request_["wrt"]], **options)
    }
    # the derivative the code is written from, by numbers (tests/test_codegen.py runs the code)
    if options:
        derivation = matcalc.hessian(request_["expression"], request_["wrt"], direction="V")
    else:
        derivation = matcalc.diff(request_["expression"], request_["wrt"])
    assert_gradient_correct(derivation)


# ---- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "request_", "kind", "column"),
    [
        ("diff", {"expression": "||X - D R|_F^2", "wrt": "D"}, "syntax error", 10),
        ("diff", {"expression": "tr(X x)", "wrt": "X"}, "shape error", 1),
        ("diff", {"expression": "X W + W", "wrt": "W"}, "shape error", None),
        ("diff", {"expression": SEED, "wrt": "Q"}, "name error", None),
        ("diff", {"expression": "sum(frob(X))", "wrt": "X"}, "name error", 5),
        ("diff", {"expression": "x^T x", "wrt": "x", "shapes": {"x": "n,"}}, "shape error", None),
        ("hessian", {"expression": "tr(X) X", "wrt": "X"}, "shape error", None),
        ("diff", {"expression": "sum(sign(X))", "wrt": "X"}, "not differentiable", None),
        ("symbols", {"expression": ""}, "syntax error", None),
    ],
    ids=["syntax", "shape", "jacobian", "variable", "function", "declaration", "not-scalar",
         "not-differentiable", "empty"],
)  # fmt: skip
def test_matcalc_errors_are_json_with_their_place(
    endpoint: str, request_: dict[str, Any], kind: str, column: int | None
) -> None:
    status, found = api(endpoint, request_)
    assert status == 200  # an answer: the request was right, the objective is not
    error = found["error"]
    assert error["kind"] == kind and error["message"]
    assert error.get("column") == column
    if column is not None:
        assert error["caret"] == " " * (column - 1) + "^"
        assert error["source"] == request_["expression"]


def test_an_error_that_is_no_derivative_says_so() -> None:
    status, found = api("diff", {"expression": "rank(X)", "wrt": "X"})
    assert status == 200 and found["error"]["kind"] in ("name error", "not differentiable")


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (b"{", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[1, 2]", "a JSON object"),
        (b'{"expression": "x^T x"}', "needs the field 'wrt'"),
        (b'{"expression": "x^T x", "wrt": "x", "colour": 1}', "no field 'colour'"),
        (b'{"expression": 3, "wrt": "x"}', "'expression' is a text"),
        (b'{"expression": "x^T x", "wrt": "x", "symmetrise": 1}', "true or false"),
        (b'{"expression": "x^T x", "wrt": "x", "layout": "sideways"}', "one of denominator"),
        (b'{"expression": "x^T x", "wrt": "x", "shapes": {"x": 3}}', "maps names to shapes"),
        (b'{"expression": "x^T x", "wrt": "x", "functions": [1]}', "a list of texts"),
        (b"[" * 5000 + b"]" * 5000, "nested too deeply"),
    ],
    ids=["truncated", "bytes", "array", "missing", "unknown", "type", "bool", "choice", "shapes",
         "functions", "deep"],
)  # fmt: skip
def test_requests_the_api_cannot_read_are_json_errors(body: bytes, said: str) -> None:
    status, found = answer("diff", body)
    assert status == 400
    assert found["error"]["kind"] == "bad request" and said in found["error"]["message"]


@pytest.mark.parametrize("endpoint", ["check", "codegen"])
def test_a_direction_goes_with_a_hessian(endpoint: str) -> None:
    status, found = api(endpoint, {"expression": SEED, "wrt": "D", "direction": "V"})
    assert status == 400 and '"direction" goes with "hessian": true' in found["error"]["message"]


def test_deep_input_is_a_clean_error() -> None:
    status, found = api("diff", {"expression": "(" * 5000 + "x" + ")" * 5000, "wrt": "x"})
    assert status == 200 and found["error"]["kind"] in ("syntax error", "value error")


# ---- the server -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[Playground]:
    with running() as found:
        yield found


def request(
    server: Playground,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    connection = HTTPConnection(server.host, server.port, timeout=60)
    try:
        sent = {"Content-Type": "application/json"} if body is not None else {}
        connection.request(method, path, body=body, headers=sent | (headers or {}))
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def post(server: Playground, endpoint: str, value: Any) -> tuple[int, dict[str, Any]]:
    status, _, body = request(server, "POST", f"/api/{endpoint}", json.dumps(value).encode())
    return status, json.loads(body)


def test_the_page_and_its_files_are_served_with_a_strict_policy(server: Playground) -> None:
    status, headers, body = request(server, "GET", "/?e=x%5ET%20x&wrt=x")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert b'<script type="module" src="/playground.js">' in body
    assert b"<script>" not in body and b"style=" not in body and b"onclick" not in body
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "default-src 'none'" in policy and "unsafe-eval" not in policy
    for path, kind in [("/playground.js", "text/javascript"), ("/playground.css", "text/css")]:
        status, headers, body = request(server, "GET", path)
        assert status == 200 and headers["Content-Type"].startswith(kind) and body
    status, _, body = request(server, "GET", "/api/notation")
    assert status == 200 and json.loads(body)["text"] == matcalc.notation_summary()


def test_the_page_holds_no_eval() -> None:
    from importlib import resources

    script = (resources.files("matcalc.web") / "static" / "playground.js").read_text()
    for word in ("eval(", "new Function", 'setTimeout("', "document.write"):
        assert word not in script


@pytest.mark.parametrize("endpoint", ["symbols", "diff", "hessian", "check", "codegen"])
def test_every_endpoint_answers_over_http(server: Playground, endpoint: str) -> None:
    asked = {"expression": "x^T A x"} | ({} if endpoint == "symbols" else {"wrt": "x"})
    status, found = post(server, endpoint, asked)
    assert status == 200
    assert found == answer(endpoint, json.dumps(asked).encode())[1]
    assert "error" not in found, found
    if endpoint == "symbols":
        assert [symbol["name"] for symbol in found["symbols"]] == ["x", "A"]
    else:  # the derivative it answers with, or writes code for, by numbers
        derivation = (matcalc.hessian if endpoint == "hessian" else matcalc.diff)("x^T A x", "x")
        if endpoint == "codegen":
            assert found["source"] == matcalc.codegen("x^T A x", ["x"])
        else:
            assert found["result"] == str(derivation.result)
        assert_gradient_correct(derivation)


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "status", "kind"),
    [
        ("GET", "/nothing", None, {}, 404, "not found"),
        ("POST", "/api/integrate", b"{}", {}, 404, "not found"),
        ("PUT", "/api/diff", b"{}", {}, 405, "method not allowed"),
        ("POST", "/api/diff", b"x" * (MAX_BODY + 1), {}, 413, "too large"),
        ("POST", "/api/diff", b"{}", {"Content-Type": "text/plain"}, 415, "bad request"),
        ("POST", "/api/diff", b"{", {}, 400, "bad request"),
        ("GET", "/", None, {"Host": "attacker.example:8765"}, 403, "forbidden"),
    ],
    ids=["path", "endpoint", "method", "size", "type", "json", "host"],
)
def test_requests_out_of_bounds_get_a_json_error(
    server: Playground,
    method: str,
    path: str,
    body: bytes | None,
    headers: dict[str, str],
    status: int,
    kind: str,
) -> None:
    found, _, content = request(server, method, path, body, headers)
    assert (found, json.loads(content)["error"]["kind"]) == (status, kind)
    assert post(server, "diff", {"expression": SEED, "wrt": "D"})[0] == 200


@pytest.mark.parametrize(
    "head",
    [
        b"Content-Length: \xb2\r\n",  # a superscript two: a digit to str.isdigit
        b"Content-Length: 2\r\nContent-Length: 3\r\n",
        b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n",
    ],
    ids=["superscript", "twice", "chunked"],
)
def test_a_length_that_is_not_one_number_is_refused(server: Playground, head: bytes) -> None:
    with socket.create_connection((server.host, server.port), timeout=60) as connection:
        connection.sendall(
            b"POST /api/diff HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            + head
            + b"\r\n{}"
        )
        reply = b""
        while chunk := connection.recv(65536):
            reply += chunk
    status, _, body = reply.partition(b"\r\n\r\n")
    assert status.startswith(b"HTTP/1.1 411") and json.loads(body)["error"]["kind"] == "bad request"


def test_a_lone_surrogate_gets_an_answer(server: Playground) -> None:
    status, found = post(server, "diff", {"expression": "\ud800 x", "wrt": "x"})
    assert status == 200 and found["error"]["kind"] == "syntax error"
    assert found["error"]["source"] == "\ud800 x"


def test_a_request_with_no_length_is_refused(server: Playground) -> None:
    connection = HTTPConnection(server.host, server.port, timeout=60)
    connection.putrequest("POST", "/api/diff")
    connection.putheader("Content-Type", "application/json")
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 411 and json.loads(response.read())["error"]["kind"] == "bad request"
    connection.close()


def test_a_request_over_the_time_limit_is_stopped_and_the_server_goes_on() -> None:
    with running(time_limit=0.5) as server:
        slow = {"expression": network(48), "wrt": "W1", "hessian": True, "direction": "V"}
        status, found = post(server, "check", slow)
        assert (status, found["error"]["kind"]) == (503, "time limit")
        for _ in range(3):  # the worker was replaced: both answer
            status, found = post(server, "diff", {"expression": SEED, "wrt": "D"})
            assert (status, found["result"]) == (200, "-2 X R^T + 2 D R R^T")
    derivation = matcalc.diff(SEED, "D")
    assert str(derivation.result) == found["result"]
    assert_gradient_correct(derivation)


def test_closing_the_workers_while_one_is_replaced_leaves_no_process() -> None:
    others = set(multiprocessing.active_children())  # another server's workers

    def mine() -> set[Any]:
        return set(multiprocessing.active_children()) - others

    workers = Workers(1, time_limit=0.3)
    slow = {"expression": network(48), "wrt": "W1", "hessian": True, "direction": "V"}
    status, found = workers.run("check", json.dumps(slow).encode())
    assert (status, found["error"]["kind"]) == (503, "time limit")  # a replacement starts
    workers.close()
    deadline = time.monotonic() + 30
    while mine() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert mine() == set()


def test_connections_past_the_most_are_told_the_server_is_busy() -> None:
    with running(workers=1, connections=2) as server:
        idle = [socket.create_connection((server.host, server.port)) for _ in range(2)]
        time.sleep(0.2)  # both are being served, each waiting for its request
        status, headers, body = request(server, "GET", "/")
        assert (status, json.loads(body)["error"]["kind"]) == (503, "busy")
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        for connection in idle:
            connection.close()
        deadline = time.monotonic() + 30
        while request(server, "GET", "/")[0] != 200:  # their places are given back
            assert time.monotonic() < deadline
            time.sleep(0.1)


def test_concurrent_requests_each_get_their_own_answer(server: Playground) -> None:
    asked = [
        ({"expression": SEED, "wrt": "D"}, "-2 X R^T + 2 D R R^T"),
        ({"expression": SEED, "wrt": "R"}, "-2 D^T X + 2 D^T D R"),
        ({"expression": "x^T A x", "wrt": "x"}, "A x + A^T x"),
        ({"expression": "tr(A X)", "wrt": "X"}, "A^T"),
    ] * 6

    def one(item: tuple[dict[str, Any], str]) -> tuple[int, str]:
        status, found = post(server, "diff", item[0])
        return status, found.get("result", "")

    with ThreadPoolExecutor(12) as pool:
        found = list(pool.map(one, asked))
    assert found == [(200, result) for _, result in asked]
    for item, result in asked[:4]:
        derivation = matcalc.diff(item["expression"], item["wrt"])
        assert str(derivation.result) == result
        assert_gradient_correct(derivation, positive=True)
