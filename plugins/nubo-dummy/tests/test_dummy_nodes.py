"""The dummy provider's nodes: creation, states, actions and their errors."""

from typing import Any

import pytest

from nubo.compute import (
    Node,
    NodeAuthPassword,
    NodeAuthSSHKey,
    NodeImage,
    NodeLocation,
    NodeSize,
    NodeState,
)
from nubo.errors import InvalidArgumentError, NotFoundError, ProviderError
from nubo_dummy import DummyNodeDriver


def test_needs_no_credentials_and_has_its_members() -> None:
    driver = DummyNodeDriver()

    assert driver.type == "dummy"
    assert driver.name
    assert driver.connectionCls is None
    assert driver.connection is None
    assert driver.region == "ams1"
    assert driver.features == {"create_node": ["ssh_key", "password"]}


def test_supports_every_method() -> None:
    from nubo.compute._base import _CONTRACT_METHODS

    offered = {m for m in _CONTRACT_METHODS if DummyNodeDriver.supports(m)}

    assert set(_CONTRACT_METHODS) - offered == set()


def test_a_new_node_is_pending_then_running(
    driver: DummyNodeDriver, clock: Any, size: NodeSize, image: NodeImage
) -> None:
    node = driver.create_node("web-1", size, image)

    assert node.state is NodeState.PENDING
    assert node.public_ips == []
    assert node.private_ips
    assert driver.get_node(node.id).state is NodeState.PENDING

    clock.advance(driver.ex_boot_delay - 0.5)
    assert driver.get_node(node.id).state is NodeState.PENDING
    clock.advance(0.5)
    running = driver.get_node(node.id)

    assert running.state is NodeState.RUNNING
    assert running == node
    assert running.name == "web-1"
    assert running.size == size
    assert running.image == image
    assert running.extra["location"] == "ams1"
    assert running.extra["vcpus"] == 1
    assert running.created_at is not None
    assert len(running.public_ips) == 2


def test_list_nodes_returns_fresh_nodes_oldest_first(
    driver: DummyNodeDriver, clock: Any, size: NodeSize, image: NodeImage
) -> None:
    first = driver.create_node("a", size, image)
    second = driver.create_node("b", size, image)
    clock.advance()

    nodes = driver.list_nodes()

    assert nodes == [first, second]
    assert [n.state for n in nodes] == [NodeState.RUNNING, NodeState.RUNNING]
    assert list(driver.iter_nodes()) == nodes


def test_addresses_are_unique_and_from_reserved_ranges(
    driver: DummyNodeDriver, clock: Any, size: NodeSize, image: NodeImage
) -> None:
    import ipaddress

    for n in range(5):
        driver.create_node(f"n{n}", size, image)
    clock.advance()

    addresses = [ip for node in driver.list_nodes() for ip in node.public_ips]
    private = [ip for node in driver.list_nodes() for ip in node.private_ips]

    assert len(set(addresses)) == 10
    assert all(
        ipaddress.ip_address(ip) in ipaddress.ip_network("198.18.0.0/15")
        or ipaddress.ip_address(ip) in ipaddress.ip_network("2001:db8::/32")
        for ip in addresses
    )
    assert all(ipaddress.ip_address(ip).is_private for ip in private)


def test_ids_are_deterministic_for_a_seed(size: NodeSize, image: NodeImage) -> None:
    def ids(seed: Any) -> list[str]:
        driver = DummyNodeDriver(ex_seed=seed, ex_boot_delay=0)
        nodes = [driver.create_node(f"n{i}", size, image).id for i in range(3)]
        volume = driver.create_volume(1, "v").id
        return [*nodes, volume]

    assert ids(1) == ids(1)
    assert ids(1) != ids(2)
    assert len(set(ids(1))) == 4
    assert ids(None) != ids(None)


def test_reboot_goes_through_rebooting(
    driver: DummyNodeDriver, clock: Any, node: Node
) -> None:
    assert node.reboot() is True
    assert driver.get_node(node.id).state is NodeState.REBOOTING
    assert driver.reboot_node(node) is True

    clock.advance()
    assert driver.get_node(node.id).state is NodeState.RUNNING


