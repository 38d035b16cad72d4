"""Deployment steps: what :meth:`~nubo.compute.NodeDriver.deploy_node` does on a
new node over SSH, and the policies that decide which host keys it trusts.

A step is a :class:`Deployment`: :class:`ScriptDeployment` runs a script,
:class:`FileDeployment` copies a file, :class:`SSHKeyDeployment` adds a public
key to the login user's ``authorized_keys``, and :class:`MultiStepDeployment`
runs several steps in turn. A host key policy is a :class:`HostKeyPolicy`:
:class:`AcceptFirstHostKeyPolicy` (the default) or :class:`KnownHostsPolicy`.

Nothing in this module needs paramiko until a deployment runs.
"""

from __future__ import annotations

import logging
import os
import posixpath
import shlex
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

from ..errors import DeploymentError, InvalidArgumentError, NotSupportedError
from ._keys import check_public_key
from ._models import Node

__all__ = [
    "AcceptFirstHostKeyPolicy",
    "CommandResult",
    "Deployment",
    "FileDeployment",
    "HostKeyPolicy",
    "KnownHostsPolicy",
    "MultiStepDeployment",
    "SSHClient",
    "SSHKeyDeployment",
    "ScriptDeployment",
]

log = logging.getLogger(__name__)


# -- host keys ----------------------------------------------------------------------


class HostKeyPolicy:
    """Decides whether the host key a new node shows is trusted.

    Whatever the policy, :meth:`~nubo.compute.NodeDriver.deploy_node` records
    the key it accepted in ``node.extra["ssh_host_key_type"]`` and
    ``node.extra["ssh_host_key_fingerprint"]``, and holds every later
    connection of the same deployment to that key.
    """

    def check(self) -> None:
        """Check, before any node is made, that the policy can be applied.

        :raises InvalidArgumentError: when it cannot.
        """

    def check_host_key(
        self, hostname: str, key_type: str, key: bytes, fingerprint: str
    ) -> None:
        """Accept a host key by returning, or refuse it by raising; a policy
        overrides this.

        :param hostname: the host as ``known_hosts`` names it: the address, or
            ``[address]:port`` off port 22.
        :param key_type: the key's type, such as ``ssh-ed25519``.
        :param key: the key's blob, as the server sent it.
        :param fingerprint: its SHA-256 fingerprint, ``SHA256:...``.
        :raises DeploymentError: to refuse the key.
        :raises NotSupportedError: when the policy does not override it.
        """
        raise NotSupportedError(
            f"{type(self).__name__} does not say which host keys to trust: a "
            "HostKeyPolicy overrides check_host_key()",
            method="check_host_key",
        )


class AcceptFirstHostKeyPolicy(HostKeyPolicy):
    """Trust the key a new node shows first, and log its fingerprint.

    A node made a moment ago has a host key nobody can know beforehand, so this
    is the default. The key is not accepted silently: its fingerprint is logged
    at INFO level and recorded in the node's ``extra``, to check against the
    provider's console output if need be.
    """

    def check_host_key(
        self, hostname: str, key_type: str, key: bytes, fingerprint: str
    ) -> None:
        """Accept the key, logging its fingerprint.

        :param hostname: the host as ``known_hosts`` names it.
        :param key_type: the key's type.
        :param key: the key's blob.
        :param fingerprint: its SHA-256 fingerprint.
        """
        log.info(
            "accepting the SSH host key of %s, first seen: %s %s",
            hostname,
            key_type,
            fingerprint,
        )

    def __repr__(self) -> str:
        return "AcceptFirstHostKeyPolicy()"


