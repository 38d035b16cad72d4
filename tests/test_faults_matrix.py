"""The fault matrix: every fault of the fault server against an idempotent read,
a create without an idempotency token and a create with one, for a JSON and an
XML driver of the suite's own and for the EC2 and DigitalOcean drivers.

Every cell must end in a success after retries or in the right ``nubo.errors``
class, within the retry budget, without a hang and without a second resource
created. The run writes its table to ``docs/_generated/fault-matrix.rst``, which
the Reliability page includes; the test fails when the committed table differs
from the one the run produced, so that the page says what the suite measures.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

import pytest
from faultserver import (
    CLOSE_BEFORE_HEADERS,
    RESET_AFTER_HEADERS,
    RESET_BEFORE_HEADERS,
    SHORT_BODY,
    SLOW_BODY,
    SLOW_HEADERS,
    Answer,
    FaultServer,
    Received,
    Step,
    acts,
    bomb,
    fault_server,
    http_date,
    large_body,
)
from lxml import etree

import nubo
from nubo import errors

TABLE = Path(__file__).parent.parent / "docs" / "_generated" / "fault-matrix.rst"

# The drivers' credentials; none of them may appear in any log line.
ACCESS_KEY = "AKIDFAULTMATRIX01"
SECRET_KEY = "fAuLtMaTrIxSeCrEt-0123456789abcdef"
TOKEN = "dop_v1_faultmatrixtoken0123456789"

#: The read timeout of every cell, and how long a slow step stalls.
READ_TIMEOUT = 0.25
STALL = 1.0

#: The attempts of every cell's retry policy.
ATTEMPTS = 3

#: The name of a resource every listing holds: not ASCII, to see it survive.
SEEDED = "Zürich-東京-ø"


# -- the provider the fault server plays ---------------------------------------------


@dataclass
class Cloud:
    """The provider behind the fault server: it lists things and creates them,
    in the dialect of each driver of the matrix.

    A create that reaches it creates a resource unless the fault says the
    provider refused it first (:func:`faultserver.acts`); a create carrying a
    token it has seen gives back the resource made for that token.
    """

    things: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    created: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self, seeded: str = SEEDED) -> None:
        with self.lock:
            self.things = {"t-0": seeded}
            self.tokens = {}
            self.created = 0

    def create(self, request: Received, name: str, token: str | None) -> str:
        with self.lock:
            if token and token in self.tokens:
                return self.tokens[token]
            thing = f"t-{len(self.things)}"
            if not acts(request.step):
                return thing
            self.things[thing] = name
            self.created += 1
            if token:
                self.tokens[token] = thing
            return thing

    def listing(self) -> list[tuple[str, str]]:
        with self.lock:
            return list(self.things.items())

    def __call__(self, request: Received) -> Answer:
        if request.path.startswith(("/v2/droplets", "/v2/account/keys")):
            return self._digitalocean(request)
        if request.path.startswith("/v2/"):
            return self._json(request)
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        query = {k: v[0] for k, v in parse_qs(urlsplit(request.path).query).items()}
        form.update(query)
        if form.get("Action") in EC2_ACTIONS:
            return self._ec2(request, form)
        return self._xml(request, form)

    def _json(self, request: Received) -> Answer:
        if request.method == "POST":
            name = json.loads(request.body)["name"]
            thing = self.create(request, name, request.headers.get("Idempotency-Key"))
            return json_answer({"thing": {"id": thing, "name": name}}, 201)
        things = [{"id": k, "name": v} for k, v in self.listing()]
        return json_answer({"things": things})

    def _xml(self, request: Received, form: dict[str, str]) -> Answer:
        if request.method == "POST":
            thing = self.create(request, form["Name"], form.get("ClientToken"))
            return xml_answer(xml_created(thing, form["Name"]))
        return xml_answer(xml_listing(self.listing()))

    def _ec2(self, request: Received, form: dict[str, str]) -> Answer:
        action = form["Action"]
        if action == "RunInstances":
            name = form.get("TagSpecification.1.Tag.1.Value", "?")
            thing = self.create(request, name, form.get("ClientToken"))
            return xml_answer(ec2_run(thing, name))
        if action == "CreateKeyPair":
            thing = self.create(request, form["KeyName"], None)
            return xml_answer(ec2_key_pair(thing, form["KeyName"]))
        return xml_answer(ec2_listing(self.listing()))

    def _digitalocean(self, request: Received) -> Answer:
        if request.method == "POST":
            name = json.loads(request.body)["name"]
            thing = self.create(request, name, None)
            return json_answer({"ssh_key": do_key(thing, name)}, 201)
        return json_answer(do_listing(self.listing()))


EC2_ACTIONS = frozenset({"DescribeInstances", "RunInstances", "CreateKeyPair"})


def json_answer(data: Any, status: int = 200) -> Answer:
    body = json.dumps(data, ensure_ascii=False).encode()
    return Answer(status, {"Content-Type": "application/json; charset=utf-8"}, body)


def xml_answer(text: str) -> Answer:
    return Answer(200, {"Content-Type": "text/xml;charset=UTF-8"}, text.encode())


_NS = 'xmlns="http://cloud.test/doc/2026-01-01/"'
_EC2_NS = 'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"'


def xml_listing(things: list[tuple[str, str]]) -> str:
    items = "".join(
        f"<item><thingId>{k}</thingId><name>{escape(v)}</name></item>"
        for k, v in things
    )
    return (
        f"<DescribeThingsResponse {_NS}><requestId>r-2</requestId>"
        f"<thingSet>{items}</thingSet></DescribeThingsResponse>"
    )


def xml_created(thing: str, name: str) -> str:
    return (
        f"<CreateThingResponse {_NS}><requestId>r-1</requestId><thing>"
        f"<thingId>{thing}</thingId><name>{escape(name)}</name>"
        "</thing></CreateThingResponse>"
    )


def _ec2_instance(thing: str, name: str) -> str:
    return (
        f"<item><instanceId>{thing}</instanceId><imageId>ami-0abc</imageId>"
        "<instanceState><code>16</code><name>running</name></instanceState>"
        "<instanceType>t3.micro</instanceType>"
        "<launchTime>2026-12-04T14:13:42.000Z</launchTime>"
        "<tagSet><item><key>Name</key>"
        f"<value>{escape(name)}</value></item></tagSet></item>"
    )


def ec2_listing(things: list[tuple[str, str]]) -> str:
    reservations = "".join(
        f"<item><reservationId>r-{k}</reservationId><ownerId>123456789012</ownerId>"
        f"<instancesSet>{_ec2_instance(k, v)}</instancesSet></item>"
        for k, v in things
    )
    return (
        f"<DescribeInstancesResponse {_EC2_NS}><requestId>r-3</requestId>"
        f"<reservationSet>{reservations}</reservationSet></DescribeInstancesResponse>"
    )


def ec2_run(thing: str, name: str) -> str:
    return (
        f"<RunInstancesResponse {_EC2_NS}><requestId>r-4</requestId>"
        "<reservationId>r-9</reservationId><ownerId>123456789012</ownerId>"
        f"<instancesSet>{_ec2_instance(thing, name)}</instancesSet>"
        "</RunInstancesResponse>"
    )


def ec2_key_pair(thing: str, name: str) -> str:
    return (
        f"<CreateKeyPairResponse {_EC2_NS}><requestId>r-5</requestId>"
        f"<keyPairId>{thing}</keyPairId><keyName>{escape(name)}</keyName>"
        "<keyFingerprint>c8:e4:54:25</keyFingerprint>"
        "<keyMaterial>(not a real key)</keyMaterial></CreateKeyPairResponse>"
    )


def do_key(thing: str, name: str) -> dict[str, Any]:
    return {
        "id": int(thing.removeprefix("t-")),
        "name": name,
        "public_key": PUBLIC_KEY,
        "fingerprint": "3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa",
    }


def do_listing(things: list[tuple[str, str]]) -> dict[str, Any]:
    droplets = [
        {
            "id": int(k.removeprefix("t-")),
            "name": v,
            "status": "active",
            "memory": 1024,
            "vcpus": 1,
            "disk": 25,
            "networks": {"v4": [{"ip_address": "192.0.2.10", "type": "public"}]},
            "created_at": "2026-12-04T14:13:42Z",
        }
        for k, v in things
    ]
    return {"droplets": droplets, "links": {}, "meta": {"total": len(droplets)}}


def _public_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.generate().public_key()
    raw = key.public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return raw.decode()


PUBLIC_KEY = _public_key()


# -- the two drivers -------------------------------------------------------------------


class XmlCloudResponse(nubo.XmlResponse):
    """Error codes mapped as EC2 maps its own."""

    auth_error_codes: ClassVar[frozenset[str]] = frozenset(
        {"AuthFailure", "InvalidClientTokenId", "SignatureDoesNotMatch"}
    )
    throttle_error_codes: ClassVar[frozenset[str]] = frozenset(
        {"RequestLimitExceeded", "Throttling"}
    )
    not_found_error_codes: ClassVar[frozenset[str]] = frozenset(
        {"InvalidThingID.NotFound"}
    )


class XmlCloudConnection(nubo.ConnectionUserAndKey):
    """Query API over form posts, signed in a header, as EC2 is."""

    responseCls = XmlCloudResponse

    def add_default_params(self, params: dict[str, Any]) -> dict[str, Any]:
        params.setdefault("Version", "2026-01-01")
        return params

    def pre_connect(self, request: nubo.Request) -> None:
        what = f"{request.method}\n{request.action}".encode()
        signature = hmac.new(self.key.encode(), what, hashlib.sha256).hexdigest()
        request.headers["Authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={self.user_id}/20260101/test/cloud,"
            f" SignedHeaders=host, Signature={signature}"
        )


class XmlCloudDriver(nubo.BaseDriver):
    """A driver for an XML query API, like EC2's."""

    type = "xmlcloud"
    name = "XML cloud"
    connectionCls = XmlCloudConnection

    def list_things(self) -> list[tuple[str, str]]:
        """List the things: an idempotent read."""
        assert self.connection is not None
        response = self.connection.request("/", params={"Action": "DescribeThings"})
        root = self._root(response, "DescribeThingsResponse")

        things = []
        for item in XmlCloudResponse.findall_local(root, "item"):
            thing = XmlCloudResponse.findtext_local(item, "thingId")
            name = XmlCloudResponse.findtext_local(item, "name")
            if not thing or name is None:
                raise response.malformed("a thing in the listing has no id or name")
            things.append((thing, name))
        return things

    def create_thing(self, name: str, token: str | None = None) -> tuple[str, str]:
        """Create a thing; with a client token the call is safe to repeat."""
        assert self.connection is not None
        form = {"Action": "CreateThing", "Name": name}
        if token is not None:
            form["ClientToken"] = token
        response = self.connection.request(
            "/", data=form, method="POST", idempotent=token is not None or None
        )
        root = self._root(response, "CreateThingResponse")

        thing = XmlCloudResponse.findtext_local(root, "thingId")
        shown = XmlCloudResponse.findtext_local(root, "name")
        if not thing or shown is None:
            raise response.malformed("the created thing has no id or name")
        return thing, shown

    @staticmethod
    def _root(response: nubo.Response, expected: str) -> Any:
        root = response.object
        if not isinstance(root, etree._Element) or etree.QName(root).localname != (
            expected
        ):
            raise response.malformed(f"the answer is not a {expected}")
        return root


