"""The DigitalOcean driver: nubo's compute contract over DigitalOcean's API v2.

Nodes are droplets, sizes are droplet sizes, locations are regions, and key pairs
are the account's SSH keys. What DigitalOcean does in the background (reboots,
power changes, snapshots, image transfers, volume attachments) is an *action*;
the driver polls each one at ``/v2/actions/{id}`` until it completes, errors, or
the action timeout passes. A call refused because the resource already has a
pending event (HTTP 422) is made again once that event is over.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import logging
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

import nubo
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
from nubo.errors import (
    InvalidArgumentError,
    MalformedResponseError,
    NotFoundError,
    NuboError,
    ProviderError,
    WaitFailedError,
    WaitTimeoutError,
)

from ._connection import DigitalOceanConnection
from ._paging import iter_pages

__all__ = ["DigitalOceanNodeDriver", "ssh_fingerprint"]

_T = TypeVar("_T")

log = logging.getLogger(__name__)

#: DigitalOcean's droplet statuses, as nubo's node states.
NODE_STATES: dict[str, NodeState] = {
    "new": NodeState.PENDING,
    "active": NodeState.RUNNING,
    "off": NodeState.STOPPED,
    "archive": NodeState.TERMINATED,
}

#: DigitalOcean's image statuses, kept in ``extra["status"]``; these are usable.
_IMAGE_READY = frozenset({"available"})

#: The country of each region, by the letters its slug starts with.
_COUNTRIES: dict[str, str] = {
    "ams": "NL",
    "atl": "US",
    "blr": "IN",
    "fra": "DE",
    "lon": "GB",
    "nyc": "US",
    "sfo": "US",
    "sgp": "SG",
    "syd": "AU",
    "tor": "CA",
}

#: The statuses of an action that has ended.
_ACTION_DONE = "completed"
_ACTION_FAILED = "errored"


def ssh_fingerprint(public_key: str) -> str:
    """Return an OpenSSH public key's fingerprint as DigitalOcean writes it: the
    MD5 digest of the key, in colon-separated hex.

    :param public_key: ``<type> <base64 key> [comment]``.
    :returns: ``"3b:16:e4:..."``.
    :raises InvalidArgumentError: when the text is not an OpenSSH public key.
    """
    fields = public_key.strip().split()
    try:
        blob = base64.b64decode(fields[1], validate=True)
    except (IndexError, binascii.Error, ValueError):
        raise InvalidArgumentError(
            "the key is not an OpenSSH public key (<type> <base64 key> [comment]);"
            " give the contents of the .pub file",
            argument="public_key",
        ) from None

    digest = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def _listing(
    method: Callable[..., Iterator[_T]],
) -> Callable[..., Iterator[_T]]:
    """Turn a listing's stumble over an item of the wrong shape (a field that is
    not the type DigitalOcean documents) into a MalformedResponseError."""

    @functools.wraps(method)
    def read(self: Any, *args: Any, **kwargs: Any) -> Iterator[_T]:
        try:
            yield from method(self, *args, **kwargs)
        except NuboError:
            raise
        except (AttributeError, TypeError, KeyError, ValueError) as exc:
            raise MalformedResponseError(
                f"DigitalOcean's answer to {method.__name__} holds an item of a"
                f" shape the driver cannot read ({type(exc).__name__}); check that"
                " the driver talks to the right endpoint",
                provider=getattr(self, "type", None),
            ) from exc

    return read


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


class DigitalOceanNodeDriver(NodeDriver):
    """Drive DigitalOcean's droplets, volumes, images and SSH keys.

    ``get_driver("digitalocean")(token)`` talks to ``api.digitalocean.com``;
    ``host``, ``port`` and ``secure`` point it at a compatible server instead.

    :param key: the personal access token.
    :param secure: HTTPS (the default), or plain HTTP with ``False``.
    :param host: the host instead of ``api.digitalocean.com``.
    :param port: the port instead of 443.
    :param region: the region slug (``nyc3``) that ``create_node``,
        ``create_volume`` and ``copy_image`` use when not given one.
    :param ex_action_timeout: seconds to wait for an action to complete.
    :param ex_poll_interval: seconds between two looks at a pending action.
    :param ex_wait: whether the methods that start an action wait for it to
        complete (the default) or return once DigitalOcean accepted it; each of
        them takes ``ex_wait`` too.
    :param kwargs: settings for the connection (``timeout``, ``retry``, ...).
    :raises InvalidArgumentError: for an empty token or a non-positive timeout
        or poll interval.
    """

    connectionCls: ClassVar[type[nubo.Connection] | None] = DigitalOceanConnection
    type: ClassVar[str] = "digitalocean"
    name: ClassVar[str] = "DigitalOcean"
    website: ClassVar[str] = "https://www.digitalocean.com/"
    CONTRACT_VERSION: ClassVar[int] = nubo.CONTRACT_VERSION

    features: ClassVar[dict[str, list[str]]] = {"create_node": ["ssh_key"]}

    def __init__(
        self,
        key: str | None,
        secret: str | None = None,
        secure: bool = True,
        host: str | None = None,
        port: int | None = None,
        api_version: str | None = None,
        region: str | None = None,
        *,
        ex_action_timeout: float = 600.0,
        ex_poll_interval: float = 3.0,
        ex_wait: bool = True,
        **kwargs: Any,
    ) -> None:
        if not ex_action_timeout > 0 or not ex_poll_interval > 0:
            raise InvalidArgumentError(
                "ex_action_timeout and ex_poll_interval must be positive seconds,"
                f" not {ex_action_timeout!r} and {ex_poll_interval!r}",
                argument="ex_action_timeout",
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
        self.ex_action_timeout = float(ex_action_timeout)
        self.ex_poll_interval = float(ex_poll_interval)
        self.ex_wait = ex_wait

    # -- calls ----------------------------------------------------------------------

    @property
    def _conn(self) -> nubo.Connection:
        assert self.connection is not None
        return self.connection

    def _get(self, action: str, params: dict[str, Any] | None = None) -> Any:
        return self._conn.request(action, params=params).object

    def _post(self, action: str, data: dict[str, Any]) -> Any:
        return self._conn.request(action, data=data, method="POST").object

    def _delete(self, action: str) -> bool:
        self._conn.request(action, method="DELETE")
        return True

    def _member(self, data: Any, key: str, action: str) -> dict[str, Any]:
        found = data.get(key) if isinstance(data, dict) else None
        if not isinstance(found, dict):
            raise MalformedResponseError(
                f"DigitalOcean's answer to {action} has no {key!r} object; check"
                " that the driver talks to the right endpoint",
                provider=self.type,
            )
        return found

    # -- actions --------------------------------------------------------------------

    def _start_action(
        self, action: str, body: dict[str, Any], events: str, wait: bool | None
    ) -> dict[str, Any]:
        """Post an action; when the resource has a pending event, wait for that
        event and post again; then, unless told not to, wait for the action.

        :param action: the path to post to (``/droplets/1/actions``).
        :param body: the action's body, with its ``type``.
        :param events: the path that lists the resource's actions.
        :param wait: wait for completion; ``None`` for the driver's ``ex_wait``.
        :returns: the action, as DigitalOcean last reported it.
        """
        deadline = self._clock() + self.ex_action_timeout
        while True:
            try:
                data = self._post(action, body)
                break
            except ProviderError as error:
                if error.status != 422 or "pending event" not in error.message.lower():
                    raise
                if self._clock() >= deadline:
                    raise
                log.debug("%s has a pending event; waiting for it", events)
                self._wait_for_pending(events, deadline)

        started = self._member(data, "action", action)
        if not (self.ex_wait if wait is None else wait):
            self._check_action(started)
            return started
        return self._wait_for_action(started, deadline)

    def _wait_for_pending(self, events: str, deadline: float) -> None:
        pending = [
            item
            for item in self._recent_actions(events)
            if item.get("status") == "in-progress"
        ]
        if not pending:
            self._sleep(self.ex_poll_interval)
            return
        for item in pending:
            self._wait_for_action(item, deadline, raise_errored=False)

    def _recent_actions(self, events: str) -> list[dict[str, Any]]:
        # The newest actions come first; one page of them holds any pending one.
        data = self._get(events, {"per_page": 20, "page": 1})
        items = data.get("actions") if isinstance(data, dict) else None
        return [item for item in items or [] if isinstance(item, dict)]

    def _wait_for_action(
        self, action: dict[str, Any], deadline: float, raise_errored: bool = True
    ) -> dict[str, Any]:
        """Poll an action at ``/v2/actions/{id}`` until it ends.

        :raises WaitFailedError: when it errored.
        :raises WaitTimeoutError: when the deadline passes first.
        """
        current = action
        while current.get("status") not in (_ACTION_DONE, _ACTION_FAILED):
            if self._clock() >= deadline:
                raise WaitTimeoutError(
                    f"DigitalOcean's {current.get('type')} action {current.get('id')}"
                    f" was still {current.get('status')} after"
                    f" {self.ex_action_timeout:g} s; raise ex_action_timeout, or"
                    " check the action later at /v2/actions/"
                    f"{current.get('id')}",
                    timeout=self.ex_action_timeout,
                    pending=[(str(current.get("id")), str(current.get("status")))],
                )
            self._sleep(self.ex_poll_interval)
            path = f"/actions/{current.get('id')}"
            current = self._member(self._get(path), "action", path)

        if raise_errored:
            self._check_action(current)
        return current

    def _check_action(self, action: dict[str, Any]) -> None:
        if action.get("status") != _ACTION_FAILED:
            return
        raise WaitFailedError(
            f"DigitalOcean's {action.get('type')} action {action.get('id')} on"
            f" {action.get('resource_type')} {action.get('resource_id')} ended"
            f" {action.get('status')}; see /v2/actions/{action.get('id')} and the"
            " resource's state before trying again",
            resource_id=str(action.get("id")),
            state=str(action.get("status")),
        )

    # -- nodes ----------------------------------------------------------------------

    @_listing
    def iter_nodes(self) -> Iterator[Node]:
        """Yield every droplet, one page of them held at a time.

        :returns: a generator of the nodes.
        """
        for item in iter_pages(self._conn, "/droplets", "droplets"):
            yield self._to_node(item)

    def get_node(self, node_id: str) -> Node:
        """Fetch one droplet by its id.

        :param node_id: the droplet's id.
        :returns: the node.
        :raises NotFoundError: when there is no such droplet.
        """
        path = f"/droplets/{node_id}"
        return self._to_node(self._member(self._get(path), "droplet", path))

    def create_node(
        self,
        name: str,
        size: NodeSize | str,
        image: NodeImage | str | int,
        location: NodeLocation | str | None = None,
        auth: NodeAuthSSHKey | NodeAuthPassword | None = None,
        *,
        ex_ssh_keys: Sequence[KeyPair | str | int] = (),
        ex_user_data: str | None = None,
        ex_tags: Sequence[str] = (),
        ex_vpc_uuid: str | None = None,
        ex_ipv6: bool | None = None,
        ex_monitoring: bool | None = None,
        ex_backups: bool | None = None,
        **kwargs: Any,
    ) -> Node:
        """Create a droplet. It starts out ``pending`` (``new``).

        :param name: the droplet's name, also its host name.
        :param size: a size, or its slug (``s-1vcpu-1gb``).
        :param image: an image, or its slug (``ubuntu-24-04-x64``) or id.
        :param location: a region, or its slug; the driver's region when
            ``None``, and DigitalOcean's choice when the driver has none.
        :param auth: an SSH public key already on the account; it is named by
            its fingerprint.
        :param ex_ssh_keys: more SSH keys of the account: key pairs, ids or
            fingerprints.
        :param ex_user_data: cloud-init user data.
        :param ex_tags: tags to put on the droplet.
        :param ex_vpc_uuid: the VPC to place it in.
        :param ex_ipv6: give it an IPv6 address.
        :param ex_monitoring: install the monitoring agent.
        :param ex_backups: turn on backups.
        :param kwargs: nothing else is taken.
        :returns: the new node.
        :raises InvalidArgumentError: for an unknown argument or a password auth.
        """
        if kwargs:
            raise InvalidArgumentError(
                f"create_node() does not take {', '.join(sorted(kwargs))} for"
                " DigitalOcean; see the ex_ arguments it takes",
                argument=sorted(kwargs)[0],
            )
        self._check_auth(auth)

        body: dict[str, Any] = {
            "name": name,
            "size": size.id if isinstance(size, NodeSize) else str(size),
            "image": self._image_ref(image),
        }
        region = self._region_slug(location)
        if region is not None:
            body["region"] = region

        keys = [self._key_ref(key) for key in ex_ssh_keys]
        if isinstance(auth, NodeAuthSSHKey):
            keys.append(ssh_fingerprint(auth.pubkey))
        if keys:
            body["ssh_keys"] = keys
        if ex_user_data is not None:
            body["user_data"] = ex_user_data
        if ex_tags:
            body["tags"] = list(ex_tags)
        if ex_vpc_uuid is not None:
            body["vpc_uuid"] = ex_vpc_uuid
        for option, value in (
            ("ipv6", ex_ipv6),
            ("monitoring", ex_monitoring),
            ("backups", ex_backups),
        ):
            if value is not None:
                body[option] = value

        data = self._post("/droplets", body)
        node = self._to_node(self._member(data, "droplet", "/droplets"))
        links = data.get("links") if isinstance(data, dict) else None
        if isinstance(links, dict) and isinstance(links.get("actions"), list):
            node.extra["action_ids"] = [
                item.get("id") for item in links["actions"] if isinstance(item, dict)
            ]
        return node

    def reboot_node(self, node: Node, *, ex_wait: bool | None = None) -> bool:
        """Reboot a droplet.

        :param node: the node.
        :param ex_wait: wait for the reboot to complete; the driver's
            ``ex_wait`` when ``None``.
        :returns: ``True``.
        :raises WaitFailedError: when the reboot errored.
        :raises WaitTimeoutError: when it did not complete in time.
        """
        return self._node_action(node, "reboot", ex_wait)

    def start_node(self, node: Node, *, ex_wait: bool | None = None) -> bool:
        """Power a droplet on.

        :param node: the node.
        :param ex_wait: wait for the action to complete; the driver's
            ``ex_wait`` when ``None``.
        :returns: ``True``.
        :raises WaitFailedError: when the action errored.
        :raises WaitTimeoutError: when it did not complete in time.
        """
        return self._node_action(node, "power_on", ex_wait)

    def stop_node(self, node: Node, *, ex_wait: bool | None = None) -> bool:
        """Power a droplet off, as pulling the plug does; use
        ``ex_shutdown_node`` for a clean shutdown.

        :param node: the node.
        :param ex_wait: wait for the action to complete; the driver's
            ``ex_wait`` when ``None``.
        :returns: ``True``.
        :raises WaitFailedError: when the action errored.
        :raises WaitTimeoutError: when it did not complete in time.
        """
        return self._node_action(node, "power_off", ex_wait)

    def ex_shutdown_node(self, node: Node, *, ex_wait: bool | None = None) -> bool:
        """Shut a droplet down cleanly, through its operating system.

        :param node: the node.
        :param ex_wait: wait for the action to complete; the driver's
            ``ex_wait`` when ``None``.
        :returns: ``True``.
        :raises WaitFailedError: when the action errored.
        :raises WaitTimeoutError: when it did not complete in time.
        """
        return self._node_action(node, "shutdown", ex_wait)

    def destroy_node(self, node: Node) -> bool:
        """Destroy a droplet.

        :param node: the node.
        :returns: ``True`` when DigitalOcean accepted it.
        """
        return self._delete(f"/droplets/{node.id}")

    def _node_action(self, node: Node, kind: str, wait: bool | None) -> bool:
        path = f"/droplets/{node.id}/actions"
        self._start_action(path, {"type": kind}, path, wait)
        return True

    def _to_node(self, item: dict[str, Any]) -> Node:
        networks = item.get("networks") or {}
        public: list[str] = []
        private: list[str] = []
        for family in ("v4", "v6"):
            for net in networks.get(family) or []:
                address = net.get("ip_address")
                if not address:
                    continue
                (public if net.get("type") == "public" else private).append(address)

        extra = _pick(
            item,
            (
                "memory",
                "vcpus",
                "disk",
                "locked",
                "status",
                "features",
                "tags",
                "volume_ids",
                "backup_ids",
                "snapshot_ids",
                "size_slug",
                "vpc_uuid",
            ),
        )
        region = item.get("region")
        if isinstance(region, dict):
            extra["region"] = region.get("slug")

        state = self._node_state(item.get("status"), NODE_STATES, extra)
        size = item.get("size")
        image = item.get("image")
        return Node(
            id=item.get("id"),
            name=item.get("name"),
            state=state,
            public_ips=public,
            private_ips=private,
            driver=self,
            size=self._to_size(size) if isinstance(size, dict) else None,
            image=self._to_image(image) if isinstance(image, dict) else None,
            created_at=_parse_time(item.get("created_at")),
            extra=extra,
        )

    # -- sizes and locations --------------------------------------------------------

    @_listing
    def iter_sizes(self, location: NodeLocation | None = None) -> Iterator[NodeSize]:
        """Yield every droplet size.

        :param location: only the sizes offered in this region.
        :returns: a generator of the sizes; ``bandwidth`` is the monthly
            transfer in GiB, ``price`` the hourly price in US dollars.
        """
        for item in iter_pages(self._conn, "/sizes", "sizes", ident="slug"):
            if location is None or location.id in (item.get("regions") or []):
                yield self._to_size(item)

    @_listing
    def iter_locations(self) -> Iterator[NodeLocation]:
        """Yield every region.

        :returns: a generator of the locations.
        """
        for item in iter_pages(self._conn, "/regions", "regions", ident="slug"):
            slug = str(item.get("slug") or "")
            yield NodeLocation(
                id=slug,
                name=item.get("name"),
                country=_COUNTRIES.get(slug[:3]),
                driver=self,
                extra={
                    "available": item.get("available"),
                    "features": item.get("features") or [],
                    "sizes": item.get("sizes") or [],
                },
            )

    def _to_size(self, item: dict[str, Any]) -> NodeSize:
        transfer = item.get("transfer")
        price = item.get("price_hourly")
        return NodeSize(
            id=item.get("slug"),
            name=item.get("slug"),
            ram=item.get("memory"),
            disk=item.get("disk"),
            bandwidth=(
                round(transfer * 1024) if isinstance(transfer, (int, float)) else None
            ),
            price=float(price) if isinstance(price, (int, float)) else None,
            driver=self,
            extra=_pick(
                item,
                (
                    "vcpus",
                    "price_monthly",
                    "regions",
                    "available",
                    "description",
                ),
            ),
        )

    def _region_slug(self, location: NodeLocation | str | None) -> str | None:
        if isinstance(location, NodeLocation):
            return location.id
        if location is not None:
            return str(location)
        return self.region

    # -- volumes and snapshots ------------------------------------------------------

    @_listing
    def iter_volumes(self) -> Iterator[StorageVolume]:
        """Yield every block storage volume.

        :returns: a generator of the volumes; ``extra["droplet_ids"]`` names
            the droplets each is attached to.
        """
        for item in iter_pages(self._conn, "/volumes", "volumes"):
            yield self._to_volume(item)

    def create_volume(
        self,
        size: int,
        name: str,
        location: NodeLocation | str | None = None,
        snapshot: VolumeSnapshot | None = None,
        *,
        ex_description: str | None = None,
        ex_filesystem_type: str | None = None,
        ex_tags: Sequence[str] = (),
    ) -> StorageVolume:
        """Create a block storage volume, empty or from a snapshot.

        :param size: its size, in GiB.
        :param name: its name: lower-case letters, digits and ``-``.
        :param location: its region; the driver's region when ``None``.
        :param snapshot: a volume snapshot to fill it from.
        :param ex_description: a description.
        :param ex_filesystem_type: ``ext4`` or ``xfs`` to format it.
        :param ex_tags: tags to put on it.
        :returns: the new volume.
        :raises InvalidArgumentError: when no region is known and no snapshot
            is given.
        """
        body: dict[str, Any] = {"size_gigabytes": size, "name": name}
        region = self._region_slug(location)
        if region is None and snapshot is None:
            raise InvalidArgumentError(
                "create_volume() needs a location, or a region given to the driver",
                argument="location",
            )
        if region is not None:
            body["region"] = region
        if snapshot is not None:
            body["snapshot_id"] = snapshot.id
        if ex_description is not None:
            body["description"] = ex_description
        if ex_filesystem_type is not None:
            body["filesystem_type"] = ex_filesystem_type
        if ex_tags:
            body["tags"] = list(ex_tags)

        data = self._post("/volumes", body)
        return self._to_volume(self._member(data, "volume", "/volumes"))

    def attach_volume(
        self,
        node: Node,
        volume: StorageVolume,
        device: str | None = None,
        *,
        ex_wait: bool | None = None,
    ) -> bool:
        """Attach a volume to a droplet in its region.

        :param node: the node.
        :param volume: the volume.
        :param device: not taken: DigitalOcean names the device itself
            (``/dev/disk/by-id/scsi-0DO_Volume_<name>``).
        :param ex_wait: wait for the action to complete; the driver's
            ``ex_wait`` when ``None``.
        :returns: ``True``.
        :raises WaitFailedError: when the attachment errored.
        :raises WaitTimeoutError: when it did not complete in time.
        """
        if device is not None:
            log.debug("DigitalOcean names the device itself; ignoring %r", device)
        body = {"type": "attach", "droplet_id": _int_id(node.id)}
        region = volume.extra.get("region")
        if region:
            body["region"] = region
        path = f"/volumes/{volume.id}/actions"
        self._start_action(path, body, path, ex_wait)
        return True

    def detach_volume(
        self,
        volume: StorageVolume,
        *,
        ex_node: Node | None = None,
        ex_wait: bool | None = None,
    ) -> bool:
        """Detach a volume from the droplet it is attached to.

        :param volume: the volume, as listed (its ``extra["droplet_ids"]``).
        :param ex_node: the droplet to detach it from, when the volume object
            does not say.
        :param ex_wait: wait for the action to complete; the driver's
            ``ex_wait`` when ``None``.
        :returns: ``True``.
        :raises InvalidArgumentError: when the volume is attached to nothing.
        :raises WaitFailedError: when the detachment errored.
        :raises WaitTimeoutError: when it did not complete in time.
        """
        droplets = volume.extra.get("droplet_ids") or []
        if ex_node is not None:
            droplet: Any = _int_id(ex_node.id)
        elif droplets:
            droplet = droplets[0]
        else:
            raise InvalidArgumentError(
                f"volume {volume.id} is attached to no droplet; list the volumes"
                " again, or give ex_node=",
                argument="volume",
            )

        body = {"type": "detach", "droplet_id": droplet}
        region = volume.extra.get("region")
        if region:
            body["region"] = region
        path = f"/volumes/{volume.id}/actions"
        self._start_action(path, body, path, ex_wait)
        return True

    def destroy_volume(self, volume: StorageVolume) -> bool:
        """Destroy a volume; it must be detached.

        :param volume: the volume.
        :returns: ``True`` when DigitalOcean accepted it.
        """
        return self._delete(f"/volumes/{volume.id}")

    @_listing
    def iter_volume_snapshots(self, volume: StorageVolume) -> Iterator[VolumeSnapshot]:
        """Yield every snapshot of a volume.

        :param volume: the volume.
        :returns: a generator of the snapshots.
        """
        path = f"/volumes/{volume.id}/snapshots"
        for item in iter_pages(self._conn, path, "snapshots"):
            yield self._to_snapshot(item)

    def create_volume_snapshot(
        self,
        volume: StorageVolume,
        name: str | None = None,
        *,
        ex_tags: Sequence[str] = (),
    ) -> VolumeSnapshot:
        """Take a snapshot of a volume.

        :param volume: the volume.
        :param name: the snapshot's name; the volume's name and the time when
            ``None``.
        :param ex_tags: tags to put on it.
        :returns: the new snapshot.
        """
        if name is None:
            stamp = datetime.now().strftime("%Y%m%d%H%M%S")
            name = f"{volume.name or volume.id}-{stamp}"
        body: dict[str, Any] = {"name": name}
        if ex_tags:
            body["tags"] = list(ex_tags)

        path = f"/volumes/{volume.id}/snapshots"
        return self._to_snapshot(self._member(self._post(path, body), "snapshot", path))

    def destroy_volume_snapshot(self, snapshot: VolumeSnapshot) -> bool:
        """Destroy a volume snapshot.

        :param snapshot: the snapshot.
        :returns: ``True`` when DigitalOcean accepted it.
        """
        return self._delete(f"/volumes/snapshots/{snapshot.id}")

    def _to_volume(self, item: dict[str, Any]) -> StorageVolume:
        droplets = item.get("droplet_ids") or []
        region = item.get("region")
        extra = {
            "droplet_ids": list(droplets),
            "region": region.get("slug") if isinstance(region, dict) else region,
            "description": item.get("description"),
            "filesystem_type": item.get("filesystem_type"),
            "filesystem_label": item.get("filesystem_label"),
            "tags": item.get("tags") or [],
            "created_at": _parse_time(item.get("created_at")),
        }
        if droplets:
            extra["node_id"] = str(droplets[0])
        return StorageVolume(
            id=item.get("id"),
            name=item.get("name"),
            size=item.get("size_gigabytes"),
            driver=self,
            state=StorageVolumeState.INUSE
            if droplets
            else StorageVolumeState.AVAILABLE,
            extra=extra,
        )

    def _to_snapshot(self, item: dict[str, Any]) -> VolumeSnapshot:
        return VolumeSnapshot(
            id=item.get("id"),
            driver=self,
            size=item.get("min_disk_size"),
            extra={
                "volume_id": item.get("resource_id"),
                "resource_type": item.get("resource_type"),
                "regions": item.get("regions") or [],
                "size_gigabytes": item.get("size_gigabytes"),
                "tags": item.get("tags") or [],
            },
            created=_parse_time(item.get("created_at")),
            state=VolumeSnapshotState.AVAILABLE,
            name=item.get("name"),
        )

    # -- images ---------------------------------------------------------------------

    @_listing
    def iter_images(
        self,
        location: NodeLocation | None = None,
        *,
        ex_type: str | None = None,
        ex_private: bool | None = None,
    ) -> Iterator[NodeImage]:
        """Yield every image: DigitalOcean's distributions and applications, and
        the account's own snapshots and custom images.

        :param location: only the images available in this region.
        :param ex_type: only ``distribution`` or ``application`` images.
        :param ex_private: ``True`` for the account's own images only.
        :returns: a generator of the images.
        """
        params: dict[str, Any] = {}
        if ex_type is not None:
            params["type"] = ex_type
        if ex_private is not None:
            params["private"] = "true" if ex_private else "false"
        for item in iter_pages(self._conn, "/images", "images", params):
            if location is None or location.id in (item.get("regions") or []):
                yield self._to_image(item)

    def list_images(
        self,
        location: NodeLocation | None = None,
        *,
        ex_type: str | None = None,
        ex_private: bool | None = None,
    ) -> list[NodeImage]:
        """List every image; see :meth:`iter_images`.

        :param location: only the images available in this region.
        :param ex_type: only ``distribution`` or ``application`` images.
        :param ex_private: ``True`` for the account's own images only.
        :returns: the images.
        """
        return list(self.iter_images(location, ex_type=ex_type, ex_private=ex_private))

    def get_image(self, image_id: str) -> NodeImage:
        """Fetch one image by its id or slug.

        :param image_id: the image's id, or a public image's slug.
        :returns: the image.
        :raises NotFoundError: when there is no such image.
        """
        path = f"/images/{image_id}"
        return self._to_image(self._member(self._get(path), "image", path))

    def create_image(
        self,
        node: Node,
        name: str,
        description: str | None = None,
        *,
        ex_wait: bool | None = None,
    ) -> NodeImage:
        """Snapshot a droplet into an image, and wait for the snapshot.

        A running droplet is snapshotted live; power it off first for a
        consistent image.

        :param node: the node.
        :param name: the image's name.
        :param description: not taken by DigitalOcean's snapshot action.
        :param ex_wait: must not be ``False``: the image exists only once the
            snapshot completed.
        :returns: the new image.
        :raises InvalidArgumentError: for ``ex_wait=False``.
        :raises WaitFailedError: when the snapshot errored.
        :raises WaitTimeoutError: when it did not complete in time.
        :raises NotFoundError: when the snapshot completed but is not listed.
        """
        if ex_wait is False:
            raise InvalidArgumentError(
                "create_image() must wait for the snapshot; leave ex_wait unset",
                argument="ex_wait",
            )
        if description is not None:
            log.debug("DigitalOcean snapshots take no description; ignoring it")
        path = f"/droplets/{node.id}/actions"
        self._start_action(path, {"type": "snapshot", "name": name}, path, True)

        snapshots = f"/droplets/{node.id}/snapshots"
        found = [
            item
            for item in iter_pages(self._conn, snapshots, "snapshots")
            if item.get("name") == name
        ]
        if not found:
            raise NotFoundError(
                f"the snapshot {name!r} of droplet {node.id} completed but is not"
                " listed; list the images again shortly",
                provider=self.type,
            )
        newest = max(found, key=lambda item: str(item.get("created_at") or ""))
        return self._to_image(newest)

    def delete_image(self, node_image: NodeImage) -> bool:
        """Delete one of the account's own images.

        :param node_image: the image.
        :returns: ``True`` when DigitalOcean accepted it.
        """
        return self._delete(f"/images/{node_image.id}")

    def copy_image(
        self,
        source_region: str,
        node_image: NodeImage,
        name: str,
        description: str | None = None,
        *,
        ex_region: str | None = None,
        ex_wait: bool | None = None,
    ) -> NodeImage:
        """Make one of the account's images available in another region, by a
        transfer action.

        DigitalOcean keeps one image in many regions: the copy is the same image
        (same id) with one more region. When ``name`` or ``description`` differ
        from the image's, the image is renamed to match.

        :param source_region: the region the image is in now (not sent: the
            image knows).
        :param node_image: the image.
        :param name: the image's name afterwards.
        :param description: the image's description afterwards.
        :param ex_region: the region to copy to; the driver's region when
            ``None``.
        :param ex_wait: wait for the action to complete; the driver's
            ``ex_wait`` when ``None``.
        :returns: the image, read again.
        :raises InvalidArgumentError: when no target region is known.
        :raises WaitFailedError: when the transfer errored.
        :raises WaitTimeoutError: when it did not complete in time.
        """
        region = ex_region or self.region
        if region is None:
            raise InvalidArgumentError(
                "copy_image() needs a target region: give ex_region=, or a region"
                " to the driver",
                argument="ex_region",
            )
        log.debug(
            "copying image %s from %s to %s", node_image.id, source_region, region
        )
        path = f"/images/{node_image.id}/actions"
        self._start_action(path, {"type": "transfer", "region": region}, path, ex_wait)

        changes: dict[str, Any] = {}
        if name and name != node_image.name:
            changes["name"] = name
        if description is not None and description != node_image.extra.get(
            "description"
        ):
            changes["description"] = description
        if changes:
            image_path = f"/images/{node_image.id}"
            data = self._conn.request(image_path, data=changes, method="PUT").object
            return self._to_image(self._member(data, "image", image_path))
        return self.get_image(node_image.id)

    def _to_image(self, item: dict[str, Any]) -> NodeImage:
        extra = _pick(
            item,
            (
                "slug",
                "distribution",
                "public",
                "regions",
                "type",
                "min_disk_size",
                "size_gigabytes",
                "description",
                "tags",
                "status",
                "error_message",
            ),
        )
        extra["created_at"] = _parse_time(item.get("created_at"))
        return NodeImage(
            id=item.get("id"), name=item.get("name"), driver=self, extra=extra
        )

    @staticmethod
    def _image_ref(image: NodeImage | str | int) -> str | int:
        if isinstance(image, NodeImage):
            slug = image.extra.get("slug")
            return str(slug) if slug else _int_id(image.id)
        if isinstance(image, int):
            return image
        return _int_id(image) if str(image).isdigit() else str(image)

    # -- key pairs ------------------------------------------------------------------

    @_listing
    def iter_key_pairs(self) -> Iterator[KeyPair]:
        """Yield every SSH key of the account.

        :returns: a generator of the key pairs; ``extra["id"]`` is
            DigitalOcean's id, the fingerprint is the MD5 one DigitalOcean uses.
        """
        for item in iter_pages(self._conn, "/account/keys", "ssh_keys"):
            yield self._to_key_pair(item)

    def get_key_pair(self, name: str) -> KeyPair:
        """Fetch one SSH key by its name.

        DigitalOcean looks keys up by id or fingerprint; a name is found by
        listing them.

        :param name: the key's name.
        :returns: the key pair.
        :raises NotFoundError: when no key has that name.
        """
        for key_pair in self.iter_key_pairs():
            if key_pair.name == name:
                return key_pair
        raise NotFoundError(
            f"the account has no SSH key named {name!r}; list_key_pairs() shows the"
            " names it has",
            provider=self.type,
        )

    def ex_get_key_pair_by_id(self, key_id: str | int) -> KeyPair:
        """Fetch one SSH key by its id or its fingerprint.

        :param key_id: the key's id, or its fingerprint.
        :returns: the key pair.
        :raises NotFoundError: when there is no such key.
        """
        path = f"/account/keys/{key_id}"
        return self._to_key_pair(self._member(self._get(path), "ssh_key", path))

    def create_key_pair(self, name: str) -> KeyPair:
        """Make an Ed25519 key pair here and give DigitalOcean its public key;
        DigitalOcean does not make keys itself.

        :param name: the key's name.
        :returns: the key pair, with its private key (OpenSSH format): keep it,
            it is not stored anywhere.
        """
        private = ed25519.Ed25519PrivateKey.generate()
        public_key = (
            private.public_key()
            .public_bytes(
                serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
            )
            .decode()
        )
        private_key = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        ).decode()

        key_pair = self.import_key_pair_from_string(name, public_key)
        key_pair.private_key = private_key
        return key_pair

    def import_key_pair_from_string(self, name: str, key_material: str) -> KeyPair:
        """Give DigitalOcean an SSH public key of yours.

        :param name: the key's name.
        :param key_material: the public key, in OpenSSH format.
        :returns: the key pair.
        :raises InvalidArgumentError: when the key is not an OpenSSH public key.
        """
        public_key = key_material.strip()
        ssh_fingerprint(public_key)
        data = self._post("/account/keys", {"name": name, "public_key": public_key})
        return self._to_key_pair(self._member(data, "ssh_key", "/account/keys"))

    def delete_key_pair(self, key_pair: KeyPair) -> bool:
        """Delete an SSH key from the account.

        :param key_pair: the key pair, as listed or imported.
        :returns: ``True`` when DigitalOcean accepted it.
        """
        key_id = key_pair.extra.get("id") or key_pair.fingerprint or key_pair.id
        return self._delete(f"/account/keys/{key_id}")

    def _to_key_pair(self, item: dict[str, Any]) -> KeyPair:
        public_key = item.get("public_key")
        fingerprint = item.get("fingerprint")
        if not fingerprint and isinstance(public_key, str):
            try:
                fingerprint = ssh_fingerprint(public_key)
            except InvalidArgumentError:
                fingerprint = None
        return KeyPair(
            name=str(item.get("name") or item.get("id")),
            public_key=public_key,
            fingerprint=fingerprint,
            driver=self,
            extra={"id": item.get("id")},
            id=item.get("id"),
        )

    @staticmethod
    def _key_ref(key: KeyPair | str | int) -> str | int:
        if isinstance(key, KeyPair):
            key_id = key.extra.get("id")
            if isinstance(key_id, int):
                return key_id
            if key.fingerprint:
                return key.fingerprint
            return _int_id(key.id)
        if isinstance(key, int):
            return key
        return _int_id(key) if key.isdigit() else key


def _pick(item: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: item.get(key) for key in keys if key in item}


def _int_id(value: str | int) -> int | str:
    text = str(value)
    return int(text) if text.isdigit() else text
