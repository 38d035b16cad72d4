"""The EC2 compute driver: every NodeDriver method on its EC2 Query API action.

:class:`EC2NodeDriver` turns each method into one or more calls through its
:class:`~nubo_ec2._connection.EC2Connection`, reads the answers with
:mod:`nubo_ec2._parse` and hands back nubo's models. Listings follow every page
through ``NextToken``. Only the calls a method needs are made: sizes are asked
for when :meth:`EC2NodeDriver.list_sizes` is called, never to check a size given
to :meth:`EC2NodeDriver.create_node`.
"""

from __future__ import annotations

import base64
import logging
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

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
from nubo.errors import InvalidArgumentError, MalformedResponseError, NotFoundError

from . import _parse
from ._connection import API_VERSION, EC2Connection

if TYPE_CHECKING:
    from ._parse import Element

__all__ = ["EC2NodeDriver"]

log = logging.getLogger(__name__)

Filters = Mapping[str, str | Sequence[str]]

#: EC2's instance states, onto nubo's.
NODE_STATES: Mapping[str, NodeState] = {
    "pending": NodeState.PENDING,
    "running": NodeState.RUNNING,
    "shutting-down": NodeState.TERMINATING,
    "terminated": NodeState.TERMINATED,
    "stopping": NodeState.STOPPING,
    "stopped": NodeState.STOPPED,
}

#: EC2's volume states, onto nubo's.
VOLUME_STATES: Mapping[str, StorageVolumeState] = {
    "creating": StorageVolumeState.CREATING,
    "available": StorageVolumeState.AVAILABLE,
    "in-use": StorageVolumeState.INUSE,
    "deleting": StorageVolumeState.DELETING,
    "deleted": StorageVolumeState.DELETED,
    "error": StorageVolumeState.ERROR,
}

#: EC2's snapshot states, onto nubo's.
SNAPSHOT_STATES: Mapping[str, VolumeSnapshotState] = {
    "pending": VolumeSnapshotState.CREATING,
    "completed": VolumeSnapshotState.AVAILABLE,
    "error": VolumeSnapshotState.ERROR,
    "recovering": VolumeSnapshotState.RESTORING,
}

#: The device a volume is attached as when the caller names none.
DEFAULT_DEVICE = "/dev/sdf"


def _timestamp(value: str | None) -> datetime | None:
    """Read EC2's ISO 8601 times (``2026-12-04T14:00:00.000Z``), or ``None``."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        log.debug("not an ISO 8601 time: %r", value)
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _ids(values: object, argument: str) -> list[str]:
    """Turn one id, a model, or a sequence of either into a list of ids."""
    if values is None:
        return []
    if isinstance(values, str | NodeImage | NodeSize | NodeLocation | Node):
        values = [values]
    if not isinstance(values, Iterable):
        raise InvalidArgumentError(
            f"{argument} must be an id or a list of ids, not {type(values).__name__}",
            argument=argument,
        )

    found = []
    for value in values:
        ident = getattr(value, "id", value)
        if not isinstance(ident, str) or not ident:
            raise InvalidArgumentError(
                f"{argument} must hold non-empty ids, not {value!r}",
                argument=argument,
            )
        found.append(ident)
    return found


def _numbered(params: dict[str, Any], prefix: str, values: Iterable[Any]) -> None:
    """Add ``Prefix.1``, ``Prefix.2``... for a list parameter."""
    for number, value in enumerate(values, start=1):
        params[f"{prefix}.{number}"] = value


def _filters(params: dict[str, Any], filters: Filters | None) -> None:
    """Add ``Filter.N.Name`` and ``Filter.N.Value.M`` for EC2's filters."""
    if not filters:
        return
    if not isinstance(filters, Mapping):
        raise InvalidArgumentError(
            "ex_filters must be a mapping of filter names to a value or a list of "
            f"values, such as {{'instance-state-name': 'running'}}; not "
            f"{type(filters).__name__}",
            argument="ex_filters",
        )

    for number, (name, value) in enumerate(filters.items(), start=1):
        params[f"Filter.{number}.Name"] = name
        values = [value] if isinstance(value, str) else list(value)
        _numbered(params, f"Filter.{number}.Value", values)


def _tags(
    params: dict[str, Any],
    number: int,
    resource: str,
    name: str | None,
    tags: Mapping[str, str] | None,
) -> None:
    """Add a ``TagSpecification`` that gives a new resource its Name and tags."""
    wanted = dict(tags or {})
    if name is not None:
        wanted["Name"] = name
    if not wanted:
        return

    prefix = f"TagSpecification.{number}"
    params[f"{prefix}.ResourceType"] = resource
    for index, (key, value) in enumerate(wanted.items(), start=1):
        params[f"{prefix}.Tag.{index}.Key"] = key
        params[f"{prefix}.Tag.{index}.Value"] = value


def _flatten(params: dict[str, Any], prefix: str, value: Any) -> None:
    """Add a nested structure (a block device mapping) as Query API parameters."""
    if isinstance(value, Mapping):
        for key, inner in value.items():
            _flatten(params, f"{prefix}.{key}", inner)
    elif isinstance(value, list | tuple):
        for number, inner in enumerate(value, start=1):
            _flatten(params, f"{prefix}.{number}", inner)
    else:
        params[prefix] = value


