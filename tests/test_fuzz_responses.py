"""Hypothesis over the response classes: whatever status, headers and body an
answer has, reading it gives a response or a ``nubo.errors`` exception, never
anything else."""

from __future__ import annotations

import gzip
import io
import json
import zlib
from typing import Any

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from urllib3.response import HTTPResponse

import nubo
from nubo import errors

SETTINGS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

STATUSES = st.sampled_from([200, 201, 204, 400, 401, 403, 404, 409, 429, 500, 503])

CONTENT_TYPES = st.sampled_from(
    [
        None,
        "application/json",
        "application/json; charset=utf-8",
        "text/xml; charset=ISO-8859-1",
        "text/html",
        "text/plain; charset=",
        "text/plain; charset=no-such-codec",
        "application/octet-stream",
        "garbage;;;=",
    ]
)

ENCODINGS = st.sampled_from(
    [None, "gzip", "deflate", "deflate-raw", "identity", "gzip, deflate", "br", "x"]
)

RETRY_AFTER = st.one_of(
    st.none(),
    st.sampled_from(["0", "2", "-5", "1e400", "soon", "Wed, 21 Oct 2015 07:28:00 GMT"]),
    st.text(max_size=20),
)

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["message", "code", "id", "error", "errors", "detail", "x"]
            ),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)

TAGS = st.sampled_from(
    ["Response", "Errors", "Error", "Code", "Message", "RequestID", "item", "a:b"]
)


@st.composite
def xml_documents(draw: Any) -> bytes:
    def element(depth: int) -> str:
        tag = draw(TAGS).replace("a:b", "b")
        text = draw(st.text(max_size=10)).translate({ord(c): None for c in "<&>"})
        kids = (
            ""
            if depth > 2
            else "".join(element(depth + 1) for _ in range(draw(st.integers(0, 3))))
        )
        return f"<{tag}>{text}{kids}</{tag}>"

    prefix = draw(
        st.sampled_from(["", "<?xml version='1.0'?>", "<!DOCTYPE r [<!ENTITY e 'x'>]>"])
    )
    document = prefix + element(0)
    cut = draw(st.integers(0, len(document)))
    return document.encode() if draw(st.booleans()) else document[:cut].encode()


BODIES = st.one_of(
    st.binary(max_size=300),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    xml_documents(),
    st.text(max_size=100).map(lambda t: t.encode("utf-16")),
)


def compress(body: bytes, encoding: str | None, corrupt: bool) -> bytes:
    if encoding == "gzip":
        body = gzip.compress(body)
    elif encoding == "deflate":
        body = zlib.compress(body)
    elif encoding == "deflate-raw":
        packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        body = packer.compress(body) + packer.flush()
    if corrupt and body:
        body = body[: len(body) // 2] + b"\x00\xff" + body[len(body) // 2 :]
    return body


def answer(
    status: int,
    body: bytes,
    content_type: str | None,
    encoding: str | None,
    retry_after: str | None,
    corrupt: bool,
    short: bool,
) -> requests.Response:
    headers: dict[str, str] = {}
    if content_type is not None:
        headers["Content-Type"] = content_type
    if encoding is not None:
        headers["Content-Encoding"] = encoding.removesuffix("-raw")
    if retry_after is not None:
        headers["Retry-After"] = retry_after
    wire = compress(body, encoding, corrupt)
    if short:
        # The connection ends before the length it announced.
        headers["Content-Length"] = str(len(wire) + 7)
    raw = HTTPResponse(
        body=io.BytesIO(wire),
        headers=headers,
        status=status,
        preload_content=False,
        decode_content=False,
        enforce_content_length=True,
    )
    response = requests.Response()
    response.status_code = status
    response.headers = requests.structures.CaseInsensitiveDict(headers)
    response.raw = raw
    response.reason = "Fuzzed"
    response.encoding = requests.utils.get_encoding_from_headers(response.headers)
    return response


class Driver(nubo.BaseDriver):
    type = "fuzzcloud"
    connectionCls = nubo.ConnectionKey


CONNECTION = Driver("fuzz-token-0123456").connection


def read(cls: type[nubo.Response], response: requests.Response) -> None:
    error: errors.NuboError | None = None
    try:
        result = cls(response, CONNECTION)  # type: ignore[arg-type]
        if isinstance(result, nubo.RawResponse):
            result.read()
    except errors.NuboError as exc:
        error = exc

    if error is not None:
        assert str(error)
    if isinstance(error, errors.ProviderError):
        assert error.status == response.status_code
        assert not 200 <= response.status_code < 300


ANSWERS = st.builds(
    answer,
    STATUSES,
    BODIES,
    CONTENT_TYPES,
    ENCODINGS,
    RETRY_AFTER,
    st.booleans(),
    st.booleans(),
)


@SETTINGS
@given(ANSWERS)
def test_json_responses(response: requests.Response) -> None:
    read(nubo.JsonResponse, response)


@SETTINGS
@given(ANSWERS)
def test_xml_responses(response: requests.Response) -> None:
    read(nubo.XmlResponse, response)


@SETTINGS
@given(ANSWERS)
def test_plain_responses(response: requests.Response) -> None:
    read(nubo.Response, response)


@SETTINGS
@given(ANSWERS)
def test_raw_responses(response: requests.Response) -> None:
    read(nubo.RawResponse, response)


@SETTINGS
@given(st.one_of(st.none(), st.text(max_size=40)))
def test_retry_after_is_seconds_or_none(value: str | None) -> None:
    from nubo._retry import parse_retry_after

    seconds = parse_retry_after(value)

    assert seconds is None or seconds >= 0
