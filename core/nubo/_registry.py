"""Finding provider drivers at run time: entry points and run-time registrations.

A provider is a separately installed distribution that declares an entry point in
the group ``nubo.<family>`` (``nubo.compute`` for compute drivers): the entry
point's name is the provider id, its value the ``module:DriverClass`` target. A
program can also add a driver at run time with :func:`register_driver`; such a
registration wins over any entry point with the same id.

Nothing here runs when ``nubo`` is imported. The first lookup in a family scans
that family's entry points once, reading metadata only; a provider's module is
imported only when that provider is asked for, and the class it yields is cached.
:func:`refresh_providers` forgets the scan, for a long-running process that
installed or removed a distribution. One lock guards the scan and every load, so
the functions may be called from many threads at once.
"""

from __future__ import annotations

import importlib
import logging
import re
import threading
from dataclasses import dataclass, field
from typing import Final, Literal, Protocol

from . import _contract
from ._driver import BaseDriver
from ._version import __version__
from .errors import (
    IncompatibleProviderError,
    InvalidArgumentError,
    ProviderConflictError,
    ProviderLoadError,
    ProviderLookupError,
    ProviderNotFoundError,
)

__all__ = [
    "ProviderRecord",
    "get_driver",
    "providers",
    "refresh_providers",
    "register_driver",
    "unregister_driver",
]

log = logging.getLogger(__name__)

#: What a provider record's ``status`` can be.
ProviderStatus = Literal[
    "available", "loaded", "registered", "conflict", "failed", "incompatible"
]

#: Providers that nubo knows of, per family, and the distribution that ships each
#: one, so that asking for one that is not installed says what to install.
KNOWN_PROVIDERS: Final[dict[str, dict[str, str]]] = {
    "compute": {
        "dummy": "nubo-dummy",
        "ec2": "nubo-ec2",
        "digitalocean": "nubo-digitalocean",
    },
}

# A family name becomes part of an entry point group name; ``plugins`` is taken by
# the hook plugins.
_FAMILY_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_RESERVED_FAMILIES = frozenset({"plugins"})

# module or module:attribute.path, with optional [extras] that nubo ignores.
_TARGET_RE = re.compile(
    r"^\s*(?P<module>[\w.]+)\s*(:\s*(?P<attr>[\w.]+))?\s*(\[[^\]]*\])?\s*$"
)

_lock = threading.RLock()

# How many times a family's entry points were scanned; read by the tests that
# check that importing nubo scans nothing.
_scan_count = 0


@dataclass(frozen=True)
class ProviderRecord:
    """What nubo knows about one provider, read without importing its module.

    ``status`` is one of:

    ``available``
        declared by an installed distribution and not imported yet;
    ``loaded``
        imported and accepted: :func:`get_driver` returns the cached class;
    ``registered``
        added at run time with :func:`register_driver`, which wins over any entry
        point with the same id;
    ``conflict``
        claimed by two distributions with different targets:
        :func:`get_driver` raises :class:`~nubo.errors.ProviderConflictError`;
    ``failed``
        its module did not import, or its target is not a driver class:
        :func:`get_driver` raises :class:`~nubo.errors.ProviderLoadError`;
    ``incompatible``
        its driver was written for another ``CONTRACT_VERSION``:
        :func:`get_driver` raises :class:`~nubo.errors.IncompatibleProviderError`.

    :param name: the provider id, as its distribution or registration spells it.
    :param target: the ``module:Class`` the id points at; for a conflict, the
        targets of every claim joined by ``" | "``.
    :param distribution: the distribution that declares it; ``None`` for a
        run-time registration; for a conflict, every claimant joined by ``", "``.
    :param version: that distribution's version, or ``None``.
    :param status: the state of the provider, as above.
    :param error: what went wrong and what to do, for ``conflict``, ``failed``
        and ``incompatible``; ``None`` otherwise.
    """

    name: str
    target: str
    distribution: str | None
    version: str | None
    status: ProviderStatus
    error: str | None = None


class _Distribution(Protocol):
    """What the scan reads from a distribution besides its entry points."""

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...


