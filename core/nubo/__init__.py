"""nubo: drive cloud providers through one API, with providers as plugins.

The package root holds the contracts that every provider builds on and the
functions that find providers at run time. Compute drivers and their models live
in :mod:`nubo.compute`; every error is in :mod:`nubo.errors`.
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
from ._registry import (
    ProviderRecord,
    get_driver,
    providers,
    refresh_providers,
    register_driver,
    unregister_driver,
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
    "ProviderRecord",
    "RawResponse",
    "Request",
    "Response",
    "RetryPolicy",
    "XmlResponse",
    "__version__",
    "autoload_plugins",
    "errors",
    "get_driver",
    "hookimpl",
    "plugin_records",
    "providers",
    "refresh_providers",
    "register_driver",
    "register_plugin",
    "unregister_driver",
    "unregister_plugin",
]

# A library never configures logging for its user; it only makes sure that its
# records go nowhere until the application says where.
logging.getLogger(__name__).addHandler(logging.NullHandler())
