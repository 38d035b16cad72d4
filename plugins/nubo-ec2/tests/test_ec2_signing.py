"""The SigV4 signer, against botocore's signer and against fixed answers."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import logging
from unittest import mock
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nubo.errors import InvalidArgumentError
from nubo_ec2._sigv4 import (
    canonical_query,
    canonical_uri,
    encode_form,
    sign_request,
    to_text,
)

botocore_auth = pytest.importorskip("botocore.auth")
botocore_awsrequest = pytest.importorskip("botocore.awsrequest")
botocore_credentials = pytest.importorskip("botocore.credentials")

WHEN = datetime.datetime(2026, 3, 14, 15, 9, 26, tzinfo=datetime.timezone.utc)


def botocore_headers(
    method: str,
    url: str,
    headers: list[tuple[str, str]],
    body: bytes,
    *,
    access_key: str,
    secret_key: str,
    region: str,
    token: str | None = None,
    params: list[tuple[str, str]] | None = None,
    when: datetime.datetime = WHEN,
) -> dict[str, str]:
    """Sign with botocore's SigV4Auth at a fixed time; return what it added."""
    request = botocore_awsrequest.AWSRequest(
        method=method, url=url, data=body, params=params or {}
    )
    for name, value in headers:
        request.headers.add_header(name, value)
    credentials = botocore_credentials.Credentials(access_key, secret_key, token)
    signer = botocore_auth.SigV4Auth(credentials, "ec2", region)
    with mock.patch.object(botocore_auth, "get_current_datetime", return_value=when):
        signer.add_auth(request)

    wanted = ["Authorization", "X-Amz-Date", "X-Amz-Security-Token"]
    return {n: request.headers[n] for n in wanted if n in request.headers}


# -- generated requests, compared with botocore ----------------------------------

# Text of every kind, non-ASCII and controls included, but no surrogates (they
# cannot be encoded as UTF-8, by either signer).
any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
special_text = st.text(
    st.sampled_from(list(" !\"#$%&'()*+,/:;<=>?@[\\]^`{|}-_.~aZ09é€\u00a0日")),
    max_size=12,
)
param_names = st.one_of(special_text.filter(bool), any_text.filter(bool))
param_values = st.one_of(
    any_text,
    special_text,
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
)
params = st.lists(st.tuples(param_names, param_values), max_size=6)

# Header names are HTTP tokens, in mixed case; values are printable ASCII with
# runs of spaces and tabs inside and around them.
# Any token, plus the headers a signer must leave out or treat with care.
header_names = st.one_of(
    st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,15}", fullmatch=True),
    st.sampled_from(
        [
            "User-Agent",
            "connection",
            "Transfer-Encoding",
            "X-Amzn-Trace-Id",
            "EXPECT",
            "Content-Length",
            "X-Amz-Target",
            "x-amz-meta-Mixed",
        ]
    ),
).filter(lambda n: n.lower() not in {"host", "x-amz-date", "authorization", "date"})


def _spaced(value: str) -> str:
    # Runs of spaces and a tab inside, spaces around: all trimmed before signing.
    return "  " + value.replace("a", " \t  a") + "  "


header_values = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=20
).map(_spaced)
headers = st.lists(st.tuples(header_names, header_values), max_size=5)

keys = st.from_regex(r"[A-Z0-9]{16,20}", fullmatch=True)
secrets = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=40
)
tokens = st.one_of(st.none(), st.from_regex(r"[A-Za-z0-9+/=]{1,64}", fullmatch=True))
regions = st.sampled_from(
    ["us-east-1", "eu-west-3", "cn-north-1", "us-gov-west-1", "ap-southeast-5"]
)
hosts = st.sampled_from(
    [
        "http://127.0.0.1:5000",
        "https://ec2.us-east-1.amazonaws.com",
        "https://EC2.eu-west-3.AmazonAWS.com:443",
        "http://localhost:80",
        "http://[::1]:8080",
    ]
)
paths = st.sampled_from(["", "/", "/a/b", "/a/./b/../c/", "//x//y", "/%41%7e b"])
times = st.datetimes(
    min_value=datetime.datetime(2000, 1, 1),
    max_value=datetime.datetime(2099, 12, 31),
    timezones=st.just(datetime.timezone.utc),
)


def as_text(pairs: list[tuple[str, object]]) -> list[tuple[str, str]]:
    return [(name, to_text(value)) for name, value in pairs]


