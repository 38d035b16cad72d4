"""Redaction: the Redactor itself, and no secret in any log line, repr, error
message or traceback of a real call."""

from __future__ import annotations

import logging
import traceback
from typing import TYPE_CHECKING, Any, ClassVar

import pytest

import nubo
from nubo import errors
from nubo._redact import REDACTED, Redactor

if TYPE_CHECKING:
    from conftest import LocalServer, RawServer

PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAsecretkeymaterialXYZ\n"
    "-----END RSA PRIVATE KEY-----"
)


def test_secret_headers_are_replaced() -> None:
    redactor = Redactor(headers=["X-Custom-Secret"])

    shown = redactor.headers_dict(
        {
            "Authorization": "Bearer abc",
            "cookie": "s=1",
            "Set-Cookie": "s=2",
            "X-Amz-Security-Token": "tok",
            "X-Auth-Token": "tok2",
            "Proxy-Authorization": "Basic dXNlcjpwdw==",
            "x-custom-secret": "mine",
            "Accept": "application/json",
        }
    )

    assert shown.pop("Accept") == "application/json"
    assert set(shown.values()) == {REDACTED}


@pytest.mark.parametrize(
    "param",
    ["Signature", "X-Amz-Signature", "X-Amz-Credential", "token", "password", "secret"],
)
def test_secret_query_params_are_replaced(param: str) -> None:
    url = f"https://h.test/p?{param}=TOPSECRET&Action=Describe"

    shown = Redactor().url(url)

    assert "TOPSECRET" not in shown
    assert "Action=Describe" in shown
    assert f"{param}={REDACTED}" in shown


def test_url_credentials_are_replaced() -> None:
    shown = Redactor().url("http://user:pa55word@proxy.test:3128/")

    assert shown == f"http://user:{REDACTED}@proxy.test:3128/"


def test_driver_named_params_are_replaced() -> None:
    shown = Redactor(params=["SessionKey"]).url("https://h.test/?sessionkey=abc123")

    assert "abc123" not in shown


@pytest.mark.parametrize(
    "body",
    [
        '{"user": "u", "password": "hunter2-secret"}',
        "{'password': 'hunter2-secret'}",
        "<Login><Password>hunter2-secret</Password></Login>",
        '<a:SecretAccessKey xmlns:a="x">hunter2-secret</a:SecretAccessKey>',
        "user=u&password=hunter2-secret&x=1",
        '{"access_token":"hunter2-secret"}',
        "Authorization: Bearer hunter2-secret",
        f"key: {PEM.replace('secretkeymaterialXYZ', 'hunter2-secret')}",
    ],
)
def test_body_secrets_are_replaced(body: str) -> None:
    assert "hunter2-secret" not in Redactor().text(body)


def test_excerpt_redacts_before_it_truncates() -> None:
    body = "x" * 290 + PEM

    excerpt = Redactor().excerpt(body)

    assert "secretkeymaterial" not in excerpt
    assert "MIIE" not in excerpt
    assert len(excerpt) <= 303


def test_excerpt_truncates_long_bodies() -> None:
    excerpt = Redactor().excerpt("a" * 5000)

    assert excerpt.endswith("...")
    assert len(excerpt) == 303


def test_literal_credentials_are_replaced_wherever_they_appear() -> None:
    redactor = Redactor(values=["wJalrXUtnFEMI/K7MDENG"])

    assert "wJalrXUtnFEMI" not in redactor.text("echo wJalrXUtnFEMI/K7MDENG back")
    assert "wJalrXUtnFEMI" not in redactor.url("https://h/?x=wJalrXUtnFEMI%2FK7MDENG")


def test_ordinary_text_is_left_alone() -> None:
    text = "InvalidInstanceID.NotFound: The instance ID 'i-123' does not exist"

    assert Redactor().text(text) == text


# -- a whole call, end to end ----------------------------------------------------

ACCESS_KEY = "AKIDEXAMPLE0001"
SECRET_KEY = "wJalrXUtnFEMI-K7MDENG-bPxRfiCY"
SESSION_TOKEN = "FQoGZXIvYXdzEXAMPLETOKEN"
SIGNATURE = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
CUSTOM = "custom-secret-value-77"

SECRETS = [SECRET_KEY, SESSION_TOKEN, SIGNATURE, CUSTOM, "hunter2-pw", "keymaterialXYZ"]


