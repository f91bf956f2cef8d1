"""The playground under load, on loopback only: `matcalc serve` started as a user starts it,
then 50 clients at once for 20 s, each sending in turn the seed's derivations and a deep network
to /api/diff and waiting for each answer; then a burst of hostile requests; then one more
ordinary request.

    python benchmarks/load.py [--clients 50] [--seconds 20] [--layers 16]

Reported: requests answered, per second, p50 / p99 / slowest latency by request kind, errors
(any answer but 200 with the expected result, or no answer); then, for each hostile request,
the status and JSON error kind it got, and whether the server still answered. Targets: no
request lost or wrong, every hostile request answered with a JSON error, the server answering
after the burst.
Exit code 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from networks import network
from speed import machine, verdict

SEED = "||X - D R||_F^2"
SEED_BY_D = ("seed by D", {"expression": SEED, "wrt": "D"}, "-2 X R^T + 2 D R R^T")


def asked(layers: int) -> list[tuple[str, dict[str, Any], str]]:
    """The requests the clients send in turn: a name, the request, the expected result."""
    deep = {"expression": network(layers), "wrt": "W1"}
    return [
        SEED_BY_D,
        ("seed by R", {"expression": SEED, "wrt": "R"}, "-2 D^T X + 2 D^T D R"),
        ("g(X W) by W", {"expression": "||g(X W) - Y||_F^2", "wrt": "W"},
         "2 X^T ((g(X W) - Y) ⊙ g'(X W))"),
        (f"{layers}-layer network by W1", deep, ""),
    ]  # fmt: skip


def hostile(port: int) -> list[tuple[str, bytes]]:
    """Raw HTTP requests a hostile client might send."""
    post = "POST /api/diff HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
    head = post.format(port=port) + "Content-Type: application/json\r\n"
    deep = json.dumps({"expression": "(" * 5000 + "x" + ")" * 5000, "wrt": "x"}).encode()
    nested = b"[" * 5000 + b"]" * 5000
    big = b'{"expression": "' + b"x + " * 60_000 + b'x", "wrt": "x"}'
    return [
        ("oversized body", (head + f"Content-Length: {len(big)}\r\n\r\n").encode() + big),
        ("malformed JSON", (head + "Content-Length: 9\r\n\r\n").encode() + b'{"expr": '),
        ("5,000-deep input", (head + f"Content-Length: {len(deep)}\r\n\r\n").encode() + deep),
        ("5,000-deep JSON", (head + f"Content-Length: {len(nested)}\r\n\r\n").encode() + nested),
        ("no Content-Length", (head + "\r\n").encode()),
        ("binary request line", b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n"),
        ("unknown method", b"BREW /api/diff HTTP/1.1\r\nHost: localhost\r\n\r\n"),
        ("other host", b"GET / HTTP/1.1\r\nHost: attacker.example\r\n\r\n"),
        (
            "unknown endpoint",
            head.replace("/api/diff", "/api/integrate").encode() + b"Content-Length: 2\r\n\r\n{}",
        ),
    ]


def start() -> tuple[subprocess.Popen[str], int]:
    """`matcalc serve` on a loopback port the system picks, and that port, once it listens."""
    server = subprocess.Popen(
        [sys.executable, "-m", "matcalc", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    line = server.stdout.readline()
    found = re.search(r"playground at http://127\.0\.0\.1:(\d+)/", line)
    if found is None:
        raise SystemExit(f"matcalc serve did not start: {line!r}")
    return server, int(found.group(1))


def right_answer(connection: HTTPConnection, request: dict[str, Any], expected: str) -> bool:
    """Whether /api/diff answers `request` with the `expected` result (any, where it is "")."""
    body = json.dumps(request).encode()
    connection.request("POST", "/api/diff", body, {"Content-Type": "application/json"})
    response = connection.getresponse()
    answer = json.loads(response.read())
    return response.status == 200 and (not expected or answer["result"] == expected)


def client(
    port: int,
    requests: list[tuple[str, dict[str, Any], str]],
    offset: int,
    until: float,
    found: list[tuple[str, float, bool]],
) -> None:
    """Send the requests in turn, from `offset`, each after the last is answered, until
    `until`; record each one's kind, latency and whether it came back right."""
    connection = HTTPConnection("127.0.0.1", port, timeout=120)
    index = offset
    while time.perf_counter() < until:
        name, request, expected = requests[index % len(requests)]
        index += 1
        began = time.perf_counter()
        try:
            right = right_answer(connection, request, expected)
        except (OSError, ValueError):
            connection.close()
            connection = HTTPConnection("127.0.0.1", port, timeout=120)
            right = False
        found.append((name, time.perf_counter() - began, right))
    connection.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def load(port: int, clients: int, seconds: float, layers: int) -> tuple[list[str], bool]:
    requests = asked(layers)
    found: list[tuple[str, float, bool]] = []
    until = time.perf_counter() + seconds
    threads = [
        threading.Thread(target=client, args=(port, requests, i, until, found))
        for i in range(clients)
    ]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.perf_counter() - began
    wrong = sum(1 for _, _, right in found if not right)
    lines = [
        f"## {clients} clients for {seconds:g} s on /api/diff",
        "",
        f"{len(found)} requests answered in {took:.1f} s ({len(found) / took:.0f} per second), "
        f"{wrong} errors",
        "",
        "| request | answered | p50 | p99 | slowest |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    kinds = [("all", [t for _, t, _ in found])] + [
        (name, [t for kind, t, _ in found if kind == name]) for name, _, _ in requests
    ]
    for name, times in kinds:
        lines.append(
            f"| {name} | {len(times)} | {statistics.median(times) * 1000:.0f} ms | "
            f"{percentile(times, 0.99) * 1000:.0f} ms | {max(times) * 1000:.0f} ms |"
        )
    return lines, wrong == 0 and bool(found)


