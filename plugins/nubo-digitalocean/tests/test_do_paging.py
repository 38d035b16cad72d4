"""How the DigitalOcean driver walks paged listings, with answers from
``responses``: next links rebased onto the driver's endpoint, a repeated link
ending the walk with a warning, and links outside the API refused.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from nubo.errors import MalformedResponseError
from nubo_digitalocean import MAX_PER_PAGE

PUBLIC = "https://api.digitalocean.com/v2"


def _region(slug: str) -> dict[str, Any]:
    return {"slug": slug, "name": slug.upper(), "available": True}


def _page(items: list[dict[str, Any]], next_link: str | None, total: int) -> Any:
    pages = {"next": next_link} if next_link else {}
    return {"regions": items, "links": {"pages": pages}, "meta": {"total": total}}


def _query(call: Any) -> dict[str, list[str]]:
    return parse_qs(urlsplit(call.request.url).query)


@responses.activate
def test_every_page_is_read_on_the_drivers_own_endpoint(
    make_driver: Callable[..., Any],
) -> None:
    driver, _, base = make_driver()
    responses.get(
        f"{base}/regions",
        json=_page([_region("ams3")], f"{PUBLIC}/regions?page=2&per_page=1", 3),
        match=[responses.matchers.query_param_matcher({"per_page": "200"})],
    )
    responses.get(
        f"{base}/regions",
        json=_page([_region("fra1")], f"{PUBLIC}/regions?page=3&per_page=1", 3),
        match=[responses.matchers.query_param_matcher({"page": "2", "per_page": "1"})],
    )
    responses.get(
        f"{base}/regions",
        json=_page([_region("lon1")], None, 3),
        match=[responses.matchers.query_param_matcher({"page": "3", "per_page": "1"})],
    )

    slugs = [location.id for location in driver.list_locations()]

    assert slugs == ["ams3", "fra1", "lon1"]
    assert len(responses.calls) == 3
    assert {urlsplit(call.request.url).hostname for call in responses.calls} == {
        "127.0.0.1"
    }
    assert _query(responses.calls[0]) == {"per_page": [str(MAX_PER_PAGE)]}


@responses.activate
def test_a_repeated_link_ends_the_walk_with_a_warning(
    make_driver: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    driver, _, base = make_driver()
    looping = f"{PUBLIC}/regions?page=2&per_page=1"
    responses.get(
        f"{base}/regions",
        json=_page([_region("ams3")], looping, 9),
        match=[responses.matchers.query_param_matcher({"per_page": "200"})],
    )
    responses.get(
        f"{base}/regions",
        json=_page([_region("fra1")], looping, 9),
        match=[responses.matchers.query_param_matcher({"page": "2", "per_page": "1"})],
    )

    with caplog.at_level(logging.WARNING, logger="nubo_digitalocean"):
        slugs = [location.id for location in driver.iter_locations()]

    assert slugs == ["ams3", "fra1"]
    assert len(responses.calls) == 2
    assert "links back to a page already read" in caplog.text
    assert "stopping after 2 items, of 9 it claims" in caplog.text


@responses.activate
def test_a_link_back_to_the_first_page_ends_the_walk(
    make_driver: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    driver, _, base = make_driver()
    responses.get(
        f"{base}/regions",
        json=_page([_region("ams3")], f"{PUBLIC}/regions?per_page=200", 1),
    )

    with caplog.at_level(logging.WARNING, logger="nubo_digitalocean"):
        locations = driver.list_locations()

    assert len(locations) == 1
    assert len(responses.calls) == 1
    assert "already read" in caplog.text


@responses.activate
def test_an_empty_page_that_links_on_ends_the_walk(
    make_driver: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    driver, _, base = make_driver()
    responses.get(
        f"{base}/regions",
        json=_page([], f"{PUBLIC}/regions?page=2", 5),
    )

    with caplog.at_level(logging.WARNING, logger="nubo_digitalocean"):
        assert driver.list_locations() == []

    assert "empty page that links on" in caplog.text


@responses.activate
def test_an_item_on_two_pages_is_listed_once(make_driver: Callable[..., Any]) -> None:
    driver, _, base = make_driver()
    responses.get(
        f"{base}/regions",
        json=_page([_region("ams3"), _region("fra1")], f"{PUBLIC}/regions?page=2", 3),
        match=[responses.matchers.query_param_matcher({"per_page": "200"})],
    )
    responses.get(
        f"{base}/regions",
        json=_page([_region("fra1"), _region("lon1")], None, 3),
        match=[responses.matchers.query_param_matcher({"page": "2"})],
    )

    assert [loc.id for loc in driver.list_locations()] == ["ams3", "fra1", "lon1"]


@responses.activate
def test_a_link_outside_the_api_is_refused(make_driver: Callable[..., Any]) -> None:
    driver, _, base = make_driver()
    responses.get(
        f"{base}/regions",
        json=_page([_region("ams3")], "https://elsewhere.example/login?next=1", 2),
    )

    with pytest.raises(MalformedResponseError, match="outside its API"):
        driver.list_locations()

    assert len(responses.calls) == 1


@responses.activate
def test_a_relative_link_is_followed(make_driver: Callable[..., Any]) -> None:
    driver, _, base = make_driver()
    responses.get(
        f"{base}/regions",
        json=_page([_region("ams3")], "/v2/regions?page=2", 2),
        match=[responses.matchers.query_param_matcher({"per_page": "200"})],
    )
    responses.get(
        f"{base}/regions",
        json=_page([_region("sgp1")], None, 2),
        match=[responses.matchers.query_param_matcher({"page": "2"})],
    )

    assert [loc.id for loc in driver.list_locations()] == ["ams3", "sgp1"]


@responses.activate
def test_a_page_without_its_list_is_malformed(make_driver: Callable[..., Any]) -> None:
    driver, _, base = make_driver()
    responses.get(f"{base}/droplets", json={"links": {}, "meta": {"total": 0}})

    with pytest.raises(MalformedResponseError, match="no 'droplets' list"):
        driver.list_nodes()
