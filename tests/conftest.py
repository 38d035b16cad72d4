"""Fixtures of the core's tests: local servers on 127.0.0.1, tinyproxy, TLS.

Every server here listens on 127.0.0.1 on a free port chosen by the system, is
started by its fixture and stopped after the test. Nothing leaves the machine.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import ssl
import struct
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from requests.structures import CaseInsensitiveDict

from nubo import _hooks

Answer = tuple[int, dict[str, str], bytes]

PROXY_VARIABLES = [
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
]


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Keep the machine's proxy settings and hook plugins out of every test."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv("NUBO_DISABLE_PLUGIN_AUTOLOAD", "1")
    _hooks._reset()
    yield
    _hooks._reset()


@dataclass
class Seen:
    """One request as the local server received it."""

    method: str
    path: str
    headers: CaseInsensitiveDict[str]
    body: bytes


@dataclass
class LocalServer:
    """A threaded HTTP/1.1 server whose answers a test scripts."""

    server: ThreadingHTTPServer
    scheme: str = "http"
    seen: list[Seen] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    handler: Callable[[Seen], Answer] | None = None
    connections: set[tuple[str, int]] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def answer(
        self, status: int = 200, body: bytes | str = b"", **headers: str
    ) -> None:
        """Queue one answer; the last one queued repeats when the queue runs out."""
        data = body.encode() if isinstance(body, str) else body
        shown = {name.replace("_", "-"): value for name, value in headers.items()}
        self.answers.append((status, shown, data))

    def next_answer(self, seen: Seen) -> Answer:
        with self.lock:
            self.seen.append(seen)
            if self.handler is not None:
                return self.handler(seen)
            if len(self.answers) > 1:
                return self.answers.pop(0)
            if self.answers:
                return self.answers[0]
        return 200, {}, b""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    # Send the head and the body in one write: written apart, Nagle's algorithm
    # and delayed ACKs hold each answer back by tens of milliseconds.
    wbufsize = -1
    server: Any

    def _serve(self) -> None:
        local: LocalServer = self.server.local
        with local.lock:
            local.connections.add(self.client_address)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = CaseInsensitiveDict(dict(self.headers.items()))
        seen = Seen(self.command, self.path, headers, body)
        status, headers, data = local.next_answer(seen)

        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serve(tls: ssl.SSLContext | None = None) -> Iterator[LocalServer]:
    """Run a :class:`LocalServer` on 127.0.0.1 for the length of the block."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    if tls is not None:
        httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
    local = LocalServer(httpd, scheme="https" if tls else "http")
    httpd.local = local  # type: ignore[attr-defined]
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield local
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


@pytest.fixture
def server() -> Iterator[LocalServer]:
    """A plain HTTP server on 127.0.0.1."""
    with serve() as local:
        yield local


class RawServer:
    """A TCP server on 127.0.0.1 that misbehaves: it never answers, or it
    resets each connection once the request has arrived."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.accepted = 0
        self.held: list[socket.socket] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.accepted += 1
            conn.settimeout(2)
            with contextlib.suppress(OSError):
                conn.recv(65536)
            if self.mode == "reset":
                # SO_LINGER with a zero timeout makes close() send an RST.
                conn.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                conn.close()
            else:
                self.held.append(conn)

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(5)
        for conn in self.held:
            conn.close()
        self.sock.close()


@pytest.fixture
def silent_server() -> Iterator[RawServer]:
    """A server that accepts connections and never answers."""
    raw = RawServer("silent")
    yield raw
    raw.stop()


@pytest.fixture
def reset_server() -> Iterator[RawServer]:
    """A server that resets every connection after reading the request."""
    raw = RawServer("reset")
    yield raw
    raw.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def need_tool(name: str) -> str:
    """Return a system tool's path, or skip (fail under NUBO_REQUIRE_PEERS)."""
    path = shutil.which(name)
    if path is None:
        reason = f"{name} is not installed (apt-get install {name})"
        if os.environ.get("NUBO_REQUIRE_PEERS"):
            pytest.fail(reason)
        pytest.skip(reason)
    return path


@dataclass
class Tinyproxy:
    """A running tinyproxy: where it listens and where it logs."""

    port: int
    log: Path
    user: str | None = None
    password: str | None = None

    def url(self, with_credentials: bool = True) -> str:
        auth = ""
        if with_credentials and self.user:
            auth = f"{self.user}:{self.password}@"
        return f"http://{auth}127.0.0.1:{self.port}"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@contextlib.contextmanager
def run_tinyproxy(
    tmp_path: Path, user: str | None = None, password: str | None = None
) -> Iterator[Tinyproxy]:
    """Start tinyproxy on 127.0.0.1 with a generated configuration."""
    binary = need_tool("tinyproxy")
    port = _free_port()
    log = tmp_path / "tinyproxy.log"
    lines = [
        f"Port {port}",
        "Listen 127.0.0.1",
        "Timeout 30",
        f'LogFile "{log}"',
        "LogLevel Info",
        f'PidFile "{tmp_path / "tinyproxy.pid"}"',
        "MaxClients 20",
        "Allow 127.0.0.1",
        "DisableViaHeader Yes",
    ]
    if user:
        lines.append(f"BasicAuth {user} {password}")
    config = tmp_path / "tinyproxy.conf"
    config.write_text("\n".join(lines) + "\n")

    process = subprocess.Popen(
        [binary, "-d", "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"tinyproxy did not start; see {log}")
            time.sleep(0.05)
        yield Tinyproxy(port, log, user, password)
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@pytest.fixture
def tinyproxy(tmp_path: Path) -> Iterator[Tinyproxy]:
    """tinyproxy on 127.0.0.1, without authentication."""
    with run_tinyproxy(tmp_path) as proxy:
        yield proxy


@pytest.fixture
def tinyproxy_auth(tmp_path: Path) -> Iterator[Tinyproxy]:
    """tinyproxy on 127.0.0.1 that wants Basic credentials."""
    with run_tinyproxy(tmp_path, "proxyuser", "Pr0xyS3cretPw") as proxy:
        yield proxy


@dataclass
class TlsSetup:
    """A throwaway CA and a server certificate for 127.0.0.1 it issued."""

    ca_file: Path
    server_context: ssl.SSLContext


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsSetup:
    """A CA made by trustme, and an SSL context for a server it vouches for."""
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    ca_file = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return TlsSetup(ca_file, context)


@pytest.fixture
def tls_server(tls: TlsSetup) -> Iterator[LocalServer]:
    """An HTTPS server on 127.0.0.1 with a certificate from the test CA."""
    with serve(tls.server_context) as local:
        yield local


class Sleeps(list[float]):
    """Records the waits a retry policy asked for, without waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    """A sleep function for retry policies that only records."""
    return Sleeps()


@pytest.fixture
def unreachable_port() -> Iterator[int]:
    """A port on 127.0.0.1 whose accept queue is full, so connecting times out.

    The socket listens with a backlog of zero and never accepts; one connection
    fills the queue and the system drops the next handshakes.
    """
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = int(listener.getsockname()[1])
    filler = socket.socket()
    filler.settimeout(1)
    filler.connect(("127.0.0.1", port))
    yield port
    filler.close()
    listener.close()


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens: connecting is refused."""
    return _free_port()
