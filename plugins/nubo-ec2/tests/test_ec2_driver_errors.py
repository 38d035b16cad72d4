"""EC2 error documents onto nubo's errors, retries of throttled calls, and the
client token that makes a retried RunInstances safe.

moto produces none of the auth failures and no throttling, so these answers are
served with ``responses``: XML in the shape AWS documents for the Query API
(``Response/Errors/Error`` with ``Code`` and ``Message``, and ``RequestID``),
written for these tests. Nothing is sent anywhere: ``responses`` answers in the
process, for the URL of a made-up loopback port.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import requests
import responses

import nubo
from nubo import _hooks
from nubo.compute import Node, NodeState, StorageVolume
from nubo.errors import (
    InvalidCredsError,
    MalformedResponseError,
    NotFoundError,
    ProviderError,
    RateLimitError,
    ServerError,
    TransportError,
)
from nubo_ec2 import EC2NodeDriver

DATA = Path(__file__).resolve().parent / "data"

#: Where the driver is pointed; ``responses`` answers before any socket opens.
URL = "http://127.0.0.1:4599/"

SECRET = "nubo-errors-secret-value"

NAMESPACE = "http://ec2.amazonaws.com/doc/2016-11-15/"


def error_document(code: str, message: str, request_id: str = "req-1") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message>"
        f"</Error></Errors><RequestID>{request_id}</RequestID></Response>"
    )


def describe_instances(*ids: str) -> str:
    items = "".join(
        f"<item><reservationId>r-{n}</reservationId><instancesSet><item>"
        f"<instanceId>{ident}</instanceId><instanceState><code>16</code>"
        "<name>running</name></instanceState></item></instancesSet></item>"
        for n, ident in enumerate(ids)
    )
    return (
        f'<DescribeInstancesResponse xmlns="{NAMESPACE}"><requestId>r</requestId>'
        f"<reservationSet>{items}</reservationSet></DescribeInstancesResponse>"
    )


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture(autouse=True)
def _no_plugins(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("NUBO_DISABLE_PLUGIN_AUTOLOAD", "1")
    _hooks._reset()
    yield
    _hooks._reset()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def driver(sleeps: Sleeps) -> EC2NodeDriver:
    policy = nubo.RetryPolicy(attempts=3, sleep=sleeps, jitter=0)
    return EC2NodeDriver(
        "AKIDNUBOERRORS",
        SECRET,
        host="127.0.0.1",
        port=4599,
        secure=False,
        retry=policy,
    )


def bodies(mock: responses.RequestsMock) -> list[dict[str, list[str]]]:
    found = []
    for call in mock.calls:
        body = call.request.body
        text = body.decode() if isinstance(body, bytes) else str(body)
        found.append(parse_qs(text))
    return found


# -- the mapping ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (401, "AuthFailure"),
        (403, "SignatureDoesNotMatch"),
        (403, "UnauthorizedOperation"),
        (400, "AuthFailure"),
        (400, "InvalidClientTokenId"),
    ],
)
@responses.activate
def test_auth_codes_are_invalid_creds_errors(
    driver: EC2NodeDriver, status: int, code: str
) -> None:
    responses.post(URL, body=error_document(code, "refused", "req-auth"), status=status)

    with pytest.raises(InvalidCredsError) as caught:
        driver.list_nodes()

    assert caught.value.code == code
    assert caught.value.status == status
    assert caught.value.request_id == "req-auth"
    assert caught.value.message == "refused"
    # A refusal of the credentials is not retried.
    assert len(responses.calls) == 1


@pytest.mark.parametrize(
    "code",
    ["InvalidInstanceID.NotFound", "InvalidVolume.NotFound", "InvalidGroup.NotFound"],
)
@responses.activate
def test_not_found_codes_are_not_found_errors(driver: EC2NodeDriver, code: str) -> None:
    responses.post(URL, body=error_document(code, "no such thing"), status=400)

    with pytest.raises(NotFoundError) as caught:
        driver.list_nodes(ex_node_ids=["i-1"])

    assert caught.value.code == code


@responses.activate
def test_other_codes_are_provider_errors_with_code_message_and_request_id(
    driver: EC2NodeDriver,
) -> None:
    responses.post(
        URL,
        body=error_document("InvalidParameterValue", "Value (x) is bad", "req-77"),
        status=400,
    )

    with pytest.raises(ProviderError) as caught:
        driver.list_nodes()

    error = caught.value
    assert type(error) is ProviderError
    assert (error.code, error.message, error.request_id) == (
        "InvalidParameterValue",
        "Value (x) is bad",
        "req-77",
    )
    assert "InvalidParameterValue" in str(error)
    assert "req-77" in str(error)


@responses.activate
def test_an_html_failure_is_a_server_error_with_an_excerpt(
    driver: EC2NodeDriver,
) -> None:
    responses.post(
        URL,
        body="<html><h1>Internal Server Error</h1></html>",
        status=500,
        content_type="text/html",
    )

    with pytest.raises(ServerError) as caught:
        driver.list_nodes()

    assert caught.value.code is None
    assert "Internal Server Error" in (caught.value.body_excerpt or "")
    # A Describe call is safe to repeat: every attempt was made.
    assert len(responses.calls) == 3


@responses.activate
def test_an_empty_answer_is_a_malformed_response(driver: EC2NodeDriver) -> None:
    responses.post(URL, body="", status=200, content_type="text/xml")

    with pytest.raises(MalformedResponseError) as caught:
        driver.list_nodes()

    assert "the answer to DescribeInstances is empty" in str(caught.value)


# -- throttling ------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["RequestLimitExceeded", "Throttling"])
@responses.activate
def test_throttling_is_retried_then_succeeds(
    driver: EC2NodeDriver, sleeps: Sleeps, code: str
) -> None:
    responses.post(
        URL, body=error_document(code, "Request limit exceeded."), status=503
    )
    responses.post(URL, body=describe_instances("i-after"), status=200)

    nodes = driver.list_nodes()

    assert [node.id for node in nodes] == ["i-after"]
    assert len(responses.calls) == 2
    assert len(sleeps) == 1


@responses.activate
def test_throttling_that_lasts_is_a_rate_limit_error(
    driver: EC2NodeDriver, sleeps: Sleeps
) -> None:
    responses.post(
        URL,
        body=error_document("RequestLimitExceeded", "slow down"),
        status=503,
        headers={"Retry-After": "2"},
    )

    with pytest.raises(RateLimitError) as caught:
        driver.list_nodes()

    assert caught.value.code == "RequestLimitExceeded"
    assert caught.value.retry_after == 2.0
    assert len(responses.calls) == 3
    assert sleeps == [2.0, 2.0]


@responses.activate
def test_a_throttled_call_with_a_400_is_still_throttling(
    driver: EC2NodeDriver,
) -> None:
    responses.post(URL, body=error_document("Throttling", "Rate exceeded"), status=400)

    with pytest.raises(RateLimitError):
        driver.list_key_pairs()


def _attach_volume(driver: EC2NodeDriver) -> bool:
    node = Node("i-1", "web", NodeState.RUNNING, [], [], driver)
    volume = StorageVolume("vol-1", "data", 1, driver)
    return driver.attach_volume(node, volume)


ATTACHING = (
    f'<AttachVolumeResponse xmlns="{NAMESPACE}"><requestId>r</requestId>'
    "<volumeId>vol-1</volumeId><instanceId>i-1</instanceId>"
    "<status>attaching</status></AttachVolumeResponse>"
)


@pytest.mark.parametrize("status", [400, 503])
@responses.activate
def test_a_throttled_call_that_changes_something_is_retried_too(
    driver: EC2NodeDriver, sleeps: Sleeps, status: int
) -> None:
    # EC2 refuses a throttled call before acting on it: repeating it is safe.
    responses.post(
        URL, body=error_document("RequestLimitExceeded", "slow down"), status=status
    )
    responses.post(URL, body=ATTACHING, status=200)

    assert _attach_volume(driver) is True

    assert [body["Action"] for body in bodies(responses.mock)] == [["AttachVolume"]] * 2
    assert len(sleeps) == 1


@responses.activate
def test_a_server_failure_of_a_call_that_changes_something_is_not_retried(
    driver: EC2NodeDriver, sleeps: Sleeps
) -> None:
    responses.post(URL, body=error_document("Unavailable", "try again"), status=503)
    responses.post(URL, body=ATTACHING, status=200)

    with pytest.raises(ServerError):
        _attach_volume(driver)

    assert len(responses.calls) == 1
    assert sleeps == []


# -- the client token ------------------------------------------------------------------


@responses.activate
def test_a_retried_create_sends_the_same_client_token(
    driver: EC2NodeDriver,
) -> None:
    responses.post(URL, body=error_document("Unavailable", "try again"), status=503)
    responses.post(URL, body=(DATA / "run_instances.xml").read_bytes(), status=200)

    node = driver.create_node("retried", "t3.micro", "ami-12345678")

    sent = bodies(responses.mock)
    assert node.id
    assert len(sent) == 2
    assert [body["Action"] for body in sent] == [["RunInstances"]] * 2
    tokens = [body["ClientToken"] for body in sent]
    assert tokens[0] == tokens[1]
    assert len(tokens[0]) == 1
    assert tokens[0][0].startswith("nubo-")


@responses.activate
def test_a_connection_reset_repeats_run_instances_with_its_token(
    driver: EC2NodeDriver,
) -> None:
    responses.post(URL, body=requests.ConnectionError("connection reset by peer"))
    responses.post(URL, body=(DATA / "run_instances.xml").read_bytes(), status=200)

    driver.create_node("reset", "t3.micro", "ami-12345678", ex_clienttoken="tok-1")

    assert [body["ClientToken"] for body in bodies(responses.mock)] == [
        ["tok-1"],
        ["tok-1"],
    ]


@responses.activate
def test_each_create_has_its_own_token(driver: EC2NodeDriver) -> None:
    run = (DATA / "run_instances.xml").read_bytes()
    responses.post(URL, body=run, status=200)
    responses.post(URL, body=run, status=200)

    driver.create_node("one", "t3.micro", "ami-12345678")
    driver.create_node("two", "t3.micro", "ami-12345678")

    first, second = (body["ClientToken"] for body in bodies(responses.mock))
    assert first != second


@responses.activate
def test_a_create_without_a_token_is_not_repeated_after_a_reset(
    driver: EC2NodeDriver,
) -> None:
    # CreateKeyPair takes no client token: repeating it after a reset could make
    # a second key pair, or fail on the first one, so it is not repeated.
    responses.post(URL, body=requests.ConnectionError("connection reset by peer"))

    with pytest.raises(TransportError):
        driver.create_key_pair("once")

    assert len(responses.calls) == 1


class Marks:
    """A hook plugin that notes whether each call was marked safe to repeat."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, bool | None, bool]] = []

    @nubo.hookimpl
    def pre_connect(self, request: nubo.Request) -> None:
        body = parse_qs(request.data.decode())
        action = body["Action"][0]
        self.seen.append((action, request.idempotent, "ClientToken" in body))


@responses.activate
def test_only_calls_safe_to_repeat_are_marked_idempotent(
    driver: EC2NodeDriver,
) -> None:
    marks = Marks()
    nubo.register_plugin(marks)
    responses.post(URL, body=(DATA / "run_instances.xml").read_bytes(), status=200)
    responses.post(URL, body=(DATA / "create_key_pair.xml").read_bytes(), status=200)
    responses.post(URL, body=describe_instances("i-1"), status=200)
    try:
        driver.create_node("marked", "t3.micro", "ami-12345678")
        driver.create_key_pair("unmarked")
        driver.list_nodes()
    finally:
        nubo.unregister_plugin(marks)

    assert marks.seen == [
        ("RunInstances", True, True),
        ("CreateKeyPair", None, False),
        ("DescribeInstances", True, False),
    ]
