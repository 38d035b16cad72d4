"""A fault-injecting HTTP server for the tests, scripted request by request.

The server listens on 127.0.0.1 on a free port and serves each connection in a
thread of its own. Every request takes the next :class:`Step` of the script and
goes to an *app* (a callable that plays the provider: it may create a resource,
as :func:`acts` says it would have, and returns the normal answer); the step then
decides what actually goes back on the wire: the app's answer, another status or
body, a compressed or cut-short body, a slow one, or a reset connection. When
the script runs out, the app's answers are sent as they are, unless the last step
was marked to repeat.

Nothing here talks to anything but the sockets it opened itself.
"""

from __future__ import annotations

import contextlib
import gzip
import socket
import struct
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus
from time import time
from typing import Any

from requests.structures import CaseInsensitiveDict

#: How a step treats the connection.
ANSWER = "answer"
RESET_BEFORE_HEADERS = "reset-before-headers"
CLOSE_BEFORE_HEADERS = "close-before-headers"
RESET_AFTER_HEADERS = "reset-after-headers"
SLOW_HEADERS = "slow-headers"
SLOW_BODY = "slow-body"
SHORT_BODY = "short-body"

ACTIONS = frozenset(
    {
        ANSWER,
        RESET_BEFORE_HEADERS,
        CLOSE_BEFORE_HEADERS,
        RESET_AFTER_HEADERS,
        SLOW_HEADERS,
        SLOW_BODY,
        SHORT_BODY,
    }
)

HeaderValue = str | Callable[[], str] | None


@dataclass
class Received:
    """One request as the fault server read it."""

    method: str
    path: str
    headers: CaseInsensitiveDict[str]
    body: bytes
    step: Step | None


