"""moto's server as a peer: it starts, answers calls signed by our signer, stops.

These tests also pin down what moto does and does not check, since the driver's
tests rely on it: it reads the region from the signature's scope and routes by
the signed service, but it accepts any signature.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

# conftest.py puts examples/ on sys.path.
from _moto_server import LOOPBACK, MotoServer, MotoServerError, moto_server
from lxml import etree

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"

Call = Callable[..., requests.Response]

#: The namespace AWS itself puts on EC2 answers.
AWS_NAMESPACE = "http://ec2.amazonaws.com/doc/2016-11-15/"

pytestmark = pytest.mark.peer


def local(element: etree._Element) -> str:
    return etree.QName(element).localname


def texts(root: etree._Element, name: str) -> list[str]:
    return [e.text or "" for e in root.iter(f"{{*}}{name}")]


def _is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); ask the process table for its state.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _port_is_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex((LOOPBACK, port)) == 0


def test_the_server_is_bound_to_loopback_and_answers(
    moto: MotoServer, moto_endpoint: tuple[str, int], http: requests.Session
) -> None:
    host, port = moto_endpoint

    assert host == "127.0.0.1"
    assert moto.running
    assert http.get(f"http://{host}:{port}/moto-api/data.json", timeout=10).ok


def test_a_signed_describe_regions_post_is_answered(ec2_call: Call) -> None:
    answer = ec2_call("DescribeRegions")

    assert answer.status_code == 200
    root = etree.fromstring(answer.content)
    assert local(root) == "DescribeRegionsResponse"
    names = texts(root, "regionName")
    assert "us-east-1" in names
    assert "ec2.eu-west-3.amazonaws.com" in texts(root, "regionEndpoint")


def test_moto_namespace_is_not_aws_one(ec2_call: Call) -> None:
    # Why parsing goes by local name: moto drops the trailing slash of AWS's URI.
    root = etree.fromstring(ec2_call("DescribeRegions").content)
    namespace = etree.QName(root).namespace

    assert namespace is not None
    assert namespace != AWS_NAMESPACE
    assert namespace.rstrip("/") == AWS_NAMESPACE.rstrip("/")


def test_describe_instances_on_an_empty_server(
    moto_reset: MotoServer, ec2_call: Call
) -> None:
    root = etree.fromstring(ec2_call("DescribeInstances").content)

    assert local(root) == "DescribeInstancesResponse"
    assert list(root.iter("{*}instanceId")) == []


def test_the_region_comes_from_the_signature_scope(ec2_call: Call) -> None:
    for region in ("eu-west-3", "cn-north-1"):
        root = etree.fromstring(
            ec2_call("DescribeAvailabilityZones", region=region).content
        )
        zones = texts(root, "zoneName")
        assert zones
        assert all(zone.startswith(region) for zone in zones)


def test_a_session_token_is_accepted(ec2_call: Call) -> None:
    assert ec2_call("DescribeRegions", session_token="a-session-token").ok


def test_moto_does_not_check_signatures(ec2_call: Call) -> None:
    # moto takes any secret: what proves the signer right is the comparison with
    # botocore's in test_ec2_signing, not these calls.
    answer = ec2_call("DescribeRegions", secret_key="not-the-secret")

    assert answer.status_code == 200
    assert local(etree.fromstring(answer.content)) == "DescribeRegionsResponse"


def test_an_unsigned_request_is_not_taken_for_ec2(
    moto: MotoServer, http: requests.Session
) -> None:
    # moto routes by the signed service; without a signature the call is not EC2.
    answer = http.post(
        f"{moto.url}/",
        data=b"Action=DescribeRegions&Version=2016-11-15",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=30,
    )

    assert b"DescribeRegionsResponse" not in answer.content


def test_errors_come_as_an_ec2_error_document(ec2_call: Call) -> None:
    answer = ec2_call("DescribeInstances", {"InstanceId.1": "i-0123456789abcdef0"})

    assert answer.status_code == 400
    root = etree.fromstring(answer.content)
    assert local(root) == "Response"
    assert texts(root, "Code") == ["InvalidInstanceID.NotFound"]
    assert texts(root, "RequestID")


def test_reset_forgets_resources(moto: MotoServer, ec2_call: Call) -> None:
    ec2_call("CreateKeyPair", {"KeyName": "nubo-reset-probe"})
    before = texts(etree.fromstring(ec2_call("DescribeKeyPairs").content), "keyName")

    moto.reset()

    after = texts(etree.fromstring(ec2_call("DescribeKeyPairs").content), "keyName")
    assert "nubo-reset-probe" in before
    assert "nubo-reset-probe" not in after


# -- where moto differs from EC2: facts the driver's tests must live with -----------


def _first_text(answer: requests.Response, name: str) -> str:
    found = texts(etree.fromstring(answer.content), name)
    assert found, f"no {name} in {answer.content[:300]!r}"
    return found[0]


def _run(ec2_call: Call, count: int = 1, **extra: str) -> list[str]:
    image = _first_text(ec2_call("DescribeImages", {"Owner.1": "amazon"}), "imageId")
    params = {"ImageId": image, "MinCount": count, "MaxCount": count, **extra}
    return texts(
        etree.fromstring(ec2_call("RunInstances", params).content), "instanceId"
    )


def test_describe_instances_pages_count_reservations(
    moto_reset: MotoServer, ec2_call: Call
) -> None:
    # One RunInstances of three is one reservation, so one "result" for MaxResults.
    for count in (3, 1, 1):
        _run(ec2_call, count)

    first = etree.fromstring(ec2_call("DescribeInstances", {"MaxResults": 2}).content)
    token = texts(first, "nextToken")
    second = etree.fromstring(
        ec2_call("DescribeInstances", {"MaxResults": 2, "NextToken": token[0]}).content
    )

    assert len(texts(first, "reservationId")) == 2
    assert len(texts(first, "instanceId")) == 4
    assert len(texts(second, "instanceId")) == 1
    assert texts(second, "nextToken") == []


def test_moto_does_not_honour_client_tokens(
    moto_reset: MotoServer, ec2_call: Call
) -> None:
    # EC2 answers a repeated token with the first instance; moto makes another.
    first = _run(ec2_call, ClientToken="nubo-same-token")
    second = _run(ec2_call, ClientToken="nubo-same-token")

    assert first != second


def test_detach_volume_needs_the_instance_id(
    moto_reset: MotoServer, ec2_call: Call
) -> None:
    [instance] = _run(ec2_call)
    volume = _first_text(
        ec2_call("CreateVolume", {"AvailabilityZone": "us-east-1a", "Size": 1}),
        "volumeId",
    )
    attach = {"VolumeId": volume, "InstanceId": instance, "Device": "/dev/sdf"}
    assert ec2_call("AttachVolume", attach).ok

    without = ec2_call("DetachVolume", {"VolumeId": volume})
    with_id = ec2_call("DetachVolume", {"VolumeId": volume, "InstanceId": instance})

    # Not even an EC2 error document: an HTML page from the web framework.
    assert without.status_code == 500
    assert b"<Response" not in without.content
    assert with_id.ok


def test_describe_snapshots_ignores_owner(
    moto_reset: MotoServer, ec2_call: Call
) -> None:
    # moto lists the snapshots behind its own images even for Owner self; the
    # owner-id filter does work.
    owned = etree.fromstring(ec2_call("DescribeSnapshots", {"Owner.1": "self"}).content)
    owners = set(texts(owned, "ownerId"))
    filtered = etree.fromstring(
        ec2_call(
            "DescribeSnapshots",
            {"Filter.1.Name": "owner-id", "Filter.1.Value.1": "123456789012"},
        ).content
    )

    assert owners - {"123456789012"}
    assert texts(filtered, "snapshotId") == []


def test_an_unknown_action_is_not_an_error_document(ec2_call: Call) -> None:
    answer = ec2_call("NoSuchAction")

    assert answer.status_code >= 400
    assert b"<Errors>" not in answer.content


# -- starting and stopping --------------------------------------------------------


def _raise_inside(seen: list[MotoServer]) -> None:
    with moto_server() as server:
        seen.append(server)
        assert server.port is not None
        assert _port_is_open(server.port)
        raise RuntimeError("boom")


def test_the_server_stops_when_the_block_raises() -> None:
    seen: list[MotoServer] = []

    with pytest.raises(RuntimeError, match="boom"):
        _raise_inside(seen)

    [server] = seen
    assert server.port is not None
    assert not server.running
    assert not _port_is_open(server.port)
    with pytest.raises(MotoServerError, match="not running"):
        server.url  # noqa: B018


def test_a_missing_interpreter_is_reported() -> None:
    server = MotoServer(python="/nonexistent/python3")

    with pytest.raises(MotoServerError, match="could not run"):
        server.start()
    assert not server.running


_SCRIPT = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {examples!r})
    from _moto_server import moto_server

    mode = sys.argv[1]
    context = moto_server(handle_signals=(mode == "signal"))
    server = context.__enter__()
    print(server._process.pid, server.port, flush=True)
    if mode == "exit":
        sys.exit(0)  # neither the block's end nor stop(): atexit must do it
    time.sleep(120)
    """
)


