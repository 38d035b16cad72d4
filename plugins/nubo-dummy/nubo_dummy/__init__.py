"""nubo-dummy: an in-memory compute provider for nubo.

:class:`DummyNodeDriver` keeps a whole cloud in one object, needs no credentials
and never touches the network. It is what nubo's examples, CLI and docs run on,
and the reference the conformance kit is checked on.
"""

from ._driver import DummyNodeDriver

__all__ = ["DummyNodeDriver"]
