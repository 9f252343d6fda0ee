"""List once, then watch: a live map of objects of a few kinds, for waits.

This is a small informer. Per kind it makes one LIST (which gives the current objects
and a ``resourceVersion``) and one WATCH from that version, so a wait costs two requests
per kind however long it takes, and reacts the moment the last object changes. A watch
that the server ends (its ``timeoutSeconds``, a dropped connection) is re-opened from the
last version seen; a ``410 Gone`` (the version is too old) triggers one fresh LIST.

Each watch runs in a daemon thread that feeds a queue; the waiting thread reads the
queue with a short timeout, so cancellation and deadlines are noticed within ~0.1 s even
while no event arrives. On exit the open responses are shut down from the waiting thread
(``urllib3.HTTPResponse.shutdown``), so no watch outlives its wait for long.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kfwizard.kube.client import KubeClients
from kfwizard.kube.control import Control, Quiet
from kfwizard.kube.errors import KubeFailure, WaitTimeout
from kfwizard.kube.rest import list_objects
from kfwizard.kube.retry import backoff_delay, describe_error, is_retryable, status_of

MAX_WATCH_SECONDS = 300
"""Longest single watch request; the server ends it and it is re-opened."""

State = dict[str, dict[tuple[str, str], dict[str, Any]]]
"""kind -> (namespace, name) -> object."""


@dataclass(frozen=True)
class WatchSpec:
    """One kind to follow, optionally narrowed to a namespace and selectors."""

    api_version: str
    kind: str
    namespace: str | None = None
    label_selector: str | None = None
    field_selector: str | None = None


def _key(obj: dict[str, Any]) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return (meta.get("namespace") or "", meta.get("name") or "")


class Watcher:
    """Follows several kinds at once; :meth:`wait` returns when a predicate holds."""

    def __init__(
        self, clients: KubeClients, specs: list[WatchSpec], control: Control | None = None
    ) -> None:
        self.clients = clients
        self.specs = list(specs)
        self.control = control or Quiet()
        self.state: State = {spec.kind: {} for spec in self.specs}
        self.lists = 0
        self.watches = 0
        self._versions: dict[int, str] = {}
        self._events: queue.Queue[tuple[int, str, Any]] = queue.Queue()
        self._stop = threading.Event()
        self._responses: dict[int, Any] = {}
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    # -- listing -------------------------------------------------------------------
    def _list(self, index: int) -> None:
        spec = self.specs[index]
        answer = list_objects(
            self.clients,
            spec.api_version,
            spec.kind,
            namespace=spec.namespace,
            label_selector=spec.label_selector,
            field_selector=spec.field_selector,
            control=self.control,
        )
        with self._lock:
            self.lists += 1
        self.state[spec.kind] = {_key(o): o for o in answer.get("items") or []}
        self._versions[index] = str((answer.get("metadata") or {}).get("resourceVersion") or "")

    # -- the watch threads ---------------------------------------------------------------
    def _watch_loop(self, index: int, deadline: float) -> None:
        spec = self.specs[index]
        failures = 0
        while not self._stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            seconds = max(1, min(MAX_WATCH_SECONDS, int(remaining) + 1))
            try:
                res = self.clients.resource(spec.api_version, spec.kind)
                resp = res.get(
                    namespace=spec.namespace,
                    label_selector=spec.label_selector,
                    field_selector=spec.field_selector,
                    watch=True,
                    resource_version=self._versions.get(index) or None,
                    allow_watch_bookmarks=True,
                    timeout_seconds=seconds,
                    serialize=False,
                    _request_timeout=(10, seconds + 15),
                )
                with self._lock:
                    self.watches += 1
                    self._responses[index] = resp
                if self._stop.is_set():
                    return
                gone = self._pump(index, resp)
                failures = 0
                if gone:
                    self._events.put((index, "RELIST", None))
                    return
            except Exception as exc:
                if self._stop.is_set():
                    return
                if status_of(exc) == 410:
                    self._events.put((index, "RELIST", None))
                    return
                if not is_retryable(exc) or failures >= 8:
                    self._events.put((index, "FAILED", exc))
                    return
                failures += 1
                self._stop.wait(backoff_delay(failures, 0.1, 3.0))
            finally:
                with self._lock:
                    resp = self._responses.pop(index, None)
                if resp is not None:
                    try:
                        resp.release_conn()
                    except Exception:
                        pass

    def _pump(self, index: int, resp: Any) -> bool:
        """Forward events until the stream ends; True when the server said 410 Gone."""
        from kubernetes.watch.watch import iter_resp_lines

        for line in iter_resp_lines(resp):
            if self._stop.is_set():
                return False
            if not line.strip():
                continue
            try:
                event = json.loads(line)
            except ValueError:
                continue
            kind = event.get("type")
            obj = event.get("object") or {}
            if kind == "ERROR":
                if obj.get("code") == 410:
                    return True
                raise KubeFailure(
                    f"The watch of {self.specs[index].kind} failed: {obj.get('message') or obj}."
                )
            version = (obj.get("metadata") or {}).get("resourceVersion")
            if version:
                self._versions[index] = str(version)
            if kind != "BOOKMARK":
                self._events.put((index, kind, obj))
        return False

    def _start(self, index: int, deadline: float) -> None:
        thread = threading.Thread(
            target=self._watch_loop,
            args=(index, deadline),
            daemon=True,
            name=f"kfwizard-watch-{self.specs[index].kind}",
        )
        self._threads.append(thread)
        thread.start()

    def stop(self) -> None:
        """End every watch now; safe to call more than once."""
        self._stop.set()
        with self._lock:
            responses = list(self._responses.values())
        for resp in responses:
            try:
                resp.shutdown()
            except Exception:
                pass

    # -- the wait ----------------------------------------------------------------------
    def wait(
        self,
        until: Callable[[State], bool],
        *,
        timeout: float,
        what: str,
        on_change: Callable[[State], None] | None = None,
        action: str | None = None,
    ) -> State:
        """Return the state once ``until(state)`` is true; raise :class:`WaitTimeout`.

        ``what`` names the wait for the timeout message ("the CRDs to be Established").
        ``on_change`` is called after each batch of events (and once after the lists).
        """
        deadline = time.monotonic() + timeout
        try:
            for index in range(len(self.specs)):
                self._list(index)
            if on_change is not None:
                on_change(self.state)
            if until(self.state):
                return self.state
            for index in range(len(self.specs)):
                self._start(index, deadline)
            while True:
                self.control.check_cancel()
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise WaitTimeout(
                        f"Timed out after {timeout:.0f} s waiting for {what}.",
                        action,
                        state=self.state,
                    )
                try:
                    batch = [self._events.get(timeout=min(0.1, remaining))]
                except queue.Empty:
                    if until(self.state):  # predicates may depend on time (grace periods)
                        return self.state
                    continue
                while True:
                    try:
                        batch.append(self._events.get_nowait())
                    except queue.Empty:
                        break
                for index, kind, obj in batch:
                    self._apply_event(index, kind, obj, deadline)
                if on_change is not None:
                    on_change(self.state)
                if until(self.state):
                    return self.state
        finally:
            self.stop()

    def _apply_event(self, index: int, kind: str, obj: Any, deadline: float) -> None:
        spec = self.specs[index]
        if kind == "FAILED":
            raise KubeFailure(
                f"Watching {spec.kind} failed: {describe_error(obj)}.",
                "check that the cluster's API server answers, then resume",
            )
        if kind == "RELIST":
            self._list(index)
            self._start(index, deadline)
            return
        items = self.state.setdefault(spec.kind, {})
        if kind == "DELETED":
            items.pop(_key(obj), None)
        else:
            items[_key(obj)] = obj