class JsonCloudResponse(nubo.JsonResponse):
    """Error ids mapped as a JSON API maps its own."""

    auth_error_codes: ClassVar[frozenset[str]] = frozenset({"unauthorized"})
    throttle_error_codes: ClassVar[frozenset[str]] = frozenset({"too_many_requests"})
    not_found_error_codes: ClassVar[frozenset[str]] = frozenset({"not_found"})


class JsonCloudConnection(nubo.ConnectionKey):
    """A bearer-token JSON API, like DigitalOcean's."""

    responseCls = JsonCloudResponse
    request_path = "/v2"

    def add_default_headers(self, headers: dict[str, str]) -> dict[str, str]:
        headers["Authorization"] = f"Bearer {self.key}"
        headers.setdefault("Content-Type", "application/json")
        return headers

    def encode_data(self, data: Any) -> Any:
        return None if data is None else json.dumps(data)


class JsonCloudDriver(nubo.BaseDriver):
    """A driver for a JSON API, like DigitalOcean's."""

    type = "jsoncloud"
    name = "JSON cloud"
    connectionCls = JsonCloudConnection

    def list_things(self) -> list[tuple[str, str]]:
        """List the things: an idempotent read."""
        assert self.connection is not None
        response = self.connection.request("/things")
        things = response.object.get("things") if _is_dict(response.object) else None
        if not isinstance(things, list):
            raise response.malformed("the answer has no list of things")
        return [self._thing(response, item) for item in things]

    def create_thing(self, name: str, token: str | None = None) -> tuple[str, str]:
        """Create a thing; with an idempotency key the call is safe to repeat."""
        assert self.connection is not None
        headers = {"Idempotency-Key": token} if token is not None else {}
        response = self.connection.request(
            "/things",
            data={"name": name},
            headers=headers,
            method="POST",
            idempotent=token is not None or None,
        )
        item = response.object.get("thing") if _is_dict(response.object) else None
        return self._thing(response, item)

    @staticmethod
    def _thing(response: nubo.Response, item: Any) -> tuple[str, str]:
        if not _is_dict(item) or not isinstance(item.get("id"), str):
            raise response.malformed("a thing in the answer has no id")
        if not isinstance(item.get("name"), str):
            raise response.malformed("a thing in the answer has no name")
        return item["id"], item["name"]


