"""Closing a connection, and a driver used as a context manager."""

from __future__ import annotations

import responses

import nubo


class _Driver(nubo.BaseDriver):
    """A driver over a plain key connection, for these tests."""

    connectionCls = nubo.ConnectionKey
    type = "closing"


@responses.activate
def test_close_drops_the_session_and_a_later_call_opens_a_new_one() -> None:
    responses.get("http://127.0.0.1:8999/ping", body="pong")
    driver = _Driver("key", secure=False, host="127.0.0.1", port=8999)
    assert driver.connection is not None
    first = driver.connection.connection

    driver.close()
    second = driver.connection.connection

    assert second is not first
    assert driver.connection.request("/ping").body == "pong"


def test_a_driver_closes_itself_on_leaving_a_with_block() -> None:
    with _Driver("key", secure=False) as driver:
        assert driver.connection is not None
        session = driver.connection.connection
        assert driver.connection._session is session

    assert driver.connection._session is None


def test_closing_a_driver_without_a_connection_does_nothing() -> None:
    class _Local(nubo.BaseDriver):
        """A driver with no HTTP."""

        type = "local"

    driver = _Local()

    driver.close()

    assert driver.connection is None
