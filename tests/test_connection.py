"""Connection: its members, the steps of a request, BaseDriver's wiring, and
one driver shared by sixteen threads."""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest

import nubo
from nubo import errors

if TYPE_CHECKING:
    from conftest import LocalServer, Seen


def test_ports_follow_secure_unless_given() -> None:
    assert nubo.Connection().port == 443
    assert nubo.Connection(secure=False).port == 80
    assert nubo.Connection(secure=False, port=8080).port == 8080
    assert nubo.Connection().host == "127.0.0.1"


def test_constructor_opens_nothing() -> None:
    connection = nubo.Connection(host="127.0.0.1", port=9)

    assert connection._session is None
    session = connection.connection
    assert connection.connection is session


def test_url_sets_scheme_host_port_and_path() -> None:
    connection = nubo.Connection(url="http://127.0.0.1:8123/v2/")

    assert (connection.secure, connection.host, connection.port) == (
        False,
        "127.0.0.1",
        8123,
    )
    assert connection.request_path == "/v2/"
    assert connection.morph_action_hook("droplets") == "/v2/droplets"


def test_bad_url_is_refused() -> None:
    with pytest.raises(errors.InvalidArgumentError):
        nubo.Connection(url="ftp://example")


def test_timeout_is_finite_with_two_parts() -> None:
    assert nubo.Connection().timeout == (10.0, 60.0)
    assert nubo.Connection(timeout=5).timeout == (5.0, 5.0)
    assert nubo.Connection(timeout=(1, 2)).timeout == (1.0, 2.0)
    with pytest.raises(errors.InvalidArgumentError):
        nubo.Connection(timeout=0)


def test_allow_insecure_false_refuses_plain_http() -> None:
    class Strict(nubo.Connection):
        allow_insecure = False

    with pytest.raises(errors.InvalidArgumentError) as caught:
        Strict(secure=False)
    assert caught.value.argument == "secure"

    with pytest.raises(errors.InvalidArgumentError):
        Strict(url="http://127.0.0.1:1/")
    assert Strict().secure


def test_context_is_per_thread() -> None:
    connection = nubo.Connection()
    connection.set_context({"node": "n-1"})
    other: list[dict[str, Any]] = []

    thread = threading.Thread(target=lambda: other.append(dict(connection.context)))
    thread.start()
    thread.join()

    assert connection.context == {"node": "n-1"}
    assert other == [{}]
    connection.reset_context()
    assert connection.context == {}


def test_user_agent_has_nubo_and_appended_tokens(server: LocalServer) -> None:
    connection = nubo.Connection(secure=False, port=server.port)
    connection.user_agent_append("myapp/2.0")

    connection.request("/x")

    agent = server.seen[0].headers["User-Agent"]
    assert agent.startswith(f"nubo/{nubo.__version__} ")
    assert agent.endswith(" myapp/2.0")


def test_a_caller_user_agent_wins(server: LocalServer) -> None:
    nubo.Connection(secure=False, port=server.port).request(
        "/x", headers={"user-agent": "mine"}
    )

    assert server.seen[0].headers["User-Agent"] == "mine"


class Api(nubo.ConnectionKey):
    request_path = "/api/v1"

    def add_default_params(self, params: dict[str, Any]) -> dict[str, Any]:
        return {**params, "version": "2020"}

    def add_default_headers(self, headers: dict[str, str]) -> dict[str, str]:
        return {**headers, "Authorization": f"Bearer {self.key}"}

    def encode_data(self, data: Any) -> Any:
        return json.dumps(data) if data is not None else None


def test_default_steps_shape_what_is_sent(server: LocalServer) -> None:
    connection = Api("tok-123456", secure=False, port=server.port)

    connection.request("nodes", params={"page": 2}, data={"name": "n1"}, method="post")

    seen = server.seen[0]
    parts = urlsplit(seen.path)
    assert seen.method == "POST"
    assert parts.path == "/api/v1/nodes"
    assert parse_qs(parts.query) == {"page": ["2"], "version": ["2020"]}
    assert seen.headers["Authorization"] == "Bearer tok-123456"
    assert json.loads(seen.body) == {"name": "n1"}


def test_caller_dicts_are_not_changed(server: LocalServer) -> None:
    params = {"a": "1"}
    headers = {"X-A": "1"}

    Api("tok-123456", secure=False, port=server.port).request(
        "/x", params=params, headers=headers
    )

    assert params == {"a": "1"}
    assert headers == {"X-A": "1"}