def _is_dict(value: Any) -> bool:
    return isinstance(value, dict)


OPERATIONS = ("read", "create", "token")

OPERATION_TITLES = {
    "read": "read",
    "create": "create",
    "token": "create + token",
}


@dataclass
class Provider:
    """One driver of the matrix: how to make it and run each operation.

    :param title: the column group's title.
    :param fmt: the format of its bodies, ``"JSON"`` or ``"XML"``.
    :param make: makes the driver, given the port and the retry policy.
    :param calls: the operations it has; each returns ``(id, name)`` pairs for a
        read, one ``(id, name)`` for a create.
    """

    title: str
    fmt: str
    make: Callable[[int, nubo.RetryPolicy], Any]
    calls: dict[str, Callable[[Any], Any]]


def _common(port: int, policy: nubo.RetryPolicy) -> dict[str, Any]:
    return {
        "secure": False,
        "host": "127.0.0.1",
        "port": port,
        "timeout": (2.0, READ_TIMEOUT),
        "retry": policy,
    }


PROVIDERS: list[Provider] = [
    Provider(
        "JSON",
        "JSON",
        lambda port, policy: JsonCloudDriver(TOKEN, **_common(port, policy)),
        {
            "read": lambda d: d.list_things(),
            "create": lambda d: d.create_thing("web-1"),
            "token": lambda d: d.create_thing("web-1", token="tok-7f3a"),
        },
    ),
    Provider(
        "XML",
        "XML",
        lambda port, policy: XmlCloudDriver(
            ACCESS_KEY, SECRET_KEY, **_common(port, policy)
        ),
        {
            "read": lambda d: d.list_things(),
            "create": lambda d: d.create_thing("web-1"),
            "token": lambda d: d.create_thing("web-1", token="tok-7f3a"),
        },
    ),
]


