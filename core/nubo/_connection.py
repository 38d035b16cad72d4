"""The middle layer of the contract: a connection builds, hooks, signs, sends and
retries each request of its driver.

A connection holds what is shared by every call of one driver: the endpoint, the
credentials, the timeouts, the proxy, the TLS settings and one pooled
``requests.Session``, made on first use. What belongs to one call lives in a
:class:`Request` made for it, so one driver can serve many threads at once.

The steps of :meth:`Connection.request`, and where the hook plugins come in, are
described in :doc:`/requests`.
"""

from __future__ import annotations

import logging
import platform
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote, urlencode, urlsplit

import requests
import requests.adapters
from urllib3.exceptions import ConnectTimeoutError as _Urllib3ConnectTimeout

from . import _hooks
from ._redact import Redactor, guard_urllib3_logs, scrub_exception
from ._response import RawResponse, Response
from ._retry import RetryPolicy, RetryState, parse_retry_after
from ._version import __version__
from .errors import (
    ConnectTimeoutError,
    InvalidArgumentError,
    MalformedResponseError,
    NuboError,
    ProviderError,
    RateLimitError,
    ReadTimeoutError,
    TransportError,
)

if TYPE_CHECKING:
    from ._driver import BaseDriver

__all__ = [
    "DEFAULT_TIMEOUT",
    "Connection",
    "ConnectionKey",
    "ConnectionUserAndKey",
    "Request",
]

log = logging.getLogger(__name__)

#: Seconds to wait for a connection, and for the server between two reads.
DEFAULT_TIMEOUT: tuple[float, float] = (10.0, 60.0)


@dataclass(eq=False)
class Request:
    """One call of :meth:`Connection.request`, as it is built and sent.

    Made afresh for every call and handed to every hook, which changes it in
    place; nothing about the call is kept on the connection. Its repr shows no
    header, parameter or body values.

    :param method: the HTTP method, upper case.
    :param action: the path of the call; the hooks may rewrite it.
    :param params: the query parameters.
    :param headers: the headers.
    :param data: the body: as given until the encode step, encoded after it.
    :param connection: the connection making the call.
    :param raw: whether the body is to be streamed (:class:`RawResponse`).
    :param idempotent: ``True`` when the caller marked the call safe to repeat,
        ``False`` when it must never be repeated, ``None`` to go by the method.
    :param attempt: the number of the attempt being made, from 1.
    :param context: a copy of the connection's context when the call began.
    :param extras: room for plugins to keep their own state for this call (a
        tracing span, a start time).
    """

    method: str
    action: str
    params: dict[str, Any]
    headers: dict[str, str]
    data: Any
    connection: Connection
    raw: bool = False
    idempotent: bool | None = None
    attempt: int = 0
    context: dict[str, Any] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def driver(self) -> BaseDriver | None:
        """The driver that owns the connection, if any."""
        return self.connection.driver

    @property
    def provider(self) -> str | None:
        """The provider id, from the driver."""
        return self.connection.provider

    @property
    def url(self) -> str:
        """The full URL this request is sent to: base URL, action and query."""
        url = self.connection.base_url + self.action
        if self.params:
            query = urlencode(self.params, doseq=True, quote_via=quote)
            url += ("&" if "?" in url else "?") + query
        return url

    @property
    def redacted_url(self) -> str:
        """The URL with secret parameters and credentials replaced, for logs."""
        return self.connection.redactor.url(self.url)

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.redacted_url} attempt={self.attempt}>"


class _Context(threading.local):
    value: dict[str, Any]

    def __init__(self) -> None:
        self.value = {}


