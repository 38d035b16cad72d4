"""Every error that nubo raises, in one hierarchy.

All of them derive from :class:`NuboError`, so ``except nubo.errors.NuboError``
catches whatever the core, a provider driver or a hook plugin raised on nubo's
behalf. The classes sit in four families:

- what a provider answered: :class:`ProviderError` and its subclasses, and
  :class:`MalformedResponseError` for an answer that could not be read;
- what happened on the way there: :class:`TransportError` and its timeouts;
- finding a provider: :class:`ProviderNotFoundError`, :class:`ProviderLoadError`,
  :class:`ProviderConflictError`, :class:`IncompatibleProviderError`;
- using the API: :class:`NotSupportedError`, :class:`InvalidArgumentError`,
  :class:`WaitTimeoutError`, :class:`DeploymentError`, :class:`PluginError`.

Messages say what went wrong and what to do about it. Body excerpts carried by
errors are redacted before they get here; no error keeps a credential.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "ConnectTimeoutError",
    "DeploymentError",
    "IncompatibleProviderError",
    "InvalidArgumentError",
    "InvalidCredsError",
    "MalformedResponseError",
    "NotFoundError",
    "NotSupportedError",
    "NuboError",
    "PluginError",
    "ProviderConflictError",
    "ProviderError",
    "ProviderLoadError",
    "ProviderLookupError",
    "ProviderNotFoundError",
    "RateLimitError",
    "ReadTimeoutError",
    "ServerError",
    "TransportError",
    "WaitFailedError",
    "WaitTimeoutError",
]


class NuboError(Exception):
    """The root of every error that nubo raises.

    :param message: what went wrong, and where it helps, what to do about it.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        # Subclasses take keyword arguments; rebuild from the instance dict so that
        # errors cross process boundaries (multiprocessing, concurrent.futures).
        return (_rebuild, (type(self), self.args, self.__dict__))


def _rebuild(
    cls: type[NuboError], args: tuple[Any, ...], state: dict[str, Any]
) -> NuboError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


# -- what a provider answered ----------------------------------------------------


class ProviderError(NuboError):
    """A provider answered, and the answer says the call failed.

    :param message: the provider's own message, or a description of the failure.
    :param status: the HTTP status of the answer, when there was one.
    :param code: the provider's error code (``InvalidInstanceID.NotFound``), if any.
    :param provider: the id of the provider that answered.
    :param body_excerpt: a short, redacted excerpt of the answer's body.
    :param request_id: the provider's id for the request, for its support desk.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        provider: str | None = None,
        body_excerpt: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.provider = provider
        self.body_excerpt = body_excerpt
        self.request_id = request_id

    def __str__(self) -> str:
        parts = []
        if self.provider:
            parts.append(self.provider)
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.code:
            parts.append(self.code)
        prefix = f"[{' '.join(parts)}] " if parts else ""
        text = f"{prefix}{self.message}"
        if self.request_id:
            text += f" (request id {self.request_id})"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, status={self.status!r},"
            f" code={self.code!r}, provider={self.provider!r})"
        )


class InvalidCredsError(ProviderError):
    """The provider refused the credentials: HTTP 401 or 403, or an auth code.

    Check the key and secret (or token) given to the driver, their permissions, and
    that the region or endpoint is the one they belong to.
    """


class NotFoundError(ProviderError):
    """The resource asked for does not exist (HTTP 404, or a not-found code)."""


class RateLimitError(ProviderError):
    """The provider throttled the call (HTTP 429, or a throttling code).

    :param retry_after: seconds the provider asked to wait, when it said so.
    """

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(ProviderError):
    """The provider failed on its side (HTTP 5xx)."""


class MalformedResponseError(NuboError):
    """An answer arrived but could not be read: not the format it claims, cut
    short, or larger than nubo accepts once decompressed.

    :param message: what was wrong with the answer.
    :param status: the HTTP status of the answer.
    :param provider: the id of the provider that answered.
    :param body_excerpt: a short, redacted excerpt of the body.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        provider: str | None = None,
        body_excerpt: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.provider = provider
        self.body_excerpt = body_excerpt

    def __str__(self) -> str:
        parts = [p for p in (self.provider, _status(self.status)) if p]
        prefix = f"[{' '.join(parts)}] " if parts else ""
        text = f"{prefix}{self.message}"
        if self.body_excerpt:
            text += f"; the body starts: {self.body_excerpt!r}"
        return text


def _status(status: int | None) -> str | None:
    return None if status is None else f"HTTP {status}"


# -- on the way there --------------------------------------------------------------