#: The provider plugins of this checkout that could not be imported.
MISSING: list[str] = []

PLUGINS = Path(__file__).parent.parent / "plugins"


def _missing(distribution: str) -> None:
    if (PLUGINS / distribution).is_dir():
        MISSING.append(distribution)


def _ec2_provider() -> Provider | None:
    try:
        from nubo_ec2 import EC2NodeDriver
    except ImportError:
        _missing("nubo-ec2")
        return None

    def key_pair(driver: Any) -> tuple[str, str]:
        pair = driver.create_key_pair("web-1")
        return pair.extra["key_pair_id"], pair.name

    def node(driver: Any) -> tuple[str, str]:
        made = driver.create_node(
            "web-1", "t3.micro", "ami-0abc", ex_clienttoken="tok-7f3a"
        )
        return made.id, made.name

    return Provider(
        "EC2",
        "XML",
        lambda port, policy: EC2NodeDriver(
            ACCESS_KEY, SECRET_KEY, region="us-east-1", **_common(port, policy)
        ),
        {
            "read": lambda d: [(n.id, n.name) for n in d.list_nodes()],
            "create": key_pair,
            "token": node,
        },
    )


def _digitalocean_provider() -> Provider | None:
    try:
        from nubo_digitalocean import DigitalOceanNodeDriver
    except ImportError:
        _missing("nubo-digitalocean")
        return None

    def key_pair(driver: Any) -> tuple[str, str]:
        pair = driver.import_key_pair_from_string("web-1", PUBLIC_KEY)
        return f"t-{pair.id}", pair.name

    return Provider(
        "DigitalOcean",
        "JSON",
        lambda port, policy: DigitalOceanNodeDriver(TOKEN, **_common(port, policy)),
        {
            "read": lambda d: [(f"t-{n.id}", n.name) for n in d.list_nodes()],
            "create": key_pair,
        },
    )


PROVIDERS += [p for p in (_ec2_provider(), _digitalocean_provider()) if p]


# -- the faults ----------------------------------------------------------------------

Steps = Callable[[Provider], list[Step]]


