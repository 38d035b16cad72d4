"""The bottom layer of the contract: one HTTP answer, read into an object or an
error.

A connection makes one response object (its ``responseCls``) for each answer.
The response reads the body itself, decompressing gzip and deflate with a cap on
the size so that a hostile body cannot exhaust memory, then either parses it
(:meth:`Response.parse_body`) or, for a failed call, reads the provider's message
and code (:meth:`Response.parse_error`) and raises the error they map to.

:class:`JsonResponse` and :class:`XmlResponse` parse their formats;
:class:`RawResponse` leaves the body on the wire for the caller to stream.
"""

from __future__ import annotations

import json
import logging
import zlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar

import requests
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import HTTPError as _Urllib3Error
from urllib3.exceptions import ProtocolError
from urllib3.exceptions import ReadTimeoutError as _Urllib3ReadTimeout

from ._redact import DEFAULT as _DEFAULT_REDACTOR
from ._redact import Redactor, scrub_exception
from ._retry import parse_retry_after
from .errors import (
    InvalidCredsError,
    MalformedResponseError,
    NotFoundError,
    NuboError,
    ProviderError,
    RateLimitError,
    ReadTimeoutError,
    ServerError,
    TransportError,
)

if TYPE_CHECKING:
    from ._connection import Connection

__all__ = ["JsonResponse", "RawResponse", "Response", "XmlResponse"]

log = logging.getLogger(__name__)

#: The largest body, once decompressed, that a response reads: 64 MiB.
MAX_BODY_SIZE = 64 * 1024 * 1024

_CHUNK = 64 * 1024


class _Decoder:
    """Undoes the Content-Encoding of a body, chunk by chunk, within a cap."""

    def __init__(self, encoding: str, limit: int) -> None:
        codings = [c.strip().lower() for c in encoding.split(",") if c.strip()]
        self.codings = [c for c in codings if c not in ("identity", "none")]
        self.limit = limit
        self.total = 0
        self._stages: list[Any] = [self._stage(c) for c in reversed(self.codings)]

    @staticmethod
    def _stage(coding: str) -> Any:
        if coding in ("gzip", "x-gzip"):
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        if coding == "deflate":
            return _Deflate()
        raise ValueError(
            f"the body is compressed with {coding!r}, which nubo cannot read"
        )

    def feed(self, data: bytes) -> Iterator[bytes]:
        """Decode one chunk from the wire, in pieces of at most ``_CHUNK`` bytes."""
        yield from self._through(0, data)

    def flush(self) -> Iterator[bytes]:
        """Decode what the stages still hold at the end of the body."""
        for index, stage in enumerate(self._stages):
            yield from self._through(index + 1, stage.flush())

    def _through(self, index: int, data: bytes) -> Iterator[bytes]:
        if index == len(self._stages):
            if data:
                yield self._count(data)
            return

        # Never ask a stage for more than one piece at a time: a few bytes of a
        # bomb expand a thousandfold, and the cap is checked between pieces.
        stage = self._stages[index]
        while data:
            out = stage.decompress(data, _CHUNK)
            data = stage.unconsumed_tail
            if out:
                yield from self._through(index + 1, bytes(out))

    def _count(self, data: bytes) -> bytes:
        self.total += len(data)
        if self.total > self.limit:
            raise OverflowError
        return data


class _Deflate:
    """``deflate`` as servers send it: zlib-wrapped, or bare as some do."""

    def __init__(self) -> None:
        self._inner: Any = None
        self._first = b""

    @property
    def unconsumed_tail(self) -> bytes:
        return bytes(self._inner.unconsumed_tail) if self._inner is not None else b""

    def decompress(self, data: bytes, max_length: int) -> bytes:
        if self._inner is None:
            self._first += data
            if len(self._first) < 2:
                return b""
            data, self._first = self._first, b""
            self._inner = zlib.decompressobj(
                zlib.MAX_WBITS if _has_zlib_header(data) else -zlib.MAX_WBITS
            )
        return bytes(self._inner.decompress(data, max_length))

    def flush(self) -> bytes:
        if self._inner is None:
            if not self._first:
                return b""
            self._inner = zlib.decompressobj(-zlib.MAX_WBITS)
            data, self._first = self._first, b""
            return bytes(self._inner.decompress(data)) + bytes(self._inner.flush())
        return bytes(self._inner.flush())


