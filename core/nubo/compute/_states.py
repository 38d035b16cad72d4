"""The states a node, a volume or a snapshot can be in, across providers.

Every provider names its states its own way (``shutting-down``, ``active``,
``in-use``); a driver maps them onto these enums with :meth:`from_raw`, so that a
script written against one provider reads the states of another. A raw state the
driver has no mapping for becomes ``unknown``; the raw value is kept in the
model's ``extra`` under ``raw_state``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, MutableMapping
from enum import Enum
from typing import Any, TypeVar

__all__ = ["NodeState", "StorageVolumeState", "VolumeSnapshotState"]

log = logging.getLogger(__name__)

_S = TypeVar("_S", bound="_State")


class _State(str, Enum):
    """A state whose value is a lower-case string; the base of the state enums."""

    def __str__(self) -> str:
        return str(self.value)

    @classmethod
    def from_raw(
        cls: type[_S],
        raw: object,
        mapping: Mapping[Any, _S],
        extra: MutableMapping[str, Any] | None = None,
    ) -> _S:
        """Map a provider's raw state onto this enum.

        The raw value is looked up as it is, then as a lower-case string. Anything
        the mapping does not know, including ``None`` or a value that cannot be
        looked up at all, becomes ``UNKNOWN``: this never raises.

        :param raw: the state as the provider reported it.
        :param mapping: the driver's mapping from raw states to members.
        :param extra: the model's ``extra``; when given, the raw value is stored
            in it under ``raw_state``.
        :returns: the mapped member, or ``UNKNOWN``.
        """
        if extra is not None:
            extra["raw_state"] = raw

        for candidate in (raw, str(raw).lower()):
            try:
                found = mapping.get(candidate)
            except TypeError:
                # An unhashable raw value (a dict, a list) has no mapping.
                found = None
            if found is not None:
                return found

        log.debug("no %s mapping for raw state %r", cls.__name__, raw)
        return cls("unknown")

    @classmethod
    def coerce(
        cls: type[_S], value: object, extra: MutableMapping[str, Any] | None = None
    ) -> _S:
        """Turn a member or its string value into a member.

        A string that names no member becomes ``UNKNOWN``, with the string kept in
        ``extra`` under ``raw_state`` when ``extra`` is given.

        :param value: a member, or a string such as ``"running"``.
        :param extra: the model's ``extra``, to keep a value that names no member.
        :returns: the member.
        """
        if isinstance(value, cls):
            return value

        try:
            return cls(str(value).lower())
        except ValueError:
            if extra is not None:
                extra.setdefault("raw_state", value)
            return cls("unknown")


class NodeState(_State):
    """The state of a node, whatever the provider calls it."""

    #: Being created; not yet booted.
    PENDING = "pending"
    #: Booted and running.
    RUNNING = "running"
    #: Booting after a stop.
    STARTING = "starting"
    #: Restarting; it comes back running.
    REBOOTING = "rebooting"
    #: Shutting down; it ends stopped.
    STOPPING = "stopping"
    #: Shut down; it can be started again.
    STOPPED = "stopped"
    #: Suspended to disk by the provider or the user.
    SUSPENDED = "suspended"
    #: Paused in memory.
    PAUSED = "paused"
    #: Being moved to another host.
    MIGRATING = "migrating"
    #: Its size or settings are being changed.
    RECONFIGURING = "reconfiguring"
    #: Being updated by the provider (a rebuild, a restore).
    UPDATING = "updating"
    #: Being destroyed; it ends terminated.
    TERMINATING = "terminating"
    #: Destroyed. It may stay listed for a while, but never runs again.
    TERMINATED = "terminated"
    #: Failed; the provider cannot run it.
    ERROR = "error"
    #: A state the driver has no mapping for; see ``extra["raw_state"]``.
    UNKNOWN = "unknown"


class StorageVolumeState(_State):
    """The state of a storage volume, whatever the provider calls it."""

    #: Being created.
    CREATING = "creating"
    #: Ready and attached to nothing.
    AVAILABLE = "available"
    #: Being attached to a node.
    ATTACHING = "attaching"
    #: Attached to a node.
    INUSE = "inuse"
    #: Being detached from a node.
    DETACHING = "detaching"
    #: A backup or snapshot of it is being taken.
    BACKUP = "backup"
    #: Being moved.
    MIGRATING = "migrating"
    #: Being resized or otherwise changed.
    UPDATING = "updating"
    #: Being destroyed.
    DELETING = "deleting"
    #: Destroyed.
    DELETED = "deleted"
    #: Failed.
    ERROR = "error"
    #: A state the driver has no mapping for; see ``extra["raw_state"]``.
    UNKNOWN = "unknown"


class VolumeSnapshotState(_State):
    """The state of a volume snapshot, whatever the provider calls it."""

    #: Being taken.
    CREATING = "creating"
    #: Complete and usable.
    AVAILABLE = "available"
    #: A volume is being restored from it.
    RESTORING = "restoring"
    #: Being changed.
    UPDATING = "updating"
    #: Being destroyed.
    DELETING = "deleting"
    #: Failed.
    ERROR = "error"
    #: A state the driver has no mapping for; see ``extra["raw_state"]``.
    UNKNOWN = "unknown"