def test_stop_and_start_go_through_stopping_and_starting(
    driver: DummyNodeDriver, clock: Any, node: Node
) -> None:
    assert node.stop() is True
    stopping = driver.get_node(node.id)
    assert stopping.state is NodeState.STOPPING
    clock.advance()
    stopped = driver.get_node(node.id)
    assert stopped.state is NodeState.STOPPED
    assert stopped.public_ips == []
    assert driver.stop_node(node) is True

    assert node.start() is True
    assert driver.get_node(node.id).state is NodeState.STARTING
    assert driver.start_node(node) is True
    clock.advance()
    assert driver.get_node(node.id).state is NodeState.RUNNING


def test_start_of_a_running_node_is_a_no_op(
    driver: DummyNodeDriver, node: Node
) -> None:
    assert driver.start_node(node) is True
    assert driver.get_node(node.id).state is NodeState.RUNNING


@pytest.mark.parametrize(
    ("first", "then"),
    [("stop", "reboot"), ("reboot", "stop"), ("reboot", "start"), ("stop", "start")],
)
def test_an_action_in_the_wrong_state_is_refused(
    driver: DummyNodeDriver, node: Node, first: str, then: str
) -> None:
    getattr(driver, f"{first}_node")(node)

    with pytest.raises(ProviderError, match=f"cannot {then} node") as caught:
        getattr(driver, f"{then}_node")(node)

    assert caught.value.code == "IncorrectState"
    assert caught.value.provider == "dummy"


def test_destroy_terminates_at_once_and_the_node_goes_later(
    driver: DummyNodeDriver, clock: Any, node: Node
) -> None:
    assert node.destroy() is True

    gone = driver.get_node(node.id)
    assert gone.state is NodeState.TERMINATED
    assert gone.public_ips == []
    assert gone.private_ips == []
    assert driver.destroy_node(node) is True
    for action in ("reboot_node", "start_node", "stop_node"):
        with pytest.raises(ProviderError, match="terminated"):
            getattr(driver, action)(node)

    clock.advance(60)
    assert driver.list_nodes() == []
    with pytest.raises(NotFoundError):
        driver.get_node(node.id)


def test_a_failing_node_ends_in_error(
    driver: DummyNodeDriver, clock: Any, size: NodeSize, image: NodeImage
) -> None:
    node = driver.create_node("bad", size, image, ex_fail=True)
    clock.advance()

    failed = driver.get_node(node.id)
    assert failed.state is NodeState.ERROR
    with pytest.raises(ProviderError, match="error"):
        driver.reboot_node(failed)
    assert driver.destroy_node(failed) is True


def test_a_node_without_public_ip(
    driver: DummyNodeDriver, clock: Any, size: NodeSize, image: NodeImage
) -> None:
    node = driver.create_node("inner", size, image, ex_public_ip=False)
    clock.advance()

    fresh = driver.get_node(node.id)
    assert fresh.public_ips == []
    assert fresh.private_ips


def test_create_in_another_location(
    driver: DummyNodeDriver, size: NodeSize, image: NodeImage
) -> None:
    sydney = next(loc for loc in driver.list_locations() if loc.id == "syd1")

    node = driver.create_node("far", size, image, location=sydney)

    assert node.extra["location"] == "syd1"


def test_auth_kinds(driver: DummyNodeDriver, size: NodeSize, image: NodeImage) -> None:
    pair = driver.create_key_pair("k")

    with_key = driver.create_node(
        "a", size, image, auth=NodeAuthSSHKey(pair.public_key)
    )
    with_password = driver.create_node(
        "b", size, image, auth=NodeAuthPassword("s3cret-pw")
    )
    with_pair = driver.create_node("c", size, image, ex_key_name="k")

    assert with_key.extra["auth"] == "ssh_key"
    assert with_key.extra["ssh_key_fingerprint"] == pair.fingerprint
    assert with_password.extra["auth"] == "password"
    assert "s3cret-pw" not in repr(with_password.extra)
    assert with_pair.extra["key_name"] == "k"


def test_get_node_of_an_unknown_id(driver: DummyNodeDriver) -> None:
    with pytest.raises(NotFoundError, match="no node 'node-nope'") as caught:
        driver.get_node("node-nope")

    # An in-memory cloud has no HTTP status to give; the code says what it is.
    assert caught.value.status is None
    assert caught.value.code == "NotFound"
    assert str(caught.value) == (
        "[dummy NotFound] no node 'node-nope' in this dummy cloud; list_nodes() "
        "shows what there is"
    )


