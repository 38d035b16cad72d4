"""Hook plugins: the specifications, the plugin manager and its loading.

A hook plugin is any object (a module, a class instance) with functions marked
``@nubo.hookimpl`` and named after the hooks below. It sees and changes every
request that every connection makes, in the order that
:doc:`/requests` describes: it is how tracing, metrics or extra headers are added
without touching a driver.

Plugins are registered at run time with :func:`register_plugin`, or installed as
entry points in the ``nubo.plugins`` group and loaded, each on its own, the first
time the manager is used (:func:`autoload_plugins`).
"""

from __future__ import annotations

import logging
import os
import threading
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import CodeType, TracebackType
from typing import TYPE_CHECKING, Any, Literal

import importlib_metadata
import pluggy
import requests

from ._redact import DEFAULT as _REDACTOR
from ._redact import Redactor, scrub_exception
from .errors import PluginError

if TYPE_CHECKING:
    from ._connection import Request
    from .errors import NuboError

__all__ = [
    "PluginRecord",
    "autoload_plugins",
    "hookimpl",
    "hookspec",
    "plugin_records",
    "register_plugin",
    "unregister_plugin",
]

log = logging.getLogger(__name__)

#: The project name the markers and the manager share.
PROJECT = "nubo"

#: The entry point group of hook plugins.
ENTRY_POINT_GROUP = "nubo.plugins"

#: Set to ``1`` to keep :func:`autoload_plugins` from loading entry points.
DISABLE_ENV = "NUBO_DISABLE_PLUGIN_AUTOLOAD"

#: Marks a hook plugin's function as the implementation of the hook of its name.
hookimpl = pluggy.HookimplMarker(PROJECT)

#: Marks a hook specification; for nubo's own use.
hookspec = pluggy.HookspecMarker(PROJECT)

#: The hooks that take part in a request, in the order of its steps.
HOOK_NAMES = (
    "morph_action",
    "add_default_params",
    "add_default_headers",
    "pre_connect",
    "send",
    "on_response",
)


class HookSpecs:
    """The hooks a plugin may implement. Each receives the per-call
    :class:`~nubo.Request` and changes it in place; none returns a value except
    the ``send`` wrapper."""

    @hookspec
    def morph_action(self, request: Request) -> None:
        """Change ``request.action``, after the driver's ``morph_action_hook``.

        :param request: the call being made.
        """

    @hookspec
    def add_default_params(self, request: Request) -> None:
        """Add to ``request.params``, after the driver's ``add_default_params``.

        :param request: the call being made.
        """

    @hookspec
    def add_default_headers(self, request: Request) -> None:
        """Add to ``request.headers``, after the driver's ``add_default_headers``.

        :param request: the call being made.
        """

    @hookspec
    def pre_connect(self, request: Request) -> None:
        """Last look before sending; runs before the driver's own pre-connect step,
        where drivers sign, so nothing changes the request after signing.

        :param request: the call being made; ``request.data`` is encoded by now.
        """

    @hookspec(firstresult=True)
    def send(self, request: Request) -> requests.Response | None:
        """Wrap each attempt to send the request.

        Implement it as a wrapper (``@nubo.hookimpl(wrapper=True)``) that yields:
        the yield returns the HTTP response of this attempt, or raises its
        :class:`~nubo.errors.TransportError`; ``request.attempt`` numbers it.
        The wrapper returns what the yield gave, or re-raises.

        :param request: the call being made.
        :returns: the ``requests.Response`` of this attempt.
        """

    @hookspec
    def on_response(
        self,
        request: Request,
        response: requests.Response,
        error: NuboError | None,
    ) -> None:
        """Observe the answer to each attempt, once the response class read it.

        :param request: the call being made.
        :param response: the HTTP response (status, headers, elapsed; its body
            was read by the response class).
        :param error: the error the answer maps to, or ``None`` for a success.
        """


@dataclass(frozen=True)
class PluginRecord:
    """What became of one installed hook plugin.

    :param name: the entry point's name, which is the plugin's name.
    :param target: the entry point's ``module:object`` value.
    :param distribution: the distribution that declares it.
    :param version: that distribution's version.
    :param status: ``"loaded"``, ``"failed"`` or ``"disabled"``.
    :param error: why it failed, for a failed one.
    """

    name: str
    target: str
    distribution: str | None
    version: str | None
    status: Literal["loaded", "failed", "disabled"]
    error: str | None = None