class KnownHostsPolicy(HostKeyPolicy):
    """Trust only a host key listed for the node's address in a known_hosts
    file, as OpenSSH's ``StrictHostKeyChecking=yes`` does.

    Entries may be hashed; off port 22 they read ``[address]:port``.

    :param known_hosts: the file; ``~`` is expanded.
    """

    def __init__(self, known_hosts: str | os.PathLike[str] = "~/.ssh/known_hosts"):
        self.known_hosts = Path(os.path.expanduser(os.fspath(known_hosts)))

    def check(self) -> None:
        """Check that the known_hosts file can be read.

        :raises InvalidArgumentError: when it cannot.
        """
        if not self.known_hosts.is_file() or not os.access(self.known_hosts, os.R_OK):
            raise InvalidArgumentError(
                f"no readable known_hosts file at {self.known_hosts}; give the "
                "path of one that lists the node's host key, or use "
                "AcceptFirstHostKeyPolicy()",
                argument="host_key_policy",
            )

    def check_host_key(
        self, hostname: str, key_type: str, key: bytes, fingerprint: str
    ) -> None:
        """Accept the key only when the file lists it for ``hostname``.

        :param hostname: the host as ``known_hosts`` names it.
        :param key_type: the key's type.
        :param key: the key's blob.
        :param fingerprint: its SHA-256 fingerprint.
        :raises DeploymentError: when the file lists no key, or another key, for
            the host.
        """
        import paramiko

        try:
            known = paramiko.HostKeys(str(self.known_hosts)).lookup(hostname)
        except (OSError, paramiko.SSHException) as error:
            raise DeploymentError(
                f"cannot read the known_hosts file {self.known_hosts}: {error}",
                step="connect",
            ) from error

        listed = None if known is None else known.get(key_type)
        if listed is not None and listed.asbytes() == key:
            log.debug("the SSH host key of %s is in %s", hostname, self.known_hosts)
            return

        if known:
            problem = (
                f"does not match the key {self.known_hosts} lists for it; "
                "something may be intercepting the connection, or the host was "
                "rebuilt: check, then update the file"
            )
        else:
            problem = (
                f"is not in {self.known_hosts}; add it there once you have checked it"
            )
        raise DeploymentError(
            f"refusing the SSH host key of {hostname} ({key_type} {fingerprint}): "
            f"it {problem}",
            step="connect",
        )

    def __repr__(self) -> str:
        return f"KnownHostsPolicy({str(self.known_hosts)!r})"


# -- steps --------------------------------------------------------------------------


class CommandResult:
    """What a command run over SSH left: its output, as bytes, and its exit
    status.

    :param stdout: what it wrote to its standard output.
    :param stderr: what it wrote to its standard error.
    :param exit_status: its exit status; -1 when the server sent none.
    """

    def __init__(self, stdout: bytes, stderr: bytes, exit_status: int) -> None:
        self.stdout = stdout
        self.stderr = stderr
        self.exit_status = exit_status

    def __repr__(self) -> str:
        return (
            f"<CommandResult exit_status={self.exit_status}"
            f" stdout={len(self.stdout)} bytes stderr={len(self.stderr)} bytes>"
        )


class SSHClient(Protocol):
    """The logged-in SSH connection a step is handed: what a step of your own
    may do on the node. Paths are relative to the login user's home unless
    absolute; every method raises :class:`~nubo.errors.DeploymentError` when
    the connection fails.
    """

    #: The user logged in as.
    username: str

    def run(self, command: str, timeout: float | None = None) -> CommandResult:
        """Run a command with the login shell.

        :param command: the command line.
        :param timeout: seconds it may take; no limit when ``None``.
        :returns: its output and exit status.
        """
        ...

    def put(self, path: str, data: bytes, mode: int | None = None) -> None:
        """Write a file, replacing any there.

        :param path: where.
        :param data: the contents.
        :param mode: permission bits to set.
        """
        ...

    def append(self, path: str, data: bytes, mode: int | None = None) -> None:
        """Add to a file, making it and its directory when missing.

        :param path: where.
        :param data: what to add.
        :param mode: permission bits to set.
        """
        ...

    def read(self, path: str) -> bytes:
        """Read a file.

        :param path: where.
        :returns: its contents; empty when there is no such file.
        """
        ...

    def delete(self, path: str) -> None:
        """Delete a file; one already gone is no error.

        :param path: where.
        """
        ...

    def upload(self, source: os.PathLike[str], target: str) -> None:
        """Copy a local file, keeping its permission bits.

        :param source: the local file.
        :param target: where.
        """
        ...