@dataclass
class Fault:
    """One row of the matrix: what the server does, and what must come of it.

    :param name: the row's title.
    :param steps: the script, for a provider.
    :param expect: the outcome of each operation, ``"ok (2)"`` or
        ``"ServerError (1)"``: the class and the number of attempts.
    :param repeat: repeat the last step for every later request.
    :param xml_expect: outcomes that differ for the drivers of XML APIs.
    :param json_expect: outcomes that differ for the drivers of JSON APIs.
    :param listing: the name of the resource a successful read must give back;
        the provider holds it with any U+FFFD as ``é``.
    :param sleeps: check the waits the retry policy asked for.
    """

    name: str
    steps: Steps
    expect: dict[str, str]
    repeat: bool = False
    xml_expect: dict[str, str] = field(default_factory=dict)
    json_expect: dict[str, str] = field(default_factory=dict)
    listing: str = SEEDED
    sleeps: Callable[[list[float]], bool] | None = None

    def expected(self, provider: Provider, op: str) -> str:
        extra = self.xml_expect if provider.fmt == "XML" else self.json_expect
        if op == "create" and self.expect["create"].startswith("RateLimitError"):
            # A throttled call was refused before the provider acted on it, so
            # even a create without a token is repeated.
            op = "read"
        return extra.get(op, self.expect[op])


def same(outcome: str) -> dict[str, str]:
    """The same outcome, in one attempt, for every operation."""
    return dict.fromkeys(OPERATIONS, f"{outcome} (1)")


def retried(final: str, create: str | None = None) -> dict[str, str]:
    """What a fault on every attempt gives: the read and the token create use all
    attempts, the plain create stops after its first."""
    return {
        "read": f"{final} ({ATTEMPTS})",
        "create": f"{create or final} (1)",
        "token": f"{final} ({ATTEMPTS})",
    }


def recovered(create: str) -> dict[str, str]:
    """What a fault on the first attempt only gives."""
    return {"read": "ok (2)", "create": f"{create} (1)", "token": "ok (2)"}


def steps(*made: Step) -> Steps:
    return lambda p: list(made)


def error_body(fmt: str, code: str, message: str) -> bytes:
    if fmt == "JSON":
        return json.dumps({"id": code, "message": message}).encode()
    return (
        "<?xml version='1.0' encoding='UTF-8'?><Response><Errors><Error>"
        f"<Code>{code}</Code><Message>{message}</Message></Error></Errors>"
        "<RequestID>req-9</RequestID></Response>"
    ).encode()


def coded(status: int, code: str, message: str, **headers: str) -> Steps:
    def make(p: Provider) -> list[Step]:
        fmt = p.fmt
        kind = "application/json" if fmt == "JSON" else "text/xml"
        shown: dict[str, str | None] = {"Content-Type": kind, **headers}
        return [Step(status=status, body=error_body(fmt, code, message), headers=shown)]

    return make


def status_steps(status: int, **headers: Any) -> Steps:
    def make(p: Provider) -> list[Step]:
        code = "ServiceUnavailable" if status >= 500 else "too_many_requests"
        if p.fmt == "XML" and status == 429:
            code = "RequestLimitExceeded"
        return coded(status, code, "try again later", **headers)(p)

    return make


BODIES: dict[str, Callable[[str], tuple[bytes, str | None]]] = {
    "empty": lambda fmt: (b"", None),
    "malformed": lambda fmt: (
        (b'{"things": [{"id": "t-0",', "application/json")
        if fmt == "JSON"
        else (b"<DescribeThingsResponse><thingSet><item>", "text/xml")
    ),
    "HTML": lambda fmt: (
        b"<!DOCTYPE html><html><head><title>Bad Gateway</title></head><body>"
        b"<h1>Bad Gateway</h1><p>The upstream is down.<br></p></body></html>",
        "text/html",
    ),
    "plain text": lambda fmt: (b"upstream connect error or disconnect", "text/plain"),
}

STATUS_ERRORS = {
    200: "MalformedResponseError",
    400: "ProviderError",
    401: "InvalidCredsError",
    403: "InvalidCredsError",
    404: "NotFoundError",
    429: "RateLimitError",
    500: "ServerError",
    502: "ServerError",
    503: "ServerError",
    504: "ServerError",
}


def body_faults() -> Iterator[Fault]:
    for label, make in BODIES.items():
        for status, error in STATUS_ERRORS.items():

            def build(
                p: Provider, make: Any = make, status: int = status
            ) -> list[Step]:
                body, ctype = make(p.fmt)
                return [Step(status=status, body=body, headers={"Content-Type": ctype})]

            if status in (429, 500, 502, 503, 504):
                expect = retried(error)
            else:
                expect = same(error)
            yield Fault(f"{label} body, HTTP {status}", build, expect, repeat=True)


def _latin1(p: Provider, declared: bool) -> list[Step]:
    """The normal answer, re-encoded in ISO-8859-1."""
    if p.fmt == "JSON":
        ctype = "application/json"
        if declared:
            ctype += "; charset=iso-8859-1"
        return [Step(recode="latin-1", headers={"Content-Type": ctype})]
    prefix = b"<?xml version='1.0' encoding='ISO-8859-1'?>" if declared else b""
    return [Step(recode="latin-1", prefix=prefix, headers={"Content-Type": "text/xml"})]


