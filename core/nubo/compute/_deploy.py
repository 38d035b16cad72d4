"""The work behind :meth:`NodeDriver.deploy_node`: check everything that can be
checked, create the node, wait for it, log in over SSH and run the deployment,
trying again as the arguments allow.

Once the node exists, every failure is a :class:`~nubo.errors.DeploymentError`
that names it, so that nothing is left running unknown to the caller.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..errors import DeploymentError, InvalidArgumentError, NuboError
from . import _wait
from ._models import Node, NodeAuthPassword, NodeAuthSSHKey
from .deployment import (
    AcceptFirstHostKeyPolicy,
    Deployment,
    HostKeyPolicy,
    KnownHostsPolicy,
)

if TYPE_CHECKING:
    from types import ModuleType

    from ._base import NodeDriver

__all__ = ["deploy_node"]

log = logging.getLogger(__name__)

#: The names ``host_key_policy`` may be given as, instead of a policy object.
_POLICY_NAMES: dict[str, type[HostKeyPolicy]] = {
    "accept-first": AcceptFirstHostKeyPolicy,
    "strict": KnownHostsPolicy,
}


def _load_ssh() -> ModuleType:
    try:
        from . import _ssh
    except ImportError as error:
        raise DeploymentError(
            "deploy_node needs paramiko, which comes with nubo's ssh extra: "
            f"pip install 'nubo[ssh]' (importing it failed: {error})"
        ) from error
    return _ssh


def _policy(value: object) -> HostKeyPolicy:
    if isinstance(value, HostKeyPolicy):
        return value
    if isinstance(value, str) and value in _POLICY_NAMES:
        return _POLICY_NAMES[value]()
    raise InvalidArgumentError(
        "host_key_policy must be 'accept-first', 'strict' or a HostKeyPolicy "
        f"such as KnownHostsPolicy('~/.ssh/known_hosts'), not {value!r}",
        argument="host_key_policy",
    )


def _positive(name: str, value: object, *, whole: bool = False) -> None:
    kinds = int if whole else int | float
    if isinstance(value, bool) or not isinstance(value, kinds) or not value > 0:
        what = "a whole number above zero" if whole else "a positive number"
        raise InvalidArgumentError(
            f"{name} must be {what}, not {value!r}", argument=name
        )


def _usernames(first: str, alternates: Sequence[str] | None) -> list[str]:
    if isinstance(alternates, str):
        raise InvalidArgumentError(
            "ssh_alternate_usernames must be a list of user names; wrap a single "
            "one in a list",
            argument="ssh_alternate_usernames",
        )
    names: list[str] = []
    for name in [first, *(alternates or [])]:
        if not isinstance(name, str) or not name:
            raise InvalidArgumentError(
                f"an SSH user name must be a non-empty string, not {name!r}",
                argument="ssh_username",
            )
        if name not in names:
            names.append(name)
    return names


def _describe(node: Node) -> str:
    return f"{node.name!r} ({node.id})" if node.name else node.id


def deploy_node(
    driver: NodeDriver,
    deploy: Deployment,
    *,
    ssh_username: str,
    ssh_alternate_usernames: Sequence[str] | None,
    ssh_port: int,
    ssh_timeout: float,
    ssh_key: str | os.PathLike[str] | None,
    ssh_key_password: str | None,
    auth: NodeAuthSSHKey | NodeAuthPassword | None,
    timeout: float,
    max_tries: int,
    ssh_interface: str,
    wait_period: float,
    host_key_policy: HostKeyPolicy | str,
    ex_destroy_on_failure: bool,
    create_node_kwargs: dict[str, Any],
) -> Node:
    """Do what :meth:`NodeDriver.deploy_node` says; its arguments, checked here.

    :returns: the deployed node, fresh, with its host key in ``extra``.
    :raises InvalidArgumentError: for a bad argument, before anything is made.
    :raises DeploymentError: when paramiko is missing (before anything is made),
        or when anything fails once the node exists; ``node`` is its id.
    """
    # Everything that can fail without a node fails before one is made.
    if not isinstance(deploy, Deployment):
        raise InvalidArgumentError(
            "deploy must be a deployment step, such as ScriptDeployment(...) or "
            f"MultiStepDeployment([...]), not {type(deploy).__name__}",
            argument="deploy",
        )
    usernames = _usernames(ssh_username, ssh_alternate_usernames)
    if isinstance(ssh_port, bool) or not isinstance(ssh_port, int):
        raise InvalidArgumentError(
            f"ssh_port must be a port number, not {ssh_port!r}", argument="ssh_port"
        )
    if not 0 < ssh_port < 65536:
        raise InvalidArgumentError(
            f"ssh_port must be from 1 to 65535, not {ssh_port}", argument="ssh_port"
        )
    _positive("ssh_timeout", ssh_timeout)
    _positive("max_tries", max_tries, whole=True)
    _wait.check_wait_arguments([], wait_period, timeout, ssh_interface)
    policy = _policy(host_key_policy)
    if not driver.supports("deploy_node"):
        driver._not_supported("deploy_node")

    ssh = _load_ssh()
    policy.check()
    deploy.check()
    pkey = None if ssh_key is None else ssh.load_private_key(ssh_key, ssh_key_password)
    password = auth.password if isinstance(auth, NodeAuthPassword) else None

    started = driver._clock()
    node = driver.create_node(auth=auth, **create_node_kwargs)
    log.info("deploying node %s", _describe(node))

    try:
        return _deploy(
            driver,
            ssh,
            deploy,
            node,
            usernames=usernames,
            port=ssh_port,
            password=password,
            pkey=pkey,
            policy=policy,
            ssh_timeout=ssh_timeout,
            deadline=started + timeout,
            timeout=timeout,
            max_tries=max_tries,
            ssh_interface=ssh_interface,
            wait_period=wait_period,
        )
    except Exception as error:
        raise _failed(driver, node, error, ex_destroy_on_failure) from error


def _deploy(
    driver: NodeDriver,
    ssh: ModuleType,
    deploy: Deployment,
    node: Node,
    *,
    usernames: list[str],
    port: int,
    password: str | None,
    pkey: Any,
    policy: HostKeyPolicy,
    ssh_timeout: float,
    deadline: float,
    timeout: float,
    max_tries: int,
    ssh_interface: str,
    wait_period: float,
) -> Node:
    remaining = max(0.0, deadline - driver._clock())
    [(node, addresses)] = driver.wait_until_running(
        [node], wait_period=wait_period, timeout=remaining, ssh_interface=ssh_interface
    )
    address = addresses[0]
    host_keys = ssh.HostKeyCheck(policy, node.id)

    tries = 0
    while True:
        tries += 1
        client = ssh.connect(
            address,
            port,
            usernames,
            node_id=node.id,
            password=password,
            pkey=pkey,
            host_keys=host_keys,
            ssh_timeout=ssh_timeout,
            deadline=deadline,
            timeout=timeout,
            wait_period=wait_period,
            clock=driver._clock,
            sleep=driver._sleep,
        )
        node.extra["ssh_host_key_type"] = host_keys.key_type
        node.extra["ssh_host_key_fingerprint"] = host_keys.fingerprint
        node.extra["ssh_username"] = client.username

        try:
            node = deploy.run(node, client)
        except Exception as error:
            if tries >= max_tries:
                raise
            log.warning(
                "deploying node %s failed on try %d of %d (%s); trying again",
                _describe(node),
                tries,
                max_tries,
                error,
            )
        else:
            log.info("node %s deployed after %d tries", _describe(node), tries)
            return node
        finally:
            client.close()


def _failed(
    driver: NodeDriver, node: Node, error: Exception, destroy: bool
) -> DeploymentError:
    """Make the error for a deployment that failed once the node existed.

    :param driver: the driver.
    :param node: the node.
    :param error: what failed.
    :param destroy: destroy the node first.
    :returns: the error, naming the node and what became of it.
    """
    what = str(error) if isinstance(error, NuboError) else repr(error)
    if destroy:
        try:
            driver.destroy_node(node)
        except Exception as destroy_error:
            log.warning("could not destroy node %s: %s", node.id, destroy_error)
            fate = (
                f"destroying it failed too ({destroy_error}); destroy it yourself "
                f"with driver.destroy_node(driver.get_node({node.id!r}))"
            )
        else:
            fate = "the node was destroyed"
    else:
        fate = (
            "the node is still there (destroy it with "
            f"driver.destroy_node(driver.get_node({node.id!r})), or pass "
            "ex_destroy_on_failure=True)"
        )

    inner = error if isinstance(error, DeploymentError) else None
    return DeploymentError(
        f"deploying node {_describe(node)} failed, and {fate}: {what}",
        node=node.id,
        step=None if inner is None else inner.step,
        exit_status=None if inner is None else inner.exit_status,
        output_tail=None if inner is None else inner.output_tail,
    )