class Signing(nubo.ConnectionUserAndKey):
    """Signs method, URL, body and headers in pre_connect, as EC2 will."""

    def pre_connect(self, request: nubo.Request) -> None:
        super().pre_connect(request)
        material = f"{request.method}\n{request.url}\n{request.data}"
        request.headers["X-Sig"] = str(abs(hash((material, self.key))))

    def pre_connect_hook(
        self, params: dict[str, Any], headers: dict[str, str]
    ) -> tuple[dict[str, Any], dict[str, str]]:
        return {**params, "AccessKey": self.user_id}, headers


def test_pre_connect_sees_the_whole_request_and_signs_last(
    server: LocalServer,
) -> None:
    connection = Signing("AKIDEXAMPLE", "s3cr3t-key", secure=False, port=server.port)
    calls: list[str] = []

    class Plugin:
        @nubo.hookimpl
        def pre_connect(self, request: nubo.Request) -> None:
            calls.append(request.url)
            request.headers["X-Trace"] = "t"

    nubo.register_plugin(Plugin())
    connection.request("/q", params={"Action": "Describe"}, data="body", method="POST")

    seen = server.seen[0]
    url = f"http://127.0.0.1:{server.port}{seen.path}"
    expected = str(abs(hash((f"POST\n{url}\nbody", "s3cr3t-key"))))
    assert seen.headers["X-Sig"] == expected
    assert seen.headers["X-Trace"] == "t"
    assert "AccessKey=AKIDEXAMPLE" in seen.path
    assert "AccessKey" not in calls[0]


def test_connect_repoints_the_connection(server: LocalServer) -> None:
    connection = nubo.Connection(secure=False, port=1)

    session = connection.connect(port=server.port)
    connection.request("/x")

    assert session is connection.connection
    assert len(server.seen) == 1


def test_redirects_are_not_followed(server: LocalServer) -> None:
    server.answer(302, "", Location="http://127.0.0.1:1/elsewhere")

    with pytest.raises(errors.ProviderError) as caught:
        nubo.Connection(secure=False, port=server.port).request("/x")

    assert caught.value.status == 302


class Driver(nubo.BaseDriver):
    type = "fakecloud"
    name = "Fake Cloud"

    class connectionCls(nubo.ConnectionUserAndKey):
        host = "api.fakecloud.invalid"
        responseCls = nubo.JsonResponse


def test_driver_overrides_host_port_secure_and_owns_its_connection(
    server: LocalServer,
) -> None:
    server.answer(404, '{"message": "no such node"}')
    driver = Driver(
        "AKID",
        "very-secret-key",
        secure=False,
        host="127.0.0.1",
        port=server.port,
        timeout=3,
        proxy_url=None,
    )

    connection = driver.connection
    assert connection is not None
    assert connection.driver is driver
    assert (connection.host, connection.port, connection.secure) == (
        "127.0.0.1",
        server.port,
        False,
    )
    assert connection.timeout == (3.0, 3.0)
    assert connection.key == "very-secret-key"

    with pytest.raises(errors.NotFoundError) as caught:
        connection.request("/nodes/1")
    assert caught.value.provider == "fakecloud"
    assert "provider/fakecloud" in server.seen[0].headers["User-Agent"]

    for text in (repr(driver), repr(connection), str(caught.value)):
        assert "very-secret-key" not in text


def test_sixteen_threads_share_one_driver(server: LocalServer) -> None:
    def echo(seen: Seen) -> tuple[int, dict[str, str], bytes]:
        query = parse_qs(urlsplit(seen.path).query)
        body = json.dumps({"who": query["who"][0], "n": query["n"][0]})
        return 200, {"Content-Type": "application/json"}, body.encode()

    server.handler = echo
    made: list[int] = []

    class Counting(nubo.ConnectionKey):
        responseCls = nubo.JsonResponse

        def _new_session(self) -> Any:
            made.append(1)
            return super()._new_session()

    class Shared(nubo.BaseDriver):
        connectionCls = Counting

    driver = Shared("key-abcdef", secure=False, host="127.0.0.1", port=server.port)
    connection = driver.connection
    assert connection is not None
    barrier = threading.Barrier(16)
    wrong: list[tuple[int, Any]] = []
    done: list[int] = []

    def work(who: int) -> None:
        barrier.wait()
        for n in range(20):
            answer = connection.request("/echo", params={"who": who, "n": n})
            if answer.object != {"who": str(who), "n": str(n)}:
                wrong.append((who, answer.object))
        done.append(who)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sorted(done) == list(range(16))
    assert wrong == []
    assert made == [1]
    assert len(server.seen) == 16 * 20
    # Keep-alive: the pool reused connections instead of one per call.
    assert len(server.connections) <= 32
