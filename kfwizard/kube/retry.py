"""Retrying calls that failed for reasons that pass: 429, 5xx, dropped connections.

Real API servers shed load with 429 and a ``Retry-After`` header, restart behind load
balancers (502/503/504) and drop idle keep-alive connections. A single such error must
not fail an install, but an endpoint that stays down must fail it quickly, naming the
last error, rather than retrying forever. So: exponential backoff with jitter (so eight
worker threads do not retry in lock-step), ``Retry-After`` honoured, a fixed number of
attempts, and the last error in the message.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import TypeVar

from kfwizard.kube.control import Control, Quiet
from kfwizard.kube.errors import RetriesExhausted
from kfwizard.wording import clip

T = TypeVar("T")

RETRY_STATUSES = frozenset({0, 429, 500, 502, 503, 504})
"""HTTP statuses worth another try; 0 is the client's code for a TLS/transport failure."""

MAX_RETRY_AFTER = 30.0
"""Never wait longer than this for one Retry-After, whatever the server asks."""


def status_of(exc: BaseException) -> int | None:
    """The HTTP status of a kubernetes client error, or None for other errors."""
    status = getattr(exc, "status", None)
    return status if isinstance(status, int) else None


def is_connection_error(exc: BaseException) -> bool:
    """True for transport failures: refused, reset, dropped mid-answer, timed out."""
    import urllib3

    return isinstance(exc, (urllib3.exceptions.HTTPError, ConnectionError, TimeoutError))


def is_retryable(exc: BaseException) -> bool:
    """429, 5xx gateway/unavailable errors and connection errors; never 4xx answers."""
    status = status_of(exc)
    if status is not None:
        return status in RETRY_STATUSES
    return is_connection_error(exc)


def retry_after(exc: BaseException) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds form), if the answer had one."""
    headers = getattr(exc, "headers", None)
    if not headers:
        return None
    try:
        value = headers.get("Retry-After") or headers.get("retry-after")
    except AttributeError:
        return None
    if value is None:
        return None
    try:
        return max(0.0, min(float(value), MAX_RETRY_AFTER))
    except (TypeError, ValueError):
        return None


def error_message(exc: BaseException) -> str:
    """The server's own message (from a Status body) or a short text for the error."""
    body = getattr(exc, "body", None)
    if body:
        try:
            data = json.loads(body)
        except (TypeError, ValueError):
            data = None
        if isinstance(data, dict) and data.get("message"):
            return str(data["message"])
        if isinstance(body, (str, bytes)):
            text = body.decode(errors="replace") if isinstance(body, bytes) else body
            if text.strip():
                return text.strip()[:300]
    reason = getattr(exc, "reason", None)
    if reason:
        return str(reason)
    return str(exc) or type(exc).__name__


def describe_error(exc: BaseException) -> str:
    """One line naming the error: ``HTTP 503 (message)`` or ``connection error (...)``."""
    status = status_of(exc)
    if status:
        return f"HTTP {status} ({error_message(exc)})"
    if is_connection_error(exc) or status == 0:
        return f"connection error ({type(exc).__name__}: {clip(str(exc), 200)})"
    return f"{type(exc).__name__}: {clip(str(exc), 200)}"


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Full-jitter-ish exponential backoff: between half and all of ``base * 2**attempt``."""
    raw = min(cap, base * (2**attempt))
    return raw * (0.5 + 0.5 * (rng or random).random())


def with_retries(
    fn: Callable[[], T],
    *,
    what: str,
    control: Control | None = None,
    attempts: int = 8,
    base: float = 0.1,
    cap: float = 5.0,
    retry_if: Callable[[BaseException], bool] = is_retryable,
    on_retry: Callable[[int, BaseException, float], None] | None = None,
) -> T:
    """Call ``fn`` until it succeeds, retrying only errors ``retry_if`` accepts.

    ``what`` completes "while ...", e.g. ``"applying Deployment kubeflow/ml-pipeline"``;
    it appears in the :class:`RetriesExhausted` raised after ``attempts`` tries. Sleeps
    go through ``control`` so a cancel interrupts the backoff.
    """
    control = control or Quiet()
    last: BaseException | None = None
    for attempt in range(attempts):
        control.check_cancel()
        try:
            return fn()
        except Exception as exc:
            if not retry_if(exc):
                raise
            last = exc
            if attempt == attempts - 1:
                break
            delay = backoff_delay(attempt, base, cap)
            asked = retry_after(exc)
            if asked is not None:
                delay = asked + delay * 0.1
            if on_retry is not None:
                on_retry(attempt + 1, exc, delay)
            else:
                control.log(
                    f"{describe_error(exc)} while {what}; retrying in {delay:.1f} s "
                    f"(attempt {attempt + 2} of {attempts})"
                )
            control.sleep(delay)
    assert last is not None
    raise RetriesExhausted(
        f"The Kubernetes API kept failing while {what}: {describe_error(last)}, "
        f"{attempts} attempts.",
        "check that the cluster's API server answers (`kubectl get --raw /readyz`), "
        "then resume; kfwizard continues where it stopped",
        last,
    )
