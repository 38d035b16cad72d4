"""The conformance kit on drivers made to keep or break the contract: it passes a
good driver that takes its time, skips what is not claimed, and names the method,
the rule and what was returned for each broken one."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET

import pytest

DRIVERS = '''
import itertools

from nubo.compute import (
    Node, NodeDriver, NodeImage, NodeSize, NodeState, StorageVolume,
    StorageVolumeState,
)
from nubo.errors import NotFoundError
from nubo.testing import ConformanceSuite


class SlowDriver(NodeDriver):
    """Nodes pend for two listings and volumes change state a listing late."""

    type = "kit-slow"

    def __init__(self, *args, **kwargs):
        super().__init__(None)
        self.nodes = {}
        self.volumes = {}
        self.ids = itertools.count(1)

    def list_sizes(self, location=None):
        return [NodeSize("small", "small", 512, 10, None, 0.01, self)]

    def list_images(self, location=None):
        return [NodeImage("debian", "Debian", self)]

    def get_image(self, image_id):
        for image in self.list_images():
            if image.id == image_id:
                return image
        raise NotFoundError(f"no image {image_id}", status=404)

    def _node(self, record):
        running = record["looks"] >= 2 and record["state"] == "pending"
        if running:
            record["state"] = "running"
        record["looks"] += 1
        ips = ["192.0.2.7"] if record["state"] == "running" else []
        return Node(record["id"], record["name"], record["state"], ips, [], self)

    def list_nodes(self):
        return [self._node(r) for r in self.nodes.values()]

    def get_node(self, node_id):
        if node_id not in self.nodes:
            raise NotFoundError(f"no node {node_id}", status=404)
        return self._node(self.nodes[node_id])

    def create_node(self, name, size, image, location=None, auth=None, **kwargs):
        node_id = f"n-{next(self.ids)}"
        self.nodes[node_id] = {"id": node_id, "name": name, "state": "pending",
                               "looks": 0}
        return Node(node_id, name, NodeState.PENDING, [], [], self)

    def destroy_node(self, node):
        self.nodes[node.id]["state"] = "terminated"
        return True

    def _volume(self, record):
        if record["due"] is not None:
            record["state"], record["due"] = record["due"], None
        return StorageVolume(record["id"], record["name"], 1, self, record["state"])

    def list_volumes(self):
        return [self._volume(r) for r in self.volumes.values()]

    def create_volume(self, size, name, location=None, snapshot=None):
        volume_id = f"v-{next(self.ids)}"
        self.volumes[volume_id] = {"id": volume_id, "name": name,
                                   "state": "creating", "due": "available"}
        return StorageVolume(volume_id, name, size, self, "creating")

    def attach_volume(self, node, volume, device=None):
        self.volumes[volume.id].update(state="attaching", due="inuse")
        return True

    def detach_volume(self, volume):
        self.volumes[volume.id].update(state="detaching", due="available")
        return True

    def destroy_volume(self, volume):
        del self.volumes[volume.id]
        return True


SLOW_CLAIMS = {
    "list_sizes", "list_images", "get_image", "list_nodes", "get_node",
    "create_node", "destroy_node", "create_volume", "list_volumes",
    "attach_volume", "detach_volume", "destroy_volume",
}


class Kit(ConformanceSuite):
    capabilities = SLOW_CLAIMS
    timeout = 10.0
    wait_period = 0.01


class TestSlow(Kit):
    def make_driver(self):
        return SlowDriver()

    def make_paged_driver(self):
        return SlowDriver()


class EmptyDriver(NodeDriver):
    type = "kit-empty"


class TestEmpty(ConformanceSuite):
    def make_driver(self):
        return EmptyDriver(None)


class BadIdDriver(SlowDriver):
    def list_sizes(self, location=None):
        size = NodeSize("small", "small", 512, 10, None, 0.01, self)
        size.id = 5
        return [size]


class TestBadId(Kit):
    def make_driver(self):
        return BadIdDriver()


class RawStateDriver(SlowDriver):
    def list_nodes(self):
        nodes = super().list_nodes()
        for node in nodes:
            node.state = "active"
        return nodes


class TestRawState(Kit):
    timeout = 0.2

    def make_driver(self):
        driver = RawStateDriver()
        driver.create_node("web", None, None)
        return driver


class KeyErrorDriver(SlowDriver):
    def get_node(self, node_id):
        return self._node(self.nodes[node_id])


class TestKeyError(Kit):
    def make_driver(self):
        return KeyErrorDriver()


class TestOverclaim(Kit):
    capabilities = SLOW_CLAIMS | {"create_key_pair"}

    def make_driver(self):
        return SlowDriver()


class DuplicateDriver(SlowDriver):
    def list_images(self, location=None):
        return super().list_images() * 2


class TestDuplicate(Kit):
    def make_driver(self):
        return DuplicateDriver()


class ShortPageDriver(SlowDriver):
    def list_sizes(self, location=None):
        return []


class TestShortPage(Kit):
    def make_driver(self):
        return SlowDriver()

    def make_paged_driver(self):
        return ShortPageDriver()


class DenyingDriver(SlowDriver):
    @classmethod
    def supports(cls, method):
        denied = ("list_sizes", "iter_sizes")
        return method not in denied and super().supports(method)


class TestDenying(Kit):
    capabilities = SLOW_CLAIMS - {"list_sizes"}

    def make_driver(self):
        return DenyingDriver()


class NeverRunsDriver(SlowDriver):
    def _node(self, record):
        return Node(record["id"], record["name"], "pending", [], [], self)


class StuckVolumeDriver(SlowDriver):
    def create_volume(self, size, name, location=None, snapshot=None):
        volume = super().create_volume(size, name, location, snapshot)
        self.volumes[volume.id]["due"] = None
        return volume


class TestStuckVolume(Kit):
    timeout = 0.2

    def make_driver(self):
        return StuckVolumeDriver()


class TestNeverRuns(Kit):
    timeout = 0.2

    def make_driver(self):
        return NeverRunsDriver()
'''


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, str]]:
    """Run the kit over every driver above once; ``{test id: (outcome, text)}``."""
    where = tmp_path_factory.mktemp("kit")
    (where / "test_kit_subjects.py").write_text(textwrap.dedent(DRIVERS))
    report = where / "report.xml"

    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            f"--junitxml={report}",
            "--rootdir",
            str(where),
            str(where / "test_kit_subjects.py"),
        ],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "NUBO_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )

    found: dict[str, tuple[str, str]] = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        name = f"{case.get('classname', '').rsplit('.', 1)[-1]}::{case.get('name')}"
        outcome, text = "passed", ""
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                outcome = child.tag
                text = (child.get("message") or "") + "\n" + (child.text or "")
        found[name] = (outcome, text)
    return found


def _of(outcomes: dict[str, tuple[str, str]], cls: str) -> dict[str, tuple[str, str]]:
    return {
        name.split("::", 1)[1]: value
        for name, value in outcomes.items()
        if name.startswith(f"{cls}::")
    }


def test_a_good_driver_that_takes_its_time_passes(
    outcomes: dict[str, tuple[str, str]],
) -> None:
    slow = _of(outcomes, "TestSlow")

    assert slow, "the kit collected no tests"
    assert [name for name, (o, _) in slow.items() if o in ("failure", "error")] == []
    for name in (
        "test_node_lifecycle",
        "test_volume_attach_detach",
        "test_volume_lifecycle",
        "test_wait_until_running_outcomes",
        "test_get_image",
        "test_get_image_unknown",
        "test_lists_complete_across_pages[sizes]",
    ):
        assert slow[name][0] == "passed", (name, slow[name])


def test_unclaimed_methods_are_skipped_as_unsupported(
    outcomes: dict[str, tuple[str, str]],
) -> None:
    empty = _of(outcomes, "TestEmpty")

    assert [name for name, (o, _) in empty.items() if o in ("failure", "error")] == []
    assert empty["test_supports_agrees_with_claims"][0] == "passed"
    assert empty["test_unsupported_methods_raise_not_supported"][0] == "passed"
    assert empty["test_node_lifecycle"][0] == "skipped"
    assert "unsupported" in empty["test_node_lifecycle"][1]
    assert "create_node" in empty["test_node_lifecycle"][1]


@pytest.mark.parametrize(
    ("cls", "test", "expected"),
    [
        (
            "TestBadId",
            "test_list_sizes",
            "list_sizes(): every id is a non-empty string; it returned 5",
        ),
        (
            "TestRawState",
            "test_list_nodes",
            "list_nodes(): a node's state is a NodeState; it returned 'active'",
        ),
        (
            "TestKeyError",
            "test_get_node_unknown",
            "get_node(): an unknown id raises NotFoundError; it returned KeyError(",
        ),
        (
            "TestOverclaim",
            "test_supports_agrees_with_claims",
            "supports('create_key_pair')(): supports() agrees with the claimed "
            "capabilities: create_key_pair is claimed; it returned False",
        ),
        (
            "TestDuplicate",
            "test_list_images",
            "list_images(): no item is listed twice; it returned ['debian', 'debian']",
        ),
        (
            "TestShortPage",
            "test_lists_complete_across_pages[sizes]",
            "list_sizes(): a list holds every item across every page; it returned []",
        ),
        (
            "TestDenying",
            "test_unsupported_methods_raise_not_supported",
            "iter_sizes(): a method supports() says no to raises NotSupportedError; "
            "it returned <NodeSize id='small'",
        ),
        (
            "TestStuckVolume",
            "test_volume_lifecycle",
            "list_volumes(): volume v-1 becomes available within 0.2 s; it returned "
            "<StorageVolume id='v-1'",
        ),
        (
            "TestNeverRuns",
            "test_node_lifecycle",
            "WaitTimeoutError",
        ),
    ],
)
def test_a_broken_rule_is_named_with_what_was_returned(
    outcomes: dict[str, tuple[str, str]], cls: str, test: str, expected: str
) -> None:
    outcome, text = _of(outcomes, cls)[test]

    assert outcome == "failure", (outcome, text)
    assert expected in text
