"""NodeDriver's contract: unsupported methods, supports(), paging, members."""

import inspect
from collections.abc import Iterator
from typing import Any

import pytest

import nubo
from nubo.compute import (
    KeyPair,
    Node,
    NodeAuthPassword,
    NodeAuthSSHKey,
    NodeDriver,
    NodeImage,
    NodeLocation,
    NodeSize,
    NodeState,
    StorageVolume,
    VolumeSnapshot,
)
from nubo.errors import InvalidArgumentError, NotSupportedError


class BareDriver(NodeDriver):
    """A provider that implements nothing."""

    type = "bare"
    name = "Bare"


class PagedDriver(NodeDriver):
    """A provider that pages its nodes, three to a page, and its images."""

    type = "paged"
    features = {"create_node": ["ssh_key"]}

    def __init__(self, count: int) -> None:
        super().__init__("key")
        self.count = count
        self.pages_read = 0

    def iter_nodes(self) -> Iterator[Node]:
        for start in range(0, self.count, 3):
            self.pages_read += 1
            for n in range(start, min(start + 3, self.count)):
                yield Node(n, f"node-{n}", NodeState.RUNNING, [], [], self)

    def list_images(self, location: NodeLocation | None = None) -> list[NodeImage]:
        return [NodeImage("img-1", "one", self), NodeImage("img-2", "two", self)]

    def import_key_pair_from_string(self, name: str, key_material: str) -> KeyPair:
        return KeyPair(name, key_material, None, self)


def node(driver: NodeDriver) -> Node:
    return Node("n-1", "n", NodeState.RUNNING, [], [], driver)


def calls(driver: NodeDriver) -> dict[str, tuple[Any, ...]]:
    """One call with plausible arguments for every contract method."""
    n = node(driver)
    volume = StorageVolume("v-1", "v", 1, driver)
    image = NodeImage("i-1", "i", driver)
    size = NodeSize("s-1", "s", 512, 10, None, None, driver)
    return {
        "list_nodes": (),
        "list_sizes": (),
        "list_locations": (),
        "create_node": ("web", size, image),
        "reboot_node": (n,),
        "start_node": (n,),
        "stop_node": (n,),
        "destroy_node": (n,),
        "get_node": ("n-1",),
        "list_volumes": (),
        "list_volume_snapshots": (volume,),
        "create_volume": (1, "v"),
        "create_volume_snapshot": (volume,),
        "attach_volume": (n, volume),
        "detach_volume": (volume,),
        "destroy_volume": (volume,),
        "destroy_volume_snapshot": (VolumeSnapshot("s-1", driver),),
        "list_images": (),
        "create_image": (n, "img"),
        "delete_image": (image,),
        "get_image": ("i-1",),
        "copy_image": ("eu-west-1", image, "copy"),
        "list_key_pairs": (),
        "get_key_pair": ("k",),
        "create_key_pair": ("k",),
        "import_key_pair_from_string": ("k", "ssh-ed25519 AAAA"),
        "import_key_pair_from_file": ("k", "/nonexistent/id.pub"),
        "delete_key_pair": (KeyPair("k", None, None, driver),),
        "wait_until_running": ([n],),
    }


CONTRACT = sorted(calls(BareDriver(None)))


@pytest.mark.parametrize("method", CONTRACT)
def test_an_unimplemented_method_raises_not_supported(method: str) -> None:
    driver = BareDriver(None)

    with pytest.raises(NotSupportedError) as caught:
        getattr(driver, method)(*calls(driver)[method])

    assert caught.value.provider == "bare"
    assert caught.value.method == method
    assert "bare" in str(caught.value)
    assert method in str(caught.value)
    assert isinstance(caught.value, NotImplementedError)
    assert driver.supports(method) is False


@pytest.mark.parametrize(
    "method",
    [
        "iter_nodes",
        "iter_sizes",
        "iter_locations",
        "iter_volumes",
        "iter_images",
        "iter_key_pairs",
    ],
)
def test_an_unimplemented_generator_raises_not_supported(method: str) -> None:
    driver = BareDriver(None)

    with pytest.raises(NotSupportedError, match=method):
        next(getattr(driver, method)())


def test_unimplemented_snapshot_generator_raises_not_supported() -> None:
    driver = BareDriver(None)

    with pytest.raises(NotSupportedError, match="iter_volume_snapshots"):
        next(driver.iter_volume_snapshots(StorageVolume("v", "v", 1, driver)))


def test_the_contract_signatures_keep_their_defaults() -> None:
    wait = inspect.signature(NodeDriver.wait_until_running).parameters
    init = inspect.signature(NodeDriver.__init__).parameters
    create = inspect.signature(NodeDriver.create_node).parameters

    assert [(p.name, p.default) for p in list(wait.values())[1:7]] == [
        ("nodes", inspect.Parameter.empty),
        ("wait_period", 5),
        ("timeout", 600),
        ("ssh_interface", "public_ips"),
        ("force_ipv4", True),
        ("ex_list_nodes_kwargs", None),
    ]
    assert list(init)[1:8] == [
        "key",
        "secret",
        "secure",
        "host",
        "port",
        "api_version",
        "region",
    ]
    assert create["location"].default is None
    assert create["auth"].default is None


