"""The compute commands of the ``nubo`` command line: ``nubo -p PROVIDER nodes list``.

Each resource (``nodes``, ``sizes``, ``images``, ``locations``, ``volumes``,
``snapshots``, ``keys``) has its verbs, and each verb names the driver methods it
needs. Before anything is sent, the command checks with the driver class's
``supports`` that the provider has them, and refuses the verb otherwise. Then
every resource named on the command line is looked up, and only when all are
found does the verb act on them, one after another.

A run keeps a :class:`Journal` of what it did, so that when it stops early (an
error, Ctrl-C) it can say what was done, what was not, and what may be half
done. Exit statuses: 0 when all went well, 1 for an error from the provider or
the network, 2 for bad usage (a wrong argument, a provider that is not installed
or does not support the verb, a config file that cannot be used), 130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import difflib
import json
import logging
import os
import shlex
import shutil
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO, TypeVar

from . import _cli_config, _cli_output, _registry
from ._cli_output import Scrubber, to_record
from .compute import (
    KeyPair,
    Node,
    NodeAuthSSHKey,
    NodeDriver,
    NodeImage,
    NodeLocation,
    NodeSize,
    StorageVolume,
    VolumeSnapshot,
)
from .compute import get_driver as get_compute_driver
from .compute._keys import read_public_key_file
from .errors import (
    InvalidArgumentError,
    InvalidCredsError,
    NotFoundError,
    NotSupportedError,
    NuboError,
    ProviderNotFoundError,
    TransportError,
)

__all__ = ["RESOURCES", "Verb", "add_global_options", "add_parsers", "run"]

log = logging.getLogger(__name__)

#: The exit statuses.
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

#: How long ``--wait`` and ``nodes wait`` wait, and how often they look.
DEFAULT_TIMEOUT = 600.0
DEFAULT_INTERVAL = 3.0

# Providers whose cloud lives in the process: each command starts a new, empty
# one, so no later command can see what an earlier one made.
_IN_MEMORY = frozenset({"dummy"})

# Errors that mean the command was used wrongly, not that the provider failed.
_USAGE_ERRORS = (InvalidArgumentError, NotSupportedError, ProviderNotFoundError)


# -- options shared by every compute command ---------------------------------------


def add_global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """Add the options every compute command takes.

    They are added to the top-level parser, and again to each verb's parser with
    ``suppress``, so that they may come before or after the verb.

    :param parser: the parser.
    :param suppress: set no default, so that a value given before the verb is
        kept when the option is not repeated after it.
    """

    def default(value: object) -> object:
        return argparse.SUPPRESS if suppress else value

    group = parser.add_argument_group("provider options")
    group.add_argument(
        "-p",
        "--provider",
        metavar="PROVIDER",
        default=default(None),
        help="the provider id, such as dummy or ec2 (see `nubo providers`)",
    )
    group.add_argument(
        "--region", default=default(None), help="the provider region to work in"
    )
    group.add_argument(
        "--endpoint",
        metavar="URL",
        default=default(None),
        help="talk to a compatible server or emulator at this URL instead",
    )
    group.add_argument(
        "--profile",
        default=default(None),
        help="the profile of the config file to take settings from",
    )
    group.add_argument(
        "-o",
        "--output",
        choices=("table", "json"),
        default=default(None),
        help="table for people (the default on a terminal) or json (when piped)",
    )
    group.add_argument(
        "--debug",
        action="store_true",
        default=default(False),
        help="log nubo's requests to stderr, redacted, and show tracebacks",
    )
    group.add_argument(
        "--driver-arg",
        metavar="ex_NAME=VALUE",
        action="append",
        type=_ex_argument,
        default=default([]),
        help="a provider extra for the driver; VALUE is read as JSON when it parses",
    )


def _ex_argument(text: str) -> tuple[str, Any]:
    name, equals, raw = text.partition("=")
    name = name.strip()
    if not equals or not name.startswith("ex_") or not name.isidentifier():
        raise argparse.ArgumentTypeError(
            f"{text!r} is not ex_NAME=VALUE; provider extras start with ex_, such "
            "as ex_key_name=deploy"
        )
    try:
        value: Any = json.loads(raw)
    except ValueError:
        value = raw
    return name, value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds")
    return value


def _gib(text: str) -> int:
    if not text.isdigit() or int(text) == 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of GiB")
    return int(text)


# -- the journal -------------------------------------------------------------------


@dataclass
class Journal:
    """What a run has done so far, to say when it stops early.

    :param done: what was done, such as ``"rebooted node 'web-1' (node-a)"``.
    :param doing: what is under way, and what to tell when it is cut short.
    :param pending: what has not been started yet.
    :param kept: advice about resources made and left as they are.
    """

    done: list[str] = field(default_factory=list)
    doing: tuple[str, str] | None = None
    pending: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    @contextmanager
    def step(self, doing: str, after: str) -> Iterator[None]:
        """Record one step as under way while the block runs.

        :param doing: what the step does, ``"rebooting node 'web-1' (node-a)"``.
        :param after: what to tell, should the step be cut short: whether it may
            have happened, and how to find out.
        """
        self.doing = (doing, after)
        yield
        self.doing = None

    def summary(self) -> list[str]:
        """Say what was done, what was kept and what was not done.

        :returns: phrases, in that order; empty when there is nothing to say.
        """
        parts = []
        if self.done:
            parts.append(f"done before that: {', '.join(self.done)}")
        parts += self.kept
        if self.pending:
            parts.append(f"not done: {', '.join(self.pending)}")
        return parts


# -- a run -------------------------------------------------------------------------


@dataclass
class Context:
    """Everything a verb works with.

    :param args: the parsed command line.
    :param settings: the provider, credentials, region and endpoint.
    :param driver_cls: the provider's driver class.
    :param output: ``"table"`` or ``"json"``.
    :param out: where results go.
    :param err: where progress and errors go.
    :param scrub: what removes credentials from everything shown.
    """

    args: argparse.Namespace
    settings: _cli_config.Settings
    driver_cls: type[NodeDriver]
    output: str
    out: TextIO
    err: TextIO
    scrub: Scrubber
    journal: Journal = field(default_factory=Journal)
    _driver: NodeDriver | None = None
    _result: tuple[str, Any] | None = None

    @property
    def provider(self) -> str:
        """The provider id as the user gave it."""
        return self.settings.provider

    @property
    def driver(self) -> NodeDriver:
        """The driver, made on first use; making it sends nothing."""
        if self._driver is None:
            self._driver = _make_driver(self)
        return self._driver

    @property
    def in_memory(self) -> bool:
        """Whether the provider's cloud lives and dies with this command."""
        return getattr(self.driver_cls, "type", None) in _IN_MEMORY

    def supports(self, method: str) -> bool:
        """Say whether the provider's driver offers a method.

        :param method: a compute method's name.
        :returns: what ``driver_cls.supports`` says.
        """
        return self.driver_cls.supports(method)

    def command(self, *words: str) -> str:
        """Spell a ``nubo`` command for this provider, to suggest it.

        :param words: the resource, the verb and its arguments.
        :returns: the command, quoted for a POSIX shell.
        """
        parts = ["nubo", "-p", self.provider]
        for option in ("profile", "region", "endpoint"):
            value = getattr(self.args, option, None)
            if value:
                parts += [f"--{option}", value]
        return shlex.join([*parts, *words])

    def result(self, kind: str, data: Any) -> None:
        """Set what the run prints on stdout: a record, or a list of them.

        A list given here may still grow; it is printed when the run ends, also
        when it ends early, so that what was made is never lost.

        :param kind: the records' kind, a key of ``_cli_output.COLUMNS``.
        :param data: one record, or a list of records.
        """
        self._result = (kind, data)

    def flush_result(self, *, empty: bool = True) -> None:
        """Print the result, once.

        :param empty: print an empty list too; a run that fails before it made
            anything passes ``False``, so that nothing is printed before the error.
        """
        if self._result is None:
            return
        kind, data = self._result
        self._result = None
        if not empty and isinstance(data, list) and not data:
            return
        _cli_output.write(
            self.out, data, kind=kind, output=self.output, scrub=self.scrub
        )

    def note(self, text: str) -> None:
        """Tell a person something on stderr; nothing when stderr is no terminal.

        :param text: one line.
        """
        if _isatty(self.err):
            self.err.write(self.scrub(text) + "\n")
            self.err.flush()


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _make_driver(ctx: Context) -> NodeDriver:
    settings = ctx.settings
    kwargs: dict[str, Any] = {}
    if settings.region is not None:
        kwargs["region"] = settings.region
    if settings.endpoint is not None:
        kwargs.update(
            host=settings.endpoint.host,
            port=settings.endpoint.port,
            secure=settings.endpoint.secure,
        )
    if settings.token is not None:
        kwargs["token"] = settings.token
    kwargs.update(dict(getattr(ctx.args, "driver_arg", None) or []))

    log.debug(
        "making the %s driver %s.%s (region %s, endpoint %s)",
        ctx.provider,
        ctx.driver_cls.__module__,
        ctx.driver_cls.__qualname__,
        settings.region or "default",
        settings.endpoint.url if settings.endpoint else "default",
    )
    return ctx.driver_cls(settings.key, settings.secret, **kwargs)


