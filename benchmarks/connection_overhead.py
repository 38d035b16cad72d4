"""Measure what ``Connection.request`` costs beside a bare ``requests.Session``.

Both make the same GET, many times, to a keep-alive HTTP server this script runs
on 127.0.0.1; the ratio of their times per call is nubo's overhead (building the
per-call request, the steps, the response class, the retry bookkeeping). Run by
hand:

    python benchmarks/connection_overhead.py [calls]

It prints the time per call of each and the ratio, with no hook plugin and with
one that implements every hook.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Generator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

import nubo

os.environ.setdefault("NUBO_DISABLE_PLUGIN_AUTOLOAD", "1")

BODY = b'{"nodes": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]}'


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    # Send the head and the body in one write: written apart, Nagle's algorithm
    # and delayed ACKs hold each answer back by tens of milliseconds.
    wbufsize = -1

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Api(nubo.ConnectionKey):
    responseCls = nubo.JsonResponse

    def add_default_headers(self, headers: dict[str, str]) -> dict[str, str]:
        headers["Authorization"] = f"Bearer {self.key}"
        return headers


class EveryHook:
    @nubo.hookimpl
    def morph_action(self, request: nubo.Request) -> None:
        pass

    @nubo.hookimpl
    def add_default_params(self, request: nubo.Request) -> None:
        pass

    @nubo.hookimpl
    def add_default_headers(self, request: nubo.Request) -> None:
        pass

    @nubo.hookimpl
    def pre_connect(self, request: nubo.Request) -> None:
        pass

    @nubo.hookimpl(wrapper=True)
    def send(
        self, request: nubo.Request
    ) -> Generator[None, requests.Response, requests.Response]:
        return (yield)

    @nubo.hookimpl
    def on_response(self, request: nubo.Request, response: Any, error: Any) -> None:
        pass


def per_call(function: Callable[[], object], calls: int, rounds: int = 5) -> float:
    """Best of ``rounds`` of the mean seconds per call."""
    for _ in range(50):
        function()
    results = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(calls):
            function()
        results.append((time.perf_counter() - started) / calls)
    return min(results)


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}/v1/nodes"

    session = requests.Session()
    headers = {"Authorization": "Bearer not-a-real-token"}

    def bare() -> object:
        response = session.get(url, headers=headers, params={"page": 1}, timeout=10)
        response.raise_for_status()
        return response.json()

    connection = Api("not-a-real-token", secure=False, port=port)

    def nubo_call() -> object:
        return connection.request("/v1/nodes", params={"page": 1}).object

    assert bare() == nubo_call()
    base = per_call(bare, calls)
    plain = per_call(nubo_call, calls)
    nubo.register_plugin(EveryHook(), "every-hook")
    hooked = per_call(nubo_call, calls)

    print(f"calls per round: {calls}, best of 5 rounds")
    print(f"requests.Session.get:            {base * 1e6:8.1f} us/call")
    print(f"Connection.request, no plugin:   {plain * 1e6:8.1f} us/call")
    print(f"Connection.request, every hook:  {hooked * 1e6:8.1f} us/call")
    print(f"ratio, no plugin:   {plain / base:.2f}")
    print(f"ratio, every hook:  {hooked / base:.2f}")

    server.shutdown()
    server.server_close()


if __name__ == "__main__":
    main()
