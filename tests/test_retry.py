"""The retry policy: what is retried, how long it waits, and when it stops."""

from __future__ import annotations

import email.utils
import logging
import time
from typing import TYPE_CHECKING, ClassVar

import pytest

import nubo
from nubo import errors
from nubo._retry import parse_retry_after

if TYPE_CHECKING:
    from conftest import LocalServer, Sleeps


def make(server: LocalServer, sleeps: Sleeps, **policy: object) -> nubo.Connection:
    retry = nubo.RetryPolicy(sleep=sleeps, rand=lambda: 0.0).replace(**policy)
    return nubo.Connection(secure=False, port=server.port, retry=retry)


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_retried_statuses_then_success(
    server: LocalServer, sleeps: Sleeps, status: int
) -> None:
    server.answer(status, "busy")
    server.answer(200, "ok")

    response = make(server, sleeps).request("/x")

    assert response.body == "ok"
    assert len(server.seen) == 2
    assert sleeps == [0.5]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 501])
def test_other_failures_are_not_retried(
    server: LocalServer, sleeps: Sleeps, status: int
) -> None:
    server.answer(status, "no")

    with pytest.raises(errors.ProviderError):
        make(server, sleeps).request("/x")

    assert len(server.seen) == 1


def test_three_attempts_by_default_then_the_last_error(
    server: LocalServer, sleeps: Sleeps
) -> None:
    server.answer(503, "down")

    with pytest.raises(errors.ServerError) as caught:
        make(server, sleeps).request("/x")

    assert caught.value.status == 503
    assert len(server.seen) == 3
    assert sleeps == [0.5, 1.0]


def test_backoff_grows_by_factor_with_jitter_and_cap(
    server: LocalServer, sleeps: Sleeps
) -> None:
    server.answer(500)
    connection = nubo.Connection(
        secure=False,
        port=server.port,
        retry=nubo.RetryPolicy(
            attempts=6,
            retry_delay=1.0,
            backoff=3.0,
            max_delay=20.0,
            jitter=0.5,
            sleep=sleeps,
            rand=lambda: 1.0,
            deadline=None,
        ),
    )

    with pytest.raises(errors.ServerError):
        connection.request("/x")

    assert sleeps == [1.5, 4.5, 13.5, 20.0, 20.0]


def test_connection_retry_delay_and_backoff_are_used(
    server: LocalServer, sleeps: Sleeps
) -> None:
    server.answer(503)
    connection = nubo.Connection(
        secure=False, port=server.port, retry_delay=0.1, backoff=4.0
    )
    policy = connection.retry_policy().replace(sleep=sleeps, rand=lambda: 0.0)

    with pytest.raises(errors.ServerError):
        connection.request("/x", retry=policy)

    assert sleeps == pytest.approx([0.1, 0.4])


def test_retry_after_seconds_is_honoured_and_capped(
    server: LocalServer, sleeps: Sleeps
) -> None:
    server.answer(429, "slow", Retry_After="3")
    server.answer(503, "slow", Retry_After="3600")
    server.answer(200, "ok")

    make(server, sleeps, max_delay=30.0, deadline=None).request("/x")

    assert sleeps == [3.0, 30.0]


def test_retry_after_http_date_is_honoured(server: LocalServer, sleeps: Sleeps) -> None:
    when = email.utils.formatdate(time.time() + 5, usegmt=True)
    server.answer(503, "later", Retry_After=when)
    server.answer(200, "ok")

    make(server, sleeps).request("/x")

    assert len(sleeps) == 1
    assert 3.0 <= sleeps[0] <= 6.0


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    past = email.utils.formatdate(time.time() - 100, usegmt=True)
    assert parse_retry_after(past) == 0.0


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_post_and_patch_are_not_retried_unless_marked(
    server: LocalServer, sleeps: Sleeps, method: str
) -> None:
    server.answer(503)

    with pytest.raises(errors.ServerError):
        make(server, sleeps).request("/x", method=method, data="a=1")
    assert len(server.seen) == 1

    server.seen.clear()
    with pytest.raises(errors.ServerError):
        make(server, sleeps).request("/x", method=method, data="a=1", idempotent=True)
    assert len(server.seen) == 3