def _check_credentials(ctx: Context) -> None:
    """Refuse, before any call, a provider that needs credentials none gave."""
    needed = _needed_credentials(ctx)
    settings = ctx.settings
    missing = [name for name in needed if getattr(settings, name) is None]
    if not missing:
        return

    wanted = " and ".join(_with_article(needed[name]) for name in missing)
    text = f"the {ctx.provider} provider needs {wanted}, and none was found"
    found = [name for name in needed if name not in missing]
    if found and found[0] in settings.sources:
        origin = settings.sources[found[0]]
        text += f" (its {needed[found[0]]} came from {origin})"
    raise InvalidArgumentError(
        f"{text}; {_where_credentials_go(ctx, missing)}", argument=missing[0]
    )


def _needed_credentials(ctx: Context) -> dict[str, str]:
    """The credentials the provider needs, each with the provider's word for it."""
    import inspect

    known = _cli_config.CREDENTIALS_NEEDED.get(_provider_key(ctx.provider))
    if known is not None:
        return dict(known)

    try:
        parameters = inspect.signature(ctx.driver_cls).parameters
    except (TypeError, ValueError):
        return {}
    needed = {}
    for name in ("key", "secret"):
        parameter = parameters.get(name)
        if parameter is not None and parameter.default is parameter.empty:
            needed[name] = name
    return needed


def _provider_key(provider: str) -> str:
    return provider.strip().lower().replace("_", "-")


def _with_article(word: str) -> str:
    return f"{'an' if word[0] in 'aeiou' else 'a'} {word}"


def _where_credentials_go(ctx: Context, missing: Sequence[str]) -> str:
    """Say which variables or profile entries give the missing credentials.

    Credentials are taken as a set from one place, so the place that gave some
    of them is told to give the rest, and every other place the whole set.
    """
    needed = list(_needed_credentials(ctx)) or ["key", "secret"]
    prefix = _cli_config.env_prefix(ctx.provider)
    conventional = _cli_config.CONVENTIONAL_ENV.get(_provider_key(ctx.provider), {})
    origins = set(ctx.settings.sources.get(name) for name in needed)

    def names(place: Callable[[str], str]) -> list[str]:
        whole = [place(name) for name in needed]
        if any(f"environment variable {name}" in origins for name in whole):
            return [place(name) for name in missing]
        return whole

    places = [names(lambda name: prefix + name.upper())]
    if all(name in conventional for name in needed):
        places.insert(0, names(lambda name: conventional[name][0]))

    text = f"set {' and '.join(places[0])}"
    if len(places) > 1:
        text += f" (or {' and '.join(places[1])})"
    words = _needed_credentials(ctx)
    entries = " and ".join(
        name if words.get(name, name) == name else f"{name} (the {words[name]})"
        for name in (missing if ctx.settings.profile else needed)
    )
    return (
        f"{text}, or put {entries} in a profile of the config file and name it "
        "with --profile"
    )


