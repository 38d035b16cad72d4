"""The version of the driver contract that this core speaks.

A provider's driver class declares the ``CONTRACT_VERSION`` it was written for, and
the core refuses a driver whose number differs from its own, so that a plugin built
for an older or newer contract fails at lookup with a clear message instead of
misbehaving at the first call.
"""

from typing import Final

#: The driver contract that this release of the core implements. It changes only
#: when the contract between the core and provider drivers changes incompatibly.
CONTRACT_VERSION: Final[int] = 1
