"""Walking DigitalOcean's paged listings by their ``links.pages.next`` links.

Each listing is asked for with the largest page the API allows. A next link is
followed on the driver's own endpoint, whatever host it names: the driver never
contacts a host it was not pointed at, and a server that answers for another
(a mock, a proxy) still pages. A link seen before ends the walk, with a warning
that says how many items the provider claimed and how many arrived, so that a
listing is never cut short without a word. An item already yielded (pages
that shift while they are read) is not yielded again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from nubo import Connection
from nubo.errors import MalformedResponseError

__all__ = ["MAX_PER_PAGE", "iter_pages", "rebase_link"]

log = logging.getLogger(__name__)

#: The largest ``per_page`` DigitalOcean's API accepts.
MAX_PER_PAGE = 200

#: The path every API v2 link starts with.
_API_PREFIX = "/v2"


def rebase_link(connection: Connection, link: str) -> tuple[str, dict[str, str]]:
    """Turn a link DigitalOcean gave into an action and parameters for the
    driver's own endpoint.

    :param connection: the connection the link will be followed on.
    :param link: the absolute (or host-relative) link.
    :returns: ``(action, params)`` for :meth:`nubo.Connection.request`.
    :raises MalformedResponseError: when the link is not under the API's path.
    """
    parts = urlsplit(link)
    path = parts.path

    action: str | None = None
    for prefix in (connection.request_path.rstrip("/"), _API_PREFIX):
        if prefix and (path == prefix or path.startswith(prefix + "/")):
            action = path[len(prefix) :] or "/"
            break
    if action is None:
        raise MalformedResponseError(
            f"DigitalOcean gave a link outside its API ({parts.path!r}), which the"
            " driver will not follow; check that the driver talks to the right"
            " endpoint",
            provider=connection.provider,
        )

    if parts.hostname and parts.hostname != connection.host:
        log.debug("following a link to %s on %s", parts.hostname, connection.host)
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    return action, params


def iter_pages(
    connection: Connection,
    action: str,
    key: str,
    params: Mapping[str, Any] | None = None,
    ident: str = "id",
) -> Iterator[dict[str, Any]]:
    """Yield every item of a paged listing, one page held at a time.

    :param connection: the connection to call on.
    :param action: the listing's path (``/droplets``).
    :param key: the member of each page that holds the items (``droplets``).
    :param params: more query parameters for the first page.
    :param ident: the member that identifies an item, to yield each one once.
    :returns: a generator of the items, as DigitalOcean gave them.
    :raises MalformedResponseError: when a page is not what a listing answers.
    """
    query: dict[str, Any] = {"per_page": MAX_PER_PAGE, **(params or {})}
    seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    yielded: set[str] = set()
    count = 0
    page_action = action

    while True:
        seen.add((page_action, _key(query)))
        data = connection.request(page_action, params=query).object
        items = data.get(key) if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise MalformedResponseError(
                f"DigitalOcean's answer to {action} has no {key!r} list; check that"
                " the driver talks to the right endpoint",
                provider=connection.provider,
            )

        for item in items:
            if not isinstance(item, dict):
                raise MalformedResponseError(
                    f"DigitalOcean's answer to {action} lists a {type(item).__name__}"
                    f" among its {key}, not an object; check that the driver talks"
                    " to the right endpoint",
                    provider=connection.provider,
                )
            name = item.get(ident)
            if name is not None:
                if str(name) in yielded:
                    log.debug("skipping %s %s, already listed", key, name)
                    continue
                yielded.add(str(name))
            count += 1
            yield item

        link = _next_link(data)
        if link is None:
            return
        if not items:
            log.warning(
                "DigitalOcean's listing of %s gave an empty page that links on"
                " (%s); stopping after %d items, of %s it claims",
                action,
                link,
                count,
                _total(data),
            )
            return

        page_action, query = rebase_link(connection, link)
        if (page_action, _key(query)) in seen:
            log.warning(
                "DigitalOcean's listing of %s links back to a page already read"
                " (%s); stopping after %d items, of %s it claims",
                action,
                link,
                count,
                _total(data),
            )
            return


def _key(query: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((str(k), str(v)) for k, v in query.items()))


def _next_link(data: dict[str, Any]) -> str | None:
    links = data.get("links")
    pages = links.get("pages") if isinstance(links, dict) else None
    link = pages.get("next") if isinstance(pages, dict) else None
    return link if isinstance(link, str) and link else None


def _total(data: dict[str, Any]) -> str:
    meta = data.get("meta")
    total = meta.get("total") if isinstance(meta, dict) else None
    return str(total) if isinstance(total, int) else "an unknown number"