# -- running a verb ----------------------------------------------------------------


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Run one compute verb and turn whatever happens into an exit status.

    :param args: the parsed command line; ``args.verb`` is the :class:`Verb`.
    :param out: where results go; errors and progress go to ``sys.stderr``.
    :returns: 0, 1, 2 or 130; see the module's docstring.
    """
    err = sys.stderr
    debug = bool(getattr(args, "debug", False))
    scrub = Scrubber()
    restore = _log_to(err, debug, scrub)
    ctx: Context | None = None

    try:
        ctx = _prepare(args, out, err, scrub)
        args.verb.run(ctx, args)
        ctx.flush_result()
        return EXIT_OK
    except KeyboardInterrupt:
        _flush_quietly(ctx)
        _report_interrupt(err, ctx, scrub)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`nubo ... | head`); there is no one to tell.
        _silence(out)
        return EXIT_FAILED
    except NuboError as error:
        _flush_quietly(ctx)
        return _report_error(err, ctx, error, debug, scrub)
    except Exception as error:
        _flush_quietly(ctx)
        if debug:
            err.write(scrub("".join(traceback.format_exception(error))))
        message = f"{type(error).__name__}: {error}"
        err.write(
            scrub(
                f"nubo: error: unexpected {_one_line(message)}; rerun with --debug "
                "for the traceback, and report it to the provider's distribution\n"
            )
        )
        return EXIT_FAILED
    finally:
        restore()


def _prepare(
    args: argparse.Namespace, out: TextIO, err: TextIO, scrub: Scrubber
) -> Context:
    """Find the settings and the driver class, and check the verb is offered."""
    verb: Verb = args.verb
    settings = _cli_config.resolve_settings(
        provider=args.provider,
        profile=args.profile,
        region=args.region,
        endpoint=args.endpoint,
        environ=os.environ,
        installed=lambda: [r.name for r in _registry.providers("compute")],
    )
    scrub.add(settings.secrets())

    driver_cls = get_compute_driver(settings.provider)
    output = args.output or ("table" if _isatty(out) else "json")
    ctx = Context(args, settings, driver_cls, output, out, err, scrub)

    _check_supported(ctx, verb, args)
    _check_credentials(ctx)
    return ctx


def _check_supported(ctx: Context, verb: Verb, args: argparse.Namespace) -> None:
    for alternatives in verb.needs(args):
        if any(ctx.supports(method) for method in alternatives):
            continue

        offered = [
            f"{verb.resource} {other.name}"
            for other in RESOURCES[verb.resource]
            if all(any(ctx.supports(m) for m in alt) for alt in other.needs(None))
        ]
        methods = " or ".join(f"{m}()" for m in alternatives)
        raise NotSupportedError(
            f"the {ctx.provider} provider does not support `{verb.resource} "
            f"{verb.name}`{verb.flag_note(args)}: its driver has no {methods}; "
            f"nothing was sent. It supports: {', '.join(offered) or 'none of them'}",
            provider=ctx.provider,
            method=alternatives[0],
        )


def _report_error(
    err: TextIO, ctx: Context | None, error: NuboError, debug: bool, scrub: Scrubber
) -> int:
    if debug:
        err.write(scrub("".join(traceback.format_exception(error))))

    parts = [_one_line(str(error))]
    if ctx is not None:
        parts += _hints(ctx, error)
        parts += ctx.journal.summary()
    err.write(scrub(f"nubo: error: {'; '.join(parts)}\n"))
    return EXIT_USAGE if isinstance(error, _USAGE_ERRORS) else EXIT_FAILED


def _hints(ctx: Context, error: NuboError) -> list[str]:
    settings = ctx.settings
    if isinstance(error, InvalidCredsError):
        if not settings.secrets():
            needed = list(_needed_credentials(ctx)) or ["key", "secret"]
            return [f"no credentials were found: {_where_credentials_go(ctx, needed)}"]
        return [
            f"the credentials came from {settings.describe_credentials()}; check "
            "them, and that they belong to this region or endpoint"
        ]
    looked_up = isinstance(error, NotFoundError) or (
        isinstance(error, InvalidArgumentError) and error.argument == "--image"
    )
    if looked_up and ctx.in_memory:
        return [
            f"each `nubo -p {ctx.provider}` command starts with an empty in-memory "
            "cloud (only the catalog's sizes, images and locations), so ids made "
            "by an earlier command do not exist in this one"
        ]
    if isinstance(error, TransportError) and settings.endpoint is not None:
        origin = settings.sources.get("endpoint", "--endpoint")
        return [f"the endpoint {settings.endpoint.url} came from {origin}"]
    return []


def _report_interrupt(err: TextIO, ctx: Context | None, scrub: Scrubber) -> None:
    lines = ["nubo: interrupted"]
    if ctx is not None and ctx.journal.doing is not None:
        doing, after = ctx.journal.doing
        lines[0] += f" while {doing}; {after}"
    elif ctx is None or not (ctx.journal.done or ctx.journal.kept):
        lines[0] += "; nothing was changed"
    if ctx is not None:
        lines += [f"nubo: {part}" for part in ctx.journal.summary()]
    err.write(scrub("\n".join(lines) + "\n"))


def _flush_quietly(ctx: Context | None) -> None:
    if ctx is None:
        return
    with suppress(OSError, KeyboardInterrupt):
        ctx.flush_result(empty=False)


def _silence(out: TextIO) -> None:
    # Later writes, and the interpreter's own flush at exit, go nowhere.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, out.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _one_line(text: str) -> str:
    return " ".join(text.split())


class _Formatter(logging.Formatter):
    """Format a record, then scrub it of credentials, traceback included."""

    def __init__(self, scrub: Scrubber, fmt: str | None) -> None:
        super().__init__(fmt)
        self._scrub = scrub
        self._short = fmt is None

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if self._short:
            text = f"nubo: {record.levelname.lower()}: {text}"
        return self._scrub(text)


def _log_to(err: TextIO, debug: bool, scrub: Scrubber) -> Callable[[], None]:
    """Send nubo's log records to stderr for this run; return what undoes it."""
    logger = logging.getLogger("nubo")
    handler = logging.StreamHandler(err)
    fmt: str | None = None
    level = logging.WARNING
    if debug:
        fmt = "%(asctime)s %(levelname)s %(name)s: %(message)s"
        level = logging.DEBUG
    handler.setFormatter(_Formatter(scrub, fmt))
    handler.setLevel(level)

    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(level)

    def restore() -> None:
        logger.removeHandler(handler)
        logger.setLevel(previous)

    return restore


