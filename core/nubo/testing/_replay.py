"""HTTP record and replay for provider tests, on the ``responses`` library.

:func:`record` lets a driver's requests through to a real or emulated API and
writes every answer to a YAML file; :func:`replay` answers the same requests
from that file, offline, in the order they were recorded. The file is the one
``responses`` itself writes and reads, so ``responses`` can load it by itself too.

Nothing secret reaches the file: request URLs lose their signatures and
credentials (``X-Amz-Signature``, ``Signature``, ``X-Amz-Credential``, tokens),
response headers lose ``Set-Cookie``, tokens and the like, and bodies (JSON,
XML and form) lose token, password, secret and private key fields, all through
the same redaction rules as nubo's logs. The URLs a replay sees are scrubbed the
same way before they are matched, so a freshly signed request finds its answer.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
import yaml  # type: ignore[import-untyped,unused-ignore]
from responses import BaseResponse, RequestsMock
from responses._recorder import Recorder as _ResponsesRecorder
from responses.registries import OrderedRegistry

from .._redact import REDACTED, Redactor
from ..errors import TransportError

__all__ = ["Recorder", "Replayer", "record", "replay"]

log = logging.getLogger(__name__)

# Headers every answer has; they only make a recording longer and less stable.
_DROPPED_HEADERS = frozenset(
    {
        "content-length",
        "content-type",
        "content-encoding",
        "transfer-encoding",
        "connection",
        "date",
        "server",
        "keep-alive",
    }
)


#: Query parameters that change on every call without being secret: the time a
#: signature was made at. A recording keeps them blank, and a replay blanks them
#: before matching, as it does signatures.
VOLATILE_PARAMS = frozenset({"x-amz-date", "timestamp", "nonce"})


def _redactor(
    secrets: Iterable[str | None],
    secret_headers: Iterable[str],
    secret_params: Iterable[str],
) -> Redactor:
    return Redactor(headers=secret_headers, params=secret_params, values=secrets)


#: JSON keys whose whole value is secret, beyond the redactor's field names.
_SECRET_KEYS = frozenset({"credentials", "credential", "authorization"})


def _scrub_json(value: Any, redactor: Redactor) -> Any:
    """Replace the secrets in decoded JSON, keeping it JSON."""
    if isinstance(value, dict):
        return {
            key: REDACTED
            if str(key).lower() in redactor.params or str(key).lower() in _SECRET_KEYS
            else _scrub_json(item, redactor)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_scrub_json(item, redactor) for item in value]
    if isinstance(value, str):
        return redactor.text(value)
    return value


def scrub_body(body: str, redactor: Redactor) -> str:
    """Replace the secrets in a body: JSON field by field, so that it stays JSON;
    anything else (XML, a form, text) with the redactor's text rules.

    :param body: the body, as text.
    :param redactor: what knows the secrets.
    :returns: the body, safe to write down.
    """
    text = body.strip()
    if text[:1] in ("{", "["):
        try:
            decoded = json.loads(text)
        except ValueError:
            pass
        else:
            return json.dumps(_scrub_json(decoded, redactor))
    return redactor.text(body)


def _url_redactor(
    secrets: Iterable[str | None], secret_params: Iterable[str]
) -> Redactor:
    return Redactor(params=[*secret_params, *VOLATILE_PARAMS], values=secrets)


class Recorder(_ResponsesRecorder):
    """A ``responses`` recorder that scrubs secrets before anything is written.

    :param secrets: literal secret values (the credentials the test uses), to be
        replaced wherever they appear.
    :param secret_headers: more header names whose values are secret.
    :param secret_params: more parameter and body field names that are secret.
    """

    def __init__(
        self,
        *,
        secrets: Iterable[str | None] = (),
        secret_headers: Iterable[str] = (),
        secret_params: Iterable[str] = (),
    ) -> None:
        super().__init__()
        secrets = list(secrets)
        secret_params = list(secret_params)
        self.redactor = _redactor(secrets, secret_headers, secret_params)
        self.url_redactor = _url_redactor(secrets, secret_params)

    def scrubbed(self) -> dict[str, Any]:
        """Return what has been recorded so far, with every secret replaced.

        :returns: the ``{"responses": [...]}`` document ``responses`` reads.
        """
        registered: list[BaseResponse] = self.get_registry().registered
        return {"responses": [self._entry(rsp) for rsp in registered]}

    def _entry(self, rsp: Any) -> dict[str, Any]:
        redactor = self.redactor
        headers = {
            name: value
            for name, value in redactor.headers_dict(dict(rsp.headers or {})).items()
            if name.lower() not in _DROPPED_HEADERS
        }
        body = (
            rsp.body.decode("utf-8", "replace")
            if isinstance(rsp.body, bytes)
            else rsp.body
        )

        entry: dict[str, Any] = {
            "method": rsp.method,
            "url": self.url_redactor.url(str(rsp.url)),
            "body": scrub_body(body or "", redactor),
            "status": rsp.status,
            "content_type": rsp.content_type or "text/plain",
            "auto_calculate_content_length": False,
        }
        if headers:
            entry["headers"] = headers
        return {"response": entry}

    def dump_to_file(
        self,
        file_path: str | bytes | os.PathLike[Any],
        *,
        registered: list[Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Write what has been recorded to a YAML file, scrubbed.

        :param file_path: where to write it; an existing file is replaced.
        :param registered: ignored; the recorder's own record is written.
        :param kwargs: ignored; the headers kept are those that are not secret.
        """
        document = self.scrubbed()
        with open(file_path, "w", encoding="utf-8") as file:
            yaml.safe_dump(document, file, sort_keys=False, allow_unicode=True)
        log.debug(
            "recorded %d answers to %s",
            len(document["responses"]),
            os.fspath(file_path),
        )