class EC2NodeDriver(NodeDriver):
    """The Amazon EC2 provider, over the EC2 Query API (version 2016-11-15).

    ``host``, ``port`` and ``secure`` point it at any EC2-compatible server (moto's
    server, a private cloud); calls are still signed for ``region``. Every call is
    a POST form body signed with AWS Signature Version 4.

    :param key: the access key id.
    :param secret: the secret access key.
    :param secure: use HTTPS (the default); ``False`` for a plain HTTP server.
    :param host: the endpoint's host; the EC2 endpoint of ``region`` by default,
        in its partition (standard, China, GovCloud...).
    :param port: the endpoint's port.
    :param api_version: the Query API version sent; only ``2016-11-15`` is
        read correctly, and it is the default.
    :param region: the region to work in, such as ``us-east-1``.
    :param token: the session token of temporary credentials.
    :param kwargs: connection settings (``timeout``, ``retry``, ``proxy_url``,
        ``ca_cert``, ...).
    :raises InvalidArgumentError: without a key or a secret, or for a malformed
        region.
    """

    type = "ec2"
    name = "Amazon EC2"
    website = "https://aws.amazon.com/ec2/"
    connectionCls = EC2Connection
    features = {"create_node": []}

    def __init__(
        self,
        key: str | None,
        secret: str | None = None,
        secure: bool = True,
        host: str | None = None,
        port: int | None = None,
        api_version: str | None = None,
        region: str | None = "us-east-1",
        token: str | None = None,
        **kwargs: Any,
    ) -> None:
        for argument, value in (("key", key), ("secret", secret)):
            if not isinstance(value, str) or not value:
                raise InvalidArgumentError(
                    f"the EC2 driver needs {argument} (the access key id and the "
                    "secret access key); pass both, for example "
                    "get_driver('ec2')(key, secret, region='us-east-1')",
                    argument=argument,
                )
        if token is not None and (not isinstance(token, str) or not token):
            raise InvalidArgumentError(
                "token must be the session token of temporary credentials, or None",
                argument="token",
            )

        self.token = token
        region = "us-east-1" if region is None else region
        super().__init__(
            key,
            secret=secret,
            secure=secure,
            host=host,
            port=port,
            api_version=api_version or API_VERSION,
            region=region,
            **kwargs,
        )
        self.region: str = region
        self._account_id: str | None = None

    def _ex_connection_class_kwargs(self) -> dict[str, Any]:
        return {"region": self.region, "token": self.token}

    def __repr__(self) -> str:
        host = f" host={self.host!r}" if self.host else ""
        return f"<EC2NodeDriver region={self.region!r}{host}>"

    # -- calls ---------------------------------------------------------------------

    def _call(
        self,
        action: str,
        params: Mapping[str, Any] | None = None,
        *,
        idempotent: bool | None = None,
    ) -> Element:
        """Make one Query API call and return the root of its answer."""
        data: dict[str, Any] = {"Action": action, "Version": self.api_version}
        data.update(params or {})

        assert self.connection is not None
        response = self.connection.request(
            "/", data=data, method="POST", idempotent=idempotent
        )

        # An empty body parses to no element; read as one, it would list nothing.
        if response.object is None or isinstance(response.object, str):
            raise response.malformed(f"the answer to {action} is empty")
        root: Element = response.object
        return root

    def _describe(self, action: str, params: Mapping[str, Any]) -> Element:
        # A Describe call changes nothing, so repeating it is always safe.
        return self._call(action, params, idempotent=True)

    def _pages(
        self, action: str, params: Mapping[str, Any], page_size: int | None = None
    ) -> Iterator[Element]:
        """Yield the root of every page of a Describe call, following NextToken."""
        base = dict(params)
        if page_size is not None:
            if isinstance(page_size, bool) or not isinstance(page_size, int):
                raise InvalidArgumentError(
                    f"ex_page_size must be a whole number, not {page_size!r}",
                    argument="ex_page_size",
                )
            base["MaxResults"] = page_size

        token: str | None = None
        seen: set[str] = set()
        while True:
            call = dict(base)
            if token is not None:
                call["NextToken"] = token
            root = self._describe(action, call)
            yield root

            token = _parse.next_token(root)
            if token is None:
                return
            if token in seen:
                log.warning("%s gave the same NextToken twice; stopping", action)
                return
            seen.add(token)

    def ex_account_id(self) -> str | None:
        """Return the id of the account the credentials belong to.

        Read once from the owner of the account's security groups, and kept.

        :returns: the twelve-digit account id, or ``None`` when the account has
            no security group to read it from.
        """
        if self._account_id is None:
            root = self._describe("DescribeSecurityGroups", {"MaxResults": 5})
            for item in _parse.items(root, "securityGroupInfo"):
                owner = _parse.text(item, "ownerId")
                if owner:
                    self._account_id = owner
                    break
        return self._account_id

    # -- models --------------------------------------------------------------------

    def _to_node(self, raw: dict[str, Any]) -> Node:
        extra = {
            key: value
            for key, value in raw.items()
            if key not in ("id", "name", "public_ips", "private_ips")
        }
        state = self._node_state(raw["state"], NODE_STATES, extra)

        # An instance names its type and AMI only; the rest needs more calls.
        size = image = None
        if raw.get("instance_type"):
            name = raw["instance_type"]
            size = NodeSize(name, name, None, None, None, None, self)
        if raw.get("image_id"):
            image = NodeImage(raw["image_id"], None, self)

        return Node(
            id=raw["id"],
            name=raw["name"],
            state=state,
            public_ips=raw["public_ips"],
            private_ips=raw["private_ips"],
            driver=self,
            size=size,
            image=image,
            created_at=_timestamp(raw["launch_time"]),
            extra=extra,
        )

    def _to_size(self, raw: dict[str, Any]) -> NodeSize:
        extra = {k: v for k, v in raw.items() if k not in ("name", "ram", "disk")}
        # EC2 publishes no prices through this API; a price table would go stale.
        return NodeSize(
            id=raw["name"],
            name=raw["name"],
            ram=raw["ram"],
            disk=raw["disk"],
            bandwidth=None,
            price=None,
            driver=self,
            extra=extra,
        )

    def _to_location(self, raw: dict[str, Any]) -> NodeLocation:
        extra = {k: v for k, v in raw.items() if k not in ("name", "id")}
        extra["zone_id"] = raw["id"]
        return NodeLocation(
            id=raw["name"], name=raw["name"], country=None, driver=self, extra=extra
        )

    def _to_image(self, raw: dict[str, Any]) -> NodeImage:
        extra = {k: v for k, v in raw.items() if k not in ("id", "name")}
        return NodeImage(id=raw["id"], name=raw["name"], driver=self, extra=extra)

    def _to_volume(self, raw: dict[str, Any]) -> StorageVolume:
        extra = {k: v for k, v in raw.items() if k not in ("id", "name", "size")}
        attached = [a for a in raw["attachments"] if a["instance_id"]]
        if attached:
            extra["node_id"] = attached[0]["instance_id"]
            extra["device"] = attached[0]["device"]
        state = StorageVolumeState.from_raw(raw["state"], VOLUME_STATES, extra)
        return StorageVolume(
            id=raw["id"],
            name=raw["name"],
            size=raw["size"],
            driver=self,
            state=state,
            extra=extra,
        )

    def _to_snapshot(self, raw: dict[str, Any]) -> VolumeSnapshot:
        extra = {k: v for k, v in raw.items() if k not in ("id", "name", "size")}
        state = VolumeSnapshotState.from_raw(raw["state"], SNAPSHOT_STATES, extra)
        return VolumeSnapshot(
            id=raw["id"],
            driver=self,
            size=raw["size"],
            extra=extra,
            created=_timestamp(raw["start_time"]),
            state=state,
            name=raw["name"],
        )

    def _to_key_pair(self, raw: dict[str, Any]) -> KeyPair:
        extra = {
            "key_pair_id": raw["id"],
            "key_type": raw["key_type"],
            "tags": raw["tags"],
        }
        return KeyPair(
            name=raw["name"],
            public_key=raw["public_key"],
            fingerprint=raw["fingerprint"],
            driver=self,
            private_key=raw["private_key"],
            extra=extra,
        )

    # -- nodes ---------------------------------------------------------------------

    def iter_nodes(
        self,
        ex_node_ids: Sequence[str] | None = None,
        ex_filters: Filters | None = None,
        ex_page_size: int | None = None,
    ) -> Iterator[Node]:
        """Yield every instance, one page of DescribeInstances at a time.

        :param ex_node_ids: only these instances.
        :param ex_filters: EC2 filters, such as
            ``{"instance-state-name": ["running", "pending"]}``.
        :param ex_page_size: how many reservations to ask for per page (EC2's
            ``MaxResults``, 5 to 1000); the server's default when ``None``. EC2
            refuses it together with ``ex_node_ids``.
        :returns: a generator of the nodes; terminated ones stay listed for a
            while, as EC2 keeps them.
        """
        params: dict[str, Any] = {}
        _numbered(params, "InstanceId", _ids(ex_node_ids, "ex_node_ids"))
        _filters(params, ex_filters)

        for root in self._pages("DescribeInstances", params, ex_page_size):
            for raw in _parse.parse_reservations(root):
                if raw["id"]:
                    yield self._to_node(raw)

    def list_nodes(
        self,
        ex_node_ids: Sequence[str] | None = None,
        ex_filters: Filters | None = None,
        ex_page_size: int | None = None,
    ) -> list[Node]:
        """List every instance, across every page of DescribeInstances.

        :param ex_node_ids: only these instances.
        :param ex_filters: EC2 filters, such as ``{"tag:Name": "web-1"}``.
        :param ex_page_size: reservations per page (``MaxResults``).
        :returns: the nodes.
        """
        return list(self.iter_nodes(ex_node_ids, ex_filters, ex_page_size))

    def get_node(self, node_id: str) -> Node:
        """Fetch one instance by its id.

        :param node_id: the instance id (``i-...``).
        :returns: the node.
        :raises NotFoundError: when EC2 knows no such instance.
        """
        for node in self.iter_nodes(ex_node_ids=[node_id]):
            return node
        raise NotFoundError(
            f"EC2 has no instance {node_id!r} in {self.region}; check the id and "
            "the region",
            code="InvalidInstanceID.NotFound",
            provider=self.type,
        )

    def create_node(
        self,
        name: str,
        size: NodeSize | str,
        image: NodeImage | str,
        location: NodeLocation | None = None,
        auth: NodeAuthSSHKey | NodeAuthPassword | None = None,
        ex_keyname: str | None = None,
        ex_securitygroup: str | Sequence[str] | None = None,
        ex_security_group_ids: str | Sequence[str] | None = None,
        ex_subnet: str | None = None,
        ex_userdata: str | bytes | None = None,
        ex_blockdevicemappings: Sequence[Mapping[str, Any]] | None = None,
        ex_metadata: Mapping[str, str] | None = None,
        ex_clienttoken: str | None = None,
        **kwargs: Any,
    ) -> Node:
        """Launch one instance with RunInstances; it starts out pending.

        The call carries a client token, so EC2 answers a repeat of it (a retry
        after a lost answer) with the same instance instead of a second one; for
        that reason it is the one RunInstances that the connection may retry.

        :param name: the instance's Name tag.
        :param size: the instance type: a :class:`~nubo.compute.NodeSize` or its id
            (``"t3.micro"``); it is not looked up.
        :param image: the AMI: a :class:`~nubo.compute.NodeImage` or its id.
        :param location: the availability zone; EC2 picks one when ``None``.
        :param auth: not taken by EC2; name an imported key pair in
            ``ex_keyname`` instead.
        :param ex_keyname: the name of the key pair to log in with.
        :param ex_securitygroup: security group names (EC2-Classic and default
            VPC); one name or a list.
        :param ex_security_group_ids: security group ids; one id or a list.
        :param ex_subnet: the subnet id to launch into.
        :param ex_userdata: user data, as text or bytes; it is base64-encoded here.
        :param ex_blockdevicemappings: block device mappings as EC2 names them,
            such as ``[{"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 20}}]``.
        :param ex_metadata: more tags for the instance.
        :param ex_clienttoken: the client token; a fresh one when ``None``.
        :param kwargs: other ``ex_`` arguments are refused.
        :returns: the new node.
        :raises InvalidArgumentError: for an argument EC2 would refuse, or any
            ``auth``.
        """
        if auth is not None:
            raise InvalidArgumentError(
                "EC2 takes no auth= for a new instance; import the public key once "
                "with import_key_pair_from_string() and pass its name as ex_keyname",
                argument="auth",
            )
        if kwargs:
            raise InvalidArgumentError(
                f"create_node does not know {', '.join(sorted(kwargs))}; see the EC2 "
                "provider's page for the ex_ arguments it takes",
                argument=sorted(kwargs)[0],
            )
        if not isinstance(name, str) or not name:
            raise InvalidArgumentError(
                "name must be a non-empty string", argument="name"
            )

        token = ex_clienttoken or f"nubo-{uuid.uuid4()}"
        params: dict[str, Any] = {
            "ImageId": _ids(image, "image")[0],
            "InstanceType": _ids(size, "size")[0],
            "MinCount": 1,
            "MaxCount": 1,
            "ClientToken": token,
        }
        if location is not None:
            params["Placement.AvailabilityZone"] = location.id
        if ex_keyname is not None:
            params["KeyName"] = ex_keyname
        _numbered(params, "SecurityGroup", _ids(ex_securitygroup, "ex_securitygroup"))
        _numbered(
            params,
            "SecurityGroupId",
            _ids(ex_security_group_ids, "ex_security_group_ids"),
        )
        if ex_subnet is not None:
            params["SubnetId"] = _ids(ex_subnet, "ex_subnet")[0]
        if ex_userdata is not None:
            raw = ex_userdata.encode() if isinstance(ex_userdata, str) else ex_userdata
            params["UserData"] = base64.b64encode(raw).decode("ascii")
        for number, mapping in enumerate(ex_blockdevicemappings or (), start=1):
            _flatten(params, f"BlockDeviceMapping.{number}", mapping)
        _tags(params, 1, "instance", name, ex_metadata)

        root = self._call("RunInstances", params, idempotent=True)
        instances = _parse.parse_reservations(root)
        if not instances:
            raise self._unreadable("RunInstances", "instance")

        node = self._to_node(instances[0])
        if node.name is None:
            # Some servers leave the tags out of RunInstances' answer.
            node.name = name
        log.debug("launched %s with client token %s", node.id, token)
        return node

    def _instances_action(self, action: str, node: Node) -> bool:
        # Repeating one of these leaves the instance as the first call did.
        self._call(action, {"InstanceId.1": node.id}, idempotent=True)
        return True

    def reboot_node(self, node: Node) -> bool:
        """Reboot an instance (RebootInstances).

        :param node: the node.
        :returns: ``True`` when EC2 accepted the reboot.
        """
        return self._instances_action("RebootInstances", node)

    def start_node(self, node: Node) -> bool:
        """Start a stopped instance (StartInstances).

        :param node: the node.
        :returns: ``True`` when EC2 accepted the start.
        """
        return self._instances_action("StartInstances", node)

    def stop_node(self, node: Node) -> bool:
        """Stop an EBS-backed instance (StopInstances).

        :param node: the node.
        :returns: ``True`` when EC2 accepted the stop.
        """
        return self._instances_action("StopInstances", node)

    def destroy_node(self, node: Node) -> bool:
        """Terminate an instance (TerminateInstances).

        :param node: the node.
        :returns: ``True`` when EC2 accepted the termination.
        """
        return self._instances_action("TerminateInstances", node)

    def wait_until_running(
        self,
        nodes: Sequence[Node],
        wait_period: float = 5,
        timeout: float = 600,
        ssh_interface: str = "public_ips",
        force_ipv4: bool = True,
        ex_list_nodes_kwargs: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> list[tuple[Node, list[str]]]:
        """Wait until every node runs and has an address, as
        :meth:`nubo.compute.NodeDriver.wait_until_running` does.

        Each round describes only the nodes waited for, unless
        ``ex_list_nodes_kwargs`` says otherwise.

        :param nodes: the nodes to wait for.
        :param wait_period: seconds between two rounds.
        :param timeout: seconds to wait in all.
        :param ssh_interface: ``"public_ips"`` or ``"private_ips"``.
        :param force_ipv4: count IPv4 addresses only.
        :param ex_list_nodes_kwargs: keyword arguments for :meth:`list_nodes`.
        :param kwargs: as the base method (``progress``).
        :returns: ``(node, addresses)`` for each node, in the order given.
        """
        if ex_list_nodes_kwargs is None:
            ids = list(dict.fromkeys(getattr(node, "id", None) for node in nodes))
            if ids and all(isinstance(ident, str) for ident in ids):
                ex_list_nodes_kwargs = {"ex_node_ids": ids}

        return super().wait_until_running(
            nodes,
            wait_period=wait_period,
            timeout=timeout,
            ssh_interface=ssh_interface,
            force_ipv4=force_ipv4,
            ex_list_nodes_kwargs=ex_list_nodes_kwargs,
            **kwargs,
        )

    # -- sizes and locations -------------------------------------------------------

    def iter_sizes(
        self,
        location: NodeLocation | None = None,
        ex_instance_types: Sequence[str] | None = None,
        ex_filters: Filters | None = None,
    ) -> Iterator[NodeSize]:
        """Yield instance types from DescribeInstanceTypes, page by page.

        :param location: only the types offered in this availability zone
            (asked with DescribeInstanceTypeOfferings).
        :param ex_instance_types: only these types, such as ``["t3.micro"]``.
        :param ex_filters: EC2 filters, such as ``{"current-generation": "true"}``.
        :returns: a generator of sizes, ``price`` ``None``.
        """
        params: dict[str, Any] = {}
        _numbered(params, "InstanceType", list(ex_instance_types or ()))
        _filters(params, ex_filters)

        offered: set[str] | None = None
        if location is not None:
            offered = self._offered_types(location)

        for root in self._pages("DescribeInstanceTypes", params):
            for item in _parse.items(root, "instanceTypeSet"):
                raw = _parse.parse_instance_type(item)
                if raw["name"] and (offered is None or raw["name"] in offered):
                    yield self._to_size(raw)

    def _offered_types(self, location: NodeLocation) -> set[str]:
        params = {
            "LocationType": "availability-zone",
            "Filter.1.Name": "location",
            "Filter.1.Value.1": location.id,
        }
        offered: set[str] = set()
        for root in self._pages("DescribeInstanceTypeOfferings", params):
            for item in _parse.items(root, "instanceTypeOfferingSet"):
                name = _parse.text(item, "instanceType")
                if name:
                    offered.add(name)
        return offered

    def list_sizes(
        self,
        location: NodeLocation | None = None,
        ex_instance_types: Sequence[str] | None = None,
        ex_filters: Filters | None = None,
    ) -> list[NodeSize]:
        """List instance types: vCPUs (in ``extra``), RAM in MiB, disk in GB.

        Every call asks EC2 afresh; without ``ex_instance_types`` it lists every
        type of the region, several hundred of them.

        :param location: only the types offered in this availability zone.
        :param ex_instance_types: only these types.
        :param ex_filters: EC2 filters.
        :returns: the sizes.
        """
        return list(self.iter_sizes(location, ex_instance_types, ex_filters))

    def iter_locations(self) -> Iterator[NodeLocation]:
        """Yield the region's availability zones (DescribeAvailabilityZones).

        :returns: a generator of the zones, as locations.
        """
        root = self._describe("DescribeAvailabilityZones", {})
        for item in _parse.items(root, "availabilityZoneInfo"):
            raw = _parse.parse_availability_zone(item)
            if raw["name"]:
                yield self._to_location(raw)

    def list_locations(self) -> list[NodeLocation]:
        """List the region's availability zones.

        :returns: the zones; ``id`` and ``name`` are the zone's name
            (``us-east-1a``), ``extra`` holds its zone id and state.
        """
        return list(self.iter_locations())

    # -- images --------------------------------------------------------------------

    def iter_images(
        self,
        location: NodeLocation | None = None,
        ex_image_ids: Sequence[str] | None = None,
        ex_owners: str | Sequence[str] | None = None,
        ex_filters: Filters | None = None,
    ) -> Iterator[NodeImage]:
        """Yield images from DescribeImages, page by page.

        :param location: ignored: images belong to the region, not to a zone.
        :param ex_image_ids: only these images.
        :param ex_owners: owners (``self``, ``amazon``, an account id); ``self``
            when neither this nor ``ex_image_ids`` is given.
        :param ex_filters: EC2 filters, such as ``{"name": "ubuntu/*"}``.
        :returns: a generator of the images.
        """
        ids = _ids(ex_image_ids, "ex_image_ids")
        owners = [ex_owners] if isinstance(ex_owners, str) else list(ex_owners or ())
        if not owners and not ids:
            owners = ["self"]

        params: dict[str, Any] = {}
        _numbered(params, "ImageId", ids)
        _numbered(params, "Owner", owners)
        _filters(params, ex_filters)

        for root in self._pages("DescribeImages", params):
            for item in _parse.items(root, "imagesSet"):
                raw = _parse.parse_image(item)
                if raw["id"]:
                    yield self._to_image(raw)

    def list_images(
        self,
        location: NodeLocation | None = None,
        ex_image_ids: Sequence[str] | None = None,
        ex_owners: str | Sequence[str] | None = None,
        ex_filters: Filters | None = None,
    ) -> list[NodeImage]:
        """List images; the account's own by default.

        :param location: ignored: images belong to the region.
        :param ex_image_ids: only these images.
        :param ex_owners: owners; ``self`` by default.
        :param ex_filters: EC2 filters.
        :returns: the images.
        """
        return list(self.iter_images(location, ex_image_ids, ex_owners, ex_filters))

    def get_image(self, image_id: str) -> NodeImage:
        """Fetch one image by its id, whoever owns it.

        :param image_id: the AMI id (``ami-...``).
        :returns: the image.
        :raises NotFoundError: when EC2 knows no such image.
        """
        for image in self.iter_images(ex_image_ids=[image_id]):
            return image
        raise NotFoundError(
            f"EC2 has no image {image_id!r} in {self.region}; check the id and the "
            "region",
            code="InvalidAMIID.NotFound",
            provider=self.type,
        )

    def create_image(
        self,
        node: Node,
        name: str,
        description: str | None = None,
        ex_no_reboot: bool = False,
    ) -> NodeImage:
        """Make an AMI from an instance (CreateImage); it starts out pending.

        :param node: the instance.
        :param name: the image's name.
        :param description: its description.
        :param ex_no_reboot: do not reboot the instance first (the file systems
            may then be inconsistent).
        :returns: the new image, as far as EC2's answer tells.
        """
        params: dict[str, Any] = {"InstanceId": node.id, "Name": name}
        if description is not None:
            params["Description"] = description
        if ex_no_reboot:
            params["NoReboot"] = True

        root = self._call("CreateImage", params)
        image_id = _parse.text(root, "imageId")
        if image_id is None:
            raise self._unreadable("CreateImage", "image")

        extra = {"state": "pending", "description": description, "node_id": node.id}
        return NodeImage(id=image_id, name=name, driver=self, extra=extra)

    def delete_image(
        self, node_image: NodeImage, ex_delete_snapshots: bool = False
    ) -> bool:
        """Deregister an image (DeregisterImage).

        :param node_image: the image.
        :param ex_delete_snapshots: also delete the EBS snapshots behind it, which
            EC2 keeps (and bills) otherwise.
        :returns: ``True`` when EC2 accepted the deregistration.
        """
        snapshots: list[str] = []
        if ex_delete_snapshots:
            image = self.get_image(node_image.id)
            for mapping in image.extra.get("block_device_mappings", []):
                if mapping.get("snapshot_id"):
                    snapshots.append(mapping["snapshot_id"])

        self._call("DeregisterImage", {"ImageId": node_image.id})
        for snapshot_id in snapshots:
            self._call("DeleteSnapshot", {"SnapshotId": snapshot_id})
        return True

    def copy_image(
        self,
        source_region: str,
        node_image: NodeImage,
        name: str,
        description: str | None = None,
        ex_clienttoken: str | None = None,
    ) -> NodeImage:
        """Copy an image from another region into this one (CopyImage).

        :param source_region: the region the image is in.
        :param node_image: the image.
        :param name: the copy's name.
        :param description: the copy's description.
        :param ex_clienttoken: the client token that makes a retry safe; a fresh
            one when ``None``.
        :returns: the copy, pending.
        """
        params: dict[str, Any] = {
            "SourceRegion": source_region,
            "SourceImageId": node_image.id,
            "Name": name,
            "ClientToken": ex_clienttoken or f"nubo-{uuid.uuid4()}",
        }
        if description is not None:
            params["Description"] = description

        root = self._call("CopyImage", params, idempotent=True)
        image_id = _parse.text(root, "imageId")
        if image_id is None:
            raise self._unreadable("CopyImage", "image")

        extra = {
            "state": "pending",
            "description": description,
            "source_region": source_region,
            "source_image_id": node_image.id,
        }
        return NodeImage(id=image_id, name=name, driver=self, extra=extra)

    # -- volumes -------------------------------------------------------------------

    def iter_volumes(
        self,
        ex_volume_ids: Sequence[str] | None = None,
        ex_filters: Filters | None = None,
        ex_page_size: int | None = None,
    ) -> Iterator[StorageVolume]:
        """Yield EBS volumes from DescribeVolumes, page by page.

        :param ex_volume_ids: only these volumes.
        :param ex_filters: EC2 filters, such as ``{"status": "available"}``.
        :param ex_page_size: volumes per page (``MaxResults``).
        :returns: a generator of the volumes; an attached one has ``node_id`` and
            ``device`` in ``extra``.
        """
        params: dict[str, Any] = {}
        _numbered(params, "VolumeId", _ids(ex_volume_ids, "ex_volume_ids"))
        _filters(params, ex_filters)

        for root in self._pages("DescribeVolumes", params, ex_page_size):
            for item in _parse.items(root, "volumeSet"):
                raw = _parse.parse_volume(item)
                if raw["id"]:
                    yield self._to_volume(raw)

    def list_volumes(
        self,
        ex_volume_ids: Sequence[str] | None = None,
        ex_filters: Filters | None = None,
        ex_page_size: int | None = None,
    ) -> list[StorageVolume]:
        """List EBS volumes.

        :param ex_volume_ids: only these volumes.
        :param ex_filters: EC2 filters.
        :param ex_page_size: volumes per page.
        :returns: the volumes.
        """
        return list(self.iter_volumes(ex_volume_ids, ex_filters, ex_page_size))

    def _volume(self, volume_id: str) -> StorageVolume:
        for volume in self.iter_volumes(ex_volume_ids=[volume_id]):
            return volume
        raise NotFoundError(
            f"EC2 has no volume {volume_id!r} in {self.region}",
            code="InvalidVolume.NotFound",
            provider=self.type,
        )

    def create_volume(
        self,
        size: int,
        name: str,
        location: NodeLocation | None = None,
        snapshot: VolumeSnapshot | None = None,
        ex_volume_type: str | None = None,
        ex_iops: int | None = None,
        ex_encrypted: bool | None = None,
        ex_metadata: Mapping[str, str] | None = None,
        ex_clienttoken: str | None = None,
    ) -> StorageVolume:
        """Create an EBS volume with a Name tag (CreateVolume).

        :param size: its size, in GiB.
        :param name: its Name tag.
        :param location: the availability zone; the region's first available
            zone when ``None`` (one more call).
        :param snapshot: the snapshot to fill it from.
        :param ex_volume_type: ``gp3``, ``gp2``, ``io1``, ``io2``, ``st1``,
            ``sc1`` or ``standard``.
        :param ex_iops: the provisioned IOPS, for the types that take it.
        :param ex_encrypted: encrypt it.
        :param ex_metadata: more tags.
        :param ex_clienttoken: the client token that makes a retry safe; a fresh
            one when ``None``.
        :returns: the new volume, usually ``creating``.
        """
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise InvalidArgumentError(
                f"size must be a whole number of GiB, 1 or more, not {size!r}",
                argument="size",
            )
        if location is None:
            location = self._default_zone()

        params: dict[str, Any] = {
            "Size": size,
            "AvailabilityZone": location.id,
            "ClientToken": ex_clienttoken or f"nubo-{uuid.uuid4()}",
        }
        if snapshot is not None:
            params["SnapshotId"] = snapshot.id
        if ex_volume_type is not None:
            params["VolumeType"] = ex_volume_type
        if ex_iops is not None:
            params["Iops"] = ex_iops
        if ex_encrypted is not None:
            params["Encrypted"] = ex_encrypted
        _tags(params, 1, "volume", name, ex_metadata)

        root = self._call("CreateVolume", params, idempotent=True)
        raw = _parse.parse_volume(root)
        if raw["id"] is None:
            raise self._unreadable("CreateVolume", "volume")
        if raw["name"] is None:
            raw["name"] = name
        return self._to_volume(raw)

    def _default_zone(self) -> NodeLocation:
        zones = self.list_locations()
        for zone in zones:
            if zone.extra.get("state") in (None, "available"):
                return zone
        raise InvalidArgumentError(
            f"EC2 lists no available zone in {self.region}; pass location=",
            argument="location",
        )

    def attach_volume(
        self, node: Node, volume: StorageVolume, device: str | None = None
    ) -> bool:
        """Attach a volume to an instance in its zone (AttachVolume).

        :param node: the instance.
        :param volume: the volume.
        :param device: the device name, ``/dev/sdf`` when ``None``.
        :returns: ``True`` when EC2 accepted the attachment.
        """
        params = {
            "VolumeId": volume.id,
            "InstanceId": node.id,
            "Device": device or DEFAULT_DEVICE,
        }
        self._call("AttachVolume", params)
        return True

    def detach_volume(self, volume: StorageVolume, ex_force: bool = False) -> bool:
        """Detach a volume from the instance it is attached to (DetachVolume).

        The volume is described first, so that the call names the instance it is
        attached to now, whatever an older copy of it says.

        :param volume: the volume.
        :param ex_force: force the detachment (data may be lost).
        :returns: ``True`` when EC2 accepted the detachment.
        :raises InvalidArgumentError: when the volume is attached to nothing.
        """
        current = self._volume(volume.id)
        node_id = current.extra.get("node_id")
        if not node_id:
            raise InvalidArgumentError(
                f"volume {volume.id} is not attached to any instance; nothing to "
                "detach",
                argument="volume",
            )

        params: dict[str, Any] = {"VolumeId": volume.id, "InstanceId": node_id}
        if ex_force:
            params["Force"] = True
        self._call("DetachVolume", params)
        return True

    def destroy_volume(self, volume: StorageVolume) -> bool:
        """Delete a detached volume (DeleteVolume).

        :param volume: the volume.
        :returns: ``True`` when EC2 accepted the deletion.
        """
        self._call("DeleteVolume", {"VolumeId": volume.id})
        return True

    # -- snapshots -----------------------------------------------------------------

    def iter_volume_snapshots(self, volume: StorageVolume) -> Iterator[VolumeSnapshot]:
        """Yield the account's own snapshots of a volume (DescribeSnapshots).

        :param volume: the volume.
        :returns: a generator of its snapshots.
        """
        yield from self.ex_iter_snapshots(ex_filters={"volume-id": volume.id})

    def list_volume_snapshots(self, volume: StorageVolume) -> list[VolumeSnapshot]:
        """List the account's own snapshots of a volume.

        :param volume: the volume.
        :returns: its snapshots.
        """
        return list(self.iter_volume_snapshots(volume))

    def ex_iter_snapshots(
        self,
        ex_snapshot_ids: Sequence[str] | None = None,
        ex_owner: str = "self",
        ex_filters: Filters | None = None,
    ) -> Iterator[VolumeSnapshot]:
        """Yield snapshots from DescribeSnapshots, page by page.

        For ``self``, the account's own snapshots: EC2 is asked for them with
        ``Owner=self``, and the ones another account owns are dropped besides,
        for the compatible servers that do not honour ``Owner``.

        :param ex_snapshot_ids: only these snapshots.
        :param ex_owner: ``self``, ``amazon`` or an account id.
        :param ex_filters: EC2 filters, such as ``{"volume-id": "vol-..."}``.
        :returns: a generator of the snapshots.
        """
        ids = _ids(ex_snapshot_ids, "ex_snapshot_ids")
        params: dict[str, Any] = {}
        _numbered(params, "SnapshotId", ids)
        if not ids:
            params["Owner.1"] = ex_owner
        _filters(params, ex_filters)

        owner = self.ex_account_id() if ex_owner == "self" and not ids else None
        if ex_owner != "self":
            owner = ex_owner if ex_owner.isdigit() else None

        for root in self._pages("DescribeSnapshots", params):
            for item in _parse.items(root, "snapshotSet"):
                raw = _parse.parse_snapshot(item)
                if raw["id"] is None:
                    continue
                if owner is not None and raw["owner_id"] not in (None, owner):
                    continue
                yield self._to_snapshot(raw)

    def ex_list_snapshots(
        self,
        ex_snapshot_ids: Sequence[str] | None = None,
        ex_owner: str = "self",
        ex_filters: Filters | None = None,
    ) -> list[VolumeSnapshot]:
        """List snapshots; the account's own by default.

        :param ex_snapshot_ids: only these snapshots.
        :param ex_owner: ``self``, ``amazon`` or an account id.
        :param ex_filters: EC2 filters.
        :returns: the snapshots.
        """
        return list(self.ex_iter_snapshots(ex_snapshot_ids, ex_owner, ex_filters))

    def create_volume_snapshot(
        self,
        volume: StorageVolume,
        name: str | None = None,
        ex_description: str | None = None,
        ex_metadata: Mapping[str, str] | None = None,
    ) -> VolumeSnapshot:
        """Snapshot a volume, with a Name tag (CreateSnapshot).

        :param volume: the volume.
        :param name: the snapshot's Name tag.
        :param ex_description: its description; ``name`` when ``None``.
        :param ex_metadata: more tags.
        :returns: the new snapshot, usually still being taken.
        """
        params: dict[str, Any] = {"VolumeId": volume.id}
        description = ex_description if ex_description is not None else name
        if description:
            params["Description"] = description
        _tags(params, 1, "snapshot", name, ex_metadata)

        root = self._call("CreateSnapshot", params)
        raw = _parse.parse_snapshot(root)
        if raw["id"] is None:
            raise self._unreadable("CreateSnapshot", "snapshot")
        if raw["name"] is None:
            raw["name"] = name
        return self._to_snapshot(raw)

    def destroy_volume_snapshot(self, snapshot: VolumeSnapshot) -> bool:
        """Delete a snapshot (DeleteSnapshot).

        :param snapshot: the snapshot.
        :returns: ``True`` when EC2 accepted the deletion.
        """
        self._call("DeleteSnapshot", {"SnapshotId": snapshot.id})
        return True

    # -- key pairs -----------------------------------------------------------------

    def iter_key_pairs(self) -> Iterator[KeyPair]:
        """Yield the region's key pairs (DescribeKeyPairs).

        :returns: a generator of the key pairs, without private keys.
        """
        root = self._describe("DescribeKeyPairs", {})
        for item in _parse.items(root, "keySet"):
            raw = _parse.parse_key_pair(item)
            if raw["name"]:
                yield self._to_key_pair(raw)

    def list_key_pairs(self) -> list[KeyPair]:
        """List the region's key pairs.

        :returns: the key pairs, without private keys.
        """
        return list(self.iter_key_pairs())

    def get_key_pair(self, name: str) -> KeyPair:
        """Fetch one key pair by its name.

        :param name: the key pair's name.
        :returns: the key pair.
        :raises NotFoundError: when the region has no such key pair.
        """
        root = self._describe("DescribeKeyPairs", {"KeyName.1": name})
        for item in _parse.items(root, "keySet"):
            raw = _parse.parse_key_pair(item)
            if raw["name"] == name:
                return self._to_key_pair(raw)
        raise NotFoundError(
            f"EC2 has no key pair {name!r} in {self.region}",
            code="InvalidKeyPair.NotFound",
            provider=self.type,
        )

    def create_key_pair(self, name: str) -> KeyPair:
        """Have EC2 make a key pair (CreateKeyPair).

        :param name: the key pair's name.
        :returns: the key pair, with its private key: keep it, EC2 does not.
        """
        root = self._call("CreateKeyPair", {"KeyName": name})
        raw = _parse.parse_key_pair(root)
        if raw["name"] is None:
            raise self._unreadable("CreateKeyPair", "key pair")
        return self._to_key_pair(raw)

    def import_key_pair_from_string(self, name: str, key_material: str) -> KeyPair:
        """Give EC2 a public key of yours (ImportKeyPair).

        :param name: the key pair's name.
        :param key_material: the public key, in OpenSSH format.
        :returns: the key pair.
        """
        if not isinstance(key_material, str) or not key_material.strip():
            raise InvalidArgumentError(
                "key_material must be a public key in OpenSSH format",
                argument="key_material",
            )

        encoded = base64.b64encode(key_material.strip().encode()).decode("ascii")
        params = {"KeyName": name, "PublicKeyMaterial": encoded}
        root = self._call("ImportKeyPair", params)
        raw = _parse.parse_key_pair(root)
        if raw["name"] is None:
            raise self._unreadable("ImportKeyPair", "key pair")
        raw["public_key"] = raw["public_key"] or key_material.strip()
        return self._to_key_pair(raw)

    def delete_key_pair(self, key_pair: KeyPair) -> bool:
        """Delete a key pair (DeleteKeyPair).

        :param key_pair: the key pair.
        :returns: ``True`` when EC2 accepted the deletion.
        """
        self._call("DeleteKeyPair", {"KeyName": key_pair.name})
        return True

    # -- helpers -------------------------------------------------------------------

    def _unreadable(self, action: str, what: str) -> MalformedResponseError:
        return MalformedResponseError(
            f"EC2 accepted {action} but its answer names no {what}; check that the "
            "driver talks to an EC2-compatible endpoint",
            provider=self.type,
        )