FAULTS: list[Fault] = [
    Fault("normal answer", steps(), same("ok")),
    # -- the connection ---------------------------------------------------------
    Fault(
        "reset before the headers, once",
        steps(Step(RESET_BEFORE_HEADERS)),
        recovered("TransportError"),
    ),
    Fault(
        "reset before the headers, always",
        steps(Step(RESET_BEFORE_HEADERS)),
        retried("TransportError"),
        repeat=True,
    ),
    Fault(
        "closed before the headers, once",
        steps(Step(CLOSE_BEFORE_HEADERS)),
        recovered("TransportError"),
    ),
    Fault(
        "reset after the headers, once",
        steps(Step(RESET_AFTER_HEADERS)),
        recovered("TransportError"),
    ),
    Fault(
        "reset after the headers, always",
        steps(Step(RESET_AFTER_HEADERS)),
        retried("TransportError"),
        repeat=True,
    ),
    Fault(
        "headers slower than the timeout, once",
        steps(Step(SLOW_HEADERS, delay=STALL)),
        recovered("ReadTimeoutError"),
    ),
    Fault(
        "headers slower than the timeout, always",
        steps(Step(SLOW_HEADERS, delay=STALL)),
        retried("ReadTimeoutError"),
        repeat=True,
    ),
    Fault(
        "body slower than the timeout, once",
        steps(Step(SLOW_BODY, delay=STALL)),
        recovered("ReadTimeoutError"),
    ),
    Fault(
        "body slower than the timeout, always",
        steps(Step(SLOW_BODY, delay=STALL)),
        retried("ReadTimeoutError"),
        repeat=True,
    ),
    Fault(
        "body shorter than Content-Length, once",
        steps(Step(SHORT_BODY)),
        recovered("TransportError"),
    ),
    Fault(
        "body shorter than Content-Length, always",
        steps(Step(SHORT_BODY)),
        retried("TransportError"),
        repeat=True,
    ),
    # -- statuses and Retry-After ---------------------------------------------------
    *(
        Fault(
            f"HTTP {status}, once",
            status_steps(status),
            recovered(STATUS_ERRORS[status]),
            sleeps=lambda s: s == [0.5],
        )
        for status in (500, 502, 503, 504, 429)
    ),
    *(
        Fault(
            f"HTTP {status}, always",
            status_steps(status),
            retried(STATUS_ERRORS[status]),
            repeat=True,
            sleeps=lambda s: s == [0.5, 1.0],
        )
        for status in (500, 503, 429)
    ),
    Fault(
        "HTTP 503, Retry-After: 2, once",
        status_steps(503, **{"Retry-After": "2"}),
        recovered("ServerError"),
        sleeps=lambda s: s == [2.0],
    ),
    Fault(
        "HTTP 429, Retry-After: 2, once",
        status_steps(429, **{"Retry-After": "2"}),
        recovered("RateLimitError"),
        sleeps=lambda s: s == [2.0],
    ),
    Fault(
        "HTTP 429, Retry-After as an HTTP date, once",
        status_steps(429, **{"Retry-After": http_date(3)}),
        recovered("RateLimitError"),
        sleeps=lambda s: len(s) == 1 and 0 < s[0] <= 3,
    ),
    Fault(
        "HTTP 503, Retry-After as an HTTP date, once",
        status_steps(503, **{"Retry-After": http_date(3)}),
        recovered("ServerError"),
        sleeps=lambda s: len(s) == 1 and 0 < s[0] <= 3,
    ),
    Fault(
        "HTTP 429, Retry-After: 3600, once",
        status_steps(429, **{"Retry-After": "3600"}),
        recovered("RateLimitError"),
        sleeps=lambda s: s == [20.0],
    ),
    Fault(
        "HTTP 503, Retry-After unreadable, once",
        status_steps(503, **{"Retry-After": "soon"}),
        recovered("ServerError"),
        sleeps=lambda s: s == [0.5],
    ),
    Fault(
        "throttling code with HTTP 400, once",
        lambda p: coded(
            400,
            "too_many_requests" if p.fmt == "JSON" else "RequestLimitExceeded",
            "slow down",
        )(p),
        recovered("RateLimitError"),
    ),
    Fault(
        "auth code with HTTP 400",
        lambda p: coded(
            400, "unauthorized" if p.fmt == "JSON" else "AuthFailure", "bad key"
        )(p),
        same("InvalidCredsError"),
        repeat=True,
    ),
    Fault(
        "not-found code with HTTP 400",
        lambda p: coded(
            400, "not_found" if p.fmt == "JSON" else "InvalidThingID.NotFound", "gone"
        )(p),
        same("NotFoundError"),
        repeat=True,
    ),
    # -- bodies for every status -----------------------------------------------------
    *body_faults(),
    # -- Content-Type -----------------------------------------------------------------
    Fault(
        "wrong Content-Type (text/html)",
        steps(Step(headers={"Content-Type": "text/html"})),
        same("ok"),
    ),
    Fault(
        "no Content-Type",
        steps(Step(headers={"Content-Type": None})),
        same("ok"),
    ),
    # -- compression ------------------------------------------------------------------
    Fault("gzip body", steps(Step(encoding="gzip")), same("ok")),
    Fault("deflate body (zlib)", steps(Step(encoding="deflate")), same("ok")),
    Fault("deflate body (raw)", steps(Step(encoding="deflate-raw")), same("ok")),
    Fault(
        "gzip body, corrupt",
        steps(
            Step(
                raw_body=b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbage!",
                headers={"Content-Encoding": "gzip"},
            )
        ),
        same("MalformedResponseError"),
    ),
    Fault(
        "deflate body, corrupt",
        steps(
            Step(raw_body=b"x\x9cnot deflate", headers={"Content-Encoding": "deflate"})
        ),
        same("MalformedResponseError"),
    ),
    Fault(
        "gzip bomb (100 MiB of zeros)",
        lambda p: [Step(raw_body=bomb("gzip"), headers={"Content-Encoding": "gzip"})],
        same("MalformedResponseError"),
    ),
    Fault(
        "deflate bomb (100 MiB of zeros)",
        lambda p: [
            Step(raw_body=bomb("deflate"), headers={"Content-Encoding": "deflate"})
        ],
        same("MalformedResponseError"),
    ),
    Fault(
        "unknown Content-Encoding (br)",
        steps(Step(headers={"Content-Encoding": "br"})),
        same("MalformedResponseError"),
    ),
    Fault(
        "XML entity-expansion bomb body",
        steps(
            Step(
                body=(
                    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "lollollol">'
                    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><r>&b;&b;&b;</r>'
                ),
                headers={"Content-Type": "text/xml"},
            )
        ),
        same("MalformedResponseError"),
    ),
    # -- encodings --------------------------------------------------------------------
    Fault(
        "ISO-8859-1 body, charset declared",
        lambda p: _latin1(p, declared=True),
        same("ok"),
        listing="café",
    ),
    Fault(
        "ISO-8859-1 body, charset not declared",
        lambda p: _latin1(p, declared=False),
        same("ok"),
        xml_expect={"read": "MalformedResponseError (1)"},
        listing="caf\ufffd",
    ),
    # -- size -------------------------------------------------------------------------
    Fault(
        "very large body (65 MiB)",
        steps(Step(stream=large_body(65 * 1024 * 1024))),
        same("MalformedResponseError"),
    ),
]