# -- verbs -------------------------------------------------------------------------

Needs = Sequence[tuple[str, ...]]


@dataclass(frozen=True)
class Verb:
    """One verb of a resource, such as ``nodes reboot``.

    :param resource: the resource, ``nodes``.
    :param name: the verb, ``reboot``.
    :param help: one line about it.
    :param methods: the driver methods it needs: each tuple is alternatives, of
        which the driver must offer one.
    :param arguments: adds the verb's own arguments to its parser.
    :param action: does the work.
    :param optional: more methods needed when an option is set:
        ``(option, methods)``.
    """

    resource: str
    name: str
    help: str
    methods: Needs
    arguments: Callable[[argparse.ArgumentParser], None]
    action: Callable[[Context, argparse.Namespace], None]
    optional: tuple[tuple[str, Needs], ...] = ()

    def needs(self, args: argparse.Namespace | None) -> Needs:
        """Return the methods needed, with those of the options that are set.

        :param args: the parsed command line; ``None`` for the verb alone.
        :returns: the method alternatives.
        """
        found = list(self.methods)
        for option, methods in self.optional:
            if args is not None and getattr(args, option, None):
                found += methods
        return found

    def flag_note(self, args: argparse.Namespace) -> str:
        """Name the options that add methods, when they are set.

        :param args: the parsed command line.
        :returns: such as ``" with --wait"``, or ``""``.
        """
        flags = [
            f"--{option}" for option, _ in self.optional if getattr(args, option, None)
        ]
        return f" with {' '.join(flags)}" if flags else ""

    def run(self, ctx: Context, args: argparse.Namespace) -> None:
        """Do the verb's work.

        :param ctx: the run.
        :param args: the parsed command line.
        """
        self.action(ctx, args)


def _describe(model: object) -> str:
    name = getattr(model, "name", None)
    ident = getattr(model, "id", "?")
    return f"{name!r} ({ident})" if name and name != ident else str(ident)


def _records(models: Sequence[object]) -> list[dict[str, Any]]:
    return [to_record(model) for model in models]


# Looking resources up, before any of them is acted on.

_NODE_LOOKUP = ("get_node", "list_nodes")
_IMAGE_LOOKUP = ("get_image", "list_images")
_KEY_LOOKUP = ("get_key_pair", "list_key_pairs")

_M = TypeVar("_M")


def _not_found(ctx: Context, kind: str, ident: str, listing: str) -> NotFoundError:
    return NotFoundError(
        f"no {kind} {ident!r} at the {ctx.provider} provider; see them with "
        f"`{ctx.command(listing, 'list')}`",
        provider=ctx.provider,
    )


def _pick(
    ctx: Context, listed: dict[str, _M], ids: Sequence[str], kind: str, listing: str
) -> list[_M]:
    """Pick the named resources out of a listing; every one must be there."""
    return [
        listed[ident]
        if ident in listed
        else _raise(_not_found(ctx, kind, ident, listing))
        for ident in ids
    ]


def _find_nodes(ctx: Context, ids: Sequence[str]) -> list[Node]:
    driver = ctx.driver
    if ctx.supports("get_node"):
        return [driver.get_node(ident) for ident in ids]

    listed = {node.id: node for node in driver.list_nodes()}
    return _pick(ctx, listed, ids, "node", "nodes")


def _find_volumes(ctx: Context, ids: Sequence[str]) -> list[StorageVolume]:
    listed = {volume.id: volume for volume in ctx.driver.list_volumes()}
    return _pick(ctx, listed, ids, "volume", "volumes")


def _find_images(ctx: Context, ids: Sequence[str]) -> list[NodeImage]:
    driver = ctx.driver
    if ctx.supports("get_image"):
        return [driver.get_image(ident) for ident in ids]

    listed = {image.id: image for image in driver.list_images()}
    return _pick(ctx, listed, ids, "image", "images")


def _find_key_pairs(ctx: Context, names: Sequence[str]) -> list[KeyPair]:
    driver = ctx.driver
    if ctx.supports("get_key_pair"):
        return [driver.get_key_pair(name) for name in names]

    listed = {pair.name: pair for pair in driver.list_key_pairs()}
    return _pick(ctx, listed, names, "key pair", "keys")


def _location(ctx: Context, ident: str | None, after: str = "") -> NodeLocation | None:
    if ident is None:
        return None
    if not ctx.supports("list_locations"):
        return NodeLocation(ident, ident, None, ctx.driver)

    locations = ctx.driver.list_locations()
    for location in locations:
        if location.id == ident:
            return location
    known = [location.id for location in locations]
    raise _unknown(ctx, "location", ident, known, "--location", after)


def _size(ctx: Context, ident: str, after: str = "") -> NodeSize:
    if not ctx.supports("list_sizes"):
        return NodeSize(ident, ident, None, None, None, None, ctx.driver)

    sizes = ctx.driver.list_sizes()
    for size in sizes:
        if size.id == ident:
            return size
    raise _unknown(ctx, "size", ident, [size.id for size in sizes], "--size", after)


def _image(ctx: Context, ident: str, after: str = "") -> NodeImage:
    # Listing every image can take long (EC2 has many thousands): fetch the
    # one, or let the provider check the id when the node is made.
    if not ctx.supports("get_image"):
        return NodeImage(ident, None, ctx.driver)

    try:
        return ctx.driver.get_image(ident)
    except NotFoundError as error:
        log.debug("image %r: %s", ident, error)
        raise InvalidArgumentError(
            f"the {ctx.provider} provider has no image {ident!r}; give --image one "
            f"of the ids `{ctx.command('images', 'list')}` shows{after}",
            argument="--image",
        ) from None


