"""A real SSH server for the deployment tests, and the tests that it is one.

:class:`LocalSSHServer` is asyncssh, listening on 127.0.0.1 on a free port, in a
thread with its own event loop. It has a generated host key, users who log in by
key or by password, runs each command with ``/bin/sh`` in a temporary home, and
serves SFTP rooted there. It can start listening late, to stand for a node whose
SSH server is still booting. The other test_deploy_* modules import it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

if os.environ.get("NUBO_REQUIRE_PEERS"):
    # Where the peers are required, a missing one fails instead of skipping.
    import asyncssh
    import paramiko
else:
    asyncssh = pytest.importorskip("asyncssh", reason="the SSH test server needs it")
    paramiko = pytest.importorskip("paramiko", reason="nubo's ssh extra is missing")

#: The password of the password user; tests check it never leaks.
PASSWORD = "pw-Very-Secret-7781"

#: The passphrase of the encrypted client key; tests check it never leaks.
KEY_PASSPHRASE = "pp-Never-Print-4412"


@dataclass
class User:
    """Who may log in, and how."""

    password: str | None = None
    keys: list[str] = field(default_factory=list)


@dataclass
class ClientKey:
    """A client key pair: the private key file, and the public key line."""

    path: Path
    public: str
    text: str


def make_client_key(
    directory: Path, name: str, passphrase: str | None = None
) -> ClientKey:
    """Generate an Ed25519 client key and write its private half to a file."""
    key = asyncssh.generate_private_key("ssh-ed25519", comment=f"{name}@test")
    text = key.export_private_key("openssh", passphrase=passphrase).decode()
    path = directory / name
    path.write_text(text)
    path.chmod(0o600)
    public = key.export_public_key("openssh").decode().strip()
    return ClientKey(path=path, public=public, text=text)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Server(asyncssh.SSHServer):  # type: ignore[misc]
    def __init__(self, owner: LocalSSHServer) -> None:
        self.owner = owner
        self.conn: Any = None

    def connection_made(self, conn: Any) -> None:
        self.conn = conn
        self.owner._connections.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        self.owner._connections.discard(self.conn)

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        user = self.owner.users.get(username)
        ok = (
            user is not None and user.password is not None and password == user.password
        )
        self.owner.logins.append((username, "password", ok))
        return ok

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: Any) -> bool:
        user = self.owner.users.get(username)
        offered = key.export_public_key("openssh").decode().split()[1]
        ok = user is not None and any(k.split()[1] == offered for k in user.keys)
        self.owner.logins.append((username, "publickey", ok))
        return ok


class LocalSSHServer:
    """An SSH server on 127.0.0.1 for one test; use it as a context manager.

    :param home: the directory commands run in and SFTP is rooted at.
    :param users: who may log in.
    :param start_delay: seconds to wait before listening; until then the port
        refuses connections.
    """

    def __init__(
        self, home: Path, users: dict[str, User], start_delay: float = 0.0
    ) -> None:
        self.home = home
        self.users = users
        self.start_delay = start_delay
        self.host_key = asyncssh.generate_private_key("ssh-ed25519")
        self.port = 0
        #: ``(username, method, accepted)`` for each login attempt.
        self.logins: list[tuple[str, str, bool]] = []
        #: Each command run, in order.
        self.commands: list[str] = []
        self._connections: set[Any] = set()
        self._processes: set[asyncio.subprocess.Process] = set()
        self._handlers: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._listening = threading.Event()
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._thread: threading.Thread | None = None

    @property
    def fingerprint(self) -> str:
        """The host key's SHA-256 fingerprint, as asyncssh computes it."""
        return str(self.host_key.get_fingerprint("sha256"))

    def known_hosts_line(self, key: Any = None) -> str:
        """A known_hosts line for this server, with its key or another one."""
        shown = (key or self.host_key).export_public_key("openssh").decode().split()
        return f"[127.0.0.1]:{self.port} {shown[0]} {shown[1]}\n"

    def __enter__(self) -> LocalSSHServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        """Start the thread; return once the port is known (and, unless the
        server starts late, listening)."""
        self.port = _free_port()
        self._thread = threading.Thread(target=self._run, name="sshd", daemon=True)
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("the SSH test server's loop did not start")
        if self.start_delay == 0:
            self.wait_listening()

    def wait_listening(self, timeout: float = 30) -> None:
        """Block until the server listens."""
        if not self._listening.wait(timeout):
            raise RuntimeError(f"the SSH test server did not listen: {self._failure}")

    def stop(self) -> None:
        """Close every connection, end every command, stop the thread."""
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        if self._thread is not None:
            self._thread.join(30)
            assert not self._thread.is_alive(), "the SSH test server did not stop"

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main())
        except BaseException as error:  # reported by wait_listening
            self._failure = error
            self._ready.set()
        finally:
            loop.close()

    async def _main(self) -> None:
        self._stopping = asyncio.Event()
        self._ready.set()

        # A late server: nothing listens until the delay has passed.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), self.start_delay)
        if self._stopping.is_set():
            return

        acceptor = await asyncssh.create_server(
            lambda: _Server(self),
            "127.0.0.1",
            self.port,
            server_host_keys=[self.host_key],
            process_factory=self._process,
            sftp_factory=lambda chan: asyncssh.SFTPServer(
                chan, chroot=os.fsencode(self.home)
            ),
            encoding=None,
            reuse_address=True,
        )
        self._listening.set()

        await self._stopping.wait()
        acceptor.close()
        for conn in list(self._connections):
            conn.close()
        for process in list(self._processes):
            _kill(process)
        if self._handlers:
            await asyncio.wait(set(self._handlers), timeout=30)
        await acceptor.wait_closed()

    async def _process(self, process: Any) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            await self._run_command(process)
        finally:
            self._handlers.discard(task)

    async def _run_command(self, process: Any) -> None:
        command = process.command
        if command is None:
            process.stderr.write(b"this test server runs commands only\n")
            process.exit(1)
            return
        self.commands.append(command)

        username = process.get_extra_info("username")
        env = {"HOME": str(self.home), "USER": username, "PATH": os.environ["PATH"]}
        child = await asyncio.create_subprocess_exec(
            "/bin/sh",
            "-c",
            command,
            cwd=self.home,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
        self._processes.add(child)

        async def pump(reader: asyncio.StreamReader, writer: Any) -> None:
            # Read to the end even when the client has gone, so that the pipes
            # close and the child is reaped here, not when the loop is gone.
            while chunk := await reader.read(65536):
                with contextlib.suppress(Exception):
                    writer.write(chunk)

        async def finish() -> int:
            assert child.stdout is not None
            assert child.stderr is not None
            await asyncio.gather(
                pump(child.stdout, process.stdout), pump(child.stderr, process.stderr)
            )
            return await child.wait()

        finished = asyncio.ensure_future(finish())
        closed = asyncio.ensure_future(process.wait_closed())
        try:
            await asyncio.wait({finished, closed}, return_when=asyncio.FIRST_COMPLETED)
            if not finished.done():
                # The client went away first, as on a step timeout.
                _kill(child)
            status = await asyncio.wait_for(finished, 30)
            if not closed.done():
                process.exit(status)
        finally:
            closed.cancel()
            self._processes.discard(child)


def _kill(child: asyncio.subprocess.Process) -> None:
    if child.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)


