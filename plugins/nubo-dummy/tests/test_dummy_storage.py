"""The dummy provider's volumes and snapshots, with their states and errors."""

from typing import Any

import pytest

from nubo.compute import (
    Node,
    NodeImage,
    NodeLocation,
    NodeSize,
    StorageVolume,
    StorageVolumeState,
    VolumeSnapshot,
    VolumeSnapshotState,
)
from nubo.errors import InvalidArgumentError, NotFoundError, ProviderError
from nubo_dummy import DummyNodeDriver


def location(driver: DummyNodeDriver, location_id: str) -> NodeLocation:
    return next(loc for loc in driver.list_locations() if loc.id == location_id)


def test_create_list_and_destroy_a_volume(driver: DummyNodeDriver) -> None:
    volume = driver.create_volume(20, "data")

    assert volume.size == 20
    assert volume.name == "data"
    assert volume.state is StorageVolumeState.AVAILABLE
    assert volume.extra["location"] == "ams1"
    assert driver.list_volumes() == [volume]
    assert list(driver.iter_volumes()) == [volume]

    assert volume.destroy() is True
    assert driver.list_volumes() == []
    with pytest.raises(NotFoundError, match="no volume"):
        driver.destroy_volume(volume)


def test_create_volume_in_a_location(driver: DummyNodeDriver) -> None:
    volume = driver.create_volume(5, "far", location=location(driver, "sgp1"))

    assert volume.extra["location"] == "sgp1"


@pytest.mark.parametrize("size", [0, -1, 16385, 2.5, "10", True, None])
def test_create_volume_refuses_a_bad_size(driver: DummyNodeDriver, size: Any) -> None:
    with pytest.raises(InvalidArgumentError, match="whole number of GiB"):
        driver.create_volume(size, "data")


def test_create_volume_refuses_bad_names_and_places(driver: DummyNodeDriver) -> None:
    with pytest.raises(InvalidArgumentError, match="needs a name"):
        driver.create_volume(1, "")
    with pytest.raises(NotFoundError, match="no location"):
        driver.create_volume(1, "v", location=NodeLocation("x", "x", None, driver))
    with pytest.raises(InvalidArgumentError, match="snapshot must be"):
        driver.create_volume(1, "v", snapshot="snap-1")  # type: ignore[arg-type]
    with pytest.raises(NotFoundError, match="no snapshot"):
        driver.create_volume(1, "v", snapshot=VolumeSnapshot("snap-x", driver))


def test_attach_and_detach(driver: DummyNodeDriver, node: Node) -> None:
    volume = driver.create_volume(10, "data")

    assert volume.attach(node) is True
    [attached] = driver.list_volumes()
    assert attached.state is StorageVolumeState.INUSE
    assert attached.extra["node_id"] == node.id
    assert attached.extra["device"] == "/dev/vdb"

    second = driver.create_volume(10, "logs")
    assert driver.attach_volume(node, second, device="/dev/vdf") is True
    third = driver.create_volume(10, "more")
    driver.attach_volume(node, third)
    devices = {v.name: v.extra["device"] for v in driver.list_volumes()}
    assert devices == {"data": "/dev/vdb", "logs": "/dev/vdf", "more": "/dev/vdc"}

    assert volume.detach() is True
    detached = next(v for v in driver.list_volumes() if v.id == volume.id)
    assert detached.state is StorageVolumeState.AVAILABLE
    assert detached.extra["node_id"] is None


def test_attach_refuses(
    driver: DummyNodeDriver, node: Node, size: NodeSize, image: NodeImage
) -> None:
    volume = driver.create_volume(10, "data")
    driver.attach_volume(node, volume)
    other = driver.create_volume(10, "other")

    with pytest.raises(ProviderError, match="detach it first") as caught:
        driver.attach_volume(node, volume)
    assert caught.value.code == "VolumeInUse"

    with pytest.raises(ProviderError, match="is taken") as caught:
        driver.attach_volume(node, other, device="/dev/vdb")
    assert caught.value.code == "DeviceInUse"

    with pytest.raises(InvalidArgumentError, match="under /dev/"):
        driver.attach_volume(node, other, device="vdc")

    far = driver.create_volume(10, "far", location=location(driver, "syd1"))
    with pytest.raises(ProviderError, match="is in syd1") as caught:
        driver.attach_volume(node, far)
    assert caught.value.code == "LocationMismatch"

    with pytest.raises(NotFoundError):
        driver.attach_volume(node, StorageVolume("vol-x", "x", 1, driver))
    with pytest.raises(NotFoundError):
        driver.attach_volume(Node("node-x", "x", "running", [], [], driver), other)
    with pytest.raises(InvalidArgumentError, match="volume must be"):
        driver.attach_volume(node, "vol-x")  # type: ignore[arg-type]

    doomed = driver.create_node("doomed", size, image)
    driver.destroy_node(doomed)
    with pytest.raises(ProviderError, match="it is terminated"):
        driver.attach_volume(doomed, other)