def _charset(content_type: str | None) -> str | None:
    """Return the charset a Content-Type header names, or ``None``."""
    if not content_type:
        return None
    for part in content_type.split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip("\"'") or None
    return None


def _has_zlib_header(data: bytes) -> bool:
    return (data[0] & 0x0F) == 8 and ((data[0] << 8) | data[1]) % 31 == 0


class Response:
    """One answer from a provider: its status, headers and body, parsed.

    The constructor reads the body and, for a failed call, raises the error the
    answer maps to; otherwise ``object`` holds the parsed body.

    A provider's subclass overrides :meth:`parse_body` and :meth:`parse_error`,
    names its error codes in :attr:`auth_error_codes`,
    :attr:`throttle_error_codes` and :attr:`not_found_error_codes`, and for finer
    mappings overrides :meth:`error_class`.

    :param response: the ``requests`` response, sent with ``stream=True`` so that
        its body is still unread.
    :param connection: the connection that made the request.
    :raises ProviderError: or a subclass, when the call failed.
    :raises MalformedResponseError: when the body cannot be read or parsed.
    :raises TransportError: when the connection broke while the body was read.
    """

    #: Whether :meth:`parse_body` is called for an empty body; when not, an empty
    #: body gives an empty ``object``.
    parse_zero_length_body: ClassVar[bool] = False

    #: The provider's error codes that mean the credentials were refused.
    auth_error_codes: ClassVar[frozenset[str]] = frozenset()

    #: The provider's error codes that mean throttling, whatever the status.
    throttle_error_codes: ClassVar[frozenset[str]] = frozenset()

    #: The provider's error codes that mean the resource does not exist.
    not_found_error_codes: ClassVar[frozenset[str]] = frozenset()

    #: Headers that may carry the provider's id for the request.
    request_id_headers: ClassVar[tuple[str, ...]] = (
        "x-request-id",
        "x-amzn-requestid",
        "x-amz-request-id",
    )

    #: The largest body read, once decompressed.
    max_body_size: ClassVar[int] = MAX_BODY_SIZE

    #: The body is read by the constructor; :class:`RawResponse` leaves it.
    _read_on_init: ClassVar[bool] = True

    def __init__(self, response: requests.Response, connection: Connection) -> None:
        self.response = response
        self.connection = connection
        self.status: int = response.status_code
        self.headers: CaseInsensitiveDict[str] = CaseInsensitiveDict(response.headers)
        self.error: str | None = None
        self.code: str | None = None
        self.request_id: str | None = self._header_request_id()
        self.body_bytes = b""
        self.body = ""
        self.object: Any = None

        if self._read_on_init or not self.success():
            self.body_bytes = self._read_body()
            self.body = self._decode(self.body_bytes)

        if not self.success():
            raise self._failure()

        if self._read_on_init:
            self.object = self._parse()

    # -- what a subclass overrides --------------------------------------------------

    def success(self) -> bool:
        """Tell whether the call succeeded: every 2xx does.

        :returns: ``True`` for a success.
        """
        return 200 <= self.status < 300

    def parse_body(self) -> Any:
        """Parse the body of a successful answer; the base class keeps the text.

        :returns: what ``object`` will hold.
        :raises MalformedResponseError: when the body is not what it should be.
        """
        return self.body

    def parse_error(self) -> str | tuple[str, str | None]:
        """Read the provider's message, and its error code, from a failed answer.

        This never raises on a body it cannot parse: it falls back to an excerpt.

        :returns: the message, or ``(message, code)``.
        """
        return self._fallback_message()

    def error_class(self, status: int, code: str | None) -> type[ProviderError]:
        """Choose the error class for a failed answer.

        The provider's own codes come first (an auth code sent with a 400 is an
        :class:`~nubo.errors.InvalidCredsError`), then the status.

        :param status: the HTTP status.
        :param code: the provider's error code, if any.
        :returns: the class to raise.
        """
        if code is not None:
            if code in self.auth_error_codes:
                return InvalidCredsError
            if code in self.throttle_error_codes:
                return RateLimitError
            if code in self.not_found_error_codes:
                return NotFoundError

        if status in (401, 403):
            return InvalidCredsError
        if status == 404:
            return NotFoundError
        if status == 429:
            return RateLimitError
        if status >= 500:
            return ServerError
        return ProviderError

    def empty_object(self) -> Any:
        """Return what ``object`` holds for an empty body.

        :returns: the empty value of this format: ``""`` here.
        """
        return ""

    # -- helpers ----------------------------------------------------------------------

    @property
    def provider(self) -> str | None:
        """The id of the provider that answered, from the connection's driver."""
        driver = getattr(self.connection, "driver", None)
        return getattr(driver, "type", None) or None

    @property
    def redactor(self) -> Redactor:
        """What hides the connection's secrets in excerpts and messages."""
        return getattr(self.connection, "redactor", _DEFAULT_REDACTOR)

    def excerpt(self) -> str:
        """Return a short, redacted excerpt of the body.

        :returns: at most about 300 characters, secrets replaced.
        """
        return self.redactor.excerpt(self.body)

    def malformed(self, what: str, cause: BaseException | None = None) -> NuboError:
        """Make the error for a body that could not be read.

        :param what: what was wrong with it.
        :param cause: the parser's exception, scrubbed of secrets here.
        :returns: the error, to raise ``from cause``.
        """
        if cause is not None:
            scrub_exception(cause, self.redactor)
        return MalformedResponseError(
            f"{what}; the provider's answer cannot be used, check that the driver"
            " talks to the right endpoint",
            status=self.status,
            provider=self.provider,
            body_excerpt=self.excerpt() or None,
        )

    def _parse(self) -> Any:
        if not self.body_bytes and not self.parse_zero_length_body:
            return self.empty_object()
        return self.parse_body()

    def _failure(self) -> ProviderError:
        try:
            found = self.parse_error()
        except Exception:
            log.debug("parse_error failed; falling back to the body", exc_info=True)
            found = self._fallback_message()

        message, code = found if isinstance(found, tuple) else (found, None)
        message = self.redactor.text(str(message or self._fallback_message()))
        self.error = message
        self.code = code

        cls = self.error_class(self.status, code)
        fields: dict[str, Any] = {
            "status": self.status,
            "code": code,
            "provider": self.provider,
            "body_excerpt": self.excerpt() or None,
            "request_id": self.request_id,
        }
        if issubclass(cls, RateLimitError):
            fields["retry_after"] = parse_retry_after(self.headers.get("Retry-After"))
        return cls(message, **fields)

    def _fallback_message(self) -> str:
        excerpt = self.redactor.excerpt(self.body, limit=200)
        reason = self.response.reason or "error"
        return f"{reason}: {excerpt}" if excerpt else str(reason)

    def _header_request_id(self) -> str | None:
        for name in self.request_id_headers:
            value = self.response.headers.get(name)
            if value:
                return value
        return None

    def _decode(self, data: bytes) -> str:
        # Only a charset the server named counts: requests would assume
        # ISO-8859-1 for any text/* type, and garble a UTF-8 body sent as
        # text/html or text/plain.
        charset = _charset(self.headers.get("Content-Type")) or "utf-8"
        try:
            return data.decode(charset, errors="replace")
        except LookupError:
            return data.decode("utf-8", errors="replace")

    def _read_body(self) -> bytes:
        """Read the whole body, decompressed, within ``max_body_size``."""
        chunks = list(self._iter_body(_CHUNK))
        data = b"".join(chunks)

        # Later readers of the requests response (a hook plugin) see the body too.
        self.response._content = data
        setattr(self.response, "_content_consumed", True)  # noqa: B010
        return data

    def _iter_body(self, chunk_size: int) -> Iterator[bytes]:
        response = self.response
        content: object = getattr(response, "_content", False)
        if getattr(response, "_content_consumed", False) or content is not False:
            # Read already (by a test double, or by the caller): nothing to decode.
            data = response.content or b""
            if len(data) > self.max_body_size:
                raise self._too_large()
            yield data
            return

        try:
            decoder = _Decoder(
                response.headers.get("Content-Encoding", ""), self.max_body_size
            )
        except ValueError as exc:
            raise self.malformed(str(exc)) from None

        try:
            for chunk in response.raw.stream(chunk_size, decode_content=False):
                yield from decoder.feed(chunk)
            yield from decoder.flush()
        except OverflowError:
            raise self._too_large() from None
        except zlib.error as exc:
            raise self.malformed(
                f"the body is not valid {', '.join(decoder.codings)} data"
            ) from exc
        except _Urllib3ReadTimeout as exc:
            scrub_exception(exc, self.redactor)
            raise ReadTimeoutError(
                "the server stopped sending the body within the read timeout; raise"
                " the timeout or retry later",
                provider=self.provider,
            ) from exc
        except (ProtocolError, _Urllib3Error, OSError) as exc:
            scrub_exception(exc, self.redactor)
            raise TransportError(
                "the connection broke while the body was read; retry later",
                provider=self.provider,
            ) from exc

    def _too_large(self) -> NuboError:
        response = self.response
        response.close()
        return MalformedResponseError(
            f"the body is larger than {self.max_body_size} bytes once decompressed"
            " and was not read; if the answer is meant to be that large, raise the"
            " response class's max_body_size or use raw=True",
            status=self.status,
            provider=self.provider,
        )

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} status={self.status} provider={self.provider!r}>"
        )