class Replayer(RequestsMock):
    """A ``responses`` mock that answers from a recording, in recorded order.

    Each request's URL is scrubbed as the recorder scrubbed it before it is
    matched, so signatures, credentials and signing times that differ from the
    recording's do not stop a match.

    :param secrets: the literal secret values the recording was scrubbed of.
    :param secret_params: more parameter names that are secret.
    :param assert_all_used: fail at the end of the block when some recorded
        answers were never asked for.
    :param ignore_host: match on the path and query alone, taking the scheme,
        host and port of the answer due next; for a recording made against a
        local server on a port chosen at random.
    """

    def __init__(
        self,
        *,
        secrets: Iterable[str | None] = (),
        secret_params: Iterable[str] = (),
        assert_all_used: bool = True,
        ignore_host: bool = False,
    ) -> None:
        super().__init__(
            assert_all_requests_are_fired=assert_all_used, registry=OrderedRegistry
        )
        self.url_redactor = _url_redactor(secrets, secret_params)
        self.ignore_host = ignore_host
        #: Where the answers come from, for the messages.
        self.source = "the recording"
        #: What went wrong with each request that matched no recorded answer.
        self.mismatches: list[str] = []

    def _on_request(
        self,
        adapter: requests.adapters.HTTPAdapter,
        request: requests.PreparedRequest,
        **kwargs: Any,
    ) -> requests.Response:
        url = self.url_redactor.url(str(request.url))

        # A copy: the ordered registry drops the answer due when it fails to match.
        due = list(self.registered())
        if self.ignore_host and due and isinstance(due[0].url, str):
            recorded = urlsplit(due[0].url)
            parts = urlsplit(url)
            url = urlunsplit((recorded.scheme, recorded.netloc, *parts[2:]))

        scrubbed = request.copy()
        scrubbed.url = url
        try:
            return super()._on_request(adapter, scrubbed, **kwargs)
        except requests.ConnectionError:
            mismatch = self._mismatch(str(request.method), url, due)
            log.warning("%s", mismatch)
            self.mismatches.append(mismatch)
            raise

    def _mismatch(self, method: str, url: str, due: list[BaseResponse]) -> str:
        asked = f"{method} {url}"
        if not due:
            return (
                f"{self.source} has no answer for {asked}: every recorded answer "
                "was used; record again if the driver now makes more requests"
            )

        expected = f"{due[0].method} {due[0].url}"
        text = (
            f"{self.source} has no answer for {asked}: the next one is for {expected}"
        )
        recorded = urlsplit(str(due[0].url))
        if not self.ignore_host and recorded[:2] != urlsplit(url)[:2]:
            return (
                f"{text}; the scheme, host or port differ, so pass "
                "ignore_host=True to match on the path and query alone"
            )
        return f"{text}; record again if the driver's requests changed"

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        # Say why, rather than that answers were left unused or that the
        # connection failed: both follow from a request that matched nothing.
        unused = any(answer.call_count == 0 for answer in self.registered())
        left_unused = kind is None and self.assert_all_requests_are_fired and unused
        failed = kind is not None and issubclass(kind, TransportError)
        explain = bool(self.mismatches) and (left_unused or failed)
        if explain or kind is not None:
            try:
                self.stop(allow_assert=False)
            finally:
                self.reset()
            if explain:
                pytest.fail(f"nubo.testing.replay: {self.mismatches[0]}", pytrace=False)
            # The block's own error is the news: answers left unused follow it.
            return
        super().__exit__(kind, value, traceback)


