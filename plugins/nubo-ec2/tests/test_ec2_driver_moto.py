"""The EC2 driver against moto's server: every resource's whole life, pages, and
the not-found codes moto answers with.

Each test starts from an empty server (``moto_reset``) and drives it through the
public API only; ``ec2_call`` (raw signed calls) is used to set up what the
driver does not make (VPCs, hundreds of instances at once) and to read back what
the driver sent (user data).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests
from _moto_server import MotoServer
from lxml import etree

import nubo
from nubo import _hooks
from nubo.compute import (
    NodeDriver,
    NodeState,
    StorageVolumeState,
    VolumeSnapshotState,
)
from nubo.errors import InvalidArgumentError, NotFoundError
from nubo_ec2 import EC2NodeDriver

pytestmark = pytest.mark.peer

Call = Callable[..., requests.Response]

PUBLIC_KEY = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG7eYhbwG3rmQSHw0tIVa4fT7v4c4yZbpH0Ch1m5"
    "QfCj nubo-test"
)


class Actions:
    """A hook plugin that notes the Action and parameters of every call."""

    def __init__(self) -> None:
        self.calls: list[dict[str, list[str]]] = []

    @nubo.hookimpl
    def pre_connect(self, request: nubo.Request) -> None:
        self.calls.append(parse_qs(request.data.decode()))

    def actions(self) -> list[str]:
        return [call["Action"][0] for call in self.calls]


@pytest.fixture(autouse=True)
def _no_autoloaded_plugins(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("NUBO_DISABLE_PLUGIN_AUTOLOAD", "1")
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    _hooks._reset()
    yield
    _hooks._reset()


@pytest.fixture
def driver(moto_reset: MotoServer) -> EC2NodeDriver:
    host, port = moto_reset.endpoint
    cls = nubo.get_driver("ec2")
    made = cls(
        "AKIDNUBOTESTING0000",
        "nubo-testing-secret",
        host=host,
        port=port,
        secure=False,
        region="us-east-1",
    )
    assert isinstance(made, EC2NodeDriver)
    return made


@pytest.fixture
def actions() -> Iterator[Actions]:
    plugin = Actions()
    nubo.register_plugin(plugin)
    yield plugin
    nubo.unregister_plugin(plugin)


def _image(driver: EC2NodeDriver) -> Any:
    images = driver.list_images(ex_owners="amazon", ex_filters={"name": "amzn2-*"})
    assert images, "moto lists no Amazon Linux 2 image"
    return images[0]


# -- the provider ----------------------------------------------------------------------


def test_the_entry_point_gives_the_ec2_driver() -> None:
    records = {record.name: record for record in nubo.providers()}

    assert records["ec2"].target == "nubo_ec2:EC2NodeDriver"
    assert nubo.get_driver("ec2") is EC2NodeDriver
    assert issubclass(nubo.compute.get_driver("ec2"), NodeDriver)


def test_every_contract_method_is_offered() -> None:
    for method in (
        "list_nodes",
        "create_node",
        "reboot_node",
        "start_node",
        "stop_node",
        "destroy_node",
        "get_node",
        "wait_until_running",
        "list_sizes",
        "list_locations",
        "list_images",
        "get_image",
        "create_image",
        "delete_image",
        "copy_image",
        "list_volumes",
        "create_volume",
        "attach_volume",
        "detach_volume",
        "destroy_volume",
        "list_volume_snapshots",
        "create_volume_snapshot",
        "destroy_volume_snapshot",
        "list_key_pairs",
        "get_key_pair",
        "create_key_pair",
        "import_key_pair_from_string",
        "import_key_pair_from_file",
        "delete_key_pair",
    ):
        assert EC2NodeDriver.supports(method), method
    # NodeDriver's own, on create_node and wait_until_running.
    assert EC2NodeDriver.supports("deploy_node")


# -- locations and sizes ---------------------------------------------------------------


def test_locations_are_the_zones_of_the_driver_region(
    driver: EC2NodeDriver, moto_reset: MotoServer
) -> None:
    host, port = moto_reset.endpoint
    other = EC2NodeDriver(
        "AKIDX", "s", host=host, port=port, secure=False, region="eu-west-1"
    )

    here = driver.list_locations()
    there = other.list_locations()

    assert here
    assert there
    assert all(zone.id.startswith("us-east-1") for zone in here)
    assert all(zone.id.startswith("eu-west-1") for zone in there)
    assert all(zone.extra["state"] == "available" for zone in here)
    assert all(zone.extra["zone_id"] for zone in here)


def test_named_sizes_have_ram_vcpus_and_no_price(
    driver: EC2NodeDriver, actions: Actions
) -> None:
    sizes = {
        size.id: size
        for size in driver.list_sizes(
            ex_instance_types=["t3.micro", "m5.large", "c5d.large"]
        )
    }

    assert set(sizes) == {"t3.micro", "m5.large", "c5d.large"}
    assert (sizes["t3.micro"].ram, sizes["t3.micro"].extra["vcpus"]) == (1024, 2)
    assert sizes["m5.large"].ram == 8192
    assert sizes["m5.large"].disk == 0
    assert sizes["c5d.large"].disk == 50
    assert all(size.price is None for size in sizes.values())
    assert actions.actions() == ["DescribeInstanceTypes"]
    assert actions.calls[0]["InstanceType.1"] == ["t3.micro"]


def test_sizes_of_a_zone_are_those_it_offers(
    driver: EC2NodeDriver, actions: Actions
) -> None:
    zone = driver.list_locations()[0]
    actions.calls.clear()

    sizes = driver.list_sizes(location=zone, ex_instance_types=["t3.micro", "m5.large"])

    offerings = actions.calls[0]
    assert actions.actions() == [
        "DescribeInstanceTypeOfferings",
        "DescribeInstanceTypes",
    ]
    assert offerings["LocationType"] == ["availability-zone"]
    assert offerings["Filter.1.Value.1"] == [zone.id]
    assert {size.id for size in sizes} == {"t3.micro", "m5.large"}


def test_creating_a_node_never_looks_sizes_up(
    driver: EC2NodeDriver, actions: Actions
) -> None:
    image = _image(driver)
    actions.calls.clear()

    driver.create_node("no-lookup", "t3.micro", image)
    driver.create_node("no-lookup-2", "t3.micro", image.id)

    assert actions.actions() == ["RunInstances", "RunInstances"]


# -- nodes -----------------------------------------------------------------------------


def test_node_life_cycle(driver: EC2NodeDriver, ec2_call: Call) -> None:
    image = _image(driver)
    key = driver.import_key_pair_from_string("fleet-key", PUBLIC_KEY)
    zone = driver.list_locations()[1]

    node = driver.create_node(
        "web-1",
        "t3.micro",
        image,
        location=zone,
        ex_keyname=key.name,
        ex_userdata="#!/bin/sh\necho hello\n",
        ex_metadata={"team": "nubo"},
        ex_blockdevicemappings=[
            {"DeviceName": "/dev/sdb", "Ebs": {"VolumeSize": 3}},
        ],
    )
    assert node.name == "web-1"
    assert node.state in (NodeState.PENDING, NodeState.RUNNING)

    [(ready, addresses)] = driver.wait_until_running(
        [node], wait_period=0.2, timeout=30
    )
    assert ready.state is NodeState.RUNNING
    assert addresses
    assert addresses == ready.public_ips
    assert ready.private_ips
    assert ready.extra["key_name"] == "fleet-key"
    assert ready.extra["availability_zone"] == zone.id
    assert ready.extra["tags"] == {"Name": "web-1", "team": "nubo"}
    assert ready.extra["instance_type"] == "t3.micro"
    assert ready.size is not None
    assert (ready.size.id, ready.size.ram) == ("t3.micro", None)
    assert ready.image is not None
    assert ready.image.id == image.id
    assert ready.created_at is not None
    assert "/dev/sdb" in {
        m["device_name"] for m in ready.extra["block_device_mappings"]
    }

    user_data = ec2_call(
        "DescribeInstanceAttribute", {"InstanceId": node.id, "Attribute": "userData"}
    )
    value = [e.text for e in etree.fromstring(user_data.content).iter("{*}value")]
    assert base64.b64decode(value[0]) == b"#!/bin/sh\necho hello\n"

    assert driver.reboot_node(ready)
    assert driver.get_node(node.id).state is NodeState.RUNNING
    assert driver.stop_node(ready)
    assert driver.get_node(node.id).state is NodeState.STOPPED
    assert driver.start_node(ready)
    assert driver.get_node(node.id).state in (NodeState.PENDING, NodeState.RUNNING)

    assert driver.destroy_node(ready)
    gone = driver.get_node(node.id)
    assert gone.state in (NodeState.TERMINATING, NodeState.TERMINATED)
    assert gone.extra["raw_state"] in ("shutting-down", "terminated")


def test_security_groups_and_subnet_reach_the_instance(
    driver: EC2NodeDriver, ec2_call: Call
) -> None:
    def first(answer: requests.Response, name: str) -> str:
        return next(etree.fromstring(answer.content).iter(f"{{*}}{name}")).text or ""

    vpc = first(ec2_call("CreateVpc", {"CidrBlock": "10.9.0.0/16"}), "vpcId")
    subnet = first(
        ec2_call("CreateSubnet", {"VpcId": vpc, "CidrBlock": "10.9.1.0/24"}),
        "subnetId",
    )
    group = first(
        ec2_call(
            "CreateSecurityGroup",
            {"GroupName": "web", "GroupDescription": "w", "VpcId": vpc},
        ),
        "groupId",
    )

    node = driver.create_node(
        "in-subnet",
        "t3.micro",
        _image(driver),
        ex_subnet=subnet,
        ex_security_group_ids=[group],
    )
    fresh = driver.get_node(node.id)

    assert fresh.extra["subnet_id"] == subnet
    assert fresh.extra["vpc_id"] == vpc
    assert group in {g["id"] for g in fresh.extra["security_groups"]}
    assert all(ip.startswith("10.9.1.") for ip in fresh.private_ips)


def test_filters_and_ids_narrow_the_listing(driver: EC2NodeDriver) -> None:
    image = _image(driver)
    first = driver.create_node("alpha", "t3.micro", image)
    second = driver.create_node("beta", "t3.micro", image)
    driver.destroy_node(second)

    named = driver.list_nodes(ex_filters={"tag:Name": "alpha"})
    by_id = driver.list_nodes(ex_node_ids=[second.id])
    running = driver.list_nodes(
        ex_filters={"instance-state-name": ["running", "pending"]}
    )

    assert [node.id for node in named] == [first.id]
    assert [node.id for node in by_id] == [second.id]
    assert [node.id for node in running] == [first.id]


def test_waiting_describes_only_the_nodes_waited_for(
    driver: EC2NodeDriver, actions: Actions
) -> None:
    image = _image(driver)
    driver.create_node("other", "t3.micro", image)
    node = driver.create_node("waited", "t3.micro", image)
    actions.calls.clear()

    driver.wait_until_running([node], wait_period=0.2, timeout=30)

    describes = [c for c in actions.calls if c["Action"] == ["DescribeInstances"]]
    assert describes
    assert all(call["InstanceId.1"] == [node.id] for call in describes)
    assert all("InstanceId.2" not in call for call in describes)


def test_three_hundred_instances_are_listed_across_pages(
    driver: EC2NodeDriver, ec2_call: Call, actions: Actions
) -> None:
    image = _image(driver)
    for _ in range(10):
        answer = ec2_call(
            "RunInstances",
            {
                "ImageId": image.id,
                "InstanceType": "t3.nano",
                "MinCount": 30,
                "MaxCount": 30,
            },
        )
        assert answer.ok, answer.text[:300]
    actions.calls.clear()

    # moto counts reservations per page: ten reservations of thirty, three a page.
    nodes = driver.list_nodes(ex_page_size=3)

    describes = [c for c in actions.calls if c["Action"] == ["DescribeInstances"]]
    assert len(nodes) == 300
    assert len({node.id for node in nodes}) == 300
    assert len(describes) == 4
    assert "NextToken" not in describes[0]
    assert all("NextToken" in call for call in describes[1:])
    assert len(set(driver.iter_nodes(ex_page_size=3))) == 300


# -- volumes and snapshots -------------------------------------------------------------


def test_volume_and_snapshot_life_cycle(driver: EC2NodeDriver) -> None:
    node = driver.create_node("with-volume", "t3.micro", _image(driver))
    driver.wait_until_running([node], wait_period=0.2, timeout=30)
    zone = driver.get_node(node.id).extra["availability_zone"]
    location = next(z for z in driver.list_locations() if z.id == zone)

    volume = driver.create_volume(2, "data-1", location=location, ex_volume_type="gp3")
    assert (volume.name, volume.size) == ("data-1", 2)
    assert volume.state in (StorageVolumeState.CREATING, StorageVolumeState.AVAILABLE)
    assert volume.extra["volume_type"] == "gp3"
    assert volume.id in {v.id for v in driver.list_volumes()}

    assert driver.attach_volume(node, volume, device="/dev/sdh")
    [attached] = driver.list_volumes(ex_volume_ids=[volume.id])
    assert attached.state is StorageVolumeState.INUSE
    assert (attached.extra["node_id"], attached.extra["device"]) == (
        node.id,
        "/dev/sdh",
    )

    snapshot = driver.create_volume_snapshot(attached, "data-1-snap")
    assert snapshot.name == "data-1-snap"
    assert snapshot.extra["volume_id"] == volume.id
    assert snapshot.state in (
        VolumeSnapshotState.CREATING,
        VolumeSnapshotState.AVAILABLE,
    )
    assert [s.id for s in driver.list_volume_snapshots(volume)] == [snapshot.id]

    # The copy made before the attachment knows no instance: the driver asks.
    assert "node_id" not in volume.extra
    assert driver.detach_volume(volume)
    [detached] = driver.list_volumes(ex_volume_ids=[volume.id])
    assert detached.state is StorageVolumeState.AVAILABLE
    with pytest.raises(InvalidArgumentError, match="not attached"):
        driver.detach_volume(detached)

    restored = driver.create_volume(
        2, "from-snap", location=location, snapshot=snapshot
    )
    assert restored.extra["snapshot_id"] == snapshot.id

    assert driver.destroy_volume(restored)
    assert driver.destroy_volume_snapshot(snapshot)
    assert driver.destroy_volume(detached)
    left = {v.id for v in driver.list_volumes()}
    assert not left & {volume.id, restored.id}
    assert driver.list_volume_snapshots(volume) == []


def test_a_volume_without_location_goes_to_an_available_zone(
    driver: EC2NodeDriver,
) -> None:
    volume = driver.create_volume(1, "anywhere")

    zones = {zone.id for zone in driver.list_locations()}
    assert volume.extra["availability_zone"] in zones


def test_own_snapshots_leave_out_the_servers_own(driver: EC2NodeDriver) -> None:
    # moto keeps snapshots behind its public images and lists them for Owner=self.
    assert driver.ex_list_snapshots() == []

    volume = driver.create_volume(1, "mine")
    snapshot = driver.create_volume_snapshot(volume, "mine")

    assert [s.id for s in driver.ex_list_snapshots()] == [snapshot.id]
    assert driver.ex_account_id() == snapshot.extra["owner_id"]


# -- images ----------------------------------------------------------------------------


def test_image_life_cycle(driver: EC2NodeDriver) -> None:
    node = driver.create_node("golden", "t3.micro", _image(driver))
    assert driver.list_images() == []

    image = driver.create_image(node, "golden-image", description="made by nubo")
    assert (image.name, image.extra["node_id"]) == ("golden-image", node.id)

    fetched = driver.get_image(image.id)
    assert fetched == image
    assert fetched.extra["description"] == "made by nubo"
    assert [i.id for i in driver.list_images()] == [image.id]

    copy = driver.copy_image("us-east-1", image, "golden-copy")
    assert driver.get_image(copy.id).name == "golden-copy"

    behind = [m["snapshot_id"] for m in fetched.extra["block_device_mappings"]]
    assert behind
    assert all(behind)
    assert driver.delete_image(image, ex_delete_snapshots=True)
    assert driver.delete_image(copy)
    assert driver.list_images() == []
    assert not {s.id for s in driver.ex_list_snapshots()} & set(behind)
    with pytest.raises(NotFoundError):
        driver.get_image(image.id)


# -- key pairs -------------------------------------------------------------------------


def test_key_pair_life_cycle(driver: EC2NodeDriver, tmp_path: Any) -> None:
    made = driver.create_key_pair("made")
    assert made.private_key is not None
    assert "PRIVATE KEY" in made.private_key
    assert "PRIVATE" not in repr(made)

    path = tmp_path / "id.pub"
    path.write_text(PUBLIC_KEY + "\n")
    imported = driver.import_key_pair_from_file("imported", str(path))
    assert imported.fingerprint
    assert imported.private_key is None

    listed = {pair.name: pair for pair in driver.list_key_pairs()}
    assert set(listed) == {"made", "imported"}
    assert all(pair.private_key is None for pair in listed.values())
    assert driver.get_key_pair("imported").fingerprint == imported.fingerprint

    assert driver.delete_key_pair(made)
    assert driver.delete_key_pair(imported)
    assert driver.list_key_pairs() == []
    with pytest.raises(NotFoundError) as caught:
        driver.get_key_pair("made")
    assert caught.value.code == "InvalidKeyPair.NotFound"


# -- not found -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda d: d.get_node("i-0123456789abcdef0"), "InvalidInstanceID.NotFound"),
        (lambda d: d.get_image("ami-12345678"), "InvalidAMIID.NotFound"),
        (
            lambda d: d.destroy_volume(
                nubo.compute.StorageVolume("vol-1234", None, 1, d)
            ),
            "InvalidVolume.NotFound",
        ),
        (
            lambda d: d.destroy_volume_snapshot(
                nubo.compute.VolumeSnapshot("snap-1234", d)
            ),
            "InvalidSnapshot.NotFound",
        ),
        (
            lambda d: d.reboot_node(
                nubo.compute.Node("i-0123456789abcdef0", None, "running", [], [], d)
            ),
            "InvalidInstanceID.NotFound",
        ),
    ],
)
def test_not_found_codes_from_moto_are_not_found_errors(
    driver: EC2NodeDriver, call: Callable[[EC2NodeDriver], object], code: str
) -> None:
    with pytest.raises(NotFoundError) as caught:
        call(driver)

    assert caught.value.code == code
    assert caught.value.status == 400
    assert caught.value.provider == "ec2"
    assert caught.value.message