# -- running a cell ----------------------------------------------------------------


@dataclass
class Cell:
    """What one operation did under one fault."""

    outcome: str
    error: BaseException | None
    result: Any
    sleeps: list[float]
    created: int
    attempts: int


def run_cell(
    server: FaultServer, cloud: Cloud, fault: Fault, provider: Provider, op: str
) -> Cell:
    """Run one operation under one fault, with a guard against a hang."""
    cloud.reset(fault.listing.replace("\ufffd", "é"))
    server.script(fault.steps(provider), repeat=fault.repeat)
    sleeps: list[float] = []
    policy = nubo.RetryPolicy(attempts=ATTEMPTS, sleep=sleeps.append, rand=lambda: 0.0)
    driver = provider.make(server.port, policy)
    found: dict[str, Any] = {}

    def call() -> None:
        try:
            found["result"] = provider.calls[op](driver)
        except BaseException as exc:
            found["error"] = exc

    worker = threading.Thread(target=call, daemon=True)
    worker.start()
    worker.join(60)
    driver.connection.connection.close()
    if worker.is_alive():
        return Cell("hang", None, None, sleeps, cloud.created, len(server.received))

    attempts = len(server.received)
    error = found.get("error")
    name = "ok" if error is None else type(error).__name__
    return Cell(
        f"{name} ({attempts})",
        error,
        found.get("result"),
        sleeps,
        cloud.created,
        attempts,
    )