class _Manager:
    """The one plugin manager, with the bookkeeping around it."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(PROJECT)
        self.pm.add_hookspecs(HookSpecs)
        self.lock = threading.RLock()
        self.autoloaded = False
        self.records: list[PluginRecord] = []

        # Read on every request: true when any plugin is registered.
        self.active = False

    def refresh(self) -> None:
        self.active = bool(self.pm.get_plugins())


_MANAGER = _Manager()


def plugin_manager() -> pluggy.PluginManager:
    """Return the plugin manager, loading installed plugins on first use.

    :returns: nubo's :class:`pluggy.PluginManager`.
    """
    if not _MANAGER.autoloaded:
        autoload_plugins()
    return _MANAGER.pm


def plugins_active() -> bool:
    """Tell whether any hook plugin is registered; cheap enough for every call.

    :returns: ``True`` when hooks must be dispatched.
    """
    if not _MANAGER.autoloaded:
        autoload_plugins()
    return _MANAGER.active


def register_plugin(plugin: object, name: str | None = None) -> str:
    """Register a hook plugin, at run time.

    :param plugin: a module or object with ``@nubo.hookimpl`` functions.
    :param name: the plugin's name; by default pluggy makes one from the object.
    :returns: the name it was registered under.
    :raises PluginError: when it is registered already, or one of its functions
        names no nubo hook or takes arguments the hook does not give.
    """
    pm = plugin_manager()
    with _MANAGER.lock:
        shown = name or _plugin_name(plugin)
        try:
            registered = pm.register(plugin, name)
        except ValueError as exc:
            raise PluginError(
                f"the hook plugin {shown!r} is registered already: {exc};"
                " unregister it first or give another name",
                plugin=shown,
            ) from exc
        except pluggy.PluginValidationError as exc:
            raise PluginError(
                f"the hook plugin {shown!r} does not fit nubo's hooks: {exc};"
                f" the hooks are {', '.join(HOOK_NAMES)}",
                plugin=shown,
            ) from exc
        assert registered is not None

        try:
            pm.check_pending()
        except pluggy.PluginValidationError as exc:
            pm.unregister(plugin)
            _MANAGER.refresh()
            raise PluginError(
                f"the hook plugin {registered!r} implements a hook that nubo does not"
                f" have: {exc}; the hooks are {', '.join(HOOK_NAMES)}",
                plugin=registered,
            ) from exc

        _MANAGER.refresh()
        log.debug("registered the hook plugin %r", registered)
        return registered


def unregister_plugin(plugin: object) -> None:
    """Unregister a hook plugin; nothing happens if it is not registered.

    :param plugin: the object given to :func:`register_plugin`, or its name.
    """
    pm = plugin_manager()
    with _MANAGER.lock:
        if isinstance(plugin, str):
            obj = pm.get_plugin(plugin)
            if obj is not None:
                pm.unregister(obj)
        elif pm.is_registered(plugin):
            pm.unregister(plugin)
        _MANAGER.refresh()


def plugin_records() -> list[PluginRecord]:
    """List the installed hook plugins (the ``nubo.plugins`` entry points) and
    what became of each.

    :returns: one record per entry point, in the order they were found.
    """
    plugin_manager()
    with _MANAGER.lock:
        return list(_MANAGER.records)


def autoload_plugins() -> list[PluginRecord]:
    """Load the installed hook plugins, once.

    Each entry point of the ``nubo.plugins`` group is loaded on its own: one that
    fails to import or to register is logged once at WARNING with its
    distribution and the cause (the traceback at DEBUG), whatever it registered is
    undone, and the others load. Later calls do nothing. With the environment
    variable ``NUBO_DISABLE_PLUGIN_AUTOLOAD=1`` no entry point is loaded and each
    is recorded as ``"disabled"``.

    :returns: the records, as :func:`plugin_records` gives them.
    """
    with _MANAGER.lock:
        if _MANAGER.autoloaded:
            return list(_MANAGER.records)
        _MANAGER.autoloaded = True

        disabled = os.environ.get(DISABLE_ENV, "") == "1"
        for entry_point in importlib_metadata.entry_points(group=ENTRY_POINT_GROUP):
            _MANAGER.records.append(_load_one(entry_point, disabled))

        _MANAGER.refresh()
        return list(_MANAGER.records)


def _load_one(
    entry_point: importlib_metadata.EntryPoint, disabled: bool
) -> PluginRecord:
    dist = entry_point.dist
    distribution = dist.name if dist is not None else None
    version = dist.version if dist is not None else None

    def record(
        status: Literal["loaded", "failed", "disabled"], error: str | None = None
    ) -> PluginRecord:
        return PluginRecord(
            entry_point.name, entry_point.value, distribution, version, status, error
        )

    if disabled:
        return record("disabled")

    pm = _MANAGER.pm
    obj: object = None
    try:
        obj = entry_point.load()
        if isinstance(obj, type):
            obj = obj()
        pm.register(obj, entry_point.name)
        pm.check_pending()
    except Exception as exc:
        # Undo whatever this plugin got as far as registering.
        if obj is not None and pm.is_registered(obj):
            pm.unregister(obj)

        cause = f"{type(exc).__name__}: {_REDACTOR.text(str(exc))}"
        log.warning(
            "the hook plugin %r (%s from %s %s) failed to load and is skipped: %s",
            entry_point.name,
            entry_point.value,
            distribution,
            version,
            cause,
        )
        log.debug("why the hook plugin %r failed", entry_point.name, exc_info=True)
        return record("failed", cause)

    log.debug("loaded the hook plugin %r from %s", entry_point.name, distribution)
    return record("loaded")


def _plugin_name(plugin: object) -> str:
    return str(getattr(plugin, "__name__", None) or type(plugin).__name__)


def _reset() -> None:
    """Forget every plugin and the autoload, as if nubo had just been imported."""
    global _MANAGER
    _MANAGER = _Manager()


# -- calling the hooks ------------------------------------------------------------


def call(name: str, redactor: Redactor, **kwargs: Any) -> None:
    """Call a hook on every plugin; a plugin that raises fails the call.

    :param name: the hook's name.
    :param redactor: what hides the connection's secrets in the error.
    :param kwargs: the hook's arguments.
    :raises PluginError: naming the plugin that raised, with its error as cause.
    """
    caller = getattr(_MANAGER.pm.hook, name)
    try:
        caller(**kwargs)
    except Exception as exc:
        raise _blame(name, exc, redactor) from exc

    request = kwargs.get("request")
    problem = _misshapen(request) if request is not None else None
    if problem is not None:
        names = _implementers(caller)
        raise PluginError(
            f"the hook plugin {names} left the request unusable in its {name}"
            f" hook: {problem}; fix the plugin or unregister it",
            plugin=names,
            hook=name,
        )


def _misshapen(request: Request) -> str | None:
    """Say what is wrong with a request a hook changed, or ``None``."""
    if not isinstance(request.action, str):
        return f"the action is a {type(request.action).__name__}, not a str"
    if not isinstance(request.params, Mapping):
        return f"the params are a {type(request.params).__name__}, not a mapping"
    if not isinstance(request.headers, Mapping):
        return f"the headers are a {type(request.headers).__name__}, not a mapping"

    # Values are not shown: a header may hold a credential.
    for header, value in request.headers.items():
        if not isinstance(header, str) or not isinstance(value, str):
            return f"the header {header!r} is not a str with a str value"
        if any(c in header or c in value for c in "\r\n\0"):
            return f"the header {header!r} holds a line break or a NUL"
    return None


def _implementers(caller: Any) -> str:
    names = sorted({impl.plugin_name for impl in caller.get_hookimpls()})
    return " or ".join(repr(name) for name in names) or "'unknown'"


def call_send(
    request: Request,
    send: Callable[[Request], requests.Response],
    redactor: Redactor,
) -> requests.Response:
    """Send one attempt inside the plugins' ``send`` wrappers.

    :param request: the call being made.
    :param send: the function that sends it, for real.
    :param redactor: what hides the connection's secrets in the error.
    :returns: the HTTP response.
    :raises TransportError: what ``send`` raised, when no wrapper changed it.
    :raises PluginError: when a wrapper raised something of its own.
    """
    own: list[BaseException] = []

    def core_send(request: Request) -> requests.Response:
        try:
            return send(request)
        except BaseException as exc:
            own.append(exc)
            raise

    caller = _MANAGER.pm.hook.send
    try:
        response: requests.Response = caller.call_extra(
            [core_send], {"request": request}
        )
    except Exception as exc:
        if own and exc is own[-1]:
            raise
        raise _blame("send", exc, redactor) from exc

    if not isinstance(response, requests.Response):
        names = ", ".join(impl.plugin_name for impl in caller.get_hookimpls())
        got = "no response" if response is None else f"a {type(response).__name__}"
        raise PluginError(
            f"a send hook returned {got}, not a response (plugins: {names}); a"
            " wrapper must return what its yield gave",
            plugin=names,
            hook="send",
        )
    return response


def _blame(hook: str, exc: BaseException, redactor: Redactor) -> PluginError:
    """Make the error that names the plugin whose code raised ``exc``."""
    caller = getattr(_MANAGER.pm.hook, hook)
    impls = caller.get_hookimpls()
    codes: Mapping[CodeType, str] = {
        impl.function.__code__: impl.plugin_name
        for impl in impls
        if hasattr(impl.function, "__code__")
    }

    # The deepest frame of the traceback that is a plugin's hook function.
    culprit: str | None = None
    tb: TracebackType | None = exc.__traceback__
    while tb is not None:
        name = codes.get(tb.tb_frame.f_code)
        if name is not None:
            culprit = name
        tb = tb.tb_next
    if culprit is None:
        names = sorted({impl.plugin_name for impl in impls})
        culprit = names[0] if len(names) == 1 else " or ".join(names) or "unknown"

    scrub_exception(exc, redactor)
    where = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return PluginError(
        f"the hook plugin {culprit!r} raised in its {hook} hook: "
        f"{redactor.text(where)}; fix the plugin or unregister it",
        plugin=culprit,
        hook=hook,
    )
