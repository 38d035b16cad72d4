"""Parsing EC2 answers: samples recorded from moto, hand-written AWS XML, and
answers missing any one element.

The samples in ``data/`` come from one run of ``ec2_samples.py`` against moto's
server, so the ids they share (the instance a volume is attached to, the volume a
snapshot was taken of) must agree across files.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ec2_samples import KEY_PLACEHOLDER, NAMES, record
from lxml import etree

from nubo_ec2._parse import (
    child,
    find_all,
    items,
    local_name,
    next_token,
    parse_availability_zone,
    parse_error,
    parse_image,
    parse_instance,
    parse_instance_type,
    parse_key_pair,
    parse_reservations,
    parse_snapshot,
    parse_tags,
    parse_volume,
    text,
)

DATA = Path(__file__).resolve().parent / "data"

Element = etree._Element


def sample(name: str) -> Element:
    return etree.fromstring((DATA / f"{name}.xml").read_bytes())


def _each(item_parser: Callable[[Element], dict[str, Any]], *path: str) -> Any:
    return lambda root: [item_parser(item) for item in items(root, *path)]


#: How each sample is read: answer root in, list of dicts out.
PARSERS: dict[str, Callable[[Element], list[dict[str, Any]]]] = {
    "create_key_pair": lambda root: [parse_key_pair(root)],
    "describe_key_pairs": _each(parse_key_pair, "keySet"),
    "run_instances": parse_reservations,
    "describe_instances": parse_reservations,
    "create_volume": lambda root: [parse_volume(root)],
    "describe_volumes": _each(parse_volume, "volumeSet"),
    "create_snapshot": lambda root: [parse_snapshot(root)],
    "describe_snapshots": _each(parse_snapshot, "snapshotSet"),
    "describe_images": _each(parse_image, "imagesSet"),
    "describe_availability_zones": _each(
        parse_availability_zone, "availabilityZoneInfo"
    ),
    "describe_instance_types": _each(parse_instance_type, "instanceTypeSet"),
    "error_not_found": lambda root: [parse_error(root)],
}


def parsed(name: str) -> list[dict[str, Any]]:
    return PARSERS[name](sample(name))


def test_every_sample_has_a_parser_and_a_file() -> None:
    assert set(PARSERS) == set(NAMES)
    assert {p.stem for p in DATA.glob("*.xml")} == set(NAMES)


# -- recorded from moto ---------------------------------------------------------


def test_run_instances() -> None:
    instances = parsed("run_instances")

    assert len(instances) == 2
    assert len({i["id"] for i in instances}) == 2
    assert len({i["reservation_id"] for i in instances}) == 1
    for instance in instances:
        assert re.fullmatch(r"i-[0-9a-f]+", instance["id"])
        assert instance["name"] == "nubo-web"
        assert instance["tags"] == {"Name": "nubo-web", "team": "platform & ops"}
        assert instance["state"] == "pending"
        assert instance["state_code"] == 0
        assert instance["instance_type"] == "t3.micro"
        assert instance["key_name"] == "nubo-sample"
        assert instance["client_token"] == "nubo-sample-token"
        assert instance["availability_zone"].startswith("us-east-1")
        assert instance["owner_id"] == "123456789012"


def test_addresses_are_listed_once_each() -> None:
    root = sample("run_instances")

    for item, instance in zip(
        find_all(root, "instancesSet")[0].iterchildren("{*}item"),
        parse_reservations(root),
        strict=True,
    ):
        # The primary private address is written three times in the answer.
        primary = text(item, "privateIpAddress")
        written = [e.text for e in find_all(item, "privateIpAddress")]
        assert written.count(primary) > 1
        assert instance["private_ips"] == [primary]
        assert text(item, "ipAddress") in instance["public_ips"]
        assert len(instance["public_ips"]) == len(set(instance["public_ips"]))


def test_describe_instances_lists_what_was_run() -> None:
    ran = {i["id"] for i in parsed("run_instances")}
    described = parsed("describe_instances")

    assert {i["id"] for i in described} == ran
    assert {i["state"] for i in described} == {"running"}
    assert all(i["state_code"] == 16 for i in described)
    assert all(i["block_device_mappings"] for i in described)
    assert all(i["block_device_mappings"][0]["volume_id"] for i in described)


def test_volumes() -> None:
    [created] = parsed("create_volume")
    [volume] = parsed("describe_volumes")
    instances = {i["id"] for i in parsed("run_instances")}

    assert created["id"] == volume["id"]
    assert created["name"] == volume["name"] == "nubo-data"
    assert volume["size"] == 8
    assert volume["volume_type"] == "gp3"
    assert volume["state"] == "in-use"
    assert volume["encrypted"] is False
    [attachment] = volume["attachments"]
    assert attachment["instance_id"] in instances
    assert attachment["device"] == "/dev/sdf"
    assert attachment["state"] == "attached"


def test_snapshots() -> None:
    [created] = parsed("create_snapshot")
    [snapshot] = parsed("describe_snapshots")
    [volume] = parsed("describe_volumes")

    assert created["id"] == snapshot["id"]
    assert re.fullmatch(r"snap-[0-9a-f]+", snapshot["id"])
    assert snapshot["volume_id"] == volume["id"]
    assert snapshot["name"] == "nubo-backup"
    assert snapshot["description"] == "nubo sample"
    assert snapshot["size"] == volume["size"]
    assert snapshot["state"] == "completed"


def test_images() -> None:
    [image] = parsed("describe_images")

    assert image["name"] == "nubo-golden"
    assert image["state"] == "available"
    assert image["owner_id"] == "123456789012"
    assert image["public"] is False
    assert image["block_device_mappings"][0]["snapshot_id"].startswith("snap-")


def test_key_pairs() -> None:
    [created] = parsed("create_key_pair")
    [listed] = parsed("describe_key_pairs")

    assert created["name"] == listed["name"] == "nubo-sample"
    assert created["private_key"] == KEY_PLACEHOLDER
    assert listed["private_key"] is None
    assert re.fullmatch(r"([0-9a-f]{2}:)+[0-9a-f]{2}", listed["fingerprint"])
    assert listed["id"].startswith("key-")


def test_availability_zones() -> None:
    zones = parsed("describe_availability_zones")

    assert len(zones) >= 3
    assert all(z["name"].startswith(z["region"]) for z in zones)
    assert {z["region"] for z in zones} == {"us-east-1"}
    assert {z["state"] for z in zones} == {"available"}
    assert all(z["id"] for z in zones)


def test_instance_types() -> None:
    types = {t["name"]: t for t in parsed("describe_instance_types")}

    assert set(types) == {"t3.micro", "m5d.large"}
    assert (types["t3.micro"]["vcpus"], types["t3.micro"]["ram"]) == (2, 1024)
    assert types["t3.micro"]["disk"] == 0
    assert (types["m5d.large"]["vcpus"], types["m5d.large"]["ram"]) == (2, 8192)
    assert types["m5d.large"]["disk"] == 75
    assert types["t3.micro"]["architectures"] == ["x86_64"]


def test_error_document() -> None:
    [error] = parsed("error_not_found")

    assert error["code"] == "InvalidInstanceID.NotFound"
    assert "i-0000000000000dead" in error["message"]
    assert error["request_id"] == "request-id"
    assert error["errors"] == [(error["code"], error["message"])]


# -- hand-written, in AWS's namespace ------------------------------------------------

AWS_DESCRIBE_INSTANCES = b"""<?xml version="1.0" encoding="UTF-8"?>
<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>8f7724cf-496f-496e-8fe3-example</requestId>
  <reservationSet>
    <item>
      <reservationId>r-1234567890abcdef0</reservationId>
      <ownerId>111122223333</ownerId>
      <instancesSet>
        <item>
          <instanceId>i-1234567890abcdef0</instanceId>
          <imageId>ami-0abcdef1234567890</imageId>
          <instanceState><code>80</code><name>stopped</name></instanceState>
          <privateIpAddress>10.0.0.5</privateIpAddress>
          <ipAddress>203.0.113.10</ipAddress>
          <ipv6Address>2001:db8::5</ipv6Address>
          <!-- a comment between elements -->
          <networkInterfaceSet>
            <item>
              <privateIpAddress>10.0.0.5</privateIpAddress>
              <association><publicIp>203.0.113.10</publicIp></association>
              <privateIpAddressesSet>
                <item><privateIpAddress>10.0.0.5</privateIpAddress></item>
                <item>
                  <privateIpAddress>10.0.0.6</privateIpAddress>
                  <association><publicIp>203.0.113.11</publicIp></association>
                </item>
              </privateIpAddressesSet>
              <ipv6AddressesSet>
                <item><ipv6Address>2001:db8::5</ipv6Address></item>
                <item><ipv6Address>2001:db8::6</ipv6Address></item>
              </ipv6AddressesSet>
            </item>
            <item><privateIpAddress>10.0.1.7</privateIpAddress></item>
          </networkInterfaceSet>
          <tagSet>
            <item><key>Name</key><value>  web-1 </value></item>
            <item><key>empty</key></item>
            <item><value>no key</value></item>
          </tagSet>
          <instanceType>m5.large</instanceType>
          <launchTime>2024-05-01T10:00:00.000Z</launchTime>
          <placement><availabilityZone>eu-west-3a</availabilityZone></placement>
          <groupSet>
            <item><groupId>sg-1</groupId><groupName>web</groupName></item>
          </groupSet>
        </item>
        <item><instanceId>i-0000000000000bare</instanceId></item>
      </instancesSet>
    </item>
  </reservationSet>
  <nextToken>eyJ2IjoiMiJ9</nextToken>
