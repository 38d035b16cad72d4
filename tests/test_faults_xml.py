"""XML safety, over real sockets: a body that declares entities is refused, so
external entities are never fetched and expansion bombs never expand."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from faultserver import Answer, FaultServer, fault_server

import nubo
from nubo import errors

if TYPE_CHECKING:
    from conftest import LocalServer


class XmlConnection(nubo.Connection):
    responseCls = nubo.XmlResponse


def laughs(levels: int = 10) -> str:
    entities = '<!ENTITY l0 "lol">' + "".join(
        f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, levels)
    )
    return f'<?xml version="1.0"?><!DOCTYPE r [{entities}]><r>&l{levels - 1};</r>'


def quadratic() -> str:
    big = "x" * 50_000
    return (
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY b "{big}">]><r>{"&b;" * 5_000}</r>'
    )


def hostile_bodies(secret_file: Path, peer: FaultServer) -> dict[str, str]:
    url = f"http://127.0.0.1:{peer.port}/evil.dtd"
    return {
        "file entity": (
            f'<!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret_file}">]><r>&x;</r>'
        ),
        "network entity": f'<!DOCTYPE r [<!ENTITY x SYSTEM "{url}">]><r>&x;</r>',
        "parameter entity": f'<!DOCTYPE r [<!ENTITY % p SYSTEM "{url}"> %p;]><r/>',
        "external DTD": f'<!DOCTYPE r SYSTEM "{url}"><r/>',
        "billion laughs": laughs(),
        "quadratic blowup": quadratic(),
    }


@pytest.fixture
def peer() -> Iterator[FaultServer]:
    """Where the hostile entities point: it must never be asked for anything."""
    with fault_server(lambda request: Answer(200, {}, b"<!ENTITY y 'z'>")) as peer:
        yield peer


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text("XXE-MARKER-0f9e")
    return path


@pytest.mark.parametrize(
    "name",
    [
        "file entity",
        "network entity",
        "parameter entity",
        "billion laughs",
        "quadratic blowup",
    ],
)
@pytest.mark.parametrize("status", [200, 400])
def test_entities_are_refused(
    server: LocalServer,
    peer: FaultServer,
    secret_file: Path,
    name: str,
    status: int,
) -> None:
    body = hostile_bodies(secret_file, peer)[name]
    server.answer(status, body, Content_Type="text/xml")
    connection = XmlConnection(secure=False, port=server.port, retry=False)

    with pytest.raises(errors.NuboError) as caught:
        connection.request("/x")

    assert peer.received == []  # nothing was fetched
    assert peer.connections == 0
    error = caught.value
    if status == 200:
        # libxml2 itself stops some bombs as they expand; either way, refused.
        assert type(error) is errors.MalformedResponseError
        assert "entities" in str(error) or "well-formed" in str(error)
    else:
        # An error body with entities is not read for a code: the status decides.
        assert type(error) is errors.ProviderError
        assert error.status == 400
        assert error.code is None
    assert "XXE-MARKER" not in str(error)
    assert "lollollol" * 100 not in str(error)


def test_an_external_dtd_is_never_fetched(
    server: LocalServer, peer: FaultServer, secret_file: Path
) -> None:
    body = hostile_bodies(secret_file, peer)["external DTD"]
    server.answer(200, body, Content_Type="text/xml")
    connection = XmlConnection(secure=False, port=server.port, retry=False)

    root = connection.request("/x").object

    assert peer.received == []
    assert peer.connections == 0
    assert root.tag == "r"


def test_a_doctype_without_entities_is_accepted(server: LocalServer) -> None:
    server.answer(200, "<!DOCTYPE r [<!ELEMENT r ANY>]><r>fine</r>")
    connection = XmlConnection(secure=False, port=server.port)

    assert connection.request("/x").object.text == "fine"


def test_a_deeply_nested_document_is_malformed(server: LocalServer) -> None:
    depth = 100_000
    server.answer(200, "<a>" * depth + "</a>" * depth)
    connection = XmlConnection(secure=False, port=server.port, retry=False)

    with pytest.raises(errors.MalformedResponseError):
        connection.request("/x")
