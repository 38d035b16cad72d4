"""wait_until_running against the dummy provider, on its real clock, with a short
boot delay; each outcome once."""

import pytest

from nubo.compute import NodeImage, NodeSize, NodeState
from nubo.errors import InvalidArgumentError, WaitFailedError, WaitTimeoutError
from nubo_dummy import DummyNodeDriver


@pytest.fixture
def fast() -> DummyNodeDriver:
    return DummyNodeDriver(ex_seed=3, ex_boot_delay=0.05, ex_terminated_ttl=60)


@pytest.fixture
def parts(fast: DummyNodeDriver) -> tuple[NodeSize, NodeImage]:
    return fast.list_sizes()[0], fast.list_images()[0]


def test_waits_until_every_node_runs(
    fast: DummyNodeDriver, parts: tuple[NodeSize, NodeImage]
) -> None:
    nodes = [fast.create_node(f"web-{n}", *parts) for n in range(3)]
    rounds: list[int] = []

    result = fast.wait_until_running(
        nodes,
        wait_period=0.02,
        timeout=30,
        progress=lambda ready, pending, elapsed: rounds.append(len(pending)),
    )

    assert [node for node, _ in result] == nodes
    assert all(node.state is NodeState.RUNNING for node, _ in result)
    assert all(len(addresses) == 1 for _, addresses in result)
    assert rounds[0] == 3
    assert rounds[-1] == 0


def test_ipv6_and_private_addresses(
    fast: DummyNodeDriver, parts: tuple[NodeSize, NodeImage]
) -> None:
    node = fast.create_node("web", *parts)

    [(_, both)] = fast.wait_until_running([node], wait_period=0.02, force_ipv4=False)
    [(_, private)] = fast.wait_until_running(
        [node], wait_period=0.02, ssh_interface="private_ips"
    )

    assert [":" in address for address in both] == [False, True]
    assert private[0].startswith("10.")


def test_a_node_in_error_fails_the_wait(
    fast: DummyNodeDriver, parts: tuple[NodeSize, NodeImage]
) -> None:
    good = fast.create_node("good", *parts)
    bad = fast.create_node("bad", *parts, ex_fail=True)

    with pytest.raises(WaitFailedError, match=r"'bad'.* is in error") as caught:
        fast.wait_until_running([good, bad], wait_period=0.02, timeout=30)

    assert caught.value.resource_id == bad.id


def test_a_destroyed_node_fails_the_wait(
    fast: DummyNodeDriver, parts: tuple[NodeSize, NodeImage]
) -> None:
    node = fast.create_node("short-lived", *parts)
    node.destroy()

    with pytest.raises(WaitFailedError, match="is terminated"):
        fast.wait_until_running([node], wait_period=0.02, timeout=30)


def test_a_vanished_node_fails_the_wait(
    fast: DummyNodeDriver, parts: tuple[NodeSize, NodeImage]
) -> None:
    node = fast.create_node("short-lived", *parts)
    node.destroy()
    fast.ex_terminated_ttl = 0

    with pytest.raises(WaitFailedError, match="is gone"):
        fast.wait_until_running([node], wait_period=0.02, timeout=30)


def test_a_node_without_address_times_out(
    fast: DummyNodeDriver, parts: tuple[NodeSize, NodeImage]
) -> None:
    node = fast.create_node("inner", *parts, ex_public_ip=False)

    with pytest.raises(WaitTimeoutError) as caught:
        fast.wait_until_running([node], wait_period=0.02, timeout=0.2)

    assert caught.value.pending == (
        (node.id, "running, no IPv4 address in public_ips yet"),
    )
    assert "'inner'" in str(caught.value)


def test_a_slow_node_times_out_naming_its_state(
    parts: tuple[NodeSize, NodeImage],
) -> None:
    slow = DummyNodeDriver(ex_boot_delay=3600)
    node = slow.create_node("slow", *parts)

    with pytest.raises(WaitTimeoutError, match=r"'slow'.*: pending") as caught:
        slow.wait_until_running([node], wait_period=0.02, timeout=0.1)

    assert caught.value.pending == ((node.id, "pending"),)


def test_a_bad_interface_is_refused_at_once(
    fast: DummyNodeDriver, parts: tuple[NodeSize, NodeImage]
) -> None:
    node = fast.create_node("web", *parts)

    with pytest.raises(InvalidArgumentError, match="ssh_interface"):
        fast.wait_until_running([node], ssh_interface="floating_ips")
