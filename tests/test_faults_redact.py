"""Redaction stays linear: a large hostile error body is turned into an error
at once, not after minutes of regular-expression backtracking."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import pytest

import nubo
from nubo import errors
from nubo._redact import Redactor

if TYPE_CHECKING:
    from conftest import LocalServer

#: Far more than any of these takes; only a hang gets near it.
HANG = 120


def finishes(work: object) -> bool:
    done = threading.Event()

    def run() -> None:
        work()  # type: ignore[operator]
        done.set()

    threading.Thread(target=run, daemon=True).start()
    return done.wait(HANG)


@pytest.mark.parametrize(
    "body",
    [
        "x" * 300_000,
        "a.b-" * 80_000,
        "http" * 80_000,
        "http://user" * 30_000,
    ],
)
def test_long_runs_are_redacted_in_linear_time(body: str) -> None:
    found: list[str] = []

    assert finishes(lambda: found.append(Redactor().text(body)))
    assert found == [body]


def test_credentials_in_urls_are_still_found() -> None:
    shown = Redactor().text("go to https://admin:hunter2-pw@host.test/ now")

    assert "hunter2-pw" not in shown
    assert "https://admin:***@host.test/" in shown


def test_a_secret_at_the_cut_of_a_huge_body_is_still_hidden() -> None:
    body = "x " * 145 + "password=hunter2-pw-long-secret " + "y" * 5_000_000

    excerpt = Redactor().excerpt(body)

    assert "hunter2" not in excerpt
    assert len(excerpt) <= 303


def test_a_huge_error_body_gives_its_error(server: LocalServer) -> None:
    server.answer(500, "z" * 4_000_000, Content_Type="text/plain")
    connection = nubo.Connection(secure=False, port=server.port, retry=False)
    caught: list[BaseException] = []

    def call() -> None:
        try:
            connection.request("/x")
        except errors.NuboError as exc:
            caught.append(exc)

    assert finishes(call)
    assert isinstance(caught[0], errors.ServerError)
    assert len(caught[0].body_excerpt or "") <= 303
