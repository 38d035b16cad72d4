"""The benchmarks' canned EC2 server answers what nubo-ec2's parser reads.

The server in ``benchmarks/`` is started in its own process on 127.0.0.1, as the
benchmarks start it, and asked for every page of a fleet the way the clients ask
(a form POST, and a GET with a query as apache-libcloud sends). No figure is
timed here: the benchmarks run only in ``nox -s bench``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from lxml import etree

from nubo_ec2._parse import next_token, parse_error, parse_reservations

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks._fleet import NAMESPACE, PAGE_SIZE, instance_id  # noqa: E402
from benchmarks._server import ServerProcess  # noqa: E402

FLEET = 2 * PAGE_SIZE + 321


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with ServerProcess(FLEET) as running:
        yield running


def _post(port: int, **params: str) -> requests.Response:
    return requests.post(f"http://127.0.0.1:{port}/", data=params, timeout=30)


def test_every_page_parses_and_chains_by_next_token(server: ServerProcess) -> None:
    seen: list[dict[str, object]] = []
    sizes = []
    token: str | None = None
    while True:
        params = {"Action": "DescribeInstances", "Version": "2016-11-15"}
        if token is not None:
            params["NextToken"] = token
        response = _post(server.port, **params)
        assert response.status_code == 200

        root = etree.fromstring(response.content)
        assert root.tag == f"{{{NAMESPACE}}}DescribeInstancesResponse"
        page = parse_reservations(root)
        sizes.append(len(page))
        seen.extend(page)

        token = next_token(root)
        if token is None:
            break
        assert len(sizes) < 10, "the pages never end"

    assert sizes == [PAGE_SIZE, PAGE_SIZE, FLEET - 2 * PAGE_SIZE]
    assert [node["id"] for node in seen] == [instance_id(i) for i in range(FLEET)]


def test_an_instance_carries_what_a_real_one_does(server: ServerProcess) -> None:
    root = etree.fromstring(_post(server.port, Action="DescribeInstances").content)
    first, second = parse_reservations(root)[:2]

    assert first["name"] == "node-0"
    assert first["tags"] == {"Name": "node-0", "team": "bench"}
    assert first["state"] == "running"
    assert first["instance_type"] == "t3.micro"
    assert second["instance_type"] == "m5.large"
    assert first["availability_zone"] == "us-east-1a"
    assert first["private_ips"] == ["10.0.0.1"]
    assert first["public_ips"] == ["54.1.0.0"]
    assert second["public_ips"] == ["54.1.0.1"]
    assert first["security_groups"] == [
        {"id": "sg-0123456789abcdef0", "name": "default"}
    ]
    assert first["block_device_mappings"][0]["volume_id"] == f"vol-{0:017x}"
    assert first["reservation_id"] == f"r-{0:017x}"
    assert first["owner_id"] == "123456789012"


def test_a_get_with_a_query_is_answered_alike(server: ServerProcess) -> None:
    url = f"http://127.0.0.1:{server.port}/"
    posted = _post(server.port, Action="DescribeInstances", NextToken="bench-page-1")
    got = requests.get(
        url,
        params={"Action": "DescribeInstances", "NextToken": "bench-page-1"},
        timeout=30,
    )

    assert got.status_code == 200
    assert got.content == posted.content
    ids = [node["id"] for node in parse_reservations(etree.fromstring(got.content))]
    assert ids[0] == instance_id(PAGE_SIZE)


def test_describe_addresses_lists_no_address(server: ServerProcess) -> None:
    response = _post(server.port, Action="DescribeAddresses")

    root = etree.fromstring(response.content)
    assert root.tag == f"{{{NAMESPACE}}}DescribeAddressesResponse"
    assert len(root.find(f"{{{NAMESPACE}}}addressesSet")) == 0


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"Action": "RunInstances"}, "InvalidAction"),
        ({"Action": "DescribeInstances", "NextToken": "nope"}, "InvalidParameterValue"),
    ],
)
def test_anything_else_is_an_ec2_error(
    server: ServerProcess, params: dict[str, str], code: str
) -> None:
    response = _post(server.port, **params)

    assert response.status_code == 400
    assert parse_error(etree.fromstring(response.content))["code"] == code


def test_one_connection_serves_many_calls(server: ServerProcess) -> None:
    with requests.Session() as session:
        for _ in range(3):
            response = session.post(
                f"http://127.0.0.1:{server.port}/",
                data={"Action": "DescribeAddresses"},
                timeout=30,
            )
            assert response.status_code == 200
            assert response.headers.get("Connection", "").lower() != "close"
            assert response.raw.version == 11
