"""Where the ``nubo`` command line finds a provider's settings.

A command needs a provider id, credentials (a key, a secret, a session token),
a region and an endpoint. None of them has to be typed on the command line:

- ``-p``, ``--region`` and ``--endpoint`` on the command line come first;
- then the profile named by ``--profile`` (or ``NUBO_PROFILE``), from the TOML
  config file;
- then environment variables: ``NUBO_<PROVIDER>_KEY``, ``_SECRET``, ``_TOKEN``,
  ``_REGION`` and ``_ENDPOINT``, then the provider's conventional ones
  (``AWS_ACCESS_KEY_ID``, ``DIGITALOCEAN_TOKEN``...);
- last, the profile named ``default``, when the file has one for the provider.

Credentials are taken as a set, from the first place that has any of them, so
that a key from one place is never paired with a secret from another.

The config file is ``$NUBO_CONFIG``, or ``nubo/config.toml`` under
``$XDG_CONFIG_HOME`` (``~/.config`` when unset). It holds secrets, so it is not
read when its group or others may read it. Nothing here logs a credential;
:attr:`Settings.sources` says where each one came from, by name only.
"""

from __future__ import annotations

import logging
import os
import re
import stat
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import InvalidArgumentError

__all__ = [
    "CONVENTIONAL_ENV",
    "CREDENTIALS_NEEDED",
    "Endpoint",
    "Profile",
    "Settings",
    "config_path",
    "env_prefix",
    "load_profiles",
    "parse_endpoint",
    "resolve_settings",
]

log = logging.getLogger(__name__)

#: The settings a profile may hold.
PROFILE_KEYS = ("provider", "key", "secret", "token", "region", "endpoint")

#: Where each provider's own programs look for its settings, in order of preference.
CONVENTIONAL_ENV: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "ec2": {
        "key": ("AWS_ACCESS_KEY_ID",),
        "secret": ("AWS_SECRET_ACCESS_KEY",),
        "token": ("AWS_SESSION_TOKEN",),
        "region": ("AWS_REGION", "AWS_DEFAULT_REGION"),
    },
    "digitalocean": {
        "key": ("DIGITALOCEAN_TOKEN", "DIGITALOCEAN_ACCESS_TOKEN"),
    },
}

#: The credentials each provider needs, by setting, with the provider's own word
#: for each; for another provider, those its driver class cannot do without.
CREDENTIALS_NEEDED: Mapping[str, Mapping[str, str]] = {
    "ec2": {"key": "access key id", "secret": "secret access key"},
    "digitalocean": {"key": "token"},
}

_CREDENTIALS = ("key", "secret", "token")

# The config file must not be readable, writable or runnable by anyone else.
_LOOSE_BITS = stat.S_IRWXG | stat.S_IRWXO


@dataclass(frozen=True)
class Endpoint:
    """Where to send a provider's requests instead of its own address.

    :param host: the host name or address.
    :param port: the port.
    :param secure: ``True`` for HTTPS, ``False`` for plain HTTP.
    """

    host: str
    port: int
    secure: bool

    @property
    def url(self) -> str:
        """The endpoint as a URL, ``http://127.0.0.1:5000``."""
        scheme = "https" if self.secure else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"


@dataclass(frozen=True)
class Profile:
    """One ``[profiles.NAME]`` table of the config file.

    :param name: the profile's name.
    :param path: the file it was read from.
    :param values: its settings, each a string.
    """

    name: str
    path: Path
    values: Mapping[str, str]