@contextlib.contextmanager
def running_sshd(
    home: Path, users: dict[str, User], start_delay: float = 0.0
) -> Iterator[LocalSSHServer]:
    """Run a :class:`LocalSSHServer` for the length of a ``with`` block."""
    server = LocalSSHServer(home, users, start_delay)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# -- the server is a real one ------------------------------------------------------


@pytest.fixture
def key(tmp_path: Path) -> ClientKey:
    return make_client_key(tmp_path, "id_root")


@pytest.fixture
def sshd(tmp_path: Path, key: ClientKey) -> Iterator[LocalSSHServer]:
    home = tmp_path / "home"
    home.mkdir()
    users = {"root": User(keys=[key.public]), "deploy": User(password=PASSWORD)}
    with running_sshd(home, users) as server:
        yield server


def _paramiko_client(server: LocalSSHServer, **kwargs: Any) -> Any:
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(
        "127.0.0.1",
        port=server.port,
        allow_agent=False,
        look_for_keys=False,
        timeout=10,
        **kwargs,
    )
    return client


def test_the_server_runs_commands_with_sh_in_its_home(
    sshd: LocalSSHServer, key: ClientKey
) -> None:
    client = _paramiko_client(sshd, username="root", key_filename=str(key.path))
    try:
        _, stdout, stderr = client.exec_command(
            "pwd; echo $HOME; echo oops >&2; exit 4"
        )
        out = stdout.read().decode()
        err = stderr.read().decode()
        status = stdout.channel.recv_exit_status()
    finally:
        client.close()

    assert out.split() == [str(sshd.home), str(sshd.home)]
    assert err == "oops\n"
    assert status == 4
    assert sshd.logins == [("root", "publickey", True)]


def test_the_server_takes_passwords_and_refuses_wrong_ones(
    sshd: LocalSSHServer,
) -> None:
    _paramiko_client(sshd, username="deploy", password=PASSWORD).close()

    with pytest.raises(paramiko.AuthenticationException):
        _paramiko_client(sshd, username="deploy", password="wrong")

    assert ("deploy", "password", True) in sshd.logins
    assert ("deploy", "password", False) in sshd.logins


def test_the_server_serves_sftp_in_its_home(
    sshd: LocalSSHServer, key: ClientKey
) -> None:
    client = _paramiko_client(sshd, username="root", key_filename=str(key.path))
    try:
        sftp = client.open_sftp()
        with sftp.open("hello.txt", "wb") as handle:
            handle.write(b"hi\n")
        sftp.close()
    finally:
        client.close()

    assert (sshd.home / "hello.txt").read_bytes() == b"hi\n"


def test_a_late_server_refuses_connections_until_it_listens(
    tmp_path: Path, key: ClientKey
) -> None:
    with running_sshd(tmp_path, {"root": User(keys=[key.public])}, 0.5) as server:
        with (
            pytest.raises(ConnectionRefusedError),
            socket.create_connection(("127.0.0.1", server.port), timeout=5),
        ):
            pass

        server.wait_listening()
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as conn:
            assert conn.recv(4).startswith(b"SSH-")


def test_a_command_the_client_leaves_is_killed(
    sshd: LocalSSHServer, key: ClientKey
) -> None:
    client = _paramiko_client(sshd, username="root", key_filename=str(key.path))
    try:
        channel = client.get_transport().open_session()
        channel.exec_command("echo $$ > pid; exec sleep 60")
        pid_file = sshd.home / "pid"
        for _ in range(200):
            if pid_file.exists() and pid_file.read_text().strip():
                break
            time.sleep(0.05)
        channel.close()
    finally:
        client.close()
    pid = int(pid_file.read_text())

    for _ in range(200):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"the command (pid {pid}) still runs after the client left")
