"""The EC2 connection and response: how one Query API call is sent and read.

:class:`EC2Connection` sends every call as a POST form body to the endpoint of
its region (or the host it was given) and signs it with Signature Version 4 in
its pre-connect step, after every hook plugin has had its say, so that nothing
changes the request once it is signed. :class:`EC2Response` reads the XML answer
and maps EC2's error codes onto nubo's errors.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, ClassVar

from nubo import ConnectionUserAndKey, Request, RetryPolicy, XmlResponse
from nubo.errors import (
    InvalidArgumentError,
    MalformedResponseError,
    NotFoundError,
    ProviderError,
)

from . import _parse
from ._endpoints import endpoint_for, validate_region
from ._sigv4 import encode_form, sign_request

__all__ = ["API_VERSION", "EC2Connection", "EC2Response"]

log = logging.getLogger(__name__)

#: The version of the EC2 Query API every call names.
API_VERSION = "2016-11-15"

#: The content type of every request body.
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"


class EC2Response(XmlResponse):
    """An answer of the EC2 Query API; ``object`` holds the XML root element.

    A failed answer carries ``Response/Errors/Error`` with a ``Code`` and a
    ``Message``, and a ``RequestID``: auth codes become
    :class:`~nubo.errors.InvalidCredsError`, every ``*.NotFound`` code a
    :class:`~nubo.errors.NotFoundError`, throttling codes a
    :class:`~nubo.errors.RateLimitError` (retried for every call: EC2 refused
    it before acting on it), and the rest a :class:`~nubo.errors.ProviderError` with the
    code, the message and the request id.
    """

    auth_error_codes: ClassVar[frozenset[str]] = frozenset(
        {
            "AuthFailure",
            "SignatureDoesNotMatch",
            "UnauthorizedOperation",
            "InvalidClientTokenId",
            "IncompleteSignature",
            "MissingAuthenticationToken",
            "InvalidAccessKeyId",
            "ExpiredToken",
        }
    )

    throttle_error_codes: ClassVar[frozenset[str]] = frozenset(
        {"RequestLimitExceeded", "Throttling", "ThrottlingException"}
    )

    def parse_error(self) -> str | tuple[str, str | None]:
        """Read the first error of an EC2 error document, and its request id.

        :returns: ``(message, code)``; an excerpt of the body when it is not an
            EC2 error document (an HTML page from a proxy or a server's bug).
        """
        try:
            root = self.parse_xml()
        except MalformedResponseError:
            return self._fallback_message()

        found = _parse.parse_error(root)
        if found["request_id"]:
            self.request_id = found["request_id"]

        code, message = found["code"], found["message"]
        if code is None and message is None:
            return self._fallback_message()
        return message or code or "", code

    def error_class(self, status: int, code: str | None) -> type[ProviderError]:
        """Choose the error class: EC2's auth, throttling and ``*.NotFound``
        codes first, whatever the status (EC2 answers most refusals with 400),
        then the status.

        :param status: the HTTP status.
        :param code: EC2's error code, if any.
        :returns: the class to raise.
        """
        if code is not None and code.endswith(".NotFound"):
            return NotFoundError
        return super().error_class(status, code)


class EC2Connection(ConnectionUserAndKey):
    """A connection to one EC2 endpoint, signing every call with SigV4.

    :param user_id: the access key id.
    :param key: the secret access key; it is never sent, logged or shown.
    :param secure: use HTTPS (the default); ``False`` for plain HTTP, as a local
        EC2-compatible server may need.
    :param host: the host; by default the EC2 endpoint of ``region``.
    :param port: the port; by default 443 with ``secure``, 80 without.
    :param url: a base URL instead of ``secure``, ``host`` and ``port``.
    :param timeout: seconds, or ``(connect, read)`` seconds.
    :param proxy_url: an HTTP proxy for every call.
    :param retry_delay: the wait before the first retry, in seconds.
    :param backoff: the factor by which each wait grows.
    :param retry: a :class:`~nubo.RetryPolicy`, a number of attempts, or
        ``False`` for no retries.
    :param ca_cert: a CA bundle to verify the server with.
    :param region: the region the calls are signed for, and whose endpoint is
        used when no host is given.
    :param token: the session token of temporary credentials; it is signed and
        sent as ``X-Amz-Security-Token``, and never logged.
    :raises InvalidArgumentError: for a malformed region, or one of no known
        partition when no host is given.
    """

    responseCls: ClassVar[type[XmlResponse]] = EC2Response

    secret_headers: ClassVar[frozenset[str]] = frozenset({"x-amz-security-token"})

    #: The service name in the signature's scope.
    service: ClassVar[str] = "ec2"

    def __init__(
        self,
        user_id: str,
        key: str,
        secure: bool = True,
        host: str | None = None,
        port: int | None = None,
        url: str | None = None,
        timeout: float | tuple[float, float] | None = None,
        proxy_url: str | None = None,
        retry_delay: float | None = None,
        backoff: float | None = None,
        *,
        retry: RetryPolicy | bool | int | None = None,
        ca_cert: str | None = None,
        region: str = "us-east-1",
        token: str | None = None,
    ) -> None:
        self.region = validate_region(region)
        self.token = token
        if host is None and url is None:
            host = endpoint_for(self.region, self.service)

        super().__init__(
            user_id,
            key,
            secure,
            host,
            port,
            url,
            timeout,
            proxy_url,
            retry_delay,
            backoff,
            retry=retry,
            ca_cert=ca_cert,
        )

    def add_default_headers(self, headers: dict[str, str]) -> dict[str, str]:
        """Name the form content type, unless the call gave its own.

        :param headers: the call's headers.
        :returns: the headers to send.
        """
        if not any(name.lower() == "content-type" for name in headers):
            headers["Content-Type"] = FORM_CONTENT_TYPE
        return headers

    def encode_data(self, data: Any) -> Any:
        """Encode the call's parameters as the form body that is signed.

        :param data: a mapping of Query API parameters, or a body already
            encoded.
        :returns: the body, as bytes.
        """
        if isinstance(data, Mapping):
            return encode_form(data)
        if isinstance(data, str):
            return data.encode("utf-8")
        return data if data is not None else b""

    def pre_connect(self, request: Request) -> None:
        """Sign the request, the last step before it is sent.

        :param request: the call being made; its headers gain ``Authorization``,
            ``X-Amz-Date`` and, with a session token, ``X-Amz-Security-Token``.
        :raises InvalidArgumentError: when the body is not bytes by now.
        """
        super().pre_connect(request)

        body = request.data if request.data is not None else b""
        if not isinstance(body, bytes):
            raise InvalidArgumentError(
                "an EC2 request body must be bytes or a mapping of parameters, not "
                f"{type(body).__name__}; pass the parameters as a dict",
                argument="data",
            )
        request.data = body

        signed = sign_request(
            request.method,
            request.url,
            request.headers,
            body,
            access_key=self.user_id,
            secret_key=self.key,
            region=self.region,
            service=self.service,
            session_token=self.token,
        )
        request.headers.update(signed)

    def _secret_values(self) -> list[str | None]:
        return [self.key, self.token]
