"""nubo-digitalocean: the DigitalOcean provider for nubo, over DigitalOcean's API v2.

``nubo.get_driver("digitalocean")(token)`` gives a
:class:`DigitalOceanNodeDriver`. It talks through a
:class:`DigitalOceanConnection`, whose answers are
:class:`DigitalOceanResponse` objects that keep the API's rate limit
(:class:`RateLimit`).
"""

from ._connection import DigitalOceanConnection, DigitalOceanResponse, RateLimit
from ._driver import DigitalOceanNodeDriver, ssh_fingerprint
from ._paging import MAX_PER_PAGE

__all__ = [
    "MAX_PER_PAGE",
    "DigitalOceanConnection",
    "DigitalOceanNodeDriver",
    "DigitalOceanResponse",
    "RateLimit",
    "ssh_fingerprint",
]
