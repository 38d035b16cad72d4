"""AWS Signature Version 4, as pure functions.

The EC2 connection calls :func:`sign_request` last, just before a request is sent,
and adds the headers it returns. Nothing here touches the network or keeps state:
the same request, credentials and time always give the same headers, which is what
lets the tests compare this signer with another one request by request.

The steps are AWS's: a canonical request (method, path, query, headers, the hash
of the body), a string to sign that names the date, the scope and the hash of the
canonical request, a signing key derived from the secret by four HMACs, and the
signature over the string to sign with that key.

``X-Amz-Content-Sha256`` is not added. EC2 does not ask for it (only S3 does), the
body's hash is part of the canonical request anyway, so the header would only
repeat it on every request.

The signature, the signing key and the secret are derived from credentials and are
never logged.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import logging
from collections.abc import Iterable, Mapping
from urllib.parse import quote, unquote, urlsplit

from nubo.errors import InvalidArgumentError

__all__ = [
    "ALGORITHM",
    "UNSIGNED_HEADERS",
    "canonical_query",
    "canonical_uri",
    "encode_form",
    "sign_request",
    "to_text",
]

log = logging.getLogger(__name__)

#: The algorithm named in the Authorization header and the string to sign.
ALGORITHM = "AWS4-HMAC-SHA256"

#: Headers left out of the signature: the hop-by-hop headers of HTTP/1.1, which a
#: proxy may drop or rewrite, and those an HTTP stack or a tracer changes on its
#: own (the User-Agent, ``Expect``, AWS's trace id).
UNSIGNED_HEADERS = frozenset(
    {
        "connection",
        "expect",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "user-agent",
        "x-amzn-trace-id",
    }
)

# RFC 3986's unreserved characters are the only ones AWS leaves unencoded.
_UNRESERVED = "-_.~"

_DEFAULT_PORTS = {"http": 80, "https": 443}

_SCOPE_TERMINATOR = "aws4_request"

ParamValue = str | int | float | bool
Params = Mapping[str, ParamValue] | Iterable[tuple[str, ParamValue]]


def to_text(value: object) -> str:
    """Return the text that is sent, and signed, for a parameter value.

    Booleans become ``true`` and ``false``, as the EC2 Query API spells them;
    bytes are decoded as UTF-8; every other value goes through :func:`str`.

    :param value: a parameter value of any type.
    :returns: its text.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return value if isinstance(value, str) else str(value)


def _encode(text: str) -> str:
    # UTF-8, then every byte outside the unreserved set as %XX in upper case.
    return quote(text, safe=_UNRESERVED, encoding="utf-8")


def _pairs(params: Params) -> list[tuple[str, str]]:
    items = params.items() if isinstance(params, Mapping) else params
    return [(to_text(name), to_text(value)) for name, value in items]


def encode_form(params: Params) -> bytes:
    """Encode parameters as an ``application/x-www-form-urlencoded`` body.

    Values are encoded the way :func:`canonical_query` encodes them, so that what
    is sent is exactly what is signed: UTF-8, RFC 3986 percent-encoding, a space as
    ``%20`` (never ``+``). The order of the pairs is kept.

    :param params: a mapping, or a sequence of ``(name, value)`` pairs; values
        that are not strings are converted with :func:`to_text`.
    :returns: the body, as ASCII bytes.
    """
    pairs = _pairs(params)
    return "&".join(f"{_encode(k)}={_encode(v)}" for k, v in pairs).encode("ascii")


def canonical_uri(path: str) -> str:
    """Return the canonical form of a URL's path.

    Dot segments and empty segments are removed, a trailing slash is kept, and the
    result is percent-encoded once more, as AWS asks of every service but S3 (so a
    ``%`` in the path becomes ``%25``).

    :param path: the path of the URL, as it is sent.
    :returns: the canonical URI, ``/`` for an empty path.
    """
    if not path:
        return "/"

    segments: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(segment)

    lead = "/" if path.startswith("/") else ""
    trail = "/" if path.endswith("/") and segments else ""
    return quote(lead + "/".join(segments) + trail, safe="/~")


def canonical_query(query: str, params: Params | None = None) -> str:
    """Return the canonical query string of a request.

    The pairs of the URL's query are decoded and encoded again the strict way, so
    that ``a%2fb`` and ``a%2Fb`` sign alike; extra ``params`` join them. Pairs are
    sorted by encoded name, then by encoded value.

    :param query: the query part of the URL, without ``?``, as it is sent.
    :param params: more query parameters that the HTTP client adds to the URL.
    :returns: the canonical query string, empty when there is no parameter.
    """
    pairs: list[tuple[str, str]] = []
    for part in query.split("&") if query else ():
        name, _, value = part.partition("=")
        pairs.append((_encode(unquote(name)), _encode(unquote(value))))
    if params is not None:
        pairs.extend((_encode(k), _encode(v)) for k, v in _pairs(params))

    return "&".join(f"{name}={value}" for name, value in sorted(pairs))


