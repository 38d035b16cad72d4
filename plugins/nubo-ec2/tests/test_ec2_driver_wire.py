"""What the EC2 driver puts on the wire, seen by a relay between it and moto.

The relay listens on 127.0.0.1 on a free port, keeps every byte the driver sends,
and passes them on to moto's server. It proves that the secret key never leaves
the process in any form, that a session token travels only in its header, and
that a RunInstances whose first connection is reset makes one instance, with the
same client token sent on both attempts.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import re
import socket
import struct
import threading
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from _moto_server import MotoServer

from nubo import _hooks
from nubo.compute import NodeState
from nubo_ec2 import EC2NodeDriver

pytestmark = pytest.mark.peer

SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCY/nubo/SECRET"
TOKEN = "FwoGZXIvYXdzEJr//////////nubo+session/token=="


class Relay:
    """A TCP relay on 127.0.0.1 that records what the client sends upstream.

    :param upstream: the ``(host, port)`` to pass the bytes on to.
    :param resets: how many connections to reset, after reading one request
        from each, before relaying the rest.
    """

    def __init__(self, upstream: tuple[str, int], resets: int = 0) -> None:
        self.upstream = upstream
        self.resets = resets
        self.sent = bytearray()
        self.lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.stopped = threading.Event()
        self.port = int(self.listener.getsockname()[1])
        self.threads: list[threading.Thread] = []
        self.open: list[socket.socket] = []
        self.accepting = threading.Thread(target=self._accept, daemon=True)
        self.accepting.start()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            with self.lock:
                reset = self.resets > 0
                self.resets -= 1 if reset else 0
                self.open.append(client)
            target = self._reset if reset else self._relay
            thread = threading.Thread(target=target, args=(client,), daemon=True)
            self.threads.append(thread)
            thread.start()

    def _read_request(self, client: socket.socket) -> bytes:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = client.recv(65536)
            if not chunk:
                return data
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        match = re.search(rb"(?im)^content-length:\s*(\d+)", head)
        length = int(match.group(1)) if match else 0
        while len(body) < length:
            chunk = client.recv(65536)
            if not chunk:
                break
            body += chunk
        return head + b"\r\n\r\n" + body

    def _reset(self, client: socket.socket) -> None:
        request = self._read_request(client)
        with self.lock:
            self.sent += request
        # Linger zero: close() sends RST instead of FIN, a "connection reset".
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.close()

    def _relay(self, client: socket.socket) -> None:
        try:
            server = socket.create_connection(self.upstream, timeout=30)
        except OSError:
            client.close()
            return
        with self.lock:
            self.open.append(server)
        back = threading.Thread(
            target=self._pump, args=(server, client, False), daemon=True
        )
        back.start()
        self._pump(client, server, True)
        back.join(timeout=30)

    def _pump(self, source: socket.socket, sink: socket.socket, record: bool) -> None:
        try:
            while True:
                chunk = source.recv(65536)
                if not chunk:
                    break
                if record:
                    with self.lock:
                        self.sent += chunk
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.stopped.set()
        self.accepting.join(timeout=10)
        self.listener.close()
        with self.lock:
            sockets = list(self.open)
        # shutdown() wakes a thread blocked in recv(); close() alone does not.
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        for thread in self.threads:
            thread.join(timeout=10)


@pytest.fixture(autouse=True)
def _no_plugins(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("NUBO_DISABLE_PLUGIN_AUTOLOAD", "1")
    _hooks._reset()
    yield
    _hooks._reset()


@pytest.fixture
def relay(moto_reset: MotoServer) -> Iterator[Relay]:
    made = Relay(moto_reset.endpoint)
    yield made
    made.close()


def _driver(relay: Relay, **kwargs: object) -> EC2NodeDriver:
    return EC2NodeDriver(
        "AKIDNUBOWIRE",
        SECRET,
        host="127.0.0.1",
        port=relay.port,
        secure=False,
        **kwargs,
    )


def _image_id(driver: EC2NodeDriver) -> str:
    images = driver.list_images(ex_owners="amazon", ex_filters={"name": "amzn2-*"})
    return images[0].id


def _forms_of(secret: str) -> list[bytes]:
    raw = secret.encode()
    return [
        raw,
        quote(secret, safe="").encode(),
        quote(secret, safe="/").encode(),
        base64.b64encode(raw),
        raw.hex().encode(),
        hashlib.sha256(raw).hexdigest().encode(),
        f"AWS4{secret}".encode(),
    ]


def test_the_secret_key_never_reaches_the_wire(relay: Relay) -> None:
    driver = _driver(relay, token=TOKEN)

    image = _image_id(driver)
    node = driver.create_node("wire", "t3.micro", image, ex_userdata="hello")
    volume = driver.create_volume(1, "wire")
    driver.create_volume_snapshot(volume, "wire")
    driver.import_key_pair_from_string(
        "wire",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG7eYhbwG3rmQSHw0tIVa4fT7v4c4yZbpH0Ch1m5"
        "QfCj",
    )
    driver.destroy_node(node)
    relay.close()

    sent = bytes(relay.sent)
    assert sent.count(b"POST / HTTP/1.1") >= 6
    assert sent.count(b"Credential=AKIDNUBOWIRE/") == sent.count(b"POST / HTTP/1.1")
    for form in _forms_of(SECRET):
        assert form not in sent


def test_the_session_token_travels_only_in_its_header(relay: Relay) -> None:
    driver = _driver(relay, token=TOKEN)

    driver.list_nodes()
    driver.list_key_pairs()
    relay.close()

    sent = bytes(relay.sent)
    headers = re.findall(rb"(?im)^x-amz-security-token: (.*)\r$", sent)
    assert headers == [TOKEN.encode()] * 2
    assert sent.count(TOKEN.encode()) == 2
    assert quote(TOKEN, safe="").encode() not in sent


def test_a_reset_run_instances_makes_one_instance(relay: Relay) -> None:
    image = _image_id(_driver(relay))

    # A fresh driver opens a fresh connection, which carries RunInstances and is
    # reset; the retry opens another one, which is relayed.
    relay.resets = 1
    relay.sent.clear()
    driver = _driver(relay)
    node = driver.create_node("only-one", "t3.micro", image)
    nodes = driver.list_nodes()
    relay.close()

    sent = bytes(relay.sent)
    tokens = re.findall(rb"ClientToken=([^&\s]+)", sent)
    assert sent.count(b"Action=RunInstances") == 2
    assert len(tokens) == 2
    assert tokens[0] == tokens[1]
    assert [n.id for n in nodes] == [node.id]
    assert nodes[0].state in (NodeState.PENDING, NodeState.RUNNING)
    assert nodes[0].extra["client_token"] == tokens[0].decode()