class JsonResponse(Response):
    """An answer with a JSON body; ``object`` holds the decoded value.

    An empty body gives an empty dictionary. A failed answer whose body is not
    JSON (an HTML page from a proxy) raises the error for its status with an
    excerpt of the body.
    """

    #: Keys tried, in order, for the provider's message in an error body.
    message_keys: ClassVar[tuple[str, ...]] = ("message", "error_message", "detail")

    #: Keys tried, in order, for the provider's error code in an error body.
    code_keys: ClassVar[tuple[str, ...]] = ("code", "id", "error_code", "type")

    def parse_body(self) -> Any:
        """Decode the JSON body.

        :returns: the decoded value.
        :raises MalformedResponseError: when the body is not JSON.
        """
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise self.malformed("the body is not valid JSON", exc) from exc

    def empty_object(self) -> Any:
        """Return an empty dictionary, for an empty body.

        :returns: ``{}``.
        """
        return {}

    def parse_error(self) -> str | tuple[str, str | None]:
        """Find the message and code in a JSON error body.

        Looks at the top level and in an ``error`` or ``errors`` member.

        :returns: ``(message, code)``; an excerpt when the body is not JSON.
        """
        try:
            data = json.loads(self.body) if self.body.strip() else None
        except ValueError:
            return self._fallback_message()

        candidates: list[Any] = [data]
        if isinstance(data, dict):
            inner = data.get("error")
            if isinstance(inner, str):
                return inner, None
            errors = data.get("errors")
            candidates += [inner, errors[0] if isinstance(errors, list) else errors]

        for item in candidates:
            if not isinstance(item, dict):
                continue
            message = _first(item, self.message_keys)
            if message is not None:
                return str(message), _first_str(item, self.code_keys)

        return self._fallback_message()


