"""What mocks cannot show, against real sockets on 127.0.0.1: timeouts,
resets, refused connections, TLS with a private CA, and proxies (tinyproxy)."""

from __future__ import annotations

import logging
import traceback
from typing import TYPE_CHECKING

import pytest

import nubo
from nubo import errors

if TYPE_CHECKING:
    from conftest import LocalServer, RawServer, Sleeps, Tinyproxy, TlsSetup


def fast(sleeps: Sleeps) -> nubo.RetryPolicy:
    return nubo.RetryPolicy(sleep=sleeps)


def test_read_timeout_is_mapped_and_retried_for_get(
    silent_server: RawServer, sleeps: Sleeps
) -> None:
    connection = nubo.Connection(
        secure=False, port=silent_server.port, timeout=(2, 0.2), retry=fast(sleeps)
    )

    with pytest.raises(errors.ReadTimeoutError) as caught:
        connection.request("/x")

    assert caught.value.attempts == 3
    assert silent_server.accepted == 3
    assert len(sleeps) == 2
    assert not isinstance(caught.value.__cause__, errors.NuboError)


def test_read_timeout_of_a_post_is_not_retried(
    silent_server: RawServer, sleeps: Sleeps
) -> None:
    connection = nubo.Connection(
        secure=False, port=silent_server.port, timeout=(2, 0.2), retry=fast(sleeps)
    )

    with pytest.raises(errors.ReadTimeoutError):
        connection.request("/x", method="POST", data="a=1")

    assert silent_server.accepted == 1
    assert sleeps == []


def test_read_timeout_of_an_idempotent_post_is_retried(
    silent_server: RawServer, sleeps: Sleeps
) -> None:
    connection = nubo.Connection(
        secure=False, port=silent_server.port, timeout=(2, 0.2), retry=fast(sleeps)
    )

    with pytest.raises(errors.ReadTimeoutError):
        connection.request("/x", method="POST", data="a=1", idempotent=True)

    assert silent_server.accepted == 3


def test_connect_timeout_is_mapped_and_retried_even_for_post(
    unreachable_port: int, sleeps: Sleeps
) -> None:
    connection = nubo.Connection(
        secure=False, port=unreachable_port, timeout=(0.2, 5), retry=fast(sleeps)
    )

    with pytest.raises(errors.ConnectTimeoutError) as caught:
        connection.request("/x", method="POST")

    assert caught.value.attempts == 3
    assert len(sleeps) == 2


def test_refused_connection_is_a_transport_error_retried(
    closed_port: int, sleeps: Sleeps
) -> None:
    connection = nubo.Connection(secure=False, port=closed_port, retry=fast(sleeps))

    with pytest.raises(errors.TransportError) as caught:
        connection.request("/x", method="POST")

    assert caught.value.attempts == 3
    assert f"127.0.0.1:{closed_port}" in str(caught.value)


def test_reset_is_a_transport_error_retried_only_when_idempotent(
    reset_server: RawServer, sleeps: Sleeps
) -> None:
    connection = nubo.Connection(
        secure=False, port=reset_server.port, retry=fast(sleeps)
    )

    with pytest.raises(errors.TransportError) as caught:
        connection.request("/x")
    assert type(caught.value) is errors.TransportError
    assert reset_server.accepted == 3

    with pytest.raises(errors.TransportError):
        connection.request("/x", method="POST")
    assert reset_server.accepted == 4


