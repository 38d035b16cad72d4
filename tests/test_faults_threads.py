"""One driver, many threads: every answer goes to the call that asked for it,
the connection pool stays bounded, and no file descriptor is left behind."""

from __future__ import annotations

import gc
import json
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pytest

import nubo

if TYPE_CHECKING:
    from conftest import Answer, LocalServer, Seen

FD_DIR = Path("/proc/self/fd")

THREADS = 16
CALLS = 500


def open_fds() -> int:
    return len(os.listdir(FD_DIR))


def echo(seen: Seen) -> Answer:
    """Answer with the id the request carried, in the header and the body."""
    call_id = seen.headers.get("X-Call-Id", "")
    body = json.dumps({"id": call_id, "path": seen.path}).encode()
    return 200, {"Content-Type": "application/json", "X-Call-Id": call_id}, body


class EchoConnection(nubo.ConnectionKey):
    responseCls = nubo.JsonResponse


class EchoDriver(nubo.BaseDriver):
    type = "echocloud"
    connectionCls = EchoConnection

    def echo(self, call_id: str) -> Any:
        assert self.connection is not None
        response = self.connection.request(
            "/echo", params={"id": call_id}, headers={"X-Call-Id": call_id}
        )
        return response.headers.get("X-Call-Id"), response.object


def hammer(driver: EchoDriver, threads: int, calls: int) -> list[str]:
    """Make ``calls`` calls from each of ``threads`` threads; return what went
    wrong."""
    wrong: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def work(thread: int) -> None:
        start.wait()
        for number in range(calls):
            call_id = f"{thread}-{number}"
            try:
                header, body = driver.echo(call_id)
            except Exception as exc:
                with lock:
                    wrong.append(f"{call_id}: {type(exc).__name__}: {exc}")
                continue
            expected = {"id": call_id, "path": f"/echo?id={call_id}"}
            if header != call_id or body != expected:
                with lock:
                    wrong.append(f"{call_id}: got {header!r} {body!r}")

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return wrong


def settle(limit: int) -> int:
    """Wait until the process's open descriptors fall to ``limit``, for at most
    a few seconds, as the server's threads see their clients go."""
    deadline = time.monotonic() + 10
    while True:
        gc.collect()
        count = open_fds()
        if count <= limit or time.monotonic() > deadline:
            return count
        time.sleep(0.05)


@pytest.fixture
def fds() -> None:
    if not FD_DIR.is_dir():
        pytest.skip("needs /proc/self/fd to count open descriptors")


@pytest.mark.usefixtures("fds")
def test_sixteen_threads_share_one_driver(server: LocalServer) -> None:
    server.handler = echo
    driver = EchoDriver("tok-threads-0123", secure=False, port=server.port)
    assert driver.connection is not None
    session = driver.connection.connection
    before = open_fds()

    wrong = hammer(driver, THREADS, CALLS)

    assert wrong == []
    assert len(server.seen) == THREADS * CALLS

    # Bounded: no more connections than threads, each kept and reused.
    pools = list(session.adapters["http://"].poolmanager.pools._container.values())
    assert len(pools) == 1
    assert pools[0].num_connections <= THREADS
    assert len(server.connections) <= THREADS

    # urllib3 closes a pool's sockets when the pool is collected: hold none.
    del pools
    session.close()
    assert settle(before) <= before


class SmallPoolConnection(EchoConnection):
    pool_maxsize: ClassVar[int] = 4


class SmallPoolDriver(EchoDriver):
    connectionCls = SmallPoolConnection


@pytest.mark.usefixtures("fds")
def test_a_pool_smaller_than_the_threads_leaks_nothing(server: LocalServer) -> None:
    server.handler = echo
    driver = SmallPoolDriver("tok-threads-0123", secure=False, port=server.port)
    assert driver.connection is not None
    session = driver.connection.connection
    before = open_fds()

    wrong = hammer(driver, THREADS, 60)

    assert wrong == []
    # Connections the full pool could not keep were closed, not left open: what
    # stays is the pool's own, and the server's ends of them.
    kept = before + 2 * SmallPoolConnection.pool_maxsize
    assert settle(kept) <= kept
    assert len(server.connections) > SmallPoolConnection.pool_maxsize

    session.close()
    assert settle(before) <= before
