"""DigitalOcean's rate limits, with answers from ``responses``: the
``RateLimit-*`` headers kept on the response, a 429 read into a
:class:`~nubo.errors.RateLimitError` that waits until ``RateLimit-Reset``, and
throttled calls retried whatever their method.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any

import pytest
import responses

from nubo import RetryPolicy
from nubo.errors import InvalidCredsError, NotFoundError, RateLimitError
from nubo_digitalocean import DigitalOceanResponse

NOW = datetime(2026, 5, 1, 12, 0, 0, tzinfo=timezone.utc)


def _throttled(reset_in: int) -> dict[str, Any]:
    return {
        "status": 429,
        "json": {"id": "too_many_requests", "message": "API rate limit exceeded."},
        "headers": {
            "RateLimit-Limit": "5000",
            "RateLimit-Remaining": "0",
            "RateLimit-Reset": str(int(NOW.timestamp()) + reset_in),
            "Date": format_datetime(NOW, usegmt=True),
        },
    }


def _regions() -> dict[str, Any]:
    return {"regions": [{"slug": "ams3"}], "links": {}, "meta": {"total": 1}}


@responses.activate
def test_the_rate_limit_headers_are_kept(make_driver: Callable[..., Any]) -> None:
    driver, _, base = make_driver()
    responses.get(
        f"{base}/account",
        json={"account": {}},
        headers={
            "RateLimit-Limit": "5000",
            "RateLimit-Remaining": "4999",
            "RateLimit-Reset": "1777636800",
        },
    )

    response = driver.connection.request("/account")

    assert isinstance(response, DigitalOceanResponse)
    assert response.rate_limit.limit == 5000
    assert response.rate_limit.remaining == 4999
    assert response.rate_limit.reset == datetime(2026, 5, 1, 12, tzinfo=timezone.utc)
    assert response.headers["ratelimit-remaining"] == "4999"


@responses.activate
def test_a_throttled_listing_waits_until_the_reset_then_succeeds(
    make_driver: Callable[..., Any],
) -> None:
    sleeps: list[float] = []
    driver, _, base = make_driver(retry=RetryPolicy(sleep=sleeps.append))
    responses.get(f"{base}/regions", **_throttled(reset_in=7))
    responses.get(f"{base}/regions", json=_regions())

    assert [loc.id for loc in driver.list_locations()] == ["ams3"]

    assert sleeps == [7.0]
    assert len(responses.calls) == 2


@responses.activate
def test_a_throttled_post_is_retried_too(make_driver: Callable[..., Any]) -> None:
    sleeps: list[float] = []
    driver, _, base = make_driver(retry=RetryPolicy(sleep=sleeps.append))
    responses.post(f"{base}/volumes", **_throttled(reset_in=3))
    responses.post(
        f"{base}/volumes",
        status=201,
        json={"volume": {"id": "v-1", "name": "data", "size_gigabytes": 10}},
    )

    volume = driver.create_volume(10, "data")

    assert volume.id == "v-1"
    assert sleeps == [3.0]
    assert len(responses.calls) == 2


@responses.activate
def test_a_call_that_stays_throttled_raises_with_the_reset_time(
    make_driver: Callable[..., Any],
) -> None:
    sleeps: list[float] = []
    driver, _, base = make_driver(retry=RetryPolicy(attempts=2, sleep=sleeps.append))
    responses.post(f"{base}/volumes", **_throttled(reset_in=12))

    with pytest.raises(RateLimitError) as caught:
        driver.create_volume(10, "data")

    assert caught.value.retry_after == 12.0
    assert caught.value.status == 429
    assert caught.value.code == "too_many_requests"
    assert len(responses.calls) == 2
    assert sleeps == [12.0]


@responses.activate
def test_a_long_reset_is_capped_by_the_policy(make_driver: Callable[..., Any]) -> None:
    sleeps: list[float] = []
    driver, _, base = make_driver(retry=RetryPolicy(max_delay=5.0, sleep=sleeps.append))
    responses.get(f"{base}/regions", **_throttled(reset_in=3600))
    responses.get(f"{base}/regions", json=_regions())

    driver.list_locations()

    assert sleeps == [5.0]


@responses.activate
def test_a_throttled_post_is_not_retried_past_the_deadline(
    make_driver: Callable[..., Any],
) -> None:
    sleeps: list[float] = []
    policy = RetryPolicy(deadline=10.0, sleep=sleeps.append)
    driver, _, base = make_driver(retry=policy)
    responses.post(f"{base}/volumes", **_throttled(reset_in=15))

    with pytest.raises(RateLimitError) as caught:
        driver.create_volume(10, "data")

    assert caught.value.retry_after == 15.0
    assert sleeps == []
    assert len(responses.calls) == 1


@responses.activate
def test_without_retries_a_throttled_post_is_made_once(
    make_driver: Callable[..., Any],
) -> None:
    driver, _, base = make_driver(retry=False)
    responses.post(f"{base}/volumes", **_throttled(reset_in=1))

    with pytest.raises(RateLimitError):
        driver.create_volume(10, "data")

    assert len(responses.calls) == 1


@responses.activate
def test_error_bodies_map_to_nubo_errors(make_driver: Callable[..., Any]) -> None:
    driver, _, base = make_driver()
    responses.get(
        f"{base}/droplets/1",
        status=404,
        json={
            "id": "not_found",
            "message": "The resource you requested could not be found.",
            "request_id": "4d9d8375-3c56-4925-a3e7-eb137fed17e9",
        },
    )
    responses.get(
        f"{base}/droplets/2",
        status=401,
        json={"id": "unauthorized", "message": "Unable to authenticate you."},
    )

    with pytest.raises(NotFoundError) as missing:
        driver.get_node("1")
    with pytest.raises(InvalidCredsError, match="Unable to authenticate"):
        driver.get_node("2")

    assert missing.value.request_id == "4d9d8375-3c56-4925-a3e7-eb137fed17e9"
    assert missing.value.provider == "digitalocean"
