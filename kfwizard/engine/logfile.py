"""The full log of a session, appended to a file under the platformdirs log folder.

The UI keeps only the last lines in memory; this file keeps everything, with a
timestamp and the step id on each line, for troubleshooting and support bundles.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from pathlib import Path
from typing import IO

from kfwizard import paths


class SessionLog:
    """Thread-safe appender; opened lazily, so a session that logs nothing writes nothing."""

    FILE_NAME = "kfwizard.log"

    def __init__(self, session_id: str, folder: Path | None = None) -> None:
        self.folder = folder or paths.session_log_dir(session_id)
        self.path = self.folder / self.FILE_NAME
        self._handle: IO[str] | None = None
        self._lock = threading.Lock()
        self._failed = False

    def write(self, step_id: str, lines: tuple[str, ...] | list[str]) -> None:
        """Append ``lines``, which must be redacted already.

        Every line is redacted once where it is made (``StepContext.log``, and the
        runner's own lines in ``Runner.write_log``); doing it again here doubled the
        cost of a busy step's output.
        """
        if self._failed:
            return
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
        text = "".join(f"{stamp} [{step_id}] {line}\n" for line in lines)
        with self._lock:
            try:
                if self._handle is None:
                    paths.ensure_private_dir(self.folder)
                    fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                    self._handle = os.fdopen(fd, "a", encoding="utf-8")
                self._handle.write(text)
                self._handle.flush()
            except OSError:
                # A log that cannot be written must never stop an install.
                self._failed = True

    def close(self) -> None:
        with self._lock:
            if self._handle is not None:
                with contextlib.suppress(OSError):
                    self._handle.close()
                self._handle = None
