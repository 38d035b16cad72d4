"""Fixtures for the DigitalOcean tests: Prism over the vendored spec, a hook
plugin that collects Prism's validation verdicts, and drivers pointed at
127.0.0.1.

Prism (``@stoplight/prism-cli``, pinned) is installed with npm into
``.nox/prism`` at the top of the checkout when it is not there yet, started once
per test session on a free loopback port, and stopped when the session ends,
whether the tests passed or not. Without Node and npm the tests that need it
are skipped, or fail when ``NUBO_REQUIRE_PEERS`` is set.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from do_support import (
    PRISM_DIR,
    PRISM_PACKAGE,
    SPEC,
    TOKEN,
    FakeClock,
    PrismServer,
    Recorder,
    free_port,
    no_wait_policy,
)

import nubo
from nubo_digitalocean import DigitalOceanNodeDriver


def _peer_missing(reason: str) -> None:
    if os.environ.get("NUBO_REQUIRE_PEERS"):
        pytest.fail(reason)
    pytest.skip(reason)


def _prism_binary() -> Path:
    binary = PRISM_DIR / "node_modules" / ".bin" / "prism"
    if binary.exists():
        return binary

    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        _peer_missing(f"Prism needs Node and npm to install {PRISM_PACKAGE}")

    PRISM_DIR.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [
            str(npm),
            "install",
            "--no-audit",
            "--no-fund",
            "--prefix",
            str(PRISM_DIR),
            PRISM_PACKAGE,
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0 or not binary.exists():
        _peer_missing(f"npm could not install {PRISM_PACKAGE}: {done.stderr[-2000:]}")
    return binary


def _wait_until_ready(server: PrismServer, timeout: float = 120.0) -> None:
    session = requests.Session()
    session.trust_env = False
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                break
            try:
                session.get(f"{server.url}/", timeout=2)
                return
            except requests.ConnectionError:
                time.sleep(0.25)
    finally:
        session.close()
    tail = server.log.read_text(errors="replace")[-3000:]
    pytest.fail(f"Prism did not answer on {server.url}; its log ends:\n{tail}")


@pytest.fixture(scope="session")
def prism(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrismServer]:
    """Prism mocking the vendored DigitalOcean spec, on 127.0.0.1."""
    binary = _prism_binary()
    log = tmp_path_factory.mktemp("prism") / "prism.log"
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(binary), "mock", "-h", "127.0.0.1", "-p", str(port), str(SPEC)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = PrismServer("127.0.0.1", port, process, log)
    try:
        _wait_until_ready(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    """A :class:`Recorder`, registered for the test."""
    found = Recorder()
    nubo.register_plugin(found, name="do-test-recorder")
    try:
        yield found
    finally:
        nubo.unregister_plugin(found)


@pytest.fixture
def prism_driver(
    prism: PrismServer, recorder: Recorder
) -> Iterator[DigitalOceanNodeDriver]:
    """A driver pointed at Prism; the test fails when any request it made did
    not pass Prism's validation."""
    driver = DigitalOceanNodeDriver(
        TOKEN,
        secure=False,
        host=prism.host,
        port=prism.port,
        region="nyc3",
        ex_action_timeout=1.0,
        ex_poll_interval=0.05,
        retry=no_wait_policy(),
    )
    yield driver

    bad = recorder.violations()
    if bad:
        lines = [f"{item.method} {item.url}: {item.violations}" for item in bad]
        pytest.fail("Prism refused requests the driver made:\n" + "\n".join(lines))


@pytest.fixture
def loopback_port() -> Iterator[int]:
    """A port on 127.0.0.1 with a listening socket behind it, for drivers whose
    answers the ``responses`` library gives."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield int(sock.getsockname()[1])


@pytest.fixture
def make_driver(
    loopback_port: int,
) -> Callable[..., tuple[DigitalOceanNodeDriver, FakeClock, str]]:
    """Make a driver for ``responses`` on 127.0.0.1, with a fake clock.

    Returns ``(driver, clock, base)``, ``base`` being the URL under which the
    driver calls (``http://127.0.0.1:<port>/v2``).
    """

    def make(**kwargs: Any) -> tuple[DigitalOceanNodeDriver, FakeClock, str]:
        options: dict[str, Any] = {
            "secure": False,
            "host": "127.0.0.1",
            "port": loopback_port,
            "region": "ams3",
            "ex_action_timeout": 60.0,
            "ex_poll_interval": 2.0,
            "retry": no_wait_policy(),
        }
        options.update(kwargs)
        driver = DigitalOceanNodeDriver(TOKEN, **options)
        fake = FakeClock()
        driver._clock = fake.clock  # type: ignore[method-assign]
        driver._sleep = fake.sleep  # type: ignore[method-assign]
        return driver, fake, f"http://127.0.0.1:{loopback_port}/v2"

    return make