def _unknown(
    ctx: Context,
    kind: str,
    ident: str,
    known: Sequence[str],
    option: str,
    after: str,
) -> InvalidArgumentError:
    """Refuse an id the provider's own listing does not have."""
    close = difflib.get_close_matches(ident, known, n=3)
    guess = ""
    if close:
        guess = f" (did you mean {' or '.join(repr(c) for c in close)}?)"
    return InvalidArgumentError(
        f"the {ctx.provider} provider has no {kind} {ident!r}{guess}; give "
        f"{option} one of the ids `{ctx.command(f'{kind}s', 'list')}` shows{after}",
        argument=option,
    )


def _raise(error: NuboError) -> Any:
    raise error


def _no_arguments(parser: argparse.ArgumentParser) -> None:
    return None


def _location_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--location", metavar="ID", help="only those of a location")


def _ids(what: str) -> Callable[[argparse.ArgumentParser], None]:
    def add(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("ids", nargs="+", metavar=what.upper(), help=f"{what}s")

    return add


def _wait_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"how long to wait in all (default {DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument(
        "--interval",
        type=_seconds,
        default=DEFAULT_INTERVAL,
        metavar="SECONDS",
        help=f"how long between two looks (default {DEFAULT_INTERVAL:g})",
    )


#: For each action: what it is called while under way, and once done.
_ACTION_WORDS = {
    "reboot": ("rebooting", "rebooted"),
    "start": ("starting", "started"),
    "stop": ("stopping", "stopped"),
    "destroy": ("destroying", "destroyed"),
    "delete": ("deleting", "deleted"),
    "attach": ("attaching", "attached"),
    "detach": ("detaching", "detached"),
}


def _act_on_each(
    ctx: Context,
    kind: str,
    models: Sequence[Any],
    action: str,
    call: Callable[[Any], bool],
    check: Callable[[Any], str],
) -> None:
    """Apply one action to resources in turn, recording each in the journal."""
    results: list[dict[str, Any]] = []
    ctx.result("action", results)
    ctx.journal.pending = [_describe(model) for model in models]
    doing, done = _ACTION_WORDS[action]

    for model in models:
        ctx.journal.pending.pop(0)
        described = f"{kind} {_describe(model)}"
        with ctx.journal.step(f"{doing} {described}", check(model)):
            accepted = call(model)
        outcome = done if accepted else f"refused to {action}"
        ctx.journal.done.append(f"{outcome} {described}")
        results.append(
            {
                "id": model.id,
                "name": getattr(model, "name", None),
                "action": action,
                "accepted": bool(accepted),
                "result": f"{action}: {'accepted' if accepted else 'refused'}",
            }
        )


# nodes


def _nodes_list(ctx: Context, args: argparse.Namespace) -> None:
    ctx.result("node", _records(ctx.driver.list_nodes()))


def _nodes_show(ctx: Context, args: argparse.Namespace) -> None:
    [node] = _find_nodes(ctx, [args.id])
    ctx.result("node", to_record(node))


def _node_id_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id", metavar="NODE", help="the node's id")


def _image_id_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id", metavar="IMAGE", help="the image's id")


def _nodes_create_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="+", metavar="NAME", help="names of the nodes")
    parser.add_argument("--size", required=True, metavar="ID", help="the size's id")
    parser.add_argument("--image", required=True, metavar="ID", help="the image's id")
    parser.add_argument("--location", metavar="ID", help="the location's id")
    parser.add_argument(
        "--ssh-key",
        metavar="FILE",
        help="an OpenSSH public key file (.pub) to log in with",
    )
    parser.add_argument(
        "--ex",
        metavar="ex_NAME=VALUE",
        action="append",
        type=_ex_argument,
        default=[],
        help="a provider extra for create_node; VALUE is read as JSON when it parses",
    )
    parser.add_argument("--wait", action="store_true", help="wait until the nodes run")
    _wait_arguments(parser)


def _nodes_create(ctx: Context, args: argparse.Namespace) -> None:
    auth = None
    if args.ssh_key is not None:
        if "ssh_key" not in ctx.driver_cls.features.get("create_node", []):
            raise InvalidArgumentError(
                f"the {ctx.provider} provider takes no SSH key for a new node; "
                "drop --ssh-key",
                argument="--ssh-key",
            )
        auth = NodeAuthSSHKey(read_public_key_file(args.ssh_key))

    # Every id is checked before the first node is made.
    after = "; no node was created"
    size = _size(ctx, args.size, after)
    image = _image(ctx, args.image, after)
    location = _location(ctx, args.location, after)
    extras = dict(args.ex)

    created: list[Node] = []
    records: list[dict[str, Any]] = []
    ctx.result("node", records)
    ctx.journal.pending = list(args.names)
    for name in args.names:
        ctx.journal.pending.pop(0)
        with ctx.journal.step(
            f"creating node {name!r}",
            f"it may have been made: see with `{ctx.command('nodes', 'list')}`",
        ):
            node = ctx.driver.create_node(
                name, size, image, location=location, auth=auth, **extras
            )
        created.append(node)
        records.append(to_record(node))
        ctx.journal.done.append(f"created node {_describe(node)}")
        _keep_nodes(ctx, created)

    if args.wait:
        _wait(ctx, created, args, records)


def _keep_nodes(ctx: Context, nodes: Sequence[Node]) -> None:
    if ctx.in_memory:
        ctx.journal.kept = [
            "the nodes made lived in this command's in-memory cloud and are gone "
            "with it"
        ]
        return

    ids = [node.id for node in nodes]
    ctx.journal.kept = [
        f"the nodes made are left as they are: wait for them with "
        f"`{ctx.command('nodes', 'wait', *ids)}`, or destroy them with "
        f"`{ctx.command('nodes', 'destroy', *ids)}`"
    ]


