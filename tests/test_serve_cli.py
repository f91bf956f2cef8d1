"""`matcalc serve` as a user runs it: it prints its address, serves the page and the API there,
and Ctrl-C stops it cleanly, its workers with it; a port it cannot take is a clear error."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
from http.client import HTTPConnection

import pytest
from conftest import assert_gradient_correct

import matcalc


def start(*argv: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "matcalc", "serve", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_serve_prints_its_address_answers_and_stops_on_ctrl_c() -> None:
    server = start("--port", "0")
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        found = re.fullmatch(
            r"matcalc playground at http://127\.0\.0\.1:(\d+)/ \(Ctrl-C stops it\)\n", line
        )
        assert found, line
        port = int(found.group(1))
        connection = HTTPConnection("127.0.0.1", port, timeout=60)
        connection.request("GET", "/")
        response = connection.getresponse()
        assert response.status == 200 and b"matcalc" in response.read()
        body = json.dumps({"expression": "||X - D R||_F^2", "wrt": "D"})
        connection.request("POST", "/api/diff", body, {"Content-Type": "application/json"})
        answer = json.loads(connection.getresponse().read())
        connection.close()
        assert answer["result"] == "-2 X R^T + 2 D R R^T"
        derivation = matcalc.diff("||X - D R||_F^2", "D")
        assert str(derivation.result) == answer["result"]
        assert_gradient_correct(derivation)
    finally:
        server.send_signal(signal.SIGINT)  # what Ctrl-C sends
        out, err = server.communicate(timeout=60)
    assert server.returncode == 0, err
    assert out.strip() == "matcalc: stopped" and "Traceback" not in err, err
    with pytest.raises(OSError):  # nothing listens there any more
        socket.create_connection(("127.0.0.1", port), timeout=5)


def test_a_port_in_use_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = start("--port", str(port))
        _, err = server.communicate(timeout=60)
    assert server.returncode == 2
    assert err.startswith(f"matcalc: value error: cannot serve on 127.0.0.1:{port}: ")
    assert "Traceback" not in err


@pytest.mark.parametrize("port", ["-1", "65536", "http"])
def test_a_port_that_is_no_port_is_a_usage_error(port: str) -> None:
    server = start("--port", port)
    _, err = server.communicate(timeout=60)
    assert server.returncode == 2 and "a port is a number from 0 to 65535" in err


def _ipv6_loopback() -> bool:
    """Whether this machine can listen on ::1."""
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback on this machine")
def test_ipv6_loopback_serves() -> None:
    server = start("--host", "::1", "--port", "0")
    assert server.stdout is not None
    line = server.stdout.readline()
    try:
        assert "playground at http://[::1]:" in line, line
        port = int(line.split("]:")[1].split("/")[0])
        connection = HTTPConnection("::1", port, timeout=60)
        connection.request("GET", "/", headers={"Host": f"[::1]:{port}"})
        assert connection.getresponse().status == 200
        connection.close()
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=60)


def test_any_other_address_is_said_to_be_reachable() -> None:
    server = start("--host", "0.0.0.0", "--port", "0")
    assert server.stdout is not None
    assert "playground at http://0.0.0.0:" in server.stdout.readline()
    assert "not this machine alone" in server.stdout.readline()
    server.send_signal(signal.SIGINT)
    out, _ = server.communicate(timeout=60)
    assert server.returncode == 0 and out.strip() == "matcalc: stopped"
