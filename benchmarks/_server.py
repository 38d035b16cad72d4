"""The canned EC2 server the benchmarks talk to, in a process of its own.

It answers DescribeInstances with pages made by :mod:`benchmarks._fleet` before
it starts listening, and DescribeAddresses with no address; anything else gets
an EC2 error. Parameters are read from the query (apache-libcloud sends GET) and
from a form body (nubo, boto3 and the floor POST). Signatures are not checked:
the clients sign as they would for EC2, and the server only answers.

It listens on 127.0.0.1 only, on a free port that it prints on its first line
of output, speaks HTTP/1.1 with keep-alive, and writes each answer (head and body)
in one write. With ``--latency-ms`` every answer waits that long first.

Run it as ``python -m benchmarks._server --instances 10000 [--latency-ms 20]``,
or from Python with :class:`ServerProcess`.
"""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from benchmarks._fleet import ADDRESSES, error_page, pages, token_for

__all__ = ["ServerProcess", "main"]

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent


def _answer(status: int, body: bytes) -> bytes:
    reason = {200: "OK", 400: "Bad Request"}[status]
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Content-Type: text/xml;charset=UTF-8\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Server: nubo-bench\r\n"
        "\r\n"
    )
    return head.encode("ascii") + body


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    #: Whole answers, by NextToken ("" for the first page).
    pages: ClassVar[dict[str, bytes]] = {}
    addresses: ClassVar[bytes] = b""
    latency: ClassVar[float] = 0.0

    def do_GET(self) -> None:
        self._reply(urlsplit(self.path).query)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8") if length else ""
        query = urlsplit(self.path).query
        self._reply(f"{query}&{body}" if query else body)

    def _reply(self, query: str) -> None:
        params = parse_qs(query)
        action = params.get("Action", [""])[0]
        if action == "DescribeInstances":
            page = self.pages.get(params.get("NextToken", [""])[0])
            if page is None:
                answer = _answer(
                    400, error_page("InvalidParameterValue", "unknown NextToken")
                )
            else:
                answer = page
        elif action == "DescribeAddresses":
            answer = self.addresses
        else:
            answer = _answer(400, error_page("InvalidAction", f"no {action!r} here"))

        if self.latency:
            time.sleep(self.latency)
        self.wfile.write(answer)
        self.wfile.flush()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    # Many clients connect at once (8 threads, each with its own connection):
    # with the default backlog of 5 some connects wait a second for a retry.
    request_queue_size = 128
    daemon_threads = True


def main(argv: list[str] | None = None) -> int:
    """Serve until stopped.

    :param argv: the command line, without the program name.
    :returns: the exit status.
    """
    parser = argparse.ArgumentParser(description="A canned EC2 server.")
    parser.add_argument("--instances", type=int, default=1)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args(argv)

    answers = pages(args.instances)
    _Handler.pages = {
        ("" if page == 0 else token_for(page)): _answer(200, body)
        for page, body in enumerate(answers)
    }
    _Handler.addresses = _answer(200, ADDRESSES)
    _Handler.latency = args.latency_ms / 1000

    server = _Server(("127.0.0.1", 0), _Handler)
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


class ServerProcess:
    """Start the canned server in a child process; stop it on leaving.

    :param instances: the size of the fleet it answers with.
    :param latency_ms: milliseconds added to each answer.
    """

    def __init__(self, instances: int, latency_ms: float = 0.0) -> None:
        self.instances = instances
        self.latency_ms = latency_ms
        self.port = 0
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> ServerProcess:
        command = [
            sys.executable,
            "-m",
            "benchmarks._server",
            "--instances",
            str(self.instances),
            "--latency-ms",
            str(self.latency_ms),
        ]
        self._process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line.strip().isdigit():
            self._process.kill()
            raise RuntimeError("the canned server did not start; see its output")
        self.port = int(line)
        log.debug("canned server on port %d: %d instances", self.port, self.instances)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        process = self._process
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


if __name__ == "__main__":
    sys.exit(main())
