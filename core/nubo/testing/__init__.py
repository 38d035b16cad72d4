"""nubo.testing: the conformance kit and HTTP record and replay, for provider authors.

Install it with the ``testing`` extra (``pip install "nubo[testing]"``). A
provider's test module subclasses :class:`ConformanceSuite` to run the contract
tests on its driver; :func:`record` and :func:`replay` capture a real or emulated
API's answers once, scrubbed of every secret, and play them back offline.
"""

from ._replay import Recorder, Replayer, record, replay
from ._suite import CONTRACT_METHODS, ConformanceSuite, contract_violation

__all__ = [
    "CONTRACT_METHODS",
    "ConformanceSuite",
    "Recorder",
    "Replayer",
    "contract_violation",
    "record",
    "replay",
]
