"""`matcalc serve`: the playground's page and JSON API on a local address, from the standard
library's threading HTTP server.

Derivations run in worker processes, one request at a time each, so that both cores work and a
request over the time limit is stopped by ending its process (a thread cannot be stopped); the
server itself only reads requests, hands them over, and answers. Requests over the size limit,
to other hosts (DNS rebinding) or of the wrong type get a JSON error, and the server goes on.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import multiprocessing
import queue
import socket
import threading
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from multiprocessing.connection import Connection
from typing import Any
from urllib.parse import urlsplit

import matcalc
from matcalc.web.api import BAD_REQUEST, FIELDS, answer, error_json

MAX_BODY = 200_000
"""Bytes in a request: twice matcalc's longest objective (limits.MAX_INPUT), with the rest."""

TIME_LIMIT = 20.0
"""Seconds a request's work may take: matcalc's own limits keep each derivation within about a
second, so only a numerical check on a large network comes near."""

QUEUE_WAIT = 30.0
"""Seconds a request waits for a free worker before it is told the server is busy."""

IDLE_CONNECTION = 30.0
"""Seconds a connection may sit without sending a whole request."""

MAX_CONNECTIONS = 256
"""Connections served at once, a thread each: one more is told the server is busy."""

STATIC = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/playground.js": ("playground.js", "text/javascript; charset=utf-8"),
    "/playground.css": ("playground.css", "text/css; charset=utf-8"),
    "/favicon.svg": ("favicon.svg", "image/svg+xml"),
}
"""The page's files, each at its path: nothing else is served."""

SECURITY = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
"""Headers on every answer: scripts only from the page's own file, no inline script."""

READY = "ready"
"""What a worker says once it can answer."""


def _work(connection: Connection) -> None:
    """A worker process: say it is ready, then answer each (endpoint, body) sent to it until
    the pipe closes."""
    with contextlib.suppress(EOFError, OSError, KeyboardInterrupt):  # the server has gone
        connection.send(READY)
        while True:
            endpoint, body = connection.recv()
            connection.send(answer(endpoint, body))


@dataclass(eq=False)
class Worker:
    """A worker process and the server's end of its pipe."""

    process: multiprocessing.process.BaseProcess
    connection: Connection


@dataclass
class Workers:
    """Worker processes, each answering one request at a time; one that overruns the time
    limit, or dies, is ended and replaced."""

    count: int
    time_limit: float = TIME_LIMIT
    _idle: queue.Queue[Worker] = field(default_factory=queue.Queue)
    _all: set[Worker] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _closed: bool = False

    def __post_init__(self) -> None:
        for worker in [self._start() for _ in range(self.count)]:  # all start at once
            self._ready(worker)

    def _start(self) -> Worker:
        context = multiprocessing.get_context("spawn")  # no copy of the server's threads
        mine, theirs = context.Pipe()
        process = context.Process(target=_work, args=(theirs,), daemon=True)
        process.start()
        theirs.close()
        worker = Worker(process, mine)
        with self._lock:
            self._all.add(worker)
            if not self._closed:
                return worker
        self._end(worker)  # the pool closed meanwhile
        raise RuntimeError("the workers are closed")

    def _ready(self, worker: Worker) -> None:
        """The worker among the idle ones once it has loaded matcalc: its loading does not
        count against a request's time."""
        if worker.connection.recv() != READY:
            raise RuntimeError("a worker did not start")
        self._idle.put(worker)

    def run(self, endpoint: str, body: bytes) -> tuple[int, dict[str, Any]]:
        """The status and JSON answer of the first free worker, or the error that says why
        there is none."""
        try:
            worker = self._idle.get(timeout=QUEUE_WAIT)
        except queue.Empty:
            return 503, error_json("busy", "every worker is busy; try again in a moment")
        if not worker.process.is_alive():  # it died idle: no request is lost, another answers
            self._replace_later(worker)
            return self.run(endpoint, body)
        try:
            worker.connection.send((endpoint, body))
            if worker.connection.poll(self.time_limit):
                found: tuple[int, dict[str, Any]] = worker.connection.recv()
                self._idle.put(worker)
                return found
            message = f"the request took longer than {self.time_limit:g} s and was stopped"
            found = 503, error_json("time limit", message)
        except (EOFError, OSError):  # the worker died: the request is lost, not the server
            found = 500, error_json("internal error", "the worker answering the request stopped")
        self._replace_later(worker)
        return found

    def _replace_later(self, worker: Worker) -> None:
        threading.Thread(target=self._replace, args=(worker,), daemon=True).start()

    def _replace(self, worker: Worker) -> None:
        """`worker` ended and a fresh one started in its place, unless the pool is closing (or
        the fresh one dies starting: the pool is then one smaller)."""
        self._end(worker)
        with contextlib.suppress(RuntimeError, EOFError, OSError):
            self._ready(self._start())

    def _end(self, worker: Worker) -> None:
        worker.process.kill()
        worker.process.join()
        worker.connection.close()
        with self._lock:
            self._all.discard(worker)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers = list(self._all)
        for worker in workers:
            self._end(worker)