def _nodes_wait(ctx: Context, args: argparse.Namespace) -> None:
    nodes = _find_nodes(ctx, args.ids)
    records: list[dict[str, Any]] = []
    ctx.result("node", records)
    _wait(ctx, nodes, args, records)


def _wait(
    ctx: Context,
    nodes: Sequence[Node],
    args: argparse.Namespace,
    records: list[dict[str, Any]],
) -> None:
    """Wait for nodes to run, showing progress on a terminal; fill ``records``."""
    progress = _Progress(ctx, nodes) if _isatty(ctx.err) else None
    ctx.note(
        f"waiting for {len(nodes)} node(s) to run, up to {args.timeout:g} s; "
        "Ctrl-C stops waiting and leaves the nodes as they are"
    )

    ids = " ".join(node.id for node in nodes)
    try:
        with ctx.journal.step(
            f"waiting for node(s) {ids} to run",
            "waiting changed nothing",
        ):
            ready = ctx.driver.wait_until_running(
                nodes,
                wait_period=max(args.interval, 0.01),
                timeout=args.timeout,
                progress=progress,
            )
    finally:
        if progress is not None:
            progress.close()

    records[:] = [to_record(node) for node, _ in ready]


class _Progress:
    """Show the state of each awaited node, and the time waited, on one line."""

    def __init__(self, ctx: Context, nodes: Sequence[Node]) -> None:
        self._ctx = ctx
        self._order = [node.id for node in nodes]
        self._names = {node.id: node.name or node.id for node in nodes}
        self._shown = False

    def __call__(
        self, ready: Sequence[Node], pending: Sequence[Node], elapsed: float
    ) -> None:
        states = {node.id: "running" for node in ready}
        for node in pending:
            state = node.state.value
            states[node.id] = "running, no address yet" if state == "running" else state

        parts = [f"{self._names[i]} {states.get(i, '?')}" for i in self._order]
        line = f"{elapsed:4.0f} s  {len(ready)}/{len(self._order)} ready: "
        line += ", ".join(parts)
        width = max(_columns(self._ctx.err) - 1, 20)
        self._ctx.err.write("\r\x1b[K" + self._ctx.scrub(_printable(line))[:width])
        self._ctx.err.flush()
        self._shown = True

    def close(self) -> None:
        """End the progress line."""
        if self._shown:
            self._ctx.err.write("\n")
            self._ctx.err.flush()


def _columns(stream: TextIO) -> int:
    """The width of the terminal a stream writes to; ``COLUMNS`` comes first."""
    columns = shutil.get_terminal_size((0, 0)).columns
    if columns <= 0:
        try:
            columns = os.get_terminal_size(stream.fileno()).columns
        except (OSError, ValueError, AttributeError):
            columns = 0
    return columns if columns > 0 else 80


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def _node_action(
    method: str, action: str
) -> Callable[[Context, argparse.Namespace], None]:
    def act(ctx: Context, args: argparse.Namespace) -> None:
        nodes = _find_nodes(ctx, args.ids)
        call = getattr(ctx.driver, method)
        _act_on_each(
            ctx,
            "node",
            nodes,
            action,
            call,
            lambda node: (
                f"it may have happened: check with "
                f"`{ctx.command('nodes', 'show', node.id)}`"
            ),
        )

    return act


# sizes, images, locations


def _sizes_list(ctx: Context, args: argparse.Namespace) -> None:
    location = _location(ctx, args.location)
    ctx.result("size", _records(ctx.driver.list_sizes(location)))


def _locations_list(ctx: Context, args: argparse.Namespace) -> None:
    ctx.result("location", _records(ctx.driver.list_locations()))


def _images_list(ctx: Context, args: argparse.Namespace) -> None:
    location = _location(ctx, args.location)
    ctx.result("image", _records(ctx.driver.list_images(location)))


def _images_show(ctx: Context, args: argparse.Namespace) -> None:
    [image] = _find_images(ctx, [args.id])
    ctx.result("image", to_record(image))


def _images_create_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("node", metavar="NODE", help="the node to image")
    parser.add_argument("name", metavar="NAME", help="the image's name")
    parser.add_argument("--description", help="a description of the image")


def _images_create(ctx: Context, args: argparse.Namespace) -> None:
    [node] = _find_nodes(ctx, [args.node])
    with ctx.journal.step(
        f"making image {args.name!r} of node {_describe(node)}",
        f"it may have been made: see with `{ctx.command('images', 'list')}`",
    ):
        image = ctx.driver.create_image(node, args.name, args.description)
    ctx.result("image", to_record(image))


def _images_delete(ctx: Context, args: argparse.Namespace) -> None:
    images = _find_images(ctx, args.ids)
    _act_on_each(
        ctx,
        "image",
        images,
        "delete",
        ctx.driver.delete_image,
        lambda image: (
            f"it may have happened: check with "
            f"`{ctx.command('images', 'show', image.id)}`"
        ),
    )


# volumes and snapshots


def _volumes_list(ctx: Context, args: argparse.Namespace) -> None:
    ctx.result("volume", _records(ctx.driver.list_volumes()))


def _volumes_create_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME", help="the volume's name")
    parser.add_argument(
        "--size", required=True, type=_gib, metavar="GIB", help="its size, in GiB"
    )
    parser.add_argument("--location", metavar="ID", help="the location's id")
    parser.add_argument("--snapshot", metavar="ID", help="a snapshot to fill it from")


def _volumes_create(ctx: Context, args: argparse.Namespace) -> None:
    location = _location(ctx, args.location)
    snapshot = None
    if args.snapshot is not None:
        snapshot = VolumeSnapshot(args.snapshot, ctx.driver)

    with ctx.journal.step(
        f"creating volume {args.name!r}",
        f"it may have been made: see with `{ctx.command('volumes', 'list')}`",
    ):
        volume = ctx.driver.create_volume(args.size, args.name, location, snapshot)
    ctx.result("volume", to_record(volume))


def _volumes_attach_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("volume", metavar="VOLUME", help="the volume's id")
    parser.add_argument("node", metavar="NODE", help="the node's id")
    parser.add_argument("--device", help="the device name on the node, /dev/vdb")