class Deployment:
    """One thing to do on a node over SSH; the base of every step.

    A step of your own overrides :meth:`run` and :meth:`describe`, and
    :meth:`check` when something can be checked before the node is made.
    """

    def check(self) -> None:
        """Check, before any node is made, that the step can run.

        :raises InvalidArgumentError: when it cannot.
        """

    def run(self, node: Node, client: SSHClient) -> Node:
        """Do the step on a node.

        :param node: the node.
        :param client: the logged-in SSH connection to it.
        :returns: the node, for the next step.
        :raises DeploymentError: when the step fails.
        :raises NotSupportedError: when the step does not override it.
        """
        raise NotSupportedError(
            f"{type(self).__name__} does nothing: a Deployment overrides run()",
            method="run",
        )

    def describe(self) -> str:
        """Say what the step is, for messages and logs; never a secret.

        :returns: a short description, such as ``script 'setup.sh'``; the class
            name unless overridden.
        """
        return f"step {type(self).__name__}"


class ScriptDeployment(Deployment):
    """Upload a script to the node and run it.

    The script is written to ``name`` (relative to the login user's home unless
    absolute), made executable, and run with ``args``; it needs a ``#!`` line
    unless the login shell is meant to read it. After a run the step keeps
    ``stdout``, ``stderr`` (decoded as UTF-8, with replacement characters for
    bytes that are not) and ``exit_status``; give each concurrent deployment its
    own step objects.

    :param script: the script's text.
    :param args: arguments for the script, each quoted for the shell.
    :param name: the file name on the node; ``deployment_<random>.sh`` when
        ``None``.
    :param delete: delete the script from the node once it has run.
    :param timeout: seconds the script may run; no limit when ``None``.
    :param allow_failure: ``True`` for a step whose non-zero exit status does not
        fail the deployment.
    :raises InvalidArgumentError: for a script, name, argument or timeout of the
        wrong type or value.
    """

    def __init__(
        self,
        script: str,
        args: Sequence[str] | None = None,
        name: str | None = None,
        delete: bool = False,
        timeout: float | None = None,
        *,
        allow_failure: bool = False,
    ) -> None:
        if not isinstance(script, str):
            raise InvalidArgumentError(
                f"script must be the script's text, a str, not {type(script).__name__}",
                argument="script",
            )
        if isinstance(args, str | bytes) or not all(
            isinstance(a, str) for a in args or ()
        ):
            raise InvalidArgumentError(
                "args must be a list of strings, one per argument", argument="args"
            )
        if name is not None and (
            not isinstance(name, str) or not name.strip() or "\n" in name
        ):
            raise InvalidArgumentError(
                f"name must be a file name for the script on the node, not {name!r}",
                argument="name",
            )
        if timeout is not None and (
            isinstance(timeout, bool)
            or not isinstance(timeout, int | float)
            or not timeout > 0
        ):
            raise InvalidArgumentError(
                f"timeout must be a positive number of seconds or None, not "
                f"{timeout!r}",
                argument="timeout",
            )

        self.script = script
        self.args = list(args or [])
        self.name = name or f"deployment_{os.urandom(4).hex()}.sh"
        self.delete = delete
        self.timeout = timeout
        self.allow_failure = allow_failure
        self.stdout: str | None = None
        self.stderr: str | None = None
        self.exit_status: int | None = None

    def describe(self) -> str:
        """Name the step by its script's file name.

        :returns: ``script '<name>'``.
        """
        return f"script {self.name!r}"

    def __repr__(self) -> str:
        # Neither the script nor its arguments: either may hold a secret.
        return (
            f"<ScriptDeployment name={self.name!r} timeout={self.timeout}"
            f" exit_status={self.exit_status}>"
        )

    def _command(self) -> str:
        path = self.name if "/" in self.name else f"./{self.name}"
        return " ".join(shlex.quote(part) for part in [path, *self.args])

    def run(self, node: Node, client: SSHClient) -> Node:
        """Upload the script, run it, keep its output, and delete it if asked.

        :param node: the node.
        :param client: the logged-in SSH connection to it.
        :returns: the node.
        :raises DeploymentError: when the script exits non-zero (unless
            ``allow_failure``), runs past its timeout, or cannot be uploaded.
        """
        self.stdout = self.stderr = None
        self.exit_status = None
        log.debug("running %s on node %s", self.describe(), node.id)

        client.put(self.name, self.script.encode("utf-8"), 0o700)
        try:
            result = client.run(self._command(), self.timeout)
        except DeploymentError as error:
            raise DeploymentError(
                f"{self.describe()} on node {node.id} failed: {error.message}",
                node=node.id,
                step=self.describe(),
                output_tail=error.output_tail,
            ) from error
        finally:
            if self.delete:
                _delete_quietly(client, self.name)

        self.stdout = result.stdout.decode("utf-8", errors="replace")
        self.stderr = result.stderr.decode("utf-8", errors="replace")
        self.exit_status = result.exit_status
        log.debug("%s exited with status %d", self.describe(), result.exit_status)

        if result.exit_status != 0 and not self.allow_failure:
            tail = _output_tail(self.stdout, self.stderr)
            raise DeploymentError(
                f"{self.describe()} on node {node.id} exited with status "
                f"{result.exit_status}"
                + (f"; its output ends:\n{tail}" if tail else ", printing nothing"),
                node=node.id,
                step=self.describe(),
                exit_status=result.exit_status,
                output_tail=tail,
            )
        return node


