"""Leaving when the terminal window was closed (SIGHUP) and the normal exit hangs.

The wizard stops its run at the next safe point and exits as for Ctrl+Q. But Textual's
shutdown writes to the terminal to restore it, and with the terminal gone that can wait
for ever (its output queue fills and nothing drains it). The process would stay, with
no window, holding the session's lock until someone kills it.

So after a hang-up a watchdog thread waits for the run to stop (the runner has saved the
session as interrupted by then), gives the normal exit a few seconds, and then ends the
process with ``os._exit``. Nothing is lost: the session is saved, the kernel releases
the lock, and the demo's emulators save their state as they run.
"""

from __future__ import annotations

import os
import threading
import time

RUN_STOP_LIMIT = 30.0
"""At most this long for the run to reach a safe point (the quit path's own deadline is
20 s)."""
GRACE = 3.0
"""The normal exit's chance, after the run stopped (longer than the emulators' autosave
interval, so their last change is saved too)."""


class HangupExit:
    """``start()`` on the hang-up; ``run_over()`` when the run has stopped."""

    def __init__(self, exit_code: int, *, limit: float = RUN_STOP_LIMIT, grace: float = GRACE):
        self.exit_code = exit_code
        self.limit = limit
        self.grace = grace
        self._run_over = threading.Event()

    def start(self, *, run_over: bool) -> None:
        if run_over:
            self._run_over.set()
        threading.Thread(target=self._watch, name="hangup-exit", daemon=True).start()

    def run_over(self) -> None:
        self._run_over.set()

    def _watch(self) -> None:
        self._run_over.wait(self.limit)
        time.sleep(self.grace)
        os._exit(self.exit_code)  # the normal exit, had it worked, ended the process first
