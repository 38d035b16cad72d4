"""Hypothesis over the DigitalOcean provider: its listings read pages of any
shape from a local server, and its response class reads any answer; only
``nubo.errors`` exceptions ever come out."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from faultserver import Answer, FaultServer, Received, fault_server
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nubo
from nubo import errors

do = pytest.importorskip(
    "nubo_digitalocean", reason="nubo-digitalocean is not installed"
)

# Every example makes real calls to a local server: fewer of them than elsewhere.
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

KEYS = [
    "id",
    "name",
    "slug",
    "status",
    "networks",
    "v4",
    "v6",
    "ip_address",
    "type",
    "memory",
    "vcpus",
    "disk",
    "size_slug",
    "size",
    "region",
    "regions",
    "image",
    "created_at",
    "tags",
    "available",
    "sizes",
    "features",
    "price_monthly",
    "price_hourly",
    "public_key",
    "fingerprint",
    "distribution",
    "min_disk_size",
    "size_gigabytes",
    "droplet_ids",
    "description",
    "public",
]

LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(-5, 10**6)
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
    | st.sampled_from(
        ["active", "new", "off", "2026-12-04T14:13:42Z", "nyc1", "public"]
    )
)

VALUES = st.recursive(
    LEAVES,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(KEYS), inner, max_size=5)
    ),
    max_leaves=15,
)

ITEMS = st.lists(
    st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=8) | VALUES, max_size=3
)

LISTS = ["droplets", "sizes", "regions", "images", "volumes", "ssh_keys", "snapshots"]


@st.composite
def pages(draw: Any) -> Any:
    if draw(st.integers(0, 9)) == 0:
        return draw(VALUES)
    page: dict[str, Any] = {key: draw(ITEMS) for key in LISTS}
    page["links"] = draw(
        st.none()
        | st.just({"pages": {"next": "/v2/droplets?page=2"}})
        | st.just({"pages": {"next": "https://elsewhere.test/v3/x"}})
        | VALUES
    )
    page["meta"] = draw(st.none() | st.just({"total": 3}) | VALUES)
    return page


@dataclass
class Script:
    """What the server answers for the current example."""

    body: bytes = b"{}"
    status: int = 200

    def __call__(self, request: Received) -> Answer:
        return Answer(self.status, {"Content-Type": "application/json"}, self.body)


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[FaultServer, Script]]:
    script = Script()
    with fault_server(script) as server:
        yield server, script


CALLS = [
    lambda d: d.list_nodes(),
    lambda d: d.list_sizes(),
    lambda d: d.list_locations(),
    lambda d: d.list_images(),
    lambda d: d.list_volumes(),
    lambda d: d.list_key_pairs(),
]


@SETTINGS
@given(page=pages(), status=st.sampled_from([200, 200, 200, 404, 429, 500]))
def test_listings_take_pages_of_any_shape(
    served: tuple[FaultServer, Script], page: Any, status: int
) -> None:
    server, script = served
    script.body = json.dumps(page).encode()
    script.status = status
    driver = do.DigitalOceanNodeDriver(
        "fuzz-token-0123456",
        secure=False,
        host="127.0.0.1",
        port=server.port,
        retry=nubo.RetryPolicy(attempts=1),
    )

    for call in CALLS:
        with contextlib.suppress(errors.NuboError):
            call(driver)
    driver.connection.connection.close()
