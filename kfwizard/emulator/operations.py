"""Simulated time for the emulators: events that happen "N seconds later" at any pace.

Every delay an emulator models (a cluster provisioning, an API being enabled) is written
at the demo's pace and multiplied by ``speed``: 0 makes everything due at once (tests),
1 is the demo. Due events run in two places, so nothing depends on a poller: on every
API request (``run_due()`` before the handler, so a client polling an operation always
sees the state time says it should be in) and on a background thread (so a cluster
becomes RUNNING even when nobody asks). Both hold the emulator's lock while running
events, so handlers and events never interleave.

Also here: ids and timestamps in the shapes Google uses, and the
``google.longrunning.Operation`` JSON that Service Usage answers with.
"""

from __future__ import annotations

import heapq
import itertools
import secrets
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

Event = Callable[[], None]


class Scheduler:
    """Runs callbacks ``nominal_seconds * speed`` real seconds after they were scheduled."""

    def __init__(self, speed: float, lock: threading.RLock, name: str = "scheduler") -> None:
        if speed < 0:
            raise ValueError("speed must be >= 0")
        self.speed = speed
        self.lock = lock
        self.name = name
        self._queue: list[tuple[float, int, Event]] = []
        self._counter = itertools.count()
        self._wake = threading.Condition(threading.Lock())
        self._thread: threading.Thread | None = None
        self._stopping = False
        self.errors: list[Exception] = []
        """Exceptions raised by events (a bug in an emulator, kept for tests to see)."""

    def after(self, nominal_seconds: float, event: Event) -> None:
        due = time.monotonic() + max(0.0, nominal_seconds) * self.speed
        with self._wake:
            heapq.heappush(self._queue, (due, next(self._counter), event))
            self._wake.notify()

    def run_due(self) -> None:
        """Run every event whose time has come, in order (under the emulator lock)."""
        with self.lock:  # held across the loop so two threads never reorder events
            while True:
                with self._wake:
                    if not self._queue or self._queue[0][0] > time.monotonic():
                        return
                    _, _, event = heapq.heappop(self._queue)
                try:
                    event()
                except Exception as exc:  # keep time flowing; tests read .errors
                    self.errors.append(exc)

    def pending(self) -> int:
        with self._wake:
            return len(self._queue)

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._thread = None

    def clear(self) -> None:
        with self._wake:
            self._queue.clear()

    def _loop(self) -> None:
        while True:
            with self._wake:
                if self._stopping:
                    return
                timeout = None
                if self._queue:
                    timeout = max(0.0, self._queue[0][0] - time.monotonic())
                if timeout is None or timeout > 0:
                    self._wake.wait(timeout)
                if self._stopping:
                    return
            self.run_due()


def rfc3339(when: float | None = None) -> str:
    """``2026-06-01T12:00:00.123456789Z``-style timestamps, as GKE writes them (strings)."""
    moment = datetime.fromtimestamp(time.time() if when is None else when, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}000Z"


def gke_operation_id() -> str:
    """``operation-1547270279054-a9b609ab``: milliseconds since the epoch + 8 hex digits."""
    return f"operation-{int(time.time() * 1000)}-{secrets.token_hex(4)}"


def longrunning_json(
    name: str,
    *,
    done: bool,
    response: Any = None,
    metadata: Any = None,
    int_enums: bool = False,
) -> str:
    """A ``google.longrunning.Operation`` as JSON, with ``response``/``metadata`` packed
    into ``Any`` from proto-plus or protobuf messages."""
    from google.longrunning import operations_pb2
    from google.protobuf import json_format

    op = operations_pb2.Operation(name=name, done=done)
    if metadata is not None:
        op.metadata.Pack(_pb(metadata))
    if done and response is not None:
        op.response.Pack(_pb(response))
    return json_format.MessageToJson(op, use_integers_for_enums=int_enums)


def _pb(message: Any) -> Any:
    """The raw protobuf of a proto-plus message (protobuf messages pass through)."""
    pb = getattr(type(message), "pb", None)
    return pb(message) if callable(pb) else message