class Playground(ThreadingHTTPServer):
    """The HTTP server: its workers, and the page's files read once."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(
        self,
        host: str,
        port: int,
        workers: int = 2,
        time_limit: float = TIME_LIMIT,
        connections: int = MAX_CONNECTIONS,
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, port), Handler)  # a port in use fails here, before any worker
        self.workers = Workers(workers, time_limit)
        self.connections = threading.BoundedSemaphore(connections)
        files = resources.files("matcalc.web") / "static"
        self.files = {
            path: ((files / name).read_bytes(), kind) for path, (name, kind) in STATIC.items()
        }
        self.host, self.port = str(self.server_address[0]), int(self.server_address[1])
        self.loopback = ipaddress.ip_address(self.host).is_loopback
        self.notation: str = matcalc.notation_summary()

    @property
    def url(self) -> str:
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{shown}:{self.port}/"

    def process_request(self, request: Any, client_address: Any) -> None:
        """A thread for the connection, if fewer than the most are open; else a busy answer."""
        if not self.connections.acquire(blocking=False):
            content = json.dumps(error_json("busy", "too many connections; try again")).encode()
            head = [
                "HTTP/1.1 503 Service Unavailable",
                "Content-Type: application/json",
                f"Content-Length: {len(content)}",
                "Connection: close",
                *(f"{name}: {value}" for name, value in SECURITY.items()),
            ]
            with contextlib.suppress(OSError):
                request.sendall("\r\n".join([*head, "", ""]).encode() + content)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:  # no thread started: none will give the place back
            self.connections.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.connections.release()

    def server_close(self) -> None:
        super().server_close()
        if "workers" in vars(self):  # not when it is closed for failing to listen
            self.workers.close()


class Handler(BaseHTTPRequestHandler):
    """One connection's requests: GET for the page's files, POST /api/… for the API."""

    server: Playground
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # the headers and the body are two writes: no 40 ms wait
    server_version = "matcalc"
    sys_version = ""
    timeout = IDLE_CONNECTION

    def do_GET(self) -> None:
        if not self._host_allowed():
            return
        path = self.path.partition("?")[0]
        if path == "/api/notation":
            self._json(200, {"text": self.server.notation})
        elif path in self.server.files:
            content, kind = self.server.files[path]
            self._send(HTTPStatus.OK, content, kind)
        else:
            self._json(404, error_json("not found", f"nothing is served at {path}"))

    def do_POST(self) -> None:
        if not self._host_allowed():
            return
        endpoint = self.path.removeprefix("/api/")
        if not self.path.startswith("/api/") or endpoint not in FIELDS:
            self.close_connection = True
            listed = ", ".join(f"/api/{name}" for name in FIELDS)
            self._json(404, error_json("not found", f"the API's endpoints are {listed}"))
            return
        lengths = self.headers.get_all("Content-Length") or []
        length = lengths[0] if len(lengths) == 1 else ""
        if "Transfer-Encoding" in self.headers or not (length.isascii() and length.isdigit()):
            self.close_connection = True
            message = "a request states its Content-Length, once, in digits, and is not chunked"
            self._json(411, error_json(BAD_REQUEST, message))
            return
        if int(length) > MAX_BODY:
            self.close_connection = True  # what was sent is not read
            message = f"the request has {int(length):,} bytes, over the limit of {MAX_BODY:,}"
            self._json(413, error_json("too large", message))
            return
        body = self.rfile.read(int(length))
        if self.headers.get_content_type() != "application/json":
            self._json(415, error_json(BAD_REQUEST, "the request's Content-Type is JSON"))
            return
        status, answer = self.server.workers.run(endpoint, body)
        self._json(status, answer)

    def _host_allowed(self) -> bool:
        """On a loopback address, only requests named for this machine are answered: a page
        elsewhere cannot reach the server through a name it rebinds to 127.0.0.1."""
        host = urlsplit("//" + (self.headers.get("Host") or "")).hostname or ""
        if not self.server.loopback or host in ("localhost", "127.0.0.1", "::1"):
            return True
        self.close_connection = True
        self._json(403, error_json("forbidden", f"this server answers localhost, not {host!r}"))
        return False

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own errors (a request line that is not HTTP, a method other than GET
        and POST) as JSON too."""
        self.close_connection = True
        if code == HTTPStatus.NOT_IMPLEMENTED:  # a method other than GET and POST
            code, message = HTTPStatus.METHOD_NOT_ALLOWED, "GET the page, POST to /api/…"
            self._json(code, error_json("method not allowed", message))
            return
        self._json(code, error_json(BAD_REQUEST, message or HTTPStatus(code).phrase))

    def _json(self, status: int, value: dict[str, Any]) -> None:
        content = json.dumps(value).encode()  # ASCII: a lone surrogate the user sent as well
        self._send(status, content, "application/json; charset=utf-8")

    def _send(self, status: int, content: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(content)))
        self.send_header("Cache-Control", "no-store")
        for name, value in SECURITY.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(content)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the terminal shows the address and errors, not each request."""


def serve(
    host: str = "127.0.0.1",
    port: int = 8765,
    *,
    open_browser: bool = False,
    ready: Callable[[str], object] = print,
) -> None:
    """Serve the playground until interrupted (Ctrl-C), then stop cleanly; `ready` is told
    the address once the server listens."""
    server = Playground(host, port)
    try:
        ready(f"matcalc playground at {server.url} (Ctrl-C stops it)")
        if not server.loopback:
            ready(
                f"matcalc: listening on {host}, not this machine alone: anyone who reaches it "
                "can use the playground"
            )
        if open_browser:
            threading.Thread(target=webbrowser.open, args=(server.url,), daemon=True).start()
        server.serve_forever()
    finally:
        server.server_close()
