"""Start and stop moto's server on 127.0.0.1, for the EC2 tests and the demo.

moto (``moto[server]``) answers the EC2 Query API from memory. This module runs it
as a child process bound to the loopback address on a free port, waits until it
answers, and stops it on every way out: the ``with`` block's end, an exception,
interpreter exit (``atexit``) and, when asked, SIGTERM, SIGINT and SIGHUP. On
Linux the kernel also stops it when the process that started it dies, even by
SIGKILL (``PR_SET_PDEATHSIG``; this follows the thread that started it, so start
it from a thread that lives as long as the server should).

The child gets dummy AWS credentials and none of the caller's AWS settings, so
that nothing in it looks for real ones (no profile, no shared files, no instance
metadata) and nothing leaves the machine.

It is not part of any installed package: the demo imports it from ``examples/``
and the EC2 tests put that folder on ``sys.path``.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from types import FrameType, TracebackType
from typing import Any

import requests

from nubo.errors import NuboError

__all__ = ["MotoServer", "MotoServerError", "moto_server"]

log = logging.getLogger(__name__)

#: The only address the server is ever bound to.
LOOPBACK = "127.0.0.1"

#: Credentials that the server's process sees; they are not anybody's.
DUMMY_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
    "NO_PROXY": "*",
}

_STOP_SIGNALS = tuple(
    getattr(signal, name)
    for name in ("SIGTERM", "SIGINT", "SIGHUP")
    if hasattr(signal, name)
)


# From <linux/prctl.h>: deliver a signal to this process when its parent dies.
_PR_SET_PDEATHSIG = 1


class MotoServerError(NuboError):
    """moto's server could not be started, or stopped answering."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def _die_with_parent() -> None:
    # Runs in the child between fork and exec. On Linux, ask the kernel to send
    # SIGTERM to the server when the process that started it dies, even by
    # SIGKILL, which no handler of ours can see. Elsewhere this does nothing.
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def _child_env() -> dict[str, str]:
    # The caller's AWS_* and proxy settings are dropped, not passed on.
    dropped = ("AWS_", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(dropped)}
    env.update(DUMMY_ENV)
    return env


