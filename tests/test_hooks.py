"""Hook plugins: their order around the driver's steps, the send wrapper, the
response observer, failures that name the plugin, and entry point loading."""

from __future__ import annotations

import logging
import sys
import textwrap
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests

import nubo
from nubo import _hooks, errors

if TYPE_CHECKING:
    from conftest import LocalServer


class Recording(nubo.Connection):
    """A connection whose own steps write to a shared log."""

    def __init__(self, log: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.log = log

    def morph_action_hook(self, action: str) -> str:
        self.log.append("driver.morph_action")
        return super().morph_action_hook(action)

    def add_default_params(self, params: dict[str, Any]) -> dict[str, Any]:
        self.log.append("driver.add_default_params")
        return {**params, "Version": "1"}

    def add_default_headers(self, headers: dict[str, str]) -> dict[str, str]:
        self.log.append("driver.add_default_headers")
        return {**headers, "X-Driver": "yes"}

    def encode_data(self, data: Any) -> Any:
        self.log.append("driver.encode_data")
        return data

    def pre_connect_hook(
        self, params: dict[str, Any], headers: dict[str, str]
    ) -> tuple[dict[str, Any], dict[str, str]]:
        self.log.append("driver.pre_connect_hook")
        return params, {**headers, "X-Signed": "sig"}


class Tracer:
    """A plugin implementing every hook, writing to the same log."""

    def __init__(self, log: list[str]) -> None:
        self.log = log
        self.outcomes: list[tuple[int, object]] = []

    @nubo.hookimpl
    def morph_action(self, request: nubo.Request) -> None:
        self.log.append("plugin.morph_action")
        request.action += "/morphed"

    @nubo.hookimpl
    def add_default_params(self, request: nubo.Request) -> None:
        self.log.append("plugin.add_default_params")
        request.params["plugin"] = "p"

    @nubo.hookimpl
    def add_default_headers(self, request: nubo.Request) -> None:
        self.log.append("plugin.add_default_headers")
        request.headers["X-Plugin"] = "h"

    @nubo.hookimpl
    def pre_connect(self, request: nubo.Request) -> None:
        self.log.append("plugin.pre_connect")
        assert "X-Signed" not in request.headers

    @nubo.hookimpl(wrapper=True)
    def send(
        self, request: nubo.Request
    ) -> Generator[None, requests.Response, requests.Response]:
        self.log.append(f"plugin.send.before.{request.attempt}")
        try:
            response = yield
        except Exception as exc:
            self.outcomes.append((request.attempt, type(exc).__name__))
            raise
        self.outcomes.append((request.attempt, response.status_code))
        return response

    @nubo.hookimpl
    def on_response(
        self,
        request: nubo.Request,
        response: requests.Response,
        error: errors.NuboError | None,
    ) -> None:
        self.log.append(f"plugin.on_response.{response.status_code}")


def test_hooks_run_in_the_documented_order(server: LocalServer) -> None:
    log: list[str] = []
    tracer = Tracer(log)
    nubo.register_plugin(tracer, "tracer")
    connection = Recording(log, secure=False, port=server.port)

    connection.request("/x")

    assert log == [
        "driver.morph_action",
        "plugin.morph_action",
        "driver.add_default_params",
        "plugin.add_default_params",
        "driver.add_default_headers",
        "plugin.add_default_headers",
        "driver.encode_data",
        "plugin.pre_connect",
        "driver.pre_connect_hook",
        "plugin.send.before.1",
        "plugin.on_response.200",
    ]
    seen = server.seen[0]
    assert seen.path == "/x/morphed?Version=1&plugin=p"
    assert seen.headers["X-Plugin"] == "h"
    assert seen.headers["X-Driver"] == "yes"
    assert seen.headers["X-Signed"] == "sig"


def test_send_wrapper_sees_every_attempt_and_its_exception(
    server: LocalServer, silent_server: Any
) -> None:
    tracer = Tracer([])
    nubo.register_plugin(tracer)
    server.answer(503)
    server.answer(200)
    policy = nubo.RetryPolicy(sleep=lambda s: None)

    nubo.Connection(secure=False, port=server.port, retry=policy).request("/x")
    assert tracer.outcomes == [(1, 503), (2, 200)]

    tracer.outcomes.clear()
    silent = nubo.Connection(
        secure=False, port=silent_server.port, retry=policy, timeout=(2, 0.2)
    )
    with pytest.raises(errors.ReadTimeoutError):
        silent.request("/x")
    assert tracer.outcomes == [(n, "ReadTimeoutError") for n in (1, 2, 3)]


def test_on_response_gets_the_mapped_error(server: LocalServer) -> None:
    got: list[object] = []

    class Observer:
        @nubo.hookimpl
        def on_response(
            self,
            request: nubo.Request,
            response: requests.Response,
            error: errors.NuboError | None,
        ) -> None:
            got.append((response.status_code, type(error).__name__, response.content))

    nubo.register_plugin(Observer())
    server.answer(404, "gone")

    with pytest.raises(errors.NotFoundError):
        nubo.Connection(secure=False, port=server.port).request("/x")

    assert got == [(404, "NotFoundError", b"gone")]


@pytest.mark.parametrize(
    "hook", ["morph_action", "add_default_params", "add_default_headers", "pre_connect"]
)
def test_a_plugin_that_raises_fails_the_call_naming_it(
    server: LocalServer, hook: str
) -> None:
    def broken(self: object, request: nubo.Request) -> None:
        raise RuntimeError("plugin bug")

    plugin_cls = type("Broken", (), {hook: nubo.hookimpl(broken)})
    nubo.register_plugin(Tracer([]), "innocent")
    nubo.register_plugin(plugin_cls(), "broken-plugin")

    with pytest.raises(errors.PluginError) as caught:
        nubo.Connection(secure=False, port=server.port).request("/x")

    assert caught.value.plugin == "broken-plugin"
    assert caught.value.hook == hook
    assert "broken-plugin" in str(caught.value)
    assert isinstance(caught.value.__cause__, RuntimeError)
    assert server.seen == []


def test_a_send_wrapper_that_raises_is_named(server: LocalServer) -> None:
    class Bad:
        @nubo.hookimpl(wrapper=True)
        def send(
            self, request: nubo.Request
        ) -> Generator[None, requests.Response, requests.Response]:
            response = yield
            raise KeyError("metrics backend down")
            return response

    nubo.register_plugin(Tracer([]), "innocent")
    nubo.register_plugin(Bad(), "metrics")

    with pytest.raises(errors.PluginError) as caught:
        nubo.Connection(secure=False, port=server.port).request("/x")

    assert caught.value.plugin == "metrics"
    assert caught.value.hook == "send"


def test_transport_errors_pass_through_the_wrapper_unchanged(
    reset_server: Any,
) -> None:
    nubo.register_plugin(Tracer([]))

    with pytest.raises(errors.TransportError) as caught:
        nubo.Connection(secure=False, port=reset_server.port, retry=False).request("/x")

    assert not isinstance(caught.value, errors.PluginError)


def test_a_hook_name_that_does_not_exist_is_refused() -> None:
    class Typo:
        @nubo.hookimpl
        def pre_conect(self, request: nubo.Request) -> None:
            pass

    with pytest.raises(errors.PluginError) as caught:
        nubo.register_plugin(Typo(), "typo")

    assert caught.value.plugin == "typo"
    assert "pre_conect" in str(caught.value)
    assert not _hooks.plugins_active()


def test_wrong_hook_arguments_are_refused() -> None:
    class Wrong:
        @nubo.hookimpl
        def pre_connect(self, request: nubo.Request, extra: int) -> None:
            pass

    with pytest.raises(errors.PluginError):
        nubo.register_plugin(Wrong(), "wrong")


def test_registering_twice_is_refused_and_unregister_works(
    server: LocalServer,
) -> None:
    log: list[str] = []
    tracer = Tracer(log)
    assert nubo.register_plugin(tracer, "t") == "t"
    with pytest.raises(errors.PluginError):
        nubo.register_plugin(tracer, "t")

    nubo.unregister_plugin(tracer)
    nubo.Connection(secure=False, port=server.port).request("/x")

    assert log == []
    assert not _hooks.plugins_active()
    nubo.unregister_plugin(tracer)  # a second time does nothing


def test_no_plugin_means_no_dispatch(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("hooks dispatched with no plugin registered")

    monkeypatch.setattr(_hooks, "call", forbidden)
    monkeypatch.setattr(_hooks, "call_send", forbidden)

    response = nubo.Connection(secure=False, port=server.port).request("/x")

    assert response.status == 200


# -- entry point plugins -----------------------------------------------------------


def make_distribution(
    root: Path, name: str, version: str, module: str, source: str, target: str
) -> None:
    """Write a throwaway installed distribution: a module and its .dist-info."""
    (root / f"{module}.py").write_text(textwrap.dedent(source))
    info = root / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    )
    (info / "entry_points.txt").write_text(f"[nubo.plugins]\n{target}\n")


@pytest.fixture
def plugin_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("NUBO_DISABLE_PLUGIN_AUTOLOAD")
    _hooks._reset()
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith("nubo_tp_")]:
        del sys.modules[name]