@dataclass
class Answer:
    """What the app would answer: a status, headers and a body."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class Step:
    """What the server does with one request.

    :param action: one of :data:`ACTIONS`.
    :param status: a status to send instead of the app's.
    :param body: a body to send instead of the app's.
    :param headers: headers to add or replace; a value of ``None`` removes the
        header, a callable is called when the answer is sent (an HTTP date).
    :param encoding: ``gzip``, ``deflate`` (zlib-wrapped) or ``deflate-raw``:
        compress the body and say so in Content-Encoding.
    :param raw_body: bytes sent as the body as they are, with the headers given
        (a corrupt or hostile compressed body).
    :param stream: a callable returning the chunks of a body too large to hold,
        with its total length; sent with that Content-Length.
    :param delay: seconds to stall, for the slow actions.
    :param recode: re-encode the app's UTF-8 body in this charset.
    :param prefix: bytes put before the body (an XML declaration).
    """

    action: str = ANSWER
    status: int | None = None
    body: bytes | None = None
    headers: Mapping[str, HeaderValue] = field(default_factory=dict)
    encoding: str | None = None
    raw_body: bytes | None = None
    stream: Callable[[], tuple[int, Iterable[bytes]]] | None = None
    delay: float = 0.0
    recode: str | None = None
    prefix: bytes = b""

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"unknown action {self.action!r}")


App = Callable[[Received], Answer]


def acts(step: Step | None) -> bool:
    """Tell whether the provider behind a step did the work it was asked for.

    An answer the step replaces with a refusal (4xx) or with "unavailable, try
    again" (503) means the provider did nothing; every other fault may strike
    after the work was done (a 500 or a gateway's 502 or 504 says nothing about
    it, a connection that breaks late even less), so it counts as done.
    """
    if step is None or step.status is None or step.action != ANSWER:
        return True
    return step.status < 400 or step.status in (500, 502, 504)


def http_date(seconds_from_now: float) -> Callable[[], str]:
    """Return a header value maker for an HTTP date that many seconds ahead."""

    def make() -> str:
        return formatdate(time() + seconds_from_now, usegmt=True)

    return make


def compress(body: bytes, encoding: str) -> bytes:
    """Compress a body as ``gzip``, ``deflate`` or ``deflate-raw``."""
    if encoding == "gzip":
        return gzip.compress(body)
    if encoding == "deflate":
        return zlib.compress(body)
    if encoding == "deflate-raw":
        packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        return packer.compress(body) + packer.flush()
    raise ValueError(f"unknown encoding {encoding!r}")


_BOMBS: dict[str, bytes] = {}


def bomb(encoding: str, size: int = 100 * 1024 * 1024) -> bytes:
    """Return a small body that decompresses to ``size`` zero bytes (cached)."""
    key = f"{encoding}:{size}"
    if key not in _BOMBS:
        wbits = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}[encoding]
        packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
        block = bytes(1024 * 1024)
        parts = [packer.compress(block) for _ in range(size // len(block))]
        _BOMBS[key] = b"".join(parts) + packer.flush()
    return _BOMBS[key]


def large_body(
    size: int, fill: bytes = b" "
) -> Callable[[], tuple[int, Iterator[bytes]]]:
    """Return a stream maker for a body of ``size`` bytes of ``fill``."""

    def make() -> tuple[int, Iterator[bytes]]:
        block = fill * (1024 * 1024 // len(fill))

        def chunks() -> Iterator[bytes]:
            left = size
            while left > 0:
                piece = block[: min(left, len(block))]
                left -= len(piece)
                yield piece

        return size, chunks()

    return make


class FaultServer:
    """The scripted server; use it as a context manager, or :func:`fault_server`.

    :param app: what plays the provider for every request.
    """

    def __init__(self, app: App) -> None:
        self.app = app
        self.received: list[Received] = []
        self.connections = 0
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self._steps: list[Step] = []
        self._repeat = False
        self._threads: list[threading.Thread] = []
        self._open: set[socket.socket] = set()

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.1)
        self.port = int(self.sock.getsockname()[1])
        self._acceptor = threading.Thread(target=self._accept, daemon=True)

    # -- scripting ---------------------------------------------------------------

    def script(self, steps: Iterable[Step], repeat: bool = False) -> None:
        """Set the steps of the next requests, one per request.

        :param steps: the steps, in order.
        :param repeat: repeat the last step forever once reached.
        """
        with self.lock:
            self._steps = list(steps)
            self._repeat = repeat and bool(self._steps)
            self.received.clear()

    def _next_step(self) -> Step | None:
        with self.lock:
            if not self._steps:
                return None
            if self._repeat and len(self._steps) == 1:
                return self._steps[0]
            return self._steps.pop(0)

    # -- life cycle ----------------------------------------------------------------

    def start(self) -> FaultServer:
        self._acceptor.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._acceptor.join(5)
        with self.lock:
            still_open = list(self._open)
        for conn in still_open:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for thread in list(self._threads):
            thread.join(5)
        self.sock.close()

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            with self.lock:
                self.connections += 1
                self._open.add(conn)
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    # -- one connection ------------------------------------------------------------

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        reader = conn.makefile("rb")
        try:
            while not self.stopping.is_set():
                request = self._read_request(reader)
                if request is None:
                    return
                keep_open = self._respond(conn, request)
                if not keep_open:
                    return
        except OSError:
            return
        finally:
            with self.lock:
                self._open.discard(conn)
            with contextlib.suppress(OSError):
                reader.close()
            with contextlib.suppress(OSError):
                conn.close()

    def _read_request(self, reader: Any) -> Received | None:
        line = reader.readline(65537)
        if not line:
            return None
        method, path, _ = line.decode("latin-1").split(" ", 2)

        headers: CaseInsensitiveDict[str] = CaseInsensitiveDict()
        while True:
            line = reader.readline(65537)
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip()] = value.strip()

        length = int(headers.get("Content-Length") or 0)
        body = reader.read(length) if length else b""
        return Received(method, path, headers, body, None)

    def _respond(self, conn: socket.socket, request: Received) -> bool:
        """Answer one request as its step says; tell whether to keep the
        connection for another request."""
        step = self._next_step()
        request.step = step
        with self.lock:
            self.received.append(request)
        answer = self.app(request)
        step = step or Step()

        if step.action == RESET_BEFORE_HEADERS:
            _reset(conn)
            return False
        if step.action == CLOSE_BEFORE_HEADERS:
            return False

        status = step.status if step.status is not None else answer.status
        headers: dict[str, str] = dict(answer.headers)
        body = step.body if step.body is not None else answer.body
        if step.recode:
            body = body.decode("utf-8").encode(step.recode)
        body = step.prefix + body
        if step.encoding:
            body = compress(body, step.encoding)
            headers["Content-Encoding"] = step.encoding.removesuffix("-raw")
        if step.raw_body is not None:
            body = step.raw_body

        chunks: Iterable[bytes] = [body]
        length = len(body)
        if step.stream is not None:
            length, chunks = step.stream()

        for name, value in step.headers.items():
            _set_header(headers, name, value)
        if step.action == SHORT_BODY:
            length += max(16, length // 2)
        _set_header(headers, "Content-Length", str(length))
        head = _head(status, headers)

        if step.action == SLOW_HEADERS:
            self.stopping.wait(step.delay)
        if step.action in (RESET_AFTER_HEADERS, SLOW_BODY):
            half = body[: len(body) // 2]
            conn.sendall(head + half)
            if step.action == RESET_AFTER_HEADERS:
                # Let the client read the head before the reset arrives.
                self.stopping.wait(0.1)
                _reset(conn)
                return False
            self.stopping.wait(step.delay)
            conn.sendall(body[len(half) :])
            return False

        conn.sendall(head)
        if request.method != "HEAD":
            for chunk in chunks:
                conn.sendall(chunk)
        if step.action == SHORT_BODY or step.stream is not None:
            return False
        return headers.get("Connection", "").lower() != "close"


def _set_header(headers: dict[str, str], name: str, value: HeaderValue) -> None:
    for existing in [k for k in headers if k.lower() == name.lower()]:
        del headers[existing]
    if value is None:
        return
    headers[name] = value() if callable(value) else value


def _head(status: int, headers: Mapping[str, str]) -> bytes:
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    lines = [f"HTTP/1.1 {status} {reason}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _reset(conn: socket.socket) -> None:
    # SO_LINGER with a zero timeout makes close() send an RST, not a FIN.
    with contextlib.suppress(OSError):
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        conn.close()


@contextlib.contextmanager
def fault_server(app: App) -> Iterator[FaultServer]:
    """Run a :class:`FaultServer` for the length of the block."""
    server = FaultServer(app)
    with server:
        yield server
