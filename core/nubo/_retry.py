"""The retry policy of a connection: when to try a request again, and how long
to wait first.

The counting, the list of statuses worth retrying, the idempotent methods and the
reading of ``Retry-After`` come from urllib3's :class:`~urllib3.util.Retry`, which
each :class:`RetryState` holds and increments. Four things do not fit it and are
done here instead:

- the decision is taken above ``requests``, not inside urllib3's pool, because the
  hook plugins' ``send`` wrapper must see every attempt and because a provider's
  throttling code arrives in a body that only the response class can read;
- the backoff starts at ``retry_delay`` and grows by ``backoff`` (urllib3's first
  retry does not wait and its growth factor is fixed at two);
- a throttled answer is retried whatever the method, since the provider refused
  the call before acting on it (urllib3 checks the method first);
- an overall deadline bounds the whole call, and the sleep is injectable so that
  tests do not wait.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from urllib3.exceptions import InvalidHeader, MaxRetryError
from urllib3.util import Retry

from .errors import InvalidArgumentError

__all__ = ["IDEMPOTENT_METHODS", "RETRY_STATUSES", "RetryPolicy", "RetryState"]

log = logging.getLogger(__name__)

#: Methods that are retried after a 5xx or a broken read without being marked
#: idempotent; throttled answers are retried for every method.
IDEMPOTENT_METHODS: frozenset[str] = frozenset(
    {"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"}
)

#: Statuses that are retried: throttling and the provider's passing failures.
RETRY_STATUSES: frozenset[int] = frozenset({429, 500, 502, 503, 504})

# Any status urllib3 would retry for a Retry-After header; a throttling code is
# treated as this one.
_THROTTLED = 429


def parse_retry_after(value: str | None) -> float | None:
    """Read a ``Retry-After`` header, in seconds or as an HTTP date.

    :param value: the header's value, or ``None``.
    :returns: the seconds to wait (never negative), or ``None`` when the header is
        missing or unreadable.
    """
    if not value:
        return None

    try:
        return max(0.0, float(Retry().parse_retry_after(value.strip())))
    except (InvalidHeader, ValueError, OverflowError):
        log.debug("ignoring an unreadable Retry-After header")
        return None


@dataclass(frozen=True)
class RetryPolicy:
    """How a connection retries a request. Immutable: :meth:`replace` makes a
    changed copy.

    ``RetryPolicy(attempts=1)`` (or ``retry=False`` wherever a policy is taken)
    switches retries off.

    :param attempts: the most attempts in all, the first one included.
    :param retry_delay: the wait before the first retry, in seconds.
    :param backoff: the factor by which each wait grows.
    :param max_delay: the longest single wait, ``Retry-After`` included.
    :param jitter: each wait is lengthened by a random part of up to this share
        of itself, so that many clients do not retry in step.
    :param deadline: the most seconds the whole call may take, waits included;
        ``None`` for no deadline.
    :param statuses: the statuses retried.
    :param methods: the methods whose failed answers (5xx) and broken reads are
        retried without being marked idempotent; a throttled answer is retried
        for every method.
    :param sleep: the function that waits; tests give one that does not.
    :param clock: the monotonic clock the deadline is measured with.
    :param rand: the source of the jitter, returning a float in ``[0, 1)``.
    """

    attempts: int = 3
    retry_delay: float = 0.5
    backoff: float = 2.0
    max_delay: float = 20.0
    jitter: float = 0.25
    deadline: float | None = 120.0
    statuses: frozenset[int] = RETRY_STATUSES
    methods: frozenset[str] = IDEMPOTENT_METHODS
    sleep: Callable[[float], object] = field(default=time.sleep, repr=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    rand: Callable[[], float] = field(default=random.random, repr=False)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise InvalidArgumentError(
                f"attempts must be at least 1, not {self.attempts}; use 1 (or"
                " retry=False) to switch retries off",
                argument="attempts",
            )
        if self.retry_delay < 0 or self.backoff < 1 or self.max_delay < 0:
            raise InvalidArgumentError(
                "retry_delay and max_delay must not be negative and backoff must be"
                f" at least 1; got retry_delay={self.retry_delay},"
                f" backoff={self.backoff}, max_delay={self.max_delay}",
                argument="retry",
            )

    @classmethod
    def coerce(
        cls, retry: RetryPolicy | bool | int | None, default: RetryPolicy
    ) -> RetryPolicy:
        """Turn what a caller may give as ``retry=`` into a policy.

        :param retry: a policy; ``None`` or ``True`` for ``default``; ``False`` for
            no retries; an integer for that many attempts under ``default``.
        :param default: the policy in force.
        :returns: the policy to use.
        :raises InvalidArgumentError: for anything else.
        """
        if retry is None or retry is True:
            return default
        if retry is False:
            return replace(default, attempts=1)
        if isinstance(retry, RetryPolicy):
            return retry
        if isinstance(retry, int):
            return replace(default, attempts=retry)
        raise InvalidArgumentError(
            f"retry must be a RetryPolicy, a number of attempts, True or False, not"
            f" {type(retry).__name__}",
            argument="retry",
        )

    def replace(self, **changes: object) -> RetryPolicy:
        """Return a copy with some fields changed.

        :param changes: the fields to change, by name.
        :returns: the new policy.
        """
        return replace(self, **changes)  # type: ignore[arg-type]

    def start(self, method: str, idempotent: bool | None = None) -> RetryState:
        """Begin the retry bookkeeping of one call.

        :param method: the HTTP method.
        :param idempotent: ``True`` when the caller marked the request safe to
            repeat (an idempotency token makes a POST so); ``None`` to go by the
            method.
        :returns: the state of this call, to consult after each failed attempt.
        """
        methods: frozenset[str] | None = self.methods
        if idempotent:
            methods = None  # urllib3: retry whatever the method
        elif idempotent is False:
            # urllib3 reads an empty set as "every method", so keep a name in it.
            methods = (self.methods - {method.upper()}) or frozenset({"NONE"})

        retry = Retry(
            total=self.attempts - 1,
            connect=None,
            read=None,
            redirect=0,
            status_forcelist=self.statuses,
            allowed_methods=methods,
            backoff_max=self.max_delay,
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        return RetryState(self, method.upper(), retry, self.clock())


class RetryState:
    """The retry bookkeeping of one call: made by :meth:`nubo.RetryPolicy.start`.

    :param policy: the policy in force.
    :param method: the call's method.
    :param retry: urllib3's counter for this call.
    :param started: when the call began, on the policy's clock.
    """

    def __init__(
        self, policy: RetryPolicy, method: str, retry: Retry, started: float
    ) -> None:
        self.policy = policy
        self.method = method
        self.retry = retry
        self.started = started
        self.retries = 0

    @property
    def idempotent(self) -> bool:
        """Whether this call may be repeated after it may have reached the server."""
        allowed = self.retry.allowed_methods
        return allowed is None or self.method in allowed

    def remaining(self) -> float | None:
        """Return the seconds left before the deadline, or ``None`` without one."""
        if self.policy.deadline is None:
            return None
        return self.policy.deadline - (self.policy.clock() - self.started)

    def delay_after_status(
        self, url: str, status: int, retry_after: float | None, throttled: bool
    ) -> float | None:
        """Decide on a retry after an answer that failed.

        A throttled answer (429, or a throttling code) is retried whatever the
        method, as the provider refused the call before acting on it; any other
        retried status only when the call is idempotent.

        :param url: the redacted URL, for urllib3's own log.
        :param status: the answer's status.
        :param retry_after: the seconds the provider asked to wait, if it did.
        :param throttled: ``True`` when the provider's error code says throttling,
            whatever the status.
        :returns: the seconds to wait before the next attempt, or ``None`` when
            the call must not be retried.
        """
        retry = self.retry
        code = status
        if throttled or status == _THROTTLED:
            # A throttled call was refused before the provider acted on it, so
            # repeating it repeats nothing, whatever its method: only the
            # status and the attempts left decide.
            code = _THROTTLED
            retry = retry.new(allowed_methods=None)

        if not retry.is_retry(self.method, code, retry_after is not None):
            return None
        return self._next(url, retry_after)

    def delay_after_error(self, url: str, connect_failed: bool) -> float | None:
        """Decide on a retry after a transport error.

        A request that never connected never reached the server, so it is retried
        whatever its method; one that broke later only when it is idempotent.

        :param url: the redacted URL, for urllib3's own log.
        :param connect_failed: ``True`` when no connection was made.
        :returns: the seconds to wait, or ``None`` when not to retry.
        """
        if not connect_failed and not self.idempotent:
            return None
        return self._next(url, None)

    def _next(self, url: str, retry_after: float | None) -> float | None:
        try:
            self.retry = self.retry.increment(method=self.method, url=url)
        except MaxRetryError:
            return None

        self.retries += 1
        policy = self.policy
        if retry_after is not None:
            delay = min(retry_after, policy.max_delay)
        else:
            delay = policy.retry_delay * policy.backoff ** (self.retries - 1)
            delay += delay * policy.jitter * policy.rand()
            delay = min(delay, policy.max_delay)

        remaining = self.remaining()
        if remaining is not None and delay >= remaining:
            log.debug("no retry: waiting %.3f s would pass the deadline", delay)
            return None
        return delay