def _volumes_attach(ctx: Context, args: argparse.Namespace) -> None:
    [volume] = _find_volumes(ctx, [args.volume])
    [node] = _find_nodes(ctx, [args.node])
    _act_on_each(
        ctx,
        "volume",
        [volume],
        "attach",
        lambda v: ctx.driver.attach_volume(node, v, args.device),
        lambda v: (
            f"it may have happened: check with `{ctx.command('volumes', 'list')}`"
        ),
    )


def _volume_action(
    method: str, action: str
) -> Callable[[Context, argparse.Namespace], None]:
    def act(ctx: Context, args: argparse.Namespace) -> None:
        volumes = _find_volumes(ctx, args.ids)
        _act_on_each(
            ctx,
            "volume",
            volumes,
            action,
            getattr(ctx.driver, method),
            lambda v: (
                f"it may have happened: check with `{ctx.command('volumes', 'list')}`"
            ),
        )

    return act


def _volume_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("volume", metavar="VOLUME", help="the volume's id")


def _snapshots_list(ctx: Context, args: argparse.Namespace) -> None:
    [volume] = _find_volumes(ctx, [args.volume])
    ctx.result("snapshot", _records(ctx.driver.list_volume_snapshots(volume)))


def _snapshots_create_arguments(parser: argparse.ArgumentParser) -> None:
    _volume_argument(parser)
    parser.add_argument("--name", help="the snapshot's name")


def _snapshots_create(ctx: Context, args: argparse.Namespace) -> None:
    [volume] = _find_volumes(ctx, [args.volume])
    with ctx.journal.step(
        f"taking a snapshot of volume {_describe(volume)}",
        f"it may have been taken: see with "
        f"`{ctx.command('snapshots', 'list', volume.id)}`",
    ):
        snapshot = ctx.driver.create_volume_snapshot(volume, args.name)
    ctx.result("snapshot", to_record(snapshot))


def _snapshots_destroy(ctx: Context, args: argparse.Namespace) -> None:
    # The contract lists snapshots per volume only, so a snapshot is named by
    # its id alone and the provider checks it.
    snapshots = [VolumeSnapshot(ident, ctx.driver) for ident in args.ids]
    _act_on_each(
        ctx,
        "snapshot",
        snapshots,
        "destroy",
        ctx.driver.destroy_volume_snapshot,
        lambda s: (
            "it may have happened: check with "
            f"`{ctx.command('snapshots', 'list', 'VOLUME')}`"
        ),
    )


# key pairs


def _keys_list(ctx: Context, args: argparse.Namespace) -> None:
    ctx.result("key_pair", _records(ctx.driver.list_key_pairs()))


def _keys_create_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME", help="the key pair's name")
    parser.add_argument(
        "--private-key-file",
        required=True,
        metavar="PATH",
        help="a new file to save the private key in, readable by you alone",
    )


