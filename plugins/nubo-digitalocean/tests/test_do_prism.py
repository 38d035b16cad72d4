"""The DigitalOcean driver against Prism over DigitalOcean's own OpenAPI spec.

Every request the driver makes must pass Prism's validation: the
``prism_driver`` fixture fails the test when any answer carries
``sl-violations``. Prism answers the spec's fixed examples, so these tests check
what the driver sends and how it reads what the spec says comes back, not a
working cloud.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from do_support import PrismServer, Recorder, no_wait_policy

import nubo
from nubo.compute import NodeAuthPassword, NodeAuthSSHKey, NodeState
from nubo.errors import (
    InvalidArgumentError,
    NotFoundError,
    ProviderError,
    RateLimitError,
    WaitTimeoutError,
)
from nubo_digitalocean import DigitalOceanNodeDriver, DigitalOceanResponse

pytestmark = pytest.mark.peer


def _paths(recorder: Recorder) -> list[str]:
    return [f"{item.method} {urlsplit(item.url).path}" for item in recorder.exchanges]


def _hosts(recorder: Recorder) -> set[str]:
    return {str(urlsplit(item.url).hostname) for item in recorder.exchanges}


def test_nodes(prism_driver: DigitalOceanNodeDriver, recorder: Recorder) -> None:
    nodes = prism_driver.list_nodes()
    node = prism_driver.get_node(nodes[0].id)

    assert node == nodes[0]
    assert node.state is NodeState.RUNNING
    assert node.extra["raw_state"] == "active"
    assert "192.241.165.154" in node.public_ips
    assert "10.128.192.124" in node.private_ips
    assert node.size is not None
    assert node.size.id == "s-1vcpu-1gb"
    assert node.image is not None
    assert node.image.extra["slug"] == "ubuntu-20-04-x64"
    assert node.extra["region"] == "nyc3"
    assert node.created_at == datetime(2020, 7, 21, 18, 37, 44, tzinfo=timezone.utc)

    first = recorder.exchanges[0]
    assert "per_page=200" in first.url
    assert _paths(recorder)[-1] == f"GET /v2/droplets/{node.id}"

    [(ready, addresses)] = prism_driver.wait_until_running(
        [node], wait_period=0.01, timeout=5
    )
    assert ready == node
    assert addresses == ["192.241.165.154"]


def test_create_node_sends_what_the_spec_takes(
    prism_driver: DigitalOceanNodeDriver, recorder: Recorder
) -> None:
    size = prism_driver.list_sizes()[0]
    image = prism_driver.get_image("ubuntu-20-04-x64")
    keys = prism_driver.list_key_pairs()
    pubkey = prism_driver.create_key_pair("deploy").public_key
    assert pubkey is not None

    node = prism_driver.create_node(
        "web-1",
        size,
        image,
        auth=NodeAuthSSHKey(pubkey),
        ex_ssh_keys=[keys[0], 512189],
        ex_user_data="#cloud-config\nruncmd: [touch /tmp/ok]\n",
        ex_tags=["web", "env:test"],
        ex_ipv6=True,
        ex_monitoring=True,
    )

    assert node.state is NodeState.PENDING
    assert node.extra["action_ids"] == [7515]
    assert _paths(recorder)[-1] == "POST /v2/droplets"


def test_create_node_takes_slugs_and_refuses_passwords(
    prism_driver: DigitalOceanNodeDriver,
) -> None:
    node = prism_driver.create_node("web-2", "s-1vcpu-1gb", 63663980, "nyc1")
    assert node.id

    with pytest.raises(InvalidArgumentError, match="NodeAuthPassword"):
        prism_driver.create_node(
            "web-3", "s-1vcpu-1gb", "ubuntu", auth=NodeAuthPassword("x")
        )
    with pytest.raises(InvalidArgumentError, match="ex_colour"):
        prism_driver.create_node("web-3", "s-1vcpu-1gb", "ubuntu", ex_colour="red")


def test_node_actions_are_accepted(
    prism_driver: DigitalOceanNodeDriver, recorder: Recorder
) -> None:
    node = prism_driver.list_nodes()[0]

    assert prism_driver.reboot_node(node, ex_wait=False)
    assert prism_driver.start_node(node, ex_wait=False)
    assert prism_driver.stop_node(node, ex_wait=False)
    assert prism_driver.ex_shutdown_node(node, ex_wait=False)
    assert prism_driver.destroy_node(node)

    action = f"POST /v2/droplets/{node.id}/actions"
    assert _paths(recorder)[-5:] == [action] * 4 + [f"DELETE /v2/droplets/{node.id}"]


def test_waiting_for_an_action_polls_it_until_the_timeout(
    prism_driver: DigitalOceanNodeDriver, recorder: Recorder
) -> None:
    # Prism's example action stays in progress for ever.
    node = prism_driver.list_nodes()[0]

    with pytest.raises(WaitTimeoutError) as caught:
        prism_driver.reboot_node(node)

    assert caught.value.pending == (("36804636", "in-progress"),)
    assert "create action 36804636" in str(caught.value)
    assert "GET /v2/actions/36804636" in _paths(recorder)


def test_create_image_waits_for_the_snapshot(
    prism_driver: DigitalOceanNodeDriver, recorder: Recorder
) -> None:
    node = prism_driver.list_nodes()[0]

    with pytest.raises(WaitTimeoutError):
        prism_driver.create_image(node, "web-1-before-upgrade")

    assert f"POST /v2/droplets/{node.id}/actions" in _paths(recorder)


def test_sizes_and_locations(prism_driver: DigitalOceanNodeDriver) -> None:
    sizes = prism_driver.list_sizes()
    locations = prism_driver.list_locations()

    assert [size.id for size in sizes] == ["s-1vcpu-1gb"]
    size = sizes[0]
    assert (size.ram, size.disk, size.bandwidth) == (1024, 25, 1024)
    assert size.price == pytest.approx(0.00744, abs=1e-5)
    assert size.extra["vcpus"] == 1

    assert [(loc.id, loc.name, loc.country) for loc in locations] == [
        ("nyc3", "New York 3", "US")
    ]
    assert prism_driver.list_sizes(locations[0]) == sizes


def test_images(prism_driver: DigitalOceanNodeDriver, recorder: Recorder) -> None:
    images = prism_driver.list_images()
    mine = prism_driver.list_images(ex_type="distribution", ex_private=False)
    image = prism_driver.get_image(images[0].id)

    # The spec's example repeats some images; each is listed once.
    assert [image.id for image in images] == ["7555620", "7555621", "63663980"]
    assert mine
    assert image.extra["status"] == "available"
    assert "type=distribution" in recorder.exchanges[1].url
    assert "private=false" in recorder.exchanges[1].url

    assert prism_driver.delete_image(images[0])
    assert _paths(recorder)[-1] == f"DELETE /v2/images/{images[0].id}"


def test_copy_image_transfers_it(
    prism_driver: DigitalOceanNodeDriver, recorder: Recorder
) -> None:
    image = prism_driver.list_images(ex_private=True)[0]

    copy = prism_driver.copy_image(
        "nyc3",
        image,
        "copied",
        "for the Frankfurt site",
        ex_region="fra1",
        ex_wait=False,
    )

    assert copy.id
    assert _paths(recorder)[-2:] == [
        f"POST /v2/images/{image.id}/actions",
        f"PUT /v2/images/{image.id}",
    ]


def test_volumes(prism_driver: DigitalOceanNodeDriver, recorder: Recorder) -> None:
    node = prism_driver.list_nodes()[0]
    volume = prism_driver.create_volume(10, "data-1", ex_filesystem_type="ext4")
    volumes = prism_driver.list_volumes()

    assert volume.size == 10
    assert volume.extra["region"] == "nyc1"
    assert len(volumes) == 2

    # Prism's attach example is completed already, so this waits for nothing.
    assert prism_driver.attach_volume(node, volume)
    volume.extra["droplet_ids"] = [int(node.id)]
    assert prism_driver.detach_volume(volume)
    assert prism_driver.destroy_volume(volume)

    assert _paths(recorder)[-3:] == [
        f"POST /v2/volumes/{volume.id}/actions",
        f"POST /v2/volumes/{volume.id}/actions",
        f"DELETE /v2/volumes/{volume.id}",
    ]


def test_volume_snapshots(prism_driver: DigitalOceanNodeDriver) -> None:
    volume = prism_driver.list_volumes()[0]

    snapshots = prism_driver.list_volume_snapshots(volume)
    made = prism_driver.create_volume_snapshot(volume, "before-migration")
    named = prism_driver.create_volume_snapshot(volume)

    assert snapshots
    assert snapshots[0].name
    assert made.extra["volume_id"] == "82a48a18-873f-11e6-96bf-000f53315a41"
    assert named.id
    assert prism_driver.destroy_volume_snapshot(made)


def test_key_pairs(
    prism_driver: DigitalOceanNodeDriver, recorder: Recorder, tmp_path: Path
) -> None:
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    public = key.public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    ).decode()
    key_file = tmp_path / "id_ed25519.pub"
    key_file.write_text(f"{public} me@laptop\n")

    listed = prism_driver.list_key_pairs()
    found = prism_driver.get_key_pair(listed[0].name)
    by_id = prism_driver.ex_get_key_pair_by_id(found.extra["id"])
    made = prism_driver.create_key_pair("laptop")
    imported = prism_driver.import_key_pair_from_string("desktop", public)
    from_file = prism_driver.import_key_pair_from_file("from-file", key_file)

    assert found == listed[0]
    assert found.fingerprint == "3b:16:e4:bf:8b:00:8b:b8:59:8c:a9:d3:f0:19:fa:45"
    assert by_id.extra["id"] == 512189
    assert made.private_key is not None
    assert "OPENSSH PRIVATE KEY" in made.private_key
    assert imported.extra["id"] == 512189
    assert from_file.fingerprint

    assert prism_driver.delete_key_pair(imported)
    assert _paths(recorder)[-5:] == [
        f"GET /v2/account/keys/{found.extra['id']}",
        "POST /v2/account/keys",
        "POST /v2/account/keys",
        "POST /v2/account/keys",
        "DELETE /v2/account/keys/512189",
    ]


def test_next_links_are_rebased_and_a_repeated_one_ends_the_walk(
    prism_driver: DigitalOceanNodeDriver,
    recorder: Recorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Prism's sizes example links to page 2 on api.digitalocean.com, and every
    # page it answers links there again.
    with caplog.at_level(logging.WARNING, logger="nubo_digitalocean"):
        sizes = prism_driver.list_sizes()

    assert len(sizes) == 1
    assert _hosts(recorder) == {"127.0.0.1"}
    urls = [item.url for item in recorder.exchanges]
    assert len(urls) == 2
    assert urls[1].endswith("/v2/sizes?page=2&per_page=1")
    assert "links back to a page already read" in caplog.text
    assert "of 64 it claims" in caplog.text


def test_rate_limit_headers_are_kept(prism_driver: DigitalOceanNodeDriver) -> None:
    assert prism_driver.connection is not None
    response = prism_driver.connection.request("/account/keys")

    assert isinstance(response, DigitalOceanResponse)
    limit = response.rate_limit
    assert (limit.limit, limit.remaining) == (5000, 4816)
    assert limit.reset == datetime.fromtimestamp(1444931833, tz=timezone.utc)


class _AskFor:
    """A hook plugin that asks Prism for the spec's answer with one status."""

    def __init__(self, status: int) -> None:
        self.status = status

    @nubo.hookimpl
    def add_default_headers(self, request: nubo.Request) -> None:
        request.headers["Prefer"] = f"code={self.status}"


