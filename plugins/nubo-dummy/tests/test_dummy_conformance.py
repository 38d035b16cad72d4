"""The conformance kit over the dummy provider: every method it claims."""

from nubo.compute import NodeDriver
from nubo.testing import CONTRACT_METHODS, ConformanceSuite
from nubo_dummy import DummyNodeDriver


class TestDummyConformance(ConformanceSuite):
    # The dummy offers the whole contract but deployment over SSH.
    capabilities = CONTRACT_METHODS - {"deploy_node"}
    timeout = 30.0
    wait_period = 0.02

    def make_driver(self) -> NodeDriver:
        return DummyNodeDriver(ex_boot_delay=0.05, ex_terminated_ttl=60)
