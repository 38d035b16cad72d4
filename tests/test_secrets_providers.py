"""No secret anywhere: the providers' calls run with DEBUG logging captured, to
a handler and to a file, and the key, the secret, tokens, signatures, passwords
and private keys appear in no log line, repr, error message, traceback or
recorded file, whether the call succeeds, is refused, or breaks."""

from __future__ import annotations

import json
import logging
import pickle
import re
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from faultserver import (
    RESET_AFTER_HEADERS,
    RESET_BEFORE_HEADERS,
    SLOW_HEADERS,
    Answer,
    FaultServer,
    Received,
    Step,
    fault_server,
)
from test_faults_matrix import (
    ACCESS_KEY,
    SECRET_KEY,
    TOKEN,
    JsonCloudDriver,
    XmlCloudConnection,
    XmlCloudDriver,
)

import nubo
from nubo import errors
from nubo.compute import KeyPair, NodeAuthPassword

SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLEsessiontoken0042"
PASSWORD = "Adm1n-Pa55word-Zq9"
PRIVATE_KEY = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "QyNTUxOQAAACBsecretprivatekeymaterialQQ9c4aFj0Vb3mRkAAAAEbm9uZQ==\n"
    "-----END OPENSSH PRIVATE KEY-----\n"
)
KEY_BODY = "secretprivatekeymaterialQQ9c4aFj0Vb3mRk"

SECRETS = [ACCESS_KEY, SECRET_KEY, TOKEN, SESSION_TOKEN, PASSWORD, KEY_BODY]

_SIGNATURE = re.compile(r"Signature=([0-9a-f]{16,})")


# -- what is shown, everywhere it is shown --------------------------------------------


@dataclass
class Shown:
    """Everything a user, a log or a file could show during a test."""

    caplog: pytest.LogCaptureFixture
    file: Path
    extra: list[str] = field(default_factory=list)

    def add(self, *things: Any) -> None:
        for thing in things:
            self.extra.append(repr(thing))
            if isinstance(thing, BaseException):
                self.extra.append(str(thing))
                self.extra.append("".join(traceback.format_exception(thing)))
                self.extra.append(repr(pickle.loads(pickle.dumps(thing))))
                for name in ("body_excerpt", "message", "code"):
                    self.extra.append(str(getattr(thing, name, "")))

    def texts(self) -> list[str]:
        shown = [record.getMessage() for record in self.caplog.records]
        shown += [
            "".join(traceback.format_exception(record.exc_info[1]))
            for record in self.caplog.records
            if record.exc_info and record.exc_info[1]
        ]
        shown.append(self.file.read_text(encoding="utf-8", errors="replace"))
        return shown + self.extra

    def assert_clean(self, *more_secrets: str) -> None:
        secrets = [s for s in [*SECRETS, *more_secrets] if s]
        for text in self.texts():
            for secret in secrets:
                assert secret not in text, (secret, text[:2000])


@pytest.fixture
def shown(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Iterator[Shown]:
    caplog.set_level(logging.DEBUG)
    path = tmp_path / "debug.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s")
    )
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield Shown(caplog, path)
    finally:
        root.removeHandler(handler)
        handler.close()


# -- a provider that echoes every secret it is sent ----------------------------------


@dataclass
class Echoing:
    """Answers every call with what it was sent: the headers (Authorization
    among them), the query and the body, plus a password and a private key."""

    status: int = 200
    seen: list[Received] = field(default_factory=list)

    def __call__(self, request: Received) -> Answer:
        self.seen.append(request)
        echo = {
            "message": f"refused {request.path} for {request.headers}",
            "body": request.body.decode("utf-8", "replace"),
            "password": PASSWORD,
            "private_key": PRIVATE_KEY,
            "authorization": request.headers.get("Authorization"),
        }
        if request.path.startswith("/v2/"):
            body = json.dumps({"id": "denied", **echo, "thing": {"id": "t-1"}})
            return Answer(
                self.status, {"Content-Type": "application/json"}, body.encode()
            )
        xml = (
            "<Response><Errors><Error><Code>AuthFailure</Code>"
            f"<Message>{echo['message']} {echo['body']}</Message>"
            f"<Password>{PASSWORD}</Password><KeyMaterial>{PRIVATE_KEY}</KeyMaterial>"
            f"<SecretAccessKey>{SECRET_KEY}</SecretAccessKey>"
            "</Error></Errors></Response>"
        )
        escaped = xml.replace("&", "&amp;").replace("'", "&apos;")
        return Answer(self.status, {"Content-Type": "text/xml"}, escaped.encode())

    def signatures(self) -> list[str]:
        """The signatures the driver sent: derived secrets, as secret as the key."""
        found = []
        for request in self.seen:
            found += _SIGNATURE.findall(request.headers.get("Authorization", ""))
            found += _SIGNATURE.findall(request.path.replace("X-Amz-", ""))
        return found


