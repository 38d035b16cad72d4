"""Response, JsonResponse, XmlResponse and RawResponse, against mocked answers."""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path
from typing import Any, ClassVar

import pytest
import responses

import nubo
from nubo import errors

BASE = "https://api.example.test"


class JsonConn(nubo.ConnectionKey):
    responseCls = nubo.JsonResponse
    host = "api.example.test"


class XmlConn(nubo.ConnectionKey):
    responseCls = nubo.XmlResponse
    host = "api.example.test"


class PlainConn(nubo.ConnectionKey):
    host = "api.example.test"


class Driver(nubo.BaseDriver):
    type = "fakecloud"
    connectionCls = JsonConn


def conn(cls: type[nubo.Connection] = JsonConn) -> nubo.Connection:
    connection = cls("the-token-value", retry=False)  # type: ignore[call-arg]
    connection.driver = Driver("k")
    return connection


@responses.activate
@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, errors.ProviderError),
        (401, errors.InvalidCredsError),
        (403, errors.InvalidCredsError),
        (404, errors.NotFoundError),
        (409, errors.ProviderError),
        (429, errors.RateLimitError),
        (500, errors.ServerError),
        (502, errors.ServerError),
        (503, errors.ServerError),
    ],
)
def test_status_maps_to_its_error(status: int, error: type[Exception]) -> None:
    responses.get(f"{BASE}/x", json={"message": "nope", "code": "E1"}, status=status)

    with pytest.raises(error) as caught:
        conn().request("/x")

    assert type(caught.value) is error
    assert caught.value.status == status
    assert caught.value.code == "E1"
    assert caught.value.message == "nope"
    assert caught.value.provider == "fakecloud"
    assert "nope" in caught.value.body_excerpt


@responses.activate
def test_rate_limit_error_carries_retry_after() -> None:
    responses.get(f"{BASE}/x", status=429, body="slow", headers={"Retry-After": "7"})

    with pytest.raises(errors.RateLimitError) as caught:
        conn().request("/x")

    assert caught.value.retry_after == 7.0


@responses.activate
@pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
def test_every_2xx_is_a_success_and_empty_is_empty(status: int) -> None:
    responses.get(f"{BASE}/x", status=status, body=b"")

    response = conn().request("/x")

    assert response.success()
    assert response.status == status
    assert response.object == {}
    assert response.body == ""
    assert response.error is None


@responses.activate
def test_plain_response_keeps_text_and_case_insensitive_headers() -> None:
    responses.get(f"{BASE}/x", body="hello", headers={"X-Thing": "1"})

    response = conn(PlainConn).request("/x")

    assert response.object == "hello"
    assert response.body == "hello"
    assert response.headers["x-thing"] == "1"
    assert response.connection is not None


@responses.activate
def test_json_body_is_parsed() -> None:
    responses.get(f"{BASE}/x", json={"nodes": [1, 2]})

    assert conn().request("/x").object == {"nodes": [1, 2]}


@responses.activate
def test_json_success_with_a_broken_body_is_malformed() -> None:
    responses.get(f"{BASE}/x", body="{not json", status=200)

    with pytest.raises(errors.MalformedResponseError) as caught:
        conn().request("/x")

    assert caught.value.status == 200
    assert "{not json" in caught.value.body_excerpt
    assert isinstance(caught.value.__cause__, ValueError)


@responses.activate
def test_html_502_from_a_proxy_keeps_its_status() -> None:
    page = "<html><body><h1>502 Bad Gateway</h1>" + "x" * 2000 + "</body></html>"
    responses.get(f"{BASE}/x", body=page, status=502, content_type="text/html")

    with pytest.raises(errors.ServerError) as caught:
        conn().request("/x")

    assert caught.value.status == 502
    assert "502 Bad Gateway" in caught.value.body_excerpt
    assert len(caught.value.body_excerpt) < 320


@responses.activate
def test_json_error_found_under_error_member() -> None:
    body = {"error": {"message": "bad size", "code": "InvalidSize"}}
    responses.get(f"{BASE}/x", json=body, status=422)

    with pytest.raises(errors.ProviderError) as caught:
        conn().request("/x")

    assert caught.value.code == "InvalidSize"
    assert caught.value.message == "bad size"


