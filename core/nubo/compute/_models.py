"""The objects a compute driver hands back: nodes, sizes, images, locations,
volumes, snapshots, key pairs, and the two kinds of node authentication.

A model is a snapshot of a provider resource at the time it was read; call the
driver again for a fresh one. Every model keeps the driver that made it, its id
as a string, and ``extra``, a dict of what the provider said that the common
fields do not cover. Two models for the same provider resource compare equal and
hash alike, whichever call made them.

The models keep their fields in slots, which keeps a long listing small: a plain
model takes no attribute of its own, while a provider's subclass that declares
no slots gets a ``__dict__`` and takes any.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import InvalidArgumentError
from ._states import NodeState, StorageVolumeState, VolumeSnapshotState

if TYPE_CHECKING:
    from ._base import NodeDriver

__all__ = [
    "KeyPair",
    "Node",
    "NodeAuthPassword",
    "NodeAuthSSHKey",
    "NodeImage",
    "NodeLocation",
    "NodeSize",
    "StorageVolume",
    "VolumeSnapshot",
]

log = logging.getLogger(__name__)


def _coerce_id(value: object, what: str) -> str:
    if value is None or value == "":
        raise InvalidArgumentError(
            f"a {what} needs an id; the driver passed {value!r}", argument="id"
        )
    return str(value)


class _Model:
    """The identity every provider resource shares: kind, provider and id."""

    #: The kind of resource; a subclass a provider makes keeps its parent's, so
    #: that a provider's own node class compares equal to a plain :class:`Node`.
    _kind: ClassVar[str] = ""

    # Slots keep a node of a large listing small; a provider's subclass that
    # declares no slots of its own gets a ``__dict__`` and may add attributes.
    __slots__ = ("__weakref__", "driver", "extra", "id")

    id: str
    driver: NodeDriver
    extra: dict[str, Any]

    def _identity(self) -> tuple[str, str, str]:
        return (self._kind, self.driver.type, self.id)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Model):
            return NotImplemented
        return self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())


class Node(_Model):
    """A virtual machine, or whatever the provider runs: a compute node.

    :param id: the provider's id for the node.
    :param name: the node's name.
    :param state: the node's state; a string that names no :class:`NodeState`
        becomes ``UNKNOWN``, with the string kept in ``extra["raw_state"]``.
    :param public_ips: the node's public addresses.
    :param private_ips: the node's private addresses.
    :param driver: the driver that read the node.
    :param size: the node's size, when the provider says it.
    :param image: the image the node was made from, when the provider says it.
    :param created_at: when the node was created, when the provider says it.
    :param extra: what else the provider said about the node.
    """

    _kind = "node"

    __slots__ = (
        "created_at",
        "image",
        "name",
        "private_ips",
        "public_ips",
        "size",
        "state",
    )

    def __init__(
        self,
        id: object,
        name: str | None,
        state: NodeState | str,
        public_ips: Iterable[str] | None,
        private_ips: Iterable[str] | None,
        driver: NodeDriver,
        size: NodeSize | None = None,
        image: NodeImage | None = None,
        created_at: datetime | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.id = _coerce_id(id, "node")
        self.name = name
        self.extra = dict(extra or {})
        self.state = NodeState.coerce(state, self.extra)
        self.public_ips = list(public_ips or [])
        self.private_ips = list(private_ips or [])
        self.driver = driver
        self.size = size
        self.image = image
        self.created_at = created_at

    @property
    def uuid(self) -> str:
        """A stable id for the node across providers: the SHA-1 hex digest of the
        node's id and its provider id.

        :returns: forty hex digits, the same for every read of the node.
        """
        text = f"{self.id}:{self.driver.type}".encode()
        return hashlib.sha1(text, usedforsecurity=False).hexdigest()

    def reboot(self) -> bool:
        """Reboot the node; see :meth:`NodeDriver.reboot_node`.

        :returns: ``True`` when the provider accepted the reboot.
        """
        return self.driver.reboot_node(self)

    def start(self) -> bool:
        """Start the stopped node; see :meth:`NodeDriver.start_node`.

        :returns: ``True`` when the provider accepted the start.
        """
        return self.driver.start_node(self)

    def stop(self) -> bool:
        """Stop the node; see :meth:`NodeDriver.stop_node`.

        :returns: ``True`` when the provider accepted the stop.
        """
        return self.driver.stop_node(self)

    def destroy(self) -> bool:
        """Destroy the node; see :meth:`NodeDriver.destroy_node`.

        :returns: ``True`` when the provider accepted the destruction.
        """
        return self.driver.destroy_node(self)

    def __repr__(self) -> str:
        return (
            f"<Node id={self.id!r} name={self.name!r} state={self.state.value}"
            f" public_ips={self.public_ips!r} provider={self.driver.type!r}>"
        )


class NodeSize(_Model):
    """What a node can be made with: memory, disk, transfer and price.

    :param id: the provider's id for the size.
    :param name: the size's name.
    :param ram: memory, in MiB.
    :param disk: the root disk, in GiB.
    :param bandwidth: the monthly transfer allowance, in GiB, or ``None`` when the
        provider does not say.
    :param price: the price per hour, in the provider's currency, or ``None``
        when unknown.
    :param driver: the driver that read the size.
    :param extra: what else the provider said, such as ``vcpus``.
    """

    _kind = "size"

    __slots__ = ("bandwidth", "disk", "name", "price", "ram")

    def __init__(
        self,
        id: object,
        name: str | None,
        ram: int | None,
        disk: int | None,
        bandwidth: int | None,
        price: float | None,
        driver: NodeDriver,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.id = _coerce_id(id, "size")
        self.name = name
        self.ram = ram
        self.disk = disk
        self.bandwidth = bandwidth
        self.price = price
        self.driver = driver
        self.extra = dict(extra or {})

    def __repr__(self) -> str:
        return (
            f"<NodeSize id={self.id!r} name={self.name!r} ram={self.ram}"
            f" disk={self.disk} price={self.price} provider={self.driver.type!r}>"
        )


class NodeImage(_Model):
    """What a node boots from: an operating system image or a snapshot of a node.

    :param id: the provider's id for the image.
    :param name: the image's name.
    :param driver: the driver that read the image.
    :param extra: what else the provider said about the image.
    """

    _kind = "image"

    __slots__ = ("name",)

    def __init__(
        self,
        id: object,
        name: str | None,
        driver: NodeDriver,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.id = _coerce_id(id, "image")
        self.name = name
        self.driver = driver
        self.extra = dict(extra or {})

    def __repr__(self) -> str:
        return (
            f"<NodeImage id={self.id!r} name={self.name!r}"
            f" provider={self.driver.type!r}>"
        )


class NodeLocation(_Model):
    """Where a node can run: a data centre, a zone or a region.

    :param id: the provider's id for the location.
    :param name: the location's name.
    :param country: the country it is in, as an ISO 3166 code such as ``NL``.
    :param driver: the driver that read the location.
    :param extra: what else the provider said about the location.
    """

    _kind = "location"

    __slots__ = ("country", "name")

    def __init__(
        self,
        id: object,
        name: str | None,
        country: str | None,
        driver: NodeDriver,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.id = _coerce_id(id, "location")
        self.name = name
        self.country = country
        self.driver = driver
        self.extra = dict(extra or {})

    def __repr__(self) -> str:
        return (
            f"<NodeLocation id={self.id!r} name={self.name!r}"
            f" country={self.country!r} provider={self.driver.type!r}>"
        )


class StorageVolume(_Model):
    """A block storage volume that can be attached to a node.

    :param id: the provider's id for the volume.
    :param name: the volume's name.
    :param size: the volume's size, in GiB.
    :param driver: the driver that read the volume.
    :param state: the volume's state; a string that names no
        :class:`StorageVolumeState` becomes ``UNKNOWN``.
    :param extra: what else the provider said, such as ``node_id`` and
        ``device`` when attached.
    """

    _kind = "volume"

    __slots__ = ("name", "size", "state")

    def __init__(
        self,
        id: object,
        name: str | None,
        size: int | None,
        driver: NodeDriver,
        state: StorageVolumeState | str = StorageVolumeState.UNKNOWN,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.id = _coerce_id(id, "volume")
        self.name = name
        self.size = size
        self.driver = driver
        self.extra = dict(extra or {})
        self.state = StorageVolumeState.coerce(state, self.extra)

    def attach(self, node: Node, device: str | None = None) -> bool:
        """Attach the volume to a node; see :meth:`NodeDriver.attach_volume`.

        :param node: the node to attach to.
        :param device: the device name on the node, when the provider takes one.
        :returns: ``True`` when the provider accepted the attachment.
        """
        return self.driver.attach_volume(node, self, device)

    def detach(self) -> bool:
        """Detach the volume; see :meth:`NodeDriver.detach_volume`.

        :returns: ``True`` when the provider accepted the detachment.
        """
        return self.driver.detach_volume(self)

    def snapshot(self, name: str | None = None) -> VolumeSnapshot:
        """Take a snapshot; see :meth:`NodeDriver.create_volume_snapshot`.

        :param name: the snapshot's name.
        :returns: the new snapshot.
        """
        return self.driver.create_volume_snapshot(self, name)

    def list_snapshots(self) -> list[VolumeSnapshot]:
        """List the volume's snapshots; see :meth:`NodeDriver.list_volume_snapshots`.

        :returns: every snapshot of the volume.
        """
        return self.driver.list_volume_snapshots(self)

    def destroy(self) -> bool:
        """Destroy the volume; see :meth:`NodeDriver.destroy_volume`.

        :returns: ``True`` when the provider accepted the destruction.
        """
        return self.driver.destroy_volume(self)

    def __repr__(self) -> str:
        return (
            f"<StorageVolume id={self.id!r} name={self.name!r} size={self.size}"
            f" state={self.state.value} provider={self.driver.type!r}>"
        )


class VolumeSnapshot(_Model):
    """A point-in-time copy of a volume, from which new volumes can be made.

    :param id: the provider's id for the snapshot.
    :param driver: the driver that read the snapshot.
    :param size: the size of the volume it was taken from, in GiB.
    :param extra: what else the provider said, such as ``volume_id``.
    :param created: when the snapshot was taken.
    :param state: the snapshot's state; a string that names no
        :class:`VolumeSnapshotState` becomes ``UNKNOWN``.
    :param name: the snapshot's name.
    """

    _kind = "snapshot"

    __slots__ = ("created", "name", "size", "state")

    def __init__(
        self,
        id: object,
        driver: NodeDriver,
        size: int | None = None,
        extra: dict[str, Any] | None = None,
        created: datetime | None = None,
        state: VolumeSnapshotState | str = VolumeSnapshotState.UNKNOWN,
        name: str | None = None,
    ) -> None:
        self.id = _coerce_id(id, "snapshot")
        self.driver = driver
        self.size = size
        self.extra = dict(extra or {})
        self.created = created
        self.state = VolumeSnapshotState.coerce(state, self.extra)
        self.name = name

    def destroy(self) -> bool:
        """Destroy the snapshot; see :meth:`NodeDriver.destroy_volume_snapshot`.

        :returns: ``True`` when the provider accepted the destruction.
        """
        return self.driver.destroy_volume_snapshot(self)

    def __repr__(self) -> str:
        return (
            f"<VolumeSnapshot id={self.id!r} name={self.name!r} size={self.size}"
            f" state={self.state.value} provider={self.driver.type!r}>"
        )


class KeyPair(_Model):
    """An SSH key pair the provider keeps, to put on the nodes it makes.

    The private key is only known when the provider made the pair
    (:meth:`NodeDriver.create_key_pair`); it never shows in the repr.

    :param name: the key pair's name.
    :param public_key: the public key, in OpenSSH format.
    :param fingerprint: the fingerprint, as the provider computes it.
    :param driver: the driver that read the key pair.
    :param private_key: the private key, when the provider just made it.
    :param extra: what else the provider said about the key pair.
    :param id: the provider's id for the key pair; its name when not given.
    """

    _kind = "key_pair"

    __slots__ = ("fingerprint", "name", "private_key", "public_key")

    def __init__(
        self,
        name: str,
        public_key: str | None,
        fingerprint: str | None,
        driver: NodeDriver,
        private_key: str | None = None,
        extra: dict[str, Any] | None = None,
        id: object = None,
    ) -> None:
        self.name = name
        self.id = _coerce_id(name if id is None else id, "key pair")
        self.public_key = public_key
        self.fingerprint = fingerprint
        self.driver = driver
        self.private_key = private_key
        self.extra = dict(extra or {})

    def __repr__(self) -> str:
        # The private key is a secret: never part of the repr.
        return (
            f"<KeyPair name={self.name!r} fingerprint={self.fingerprint!r}"
            f" provider={self.driver.type!r}>"
        )


class NodeAuthSSHKey:
    """Log in to a new node with this SSH public key.

    :param pubkey: the public key, in OpenSSH format (``ssh-ed25519 AAAA...``).
    """

    def __init__(self, pubkey: str) -> None:
        self.pubkey = pubkey

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, NodeAuthSSHKey):
            return NotImplemented
        return self.pubkey == other.pubkey

    def __hash__(self) -> int:
        return hash(("ssh_key", self.pubkey))

    def __repr__(self) -> str:
        head = self.pubkey[:24] + "..." if len(self.pubkey) > 24 else self.pubkey
        return f"<NodeAuthSSHKey pubkey={head!r}>"


class NodeAuthPassword:
    """Log in to a new node with this password.

    :param password: the password.
    :param generated: ``True`` when the provider made the password up.
    """

    def __init__(self, password: str, generated: bool = False) -> None:
        self.password = password
        self.generated = generated

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, NodeAuthPassword):
            return NotImplemented
        return self.password == other.password

    def __hash__(self) -> int:
        return hash(("password", self.password))

    def __repr__(self) -> str:
        # The password is a secret: never part of the repr.
        return f"<NodeAuthPassword password=*** generated={self.generated}>"
