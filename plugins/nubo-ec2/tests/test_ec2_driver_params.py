"""The EC2 driver's constructor and the Query API parameters each method sends.

The answers are served by ``responses`` from the samples recorded from moto in
``data/``; what is checked is the signed form body the driver sent. No socket is
opened.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import responses

from nubo import _hooks
from nubo.compute import NodeAuthSSHKey, NodeLocation, NodeSize, StorageVolume
from nubo.errors import InvalidArgumentError
from nubo_ec2 import API_VERSION, EC2NodeDriver

DATA = Path(__file__).resolve().parent / "data"

URL = "http://127.0.0.1:4598/"


@pytest.fixture(autouse=True)
def _no_plugins(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("NUBO_DISABLE_PLUGIN_AUTOLOAD", "1")
    _hooks._reset()
    yield
    _hooks._reset()


@pytest.fixture
def driver() -> EC2NodeDriver:
    return EC2NodeDriver(
        "AKIDNUBOPARAMS",
        "params-secret",
        host="127.0.0.1",
        port=4598,
        secure=False,
        region="eu-west-3",
        retry=False,
    )


def sample(name: str) -> bytes:
    return (DATA / f"{name}.xml").read_bytes()


def sent(index: int = -1) -> dict[str, str]:
    body = responses.calls[index].request.body
    text = body.decode() if isinstance(body, bytes) else str(body)
    return {key: values[0] for key, values in parse_qs(text).items()}


# -- the constructor -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "host"),
    [
        ("us-east-1", "ec2.us-east-1.amazonaws.com"),
        ("cn-north-1", "ec2.cn-north-1.amazonaws.com.cn"),
        ("us-gov-west-1", "ec2.us-gov-west-1.amazonaws.com"),
    ],
)
def test_the_endpoint_follows_the_region(region: str, host: str) -> None:
    driver = EC2NodeDriver("AKID", "secret", region=region)

    assert driver.connection is not None
    assert driver.connection.host == host
    assert driver.connection.port == 443
    assert driver.connection.secure


def test_a_given_host_wins_and_the_region_still_signs() -> None:
    driver = EC2NodeDriver(
        "AKID", "s", host="127.0.0.1", port=5000, secure=False, region="ap-south-1"
    )

    assert driver.connection is not None
    assert driver.connection.base_url == "http://127.0.0.1:5000"
    assert driver.region == "ap-south-1"


@pytest.mark.parametrize(
    ("args", "argument"),
    [
        ((None, "secret"), "key"),
        (("AKID", None), "secret"),
        (("AKID", ""), "secret"),
    ],
)
def test_credentials_are_required(args: tuple[Any, Any], argument: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        EC2NodeDriver(*args)

    assert caught.value.argument == argument


def test_a_malformed_region_is_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="region"):
        EC2NodeDriver("AKID", "secret", region="US East")


def test_no_secret_in_reprs() -> None:
    driver = EC2NodeDriver("AKID", "very-secret-value", token="very-secret-token")

    for text in (repr(driver), repr(driver.connection)):
        assert "very-secret" not in text


def test_auth_is_refused_for_a_key_pair_name(driver: EC2NodeDriver) -> None:
    with pytest.raises(InvalidArgumentError, match="ex_keyname"):
        driver.create_node("n", "t3.micro", "ami-1", auth=NodeAuthSSHKey("ssh-rsa A"))


def test_unknown_extras_are_refused(driver: EC2NodeDriver) -> None:
    with pytest.raises(InvalidArgumentError, match="ex_nosuch"):
        driver.create_node("n", "t3.micro", "ami-1", ex_nosuch=1)


# -- what is sent ----------------------------------------------------------------------


@responses.activate
def test_every_call_is_a_signed_post_form(driver: EC2NodeDriver) -> None:
    responses.post(URL, body=sample("describe_key_pairs"))

    driver.list_key_pairs()

    request = responses.calls[0].request
    assert request.method == "POST"
    assert request.headers["Content-Type"].startswith(
        "application/x-www-form-urlencoded"
    )
    assert sent() == {"Action": "DescribeKeyPairs", "Version": API_VERSION}
    authorization = request.headers["Authorization"]
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=AKIDNUBOPARAMS/")
    assert "/eu-west-3/ec2/aws4_request" in authorization
    assert "content-type;host;x-amz-date" in authorization
    assert "X-Amz-Security-Token" not in request.headers


@responses.activate
def test_create_node_sends_every_extra(driver: EC2NodeDriver) -> None:
    responses.post(URL, body=sample("run_instances"))
    size = NodeSize("m5.large", "m5.large", 8192, 0, None, None, driver)
    zone = NodeLocation("eu-west-3b", "eu-west-3b", None, driver)

    driver.create_node(
        "web-1",
        size,
        "ami-0abc",
        location=zone,
        ex_keyname="deploy",
        ex_securitygroup=["web", "ssh"],
        ex_security_group_ids="sg-1",
        ex_subnet="subnet-9",
        ex_userdata=b"\x00binary user data",
        ex_blockdevicemappings=[
            {
                "DeviceName": "/dev/sda1",
                "Ebs": {"VolumeSize": 20, "DeleteOnTermination": True},
            },
            {"DeviceName": "/dev/sdb", "VirtualName": "ephemeral0"},
        ],
        ex_metadata={"team": "infra"},
        ex_clienttoken="token-1",
    )

    body = sent()
    assert body["Action"] == "RunInstances"
    assert (body["ImageId"], body["InstanceType"]) == ("ami-0abc", "m5.large")
    assert (body["MinCount"], body["MaxCount"]) == ("1", "1")
    assert body["ClientToken"] == "token-1"
    assert body["Placement.AvailabilityZone"] == "eu-west-3b"
    assert body["KeyName"] == "deploy"
    assert (body["SecurityGroup.1"], body["SecurityGroup.2"]) == ("web", "ssh")
    assert body["SecurityGroupId.1"] == "sg-1"
    assert body["SubnetId"] == "subnet-9"
    assert base64.b64decode(body["UserData"]) == b"\x00binary user data"
    assert body["BlockDeviceMapping.1.DeviceName"] == "/dev/sda1"
    assert body["BlockDeviceMapping.1.Ebs.VolumeSize"] == "20"
    assert body["BlockDeviceMapping.1.Ebs.DeleteOnTermination"] == "true"
    assert body["BlockDeviceMapping.2.VirtualName"] == "ephemeral0"
    assert body["TagSpecification.1.ResourceType"] == "instance"
    tags = {
        body[f"TagSpecification.1.Tag.{n}.Key"]: body[
            f"TagSpecification.1.Tag.{n}.Value"
        ]
        for n in (1, 2)
    }
    assert tags == {"team": "infra", "Name": "web-1"}


@responses.activate
def test_filters_are_numbered(driver: EC2NodeDriver) -> None:
    responses.post(URL, body=sample("describe_instances"))

    driver.list_nodes(
        ex_node_ids=["i-1", "i-2"],
        ex_filters={"instance-state-name": ["running", "stopped"], "tag:Env": "prod"},
    )

    assert sent() == {
        "Action": "DescribeInstances",
        "Version": API_VERSION,
        "InstanceId.1": "i-1",
        "InstanceId.2": "i-2",
        "Filter.1.Name": "instance-state-name",
        "Filter.1.Value.1": "running",
        "Filter.1.Value.2": "stopped",
        "Filter.2.Name": "tag:Env",
        "Filter.2.Value.1": "prod",
    }


def test_filters_must_be_a_mapping(driver: EC2NodeDriver) -> None:
    with pytest.raises(InvalidArgumentError, match="ex_filters"):
        driver.list_nodes(ex_filters=[("a", "b")])  # type: ignore[arg-type]


@responses.activate
def test_images_default_to_the_accounts_own(driver: EC2NodeDriver) -> None:
    responses.post(URL, body=sample("describe_images"))
    responses.post(URL, body=sample("describe_images"))
    responses.post(URL, body=sample("describe_images"))

    images = driver.list_images()
    driver.list_images(ex_owners=["amazon", "self"])
    driver.get_image(images[0].id)

    assert sent(0)["Owner.1"] == "self"
    assert (sent(1)["Owner.1"], sent(1)["Owner.2"]) == ("amazon", "self")
    assert "Owner.1" not in sent(2)
    assert sent(2)["ImageId.1"] == images[0].id


ATTACHED_VOLUME = b"""<DescribeVolumesResponse xmlns="urn:any-namespace">
  <volumeSet><item>
    <volumeId>vol-x</volumeId><size>1</size><status>in-use</status>
    <attachmentSet><item>
      <volumeId>vol-x</volumeId><instanceId>i-now</instanceId>
      <device>/dev/sdf</device><status>attached</status>
    </item></attachmentSet>
  </item></volumeSet>