class MotoServer:
    """moto's server in a child process, bound to 127.0.0.1.

    :param port: the port to bind; a free one is picked when omitted.
    :param startup_timeout: seconds to wait for the server's first answer.
    :param python: the interpreter that runs ``moto.server``.
    """

    def __init__(
        self,
        port: int | None = None,
        *,
        startup_timeout: float = 60.0,
        python: str = sys.executable,
    ) -> None:
        self.host = LOOPBACK
        self.port = port
        self.startup_timeout = startup_timeout
        self.python = python
        self._process: subprocess.Popen[bytes] | None = None
        self._output: Any = None
        self._lock = threading.Lock()
        self._session = requests.Session()
        # Never send loopback traffic through a proxy from the environment.
        self._session.trust_env = False

    @property
    def url(self) -> str:
        """The base URL of the running server, ``http://127.0.0.1:<port>``.

        :raises MotoServerError: the server is not running.
        """
        if self._process is None or self.port is None:
            raise MotoServerError("moto's server is not running; call start() first")
        return f"http://{self.host}:{self.port}"

    @property
    def endpoint(self) -> tuple[str, int]:
        """The ``(host, port)`` that drivers and tests are pointed at.

        :raises MotoServerError: the server is not running.
        """
        self.url  # noqa: B018 - raises when not running
        assert self.port is not None
        return self.host, self.port

    @property
    def running(self) -> bool:
        """Whether the child process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self) -> MotoServer:
        """Start the server and wait until it answers.

        A picked port that another process takes first is picked again, up to
        three times.

        :returns: this server, running.
        :raises MotoServerError: moto is not installed, the process exited, or it
            did not answer within ``startup_timeout`` seconds.
        """
        with self._lock:
            if self.running:
                return self

            chosen = self.port
            attempts = 1 if chosen is not None else 3
            last: MotoServerError | None = None
            for _ in range(attempts):
                self.port = chosen if chosen is not None else _free_port()
                try:
                    self._spawn()
                    self._wait_until_ready()
                except MotoServerError as error:
                    self._terminate()
                    last = error
                    continue
                return self

            assert last is not None
            raise last

    def _spawn(self) -> None:
        # Closed by _terminate(), which every exit path goes through.
        self._output = tempfile.TemporaryFile()  # noqa: SIM115
        command = [
            self.python,
            "-m",
            "moto.server",
            "-H",
            self.host,
            "-p",
            str(self.port),
        ]
        try:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=self._output,
                stderr=subprocess.STDOUT,
                env=_child_env(),
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        except OSError as error:
            raise MotoServerError(
                f"could not run {self.python} -m moto.server: {error}"
            ) from error
        log.debug(
            "moto's server started, pid %d, port %d", self._process.pid, self.port
        )

    def _wait_until_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self.startup_timeout
        probe = f"http://{self.host}:{self.port}/moto-api/data.json"

        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise MotoServerError(
                    f"moto's server exited with status {self._process.returncode} "
                    f"before answering; is moto[server] installed? Its output:\n"
                    f"{self._tail()}"
                )
            try:
                answer = self._session.get(probe, timeout=2)
            except requests.RequestException:
                time.sleep(0.1)
                continue
            if answer.status_code == 200:
                return
            time.sleep(0.1)

        raise MotoServerError(
            f"moto's server did not answer on {self.host}:{self.port} within "
            f"{self.startup_timeout:g} s; raise startup_timeout on a slow machine. "
            f"Its output:\n{self._tail()}"
        )

    def _tail(self, limit: int = 2000) -> str:
        if self._output is None:
            return ""
        self._output.seek(0)
        text: str = self._output.read().decode("utf-8", "replace")
        return text[-limit:]

    def reset(self) -> None:
        """Forget every resource the server holds (moto's reset API).

        :raises MotoServerError: the server did not accept the reset.
        """
        try:
            answer = self._session.post(f"{self.url}/moto-api/reset", timeout=30)
        except requests.RequestException as error:
            raise MotoServerError(f"moto's server did not reset: {error}") from error
        if answer.status_code != 200:
            raise MotoServerError(
                f"moto's server refused the reset with HTTP {answer.status_code}"
            )

    def stop(self) -> None:
        """Stop the server; safe to call more than once and from any exit path."""
        with self._lock:
            self._terminate()

    def stop_unless_starting(self) -> None:
        """Stop the server, unless :meth:`start` is under way in this thread.

        For signal handlers: waiting for the lock that :meth:`start` holds would
        never end. Then the exception the signal raises unwinds :meth:`start`,
        and the ``with`` block around it stops the server.
        """
        if not self._lock.acquire(blocking=False):
            return
        try:
            self._terminate()
        finally:
            self._lock.release()

    def _terminate(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            # The whole process group: moto may have started helpers of its own.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
            log.debug("moto's server stopped, pid %d", process.pid)
        if self._output is not None:
            self._output.close()
            self._output = None

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _install_signal_handlers(server: MotoServer) -> dict[int, Any]:
    previous: dict[int, Any] = {}
    if threading.current_thread() is not threading.main_thread():
        return previous

    def handler(number: int, frame: FrameType | None) -> None:
        server.stop_unless_starting()
        # Then what would have happened anyway: the old handler, or the default.
        old = previous.get(number, signal.SIG_DFL)
        if callable(old):
            old(number, frame)
            return
        if old == signal.SIG_IGN:
            return
        signal.signal(number, signal.SIG_DFL)
        os.kill(os.getpid(), number)

    for number in _STOP_SIGNALS:
        previous[number] = signal.getsignal(number)
        signal.signal(number, handler)
    return previous


@contextlib.contextmanager
def moto_server(
    *, port: int | None = None, handle_signals: bool = False, **kwargs: Any
) -> Iterator[MotoServer]:
    """Run moto's server for the length of a ``with`` block.

    The server is stopped when the block ends, when it raises, when the
    interpreter exits, and, with ``handle_signals``, on SIGTERM, SIGINT and
    SIGHUP (then the signal's previous handler runs).

    :param port: the port to bind; a free one when omitted.
    :param handle_signals: also stop the server on those signals; only done in the
        main thread.
    :param kwargs: passed on to :class:`MotoServer`.
    :returns: a context manager that yields the running server.
    """
    server = MotoServer(port, **kwargs)
    atexit.register(server.stop)
    previous = _install_signal_handlers(server) if handle_signals else {}
    try:
        yield server.start()
    finally:
        server.stop()
        for number, old in previous.items():
            signal.signal(number, old)
        atexit.unregister(server.stop)