@pytest.fixture
def echoing() -> Iterator[tuple[FaultServer, Echoing]]:
    app = Echoing()
    with fault_server(app) as server:
        yield server, app


class QuerySignedConnection(XmlCloudConnection):
    """Signs in the query, as a presigned URL does, with a session token."""

    def pre_connect(self, request: nubo.Request) -> None:
        super().pre_connect(request)
        signature = request.headers.pop("Authorization").rpartition("Signature=")[2]
        request.params["X-Amz-Credential"] = f"{self.user_id}/20260101/test/cloud"
        request.params["X-Amz-Security-Token"] = SESSION_TOKEN
        request.params["X-Amz-Signature"] = signature


class QuerySignedDriver(XmlCloudDriver):
    connectionCls = QuerySignedConnection


class KeyedJsonDriver(JsonCloudDriver):
    """The JSON driver, with calls that carry a password and a private key."""

    def create_key_pair(self, name: str) -> KeyPair:
        assert self.connection is not None
        response = self.connection.request("/keys", data={"name": name}, method="POST")
        return KeyPair(
            name,
            None,
            None,
            self,  # type: ignore[arg-type]
            private_key=response.object.get("private_key"),
        )

    def create_with_password(self, auth: NodeAuthPassword) -> Any:
        assert self.connection is not None
        return self.connection.request(
            "/things", data={"name": "db-1", "password": auth.password}, method="POST"
        ).object


def drivers(port: int, **kwargs: Any) -> list[Any]:
    common = {"secure": False, "host": "127.0.0.1", "port": port, **kwargs}
    return [
        XmlCloudDriver(ACCESS_KEY, SECRET_KEY, **common),
        QuerySignedDriver(ACCESS_KEY, SECRET_KEY, **common),
        KeyedJsonDriver(TOKEN, **common),
    ]


def no_wait() -> nubo.RetryPolicy:
    return nubo.RetryPolicy(sleep=lambda seconds: None)


# -- the calls -----------------------------------------------------------------------


def test_successful_calls_show_no_secret(
    echoing: tuple[FaultServer, Echoing], shown: Shown
) -> None:
    server, app = echoing
    app.status = 200
    xml_driver, query_driver, json_driver = drivers(server.port)

    pair = json_driver.create_key_pair("deploy")
    created = json_driver.create_with_password(NodeAuthPassword(PASSWORD))
    for driver in (xml_driver, query_driver):
        with pytest.raises(errors.MalformedResponseError) as caught:
            driver.list_things()
        shown.add(caught.value)

    # The private key reached its caller, and only its caller.
    assert pair.private_key == PRIVATE_KEY
    assert created["password"] == PASSWORD
    assert SESSION_TOKEN in app.seen[-1].path
    shown.add(pair, xml_driver, query_driver, json_driver, NodeAuthPassword(PASSWORD))
    for driver in (xml_driver, query_driver, json_driver):
        shown.add(driver.connection)
    shown.assert_clean(*app.signatures())


@pytest.mark.parametrize("status", [400, 401, 403, 404, 429, 500, 503])
def test_refused_calls_show_no_secret(
    echoing: tuple[FaultServer, Echoing], shown: Shown, status: int
) -> None:
    server, app = echoing
    app.status = status
    xml_driver, query_driver, json_driver = drivers(server.port, retry=no_wait())

    calls = [
        xml_driver.list_things,
        lambda: xml_driver.create_thing("web-1", token="tok-1"),
        query_driver.list_things,
        json_driver.list_things,
        lambda: json_driver.create_key_pair("deploy"),
        lambda: json_driver.create_with_password(NodeAuthPassword(PASSWORD)),
    ]
    for call in calls:
        with pytest.raises(errors.ProviderError) as caught:
            call()
        assert caught.value.status == status
        shown.add(caught.value)

    # The server did get the secrets back to echo: the test proves something.
    assert any(PASSWORD.encode() in request.body for request in app.seen)
    assert any(SESSION_TOKEN in request.path for request in app.seen)
    assert any(
        "Bearer" in request.headers.get("Authorization", "") for request in app.seen
    )
    shown.assert_clean(*app.signatures())