@settings(max_examples=300, deadline=None)
@given(
    form=params,
    extra_headers=headers,
    key=keys,
    secret=secrets,
    token=tokens,
    region=regions,
    host=hosts,
    when=times,
)
def test_post_form_bodies_sign_like_botocore(
    form: list[tuple[str, object]],
    extra_headers: list[tuple[str, str]],
    key: str,
    secret: str,
    token: str | None,
    region: str,
    host: str,
    when: datetime.datetime,
) -> None:
    body = encode_form(form)
    all_headers = [
        ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
        *extra_headers,
    ]
    # Duplicate names in different cases are legal in HTTP; a dict keeps both.
    header_map = dict(all_headers)

    ours = sign_request(
        "POST",
        host + "/",
        header_map,
        body,
        access_key=key,
        secret_key=secret,
        region=region,
        session_token=token,
        when=when,
    )
    theirs = botocore_headers(
        "POST",
        host + "/",
        list(header_map.items()),
        body,
        access_key=key,
        secret_key=secret,
        region=region,
        token=token,
        when=when,
    )

    assert ours == theirs


@settings(max_examples=300, deadline=None)
@given(
    query=params,
    path=paths,
    method=st.sampled_from(["GET", "get", "DELETE", "POST"]),
    key=keys,
    secret=secrets,
    token=tokens,
    region=regions,
    host=hosts,
)
def test_query_parameters_and_paths_sign_like_botocore(
    query: list[tuple[str, object]],
    path: str,
    method: str,
    key: str,
    secret: str,
    token: str | None,
    region: str,
    host: str,
) -> None:
    pairs = as_text(query)

    ours = sign_request(
        method,
        host + path,
        {},
        b"",
        access_key=key,
        secret_key=secret,
        region=region,
        session_token=token,
        params=query,
        when=WHEN,
    )
    theirs = botocore_headers(
        method,
        host + path,
        [],
        b"",
        access_key=key,
        secret_key=secret,
        region=region,
        token=token,
        params=pairs,
    )

    assert ours == theirs


@settings(max_examples=100, deadline=None)
@given(query=params)
def test_a_query_already_in_the_url_signs_like_botocore(
    query: list[tuple[str, object]],
) -> None:
    # botocore signs a query in the URL as it is: give it the strict encoding.
    text = "&".join(
        f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in as_text(query)
    )
    url = f"https://ec2.us-east-1.amazonaws.com/?{text}"
    credentials = {"access_key": "AKIDEXAMPLE", "secret_key": "s3cr3t"}

    ours = sign_request(
        "GET", url, {}, b"", region="us-east-1", when=WHEN, **credentials
    )
    theirs = botocore_headers("GET", url, [], b"", region="us-east-1", **credentials)

    assert ours == theirs


# -- fixed answers ------------------------------------------------------------------


def reference_signature(
    canonical_request: str, secret: str, stamp: str, region: str, service: str
) -> str:
    """The signature of a canonical request, spelled out step by step."""
    scope = f"{stamp[:8]}/{region}/{service}/aws4_request"
    digest = hashlib.sha256(canonical_request.encode()).hexdigest()
    string_to_sign = f"AWS4-HMAC-SHA256\n{stamp}\n{scope}\n{digest}"
    key = f"AWS4{secret}".encode()
    for part in (stamp[:8], region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def test_a_describe_regions_post_has_the_expected_signature() -> None:
    body = b"Action=DescribeRegions&Version=2016-11-15"
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}

    added = sign_request(
        "POST",
        "https://ec2.us-east-1.amazonaws.com/",
        headers,
        body,
        access_key="AKIDEXAMPLE",
        secret_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        region="us-east-1",
        when=WHEN,
    )

    canonical = (
        "POST\n/\n\n"
        "content-type:application/x-www-form-urlencoded; charset=utf-8\n"
        "host:ec2.us-east-1.amazonaws.com\n"
        "x-amz-date:20260314T150926Z\n\n"
        "content-type;host;x-amz-date\n" + hashlib.sha256(body).hexdigest()
    )
    signature = reference_signature(
        canonical,
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        "20260314T150926Z",
        "us-east-1",
        "ec2",
    )
    assert added == {
        "X-Amz-Date": "20260314T150926Z",
        "Authorization": (
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260314/us-east-1/ec2/"
            "aws4_request, SignedHeaders=content-type;host;x-amz-date, "
            f"Signature={signature}"
        ),
    }


def test_aws_documented_get_vanilla_signature() -> None:
    # The "get-vanilla" case of AWS's SigV4 test suite: fixed inputs, fixed output.
    added = sign_request(
        "GET",
        "https://example.amazonaws.com/",
        {"Host": "example.amazonaws.com"},
        b"",
        access_key="AKIDEXAMPLE",
        secret_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        region="us-east-1",
        service="service",
        when=datetime.datetime(2015, 8, 30, 12, 36, tzinfo=datetime.timezone.utc),
    )

    assert added["Authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
        "aws4_request, SignedHeaders=host;x-amz-date, "
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    )