class Claim:
    """One entry point: its name, its target and the distribution declaring it.

    The distribution's name and version are read from its metadata the first
    time they are asked for: a lookup that needs neither does not parse it.

    :param name: the entry point's name.
    :param target: its value, ``module:attribute``.
    :param dist: the distribution that declares it.
    """

    __slots__ = ("_dist", "_identity", "name", "target")

    def __init__(self, name: str, target: str, dist: _Distribution) -> None:
        self.name = name
        self.target = target
        self._dist = dist
        self._identity: tuple[str | None, str | None] | None = None

    @property
    def distribution(self) -> str | None:
        """The distribution's name, or ``None`` where its metadata has none."""
        return self._read_identity()[0]

    @property
    def version(self) -> str | None:
        """The distribution's version, or ``None`` where its metadata has none."""
        return self._read_identity()[1]

    def describe(self) -> str:
        """Say which distribution this is, for messages.

        :returns: ``distribution NAME VERSION``.
        """
        return _describe_dist(self.distribution, self.version)

    def _read_identity(self) -> tuple[str | None, str | None]:
        if self._identity is None:
            self._identity = _dist_identity(self._dist)
        return self._identity

    def __repr__(self) -> str:
        return f"<Claim {self.name} = {self.target}>"


@dataclass
class _Entry:
    """One provider id in a family, and what loading it gave so far."""

    name: str
    claims: list[Claim] = field(default_factory=list)
    driver: type[BaseDriver] | None = None
    status: ProviderStatus = "available"
    # The original exception of a failed load, kept so that each later lookup
    # raises a fresh error with the same cause instead of importing again.
    cause: BaseException | None = None
    found_version: object = None


@dataclass
class _Registration:
    """A driver added at run time with :func:`register_driver`."""

    name: str
    target: str
    driver: type[BaseDriver] | None = None
    status: ProviderStatus = "registered"
    cause: BaseException | None = None
    found_version: object = None


# family -> normalized id -> entry, filled by the first lookup in that family.
_scanned: dict[str, dict[str, _Entry]] = {}

# family -> normalized id -> run-time registration; kept across refreshes.
_registered: dict[str, dict[str, _Registration]] = {}


def normalize_id(provider: str) -> str:
    """Return the form of a provider id that lookups compare.

    Ids match case-insensitively, with ``-`` and ``_`` alike.

    :param provider: a provider id as a user or a distribution spells it.
    :returns: the id in lower case, with ``_`` turned into ``-``.
    """
    return provider.strip().lower().replace("_", "-")


def get_driver(provider: str, family: str = "compute") -> type[BaseDriver]:
    """Return the driver class of an installed or registered provider.

    The first call in a family scans its entry points; the provider's module is
    imported on the first call for that provider, and its class is cached.

    :param provider: the provider id (``"ec2"``); case and ``-``/``_`` do not
        matter.
    :param family: the driver family, which names the entry point group
        ``nubo.<family>``.
    :returns: the driver class, a subclass of :class:`~nubo.BaseDriver`.
    :raises ~nubo.errors.ProviderNotFoundError: no provider has that id.
    :raises ~nubo.errors.ProviderConflictError: two distributions claim the id
        with different targets.
    :raises ~nubo.errors.ProviderLoadError: the provider's module failed to
        import, or its target is not a driver class.
    :raises ~nubo.errors.IncompatibleProviderError: the driver was written for
        another ``CONTRACT_VERSION``.
    :raises ~nubo.errors.InvalidArgumentError: ``provider`` or ``family`` is not
        a valid name.
    """
    key = _check_id(provider)
    _check_family(family)

    with _lock:
        registration = _registered.get(family, {}).get(key)
        if registration is not None:
            return _load_registration(registration, family)

        entry = _scan(family).get(key)
        if entry is None:
            raise _not_found(provider, key, family)

        return _load_entry(entry, family)


def providers(family: str = "compute") -> list[ProviderRecord]:
    """List every provider of a family that is installed or registered.

    The list is read from distribution metadata and the run-time registrations;
    it imports no plugin module. A provider that was already asked for shows the
    outcome of loading it.

    :param family: the driver family.
    :returns: one record per provider id, sorted by id.
    :raises ~nubo.errors.InvalidArgumentError: ``family`` is not a valid name.
    """
    _check_family(family)

    with _lock:
        records: dict[str, ProviderRecord] = {}
        for key, entry in _scan(family).items():
            records[key] = _entry_record(entry, family)
        for key, registration in _registered.get(family, {}).items():
            records[key] = _registration_record(registration, family)

    return [records[key] for key in sorted(records)]


