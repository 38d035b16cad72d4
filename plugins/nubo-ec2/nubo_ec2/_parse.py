"""Read EC2's XML answers into plain dictionaries.

Each ``parse_*`` function takes one lxml element (an ``item`` of a set, or a whole
answer) and returns a ``dict`` of Python values that the driver turns into nubo's
models. Two rules hold throughout:

- Elements are found by local name, whatever their namespace URI: AWS writes
  ``http://ec2.amazonaws.com/doc/2016-11-15/``, moto the same without the final
  slash, other compatible servers something else or nothing.
- A missing element never raises: its key is ``None`` (or empty, for lists and
  tags), so that one odd item does not break a listing.

Key material (``keyMaterial`` of CreateKeyPair) is returned to the caller and
never logged.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TypeGuard

if TYPE_CHECKING:
    from lxml import etree

__all__ = [
    "child",
    "children",
    "find_all",
    "items",
    "local_name",
    "next_token",
    "parse_availability_zone",
    "parse_error",
    "parse_image",
    "parse_instance",
    "parse_instance_type",
    "parse_key_pair",
    "parse_reservations",
    "parse_snapshot",
    "parse_tags",
    "parse_volume",
    "text",
]

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    Element = etree._Element

_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


# -- finding elements by local name ------------------------------------------------

# lxml's ``{*}`` matches a tag in any namespace or in none. A path of local names
# is turned into ``{*}a/{*}b`` once and kept, rather than built on every lookup.
_PATHS: dict[tuple[str, ...], str] = {}


def _path(names: tuple[str, ...]) -> str:
    found = _PATHS.get(names)
    if found is None:
        found = _PATHS[names] = "/".join(f"{{*}}{name}" for name in names)
    return found


def is_element(value: object) -> TypeGuard[Element]:
    """Tell whether a parsed body is an XML element; an empty body is not.

    :param value: what a response parsed its body into.
    :returns: ``True`` for an lxml element.
    """
    # lxml is imported with the first XML body, so by now this costs nothing.
    from lxml import etree

    return bool(etree.iselement(value))


def local_name(element: Element) -> str:
    """Return an element's tag without its namespace (``item``).

    :param element: any element; comments and processing instructions give ``""``.
    :returns: the local part of the tag.
    """
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def children(element: Element | None, name: str) -> Iterator[Element]:
    """Yield the direct children of an element that have a local name.

    :param element: the parent; ``None`` yields nothing.
    :param name: the local name to match.
    :returns: an iterator over the matching children, in document order.
    """
    if element is None:
        return iter(())
    return element.iterfind(_path((name,)))


def child(element: Element | None, *path: str) -> Element | None:
    """Follow a path of local names down from an element.

    :param element: where to start; ``None`` gives ``None``.
    :param path: local names, one per level (``"instanceState", "name"``).
    :returns: the first element at the end of the path, or ``None``.
    """
    if element is None:
        return None
    if not path:
        return element
    return element.find(_path(path))


def find_all(element: Element | None, name: str) -> list[Element]:
    """Return every descendant of an element with a local name, at any depth.

    :param element: where to search; ``None`` gives an empty list.
    :param name: the local name to match.
    :returns: the matching elements, in document order.
    """
    if element is None:
        return []
    return list(element.iter(_path((name,))))


def text(element: Element | None, *path: str) -> str | None:
    """Return the stripped text at the end of a path, or ``None``.

    :param element: where to start.
    :param path: local names, one per level.
    :returns: the text, ``None`` when the element is missing or empty.
    """
    if element is None:
        return None
    value = element.findtext(_path(path)) if path else element.text
    if not value:
        return None
    # Interned, so that the values a fleet repeats (states, types, zones, VPCs,
    # devices, tag keys) are held once however many nodes carry them.
    value = value.strip()
    return sys.intern(value) if value else None


def _index(element: Element) -> dict[str, Element]:
    # The first direct child of each local name. A resource with many fields is
    # read faster from this than by one path search per field, which lxml
    # parses anew each time.
    found: dict[str, Element] = {}
    for node in element:
        tag = node.tag
        if isinstance(tag, str):
            found.setdefault(tag.rpartition("}")[2], node)
    return found


def items(element: Element | None, *path: str) -> list[Element]:
    """Return the ``item`` children of the set at the end of a path.

    :param element: where to start.
    :param path: local names down to the set (``"tagSet"``).
    :returns: the set's items; empty when the set is missing.
    """
    found = child(element, *path)
    if found is None:
        return []
    return found.findall("{*}item")


def next_token(root: Element | None) -> str | None:
    """Return the ``nextToken`` of a paginated answer, or ``None`` on its last page.

    :param root: the answer's root element.
    :returns: the token to ask for the next page with.
    """
    return text(root, "nextToken")


def _int(element: Element | None, *path: str) -> int | None:
    value = text(element, *path)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        try:
            return int(float(value))
        except ValueError:
            log.debug("not an integer in %s: %r", "/".join(path), value)
            return None


def _bool(element: Element | None, *path: str) -> bool | None:
    value = text(element, *path)
    if value is None:
        return None
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    return None


def _texts(element: Element | None, *path: str) -> list[str]:
    values = [(node.text or "").strip() for node in items(element, *path)]
    return [value for value in values if value]


def _unique(values: list[str | None]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        if value:
            seen.setdefault(value, None)
    return list(seen)


# -- pieces shared by several resources ---------------------------------------------


def parse_tags(element: Element | None) -> dict[str, str]:
    """Return the tags of a resource, from its ``tagSet``.

    :param element: the resource's element (an instance, a volume, ...).
    :returns: ``{key: value}``; a tag without a value maps to ``""``; empty when
        there is no ``tagSet``.
    """
    tags: dict[str, str] = {}
    for item in items(element, "tagSet"):
        fields = _index(item)
        key = text(fields.get("key"))
        if key is not None:
            tags[key] = text(fields.get("value")) or ""
    return tags


def _block_device_mappings(element: Element | None) -> list[dict[str, Any]]:
    mappings = []
    for item in items(element, "blockDeviceMapping"):
        fields = _index(item)
        ebs_element = fields.get("ebs")
        ebs = _index(ebs_element) if ebs_element is not None else {}
        mappings.append(
            {
                "device_name": text(fields.get("deviceName")),
                "virtual_name": text(fields.get("virtualName")),
                "volume_id": text(ebs.get("volumeId")),
                "snapshot_id": text(ebs.get("snapshotId")),
                "volume_size": _int(ebs.get("volumeSize")),
                "volume_type": text(ebs.get("volumeType")),
                "status": text(ebs.get("status")),
                "delete_on_termination": _bool(ebs.get("deleteOnTermination")),
                "encrypted": _bool(ebs.get("encrypted")),
            }
        )
    return mappings


def _groups(element: Element | None) -> list[dict[str, str | None]]:
    return [
        {"id": text(item, "groupId"), "name": text(item, "groupName")}
        for item in items(element, "groupSet")
    ]


# -- resources ------------------------------------------------------------------------


def parse_instance(element: Element) -> dict[str, Any]:
    """Return an instance, from an ``instancesSet/item`` element.

    Addresses are gathered from the instance and from each of its network
    interfaces, IPv4 and IPv6, each listed once.

    :param element: the instance's ``item``.
    :returns: ``id``, ``name`` (the Name tag), ``state`` (EC2's state name),
        ``state_code``, ``instance_type``, ``image_id``, ``key_name``,
        ``launch_time``, ``availability_zone``, ``public_ips``, ``private_ips``,
        ``subnet_id``, ``vpc_id``, ``security_groups``, ``block_device_mappings``,
        ``architecture``, ``platform``, ``client_token``, ``tags`` and more.
    """
    fields = _index(element)

    def field(name: str) -> str | None:
        return text(fields.get(name))

    interfaces = items(fields.get("networkInterfaceSet"))

    private = [field("privateIpAddress")]
    public = [field("ipAddress")]
    for interface in interfaces:
        private.append(text(interface, "privateIpAddress"))
        public.append(text(interface, "association", "publicIp"))
        for address in items(interface, "privateIpAddressesSet"):
            private.append(text(address, "privateIpAddress"))
            public.append(text(address, "association", "publicIp"))
        # EC2's IPv6 addresses are global unicast ones, so they count as public.
        for address in items(interface, "ipv6AddressesSet"):
            public.append(text(address, "ipv6Address"))
    public.append(field("ipv6Address"))

    tags = parse_tags(element)
    return {
        "id": field("instanceId"),
        "name": tags.get("Name"),
        "state": text(fields.get("instanceState"), "name"),
        "state_code": _int(fields.get("instanceState"), "code"),
        "instance_type": field("instanceType"),
        "image_id": field("imageId"),
        "key_name": field("keyName"),
        "launch_time": field("launchTime"),
        "availability_zone": text(fields.get("placement"), "availabilityZone"),
        "public_ips": _unique(public),
        "private_ips": _unique(private),
        "public_dns_name": field("dnsName"),
        "private_dns_name": field("privateDnsName"),
        "subnet_id": field("subnetId"),
        "vpc_id": field("vpcId"),
        "security_groups": _groups(element),
        "block_device_mappings": _block_device_mappings(element),
        "root_device_name": field("rootDeviceName"),
        "root_device_type": field("rootDeviceType"),
        "architecture": field("architecture"),
        "platform": field("platform"),
        "virtualization_type": field("virtualizationType"),
        "client_token": field("clientToken"),
        "state_reason": text(fields.get("stateReason"), "message"),
        "tags": tags,
    }


def parse_reservations(root: Element) -> list[dict[str, Any]]:
    """Return every instance of a DescribeInstances or RunInstances answer.

    DescribeInstances nests instances in reservations; RunInstances answers with
    one reservation as the root. Both are read here.

    :param root: the answer's root element.
    :returns: the instances, each from :func:`parse_instance` with the
        ``reservation_id`` and ``owner_id`` of its reservation added.
    """
    reservations = items(root, "reservationSet")
    if not reservations and child(root, "instancesSet") is not None:
        reservations = [root]

    instances = []
    for reservation in reservations:
        for item in items(reservation, "instancesSet"):
            instance = parse_instance(item)
            instance["reservation_id"] = text(reservation, "reservationId")
            instance["owner_id"] = text(reservation, "ownerId")
            instances.append(instance)
    return instances


def parse_volume(element: Element) -> dict[str, Any]:
    """Return a volume, from a ``volumeSet/item`` or a CreateVolume answer.

    :param element: the volume's element.
    :returns: ``id``, ``name``, ``size`` (GiB), ``state``, ``availability_zone``,
        ``volume_type``, ``iops``, ``throughput``, ``encrypted``, ``snapshot_id``,
        ``create_time``, ``attachments`` (``instance_id``, ``device``, ``state``,
        ``attach_time``, ``delete_on_termination``) and ``tags``.
    """
    attachments = [
        {
            "instance_id": text(item, "instanceId"),
            "device": text(item, "device"),
            "state": text(item, "status"),
            "attach_time": text(item, "attachTime"),
            "delete_on_termination": _bool(item, "deleteOnTermination"),
        }
        for item in items(element, "attachmentSet")
    ]

    tags = parse_tags(element)
    return {
        "id": text(element, "volumeId"),
        "name": tags.get("Name"),
        "size": _int(element, "size"),
        "state": text(element, "status"),
        "availability_zone": text(element, "availabilityZone"),
        "volume_type": text(element, "volumeType"),
        "iops": _int(element, "iops"),
        "throughput": _int(element, "throughput"),
        "encrypted": _bool(element, "encrypted"),
        "snapshot_id": text(element, "snapshotId"),
        "create_time": text(element, "createTime"),
        "attachments": attachments,
        "tags": tags,
    }


def parse_snapshot(element: Element) -> dict[str, Any]:
    """Return a snapshot, from a ``snapshotSet/item`` or a CreateSnapshot answer.

    :param element: the snapshot's element.
    :returns: ``id``, ``name`` (the Name tag), ``volume_id``, ``size`` (GiB),
        ``state``, ``progress``, ``start_time``, ``description``, ``owner_id``,
        ``encrypted`` and ``tags``.
    """
    tags = parse_tags(element)
    return {
        "id": text(element, "snapshotId"),
        "name": tags.get("Name"),
        "volume_id": text(element, "volumeId"),
        "size": _int(element, "volumeSize"),
        "state": text(element, "status"),
        "progress": text(element, "progress"),
        "start_time": text(element, "startTime"),
        "description": text(element, "description"),
        "owner_id": text(element, "ownerId"),
        "encrypted": _bool(element, "encrypted"),
        "tags": tags,
    }


def parse_image(element: Element) -> dict[str, Any]:
    """Return an image (AMI), from an ``imagesSet/item`` element.

    :param element: the image's ``item``.
    :returns: ``id``, ``name``, ``state``, ``owner_id``, ``owner_alias``,
        ``public``, ``location``, ``description``, ``architecture``,
        ``image_type``, ``platform``, ``root_device_type``, ``root_device_name``,
        ``virtualization_type``, ``hypervisor``, ``creation_date``,
        ``block_device_mappings`` and ``tags``.
    """
    return {
        "id": text(element, "imageId"),
        "name": text(element, "name"),
        "state": text(element, "imageState"),
        "owner_id": text(element, "imageOwnerId"),
        "owner_alias": text(element, "imageOwnerAlias"),
        "public": _bool(element, "isPublic"),
        "location": text(element, "imageLocation"),
        "description": text(element, "description"),
        "architecture": text(element, "architecture"),
        "image_type": text(element, "imageType"),
        "platform": text(element, "platform"),
        "root_device_type": text(element, "rootDeviceType"),
        "root_device_name": text(element, "rootDeviceName"),
        "virtualization_type": text(element, "virtualizationType"),
        "hypervisor": text(element, "hypervisor"),
        "creation_date": text(element, "creationDate"),
        "block_device_mappings": _block_device_mappings(element),
        "tags": parse_tags(element),
    }


def parse_key_pair(element: Element) -> dict[str, Any]:
    """Return a key pair, from a ``keySet/item`` or a Create/ImportKeyPair answer.

    :param element: the key pair's element.
    :returns: ``name``, ``fingerprint``, ``id``, ``key_type``, ``public_key``,
        ``private_key`` (only CreateKeyPair answers carry it; it is the caller's
        to keep safe) and ``tags``.
    """
    return {
        "name": text(element, "keyName"),
        "fingerprint": text(element, "keyFingerprint"),
        "id": text(element, "keyPairId"),
        "key_type": text(element, "keyType"),
        "public_key": text(element, "publicKey"),
        "private_key": text(element, "keyMaterial"),
        "tags": parse_tags(element),
    }


def parse_availability_zone(element: Element) -> dict[str, Any]:
    """Return an availability zone, from an ``availabilityZoneInfo/item``.

    :param element: the zone's ``item``.
    :returns: ``name``, ``id``, ``state``, ``region`` and ``zone_type``.
    """
    return {
        "name": text(element, "zoneName"),
        "id": text(element, "zoneId"),
        "state": text(element, "zoneState"),
        "region": text(element, "regionName"),
        "zone_type": text(element, "zoneType"),
    }


def parse_instance_type(element: Element) -> dict[str, Any]:
    """Return an instance type, from an ``instanceTypeSet/item``.

    :param element: the type's ``item``.
    :returns: ``name``, ``vcpus``, ``ram`` (MiB), ``disk`` (GB of instance
        storage; 0 for EBS-only types), ``architectures``, ``current_generation``,
        ``bare_metal``, ``network_performance``, ``gpus`` and ``hypervisor``.
    """
    storage_supported = _bool(element, "instanceStorageSupported")
    disk = _int(element, "instanceStorageInfo", "totalSizeInGB")
    if disk is None and storage_supported is False:
        disk = 0

    gpus = sum(_int(item, "count") or 0 for item in items(element, "gpuInfo", "gpus"))

    return {
        "name": text(element, "instanceType"),
        "vcpus": _int(element, "vCpuInfo", "defaultVCpus"),
        "ram": _int(element, "memoryInfo", "sizeInMiB"),
        "disk": disk,
        "architectures": _texts(element, "processorInfo", "supportedArchitectures"),
        "current_generation": _bool(element, "currentGeneration"),
        "bare_metal": _bool(element, "bareMetal"),
        "network_performance": text(element, "networkInfo", "networkPerformance"),
        "gpus": gpus,
        "hypervisor": text(element, "hypervisor"),
    }


def parse_error(root: Element) -> dict[str, Any]:
    """Return what an EC2 error document says.

    EC2 answers ``Response/Errors/Error`` with ``Code`` and ``Message``, and a
    ``RequestID`` beside ``Errors``; other AWS query services use
    ``ErrorResponse/Error`` and ``RequestId``. Both are read; the first error is
    the one reported.

    :param root: the answer's root element.
    :returns: ``code``, ``message``, ``request_id`` (each ``None`` when absent)
        and ``errors``, every ``(code, message)`` pair in the document.
    """
    found = find_all(root, "Error")
    errors = [(text(error, "Code"), text(error, "Message")) for error in found]

    request_id = None
    for name in ("RequestID", "RequestId", "requestId"):
        for node in find_all(root, name):
            request_id = request_id or (node.text or "").strip() or None

    code, message = errors[0] if errors else (None, None)
    return {
        "code": code,
        "message": message,
        "request_id": request_id,
        "errors": errors,
    }
