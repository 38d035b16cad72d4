"""nubo-ec2: the Amazon EC2 provider for nubo.

:class:`EC2NodeDriver` drives EC2 over its Query API; the entry point ``ec2`` in
the group ``nubo.compute`` names it, so ``nubo.get_driver("ec2")`` finds it. Its
connection signs requests with AWS Signature Version 4 (:mod:`nubo_ec2._sigv4`),
finds the endpoint of a region in every partition (:mod:`nubo_ec2._endpoints`)
and its response reads EC2's XML answers (:mod:`nubo_ec2._parse`); those modules
are the driver's building blocks, not a public API.
"""

from ._connection import API_VERSION, EC2Connection, EC2Response
from ._driver import EC2NodeDriver

__all__ = ["API_VERSION", "EC2Connection", "EC2NodeDriver", "EC2Response"]