@pytest.mark.parametrize(
    "action", ["reboot_node", "start_node", "stop_node", "destroy_node"]
)
def test_actions_on_an_unknown_node(driver: DummyNodeDriver, action: str) -> None:
    stranger = Node("node-nope", "x", "running", [], [], driver)

    with pytest.raises(NotFoundError):
        getattr(driver, action)(stranger)


@pytest.mark.parametrize(
    "action", ["reboot_node", "start_node", "stop_node", "destroy_node"]
)
def test_actions_need_a_node(driver: DummyNodeDriver, action: str) -> None:
    with pytest.raises(InvalidArgumentError, match="node must be a Node"):
        getattr(driver, action)("node-1")


def test_create_node_refuses_bad_arguments(
    driver: DummyNodeDriver, size: NodeSize, image: NodeImage
) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"name": ""}, "needs a name"),
        ({"name": None}, "needs a name"),
        ({"size": "d1.small"}, "size must be a NodeSize"),
        ({"image": "img-debian-12"}, "image must be a NodeImage"),
        ({"location": "ams1"}, "location must be a NodeLocation"),
        ({"auth": "password"}, "auth must be"),
        ({"ex_colour": "red"}, "takes no \\['ex_colour'\\]"),
        ({"auth": NodeAuthSSHKey("not a key")}, "not an OpenSSH public key"),
    ]
    for change, match in cases:
        kwargs: dict[str, Any] = {"name": "n", "size": size, "image": image}
        kwargs.update(change)
        with pytest.raises(InvalidArgumentError, match=match):
            driver.create_node(**kwargs)

    assert driver.list_nodes() == []


def test_create_node_refuses_unknown_resources(
    driver: DummyNodeDriver, size: NodeSize, image: NodeImage
) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"size": NodeSize("d9.huge", "x", 1, 1, 1, 1.0, driver)}, "no size"),
        ({"image": NodeImage("img-nope", "x", driver)}, "no image"),
        ({"location": NodeLocation("mars1", "Mars", "XX", driver)}, "no location"),
        ({"ex_key_name": "absent"}, "no key pair"),
    ]
    for change, match in cases:
        kwargs: dict[str, Any] = {"name": "n", "size": size, "image": image}
        kwargs.update(change)
        with pytest.raises(NotFoundError, match=match):
            driver.create_node(**kwargs)


def test_create_node_refuses_what_the_location_does_not_offer(
    driver: DummyNodeDriver, size: NodeSize, image: NodeImage
) -> None:
    gpu = next(s for s in driver.list_sizes() if s.id == "g1.xlarge")
    nano = next(s for s in driver.list_sizes() if s.id == "d1.nano")
    rocky = driver.get_image("img-rocky-9")

    with pytest.raises(ProviderError, match="not offered in ams1") as caught:
        driver.create_node("gpu", gpu, image)
    assert caught.value.code == "SizeNotAvailable"

    with pytest.raises(ProviderError, match="needs a 20 GiB disk") as caught:
        driver.create_node("small", nano, rocky)
    assert caught.value.code == "DiskTooSmall"


def test_constructor_refuses_bad_settings() -> None:
    with pytest.raises(InvalidArgumentError, match="no region 'mars1'"):
        DummyNodeDriver(region="mars1")
    with pytest.raises(InvalidArgumentError, match="ex_boot_delay"):
        DummyNodeDriver(ex_boot_delay=-1)
    with pytest.raises(InvalidArgumentError, match="ex_boot_delay"):
        DummyNodeDriver(ex_boot_delay="fast")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="ex_terminated_ttl"):
        DummyNodeDriver(ex_terminated_ttl=-0.1)


def test_public_ips_can_be_chosen(
    driver: DummyNodeDriver, clock: Any, size: NodeSize, image: NodeImage
) -> None:
    created = driver.create_node(
        "local", size, image, ex_public_ips=["127.0.0.1", "::1"]
    )
    assert created.public_ips == []

    clock.advance()

    assert driver.get_node(created.id).public_ips == ["127.0.0.1", "::1"]


@pytest.mark.parametrize("value", ["127.0.0.1", ["not-an-address"], 7])
def test_public_ips_must_be_a_list_of_addresses(
    driver: DummyNodeDriver, size: NodeSize, image: NodeImage, value: object
) -> None:
    with pytest.raises(InvalidArgumentError, match="ex_public_ips"):
        driver.create_node("local", size, image, ex_public_ips=value)

    assert driver.list_nodes() == []