class Signed(nubo.ConnectionUserAndKey):
    responseCls = nubo.JsonResponse
    secret_headers: ClassVar[frozenset[str]] = frozenset({"X-Custom-Secret"})
    secret_params: ClassVar[frozenset[str]] = frozenset({"SessionKey"})

    def pre_connect(self, request: nubo.Request) -> None:
        request.params.update(
            {
                "X-Amz-Credential": f"{self.user_id}/20260101/us-east-1",
                "X-Amz-Signature": SIGNATURE,
                "SessionKey": CUSTOM,
            }
        )
        request.headers["Authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={self.user_id}, Signature={SIGNATURE}"
        )
        request.headers["X-Amz-Security-Token"] = SESSION_TOKEN
        request.headers["X-Custom-Secret"] = CUSTOM


class Driver(nubo.BaseDriver):
    type = "signedcloud"
    connectionCls = Signed


def everything_shown(caplog: pytest.LogCaptureFixture, *things: Any) -> list[str]:
    shown = [record.getMessage() for record in caplog.records]
    shown += [
        "".join(traceback.format_exception(record.exc_info[1]))
        for record in caplog.records
        if record.exc_info and record.exc_info[1]
    ]
    for thing in things:
        shown.append(repr(thing))
        if isinstance(thing, BaseException):
            shown.append(str(thing))
            shown.append("".join(traceback.format_exception(thing)))
    return shown


def test_no_secret_leaks_from_a_failing_call(
    server: LocalServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    echo = (
        f'{{"message": "denied for {SECRET_KEY}", "password": "hunter2-pw",'
        f' "key": "{PEM}", "token": "{SESSION_TOKEN}"}}'
    )
    server.answer(500, echo)
    driver = Driver(
        ACCESS_KEY,
        SECRET_KEY,
        secure=False,
        host="127.0.0.1",
        port=server.port,
        retry=nubo.RetryPolicy(sleep=lambda s: None),
    )
    assert driver.connection is not None

    with pytest.raises(errors.ServerError) as caught:
        driver.connection.request("/", params={"Action": "Describe"})

    # The server did get the secrets: the test would prove nothing otherwise.
    assert SIGNATURE in server.seen[0].path
    assert server.seen[0].headers["X-Custom-Secret"] == CUSTOM
    assert len(server.seen) == 3

    shown = everything_shown(caplog, caught.value, driver, driver.connection)
    shown.append(caught.value.body_excerpt or "")
    for text in shown:
        for secret in SECRETS:
            assert secret not in text, (secret, text)
    assert any("X-Amz-Signature=***" in text for text in shown)


@pytest.mark.parametrize("where", ["reset", "refused"])
def test_no_secret_leaks_from_a_transport_error(
    reset_server: RawServer,
    closed_port: int,
    caplog: pytest.LogCaptureFixture,
    where: str,
) -> None:
    # A refused connection makes urllib3 put the whole URL in its message.
    caplog.set_level(logging.DEBUG)
    driver = Driver(
        ACCESS_KEY,
        SECRET_KEY,
        secure=False,
        host="127.0.0.1",
        port=reset_server.port if where == "reset" else closed_port,
        retry=nubo.RetryPolicy(sleep=lambda s: None),
    )
    assert driver.connection is not None

    # A variable, so that the traceback's source lines do not show the value.
    params = {"password": SECRETS[4]}
    with pytest.raises(errors.TransportError) as caught:
        driver.connection.request("/", params=params)

    assert caught.value.__cause__ is not None
    for text in everything_shown(caplog, caught.value):
        for secret in SECRETS:
            assert secret not in text, (secret, text)


def test_no_secret_leaks_from_a_plugin_failure(
    server: LocalServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    requests_seen: list[nubo.Request] = []

    class Leaky:
        @nubo.hookimpl
        def add_default_headers(self, request: nubo.Request) -> None:
            requests_seen.append(request)
            raise ValueError(f"cannot sign with {SECRET_KEY}")

    nubo.register_plugin(Leaky(), "leaky")
    driver = Driver(ACCESS_KEY, SECRET_KEY, secure=False, port=server.port)
    assert driver.connection is not None

    with pytest.raises(errors.PluginError) as caught:
        driver.connection.request("/", params={"SessionKey": CUSTOM})

    for text in everything_shown(caplog, caught.value, *requests_seen):
        for secret in SECRETS:
            assert secret not in text, (secret, text)


def test_request_repr_hides_headers_and_secret_params(server: LocalServer) -> None:
    connection = Signed(ACCESS_KEY, SECRET_KEY, secure=False, port=server.port)
    request = nubo.Request(
        "GET",
        "/x",
        {"Signature": SIGNATURE, "a": "1"},
        {"Authorization": f"Bearer {SESSION_TOKEN}"},
        data=f"password={SECRET_KEY}",
        connection=connection,
    )

    shown = repr(request)

    assert "a=1" in shown
    for secret in (SIGNATURE, SESSION_TOKEN, SECRET_KEY):
        assert secret not in shown
