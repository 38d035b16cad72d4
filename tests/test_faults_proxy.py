"""HTTPS through a real proxy on 127.0.0.1 (tinyproxy, by CONNECT), chosen by
``proxy_url`` or by ``HTTPS_PROXY`` and ``NO_PROXY``; the certificate is still
verified end to end, and the proxy's password never shows."""

from __future__ import annotations

import logging
import traceback
from typing import TYPE_CHECKING

import pytest

import nubo
from nubo import errors

if TYPE_CHECKING:
    from conftest import LocalServer, Tinyproxy, TlsSetup

pytestmark = pytest.mark.peer


def connects(proxy: Tinyproxy, port: int) -> int:
    """How many tunnels tinyproxy opened to the port."""
    return proxy.log_text().count(f"CONNECT 127.0.0.1:{port}")


def test_https_proxy_from_the_environment_tunnels_and_verifies(
    tls_server: LocalServer,
    tls: TlsSetup,
    tinyproxy: Tinyproxy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tls_server.answer(200, "through the tunnel")
    monkeypatch.setenv("HTTPS_PROXY", tinyproxy.url())
    connection = nubo.Connection(port=tls_server.port, ca_cert=str(tls.ca_file))

    assert connection.request("/tunnel").body == "through the tunnel"
    assert connects(tinyproxy, tls_server.port) == 1

    # NO_PROXY is read when each call is sent: this one goes direct.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert connection.request("/direct").body == "through the tunnel"
    assert connects(tinyproxy, tls_server.port) == 1
    assert [seen.path for seen in tls_server.seen] == ["/tunnel", "/direct"]


def test_an_unknown_certificate_is_refused_through_the_proxy(
    tls_server: LocalServer, tinyproxy: Tinyproxy
) -> None:
    connection = nubo.Connection(
        port=tls_server.port,
        proxy_url=tinyproxy.url(),
        retry=nubo.RetryPolicy(sleep=lambda seconds: None),
    )

    with pytest.raises(errors.TransportError) as caught:
        connection.request("/x")

    assert "certificate" in str(caught.value)
    assert "ca_cert" in str(caught.value)
    assert connects(tinyproxy, tls_server.port) == 1  # refused, not retried
    assert tls_server.seen == []


def test_proxy_credentials_from_the_environment_never_show(
    tls_server: LocalServer,
    tls: TlsSetup,
    tinyproxy_auth: Tinyproxy,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    password = tinyproxy_auth.password
    assert password
    tls_server.answer(200, "authed")
    monkeypatch.setenv("HTTPS_PROXY", tinyproxy_auth.url())
    good = nubo.Connection(port=tls_server.port, ca_cert=str(tls.ca_file))
    assert good.request("/authed").body == "authed"

    wrong = tinyproxy_auth.url().replace(password, "Wr0ngProxyPassXY")
    monkeypatch.setenv("HTTPS_PROXY", wrong)
    bad = nubo.Connection(port=tls_server.port, ca_cert=str(tls.ca_file), retry=False)
    with pytest.raises(errors.TransportError) as refused:
        bad.request("/refused")

    monkeypatch.setenv("HTTPS_PROXY", f"http://u:{password}@127.0.0.1:1")
    dead = nubo.Connection(port=tls_server.port, ca_cert=str(tls.ca_file), retry=False)
    with pytest.raises(errors.TransportError) as failed:
        dead.request("/x")

    shown = [record.getMessage() for record in caplog.records]
    for error in (refused.value, failed.value):
        shown += [str(error), repr(error), "".join(traceback.format_exception(error))]
    shown += [repr(good), repr(bad), repr(dead)]
    for text in shown:
        assert password not in text
        assert "Wr0ngProxyPassXY" not in text
    assert "proxy" in str(refused.value)
    assert len(tls_server.seen) == 1