class CodedResponse(nubo.XmlResponse):
    auth_error_codes: ClassVar[frozenset[str]] = frozenset({"AuthFailure"})
    throttle_error_codes: ClassVar[frozenset[str]] = frozenset({"RequestLimitExceeded"})
    not_found_error_codes: ClassVar[frozenset[str]] = frozenset({"InvalidID.NotFound"})


class CodedConn(XmlConn):
    responseCls = CodedResponse


EC2_ERROR = """<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error>
</Errors><RequestID>req-42</RequestID></Response>"""


@responses.activate
@pytest.mark.parametrize(
    ("code", "status", "error"),
    [
        ("AuthFailure", 400, errors.InvalidCredsError),
        ("RequestLimitExceeded", 503, errors.RateLimitError),
        ("RequestLimitExceeded", 400, errors.RateLimitError),
        ("InvalidID.NotFound", 400, errors.NotFoundError),
        ("Unknown", 400, errors.ProviderError),
    ],
)
def test_provider_codes_map_whatever_the_status(
    code: str, status: int, error: type[Exception]
) -> None:
    body = EC2_ERROR.format(code=code, message="it failed")
    responses.get(f"{BASE}/x", body=body, status=status)

    with pytest.raises(error) as caught:
        conn(CodedConn).request("/x")

    assert type(caught.value) is error
    assert caught.value.code == code
    assert caught.value.request_id == "req-42"
    assert caught.value.message == "it failed"


def test_error_class_is_overridable() -> None:
    class Special(nubo.JsonResponse):
        def error_class(self, status: int, code: str | None) -> type[Any]:
            return (
                errors.NotFoundError
                if code == "gone"
                else super().error_class(status, code)
            )

    class Conn(JsonConn):
        responseCls = Special

    with responses.RequestsMock() as mock:
        mock.get(f"{BASE}/x", json={"message": "m", "code": "gone"}, status=410)
        with pytest.raises(errors.NotFoundError):
            conn(Conn).request("/x")


@responses.activate
def test_request_id_is_read_from_headers() -> None:
    responses.get(f"{BASE}/x", status=500, headers={"X-Request-Id": "abc"})

    with pytest.raises(errors.ServerError) as caught:
        conn().request("/x")

    assert caught.value.request_id == "abc"


NAMESPACED = """<?xml version="1.0" encoding="UTF-8"?>
<DescribeResponse xmlns="{ns}"><reservationSet><item><instanceId>i-1</instanceId>
</item><item><instanceId>i-2</instanceId></item></reservationSet></DescribeResponse>"""


@responses.activate
@pytest.mark.parametrize(
    "ns", ["http://ec2.amazonaws.com/doc/2016-11-15/", "urn:other:emulator"]
)
def test_xml_helpers_find_by_local_name_in_any_namespace(ns: str) -> None:
    responses.get(f"{BASE}/x", body=NAMESPACED.format(ns=ns))

    root = conn(XmlConn).request("/x").object

    items = nubo.XmlResponse.findall_local(root, "item")
    assert [nubo.XmlResponse.findtext_local(i, "instanceId") for i in items] == [
        "i-1",
        "i-2",
    ]
    assert nubo.XmlResponse.findtext_local(root, "missing", "d") == "d"
    assert nubo.XmlResponse.find_local(root, "reservationSet") is not None
    assert len(nubo.XmlResponse.children_local(root, "reservationSet")) == 1


@responses.activate
def test_xml_that_is_not_xml_is_malformed_with_status_and_excerpt() -> None:
    responses.get(f"{BASE}/x", body="<html><p>oops", status=200)

    with pytest.raises(errors.MalformedResponseError) as caught:
        conn(XmlConn).request("/x")

    assert caught.value.status == 200
    assert "oops" in caught.value.body_excerpt


@responses.activate
def test_xml_error_that_is_not_xml_keeps_the_status() -> None:
    responses.get(f"{BASE}/x", body="Service Unavailable", status=503)

    with pytest.raises(errors.ServerError) as caught:
        conn(XmlConn).request("/x")

    assert caught.value.status == 503
    assert "Service Unavailable" in str(caught.value)


@responses.activate
def test_xml_external_entities_are_not_resolved(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text("TOP-SECRET-CONTENT")
    body = (
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret_file}">]>'
        "<r><v>&x;</v></r>"
    )
    responses.get(f"{BASE}/x", body=body)

    with pytest.raises(errors.MalformedResponseError) as caught:
        conn(XmlConn).request("/x")

    assert "entities" in str(caught.value)
    assert "TOP-SECRET-CONTENT" not in str(caught.value)


