"""The simulation loop: one controller thread that runs reconcile tasks in time order.

Why one thread and a time-ordered queue: every simulated delay is "reconcile this
object again at T", so ``speed`` only scales T. With ``speed=0`` every task is due at
once and tasks run in the order they were queued, which keeps runs deterministic while
still going through the same controllers (nothing is short-circuited). A task runs
while holding the store lock, so controllers see a consistent cluster and never race
API writes.

Store events are mapped to tasks (a pod change wakes its ReplicaSet, a Node change
wakes the DaemonSets and the scheduler...). Tasks are keyed, so a burst of changes to
one object costs one reconcile. Faults are polled a few times a second, so lifting a
fault mid-run lets the simulation resume.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING

from kfwizard.emulator.kube.store import Event, meta

if TYPE_CHECKING:
    from kfwizard.emulator.kube.cluster import Cluster

TaskKey = tuple[str, str, str]  # (kind, namespace, name)
Handler = Callable[[str, str], None]

# Repeating cycles (crash loops, image pull back-off) never go faster than this, even at
# speed 0, so a fault cannot spin the controller thread.
MIN_CYCLE = 0.2
FAULT_POLL = 0.25


class Simulator:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.handlers: dict[str, Handler] = {}
        self.errors: list[str] = []
        self._heap: list[tuple[float, int, TaskKey]] = []
        self._due: dict[TaskKey, float] = {}
        self._seq = itertools.count()
        self._cv = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._busy = False
        self._fault_state: tuple = ()
        self.fault_watchers: list[Callable[[], None]] = []
        self.event_hooks: list[Callable[[Event], None]] = []

    # -- scheduling ----------------------------------------------------------------------
    def delay(self, base: float) -> float:
        """A simulated duration in real seconds (``base`` times ``speed``)."""
        return base * self.cluster.speed

    def cycle(self, base: float) -> float:
        """A repeating cycle's duration: scaled, but never below MIN_CYCLE."""
        return max(self.delay(base), MIN_CYCLE)

    def enqueue(self, kind: str, namespace: str = "", name: str = "", after: float = 0.0) -> None:
        """Run handler ``kind`` for (namespace, name) ``after`` real seconds from now."""
        key = (kind, namespace, name)
        due = time.monotonic() + max(after, 0.0)
        with self._cv:
            known = self._due.get(key)
            if known is not None and known <= due:
                return
            self._due[key] = due
            heapq.heappush(self._heap, (due, next(self._seq), key))
            self._cv.notify()

    def on_store_event(self, event: Event) -> None:
        for hook in self.event_hooks:
            hook(event)

    # -- running ---------------------------------------------------------------------------
    def _pop_due(self, now: float) -> TaskKey | None:
        while self._heap and self._heap[0][0] <= now:
            due, _, key = heapq.heappop(self._heap)
            if self._due.get(key) == due:
                del self._due[key]
                return key
        return None

    def _run(self, key: TaskKey) -> None:
        handler = self.handlers.get(key[0])
        if handler is None:
            return
        try:
            with self.cluster.store.lock:
                handler(key[1], key[2])
        except Exception:  # a simulation bug must not kill the thread
            self.errors.append(f"{key}: {traceback.format_exc()}")

    def run_until_idle(self, limit: int = 200_000) -> None:
        """Run every task due now, ignoring nothing (start-up seeding uses this)."""
        for _ in range(limit):
            with self._cv:
                key = self._pop_due(time.monotonic())
            if key is None:
                return
            self._run(key)

    def _check_faults(self) -> None:
        faults = self.cluster.faults
        state = (
            tuple(faults.crashloop),
            tuple(faults.image_pull),
            tuple(faults.never_ready),
            faults.no_default_storageclass,
            faults.small_nodepool,
        )
        if state != self._fault_state:
            first = not self._fault_state
            self._fault_state = state
            if not first:
                for watcher in self.fault_watchers:
                    try:
                        with self.cluster.store.lock:
                            watcher()
                    except Exception:
                        self.errors.append(traceback.format_exc())

    def _loop(self) -> None:
        next_fault_check = 0.0
        while not self._stop.is_set():
            now = time.monotonic()
            if now >= next_fault_check:
                self._check_faults()
                next_fault_check = now + FAULT_POLL
            with self._cv:
                key = self._pop_due(now)
                if key is None:
                    self._busy = False
                    wait = next_fault_check - now
                    if self._heap:
                        wait = min(wait, self._heap[0][0] - now)
                    self._cv.wait(timeout=max(wait, 0.0))
                    continue
                self._busy = True
            self._run(key)

    def start(self) -> None:
        self._check_faults()
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._loop, name=f"kube-sim-{self.cluster.name}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self._cv:
            self._cv.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None

    def idle(self) -> bool:
        """True when no task is due now and none is running."""
        with self._cv:
            due_now = bool(self._heap) and self._heap[0][0] <= time.monotonic()
            return not due_now and not self._busy

    def wait_idle(self, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.idle():
                time.sleep(0.01)
                if self.idle():
                    return True
            time.sleep(0.005)
        return False


def owner_task(event: Event) -> tuple[str, str] | None:
    """(kind, name) of the controller that owns the changed object, if any."""
    for ref in meta(event.obj).get("ownerReferences") or []:
        if ref.get("controller"):
            return ref.get("kind", ""), ref.get("name", "")
    return None
