"""The conformance kit over the EC2 driver, against moto's server on 127.0.0.1.

The driver claims the whole compute contract, so every kit test runs. moto is
emptied before each test; nodes are made from an image moto knows without being
told, in the region's first availability zone, and listings are paged with the
smallest page EC2 allows.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence

import pytest
from _moto_server import MotoServer

from nubo import _hooks
from nubo.compute import (
    Node,
    NodeDriver,
    NodeImage,
    NodeLocation,
    NodeSize,
    StorageVolume,
)
from nubo.testing import CONTRACT_METHODS, ConformanceSuite
from nubo_ec2 import EC2NodeDriver
from nubo_ec2._driver import Filters

pytestmark = pytest.mark.peer

#: An image moto's server knows from the start.
IMAGE = "ami-12c6146b"

#: The smallest ``MaxResults`` EC2 takes for the listings that page.
SMALLEST_PAGE = 5

#: EC2's prefixes of the ids the kit asks about.
ID_PREFIXES = {"node": "i", "image": "ami"}


class PagedEC2NodeDriver(EC2NodeDriver):
    """An EC2 driver whose listings ask for the smallest pages EC2 allows."""

    def iter_nodes(
        self,
        ex_node_ids: Sequence[str] | None = None,
        ex_filters: Filters | None = None,
        ex_page_size: int | None = None,
    ) -> Iterator[Node]:
        # EC2 refuses MaxResults together with instance ids.
        if ex_page_size is None and not ex_node_ids:
            ex_page_size = SMALLEST_PAGE
        return super().iter_nodes(ex_node_ids, ex_filters, ex_page_size)

    def iter_volumes(
        self,
        ex_volume_ids: Sequence[str] | None = None,
        ex_filters: Filters | None = None,
        ex_page_size: int | None = None,
    ) -> Iterator[StorageVolume]:
        if ex_page_size is None and not ex_volume_ids:
            ex_page_size = SMALLEST_PAGE
        return super().iter_volumes(ex_volume_ids, ex_filters, ex_page_size)


class TestEC2Conformance(ConformanceSuite):
    capabilities = CONTRACT_METHODS
    timeout = 60.0
    wait_period = 0.2

    @pytest.fixture(autouse=True)
    def _moto(
        self, moto_reset: MotoServer, monkeypatch: pytest.MonkeyPatch
    ) -> Iterator[None]:
        monkeypatch.setenv("NUBO_DISABLE_PLUGIN_AUTOLOAD", "1")
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy"):
            monkeypatch.delenv(name, raising=False)
        _hooks._reset()
        self.endpoint = moto_reset.endpoint
        yield
        _hooks._reset()

    def _make(self, cls: type[EC2NodeDriver]) -> EC2NodeDriver:
        host, port = self.endpoint
        return cls(
            "AKIDNUBOTESTING0000",
            "nubo-testing-secret",
            host=host,
            port=port,
            secure=False,
            region="us-east-1",
        )

    def make_driver(self) -> NodeDriver:
        return self._make(EC2NodeDriver)

    def make_paged_driver(self) -> NodeDriver:
        # More nodes and volumes than one page holds, so that pages are followed.
        driver = self._make(EC2NodeDriver)
        size, image = self.size_for_test(driver), self.image_for_test(driver)
        zone = self.location_for_test(driver)
        for number in range(SMALLEST_PAGE + 1):
            driver.create_node(f"{self.name_prefix}-page-{number}", size, image, zone)
            driver.create_volume(1, f"{self.name_prefix}-page-{number}", zone)
        return self._make(PagedEC2NodeDriver)

    def unknown_id(self, kind: str) -> str:
        digits = uuid.uuid4().hex[:17]
        prefix = ID_PREFIXES.get(kind)
        if prefix is None:
            return f"{self.name_prefix}-missing-{digits}"
        return f"{prefix}-{digits}"

    def size_for_test(self, driver: NodeDriver) -> NodeSize:
        assert isinstance(driver, EC2NodeDriver)
        [size] = driver.list_sizes(ex_instance_types=["t2.micro"])
        return size

    def image_for_test(self, driver: NodeDriver) -> NodeImage:
        return driver.get_image(IMAGE)

    def location_for_test(self, driver: NodeDriver) -> NodeLocation | None:
        return driver.list_locations()[0]
