"""One way to list EC2 instances for each client the benchmarks compare.

Every client is pointed at the canned server on 127.0.0.1 with made-up
credentials, and each library is imported only when its client is made, so a
fresh interpreter that measures one client loads that client alone.

- ``nubo``: ``nubo.get_driver("ec2")``, its ``list_nodes`` and ``iter_nodes``;
- ``floor``: a bare ``requests.Session`` that sends the request nubo sends,
  signed with the same SigV4 signer, and reads it with lxml into plain dicts:
  the least any client can do;
- ``libcloud``: apache-libcloud's ``EC2NodeDriver``. Its ``list_nodes`` makes a
  DescribeAddresses call after DescribeInstances and does not follow
  ``NextToken``, so for a fleet :func:`libcloud_all` repeats its steps page by
  page with libcloud's own parsing;
- ``boto3``: a boto3 EC2 client with ``endpoint_url``, and its paginator.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from typing import Any

__all__ = [
    "ALL_PAGES",
    "CLIENTS",
    "KEY",
    "ONE_CALL",
    "REGION",
    "REQUEST_ONLY",
    "SECRET",
    "FloorClient",
    "boto3_all",
    "isolate_from_aws",
    "libcloud_all",
    "make",
]

log = logging.getLogger(__name__)

#: Made-up credentials: nothing here talks to AWS.
KEY = "AKIDNUBOBENCHEXAMPLE"
SECRET = "nubo-bench-secret-that-opens-nothing"
REGION = "us-east-1"

#: The clients, in the order the tables list them.
CLIENTS = ("nubo", "floor", "libcloud", "boto3")

_NS = "{http://ec2.amazonaws.com/doc/2016-11-15/}"


def isolate_from_aws() -> None:
    """Keep boto3 and libcloud from reading AWS settings or the metadata service.

    Sets, in this process's environment: no config or credentials file, and the
    instance metadata service disabled.
    """
    os.environ["AWS_CONFIG_FILE"] = os.devnull
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_EC2"):
        os.environ.pop(name, None)


class FloorClient:
    """A bare ``requests.Session`` that lists instances; the floor.

    :param port: the canned server's port on 127.0.0.1.
    """

    def __init__(self, port: int) -> None:
        import requests
        from lxml import etree

        from nubo_ec2._sigv4 import encode_form, sign_request

        self.url = f"http://127.0.0.1:{port}/"
        self.session = requests.Session()
        self._etree = etree
        self._encode = encode_form
        self._sign = sign_request

    def pages(self) -> Iterator[Any]:
        """Yield the root element of each page of DescribeInstances.

        :returns: an iterator over the pages' roots.
        """
        token: str | None = None
        while True:
            params = {"Action": "DescribeInstances", "Version": "2016-11-15"}
            if token:
                params["NextToken"] = token
            body = self._encode(params)
            headers = {
                "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"
            }
            headers.update(
                self._sign(
                    "POST",
                    self.url,
                    headers,
                    body,
                    access_key=KEY,
                    secret_key=SECRET,
                    region=REGION,
                )
            )
            response = self.session.post(self.url, data=body, headers=headers)
            response.raise_for_status()
            root = self._etree.fromstring(response.content)
            yield root
            token = root.findtext(f"{_NS}nextToken")
            if not token:
                return

    def list_nodes(self) -> list[dict[str, Any]]:
        """List every instance as a plain dict.

        :returns: one dict per instance, with the fields nubo's nodes carry:
            id, name, state, type, image, zone, addresses, groups, volumes,
            tags and more.
        """
        nodes = []
        for root in self.pages():
            for reservation in root.iterfind(f"{_NS}reservationSet/{_NS}item"):
                for item in reservation.iterfind(f"{_NS}instancesSet/{_NS}item"):
                    nodes.append(_floor_instance(item, reservation))
        return nodes


def _floor_instance(item: Any, reservation: Any) -> dict[str, Any]:
    # The fields nubo's parser reads, each found by its namespaced path.
    def get(path: str) -> str | None:
        found: str | None = item.findtext(_NS + path.replace("/", f"/{_NS}"))
        return found

    tags = {
        tag.findtext(f"{_NS}key"): tag.findtext(f"{_NS}value") or ""
        for tag in item.iterfind(f"{_NS}tagSet/{_NS}item")
    }
    interfaces = item.findall(f"{_NS}networkInterfaceSet/{_NS}item")
    private = [get("privateIpAddress")]
    public = [get("ipAddress")]
    for interface in interfaces:
        for address in interface.iterfind(f"{_NS}privateIpAddressesSet/{_NS}item"):
            private.append(address.findtext(f"{_NS}privateIpAddress"))
            public.append(address.findtext(f"{_NS}association/{_NS}publicIp"))

    return {
        "id": get("instanceId"),
        "name": tags.get("Name"),
        "state": get("instanceState/name"),
        "state_code": int(get("instanceState/code") or 0),
        "instance_type": get("instanceType"),
        "image_id": get("imageId"),
        "key_name": get("keyName"),
        "launch_time": get("launchTime"),
        "availability_zone": get("placement/availabilityZone"),
        "public_ips": list(dict.fromkeys(ip for ip in public if ip)),
        "private_ips": list(dict.fromkeys(ip for ip in private if ip)),
        "public_dns_name": get("dnsName"),
        "private_dns_name": get("privateDnsName"),
        "subnet_id": get("subnetId"),
        "vpc_id": get("vpcId"),
        "security_groups": [
            {
                "id": group.findtext(f"{_NS}groupId"),
                "name": group.findtext(f"{_NS}groupName"),
            }
            for group in item.iterfind(f"{_NS}groupSet/{_NS}item")
        ],
        "block_device_mappings": [
            {
                "device_name": device.findtext(f"{_NS}deviceName"),
                "volume_id": device.findtext(f"{_NS}ebs/{_NS}volumeId"),
                "status": device.findtext(f"{_NS}ebs/{_NS}status"),
                "delete_on_termination": device.findtext(
                    f"{_NS}ebs/{_NS}deleteOnTermination"
                )
                == "true",
            }
            for device in item.iterfind(f"{_NS}blockDeviceMapping/{_NS}item")
        ],
        "root_device_name": get("rootDeviceName"),
        "root_device_type": get("rootDeviceType"),
        "architecture": get("architecture"),
        "platform": get("platform"),
        "virtualization_type": get("virtualizationType"),
        "client_token": get("clientToken"),
        "tags": tags,
        "reservation_id": reservation.findtext(f"{_NS}reservationId"),
        "owner_id": reservation.findtext(f"{_NS}ownerId"),
    }


def make(name: str, port: int) -> Any:
    """Make a client pointed at the canned server.

    :param name: one of :data:`CLIENTS`.
    :param port: the server's port on 127.0.0.1.
    :returns: the driver, client or session object of that library.
    """
    if name == "nubo":
        import nubo

        driver_cls = nubo.get_driver("ec2")
        return driver_cls(
            KEY, SECRET, region=REGION, host="127.0.0.1", port=port, secure=False
        )

    if name == "floor":
        return FloorClient(port)

    if name == "libcloud":
        from libcloud.compute.drivers.ec2 import EC2NodeDriver

        return EC2NodeDriver(
            KEY, SECRET, secure=False, host="127.0.0.1", port=port, region=REGION
        )

    if name == "boto3":
        isolate_from_aws()
        import boto3

        return boto3.client(
            "ec2",
            region_name=REGION,
            endpoint_url=f"http://127.0.0.1:{port}",
            aws_access_key_id=KEY,
            aws_secret_access_key=SECRET,
        )

    raise ValueError(f"no client named {name!r}; pick one of {', '.join(CLIENTS)}")


def libcloud_all(driver: Any) -> list[Any]:
    """List every node with libcloud, following ``NextToken`` for it.

    The steps of its ``list_nodes`` (DescribeInstances, its ``_to_nodes``, one
    DescribeAddresses for the Elastic IPs), done for each page.

    :param driver: a libcloud ``EC2NodeDriver``.
    :returns: libcloud's nodes.
    """
    from libcloud.compute.drivers.ec2 import NAMESPACE
    from libcloud.utils.xml import findall, findtext

    nodes: list[Any] = []
    params: dict[str, str] = {"Action": "DescribeInstances"}
    while True:
        root = driver.connection.request(driver.path, params=params).object
        for reservation in findall(root, "reservationSet/item", NAMESPACE):
            nodes += driver._to_nodes(reservation, "instancesSet/item")
        token = findtext(root, "nextToken", NAMESPACE)
        if not token:
            break
        params = {"Action": "DescribeInstances", "NextToken": token}

    elastic = driver.ex_describe_addresses(nodes)
    for node in nodes:
        node.public_ips.extend(elastic[node.id])
    return nodes


def boto3_all(client: Any) -> list[dict[str, Any]]:
    """List every instance with boto3's paginator.

    :param client: a boto3 EC2 client.
    :returns: the instances' dicts, as boto3 parsed them.
    """
    instances: list[dict[str, Any]] = []
    for page in client.get_paginator("describe_instances").paginate():
        for reservation in page["Reservations"]:
            instances.extend(reservation["Instances"])
    return instances


#: One small call per client: what a user writes to list the nodes.
ONE_CALL: dict[str, Callable[[Any], Any]] = {
    "nubo": lambda driver: driver.list_nodes(),
    "floor": lambda floor: floor.list_nodes(),
    "libcloud": lambda driver: driver.list_nodes(),
    "boto3": lambda client: client.describe_instances()["Reservations"],
}

#: The request layer alone: one signed call, its answer read into an lxml tree,
#: no model built. Shows what nubo's core costs apart from the provider's parser.
REQUEST_ONLY: dict[str, Callable[[Any], Any]] = {
    "nubo-request": lambda driver: (
        driver.connection.request(
            "/",
            data={"Action": "DescribeInstances", "Version": "2016-11-15"},
            method="POST",
        ).object
    ),
    "floor-request": lambda floor: next(floor.pages()),
}

#: Every instance of a fleet, by client; a "nubo-iter" entry drops each node.
ALL_PAGES: dict[str, Callable[[Any], int]] = {
    "nubo": lambda driver: len(driver.list_nodes()),
    "nubo-iter": lambda driver: sum(1 for _ in driver.iter_nodes()),
    "floor": lambda floor: len(floor.list_nodes()),
    "libcloud": lambda driver: len(libcloud_all(driver)),
    "boto3": lambda client: len(boto3_all(client)),
}
