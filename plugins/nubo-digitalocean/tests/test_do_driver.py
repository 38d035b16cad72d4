"""The DigitalOcean driver's construction, lookup, capabilities, secrets and SSH
key fingerprints; and the vendored spec it is tested against.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import responses
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from do_support import DATA, SPEC

import nubo
from nubo.compute import KeyPair, NodeAuthSSHKey
from nubo.errors import InvalidArgumentError, NotFoundError
from nubo_digitalocean import DigitalOceanNodeDriver, ssh_fingerprint

#: The vendored spec's digest, as its README gives it.
SPEC_SHA256 = "42ef571bf2b8d63bc9fdc597e8268ca26eb0d006108a1c7b536cf6b75786ad73"


def _public_key() -> str:
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    return key.public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    ).decode()


def test_the_provider_is_found_by_its_id() -> None:
    assert nubo.get_driver("digitalocean") is DigitalOceanNodeDriver
    assert nubo.compute.get_driver("digitalocean") is DigitalOceanNodeDriver


def test_the_default_endpoint_is_digitaloceans() -> None:
    driver = DigitalOceanNodeDriver("a-token")

    assert driver.connection is not None
    assert driver.connection.base_url == "https://api.digitalocean.com"
    assert driver.connection.request_path == "/v2"


def test_host_port_and_secure_point_it_elsewhere() -> None:
    driver = DigitalOceanNodeDriver("a-token", secure=False, host="127.0.0.1", port=8)

    assert driver.connection is not None
    assert driver.connection.base_url == "http://127.0.0.1:8"


@pytest.mark.parametrize("token", ["", "   ", None])
def test_a_token_is_required(token: Any) -> None:
    with pytest.raises(InvalidArgumentError, match="personal access token"):
        DigitalOceanNodeDriver(token)


def test_action_settings_must_be_positive() -> None:
    with pytest.raises(InvalidArgumentError, match="ex_action_timeout"):
        DigitalOceanNodeDriver("a-token", ex_action_timeout=0)


@pytest.mark.parametrize(
    "method",
    [
        "list_nodes",
        "get_node",
        "create_node",
        "reboot_node",
        "start_node",
        "stop_node",
        "destroy_node",
        "wait_until_running",
        "list_sizes",
        "list_locations",
        "list_images",
        "get_image",
        "create_image",
        "delete_image",
        "copy_image",
        "list_volumes",
        "create_volume",
        "attach_volume",
        "detach_volume",
        "destroy_volume",
        "list_volume_snapshots",
        "create_volume_snapshot",
        "destroy_volume_snapshot",
        "list_key_pairs",
        "get_key_pair",
        "create_key_pair",
        "import_key_pair_from_string",
        "import_key_pair_from_file",
        "delete_key_pair",
        "ex_shutdown_node",
    ],
)
def test_it_supports_what_digitalocean_serves(method: str) -> None:
    assert DigitalOceanNodeDriver.supports(method)


def test_it_offers_deployment_on_create_node_and_waiting() -> None:
    assert DigitalOceanNodeDriver.supports("deploy_node")


@responses.activate
def test_the_token_is_sent_as_a_bearer_token_and_never_logged(
    make_driver: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    driver, _, base = make_driver()
    responses.get(
        f"{base}/droplets/1",
        status=404,
        json={"id": "not_found", "message": "The resource could not be found."},
    )

    with caplog.at_level(logging.DEBUG), pytest.raises(NotFoundError) as caught:
        driver.get_node("1")

    sent = responses.calls[0].request.headers
    assert sent["Authorization"] == "Bearer nubo-testing-token"
    assert "nubo-testing-token" not in caplog.text
    assert "nubo-testing-token" not in repr(driver)
    assert "nubo-testing-token" not in repr(driver.connection)
    assert "nubo-testing-token" not in str(caught.value)


@responses.activate
def test_bodies_are_sent_as_json(make_driver: Callable[..., Any]) -> None:
    driver, _, base = make_driver()
    responses.post(
        f"{base}/volumes",
        status=201,
        json={"volume": {"id": "v-1", "name": "data", "size_gigabytes": 5}},
    )

    driver.create_volume(5, "data", ex_tags=["db"])

    request = responses.calls[0].request
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.body) == {
        "size_gigabytes": 5,
        "name": "data",
        "region": "ams3",
        "tags": ["db"],
    }


@responses.activate
def test_create_node_names_an_auth_key_by_its_fingerprint(
    make_driver: Callable[..., Any],
) -> None:
    driver, _, base = make_driver()
    pubkey = _public_key()
    responses.post(
        f"{base}/droplets",
        status=202,
        json={"droplet": {"id": 5, "name": "web", "status": "new"}},
    )
    listed = KeyPair("old", None, "aa:bb", driver, extra={"id": 17}, id=17)

    node = driver.create_node(
        "web",
        "s-1vcpu-1gb",
        "ubuntu-24-04-x64",
        auth=NodeAuthSSHKey(pubkey),
        ex_ssh_keys=[listed, "11:22", "99"],
    )

    body = json.loads(responses.calls[0].request.body)
    assert body["ssh_keys"] == [17, "11:22", 99, ssh_fingerprint(pubkey)]
    assert body["region"] == "ams3"
    assert node.id == "5"


def test_the_fingerprint_is_md5_in_colon_hex() -> None:
    pubkey = _public_key()
    wire = base64.b64decode(pubkey.split()[1])

    fingerprint = ssh_fingerprint(pubkey + " me@laptop")

    assert len(fingerprint.split(":")) == 16
    expected = hashlib.md5(wire, usedforsecurity=False).hexdigest()
    assert fingerprint.replace(":", "") == expected


def test_the_fingerprint_matches_ssh_keygen(tmp_path: Path) -> None:
    keygen = shutil.which("ssh-keygen")
    if keygen is None:
        pytest.skip("ssh-keygen is not installed")
    pubkey = _public_key()
    path = tmp_path / "key.pub"
    path.write_text(pubkey + "\n")

    out = subprocess.run(
        [keygen, "-l", "-E", "md5", "-f", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    assert f"MD5:{ssh_fingerprint(pubkey)}" in out


@pytest.mark.parametrize("text", ["", "ssh-ed25519", "ssh-ed25519 not*base64"])
def test_a_broken_key_is_refused_before_any_call(text: str) -> None:
    driver = DigitalOceanNodeDriver("a-token", secure=False, host="127.0.0.1", port=9)

    with pytest.raises(InvalidArgumentError, match="OpenSSH public key"):
        driver.import_key_pair_from_string("k", text)


def test_the_spec_is_vendored_unchanged_with_its_licence() -> None:
    digest = hashlib.sha256(SPEC.read_bytes()).hexdigest()

    assert digest == SPEC_SHA256
    assert "Apache License" in (DATA / "LICENSE").read_text()
    assert SPEC_SHA256 in (DATA / "README.md").read_text()