@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"])
def test_idempotent_methods_are_retried(
    server: LocalServer, sleeps: Sleeps, method: str
) -> None:
    server.answer(502)

    with pytest.raises(errors.ServerError):
        make(server, sleeps).request("/x", method=method)

    assert len(server.seen) == 3


def test_get_marked_not_idempotent_is_not_retried(
    server: LocalServer, sleeps: Sleeps
) -> None:
    server.answer(502)

    with pytest.raises(errors.ServerError):
        make(server, sleeps).request("/x", idempotent=False)

    assert len(server.seen) == 1


class Throttling(nubo.XmlResponse):
    throttle_error_codes: ClassVar[frozenset[str]] = frozenset({"RequestLimitExceeded"})


THROTTLED = (
    "<Response><Errors><Error><Code>RequestLimitExceeded</Code>"
    "<Message>Request limit exceeded.</Message></Error></Errors></Response>"
)


@pytest.mark.parametrize("status", [400, 503])
def test_provider_throttling_code_is_retried(
    server: LocalServer, sleeps: Sleeps, status: int
) -> None:
    class Conn(nubo.Connection):
        responseCls = Throttling

    server.answer(status, THROTTLED)
    server.answer(200, "<ok/>")
    connection = Conn(
        secure=False,
        port=server.port,
        retry=nubo.RetryPolicy(sleep=sleeps, rand=lambda: 0.0),
    )

    response = connection.request("/x")

    assert response.object.tag == "ok"
    assert len(server.seen) == 2


@pytest.mark.parametrize(
    ("method", "idempotent"),
    [("POST", None), ("PATCH", None), ("POST", False), ("GET", False)],
)
def test_throttled_calls_are_retried_whatever_the_method(
    server: LocalServer, sleeps: Sleeps, method: str, idempotent: bool | None
) -> None:
    server.answer(429, "slow down")
    server.answer(200, "ok")

    response = make(server, sleeps).request(
        "/x", method=method, data="a=1", idempotent=idempotent
    )

    assert response.body == "ok"
    assert [seen.method for seen in server.seen] == [method, method]
    assert sleeps == [0.5]


@pytest.mark.parametrize("status", [400, 503])
def test_provider_throttling_code_on_a_post_is_retried(
    server: LocalServer, sleeps: Sleeps, status: int
) -> None:
    class Conn(nubo.Connection):
        responseCls = Throttling

    server.answer(status, THROTTLED)
    server.answer(200, "<ok/>")
    connection = Conn(
        secure=False,
        port=server.port,
        retry=nubo.RetryPolicy(sleep=sleeps, rand=lambda: 0.0),
    )

    response = connection.request("/x", method="POST", data="Action=RunInstances")

    assert response.object.tag == "ok"
    assert len(server.seen) == 2


def test_a_post_throttled_throughout_stops_after_the_attempts(
    server: LocalServer, sleeps: Sleeps
) -> None:
    server.answer(429, "slow down", Retry_After="2")

    with pytest.raises(errors.RateLimitError) as caught:
        make(server, sleeps).request("/x", method="POST", data="a=1")

    assert caught.value.retry_after == 2.0
    assert len(server.seen) == 3
    assert sleeps == [2.0, 2.0]


def test_a_throttled_post_keeps_the_retry_after_cap(
    server: LocalServer, sleeps: Sleeps
) -> None:
    server.answer(429, "slow", Retry_After="3600")
    server.answer(200, "ok")

    make(server, sleeps, max_delay=30.0, deadline=None).request(
        "/x", method="POST", data="a=1"
    )

    assert sleeps == [30.0]