def _delete_quietly(client: SSHClient, path: str) -> None:
    try:
        client.delete(path)
    except DeploymentError as error:
        log.warning("could not delete %s from the node: %s", path, error)


def _output_tail(stdout: str, stderr: str, lines: int = 10) -> str:
    """Keep the last lines of a command's output, for an error message.

    :param stdout: its standard output.
    :param stderr: its standard error.
    :param lines: how many lines of each to keep.
    :returns: each tail under a ``[stdout]`` or ``[stderr]`` heading; empty when
        there was no output.
    """
    parts = []
    for label, text in (("stdout", stdout), ("stderr", stderr)):
        text = text.rstrip("\n")
        if text:
            kept = "\n".join(text.splitlines()[-lines:])
            parts.append(f"[{label}]\n{kept[-2000:]}")
    return "\n".join(parts)


class FileDeployment(Deployment):
    """Copy a local file to the node over SFTP, keeping its permission bits.

    :param source: the local file; ``~`` is expanded.
    :param target: where on the node; relative to the login user's home unless
        absolute. Its directory must exist.
    """

    def __init__(self, source: str | os.PathLike[str], target: str) -> None:
        if not isinstance(target, str) or not target.strip():
            raise InvalidArgumentError(
                f"target must be a path on the node, not {target!r}",
                argument="target",
            )
        self.source = Path(os.path.expanduser(os.fspath(source)))
        self.target = target

    def check(self) -> None:
        """Check that the source file can be read.

        :raises InvalidArgumentError: when it is missing, not a file, or
            unreadable.
        """
        if not self.source.is_file() or not os.access(self.source, os.R_OK):
            raise InvalidArgumentError(
                f"no readable file at {self.source} to copy to the node; check "
                "the path",
                argument="source",
            )

    def describe(self) -> str:
        """Name the step by its source and target.

        :returns: ``file '<source>' to '<target>'``.
        """
        return f"file {str(self.source)!r} to {self.target!r}"

    def __repr__(self) -> str:
        return f"<FileDeployment source={str(self.source)!r} target={self.target!r}>"

    def run(self, node: Node, client: SSHClient) -> Node:
        """Copy the file.

        :param node: the node.
        :param client: the logged-in SSH connection to it.
        :returns: the node.
        :raises DeploymentError: when the file cannot be read or written.
        """
        self.check()
        log.debug("copying %s to node %s", self.describe(), node.id)
        try:
            client.upload(self.source, self.target)
        except DeploymentError as error:
            raise DeploymentError(
                f"{self.describe()} on node {node.id} failed: {error.message}; "
                f"check that {posixpath.dirname(self.target) or 'the home'} "
                "exists on the node and can be written",
                node=node.id,
                step=self.describe(),
            ) from error
        return node


