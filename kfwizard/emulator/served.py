"""What the GKE and Service Usage emulators share: a loopback server and simulated time.

Each answers on its own :class:`EmulatorServer`, and runs whatever is due in simulated
time (an operation finishing) before every request. Alone, an emulator owns a
:class:`Scheduler` and starts and stops it with its server; inside an
``EmulatorStack`` the stack hands every emulator the same scheduler and runs it itself,
so the clusters and the APIs age together.
"""

from __future__ import annotations

import threading
from typing import Any

from kfwizard.emulator.faults import Faults
from kfwizard.emulator.http import EmulatorServer
from kfwizard.emulator.operations import Scheduler


class ServedEmulator:
    """Start/stop/url for an emulator with a server and an optional own scheduler.

    Subclasses call :meth:`_own_time` (before building anything that needs the
    scheduler) and :meth:`_serve` (once their routes exist).
    """

    scheduler: Scheduler
    server: EmulatorServer
    _owns_scheduler: bool

    def _own_time(
        self, scheduler: Scheduler | None, speed: float, lock: threading.RLock, name: str
    ) -> Scheduler:
        """The scheduler given (the stack's), or one of this emulator's own."""
        self._owns_scheduler = scheduler is None
        self.scheduler = scheduler or Scheduler(speed, lock, name)
        return self.scheduler

    def _serve(self, name: str, routes: list[Any], *, faults: Faults, service: str) -> None:
        self.server = EmulatorServer(
            name, routes, faults=faults, service=service, before_request=self.scheduler.run_due
        )

    def start(self) -> None:
        if self._owns_scheduler:
            self.scheduler.start()
        self.server.start()

    def stop(self) -> None:
        self.server.stop()
        if self._owns_scheduler:
            self.scheduler.stop()

    @property
    def url(self) -> str:
        return self.server.url
