"""nubo.testing.record and replay: answers recorded from a local server with a
fake secret, scrubbed on the way to disk, and played back offline."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from nubo import ConnectionKey, Response
from nubo.compute import NodeDriver
from nubo.errors import TransportError
from nubo.testing import record, replay

#: The fake credentials of the test; none of it may reach a recording.
KEY_ID = "AKIDKITFAKE0042"
SECRET = "kit-fake-secret-7f3a9c51"

#: Secrets the server hands out in its answers.
LEAKS = {
    "page_token": "leak-token-b61e",
    "password": "leak-password-93ad",
    "access_token": "leak-access-0c7f",
    "cookie": "leak-cookie-5d21",
    "header_token": "leak-header-e4a8",
    "form_secret": "leak-form-secret-11fe",
    "form_signature": "leak-form-signature-7b02",
    "private_key": "leak-private-key-8c4d",
}


class SigningConnection(ConnectionKey):
    """Signs every call the way SigV4 query signing does: a fresh signature,
    the credential in the query, and a bearer token besides."""

    responseCls = Response

    def add_default_headers(self, headers: dict[str, str]) -> dict[str, str]:
        headers["Authorization"] = f"Bearer {self.key}"
        return headers

    def pre_connect_hook(
        self, params: dict[str, Any], headers: dict[str, str]
    ) -> tuple[dict[str, Any], dict[str, str]]:
        nonce = uuid.uuid4().hex
        digest = hmac.new(self.key.encode(), nonce.encode(), hashlib.sha256)
        params["X-Amz-Credential"] = f"{KEY_ID}/20261204/kit/aws4_request"
        params["X-Amz-Date"] = nonce
        params["X-Amz-Signature"] = digest.hexdigest()
        params["Signature"] = digest.hexdigest()[:20]
        return params, headers


class SigningDriver(NodeDriver):
    type = "kit-signing"
    name = "A signing provider of the tests"
    connectionCls = SigningConnection


def _answer(seen: Any) -> tuple[int, dict[str, str], bytes]:
    if seen.path.startswith("/v1/sizes"):
        body = {
            "sizes": [{"id": "s-1", "ram": 512}, {"id": "s-2", "ram": 1024}],
            "token": LEAKS["page_token"],
            "credentials": {
                "password": LEAKS["password"],
                "access_token": LEAKS["access_token"],
            },
        }
        headers = {
            "Content-Type": "application/json",
            "Set-Cookie": f"session={LEAKS['cookie']}; HttpOnly",
            "X-Auth-Token": LEAKS["header_token"],
            "X-Request-Id": "req-1",
        }
        return 200, headers, json.dumps(body).encode()

    if seen.path.startswith("/v1/login"):
        form = (
            f"user=alice&SecretAccessKey={LEAKS['form_secret']}"
            f"&Signature={LEAKS['form_signature']}"
        )
        return 200, {"Content-Type": "application/x-www-form-urlencoded"}, form.encode()

    xml = (
        "<CreateKeyPairResponse><keyName>kit</keyName><keyMaterial>"
        "-----BEGIN OPENSSH PRIVATE KEY-----\n"
        f"{LEAKS['private_key']}\n"
        "-----END OPENSSH PRIVATE KEY-----</keyMaterial></CreateKeyPairResponse>"
    )
    return 200, {"Content-Type": "text/xml"}, xml.encode()


def _calls(driver: SigningDriver) -> list[Any]:
    connection = driver.connection
    assert connection is not None
    return [
        json.loads(connection.request("/v1/sizes", params={"page": "1"}).body),
        connection.request("/v1/login", method="POST", data={"user": "alice"}).body,
        connection.request("/v1/key-pairs", method="POST").body,
    ]


@pytest.fixture(params=["told the secrets", "not told"])
def recorded(
    tmp_path: Path, server: Any, request: pytest.FixtureRequest
) -> tuple[Path, list[Any]]:
    """A recording of three calls to the local server, and what they returned;
    made with and without the test's credentials given as ``secrets``, which
    only adds to what the field, header and parameter rules catch."""
    path = tmp_path / "recording.yaml"
    server.handler = _answer
    driver = SigningDriver(SECRET, secure=False, host="127.0.0.1", port=server.port)
    secrets = [SECRET, KEY_ID] if request.param == "told the secrets" else []

    with record(path, secrets=secrets):
        live = _calls(driver)

    # The recording is scrubbed, not the traffic: the server got the real thing.
    assert server.seen[0].headers["Authorization"] == f"Bearer {SECRET}"
    assert "X-Amz-Signature=" in server.seen[0].path
    return path, live


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_no_secret_reaches_the_recording(recorded: tuple[Path, list[Any]]) -> None:
    path, _ = recorded
    text = path.read_text()

    for secret in [SECRET, KEY_ID, *LEAKS.values()]:
        assert secret not in text, secret
    assert "PRIVATE KEY" not in text
    assert text.count("***") >= 10


def test_the_recording_keeps_what_is_not_secret(
    recorded: tuple[Path, list[Any]],
) -> None:
    path, _ = recorded
    entries = [e["response"] for e in yaml.safe_load(path.read_text())["responses"]]

    assert [e["method"] for e in entries] == ["GET", "POST", "POST"]
    assert "X-Amz-Signature=***" in entries[0]["url"]
    assert "&Signature=***" in entries[0]["url"]
    assert "X-Amz-Date=***" in entries[0]["url"]
    assert "page=1" in entries[0]["url"]
    assert entries[0]["headers"]["X-Request-Id"] == "req-1"
    assert entries[0]["headers"]["X-Auth-Token"] == "***"
    assert json.loads(entries[0]["body"])["sizes"][1] == {"id": "s-2", "ram": 1024}
    assert json.loads(entries[0]["body"])["token"] == "***"
    assert json.loads(entries[0]["body"])["credentials"] == "***"
    assert "user=alice" in entries[1]["body"]
    assert "SecretAccessKey=***" in entries[1]["body"]
    assert "<keyName>kit</keyName>" in entries[2]["body"]


def test_replay_answers_offline_despite_fresh_signatures(
    recorded: tuple[Path, list[Any]],
) -> None:
    path, live = recorded
    # Another port, that nothing listens on: nothing is sent, and the recording
    # still matches.
    driver = SigningDriver(SECRET, secure=False, host="127.0.0.1", port=_closed_port())

    with replay(path, secrets=[SECRET, KEY_ID], ignore_host=True) as replayer:
        replayed = _calls(driver)
        asked = [call.request.url for call in replayer.calls]

    assert len(asked) == 3
    assert all("X-Amz-Signature=***" in url for url in asked)
    assert replayed[0]["sizes"] == live[0]["sizes"]
    assert replayed[0]["token"] == "***"
    assert "user=alice" in replayed[1]
    assert "<keyName>kit</keyName>" in replayed[2]


def test_replay_refuses_a_call_that_was_not_recorded(
    recorded: tuple[Path, list[Any]],
) -> None:
    path, _ = recorded
    driver = SigningDriver(SECRET, secure=False, host="127.0.0.1", port=_closed_port())
    connection = driver.connection
    assert connection is not None

    with (
        replay(path, secrets=[SECRET, KEY_ID], assert_all_used=False, ignore_host=True),
        pytest.raises(TransportError),
    ):
        connection.request("/v1/volumes", retry=False)


def test_replay_on_another_host_names_the_request_and_ignore_host(
    recorded: tuple[Path, list[Any]],
) -> None:
    path, _ = recorded
    driver = SigningDriver(SECRET, secure=False, host="127.0.0.1", port=_closed_port())

    with (
        pytest.raises(pytest.fail.Exception) as caught,
        replay(path, secrets=[SECRET, KEY_ID]),
    ):
        _calls(driver)

    text = str(caught.value)
    assert "Not all requests" not in text
    assert f"the recording {path} has no answer for GET http://127.0.0.1:" in text
    assert "/v1/sizes?page=1" in text
    assert "the next one is for GET http://127.0.0.1:" in text
    assert "ignore_host=True" in text
    assert SECRET not in text


def test_replay_on_another_host_explains_even_when_the_error_was_caught(
    recorded: tuple[Path, list[Any]],
) -> None:
    path, _ = recorded
    driver = SigningDriver(SECRET, secure=False, host="127.0.0.1", port=_closed_port())
    connection = driver.connection
    assert connection is not None

    with (
        pytest.raises(pytest.fail.Exception, match="ignore_host=True"),
        replay(path, secrets=[SECRET, KEY_ID]),
        pytest.raises(TransportError),
    ):
        connection.request("/v1/sizes", params={"page": "1"}, retry=False)


def test_an_error_of_the_block_is_not_hidden_by_unused_answers(
    recorded: tuple[Path, list[Any]],
) -> None:
    path, _ = recorded

    with (
        pytest.raises(ZeroDivisionError),
        replay(path, secrets=[SECRET, KEY_ID], ignore_host=True),
    ):
        1 / 0  # noqa: B018


def test_record_makes_the_folders_of_its_file(tmp_path: Path, server: Any) -> None:
    path = tmp_path / "tests" / "data" / "list_sizes.yaml"
    server.handler = _answer
    driver = SigningDriver(SECRET, secure=False, host="127.0.0.1", port=server.port)

    with record(path, secrets=[SECRET, KEY_ID]):
        live = _calls(driver)

    entries = yaml.safe_load(path.read_text())["responses"]
    assert [e["response"]["method"] for e in entries] == ["GET", "POST", "POST"]
    with replay(path, secrets=[SECRET, KEY_ID], ignore_host=True):
        assert _calls(driver)[0]["sizes"] == live[0]["sizes"]
