"""How bodies are decoded into text: the charset the server names, else UTF-8,
whatever the Content-Type says the body is."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import nubo

if TYPE_CHECKING:
    from conftest import LocalServer

TEXT = "Zürich-東京-ø"


class JsonConnection(nubo.Connection):
    responseCls = nubo.JsonResponse


@pytest.mark.parametrize(
    "content_type",
    ["text/html", "text/plain", "application/json", "text/xml", None],
)
def test_a_body_without_a_charset_is_read_as_utf8(
    server: LocalServer, content_type: str | None
) -> None:
    headers = {"Content_Type": content_type} if content_type else {}
    server.answer(200, f'{{"name": "{TEXT}"}}'.encode(), **headers)
    connection = JsonConnection(secure=False, port=server.port)

    response = connection.request("/x")

    assert response.object == {"name": TEXT}


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("text/plain; charset=iso-8859-1", "café"),
        ('application/json; charset="ISO-8859-1"', "café"),
        ("text/plain; charset=no-such-charset", "caf\ufffd"),
    ],
)
def test_a_named_charset_is_used(
    server: LocalServer, content_type: str, expected: str
) -> None:
    server.answer(200, "café".encode("latin-1"), Content_Type=content_type)
    connection = nubo.Connection(secure=False, port=server.port)

    assert connection.request("/x").body == expected
