"""Waiting for nodes to run and have addresses: the loop behind
:meth:`NodeDriver.wait_until_running`.

The loop asks the driver for fresh nodes each round, measures time on a monotonic
clock (a wall clock that jumps neither ends a wait early nor makes it endless),
and stops at once when a node can no longer come up.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import InvalidArgumentError, WaitFailedError, WaitTimeoutError
from ._models import Node
from ._states import NodeState

if TYPE_CHECKING:
    from ._base import NodeDriver

__all__ = ["ProgressCallback", "wait_for_nodes"]

log = logging.getLogger(__name__)

#: ``progress(ready, pending, elapsed)``: the nodes ready so far, those still
#: awaited (both fresh), and the seconds waited.
ProgressCallback = Callable[[Sequence[Node], Sequence[Node], float], None]

SSH_INTERFACES = ("public_ips", "private_ips")

#: States a node does not leave on its own: waiting longer cannot help.
_FINAL_STATES = frozenset({NodeState.TERMINATED, NodeState.ERROR})


def usable_addresses(node: Node, ssh_interface: str, force_ipv4: bool) -> list[str]:
    """Return a node's addresses on one interface, valid and without duplicates.

    :param node: the node.
    :param ssh_interface: ``public_ips`` or ``private_ips``.
    :param force_ipv4: keep IPv4 addresses only.
    :returns: the addresses, in the order the provider gave them.
    """
    found: list[str] = []
    for raw in getattr(node, ssh_interface):
        try:
            address = ipaddress.ip_address(str(raw).strip())
        except ValueError:
            continue
        if force_ipv4 and address.version != 4:
            continue
        text = str(address)
        if text not in found:
            found.append(text)
    return found


def _describe(node: Node) -> str:
    return f"{node.name!r} ({node.id})" if node.name else node.id


def check_wait_arguments(
    nodes: object, wait_period: float, timeout: float, ssh_interface: str
) -> list[Node]:
    """Check the arguments of a wait before any call is made.

    :returns: the nodes to wait for, each once, in the order given.
    :raises InvalidArgumentError: for a bad interface, period, timeout or node.
    """
    if ssh_interface not in SSH_INTERFACES:
        raise InvalidArgumentError(
            f"ssh_interface must be one of {', '.join(SSH_INTERFACES)}, not "
            f"{ssh_interface!r}",
            argument="ssh_interface",
        )
    if not wait_period > 0:
        raise InvalidArgumentError(
            f"wait_period must be a positive number of seconds, not {wait_period!r}",
            argument="wait_period",
        )
    if not timeout >= 0:
        raise InvalidArgumentError(
            f"timeout must be zero or more seconds, not {timeout!r}",
            argument="timeout",
        )
    if isinstance(nodes, Node | str | bytes) or not isinstance(nodes, Iterable):
        raise InvalidArgumentError(
            "nodes must be a list of Node objects; wrap a single node in a list",
            argument="nodes",
        )

    wanted: dict[str, Node] = {}
    for node in nodes:
        if not isinstance(node, Node):
            raise InvalidArgumentError(
                f"nodes must hold Node objects, not {type(node).__name__}",
                argument="nodes",
            )
        wanted.setdefault(node.id, node)
    return list(wanted.values())


def wait_for_nodes(
    driver: NodeDriver,
    nodes: Sequence[Node],
    *,
    wait_period: float,
    timeout: float,
    ssh_interface: str,
    force_ipv4: bool,
    list_nodes_kwargs: Mapping[str, Any] | None,
    progress: ProgressCallback | None,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> list[tuple[Node, list[str]]]:
    """Poll ``driver.list_nodes`` until every node runs and has an address.

    The arguments are those of :meth:`NodeDriver.wait_until_running`, already
    checked by :func:`check_wait_arguments`; ``clock`` and ``sleep`` measure and
    pass time.

    :returns: ``(fresh node, addresses)`` for each node, in the order given.
    :raises WaitFailedError: when a node is terminated, in error or gone.
    :raises WaitTimeoutError: when the timeout passes first.
    """
    if not nodes:
        return []

    kwargs = dict(list_nodes_kwargs or {})
    started = clock()
    deadline = started + timeout
    last: dict[str, Node] = {node.id: node for node in nodes}
    rounds = 0

    while True:
        rounds += 1
        current = {node.id: node for node in driver.list_nodes(**kwargs)}
        elapsed = clock() - started

        ready: list[tuple[Node, list[str]]] = []
        pending: list[Node] = []
        for wanted in nodes:
            node = current.get(wanted.id)
            if node is None:
                raise WaitFailedError(
                    f"node {_describe(last[wanted.id])} is gone: the provider no "
                    "longer lists it, so it will never run",
                    resource_id=wanted.id,
                    state=None,
                )
            last[wanted.id] = node

            if node.state in _FINAL_STATES:
                # "in error", but "terminated": a state is a noun or an adjective.
                state = (
                    "in error" if node.state is NodeState.ERROR else node.state.value
                )
                raise WaitFailedError(
                    f"node {_describe(node)} is {state} and will not run; check it "
                    "with the provider, then make a new one",
                    resource_id=node.id,
                    state=node.state.value,
                )

            addresses = usable_addresses(node, ssh_interface, force_ipv4)
            if node.state is NodeState.RUNNING and addresses:
                ready.append((node, addresses))
            else:
                pending.append(node)

        log.debug(
            "wait round %d after %.1f s: %d of %d nodes ready",
            rounds,
            elapsed,
            len(ready),
            len(nodes),
        )
        if progress is not None:
            progress([node for node, _ in ready], pending, elapsed)

        if not pending:
            return ready

        now = clock()
        if now >= deadline:
            raise _timeout(pending, timeout, ssh_interface, force_ipv4)

        sleep(min(wait_period, deadline - now))


def _timeout(
    pending: Sequence[Node], timeout: float, ssh_interface: str, force_ipv4: bool
) -> WaitTimeoutError:
    kind = "IPv4 " if force_ipv4 else ""
    states: list[tuple[str, str]] = []
    described: list[str] = []
    for node in pending:
        if node.state is NodeState.RUNNING:
            state = f"running, no {kind}address in {ssh_interface} yet"
        else:
            state = node.state.value
        states.append((node.id, state))
        described.append(f"{_describe(node)}: {state}")

    return WaitTimeoutError(
        f"{len(pending)} node(s) not running with an address after {timeout:g} s "
        f"({'; '.join(described)}); wait longer with a larger timeout, or check "
        "the nodes with the provider",
        timeout=timeout,
        pending=states,
    )