</DescribeInstancesResponse>
"""


def test_aws_instances_with_many_addresses() -> None:
    root = etree.fromstring(AWS_DESCRIBE_INSTANCES)
    full, bare = parse_reservations(root)

    assert full["id"] == "i-1234567890abcdef0"
    assert full["state"] == "stopped"
    assert full["state_code"] == 80
    assert full["private_ips"] == ["10.0.0.5", "10.0.0.6", "10.0.1.7"]
    assert full["public_ips"] == [
        "203.0.113.10",
        "203.0.113.11",
        "2001:db8::5",
        "2001:db8::6",
    ]
    assert full["name"] == "web-1"
    assert full["tags"] == {"Name": "web-1", "empty": ""}
    assert full["security_groups"] == [{"id": "sg-1", "name": "web"}]
    assert full["availability_zone"] == "eu-west-3a"
    assert full["reservation_id"] == bare["reservation_id"] == "r-1234567890abcdef0"
    assert next_token(root) == "eyJ2IjoiMiJ9"


def test_an_item_with_nothing_but_its_id() -> None:
    bare = parse_reservations(etree.fromstring(AWS_DESCRIBE_INSTANCES))[1]

    assert bare["id"] == "i-0000000000000bare"
    assert bare["state"] is None
    assert bare["name"] is None
    assert bare["public_ips"] == bare["private_ips"] == []
    assert bare["tags"] == {}
    assert bare["security_groups"] == bare["block_device_mappings"] == []


def test_the_same_answer_without_any_namespace() -> None:
    plain = AWS_DESCRIBE_INSTANCES.replace(
        b' xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"', b""
    )
    prefixed = AWS_DESCRIBE_INSTANCES.replace(b"xmlns=", b"xmlns:ec2=").replace(
        b"<DescribeInstancesResponse", b"<ec2:DescribeInstancesResponse"
    )
    prefixed = prefixed.replace(
        b"</DescribeInstancesResponse>", b"</ec2:DescribeInstancesResponse>"
    )

    expected = parse_reservations(etree.fromstring(AWS_DESCRIBE_INSTANCES))
    assert parse_reservations(etree.fromstring(plain)) == expected
    assert parse_reservations(etree.fromstring(prefixed)) == expected


def test_the_last_page_has_no_token() -> None:
    root = etree.fromstring(
        b'<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
        b"<reservationSet/><nextToken/></DescribeInstancesResponse>"
    )

    assert parse_reservations(root) == []
    assert next_token(root) is None


def test_aws_error_document() -> None:
    root = etree.fromstring(
        b"""<?xml version="1.0" encoding="UTF-8"?>
        <Response><Errors>
          <Error><Code>RequestLimitExceeded</Code>
                 <Message>Request limit exceeded.</Message></Error>
          <Error><Code>Second</Code></Error>
        </Errors><RequestID>ea966190-f9aa-478e-9ede-example</RequestID></Response>"""
    )

    error = parse_error(root)

    assert error["code"] == "RequestLimitExceeded"
    assert error["message"] == "Request limit exceeded."
    assert error["request_id"] == "ea966190-f9aa-478e-9ede-example"
    assert error["errors"][1] == ("Second", None)


def test_query_service_error_document() -> None:
    root = etree.fromstring(
        b'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        b"<Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code>"
        b"<Message>The request signature we calculated does not match</Message>"
        b"</Error><RequestId>4f3c-example</RequestId></ErrorResponse>"
    )

    error = parse_error(root)

    assert (error["code"], error["request_id"]) == (
        "SignatureDoesNotMatch",
        "4f3c-example",
    )


def test_an_error_document_without_errors() -> None:
    error = parse_error(etree.fromstring(b"<Response/>"))

    assert error == {"code": None, "message": None, "request_id": None, "errors": []}


def test_aws_instance_type_with_storage_and_gpus() -> None:
    item = etree.fromstring(
        b'<item xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
        b"<instanceType>g5.xlarge</instanceType>"
        b"<vCpuInfo><defaultVCpus>4</defaultVCpus></vCpuInfo>"
        b"<memoryInfo><sizeInMiB>16384</sizeInMiB></memoryInfo>"
        b"<instanceStorageSupported>true</instanceStorageSupported>"
        b"<instanceStorageInfo><totalSizeInGB>250</totalSizeInGB></instanceStorageInfo>"
        b"<gpuInfo><gpus><item><count>1</count><name>A10G</name></item></gpus></gpuInfo>"
        b"</item>"
    )

    parsed_type = parse_instance_type(item)

    assert (parsed_type["vcpus"], parsed_type["ram"], parsed_type["disk"]) == (
        4,
        16384,
        250,
    )
    assert parsed_type["gpus"] == 1
    assert parsed_type["architectures"] == []


def test_numbers_and_booleans_that_are_not() -> None:
    item = etree.fromstring(
        b"<item><volumeId>vol-1</volumeId><size>big</size><iops>3000.0</iops>"
        b"<encrypted>maybe</encrypted></item>"
    )

    volume = parse_volume(item)

    assert volume["size"] is None
    assert volume["iops"] == 3000
    assert volume["encrypted"] is None


def test_element_helpers() -> None:
    root = etree.fromstring(b"<a xmlns='urn:x'><b><c> x </c></b><b/><!-- z --></a>")

    assert local_name(root) == "a"
    assert text(root, "b", "c") == "x"
    assert text(root, "b", "missing") is None
    assert child(None, "b") is None
    assert len(find_all(root, "b")) == 2
    assert items(root, "nothing") == []
    assert parse_tags(None) == {}
    assert parse_instance(etree.fromstring(b"<item/>"))["id"] is None


# -- any one element missing -------------------------------------------------------


def _without_each_element(xml: bytes) -> list[Element]:
    count = sum(1 for _ in etree.fromstring(xml).iter())
    trees = []
    for index in range(1, count):
        root = etree.fromstring(xml)
        victim = list(root.iter())[index]
        parent = victim.getparent()
        if parent is not None:
            parent.remove(victim)
            trees.append(root)
    return trees


@pytest.mark.parametrize(
    "name", ["describe_volumes", "describe_snapshots", "describe_images"]
)
def test_a_recorded_answer_missing_any_element_still_parses(name: str) -> None:
    xml = (DATA / f"{name}.xml").read_bytes()

    trees = _without_each_element(xml)

    assert len(trees) > 10
    for root in trees:
        for item in PARSERS[name](root):
            assert isinstance(item, dict)


def test_instances_missing_any_element_still_parse() -> None:
    trees = _without_each_element(AWS_DESCRIBE_INSTANCES)

    lengths = {len(parse_reservations(root)) for root in trees}

    # Removing one instance, or the whole set, leaves fewer, never an error.
    assert lengths == {0, 1, 2}


# -- against the live server ---------------------------------------------------------


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _shape(v) for key, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value[:1]]
    return type(value).__name__


@pytest.mark.peer
def test_the_samples_still_match_what_moto_answers(
    moto_reset: Any, ec2_call: Callable[..., Any]
) -> None:
    live = record(ec2_call)

    for name in NAMES:
        recorded = PARSERS[name](sample(name))
        fresh = PARSERS[name](etree.fromstring(live[name]))
        assert len(fresh) == len(recorded), name
        assert [_shape(i) for i in fresh] == [_shape(i) for i in recorded], name
