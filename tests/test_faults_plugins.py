"""Broken plugins never take down another provider: a provider that fails to
import, a hook plugin that fails to load, raises in a hook, or hands back
garbage breaks its own calls at most, with an error that names it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import distfactory
import pytest

import nubo
from nubo import _hooks, errors

if TYPE_CHECKING:
    from conftest import LocalServer

COMPUTE = "nubo.compute"

DRIVER = """
import nubo


class Connection(nubo.ConnectionKey):
    responseCls = nubo.JsonResponse


class Driver(nubo.BaseDriver):
    type = {provider!r}
    connectionCls = Connection

    def ping(self):
        return self.connection.request("/ping").object
"""


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A directory on ``sys.path`` that stands for site-packages."""
    path = tmp_path / "site"
    path.mkdir()
    monkeypatch.syspath_prepend(str(path))
    nubo.refresh_providers()

    yield path

    nubo.refresh_providers()
    distfactory.forget_modules()


def install_provider(site: Path, stem: str, source: str | None = None) -> str:
    """Install a distribution with one provider; return the provider id."""
    module = distfactory.fresh_name(stem)
    distfactory.dist_info(
        site,
        f"{module.replace('_', '-')}-dist",
        "1.0",
        {COMPUTE: {module: f"{module}:Driver"}},
        {module: source if source is not None else DRIVER.format(provider=module)},
    )
    return module


def install_hook_plugin(site: Path, stem: str, source: str) -> str:
    module = distfactory.fresh_name(stem)
    distfactory.dist_info(
        site,
        f"{module.replace('_', '-')}-dist",
        "1.0",
        {"nubo.plugins": {module: module}},
        {module: source},
    )
    return module


def ping(provider: str, server: LocalServer) -> Any:
    driver = nubo.get_driver(provider)("tok-abcdef", secure=False, port=server.port)
    return driver.ping()


@pytest.mark.parametrize(
    "source",
    [
        "raise ImportError('needs a library that is not installed')\n",
        "raise RuntimeError('crashes at import')\n",
        "import nubo_no_such_module_anywhere\n",
        "Driver = 42\n",
        "class Driver:\n    pass\n",
        "def broken(:\n",
    ],
    ids=[
        "import-error",
        "runtime-error",
        "missing-module",
        "not-a-class",
        "not-a-driver",
        "syntax-error",
    ],
)
def test_a_broken_provider_breaks_only_its_own_name(
    site: Path, server: LocalServer, source: str
) -> None:
    server.answer(200, '{"pong": true}')
    good = install_provider(site, "good")
    broken = install_provider(site, "broken", source)
    later = install_provider(site, "later")

    with pytest.raises(errors.ProviderLookupError) as caught:
        nubo.get_driver(broken)

    assert broken in str(caught.value)
    assert ping(good, server) == {"pong": True}
    assert ping(later, server) == {"pong": True}
    records = {record.name: record for record in nubo.providers()}
    assert records[good].status != "failed"
    assert records[broken].status == "failed"