def refresh_providers() -> None:
    """Forget every scan and every class loaded from an entry point.

    The next lookup scans the entry points again, so a long-running process sees
    distributions installed or removed since its first lookup. Run-time
    registrations are kept; one whose lazy target failed to load is tried again.
    Modules already imported stay imported.
    """
    # The import system caches directory listings too; files written since would
    # stay unseen for up to the file system's timestamp granularity.
    importlib.invalidate_caches()

    with _lock:
        _scanned.clear()
        for table in _registered.values():
            for registration in table.values():
                if registration.driver is None:
                    registration.status = "registered"
                    registration.cause = None
                    registration.found_version = None

    log.debug("provider scans forgotten; the next lookup scans again")


def register_driver(
    provider: str,
    target: type[BaseDriver] | str,
    family: str = "compute",
    replace: bool = False,
) -> None:
    """Add a provider at run time.

    A registration wins over an installed entry point with the same id.
    Registering the same target again does nothing; another target for an id
    that is registered or installed needs ``replace=True``.

    :param provider: the provider id to register.
    :param target: the driver class, or a ``"module:Class"`` string that is
        imported on the first lookup.
    :param family: the driver family.
    :param replace: replace a registration or an installed provider that has
        another target.
    :raises ~nubo.errors.ProviderConflictError: the id is taken by another
        target and ``replace`` is false.
    :raises ~nubo.errors.ProviderLoadError: ``target`` is a class that is not a
        driver.
    :raises ~nubo.errors.IncompatibleProviderError: ``target`` is a driver class
        written for another ``CONTRACT_VERSION``.
    :raises ~nubo.errors.InvalidArgumentError: ``provider``, ``family`` or a
        string ``target`` is malformed.
    """
    key = _check_id(provider)
    _check_family(family)

    # A class is checked now, so that a mistake shows where it is made.
    if isinstance(target, str):
        target_text = _check_target(target)
        driver = None
    elif isinstance(target, type):
        target_text = _class_target(target)
        driver = _check_driver(target, provider, target_text, None, family)
    else:
        raise InvalidArgumentError(
            f"cannot register {target!r} as the {family} provider {provider!r}: "
            "give a driver class or a 'module:Class' string",
            argument="target",
        )

    with _lock:
        table = _registered.setdefault(family, {})
        current = table.get(key)
        if current is not None and _same_target(current, target_text, driver):
            return

        if not replace:
            taken = _taken_by(key, family, current, target_text)
            if taken is not None:
                raise ProviderConflictError(
                    f"the {family} provider {provider!r} is already {taken[0]}; "
                    "pass replace=True to register_driver() to replace it, or "
                    "register under another id",
                    provider=provider,
                    family=family,
                    claims=[taken[1], ("(run time)", "", target_text)],
                )

        table[key] = _Registration(
            name=provider,
            target=target_text,
            driver=driver,
        )

    log.debug("registered %s provider %r -> %s", family, provider, target_text)


def unregister_driver(provider: str, family: str = "compute") -> None:
    """Undo :func:`register_driver`.

    An installed entry point with the same id, if there is one, is used again.

    :param provider: the provider id that was registered.
    :param family: the driver family.
    :raises ~nubo.errors.ProviderNotFoundError: no provider with that id was
        registered at run time.
    """
    key = _check_id(provider)
    _check_family(family)

    with _lock:
        table = _registered.get(family, {})
        if key not in table:
            installed = [table[k].name for k in sorted(table)]
            raise ProviderNotFoundError(
                f"no {family} provider {provider!r} was registered at run time, so "
                "there is nothing to unregister; registered at run time: "
                f"{', '.join(installed) or 'none'}",
                provider=provider,
                family=family,
                installed=installed,
            )
        del table[key]

    log.debug("unregistered %s provider %r", family, provider)


# -- scanning ------------------------------------------------------------------------


def _scan(family: str) -> dict[str, _Entry]:
    """Return the family's entries, scanning its entry point group the first time.

    The caller holds the lock.
    """
    cached = _scanned.get(family)
    if cached is not None:
        return cached

    global _scan_count
    _scan_count += 1

    group = f"nubo.{family}"
    entries: dict[str, _Entry] = {}
    for claim in read_entry_points(group):
        _add_claim(entries, claim, family)

    for key, entry in entries.items():
        if len(entry.claims) > 1:
            entry.status = "conflict"
            log.warning(
                "%s provider %r is claimed by %s; it cannot be used until one "
                "of them is uninstalled",
                family,
                key,
                " and ".join(c.describe() for c in entry.claims),
            )

    _scanned[family] = entries
    log.debug("scanned %s: %d %s providers", group, len(entries), family)
    return entries