def test_a_node_runs_out_of_devices(driver: DummyNodeDriver, node: Node) -> None:
    for n in range(25):  # /dev/vdb to /dev/vdz
        driver.attach_volume(node, driver.create_volume(1, f"v{n}"))

    with pytest.raises(ProviderError, match="no free device") as caught:
        driver.attach_volume(node, driver.create_volume(1, "one-too-many"))

    assert caught.value.code == "AttachmentLimitExceeded"


def test_detach_refuses(driver: DummyNodeDriver) -> None:
    volume = driver.create_volume(10, "data")

    with pytest.raises(ProviderError, match="attached to nothing"):
        driver.detach_volume(volume)
    with pytest.raises(NotFoundError):
        driver.detach_volume(StorageVolume("vol-x", "x", 1, driver))


def test_destroy_refuses_a_volume_in_use(driver: DummyNodeDriver, node: Node) -> None:
    volume = driver.create_volume(10, "data")
    driver.attach_volume(node, volume)

    with pytest.raises(ProviderError, match="detach it first") as caught:
        driver.destroy_volume(volume)

    assert caught.value.code == "VolumeInUse"


def test_destroying_a_node_detaches_its_volumes(
    driver: DummyNodeDriver, node: Node
) -> None:
    volume = driver.create_volume(10, "data")
    driver.attach_volume(node, volume)

    driver.destroy_node(node)

    [fresh] = driver.list_volumes()
    assert fresh.state is StorageVolumeState.AVAILABLE
    assert driver.destroy_volume(fresh) is True


def test_snapshots(driver: DummyNodeDriver) -> None:
    volume = driver.create_volume(30, "data")

    first = volume.snapshot("nightly")
    second = driver.create_volume_snapshot(volume)

    assert first.name == "nightly"
    assert second.name is None
    assert first.size == 30
    assert first.state is VolumeSnapshotState.AVAILABLE
    assert first.created is not None
    assert first.extra["volume_id"] == volume.id
    assert driver.list_volume_snapshots(volume) == [first, second]
    assert list(driver.iter_volume_snapshots(volume)) == [first, second]

    assert first.destroy() is True
    assert volume.list_snapshots() == [second]
    with pytest.raises(NotFoundError, match="no snapshot"):
        driver.destroy_volume_snapshot(first)


def test_snapshots_refuse(driver: DummyNodeDriver) -> None:
    stranger = StorageVolume("vol-x", "x", 1, driver)

    with pytest.raises(NotFoundError):
        driver.create_volume_snapshot(stranger)
    with pytest.raises(NotFoundError):
        driver.list_volume_snapshots(stranger)
    with pytest.raises(InvalidArgumentError, match="needs a name"):
        driver.create_volume_snapshot(driver.create_volume(1, "v"), name="")
    with pytest.raises(InvalidArgumentError, match="snapshot must be"):
        driver.destroy_volume_snapshot("snap-1")  # type: ignore[arg-type]


def test_a_volume_from_a_snapshot(driver: DummyNodeDriver) -> None:
    volume = driver.create_volume(30, "data", location=location(driver, "fra1"))
    snapshot = volume.snapshot()

    restored = driver.create_volume(40, "restored", snapshot=snapshot)

    assert restored.extra["snapshot_id"] == snapshot.id
    assert restored.extra["location"] == "fra1"
    with pytest.raises(InvalidArgumentError, match="at least 30 GiB"):
        driver.create_volume(20, "small", snapshot=snapshot)
    with pytest.raises(ProviderError, match="is in fra1") as caught:
        driver.create_volume(
            30, "far", location=location(driver, "ams1"), snapshot=snapshot
        )
    assert caught.value.code == "LocationMismatch"


def test_snapshots_outlive_their_volume(driver: DummyNodeDriver) -> None:
    volume = driver.create_volume(5, "data")
    snapshot = volume.snapshot()

    volume.destroy()

    restored = driver.create_volume(5, "back", snapshot=snapshot)
    assert restored.extra["snapshot_id"] == snapshot.id
