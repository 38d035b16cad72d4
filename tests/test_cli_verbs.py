"""Every verb of the compute commands, in process, on one dummy cloud.

A subprocess starts a fresh dummy cloud each time, so the verbs that act on
what an earlier command made (reboot, attach, snapshot, delete...) are run here
through ``nubo._cli.main``, on a dummy provider registered at run time whose
drivers all share one cloud. What ``main`` prints is read from ``capsys``: not a
terminal, so JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

import nubo
from nubo import _cli
from nubo.compute import Node

nubo_dummy = pytest.importorskip("nubo_dummy")

PROVIDER = "shared-dummy"


class SharedDummy(nubo_dummy.DummyNodeDriver):  # type: ignore[misc]
    """A dummy driver whose every instance works on the first one's cloud."""

    type = PROVIDER
    cloud: ClassVar[Any] = None
    calls: ClassVar[list[str]] = []
    interrupt_on: ClassVar[str | None] = None
    key_pair_error: ClassVar[BaseException | None] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("ex_boot_delay", 0)
        kwargs.setdefault("ex_seed", 3)
        super().__init__(*args, **kwargs)
        if SharedDummy.cloud is None:
            SharedDummy.cloud = self
        else:
            self.__dict__ = SharedDummy.cloud.__dict__

    def reboot_node(self, node: Node) -> bool:
        SharedDummy.calls.append(f"reboot {node.id}")
        if SharedDummy.interrupt_on == node.id:
            raise KeyboardInterrupt
        return bool(super().reboot_node(node))

    def create_key_pair(self, name: str) -> Any:
        if SharedDummy.key_pair_error is not None:
            raise SharedDummy.key_pair_error
        return super().create_key_pair(name)


