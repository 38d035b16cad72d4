"""The top layer of the contract: :class:`BaseDriver`.

A driver is what a user holds. It keeps the credentials and the choice of
endpoint, and owns one connection (``connectionCls``) through which every call it
makes goes. Family base classes (``nubo.compute.NodeDriver``) build on it, and
provider plugins subclass those.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from ._contract import CONTRACT_VERSION

if TYPE_CHECKING:
    from ._connection import Connection

__all__ = ["BaseDriver"]

log = logging.getLogger(__name__)

_D = TypeVar("_D", bound="BaseDriver")

# Keyword arguments of the driver that are handed on to the connection as they are.
_CONNECTION_KWARGS = (
    "timeout",
    "proxy_url",
    "retry_delay",
    "backoff",
    "retry",
    "url",
    "ca_cert",
)


class BaseDriver:
    """The base of every provider driver.

    ``host``, ``port`` and ``secure`` override the provider's defaults, so that any
    driver can be pointed at a compatible server, an emulator or a test peer.
    Keyword arguments the connection knows (``timeout``, ``proxy_url``,
    ``retry_delay``, ``backoff``, ``retry``, ``url``, ``ca_cert``) are handed on
    to it; a driver adds its own by overriding ``_ex_connection_class_kwargs``.

    No constructor touches the network: the connection opens on the first request.

    :param key: the provider's key, access key id or token.
    :param secret: the provider's secret, when it has one.
    :param secure: talk HTTPS (the default) or, when ``False``, plain HTTP.
    :param host: the host to talk to instead of the provider's own.
    :param port: the port to talk to instead of the default for ``secure``.
    :param api_version: the provider API version, where a provider has several.
    :param region: the provider region, where the provider has regions.
    """

    #: The connection class this driver talks through; ``None`` for a driver that
    #: needs no HTTP (an in-memory or local provider).
    connectionCls: ClassVar[type[Connection] | None] = None

    #: The provider id, as used with ``nubo.get_driver``.
    type: ClassVar[str] = ""

    #: The provider's human name.
    name: ClassVar[str] = ""

    #: The provider's website.
    website: ClassVar[str] = ""

    #: The version of the driver contract this driver was written for.
    CONTRACT_VERSION: ClassVar[int] = CONTRACT_VERSION

    def __init__(
        self,
        key: str | None = None,
        secret: str | None = None,
        secure: bool = True,
        host: str | None = None,
        port: int | None = None,
        api_version: str | None = None,
        region: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.key = key
        self.secret = secret
        self.secure = secure
        self.host = host
        self.port = port
        self.api_version = api_version
        self.region = region

        self.connection: Connection | None = None
        if self.connectionCls is not None:
            self.connection = self._make_connection(kwargs)

    def _make_connection(self, kwargs: dict[str, Any]) -> Connection:
        """Build this driver's connection from the constructor's arguments."""
        from ._connection import ConnectionUserAndKey

        assert self.connectionCls is not None
        args: list[Any] = []
        if self.key is not None:
            args.append(self.key)
        if self.secret is not None and issubclass(
            self.connectionCls, ConnectionUserAndKey
        ):
            args.append(self.secret)

        conn_kwargs: dict[str, Any] = {"secure": self.secure}
        if self.host is not None:
            conn_kwargs["host"] = self.host
        if self.port is not None:
            conn_kwargs["port"] = self.port
        for name in _CONNECTION_KWARGS:
            if name in kwargs:
                conn_kwargs[name] = kwargs[name]
        conn_kwargs.update(self._ex_connection_class_kwargs())

        connection = self.connectionCls(*args, **conn_kwargs)
        connection.driver = self
        return connection

    def _ex_connection_class_kwargs(self) -> dict[str, Any]:
        """Return extra keyword arguments for the connection class.

        A driver overrides this to hand provider-specific settings (a region, a
        session token) to its connection.

        :returns: keyword arguments added to those the constructor collected.
        """
        return {}

    def close(self) -> None:
        """Close this driver's connection, if it has one, and its sockets.

        The driver stays usable; a later call opens a new connection. A driver
        is also a context manager that closes itself on leaving the block.
        """
        if self.connection is not None:
            self.connection.close()

    def __enter__(self: _D) -> _D:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        # Credentials are never part of a driver's repr.
        where = f" region={self.region!r}" if self.region else ""
        host = f" host={self.host!r}" if self.host else ""
        return f"<{type(self).__name__} provider={self.type!r}{where}{host}>"
