"""The ``nubo`` console script end to end against moto's EC2 server.

moto runs once for the module, on 127.0.0.1 on a free port, and is emptied
before each test. Every run is a subprocess pointed at it with ``--endpoint``;
its environment holds test credentials that belong to nobody and none of the
machine's AWS or proxy settings, so nothing can reach a real endpoint. moto
keeps its state between runs, so a test can make a node in one run and act on
it in the next.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.peer

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

#: Credentials for moto: it takes any, and these belong to nobody.
KEY = "AKIDNUBOCLITEST00000"
SECRET = "nubo-cli-moto-secret-Ab12Cd34"
TOKEN = "nubo-cli-moto-session-Ef56Gh78"

#: An image moto knows without being told.
IMAGE = "ami-12c6146b"
REGION = "us-east-1"


def _moto_missing() -> str | None:
    for module in ("moto.server", "flask"):
        try:
            found = importlib.util.find_spec(module)
        except ModuleNotFoundError:
            found = None
        if found is None:
            return f"moto's server needs {module!r}: pip install 'moto[server]'"
    return None


@pytest.fixture(scope="module")
def moto() -> Iterator[Any]:
    missing = _moto_missing()
    if missing is not None:
        if os.environ.get("NUBO_REQUIRE_PEERS"):
            pytest.fail(missing)
        pytest.skip(missing)

    if str(EXAMPLES) not in sys.path:
        sys.path.insert(0, str(EXAMPLES))
    from _moto_server import moto_server

    with moto_server() as server:
        yield server


@pytest.fixture
def endpoint(moto: Any) -> str:
    moto.reset()
    return str(moto.url)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


def base_env(home: Path, **extra: str) -> dict[str, str]:
    dropped = ("NUBO_", "AWS_", "DIGITALOCEAN_", "XDG_CONFIG_HOME")
    proxies = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(dropped) and k.upper() not in proxies
    }
    env.update(
        HOME=str(home),
        NO_PROXY="*",
        # Nothing may look for real credentials or instance metadata.
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
    )
    env.update(extra)
    return env


def aws_env(home: Path, **extra: str) -> dict[str, str]:
    return base_env(
        home,
        AWS_ACCESS_KEY_ID=KEY,
        AWS_SECRET_ACCESS_KEY=SECRET,
        AWS_SESSION_TOKEN=TOKEN,
        **extra,
    )


def nubo(
    home: Path, env: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "nubo._cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        cwd=home,
    )
    for text in (result.stdout, result.stderr):
        assert SECRET not in text
        assert TOKEN not in text
    return result


def ec2(home: Path, endpoint: str, *args: str, **env: str) -> Any:
    result = nubo(
        home,
        aws_env(home, **env),
        *("-p", "ec2", "--region", REGION, "--endpoint", endpoint, *args),
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_list_with_credentials_from_aws_variables(home: Path, endpoint: str) -> None:
    assert ec2(home, endpoint, "nodes", "list") == []
    sizes = ec2(home, endpoint, "sizes", "list")
    assert "t2.micro" in {size["id"] for size in sizes}


def test_credentials_from_nubo_variables(home: Path, endpoint: str) -> None:
    env = base_env(home, NUBO_EC2_KEY=KEY, NUBO_EC2_SECRET=SECRET)

    result = nubo(
        home,
        env,
        "-p",
        "ec2",
        "--region",
        REGION,
        "--endpoint",
        endpoint,
        "nodes",
        "list",
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_credentials_and_endpoint_from_a_profile(home: Path, endpoint: str) -> None:
    config = home / ".config" / "nubo" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(
        "[profiles.moto]\n"
        'provider = "ec2"\n'
        f'key = "{KEY}"\nsecret = "{SECRET}"\n'
        f'region = "{REGION}"\nendpoint = "{endpoint}"\n'
    )
    config.chmod(0o600)

    result = nubo(home, base_env(home), "--profile", "moto", "locations", "list")

    assert result.returncode == 0, result.stderr
    zones = {location["id"] for location in json.loads(result.stdout)}
    assert f"{REGION}a" in zones

    config.chmod(0o644)
    refused = nubo(home, base_env(home), "--profile", "moto", "locations", "list")
    assert refused.returncode == 2
    assert f"chmod 600 {config}" in refused.stderr


def test_a_node_from_create_to_destroy(home: Path, endpoint: str) -> None:
    [node] = ec2(
        home,
        endpoint,
        "nodes",
        "create",
        "web-1",
        "--size",
        "t2.micro",
        "--image",
        IMAGE,
    )
    assert node["id"].startswith("i-")
    assert node["size_id"] == "t2.micro"

    # moto keeps its state between runs: the next run sees the node.
    listed = ec2(home, endpoint, "nodes", "list")
    assert [n["id"] for n in listed] == [node["id"]]
    assert ec2(home, endpoint, "nodes", "show", node["id"])["id"] == node["id"]

    for verb in ("reboot", "stop", "start", "destroy"):
        [row] = ec2(home, endpoint, "nodes", verb, node["id"])
        assert (row["id"], row["action"], row["accepted"]) == (node["id"], verb, True)

    state = ec2(home, endpoint, "nodes", "show", node["id"])["state"]
    assert state in {"terminating", "terminated"}


def test_table_output(home: Path, endpoint: str) -> None:
    ec2(
        home,
        endpoint,
        "nodes",
        "create",
        "web-1",
        "--size",
        "t2.micro",
        "--image",
        IMAGE,
    )

    result = nubo(
        home,
        aws_env(home),
        *("-p", "ec2", "--region", REGION, "--endpoint", endpoint, "-o", "table"),
        *("nodes", "list"),
    )

    assert result.returncode == 0, result.stderr
    header, row = result.stdout.splitlines()
    assert header.split()[:3] == ["ID", "NAME", "STATE"]
    assert row.split()[0].startswith("i-")


def test_key_pairs(home: Path, endpoint: str) -> None:
    made = ec2(
        home, endpoint, "keys", "create", "deploy", "--private-key-file", "deploy.pem"
    )

    key_file = home / "deploy.pem"
    assert "PRIVATE KEY" in key_file.read_text()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert made["name"] == "deploy"
    assert [k["name"] for k in ec2(home, endpoint, "keys", "list")] == ["deploy"]

    ec2(home, endpoint, "keys", "delete", "deploy")
    assert ec2(home, endpoint, "keys", "list") == []


def test_volumes_and_snapshots(home: Path, endpoint: str) -> None:
    volume = ec2(
        home,
        endpoint,
        "volumes",
        "create",
        "data",
        "--size",
        "10",
        "--location",
        f"{REGION}a",
    )
    assert volume["id"].startswith("vol-")
    assert volume["size"] == 10

    snapshot = ec2(home, endpoint, "snapshots", "create", volume["id"], "--name", "s1")
    assert snapshot["id"].startswith("snap-")
    listed = ec2(home, endpoint, "snapshots", "list", volume["id"])
    assert snapshot["id"] in {s["id"] for s in listed}

    ec2(home, endpoint, "snapshots", "destroy", snapshot["id"])
    ec2(home, endpoint, "volumes", "destroy", volume["id"])
    assert volume["id"] not in {v["id"] for v in ec2(home, endpoint, "volumes", "list")}


def test_a_provider_error_exits_1_in_one_line(home: Path, endpoint: str) -> None:
    result = nubo(
        home,
        aws_env(home),
        *("-p", "ec2", "--region", REGION, "--endpoint", endpoint),
        *("nodes", "show", "i-0123456789abcdef0"),
    )

    assert result.returncode == 1
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("nubo: error: ")
    assert "Traceback" not in result.stderr


def test_no_secret_in_debug_output(home: Path, endpoint: str) -> None:
    result = nubo(
        home,
        aws_env(home),
        *("-p", "ec2", "--region", REGION, "--endpoint", endpoint, "--debug"),
        *("nodes", "create", "web-1", "--size", "t2.micro", "--image", IMAGE),
    )

    # nubo() has checked that neither the secret nor the token shows.
    assert result.returncode == 0, result.stderr
    assert "nubo." in result.stderr


def test_a_server_that_is_down_exits_1_and_names_the_endpoint(home: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port now.
    down = f"http://127.0.0.1:{port}"

    result = nubo(
        home,
        aws_env(home),
        *("-p", "ec2", "--region", REGION, "--endpoint", down, "nodes", "list"),
    )

    # A connection that was never made is retried, each retry said as a warning.
    assert result.returncode == 1
    *retries, line = result.stderr.splitlines()
    assert retries
    assert all(r.startswith("nubo: warning: retrying POST") for r in retries)
    assert line.startswith("nubo: error: ")
    assert f"the endpoint {down} came from --endpoint" in line
    assert "Traceback" not in result.stderr


def test_missing_credentials_are_bad_usage(home: Path, endpoint: str) -> None:
    result = nubo(
        home,
        base_env(home),
        *("-p", "ec2", "--region", REGION, "--endpoint", endpoint, "nodes", "list"),
    )

    assert result.returncode == 2
    assert "AWS_ACCESS_KEY_ID" in result.stderr
    assert "NUBO_EC2_KEY" in result.stderr
