"""SSH for deployment: connecting to a new node, checking its host key, running
commands and copying files, on top of paramiko.

This module imports paramiko at its top, so it is itself imported only when a
deployment starts; the rest of nubo works without the ``ssh`` extra. Nothing here
logs, keeps in a repr or puts in an error a password or a private key.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import os
import select
import socket
import stat
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import paramiko

from ..errors import DeploymentError, InvalidArgumentError
from .deployment import CommandResult, _output_tail

if TYPE_CHECKING:
    from .deployment import HostKeyPolicy

__all__ = [
    "HostKeyCheck",
    "ParamikoSSHClient",
    "connect",
    "fingerprint",
    "load_private_key",
]

log = logging.getLogger(__name__)

#: How long one read of a running command waits for output before it looks at
#: the clock and the exit status again.
_POLL_SECONDS = 0.05

_CHUNK = 32 * 1024

#: The key classes tried, in turn, on a private key.
_KEY_CLASSES: tuple[type[paramiko.PKey], ...] = (
    paramiko.Ed25519Key,
    paramiko.ECDSAKey,
    paramiko.RSAKey,
)


def fingerprint(key: paramiko.PKey) -> str:
    """Fingerprint a public key the way ``ssh-keygen -l`` does by default.

    :param key: the key.
    :returns: ``SHA256:`` and the unpadded base64 of the SHA-256 of its blob.
    """
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def load_private_key(
    ssh_key: str | os.PathLike[str], password: str | None
) -> paramiko.PKey:
    """Read a private key, from a file or from its own text.

    :param ssh_key: the path of a private key file (``~`` is expanded), or the
        key itself in OpenSSH or PEM form.
    :param password: the key's passphrase, when it is encrypted.
    :returns: the key.
    :raises InvalidArgumentError: when there is no such file, the key is
        encrypted and no passphrase was given, or it cannot be read; the message
        names the file, never the key or the passphrase.
    """
    text = os.fspath(ssh_key)
    if "PRIVATE KEY" in text:
        source = "the ssh_key text"
    else:
        path = Path(os.path.expanduser(text))
        source = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise InvalidArgumentError(
                f"cannot read the private key file {source}: "
                f"{getattr(error, 'strerror', None) or type(error).__name__}; give "
                "the path of a private key such as ~/.ssh/id_ed25519",
                argument="ssh_key",
            ) from None

    for cls in _KEY_CLASSES:
        try:
            return cls.from_private_key(io.StringIO(text), password=password)
        except paramiko.PasswordRequiredException:
            raise InvalidArgumentError(
                f"{source} is encrypted; give its passphrase as ssh_key_password",
                argument="ssh_key_password",
            ) from None
        except (paramiko.SSHException, ValueError, TypeError, IndexError):
            continue

    raise InvalidArgumentError(
        f"{source} is not a private key that can be read (Ed25519, ECDSA or RSA, "
        "in OpenSSH or PEM form), or ssh_key_password is not its passphrase",
        argument="ssh_key",
    )


class HostKeyCheck(paramiko.MissingHostKeyPolicy):
    """The host key checks of one deployment: the policy, and the key the node
    showed first, which every later connection to it must show again.

    Made per deployment, so that a policy object can be shared by many.

    :param policy: the policy the user chose.
    :param node_id: the id of the node, for the messages.
    """

    def __init__(self, policy: HostKeyPolicy, node_id: str) -> None:
        self.policy = policy
        self.node_id = node_id
        self.key_type: str | None = None
        self.fingerprint: str | None = None

    def missing_host_key(
        self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey
    ) -> None:
        """Accept or refuse the key a server showed; paramiko calls this.

        :param client: the paramiko client.
        :param hostname: the host as known_hosts names it (``[addr]:port`` off
            port 22).
        :param key: the server's host key.
        :raises DeploymentError: when the key is refused.
        """
        shown = fingerprint(key)
        if self.fingerprint is not None:
            if shown != self.fingerprint:
                raise DeploymentError(
                    f"the SSH host key of node {self.node_id} at {hostname} "
                    f"changed from {self.fingerprint} to {shown} during the "
                    "deployment; something may be intercepting the connection, "
                    "check the node before trusting it",
                    node=self.node_id,
                    step="connect",
                )
            return

        self.policy.check_host_key(hostname, key.get_name(), key.asbytes(), shown)
        self.key_type = key.get_name()
        self.fingerprint = shown


class ParamikoSSHClient:
    """One logged-in SSH connection to a node, for the deployment steps: the
    :class:`~nubo.compute.deployment.SSHClient` that paramiko makes.

    :param client: the connected paramiko client.
    :param address: the address connected to.
    :param port: the port connected to.
    :param username: the user logged in as.
    :param node_id: the id of the node, for the messages.
    """

    def __init__(
        self,
        client: paramiko.SSHClient,
        address: str,
        port: int,
        username: str,
        node_id: str,
    ) -> None:
        self._client = client
        self._sftp: paramiko.SFTPClient | None = None
        self.address = address
        self.port = port
        self.username = username
        self.node_id = node_id

    def __repr__(self) -> str:
        return f"<ParamikoSSHClient {self.username}@{self.address}:{self.port}>"

    def _broken(self, what: str, error: BaseException) -> DeploymentError:
        return DeploymentError(
            f"the SSH connection to node {self.node_id} at {self.address}:"
            f"{self.port} broke while {what}: {error or type(error).__name__}",
            node=self.node_id,
            step=what,
        )

    def sftp(self) -> paramiko.SFTPClient:
        """Open SFTP on the connection, once.

        :returns: the SFTP client; paths in it are relative to the login home.
        :raises DeploymentError: when the server offers no SFTP.
        """
        if self._sftp is None:
            try:
                self._sftp = self._client.open_sftp()
            except (OSError, EOFError, paramiko.SSHException) as error:
                raise self._broken("opening SFTP", error) from error
        return self._sftp

    def put(self, path: str, data: bytes, mode: int | None = None) -> None:
        """Write a file on the node, replacing any there.

        :param path: where; relative to the login home unless absolute.
        :param data: the file's contents.
        :param mode: permission bits to set, such as ``0o700``.
        :raises DeploymentError: when the file cannot be written.
        """
        sftp = self.sftp()
        try:
            with sftp.open(path, "wb") as handle:
                handle.write(data)
            if mode is not None:
                sftp.chmod(path, mode)
        except (OSError, EOFError, paramiko.SSHException) as error:
            raise self._broken(f"writing {path}", error) from error

    def append(self, path: str, data: bytes, mode: int | None = None) -> None:
        """Add to the end of a file on the node, making it and its directory
        when missing.

        :param path: where; relative to the login home unless absolute.
        :param data: what to add.
        :param mode: permission bits to set on the file.
        :raises DeploymentError: when the file cannot be written.
        """
        sftp = self.sftp()
        parent = os.path.dirname(path)
        try:
            if parent:
                try:
                    sftp.stat(parent)
                except FileNotFoundError:
                    sftp.mkdir(parent, 0o700)
            with sftp.open(path, "ab") as handle:
                handle.write(data)
            if mode is not None:
                sftp.chmod(path, mode)
        except (OSError, EOFError, paramiko.SSHException) as error:
            raise self._broken(f"adding to {path}", error) from error

    def read(self, path: str) -> bytes:
        """Read a file on the node.

        :param path: where; relative to the login home unless absolute.
        :returns: its contents; empty when there is no such file.
        :raises DeploymentError: when it cannot be read.
        """
        sftp = self.sftp()
        try:
            with sftp.open(path, "rb") as handle:
                return handle.read()
        except FileNotFoundError:
            return b""
        except (OSError, EOFError, paramiko.SSHException) as error:
            raise self._broken(f"reading {path}", error) from error

    def delete(self, path: str) -> None:
        """Delete a file on the node; a file already gone is no error.

        :param path: where; relative to the login home unless absolute.
        :raises DeploymentError: when it cannot be deleted.
        """
        sftp = self.sftp()
        try:
            sftp.remove(path)
        except FileNotFoundError:
            return
        except (OSError, EOFError, paramiko.SSHException) as error:
            raise self._broken(f"deleting {path}", error) from error

    def upload(self, source: os.PathLike[str], target: str) -> None:
        """Copy a local file to the node, keeping its permission bits.

        :param source: the local file.
        :param target: where; relative to the login home unless absolute.
        :raises DeploymentError: when it cannot be copied.
        """
        sftp = self.sftp()
        try:
            sftp.put(os.fspath(source), target)
            sftp.chmod(target, stat.S_IMODE(os.stat(source).st_mode))
        except (OSError, EOFError, paramiko.SSHException) as error:
            raise self._broken(f"copying {source} to {target}", error) from error

    def run(
        self,
        command: str,
        timeout: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> CommandResult:
        """Run a command on the node and collect what it leaves.

        :param command: the command line, for the login shell.
        :param timeout: seconds it may take; no limit when ``None``. Past it the
            channel is closed, which ends the command on the node.
        :param clock: the monotonic clock the timeout runs on.
        :returns: its output and exit status.
        :raises DeploymentError: when it runs past ``timeout`` (``exit_status``
            is ``None`` then), or the connection breaks.
        """
        deadline = None if timeout is None else clock() + timeout
        stdout: list[bytes] = []
        stderr: list[bytes] = []

        transport = self._client.get_transport()
        if transport is None or not transport.is_active():
            raise self._broken("starting a command", ConnectionError("closed"))
        try:
            channel = transport.open_session()
        except (OSError, EOFError, paramiko.SSHException) as error:
            raise self._broken("starting a command", error) from error

        try:
            channel.exec_command(command)
            channel.shutdown_write()

            while True:
                self._drain(channel, stdout, stderr)
                if channel.exit_status_ready():
                    self._drain(channel, stdout, stderr)
                    if not (channel.recv_ready() or channel.recv_stderr_ready()):
                        break

                if deadline is not None and clock() >= deadline:
                    raise DeploymentError(
                        f"the command did not finish within {timeout:g} s and "
                        "was stopped; give the step a larger timeout",
                        node=self.node_id,
                        output_tail=_output_tail(
                            b"".join(stdout).decode("utf-8", errors="replace"),
                            b"".join(stderr).decode("utf-8", errors="replace"),
                        ),
                    )
                select.select([channel], [], [], _POLL_SECONDS)

            status = channel.recv_exit_status()
        except (OSError, EOFError, paramiko.SSHException) as error:
            raise self._broken("running a command", error) from error
        finally:
            channel.close()

        return CommandResult(b"".join(stdout), b"".join(stderr), status)

    @staticmethod
    def _drain(
        channel: paramiko.Channel, stdout: list[bytes], stderr: list[bytes]
    ) -> None:
        while channel.recv_ready():
            stdout.append(channel.recv(_CHUNK))
        while channel.recv_stderr_ready():
            stderr.append(channel.recv_stderr(_CHUNK))

    def close(self) -> None:
        """Close SFTP and the connection; closing twice is no error."""
        if self._sftp is not None:
            self._sftp.close()
            self._sftp = None
        self._client.close()


def connect(
    address: str,
    port: int,
    usernames: Sequence[str],
    *,
    node_id: str,
    password: str | None,
    pkey: paramiko.PKey | None,
    host_keys: HostKeyCheck,
    ssh_timeout: float,
    deadline: float,
    timeout: float,
    wait_period: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> ParamikoSSHClient:
    """Log in to a node, retrying while its SSH server is not up yet.

    Each user name is tried in turn; a refused login moves on to the next one at
    once and is never retried. A connection that fails (refused, reset, timed
    out, no SSH banner yet) is tried again every ``wait_period`` seconds until
    ``deadline``; at least one attempt is made.

    :param address: the node's address.
    :param port: the SSH port.
    :param usernames: the user names to try, in order.
    :param node_id: the node's id, for the messages.
    :param password: the password to log in with, if any.
    :param pkey: the private key to log in with, if any. With neither, the SSH
        agent and the keys in ``~/.ssh`` are tried.
    :param host_keys: the host key checks of this deployment.
    :param ssh_timeout: seconds for each attempt to connect and log in.
    :param deadline: the clock time after which no new attempt is made.
    :param timeout: the timeout the deadline comes from, for the message.
    :param wait_period: seconds between two attempts.
    :param clock: the monotonic clock.
    :param sleep: how to pass time between attempts.
    :returns: the logged-in connection.
    :raises DeploymentError: when every user name was refused, the host key was
        refused, or the server did not answer before the deadline.
    """
    use_defaults = password is None and pkey is None
    index = 0
    attempts = 0
    refused: list[str] = []

    while True:
        username = usernames[index]
        attempts += 1
        client = paramiko.SSHClient()
        client.set_missing_host_key_policy(host_keys)
        try:
            client.connect(
                address,
                port=port,
                username=username,
                password=password,
                pkey=pkey,
                timeout=ssh_timeout,
                banner_timeout=ssh_timeout,
                auth_timeout=ssh_timeout,
                allow_agent=use_defaults,
                look_for_keys=use_defaults,
            )
        except DeploymentError:
            client.close()
            raise
        except paramiko.AuthenticationException:
            client.close()
            log.info("SSH login as %s to %s:%d refused", username, address, port)
            refused.append(username)
            index += 1
            if index < len(usernames):
                continue
            raise DeploymentError(
                f"the SSH server of node {node_id} at {address}:{port} refused "
                f"every login tried ({', '.join(refused)}); check ssh_key, the "
                "password and ssh_username / ssh_alternate_usernames",
                node=node_id,
                step="connect",
            ) from None
        except (OSError, EOFError, paramiko.SSHException) as error:
            client.close()
            remaining = deadline - clock()
            reason = _reason(error)
            if remaining <= 0:
                raise DeploymentError(
                    f"could not connect to the SSH server of node {node_id} at "
                    f"{address}:{port} within {timeout:g} s ({attempts} attempts, "
                    f"last: {reason}); check that the node runs an SSH server on "
                    "that port and that nothing blocks it, or give a larger "
                    "timeout",
                    node=node_id,
                    step="connect",
                ) from error
            log.debug(
                "SSH at %s:%d not answering yet (%s); trying again in %.2f s",
                address,
                port,
                reason,
                min(wait_period, remaining),
            )
            sleep(min(wait_period, remaining))
            continue

        log.debug("SSH login as %s to %s:%d", username, address, port)
        return ParamikoSSHClient(client, address, port, username, node_id)


def _reason(error: BaseException) -> str:
    # paramiko folds the failure of each address into one error; say the first.
    inner = getattr(error, "errors", None)
    if isinstance(inner, dict) and inner:
        return _reason(next(iter(inner.values())))
    if isinstance(error, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    return str(error) or type(error).__name__