class TransportError(NuboError):
    """The request did not get an answer: the connection failed or broke.

    :param message: what failed, with the redacted URL.
    :param provider: the id of the provider the request was for.
    :param attempts: how many attempts were made before giving up.
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        attempts: int | None = None,
    ) -> None:
        super().__init__(message)
        self.provider = provider
        self.attempts = attempts


class ConnectTimeoutError(TransportError):
    """No connection could be made within the connect timeout."""


class ReadTimeoutError(TransportError):
    """The server did not answer within the read timeout."""


# -- finding a provider --------------------------------------------------------------


class ProviderLookupError(NuboError):
    """A provider could not be looked up or loaded.

    :param message: what went wrong and what to do.
    :param provider: the provider id that was asked for.
    :param family: the driver family (``compute``).
    """

    def __init__(self, message: str, *, provider: str, family: str = "compute") -> None:
        super().__init__(message)
        self.provider = provider
        self.family = family


class ProviderNotFoundError(ProviderLookupError, LookupError):
    """No installed provider has the id asked for.

    :param installed: the ids of the installed providers.
    :param suggestion: the closest installed id, if one is close.
    :param distribution: the distribution to install, for a provider nubo knows of
        that is not installed.
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        family: str = "compute",
        installed: Sequence[str] = (),
        suggestion: str | None = None,
        distribution: str | None = None,
    ) -> None:
        super().__init__(message, provider=provider, family=family)
        self.installed = tuple(installed)
        self.suggestion = suggestion
        self.distribution = distribution


class ProviderLoadError(ProviderLookupError):
    """A provider is installed but its driver could not be loaded.

    The original exception is the ``__cause__``.

    :param target: the ``module:Class`` target of the entry point.
    :param distribution: the distribution that declares it.
    :param version: that distribution's version.
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        family: str = "compute",
        target: str | None = None,
        distribution: str | None = None,
        version: str | None = None,
    ) -> None:
        super().__init__(message, provider=provider, family=family)
        self.target = target
        self.distribution = distribution
        self.version = version


class ProviderConflictError(ProviderLookupError):
    """Two installed distributions claim one provider id with different targets.

    :param claims: ``(distribution, version, target)`` for each claim.
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        family: str = "compute",
        claims: Sequence[tuple[str, str, str]] = (),
    ) -> None:
        super().__init__(message, provider=provider, family=family)
        self.claims = tuple(claims)


class IncompatibleProviderError(ProviderLookupError):
    """A driver was written for another version of the driver contract.

    :param expected: the core's ``CONTRACT_VERSION``.
    :param found: the driver's ``CONTRACT_VERSION``.
    :param distribution: the distribution that ships the driver.
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        family: str = "compute",
        expected: int | None = None,
        found: object = None,
        distribution: str | None = None,
    ) -> None:
        super().__init__(message, provider=provider, family=family)
        self.expected = expected
        self.found = found
        self.distribution = distribution


# -- using the API -----------------------------------------------------------------


class NotSupportedError(NuboError, NotImplementedError):
    """The provider's driver does not offer this method.

    Ask ``driver.supports(method)`` before calling to avoid it.

    :param provider: the provider id.
    :param method: the method's name.
    """

    def __init__(
        self,
        message: str | None = None,
        *,
        provider: str | None = None,
        method: str | None = None,
    ) -> None:
        if message is None:
            message = (
                f"the {provider or 'this'} provider does not support {method}(); "
                f"check driver.supports({method!r}) before calling it"
            )
        super().__init__(message)
        self.provider = provider
        self.method = method


class InvalidArgumentError(NuboError, ValueError):
    """An argument given to nubo is of the wrong type or value.

    :param argument: the name of the argument, when there is one.
    """

    def __init__(self, message: str, *, argument: str | None = None) -> None:
        super().__init__(message)
        self.argument = argument


class WaitTimeoutError(NuboError, TimeoutError):
    """Waiting for resources to reach a state ran past its timeout.

    :param timeout: the timeout, in seconds.
    :param pending: ``(resource id, last state seen)`` for each one not ready.
    """

    def __init__(
        self,
        message: str,
        *,
        timeout: float | None = None,
        pending: Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__(message)
        self.timeout = timeout
        self.pending = tuple(pending)


class WaitFailedError(NuboError):
    """Waiting for resources stopped early: one reached a state it does not leave
    (terminated, error) or disappeared, so waiting longer cannot help.

    :param resource_id: the id of the resource that failed.
    :param state: the state it was last seen in; ``None`` when it is gone.
    """

    def __init__(
        self, message: str, *, resource_id: str, state: str | None = None
    ) -> None:
        super().__init__(message)
        self.resource_id = resource_id
        self.state = state


class DeploymentError(NuboError):
    """A deployment over SSH failed.

    :param node: the id of the node being deployed, when known.
    :param step: a description of the step that failed.
    :param exit_status: the exit status of a script step.
    :param output_tail: the last lines of the step's output.
    """

    def __init__(
        self,
        message: str,
        *,
        node: str | None = None,
        step: str | None = None,
        exit_status: int | None = None,
        output_tail: str | None = None,
    ) -> None:
        super().__init__(message)
        self.node = node
        self.step = step
        self.exit_status = exit_status
        self.output_tail = output_tail


class PluginError(NuboError):
    """A hook plugin is broken: it raised in a hook, or declares a hook that does
    not exist.

    :param plugin: the name of the plugin.
    :param hook: the name of the hook, when one is involved.
    """

    def __init__(self, message: str, *, plugin: str, hook: str | None = None) -> None:
        super().__init__(message)
        self.plugin = plugin
        self.hook = hook
