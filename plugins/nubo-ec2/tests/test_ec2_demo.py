"""The fleet demo, ``examples/ec2_fleet.py``, run end to end as its own process.

Against the session's moto server it must walk the whole life cycle, print its
tables and report that nothing it made is left, which the test checks on the
server afterwards. Told nowhere to go, it must refuse before any call.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from _moto_server import MotoServer
from lxml import etree

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
SCRIPT = EXAMPLES / "ec2_fleet.py"


def _environment(**extra: str) -> dict[str, str]:
    # None of the caller's AWS settings or proxies reach the demo.
    dropped = ("AWS_", "NUBO_EC2_", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(dropped)}
    env["NUBO_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    env.update(extra)
    return env


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.peer
def test_the_demo_walks_the_fleet_and_leaves_nothing(
    moto_reset: MotoServer, ec2_call: Callable[..., requests.Response]
) -> None:
    env = _environment(
        NUBO_EC2_ENDPOINT=moto_reset.url,
        AWS_ACCESS_KEY_ID="AKIDNUBODEMOTEST",
        AWS_SECRET_ACCESS_KEY="nubo-demo-test-secret",
    )

    done = _run(env, "--wait-period", "0.2")

    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    out = done.stdout
    for heading in (
        "== Providers found",
        "Zones (",
        "Sizes: ",
        "Images (",
        "== Import a key pair",
        "== Create two nodes and wait until they run",
        "== Create a volume, attach it, snapshot it",
        "== Make an image from a node",
        "== Reboot a node",
        "== Tear everything down",
        "== What is left",
    ):
        assert heading in out, heading
    assert out.count(": removed") == 6
    assert out.rstrip().endswith("Nothing is left.")
    assert "nubo-demo-test-secret" not in out + done.stderr

    # The server agrees: no instance but terminated ones, no volume, no key pair.
    instances = etree.fromstring(ec2_call("DescribeInstances").content)
    states = [state.findtext("{*}name") for state in instances.iter("{*}instanceState")]
    assert len(states) == 2
    assert set(states) <= {"terminated", "shutting-down"}
    volumes = etree.fromstring(ec2_call("DescribeVolumes").content)
    assert list(volumes.iter("{*}volumeId")) == []
    keys = etree.fromstring(ec2_call("DescribeKeyPairs").content)
    assert list(keys.iter("{*}keyName")) == []


def test_the_demo_refuses_without_an_endpoint() -> None:
    done = _run(_environment(AWS_ACCESS_KEY_ID="a", AWS_SECRET_ACCESS_KEY="b"))

    assert done.returncode == 2
    assert "no endpoint" in done.stderr
    assert "--aws" in done.stderr
    assert done.stdout == ""


def test_the_demo_refuses_without_credentials() -> None:
    done = _run(_environment(NUBO_EC2_ENDPOINT="http://127.0.0.1:9"))

    assert done.returncode == 2
    assert "no credentials" in done.stderr
    assert done.stdout == ""


# Stands in for moto's server: says it started, then never answers.
_SILENT_SERVER = """
import os, pathlib, time
pathlib.Path(os.environ["NUBO_DEMO_TEST_PIDFILE"]).write_text(str(os.getpid()))
time.sleep(600)
"""


def test_ctrl_c_while_moto_starts_stops_it_with_one_line(tmp_path: Path) -> None:
    package = tmp_path / "fake" / "moto"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "server.py").write_text(_SILENT_SERVER)
    pidfile = tmp_path / "server.pid"
    env = _environment(
        PYTHONPATH=str(tmp_path / "fake"), NUBO_DEMO_TEST_PIDFILE=str(pidfile)
    )

    process = subprocess.Popen(
        [sys.executable, str(SCRIPT), "--moto"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Ctrl-C must reach it even when this test runs with SIGINT ignored.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 60
        while not pidfile.exists() or not pidfile.read_text():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the stand-in server never started"
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert process.returncode == 130, out + err
    assert err.splitlines() == ["ec2_fleet: interrupted"]
    assert out.splitlines()[-1] == "moto's server stopped"
    with pytest.raises(ProcessLookupError):
        os.kill(int(pidfile.read_text()), 0)