def test_a_throttled_post_keeps_the_deadline(
    server: LocalServer, sleeps: Sleeps
) -> None:
    server.answer(429, "slow", Retry_After="10")
    server.answer(200, "ok")

    with pytest.raises(errors.RateLimitError):
        make(server, sleeps, deadline=5.0).request("/x", method="POST", data="a=1")

    assert len(server.seen) == 1
    assert sleeps == []


def test_a_post_that_failed_on_the_server_is_still_not_retried(
    server: LocalServer, sleeps: Sleeps
) -> None:
    server.answer(503, "down", Retry_After="1")
    server.answer(200, "ok")

    with pytest.raises(errors.ServerError):
        make(server, sleeps).request("/x", method="POST", data="a=1")

    assert len(server.seen) == 1


def test_retry_false_switches_retries_off(server: LocalServer, sleeps: Sleeps) -> None:
    server.answer(503)
    connection = make(server, sleeps)

    with pytest.raises(errors.ServerError):
        connection.request("/x", retry=False)

    assert len(server.seen) == 1
    assert sleeps == []


def test_retry_per_connection_and_per_call(server: LocalServer) -> None:
    server.answer(503)
    connection = nubo.Connection(secure=False, port=server.port, retry=False)

    with pytest.raises(errors.ServerError):
        connection.request("/x")
    assert len(server.seen) == 1

    recorded: list[float] = []
    policy = nubo.RetryPolicy(attempts=2, sleep=recorded.append)
    with pytest.raises(errors.ServerError):
        connection.request("/x", retry=policy)
    assert len(server.seen) == 3
    assert len(recorded) == 1


def test_driver_passes_retry_to_its_connection(server: LocalServer) -> None:
    class Driver(nubo.BaseDriver):
        connectionCls = nubo.Connection

    driver = Driver(secure=False, port=server.port, retry=False)

    assert driver.connection is not None
    assert driver.connection.retry_policy().attempts == 1


def test_deadline_stops_retrying(server: LocalServer) -> None:
    server.answer(503)
    now = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    policy = nubo.RetryPolicy(
        attempts=10,
        retry_delay=1.0,
        backoff=2.0,
        jitter=0.0,
        deadline=5.0,
        sleep=sleep,
        clock=lambda: now[0],
    )
    connection = nubo.Connection(secure=False, port=server.port, retry=policy)

    with pytest.raises(errors.ServerError):
        connection.request("/x")

    # 1 + 2 = 3 s waited; the next 4 s would pass the 5 s deadline.
    assert waits == [1.0, 2.0]
    assert len(server.seen) == 3


def test_each_retry_is_logged(
    server: LocalServer, sleeps: Sleeps, caplog: pytest.LogCaptureFixture
) -> None:
    server.answer(503)
    server.answer(200)
    caplog.set_level(logging.DEBUG, logger="nubo")

    make(server, sleeps).request("/x")

    retries = [r for r in caplog.records if "retrying" in r.getMessage()]
    assert len(retries) == 1
    assert retries[0].levelno == logging.WARNING
    attempts = [r.getMessage() for r in caplog.records if "(attempt" in r.getMessage()]
    assert any("-> 503" in m and "attempt 1 of 3" in m for m in attempts)
    assert any("-> 200" in m and "attempt 2 of 3" in m for m in attempts)


@pytest.mark.parametrize(
    "bad",
    [
        {"attempts": 0},
        {"retry_delay": -1.0},
        {"backoff": 0.5},
    ],
)
def test_invalid_policies_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(errors.InvalidArgumentError):
        nubo.RetryPolicy(**bad)  # type: ignore[arg-type]


def test_retry_argument_of_a_wrong_type_is_refused(server: LocalServer) -> None:
    connection = nubo.Connection(secure=False, port=server.port)

    with pytest.raises(errors.InvalidArgumentError):
        connection.request("/x", retry="often")  # type: ignore[arg-type]