def _keys_create(ctx: Context, args: argparse.Namespace) -> None:
    path = Path(args.private_key_file).expanduser()
    # The file is made first, so that a key the provider makes always has a
    # place to go; the private key is shown nowhere else.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InvalidArgumentError(
            f"{path} exists; give --private-key-file a path that does not, so "
            "that no key is overwritten",
            argument="--private-key-file",
        ) from None
    except OSError as error:
        raise InvalidArgumentError(
            f"cannot make {path}: {error.strerror}; give --private-key-file a "
            "path in a directory you can write to",
            argument="--private-key-file",
        ) from None

    try:
        with ctx.journal.step(
            f"creating key pair {args.name!r}",
            f"it may have been made, and then its private key is lost: see with "
            f"`{ctx.command('keys', 'list')}`, and delete it with "
            f"`{ctx.command('keys', 'delete', args.name)}`",
        ):
            pair = ctx.driver.create_key_pair(args.name)
    except BaseException:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise

    delete = ctx.command("keys", "delete", pair.name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(pair.private_key or "")
    except OSError as error:
        raise InvalidArgumentError(
            f"key pair {pair.name!r} was made but its private key could not be "
            f"saved in {path}: {error.strerror}; delete the pair with `{delete}` "
            "and make it again",
            argument="--private-key-file",
        ) from None

    record = to_record(pair)
    if pair.private_key:
        extra = record.pop("extra")
        record["private_key_file"] = str(path.resolve())
        record["extra"] = extra
    else:
        path.unlink(missing_ok=True)
        log.warning(
            "the %s provider gave no private key for %r", ctx.provider, pair.name
        )
    ctx.result("key_pair", record)


def _keys_import_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME", help="the key pair's name")
    parser.add_argument(
        "--public-key-file",
        required=True,
        metavar="PATH",
        help="the OpenSSH public key file (.pub) to give the provider",
    )


def _keys_import(ctx: Context, args: argparse.Namespace) -> None:
    with ctx.journal.step(
        f"importing key pair {args.name!r}",
        f"it may have been made: see with `{ctx.command('keys', 'list')}`",
    ):
        pair = ctx.driver.import_key_pair_from_file(args.name, args.public_key_file)
    ctx.result("key_pair", to_record(pair))


def _keys_delete(ctx: Context, args: argparse.Namespace) -> None:
    pairs = _find_key_pairs(ctx, args.ids)
    _act_on_each(
        ctx,
        "key pair",
        pairs,
        "delete",
        ctx.driver.delete_key_pair,
        lambda pair: (
            f"it may have happened: check with `{ctx.command('keys', 'list')}`"
        ),
    )


def _key_names(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ids", nargs="+", metavar="NAME", help="key pair names")


def _nodes_verbs() -> list[Verb]:
    actions = [
        ("reboot", "reboot_node", "reboot", "reboot nodes"),
        ("start", "start_node", "start", "start stopped nodes"),
        ("stop", "stop_node", "stop", "stop nodes, keeping their disks"),
        ("destroy", "destroy_node", "destroy", "destroy nodes for good"),
    ]
    verbs = [
        Verb(
            "nodes",
            "list",
            "list the nodes",
            [("list_nodes",)],
            _no_arguments,
            _nodes_list,
        ),
        Verb(
            "nodes",
            "show",
            "show one node",
            [_NODE_LOOKUP],
            _node_id_argument,
            _nodes_show,
        ),
        Verb(
            "nodes",
            "create",
            "create nodes, and with --wait, wait until they run",
            [("create_node",)],
            _nodes_create_arguments,
            _nodes_create,
            optional=(("wait", [("wait_until_running",)]),),
        ),
    ]
    verbs += [
        Verb(
            "nodes",
            name,
            text,
            [(method,), _NODE_LOOKUP],
            _ids("node"),
            _node_action(method, action),
        )
        for name, method, action, text in actions
    ]
    verbs.append(
        Verb(
            "nodes",
            "wait",
            "wait until nodes run and have an address",
            [("wait_until_running",), _NODE_LOOKUP],
            _wait_ids_arguments,
            _nodes_wait,
        )
    )
    return verbs


def _wait_ids_arguments(parser: argparse.ArgumentParser) -> None:
    _ids("node")(parser)
    _wait_arguments(parser)


#: Every resource's verbs, in the order ``--help`` shows them.
RESOURCES: dict[str, list[Verb]] = {
    "nodes": _nodes_verbs(),
    "sizes": [
        Verb(
            "sizes",
            "list",
            "list the sizes",
            [("list_sizes",)],
            _location_argument,
            _sizes_list,
        ),
    ],
    "images": [
        Verb(
            "images",
            "list",
            "list the images",
            [("list_images",)],
            _location_argument,
            _images_list,
        ),
        Verb(
            "images",
            "show",
            "show one image",
            [_IMAGE_LOOKUP],
            _image_id_argument,
            _images_show,
        ),
        Verb(
            "images",
            "create",
            "make an image of a node",
            [("create_image",), _NODE_LOOKUP],
            _images_create_arguments,
            _images_create,
        ),
        Verb(
            "images",
            "delete",
            "delete images",
            [("delete_image",), _IMAGE_LOOKUP],
            _ids("image"),
            _images_delete,
        ),
    ],
    "locations": [
        Verb(
            "locations",
            "list",
            "list the locations",
            [("list_locations",)],
            _no_arguments,
            _locations_list,
        ),
    ],
    "volumes": [
        Verb(
            "volumes",
            "list",
            "list the volumes",
            [("list_volumes",)],
            _no_arguments,
            _volumes_list,
        ),
        Verb(
            "volumes",
            "create",
            "create a volume",
            [("create_volume",)],
            _volumes_create_arguments,
            _volumes_create,
        ),
        Verb(
            "volumes",
            "attach",
            "attach a volume to a node",
            [("attach_volume",), ("list_volumes",), _NODE_LOOKUP],
            _volumes_attach_arguments,
            _volumes_attach,
        ),
        Verb(
            "volumes",
            "detach",
            "detach volumes from their nodes",
            [("detach_volume",), ("list_volumes",)],
            _ids("volume"),
            _volume_action("detach_volume", "detach"),
        ),
        Verb(
            "volumes",
            "destroy",
            "destroy volumes and their data",
            [("destroy_volume",), ("list_volumes",)],
            _ids("volume"),
            _volume_action("destroy_volume", "destroy"),
        ),
    ],
    "snapshots": [
        Verb(
            "snapshots",
            "list",
            "list the snapshots of a volume",
            [("list_volume_snapshots",), ("list_volumes",)],
            _volume_argument,
            _snapshots_list,
        ),
        Verb(
            "snapshots",
            "create",
            "take a snapshot of a volume",
            [("create_volume_snapshot",), ("list_volumes",)],
            _snapshots_create_arguments,
            _snapshots_create,
        ),
        Verb(
            "snapshots",
            "destroy",
            "destroy snapshots",
            [("destroy_volume_snapshot",)],
            _ids("snapshot"),
            _snapshots_destroy,
        ),
    ],
    "keys": [
        Verb(
            "keys",
            "list",
            "list the key pairs",
            [("list_key_pairs",)],
            _no_arguments,
            _keys_list,
        ),
        Verb(
            "keys",
            "create",
            "have the provider make a key pair; save its private key",
            [("create_key_pair",)],
            _keys_create_arguments,
            _keys_create,
        ),
        Verb(
            "keys",
            "import",
            "give the provider a public key of yours",
            [("import_key_pair_from_file",)],
            _keys_import_arguments,
            _keys_import,
        ),
        Verb(
            "keys",
            "delete",
            "delete key pairs",
            [("delete_key_pair",), _KEY_LOOKUP],
            _key_names,
            _keys_delete,
        ),
    ],
}

_RESOURCE_HELP = {
    "nodes": "list, show, create, reboot, start, stop, destroy and wait for nodes",
    "sizes": "list the sizes nodes can be made with",
    "images": "list, show, create and delete images",
    "locations": "list the locations nodes can be made in",
    "volumes": "list, create, attach, detach and destroy volumes",
    "snapshots": "list, create and destroy volume snapshots",
    "keys": "list, create, import and delete key pairs",
}


def add_parsers(subcommands: Any) -> None:
    """Add a parser for every resource and its verbs.

    :param subcommands: the top-level parser's subparsers action.
    """
    for resource, verbs in RESOURCES.items():
        parser = subcommands.add_parser(
            resource,
            help=_RESOURCE_HELP[resource],
            description=f"{_RESOURCE_HELP[resource][0].upper()}"
            f"{_RESOURCE_HELP[resource][1:]}, on the provider given with -p.",
        )
        verb_parsers = parser.add_subparsers(
            title="verbs", metavar="VERB", dest="verb_name", required=True
        )
        for verb in verbs:
            verb_parser = verb_parsers.add_parser(
                verb.name,
                help=verb.help,
                description=verb.help[0].upper() + verb.help[1:] + ".",
            )
            verb.arguments(verb_parser)
            add_global_options(verb_parser, suppress=True)
            verb_parser.set_defaults(command=run, verb=verb)
