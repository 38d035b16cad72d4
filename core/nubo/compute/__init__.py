"""Compute: drive nodes, sizes, images, locations, volumes, snapshots and key pairs.

:class:`NodeDriver` is the contract every compute provider implements; the
models are what its methods hand back; the state enums are how every provider's
states read. :func:`get_driver` finds an installed provider's driver class.
"""

from __future__ import annotations

import logging

from ._base import NodeDriver
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
from ._states import NodeState, StorageVolumeState, VolumeSnapshotState

__all__ = [
    "KeyPair",
    "Node",
    "NodeAuthPassword",
    "NodeAuthSSHKey",
    "NodeDriver",
    "NodeImage",
    "NodeLocation",
    "NodeSize",
    "NodeState",
    "StorageVolume",
    "StorageVolumeState",
    "VolumeSnapshot",
    "VolumeSnapshotState",
    "get_driver",
]

log = logging.getLogger(__name__)


def get_driver(provider: str) -> type[NodeDriver]:
    """Return the driver class of an installed compute provider.

    The same as ``nubo.get_driver(provider, family="compute")``, and checked to
    be a :class:`NodeDriver`::

        Driver = nubo.compute.get_driver("dummy")
        driver = Driver()

    :param provider: the provider id, such as ``"ec2"`` or ``"dummy"``.
    :returns: the provider's driver class; instantiate it with credentials.
    :raises ProviderNotFoundError: when no installed provider has that id.
    :raises ProviderLoadError: when the provider's driver cannot be loaded, or is
        not a compute driver.
    """
    # Imported on first use, so that importing nubo.compute looks up nothing.
    from .._registry import get_driver as lookup
    from ..errors import ProviderLoadError

    found = lookup(provider, family="compute")

    if not (isinstance(found, type) and issubclass(found, NodeDriver)):
        raise ProviderLoadError(
            f"the {provider} provider's compute driver is {found!r}, which is not "
            "a nubo.compute.NodeDriver subclass; report it to the provider's "
            "distribution",
            provider=provider,
            family="compute",
        )
    return found