@dataclass
class Settings:
    """What a command talks to the provider with.

    :param provider: the provider id.
    :param key: the key, access key id or token.
    :param secret: the secret, when the provider has one.
    :param token: a session token, when the credentials are temporary.
    :param region: the region, or ``None`` for the provider's default.
    :param endpoint: where to send requests, or ``None`` for the provider's own.
    :param profile: the profile that was read, if any.
    :param sources: for each setting found, where it came from (never its value).
    """

    provider: str
    key: str | None = None
    secret: str | None = None
    token: str | None = None
    region: str | None = None
    endpoint: Endpoint | None = None
    profile: Profile | None = None
    sources: dict[str, str] = field(default_factory=dict)

    def secrets(self) -> list[str]:
        """Return every credential value, for output to be scrubbed of.

        :returns: the key, the secret and the token, those that are set.
        """
        return [v for v in (self.key, self.secret, self.token) if v]

    def describe_credentials(self) -> str:
        """Say where the credentials came from, naming no value.

        :returns: a phrase such as ``"environment variables AWS_ACCESS_KEY_ID,
            AWS_SECRET_ACCESS_KEY"``, or ``"nowhere"``.
        """
        found = [self.sources[name] for name in _CREDENTIALS if name in self.sources]
        return ", ".join(dict.fromkeys(found)) or "nowhere"


def env_prefix(provider: str) -> str:
    """Return the prefix of nubo's own environment variables for a provider.

    :param provider: the provider id, such as ``"ec2"`` or ``"digital-ocean"``.
    :returns: ``NUBO_EC2_``, ``NUBO_DIGITAL_OCEAN_``.
    """
    word = re.sub(r"[^A-Z0-9]+", "_", provider.strip().upper()).strip("_")
    return f"NUBO_{word}_"


