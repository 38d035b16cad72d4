"""How the DigitalOcean driver follows actions, with answers from ``responses``:
polling to completion, errored actions, the timeout, and the 422 "pending event"
answer retried once the event is over.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import responses

from nubo.compute import Node, NodeImage, NodeState, StorageVolume
from nubo.errors import ProviderError, WaitFailedError, WaitTimeoutError
from nubo_digitalocean import DigitalOceanNodeDriver


def _action(action_id: int, status: str, kind: str = "reboot") -> dict[str, Any]:
    return {
        "action": {
            "id": action_id,
            "status": status,
            "type": kind,
            "resource_id": 42,
            "resource_type": "droplet",
        }
    }


def _node(driver: DigitalOceanNodeDriver) -> Node:
    return Node("42", "web-1", NodeState.RUNNING, [], [], driver)


def _paths() -> list[str]:
    return [f"{c.request.method} {c.request.path_url}" for c in responses.calls]


@responses.activate
def test_an_action_is_polled_until_it_completes(
    make_driver: Callable[..., Any],
) -> None:
    driver, clock, base = make_driver(ex_poll_interval=2.5)
    responses.post(f"{base}/droplets/42/actions", json=_action(7, "in-progress"))
    responses.get(f"{base}/actions/7", json=_action(7, "in-progress"))
    responses.get(f"{base}/actions/7", json=_action(7, "completed"))

    assert driver.reboot_node(_node(driver))

    assert _paths() == [
        "POST /v2/droplets/42/actions",
        "GET /v2/actions/7",
        "GET /v2/actions/7",
    ]
    assert json.loads(responses.calls[0].request.body) == {"type": "reboot"}
    assert clock.sleeps == [2.5, 2.5]


@responses.activate
@pytest.mark.parametrize(
    ("method", "kind"),
    [("start_node", "power_on"), ("stop_node", "power_off")],
)
def test_power_actions_send_their_type(
    make_driver: Callable[..., Any], method: str, kind: str
) -> None:
    driver, _, base = make_driver()
    responses.post(f"{base}/droplets/42/actions", json=_action(8, "completed", kind))

    assert getattr(driver, method)(_node(driver))

    assert json.loads(responses.calls[0].request.body) == {"type": kind}
    assert len(responses.calls) == 1


@responses.activate
def test_an_errored_action_raises_with_its_type_and_status(
    make_driver: Callable[..., Any],
) -> None:
    driver, _, base = make_driver()
    responses.post(f"{base}/droplets/42/actions", json=_action(9, "in-progress"))
    responses.get(f"{base}/actions/9", json=_action(9, "errored", "power_on"))

    with pytest.raises(WaitFailedError) as caught:
        driver.start_node(_node(driver))

    assert caught.value.resource_id == "9"
    assert caught.value.state == "errored"
    assert "power_on action 9" in str(caught.value)
    assert "ended errored" in str(caught.value)


@responses.activate
def test_an_action_errored_at_once_raises_even_without_waiting(
    make_driver: Callable[..., Any],
) -> None:
    driver, _, base = make_driver()
    responses.post(f"{base}/droplets/42/actions", json=_action(9, "errored"))

    with pytest.raises(WaitFailedError, match="reboot action 9"):
        driver.reboot_node(_node(driver), ex_wait=False)


@responses.activate
def test_without_waiting_an_action_is_only_posted(
    make_driver: Callable[..., Any],
) -> None:
    driver, _, base = make_driver(ex_wait=False)
    responses.post(f"{base}/droplets/42/actions", json=_action(10, "in-progress"))

    assert driver.reboot_node(_node(driver))

    assert len(responses.calls) == 1


@responses.activate
def test_an_action_that_does_not_end_times_out(
    make_driver: Callable[..., Any],
) -> None:
    driver, clock, base = make_driver(ex_action_timeout=10.0, ex_poll_interval=3.0)
    responses.post(f"{base}/droplets/42/actions", json=_action(11, "in-progress"))
    responses.get(f"{base}/actions/11", json=_action(11, "in-progress"))

    with pytest.raises(WaitTimeoutError) as caught:
        driver.reboot_node(_node(driver))

    assert caught.value.timeout == 10.0
    assert caught.value.pending == (("11", "in-progress"),)
    assert clock.now >= 10.0
    assert clock.sleeps == [3.0] * 4


def _pending_event() -> dict[str, Any]:
    return {
        "id": "unprocessable_entity",
        "message": "Droplet already has a pending event.",
        "request_id": "c5b8a8d2-0a8e-4d4b-9a2b-0d8b7a1f2c3e",
    }


@responses.activate
def test_a_pending_event_is_waited_for_then_the_action_is_posted_again(
    make_driver: Callable[..., Any],
) -> None:
    driver, _, base = make_driver()
    responses.post(f"{base}/droplets/42/actions", status=422, json=_pending_event())
    responses.get(
        f"{base}/droplets/42/actions",
        json={
            "actions": [
                _action(20, "in-progress", "snapshot")["action"],
                _action(19, "completed", "power_on")["action"],
            ],
            "links": {},
            "meta": {"total": 2},
        },
    )
    responses.get(f"{base}/actions/20", json=_action(20, "completed", "snapshot"))
    responses.post(f"{base}/droplets/42/actions", json=_action(21, "completed"))

    assert driver.reboot_node(_node(driver))

    assert _paths() == [
        "POST /v2/droplets/42/actions",
        "GET /v2/droplets/42/actions?per_page=20&page=1",
        "GET /v2/actions/20",
        "POST /v2/droplets/42/actions",
    ]


@responses.activate
def test_a_pending_event_that_never_ends_gives_up_at_the_timeout(
    make_driver: Callable[..., Any],
) -> None:
    driver, clock, base = make_driver(ex_action_timeout=5.0, ex_poll_interval=2.0)
    responses.post(f"{base}/droplets/42/actions", status=422, json=_pending_event())
    responses.get(
        f"{base}/droplets/42/actions", json={"actions": [], "links": {}, "meta": {}}
    )

    with pytest.raises(ProviderError) as caught:
        driver.reboot_node(_node(driver))

    assert caught.value.status == 422
    assert caught.value.code == "unprocessable_entity"
    assert caught.value.request_id == "c5b8a8d2-0a8e-4d4b-9a2b-0d8b7a1f2c3e"
    assert clock.now >= 5.0


@responses.activate
def test_another_422_is_not_retried(make_driver: Callable[..., Any]) -> None:
    driver, _, base = make_driver()
    responses.post(
        f"{base}/droplets/42/actions",
        status=422,
        json={"id": "unprocessable_entity", "message": "Droplet is already off."},
    )

    with pytest.raises(ProviderError, match="already off"):
        driver.stop_node(_node(driver))

    assert len(responses.calls) == 1


@responses.activate
def test_create_image_snapshots_and_finds_the_image(
    make_driver: Callable[..., Any],
) -> None:
    driver, _, base = make_driver()
    responses.post(f"{base}/droplets/42/actions", json=_action(30, "in-progress"))
    responses.get(f"{base}/actions/30", json=_action(30, "completed", "snapshot"))
    responses.get(
        f"{base}/droplets/42/snapshots",
        json={
            "snapshots": [
                {"id": 1, "name": "old", "created_at": "2026-01-01T00:00:00Z"},
                {"id": 2, "name": "nightly", "created_at": "2026-02-01T00:00:00Z"},
                {"id": 3, "name": "nightly", "created_at": "2026-03-01T00:00:00Z"},
            ],
            "links": {},
            "meta": {"total": 3},
        },
    )

    image = driver.create_image(_node(driver), "nightly")

    assert image.id == "3"
    body = json.loads(responses.calls[0].request.body)
    assert body == {"type": "snapshot", "name": "nightly"}


@responses.activate
def test_copy_image_transfers_then_renames(make_driver: Callable[..., Any]) -> None:
    driver, _, base = make_driver()
    image = NodeImage("77", "base", driver, extra={"description": ""})
    responses.post(
        f"{base}/images/77/actions", json=_action(40, "in-progress", "transfer")
    )
    responses.get(f"{base}/actions/40", json=_action(40, "completed", "transfer"))
    responses.put(
        f"{base}/images/77",
        json={"image": {"id": 77, "name": "base-eu", "regions": ["ams3", "nyc3"]}},
    )

    copy = driver.copy_image("nyc3", image, "base-eu")

    assert copy.name == "base-eu"
    assert copy.extra["regions"] == ["ams3", "nyc3"]
    assert json.loads(responses.calls[0].request.body) == {
        "type": "transfer",
        "region": "ams3",
    }
    assert json.loads(responses.calls[2].request.body) == {"name": "base-eu"}


@responses.activate
def test_detach_volume_names_its_droplet_and_region(
    make_driver: Callable[..., Any],
) -> None:
    driver, _, base = make_driver()
    volume = StorageVolume(
        "v-1", "data", 10, driver, extra={"droplet_ids": [42], "region": "fra1"}
    )
    responses.post(
        f"{base}/volumes/v-1/actions", json=_action(50, "completed", "detach_volume")
    )

    assert driver.detach_volume(volume)

    assert json.loads(responses.calls[0].request.body) == {
        "type": "detach",
        "droplet_id": 42,
        "region": "fra1",
    }
