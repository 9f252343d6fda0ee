"""Saving the emulators' state while they run, not only when they stop.

The demo keeps its emulated cloud between runs so a session can be resumed like a real
one. Saved only at a clean stop, that promise broke whenever the process did not stop
cleanly: a closed terminal window (SIGHUP), a kill, a crash. The next run then found the
session's cluster missing and the resumed install failed with "cluster not found", for
a cluster the session had created itself.

A background thread compares a cheap fingerprint of the state (statuses, operation
positions, each cluster's resourceVersion) every ``interval`` seconds and saves when it
moved, so at most that much is lost. A save writes each file atomically.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable

DEFAULT_INTERVAL = 1.0


class Autosave:
    """Call ``save`` whenever ``fingerprint`` changes, checked every ``interval`` s."""

    def __init__(
        self,
        save: Callable[[], object],
        fingerprint: Callable[[], Hashable],
        interval: float = DEFAULT_INTERVAL,
    ) -> None:
        self._save = save
        self._fingerprint = fingerprint
        self.interval = interval
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._last: Hashable = None
        self.saves = 0
        """How many saves ran (tests and the benchmarks read it)."""
        self.last_error: Exception | None = None
        """Why the last save failed, if it did; the next change tries again."""

    def mark_saved(self) -> None:
        """Take the current state as saved (it was just loaded, or just written)."""
        self._last = self._fingerprint()

    def start(self) -> None:
        """Start watching from the current state."""
        self.mark_saved()
        self._stopped.clear()
        self._thread = threading.Thread(target=self._run, name="emulator-autosave", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop watching (the owner saves once more itself when it stops)."""
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def check(self) -> bool:
        """Save now if the state moved since the last save; True when it saved."""
        current = self._fingerprint()
        if current == self._last:
            return False
        try:
            self._save()
        except Exception as exc:  # a full disk or a race must not stop the emulators
            self.last_error = exc  # the state still differs: the next check tries again
            return False
        self._last = current
        self.saves += 1
        self.last_error = None
        return True

    def _run(self) -> None:
        while not self._stopped.wait(self.interval):
            self.check()