def _host(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"

    port = parts.port
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        host = f"{host}:{port}"
    return host


def _trim(value: str) -> str:
    # Leading and trailing spaces go, and every run of spaces inside becomes one.
    return " ".join(value.split())


def _headers_to_sign(url: str, headers: Mapping[str, object]) -> dict[str, list[str]]:
    chosen: dict[str, list[str]] = {}
    for name, value in headers.items():
        lower = name.strip().lower()
        if lower in UNSIGNED_HEADERS:
            continue
        chosen.setdefault(lower, []).append(_trim(to_text(value)))

    if "host" not in chosen:
        chosen["host"] = [_host(url)]
    return chosen


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def _signing_key(secret_key: str, day: str, region: str, service: str) -> bytes:
    key = _hmac(f"AWS4{secret_key}".encode(), day)
    key = _hmac(key, region)
    key = _hmac(key, service)
    return _hmac(key, _SCOPE_TERMINATOR)


def _timestamp(when: datetime.datetime | None) -> str:
    if when is None:
        when = datetime.datetime.now(datetime.timezone.utc)
    elif when.tzinfo is None or when.utcoffset() is None:
        raise InvalidArgumentError(
            "the signing time has no time zone; pass an aware datetime, for "
            "example datetime.now(timezone.utc)",
            argument="when",
        )
    return when.astimezone(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _check(name: str, value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgumentError(
            f"{name} must be a non-empty string to sign a request; check the "
            "credentials and region given to the driver",
            argument=name,
        )


def sign_request(
    method: str,
    url: str,
    headers: Mapping[str, object],
    body: bytes,
    *,
    access_key: str,
    secret_key: str,
    region: str,
    service: str = "ec2",
    session_token: str | None = None,
    params: Params | None = None,
    when: datetime.datetime | None = None,
) -> dict[str, str]:
    """Sign one request with AWS Signature Version 4.

    Every header given is signed except :data:`UNSIGNED_HEADERS`; ``Host`` is
    signed from the URL when it is not among them. The headers returned must be
    added as they are, and nothing signed may change afterwards.

    :param method: the HTTP method, ``POST`` for the EC2 Query API.
    :param url: the full URL the request goes to, with its query, if any.
    :param headers: the headers the request will be sent with; names in any case,
        values trimmed and converted with :func:`to_text`.
    :param body: the body, exactly as it is sent (``b""`` when there is none).
    :param access_key: the access key id; it appears in the Authorization header.
    :param secret_key: the secret access key; it never leaves this function.
    :param region: the region that the endpoint belongs to (``us-east-1``).
    :param service: the service's signing name.
    :param session_token: the session token of temporary credentials; when given,
        it is signed and sent as ``X-Amz-Security-Token``.
    :param params: query parameters that the HTTP client will add to the URL.
    :param when: the signing time, an aware datetime; now when omitted.
    :returns: the headers to add: ``Authorization``, ``X-Amz-Date`` and, with a
        session token, ``X-Amz-Security-Token``.
    :raises InvalidArgumentError: a credential, the region or the service is
        empty, or ``when`` has no time zone.
    """
    for name, value in (
        ("access_key", access_key),
        ("secret_key", secret_key),
        ("region", region),
        ("service", service),
    ):
        _check(name, value)

    # Headers the signer sets replace any the caller had, whatever their case.
    stamp = _timestamp(when)
    added = {"X-Amz-Date": stamp}
    if session_token is not None:
        added["X-Amz-Security-Token"] = session_token
    replaced = {name.lower() for name in added} | {"authorization"}
    kept = {k: v for k, v in headers.items() if k.strip().lower() not in replaced}
    to_sign = _headers_to_sign(url, {**kept, **added})

    # The canonical request.
    parts = urlsplit(url)
    names = sorted(to_sign)
    signed_headers = ";".join(names)
    canonical_headers = "".join(f"{n}:{','.join(to_sign[n])}\n" for n in names)
    canonical = "\n".join(
        [
            method.upper(),
            canonical_uri(parts.path),
            canonical_query(parts.query, params),
            canonical_headers,
            signed_headers,
            hashlib.sha256(body).hexdigest(),
        ]
    )

    # The string to sign, and its signature.
    day = stamp[:8]
    scope = f"{day}/{region}/{service}/{_SCOPE_TERMINATOR}"
    string_to_sign = "\n".join(
        [ALGORITHM, stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = _signing_key(secret_key, day, region, service)
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()

    log.debug(
        "signed %s %s for %s/%s with headers %s",
        method.upper(),
        parts.path or "/",
        region,
        service,
        signed_headers,
    )
    added["Authorization"] = (
        f"{ALGORITHM} Credential={access_key}/{scope}, "
        f"SignedHeaders={signed_headers}, Signature={signature}"
    )
    return added
