"""Fixtures for the EC2 tests: moto's server on 127.0.0.1, and signed calls to it.

The server runs once per test session, in a child process, on a free loopback
port; it is stopped when the session ends, whether the tests passed or not. Tests
that need a clean slate take ``moto_reset``. When moto is not installed the tests
that need it are skipped, or fail when ``NUBO_REQUIRE_PEERS`` is set.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from nubo_ec2._sigv4 import encode_form, sign_request

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

from _moto_server import MotoServer, moto_server  # noqa: E402

#: The Query API version every request names.
API_VERSION = "2016-11-15"

#: Credentials for moto: it accepts any, and these belong to nobody.
DUMMY_KEY = "AKIDNUBOTESTING0000"
DUMMY_SECRET = "nubo-testing-secret"

Call = Callable[..., requests.Response]


def _moto_missing() -> str | None:
    for module in ("moto.server", "flask"):
        try:
            found = importlib.util.find_spec(module)
        except ModuleNotFoundError:
            found = None
        if found is None:
            return f"moto's server needs {module!r}: pip install 'moto[server]'"
    return None


@pytest.fixture(scope="session")
def moto() -> Iterator[MotoServer]:
    """moto's server, started once for the session on 127.0.0.1."""
    missing = _moto_missing()
    if missing is not None:
        if os.environ.get("NUBO_REQUIRE_PEERS"):
            pytest.fail(missing)
        pytest.skip(missing)

    with moto_server() as server:
        yield server


@pytest.fixture(scope="session")
def moto_endpoint(moto: MotoServer) -> tuple[str, int]:
    """The ``(host, port)`` of moto's server."""
    return moto.endpoint


@pytest.fixture
def moto_reset(moto: MotoServer) -> MotoServer:
    """moto's server, emptied of every resource before the test."""
    moto.reset()
    return moto


@pytest.fixture
def http() -> Iterator[requests.Session]:
    """A requests session that ignores proxy settings from the environment."""
    session = requests.Session()
    session.trust_env = False
    yield session
    session.close()


@pytest.fixture
def ec2_call(moto: MotoServer, http: requests.Session) -> Call:
    """Send one signed EC2 Query API call to moto; return the raw response.

    ``ec2_call("DescribeRegions", {"RegionName.1": "us-east-1"}, region=...)``.
    """

    def call(
        action: str,
        params: dict[str, Any] | None = None,
        *,
        region: str = "us-east-1",
        session_token: str | None = None,
        secret_key: str = DUMMY_SECRET,
    ) -> requests.Response:
        body = encode_form({"Action": action, "Version": API_VERSION, **(params or {})})
        url = f"{moto.url}/"
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        headers.update(
            sign_request(
                "POST",
                url,
                headers,
                body,
                access_key=DUMMY_KEY,
                secret_key=secret_key,
                region=region,
                session_token=session_token,
            )
        )
        return http.post(url, data=body, headers=headers, timeout=120)

    return call
