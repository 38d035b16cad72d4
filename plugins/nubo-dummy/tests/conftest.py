"""Fixtures for the dummy provider's tests: a driver on a clock the test moves."""

import pytest

from nubo.compute import Node, NodeImage, NodeSize
from nubo_dummy import DummyNodeDriver

#: Seconds a node takes to change state in the clocked driver.
BOOT = 10.0


class Clock:
    """A monotonic clock that moves only when a test says so."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float = BOOT) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def driver(clock: Clock) -> DummyNodeDriver:
    """A dummy driver whose transitions follow ``clock``."""
    dummy = DummyNodeDriver(ex_seed=7, ex_boot_delay=BOOT, ex_terminated_ttl=60)
    dummy._tick = clock  # type: ignore[method-assign]
    return dummy


@pytest.fixture
def size(driver: DummyNodeDriver) -> NodeSize:
    return next(s for s in driver.list_sizes() if s.id == "d1.small")


@pytest.fixture
def image(driver: DummyNodeDriver) -> NodeImage:
    return driver.get_image("img-debian-12")


@pytest.fixture
def node(
    driver: DummyNodeDriver, clock: Clock, size: NodeSize, image: NodeImage
) -> Node:
    """A node that is running."""
    created = driver.create_node("web-1", size, image)
    clock.advance()
    return driver.get_node(created.id)
