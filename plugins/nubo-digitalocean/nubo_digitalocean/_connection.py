"""The DigitalOcean connection and response: bearer tokens, JSON bodies and the
API's rate limits.

Every call goes to ``https://api.digitalocean.com/v2`` (or the ``host``, ``port``
and ``secure`` the driver was given), carries the token as a bearer token, and
sends its body as JSON. The response reads DigitalOcean's error bodies
(``{"id": ..., "message": ..., "request_id": ...}``), keeps the ``RateLimit-*``
headers, and turns ``RateLimit-Reset`` into the wait of a
:class:`~nubo.errors.RateLimitError`.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar

import requests

from nubo import Connection, ConnectionKey, JsonResponse, Response, RetryPolicy
from nubo.errors import InvalidArgumentError, RateLimitError

__all__ = ["DigitalOceanConnection", "DigitalOceanResponse", "RateLimit"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RateLimit:
    """What DigitalOcean's ``RateLimit-*`` headers said about the token's quota.

    :param limit: the requests allowed per hour (``RateLimit-Limit``).
    :param remaining: the requests left in this hour (``RateLimit-Remaining``).
    :param reset: when the quota fills up again (``RateLimit-Reset``), in UTC.
    """

    limit: int | None
    remaining: int | None
    reset: datetime | None


def _int_header(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


class DigitalOceanResponse(JsonResponse):
    """An answer of DigitalOcean's API v2.

    Error bodies are ``{"id": "not_found", "message": "...", "request_id": ...}``;
    the ``id`` becomes the error's ``code``. A 429 answer raises a
    :class:`~nubo.errors.RateLimitError` whose ``retry_after`` counts down to
    ``RateLimit-Reset`` when the answer has no ``Retry-After``.
    """

    auth_error_codes: ClassVar[frozenset[str]] = frozenset({"unauthorized"})
    throttle_error_codes: ClassVar[frozenset[str]] = frozenset({"too_many_requests"})
    not_found_error_codes: ClassVar[frozenset[str]] = frozenset({"not_found"})
    request_id_headers: ClassVar[tuple[str, ...]] = ("x-request-id",)

    def __init__(self, response: requests.Response, connection: Connection) -> None:
        try:
            super().__init__(response, connection)
        except RateLimitError as error:
            if error.retry_after is None:
                error.retry_after = self.reset_delay()
            raise

    @property
    def rate_limit(self) -> RateLimit:
        """The token's quota, as this answer's ``RateLimit-*`` headers gave it."""
        reset = _int_header(self.headers.get("RateLimit-Reset"))
        return RateLimit(
            limit=_int_header(self.headers.get("RateLimit-Limit")),
            remaining=_int_header(self.headers.get("RateLimit-Remaining")),
            reset=(
                datetime.fromtimestamp(reset, tz=timezone.utc)
                if reset is not None
                else None
            ),
        )

    def reset_delay(self) -> float | None:
        """Return the seconds until ``RateLimit-Reset``, measured against the
        answer's own ``Date`` so that a skewed local clock does not matter.

        :returns: the seconds, never negative; ``None`` without the header.
        """
        reset = _int_header(self.headers.get("RateLimit-Reset"))
        if reset is None:
            return None

        now = time.time()
        date = self.headers.get("Date")
        if date:
            try:
                now = parsedate_to_datetime(date).timestamp()
            except (TypeError, ValueError):
                log.debug("ignoring an unreadable Date header")
        return max(0.0, float(reset) - now)

    def parse_error(self) -> str | tuple[str, str | None]:
        """Read DigitalOcean's error body; its ``request_id`` is kept.

        :returns: ``(message, code)``; an excerpt when the body is not JSON.
        """
        try:
            data = json.loads(self.body) if self.body.strip() else None
        except ValueError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("request_id"), str):
            self.request_id = data["request_id"]
        return super().parse_error()


class DigitalOceanConnection(ConnectionKey):
    """A connection to DigitalOcean's API v2, authenticated with a token.

    Refused calls are retried by the core's policy: a throttled one (HTTP 429)
    whatever its method, after the wait the answer asked for.

    :param key: the personal access token.
    :param kwargs: as :class:`nubo.Connection`.
    :raises InvalidArgumentError: for an empty token.
    """

    responseCls: ClassVar[type[Response]] = DigitalOceanResponse
    host: str = "api.digitalocean.com"
    request_path: str = "/v2"

    def __init__(self, key: str | None = None, *args: Any, **kwargs: Any) -> None:
        if not isinstance(key, str) or not key.strip():
            raise InvalidArgumentError(
                "DigitalOcean needs a personal access token: get_driver"
                '("digitalocean")(token); make one under API in the control panel',
                argument="key",
            )
        super().__init__(key, *args, **kwargs)

    def add_default_headers(self, headers: dict[str, str]) -> dict[str, str]:
        """Add the bearer token and the JSON media types.

        :param headers: the call's headers.
        :returns: the headers to send.
        """
        headers["Authorization"] = f"Bearer {self.key}"
        headers.setdefault("Accept", "application/json")
        return headers

    def encode_data(self, data: Any) -> Any:
        """Send a dict or a list as JSON.

        :param data: the body given to :meth:`request`.
        :returns: the JSON text, or the body as it was.
        """
        if isinstance(data, (dict, list)):
            return json.dumps(data, separators=(",", ":"))
        return data

    def request(
        self,
        action: str,
        params: Any = None,
        data: Any = None,
        headers: Any = None,
        method: str = "GET",
        raw: bool = False,
        *,
        idempotent: bool | None = None,
        retry: RetryPolicy | bool | int | None = None,
        timeout: float | tuple[float, float] | None = None,
    ) -> Response:
        """Make one call, as :meth:`nubo.Connection.request` does, with a JSON
        ``Content-Type`` for a body.

        :param action: the path under ``/v2``.
        :param params: query parameters.
        :param data: the body: a dict or list is sent as JSON.
        :param headers: headers.
        :param method: the HTTP method.
        :param raw: stream the body.
        :param idempotent: as :meth:`nubo.Connection.request`.
        :param retry: as :meth:`nubo.Connection.request`.
        :param timeout: as :meth:`nubo.Connection.request`.
        :returns: the response.
        :raises RateLimitError: when the calls stay throttled.
        """
        headers = dict(headers or {})
        if data is not None:
            headers.setdefault("Content-Type", "application/json")

        return super().request(
            action,
            params,
            data,
            headers,
            method,
            raw,
            idempotent=idempotent,
            retry=retry,
            timeout=timeout,
        )
