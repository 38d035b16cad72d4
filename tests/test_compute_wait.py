"""wait_until_running in each of its outcomes, on a scripted provider and a fake
clock, so that no test sleeps."""

import time
from collections.abc import Sequence
from typing import Any

import pytest

import nubo.errors
from nubo.compute import Node, NodeDriver, NodeState
from nubo.errors import InvalidArgumentError, WaitFailedError, WaitTimeoutError

#: (id, state, public ips, private ips) for each node a round lists.
Spec = tuple[str, str, list[str], list[str]]


class ScriptedDriver(NodeDriver):
    """Lists the nodes of one scripted round per call; the last round repeats.

    Time is a counter that only sleeping moves on.
    """

    type = "scripted"

    def __init__(self, rounds: Sequence[Sequence[Spec]]) -> None:
        super().__init__(None)
        self.rounds = rounds
        self.calls: list[dict[str, Any]] = []
        self.now = 1000.0
        self.sleeps: list[float] = []

    def list_nodes(self, **kwargs: Any) -> list[Node]:
        self.calls.append(kwargs)
        spec = self.rounds[min(len(self.calls), len(self.rounds)) - 1]
        return [
            Node(node_id, f"name-{node_id}", state, public, private, self)
            for node_id, state, public, private in spec
        ]

    def _clock(self) -> float:
        return self.now

    def _sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def given(driver: NodeDriver, *ids: str) -> list[Node]:
    return [Node(i, f"name-{i}", NodeState.PENDING, [], [], driver) for i in ids]


def test_returns_fresh_nodes_with_addresses_once_running() -> None:
    driver = ScriptedDriver(
        [
            [("a", "pending", [], ["10.0.0.1"]), ("b", "pending", [], [])],
            [("a", "running", ["203.0.113.1"], []), ("b", "pending", [], [])],
            [("a", "running", ["203.0.113.1"], []), ("b", "running", ["1.2.3.4"], [])],
        ]
    )
    nodes = given(driver, "a", "b")

    result = driver.wait_until_running(nodes, wait_period=2, timeout=30)

    assert [(n.id, ips) for n, ips in result] == [
        ("a", ["203.0.113.1"]),
        ("b", ["1.2.3.4"]),
    ]
    assert all(n.state is NodeState.RUNNING for n, _ in result)
    assert result[0][0] is not nodes[0]
    assert len(driver.calls) == 3
    assert driver.sleeps == [2, 2]


def test_keeps_the_order_the_nodes_were_given_in() -> None:
    driver = ScriptedDriver(
        [[("a", "running", ["1.1.1.1"], []), ("b", "running", ["2.2.2.2"], [])]]
    )

    result = driver.wait_until_running(given(driver, "b", "a"))

    assert [n.id for n, _ in result] == ["b", "a"]


def test_addresses_have_no_duplicates_and_skip_what_is_not_an_address() -> None:
    public = ["203.0.113.9", "203.0.113.9", "", "not-an-ip", " 203.0.113.10 "]
    driver = ScriptedDriver([[("a", "running", public, [])]])

    [(_, addresses)] = driver.wait_until_running(given(driver, "a"))

    assert addresses == ["203.0.113.9", "203.0.113.10"]


def test_ipv6_counts_only_without_force_ipv4() -> None:
    public = ["2001:db8::1", "203.0.113.7", "2001:DB8:0::1"]
    driver = ScriptedDriver([[("a", "running", public, [])]])

    [(_, v4)] = driver.wait_until_running(given(driver, "a"))
    [(_, both)] = driver.wait_until_running(given(driver, "a"), force_ipv4=False)

    assert v4 == ["203.0.113.7"]
    assert both == ["2001:db8::1", "203.0.113.7"]


def test_a_node_with_only_ipv6_is_not_ready_when_ipv4_is_forced() -> None:
    driver = ScriptedDriver([[("a", "running", ["2001:db8::1"], [])]])

    with pytest.raises(WaitTimeoutError, match="no IPv4 address in public_ips"):
        driver.wait_until_running(given(driver, "a"), wait_period=1, timeout=3)


def test_private_interface_uses_private_addresses() -> None:
    driver = ScriptedDriver([[("a", "running", ["203.0.113.1"], ["10.1.2.3"])]])

    [(_, addresses)] = driver.wait_until_running(
        given(driver, "a"), ssh_interface="private_ips"
    )

    assert addresses == ["10.1.2.3"]


def test_list_nodes_gets_the_extra_kwargs() -> None:
    driver = ScriptedDriver([[("a", "running", ["1.1.1.1"], [])]])

    driver.wait_until_running(
        given(driver, "a"), ex_list_nodes_kwargs={"ex_filters": {"tag": "web"}}
    )

    assert driver.calls == [{"ex_filters": {"tag": "web"}}]


@pytest.mark.parametrize(
    ("state", "words"), [("terminated", "terminated"), ("error", "in error")]
)
def test_fails_at_once_naming_a_node_that_cannot_run(state: str, words: str) -> None:
    driver = ScriptedDriver(
        [[("ok", "pending", [], []), ("bad", state, [], [])]],
    )

    with pytest.raises(WaitFailedError, match=f"'name-bad' \\(bad\\) is {words} ") as e:
        driver.wait_until_running(given(driver, "ok", "bad"), timeout=600)

    assert e.value.resource_id == "bad"
    assert e.value.state == state
    assert driver.sleeps == []