@contextlib.contextmanager
def record(
    path: str | os.PathLike[str],
    *,
    secrets: Iterable[str | None] = (),
    secret_headers: Iterable[str] = (),
    secret_params: Iterable[str] = (),
) -> Iterator[Recorder]:
    """Let requests through to the API and record every answer, scrubbed::

        with nubo.testing.record("tests/data/list_nodes.yaml", secrets=[KEY]):
            driver.list_nodes()

    The file is written when the block ends, also when it ends with an error;
    the folders it goes in are made when they do not exist yet.

    :param path: the YAML file to write.
    :param secrets: the credentials the driver uses; replaced wherever they show.
    :param secret_headers: more header names whose values are secret.
    :param secret_params: more parameter and body field names that are secret.
    :returns: a context manager that gives the :class:`Recorder`.
    """
    recorder = Recorder(
        secrets=list(secrets),
        secret_headers=list(secret_headers),
        secret_params=list(secret_params),
    )
    with recorder:
        try:
            yield recorder
        finally:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            recorder.dump_to_file(path)


@contextlib.contextmanager
def replay(
    path: str | os.PathLike[str],
    *,
    secrets: Iterable[str | None] = (),
    secret_params: Iterable[str] = (),
    assert_all_used: bool = True,
    ignore_host: bool = False,
) -> Iterator[Replayer]:
    """Answer requests from a recording, offline, in the order recorded::

        with nubo.testing.replay("tests/data/list_nodes.yaml", secrets=[KEY]):
            nodes = driver.list_nodes()

    A request that does not match the next recorded one (method and URL, query
    included) gets no answer: ``responses`` raises ``ConnectionError``, which
    the driver's connection reports as a :class:`~nubo.errors.TransportError`.
    When that error ends the block, or answers are left unused at its end, the
    test fails with a message that names the request, the answer that was due,
    and, when only the host differs, suggests ``ignore_host=True``.

    :param path: the YAML file :func:`record` wrote.
    :param secrets: the credentials given to :func:`record`.
    :param secret_params: the ``secret_params`` given to :func:`record`.
    :param assert_all_used: fail when the block ends with answers unused.
    :param ignore_host: match on the path and query alone, not on the scheme,
        host and port; for recordings made against a server on a random port.
    :returns: a context manager that gives the :class:`Replayer`, whose
        ``calls`` list what was asked.
    """
    replayer = Replayer(
        secrets=list(secrets),
        secret_params=list(secret_params),
        assert_all_used=assert_all_used,
        ignore_host=ignore_host,
    )
    replayer.source = f"the recording {os.fspath(path)}"
    with replayer:
        replayer._add_from_file(path)
        yield replayer
