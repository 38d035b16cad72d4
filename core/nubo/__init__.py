"""nubo: drive cloud providers through one API, with providers as plugins.

The package root holds the contracts that every provider builds on and the
functions that find providers at run time. Compute drivers and their models live
in :mod:`nubo.compute`; every error is in :mod:`nubo.errors`.
"""

import logging

from . import errors
from ._contract import CONTRACT_VERSION
from ._driver import BaseDriver
from ._registry import (
    ProviderRecord,
    get_driver,
    providers,
    refresh_providers,
    register_driver,
    unregister_driver,
)
from ._version import __version__

__all__ = [
    "CONTRACT_VERSION",
    "BaseDriver",
    "ProviderRecord",
    "__version__",
    "errors",
    "get_driver",
    "providers",
    "refresh_providers",
    "register_driver",
    "unregister_driver",
]

# A library never configures logging for its user; it only makes sure that its
# records go nowhere until the application says where.
logging.getLogger(__name__).addHandler(logging.NullHandler())