def read_entry_points(group: str) -> list[Claim]:
    """Read every entry point of ``group`` from the installed distributions.

    Only metadata is read; no module is imported. Distributions are visited in
    ``sys.path`` order and none is skipped, so repeats are left to the caller.

    :param group: the entry point group, such as ``nubo.compute``.
    :returns: one claim per entry point, in ``sys.path`` order.
    """
    # The metadata library is imported here, not with nubo: a program that never
    # looks a provider up never pays for it.
    import importlib_metadata

    header = f"[{group}]"
    claims = []
    for dist in importlib_metadata.distributions():
        text = dist.read_text("entry_points.txt")
        if not text or header not in text:
            continue

        for ep in dist.entry_points.select(group=group):
            claims.append(Claim(ep.name, ep.value.strip(), dist))

    return claims


def _add_claim(entries: dict[str, _Entry], claim: Claim, family: str) -> None:
    """Add one entry point to the family's entries, merging exact repeats."""
    key = normalize_id(claim.name)
    entry = entries.setdefault(key, _Entry(name=claim.name))

    # The same target declared again (an editable install beside a stray
    # egg-info, one distribution on sys.path twice) is one provider; the first
    # one on sys.path is the one that imports, so it is the one kept.
    for known in entry.claims:
        if known.target == claim.target:
            log.debug(
                "%s provider %r: %s repeats %s; merged",
                family,
                key,
                claim.describe(),
                known.describe(),
            )
            return

    entry.claims.append(claim)


def _dist_identity(dist: _Distribution) -> tuple[str | None, str | None]:
    """Return a distribution's name and version, or ``None`` where unreadable."""
    try:
        name = dist.name
    except Exception:
        name = None
    try:
        version = dist.version
    except Exception:
        version = None
    return name, version


# -- loading -------------------------------------------------------------------------


def _load_entry(entry: _Entry, family: str) -> type[BaseDriver]:
    """Return an entry point's driver class, loading it once. Lock held."""
    if entry.driver is not None:
        return entry.driver

    if entry.status == "conflict":
        raise _conflict_error(entry, family)

    claim = entry.claims[0]
    if entry.status == "available":
        _attempt(entry, claim.name, claim.target, claim, family)

    if entry.driver is not None:
        return entry.driver
    raise _failure(entry, claim.name, claim.target, claim, family)


def _load_registration(registration: _Registration, family: str) -> type[BaseDriver]:
    """Return a registration's driver class, importing a lazy target once."""
    if registration.driver is not None:
        return registration.driver

    name, target = registration.name, registration.target
    if registration.status == "registered":
        _attempt(registration, name, target, None, family)

    if registration.driver is not None:
        return registration.driver
    raise _failure(registration, name, target, None, family)


def _attempt(
    slot: _Entry | _Registration,
    name: str,
    target: str,
    claim: Claim | None,
    family: str,
) -> None:
    """Import ``target`` once and record the outcome on ``slot``."""
    try:
        obj = import_target(target)
        if not isinstance(obj, type):
            raise TypeError(
                f"{target} is {type(obj).__name__} {obj!r}, not a driver class"
            )
        slot.driver = _check_driver(obj, name, target, claim, family)
    except IncompatibleProviderError as error:
        slot.status = "incompatible"
        slot.found_version = error.found
    except ProviderLoadError as error:
        slot.status = "failed"
        slot.cause = error.__cause__
    except Exception as error:
        slot.status = "failed"
        slot.cause = error
    else:
        slot.status = "loaded" if claim else "registered"
        log.debug("loaded %s provider %r from %s", family, name, target)
        return

    # The caller gets the error; the traceback of the cause is for debugging.
    log.debug(
        "cannot load %s provider %r from %s (%s)",
        family,
        name,
        target,
        claim.describe() if claim else "registered at run time",
        exc_info=slot.cause,
    )


