"""Redaction: the one place that knows what a secret looks like.

Every log line, repr, error message and body excerpt that nubo writes passes
through a :class:`Redactor` first, so credentials never leave the process in
text. The core knows the common secret headers (``Authorization``, cookies,
tokens), the secret query parameters (signatures, credentials, passwords) and the
shapes of secrets inside bodies (JSON, XML and form fields, PEM private keys); a
connection adds the names its provider uses (``secret_headers``,
``secret_params``) and the literal values of its own credentials.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

__all__ = [
    "EXCERPT_LIMIT",
    "REDACTED",
    "SECRET_HEADERS",
    "SECRET_PARAMS",
    "Redactor",
    "guard_urllib3_logs",
    "scrub_exception",
]

log = logging.getLogger(__name__)

#: What a secret is replaced with.
REDACTED = "***"

#: How many characters of a body an error or a log line keeps.
EXCERPT_LIMIT = 300

#: Headers whose values are secret, lower case.
SECRET_HEADERS: frozenset[str] = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-amz-security-token",
        "x-auth-token",
        "x-api-key",
        "x-subject-token",
    }
)

#: Query, form and body field names whose values are secret, lower case.
SECRET_PARAMS: frozenset[str] = frozenset(
    {
        "signature",
        "x-amz-signature",
        "x-amz-credential",
        "x-amz-security-token",
        "securitytoken",
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "auth_token",
        "api_key",
        "apikey",
        "password",
        "passwd",
        "secret",
        "client_secret",
        "secret_key",
        "secretkey",
        "secretaccesskey",
        "private_key",
        "privatekey",
        "keymaterial",
        "adminpass",
    }
)

# A PEM private key, whole, or cut short by truncation.
_PEM = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----"
    r".*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)",
    re.DOTALL,
)

# "Bearer abc", "Basic abc", "AWS4-HMAC-SHA256 Credential=..., Signature=...".
_AUTH_SCHEME = re.compile(
    r"\b(Bearer|Basic|Digest|Token)\s+[A-Za-z0-9._~+/=:-]{8,}"
    r"|\b(AWS4-HMAC-SHA256)\s+[^\"'<>\n]+",
    re.IGNORECASE,
)

# The password part of credentials in a URL: scheme://user:password@host. The
# scheme starts at a word boundary and is bounded: unbounded, every letter of a
# long run of them would start a scan to its end, quadratic in the run's length.
_URL_USERINFO = re.compile(
    r"(?P<scheme>\b[a-z][a-z0-9+.-]{0,31}://)(?P<user>[^:/@\s]*):[^@/\s]*@",
    re.IGNORECASE,
)

# How much of a body beyond the excerpt is redacted before the cut: far more
# than any secret is long, so that one the cut would split is still found.
_EXCERPT_MARGIN = 16 * 1024


def _lower_all(names: Iterable[str]) -> frozenset[str]:
    return frozenset(name.lower() for name in names)


class Redactor:
    """Replaces secrets in headers, URLs and free text with :data:`REDACTED`.

    :param headers: more header names whose values are secret.
    :param params: more parameter and field names whose values are secret.
    :param values: literal secret values (a connection's own key and secret),
        replaced wherever they appear.
    """

    def __init__(
        self,
        headers: Iterable[str] = (),
        params: Iterable[str] = (),
        values: Iterable[str | None] = (),
    ) -> None:
        self.headers = SECRET_HEADERS | _lower_all(headers)
        self.params = SECRET_PARAMS | _lower_all(params)

        # Short values would blank out ordinary words; a credential is longer.
        self.values = tuple(
            sorted({v for v in values if v and len(v) >= 6}, key=len, reverse=True)
        )

        names = "|".join(re.escape(name) for name in sorted(self.params))
        self._field_patterns = (
            # "password": "x" and 'password': 'x' in JSON or a Python repr.
            re.compile(
                rf"(?P<lead>[\"'](?:{names})[\"']\s*:\s*)"
                r"(?P<value>\"(?:[^\"\\]|\\.)*\"?|'[^']*'?|[^\s,}\]]+)",
                re.IGNORECASE,
            ),
            # <Password>x</Password>, with any namespace prefix.
            re.compile(
                rf"(?P<lead><(?P<tag>(?:[\w.-]+:)?(?:{names}))(?:\s[^>]*)?>)"
                r"(?P<value>[^<]*)",
                re.IGNORECASE,
            ),
            # password=x in a query string or a form body.
            re.compile(
                rf"(?P<lead>(?:^|(?<=[?&;\s\"',(]))(?:{names})=)(?P<value>[^&\s\"'<>)]*)",
                re.IGNORECASE,
            ),
        )

    def is_secret_header(self, name: str) -> bool:
        """Tell whether a header's value is secret.

        :param name: the header name, in any case.
        :returns: ``True`` when its value must never be shown.
        """
        return name.lower() in self.headers

    def headers_dict(self, headers: Mapping[str, str]) -> dict[str, str]:
        """Return a copy of headers with every secret value replaced.

        :param headers: the headers to show.
        :returns: a new dictionary, safe to log.
        """
        return {
            name: REDACTED if self.is_secret_header(name) else self.text(str(value))
            for name, value in headers.items()
        }

    def url(self, url: str) -> str:
        """Return a URL with its credentials and secret query values replaced.

        :param url: an absolute or relative URL.
        :returns: the URL, safe to log.
        """
        try:
            parts = urlsplit(url)
        except ValueError:
            return self.text(url)

        netloc = parts.netloc
        if "@" in netloc:
            userinfo, _, hostport = netloc.rpartition("@")
            user = userinfo.split(":", 1)[0]
            netloc = f"{user}:{REDACTED}@{hostport}" if ":" in userinfo else netloc

        query = parts.query
        if query:
            pairs = parse_qsl(query, keep_blank_values=True)
            query = "&".join(
                f"{quote(name, safe='-_.~')}="
                + (
                    REDACTED
                    if name.lower() in self.params
                    else quote(value, safe="-_.~/:")
                )
                for name, value in pairs
            )

        shown = urlunsplit((parts.scheme, netloc, parts.path, query, ""))
        return self._values(shown)

    def text(self, text: str) -> str:
        """Return free text (a body, an exception message) with secrets replaced.

        :param text: any text.
        :returns: the text, safe to log or to put in an error.
        """
        text = _PEM.sub(REDACTED, text)
        text = _AUTH_SCHEME.sub(
            lambda m: f"{m.group(1) or m.group(2)} {REDACTED}", text
        )
        text = _URL_USERINFO.sub(
            lambda m: f"{m.group('scheme')}{m.group('user')}:{REDACTED}@", text
        )
        for pattern in self._field_patterns:
            text = pattern.sub(lambda m: m.group("lead") + REDACTED, text)
        return self._values(text)

    def excerpt(self, text: str, limit: int = EXCERPT_LIMIT) -> str:
        """Return a redacted, truncated excerpt of a body.

        Redaction runs on the whole text before it is cut, so that a secret the cut
        would split is still found.

        :param text: the body.
        :param limit: the most characters to keep.
        :returns: the excerpt, with ``...`` when it was cut.
        """
        # Only the start of a large body can reach the excerpt: redacting all of
        # a body of megabytes would only cost time.
        shown = self.text(text[: limit + _EXCERPT_MARGIN]).strip()
        if len(shown) > limit:
            shown = shown[:limit].rstrip() + "..."
        return shown

    def _values(self, text: str) -> str:
        for value in self.values:
            if value in text:
                text = text.replace(value, REDACTED)
            quoted = quote(value, safe="")
            if quoted != value and quoted in text:
                text = text.replace(quoted, REDACTED)
        return text

    def __repr__(self) -> str:
        return (
            f"<Redactor headers={len(self.headers)} params={len(self.params)}"
            f" values={len(self.values)}>"
        )


def scrub_exception(exc: BaseException, redactor: Redactor) -> None:
    """Redact, in place, the messages of an exception and of its whole chain.

    A third-party exception kept as the ``__cause__`` of a nubo error is printed
    in tracebacks; its message may hold a signed URL or a proxy's credentials.
    Its arguments become one redacted string, and the request it may carry (with
    its headers) is dropped.

    :param exc: the exception whose chain to scrub.
    :param redactor: what to hide.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        try:
            text = str(current)
        except Exception:
            text = type(current).__name__
        shown = redactor.text(text)
        if shown != text or any(not isinstance(a, (str, int)) for a in current.args):
            current.args = (shown,)
        if getattr(current, "request", None) is not None:
            with contextlib.suppress(AttributeError):
                current.request = None  # type: ignore[attr-defined]
        current = current.__cause__ or current.__context__


#: A redactor that knows only the core's names, for text with no connection.
DEFAULT = Redactor()

# The loggers of urllib3 that write request URLs (with their query) at DEBUG.
_URLLIB3_LOGGERS = ("urllib3.connectionpool", "urllib3.util.retry")


class _UrlFilter(logging.Filter):
    """Redacts the records of urllib3's loggers, which show each request's URL."""

    def __init__(self) -> None:
        super().__init__()
        self.params: frozenset[str] = frozenset()
        self.redactor = DEFAULT

    def add(self, params: Iterable[str]) -> None:
        more = _lower_all(params) - self.params
        if more:
            self.params = self.params | more
            self.redactor = Redactor(params=self.params)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:
            return True
        record.msg = self.redactor.text(text)
        record.args = ()
        return True


_URL_FILTER = _UrlFilter()
_installed = False


def guard_urllib3_logs(params: Iterable[str] = ()) -> None:
    """Make urllib3's DEBUG lines about requests go through redaction.

    urllib3 logs the path and query of every request it sends; a signed query
    (``X-Amz-Signature=...``) would reach the application's logs. A filter on
    those loggers redacts each record before any handler sees it.

    :param params: more secret parameter names, from a connection.
    """
    global _installed
    _URL_FILTER.add(params)
    if not _installed:
        for name in _URLLIB3_LOGGERS:
            logging.getLogger(name).addFilter(_URL_FILTER)
        _installed = True
