"""The compute contract: :class:`NodeDriver`, what every compute provider offers.

A provider's driver subclasses :class:`NodeDriver` and overrides the methods its
provider can do. Every method it leaves alone raises
:class:`~nubo.errors.NotSupportedError` naming the provider and the method, and
:meth:`NodeDriver.supports` answers from the same facts, so a caller can ask
before calling.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar, NoReturn

from .._driver import BaseDriver
from ..errors import InvalidArgumentError, NotSupportedError
from . import _keys, _wait
from ._models import (
    KeyPair,
    Node,
    NodeAuthPassword,
    NodeAuthSSHKey,
    NodeImage,
    NodeLocation,
    NodeSize,
    StorageVolume,
    VolumeSnapshot,
)
from ._states import NodeState
from .deployment import Deployment, HostKeyPolicy

__all__ = ["NodeDriver"]

log = logging.getLogger(__name__)

#: Every method of the contract that a provider may or may not offer.
_CONTRACT_METHODS = (
    "list_nodes",
    "list_sizes",
    "list_locations",
    "create_node",
    "deploy_node",
    "reboot_node",
    "start_node",
    "stop_node",
    "destroy_node",
    "get_node",
    "list_volumes",
    "list_volume_snapshots",
    "create_volume",
    "create_volume_snapshot",
    "attach_volume",
    "detach_volume",
    "destroy_volume",
    "destroy_volume_snapshot",
    "list_images",
    "create_image",
    "delete_image",
    "get_image",
    "copy_image",
    "list_key_pairs",
    "get_key_pair",
    "create_key_pair",
    "import_key_pair_from_string",
    "import_key_pair_from_file",
    "delete_key_pair",
    "wait_until_running",
    "iter_nodes",
    "iter_sizes",
    "iter_locations",
    "iter_volumes",
    "iter_volume_snapshots",
    "iter_images",
    "iter_key_pairs",
)

#: Methods the base class implements on top of another one: each is offered when
#: the driver overrides it or any method it can be built on.
_BUILT_ON: Mapping[str, tuple[str, ...]] = {
    "import_key_pair_from_file": ("import_key_pair_from_string",),
    "wait_until_running": ("list_nodes", "iter_nodes"),
    "list_nodes": ("iter_nodes",),
    "iter_nodes": ("list_nodes",),
    "list_sizes": ("iter_sizes",),
    "iter_sizes": ("list_sizes",),
    "list_locations": ("iter_locations",),
    "iter_locations": ("list_locations",),
    "list_volumes": ("iter_volumes",),
    "iter_volumes": ("list_volumes",),
    "list_volume_snapshots": ("iter_volume_snapshots",),
    "iter_volume_snapshots": ("list_volume_snapshots",),
    "list_images": ("iter_images",),
    "iter_images": ("list_images",),
    "list_key_pairs": ("iter_key_pairs",),
    "iter_key_pairs": ("list_key_pairs",),
}

#: The kinds of authentication ``features["create_node"]`` may name.
_AUTH_FEATURES: Mapping[str, type[NodeAuthSSHKey | NodeAuthPassword]] = {
    "ssh_key": NodeAuthSSHKey,
    "password": NodeAuthPassword,
}


class NodeDriver(BaseDriver):
    """The base of every compute provider's driver.

    A list method returns every item, across every page the provider splits them
    into. A driver whose provider pages may also offer the matching ``iter_*``
    generator, which holds one page at a time; the base class builds each of the
    two from the other, so a driver overrides whichever suits it.

    :param key: the provider's key, access key id or token.
    :param secret: the provider's secret, when it has one.
    :param secure: talk HTTPS (the default) or, when ``False``, plain HTTP.
    :param host: the host to talk to instead of the provider's own.
    :param port: the port to talk to instead of the provider's default.
    :param api_version: the provider API version, where a provider has several.
    :param region: the provider region, where the provider has regions.
    :param kwargs: settings for the connection (``timeout``, ``retry``, ...) and
        the provider's own ``ex_`` settings.
    """

    #: The port the provider listens on, when it is not the one ``secure``
    #: implies; a port given to the constructor takes its place.
    port: int | None = None

    #: What the provider's methods accept, beyond their signatures. For
    #: ``create_node``, the kinds of ``auth`` it takes: ``ssh_key``
    #: (:class:`NodeAuthSSHKey`) and ``password`` (:class:`NodeAuthPassword`).
    features: ClassVar[dict[str, list[str]]] = {"create_node": []}

    def __init__(
        self,
        key: str | None,
        secret: str | None = None,
        secure: bool = True,
        host: str | None = None,
        port: int | None = None,
        api_version: str | None = None,
        region: str | None = None,
        **kwargs: Any,
    ) -> None:
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
        if self.port is None:
            self.port = type(self).port

    # -- capabilities ---------------------------------------------------------------

    @classmethod
    def supports(cls, method: str) -> bool:
        """Say whether this driver offers a method, before calling it.

        The answer comes from the driver class itself: a contract method is
        offered when the class overrides it, or, for a method the base class
        builds on another (``import_key_pair_from_file`` on
        ``import_key_pair_from_string``, a list method on its ``iter_*``
        generator), when it overrides that one; ``deploy_node`` is offered
        with ``create_node`` and ``wait_until_running``. An ``ex_`` method is
        offered when the class has it.

        :param method: the method's name, such as ``"create_volume"``.
        :returns: ``True`` when calling the method will not raise
            :class:`~nubo.errors.NotSupportedError`.
        :raises InvalidArgumentError: for a name that is neither a contract
            method nor an ``ex_`` method, which is most likely a typo.
        """
        if method.startswith("ex_"):
            return callable(getattr(cls, method, None))

        if method not in _CONTRACT_METHODS:
            raise InvalidArgumentError(
                f"{method!r} is not a compute method; ask about one of "
                f"{', '.join(sorted(_CONTRACT_METHODS))}, or an ex_ method",
                argument="method",
            )

        if method == "deploy_node":
            return cls._overrides(method) or (
                cls._overrides("create_node") and cls.supports("wait_until_running")
            )
        return cls._overrides(method) or any(
            cls._overrides(base) for base in _BUILT_ON.get(method, ())
        )

    @classmethod
    def _overrides(cls, method: str) -> bool:
        return getattr(cls, method) is not getattr(NodeDriver, method)

    def _not_supported(self, method: str) -> NoReturn:
        raise NotSupportedError(
            provider=self.type or type(self).__name__, method=method
        )

    def _check_auth(self, auth: object) -> None:
        """Refuse an ``auth`` that ``features["create_node"]`` does not list.

        :param auth: the ``auth`` argument of :meth:`create_node`.
        :raises InvalidArgumentError: for an auth kind the provider does not take.
        """
        if auth is None:
            return

        offered = self.features.get("create_node", [])
        for kind, cls in _AUTH_FEATURES.items():
            if isinstance(auth, cls):
                if kind in offered:
                    return
                raise InvalidArgumentError(
                    f"the {self.type} provider does not take {cls.__name__} "
                    f"auth; it takes: {', '.join(offered) or 'none'}",
                    argument="auth",
                )

        raise InvalidArgumentError(
            "auth must be a NodeAuthSSHKey or a NodeAuthPassword, not "
            f"{type(auth).__name__}",
            argument="auth",
        )

    def _node_state(
        self, raw: object, mapping: Mapping[Any, NodeState], extra: dict[str, Any]
    ) -> NodeState:
        """Map a provider's raw node state, keeping it in ``extra["raw_state"]``.

        :param raw: the state as the provider reported it.
        :param mapping: the driver's mapping from raw states to members.
        :param extra: the node's ``extra``.
        :returns: the mapped state, or ``UNKNOWN``.
        """
        return NodeState.from_raw(raw, mapping, extra)

    # -- nodes ----------------------------------------------------------------------

    def list_nodes(self) -> list[Node]:
        """List every node, across every page.

        :returns: the nodes.
        :raises NotSupportedError: when the provider cannot list nodes.
        """
        if type(self)._overrides("iter_nodes"):
            return list(self.iter_nodes())
        self._not_supported("list_nodes")

    def iter_nodes(self) -> Iterator[Node]:
        """Yield every node, holding one page of them at a time.

        :returns: a generator of the nodes.
        :raises NotSupportedError: when the provider cannot list nodes.
        """
        if not type(self)._overrides("list_nodes"):
            self._not_supported("iter_nodes")
        yield from self.list_nodes()

    def get_node(self, node_id: str) -> Node:
        """Fetch one node by its id.

        :param node_id: the provider's id for the node.
        :returns: the node, freshly read.
        :raises NotFoundError: when there is no such node.
        :raises NotSupportedError: when the provider cannot do this.
        """
        self._not_supported("get_node")

    def create_node(
        self,
        name: str,
        size: NodeSize,
        image: NodeImage,
        location: NodeLocation | None = None,
        auth: NodeAuthSSHKey | NodeAuthPassword | None = None,
        **kwargs: Any,
    ) -> Node:
        """Create a node. It usually starts out pending; see
        :meth:`wait_until_running`.

        :param name: the node's name.
        :param size: the size to make it with, from :meth:`list_sizes`.
        :param image: the image to boot, from :meth:`list_images`.
        :param location: where to make it; the provider's default when ``None``.
        :param auth: how to log in to it; ``features["create_node"]`` says which
            kinds the provider takes.
        :param kwargs: the provider's own ``ex_`` arguments.
        :returns: the new node.
        :raises NotSupportedError: when the provider cannot do this.
        """
        self._not_supported("create_node")

    def deploy_node(
        self,
        deploy: Deployment,
        ssh_username: str = "root",
        ssh_alternate_usernames: Sequence[str] | None = None,
        ssh_port: int = 22,
        ssh_timeout: float = 10,
        ssh_key: str | os.PathLike[str] | None = None,
        ssh_key_password: str | None = None,
        auth: NodeAuthSSHKey | NodeAuthPassword | None = None,
        timeout: float = 600,
        max_tries: int = 3,
        ssh_interface: str = "public_ips",
        wait_period: float = 5,
        *,
        host_key_policy: HostKeyPolicy | str = "accept-first",
        ex_destroy_on_failure: bool = False,
        **create_node_kwargs: Any,
    ) -> Node:
        """Create a node, wait for it to run, log in over SSH and deploy it.

        Every argument is checked before the node is made, and so is paramiko
        (the ``ssh`` extra). Connecting is tried again every ``wait_period``
        seconds while the node's SSH server is not up, until ``timeout`` seconds
        after the call began; a refused login moves on to the next user name
        and is not tried again. A deployment that fails is tried again, on a
        new connection, up to ``max_tries`` tries in all.

        :param deploy: what to do on the node: a step from
            :mod:`nubo.compute.deployment`.
        :param ssh_username: the user to log in as.
        :param ssh_alternate_usernames: users to try in turn when the login as
            ``ssh_username`` is refused.
        :param ssh_port: the node's SSH port.
        :param ssh_timeout: seconds for each attempt to connect and log in.
        :param ssh_key: the private key to log in with: a file's path or the key
            itself. With neither it nor a password in ``auth``, the SSH agent and
            the keys in ``~/.ssh`` are tried.
        :param ssh_key_password: the passphrase of ``ssh_key``.
        :param auth: handed to :meth:`create_node`; a password in it is also
            used to log in.
        :param timeout: seconds for the node to run and its SSH server to answer.
        :param max_tries: how many times the deployment is tried in all.
        :param ssh_interface: the addresses to connect to: ``"public_ips"`` or
            ``"private_ips"``; the first one is used.
        :param wait_period: seconds between two looks at the node, and between
            two attempts to connect.
        :param host_key_policy: which host key to trust: ``"accept-first"``
            (:class:`~nubo.compute.deployment.AcceptFirstHostKeyPolicy`),
            ``"strict"`` (:class:`~nubo.compute.deployment.KnownHostsPolicy`
            on ``~/.ssh/known_hosts``) or a policy object. The key accepted is
            recorded in ``extra["ssh_host_key_type"]`` and
            ``extra["ssh_host_key_fingerprint"]``.
        :param ex_destroy_on_failure: destroy the node when its deployment
            fails.
        :param create_node_kwargs: the arguments of :meth:`create_node`:
            ``name``, ``size``, ``image``, ``location`` and the provider's own.
        :returns: the node, fresh, with the host key and the user logged in as
            (``extra["ssh_username"]``) in ``extra``.
        :raises InvalidArgumentError: for a bad argument, before anything is made.
        :raises NotSupportedError: when the provider cannot create or wait for
            nodes.
        :raises DeploymentError: when paramiko is missing, before anything is
            made; or when waiting, connecting or a step failed once the node
            existed: ``error.node`` is its id, and the message says whether it
            was destroyed.
        """
        from . import _deploy

        return _deploy.deploy_node(
            self,
            deploy,
            ssh_username=ssh_username,
            ssh_alternate_usernames=ssh_alternate_usernames,
            ssh_port=ssh_port,
            ssh_timeout=ssh_timeout,
            ssh_key=ssh_key,
            ssh_key_password=ssh_key_password,
            auth=auth,
            timeout=timeout,
            max_tries=max_tries,
            ssh_interface=ssh_interface,
            wait_period=wait_period,
            host_key_policy=host_key_policy,
            ex_destroy_on_failure=ex_destroy_on_failure,
            create_node_kwargs=create_node_kwargs,
        )

    def reboot_node(self, node: Node) -> bool:
        """Reboot a node.

        :param node: the node.
        :returns: ``True`` when the provider accepted the reboot.
        :raises NotSupportedError: when the provider cannot do this.
        """
        self._not_supported("reboot_node")

    def start_node(self, node: Node) -> bool:
        """Start a stopped node.

        :param node: the node.
        :returns: ``True`` when the provider accepted the start.
        :raises NotSupportedError: when the provider cannot do this.
        """
        self._not_supported("start_node")

    def stop_node(self, node: Node) -> bool:
        """Stop a running node, keeping its disks.

        :param node: the node.
        :returns: ``True`` when the provider accepted the stop.
        :raises NotSupportedError: when the provider cannot do this.
        """
        self._not_supported("stop_node")

    def destroy_node(self, node: Node) -> bool:
        """Destroy a node for good.

        :param node: the node.
        :returns: ``True`` when the provider accepted the destruction.
        :raises NotSupportedError: when the provider cannot do this.
        """
        self._not_supported("destroy_node")

    def wait_until_running(
        self,
        nodes: Sequence[Node],
        wait_period: float = 5,
        timeout: float = 600,
        ssh_interface: str = "public_ips",
        force_ipv4: bool = True,
        ex_list_nodes_kwargs: Mapping[str, Any] | None = None,
        *,
        progress: _wait.ProgressCallback | None = None,
    ) -> list[tuple[Node, list[str]]]:
        """Wait until every node is running and has an address to reach it on.

        Each round lists the nodes afresh (``list_nodes(**ex_list_nodes_kwargs)``)
        and sleeps ``wait_period`` seconds, on a monotonic clock, until all are
        ready or ``timeout`` seconds have passed. A node that is terminated, in
        error, or no longer listed ends the wait at once.

        :param nodes: the nodes to wait for.
        :param wait_period: seconds between two rounds.
        :param timeout: seconds to wait in all.
        :param ssh_interface: which addresses count: ``"public_ips"`` or
            ``"private_ips"``.
        :param force_ipv4: count IPv4 addresses only; with ``False``, IPv6 ones
            count too.
        :param ex_list_nodes_kwargs: keyword arguments for ``list_nodes``.
        :param progress: called after each round as ``progress(ready, pending,
            elapsed)``: the fresh nodes ready so far, the fresh nodes still
            awaited, and the seconds waited.
        :returns: ``(node, addresses)`` for each node, in the order given: the
            fresh node and its addresses on ``ssh_interface``, each once.
        :raises InvalidArgumentError: at once, for a bad ``ssh_interface``,
            ``wait_period``, ``timeout`` or ``nodes``.
        :raises WaitFailedError: when a node is terminated, in error or gone.
        :raises WaitTimeoutError: when the timeout passes first; it names each
            node not ready and the state it was last seen in.
        """
        wanted = _wait.check_wait_arguments(nodes, wait_period, timeout, ssh_interface)
        if not self.supports("wait_until_running"):
            self._not_supported("wait_until_running")

        return _wait.wait_for_nodes(
            self,
            wanted,
            wait_period=wait_period,
            timeout=timeout,
            ssh_interface=ssh_interface,
            force_ipv4=force_ipv4,
            list_nodes_kwargs=ex_list_nodes_kwargs,
            progress=progress,
            clock=self._clock,
            sleep=self._sleep,
        )

    def _clock(self) -> float:
        return time.monotonic()

    def _sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    # -- sizes and locations --------------------------------------------------------

    def list_sizes(self, location: NodeLocation | None = None) -> list[NodeSize]:
        """List every size a node can be made with.

        :param location: only the sizes offered there; all of them when ``None``.
        :returns: the sizes.
        :raises NotSupportedError: when the provider cannot do this.
        """
        if type(self)._overrides("iter_sizes"):
            return list(self.iter_sizes(location))
        self._not_supported("list_sizes")

    def iter_sizes(self, location: NodeLocation | None = None) -> Iterator[NodeSize]:
        """Yield every size, holding one page of them at a time.

        :param location: only the sizes offered there; all of them when ``None``.
        :returns: a generator of the sizes.
        :raises NotSupportedError: when the provider cannot do this.
        """
        if not type(self)._overrides("list_sizes"):
            self._not_supported("iter_sizes")
        yield from self.list_sizes(location)

    def list_locations(self) -> list[NodeLocation]:
        """List every location a node can be made in.

        :returns: the locations.
        :raises NotSupportedError: when the provider cannot do this.
        """
        if type(self)._overrides("iter_locations"):
            return list(self.iter_locations())
        self._not_supported("list_locations")

    def iter_locations(self) -> Iterator[NodeLocation]:
        """Yield every location, holding one page of them at a time.

        :returns: a generator of the locations.
        :raises NotSupportedError: when the provider cannot do this.
        """
        if not type(self)._overrides("list_locations"):
            self._not_supported("iter_locations")
        yield from self.list_locations()

    # -- volumes and snapshots ------------------------------------------------------

    def list_volumes(self) -> list[StorageVolume]:
        """List every storage volume.

        :returns: the volumes.
        :raises NotSupportedError: when the provider cannot do this.
        """
        if type(self)._overrides("iter_volumes"):
            return list(self.iter_volumes())
        self._not_supported("list_volumes")

    def iter_volumes(self) -> Iterator[StorageVolume]:
        """Yield every storage volume, holding one page of them at a time.

        :returns: a generator of the volumes.
        :raises NotSupportedError: when the provider cannot do this.
        """
        if not type(self)._overrides("list_volumes"):
            self._not_supported("iter_volumes")
        yield from self.list_volumes()

    def create_volume(
        self,
        size: int,
        name: str,
        location: NodeLocation | None = None,
        snapshot: VolumeSnapshot | None = None,
    ) -> StorageVolume:
        """Create a storage volume, empty or from a snapshot.

        :param size: its size, in GiB.
        :param name: its name.
        :param location: where to make it; the provider's default when ``None``.
        :param snapshot: the snapshot to fill it from.
        :returns: the new volume.
        :raises NotSupportedError: when the provider cannot do this.
        """
        self._not_supported("create_volume")

    def attach_volume(
        self, node: Node, volume: StorageVolume, device: str | None = None
    ) -> bool:
        """Attach a volume to a node.

        :param node: the node.
        :param volume: the volume.
        :param device: the device name on the node, when the provider takes one.
        :returns: ``True`` when the provider accepted the attachment.
        :raises NotSupportedError: when the provider cannot do this.
        """
        self._not_supported("attach_volume")

    def detach_volume(self, volume: StorageVolume) -> bool:
        """Detach a volume from the node it is attached to.

        :param volume: the volume.
        :returns: ``True`` when the provider accepted the detachment.
        :raises NotSupportedError: when the provider cannot do this.
        """
        self._not_supported("detach_volume")

    def destroy_volume(self, volume: StorageVolume) -> bool:
        """Destroy a volume and its data.

        :param volume: the volume.
        :returns: ``True`` when the provider accepted the destruction.
        :raises NotSupportedError: when the provider cannot do this.
        """
        self._not_supported("destroy_volume")

    def list_volume_snapshots(self, volume: StorageVolume) -> list[VolumeSnapshot]:
        """List every snapshot of a volume.

        :param volume: the volume.
        :returns: the snapshots.
        :raises NotSupportedError: when the provider cannot do this.
        """
        if type(self)._overrides("iter_volume_snapshots"):
            return list(self.iter_volume_snapshots(volume))
        self._not_supported("list_volume_snapshots")

    def iter_volume_snapshots(self, volume: StorageVolume) -> Iterator[VolumeSnapshot]:
        """Yield every snapshot of a volume, holding one page at a time.

        :param volume: the volume.
        :returns: a generator of the snapshots.
        :raises NotSupportedError: when the provider cannot do this.
        """
        if not type(self)._overrides("list_volume_snapshots"):
            self._not_supported("iter_volume_snapshots")
        yield from self.list_volume_snapshots(volume)

    def create_volume_snapshot(
        self, volume: StorageVolume, name: str | None = None
    ) -> VolumeSnapshot:
        """Take a snapshot of a volume.

        :param volume: the volume.
        :param name: the snapshot's name.
        :returns: the new snapshot.
        :raises NotSupportedError: when the provider cannot do this.
        """
        self._not_supported("create_volume_snapshot")

    def destroy_volume_snapshot(self, snapshot: VolumeSnapshot) -> bool:
        """Destroy a snapshot.

        :param snapshot: the snapshot.
        :returns: ``True`` when the provider accepted the destruction.
        :raises NotSupportedError: when the provider cannot do this.
        """
        self._not_supported("destroy_volume_snapshot")

    # -- images ---------------------------------------------------------------------

    def list_images(self, location: NodeLocation | None = None) -> list[NodeImage]:
        """List every image a node can boot from.

        :param location: only the images offered there; all when ``None``.
        :returns: the images.
        :raises NotSupportedError: when the provider cannot do this.
        """
        if type(self)._overrides("iter_images"):
            return list(self.iter_images(location))
        self._not_supported("list_images")

    def iter_images(self, location: NodeLocation | None = None) -> Iterator[NodeImage]:
        """Yield every image, holding one page of them at a time.

        :param location: only the images offered there; all when ``None``.
        :returns: a generator of the images.
        :raises NotSupportedError: when the provider cannot do this.
        """
        if not type(self)._overrides("list_images"):
            self._not_supported("iter_images")
        yield from self.list_images(location)

    def get_image(self, image_id: str) -> NodeImage:
        """Fetch one image by its id.

        :param image_id: the provider's id for the image.
        :returns: the image.
        :raises NotFoundError: when there is no such image.
        :raises NotSupportedError: when the provider cannot do this.
        """
        self._not_supported("get_image")

    def create_image(
        self, node: Node, name: str, description: str | None = None
    ) -> NodeImage:
        """Make an image from a node's disk.

        :param node: the node.
        :param name: the image's name.
        :param description: a description of the image.
        :returns: the new image.
        :raises NotSupportedError: when the provider cannot do this.
        """
        self._not_supported("create_image")

    def delete_image(self, node_image: NodeImage) -> bool:
        """Delete an image that the account owns.

        :param node_image: the image.
        :returns: ``True`` when the provider accepted the deletion.
        :raises NotSupportedError: when the provider cannot do this.
        """
        self._not_supported("delete_image")

    def copy_image(
        self,
        source_region: str,
        node_image: NodeImage,
        name: str,
        description: str | None = None,
    ) -> NodeImage:
        """Copy an image from another region into the driver's region.

        :param source_region: the region the image is in.
        :param node_image: the image.
        :param name: the copy's name.
        :param description: a description of the copy.
        :returns: the copy.
        :raises NotSupportedError: when the provider cannot do this.
        """
        self._not_supported("copy_image")

    # -- key pairs ------------------------------------------------------------------

    def list_key_pairs(self) -> list[KeyPair]:
        """List every key pair the provider keeps for the account.

        :returns: the key pairs, without private keys.
        :raises NotSupportedError: when the provider cannot do this.
        """
        if type(self)._overrides("iter_key_pairs"):
            return list(self.iter_key_pairs())
        self._not_supported("list_key_pairs")

    def iter_key_pairs(self) -> Iterator[KeyPair]:
        """Yield every key pair, holding one page of them at a time.

        :returns: a generator of the key pairs.
        :raises NotSupportedError: when the provider cannot do this.
        """
        if not type(self)._overrides("list_key_pairs"):
            self._not_supported("iter_key_pairs")
        yield from self.list_key_pairs()

    def get_key_pair(self, name: str) -> KeyPair:
        """Fetch one key pair by its name.

        :param name: the key pair's name.
        :returns: the key pair, without its private key.
        :raises NotFoundError: when there is no such key pair.
        :raises NotSupportedError: when the provider cannot do this.
        """
        self._not_supported("get_key_pair")

    def create_key_pair(self, name: str) -> KeyPair:
        """Have the provider make a new key pair.

        :param name: the key pair's name.
        :returns: the key pair, with its private key: the only time it is known,
            so keep it.
        :raises NotSupportedError: when the provider cannot do this.
        """
        self._not_supported("create_key_pair")

    def import_key_pair_from_string(self, name: str, key_material: str) -> KeyPair:
        """Give the provider a public key of yours.

        :param name: the key pair's name.
        :param key_material: the public key, in OpenSSH format.
        :returns: the key pair.
        :raises NotSupportedError: when the provider cannot do this.
        """
        self._not_supported("import_key_pair_from_string")

    def import_key_pair_from_file(
        self, name: str, key_file_path: str | os.PathLike[str]
    ) -> KeyPair:
        """Give the provider the public key in a file; ``~`` is expanded.

        The file is read and checked here, then handed to
        :meth:`import_key_pair_from_string`.

        :param name: the key pair's name.
        :param key_file_path: the path of the public key file (the ``.pub``).
        :returns: the key pair.
        :raises InvalidArgumentError: when the file is missing, a directory,
            unreadable, empty, binary, a private key, or not a public key.
        :raises NotSupportedError: when the provider cannot import keys.
        """
        if not self.supports("import_key_pair_from_file"):
            self._not_supported("import_key_pair_from_file")

        key_material = _keys.read_public_key_file(key_file_path)
        return self.import_key_pair_from_string(name, key_material)

    def delete_key_pair(self, key_pair: KeyPair) -> bool:
        """Delete a key pair from the provider.

        :param key_pair: the key pair.
        :returns: ``True`` when the provider accepted the deletion.
        :raises NotSupportedError: when the provider cannot do this.
        """
        self._not_supported("delete_key_pair")