def import_target(target: str) -> object:
    """Import a ``module:attr.path`` (or ``module``) target; return what it names.

    :param target: the target, as an entry point's value spells it.
    :returns: the object.
    :raises ValueError: the target is not of that form.
    :raises ImportError: the module failed to import.
    :raises AttributeError: the module has no such attribute.
    """
    match = _TARGET_RE.match(target)
    if match is None:
        raise ValueError(f"{target!r} is not of the form 'module:attribute'")

    obj: object = importlib.import_module(match["module"])
    attr = match["attr"]
    for part in attr.split(".") if attr else ():
        obj = getattr(obj, part)
    return obj


def _check_driver(
    cls: type,
    name: str,
    target: str,
    claim: Claim | None,
    family: str,
) -> type[BaseDriver]:
    """Return ``cls`` if it is a driver for this contract, or raise."""
    if not issubclass(cls, BaseDriver):
        distribution, version = _claim_identity(claim)
        where = _describe_dist(distribution, version)
        cause = TypeError(f"{target} is the class {cls!r}, not a nubo.BaseDriver")
        raise ProviderLoadError(
            _load_message(name, target, where, family, cause),
            provider=name,
            family=family,
            target=target,
            distribution=distribution,
            version=version,
        ) from cause

    found = getattr(cls, "CONTRACT_VERSION", None)
    expected = _contract.CONTRACT_VERSION
    if found != expected:
        distribution, version = _claim_identity(claim)
        where = _describe_dist(distribution, version)
        raise IncompatibleProviderError(
            _incompatible_message(name, where, family, expected, found),
            provider=name,
            family=family,
            expected=expected,
            found=found,
            distribution=distribution,
        )

    return cls


# -- errors --------------------------------------------------------------------------


def _claim_identity(claim: Claim | None) -> tuple[str | None, str | None]:
    if claim is None:
        return None, None
    return claim.distribution, claim.version


def _failure(
    slot: _Entry | _Registration,
    name: str,
    target: str,
    claim: Claim | None,
    family: str,
) -> ProviderLookupError:
    """Build a fresh error for a load that failed, with the original cause."""
    dist = claim.distribution if claim else None
    version = claim.version if claim else None
    where = _describe_dist(dist, version)

    if slot.status == "incompatible":
        expected = _contract.CONTRACT_VERSION
        return IncompatibleProviderError(
            _incompatible_message(name, where, family, expected, slot.found_version),
            provider=name,
            family=family,
            expected=expected,
            found=slot.found_version,
            distribution=dist,
        )

    error = ProviderLoadError(
        _load_message(name, target, where, family, slot.cause),
        provider=name,
        family=family,
        target=target,
        distribution=dist,
        version=version,
    )
    error.__cause__ = slot.cause
    return error


def _load_message(
    name: str,
    target: str,
    where: str,
    family: str,
    cause: BaseException | None,
) -> str:
    reason = f"{type(cause).__name__}: {cause}" if cause is not None else "unknown"
    if where == "registered at run time":
        fix = "fix the target given to register_driver()"
    else:
        fix = (
            "reinstall or upgrade that distribution, or uninstall it if you do not "
            "need it; other providers are not affected"
        )
    return (
        f"cannot load the {family} provider {name!r} from {target!r} ({where}): "
        f"{reason}; {fix}"
    )


def _incompatible_message(
    name: str, where: str, family: str, expected: int, found: object
) -> str:
    return (
        f"the {family} provider {name!r} ({where}) was written for driver contract "
        f"{found!r}, but nubo {__version__} speaks driver contract {expected}; "
        f"install a release of the provider built for contract {expected}, or a "
        f"nubo that speaks contract {found!r}"
    )


def _conflict_error(entry: _Entry, family: str) -> ProviderConflictError:
    claims = [(c.distribution or "?", c.version or "?", c.target) for c in entry.claims]
    listed = " and ".join(f"{c.describe()} -> {c.target!r}" for c in entry.claims)
    return ProviderConflictError(
        f"the {family} provider {entry.name!r} is claimed by {listed}; uninstall "
        "the one you do not want, or pick one at run time with "
        f"nubo.register_driver({entry.name!r}, 'module:Class', replace=True)",
        provider=entry.name,
        family=family,
        claims=claims,
    )