def test_retry_after_reset_is_logged_at_warning(
    reset_server: RawServer, sleeps: Sleeps, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    connection = nubo.Connection(
        secure=False, port=reset_server.port, retry=fast(sleeps)
    )

    with pytest.raises(errors.TransportError):
        connection.request("/x")

    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert all("TransportError" in r.getMessage() for r in warnings)


def test_tls_is_verified_by_default(tls_server: LocalServer, sleeps: Sleeps) -> None:
    connection = nubo.Connection(port=tls_server.port, retry=fast(sleeps))

    with pytest.raises(errors.TransportError) as caught:
        connection.request("/x")

    assert "ca_cert" in str(caught.value)
    assert "certificate" in str(caught.value)
    assert sleeps == []  # a refused certificate is not worth retrying
    assert tls_server.seen == []


def test_tls_with_the_ca_given_is_accepted(
    tls_server: LocalServer, tls: TlsSetup
) -> None:
    tls_server.answer(200, "secure hello")

    class Driver(nubo.BaseDriver):
        connectionCls = nubo.Connection

    driver = Driver(host="127.0.0.1", port=tls_server.port, ca_cert=str(tls.ca_file))
    assert driver.connection is not None

    assert driver.connection.request("/x").body == "secure hello"
    assert driver.connection.base_url.startswith("https://")


@pytest.mark.peer
def test_proxy_url_sends_through_tinyproxy(
    server: LocalServer, tinyproxy: Tinyproxy
) -> None:
    server.answer(200, "via proxy")
    connection = nubo.Connection(
        secure=False, port=server.port, proxy_url=tinyproxy.url()
    )

    assert connection.request("/through").body == "via proxy"
    assert "/through" in tinyproxy.log_text()


@pytest.mark.peer
def test_set_http_proxy_and_back(server: LocalServer, tinyproxy: Tinyproxy) -> None:
    connection = nubo.Connection(secure=False, port=server.port)
    connection.set_http_proxy(tinyproxy.url())
    connection.request("/one")
    connection.set_http_proxy(None)
    connection.request("/two")

    log = tinyproxy.log_text()
    assert "/one" in log
    assert "/two" not in log


@pytest.mark.peer
def test_environment_proxy_and_no_proxy(
    server: LocalServer, tinyproxy: Tinyproxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", tinyproxy.url())
    connection = nubo.Connection(secure=False, port=server.port)

    connection.request("/env-proxied")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    connection.request("/env-direct")

    log = tinyproxy.log_text()
    assert "/env-proxied" in log
    assert "/env-direct" not in log
    assert len(server.seen) == 2


@pytest.mark.peer
def test_proxy_credentials_work_and_are_never_shown(
    server: LocalServer,
    tinyproxy_auth: Tinyproxy,
    caplog: pytest.LogCaptureFixture,
    sleeps: Sleeps,
) -> None:
    caplog.set_level(logging.DEBUG)
    password = tinyproxy_auth.password
    assert password
    good = nubo.Connection(
        secure=False, port=server.port, proxy_url=tinyproxy_auth.url()
    )
    assert good.request("/authed").status == 200

    wrong = tinyproxy_auth.url().replace(password, "WrongPassw0rdXY")
    bad = nubo.Connection(
        secure=False, port=server.port, proxy_url=wrong, retry=fast(sleeps)
    )
    with pytest.raises(errors.ProviderError) as refused:
        bad.request("/refused")
    # tinyproxy answers 401 where RFC 9110 says 407; either is a refusal.
    assert refused.value.status in (401, 407)

    dead = nubo.Connection(
        secure=False,
        port=server.port,
        proxy_url=f"http://u:{password}@127.0.0.1:1",
        retry=False,
    )
    with pytest.raises(errors.TransportError) as failed:
        dead.request("/x")

    shown = [r.getMessage() for r in caplog.records]
    for error in (refused.value, failed.value):
        shown.append(str(error))
        shown.append(repr(error))
        shown.extend(traceback.format_exception(error))
    shown += [repr(good), repr(bad), repr(dead)]
    for text in shown:
        assert password not in text
        assert "WrongPassw0rdXY" not in text
    assert len(server.seen) == 1


def test_bad_proxy_url_is_refused() -> None:
    with pytest.raises(errors.InvalidArgumentError):
        nubo.Connection(proxy_url="socks9://nowhere")
