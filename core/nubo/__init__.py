"""nubo: drive cloud providers through one API, with providers as plugins.

The package root holds the contracts that every provider builds on and the
functions that find providers at run time. Compute drivers and their models live
in ``nubo.compute``; every error is in :mod:`nubo.errors`.
"""

import logging

from . import errors
from ._connection import Connection, ConnectionKey, ConnectionUserAndKey, Request
from ._contract import CONTRACT_VERSION
from ._driver import BaseDriver
from ._hooks import (
    PluginRecord,
    autoload_plugins,
    hookimpl,
    plugin_records,
    register_plugin,
    unregister_plugin,
)
from ._response import JsonResponse, RawResponse, Response, XmlResponse
from ._retry import RetryPolicy
from ._version import __version__

__all__ = [
    "CONTRACT_VERSION",
    "BaseDriver",
    "Connection",
    "ConnectionKey",
    "ConnectionUserAndKey",
    "JsonResponse",
    "PluginRecord",
    "RawResponse",
    "Request",
    "Response",
    "RetryPolicy",
    "XmlResponse",
    "__version__",
    "autoload_plugins",
    "errors",
    "hookimpl",
    "plugin_records",
    "register_plugin",
    "unregister_plugin",
]

# A library never configures logging for its user; it only makes sure that its
# records go nowhere until the application says where.
logging.getLogger(__name__).addHandler(logging.NullHandler())