def _not_found(provider: str, key: str, family: str) -> ProviderNotFoundError:
    # Ids as their distributions or registrations spell them, by normalized id.
    names = {k: e.name for k, e in _scanned.get(family, {}).items()}
    names.update({k: r.name for k, r in _registered.get(family, {}).items()})
    installed = [names[k] for k in sorted(names)]
    known = KNOWN_PROVIDERS.get(family, {})
    listed = ", ".join(installed) or "none"

    distribution = known.get(key)
    if distribution is not None:
        return ProviderNotFoundError(
            f"the {family} provider {provider!r} is not installed; install the "
            f"distribution {distribution} (from a checkout of nubo: 'pip install "
            f"-e plugins/{distribution}') (installed: {listed})",
            provider=provider,
            family=family,
            installed=installed,
            distribution=distribution,
        )

    candidates = sorted(names) + sorted(set(known) - set(names))
    import difflib

    close = difflib.get_close_matches(key, candidates, n=1, cutoff=0.6)
    suggestion = None
    hint = ""
    if close and close[0] in names:
        suggestion = names[close[0]]
        hint = f"did you mean {suggestion!r}? "
    elif close:
        suggestion = close[0]
        hint = f"did you mean {suggestion!r} ('pip install {known[suggestion]}')? "

    return ProviderNotFoundError(
        f"no {family} provider is called {provider!r}; {hint}installed: {listed}; "
        "check the spelling, or install the distribution that provides it",
        provider=provider,
        family=family,
        installed=installed,
        suggestion=suggestion,
    )


# -- records -------------------------------------------------------------------------


def _entry_record(entry: _Entry, family: str) -> ProviderRecord:
    claim = entry.claims[0]
    if entry.status == "conflict":
        return ProviderRecord(
            name=entry.name,
            target=" | ".join(c.target for c in entry.claims),
            distribution=", ".join(c.distribution or "?" for c in entry.claims),
            version=None,
            status="conflict",
            error=str(_conflict_error(entry, family)),
        )

    error = None
    if entry.status in ("failed", "incompatible"):
        error = str(_failure(entry, claim.name, claim.target, claim, family))
    return ProviderRecord(
        name=entry.name,
        target=claim.target,
        distribution=claim.distribution,
        version=claim.version,
        status=entry.status,
        error=error,
    )


def _registration_record(registration: _Registration, family: str) -> ProviderRecord:
    status = registration.status
    error = None
    if status in ("failed", "incompatible"):
        error = str(
            _failure(registration, registration.name, registration.target, None, family)
        )
    else:
        status = "registered"
    return ProviderRecord(
        name=registration.name,
        target=registration.target,
        distribution=None,
        version=None,
        status=status,
        error=error,
    )


# -- small checks --------------------------------------------------------------------


def _check_id(provider: object) -> str:
    if not isinstance(provider, str) or not provider.strip():
        raise InvalidArgumentError(
            f"a provider id is a non-empty string such as 'ec2', not {provider!r}",
            argument="provider",
        )
    return normalize_id(provider)


def _check_family(family: object) -> None:
    if (
        not isinstance(family, str)
        or not _FAMILY_RE.match(family)
        or family in _RESERVED_FAMILIES
    ):
        raise InvalidArgumentError(
            f"{family!r} is not a driver family; use one such as 'compute'",
            argument="family",
        )


def _check_target(target: str) -> str:
    match = _TARGET_RE.match(target)
    if match is None or match["attr"] is None:
        raise InvalidArgumentError(
            f"the target {target!r} is not of the form 'module:Class'; give the "
            "module's dotted path and the class name, such as 'mypkg.driver:Driver'",
            argument="target",
        )
    return target.strip()


def _class_target(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _same_target(
    current: _Registration, target: str, driver: type[BaseDriver] | None
) -> bool:
    if current.target != target:
        return False
    return driver is None or current.driver is None or current.driver is driver


def _taken_by(
    key: str, family: str, current: _Registration | None, target: str
) -> tuple[str, tuple[str, str, str]] | None:
    """Say who holds ``key`` with a target other than ``target``, if anyone."""
    if current is not None:
        return (
            f"registered at run time to {current.target!r}",
            ("(run time)", "", current.target),
        )

    entry = _scan(family).get(key)
    if entry is None or any(c.target == target for c in entry.claims):
        return None

    claim = entry.claims[0]
    return (
        f"installed from {claim.describe()} with the target {claim.target!r}",
        (claim.distribution or "?", claim.version or "?", claim.target),
    )


def _describe_dist(distribution: str | None, version: str | None) -> str:
    if distribution is None:
        return "registered at run time"
    if version is None:
        return f"distribution {distribution}"
    return f"distribution {distribution} {version}"