def burst(port: int) -> tuple[list[str], bool]:
    lines = ["", "## A burst of hostile requests", "", "| request | status | error |",
             "| --- | --- | --- |"]  # fmt: skip
    met = True
    for name, raw in hostile(port):
        with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
            connection.sendall(raw)
            reply = b""
            while chunk := connection.recv(65536):
                reply += chunk
                if _whole(reply):
                    break
        status, kind = _status(reply)
        lines.append(f"| {name} | {status} | {kind} |")
        met = met and kind is not None
    return lines, met


def _whole(reply: bytes) -> bool:
    head, sep, body = reply.partition(b"\r\n\r\n")
    length = re.search(rb"Content-Length: (\d+)", head)
    return bool(sep) and length is not None and len(body) >= int(length.group(1))


def _status(reply: bytes) -> tuple[str, str | None]:
    """The reply's status (a request line that is not HTTP/1 gets the answer of HTTP/0.9, a
    body alone) and its JSON error's kind, None for no JSON error."""
    head, _, body = reply.partition(b"\r\n\r\n")
    match = re.match(rb"HTTP/1\.[01] (\d+)", head)
    status = match.group(1).decode() if match else "none (HTTP/0.9)"
    try:
        kind: str = json.loads(body if match else reply)["error"]["kind"]
    except (ValueError, KeyError, TypeError):
        return status, None
    return status, kind


def still_answers(port: int) -> bool:
    _, request, expected = SEED_BY_D
    return right_answer(HTTPConnection("127.0.0.1", port, timeout=60), request, expected)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--layers", type=int, default=16)
    args = parser.parse_args()
    server, port = start()
    try:
        lines, loaded = load(port, args.clients, args.seconds, args.layers)
        more, refused = burst(port)
        answers = still_answers(port)
    finally:
        server.terminate()
        server.wait(timeout=30)
    lines += more
    lines += [
        "",
        f"After the burst the server answers: {answers}",
        "",
        f"Nothing lost or wrong under load: {verdict(loaded)}; every hostile request a JSON "
        f"error: {verdict(refused)}; answering after: {verdict(answers)}",
        "",
        machine(),
    ]
    print("\n".join(lines))
    return 0 if loaded and refused and answers else 1


if __name__ == "__main__":
    sys.exit(main())