def _run_helper(mode: str) -> tuple[subprocess.Popen[str], int, int]:
    process = subprocess.Popen(
        [sys.executable, "-c", _SCRIPT.format(examples=str(EXAMPLES)), mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        process.kill()
        _, errors = process.communicate(timeout=30)
        pytest.fail(f"the helper script did not start moto: {errors}")
    pid, port = (int(field) for field in line.split())
    return process, pid, port


def _wait_gone(pid: int, limit: float = 30.0) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if not _is_alive(pid):
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize(
    "number",
    [
        signal.SIGTERM,
        signal.SIGINT,
        pytest.param(
            signal.SIGKILL,
            marks=pytest.mark.skipif(
                not sys.platform.startswith("linux"),
                reason="only Linux stops a child when its parent is killed",
            ),
        ),
    ],
)
def test_a_signal_stops_the_server(number: int) -> None:
    process, pid, port = _run_helper("signal")
    try:
        assert _is_alive(pid)
        process.send_signal(number)
        process.wait(timeout=30)

        assert _wait_gone(pid)
        assert not _port_is_open(port)
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)
        if _is_alive(pid):
            os.kill(pid, signal.SIGKILL)


def test_interpreter_exit_stops_the_server() -> None:
    process, pid, port = _run_helper("exit")
    try:
        assert process.wait(timeout=30) == 0
        assert _wait_gone(pid)
        assert not _port_is_open(port)
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)
        if _is_alive(pid):
            os.kill(pid, signal.SIGKILL)