@pytest.fixture(autouse=True)
def shared(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Iterator[None]:
    for name in ("NUBO_CONFIG", "NUBO_PROFILE", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    SharedDummy.cloud = None
    SharedDummy.calls = []
    SharedDummy.interrupt_on = None
    SharedDummy.key_pair_error = None
    nubo.register_driver(PROVIDER, SharedDummy)
    yield
    nubo.unregister_driver(PROVIDER)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any, str]:
    status = _cli.main(["-p", PROVIDER, *args])
    captured = capsys.readouterr()
    data = json.loads(captured.out) if captured.out.strip() else None
    return status, data, captured.err


def ok(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    status, data, err = run(capsys, *args)
    assert status == 0, err
    return data


def make_node(
    capsys: pytest.CaptureFixture[str], name: str = "web-1"
) -> dict[str, Any]:
    [node] = ok(
        capsys,
        *("nodes", "create", name, "--size", "d1.small", "--image", "img-debian-12"),
        *("--wait", "--interval", "0.05"),
    )
    return dict(node)


def test_nodes_lifecycle(capsys: pytest.CaptureFixture[str]) -> None:
    node = make_node(capsys)
    assert node["state"] == "running"

    assert [n["id"] for n in ok(capsys, "nodes", "list")] == [node["id"]]
    assert ok(capsys, "nodes", "show", node["id"])["name"] == "web-1"

    [stopped] = ok(capsys, "nodes", "stop", node["id"])
    assert stopped == {
        "id": node["id"],
        "name": "web-1",
        "action": "stop",
        "accepted": True,
        "result": "stop: accepted",
    }
    assert ok(capsys, "nodes", "show", node["id"])["state"] == "stopped"

    ok(capsys, "nodes", "start", node["id"])
    [waited] = ok(capsys, "nodes", "wait", node["id"], "--interval", "0.05")
    assert waited["state"] == "running"

    ok(capsys, "nodes", "reboot", node["id"])
    assert SharedDummy.calls == [f"reboot {node['id']}"]

    ok(capsys, "nodes", "destroy", node["id"])
    assert ok(capsys, "nodes", "show", node["id"])["state"] == "terminated"


def test_an_unknown_id_stops_before_anything_is_done(
    capsys: pytest.CaptureFixture[str],
) -> None:
    node = make_node(capsys)

    status, data, err = run(capsys, "nodes", "reboot", node["id"], "node-nope")

    assert status == 1
    assert data is None
    assert "node-nope" in err
    assert SharedDummy.calls == []


def test_ctrl_c_in_the_middle_says_what_was_done_and_what_was_not(
    capsys: pytest.CaptureFixture[str],
) -> None:
    a, b, c = (make_node(capsys, name) for name in ("a", "b", "c"))
    SharedDummy.interrupt_on = b["id"]

    status, data, err = run(capsys, "nodes", "reboot", a["id"], b["id"], c["id"])

    assert status == 130
    # What was done is still printed for scripts.
    assert [row["id"] for row in data] == [a["id"]]
    assert f"interrupted while rebooting node 'b' ({b['id']})" in err
    assert f"nodes show {b['id']}" in err
    assert f"done before that: rebooted node 'a' ({a['id']})" in err
    assert f"not done: 'c' ({c['id']})" in err


def test_volumes_and_snapshots(capsys: pytest.CaptureFixture[str]) -> None:
    node = make_node(capsys)

    volume = ok(capsys, "volumes", "create", "data", "--size", "20")
    assert (volume["name"], volume["size"], volume["state"]) == (
        "data",
        20,
        "available",
    )

    ok(capsys, "volumes", "attach", volume["id"], node["id"], "--device", "/dev/vdc")
    [listed] = ok(capsys, "volumes", "list")
    assert listed["state"] == "inuse"
    assert listed["extra"]["device"] == "/dev/vdc"

    snapshot = ok(capsys, "snapshots", "create", volume["id"], "--name", "before")
    assert snapshot["name"] == "before"
    assert [s["id"] for s in ok(capsys, "snapshots", "list", volume["id"])] == [
        snapshot["id"]
    ]

    copy = ok(
        capsys,
        "volumes",
        "create",
        "copy",
        "--size",
        "20",
        "--snapshot",
        snapshot["id"],
    )
    assert copy["extra"]["snapshot_id"] == snapshot["id"]

    ok(capsys, "volumes", "detach", volume["id"])
    ok(capsys, "snapshots", "destroy", snapshot["id"])
    ok(capsys, "volumes", "destroy", volume["id"], copy["id"])
    assert ok(capsys, "volumes", "list") == []


def test_images(capsys: pytest.CaptureFixture[str]) -> None:
    node = make_node(capsys)

    image = ok(capsys, "images", "create", node["id"], "golden", "--description", "v1")
    assert image["extra"]["description"] == "v1"
    assert image["id"] in {i["id"] for i in ok(capsys, "images", "list")}
    assert ok(capsys, "images", "show", image["id"])["name"] == "golden"

    ok(capsys, "images", "delete", image["id"])
    status, _, err = run(capsys, "images", "show", image["id"])
    assert status == 1
    assert image["id"] in err


def test_key_pairs(capsys: pytest.CaptureFixture[str], tmp_path: Any) -> None:
    made = ok(
        capsys, "keys", "create", "deploy", "--private-key-file", str(tmp_path / "k")
    )

    assert [k["name"] for k in ok(capsys, "keys", "list")] == ["deploy"]
    assert "private_key" not in made

    ok(capsys, "keys", "delete", "deploy")
    assert ok(capsys, "keys", "list") == []


def test_sizes_and_images_of_a_location(capsys: pytest.CaptureFixture[str]) -> None:
    everywhere = ok(capsys, "sizes", "list")
    in_sgp1 = ok(capsys, "sizes", "list", "--location", "sgp1")

    assert {s["id"] for s in in_sgp1} <= {s["id"] for s in everywhere}
    status, _, err = run(capsys, "sizes", "list", "--location", "mars1")
    assert status == 2
    assert "no location 'mars1'" in err
    assert "locations list" in err


def test_create_with_an_ssh_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    made = ok(
        capsys, "keys", "create", "me", "--private-key-file", str(tmp_path / "me")
    )
    pub = tmp_path / "me.pub"
    pub.write_text(made["public_key"] + "\n")

    [node] = ok(
        capsys,
        *("nodes", "create", "ssh-1", "--size", "d1.small", "--image", "img-debian-12"),
        *("--ssh-key", str(pub), "--ex", "ex_key_name=me"),
    )

    assert node["extra"]["auth"] == "ssh_key"
    assert node["extra"]["key_name"] == "me"


def test_a_private_key_given_as_ssh_key_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    ok(capsys, "keys", "create", "me", "--private-key-file", str(tmp_path / "me"))

    status, _, err = run(
        capsys,
        *("nodes", "create", "x", "--size", "d1.small", "--image", "img-debian-12"),
        *("--ssh-key", str(tmp_path / "me")),
    )

    assert status == 2
    assert "private key" in err
    assert ok(capsys, "nodes", "list") == []


def test_ctrl_c_while_making_a_key_pair_leaves_no_key_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    SharedDummy.key_pair_error = KeyboardInterrupt()

    status, data, err = run(
        capsys, "keys", "create", "deploy", "--private-key-file", str(tmp_path / "k")
    )

    assert status == 130
    assert data is None
    assert not (tmp_path / "k").exists()
    assert "interrupted while creating key pair 'deploy'" in err
    assert "its private key is lost" in err
    assert "keys delete deploy" in err


def test_an_unexpected_error_is_one_line_without_a_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    SharedDummy.key_pair_error = ZeroDivisionError("a bug in the driver")

    status, _, err = run(
        capsys, "keys", "create", "deploy", "--private-key-file", str(tmp_path / "k")
    )

    assert status == 1
    [line] = err.splitlines()
    assert line.startswith("nubo: error: unexpected ZeroDivisionError: a bug")
    assert "--debug" in line
    assert not (tmp_path / "k").exists()

    status, _, err = run(
        capsys,
        *("--debug", "keys", "create", "deploy"),
        *("--private-key-file", str(tmp_path / "k")),
    )
    assert status == 1
    assert "Traceback" in err


def test_warnings_are_shown_without_debug(capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    class Warns(SharedDummy):
        def list_locations(self) -> Any:
            logging.getLogger("nubo.test").warning("the %s answered slowly", "cloud")
            return super().list_locations()

    nubo.register_driver("warning-dummy", Warns)
    try:
        status = _cli.main(["-p", "warning-dummy", "locations", "list"])
    finally:
        nubo.unregister_driver("warning-dummy")

    assert status == 0
    assert capsys.readouterr().err == "nubo: warning: the cloud answered slowly\n"
