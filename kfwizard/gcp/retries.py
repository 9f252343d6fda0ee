"""Retrying Google calls that failed for a passing reason (429, 5xx, a dropped connection).

The wizard retries with backoff itself instead of relying on the clients' built-in
retry, for two reasons: each wait goes through the step's cancellable ``sleep`` (the
user can stop at any time), and every retry is logged, so a slow or flaky API is
visible instead of looking like a hang. A 429/503 ``Retry-After`` is honoured.

So every Google call kfwizard makes passes ``retry=None`` (or :func:`no_library_retry`
where ``None`` means "the default"). Should a library ``RetryError`` still reach us, it
is judged by the error behind it (:func:`cause_of`), never as an unknown failure.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from kfwizard.wording import clip

T = TypeVar("T")

TRANSIENT_HTTP = (429, 500, 502, 503, 504)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    initial: float = 1.0
    maximum: float = 16.0
    multiplier: float = 2.0

    def delay(self, attempt: int) -> float:
        """Backoff before attempt ``attempt + 1`` (attempt counts from 1), with jitter."""
        base = min(self.maximum, self.initial * self.multiplier ** (attempt - 1))
        return base * (0.5 + random.random() / 2)


FAST = RetryPolicy(attempts=5, initial=0.02, maximum=0.1)
"""For the emulators (speed 0): same behaviour, no waiting."""


def http_status(exc: BaseException) -> int | None:
    code = getattr(exc, "code", None)
    return code if isinstance(code, int) else None


def cause_of(exc: BaseException) -> BaseException:
    """The error behind the client library's own ``RetryError`` (its last attempt's
    error), so it is worded and retried like that error; any other error as is."""
    from google.api_core import exceptions as gexc

    for _ in range(8):  # a RetryError could wrap another; never loop for ever
        cause = exc.cause if isinstance(exc, gexc.RetryError) else None
        if cause is None:
            break
        exc = cause
    return exc


def no_library_retry() -> Any:
    """A ``google.api_core`` retry that never retries, for the few calls where
    ``retry=None`` means "use the default" (``Operation.done``)."""
    from google.api_core.retry import Retry

    return Retry(predicate=lambda _exc: False)


def is_google_error(exc: BaseException) -> bool:
    """Errors the explainer knows how to word: Google API errors (a library
    ``RetryError`` by its cause) and transport failures."""
    from google.api_core import exceptions as gexc

    return isinstance(cause_of(exc), gexc.GoogleAPICallError) or is_transient(exc)


def is_transient(exc: BaseException) -> bool:
    """True for answers that mean "try again later", and for lost connections.

    A library ``RetryError`` counts by its cause; one without a cause (the library's
    deadline ran out) is transient: nothing said the call cannot succeed.
    """
    from google.api_core import exceptions as gexc

    if isinstance(exc, gexc.RetryError):
        cause = cause_of(exc)
        return cause is exc or is_transient(cause)
    if isinstance(exc, gexc.GoogleAPICallError):
        return http_status(exc) in TRANSIENT_HTTP or isinstance(
            exc, (gexc.TooManyRequests, gexc.ServerError, gexc.ServiceUnavailable)
        )
    try:
        import requests

        if isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout)):
            return True
    except ImportError:  # pragma: no cover - requests comes with google-auth
        pass
    try:
        from google.auth.exceptions import TransportError

        if isinstance(exc, TransportError):
            return True
    except ImportError:  # pragma: no cover
        pass
    if _kube_transient(exc):
        return True
    return isinstance(exc, (ConnectionError, TimeoutError))


def _kube_transient(exc: BaseException) -> bool:
    """The kubernetes client's own errors: ApiException 429/5xx and urllib3 failures."""
    try:
        import urllib3.exceptions
        from kubernetes.client.exceptions import ApiException
    except ImportError:  # pragma: no cover - both come with the kubernetes client
        return False
    if isinstance(exc, ApiException):
        return exc.status in TRANSIENT_HTTP or exc.status == 0
    return isinstance(
        exc,
        (
            urllib3.exceptions.MaxRetryError,
            urllib3.exceptions.ProtocolError,
            urllib3.exceptions.TimeoutError,
            urllib3.exceptions.NewConnectionError,
        ),
    )


def retry_after(exc: BaseException) -> float | None:
    """Seconds from a ``Retry-After`` header, when the server sent one."""
    exc = cause_of(exc)
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or getattr(exc, "headers", None)
    if not headers:
        return None
    value = headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except (TypeError, ValueError):
        return None


def describe(exc: BaseException) -> str:
    exc = cause_of(exc)
    status = http_status(exc)
    if status:
        return f"HTTP {status} ({type(exc).__name__})"
    return f"{type(exc).__name__}: {clip(str(exc), 120)}"


def call_with_retries(
    fn: Callable[[], T],
    *,
    what: str,
    sleep: Callable[[float], Any],
    log: Callable[[str], Any] | None = None,
    policy: RetryPolicy | None = None,
    permanent: Callable[[BaseException], bool] | None = None,
) -> T:
    """Run ``fn``; on a transient failure wait (cancellably) and try again.

    The last error is re-raised as is once the attempts are used up; callers turn it
    into plain words with :mod:`kfwizard.gcp.explain`. ``permanent`` marks errors that
    look transient by status but are not (a stockout answered with 503, a CPU quota with
    429): retrying those only delays the explanation.
    """
    policy = policy or RetryPolicy()
    attempt = 1
    while True:
        try:
            return fn()
        except Exception as exc:
            if not is_transient(exc) or attempt >= policy.attempts:
                raise
            if permanent is not None and permanent(exc):
                raise
            wait = retry_after(exc)
            wait = policy.delay(attempt) if wait is None else min(wait, policy.maximum * 4)
            if log is not None:
                log(
                    f"{what}: {describe(exc)}; retrying in {wait:.1f}s "
                    f"(attempt {attempt + 1} of {policy.attempts})"
                )
            sleep(wait)
            attempt += 1