def test_a_hook_plugin_that_fails_to_load_is_skipped(
    site: Path,
    server: LocalServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    server.answer(200, '{"pong": true}')
    provider = install_provider(site, "hooked")
    broken = install_hook_plugin(site, "badhook", "raise ValueError('no config')\n")
    good = install_hook_plugin(
        site,
        "goodhook",
        "import nubo\n\n@nubo.hookimpl\ndef add_default_headers(request):\n"
        "    request.headers['X-Good'] = 'yes'\n",
    )
    monkeypatch.delenv("NUBO_DISABLE_PLUGIN_AUTOLOAD")
    _hooks._reset()

    assert ping(provider, server) == {"pong": True}

    records = {record.name: record.status for record in nubo.plugin_records()}
    assert records == {broken: "failed", good: "loaded"}
    assert server.seen[0].headers["X-Good"] == "yes"
    assert any(broken in r.getMessage() for r in caplog.records)


# -- hook plugins that misbehave at run time -------------------------------------------


class Fussy:
    """Raises in one hook, for one provider only."""

    def __init__(self, victim: str, hook: str) -> None:
        self.victim = victim
        self.hook = hook

    def _maybe(self, request: nubo.Request, hook: str) -> None:
        if request.provider == self.victim and hook == self.hook:
            raise RuntimeError(f"{hook} exploded")

    @nubo.hookimpl
    def morph_action(self, request: nubo.Request) -> None:
        self._maybe(request, "morph_action")

    @nubo.hookimpl
    def add_default_params(self, request: nubo.Request) -> None:
        self._maybe(request, "add_default_params")

    @nubo.hookimpl
    def add_default_headers(self, request: nubo.Request) -> None:
        self._maybe(request, "add_default_headers")

    @nubo.hookimpl
    def pre_connect(self, request: nubo.Request) -> None:
        self._maybe(request, "pre_connect")

    @nubo.hookimpl(wrapper=True)
    def send(self, request: nubo.Request) -> Any:
        self._maybe(request, "send")
        return (yield)

    @nubo.hookimpl
    def on_response(self, request: nubo.Request, response: Any, error: Any) -> None:
        self._maybe(request, "on_response")


def two_drivers(server: LocalServer) -> tuple[Any, Any]:
    class Conn(nubo.ConnectionKey):
        responseCls = nubo.JsonResponse

    class Victim(nubo.BaseDriver):
        type = "victimcloud"
        connectionCls = Conn

    class Bystander(nubo.BaseDriver):
        type = "bystandercloud"
        connectionCls = Conn

    victim = Victim("tok-abcdef", secure=False, port=server.port)
    bystander = Bystander("tok-abcdef", secure=False, port=server.port)
    return victim, bystander


@pytest.mark.parametrize("hook", _hooks.HOOK_NAMES)
def test_a_hook_that_raises_fails_only_the_calls_it_raised_in(
    server: LocalServer, hook: str
) -> None:
    server.answer(200, '{"pong": true}')
    victim, bystander = two_drivers(server)
    nubo.register_plugin(Fussy("victimcloud", hook), "fussy")

    with pytest.raises(errors.PluginError) as caught:
        victim.connection.request("/ping")

    assert caught.value.plugin == "fussy"
    assert caught.value.hook == hook
    assert "fussy" in str(caught.value)
    assert bystander.connection.request("/ping").object == {"pong": True}


class Garbage:
    """Hands back or leaves garbage where a hook should not."""

    def __init__(self, what: str) -> None:
        self.what = what

    @nubo.hookimpl
    def morph_action(self, request: nubo.Request) -> Any:
        if self.what == "action":
            request.action = None  # type: ignore[assignment]
        return "ignored"

    @nubo.hookimpl
    def add_default_params(self, request: nubo.Request) -> None:
        if self.what == "params":
            request.params = "not a mapping"  # type: ignore[assignment]

    @nubo.hookimpl
    def add_default_headers(self, request: nubo.Request) -> None:
        if self.what == "headers":
            request.headers = None  # type: ignore[assignment]
        if self.what == "header value":
            request.headers["X-Count"] = 3  # type: ignore[assignment]
        if self.what == "header newline":
            request.headers["X-Evil"] = "a\r\nInjected: yes"

    @nubo.hookimpl(wrapper=True)
    def send(self, request: nubo.Request) -> Any:
        response = yield
        if self.what == "send result":
            return "not a response"
        return response


GARBAGE = [
    "action",
    "params",
    "headers",
    "header value",
    "header newline",
    "send result",
]


@pytest.mark.parametrize("what", GARBAGE)
def test_garbage_from_a_hook_is_a_plugin_error(server: LocalServer, what: str) -> None:
    server.answer(200, '{"pong": true}')
    victim, _ = two_drivers(server)
    nubo.register_plugin(Garbage(what), "garbage")

    with pytest.raises(errors.PluginError) as caught:
        victim.connection.request("/ping")

    assert "garbage" in str(caught.value)
    assert all("Injected" not in seen.headers for seen in server.seen)

    nubo.unregister_plugin("garbage")
    assert victim.connection.request("/ping").object == {"pong": True}


def test_a_send_hook_that_answers_with_garbage_is_a_plugin_error(
    server: LocalServer,
) -> None:
    class Answers:
        # tryfirst: ahead of the real send, so that its answer is the one used.
        @nubo.hookimpl(tryfirst=True)
        def send(self, request: nubo.Request) -> Any:
            return 42

    victim, _ = two_drivers(server)
    nubo.register_plugin(Answers(), "answers")

    with pytest.raises(errors.PluginError) as caught:
        victim.connection.request("/ping")

    assert "answers" in str(caught.value)
    assert server.seen == []