def test_the_specs_error_answers_map_to_nubo_errors(
    prism_driver: DigitalOceanNodeDriver,
) -> None:
    asker = _AskFor(404)
    nubo.register_plugin(asker, name="do-test-404")
    try:
        with pytest.raises(NotFoundError) as missing:
            prism_driver.get_node("3164444")
    finally:
        nubo.unregister_plugin(asker)

    assert missing.value.status == 404
    assert missing.value.code == "not_found"
    assert missing.value.provider == "digitalocean"


def test_throttled_calls_are_retried_then_raise(
    prism: PrismServer, recorder: Recorder
) -> None:
    sleeps: list[float] = []
    driver = DigitalOceanNodeDriver(
        "token",
        secure=False,
        host=prism.host,
        port=prism.port,
        retry=no_wait_policy().replace(sleep=sleeps.append),
    )
    asker = _AskFor(429)
    nubo.register_plugin(asker, name="do-test-429")
    try:
        with pytest.raises(RateLimitError) as listing:
            driver.list_nodes()
        with pytest.raises(RateLimitError) as creating:
            driver.create_key_pair("k")
    finally:
        nubo.unregister_plugin(asker)

    # The reset time in Prism's example is long past: retry at once.
    assert listing.value.retry_after == 0.0
    assert creating.value.code == "too_many_requests"
    assert [item.status for item in recorder.exchanges] == [429] * 6
    assert sleeps == [0.0] * 4
    assert not recorder.violations()


def test_the_recorder_sees_violations(prism: PrismServer, recorder: Recorder) -> None:
    # Guards the guard: a request the spec refuses is flagged by Prism.
    driver = DigitalOceanNodeDriver(
        "token", secure=False, host=prism.host, port=prism.port, retry=False
    )

    with pytest.raises(ProviderError) as caught:
        driver.create_node("not a valid name", "s-1vcpu-1gb", "ubuntu-20-04-x64")

    assert caught.value.status == 422
    bad = recorder.violations()
    assert len(bad) == 1
    assert "pattern" in (bad[0].violations or "")
