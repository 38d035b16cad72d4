"""nubo-ec2: the Amazon EC2 provider for nubo.

The package signs requests with AWS Signature Version 4 (:mod:`nubo_ec2._sigv4`),
finds the endpoint of a region in every partition (:mod:`nubo_ec2._endpoints`) and
reads EC2's XML answers into plain dictionaries (:mod:`nubo_ec2._parse`). Those
modules are the driver's building blocks, not a public API.
"""

# TODO(#6): the entry point names nubo_ec2:EC2NodeDriver, which needs the core's
# Connection, XmlResponse and NodeDriver; until it exists, get_driver("ec2") fails
# with ProviderLoadError.
__all__: list[str] = []