def test_a_node_driver_is_a_base_driver_without_a_connection() -> None:
    driver = BareDriver("k", "s", region="r1", port=8443)

    assert isinstance(driver, nubo.BaseDriver)
    assert driver.connectionCls is None
    assert driver.connection is None
    assert (driver.key, driver.secret, driver.region, driver.port) == (
        "k",
        "s",
        "r1",
        8443,
    )
    assert driver.features == {"create_node": []}
    assert "s" not in repr(driver).replace("provider", "")


def test_port_falls_back_to_the_class_default() -> None:
    class WithPort(BareDriver):
        port = 2376

    assert WithPort(None).port == 2376
    assert WithPort(None, port=1).port == 1
    assert BareDriver(None).port is None


def test_supports_answers_from_what_the_class_overrides() -> None:
    driver = PagedDriver(0)

    assert driver.supports("list_nodes") is True
    assert driver.supports("iter_nodes") is True
    assert driver.supports("wait_until_running") is True
    assert driver.supports("list_images") is True
    assert driver.supports("iter_images") is True
    assert driver.supports("import_key_pair_from_string") is True
    assert driver.supports("import_key_pair_from_file") is True
    assert driver.supports("create_volume") is False
    assert PagedDriver.supports("list_nodes") is True


def test_deploy_node_needs_create_node() -> None:
    from nubo.compute.deployment import ScriptDeployment

    driver = PagedDriver(0)

    assert driver.supports("deploy_node") is False
    with pytest.raises(NotSupportedError, match="deploy_node") as caught:
        driver.deploy_node(ScriptDeployment("true"), name="x")
    assert caught.value.method == "deploy_node"


def test_supports_knows_ex_methods() -> None:
    class WithExtra(BareDriver):
        def ex_rename(self) -> None:
            """Rename."""

    assert WithExtra.supports("ex_rename") is True
    assert WithExtra.supports("ex_missing") is False


def test_supports_refuses_a_name_that_is_no_method() -> None:
    with pytest.raises(InvalidArgumentError, match="create_volumes"):
        BareDriver.supports("create_volumes")


def test_list_returns_every_page_from_the_generator() -> None:
    driver = PagedDriver(8)

    nodes = driver.list_nodes()

    assert [n.id for n in nodes] == [str(n) for n in range(8)]
    assert driver.pages_read == 3


def test_the_generator_holds_one_page_at_a_time() -> None:
    driver = PagedDriver(8)
    nodes = driver.iter_nodes()

    first = next(nodes)

    assert first.id == "0"
    assert driver.pages_read == 1


def test_a_generator_is_built_from_the_list_method() -> None:
    driver = PagedDriver(0)

    assert [image.id for image in driver.iter_images()] == ["img-1", "img-2"]


def test_check_auth_follows_the_features() -> None:
    driver = PagedDriver(0)

    driver._check_auth(None)
    driver._check_auth(NodeAuthSSHKey("ssh-ed25519 AAAA"))
    with pytest.raises(InvalidArgumentError, match="does not take NodeAuthPassword"):
        driver._check_auth(NodeAuthPassword("pw"))
    with pytest.raises(InvalidArgumentError, match="not str"):
        driver._check_auth("pw")


def test_node_state_helper_maps_and_keeps_the_raw_state() -> None:
    driver = PagedDriver(0)
    extra: dict[str, object] = {}

    assert driver._node_state(16, {16: NodeState.RUNNING}, extra) is NodeState.RUNNING
    assert driver._node_state(99, {16: NodeState.RUNNING}, extra) is NodeState.UNKNOWN
    assert extra == {"raw_state": 99}


class EveryIterDriver(NodeDriver):
    """A provider that offers only generators, one item each."""

    type = "iters"

    def iter_sizes(self, location: NodeLocation | None = None) -> Iterator[NodeSize]:
        yield NodeSize("s", "s", 512, 10, None, None, self)

    def iter_locations(self) -> Iterator[NodeLocation]:
        yield NodeLocation("l", "l", "NL", self)

    def iter_volumes(self) -> Iterator[StorageVolume]:
        yield StorageVolume("v", "v", 1, self)

    def iter_volume_snapshots(self, volume: StorageVolume) -> Iterator[VolumeSnapshot]:
        yield VolumeSnapshot("snap", self)

    def iter_images(self, location: NodeLocation | None = None) -> Iterator[NodeImage]:
        yield NodeImage("i", "i", self)

    def iter_key_pairs(self) -> Iterator[KeyPair]:
        yield KeyPair("k", None, None, self)


@pytest.mark.parametrize(
    ("method", "args"),
    [
        ("list_sizes", ()),
        ("list_locations", ()),
        ("list_volumes", ()),
        ("list_volume_snapshots", ("volume",)),
        ("list_images", ()),
        ("list_key_pairs", ()),
    ],
)
def test_every_list_method_is_built_from_its_generator(
    method: str, args: tuple[str, ...]
) -> None:
    driver = EveryIterDriver(None)
    real_args = [StorageVolume("v", "v", 1, driver) for _ in args]

    items = getattr(driver, method)(*real_args)

    assert driver.supports(method) is True
    assert len(items) == 1
    assert items[0].driver is driver
