"""A threaded HTTP server on a free 127.0.0.1 port, with an access log and fault knobs.

`LoopbackServer(app)` serves whatever `app(method, raw_path, headers) -> Response` returns
(HTTP/1.1, keep-alive, Content-Length always set). Per-path faults, set with `fail()`:

- ``status=N`` (with ``retry_after=`` for 429/503): answer N instead of the page;
- ``status=3xx, location=URL``: a redirect to URL (anywhere: another port, another host);
- ``delay=S``: wait S seconds before answering (bounded by `MAX_DELAY`; a stop cuts it short,
  and `release(path)` answers the requests waiting and ends the fault);
- ``truncate=True``: announce the full Content-Length, send half the body, close;
- ``reset=True``: send the headers and half the body, then reset the connection (RST);
- ``times=N``: the fault applies to the next N requests only (default: every request).

A fault path is matched against the request path with its query first, then without it
(both as sent and percent-decoded). Every request is logged on arrival as
``Hit(method, path_with_query, status)`` (the status it is answered with, or would have been
had the client waited out a delay). Everything is bounded (delays, the log, idle
keep-alive connections) and `stop()` returns promptly.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, NamedTuple, Self
from urllib.parse import unquote, urlsplit

__all__ = ["MAX_DELAY", "Fault", "Hit", "LoopbackServer", "Response"]

MAX_DELAY = 30.0  # seconds
MAX_LOG = 10_000  # access log entries kept
IDLE_TIMEOUT = 10.0  # seconds a keep-alive connection may sit idle


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: Mapping[str, str] = field(default_factory=dict)


App = Callable[[str, str, Mapping[str, str]], Response]


class Hit(NamedTuple):
    method: str
    path: str  # as requested, with the query
    status: int


@dataclass
class Fault:
    status: int | None = None
    delay: float = 0.0
    truncate: bool = False
    reset: bool = False
    retry_after: str | None = None
    location: str | None = None
    body: bytes | None = None
    times: int | None = None  # requests left; None = every request
    #: set by `release()`: a delayed request answers at once
    released: threading.Event = field(default_factory=threading.Event)


def _error_page(status: int) -> bytes:
    return f"<html><body><h1>{status}</h1></body></html>\n".encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.loopback._track(self.connection, add=True)

    def finish(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            super().finish()
        self.server.loopback._track(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the access log is kept as data, not printed

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if 0 < length <= 1 << 20:
            self.rfile.read(length)
        self._serve(head=False)

    def _serve(self, *, head: bool) -> None:
        loopback = self.server.loopback
        fault = loopback._take_fault(self.path)
        if fault is not None and fault.status is not None:
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            if fault.location is not None:
                headers["Location"] = fault.location
            body = fault.body if fault.body is not None else _error_page(fault.status)
            response = Response(fault.status, body, headers=headers)
        elif self.command not in ("GET", "HEAD"):
            response = Response(405, _error_page(405), headers={"Allow": "GET, HEAD"})
        else:
            try:
                response = loopback.app(self.command, self.path, dict(self.headers.items()))
            except Exception as exc:  # a bug in the app: answer 500 and keep it for the test
                loopback.errors.append(exc)
                response = Response(500, _error_page(500))
        # logged on arrival, so a request the client gave up on (a delay) is in the log too
        loopback._log(Hit(self.command, self.path, response.status))
        if fault is not None and fault.delay > 0 and loopback._wait_out(fault):
            self.close_connection = True  # stopped while delaying: answer nothing
            return
        try:
            self._send(response, fault, head=head)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True  # the client went away (e.g. its own timeout)

    def _send(self, response: Response, fault: Fault | None, *, head: bool) -> None:
        body = response.body
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        for name, value in response.headers.items():
            self.send_header(name, value)
        broken = fault is not None and (fault.truncate or fault.reset)
        declared = len(body) if body or not broken else 64
        self.send_header("Content-Length", str(declared))
        self.end_headers()
        if head:
            return
        if not broken:
            self.wfile.write(body)
            return
        assert fault is not None
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        self.close_connection = True
        if fault.reset:
            threading.Event().wait(0.05)  # let the headers reach the client first
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()  # RST once the handler lets go of the socket
        else:
            self.connection.shutdown(socket.SHUT_WR)  # FIN: fewer bytes than announced


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins the handler threads
    block_on_close = True
    loopback: LoopbackServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # connection errors are expected (resets, client timeouts)


class LoopbackServer:
    def __init__(self, app: App, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.errors: list[BaseException] = []  # exceptions raised by `app`
        self._address = (host, port)
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._faults: dict[str, Fault] = {}
        self._log_entries: deque[Hit] = deque(maxlen=MAX_LOG)
        self._connections: set[socket.socket] = set()

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Self:
        if self._httpd is not None:
            return self
        self._stopping.clear()
        httpd = _Server(self._address, _Handler)
        httpd.loopback = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stopping.set()  # cuts delays short
        httpd.shutdown()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:  # idle keep-alive connections: end their reads now
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._httpd is not None

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the server is not running")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str = "/") -> str:
        return self.base_url + ("" if path.startswith("/") else "/") + path

    # --- access log ----------------------------------------------------------------------------

    @property
    def access_log(self) -> list[Hit]:
        with self._lock:
            return list(self._log_entries)

    def clear_log(self) -> None:
        with self._lock:
            self._log_entries.clear()

    def hits(self, path: str) -> list[Hit]:
        """Logged requests for `path` (with or without its query)."""
        return [h for h in self.access_log if path in (h.path, h.path.split("?", 1)[0])]

    def _log(self, hit: Hit) -> None:
        with self._lock:
            self._log_entries.append(hit)

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    # --- faults --------------------------------------------------------------------------------

    def fail(
        self,
        path: str,
        *,
        status: int | None = None,
        delay: float = 0.0,
        truncate: bool = False,
        reset: bool = False,
        retry_after: int | str | None = None,
        location: str | None = None,
        body: bytes | None = None,
        times: int | None = None,
    ) -> None:
        """Make requests for `path` fail (see the module docstring). `path` may be a full URL."""
        if status is None and not delay and not truncate and not reset:
            raise ValueError("say how to fail: status=, delay=, truncate=True or reset=True")
        if status is not None and not 100 <= status <= 599:
            raise ValueError(f"status {status} is not an HTTP status")
        if not 0 <= delay <= MAX_DELAY:
            raise ValueError(f"delay must be between 0 and {MAX_DELAY} seconds")
        if location is not None and (status is None or not 300 <= status <= 399):
            raise ValueError("location= goes with a 3xx status")
        if truncate and reset:
            raise ValueError("truncate or reset, not both")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1")
        fault = Fault(
            status=status,
            delay=float(delay),
            truncate=truncate,
            reset=reset,
            retry_after=None if retry_after is None else str(retry_after),
            location=location,
            body=body,
            times=times,
        )
        with self._lock:
            self._faults[_fault_key(path)] = fault

    def release(self, path: str) -> None:
        """Answer the requests `path`'s delay holds now, and the next ones without a fault:
        a test holds a request open until the moment it has set up, however slow the run."""
        with self._lock:
            fault = self._faults.pop(_fault_key(path), None)
        if fault is not None:
            fault.released.set()

    def _wait_out(self, fault: Fault) -> bool:
        """Wait out `fault`'s delay; True when the server stopped meanwhile."""
        end = time.monotonic() + min(fault.delay, MAX_DELAY)
        while (left := end - time.monotonic()) > 0 and not fault.released.is_set():
            if self._stopping.wait(min(left, 0.05)):
                return True
        return False

    def clear_faults(self, path: str | None = None) -> None:
        with self._lock:
            if path is None:
                self._faults.clear()
            else:
                self._faults.pop(_fault_key(path), None)

    def _take_fault(self, raw_path: str) -> Fault | None:
        parts = urlsplit(raw_path)
        keys = [raw_path, parts.path]
        keys += [unquote(k) for k in keys]
        with self._lock:
            for key in keys:
                fault = self._faults.get(key)
                if fault is None:
                    continue
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        del self._faults[key]
                return fault
        return None


def _fault_key(path: str) -> str:
    parts = urlsplit(path)
    if parts.scheme:  # a full URL: keep the path and query
        path = parts.path + (f"?{parts.query}" if parts.query else "")
    return path if path.startswith("/") else "/" + path