def parse_endpoint(url: str, source: str = "--endpoint") -> Endpoint:
    """Read ``--endpoint URL`` into a host, a port and a scheme.

    :param url: ``http://127.0.0.1:5000`` or ``https://ec2.example.net``; the
        port defaults to 80 for HTTP and 443 for HTTPS.
    :param source: where the URL came from, for the error messages.
    :returns: the endpoint.
    :raises InvalidArgumentError: for a URL without ``http`` or ``https``, without
        a host, with a bad port, or with a path, query, fragment or user name.
    """
    # A URL with a user part may hold a password: it is never repeated back.
    shown = "the URL" if "@" in url else repr(url)
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise InvalidArgumentError(
            f"the endpoint from {source}, {shown}, is not a URL ({error}); give "
            "one such as http://127.0.0.1:5000",
            argument="endpoint",
        ) from None

    if parts.username is not None or parts.password is not None:
        raise InvalidArgumentError(
            f"the endpoint from {source} must not hold a user name or password; "
            "give credentials through the environment or a profile instead",
            argument="endpoint",
        )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidArgumentError(
            f"the endpoint from {source}, {shown}, needs http:// or https:// and "
            "a host, such as http://127.0.0.1:5000",
            argument="endpoint",
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise InvalidArgumentError(
            f"the endpoint from {source}, {shown}, has a path, query or fragment; "
            "nubo talks to the server's root, so give the scheme, host and port "
            "only",
            argument="endpoint",
        )

    secure = parts.scheme == "https"
    if port is None:
        port = 443 if secure else 80
    return Endpoint(host=parts.hostname, port=port, secure=secure)


def config_path(environ: Mapping[str, str]) -> tuple[Path, bool]:
    """Return the config file's path, and whether the user named it.

    :param environ: the environment.
    :returns: ``(path, explicit)``; ``explicit`` when ``NUBO_CONFIG`` names it.
    """
    named = environ.get("NUBO_CONFIG")
    if named:
        return Path(named).expanduser(), True

    base = environ.get("XDG_CONFIG_HOME") or str(Path("~/.config").expanduser())
    return Path(base) / "nubo" / "config.toml", False


def _read_private_file(path: Path) -> str | None:
    """Read a file that only its owner may use; ``None`` when it is missing."""
    # Non-blocking, so that a FIFO put in the file's place cannot hang nubo;
    # it has no effect on a regular file.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise _not_a_file(path) from None
    except OSError as error:
        raise InvalidArgumentError(
            f"cannot read the nubo config file {path}: {error.strerror}; fix its "
            "permissions or point NUBO_CONFIG at another file",
            argument="config",
        ) from None

    # The open file is checked, not the path, so that the file read is the one
    # whose permissions were seen.
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise _not_a_file(path)

    with os.fdopen(fd, "rb") as handle:
        if os.name == "posix" and mode & _LOOSE_BITS:
            raise InvalidArgumentError(
                f"refusing to read the nubo config file {path}: its group or "
                f"others may use it (mode {stat.S_IMODE(mode):03o}) and it can "
                f"hold secrets; run `chmod 600 {path}` and try again",
                argument="config",
            )
        data = handle.read()

    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidArgumentError(
            f"the nubo config file {path} is not UTF-8 text; save it as UTF-8",
            argument="config",
        ) from None


def _not_a_file(path: Path) -> InvalidArgumentError:
    return InvalidArgumentError(
        f"the nubo config file {path} is not a regular file; point NUBO_CONFIG at "
        "a TOML file",
        argument="config",
    )


def _parse_toml(text: str, path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib

    try:
        document: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InvalidArgumentError(
            f"the nubo config file {path} is not valid TOML: {error}; fix it",
            argument="config",
        ) from None
    return document


def load_profiles(path: Path) -> dict[str, Profile] | None:
    """Read every profile of a config file.

    :param path: the config file.
    :returns: the profiles by name; ``None`` when the file does not exist.
    :raises InvalidArgumentError: when the file may be read by others, is not
        TOML, or holds a setting that is not a string or not known.
    """
    text = _read_private_file(path)
    if text is None:
        return None

    document = _parse_toml(text, path)
    unknown = sorted(set(document) - {"profiles"})
    if unknown:
        raise InvalidArgumentError(
            f"the nubo config file {path} has {', '.join(unknown)} at its top "
            "level; put settings in [profiles.NAME] tables",
            argument="config",
        )

    tables = document.get("profiles", {})
    if not isinstance(tables, dict):
        raise InvalidArgumentError(
            f"'profiles' in {path} must be tables such as [profiles.work]",
            argument="config",
        )

    profiles: dict[str, Profile] = {}
    for name, table in tables.items():
        if not isinstance(table, dict):
            raise InvalidArgumentError(
                f"profile {name!r} in {path} must be a table: [profiles.{name}]",
                argument="config",
            )
        profiles[name] = Profile(name, path, _profile_values(name, table, path))
    return profiles


def _profile_values(name: str, table: Mapping[str, Any], path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for setting, value in table.items():
        if setting not in PROFILE_KEYS:
            raise InvalidArgumentError(
                f"profile {name!r} in {path} has an unknown setting {setting!r}; "
                f"a profile holds {', '.join(PROFILE_KEYS)}",
                argument="config",
            )
        if not isinstance(value, str):
            # The value itself is not named: it may be a secret.
            raise InvalidArgumentError(
                f"{setting} in profile {name!r} of {path} must be a string in quotes",
                argument="config",
            )
        values[setting] = value
    return values


def resolve_settings(
    *,
    provider: str | None,
    profile: str | None,
    region: str | None,
    endpoint: str | None,
    environ: Mapping[str, str],
    installed: Callable[[], Sequence[str]] = list,
) -> Settings:
    """Work out the provider, credentials, region and endpoint of a command.

    :param provider: ``-p PROVIDER``, if given.
    :param profile: ``--profile NAME``, if given.
    :param region: ``--region``, if given.
    :param endpoint: ``--endpoint URL``, if given.
    :param environ: the environment.
    :param installed: returns the installed provider ids, for the message when
        none is named.
    :returns: the settings.
    :raises InvalidArgumentError: when no provider is named, the profile is
        missing or is for another provider, or the config file or the endpoint
        is not usable.
    """
    explicit_name = profile or environ.get("NUBO_PROFILE") or None
    path, named_file = config_path(environ)
    profiles = None
    if explicit_name is not None or named_file or path.exists():
        profiles = load_profiles(path)
        if profiles is None and named_file:
            raise InvalidArgumentError(
                f"NUBO_CONFIG names {path}, which does not exist; create it or "
                "unset NUBO_CONFIG",
                argument="config",
            )

    chosen: Profile | None = None
    if explicit_name is not None:
        chosen = (profiles or {}).get(explicit_name)
        if chosen is None:
            known = ", ".join(sorted(profiles or {})) or "none"
            raise InvalidArgumentError(
                f"there is no profile {explicit_name!r} in {path} (profiles: "
                f"{known}); add a [profiles.{explicit_name}] table or pick another",
                argument="profile",
            )

    if provider is None and chosen is not None:
        provider = chosen.values.get("provider")
    if provider is None:
        default = (profiles or {}).get("default")
        if default is not None:
            provider = default.values.get("provider")
    if not provider:
        choice = ", ".join(installed()) or "none installed"
        raise InvalidArgumentError(
            f"say which provider to use with -p PROVIDER ({choice}), or with "
            "--profile NAME for a profile that names one",
            argument="provider",
        )

    if chosen is not None:
        _check_profile_provider(chosen, provider)
    fallback = (profiles or {}).get("default") if chosen is None else None
    if fallback is not None and not _same_provider(fallback, provider):
        log.debug("profile 'default' is for another provider; not using it")
        fallback = None

    settings = Settings(provider=provider, profile=chosen or fallback)
    sources = _sources(provider, chosen, fallback, environ)
    _take_credentials(settings, sources)
    _take_setting(settings, "region", region, sources)
    _take_setting(settings, "endpoint", endpoint, sources)
    return settings


def _same_provider(profile: Profile, provider: str) -> bool:
    named = profile.values.get("provider")
    return named is None or _norm(named) == _norm(provider)


def _norm(provider: str) -> str:
    return provider.strip().lower().replace("_", "-")


def _check_profile_provider(profile: Profile, provider: str) -> None:
    if not _same_provider(profile, provider):
        raise InvalidArgumentError(
            f"profile {profile.name!r} is for the {profile.values['provider']} "
            f"provider, not {provider}; drop -p or pick a profile for {provider}",
            argument="profile",
        )


# Where settings may be found, in order: for each setting, where it came from
# (a profile, an environment variable) and its value.
_Source = dict[str, tuple[str, str]]


def _sources(
    provider: str,
    chosen: Profile | None,
    fallback: Profile | None,
    environ: Mapping[str, str],
) -> list[_Source]:
    found: list[_Source] = []
    if chosen is not None:
        found.append(_profile_source(chosen))

    prefix = env_prefix(provider)
    own: _Source = {}
    for setting in (*_CREDENTIALS, "region", "endpoint"):
        name = prefix + setting.upper()
        if environ.get(name):
            own[setting] = (f"environment variable {name}", environ[name])
    found.append(own)

    conventional: _Source = {}
    for setting, names in CONVENTIONAL_ENV.get(_norm(provider), {}).items():
        for name in names:
            if environ.get(name):
                conventional[setting] = (f"environment variable {name}", environ[name])
                break
    found.append(conventional)

    if fallback is not None:
        found.append(_profile_source(fallback))
    return found


def _profile_source(profile: Profile) -> _Source:
    where = f"profile {profile.name!r} in {profile.path}"
    return {
        setting: (where, value)
        for setting, value in profile.values.items()
        if setting != "provider"
    }


def _take_credentials(settings: Settings, sources: Sequence[_Source]) -> None:
    for source in sources:
        present = [name for name in _CREDENTIALS if name in source]
        if not present:
            continue
        for name in present:
            origin, value = source[name]
            setattr(settings, name, value)
            settings.sources[name] = origin
        log.debug("credentials from %s", settings.describe_credentials())
        return


def _take_setting(
    settings: Settings, name: str, given: str | None, sources: Sequence[_Source]
) -> None:
    origin, value = f"--{name}", given
    if value is None:
        for source in sources:
            if name in source:
                origin, value = source[name]
                break
    if value is None:
        return

    settings.sources[name] = origin
    log.debug("%s from %s", name, origin)
    if name == "endpoint":
        settings.endpoint = parse_endpoint(value, origin)
    else:
        settings.region = value