def test_a_session_token_is_signed_and_sent() -> None:
    common = {
        "access_key": "AKIDEXAMPLE",
        "secret_key": "secret",
        "region": "us-east-1",
        "when": WHEN,
    }
    url = "http://127.0.0.1:5000/"

    with_token = sign_request("POST", url, {}, b"x=1", session_token="tok", **common)
    without = sign_request("POST", url, {}, b"x=1", **common)

    assert with_token["X-Amz-Security-Token"] == "tok"
    assert "x-amz-security-token" in with_token["Authorization"]
    assert "X-Amz-Security-Token" not in without
    assert with_token["Authorization"] != without["Authorization"]


def test_headers_the_signer_sets_replace_the_callers_in_any_case() -> None:
    common = {
        "access_key": "AKIDEXAMPLE",
        "secret_key": "secret",
        "region": "us-east-1",
        "session_token": "new",
        "when": WHEN,
    }
    url = "http://127.0.0.1:5000/"
    stale = {
        "x-amz-date": "19990101T000000Z",
        "X-AMZ-SECURITY-TOKEN": "old",
        "authorization": "stale",
    }

    assert sign_request("POST", url, stale, b"", **common) == sign_request(
        "POST", url, {}, b"", **common
    )


def test_user_agent_and_hop_by_hop_headers_are_not_signed() -> None:
    added = sign_request(
        "POST",
        "http://127.0.0.1:5000/",
        {"User-Agent": "nubo/1", "Connection": "keep-alive", "X-Custom": " a   b "},
        b"",
        access_key="AKIDEXAMPLE",
        secret_key="secret",
        region="us-east-1",
        when=WHEN,
    )

    assert "SignedHeaders=host;x-amz-date;x-custom," in added["Authorization"]


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="time zone"):
        sign_request(
            "GET",
            "http://127.0.0.1:5000/",
            {},
            b"",
            access_key="AKIDEXAMPLE",
            secret_key="secret",
            region="us-east-1",
            when=datetime.datetime(2026, 1, 1),
        )


@pytest.mark.parametrize("field", ["access_key", "secret_key", "region", "service"])
def test_empty_credentials_or_scope_are_refused(field: str) -> None:
    arguments = {
        "access_key": "AKIDEXAMPLE",
        "secret_key": "secret",
        "region": "us-east-1",
        "service": "ec2",
        field: " ",
    }

    with pytest.raises(InvalidArgumentError, match=field) as caught:
        sign_request("GET", "http://127.0.0.1:5000/", {}, b"", **arguments)
    assert caught.value.argument == field


def test_the_signature_and_secret_are_never_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="nubo_ec2")

    added = sign_request(
        "POST",
        "http://127.0.0.1:5000/",
        {},
        b"Action=DescribeRegions",
        access_key="AKIDEXAMPLE",
        secret_key="the-secret-key",
        region="us-east-1",
        session_token="the-session-token",
        when=WHEN,
    )

    signature = added["Authorization"].rsplit("Signature=", 1)[1]
    assert caplog.records, "the signer logs nothing at DEBUG"
    assert signature not in caplog.text
    assert "the-secret-key" not in caplog.text
    assert "the-session-token" not in caplog.text


# -- the canonical pieces --------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("", "/"),
        ("/", "/"),
        ("/a/./b/../c", "/a/c"),
        ("//a//b//", "/a/b/"),
        ("/../..", "/"),
        ("/a b/%2F", "/a%20b/%252F"),
        ("/~user", "/~user"),
    ],
)
def test_canonical_uri(path: str, expected: str) -> None:
    assert canonical_uri(path) == expected


def test_canonical_query_sorts_and_encodes_strictly() -> None:
    assert canonical_query("b=2&a=%7e&a=1&c") == "a=1&a=~&b=2&c="
    assert canonical_query("x=a%2fb") == canonical_query("x=a%2Fb") == "x=a%2Fb"
    assert canonical_query("", [("k", "a b+c*"), ("é", 1)]) == (
        "%C3%A9=1&k=a%20b%2Bc%2A"
    )


def test_form_bodies_keep_order_and_encode_like_the_signature() -> None:
    body = encode_form(
        [("Action", "RunInstances"), ("TagSpecification.1.Tag.1.Value", "web 1/é")]
    )
    assert body == (
        b"Action=RunInstances&TagSpecification.1.Tag.1.Value=web%201%2F%C3%A9"
    )
    assert encode_form({"DryRun": True, "MaxCount": 2, "Ratio": 0.5}) == (
        b"DryRun=true&MaxCount=2&Ratio=0.5"
    )


def test_to_text() -> None:
    assert [to_text(v) for v in ("x", 3, False, True, 1.5, "é".encode())] == [
        "x",
        "3",
        "false",
        "true",
        "1.5",
        "é",
    ]