@responses.activate
def test_xml_entity_expansion_bomb_is_not_expanded() -> None:
    entities = '<!ENTITY a0 "ha">' + "".join(
        f'<!ENTITY a{i} "{("&a" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    )
    body = f'<?xml version="1.0"?><!DOCTYPE r [{entities}]><r>&a9;</r>'
    responses.get(f"{BASE}/x", body=body)

    try:
        root = conn(XmlConn).request("/x").object
    except errors.MalformedResponseError:
        return  # refusing it outright is as good

    from lxml import etree

    assert len(etree.tostring(root)) < 10_000


@responses.activate
@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda d: zlib.compress(d)[2:-4]),  # bare deflate
    ],
)
def test_compressed_bodies_are_decompressed(encoding: str, compress: Any) -> None:
    payload = json.dumps({"items": list(range(500))}).encode()
    responses.get(
        f"{BASE}/x", body=compress(payload), headers={"Content-Encoding": encoding}
    )

    assert conn().request("/x").object == {"items": list(range(500))}


def _bomb() -> bytes:
    # 80 MiB of zeros, a few tens of KiB compressed.
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"\0" * (1024 * 1024)
    return b"".join(compressor.compress(block) for _ in range(80)) + compressor.flush()


@responses.activate
def test_decompression_bomb_is_refused() -> None:
    responses.get(f"{BASE}/x", body=_bomb(), headers={"Content-Encoding": "gzip"})

    with pytest.raises(errors.MalformedResponseError) as caught:
        conn().request("/x")

    assert "larger than" in str(caught.value)


@responses.activate
def test_cap_is_a_class_attribute() -> None:
    class Small(nubo.Response):
        max_body_size = 10

    class Conn(JsonConn):
        responseCls = Small

    responses.get(
        f"{BASE}/x", body=gzip.compress(b"a" * 11), headers={"Content-Encoding": "gzip"}
    )

    with pytest.raises(errors.MalformedResponseError):
        conn(Conn).request("/x")


@responses.activate
def test_unknown_content_encoding_is_malformed() -> None:
    responses.get(f"{BASE}/x", body=b"zz", headers={"Content-Encoding": "br"})

    with pytest.raises(errors.MalformedResponseError):
        conn().request("/x")


@responses.activate
def test_raw_response_streams_and_decompresses() -> None:
    payload = b"0123456789" * 10_000
    responses.get(
        f"{BASE}/blob",
        body=gzip.compress(payload),
        headers={"Content-Encoding": "gzip"},
    )

    response = conn().request("/blob", raw=True)

    assert isinstance(response, nubo.RawResponse)
    assert response.body == ""
    assert b"".join(response.iter_content(1024)) == payload


@responses.activate
def test_raw_response_bomb_is_cut_while_streaming() -> None:
    responses.get(f"{BASE}/blob", body=_bomb(), headers={"Content-Encoding": "gzip"})
    response = conn().request("/blob", raw=True)

    received: list[int] = []

    def drain() -> None:
        for chunk in response.iter_content():
            received.append(len(chunk))

    with pytest.raises(errors.MalformedResponseError):
        drain()

    assert 0 < sum(received) <= nubo.Response.max_body_size


@responses.activate
def test_raw_response_still_raises_for_a_failure() -> None:
    responses.get(f"{BASE}/blob", status=404, json={"message": "no blob"})

    with pytest.raises(errors.NotFoundError):
        conn().request("/blob", raw=True)


@responses.activate
def test_parse_zero_length_body_calls_parse_body() -> None:
    class Strict(nubo.JsonResponse):
        parse_zero_length_body = True

    class Conn(JsonConn):
        responseCls = Strict

    responses.get(f"{BASE}/x", body=b"")

    with pytest.raises(errors.MalformedResponseError):
        conn(Conn).request("/x")


@responses.activate
def test_parse_error_returning_only_a_message_is_accepted() -> None:
    class Legacy(nubo.Response):
        def parse_error(self) -> str:
            return "legacy message"

    class Conn(JsonConn):
        responseCls = Legacy

    responses.get(f"{BASE}/x", body="x", status=400)

    with pytest.raises(errors.ProviderError) as caught:
        conn(Conn).request("/x")

    assert caught.value.message == "legacy message"
    assert caught.value.code is None