def _first(data: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = data.get(key)
        if value not in (None, ""):
            return value
    return None


def _first_str(data: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    value = _first(data, keys)
    return None if value is None else str(value)


#: The parser every XML body goes through: no entities, no network, no DTD.
#: The indentation between elements is dropped as it is read: providers indent
#: their answers, and keeping it as text nodes makes the tree of a large page a
#: quarter bigger and twice as slow to build. A value made of blanks alone
#: (``<value> </value>``) is kept.
#:
#: lxml is imported on the first XML body rather than with nubo, so that a
#: program's start does not pay for it.
def _read_xml(data: bytes) -> tuple[Any, BaseException | None]:
    from lxml import etree

    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
        remove_blank_text=True,
    )
    try:
        return etree.fromstring(data, parser=parser), None
    except (etree.XMLSyntaxError, ValueError) as exc:
        return None, exc


class XmlResponse(Response):
    """An answer with an XML body; ``object`` holds the root element.

    Parsing never resolves entities, loads a DTD or touches the network. Servers
    that speak one API differ in its namespace URI, so look elements up by local
    name with :meth:`findall_local`, :meth:`find_local` and
    :meth:`findtext_local`.
    """

    #: Local names of the element holding the provider's error code.
    code_tags: ClassVar[tuple[str, ...]] = ("Code", "code", "ErrorCode")

    #: Local names of the element holding the provider's error message.
    message_tags: ClassVar[tuple[str, ...]] = ("Message", "message", "ErrorMessage")

    #: Local names of the element holding the provider's request id.
    request_id_tags: ClassVar[tuple[str, ...]] = ("RequestId", "RequestID", "requestId")

    def parse_body(self) -> Any:
        """Parse the XML body.

        :returns: the root element.
        :raises MalformedResponseError: when the body is not XML.
        """
        return self.parse_xml()

    def parse_xml(self) -> Any:
        """Parse the body as XML, safely.

        :returns: the root element.
        :raises MalformedResponseError: when the body is not well-formed XML.
        """
        root, error = _read_xml(self.body_bytes)
        if error is not None:
            raise self.malformed("the body is not well-formed XML", error) from error
        if root is None:
            raise self.malformed("the body holds no XML element")
        if _declares_entities(root):
            raise self.malformed(
                "the body declares XML entities, which nubo refuses: no provider"
                " needs them, and they are how external-entity and expansion"
                " attacks are made"
            )
        return root

    def parse_error(self) -> str | tuple[str, str | None]:
        """Find the code, message and request id in an XML error body.

        Sets ``request_id`` when the body has one.

        :returns: ``(message, code)``; an excerpt when the body is not XML.
        """
        root, error = _read_xml(self.body_bytes)
        if error is not None or root is None or _declares_entities(root):
            return self._fallback_message()

        code = _first_text(root, self.code_tags)
        message = _first_text(root, self.message_tags)
        request_id = _first_text(root, self.request_id_tags)
        if request_id:
            self.request_id = request_id
        if message is None and code is None:
            return self._fallback_message()
        return message or code or "", code

    @staticmethod
    def findall_local(element: Any, name: str) -> list[Any]:
        """Find every descendant element with a local name, in any namespace.

        :param element: the element to search under.
        :param name: the local name, without a prefix (``"item"``).
        :returns: the elements, in document order.
        """
        return list(element.iter(f"{{*}}{name}"))

    @staticmethod
    def find_local(element: Any, name: str) -> Any:
        """Find the first descendant element with a local name, in any namespace.

        :param element: the element to search under.
        :param name: the local name.
        :returns: the element, or ``None``.
        """
        return next(element.iter(f"{{*}}{name}"), None)

    @staticmethod
    def findtext_local(
        element: Any, name: str, default: str | None = None
    ) -> str | None:
        """Return the text of the first descendant with a local name.

        :param element: the element to search under.
        :param name: the local name.
        :param default: what to return when there is no such element.
        :returns: its text (``""`` for an empty element), or ``default``.
        """
        found = XmlResponse.find_local(element, name)
        if found is None:
            return default
        return found.text or ""

    @staticmethod
    def children_local(element: Any, name: str) -> list[Any]:
        """Find the direct children with a local name, in any namespace.

        :param element: the parent element.
        :param name: the local name.
        :returns: the children, in document order.
        """
        return list(element.iterfind(f"{{*}}{name}"))


def _declares_entities(root: Any) -> bool:
    """Tell whether a document's DTD declares entities (general or parameter)."""
    dtd = root.getroottree().docinfo.internalDTD
    return dtd is not None and next(iter(dtd.iterentities()), None) is not None


def _first_text(root: Any, names: tuple[str, ...]) -> str | None:
    for name in names:
        text = XmlResponse.findtext_local(root, name)
        if text:
            return text.strip()
    return None


class RawResponse(Response):
    """An answer whose body stays on the wire: for downloads and streams.

    A failed answer is still read (within the cap) to raise its error; a
    successful one is not read until :meth:`iter_content` is consumed, and is
    decompressed there, with the same cap.
    """

    _read_on_init = False

    def iter_content(self, chunk_size: int = _CHUNK) -> Iterator[bytes]:
        """Stream the body, decompressed, within :attr:`~nubo.Response.max_body_size`.

        :param chunk_size: the size of the chunks read from the wire.
        :returns: an iterator of byte chunks.
        :raises MalformedResponseError: when the body passes the cap or its
            compression is broken.
        :raises TransportError: when the connection breaks.
        """
        try:
            yield from self._iter_body(chunk_size)
        finally:
            self.response.close()

    def read(self) -> bytes:
        """Read the whole body into memory, within :attr:`~nubo.Response.max_body_size`.

        :returns: the body, decompressed.
        """
        self.body_bytes = b"".join(self.iter_content())
        self.body = self._decode(self.body_bytes)
        return self.body_bytes

    def close(self) -> None:
        """Release the connection without reading the rest of the body."""
        self.response.close()