class Connection:
    """A connection to one provider endpoint, shared by every call of a driver.

    No constructor touches the network; the session is made on first use.

    A provider subclasses it and overrides the steps of a request:
    :meth:`morph_action_hook`, :meth:`add_default_params`,
    :meth:`add_default_headers`, :meth:`encode_data` and
    :meth:`pre_connect_hook` (or :meth:`pre_connect`, which sees the whole
    request, to sign it).

    :param secure: use HTTPS (the default); ``False`` for plain HTTP.
    :param host: the host; by default the class's :attr:`host`.
    :param port: the port; by default 443 with ``secure``, 80 without.
    :param url: a base URL (``https://host:port/path``) instead of ``secure``,
        ``host``, ``port`` and :attr:`request_path`.
    :param timeout: seconds, or ``(connect, read)`` seconds; finite by default.
    :param proxy_url: an HTTP proxy for every call (``http://user:pw@host:port``).
    :param retry_delay: the wait before the first retry, in seconds.
    :param backoff: the factor by which each wait grows.
    :param retry: a :class:`~nubo.RetryPolicy`, a number of attempts, or
        ``False`` for no retries.
    :param ca_cert: a CA bundle (a file path) to verify the server with, instead
        of the system's.
    :raises InvalidArgumentError: for ``secure=False`` where :attr:`allow_insecure`
        is off, or for a malformed ``url`` or ``proxy_url``.
    """

    #: The response class for ordinary calls.
    responseCls: ClassVar[type[Response]] = Response

    #: The response class for ``raw=True`` calls.
    rawResponseCls: ClassVar[type[Response]] = RawResponse

    #: The default host.
    host: str = "127.0.0.1"

    #: The path every action is under (``/v2``).
    request_path: str = ""

    #: Whether ``secure=False`` is allowed; a driver may forbid plain HTTP.
    allow_insecure: ClassVar[bool] = True

    #: More header names whose values are secret, for this provider.
    secret_headers: ClassVar[frozenset[str]] = frozenset()

    #: More parameter names whose values are secret, for this provider.
    secret_params: ClassVar[frozenset[str]] = frozenset()

    #: The most pooled connections kept open to the host.
    pool_maxsize: ClassVar[int] = 32

    def __init__(
        self,
        secure: bool = True,
        host: str | None = None,
        port: int | None = None,
        url: str | None = None,
        timeout: float | tuple[float, float] | None = None,
        proxy_url: str | None = None,
        retry_delay: float | None = None,
        backoff: float | None = None,
        *,
        retry: RetryPolicy | bool | int | None = None,
        ca_cert: str | None = None,
    ) -> None:
        #: The driver that owns this connection; set by :class:`~nubo.BaseDriver`.
        self.driver: BaseDriver | None = None

        self._context = _Context()
        self._session: requests.Session | None = None
        self._lock = threading.Lock()
        self._redactor = Redactor(
            self.secret_headers, self.secret_params, self._secret_values()
        )
        guard_urllib3_logs(self.secret_params)

        self.secure = secure
        if host is not None:
            self.host = host
        self.port = port if port is not None else (443 if secure else 80)
        if url is not None:
            self._set_base_url(url)
        self._check_secure()

        self.timeout = _timeout(timeout)
        self.retry_delay = 0.5 if retry_delay is None else float(retry_delay)
        self.backoff = 2.0 if backoff is None else float(backoff)
        self.retry = retry
        self.ca_cert = ca_cert
        self.proxy_url: str | None = None
        if proxy_url is not None:
            self.set_http_proxy(proxy_url)

        #: User-agent tokens added after nubo's own.
        self.ua: list[str] = []

    # -- shared settings ---------------------------------------------------------

    @property
    def connection(self) -> requests.Session:
        """The pooled HTTP session, one per connection, made on first use."""
        session = self._session
        if session is None:
            with self._lock:
                if self._session is None:
                    self._session = self._new_session()
                session = self._session
        return session

    def close(self) -> None:
        """Close the pooled session and its sockets.

        The connection stays usable: the next request opens a new session.
        """
        with self._lock:
            session, self._session = self._session, None
        if session is not None:
            session.close()
            log.debug("closed the session of %s", self.base_url)

    @property
    def redactor(self) -> Redactor:
        """What hides this connection's secrets in logs, reprs and errors."""
        return self._redactor

    @property
    def provider(self) -> str | None:
        """The provider id, from the driver, for errors and logs."""
        driver = self.driver
        return (driver.type or None) if driver is not None else None

    @property
    def base_url(self) -> str:
        """The scheme, host and port every call goes to, without a path."""
        scheme = "https" if self.secure else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.secure else 80
        port = "" if self.port == default else f":{self.port}"
        return f"{scheme}://{host}{port}"

    @property
    def context(self) -> dict[str, Any]:
        """What the driver says about the calls it is making, for this thread."""
        return self._context.value

    def set_context(self, context: Mapping[str, Any]) -> None:
        """Set the context of the calls this thread makes next.

        :param context: anything that helps explain a failure (a node id).
        """
        self._context.value = dict(context)

    def reset_context(self) -> None:
        """Clear this thread's context."""
        self._context.value = {}

    def set_http_proxy(self, proxy_url: str | None) -> None:
        """Send every call through an HTTP proxy; ``None`` goes back to the
        environment's (``HTTPS_PROXY``, ``HTTP_PROXY``, ``NO_PROXY``).

        :param proxy_url: ``http://[user:password@]host:port``.
        :raises InvalidArgumentError: for a URL that is not an HTTP proxy's.
        """
        if proxy_url is not None:
            parts = urlsplit(proxy_url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise InvalidArgumentError(
                    f"proxy_url must look like http://host:port, not"
                    f" {self._redactor.url(proxy_url)!r}",
                    argument="proxy_url",
                )
        self.proxy_url = proxy_url

    def user_agent_append(self, token: str) -> None:
        """Add a token to the User-Agent of every call.

        :param token: ``name/version`` of what is making the calls.
        """
        self.ua.append(token)

    def connect(
        self,
        host: str | None = None,
        port: int | None = None,
        base_url: str | None = None,
        **kwargs: Any,
    ) -> requests.Session:
        """Point the connection elsewhere, if asked, and make its session.

        No network traffic happens here; the first request opens the socket.

        :param host: a new host.
        :param port: a new port.
        :param base_url: a new base URL, as the constructor's ``url``.
        :param kwargs: accepted for compatibility, unused.
        :returns: the session.
        """
        if base_url is not None:
            self._set_base_url(base_url)
            self._check_secure()
        if host is not None:
            self.host = host
        if port is not None:
            self.port = port
        return self.connection

    # -- the steps a provider overrides ------------------------------------------

    def morph_action_hook(self, action: str) -> str:
        """Turn the action into the path sent: :attr:`request_path` plus action.

        :param action: the action given to :meth:`request`.
        :returns: the path, starting with ``/``.
        """
        base = self.request_path.rstrip("/")
        path = action if action.startswith("/") else f"/{action}"
        return f"{base}{path}"

    def add_default_params(self, params: dict[str, Any]) -> dict[str, Any]:
        """Add the parameters every call carries (an API version).

        :param params: the call's parameters.
        :returns: the parameters to send.
        """
        return params

    def add_default_headers(self, headers: dict[str, str]) -> dict[str, str]:
        """Add the headers every call carries (a token).

        :param headers: the call's headers.
        :returns: the headers to send.
        """
        return headers

    def encode_data(self, data: Any) -> Any:
        """Encode the body; the base class sends it as given.

        :param data: the body given to :meth:`request`.
        :returns: the body to send (bytes, text, or a dict to form-encode).
        """
        return data

    def pre_connect_hook(
        self, params: dict[str, Any], headers: dict[str, str]
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """The last change to parameters and headers before sending.

        :param params: the parameters to send.
        :param headers: the headers to send.
        :returns: ``(params, headers)``.
        """
        return params, headers

    def pre_connect(self, request: Request) -> None:
        """The driver's last step before sending, after every plugin: where a
        driver signs, with the method, URL, body and headers at hand.

        The default calls :meth:`pre_connect_hook` with the parameters and
        headers. A signing driver overrides this one instead and changes
        ``request`` in place.

        :param request: the call being made.
        """
        request.params, request.headers = self.pre_connect_hook(
            request.params, request.headers
        )

    # -- making a call -------------------------------------------------------------

    def request(
        self,
        action: str,
        params: Mapping[str, Any] | None = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        method: str = "GET",
        raw: bool = False,
        *,
        idempotent: bool | None = None,
        retry: RetryPolicy | bool | int | None = None,
        timeout: float | tuple[float, float] | None = None,
    ) -> Response:
        """Make one call, with retries, and return its response.

        :param action: the path, under :attr:`request_path`.
        :param params: query parameters.
        :param data: the body.
        :param headers: headers.
        :param method: the HTTP method.
        :param raw: stream the body: the response is a :attr:`rawResponseCls`.
        :param idempotent: mark the call safe to repeat (a POST with an
            idempotency token), or ``False`` to never repeat it once the
            provider may have acted on it (a throttled answer or a connection
            that was never made is retried all the same).
        :param retry: the retry policy for this call, instead of the connection's.
        :param timeout: the timeout for this call, instead of the connection's.
        :returns: the response, parsed.
        :raises ProviderError: or a subclass, when the provider refused the call.
        :raises MalformedResponseError: when the answer could not be read.
        :raises TransportError: when no answer came.
        :raises PluginError: when a hook plugin raised.
        """
        request = Request(
            method=method.upper(),
            action=action,
            params=dict(params or {}),
            headers=dict(headers or {}),
            data=data,
            connection=self,
            raw=raw,
            idempotent=idempotent,
            context=dict(self.context),
        )
        hooks = _hooks.plugins_active()
        redactor = self._redactor

        # The driver's own steps come first for these three, then the plugins'.
        request.action = self.morph_action_hook(request.action)
        if hooks:
            _hooks.call("morph_action", redactor, request=request)

        request.params = self.add_default_params(request.params)
        if hooks:
            _hooks.call("add_default_params", redactor, request=request)

        request.headers = self.add_default_headers(request.headers)
        if hooks:
            _hooks.call("add_default_headers", redactor, request=request)
        if not any(name.lower() == "user-agent" for name in request.headers):
            request.headers["User-Agent"] = self.user_agent()

        request.data = self.encode_data(request.data)

        # The driver signs last: nothing may change the request after that.
        if hooks:
            _hooks.call("pre_connect", redactor, request=request)
        self.pre_connect(request)

        return self._send_with_retries(request, retry, timeout, hooks)

    def user_agent(self) -> str:
        """Return the User-Agent sent with every call.

        :returns: nubo's token, Python's, then :attr:`ua`'s.
        """
        tokens = [
            f"nubo/{__version__}",
            f"{platform.python_implementation()}/{platform.python_version()}",
        ]
        provider = self.provider
        if provider:
            tokens.append(f"provider/{provider}")
        return " ".join(tokens + self.ua)

    def retry_policy(
        self, retry: RetryPolicy | bool | int | None = None
    ) -> RetryPolicy:
        """Return the retry policy in force for a call.

        :param retry: what the call asked for, if anything.
        :returns: the call's policy, else the connection's, else one made from
            ``retry_delay`` and ``backoff``.
        """
        base = RetryPolicy(retry_delay=self.retry_delay, backoff=self.backoff)
        return RetryPolicy.coerce(retry, RetryPolicy.coerce(self.retry, base))

    def _send_with_retries(
        self,
        request: Request,
        retry: RetryPolicy | bool | int | None,
        timeout: float | tuple[float, float] | None,
        hooks: bool,
    ) -> Response:
        policy = self.retry_policy(retry)
        state = policy.start(request.method, request.idempotent)
        connect_timeout, read_timeout = _timeout(timeout) if timeout else self.timeout
        cls = self.rawResponseCls if request.raw else self.responseCls

        while True:
            request.attempt += 1
            remaining = state.remaining()
            limits = (connect_timeout, read_timeout)
            if remaining is not None:
                left = max(remaining, 0.001)
                limits = (min(connect_timeout, left), min(read_timeout, left))

            started = time.perf_counter()
            answer: requests.Response | None = None
            response: Response | None = None
            error: NuboError | None = None
            try:
                if hooks:
                    answer = _hooks.call_send(
                        request, self._sender(limits), self._redactor
                    )
                else:
                    answer = self._send(request, limits)
                response = cls(answer, self)
            except (ProviderError, MalformedResponseError, TransportError) as exc:
                error = exc
            elapsed = time.perf_counter() - started

            self._log_attempt(request, answer, error, elapsed, policy)
            if hooks and answer is not None:
                _hooks.call(
                    "on_response",
                    self._redactor,
                    request=request,
                    response=answer,
                    error=error,
                )

            if error is None:
                assert response is not None
                return response

            delay = self._retry_delay(state, request, answer, error)
            if delay is None:
                if isinstance(error, TransportError):
                    error.attempts = request.attempt
                raise error

            log.warning(
                "retrying %s %s in %.2f s after %s (attempt %d of %d next)",
                request.method,
                request.redacted_url,
                delay,
                _outcome(answer, error),
                request.attempt + 1,
                policy.attempts,
            )
            policy.sleep(delay)

    def _sender(
        self, timeout: tuple[float, float]
    ) -> Callable[[Request], requests.Response]:
        def send(request: Request) -> requests.Response:
            return self._send(request, timeout)

        return send

    def _send(
        self, request: Request, timeout: tuple[float, float]
    ) -> requests.Response:
        """Send one attempt on the session; map what ``requests`` raises."""
        session = self.connection
        try:
            prepared = requests.Request(
                request.method, request.url, headers=request.headers, data=request.data
            ).prepare()
            proxy = self.proxy_url
            proxies = {"http": proxy, "https": proxy} if proxy else {}
            settings = session.merge_environment_settings(
                prepared.url or request.url,
                proxies,
                True,
                self.ca_cert or True,
                None,
            )
            return session.send(
                prepared, timeout=timeout, allow_redirects=False, **settings
            )
        except requests.RequestException as exc:
            error = self._transport_error(exc, request)
            scrub_exception(exc, self._redactor)
            raise error from exc

    def _transport_error(
        self, exc: requests.RequestException, request: Request
    ) -> TransportError:
        where = f"{request.method} {request.redacted_url}"
        provider = self.provider
        if isinstance(exc, requests.ConnectTimeout):
            return ConnectTimeoutError(
                f"no connection to {self.base_url} within the connect timeout"
                f" ({where}); check the host and port, or raise timeout=",
                provider=provider,
            )
        if isinstance(exc, requests.ReadTimeout):
            return ReadTimeoutError(
                f"the server did not answer {where} within the read timeout; raise"
                " timeout= or retry later",
                provider=provider,
            )
        if isinstance(exc, requests.exceptions.SSLError):
            return TransportError(
                f"TLS with {self.base_url} failed ({where}): {_tls_reason(exc)}; give"
                " the server's CA bundle as ca_cert= if it is a private one",
                provider=provider,
            )
        if isinstance(exc, requests.exceptions.ProxyError):
            proxy = self._redactor.url(self.proxy_url or "the environment's proxy")
            return TransportError(
                f"the proxy {proxy} failed for {where}; check proxy_url or the"
                " HTTP(S)_PROXY and NO_PROXY variables",
                provider=provider,
            )
        if isinstance(exc, requests.ConnectionError):
            return TransportError(
                f"the connection to {self.base_url} failed or broke ({where}); check"
                " that the endpoint is reachable, or retry later",
                provider=provider,
            )
        return TransportError(
            f"the request {where} could not be sent: {type(exc).__name__}",
            provider=provider,
        )

    def _retry_delay(
        self,
        state: RetryState,
        request: Request,
        answer: requests.Response | None,
        error: NuboError,
    ) -> float | None:
        url = request.redacted_url
        if isinstance(error, TransportError):
            if _chain_has(error, (ssl.SSLError, requests.exceptions.SSLError)):
                return None
            connect_failed = isinstance(error, ConnectTimeoutError) or _chain_has(
                error, (_Urllib3ConnectTimeout,)
            )
            return state.delay_after_error(url, connect_failed)

        if isinstance(error, ProviderError) and error.status is not None:
            throttled = isinstance(error, RateLimitError)
            retry_after = (
                error.retry_after if isinstance(error, RateLimitError) else None
            )
            if retry_after is None and answer is not None:
                retry_after = parse_retry_after(answer.headers.get("Retry-After"))
            return state.delay_after_status(url, error.status, retry_after, throttled)

        return None

    def _log_attempt(
        self,
        request: Request,
        answer: requests.Response | None,
        error: NuboError | None,
        elapsed: float,
        policy: RetryPolicy,
    ) -> None:
        if not log.isEnabledFor(logging.DEBUG):
            return
        log.debug(
            "%s %s -> %s in %.3f s (attempt %d of %d)",
            request.method,
            request.redacted_url,
            _outcome(answer, error),
            elapsed,
            request.attempt,
            policy.attempts,
        )

    # -- construction helpers ---------------------------------------------------

    def _new_session(self) -> requests.Session:
        """Make the pooled session; called once, on first use."""
        session = requests.Session()

        # Only what a call's steps put there is sent: no default headers.
        session.headers.clear()
        adapter = requests.adapters.HTTPAdapter(
            pool_connections=4, pool_maxsize=self.pool_maxsize, max_retries=0
        )
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        log.debug("made the session for %s", self.base_url)
        return session

    def _secret_values(self) -> list[str | None]:
        """The credentials to hide wherever they appear; subclasses add theirs."""
        return []

    def _set_base_url(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidArgumentError(
                f"url must look like https://host[:port][/path], not {url!r}",
                argument="url",
            )
        self.secure = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port or (443 if self.secure else 80)
        if parts.path and parts.path != "/":
            self.request_path = parts.path

    def _check_secure(self) -> None:
        if not self.secure and not self.allow_insecure:
            raise InvalidArgumentError(
                f"{type(self).__name__} does not allow plain HTTP (secure=False);"
                " use HTTPS, and ca_cert= for a server with a private CA",
                argument="secure",
            )

    def __repr__(self) -> str:
        provider = f" provider={self.provider!r}" if self.provider else ""
        return f"<{type(self).__name__} {self.base_url}{provider}>"


class ConnectionKey(Connection):
    """A connection that authenticates with one key (a token).

    :param key: the key; never shown in a repr, a log line or an error.
    :param kwargs: as :class:`Connection`.
    """

    def __init__(self, key: str, *args: Any, **kwargs: Any) -> None:
        self.key = key
        super().__init__(*args, **kwargs)

    def _secret_values(self) -> list[str | None]:
        return [self.key]


class ConnectionUserAndKey(ConnectionKey):
    """A connection that authenticates with a user id (an access key id) and a
    key (its secret).

    :param user_id: the user or access key id.
    :param key: the secret; never shown in a repr, a log line or an error.
    :param kwargs: as :class:`Connection`.
    """

    def __init__(self, user_id: str, key: str, *args: Any, **kwargs: Any) -> None:
        self.user_id = user_id
        super().__init__(key, *args, **kwargs)


def _timeout(timeout: float | tuple[float, float] | None) -> tuple[float, float]:
    if timeout is None:
        return DEFAULT_TIMEOUT
    if isinstance(timeout, (int, float)) and not isinstance(timeout, bool):
        value = float(timeout)
        parts = (value, value)
    elif isinstance(timeout, tuple) and len(timeout) == 2:
        parts = (float(timeout[0]), float(timeout[1]))
    else:
        raise InvalidArgumentError(
            f"timeout must be seconds or (connect, read) seconds, not {timeout!r}",
            argument="timeout",
        )
    if min(parts) <= 0:
        raise InvalidArgumentError(
            f"timeout must be positive, not {timeout!r}", argument="timeout"
        )
    return parts


def _outcome(answer: requests.Response | None, error: NuboError | None) -> str:
    if answer is not None:
        return str(answer.status_code)
    return type(error).__name__ if error is not None else "?"


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """Yield an exception and every one it wraps: its cause and context, and
    those urllib3 keeps as a ``reason`` or in its arguments (an error that went
    through a proxy tunnel is wrapped that way)."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current

        reason = getattr(current, "reason", None)
        wrapped = [current.__cause__, current.__context__, reason, *current.args]
        pending += [e for e in wrapped if isinstance(e, BaseException)]


def _chain_has(exc: BaseException, types: tuple[type[BaseException], ...]) -> bool:
    return any(isinstance(current, types) for current in _causes(exc))


def _tls_reason(exc: BaseException) -> str:
    for current in _causes(exc):
        if isinstance(current, ssl.SSLCertVerificationError):
            return f"the certificate was refused ({current.verify_message})"
    return "the handshake failed"
