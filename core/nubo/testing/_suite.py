"""The conformance kit: pytest tests that check a compute driver keeps the contract.

A provider's test module subclasses :class:`ConformanceSuite`, says how to make
its driver (:meth:`ConformanceSuite.make_driver`) and which contract methods it
claims (:attr:`ConformanceSuite.capabilities`); pytest then collects the kit's
tests in that class. A test whose methods the driver does not claim is skipped
as unsupported, never failed. A failure names the method, the contract rule it
broke and what the method returned.

Resources a test makes are destroyed when it ends, pass or fail. Waits go
through the driver's own :meth:`~nubo.compute.NodeDriver.wait_until_running`
for nodes, and poll the driver for volumes, always with a timeout, so that a
provider whose resources take time to appear is checked as it really behaves.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any, ClassVar, NoReturn, TypeVar

import pytest

from ..compute import (
    KeyPair,
    Node,
    NodeDriver,
    NodeImage,
    NodeLocation,
    NodeSize,
    NodeState,
    StorageVolume,
    StorageVolumeState,
    VolumeSnapshot,
    VolumeSnapshotState,
)
from ..compute._base import _BUILT_ON, _CONTRACT_METHODS
from ..compute.deployment import ScriptDeployment
from ..errors import (
    InvalidArgumentError,
    NotFoundError,
    NotSupportedError,
    NuboError,
    WaitFailedError,
    WaitTimeoutError,
)

__all__ = ["CONTRACT_METHODS", "ConformanceSuite", "contract_violation"]

log = logging.getLogger(__name__)

#: Every method of the compute contract a driver may claim.
CONTRACT_METHODS: frozenset[str] = frozenset(_CONTRACT_METHODS)

#: A public key the key pair tests import; its private half was never kept.
SAMPLE_PUBLIC_KEY = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGtEmNCXPrAw3gkwfxmTXI5UpvFsRvXKphgmQpzqSlFP"
    " nubo-conformance"
)

_SHA1_HEX = re.compile(r"[0-9a-f]{40}")

_T = TypeVar("_T")


def contract_violation(method: str, rule: str, returned: object) -> NoReturn:
    """Fail the running test for a broken contract rule; it never returns.

    The failure reads ``method(): rule; it returned ...``, without a traceback,
    and pytest records the test as failed.

    :param method: the driver method that broke it, such as ``"list_nodes"``.
    :param rule: the rule, worded as what the contract asks.
    :param returned: what the method returned or raised.
    """
    pytest.fail(f"{method}(): {rule}; it returned {returned!r}", pytrace=False)


def _check_id(method: str, model: object) -> None:
    found = getattr(model, "id", None)
    if not isinstance(found, str) or not found:
        contract_violation(method, "every id is a non-empty string", found)


def _check_optional(
    method: str, field: str, value: object, kinds: tuple[type, ...]
) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, kinds):
        names = " or ".join(kind.__name__ for kind in kinds)
        contract_violation(method, f"{field} is {names} or None", value)


def _check_model(method: str, driver: NodeDriver, model: object, cls: type) -> None:
    if not isinstance(model, cls):
        contract_violation(method, f"every item is a {cls.__name__}", model)
    _check_id(method, model)
    if getattr(model, "driver", None) is not driver:
        contract_violation(
            method, f"every {cls.__name__} keeps the driver that read it", model
        )
    if not isinstance(getattr(model, "extra", None), dict):
        contract_violation(method, "extra is a dict", getattr(model, "extra", None))


def _check_list(
    method: str, driver: NodeDriver, items: object, cls: type
) -> Sequence[Any]:
    if not isinstance(items, list):
        contract_violation(method, f"it returns a list of {cls.__name__}", items)
    for item in items:
        _check_model(method, driver, item, cls)

    ids = [item.id for item in items]
    if len(ids) != len(set(ids)):
        contract_violation(method, "no item is listed twice", ids)
    return items


def _check_node(method: str, driver: NodeDriver, node: object) -> Node:
    _check_model(method, driver, node, Node)
    assert isinstance(node, Node)
    if not isinstance(node.state, NodeState):
        contract_violation(method, "a node's state is a NodeState", node.state)
    for field in ("public_ips", "private_ips"):
        addresses = getattr(node, field)
        if not isinstance(addresses, list) or not all(
            isinstance(a, str) for a in addresses
        ):
            contract_violation(method, f"{field} is a list of strings", addresses)
    _check_optional(method, "name", node.name, (str,))
    if not _SHA1_HEX.fullmatch(node.uuid):
        contract_violation(method, "a node's uuid is 40 hex digits", node.uuid)
    return node


def _check_volume(method: str, driver: NodeDriver, volume: object) -> StorageVolume:
    _check_model(method, driver, volume, StorageVolume)
    assert isinstance(volume, StorageVolume)
    if not isinstance(volume.state, StorageVolumeState):
        contract_violation(
            method, "a volume's state is a StorageVolumeState", volume.state
        )
    _check_optional(method, "size", volume.size, (int,))
    return volume


def _check_snapshot(
    method: str, driver: NodeDriver, snapshot: object
) -> VolumeSnapshot:
    _check_model(method, driver, snapshot, VolumeSnapshot)
    assert isinstance(snapshot, VolumeSnapshot)
    if not isinstance(snapshot.state, VolumeSnapshotState):
        contract_violation(
            method, "a snapshot's state is a VolumeSnapshotState", snapshot.state
        )
    return snapshot


def _check_key_pair(method: str, driver: NodeDriver, key_pair: object) -> KeyPair:
    _check_model(method, driver, key_pair, KeyPair)
    assert isinstance(key_pair, KeyPair)
    if not isinstance(key_pair.name, str) or not key_pair.name:
        contract_violation(method, "a key pair's name is a string", key_pair.name)
    _check_optional(method, "fingerprint", key_pair.fingerprint, (str,))
    _check_optional(method, "public_key", key_pair.public_key, (str,))
    return key_pair


def _check_true(method: str, returned: object) -> None:
    if returned is not True:
        contract_violation(
            method, "it returns True when the provider accepts", returned
        )


class ConformanceSuite:
    """The contract tests; subclass it in a test module named ``Test...``::

        from nubo.testing import ConformanceSuite

        class TestAcmeConformance(ConformanceSuite):
            capabilities = {"list_nodes", "list_sizes", "create_node"}

            def make_driver(self):
                return AcmeNodeDriver("key", host="127.0.0.1", port=PORT)

    Override the ``*_for_test`` methods and the settings below where the
    provider needs other arguments than the defaults.
    """

    #: The contract methods the driver claims; the rest must be unsupported.
    capabilities: ClassVar[frozenset[str] | set[str]] = frozenset()

    #: Seconds any one wait may take: a node to run, a volume to attach.
    timeout: ClassVar[float] = 120.0

    #: Seconds between two looks at a resource that is changing.
    wait_period: ClassVar[float] = 0.5

    #: The size, in GiB, of the volumes the kit creates.
    volume_size: ClassVar[int] = 1

    #: A prefix for the names of everything the kit creates.
    name_prefix: ClassVar[str] = "nubo-kit"

    # -- what a provider's test module provides ------------------------------------

    def make_driver(self) -> NodeDriver:
        """Make the driver under test, pointed at a local or recorded API.

        :returns: a new driver; each test gets its own.
        :raises NotImplementedError: when the subclass does not say how.
        """
        raise NotImplementedError(
            "a ConformanceSuite subclass must define make_driver()"
        )

    def make_paged_driver(self) -> NodeDriver | None:
        """Make a driver on the same account that asks for the smallest pages.

        :returns: the driver, or ``None`` (the default) when the provider does
            not page or cannot be asked to.
        """
        return None

    def unknown_id(self, kind: str) -> str:
        """An id the provider has no resource for, well formed for it.

        :param kind: ``"node"``, ``"image"`` or ``"key_pair"``.
        :returns: the id; by default a random name no provider has used.
        """
        return f"{self.name_prefix}-missing-{kind}-{uuid.uuid4().hex[:12]}"

    def size_for_test(self, driver: NodeDriver) -> NodeSize:
        """The size the kit makes nodes with; the first one listed by default.

        :param driver: the driver under test.
        :returns: the size.
        """
        return driver.list_sizes()[0]

    def image_for_test(self, driver: NodeDriver) -> NodeImage:
        """The image the kit boots nodes from; the first one listed by default.

        :param driver: the driver under test.
        :returns: the image.
        """
        return driver.list_images()[0]

    def location_for_test(self, driver: NodeDriver) -> NodeLocation | None:
        """Where the kit makes nodes and volumes; the provider's default
        (``None``) unless overridden.

        :param driver: the driver under test.
        :returns: the location, or ``None``.
        """
        return None

    def create_node_kwargs(self) -> dict[str, Any]:
        """The provider's own ``ex_`` arguments for
        :meth:`~nubo.compute.NodeDriver.create_node`.

        :returns: keyword arguments; none by default.
        """
        return {}

    # -- the fixtures --------------------------------------------------------------

    @pytest.fixture
    def driver(self) -> Iterator[NodeDriver]:
        """The driver under test; what a test made with it is destroyed after."""
        made = self.make_driver()
        if not isinstance(made, NodeDriver):
            contract_violation("make_driver", "it makes a NodeDriver", made)
        self._cleanups: list[Callable[[], object]] = []

        yield made

        for cleanup in reversed(self._cleanups):
            try:
                cleanup()
            except NuboError as error:
                log.warning("cleaning up after a conformance test: %s", error)

    # -- the steps the tests share ------------------------------------------------

    def _require(self, *methods: str) -> None:
        claimed = self._expanded()
        missing = [m for m in methods if m not in claimed]
        if missing:
            pytest.skip(f"unsupported: the driver does not claim {', '.join(missing)}")

    def _name(self, what: str) -> str:
        return f"{self.name_prefix}-{what}-{uuid.uuid4().hex[:8]}"

    def _later(self, cleanup: Callable[[], object]) -> None:
        self._cleanups.append(cleanup)

    def _poll(
        self,
        method: str,
        rule: str,
        look: Callable[[], _T],
        done: Callable[[_T], bool],
    ) -> _T:
        """Look until ``done`` says yes, at most :attr:`timeout` seconds; a wait
        that runs out fails with what was seen last."""
        deadline = time.monotonic() + self.timeout
        while True:
            seen = look()
            if done(seen):
                return seen

            if time.monotonic() >= deadline:
                contract_violation(method, f"{rule} within {self.timeout:g} s", seen)
            time.sleep(self.wait_period)

    def _expanded(self) -> set[str]:
        claimed = set(self.capabilities)
        for method, bases in _BUILT_ON.items():
            if any(base in claimed for base in bases):
                claimed.add(method)

        # NodeDriver offers deploy_node on top of create_node and waiting.
        if {"create_node", "wait_until_running"} <= claimed:
            claimed.add("deploy_node")
        return claimed

    def _create_node(self, driver: NodeDriver) -> Node:
        size = self.size_for_test(driver)
        image = self.image_for_test(driver)
        location = self.location_for_test(driver)
        node = driver.create_node(
            self._name("node"), size, image, location, **self.create_node_kwargs()
        )
        if isinstance(node, Node) and "destroy_node" in self.capabilities:
            self._later(lambda: driver.destroy_node(node))
        return _check_node("create_node", driver, node)

    def _wait_running(self, driver: NodeDriver, node: Node) -> Node:
        result = driver.wait_until_running(
            [node], wait_period=self.wait_period, timeout=self.timeout
        )
        if not isinstance(result, list) or len(result) != 1:
            contract_violation(
                "wait_until_running",
                "it returns one (node, addresses) per node",
                result,
            )
        fresh, addresses = result[0]
        _check_node("wait_until_running", driver, fresh)
        if fresh.id != node.id or fresh.state is not NodeState.RUNNING:
            contract_violation(
                "wait_until_running", "it returns the same node, running", fresh
            )
        if not addresses or not all(isinstance(a, str) for a in addresses):
            contract_violation(
                "wait_until_running", "addresses is a non-empty list of str", addresses
            )
        return fresh

    def _node_state(self, driver: NodeDriver, node: Node) -> NodeState | None:
        for listed in driver.list_nodes():
            if listed.id == node.id:
                return listed.state
        return None

    def _volume(
        self, driver: NodeDriver, volume: StorageVolume
    ) -> StorageVolume | None:
        for listed in driver.list_volumes():
            if listed.id == volume.id:
                return _check_volume("list_volumes", driver, listed)
        return None

    def _volume_in(
        self, driver: NodeDriver, volume: StorageVolume, state: StorageVolumeState
    ) -> StorageVolume:
        found = self._poll(
            "list_volumes",
            f"volume {volume.id} becomes {state.value}",
            lambda: self._volume(driver, volume),
            lambda seen: seen is not None and seen.state is state,
        )
        assert found is not None
        return found

    # -- capabilities --------------------------------------------------------------

    def test_claims_are_contract_methods(self, driver: NodeDriver) -> None:
        """Every claimed capability is a method of the contract."""
        unknown = sorted(set(self.capabilities) - CONTRACT_METHODS)
        if unknown:
            contract_violation(
                "capabilities", "every claim names a contract method", unknown
            )

    def test_supports_agrees_with_claims(self, driver: NodeDriver) -> None:
        """``supports`` says yes to what is claimed and no to the rest."""
        claimed = self._expanded()
        for method in sorted(CONTRACT_METHODS):
            answer = driver.supports(method)
            if answer is not (method in claimed):
                rule = (
                    "supports() agrees with the claimed capabilities: "
                    f"{method} is {'' if method in claimed else 'not '}claimed"
                )
                contract_violation(f"supports({method!r})", rule, answer)

    def test_supports_refuses_unknown_names(self, driver: NodeDriver) -> None:
        """``supports`` refuses a name that is no method, so typos show."""
        try:
            answer = driver.supports("list_nodez")
        except InvalidArgumentError:
            return
        contract_violation(
            "supports('list_nodez')",
            "an unknown name raises InvalidArgumentError",
            answer,
        )

    def test_unsupported_methods_raise_not_supported(self, driver: NodeDriver) -> None:
        """Each method ``supports`` says no to raises ``NotSupportedError``."""
        node = Node("kit-node", "kit", NodeState.RUNNING, [], [], driver)
        size = NodeSize("kit-size", "kit", 1, 1, None, None, driver)
        image = NodeImage("kit-image", "kit", driver)
        volume = StorageVolume("kit-volume", "kit", 1, driver)
        snapshot = VolumeSnapshot("kit-snapshot", driver)
        key_pair = KeyPair("kit-key", None, None, driver)
        calls: dict[str, Callable[[], object]] = {
            "list_nodes": lambda: driver.list_nodes(),
            "iter_nodes": lambda: next(driver.iter_nodes(), None),
            "get_node": lambda: driver.get_node("kit-node"),
            "create_node": lambda: driver.create_node("kit", size, image),
            "deploy_node": lambda: driver.deploy_node(ScriptDeployment("true")),
            "reboot_node": lambda: driver.reboot_node(node),
            "start_node": lambda: driver.start_node(node),
            "stop_node": lambda: driver.stop_node(node),
            "destroy_node": lambda: driver.destroy_node(node),
            "wait_until_running": lambda: driver.wait_until_running([node]),
            "list_sizes": lambda: driver.list_sizes(),
            "iter_sizes": lambda: next(driver.iter_sizes(), None),
            "list_locations": lambda: driver.list_locations(),
            "iter_locations": lambda: next(driver.iter_locations(), None),
            "list_volumes": lambda: driver.list_volumes(),
            "iter_volumes": lambda: next(driver.iter_volumes(), None),
            "create_volume": lambda: driver.create_volume(1, "kit"),
            "attach_volume": lambda: driver.attach_volume(node, volume),
            "detach_volume": lambda: driver.detach_volume(volume),
            "destroy_volume": lambda: driver.destroy_volume(volume),
            "list_volume_snapshots": lambda: driver.list_volume_snapshots(volume),
            "iter_volume_snapshots": lambda: next(
                driver.iter_volume_snapshots(volume), None
            ),
            "create_volume_snapshot": lambda: driver.create_volume_snapshot(volume),
            "destroy_volume_snapshot": lambda: driver.destroy_volume_snapshot(snapshot),
            "list_images": lambda: driver.list_images(),
            "iter_images": lambda: next(driver.iter_images(), None),
            "get_image": lambda: driver.get_image("kit-image"),
            "create_image": lambda: driver.create_image(node, "kit"),
            "delete_image": lambda: driver.delete_image(image),
            "copy_image": lambda: driver.copy_image("kit-region", image, "kit"),
            "list_key_pairs": lambda: driver.list_key_pairs(),
            "iter_key_pairs": lambda: next(driver.iter_key_pairs(), None),
            "get_key_pair": lambda: driver.get_key_pair("kit-key"),
            "create_key_pair": lambda: driver.create_key_pair("kit-key"),
            "import_key_pair_from_string": lambda: driver.import_key_pair_from_string(
                "kit-key", SAMPLE_PUBLIC_KEY
            ),
            "import_key_pair_from_file": lambda: driver.import_key_pair_from_file(
                "kit-key", "kit-key.pub"
            ),
            "delete_key_pair": lambda: driver.delete_key_pair(key_pair),
        }

        checked = 0
        for method in sorted(CONTRACT_METHODS):
            if driver.supports(method):
                continue
            checked += 1
            try:
                returned = calls[method]()
            except NotSupportedError as error:
                if error.method not in (method, None):
                    contract_violation(
                        method, "NotSupportedError names the method called", error
                    )
                continue
            except Exception as error:
                returned = error
            contract_violation(
                method,
                "a method supports() says no to raises NotSupportedError",
                returned,
            )

        if not checked:
            pytest.skip("the driver supports every method; none to check")

    # -- sizes, locations, images --------------------------------------------------

    def test_list_sizes(self, driver: NodeDriver) -> None:
        """Sizes are NodeSize with string ids and numeric fields."""
        self._require("list_sizes")
        sizes = _check_list("list_sizes", driver, driver.list_sizes(), NodeSize)
        for size in sizes:
            _check_optional("list_sizes", "name", size.name, (str,))
            for field in ("ram", "disk", "bandwidth"):
                _check_optional("list_sizes", field, getattr(size, field), (int,))
            _check_optional("list_sizes", "price", size.price, (int, float))

    def test_list_locations(self, driver: NodeDriver) -> None:
        """Locations are NodeLocation with string ids."""
        self._require("list_locations")
        locations = _check_list(
            "list_locations", driver, driver.list_locations(), NodeLocation
        )
        for location in locations:
            _check_optional("list_locations", "name", location.name, (str,))
            _check_optional("list_locations", "country", location.country, (str,))

    def test_list_images(self, driver: NodeDriver) -> None:
        """Images are NodeImage with string ids."""
        self._require("list_images")
        images = _check_list("list_images", driver, driver.list_images(), NodeImage)
        for image in images:
            _check_optional("list_images", "name", image.name, (str,))

    def test_get_image(self, driver: NodeDriver) -> None:
        """``get_image`` finds a listed image."""
        self._require("list_images", "get_image")
        listed = driver.list_images()
        if not listed:
            pytest.skip("the driver lists no image to get")

        found = driver.get_image(listed[0].id)
        _check_model("get_image", driver, found, NodeImage)
        if found != listed[0]:
            contract_violation(
                "get_image", f"it returns the image {listed[0].id}", found
            )

    def test_get_image_unknown(self, driver: NodeDriver) -> None:
        """``get_image`` of an unknown id raises NotFoundError."""
        self._require("get_image")
        self._check_not_found(
            "get_image", lambda: driver.get_image(self.unknown_id("image"))
        )

    def _check_not_found(self, method: str, call: Callable[[], object]) -> None:
        try:
            returned = call()
        except NotFoundError:
            return
        except Exception as error:
            returned = error
        contract_violation(method, "an unknown id raises NotFoundError", returned)

    # -- lists across pages --------------------------------------------------------

    @pytest.mark.parametrize(
        "method",
        ["nodes", "sizes", "locations", "images", "volumes", "key_pairs"],
    )
    def test_list_and_iter_agree(self, driver: NodeDriver, method: str) -> None:
        """``list_*`` and ``iter_*`` give the same items, each once."""
        self._require(f"list_{method}")
        listed = getattr(driver, f"list_{method}")()
        iterated = list(getattr(driver, f"iter_{method}")())

        if sorted(i.id for i in iterated) != sorted(i.id for i in listed):
            contract_violation(
                f"iter_{method}",
                f"it yields what list_{method}() returns",
                [i.id for i in iterated],
            )

    @pytest.mark.parametrize(
        "method",
        ["nodes", "sizes", "locations", "images", "volumes", "key_pairs"],
    )
    def test_lists_complete_across_pages(self, driver: NodeDriver, method: str) -> None:
        """With the smallest pages, a list still has every item, each once."""
        self._require(f"list_{method}")
        paged = self.make_paged_driver()
        if paged is None:
            pytest.skip("unsupported: the suite has no make_paged_driver()")

        whole = getattr(driver, f"list_{method}")()
        pages = _check_list(
            f"list_{method}",
            paged,
            getattr(paged, f"list_{method}")(),
            type(whole[0]) if whole else object,
        )
        if sorted(i.id for i in pages) != sorted(i.id for i in whole):
            contract_violation(
                f"list_{method}",
                "a list holds every item across every page",
                [i.id for i in pages],
            )

    # -- nodes ---------------------------------------------------------------------

    def test_list_nodes(self, driver: NodeDriver) -> None:
        """Nodes are Node with states from NodeState and stable uuids."""
        self._require("list_nodes")
        first = _check_list("list_nodes", driver, driver.list_nodes(), Node)
        for node in first:
            _check_node("list_nodes", driver, node)

        again = {node.id: node for node in driver.list_nodes()}
        for node in first:
            other = again.get(node.id)
            if other is not None and (other.uuid != node.uuid or other != node):
                contract_violation(
                    "list_nodes", "a node's uuid and identity are stable", other
                )

    def test_get_node_unknown(self, driver: NodeDriver) -> None:
        """``get_node`` of an unknown id raises NotFoundError."""
        self._require("get_node")
        self._check_not_found(
            "get_node", lambda: driver.get_node(self.unknown_id("node"))
        )

    def test_node_lifecycle(self, driver: NodeDriver) -> None:
        """A node goes from create through running to destroyed."""
        self._require("create_node", "list_nodes", "destroy_node")
        node = self._create_node(driver)

        listed = {n.id: n for n in driver.list_nodes()}
        if node.id not in listed:
            contract_violation(
                "list_nodes", f"it lists the new node {node.id}", sorted(listed)
            )
        if listed[node.id].uuid != node.uuid:
            contract_violation("list_nodes", "a node's uuid is stable", listed[node.id])

        running = self._wait_running(driver, node)
        if running.uuid != node.uuid:
            contract_violation("wait_until_running", "a node's uuid is stable", running)

        if "get_node" in self.capabilities:
            fetched = _check_node("get_node", driver, driver.get_node(node.id))
            if fetched != node or fetched.uuid != node.uuid:
                contract_violation("get_node", f"it returns node {node.id}", fetched)

        _check_true("destroy_node", driver.destroy_node(running))

        gone = {NodeState.TERMINATING, NodeState.TERMINATED, None}
        self._poll(
            "destroy_node",
            f"node {node.id} ends terminated or unlisted",
            lambda: self._node_state(driver, node),
            lambda state: state in gone,
        )

    def test_node_stop_start_reboot(self, driver: NodeDriver) -> None:
        """A running node stops, starts and reboots, and runs again after each."""
        self._require("create_node", "list_nodes", "destroy_node")
        actions = [
            a for a in ("stop", "start", "reboot") if f"{a}_node" in self.capabilities
        ]
        if not actions:
            pytest.skip("unsupported: the driver claims none of stop, start, reboot")
        node = self._wait_running(driver, self._create_node(driver))

        if "stop_node" in self.capabilities:
            _check_true("stop_node", driver.stop_node(node))
            self._poll(
                "stop_node",
                f"node {node.id} ends stopped",
                lambda: self._node_state(driver, node),
                lambda state: state is NodeState.STOPPED,
            )
            if "start_node" not in self.capabilities:
                return
            _check_true("start_node", driver.start_node(node))
            node = self._wait_running(driver, node)

        if "reboot_node" in self.capabilities:
            _check_true("reboot_node", driver.reboot_node(node))
            self._wait_running(driver, node)

    def test_wait_until_running_outcomes(self, driver: NodeDriver) -> None:
        """Waiting returns at once for no nodes, refuses bad arguments, and fails
        for a destroyed node instead of waiting out the timeout."""
        self._require("wait_until_running")
        if driver.wait_until_running([], wait_period=self.wait_period) != []:
            contract_violation("wait_until_running", "no nodes give []", "something")

        try:
            returned: object = driver.wait_until_running([], ssh_interface="serial")
        except InvalidArgumentError:
            pass
        else:
            contract_violation(
                "wait_until_running",
                "a bad ssh_interface raises InvalidArgumentError",
                returned,
            )

        if not {"create_node", "destroy_node"} <= set(self.capabilities):
            return
        node = self._create_node(driver)
        try:
            ready = driver.wait_until_running(
                [node], wait_period=self.wait_period, timeout=0
            )
        except WaitTimeoutError as error:
            if node.id not in [ident for ident, _ in error.pending]:
                contract_violation(
                    "wait_until_running",
                    "a timeout names the pending node",
                    error.pending,
                )
        else:
            if [n.id for n, _ in ready] != [node.id]:
                contract_violation(
                    "wait_until_running", "a ready node is returned at once", ready
                )

        driver.destroy_node(node)
        try:
            returned = driver.wait_until_running(
                [node], wait_period=self.wait_period, timeout=self.timeout
            )
        except WaitFailedError as error:
            if error.resource_id != node.id:
                contract_violation(
                    "wait_until_running", "a failed wait names the node", error
                )
            return
        contract_violation(
            "wait_until_running", "a destroyed node raises WaitFailedError", returned
        )

    # -- volumes -------------------------------------------------------------------

    def test_volume_lifecycle(self, driver: NodeDriver) -> None:
        """A volume is created, listed, available, snapshotted and destroyed."""
        self._require("create_volume", "list_volumes", "destroy_volume")
        location = self.location_for_test(driver)
        volume = _check_volume(
            "create_volume",
            driver,
            driver.create_volume(self.volume_size, self._name("volume"), location),
        )
        self._later(lambda: driver.destroy_volume(volume))
        volume = self._volume_in(driver, volume, StorageVolumeState.AVAILABLE)

        if "create_volume_snapshot" in self.capabilities:
            snapshot = _check_snapshot(
                "create_volume_snapshot",
                driver,
                driver.create_volume_snapshot(volume, self._name("snapshot")),
            )
            if "list_volume_snapshots" in self.capabilities:
                listed = _check_list(
                    "list_volume_snapshots",
                    driver,
                    driver.list_volume_snapshots(volume),
                    VolumeSnapshot,
                )
                if snapshot.id not in [s.id for s in listed]:
                    contract_violation(
                        "list_volume_snapshots",
                        f"it lists the new snapshot {snapshot.id}",
                        [s.id for s in listed],
                    )
            if "destroy_volume_snapshot" in self.capabilities:
                _check_true(
                    "destroy_volume_snapshot", driver.destroy_volume_snapshot(snapshot)
                )

        self._cleanups.pop()
        _check_true("destroy_volume", driver.destroy_volume(volume))
        gone = (StorageVolumeState.DELETING, StorageVolumeState.DELETED)
        self._poll(
            "destroy_volume",
            f"volume {volume.id} is no longer listed as usable",
            lambda: self._volume(driver, volume),
            lambda seen: seen is None or seen.state in gone,
        )

    def test_volume_attach_detach(self, driver: NodeDriver) -> None:
        """A volume attaches to a running node, is in use, and detaches."""
        self._require(
            "create_volume",
            "list_volumes",
            "destroy_volume",
            "attach_volume",
            "detach_volume",
            "create_node",
            "destroy_node",
        )
        node = self._wait_running(driver, self._create_node(driver))
        volume = _check_volume(
            "create_volume",
            driver,
            driver.create_volume(
                self.volume_size, self._name("volume"), self.location_for_test(driver)
            ),
        )
        self._later(lambda: driver.destroy_volume(volume))
        volume = self._volume_in(driver, volume, StorageVolumeState.AVAILABLE)

        _check_true("attach_volume", driver.attach_volume(node, volume))
        attached = self._volume_in(driver, volume, StorageVolumeState.INUSE)

        _check_true("detach_volume", driver.detach_volume(attached))
        self._volume_in(driver, volume, StorageVolumeState.AVAILABLE)

    # -- key pairs -----------------------------------------------------------------

    def test_key_pair_round_trip(self, driver: NodeDriver) -> None:
        """A made key pair has its private key once, reads back, and is deleted."""
        self._require("create_key_pair", "get_key_pair", "delete_key_pair")
        name = self._name("key")
        made = _check_key_pair("create_key_pair", driver, driver.create_key_pair(name))
        self._later(lambda: driver.delete_key_pair(made))
        if made.name != name:
            contract_violation(
                "create_key_pair", f"the key pair is named {name}", made.name
            )
        if not isinstance(made.private_key, str) or not made.private_key:
            contract_violation(
                "create_key_pair", "a made key pair holds its private key", None
            )

        read = _check_key_pair("get_key_pair", driver, driver.get_key_pair(name))
        if read != made or read.fingerprint != made.fingerprint:
            contract_violation("get_key_pair", f"it returns key pair {name}", read)
        if read.private_key is not None:
            contract_violation(
                "get_key_pair", "a read key pair has no private key", "a private key"
            )

        if "list_key_pairs" in self.capabilities:
            names = [k.name for k in driver.list_key_pairs()]
            if name not in names:
                contract_violation("list_key_pairs", f"it lists {name}", names)

        self._cleanups.pop()
        _check_true("delete_key_pair", driver.delete_key_pair(made))
        self._check_not_found("get_key_pair", lambda: driver.get_key_pair(name))

    def test_key_pair_import(self, driver: NodeDriver) -> None:
        """An imported public key reads back with the same fingerprint."""
        self._require("import_key_pair_from_string", "get_key_pair", "delete_key_pair")
        name = self._name("key")
        imported = _check_key_pair(
            "import_key_pair_from_string",
            driver,
            driver.import_key_pair_from_string(name, SAMPLE_PUBLIC_KEY),
        )
        self._later(lambda: driver.delete_key_pair(imported))

        read = _check_key_pair("get_key_pair", driver, driver.get_key_pair(name))
        if read != imported or read.fingerprint != imported.fingerprint:
            contract_violation("get_key_pair", f"it returns key pair {name}", read)

    def test_get_key_pair_unknown(self, driver: NodeDriver) -> None:
        """``get_key_pair`` of an unknown name raises NotFoundError."""
        self._require("get_key_pair")
        self._check_not_found(
            "get_key_pair", lambda: driver.get_key_pair(self.unknown_id("key_pair"))
        )