</DescribeVolumesResponse>"""


@responses.activate
def test_detach_names_the_instance_the_volume_is_attached_to(
    driver: EC2NodeDriver,
) -> None:
    responses.post(URL, body=ATTACHED_VOLUME)
    responses.post(URL, body=b"<DetachVolumeResponse/>")
    stale = StorageVolume("vol-x", "stale", 1, driver, extra={"node_id": "i-then"})

    driver.detach_volume(stale)

    assert (sent(0)["Action"], sent(0)["VolumeId.1"]) == ("DescribeVolumes", "vol-x")
    assert sent(1) == {
        "Action": "DetachVolume",
        "Version": API_VERSION,
        "VolumeId": "vol-x",
        "InstanceId": "i-now",
    }


@responses.activate
def test_snapshots_of_a_volume_ask_for_own_ones_of_that_volume(
    driver: EC2NodeDriver,
) -> None:
    responses.post(URL, body=sample("describe_snapshots"))
    volume = StorageVolume("vol-7", None, 1, driver)
    driver._account_id = "123456789012"

    driver.list_volume_snapshots(volume)

    body = sent()
    assert body["Owner.1"] == "self"
    assert (body["Filter.1.Name"], body["Filter.1.Value.1"]) == ("volume-id", "vol-7")


@responses.activate
def test_import_key_pair_sends_the_key_base64_encoded(driver: EC2NodeDriver) -> None:
    responses.post(URL, body=sample("create_key_pair"))
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG7eYhbwG3rmQSHw0tIVa4fT7v4c4y me"

    driver.import_key_pair_from_string("mine", key + "\n")

    body = sent()
    assert body["Action"] == "ImportKeyPair"
    assert body["KeyName"] == "mine"
    assert base64.b64decode(body["PublicKeyMaterial"]).decode() == key


@responses.activate
def test_sizes_page_through_next_token(driver: EC2NodeDriver) -> None:
    page = sample("describe_instance_types")
    with_token = page.replace(
        b"</DescribeInstanceTypesResponse>",
        b"<nextToken>page-2</nextToken></DescribeInstanceTypesResponse>",
    )
    assert with_token != page
    responses.post(URL, body=with_token)
    responses.post(URL, body=page)

    sizes = driver.list_sizes()

    assert len(responses.calls) == 2
    assert "NextToken" not in sent(0)
    assert sent(1)["NextToken"] == "page-2"
    assert sizes
    assert len(sizes) % 2 == 0
    assert all(size.price is None for size in sizes)