def test_fails_at_once_when_a_node_is_gone() -> None:
    driver = ScriptedDriver(
        [
            [("a", "pending", [], []), ("b", "pending", [], [])],
            [("a", "pending", [], [])],
        ]
    )

    with pytest.raises(WaitFailedError, match="'name-b' \\(b\\) is gone") as caught:
        driver.wait_until_running(given(driver, "a", "b"), wait_period=5)

    assert caught.value.resource_id == "b"
    assert caught.value.state is None
    assert driver.sleeps == [5]


def test_timeout_names_each_pending_node_and_its_last_state() -> None:
    driver = ScriptedDriver(
        [
            [
                ("a", "running", ["1.1.1.1"], []),
                ("b", "pending", [], []),
                ("c", "running", [], []),
            ]
        ]
    )

    with pytest.raises(WaitTimeoutError) as caught:
        driver.wait_until_running(
            given(driver, "a", "b", "c"), wait_period=4, timeout=10
        )

    error = caught.value
    assert error.timeout == 10
    assert error.pending == (
        ("b", "pending"),
        ("c", "running, no IPv4 address in public_ips yet"),
    )
    assert "'name-b' (b): pending" in str(error)
    assert "'name-c' (c): running, no IPv4 address" in str(error)
    assert "name-a" not in str(error)


def test_never_sleeps_past_the_deadline() -> None:
    driver = ScriptedDriver([[("a", "pending", [], [])]])

    with pytest.raises(WaitTimeoutError):
        driver.wait_until_running(given(driver, "a"), wait_period=4, timeout=10)

    assert driver.sleeps == [4, 4, 2]
    assert len(driver.calls) == 4


def test_zero_timeout_polls_once() -> None:
    driver = ScriptedDriver([[("a", "pending", [], [])]])

    with pytest.raises(WaitTimeoutError):
        driver.wait_until_running(given(driver, "a"), timeout=0)

    assert len(driver.calls) == 1
    assert driver.sleeps == []


def test_progress_is_called_after_each_round() -> None:
    driver = ScriptedDriver(
        [
            [("a", "pending", [], []), ("b", "running", ["1.1.1.1"], [])],
            [("a", "running", ["2.2.2.2"], []), ("b", "running", ["1.1.1.1"], [])],
        ]
    )
    seen: list[tuple[list[str], list[str], float]] = []

    def progress(
        ready: Sequence[Node], pending: Sequence[Node], elapsed: float
    ) -> None:
        seen.append(([n.id for n in ready], [n.id for n in pending], elapsed))

    driver.wait_until_running(given(driver, "a", "b"), wait_period=3, progress=progress)

    assert seen == [(["b"], ["a"], 0.0), (["a", "b"], [], 3.0)]


def test_a_node_given_twice_is_waited_for_once() -> None:
    driver = ScriptedDriver([[("a", "running", ["1.1.1.1"], [])]])
    node = given(driver, "a")[0]

    result = driver.wait_until_running([node, node])

    assert len(result) == 1


def test_no_nodes_means_no_wait() -> None:
    driver = ScriptedDriver([[]])

    assert driver.wait_until_running([]) == []
    assert driver.calls == []


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"ssh_interface": "public_ip"}, "ssh_interface"),
        ({"ssh_interface": "ipv6"}, "ssh_interface"),
        ({"wait_period": 0}, "wait_period"),
        ({"wait_period": -1}, "wait_period"),
        ({"timeout": -5}, "timeout"),
    ],
)
def test_bad_arguments_are_refused_before_any_call(
    kwargs: dict[str, Any], argument: str
) -> None:
    driver = ScriptedDriver([[("a", "running", ["1.1.1.1"], [])]])

    with pytest.raises(InvalidArgumentError) as caught:
        driver.wait_until_running(given(driver, "a"), **kwargs)

    assert caught.value.argument == argument
    assert driver.calls == []


@pytest.mark.parametrize("nodes", ["a", None, ["a"]])
def test_nodes_must_be_a_list_of_nodes(nodes: Any) -> None:
    driver = ScriptedDriver([[]])

    with pytest.raises(InvalidArgumentError, match="Node"):
        driver.wait_until_running(nodes)


def test_a_single_node_not_in_a_list_is_refused() -> None:
    driver = ScriptedDriver([[]])

    with pytest.raises(InvalidArgumentError, match="wrap a single node in a list"):
        driver.wait_until_running(given(driver, "a")[0])  # type: ignore[arg-type]


def test_the_default_clock_is_monotonic(monkeypatch: pytest.MonkeyPatch) -> None:
    class Plain(NodeDriver):
        type = "plain"

    ticks = iter([5.0, 6.0])
    monkeypatch.setattr(time, "monotonic", lambda: next(ticks))
    monkeypatch.setattr(time, "time", lambda: pytest.fail("the wall clock was read"))

    driver = Plain(None)

    assert driver._clock() == 5.0
    assert driver._clock() == 6.0


def test_wait_errors_survive_pickling() -> None:
    import pickle

    failed = WaitFailedError("node x is gone", resource_id="x", state=None)
    late = WaitTimeoutError("late", timeout=3.0, pending=[("x", "pending")])

    for error in (failed, late):
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error)
        assert copy.__dict__ == error.__dict__
    assert isinstance(failed, nubo.errors.NuboError)
    assert not isinstance(failed, TimeoutError)