@pytest.mark.parametrize(
    "action", [RESET_BEFORE_HEADERS, RESET_AFTER_HEADERS, SLOW_HEADERS]
)
def test_broken_calls_show_no_secret(
    echoing: tuple[FaultServer, Echoing], shown: Shown, action: str
) -> None:
    server, app = echoing
    server.script([Step(action, delay=1.0)], repeat=True)
    _, query_driver, json_driver = drivers(
        server.port, retry=no_wait(), timeout=(2, 0.25)
    )

    for call in (
        query_driver.list_things,
        lambda: json_driver.create_with_password(NodeAuthPassword(PASSWORD)),
    ):
        with pytest.raises(errors.TransportError) as caught:
            call()
        assert caught.value.__cause__ is not None
        shown.add(caught.value)

    shown.assert_clean(*app.signatures())


def test_the_dummy_provider_shows_no_secret(shown: Shown) -> None:
    pytest.importorskip("nubo_dummy", reason="nubo-dummy is not installed")
    driver = nubo.get_driver("dummy")()

    pair = driver.create_key_pair("deploy")
    assert pair.private_key is not None
    size = driver.list_sizes()[0]
    image = driver.list_images()[0]
    node = driver.create_node("web-1", size, image, auth=NodeAuthPassword(PASSWORD))
    with pytest.raises(errors.ProviderError) as caught:
        driver.create_key_pair("deploy")

    key_body = "".join(pair.private_key.strip().splitlines()[1:-1])
    shown.add(pair, node, driver, caught.value, driver.list_key_pairs(), node.extra)
    shown.assert_clean(key_body[:40], key_body[-40:])


def test_the_ec2_signer_shows_no_secret(shown: Shown) -> None:
    sigv4 = pytest.importorskip("nubo_ec2._sigv4", reason="nubo-ec2 is not installed")

    signed = sigv4.sign_request(
        "POST",
        "https://ec2.us-east-1.amazonaws.com/",
        {"Content-Type": "application/x-www-form-urlencoded"},
        b"Action=DescribeInstances&Version=2016-11-15",
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        region="us-east-1",
        session_token=SESSION_TOKEN,
    )

    signature = _SIGNATURE.findall(signed["Authorization"])
    assert signature
    shown.assert_clean(*signature)


def real_drivers(port: int) -> list[Any]:
    common = {
        "secure": False,
        "host": "127.0.0.1",
        "port": port,
        "retry": no_wait(),
        "timeout": (2, 0.25),
    }
    found = []
    ec2 = pytest.importorskip("nubo_ec2", reason="nubo-ec2 is not installed")
    found.append(
        ec2.EC2NodeDriver(ACCESS_KEY, SECRET_KEY, token=SESSION_TOKEN, **common)
    )
    do = pytest.importorskip("nubo_digitalocean", reason="needs nubo-digitalocean")
    found.append(do.DigitalOceanNodeDriver(TOKEN, **common))
    return found


@pytest.mark.parametrize("status", [200, 403, 500])
def test_the_ec2_and_digitalocean_drivers_show_no_secret(
    echoing: tuple[FaultServer, Echoing], shown: Shown, status: int
) -> None:
    server, app = echoing
    app.status = status
    ec2, digitalocean = real_drivers(server.port)

    for call in (
        ec2.list_nodes,
        lambda: ec2.create_key_pair("deploy"),
        digitalocean.list_nodes,
        lambda: digitalocean.create_key_pair("deploy"),
    ):
        try:
            shown.add(call())
        except errors.NuboError as exc:
            shown.add(exc)

    server.script([Step(RESET_AFTER_HEADERS)], repeat=True)
    for call in (ec2.list_nodes, digitalocean.list_nodes):
        with pytest.raises(errors.TransportError) as caught:
            call()
        shown.add(caught.value)

    # The secrets went out, signed and as a bearer token, and came back echoed.
    assert any(SESSION_TOKEN in str(request.headers) for request in app.seen)
    assert any(TOKEN in str(request.headers) for request in app.seen)
    assert app.signatures()
    shown.add(ec2, digitalocean, ec2.connection, digitalocean.connection)
    shown.assert_clean(*app.signatures())
