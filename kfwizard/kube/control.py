"""What a long kube operation needs from its caller: sleep, cancel, log, progress.

The engine's ``StepContext`` already has these methods, so steps pass ``ctx`` as is. Code
outside the engine (benchmarks, the demo, tests) passes :class:`Quiet`, which sleeps for
real and can be cancelled through a ``threading.Event``.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol

from kfwizard.engine.errors import Cancelled


class Control(Protocol):
    """The subset of ``StepContext`` that kube operations use."""

    def sleep(self, seconds: float) -> None: ...

    def check_cancel(self) -> None: ...

    def log(self, *lines: str) -> None: ...

    def progress(self, done: int, total: int, message: str = "") -> None: ...

    def detail(self, key: str, value: Any) -> None: ...


class Quiet:
    """A :class:`Control` for callers outside the engine: no output unless asked for."""

    def __init__(self, cancel: threading.Event | None = None, verbose: bool = False) -> None:
        self.cancel = cancel or threading.Event()
        self.verbose = verbose
        self.lines: list[str] = []
        self.details: dict[str, Any] = {}
        self.last_progress: tuple[int, int, str] | None = None

    def sleep(self, seconds: float) -> None:
        if self.cancel.wait(max(0.0, seconds)):
            raise Cancelled()

    def check_cancel(self) -> None:
        if self.cancel.is_set():
            raise Cancelled()

    def log(self, *lines: str) -> None:
        self.lines.extend(str(line) for line in lines)
        if self.verbose:
            for line in lines:
                print(line)

    def progress(self, done: int, total: int, message: str = "") -> None:
        self.last_progress = (done, total, message)

    def detail(self, key: str, value: Any) -> None:
        self.details[key] = value
