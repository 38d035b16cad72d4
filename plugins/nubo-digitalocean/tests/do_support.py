"""What the DigitalOcean tests share beside their fixtures: where the spec and
Prism live, the Prism server record, the recorder of Prism's verdicts, and a
clock that moves only when the driver sleeps.
"""

from __future__ import annotations

import os
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

import nubo
from nubo import RetryPolicy

ROOT = Path(__file__).resolve().parents[3]
DATA = Path(__file__).resolve().parent / "data"
SPEC = DATA / "openapi.yaml"

#: The Prism release the tests run; the newest needs a newer Node.
PRISM_PACKAGE = "@stoplight/prism-cli@5.14.2"

#: Where Prism is installed once and reused.
PRISM_DIR = Path(os.environ.get("NUBO_PRISM_DIR", ROOT / ".nox" / "prism"))

#: A token for Prism, which takes any; it belongs to nobody.
TOKEN = "nubo-testing-token"


def free_port() -> int:
    """Return a TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PrismServer:
    """A running ``prism mock`` over the vendored spec."""

    host: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://{self.host}:{self.port}"


@dataclass
class Exchange:
    """One request the driver made, and what Prism said about it."""

    method: str
    url: str
    status: int
    violations: str | None


@dataclass(eq=False)
class Recorder:
    """A hook plugin that records every exchange, with its ``sl-violations``."""

    exchanges: list[Exchange] = field(default_factory=list)

    @nubo.hookimpl
    def on_response(
        self, request: nubo.Request, response: requests.Response, error: Any
    ) -> None:
        self.exchanges.append(
            Exchange(
                request.method,
                request.url,
                response.status_code,
                response.headers.get("sl-violations"),
            )
        )

    def violations(self) -> list[Exchange]:
        """The exchanges Prism found invalid."""
        return [item for item in self.exchanges if item.violations]


def no_wait_policy() -> RetryPolicy:
    """A retry policy whose waits are not waited."""
    return RetryPolicy(sleep=lambda seconds: None)


class FakeClock:
    """A monotonic clock that moves only when the driver sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
