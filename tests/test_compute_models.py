"""The compute models: ids, equality, uuids, reprs and the methods that call the
driver."""

import hashlib
import weakref
from typing import Any

import pytest

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
    StorageVolumeState,
    VolumeSnapshot,
    VolumeSnapshotState,
)
from nubo.errors import InvalidArgumentError


class RecordingDriver(NodeDriver):
    """Records which driver methods the models call."""

    type = "recording"

    def __init__(self) -> None:
        super().__init__(None)
        self.calls: list[tuple[Any, ...]] = []

    def reboot_node(self, node: Node) -> bool:
        self.calls.append(("reboot_node", node))
        return True

    def start_node(self, node: Node) -> bool:
        self.calls.append(("start_node", node))
        return True

    def stop_node(self, node: Node) -> bool:
        self.calls.append(("stop_node", node))
        return True

    def destroy_node(self, node: Node) -> bool:
        self.calls.append(("destroy_node", node))
        return True

    def attach_volume(
        self, node: Node, volume: StorageVolume, device: str | None = None
    ) -> bool:
        self.calls.append(("attach_volume", node, volume, device))
        return True

    def detach_volume(self, volume: StorageVolume) -> bool:
        self.calls.append(("detach_volume", volume))
        return True

    def destroy_volume(self, volume: StorageVolume) -> bool:
        self.calls.append(("destroy_volume", volume))
        return True

    def create_volume_snapshot(
        self, volume: StorageVolume, name: str | None = None
    ) -> VolumeSnapshot:
        self.calls.append(("create_volume_snapshot", volume, name))
        return VolumeSnapshot("snap-1", self, size=volume.size, name=name)

    def list_volume_snapshots(self, volume: StorageVolume) -> list[VolumeSnapshot]:
        self.calls.append(("list_volume_snapshots", volume))
        return []

    def destroy_volume_snapshot(self, snapshot: VolumeSnapshot) -> bool:
        self.calls.append(("destroy_volume_snapshot", snapshot))
        return True


class OtherDriver(NodeDriver):
    type = "other"


@pytest.fixture
def driver() -> RecordingDriver:
    return RecordingDriver()


def make_node(driver: NodeDriver, node_id: object = "n-1", **kwargs: Any) -> Node:
    fields: dict[str, Any] = {
        "name": "web",
        "state": NodeState.RUNNING,
        "public_ips": ["203.0.113.5"],
        "private_ips": ["10.0.0.5"],
    }
    fields.update(kwargs)
    return Node(node_id, driver=driver, **fields)


def test_ids_are_coerced_to_strings(driver: RecordingDriver) -> None:
    assert make_node(driver, 1234).id == "1234"
    assert NodeSize(7, "s", 512, 10, None, None, driver).id == "7"
    assert NodeImage(8, "i", driver).id == "8"
    assert NodeLocation(9, "l", "NL", driver).id == "9"
    assert StorageVolume(10, "v", 5, driver).id == "10"
    assert VolumeSnapshot(11, driver).id == "11"
    assert KeyPair("k", None, None, driver, id=12).id == "12"


@pytest.mark.parametrize("bad", [None, ""])
def test_a_model_without_an_id_is_refused(driver: RecordingDriver, bad: object) -> None:
    with pytest.raises(InvalidArgumentError, match="needs an id"):
        make_node(driver, bad)


def test_two_reads_of_one_resource_compare_equal_and_hash_alike(
    driver: RecordingDriver,
) -> None:
    first = make_node(driver, "n-1", state=NodeState.PENDING, public_ips=[])
    again = make_node(RecordingDriver(), "n-1", name="renamed")

    assert first == again
    assert hash(first) == hash(again)
    assert len({first, again}) == 1


def test_models_differ_by_id_kind_and_provider(driver: RecordingDriver) -> None:
    node = make_node(driver, "x-1")

    assert node != make_node(driver, "x-2")
    assert node != make_node(OtherDriver(None), "x-1")
    assert node != NodeImage("x-1", "same id, other kind", driver)
    assert node != "x-1"


def test_a_provider_subclass_equals_the_plain_model(driver: RecordingDriver) -> None:
    class ProviderNode(Node):
        pass

    assert ProviderNode("n-1", "a", "running", [], [], driver) == make_node(driver)


def test_a_provider_subclass_may_add_attributes(driver: RecordingDriver) -> None:
    class ProviderNode(Node):
        pass

    node = ProviderNode("n-1", "a", "running", [], [], driver, extra={"k": "v"})
    node.ex_zone = "zone-a"

    assert node.ex_zone == "zone-a"
    assert node.extra == {"k": "v"}


def test_plain_models_hold_their_fields_in_slots(driver: RecordingDriver) -> None:
    node = make_node(driver, extra={"k": "v"})
    node.extra["added"] = 1
    node.state = NodeState.STOPPED

    assert not hasattr(node, "__dict__")
    assert node.extra == {"k": "v", "added": 1}
    assert node.state is NodeState.STOPPED
    assert weakref.ref(node)() is node


def test_uuid_is_the_sha1_of_id_and_provider(driver: RecordingDriver) -> None:
    node = make_node(driver, "n-42")
    expected = hashlib.sha1(b"n-42:recording", usedforsecurity=False).hexdigest()

    assert node.uuid == expected
    assert make_node(RecordingDriver(), "n-42").uuid == expected
    assert make_node(OtherDriver(None), "n-42").uuid != expected