GOOD = """
    import nubo

    @nubo.hookimpl
    def add_default_headers(request):
        request.headers["X-From-Entry-Point"] = "1"
"""


def test_entry_point_plugins_load_each_on_its_own(
    plugin_path: Path, server: LocalServer, caplog: pytest.LogCaptureFixture
) -> None:
    make_distribution(
        plugin_path, "tp-good", "1.0", "nubo_tp_good", GOOD, "good = nubo_tp_good"
    )
    make_distribution(
        plugin_path,
        "tp-broken",
        "2.3",
        "nubo_tp_broken",
        "raise ImportError('needs a missing library')\n",
        "broken = nubo_tp_broken",
    )
    make_distribution(
        plugin_path,
        "tp-typo",
        "0.1",
        "nubo_tp_typo",
        """
        import nubo

        @nubo.hookimpl
        def add_default_header(request):
            pass
        """,
        "typo = nubo_tp_typo",
    )
    caplog.set_level(logging.DEBUG, logger="nubo")

    records = {r.name: r for r in nubo.plugin_records()}
    nubo.Connection(secure=False, port=server.port).request("/x")

    assert records["good"].status == "loaded"
    assert records["good"].distribution == "tp-good"
    assert records["good"].version == "1.0"
    assert records["good"].target == "nubo_tp_good"
    assert records["broken"].status == "failed"
    assert "needs a missing library" in (records["broken"].error or "")
    assert records["typo"].status == "failed"
    assert server.seen[0].headers["X-From-Entry-Point"] == "1"

    # The half-registered plugin was undone: only the good one is left.
    assert set(_hooks.plugin_manager().list_name_plugin()) == {
        ("good", sys.modules["nubo_tp_good"])
    }

    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert any("tp-broken" in r.getMessage() for r in warnings)
    assert any("tp-typo" in r.getMessage() for r in warnings)
    assert any(r.exc_info for r in caplog.records if r.levelno == logging.DEBUG)


def test_autoload_is_idempotent(plugin_path: Path) -> None:
    make_distribution(
        plugin_path, "tp-good", "1.0", "nubo_tp_good", GOOD, "good = nubo_tp_good"
    )

    first = nubo.autoload_plugins()
    second = nubo.autoload_plugins()

    assert [r.name for r in first] == ["good"]
    assert second == first
    assert len(_hooks.plugin_manager().get_plugins()) == 1


def test_autoload_can_be_disabled(
    plugin_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_distribution(
        plugin_path, "tp-good", "1.0", "nubo_tp_good", GOOD, "good = nubo_tp_good"
    )
    monkeypatch.setenv("NUBO_DISABLE_PLUGIN_AUTOLOAD", "1")

    records = nubo.plugin_records()

    assert [(r.name, r.status) for r in records] == [("good", "disabled")]
    assert not _hooks.plugins_active()
    assert "nubo_tp_good" not in sys.modules


def test_plugin_record_is_frozen() -> None:
    record = nubo.PluginRecord("n", "m:o", "d", "1", "loaded")

    with pytest.raises(AttributeError):
        record.status = "failed"  # type: ignore[misc]
