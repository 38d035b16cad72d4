"""The dummy provider's driver: a whole compute cloud kept in one Python object.

Nothing leaves the process and no credentials are needed. Nodes move through
their states on a clock, as a real provider's do: ``pending`` to ``running``
after ``ex_boot_delay`` seconds, through ``rebooting``, ``stopping`` and
``starting`` in the same time, and to ``terminated`` at once when destroyed.
Volumes, snapshots, images and key pairs change state at once. Every call takes
one lock, so one driver can be shared by many threads.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, NoReturn

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

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
from nubo.errors import InvalidArgumentError, NotFoundError, ProviderError

from . import _catalog

__all__ = ["DummyNodeDriver"]

log = logging.getLogger(__name__)

#: The region, and so the location, a driver works in when none is given.
DEFAULT_REGION = "ams1"

# Addresses come from ranges reserved for benchmarks, documentation and private
# use, so that nothing the dummy hands out can reach a real host.
_PUBLIC_V4 = ipaddress.ip_network("198.18.0.0/15")
_PUBLIC_V6 = ipaddress.ip_network("2001:db8::/32")
_PRIVATE_V4 = ipaddress.ip_network("10.0.0.0/8")

#: The states from which each node action may start, and where it leads: the
#: state it passes through, then the state it ends in.
_TRANSITIONS: dict[str, tuple[frozenset[NodeState], NodeState, NodeState]] = {
    "reboot": (frozenset({NodeState.RUNNING}), NodeState.REBOOTING, NodeState.RUNNING),
    "stop": (frozenset({NodeState.RUNNING}), NodeState.STOPPING, NodeState.STOPPED),
    "start": (frozenset({NodeState.STOPPED}), NodeState.STARTING, NodeState.RUNNING),
}

#: States in which an action is already done or under way: asking again is a
#: no-op, as with most providers.
_ALREADY: dict[str, frozenset[NodeState]] = {
    "reboot": frozenset({NodeState.REBOOTING}),
    "stop": frozenset({NodeState.STOPPING, NodeState.STOPPED}),
    "start": frozenset({NodeState.PENDING, NodeState.STARTING, NodeState.RUNNING}),
}

#: States in which a node shows its public addresses.
_ADDRESSED = frozenset(
    {NodeState.RUNNING, NodeState.REBOOTING, NodeState.STOPPING, NodeState.STARTING}
)

#: The method that lists each kind of resource, for the not-found messages.
_LISTINGS = {
    "node": "list_nodes",
    "size": "list_sizes",
    "image": "list_images",
    "location": "list_locations",
    "volume": "list_volumes",
    "snapshot": "list_volume_snapshots",
    "key pair": "list_key_pairs",
}

_CREATE_NODE_EXTRAS = frozenset(
    {"ex_key_name", "ex_public_ip", "ex_public_ips", "ex_fail"}
)


@dataclass
class _NodeRecord:
    id: str
    name: str
    size_id: str
    image_id: str
    location_id: str
    number: int
    public_ip: bool
    created_at: datetime
    state: NodeState
    #: The state the node is moving to, and the clock time it gets there.
    target: NodeState | None = None
    due: float = 0.0
    terminated_at: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    #: The public addresses the caller chose, instead of made-up ones.
    public_ips: list[str] | None = None


@dataclass
class _VolumeRecord:
    id: str
    name: str
    size: int
    location_id: str
    created_at: datetime
    state: StorageVolumeState = StorageVolumeState.AVAILABLE
    node_id: str | None = None
    device: str | None = None
    snapshot_id: str | None = None


@dataclass
class _SnapshotRecord:
    id: str
    name: str | None
    volume_id: str
    size: int
    location_id: str
    created: datetime
    state: VolumeSnapshotState = VolumeSnapshotState.AVAILABLE


@dataclass
class _ImageRecord:
    id: str
    name: str
    location_id: str
    description: str | None
    distribution: str
    version: str
    min_disk: int
    source: str
    created_at: datetime


@dataclass
class _KeyPairRecord:
    name: str
    public_key: str
    fingerprint: str
    created_at: datetime


def md5_fingerprint(public_key: str) -> str:
    """Fingerprint an OpenSSH public key as ``ssh-keygen -l -E md5`` does.

    :param public_key: the key, ``<type> <base64 blob> [comment]``.
    :returns: the MD5 digest of the decoded blob, as colon-separated hex pairs.
    """
    blob = base64.b64decode(public_key.split()[1])
    digest = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def _check_public_key(key_material: object) -> str:
    if not isinstance(key_material, str):
        raise InvalidArgumentError(
            "key_material must be a string holding an OpenSSH public key, not "
            f"{type(key_material).__name__}",
            argument="key_material",
        )

    text = key_material.strip()
    if "PRIVATE KEY" in text:
        raise InvalidArgumentError(
            "key_material is a private key; give the public key instead (the .pub "
            "file, or the output of `ssh-keygen -y -f <private key>`)",
            argument="key_material",
        )

    try:
        serialization.load_ssh_public_key(text.encode())
        md5_fingerprint(text)
    except (ValueError, IndexError, UnsupportedAlgorithm, binascii.Error):
        raise InvalidArgumentError(
            "key_material is not an OpenSSH public key; it should read "
            "'ssh-ed25519 AAAA... comment' or the like",
            argument="key_material",
        ) from None
    return text


def _check_name(name: object, what: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidArgumentError(
            f"a {what} needs a name: a non-empty string, not {name!r}",
            argument="name",
        )
    return name


def _check_addresses(value: object) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str | bytes) or not isinstance(value, list | tuple):
        raise InvalidArgumentError(
            f"ex_public_ips must be a list of IP addresses, not {value!r}",
            argument="ex_public_ips",
        )
    for address in value:
        try:
            ipaddress.ip_address(address)
        except ValueError:
            raise InvalidArgumentError(
                f"ex_public_ips holds {address!r}, which is not an IP address",
                argument="ex_public_ips",
            ) from None
    return [str(address) for address in value]


def _address(network: ipaddress.IPv4Network | ipaddress.IPv6Network, n: int) -> str:
    # The n-th host address of the network, wrapping around before its end.
    hosts = min(network.num_addresses - 2, 2**32)
    return str(network[1 + (n - 1) % hosts])


def _check_type(value: object, cls: type[Any], argument: str) -> None:
    if not isinstance(value, cls):
        raise InvalidArgumentError(
            f"{argument} must be a {cls.__name__}, not {type(value).__name__}; "
            "get one from the driver's list or get methods",
            argument=argument,
        )


def _now() -> datetime:
    return datetime.now(timezone.utc)


class DummyNodeDriver(NodeDriver):
    """An in-memory compute provider, for tests, examples and docs.

    It implements every method of :class:`~nubo.compute.NodeDriver`; for
    :meth:`~nubo.compute.NodeDriver.deploy_node`, ``ex_public_ips`` points a
    node at a real SSH server. Ids are deterministic for a given ``ex_seed``: two
    drivers with the same seed, called the same way, hand out the same ids.
    Generated key pairs are random whatever the seed.

    :param key: ignored; the dummy needs no credentials.
    :param secret: ignored.
    :param secure: ignored.
    :param host: ignored; nothing is contacted.
    :param port: ignored.
    :param api_version: ignored.
    :param region: the location new resources go to by default, and the one
        :meth:`copy_image` copies into; ``ams1`` when not given.
    :param ex_boot_delay: seconds a node takes to boot, reboot, stop or start.
    :param ex_seed: makes ids deterministic; a random seed when ``None``.
    :param ex_terminated_ttl: seconds a destroyed node stays listed, as
        ``terminated``, before it is gone.
    :param kwargs: accepted for the signature's sake, and ignored.
    """

    type = "dummy"
    name = "Dummy (in memory)"
    website = ""
    features = {"create_node": ["ssh_key", "password"]}

    def __init__(
        self,
        key: str | None = None,
        secret: str | None = None,
        secure: bool = True,
        host: str | None = None,
        port: int | None = None,
        api_version: str | None = None,
        region: str | None = None,
        *,
        ex_boot_delay: float = 0.2,
        ex_seed: int | str | None = None,
        ex_terminated_ttl: float = 60.0,
        **kwargs: Any,
    ) -> None:
        region = DEFAULT_REGION if region is None else region
        locations = {location.id for location in _catalog.LOCATIONS}
        if region not in locations:
            raise InvalidArgumentError(
                f"the dummy provider has no region {region!r}; use one of "
                f"{', '.join(sorted(locations))}",
                argument="region",
            )
        for argument, value in (
            ("ex_boot_delay", ex_boot_delay),
            ("ex_terminated_ttl", ex_terminated_ttl),
        ):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidArgumentError(
                    f"{argument} must be a number of seconds, not {value!r}",
                    argument=argument,
                )
            if not value >= 0:
                raise InvalidArgumentError(
                    f"{argument} must be zero or more seconds, not {value!r}",
                    argument=argument,
                )

        super().__init__(
            key,
            secret=secret,
            secure=secure,
            host=host,
            port=port,
            api_version=api_version,
            region=region,
            **kwargs,
        )
        self.region: str = region
        self.ex_boot_delay = float(ex_boot_delay)
        self.ex_terminated_ttl = float(ex_terminated_ttl)
        self.ex_seed = secrets.token_hex(8) if ex_seed is None else str(ex_seed)

        self._lock = threading.RLock()
        self._counters: dict[str, int] = {}
        self._nodes: dict[str, _NodeRecord] = {}
        self._volumes: dict[str, _VolumeRecord] = {}
        self._snapshots: dict[str, _SnapshotRecord] = {}
        self._images: dict[str, _ImageRecord] = {}
        self._key_pairs: dict[str, _KeyPairRecord] = {}

    # -- internals ----------------------------------------------------------------

    def _tick(self) -> float:
        # The clock the cloud's transitions run on; monotonic, so that a wall
        # clock change neither hurries nor stalls a boot.
        return time.monotonic()

    def _next(self, kind: str) -> tuple[str, int]:
        number = self._counters.get(kind, 0) + 1
        self._counters[kind] = number
        text = f"{self.ex_seed}:{kind}:{number}".encode()
        digest = hashlib.sha256(text).hexdigest()[:12]
        return f"{kind}-{digest}", number

    # Errors carry a code and no status: nothing here is HTTP.

    def _fail(self, message: str, code: str) -> NoReturn:
        raise ProviderError(message, code=code, provider=self.type)

    def _not_found(self, what: str, ident: object, where: str = "") -> NoReturn:
        raise NotFoundError(
            f"no {what} {ident!r}{where} in this dummy cloud; "
            f"{_LISTINGS[what]}() shows what there is",
            code="NotFound",
            provider=self.type,
        )

    def _advance(self, record: _NodeRecord, now: float) -> None:
        if record.target is not None and now >= record.due:
            log.debug("dummy node %s: %s -> %s", record.id, record.state, record.target)
            record.state = record.target
            record.target = None

    def _purge(self, now: float) -> None:
        gone = [
            record.id
            for record in self._nodes.values()
            if record.terminated_at is not None
            and now - record.terminated_at >= self.ex_terminated_ttl
        ]
        for node_id in gone:
            del self._nodes[node_id]

    def _node_record(self, node_id: str) -> _NodeRecord:
        now = self._tick()
        self._purge(now)
        record = self._nodes.get(node_id)
        if record is None:
            self._not_found("node", node_id)
        self._advance(record, now)
        return record

    def _location_id(self, location: NodeLocation | None) -> str:
        if location is None:
            return self.region
        _check_type(location, NodeLocation, "location")
        if location.id not in {loc.id for loc in _catalog.LOCATIONS}:
            self._not_found("location", location.id)
        return location.id

    def _size_model(self, size: _catalog.Size) -> NodeSize:
        extra: dict[str, Any] = {
            "vcpus": size.vcpus,
            "gpus": size.gpus,
            "locations": list(size.locations) or [loc.id for loc in _catalog.LOCATIONS],
        }
        return NodeSize(
            size.id,
            size.name,
            size.ram,
            size.disk,
            size.bandwidth,
            size.price,
            self,
            extra=extra,
        )

    def _public_image_model(self, image: _catalog.Image) -> NodeImage:
        extra = {
            "public": True,
            "distribution": image.distribution,
            "version": image.version,
            "min_disk": image.min_disk,
            "location": None,
        }
        return NodeImage(image.id, image.name, self, extra=extra)

    def _image_model(self, record: _ImageRecord) -> NodeImage:
        extra = {
            "public": False,
            "distribution": record.distribution,
            "version": record.version,
            "min_disk": record.min_disk,
            "location": record.location_id,
            "description": record.description,
            "source": record.source,
            "created_at": record.created_at,
        }
        return NodeImage(record.id, record.name, self, extra=extra)

    def _find_image(self, image_id: str) -> NodeImage | None:
        for image in _catalog.IMAGES:
            if image.id == image_id:
                return self._public_image_model(image)
        record = self._images.get(image_id)
        return None if record is None else self._image_model(record)

    def _node_model(self, record: _NodeRecord) -> Node:
        public: list[str] = []
        if record.public_ips is not None and record.state in _ADDRESSED:
            public = list(record.public_ips)
        elif record.public_ip and record.state in _ADDRESSED:
            public = [
                _address(_PUBLIC_V4, record.number),
                _address(_PUBLIC_V6, record.number),
            ]
        private: list[str] = []
        if record.state is not NodeState.TERMINATED:
            private = [_address(_PRIVATE_V4, record.number)]

        size = next(s for s in _catalog.SIZES if s.id == record.size_id)
        extra = dict(record.extra)
        extra.update(
            location=record.location_id,
            size_id=record.size_id,
            image_id=record.image_id,
            vcpus=size.vcpus,
        )
        return Node(
            record.id,
            record.name,
            record.state,
            public,
            private,
            self,
            size=self._size_model(size),
            image=self._find_image(record.image_id),
            created_at=record.created_at,
            extra=extra,
        )

    def _volume_model(self, record: _VolumeRecord) -> StorageVolume:
        extra = {
            "location": record.location_id,
            "node_id": record.node_id,
            "device": record.device,
            "snapshot_id": record.snapshot_id,
            "created_at": record.created_at,
        }
        return StorageVolume(
            record.id, record.name, record.size, self, record.state, extra=extra
        )

    def _snapshot_model(self, record: _SnapshotRecord) -> VolumeSnapshot:
        extra = {"volume_id": record.volume_id, "location": record.location_id}
        return VolumeSnapshot(
            record.id,
            self,
            size=record.size,
            extra=extra,
            created=record.created,
            state=record.state,
            name=record.name,
        )

    def _key_pair_model(
        self, record: _KeyPairRecord, private_key: str | None = None
    ) -> KeyPair:
        return KeyPair(
            record.name,
            record.public_key,
            record.fingerprint,
            self,
            private_key=private_key,
            extra={"created_at": record.created_at},
        )

    # -- nodes ----------------------------------------------------------------------

    def list_nodes(self) -> list[Node]:
        """List every node, destroyed ones included until ``ex_terminated_ttl``.

        :returns: the nodes, oldest first.
        """
        with self._lock:
            now = self._tick()
            self._purge(now)
            for record in self._nodes.values():
                self._advance(record, now)
            return [self._node_model(record) for record in self._nodes.values()]

    def get_node(self, node_id: str) -> Node:
        """Fetch one node by its id.

        :param node_id: the node's id.
        :returns: the node.
        :raises NotFoundError: when there is no such node.
        """
        with self._lock:
            return self._node_model(self._node_record(str(node_id)))

    def create_node(
        self,
        name: str,
        size: NodeSize,
        image: NodeImage,
        location: NodeLocation | None = None,
        auth: NodeAuthSSHKey | NodeAuthPassword | None = None,
        **kwargs: Any,
    ) -> Node:
        """Create a node; it is ``pending`` for ``ex_boot_delay`` seconds.

        :param name: the node's name.
        :param size: a size from :meth:`list_sizes`, offered in the location.
        :param image: an image from :meth:`list_images`, offered in the location.
        :param location: where to make it; the driver's region when ``None``.
        :param auth: an SSH key or a password to log in with.
        :param kwargs: ``ex_key_name``, a key pair to put on the node;
            ``ex_public_ip`` (default ``True``), ``False`` for a node with
            private addresses only; ``ex_public_ips``, the public addresses the
            node shows once running instead of made-up ones (``["127.0.0.1"]``
            for a node whose SSH server is a local one); ``ex_fail`` (default
            ``False``), ``True`` for a node that ends in ``error`` instead of
            ``running``.
        :returns: the new node, ``pending``.
        :raises InvalidArgumentError: for a bad argument or an unknown ``ex_``
            argument.
        :raises NotFoundError: for an unknown size, image, location or key pair.
        :raises ProviderError: when the size or image is not offered in the
            location, or the image needs a larger disk than the size has.
        """
        _check_name(name, "node")
        _check_type(size, NodeSize, "size")
        _check_type(image, NodeImage, "image")
        self._check_auth(auth)
        unknown = set(kwargs) - _CREATE_NODE_EXTRAS
        if unknown:
            raise InvalidArgumentError(
                f"the dummy provider's create_node() takes no {sorted(unknown)}; "
                f"its extras are {', '.join(sorted(_CREATE_NODE_EXTRAS))}",
                argument=sorted(unknown)[0],
            )
        key_name = kwargs.get("ex_key_name")
        public_ip = bool(kwargs.get("ex_public_ip", True))
        fail = bool(kwargs.get("ex_fail", False))
        public_ips = _check_addresses(kwargs.get("ex_public_ips"))

        extra: dict[str, Any] = {"key_name": key_name, "auth": None}
        if isinstance(auth, NodeAuthSSHKey):
            extra["auth"] = "ssh_key"
            extra["ssh_key_fingerprint"] = md5_fingerprint(
                _check_public_key(auth.pubkey)
            )
        elif isinstance(auth, NodeAuthPassword):
            # The password itself is never kept: only that one was given.
            extra["auth"] = "password"

        with self._lock:
            location_id = self._location_id(location)
            catalog_size = next((s for s in _catalog.SIZES if s.id == size.id), None)
            if catalog_size is None:
                self._not_found("size", size.id)
            if catalog_size.locations and location_id not in catalog_size.locations:
                self._fail(
                    f"size {size.id} is not offered in {location_id}; it is in "
                    f"{', '.join(catalog_size.locations)}",
                    "SizeNotAvailable",
                )

            found = self._find_image(image.id)
            if found is None:
                self._not_found("image", image.id)
            image_location = found.extra["location"]
            if image_location is not None and image_location != location_id:
                self._fail(
                    f"image {image.id} is in {image_location}, not {location_id}; "
                    "copy it there with copy_image() first",
                    "ImageNotAvailable",
                )
            if found.extra["min_disk"] > catalog_size.disk:
                self._fail(
                    f"image {image.id} needs a {found.extra['min_disk']} GiB disk; "
                    f"size {size.id} has {catalog_size.disk} GiB",
                    "DiskTooSmall",
                )

            if key_name is not None and key_name not in self._key_pairs:
                self._not_found("key pair", key_name)

            node_id, number = self._next("node")
            record = _NodeRecord(
                id=node_id,
                name=name,
                size_id=catalog_size.id,
                image_id=found.id,
                location_id=location_id,
                number=number,
                public_ip=public_ip,
                created_at=_now(),
                state=NodeState.PENDING,
                target=NodeState.ERROR if fail else NodeState.RUNNING,
                due=self._tick() + self.ex_boot_delay,
                extra=extra,
                public_ips=public_ips,
            )
            self._nodes[node_id] = record
            log.debug("dummy node %s (%s) created", node_id, name)
            return self._node_model(record)

    def _act(self, node: Node, action: str) -> bool:
        _check_type(node, Node, "node")
        allowed, passing, final = _TRANSITIONS[action]

        with self._lock:
            record = self._node_record(node.id)
            if record.state in _ALREADY[action]:
                return True
            if record.state not in allowed:
                self._fail(
                    f"cannot {action} node {node.id}: it is {record.state.value}; "
                    f"{action} needs it {' or '.join(s.value for s in allowed)}",
                    "IncorrectState",
                )

            record.state = passing
            record.target = final
            record.due = self._tick() + self.ex_boot_delay
            return True

    def reboot_node(self, node: Node) -> bool:
        """Reboot a running node: ``rebooting``, then ``running`` again.

        :param node: the node.
        :returns: ``True``.
        :raises NotFoundError: when there is no such node.
        :raises ProviderError: when the node is not running.
        """
        return self._act(node, "reboot")

    def stop_node(self, node: Node) -> bool:
        """Stop a running node: ``stopping``, then ``stopped``.

        :param node: the node.
        :returns: ``True``; also when it is already stopping or stopped.
        :raises NotFoundError: when there is no such node.
        :raises ProviderError: when the node is in any other state.
        """
        return self._act(node, "stop")

    def start_node(self, node: Node) -> bool:
        """Start a stopped node: ``starting``, then ``running``.

        :param node: the node.
        :returns: ``True``; also when it is already pending, starting or running.
        :raises NotFoundError: when there is no such node.
        :raises ProviderError: when the node is in any other state.
        """
        return self._act(node, "start")

    def destroy_node(self, node: Node) -> bool:
        """Destroy a node: it is ``terminated`` at once, and its volumes detached.

        :param node: the node.
        :returns: ``True``; also when it is already terminated.
        :raises NotFoundError: when there is no such node.
        """
        _check_type(node, Node, "node")

        with self._lock:
            record = self._node_record(node.id)
            if record.state is NodeState.TERMINATED:
                return True

            record.state = NodeState.TERMINATED
            record.target = None
            record.terminated_at = self._tick()
            for volume in self._volumes.values():
                if volume.node_id == record.id:
                    volume.node_id = None
                    volume.device = None
                    volume.state = StorageVolumeState.AVAILABLE
            log.debug("dummy node %s destroyed", record.id)
            return True

    # -- sizes and locations --------------------------------------------------------

    def list_sizes(self, location: NodeLocation | None = None) -> list[NodeSize]:
        """List the sizes, or those offered in one location.

        :param location: only the sizes offered there; all when ``None``.
        :returns: the sizes, smallest first.
        :raises NotFoundError: for an unknown location.
        """
        location_id = None if location is None else self._location_id(location)
        return [
            self._size_model(size)
            for size in _catalog.SIZES
            if location_id is None
            or not size.locations
            or location_id in size.locations
        ]

    def list_locations(self) -> list[NodeLocation]:
        """List the dummy cloud's locations.

        :returns: the locations, each with its country.
        """
        return [
            NodeLocation(location.id, location.name, location.country, self)
            for location in _catalog.LOCATIONS
        ]

    # -- images ---------------------------------------------------------------------

    def list_images(self, location: NodeLocation | None = None) -> list[NodeImage]:
        """List the public images and the images made in this cloud.

        :param location: only those usable there; all when ``None``.
        :returns: the images, public ones first.
        :raises NotFoundError: for an unknown location.
        """
        location_id = None if location is None else self._location_id(location)

        with self._lock:
            images = [self._public_image_model(image) for image in _catalog.IMAGES]
            images += [
                self._image_model(record)
                for record in self._images.values()
                if location_id is None or record.location_id == location_id
            ]
            return images

    def get_image(self, image_id: str) -> NodeImage:
        """Fetch one image by its id.

        :param image_id: the image's id.
        :returns: the image.
        :raises NotFoundError: when there is no such image.
        """
        with self._lock:
            found = self._find_image(str(image_id))
            if found is None:
                self._not_found("image", image_id)
            return found

    def create_image(
        self, node: Node, name: str, description: str | None = None
    ) -> NodeImage:
        """Make a private image from a node, in the node's location.

        :param node: the node; not terminated or in error.
        :param name: the image's name.
        :param description: a description of the image.
        :returns: the new image.
        :raises NotFoundError: when there is no such node.
        :raises ProviderError: when the node is terminated or in error.
        """
        _check_type(node, Node, "node")
        _check_name(name, "image")

        with self._lock:
            record = self._node_record(node.id)
            if record.state in (NodeState.TERMINATED, NodeState.ERROR):
                self._fail(
                    f"cannot make an image of node {node.id}: it is "
                    f"{record.state.value}",
                    "IncorrectState",
                )

            source = self._find_image(record.image_id)
            image_id, _ = self._next("img")
            self._images[image_id] = _ImageRecord(
                id=image_id,
                name=name,
                location_id=record.location_id,
                description=description,
                distribution=source.extra["distribution"] if source else "unknown",
                version=source.extra["version"] if source else "unknown",
                min_disk=next(s.disk for s in _catalog.SIZES if s.id == record.size_id),
                source=f"node:{record.id}",
                created_at=_now(),
            )
            return self._image_model(self._images[image_id])

    def delete_image(self, node_image: NodeImage) -> bool:
        """Delete an image made in this cloud.

        :param node_image: the image.
        :returns: ``True``.
        :raises NotFoundError: when there is no such image.
        :raises ProviderError: for a public image, which cannot be deleted.
        """
        _check_type(node_image, NodeImage, "node_image")

        with self._lock:
            if any(image.id == node_image.id for image in _catalog.IMAGES):
                self._fail(
                    f"image {node_image.id} is public and cannot be deleted",
                    "OperationNotPermitted",
                )
            if self._images.pop(node_image.id, None) is None:
                self._not_found("image", node_image.id)
            return True

    def copy_image(
        self,
        source_region: str,
        node_image: NodeImage,
        name: str,
        description: str | None = None,
    ) -> NodeImage:
        """Copy an image from a location into the driver's region.

        :param source_region: the location id the image is in; any location for
            a public image.
        :param node_image: the image.
        :param name: the copy's name.
        :param description: a description of the copy.
        :returns: the copy, in the driver's region.
        :raises InvalidArgumentError: for an unknown ``source_region``.
        :raises NotFoundError: when the image is not in ``source_region``.
        """
        _check_type(node_image, NodeImage, "node_image")
        _check_name(name, "image")
        regions = {location.id for location in _catalog.LOCATIONS}
        if source_region not in regions:
            raise InvalidArgumentError(
                f"the dummy provider has no region {source_region!r}; use one of "
                f"{', '.join(sorted(regions))}",
                argument="source_region",
            )

        with self._lock:
            found = self._find_image(node_image.id)
            where = None if found is None else found.extra["location"]
            if found is None or where not in (None, source_region):
                self._not_found("image", node_image.id, f" in {source_region}")

            image_id, _ = self._next("img")
            self._images[image_id] = _ImageRecord(
                id=image_id,
                name=name,
                location_id=self.region,
                description=description,
                distribution=found.extra["distribution"],
                version=found.extra["version"],
                min_disk=found.extra["min_disk"],
                source=f"image:{found.id}@{source_region}",
                created_at=_now(),
            )
            return self._image_model(self._images[image_id])

    # -- volumes --------------------------------------------------------------------

    def list_volumes(self) -> list[StorageVolume]:
        """List every volume.

        :returns: the volumes, oldest first.
        """
        with self._lock:
            return [self._volume_model(record) for record in self._volumes.values()]

    def _volume_record(self, volume: StorageVolume) -> _VolumeRecord:
        _check_type(volume, StorageVolume, "volume")
        record = self._volumes.get(volume.id)
        if record is None:
            self._not_found("volume", volume.id)
        return record

    def create_volume(
        self,
        size: int,
        name: str,
        location: NodeLocation | None = None,
        snapshot: VolumeSnapshot | None = None,
    ) -> StorageVolume:
        """Create a volume, ``available`` at once.

        :param size: its size, in GiB: 1 to 16384, and no less than the snapshot.
        :param name: its name.
        :param location: where to make it; the snapshot's location, or else the
            driver's region, when ``None``.
        :param snapshot: a snapshot to fill it from.
        :returns: the new volume.
        :raises InvalidArgumentError: for a bad size or name.
        :raises NotFoundError: for an unknown location or snapshot.
        :raises ProviderError: when the snapshot is in another location.
        """
        if isinstance(size, bool) or not isinstance(size, int) or not 0 < size <= 16384:
            raise InvalidArgumentError(
                f"a volume's size is a whole number of GiB from 1 to 16384, not "
                f"{size!r}",
                argument="size",
            )
        _check_name(name, "volume")

        with self._lock:
            snap: _SnapshotRecord | None = None
            if snapshot is not None:
                _check_type(snapshot, VolumeSnapshot, "snapshot")
                snap = self._snapshots.get(snapshot.id)
                if snap is None:
                    self._not_found("snapshot", snapshot.id)

            if location is None and snap is not None:
                location_id = snap.location_id
            else:
                location_id = self._location_id(location)

            if snap is not None:
                if snap.location_id != location_id:
                    self._fail(
                        f"snapshot {snap.id} is in {snap.location_id}, not "
                        f"{location_id}",
                        "LocationMismatch",
                    )
                if size < snap.size:
                    raise InvalidArgumentError(
                        f"a volume from snapshot {snap.id} needs at least "
                        f"{snap.size} GiB, not {size}",
                        argument="size",
                    )

            volume_id, _ = self._next("vol")
            self._volumes[volume_id] = _VolumeRecord(
                id=volume_id,
                name=name,
                size=size,
                location_id=location_id,
                created_at=_now(),
                snapshot_id=None if snap is None else snap.id,
            )
            return self._volume_model(self._volumes[volume_id])

    def attach_volume(
        self, node: Node, volume: StorageVolume, device: str | None = None
    ) -> bool:
        """Attach an available volume to a node in the same location.

        :param node: the node; not terminated or in error.
        :param volume: the volume; ``available``.
        :param device: the device name, ``/dev/vd?``; the next free one when
            ``None``.
        :returns: ``True``; the volume is then ``inuse``.
        :raises InvalidArgumentError: for a device name not under ``/dev/``.
        :raises NotFoundError: when there is no such node or volume.
        :raises ProviderError: when the volume is in use, the node cannot take
            it, the locations differ or the device is taken.
        """
        _check_type(node, Node, "node")
        if device is not None and (
            not isinstance(device, str) or not device.startswith("/dev/")
        ):
            raise InvalidArgumentError(
                f"device must be a path under /dev/, such as /dev/vdb, not {device!r}",
                argument="device",
            )

        with self._lock:
            record = self._volume_record(volume)
            node_record = self._node_record(node.id)
            if record.state is not StorageVolumeState.AVAILABLE:
                self._fail(
                    f"volume {record.id} is {record.state.value}, attached to "
                    f"{record.node_id}; detach it first",
                    "VolumeInUse",
                )
            if node_record.state in (NodeState.TERMINATED, NodeState.ERROR):
                self._fail(
                    f"cannot attach to node {node_record.id}: it is "
                    f"{node_record.state.value}",
                    "IncorrectState",
                )
            if record.location_id != node_record.location_id:
                self._fail(
                    f"volume {record.id} is in {record.location_id} and node "
                    f"{node_record.id} in {node_record.location_id}",
                    "LocationMismatch",
                )

            taken = {
                other.device
                for other in self._volumes.values()
                if other.node_id == node_record.id
            }
            if device is None:
                free = [f"/dev/vd{c}" for c in "bcdefghijklmnopqrstuvwxyz"]
                device = next((d for d in free if d not in taken), None)
                if device is None:
                    self._fail(
                        f"node {node_record.id} has no free device left",
                        "AttachmentLimitExceeded",
                    )
            elif device in taken:
                self._fail(
                    f"device {device} on node {node_record.id} is taken",
                    "DeviceInUse",
                )

            record.node_id = node_record.id
            record.device = device
            record.state = StorageVolumeState.INUSE
            return True

    def detach_volume(self, volume: StorageVolume) -> bool:
        """Detach a volume from its node.

        :param volume: the volume; ``inuse``.
        :returns: ``True``; the volume is then ``available``.
        :raises NotFoundError: when there is no such volume.
        :raises ProviderError: when the volume is attached to nothing.
        """
        with self._lock:
            record = self._volume_record(volume)
            if record.state is not StorageVolumeState.INUSE:
                self._fail(
                    f"volume {record.id} is attached to nothing", "IncorrectState"
                )

            record.node_id = None
            record.device = None
            record.state = StorageVolumeState.AVAILABLE
            return True

    def destroy_volume(self, volume: StorageVolume) -> bool:
        """Destroy a volume that is attached to nothing; its snapshots stay.

        :param volume: the volume.
        :returns: ``True``.
        :raises NotFoundError: when there is no such volume.
        :raises ProviderError: when the volume is in use.
        """
        with self._lock:
            record = self._volume_record(volume)
            if record.state is StorageVolumeState.INUSE:
                self._fail(
                    f"volume {record.id} is attached to {record.node_id}; detach "
                    "it first",
                    "VolumeInUse",
                )

            del self._volumes[record.id]
            return True

    # -- snapshots ------------------------------------------------------------------

    def list_volume_snapshots(self, volume: StorageVolume) -> list[VolumeSnapshot]:
        """List the snapshots of a volume.

        :param volume: the volume.
        :returns: its snapshots, oldest first.
        :raises NotFoundError: when there is no such volume.
        """
        with self._lock:
            record = self._volume_record(volume)
            return [
                self._snapshot_model(snap)
                for snap in self._snapshots.values()
                if snap.volume_id == record.id
            ]

    def create_volume_snapshot(
        self, volume: StorageVolume, name: str | None = None
    ) -> VolumeSnapshot:
        """Take a snapshot of a volume, ``available`` at once.

        :param volume: the volume.
        :param name: the snapshot's name.
        :returns: the new snapshot.
        :raises NotFoundError: when there is no such volume.
        """
        if name is not None:
            _check_name(name, "snapshot")

        with self._lock:
            record = self._volume_record(volume)
            snapshot_id, _ = self._next("snap")
            self._snapshots[snapshot_id] = _SnapshotRecord(
                id=snapshot_id,
                name=name,
                volume_id=record.id,
                size=record.size,
                location_id=record.location_id,
                created=_now(),
            )
            return self._snapshot_model(self._snapshots[snapshot_id])

    def destroy_volume_snapshot(self, snapshot: VolumeSnapshot) -> bool:
        """Destroy a snapshot.

        :param snapshot: the snapshot.
        :returns: ``True``.
        :raises NotFoundError: when there is no such snapshot.
        """
        _check_type(snapshot, VolumeSnapshot, "snapshot")

        with self._lock:
            if self._snapshots.pop(snapshot.id, None) is None:
                self._not_found("snapshot", snapshot.id)
            return True

    # -- key pairs ------------------------------------------------------------------

    def list_key_pairs(self) -> list[KeyPair]:
        """List the key pairs.

        :returns: the key pairs, without private keys, oldest first.
        """
        with self._lock:
            return [self._key_pair_model(r) for r in self._key_pairs.values()]

    def get_key_pair(self, name: str) -> KeyPair:
        """Fetch one key pair by its name.

        :param name: the key pair's name.
        :returns: the key pair, without its private key.
        :raises NotFoundError: when there is no such key pair.
        """
        with self._lock:
            record = self._key_pairs.get(name)
            if record is None:
                self._not_found("key pair", name)
            return self._key_pair_model(record)

    def _add_key_pair(self, name: str, public_key: str) -> _KeyPairRecord:
        if name in self._key_pairs:
            self._fail(
                f"a key pair named {name!r} exists; delete it or pick another name",
                "KeyPairExists",
            )
        record = _KeyPairRecord(
            name=name,
            public_key=public_key,
            fingerprint=md5_fingerprint(public_key),
            created_at=_now(),
        )
        self._key_pairs[name] = record
        return record

    def create_key_pair(self, name: str) -> KeyPair:
        """Make a new Ed25519 key pair.

        :param name: the key pair's name.
        :returns: the key pair, with its private key in OpenSSH format: keep it,
            it is not kept here.
        :raises InvalidArgumentError: for a bad name.
        :raises ProviderError: when a key pair of that name exists.
        """
        _check_name(name, "key pair")

        private = ed25519.Ed25519PrivateKey.generate()
        private_text = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        ).decode()
        public_text = (
            private.public_key()
            .public_bytes(
                serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
            )
            .decode()
        )

        with self._lock:
            record = self._add_key_pair(name, f"{public_text} {name}")
            return self._key_pair_model(record, private_key=private_text)

    def import_key_pair_from_string(self, name: str, key_material: str) -> KeyPair:
        """Import a public key.

        :param name: the key pair's name.
        :param key_material: the public key, in OpenSSH format.
        :returns: the key pair.
        :raises InvalidArgumentError: for a bad name, or key material that is a
            private key or not an OpenSSH public key.
        :raises ProviderError: when a key pair of that name exists.
        """
        _check_name(name, "key pair")
        public_key = _check_public_key(key_material)

        with self._lock:
            return self._key_pair_model(self._add_key_pair(name, public_key))

    def delete_key_pair(self, key_pair: KeyPair) -> bool:
        """Delete a key pair.

        :param key_pair: the key pair.
        :returns: ``True``.
        :raises NotFoundError: when there is no such key pair.
        """
        _check_type(key_pair, KeyPair, "key_pair")

        with self._lock:
            if self._key_pairs.pop(key_pair.name, None) is None:
                self._not_found("key pair", key_pair.name)
            return True
