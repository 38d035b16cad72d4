"""What the command line prints: records, JSON-safe extras, tables, scrubbing."""

from __future__ import annotations

import io
import json
from datetime import datetime, timezone
from enum import Enum

import pytest

from nubo._cli_output import Scrubber, json_safe, to_record, write
from nubo.compute import (
    KeyPair,
    Node,
    NodeDriver,
    NodeImage,
    NodeSize,
    NodeState,
    StorageVolume,
    VolumeSnapshot,
)


class Driver(NodeDriver):
    type = "fake"


@pytest.fixture
def driver() -> Driver:
    return Driver(None)


class Colour(Enum):
    RED = "red"


def test_json_safe_keeps_what_json_holds_and_drops_the_rest(driver: Driver) -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    value = {
        "text": "a",
        "number": 1,
        "ratio": 0.5,
        "flag": True,
        "nothing": None,
        "nan": float("nan"),
        "infinite": float("inf"),
        "when": when,
        "colour": Colour.RED,
        "state": NodeState.RUNNING,
        "tags": ("a", object(), 2),
        "set": frozenset({"x"}),
        "image": NodeImage("img-1", "x", driver),
        "blob": b"\x00\x01",
        "object": object(),
        "nested": {"deep": {"when": when}, 3: "non-string key"},
        "admin_password": "hunter2",
        "SecretAccessKey": "s",
        "client_token": "t",
        "private_key": "k",
    }

    safe = json_safe(value)

    assert safe == {
        "text": "a",
        "number": 1,
        "ratio": 0.5,
        "flag": True,
        "nothing": None,
        "when": "2026-01-02T03:04:05+00:00",
        "colour": "red",
        "state": "running",
        "tags": ["a", 2],
        "set": ["x"],
        "image": "img-1",
        "nested": {"deep": {"when": "2026-01-02T03:04:05+00:00"}},
    }
    json.dumps(safe, allow_nan=False)


def test_node_record(driver: Driver) -> None:
    size = NodeSize("s-1", "small", 1024, 10, None, None, driver)
    image = NodeImage("img-1", "debian", driver)
    node = Node(
        "n-1",
        "web",
        "running",
        ["198.18.0.1"],
        ["10.0.0.1"],
        driver,
        size=size,
        image=image,
        extra={"zone": "a", "driver_object": driver},
    )

    assert to_record(node) == {
        "id": "n-1",
        "name": "web",
        "state": "running",
        "public_ips": ["198.18.0.1"],
        "private_ips": ["10.0.0.1"],
        "size_id": "s-1",
        "image_id": "img-1",
        "created_at": None,
        "provider": "fake",
        "extra": {"zone": "a"},
    }


def test_a_key_pair_record_never_holds_the_private_key(driver: Driver) -> None:
    pair = KeyPair(
        "deploy",
        "ssh-ed25519 AAAA",
        "aa:bb",
        driver,
        private_key="-----BEGIN OPENSSH PRIVATE KEY-----\nabc",
        extra={"private_key_material": "abc"},
    )

    record = to_record(pair)

    assert "abc" not in json.dumps(record)
    assert record["fingerprint"] == "aa:bb"


def test_volume_and_snapshot_records(driver: Driver) -> None:
    volume = StorageVolume("v-1", "data", 20, driver, "inuse")
    snapshot = VolumeSnapshot("snap-1", driver, size=20, state="available")

    assert to_record(volume)["state"] == "inuse"
    assert to_record(snapshot)["state"] == "available"
    assert to_record(snapshot)["created"] is None


def test_to_record_refuses_what_is_not_a_model() -> None:
    with pytest.raises(TypeError):
        to_record(object())


def test_scrubber() -> None:
    scrub = Scrubber()
    scrub.add(["abcdefgh", "abcdefghijkl", "short", ""])

    assert scrub("key abcdefghijkl and abcdefgh, short") == "key *** and ***, short"


def render(data: object, kind: str, output: str, scrub: Scrubber | None = None) -> str:
    out = io.StringIO()
    write(out, data, kind=kind, output=output, scrub=scrub or Scrubber())  # type: ignore[arg-type]
    return out.getvalue()


def test_table_of_records() -> None:
    rows = [
        {"id": "n-1", "name": "web", "state": "running", "public_ips": ["a", "b"]},
        {"id": "n-22", "name": None, "state": "pending", "public_ips": []},
    ]

    text = render(rows, "node", "table")

    assert text.splitlines() == [
        "ID    NAME  STATE    PUBLIC IPS  PRIVATE IPS  SIZE  IMAGE",
        "n-1   web   running  a,b         -            -     -",
        "n-22  -     pending  -           -            -     -",
    ]


def test_an_empty_table_says_so() -> None:
    assert render([], "node", "table") == "(none)\n"


def test_a_table_holds_no_control_characters() -> None:
    rows = [{"id": "n-1", "name": "evil\x1b]0;owned\x07\nname\u202e"}]

    text = render(rows, "node", "table")

    assert "\x1b" not in text
    assert "\x07" not in text
    assert "\u202e" not in text
    assert len(text.splitlines()) == 2


def test_one_record_as_fields() -> None:
    record = {"id": "n-1", "name": "web", "extra": {"zone": "a", "tags": ["x", "y"]}}

    assert render(record, "node", "table").splitlines() == [
        "id          n-1",
        "name        web",
        "extra.zone  a",
        "extra.tags  x,y",
    ]


def test_json_output_is_scrubbed_too() -> None:
    scrub = Scrubber()
    scrub.add(["leaked-secret"])

    text = render([{"id": "leaked-secret"}], "node", "json", scrub)

    assert json.loads(text) == [{"id": "***"}]