def check_cell(fault: Fault, provider: Provider, op: str, cell: Cell) -> list[str]:
    """Every rule a cell must keep; returns what it broke."""
    broken = []
    where = f"{fault.name} / {provider.title} {op}"
    expected = fault.expected(provider, op)
    if cell.outcome != expected:
        detail = ""
        if cell.error is not None:
            detail = "".join(traceback.format_exception(cell.error))
        broken.append(f"{where}: {cell.outcome}, expected {expected}\n{detail}")

    error = cell.error
    if error is not None:
        if not isinstance(error, errors.NuboError):
            broken.append(f"{where}: a raw {type(error).__module__} error came out")
        elif type(error).__module__ != "nubo.errors":
            broken.append(f"{where}: {type(error)} is not a nubo.errors class")
        elif not str(error):
            broken.append(f"{where}: the error says nothing")
        status = getattr(error, "status", None)
        if isinstance(error, errors.ProviderError) and status is None:
            broken.append(f"{where}: a provider error without its status")

    if cell.attempts > ATTEMPTS:
        broken.append(f"{where}: {cell.attempts} attempts, over the budget")
    if cell.outcome != "hang" and len(cell.sleeps) != max(cell.attempts - 1, 0):
        broken.append(f"{where}: {len(cell.sleeps)} waits for {cell.attempts} attempts")
    if any(s < 0 or s > 20.0 for s in cell.sleeps):
        broken.append(f"{where}: a wait out of bounds: {cell.sleeps}")
    if fault.sleeps is not None and cell.attempts > 1 and not fault.sleeps(cell.sleeps):
        broken.append(f"{where}: unexpected waits {cell.sleeps}")

    # Never a second resource: a create without a token is never repeated, and
    # the repeats of one with a token give back the first resource.
    limit = 0 if op == "read" else 1
    if cell.created > limit:
        broken.append(f"{where}: {cell.created} resources created")
    if op != "read" and error is None and cell.result != ("t-1", "web-1"):
        broken.append(f"{where}: created {cell.result!r}")
    if op == "read" and error is None and cell.result != [("t-0", fault.listing)]:
        broken.append(f"{where}: listed {cell.result!r}")
    return broken


# -- the table ----------------------------------------------------------------------


def render(results: dict[tuple[str, str, str], str]) -> str:
    """Render the results as the reST table the Reliability page includes."""
    columns = [(p.title, op) for p in PROVIDERS for op in OPERATIONS]
    header = ["Fault"] + [f"{title}: {OPERATION_TITLES[op]}" for title, op in columns]
    lines = [
        ".. This table is written by tests/test_faults_matrix.py; do not edit it.",
        "",
        ".. list-table::",
        "   :header-rows: 1",
        "   :class: fault-matrix",
        "",
    ]
    rows = [header] + [
        [fault.name]
        + [results.get((fault.name, title, op), "n/a") for title, op in columns]
        for fault in FAULTS
    ]
    for row in rows:
        lines.append(f"   * - {row[0]}")
        lines += [f"     - {cell}" for cell in row[1:]]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def cloud_server() -> Iterator[tuple[FaultServer, Cloud]]:
    cloud = Cloud()
    with fault_server(cloud) as server:
        yield server, cloud


def test_fault_names_are_unique() -> None:
    names = [fault.name for fault in FAULTS]

    assert len(names) == len(set(names))


def test_the_matrix(
    cloud_server: tuple[FaultServer, Cloud], caplog: pytest.LogCaptureFixture
) -> None:
    if MISSING:
        pytest.fail(
            f"{', '.join(MISSING)} cannot be imported, and the table has a column"
            " for each provider of the checkout; run the suite with"
            " `python3 -m nox -s tests`, which installs them"
        )
    caplog.set_level(logging.DEBUG)
    server, cloud = cloud_server
    results: dict[tuple[str, str, str], str] = {}
    broken: list[str] = []

    for fault in FAULTS:
        for provider in PROVIDERS:
            for op in provider.calls:
                cell = run_cell(server, cloud, fault, provider, op)
                results[(fault.name, provider.title, op)] = cell.outcome
                broken += check_cell(fault, provider, op, cell)

    # No credential in any log line the whole matrix wrote.
    for record in caplog.records:
        text = record.getMessage()
        for secret in (ACCESS_KEY, SECRET_KEY, TOKEN):
            if secret in text:
                broken.append(f"a log line shows a credential: {text}")

    table = render(results)
    committed = TABLE.read_text(encoding="utf-8") if TABLE.exists() else ""
    if table != committed:
        TABLE.parent.mkdir(parents=True, exist_ok=True)
        TABLE.write_text(table, encoding="utf-8")
        broken.append(
            f"{TABLE} differed from this run's results and has been rewritten;"
            " review the change and commit it"
        )
    assert not broken, "\n".join(broken)