class SSHKeyDeployment(Deployment):
    """Add a public key to the login user's ``~/.ssh/authorized_keys``, making
    the file when missing; a key already there is not added again.

    :param key: the public key, in OpenSSH format (``ssh-ed25519 AAAA...``).
    :raises InvalidArgumentError: when ``key`` is not one OpenSSH public key (a
        private key, in particular, is refused).
    """

    #: The file the key goes to, relative to the login user's home.
    authorized_keys = ".ssh/authorized_keys"

    def __init__(self, key: str) -> None:
        if not isinstance(key, str):
            raise InvalidArgumentError(
                f"key must be an OpenSSH public key, a str, not {type(key).__name__}",
                argument="key",
            )
        self.key = check_public_key(key, source="the key of SSHKeyDeployment")

    def describe(self) -> str:
        """Name the step by the key's type and comment.

        :returns: ``ssh key '<type> ... <comment>'``.
        """
        fields = self.key.split()
        shown = " ".join([fields[0], "...", *fields[2:3]])
        return f"ssh key {shown!r}"

    def __repr__(self) -> str:
        return f"<SSHKeyDeployment {self.describe()}>"

    def run(self, node: Node, client: SSHClient) -> Node:
        """Add the key, unless it is there already.

        :param node: the node.
        :param client: the logged-in SSH connection to it.
        :returns: the node.
        :raises DeploymentError: when the file cannot be read or written.
        """
        try:
            present = client.read(self.authorized_keys)
            blob = self.key.split()[1].encode()
            if any(blob in line.split() for line in present.splitlines()):
                log.debug("%s is on node %s already", self.describe(), node.id)
                return node

            lead = b"\n" if present and not present.endswith(b"\n") else b""
            client.append(self.authorized_keys, lead + self.key.encode() + b"\n", 0o600)
        except DeploymentError as error:
            raise DeploymentError(
                f"{self.describe()} on node {node.id} failed: {error.message}",
                node=node.id,
                step=self.describe(),
            ) from error
        return node


class MultiStepDeployment(Deployment):
    """Run several steps in turn; the first that fails ends the deployment.

    :param steps: the steps, in order; more can be added with :meth:`add`.
    :raises InvalidArgumentError: for a step that is not a :class:`Deployment`.
    """

    def __init__(self, steps: Iterable[Deployment] | None = None) -> None:
        self.steps: list[Deployment] = []
        for step in steps or ():
            self.add(step)

    def add(self, step: Deployment) -> None:
        """Add a step at the end.

        :param step: the step.
        :raises InvalidArgumentError: when it is not a :class:`Deployment`.
        """
        if not isinstance(step, Deployment):
            raise InvalidArgumentError(
                f"a deployment step must be a Deployment, such as "
                f"ScriptDeployment, not {type(step).__name__}",
                argument="steps",
            )
        self.steps.append(step)

    def check(self) -> None:
        """Check every step.

        :raises InvalidArgumentError: when one cannot run.
        """
        for step in self.steps:
            step.check()

    def describe(self) -> str:
        """Name the steps.

        :returns: ``steps (<step>, <step>, ...)``.
        """
        return f"steps ({', '.join(step.describe() for step in self.steps)})"

    def __repr__(self) -> str:
        return f"<MultiStepDeployment steps={self.steps!r}>"

    def run(self, node: Node, client: SSHClient) -> Node:
        """Run every step in turn.

        :param node: the node.
        :param client: the logged-in SSH connection to it.
        :returns: the node the last step returned.
        :raises DeploymentError: from the first step that fails.
        """
        for step in self.steps:
            node = step.run(node, client)
        return node