def test_node_keeps_its_fields(driver: RecordingDriver) -> None:
    size = NodeSize("s", "small", 2048, 50, 2000, 0.02, driver)
    image = NodeImage("i", "debian", driver)

    node = make_node(driver, size=size, image=image, extra={"tags": ["a"]})

    assert node.size is size
    assert node.image is image
    assert node.public_ips == ["203.0.113.5"]
    assert node.private_ips == ["10.0.0.5"]
    assert node.extra == {"tags": ["a"]}
    assert node.created_at is None


def test_node_state_given_as_a_string_is_coerced(driver: RecordingDriver) -> None:
    assert make_node(driver, state="stopped").state is NodeState.STOPPED

    odd = make_node(driver, state="hibernating")
    assert odd.state is NodeState.UNKNOWN
    assert odd.extra["raw_state"] == "hibernating"


def test_node_actions_call_the_driver(driver: RecordingDriver) -> None:
    node = make_node(driver)

    assert node.reboot() is True
    assert node.stop() is True
    assert node.start() is True
    assert node.destroy() is True

    assert [call[0] for call in driver.calls] == [
        "reboot_node",
        "stop_node",
        "start_node",
        "destroy_node",
    ]
    assert all(call[1] is node for call in driver.calls)


def test_volume_and_snapshot_actions_call_the_driver(driver: RecordingDriver) -> None:
    node = make_node(driver)
    volume = StorageVolume("v-1", "data", 20, driver, "available")

    assert volume.attach(node, "/dev/vdc") is True
    assert volume.detach() is True
    snapshot = volume.snapshot("nightly")
    assert volume.list_snapshots() == []
    assert snapshot.destroy() is True
    assert volume.destroy() is True

    assert driver.calls == [
        ("attach_volume", node, volume, "/dev/vdc"),
        ("detach_volume", volume),
        ("create_volume_snapshot", volume, "nightly"),
        ("list_volume_snapshots", volume),
        ("destroy_volume_snapshot", snapshot),
        ("destroy_volume", volume),
    ]
    assert snapshot.size == 20


def test_volume_and_snapshot_states_default_to_unknown(driver: RecordingDriver) -> None:
    assert StorageVolume("v", "v", 1, driver).state is StorageVolumeState.UNKNOWN
    assert VolumeSnapshot("s", driver).state is VolumeSnapshotState.UNKNOWN
    assert StorageVolume("v", "v", 1, driver, "inuse").state is (
        StorageVolumeState.INUSE
    )


def test_size_location_and_image_fields(driver: RecordingDriver) -> None:
    size = NodeSize("s", "small", 2048, 50, None, None, driver, {"vcpus": 1})
    location = NodeLocation("ams1", "Amsterdam", "NL", driver)

    assert (size.ram, size.disk, size.bandwidth, size.price) == (2048, 50, None, None)
    assert size.extra == {"vcpus": 1}
    assert location.country == "NL"
    assert "Amsterdam" in repr(location)
    assert "2048" in repr(size)


def test_key_pair_repr_hides_the_private_key(driver: RecordingDriver) -> None:
    secret = "-----BEGIN OPENSSH PRIVATE KEY-----\nc2VjcmV0\n"
    pair = KeyPair("deploy", "ssh-ed25519 AAAA", "aa:bb", driver, private_key=secret)

    assert pair.id == "deploy"
    assert pair.private_key == secret
    assert "PRIVATE" not in repr(pair)
    assert "c2VjcmV0" not in repr(pair)
    assert "deploy" in repr(pair)


def test_password_auth_repr_hides_the_password() -> None:
    auth = NodeAuthPassword("hunter2-correct-horse")

    assert auth.password == "hunter2-correct-horse"
    assert "hunter2" not in repr(auth)
    assert "hunter2" not in str(auth)
    assert auth == NodeAuthPassword("hunter2-correct-horse")


def test_ssh_key_auth_keeps_the_key() -> None:
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBlah me@host"
    auth = NodeAuthSSHKey(key)

    assert auth.pubkey == key
    assert auth == NodeAuthSSHKey(key)
    assert hash(auth) == hash(NodeAuthSSHKey(key))
    assert auth != NodeAuthSSHKey("ssh-rsa AAAA")


def test_reprs_name_the_resource(driver: RecordingDriver) -> None:
    texts = [
        repr(make_node(driver, "n-9")),
        repr(NodeImage("i-9", "debian", driver)),
        repr(StorageVolume("v-9", "data", 3, driver, "available")),
        repr(VolumeSnapshot("s-9", driver, size=3, name="nightly")),
        repr(NodeAuthSSHKey("ssh-ed25519 " + "A" * 60)),
    ]

    for text, ident in zip(
        texts, ["n-9", "i-9", "v-9", "s-9", "ssh-ed25519"], strict=True
    ):
        assert ident in text
    assert "recording" in texts[0]
    assert texts[4].endswith("...'>")


def test_models_do_not_compare_with_other_things(driver: RecordingDriver) -> None:
    assert make_node(driver) != object()
    assert NodeAuthSSHKey("k") != "k"
    assert NodeAuthPassword("p") != "p"
    assert hash(NodeAuthPassword("p")) == hash(NodeAuthPassword("p"))
